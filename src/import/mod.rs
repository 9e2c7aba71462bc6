//! Parsing input files into records, all-or-nothing: bytes in, records or a list of
//! record-level errors out. Nothing here writes; the caller stores the records only
//! when the whole input is valid.

pub mod areas;
pub mod csv_facilities;
pub mod geojson_facilities;
pub mod osm;
pub mod population;
pub mod query_points;
pub mod raster;
pub mod settlements;
pub mod shapefile;
pub mod sites;

use crate::model::Facility;
use serde::Serialize;
use std::collections::HashMap;

/// One problem in an input file, precise enough to fix the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecordError {
    /// Position of the record: feature index (0-based) or CSV data row (1-based line
    /// number in the file). `None` for problems with the file as a whole.
    #[schema(required = true)]
    pub index: Option<usize>,
    /// The record's id, when it has one.
    #[schema(required = true)]
    pub id: Option<String>,
    /// The field at fault (`properties.sectors[1]`, `geometry.coordinates`, ...).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl RecordError {
    /// An error about the file as a whole.
    pub fn file(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            index: None,
            id: None,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The header row of a CSV: where each named column is (names trimmed, any case).
pub(crate) struct CsvHeader(csv::StringRecord);

impl CsvHeader {
    /// Reads the header row of `reader`.
    ///
    /// # Errors
    /// A file-level error when the header cannot be read.
    pub fn read<R: std::io::Read>(reader: &mut csv::Reader<R>) -> Result<Self, Vec<RecordError>> {
        reader
            .headers()
            .map(|h| Self(h.clone()))
            .map_err(|e| vec![RecordError::file("", format!("unreadable CSV header: {e}"))])
    }

    /// The position of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    }
}

/// The line in the file of the `i`th (0-based) data row of a CSV whose header is line 1:
/// what [`RecordError::index`] names for CSV rows.
pub(crate) fn csv_line(i: usize) -> usize {
    i + 2
}

impl RecordError {
    /// A CSV row at `line` that the CSV reader could not read.
    pub fn unreadable_row(line: usize, error: &csv::Error) -> Self {
        Self {
            index: Some(line),
            id: None,
            field: String::new(),
            message: format!("unreadable CSV row: {error}"),
        }
    }
}

/// The facility formats Tirek reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FacilityFormat {
    /// GeoJSON FeatureCollection with Tirek's record fields as properties.
    Geojson,
    /// CSV with a header row and an optional HXL hashtag row (what `export` writes).
    Csv,
}

impl FacilityFormat {
    /// Guesses the format from the first non-blank byte.
    pub fn detect(bytes: &[u8]) -> Self {
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') | Some(b'[') => FacilityFormat::Geojson,
            _ => FacilityFormat::Csv,
        }
    }
}

/// The facility formats `import` reads: Tirek's own two and OpenStreetMap exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    /// GeoJSON FeatureCollection with Tirek's record fields as properties.
    Geojson,
    /// CSV with a header row and an optional HXL hashtag row (what `export` writes).
    #[serde(alias = "hxl")]
    Csv,
    /// OpenStreetMap GeoJSON export (HOT Export Tool, Overpass): OSM tags as properties.
    Osm,
}

impl ImportFormat {
    /// Guesses the format from the content: CSV unless it starts like JSON; JSON whose
    /// features carry OSM tags (`osm_id`, `@id`, `amenity`, …) and no `sectors` is OSM.
    pub fn detect(bytes: &[u8]) -> Self {
        match FacilityFormat::detect(bytes) {
            FacilityFormat::Csv => ImportFormat::Csv,
            FacilityFormat::Geojson => {
                let Ok(doc) = serde_json::from_slice::<serde_json::Value>(bytes) else {
                    return ImportFormat::Geojson;
                };
                let features = doc["features"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                let osm = features.iter().take(100).any(|f| {
                    let p = &f["properties"];
                    ["osm_id", "osm_type", "@id", "amenity", "healthcare", "tags"]
                        .iter()
                        .any(|k| !p[*k].is_null())
                });
                let tirek = features
                    .iter()
                    .take(100)
                    .any(|f| !f["properties"]["sectors"].is_null());
                if osm && !tirek {
                    ImportFormat::Osm
                } else {
                    ImportFormat::Geojson
                }
            }
        }
    }

    /// Parses `text` (`geojson`, `csv`, `hxl`, `osm`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(ImportFormat::Geojson),
            "csv" | "hxl" => Some(ImportFormat::Csv),
            "osm" => Some(ImportFormat::Osm),
            _ => None,
        }
    }
}

