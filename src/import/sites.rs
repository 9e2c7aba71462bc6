//! Facilities for analysis only (coverage, batch nearest): GeoJSON Points whose
//! properties need just `id` and `sector` or `sectors`, with `status` (default
//! `active`, as in a record) so that analysis counts the same facilities from a file as
//! from the store; everything else is ignored. Fast and lenient, for files with hundreds
//! of thousands of points. The same fields in a CSV (`id`, `sector` or `sectors`, `lon`,
//! `lat`, optional `status`; other columns ignored) are read too; [`read_sites_any`]
//! tells the two apart.

use super::{CsvHeader, RecordError, csv_line};
use crate::model::{Sector, Status, parse_list};
use serde::Deserialize;

/// A facility reduced to what analysis needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteRecord {
    /// Its id.
    pub id: String,
    /// Its sectors.
    pub sectors: Vec<Sector>,
    /// Whether it takes survivors now (`active` when the file does not say).
    pub status: Status,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// ISO 3166-1 alpha-2 country, when the file gives one (a hotline serves it).
    pub country: Option<String>,
}

#[derive(Deserialize)]
struct Collection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    geometry: Option<Geometry>,
    #[serde(default)]
    properties: Option<Properties>,
}

/// Only the properties analysis needs; the others are skipped without being kept.
#[derive(Deserialize, Default)]
struct Properties {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    sector: Option<serde_json::Value>,
    #[serde(default)]
    sectors: Option<serde_json::Value>,
    #[serde(default)]
    status: Option<serde_json::Value>,
    #[serde(default)]
    country: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    coordinates: serde_json::Value,
}

/// Reads the sites; every bad feature is reported.
pub fn read_sites(bytes: &[u8]) -> Result<Vec<SiteRecord>, Vec<RecordError>> {
    let doc: Collection = serde_json::from_slice(bytes).map_err(|e| {
        vec![RecordError::file(
            "",
            format!("not a GeoJSON FeatureCollection: {e}"),
        )]
    })?;
    let mut sites = Vec::with_capacity(doc.features.len());
    let mut errors = Vec::new();
    for (index, f) in doc.features.into_iter().enumerate() {
        let props = f.properties.unwrap_or_default();
        let id = match &props.id {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let mut fail = |field: &str, message: String| {
            errors.push(RecordError {
                index: Some(index),
                id: id.clone(),
                field: field.into(),
                message,
                column: None,
            })
        };
        let point = match &f.geometry {
            Some(g) if g.kind == "Point" => match g.coordinates.as_array().map(|c| {
                (
                    c.first().and_then(|v| v.as_f64()),
                    c.get(1).and_then(|v| v.as_f64()),
                )
            }) {
                Some((Some(lon), Some(lat)))
                    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
                {
                    Some((lon, lat))
                }
                _ => {
                    fail(
                        "geometry.coordinates",
                        "must be [lon, lat] within -180..180, -90..90".into(),
                    );
                    None
                }
            },
            _ => {
                fail("geometry", "a Point geometry is required".into());
                None
            }
        };
        let text = props.sectors.as_ref().or(props.sector.as_ref());
        let sectors: Result<Vec<Sector>, String> = match text {
            Some(serde_json::Value::String(s)) => parse_list(s).map_err(|e| e.to_string()),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .unwrap_or("")
                        .parse::<Sector>()
                        .map_err(|e| e.to_string())
                })
                .collect(),
            _ => Err("missing: give `sector` or `sectors`".into()),
        };
        let sectors = match sectors {
            Ok(s) if !s.is_empty() => Some(s),
            Ok(_) => {
                fail("properties.sectors", "empty".into());
                None
            }
            Err(e) => {
                fail("properties.sectors", e);
                None
            }
        };
        let status = match &props.status {
            None | Some(serde_json::Value::Null) => Some(Status::Active),
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => Some(Status::Active),
            Some(serde_json::Value::String(s)) => match s.parse::<Status>() {
                Ok(status) => Some(status),
                Err(e) => {
                    fail("properties.status", e.to_string());
                    None
                }
            },
            Some(_) => {
                fail("properties.status", "must be a string".into());
                None
            }
        };
        if id.is_none() {
            fail("properties.id", "missing".into());
        }
        if let (Some(id), Some((lon, lat)), Some(sectors), Some(status)) =
            (id.clone(), point, sectors, status)
        {
            sites.push(SiteRecord {
                id,
                sectors,
                status,
                lon,
                lat,
                country: props
                    .country
                    .as_ref()
                    .and_then(|c| c.as_str())
                    .map(str::to_string),
            });
        }
    }
    if errors.is_empty() {
        Ok(sites)
    } else {
        Err(errors)
    }
}

