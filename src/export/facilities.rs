//! Facilities out: GeoJSON FeatureCollection and CSV with an HXL hashtag row. What is
//! written is read back unchanged by [`crate::import`].

use crate::import::csv_facilities::{COLUMNS, row};
use crate::model::Facility;
use serde_json::{Value, json};

/// A FeatureCollection of `facilities`.
pub fn geojson<'a>(facilities: impl IntoIterator<Item = &'a Facility>) -> Value {
    let features: Vec<Value> = facilities.into_iter().map(Facility::to_feature).collect();
    json!({"type": "FeatureCollection", "features": features})
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
