//! Query points of batch analyses (`tirek nearest --points`, `POST /api/nearest/batch`
//! files): a CSV with header `id,lon,lat`, other columns ignored.

use super::RecordError;
use super::settlements::read_table;

/// A query point of a batch (`id,lon,lat`).
#[derive(Debug, Clone, PartialEq)]
pub struct QueryPoint {
    /// Its id.
    pub id: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
}

/// Parses a points CSV with header `id,lon,lat` (other columns ignored).
pub fn read_points(bytes: &[u8]) -> Result<Vec<QueryPoint>, Vec<RecordError>> {
    let rows = read_table(bytes, false)?;
    Ok(rows
        .into_iter()
        .map(|s| QueryPoint {
            id: s.id,
            lon: s.lon,
            lat: s.lat,
        })
        .collect())
}
