//! Settlements / population points from CSV: header with at least `id,lon,lat,population`;
//! optional `name`, `name_ru`, `country`, `alt_names` (`|`-separated); other columns are
//! ignored. What `geodata/settlements.csv` holds and what planners' population tables give.

use super::{CsvHeader, RecordError, csv_line};
use crate::model::Settlement;

/// Parses settlements CSV.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Settlement>, Vec<RecordError>> {
    read_table(bytes, true)
}

pub(super) fn read_table(
    bytes: &[u8],
    with_population: bool,
) -> Result<Vec<Settlement>, Vec<RecordError>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = CsvHeader::read(&mut reader)?;
    let column = |name: &str| header.column(name);
    let required: &[&str] = if with_population {
        &["id", "lon", "lat", "population"]
    } else {
        &["id", "lon", "lat"]
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| column(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(vec![RecordError::file(
            "header",
            format!(
                "missing column(s) {}; the header needs id,lon,lat,population",
                missing.join(", ")
            ),
        )]);
    }
    let at = |name: &str| column(name);
    let (id_at, lon_at, lat_at, pop_at) = (
        at("id").unwrap_or(0),
        at("lon").unwrap_or(0),
        at("lat").unwrap_or(0),
        at("population").unwrap_or(0),
    );
    let (name_at, ru_at, country_at, alt_at) =
        (at("name"), at("name_ru"), at("country"), at("alt_names"));
    let mut settlements = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = csv_line(i);
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RecordError::unreadable_row(line, &e));
                continue;
            }
        };
        let cell = |at: Option<usize>| {
            at.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let id = cell(Some(id_at)).map(str::to_string);
        let mut fail = |field: &str, message: String| {
            errors.push(RecordError {
                index: Some(line),
                id: id.clone(),
                field: field.into(),
                message,
                column: None,
            })
        };
        let number = |field: &str, at: usize, fail: &mut dyn FnMut(&str, String)| -> Option<f64> {
            match cell(Some(at)).map(|t| (t, t.parse::<f64>())) {
                Some((_, Ok(v))) if v.is_finite() => Some(v),
                Some((t, _)) => {
                    fail(field, format!("{t:?} is not a number"));
                    None
                }
                None => {
                    fail(field, "missing".into());
                    None
                }
            }
        };
        let lon = number("lon", lon_at, &mut fail);
        let lat = number("lat", lat_at, &mut fail);
        let population = if with_population {
            number("population", pop_at, &mut fail)
        } else {
            Some(0.0)
        };
        if id.is_none() {
            fail("id", "missing".into());
        }
        let (Some(id), Some(lon), Some(lat), Some(population)) = (id.clone(), lon, lat, population)
        else {
            continue;
        };
        if !(-180.0..=180.0).contains(&lon) {
            fail("lon", format!("longitude {lon} is outside -180..180"));
            continue;
        }
        if !(-90.0..=90.0).contains(&lat) {
            fail("lat", format!("latitude {lat} is outside -90..90"));
            continue;
        }
        if population < 0.0 {
            fail("population", format!("{population} is negative"));
            continue;
        }
        settlements.push(Settlement {
            name: cell(name_at).unwrap_or(&id).to_string(),
            name_ru: cell(ru_at).map(str::to_string),
            alt_names: cell(alt_at)
                .map(|a| a.split('|').map(str::to_string).collect())
                .unwrap_or_default(),
            country: cell(country_at).map(str::to_string),
            adm1: None,
            adm2: None,
            id,
            lon,
            lat,
            population,
        });
    }
    if errors.is_empty() {
        Ok(settlements)
    } else {
        Err(errors)
    }
}

/// What a GeoJSON file of population points gave.
#[derive(Debug, Clone, Default)]
pub struct PointsRead {
    /// Points with a population.
    pub settlements: Vec<Settlement>,
    /// Point features without a population value (counted, not imported).
    pub without_population: usize,
}

