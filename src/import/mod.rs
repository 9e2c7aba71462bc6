//! Parsing input files into records, all-or-nothing: bytes in, records or a list of
//! record-level errors out. Nothing here writes; the caller stores the records only
//! when the whole input is valid.

pub mod areas;
pub mod csv_facilities;
pub mod features;
pub mod gazetteer;
pub mod geojson_facilities;
pub mod mapping;
pub mod osm;
pub mod pbf;
pub mod population;
pub mod query_points;
pub mod raster;
pub mod settlements;
pub mod shapefile;
pub mod sites;
pub mod table;
pub mod xlsx;

use crate::model::Facility;
use serde::Serialize;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
pub use table::TableOptions;

/// One problem in an input file, precise enough to fix the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecordError {
    /// Position of the record: feature index (0-based), or the row number of a table
    /// (CSV line, or spreadsheet row; the header is row 1). `None` for problems with
    /// the file as a whole.
    #[schema(required = true)]
    pub index: Option<usize>,
    /// The record's id, when it has one.
    #[schema(required = true)]
    pub id: Option<String>,
    /// The field at fault (`properties.sectors[1]`, `geometry.coordinates`, ...).
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// The column of a table (CSV, spreadsheet) as a spreadsheet names it (`A`, `B`,
    /// … `AA`); `field` is then the column's header as written. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
}

