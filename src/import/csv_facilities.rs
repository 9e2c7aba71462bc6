//! Facilities as CSV with an HXL hashtag row: the format `export --format csv` writes
//! and spreadsheets exchange. One column per record field; lists are comma-separated
//! inside the cell, names by language are `name_<lang>` columns, shelter capacity is
//! `beds_total`, `beds_available`, `beds_as_of`. Columns are found by header name or by
//! HXL hashtag, so a sheet with only the hashtag row, or columns in another order, reads.
//! A row becomes the same GeoJSON properties a feature has, so both formats share one
//! validation.

use super::RecordError;
use super::geojson_facilities::MAX_ERRORS;
use crate::model::{DERIVED_PROPERTY_NAMES, Facility, Language};
use serde_json::{Map, Value};
use std::ops::ControlFlow;

/// Column header and HXL hashtag, in the order export writes them.
pub const COLUMNS: &[(&str, &str)] = &[
    ("id", "#loc+id"),
    ("name", "#loc+name"),
    ("name_ru", "#loc+name+ru"),
    ("name_kk", "#loc+name+kk"),
    ("name_ky", "#loc+name+ky"),
    ("name_tg", "#loc+name+tg"),
    ("name_tk", "#loc+name+tk"),
    ("name_uz", "#loc+name+uz"),
    ("name_kaa", "#loc+name+kaa"),
    ("name_en", "#loc+name+en"),
    ("organisation", "#org+name"),
    ("organisation_id", "#org+code"),
    ("victim_support_partner", "#org+partner"),
    ("sectors", "#sector+list"),
    ("services", "#service+list"),
    ("lon", "#geo+lon"),
    ("lat", "#geo+lat"),
    ("address", "#loc+address"),
    ("country", "#country+code"),
    ("adm1", "#adm1+code"),
    ("adm2", "#adm2+code"),
    ("phone", "#contact+phone"),
    ("opening_hours", "#meta+opening_hours"),
    ("languages", "#meta+languages"),
    ("female_staff", "#meta+female_staff"),
    ("child_friendly", "#meta+child_friendly"),
    ("wheelchair_access", "#meta+wheelchair_access"),
    ("free_of_charge", "#meta+free_of_charge"),
    (
        "no_police_report_required",
        "#meta+no_police_report_required",
    ),
    ("beds_total", "#capacity+beds+total"),
    ("beds_available", "#capacity+beds+available"),
    ("beds_as_of", "#capacity+beds+date"),
    ("status", "#status"),
    ("confidential", "#meta+confidential"),
    ("verified_at", "#date+verified"),
    ("source", "#meta+source"),
    ("demo", "#meta+demo"),
    ("created_at", "#date+created"),
    ("updated_at", "#date+updated"),
];

/// Columns other tools write for the same fields: GDAL/QGIS CSV (`ogr2ogr -f CSV -lco
/// GEOMETRY=AS_XY` writes the point as `X`,`Y`; `AS_WKT` as `WKT`; nested objects as
/// JSON in `names` and `capacity`), header name → field.
const ALIASES: &[(&str, &str)] = &[
    ("X", "lon"),
    ("Y", "lat"),
    ("x", "lon"),
    ("y", "lat"),
    ("WKT", "wkt"),
    ("names", "names"),
    ("capacity", "capacity"),
];

const BOOLEANS: &[&str] = &[
    "female_staff",
    "child_friendly",
    "wheelchair_access",
    "free_of_charge",
    "no_police_report_required",
    "confidential",
    "demo",
];

/// The CSV cells of a facility, in [`COLUMNS`] order.
pub fn row(f: &Facility) -> Vec<String> {
    let props = f.properties();
    let text = |v: Option<&Value>| -> String {
        match v {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(","),
            Some(other) => other.to_string(),
        }
    };
    COLUMNS
        .iter()
        .map(|(column, _)| match *column {
            "lon" => f.lon.to_string(),
            "lat" => f.lat.to_string(),
            "beds_total" => text(props.get("capacity").and_then(|c| c.get("beds_total"))),
            "beds_available" => text(props.get("capacity").and_then(|c| c.get("beds_available"))),
            "beds_as_of" => text(props.get("capacity").and_then(|c| c.get("as_of"))),
            c if c.starts_with("name_") => text(props.get("names").and_then(|n| n.get(&c[5..]))),
            c => text(props.get(c)),
        })
        .collect()
}

/// Parses CSV bytes into facilities.
pub fn read(bytes: &[u8]) -> Result<Vec<Facility>, Vec<RecordError>> {
    let mut facilities = Vec::new();
    read_each(bytes, &mut |f| {
        facilities.push(f);
        ControlFlow::Continue(())
    })?;
    Ok(facilities)
}

