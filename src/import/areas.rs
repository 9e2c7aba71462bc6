//! Admin areas from a GeoJSON FeatureCollection of Polygons / MultiPolygons (and, through
//! [`area_from_record`], from the attribute table of an ESRI Shapefile).
//!
//! Field conventions recognised, in this order (a field named with `--code-field` /
//! `--name-field` wins over all of them):
//!
//! | what | fields |
//! | --- | --- |
//! | level | `--level`, else a `level` property, else the largest *n* of the `ADM<n>_PCODE` fields (COD-AB), else geoBoundaries `shapeType` (`ADM2`) |
//! | code | `code`, else `ADM<level>_PCODE`, else geoBoundaries `shapeID`, else `id` |
//! | name | `name`, else `ADM<level>_EN`, else `shapeName`, else the code |
//! | names | a `names` object, `ADM<level>_<LANG>` (`ADM2_RU`, `ADM2_KK`, …), `shapeName` as English |
//! | parent | `parent`, else `ADM<level-1>_PCODE`, else the country of `ISO_3166_2` / `shapeISO` (`KZ-ALA` → `KZ`) or of geoBoundaries `shapeGroup` (ISO3 → ISO2 for the region) |
//!
//! Geometry is WGS84 longitude/latitude only: a GeoJSON `crs` naming anything other than
//! CRS84 / EPSG:4326, or a coordinate outside ±180 / ±90 (a projected file), is refused
//! with a message that says so. An invalid polygon (self-intersection, bow-tie, spike) is
//! repaired with `geo`'s [`MakeValid`] when that is safe — the repaired shape is valid and
//! its area is within 1 % of the original's — and reported in [`AreaRead::repaired`];
//! otherwise it is a record error. Nothing here panics on malformed input.

use super::RecordError;
use crate::model::Area;
use geo::{Area as _, BoundingRect, MakeValid, Validation};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// How to read an areas file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaOptions {
    /// Admin level of every area (0 country, 1 region, 2 district); inferred when absent.
    pub level: Option<u8>,
    /// The attribute holding the area code (P-code), when not a recognised one.
    pub code_field: Option<String>,
    /// The attribute holding the name, when not a recognised one.
    pub name_field: Option<String>,
}

/// One polygon that was invalid and has been repaired.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Repair {
    /// Feature index (0-based).
    pub index: usize,
    /// The area's code.
    pub code: String,
    /// What was wrong.
    pub problem: String,
    /// Area (square degrees) before and after the repair.
    pub area_before: f64,
    /// Area after the repair.
    pub area_after: f64,
}

/// What an areas file gave.
#[derive(Debug, Clone, Default)]
pub struct AreaRead {
    /// The areas, in file order.
    pub areas: Vec<Area>,
    /// Polygons repaired on the way.
    pub repaired: Vec<Repair>,
    /// Things the user should know that did not stop the import.
    pub warnings: Vec<String>,
}

/// The most a repair may change a polygon's area (relative) and still count as safe.
const SAFE_REPAIR_AREA_CHANGE: f64 = 0.01;

/// Parses areas; `level` overrides the `level` property.
pub fn read_geojson(bytes: &[u8], level: Option<u8>) -> Result<Vec<Area>, Vec<RecordError>> {
    let options = AreaOptions {
        level,
        ..AreaOptions::default()
    };
    read_geojson_with(bytes, &options).map(|read| read.areas)
}

/// Parses areas with the given options, repairing what can safely be repaired.
pub fn read_geojson_with(
    bytes: &[u8],
    options: &AreaOptions,
) -> Result<AreaRead, Vec<RecordError>> {
    let mut read = AreaRead::default();
    let mut errors = Vec::new();
    let empty = Map::new();
    // Feature by feature: the document is never held as a JSON tree (an outline's
    // coordinates take ~10× their text as `Value`s).
    let others = super::features::each_in_collection(bytes, &mut |index, feature| {
        let props = feature["properties"].as_object().unwrap_or(&empty);
        let geometry = geojson_multipolygon(&feature["geometry"]);
        match area_from_record(index, props, geometry, options) {
            Ok((area, repair)) => {
                read.repaired.extend(repair);
                read.areas.push(area);
            }
            Err(e) => errors.extend(e),
        }
        std::ops::ControlFlow::Continue(())
    })
    .map_err(|e| match e {
        super::features::FeaturesError::Syntax { message, .. } => {
            vec![RecordError::file("", format!("not valid JSON: {message}"))]
        }
        super::features::FeaturesError::NotFeatures => vec![RecordError::file(
            "type",
            "expected a GeoJSON FeatureCollection",
        )],
    })?;
    // A wrong `crs` is the one error reported, whatever the features hold.
    check_geojson_crs(&Value::Object(others))?;
    finish(read, errors)
}