/// Facilities read from a file, with what was deliberately left out.
#[derive(Debug, Clone, Default)]
pub struct FacilitiesRead {
    /// The records.
    pub facilities: Vec<Facility>,
    /// Input records not imported, by kind (OSM: `amenity=pharmacy` …).
    pub skipped: std::collections::BTreeMap<String, usize>,
    /// Things that did not stop the import.
    pub warnings: Vec<String>,
}

/// Reads facilities in any import format. `country` and `areas` serve OSM exports
/// (the country of every record; the level-0 areas that give it per point otherwise).
pub fn read_facilities_as(
    bytes: &[u8],
    format: ImportFormat,
    country: Option<&str>,
    areas: Option<&crate::spatial::area_index::AreaIndex>,
) -> Result<FacilitiesRead, Vec<RecordError>> {
    let read = match format {
        ImportFormat::Geojson => FacilitiesRead {
            facilities: read_facilities(bytes, FacilityFormat::Geojson)?,
            ..FacilitiesRead::default()
        },
        ImportFormat::Csv => FacilitiesRead {
            facilities: read_facilities(bytes, FacilityFormat::Csv)?,
            ..FacilitiesRead::default()
        },
        ImportFormat::Osm => {
            let read = osm::read(bytes, country, areas)?;
            check_unique_ids(&read.facilities)?;
            FacilitiesRead {
                facilities: read.facilities,
                skipped: read.skipped,
                warnings: read.warnings,
            }
        }
    };
    Ok(read)
}

/// Population in any of the formats `import population` reads, detected from the
/// content: GeoTIFF (by its magic bytes), GeoJSON points, or CSV.
#[derive(Debug, Clone, Default)]
pub struct PopulationRead {
    /// The population points.
    pub settlements: Vec<crate::model::Settlement>,
    /// Input records not imported (no-data cells, points without a population).
    pub skipped: usize,
    /// The format read: `geotiff`, `geojson` or `csv`.
    pub format: &'static str,
    /// Things that did not stop the import.
    pub warnings: Vec<String>,
}

/// Reads population points from GeoTIFF, GeoJSON or CSV bytes (`id_prefix` names raster
/// cells).
pub fn read_population(bytes: &[u8], id_prefix: &str) -> Result<PopulationRead, Vec<RecordError>> {
    if raster::is_tiff(bytes) {
        let r = raster::read_geotiff(bytes, id_prefix)?;
        let mut warnings = r.warnings;
        warnings.push(format!(
            "{} cells: {} with people, {} zero, {} no-data; {:.1} people in all",
            r.cells,
            r.settlements.len(),
            r.zero_cells,
            r.nodata_cells,
            r.total_population
        ));
        return Ok(PopulationRead {
            settlements: r.settlements,
            skipped: r.nodata_cells,
            format: "geotiff",
            warnings,
        });
    }
    match FacilityFormat::detect(bytes) {
        FacilityFormat::Geojson => {
            let r = settlements::read_geojson(bytes)?;
            check_unique_settlements(&r.settlements)?;
            Ok(PopulationRead {
                settlements: r.settlements,
                skipped: r.without_population,
                format: "geojson",
                warnings: Vec::new(),
            })
        }
        FacilityFormat::Csv => {
            let s = settlements::read_csv(bytes)?;
            check_unique_settlements(&s)?;
            Ok(PopulationRead {
                settlements: s,
                skipped: 0,
                format: "csv",
                warnings: Vec::new(),
            })
        }
    }
}

fn check_unique_settlements(s: &[crate::model::Settlement]) -> Result<(), Vec<RecordError>> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let errors: Vec<RecordError> = s
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            first.insert(&p.id, i).map(|prev| RecordError {
                index: Some(i),
                id: Some(p.id.clone()),
                field: "id".into(),
                message: format!("the id is used by record {prev} too"),
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Reads facilities in `format`, failing with every error found.
pub fn read_facilities(
    bytes: &[u8],
    format: FacilityFormat,
) -> Result<Vec<Facility>, Vec<RecordError>> {
    let facilities = match format {
        FacilityFormat::Geojson => geojson_facilities::read(bytes)?,
        FacilityFormat::Csv => csv_facilities::read(bytes)?,
    };
    check_unique_ids(&facilities)?;
    Ok(facilities)
}

fn check_unique_ids(facilities: &[Facility]) -> Result<(), Vec<RecordError>> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut errors = Vec::new();
    for (i, f) in facilities.iter().enumerate() {
        if let Some(prev) = first.insert(&f.id, i) {
            errors.push(RecordError {
                index: Some(i),
                id: Some(f.id.clone()),
                field: "id".into(),
                message: format!("the id is used by record {prev} too"),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
