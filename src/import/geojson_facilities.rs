//! Facilities from a GeoJSON FeatureCollection whose properties are Tirek's record
//! fields (what `export --format geojson` writes), or one such Feature.

use super::RecordError;
use super::features::{self, EachFeature, FeaturesError};
use crate::model::Facility;
use std::ops::ControlFlow;

/// The most errors listed before the rest are summarised.
pub const MAX_ERRORS: usize = 1000;

/// Parses `bytes` as a FeatureCollection of facilities.
pub fn read(bytes: &[u8]) -> Result<Vec<Facility>, Vec<RecordError>> {
    let mut facilities = Vec::new();
    read_each(&mut |each| features::each_in_slice(bytes, each), &mut |f| {
        facilities.push(f);
        ControlFlow::Continue(())
    })?;
    Ok(facilities)
}

/// Reads facilities feature by feature from `walk` (a walk over a slice or a reader,
/// see [`features`]), handing each valid one to `each` in order until it returns
/// `Break`. Fails with every problem found: all record errors (up to [`MAX_ERRORS`]),
/// or the one error of a document that is not a FeatureCollection or not JSON (then
/// any record errors found before it are dropped, as when the document was parsed
/// whole first). `each` may have been called before an error is found.
pub fn read_each(
    walk: &mut dyn FnMut(&mut EachFeature<'_>) -> Result<features::Walked, FeaturesError>,
    each: &mut dyn FnMut(Facility) -> ControlFlow<()>,
) -> Result<usize, Vec<RecordError>> {
    let mut errors = Vec::new();
    let mut read = 0;
    let walked = walk(&mut |index, feature| {
        match Facility::from_feature(&feature) {
            Ok(f) => {
                read += 1;
                if errors.is_empty() && each(f).is_break() {
                    return ControlFlow::Break(());
                }
            }
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
                    column: None,
                }));
            }
        }
        if errors.len() >= MAX_ERRORS {
            errors.push(RecordError::file(
                "",
                format!("stopped after {MAX_ERRORS} errors at feature {index}"),
            ));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    match walked {
        Err(e @ FeaturesError::Syntax { .. }) => Err(vec![RecordError::file("", e.to_string())]),
        Err(e @ FeaturesError::NotFeatures) => Err(vec![RecordError::file("type", e.to_string())]),
        Ok(_) if !errors.is_empty() => Err(errors),
        Ok(_) => Ok(read),
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