/// Population points from a GeoJSON FeatureCollection of Points with a `population`
/// property (a number, or a numeric string such as OSM's `"12 500"`). The id is the
/// `id` property, else OSM's `osm_type`/`osm_id`, else the feature id, else `pt:<index>`;
/// the name is `name`, else `name:en`; `name:ru`/`name_ru` give the Russian name,
/// `country` the country. Features without a population are skipped and counted; a
/// population that is not a non-negative number is a record error.
pub fn read_geojson(bytes: &[u8]) -> Result<PointsRead, Vec<RecordError>> {
    use serde_json::Value;
    use std::ops::ControlFlow;
    let mut out = PointsRead::default();
    let mut errors = Vec::new();
    let empty = serde_json::Map::new();
    // Feature by feature: the document is never held as a JSON tree.
    let walked = super::features::each_in_collection(bytes, &mut |index, feature| {
        let props = feature["properties"].as_object().unwrap_or(&empty);
        let text = |k: &str| {
            props.get(k).and_then(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let id = text("id")
            .or_else(|| {
                text("osm_id").map(|n| {
                    let kind = text("osm_type").unwrap_or_else(|| "node".into());
                    let kind = kind
                        .trim_end_matches('s')
                        .split('_')
                        .next()
                        .unwrap_or("node")
                        .to_string();
                    format!("osm:{kind}:{n}")
                })
            })
            .or_else(|| match &feature["id"] {
                Value::String(s) if !s.is_empty() => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| format!("pt:{index}"));
        let mut fail = |field: &str, message: String| {
            errors.push(RecordError {
                index: Some(index),
                id: Some(id.clone()),
                field: field.into(),
                message,
                column: None,
            })
        };
        let population = match props.get("population") {
            None | Some(Value::Null) => {
                out.without_population += 1;
                return ControlFlow::Continue(());
            }
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) if s.trim().is_empty() => {
                out.without_population += 1;
                return ControlFlow::Continue(());
            }
            Some(Value::String(s)) => s
                .chars()
                .filter(|c| !c.is_whitespace() && *c != ',' && *c != '\u{a0}')
                .collect::<String>()
                .parse::<f64>()
                .ok(),
            Some(_) => None,
        };
        let Some(population) = population.filter(|p| p.is_finite() && *p >= 0.0) else {
            fail(
                "properties.population",
                format!("{} is not a number of people", props["population"]),
            );
            return ControlFlow::Continue(());
        };
        let coords = &feature["geometry"]["coordinates"];
        let (Some("Point"), Some(lon), Some(lat)) = (
            feature["geometry"]["type"].as_str(),
            coords[0].as_f64(),
            coords[1].as_f64(),
        ) else {
            fail("geometry", "a Point geometry is required".into());
            return ControlFlow::Continue(());
        };
        if !(lon.abs() <= 180.0 && lat.abs() <= 90.0) {
            fail(
                "geometry.coordinates",
                format!("({lon}, {lat}) is not a WGS84 longitude/latitude"),
            );
            return ControlFlow::Continue(());
        }
        out.settlements.push(Settlement {
            name: text("name")
                .or_else(|| text("name:en"))
                .unwrap_or_else(|| id.clone()),
            name_ru: text("name:ru").or_else(|| text("name_ru")),
            alt_names: ["name:kk", "name:ky", "name:tg", "name:uz", "name:en"]
                .iter()
                .filter_map(|k| text(k))
                .collect(),
            country: text("country").map(|c| c.to_ascii_uppercase()),
            adm1: None,
            adm2: None,
            id,
            lon,
            lat,
            population,
        });
        ControlFlow::Continue(())
    });
    match walked {
        Err(super::features::FeaturesError::Syntax { message, .. }) => {
            return Err(vec![RecordError::file(
                "",
                format!("not valid JSON: {message}"),
            )]);
        }
        Err(super::features::FeaturesError::NotFeatures) => {
            return Err(vec![RecordError::file(
                "type",
                "expected a GeoJSON FeatureCollection",
            )]);
        }
        Ok(_) => {}
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn geojson_points() {
        let doc = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "A", "population": "12 500", "osm_id": 5, "osm_type": "nodes"},
             "geometry": {"type": "Point", "coordinates": [70.0, 45.0]}},
            {"type": "Feature", "properties": {"name": "B"}, "geometry": {"type": "Point", "coordinates": [70.0, 45.0]}},
        ]});
        let read = read_geojson(doc.to_string().as_bytes()).unwrap();
        assert_eq!(read.settlements.len(), 1);
        assert_eq!(read.settlements[0].id, "osm:node:5");
        assert_eq!(read.settlements[0].population, 12500.0);
        assert_eq!(read.without_population, 1);
        let bad = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"id": "x", "population": "many"}, "geometry": {"type": "Point", "coordinates": [70.0, 45.0]}}]});
        let errors = read_geojson(bad.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            (errors[0].id.as_deref(), errors[0].field.as_str()),
            (Some("x"), "properties.population")
        );
    }
}