/// Reads facilities row by row from `input` (never holding more than a row), handing
/// each valid one to `each` in order until it returns `Break`. Fails with every problem
/// found, up to [`MAX_ERRORS`]; `each` may have been called before an error is found.
pub fn read_each(
    input: impl std::io::Read,
    each: &mut dyn FnMut(Facility) -> ControlFlow<()>,
) -> Result<usize, Vec<RecordError>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(vec![RecordError::file("", format!("unreadable CSV: {e}"))]),
        None => return Err(vec![RecordError::file("", "the file is empty")]),
    };
    // Map each column position to a field name, by header or by hashtag.
    let field_of = |cell: &str| -> Option<&'static str> {
        let cell = cell.trim();
        let tag = cell.replace(' ', "").to_ascii_lowercase();
        COLUMNS
            .iter()
            .find(|(name, hxl)| *name == cell || *hxl == tag)
            .map(|(name, _)| *name)
            .or_else(|| {
                ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == cell)
                    .map(|(_, field)| *field)
            })
    };
    let mut fields: Vec<Option<&'static str>> = header.iter().map(field_of).collect();
    let header_is_hxl = header.iter().any(|c| c.trim().starts_with('#'));
    let mut line = 1;
    let mut errors = Vec::new();
    for (i, cell) in header.iter().enumerate() {
        // What Tirek adds to what it writes (`verification_overdue`) is read and ignored.
        if fields[i].is_none()
            && !cell.trim().is_empty()
            && !header_is_hxl
            && !DERIVED_PROPERTY_NAMES.contains(&cell.trim())
        {
            errors.push(RecordError::file(
                format!("column {}", i + 1),
                format!("unknown column {cell:?}"),
            ));
        }
    }
    let mut read = 0;
    for record in records {
        if errors.len() >= MAX_ERRORS {
            errors.push(RecordError::file(
                "",
                format!("stopped after {MAX_ERRORS} errors at line {line}"),
            ));
            break;
        }
        line += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RecordError::unreadable_row(line, &e));
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // A hashtag row right under the header names the columns too.
        if !header_is_hxl && line == 2 && record.iter().any(|c| c.trim().starts_with('#')) {
            for (i, cell) in record.iter().enumerate() {
                if i < fields.len() && fields[i].is_none() {
                    fields[i] = field_of(cell);
                }
            }
            continue;
        }
        let feature = to_feature(&fields, &record);
        match Facility::from_feature(&feature) {
            Ok(f) => {
                read += 1;
                if errors.is_empty() && each(f).is_break() {
                    break;
                }
            }
            Err(problems) => {
                let id = feature["properties"]["id"].as_str().map(str::to_string);
                errors.extend(problems.into_iter().map(|p| RecordError {
                    index: Some(line),
                    id: id.clone(),
                    field: csv_field(&p.field),
                    message: p.message,
                }));
            }
        }
    }
    if errors.is_empty() {
        Ok(read)
    } else {
        Err(errors)
    }
}

/// Names a problem by its CSV column rather than its GeoJSON path.
fn csv_field(path: &str) -> String {
    let path = path.strip_prefix("properties.").unwrap_or(path);
    match path {
        "geometry.coordinates" | "geometry" | "geometry.type" => "lon/lat".into(),
        p => p
            .replace("capacity.beds_total", "beds_total")
            .replace("capacity.beds_available", "beds_available")
            .replace("capacity.as_of", "beds_as_of")
            .replace("names.", "name_"),
    }
}

fn to_feature(fields: &[Option<&'static str>], record: &csv::StringRecord) -> Value {
    let mut props = Map::new();
    let mut names = Map::new();
    let mut capacity = Map::new();
    let (mut lon, mut lat) = (Value::Null, Value::Null);
    for (i, cell) in record.iter().enumerate() {
        let Some(Some(field)) = fields.get(i) else {
            continue;
        };
        let cell = cell.trim();
        if cell.is_empty() {
            continue;
        }
        let number = |c: &str| {
            c.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::String(c.to_string()), Value::Number)
        };
        match *field {
            "lon" => lon = number(cell),
            "lat" => lat = number(cell),
            "wkt" => match wkt_point(cell) {
                Some((x, y)) => (lon, lat) = (Value::from(x), Value::from(y)),
                None => {
                    (lon, lat) = (Value::String(cell.to_string()), Value::Null);
                }
            },
            // A nested object as JSON (GDAL): its members join the per-column ones,
            // which win; anything else is passed on to be refused by name.
            "names" | "capacity" => match serde_json::from_str::<Value>(cell) {
                Ok(Value::Object(map)) => {
                    let into = if *field == "names" {
                        &mut names
                    } else {
                        &mut capacity
                    };
                    for (k, v) in map {
                        into.entry(k).or_insert(v);
                    }
                }
                _ => {
                    props.insert(field.to_string(), Value::String(cell.to_string()));
                }
            },
            "beds_total" | "beds_available" => {
                let v = cell
                    .parse::<u64>()
                    .map_or_else(|_| Value::String(cell.to_string()), Value::from);
                capacity.insert(field.to_string(), v);
            }
            "beds_as_of" => {
                capacity.insert("as_of".into(), Value::String(cell.to_string()));
            }
            f if f.starts_with("name_") => {
                if f[5..].parse::<Language>().is_ok() {
                    names.insert(f[5..].to_string(), Value::String(cell.to_string()));
                }
            }
            f if BOOLEANS.contains(&f) => {
                let v = match cell.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => Value::Bool(true),
                    "false" | "no" | "0" => Value::Bool(false),
                    _ => Value::String(cell.to_string()),
                };
                props.insert(f.to_string(), v);
            }
            f => {
                props.insert(f.to_string(), Value::String(cell.to_string()));
            }
        }
    }
    if !names.is_empty() && !props.contains_key("names") {
        props.insert("names".into(), Value::Object(names));
    }
    if !capacity.is_empty() && !props.contains_key("capacity") {
        props.insert("capacity".into(), Value::Object(capacity));
    }
    serde_json::json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    })
}

