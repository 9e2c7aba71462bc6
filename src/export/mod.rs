//! Writing out: facilities (GeoJSON, CSV with an HXL hashtag row) and the audit log.
//! Every format written here is read back by [`crate::import`] where it is an input.

mod audit;
mod facilities;

pub use audit::audit_csv;
pub use facilities::{FacilityCollection, csv, geojson};