/// Reads sites from a GeoJSON FeatureCollection ([`read_sites`]) or a CSV
/// ([`read_sites_csv`]), told apart by the first character.
pub fn read_sites_any(bytes: &[u8]) -> Result<Vec<SiteRecord>, Vec<RecordError>> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => read_sites(text),
        _ => read_sites_csv(text),
    }
}

/// Reads sites from a CSV with a header naming `id`, `sector` or `sectors` (several
/// separated by commas inside quotes), `lon`, `lat` and optionally `status` (default
/// `active`); other columns are ignored. Every bad row is reported.
pub fn read_sites_csv(bytes: &[u8]) -> Result<Vec<SiteRecord>, Vec<RecordError>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = CsvHeader::read(&mut reader)?;
    let column = |name: &str| header.column(name);
    let (id, lon, lat) = (column("id"), column("lon"), column("lat"));
    let sector = column("sectors").or_else(|| column("sector"));
    let status = column("status");
    let country = column("country");
    let (Some(id), Some(lon), Some(lat), Some(sector)) = (id, lon, lat, sector) else {
        return Err(vec![RecordError::file(
            "header",
            "a facilities CSV needs the columns id, sector (or sectors), lon, lat".to_string(),
        )]);
    };
    let mut sites = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let line = csv_line(i);
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(RecordError::unreadable_row(line, &e));
                continue;
            }
        };
        let cell = |k: usize| row.get(k).unwrap_or("").trim();
        let site_id = cell(id).to_string();
        let mut fail = |field: &str, message: String| {
            errors.push(RecordError {
                index: Some(line),
                id: (!site_id.is_empty()).then(|| site_id.clone()),
                field: field.into(),
                message,
                column: None,
            })
        };
        if site_id.is_empty() {
            fail("id", "missing".into());
        }
        let coordinate = |k: usize, range: f64| {
            cell(k)
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && v.abs() <= range)
        };
        let (x, y) = (coordinate(lon, 180.0), coordinate(lat, 90.0));
        if x.is_none() {
            fail(
                "lon",
                format!("{:?} is not a longitude in -180..180", cell(lon)),
            );
        }
        if y.is_none() {
            fail(
                "lat",
                format!("{:?} is not a latitude in -90..90", cell(lat)),
            );
        }
        let sectors = match parse_list::<Sector>(cell(sector)) {
            Ok(s) if !s.is_empty() => Some(s),
            Ok(_) => {
                fail("sector", "missing".into());
                None
            }
            Err(e) => {
                fail("sector", e.to_string());
                None
            }
        };
        let state = match status.map(cell).filter(|s| !s.is_empty()) {
            None => Some(Status::Active),
            Some(text) => match text.parse::<Status>() {
                Ok(s) => Some(s),
                Err(e) => {
                    fail("status", e.to_string());
                    None
                }
            },
        };
        if let (false, Some(lon), Some(lat), Some(sectors), Some(status)) =
            (site_id.is_empty(), x, y, sectors, state)
        {
            sites.push(SiteRecord {
                id: site_id,
                sectors,
                status,
                lon,
                lat,
                country: country
                    .map(|k| cell(k).to_string())
                    .filter(|c| !c.is_empty()),
            });
        }
    }
    if errors.is_empty() {
        Ok(sites)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_csv_row_is_named_by_its_line_in_the_file() {
        let csv = "id,sector,lon,lat\na,health,68.0,43.0\nb,hospital,68.0,43.0\n";
        let errors = read_sites_csv(csv.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        // Header on line 1, `a` on line 2: `b` is on line 3.
        assert_eq!(errors[0].index, Some(3));
        assert_eq!(errors[0].id.as_deref(), Some("b"));
        assert_eq!(errors[0].field, "sector");
    }
}
