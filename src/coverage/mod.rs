//! Coverage analysis for planners: which people are within reach of each sector's
//! services, per admin area, and where the gaps are.
//!
//! The [`AccessModel`] decides what "within reach" means; [`GeodesicAccess`] (exact WGS84
//! distance against a per-sector threshold, inclusive) is the one model today, and a
//! travel-time model (road graph, friction surface) can be added without touching the
//! callers. Everything here is pure computation on points: no store, no HTTP.

mod access;
mod assign;
pub mod grid;
pub mod report;
pub mod siting;
mod table;

pub use access::{AccessModel, GeodesicAccess, Thresholds, TravelMode};
pub use assign::{AreaAssignment, assign_to_areas};
pub use table::{AreaCoverage, CoverageInput, CoverageTable, SectorCoverage, compute};

/// A population point: a settlement or a raster cell.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationPoint {
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// People.
    pub population: f64,
    /// Index of the area it belongs to, if any.
    pub area: Option<u32>,
}

/// Population points prepared once for every sector: coordinates, unit vectors and a
/// spatial visiting order.
pub struct PointSet {
    /// Longitude, latitude.
    pub lonlat: Vec<(f64, f64)>,
    /// Unit vectors.
    pub vectors: Vec<[f64; 3]>,
    /// Visiting order (see [`spatial_order`]).
    pub order: Vec<u32>,
}

impl PointSet {
    /// Prepares `lonlat`.
    pub fn new(lonlat: Vec<(f64, f64)>) -> Self {
        let vectors = lonlat
            .iter()
            .map(|&(lon, lat)| crate::geodesy::unit_vector(lon, lat))
            .collect();
        let order = spatial_order(&lonlat);
        Self {
            lonlat,
            vectors,
            order,
        }
    }
}

/// Visiting order along a Morton (Z-order) curve, so that consecutive points are near
/// each other and mostly share their covering facility.
pub fn spatial_order(points: &[(f64, f64)]) -> Vec<u32> {
    let key = |&(lon, lat): &(f64, f64)| -> u64 {
        let x = (((lon + 180.0) / 360.0).clamp(0.0, 1.0) * 65535.0) as u64;
        let y = (((lat + 90.0) / 180.0).clamp(0.0, 1.0) * 65535.0) as u64;
        let spread = |mut v: u64| {
            v = (v | (v << 8)) & 0x00FF_00FF;
            v = (v | (v << 4)) & 0x0F0F_0F0F;
            v = (v | (v << 2)) & 0x3333_3333;
            (v | (v << 1)) & 0x5555_5555
        };
        spread(x) | (spread(y) << 1)
    };
    let mut keyed: Vec<(u64, u32)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (key(p), i as u32))
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}
