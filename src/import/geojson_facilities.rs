//! Facilities from a GeoJSON FeatureCollection whose properties are Tirek's record
//! fields (what `export --format geojson` writes), or one such Feature.

use super::RecordError;
use crate::model::Facility;
use serde_json::Value;

/// The most errors listed before the rest are summarised.
const MAX_ERRORS: usize = 1000;

/// Parses `bytes` as a FeatureCollection of facilities.
pub fn read(bytes: &[u8]) -> Result<Vec<Facility>, Vec<RecordError>> {
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| {
        vec![RecordError::file(
            "",
            format!(
                "not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )]
    })?;
    let one;
    let features = match (&doc["type"], &doc["features"]) {
        (Value::String(t), Value::Array(features)) if t == "FeatureCollection" => features,
        // One Feature (what `GET /api/facilities/{id}` answers) is a collection of one.
        (Value::String(t), _) if t == "Feature" => {
            one = vec![doc.clone()];
            &one
        }
        _ => {
            return Err(vec![RecordError::file(
                "type",
                "expected a GeoJSON FeatureCollection with a \"features\" array",
            )]);
        }
    };
    let mut facilities = Vec::with_capacity(features.len());
    let mut errors = Vec::new();
    for (index, feature) in features.iter().enumerate() {
        match Facility::from_feature(feature) {
            Ok(f) => facilities.push(f),
            Err(problems) => {
                let id = feature["properties"]["id"]
                    .as_str()
                    .or(feature["id"].as_str())
                    .map(str::to_string);
                errors.extend(problems.into_iter().map(|p| RecordError {
                    index: Some(index),
                    id: id.clone(),
                    field: p.field,
                    message: p.message,
                }));
            }
        }
        if errors.len() >= MAX_ERRORS {
            errors.push(RecordError::file(
                "",
                format!("stopped after {MAX_ERRORS} errors at feature {index}"),
            ));
            break;
        }
    }
    if errors.is_empty() {
        Ok(facilities)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bad_feature_fails_the_file_and_is_named() {
        let doc = serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [68.0, 43.0]},
             "properties": {"id": "a", "name": "A", "sectors": ["health"], "country": "KZ"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [68.0, 43.0]},
             "properties": {"id": "b", "name": "B", "sectors": ["hospital"], "country": "KZ"}}]});
        let errors = read(doc.to_string().as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].index, Some(1));
        assert_eq!(errors[0].id.as_deref(), Some("b"));
        assert_eq!(errors[0].field, "properties.sectors[0]");
    }

    #[test]
    fn malformed_json_is_reported_with_position() {
        let errors = read(b"{\"type\": \"FeatureCollection\", ").unwrap_err();
        assert!(errors[0].message.contains("line 1"), "{errors:?}");
    }
}
