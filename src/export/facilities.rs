//! Facilities out: GeoJSON FeatureCollection and CSV with an HXL hashtag row. What is
//! written is read back unchanged by [`crate::import`].

use crate::import::csv_facilities::{COLUMNS, row};
use crate::model::geojson::CollectionTag;
use crate::model::{Facility, FacilityFeature};
use serde::Serialize;

/// Facilities as a GeoJSON FeatureCollection: what `GET /api/facilities`, `GET
/// /api/export` and `tirek export` write, and `import` reads back.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FacilityCollection {
    /// Always `"FeatureCollection"`.
    #[serde(rename = "type")]
    pub kind: CollectionTag,
    /// The facilities.
    pub features: Vec<FacilityFeature>,
    /// Listings: how many of the features are synthetic demo records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demo_records: Option<usize>,
    /// Listings: the verification age (days) behind `verification_overdue`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_max_age_days: Option<u32>,
    /// Exports for the public: how many confidential records were left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A FeatureCollection of `facilities`.
pub fn geojson(facilities: impl IntoIterator<Item = Facility>) -> FacilityCollection {
    FacilityCollection {
        kind: CollectionTag::FeatureCollection,
        features: facilities.into_iter().map(FacilityFeature::from).collect(),
        demo_records: None,
        verification_max_age_days: None,
        note: None,
    }
}

/// CSV text: a header row, an HXL hashtag row, one row per facility.
pub fn csv<'a>(facilities: impl IntoIterator<Item = &'a Facility>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = COLUMNS.iter().map(|(name, _)| *name).collect();
    let hashtags: Vec<&str> = COLUMNS.iter().map(|(_, tag)| *tag).collect();
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(&header);
    let _ = writer.write_record(&hashtags);
    for f in facilities {
        let _ = writer.write_record(row(f));
    }
    String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
}