/// Refuses a GeoJSON whose `crs` member names a CRS other than WGS84 lon/lat.
fn check_geojson_crs(doc: &Value) -> Result<(), Vec<RecordError>> {
    let Some(name) = doc["crs"]["properties"]["name"].as_str() else {
        return Ok(());
    };
    let n = name.to_ascii_uppercase();
    if n.ends_with("CRS84") || n.ends_with("4326") {
        Ok(())
    } else {
        Err(vec![RecordError::file(
            "crs",
            format!(
                "the file's coordinate system is {name}; Tirek reads WGS84 longitude/latitude \
                 (EPSG:4326 / CRS84) only — reproject the file first"
            ),
        )])
    }
}

/// Checks every area's code is unique and returns the result.
pub(crate) fn finish(
    read: AreaRead,
    mut errors: Vec<RecordError>,
) -> Result<AreaRead, Vec<RecordError>> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, a) in read.areas.iter().enumerate() {
        if let Some(prev) = first.insert(&a.code, i) {
            errors.push(RecordError {
                index: Some(i),
                id: Some(a.code.clone()),
                field: "code".into(),
                message: format!("the code is used by area {prev} too"),
                column: None,
            });
        }
    }
    if errors.is_empty() {
        Ok(read)
    } else {
        Err(errors)
    }
}

/// A GeoJSON geometry value → MultiPolygon, or why not.
fn geojson_multipolygon(value: &Value) -> Result<geo::MultiPolygon<f64>, (String, String)> {
    let geometry = serde_json::from_value::<geojson::Geometry>(value.clone()).map_err(|e| {
        (
            "geometry".to_string(),
            format!("not a GeoJSON geometry: {e}"),
        )
    })?;
    let unreadable = |_| {
        (
            "geometry.coordinates".to_string(),
            "unreadable polygon coordinates".to_string(),
        )
    };
    match &geometry.value {
        geojson::GeometryValue::Polygon { .. } => geo::Polygon::try_from(&geometry.value)
            .map(|p| geo::MultiPolygon(vec![p]))
            .map_err(unreadable),
        geojson::GeometryValue::MultiPolygon { .. } => {
            geo::MultiPolygon::try_from(&geometry.value).map_err(unreadable)
        }
        _ => Err((
            "geometry.type".into(),
            "an area must be a Polygon or MultiPolygon".into(),
        )),
    }
}

/// ISO 3166-1 alpha-3 → alpha-2 for the region and its neighbours (geoBoundaries'
/// `shapeGroup`); other codes are kept as they are.
pub fn iso3_to_iso2(iso3: &str) -> Option<&'static str> {
    Some(match iso3.to_ascii_uppercase().as_str() {
        "KAZ" => "KZ",
        "KGZ" => "KG",
        "TJK" => "TJ",
        "TKM" => "TM",
        "UZB" => "UZ",
        "AFG" => "AF",
        "CHN" => "CN",
        "RUS" => "RU",
        "IRN" => "IR",
        "MNG" => "MN",
        "AZE" => "AZ",
        _ => return None,
    })
}

