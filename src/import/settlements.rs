//! Settlements / population points from CSV: header with at least `id,lon,lat,population`;
//! optional `name`, `name_ru`, `country`, `alt_names` (`|`-separated); other columns are
//! ignored. What `geodata/settlements.csv` holds and what planners' population tables give.

use super::RecordError;
use crate::model::Settlement;

/// Parses settlements CSV.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Settlement>, Vec<RecordError>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| vec![RecordError::file("", format!("unreadable CSV header: {e}"))])?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let required = ["id", "lon", "lat", "population"];
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
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RecordError {
                    index: Some(line),
                    id: None,
                    field: "".into(),
                    message: format!("unreadable row: {e}"),
                });
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
        let population = number("population", pop_at, &mut fail);
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