impl RecordError {
    /// An error about the file as a whole.
    pub fn file(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            index: None,
            id: None,
            field: field.into(),
            message: message.into(),
            column: None,
        }
    }

    /// Where the error is, as a person fixing the file reads it: `row 17, column D
    /// "settlement"`, `record 3, field sectors`, or the field alone.
    pub fn place(&self) -> String {
        match (self.index, &self.column) {
            (Some(row), Some(column)) => format!("row {row}, column {column} {:?}", self.field),
            (Some(i), None) if self.field.is_empty() => format!("record {i}"),
            (Some(i), None) => format!("record {i}, field {}", self.field),
            (None, _) => self.field.clone(),
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
            column: None,
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
    /// An Excel workbook (`.xlsx`; a KoboToolbox XLSX export too): one sheet read as
    /// the CSV is.
    Xlsx,
}

impl ImportFormat {
    /// Guesses the format from the content: a zip archive is an `.xlsx` workbook; CSV
    /// unless it starts like JSON; JSON whose features carry OSM tags (`osm_id`, `@id`,
    /// `amenity`, …) and no `sectors` is OSM. Looks at the first 100 features only,
    /// streamed (the document is not parsed whole).
    pub fn detect(bytes: &[u8]) -> Self {
        if xlsx::is_xlsx(bytes) {
            return ImportFormat::Xlsx;
        }
        match FacilityFormat::detect(bytes) {
            FacilityFormat::Csv => ImportFormat::Csv,
            FacilityFormat::Geojson => {
                Self::detect_json(&mut |each| features::each_in_slice(bytes, each))
            }
        }
    }

    /// [`ImportFormat::detect`] for an [`Input`] (a file is read only as far as needed).
    pub fn detect_input(input: &Input) -> std::io::Result<Self> {
        match input {
            Input::Memory(bytes) => Ok(Self::detect((**bytes).as_ref())),
            Input::File(path) => {
                let mut head = Vec::new();
                std::io::Read::read_to_end(
                    &mut std::io::Read::take(std::fs::File::open(path)?, 4096),
                    &mut head,
                )?;
                if xlsx::is_xlsx(&head) {
                    return Ok(ImportFormat::Xlsx);
                }
                Ok(match FacilityFormat::detect(&head) {
                    FacilityFormat::Csv => ImportFormat::Csv,
                    FacilityFormat::Geojson => {
                        let file = std::fs::File::open(path)?;
                        Self::detect_json(&mut |each| features::each_in_reader(&file, each))
                    }
                })
            }
        }
    }

    fn detect_json(
        walk: &mut dyn FnMut(
            &mut features::EachFeature<'_>,
        ) -> Result<features::Walked, features::FeaturesError>,
    ) -> Self {
        let (mut osm, mut tirek) = (false, false);
        let walked = walk(&mut |index, f| {
            let p = &f["properties"];
            osm |= ["osm_id", "osm_type", "@id", "amenity", "healthcare", "tags"]
                .iter()
                .any(|k| !p[*k].is_null());
            tirek |= !p["sectors"].is_null();
            if index + 1 >= 100 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        // Not JSON: the GeoJSON reader says where.
        if walked.is_ok() && osm && !tirek {
            ImportFormat::Osm
        } else {
            ImportFormat::Geojson
        }
    }

    /// Parses `text` (`geojson`, `csv`, `hxl`, `osm`, `xlsx`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(ImportFormat::Geojson),
            "csv" | "hxl" | "kobo" => Some(ImportFormat::Csv),
            "osm" => Some(ImportFormat::Osm),
            "xlsx" => Some(ImportFormat::Xlsx),
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

/// The bytes of an import, readable more than once: an import reads its input once to
/// check every record and once more to write, and holds neither the input's records
/// nor (for a file) its bytes.
#[derive(Clone)]
pub enum Input {
    /// Bytes in memory (a request body).
    Memory(Arc<dyn AsRef<[u8]> + Send + Sync>),
    /// A file, opened again on each reading.
    File(PathBuf),
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Input::Memory(bytes) => write!(f, "Memory({} bytes)", (**bytes).as_ref().len()),
            Input::File(path) => write!(f, "File({})", path.display()),
        }
    }
}

impl Input {
    /// Bytes in memory.
    pub fn memory(bytes: impl AsRef<[u8]> + Send + Sync + 'static) -> Self {
        Input::Memory(Arc::new(bytes))
    }
}

fn unreadable(path: &std::path::Path, e: &std::io::Error) -> RecordError {
    RecordError::file("", format!("cannot read {}: {e}", path.display()))
}

/// What a reading of facilities found besides the records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadNotes {
    /// Records handed out.
    pub read: usize,
    /// Of those, placed at their settlement's centre (tables without coordinates).
    pub placed: usize,
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
    let mut facilities = Vec::new();
    let notes = read_facilities_from(
        Source::Slice(bytes),
        format,
        country,
        areas,
        &TableOptions::default(),
        &mut |f| {
            facilities.push(f);
            ControlFlow::Continue(())
        },
    )?;
    Ok(FacilitiesRead {
        facilities,
        skipped: notes.skipped,
        warnings: notes.warnings,
    })
}

/// Reads facilities in any import format record by record, handing each to `each` in
/// order until it returns `Break`; GeoJSON and CSV are streamed (a record at a time),
/// OSM exports are read whole. Fails with every problem found: record errors first
/// (capped at [`geojson_facilities::MAX_ERRORS`]), else ids used twice. `each` may have
/// been called before an error is found: whoever writes must read once to check, then
/// again to write.
pub fn read_facilities_each(
    input: &Input,
    format: ImportFormat,
    country: Option<&str>,
    areas: Option<&crate::spatial::area_index::AreaIndex>,
    each: &mut dyn FnMut(Facility) -> ControlFlow<()>,
) -> Result<ReadNotes, Vec<RecordError>> {
    read_facilities_with(
        input,
        format,
        country,
        areas,
        &TableOptions::default(),
        each,
    )
}

/// [`read_facilities_each`] with the options of a table (CSV, KoboToolbox, `.xlsx`):
/// a mapping, the settlements rows are placed by, the organisations records may name,
/// the sheet.
pub fn read_facilities_with(
    input: &Input,
    format: ImportFormat,
    country: Option<&str>,
    areas: Option<&crate::spatial::area_index::AreaIndex>,
    table: &TableOptions,
    each: &mut dyn FnMut(Facility) -> ControlFlow<()>,
) -> Result<ReadNotes, Vec<RecordError>> {
    let source = match input {
        Input::Memory(bytes) => Source::Slice((**bytes).as_ref()),
        Input::File(path) => Source::File(path),
    };
    read_facilities_from(source, format, country, areas, table, each)
}

/// An [`Input`] borrowed, or bytes that are not one.
#[derive(Clone, Copy)]
enum Source<'a> {
    Slice(&'a [u8]),
    File(&'a std::path::Path),
}

fn read_facilities_from(
    source: Source<'_>,
    format: ImportFormat,
    country: Option<&str>,
    areas: Option<&crate::spatial::area_index::AreaIndex>,
    table: &TableOptions,
    each: &mut dyn FnMut(Facility) -> ControlFlow<()>,
) -> Result<ReadNotes, Vec<RecordError>> {
    let mut ids = UniqueIds::default();
    let mut notes = ReadNotes::default();
    let mut checked = |f: Facility| {
        if ids.check(&f) {
            each(f)
        } else {
            // A repeated id fails the import: no more records are needed.
            ControlFlow::Continue(())
        }
    };
    notes.read = match format {
        ImportFormat::Geojson => match source {
            Source::Slice(bytes) => geojson_facilities::read_each(
                &mut |walk| features::each_in_slice(bytes, walk),
                &mut checked,
            )?,
            Source::File(path) => {
                let file = std::fs::File::open(path).map_err(|e| vec![unreadable(path, &e)])?;
                geojson_facilities::read_each(
                    &mut |walk| features::each_in_reader(&file, walk),
                    &mut checked,
                )?
            }
        },
        ImportFormat::Csv => {
            let read = match source {
                Source::Slice(bytes) => csv_facilities::read_each(bytes, table, &mut checked)?,
                Source::File(path) => {
                    let file = std::fs::File::open(path).map_err(|e| vec![unreadable(path, &e)])?;
                    csv_facilities::read_each(file, table, &mut checked)?
                }
            };
            notes.placed = read.placed;
            read.read
        }
        ImportFormat::Xlsx => {
            let bytes = match source {
                Source::Slice(bytes) => std::borrow::Cow::Borrowed(bytes),
                Source::File(path) => std::fs::read(path)
                    .map(std::borrow::Cow::Owned)
                    .map_err(|e| vec![unreadable(path, &e)])?,
            };
            let read = xlsx::read_each(&bytes, table, &mut checked)?;
            notes.placed = read.placed;
            read.read
        }
        ImportFormat::Osm => {
            let bytes = match source {
                Source::Slice(bytes) => std::borrow::Cow::Borrowed(bytes),
                Source::File(path) => std::fs::read(path)
                    .map(std::borrow::Cow::Owned)
                    .map_err(|e| vec![unreadable(path, &e)])?,
            };
            let read = osm::read(&bytes, country, areas)?;
            notes.skipped = read.skipped;
            notes.warnings = read.warnings;
            let n = read.facilities.len();
            for f in read.facilities {
                if checked(f).is_break() {
                    break;
                }
            }
            n
        }
    };
    ids.finish()?;
    Ok(notes)
}

/// Finds ids used by more than one record, remembering each id once (not the records).
#[derive(Default)]
struct UniqueIds {
    first: HashMap<String, usize>,
    next: usize,
    errors: Vec<RecordError>,
    more: usize,
}

impl UniqueIds {
    /// Whether `f`'s id is new (records count from 0 in the order seen).
    fn check(&mut self, f: &Facility) -> bool {
        let i = self.next;
        self.next += 1;
        match self.first.get(f.id.as_str()) {
            None => {
                self.first.insert(f.id.clone(), i);
                true
            }
            Some(&prev) => {
                if self.errors.len() < geojson_facilities::MAX_ERRORS {
                    self.errors.push(RecordError {
                        index: Some(i),
                        id: Some(f.id.clone()),
                        field: "id".into(),
                        message: format!("the id is used by record {prev} too"),
                        column: None,
                    });
                } else {
                    self.more += 1;
                }
                false
            }
        }
    }

    fn finish(mut self) -> Result<(), Vec<RecordError>> {
        if self.more > 0 {
            self.errors.push(RecordError::file(
                "id",
                format!("{} more records repeat an id", self.more),
            ));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
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
                column: None,
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
    let format = match format {
        FacilityFormat::Geojson => ImportFormat::Geojson,
        FacilityFormat::Csv => ImportFormat::Csv,
    };
    Ok(read_facilities_as(bytes, format, None, None)?.facilities)
}
