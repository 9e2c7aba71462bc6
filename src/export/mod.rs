//! Writing out: facilities (GeoJSON, CSV with an HXL hashtag row), the audit log and
//! single-band GeoTIFF rasters (`geotiff`).
//! Every format written here is read back by [`crate::import`] where it is an input.

mod audit;
mod facilities;
pub mod geotiff;

pub use audit::audit_csv;
pub use facilities::{FacilityCollection, csv, geojson};
