//! Travel time over a friction surface, as WHO AccessMod and the Malaria Atlas
//! Project compute it: the least time from a sector's facilities to every cell of a
//! raster whose cells say how many minutes a metre takes to cross.
//!
//! The definition reproduced (`../shared/bench/travel/README.md`): a GeoTIFF in
//! EPSG:4326, north up; a cell is impassable when it holds the NoData value, NaN or a
//! value ≤ 0, else its value is friction in minutes per metre. A move to one of the 8
//! neighbours costs the WGS84 geodesic between the two cell centres times the mean
//! friction of the two cells; every facility of a sector starts at time 0 in the cell
//! that holds it (one in an impassable cell or off the surface reaches nothing); a
//! point's time is its cell's least time, and it is covered when that time is at most
//! the sector's threshold (inclusive).
//!
//! - `surface`: [`FrictionSurface`], the grid (f32 friction with an impassable border,
//!   per-row geodesic step lengths) and its GeoTIFF reader;
//! - `engine`: least times from many sources on the grid
//!   ([`FrictionSurface::travel_times`]; exactly Dijkstra's answer), 8 neighbours or
//!   AccessMod's 16 (knight's moves, label-correcting by blocks) on request;
//! - `sweep`: the 8 neighbours' search, by row sweeps over blocks;
//! - `heap`: the searches' queues (blocks by least pending time, bands of time);
//! - `access`: facilities and points placed on the surface, times per sector at many
//!   points (sectors in parallel), and [`TravelTimeAccess`], the coverage module's
//!   [`crate::coverage::AccessModel`] by minutes, and [`TravelTimeGrid`], the gap
//!   grid's measure by minutes;
//! - `catchment`: the nearest facility in time of every cell and its time
//!   ([`FrictionSurface::catchments`]), exact with ties to the lowest index: the one
//!   implementation behind `tirek travel-time --out-tif` and `/api/travel/catchments`;
//! - [`build`]: friction surfaces built AccessMod-style from a land cover, a scenario
//!   table and OpenStreetMap roads and water.
//!
//! - `scenarios`: named surfaces as the server holds them ([`Scenario`]), the
//!   facilities placed on each, nearest by minutes from a point;
//! - `point_search`: the bounded Dijkstra outwards from one point that those use;
//! - `siting`: where to add sites by travel time (greedy maximal covering).
//!
//! No HTTP and no command line here; the one error type is [`TravelError`].

mod access;
pub mod build;
mod catchment;
mod engine;
mod heap;
pub mod point_search;
pub mod scenarios;
pub mod siting;
mod surface;
mod sweep;

pub use access::{
    MinuteThresholds, Placement, SectorSources, TravelTimeAccess, TravelTimeGrid, place,
    sector_sources, site_sources, times_at_cells,
};
pub use catchment::Catchments;
pub use engine::{Moves, TimeSurface};
pub use point_search::{SearchEnd, SearchLimits};
pub use scenarios::{Scenario, ScenarioError, Scenarios, TimedHit};
pub use surface::{FrictionSurface, read_friction_geotiff};

/// Why a friction surface cannot be used. Nothing is written when one of these occurs.
#[derive(Debug, thiserror::Error)]
pub enum TravelError {
    /// The bytes are not a TIFF at all.
    #[error(
        "not a TIFF file: a friction surface is a GeoTIFF (e.g. the Malaria Atlas Project's friction surface)"
    )]
    NotTiff,
    /// A TIFF the decoder cannot read.
    #[error("not a readable GeoTIFF: {0}")]
    Tiff(String),
    /// No georeferencing tags.
    #[error(
        "the TIFF has no georeferencing (ModelPixelScale + ModelTiepoint or ModelTransformation): export it as a GeoTIFF in EPSG:4326"
    )]
    NotGeoreferenced,
    /// A projected (or otherwise non-WGS84) coordinate system.
    #[error(
        "the friction surface is in {0}; Tirek reads friction surfaces in WGS84 longitude/latitude (EPSG:4326) only — reproject it first (gdalwarp -t_srs EPSG:4326)"
    )]
    NotGeographic(String),
    /// A compression the decoder does not have.
    #[error(
        "the friction surface uses {0} compression, which Tirek does not read; rewrite it with deflate, LZW or none (gdal_translate -co COMPRESS=DEFLATE)"
    )]
    Compression(String),
    /// A sample type other than one band of integers or floats.
    #[error(
        "the friction surface holds {0}; Tirek reads one band of floating-point (16, 32, 64-bit) or integer (8 to 64-bit) values"
    )]
    SampleType(String),
    /// A layout Tirek does not read: rotated, south-up, several bands, empty.
    #[error("{0}")]
    Unsupported(String),
}

impl From<crate::import::raster::RasterError> for TravelError {
    fn from(e: crate::import::raster::RasterError) -> Self {
        use crate::import::raster::RasterError as R;
        match e {
            R::Tiff(m) => TravelError::Tiff(m),
            R::NotGeoreferenced => TravelError::NotGeoreferenced,
            R::NotWgs84(m) => TravelError::NotGeographic(m),
            R::Unsupported(m) => TravelError::Unsupported(m),
        }
    }
}

/// A seeded surface for the engines' tests: friction from a small generator, about one
/// cell in seven impassable (walls and lakes of single cells).
#[cfg(test)]
pub(crate) fn seeded_surface(width: usize, height: usize, seed: u64) -> FrictionSurface {
    let mut x = seed;
    let values: Vec<f32> = (0..width * height)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (x >> 33) as f32 / (1u64 << 31) as f32;
            if u < 0.15 { -1.0 } else { 0.001 + u * 0.05 }
        })
        .collect();
    FrictionSurface::new(width, height, (70.0, 42.0), (0.05, 0.04), &values, None)
        .expect("a valid surface")
}