/// One area from its attributes and geometry (GeoJSON properties or a Shapefile's DBF
/// row as JSON values). Returns the area and the repair made, if any.
pub(crate) fn area_from_record(
    index: usize,
    props: &Map<String, Value>,
    geometry: Result<geo::MultiPolygon<f64>, (String, String)>,
    options: &AreaOptions,
) -> Result<(Area, Option<Repair>), Vec<RecordError>> {
    let text = |key: &str| {
        props.get(key).and_then(|v| match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(
                n.as_i64()
                    .map(|i| i.to_string())
                    .unwrap_or_else(|| n.to_string()),
            ),
            _ => None,
        })
    };
    let pcode_level = |k: &String| -> Option<u8> {
        k.strip_prefix("ADM")?
            .strip_suffix("_PCODE")?
            .parse::<u8>()
            .ok()
    };
    let inferred_level = props.keys().filter_map(pcode_level).max().or_else(|| {
        text("shapeType").and_then(|t| t.strip_prefix("ADM").and_then(|n| n.parse::<u8>().ok()))
    });
    let level = options.level.or_else(|| {
        props
            .get("level")
            .and_then(Value::as_u64)
            .and_then(|l| u8::try_from(l).ok())
            .or(inferred_level)
    });
    let code = match &options.code_field {
        Some(field) => text(field),
        None => text("code")
            .or_else(|| level.and_then(|l| text(&format!("ADM{l}_PCODE"))))
            .or_else(|| inferred_level.and_then(|l| text(&format!("ADM{l}_PCODE"))))
            .or_else(|| text("shapeID"))
            .or_else(|| text("id")),
    };
    let error = |field: &str, message: String| RecordError {
        index: Some(index),
        id: code.clone(),
        field: field.into(),
        message,
        column: None,
    };
    let mut errors = Vec::new();
    if code.is_none() {
        errors.push(match &options.code_field {
            Some(f) => error(
                &format!("properties.{f}"),
                format!("no area code in the field {f:?}"),
            ),
            None => error(
                "properties.code",
                "no area code (code, ADMn_PCODE, shapeID or id; or name the field with --code-field)"
                    .into(),
            ),
        });
    }
    if level.is_none() {
        errors.push(error(
            "properties.level",
            "no admin level (no level or ADMn_PCODE field; give it with --level)".into(),
        ));
    }
    let multi = match geometry {
        Ok(m) => Some(m),
        Err((field, message)) => {
            errors.push(error(&field, message));
            None
        }
    };
    let (Some(code), Some(level), Some(multi)) = (code.clone(), level, multi) else {
        return Err(errors);
    };
    if let Some(problem) = coordinate_problem(&multi) {
        return Err(vec![error("geometry.coordinates", problem)]);
    }
    let (geometry, repair) = match repair_if_needed(multi) {
        Ok((g, None)) => (g, None),
        Ok((g, Some((problem, before, after)))) => (
            g,
            Some(Repair {
                index,
                code: code.clone(),
                problem,
                area_before: before,
                area_after: after,
            }),
        ),
        Err(message) => return Err(vec![error("geometry", message)]),
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
            && !v.trim().is_empty()
        {
            names.insert(lang.to_ascii_lowercase(), v.trim().to_string());
        }
    }
    if let Some(shape_name) = text("shapeName") {
        names.entry("en".into()).or_insert(shape_name);
    }
    let name = match &options.name_field {
        Some(f) => text(f),
        None => None,
    }
    .or_else(|| text("name"))
    .or_else(|| names.get("en").cloned())
    .unwrap_or_else(|| code.clone());
    let country_of_iso = |key: &str| {
        text(key).and_then(|iso| {
            let (country, rest) = iso.split_once('-')?;
            (country.len() == 2 && !rest.is_empty()).then(|| country.to_ascii_uppercase())
        })
    };
    let parent = text("parent")
        .or_else(|| {
            (level > 0)
                .then(|| text(&format!("ADM{}_PCODE", level - 1)))
                .flatten()
        })
        .or_else(|| {
            (level > 0)
                .then(|| country_of_iso("ISO_3166_2").or_else(|| country_of_iso("shapeISO")))
                .flatten()
        })
        .or_else(|| {
            (level > 0)
                .then(|| {
                    text("shapeGroup").map(|g| iso3_to_iso2(&g).map_or(g.clone(), str::to_string))
                })
                .flatten()
        });
    Ok((
        Area {
            code,
            level,
            parent,
            name,
            names,
            geometry,
        },
        repair,
    ))
}

/// A coordinate that is not WGS84 degrees (or no coordinates at all).
fn coordinate_problem(multi: &geo::MultiPolygon<f64>) -> Option<String> {
    use geo::CoordsIter;
    if multi.0.is_empty() {
        return Some("the polygon has no rings".into());
    }
    for c in multi.coords_iter() {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Some("a coordinate is not a finite number".into());
        }
        if c.x.abs() > 180.0 || c.y.abs() > 90.0 {
            return Some(format!(
                "coordinate ({}, {}) is outside longitude ±180 / latitude ±90: the file looks \
                 projected; Tirek reads WGS84 longitude/latitude (EPSG:4326) only — reproject it",
                c.x, c.y
            ));
        }
    }
    None
}

