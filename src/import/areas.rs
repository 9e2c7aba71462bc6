//! Admin areas from a GeoJSON FeatureCollection of Polygons / MultiPolygons. The code
//! is the `code` property, else the first `ADM<n>_PCODE`, else `shapeID`, else `id`; the
//! name is `name`, else `ADM<n>_EN`, else `shapeName`; names by language come from a
//! `names` object or `ADM<n>_<LANG>` fields.

use super::RecordError;
use crate::model::Area;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Parses areas; `level` overrides the `level` property.
pub fn read_geojson(bytes: &[u8], level: Option<u8>) -> Result<Vec<Area>, Vec<RecordError>> {
    let doc: Value = serde_json::from_slice(bytes)
        .map_err(|e| vec![RecordError::file("", format!("not valid JSON: {e}"))])?;
    let Some(features) = doc["features"].as_array() else {
        return Err(vec![RecordError::file(
            "type",
            "expected a GeoJSON FeatureCollection",
        )]);
    };
    let mut areas = Vec::new();
    let mut errors = Vec::new();
    for (index, feature) in features.iter().enumerate() {
        let empty = Map::new();
        let props = feature["properties"].as_object().unwrap_or(&empty);
        let text = |key: &str| {
            props.get(key).and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_i64().map(|n| n.to_string()))
            })
        };
        let pcode_key = props
            .keys()
            .filter(|k| k.starts_with("ADM") && k.ends_with("_PCODE"))
            .max()
            .cloned();
        let code = text("code")
            .or_else(|| pcode_key.as_deref().and_then(text))
            .or_else(|| text("shapeID"))
            .or_else(|| text("id"));
        let fail = |errors: &mut Vec<RecordError>, field: &str, message: String| {
            errors.push(RecordError {
                index: Some(index),
                id: code.clone(),
                field: field.into(),
                message,
            })
        };
        let Some(code) = code.clone() else {
            fail(
                &mut errors,
                "properties.code",
                "no area code (code, ADMn_PCODE, shapeID or id)".into(),
            );
            continue;
        };
        let level = level.or_else(|| {
            props
                .get("level")
                .and_then(Value::as_u64)
                .and_then(|l| u8::try_from(l).ok())
        });
        let Some(level) = level else {
            fail(
                &mut errors,
                "properties.level",
                "no admin level (give it with --level)".into(),
            );
            continue;
        };
        let geometry =
            match serde_json::from_value::<geojson::Geometry>(feature["geometry"].clone()) {
                Ok(g) => g,
                Err(e) => {
                    fail(
                        &mut errors,
                        "geometry",
                        format!("not a GeoJSON geometry: {e}"),
                    );
                    continue;
                }
            };
        let multi = match &geometry.value {
            geojson::GeometryValue::Polygon { .. } => {
                geo::Polygon::try_from(&geometry.value).map(|p| geo::MultiPolygon(vec![p]))
            }
            geojson::GeometryValue::MultiPolygon { .. } => {
                geo::MultiPolygon::try_from(&geometry.value)
            }
            _ => {
                fail(
                    &mut errors,
                    "geometry.type",
                    "an area must be a Polygon or MultiPolygon".into(),
                );
                continue;
            }
        };
        let Ok(multi) = multi else {
            fail(
                &mut errors,
                "geometry.coordinates",
                "unreadable polygon coordinates".into(),
            );
            continue;
        };
        let mut names: BTreeMap<String, String> = props
            .get("names")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let prefix = format!("ADM{level}_");
        for (k, v) in props {
            if let (Some(lang), Some(v)) = (k.strip_prefix(&prefix), v.as_str())
                && lang.len() == 2
                && lang.chars().all(|c| c.is_ascii_uppercase())
            {
                names.insert(lang.to_ascii_lowercase(), v.to_string());
            }
        }
        let name = text("name")
            .or_else(|| names.get("en").cloned())
            .or_else(|| text("shapeName"))
            .unwrap_or_else(|| code.clone());
        let parent_key = format!("ADM{}_PCODE", level.saturating_sub(1));
        let parent = text("parent").or_else(|| if level > 0 { text(&parent_key) } else { None });
        areas.push(Area {
            code,
            level,
            parent,
            name,
            names,
            geometry: multi,
        });
    }
    if errors.is_empty() {
        Ok(areas)
    } else {
        Err(errors)
    }
}