/// `POINT (lon lat)` (WKT, as GDAL's `GEOMETRY=AS_WKT` writes it).
fn wkt_point(text: &str) -> Option<(f64, f64)> {
    let rest = text.trim();
    let rest = rest
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("POINT"))
        .map(|_| rest[5..].trim())?;
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    let mut parts = inner.split_whitespace().map(str::parse::<f64>);
    let (Some(Ok(x)), Some(Ok(y))) = (parts.next(), parts.next()) else {
        return None;
    };
    Some((x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_row_is_named_by_line_and_column() {
        let csv = "id,name,sectors,lon,lat,country\n#loc+id,#loc+name,#sector+list,#geo+lon,#geo+lat,#country+code\na,A,health,68.1,43.2,KZ\nb,B,police,68.1,95,KZ\n";
        let errors = read(csv.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].index, Some(4));
        assert_eq!(errors[0].field, "lon/lat");
        assert!(errors[0].message.contains("latitude 95"));
    }

    #[test]
    fn reads_a_hashtag_only_sheet_in_any_column_order() {
        let csv = "#geo+lat,#geo+lon,#loc+name,#sector+list,#loc+id,#country+code\n43.2,68.1,A,\"health,police\",a,KZ\n";
        let f = read(csv.as_bytes()).unwrap();
        assert_eq!(f[0].sectors.len(), 2);
        assert_eq!(f[0].lon, 68.1);
    }

    #[test]
    fn reads_what_gdal_writes_as_csv() {
        // `ogr2ogr -f CSV -lco GEOMETRY=AS_XY` of a GeoPackage of the export.
        let csv = r#"X,Y,id,name,names,organisation,sectors,services,address,country,adm1,adm2,phone,opening_hours,languages,female_staff,child_friendly,wheelchair_access,free_of_charge,no_police_report_required,capacity,status,confidential,verified_at,source,demo,created_at,updated_at,verification_overdue
74.55448,42.86983,kg-shelter-1,Shelter,"{ ""ru"": ""Убежище"" }",NGO,(1:shelter),"(2:counselling,emergency_shelter)",,KG,,,+996 700 000 045,24/7,"(3:ky,ru,en)","1","1","0","1","0","{ ""beds_total"": 15, ""beds_available"": 3, ""as_of"": ""2026-10-02"" }",active,"1",2026/07/25,demo,"1",2026/12/06 09:25:20+00,2026/12/06 09:25:20+00,"0"
"#;
        let f = read(csv.as_bytes()).unwrap();
        let f = &f[0];
        assert_eq!((f.lon, f.lat), (74.55448, 42.86983));
        assert_eq!(f.names[&Language::Ru], "Убежище");
        assert_eq!(f.services.len(), 2);
        assert_eq!(f.languages.len(), 3);
        let capacity = f.capacity.as_ref().unwrap();
        assert_eq!(
            (capacity.beds_total, capacity.beds_available),
            (15, Some(3))
        );
        assert_eq!(
            f.verified_at,
            chrono::NaiveDate::from_ymd_opt(2026, 7, 25),
            "GDAL's date form"
        );
        assert_eq!(
            f.created_at.map(|t| crate::model::format_timestamp(&t)),
            Some("2026-12-06T09:25:20Z".to_string())
        );
        // `GEOMETRY=AS_WKT`.
        let wkt = "WKT,id,name,sectors,country\n\"POINT (74.5 42.8)\",a,A,(1:health),KG\n";
        let f = read(wkt.as_bytes()).unwrap();
        assert_eq!((f[0].lon, f[0].lat), (74.5, 42.8));
        // Bad GDAL values are named by row and column.
        let bad = "X,Y,id,name,sectors,country,created_at\n74.5,42.8,a,A,(2:health),KG,2026/12/06 05:02:25+00\n74.5,42.8,b,B,(1:health),KG,2026/12/06 05:02:25\n";
        let errors = read(bad.as_bytes()).unwrap_err();
        let found: Vec<(Option<usize>, &str)> =
            errors.iter().map(|e| (e.index, e.field.as_str())).collect();
        assert_eq!(
            found,
            [(Some(2), "sectors"), (Some(3), "created_at")],
            "{errors:?}"
        );
    }
}