/// Returns the geometry unchanged when valid; otherwise the repaired geometry with
/// `(problem, area before, area after)`, or an error when no safe repair exists.
#[allow(clippy::type_complexity)]
fn repair_if_needed(
    multi: geo::MultiPolygon<f64>,
) -> Result<(geo::MultiPolygon<f64>, Option<(String, f64, f64)>), String> {
    // Rings with fewer than 3 distinct points carry no area: drop them up front.
    let cleaned = drop_degenerate_rings(&multi);
    if cleaned.0.is_empty() {
        return Err("every ring has fewer than 3 distinct points".into());
    }
    let problems: Vec<String> = cleaned
        .0
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.validation_errors()
                .into_iter()
                .map(move |e| format!("polygon {i}: {e}"))
        })
        .collect();
    if problems.is_empty() {
        return Ok((cleaned, None));
    }
    let problem = problems.join("; ");
    let before: f64 = cleaned.0.iter().map(|p| p.unsigned_area()).sum();
    let repaired = std::panic::catch_unwind(|| cleaned.make_valid())
        .map_err(|_| format!("{problem}; the repair failed"))?
        .map_err(|e| format!("{problem}; the repair failed: {e}"))?;
    let after = repaired.unsigned_area();
    let same_extent = match (cleaned.bounding_rect(), repaired.bounding_rect()) {
        (Some(a), Some(b)) => {
            let tol = 1e-9 + 0.01 * (a.width().max(a.height()));
            (a.min().x - b.min().x).abs() <= tol
                && (a.min().y - b.min().y).abs() <= tol
                && (a.max().x - b.max().x).abs() <= tol
                && (a.max().y - b.max().y).abs() <= tol
        }
        _ => false,
    };
    let safe = !repaired.0.is_empty()
        && repaired.is_valid()
        && same_extent
        && before > 0.0
        && ((after - before) / before).abs() <= SAFE_REPAIR_AREA_CHANGE;
    if safe {
        Ok((repaired, Some((problem, before, after))))
    } else {
        Err(format!(
            "{problem}; not repaired automatically because the repair would change the shape \
             (area {before:.6} → {after:.6} square degrees): fix it in a GIS"
        ))
    }
}

