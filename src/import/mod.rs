//! Parsing input files into records, all-or-nothing: bytes in, records or a list of
//! record-level errors out. Nothing here writes; the caller stores the records only
//! when the whole input is valid.

pub mod areas;
pub mod csv_facilities;
pub mod geojson_facilities;
pub mod settlements;

use crate::model::Facility;
use serde::Serialize;
use std::collections::HashMap;

/// One problem in an input file, precise enough to fix the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecordError {
    /// Position of the record: feature index (0-based) or CSV data row (1-based line
    /// number in the file). `None` for problems with the file as a whole.
    pub index: Option<usize>,
    /// The record's id, when it has one.
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

/// The facility formats Tirek reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
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