fn drop_degenerate_rings(multi: &geo::MultiPolygon<f64>) -> geo::MultiPolygon<f64> {
    let distinct = |ring: &geo::LineString<f64>| {
        let mut pts: Vec<(u64, u64)> = ring
            .0
            .iter()
            .map(|c| (c.x.to_bits(), c.y.to_bits()))
            .collect();
        pts.sort_unstable();
        pts.dedup();
        pts.len()
    };
    geo::MultiPolygon(
        multi
            .0
            .iter()
            .filter(|p| distinct(p.exterior()) >= 3)
            .map(|p| {
                geo::Polygon::new(
                    p.exterior().clone(),
                    p.interiors()
                        .iter()
                        .filter(|r| distinct(r) >= 3)
                        .cloned()
                        .collect(),
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn collection(features: Vec<Value>) -> Vec<u8> {
        json!({"type": "FeatureCollection", "features": features})
            .to_string()
            .into_bytes()
    }

    fn square(props: Value, x0: f64, y0: f64, size: f64) -> Value {
        json!({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates":
            [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]}})
    }

    #[test]
    fn cod_ab_fields_give_level_code_names_and_parent() {
        let bytes = collection(vec![square(
            json!({"ADM2_PCODE": "KZ0101", "ADM2_EN": "Abai", "ADM2_RU": "Абай", "ADM2_KK": "Абай",
                   "ADM1_PCODE": "KZ01", "ADM1_EN": "Region"}),
            70.0,
            45.0,
            1.0,
        )]);
        let read = read_geojson_with(&bytes, &AreaOptions::default()).unwrap();
        let a = &read.areas[0];
        assert_eq!((a.code.as_str(), a.level), ("KZ0101", 2));
        assert_eq!(a.parent.as_deref(), Some("KZ01"));
        assert_eq!(a.name, "Abai");
        assert_eq!(a.names["ru"], "Абай");
        assert_eq!(a.names.len(), 3);
    }

    #[test]
    fn geoboundaries_fields_and_flags() {
        let props = json!({"shapeName": "Asht", "shapeID": "123B", "shapeGroup": "TJK", "shapeType": "ADM2", "alt": "Ашт", "k": "X1"});
        let bytes = collection(vec![square(props, 70.0, 40.0, 0.5)]);
        let read = read_geojson_with(&bytes, &AreaOptions::default()).unwrap();
        let a = &read.areas[0];
        assert_eq!(
            (a.code.as_str(), a.level, a.name.as_str()),
            ("123B", 2, "Asht")
        );
        assert_eq!(a.parent.as_deref(), Some("TJ"));
        let options = AreaOptions {
            level: Some(3),
            code_field: Some("k".into()),
            name_field: Some("alt".into()),
        };
        let a = &read_geojson_with(&bytes, &options).unwrap().areas[0];
        assert_eq!(
            (a.code.as_str(), a.level, a.name.as_str()),
            ("X1", 3, "Ашт")
        );
        let options = AreaOptions {
            code_field: Some("missing".into()),
            ..AreaOptions::default()
        };
        let errors = read_geojson_with(&bytes, &options).unwrap_err();
        assert_eq!(errors[0].field, "properties.missing");
    }

    #[test]
    fn projected_coordinates_and_crs_are_refused() {
        let bytes = collection(vec![square(
            json!({"code": "A", "level": 1}),
            500000.0,
            4000000.0,
            1000.0,
        )]);
        let errors = read_geojson(&bytes, None).unwrap_err();
        assert!(errors[0].message.contains("projected"), "{errors:?}");
        let mut doc: Value = serde_json::from_slice(&collection(vec![])).unwrap();
        doc["crs"] = json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32642"}});
        let errors = read_geojson(doc.to_string().as_bytes(), Some(1)).unwrap_err();
        assert!(errors[0].message.contains("WGS84"), "{errors:?}");
    }

    #[test]
    fn a_small_self_intersection_is_repaired_and_a_bowtie_is_reported() {
        // A square with a tiny loop on its top edge.
        let ring = json!([
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [6.0, 10.0],
            [4.9, 10.1],
            [5.1, 10.1],
            [4.0, 10.0],
            [0.0, 10.0],
            [0.0, 0.0]
        ]);
        let f = json!({"type": "Feature", "properties": {"code": "A", "level": 2},
                       "geometry": {"type": "Polygon", "coordinates": [ring]}});
        let read = read_geojson_with(&collection(vec![f]), &AreaOptions::default()).unwrap();
        assert_eq!(read.repaired.len(), 1, "{:?}", read.repaired);
        assert!(read.areas[0].geometry.is_valid());
        let bowtie = json!({"type": "Feature", "properties": {"code": "B", "level": 2},
            "geometry": {"type": "Polygon", "coordinates": [[[0.0, 0.0], [0.0, 10.0], [10.0, 0.0], [10.0, 10.0], [0.0, 0.0]]]}});
        let errors = read_geojson(&collection(vec![bowtie]), None).unwrap_err();
        assert_eq!(errors[0].id.as_deref(), Some("B"));
        assert!(
            errors[0].message.contains("self-intersection"),
            "{errors:?}"
        );
    }

    #[test]
    fn degenerate_and_duplicate_records_are_errors_not_panics() {
        let empty = json!({"type": "Feature", "properties": {"code": "E", "level": 1},
                           "geometry": {"type": "Polygon", "coordinates": [[[1.0, 1.0], [1.0, 1.0]]]}});
        assert!(read_geojson(&collection(vec![empty]), None).is_err());
        let no_rings = json!({"type": "Feature", "properties": {"code": "E", "level": 1},
                              "geometry": {"type": "MultiPolygon", "coordinates": []}});
        assert!(read_geojson(&collection(vec![no_rings]), None).is_err());
        let a = square(json!({"code": "D", "level": 1}), 0.0, 0.0, 1.0);
        let errors = read_geojson(&collection(vec![a.clone(), a]), None).unwrap_err();
        assert_eq!(
            (errors[0].index, errors[0].field.as_str()),
            (Some(1), "code")
        );
    }
}
