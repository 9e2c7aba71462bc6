//! Facilities as CSV with an HXL hashtag row: the format `export --format csv` writes
//! and spreadsheets exchange. One column per record field; lists are comma-separated
//! inside the cell, names by language are `name_<lang>` columns, shelter capacity is
//! `beds_total`, `beds_available`, `beds_as_of`. Columns are found by header name or by
//! HXL hashtag, so a sheet with only the hashtag row, or columns in another order, reads.
//! A row becomes the same GeoJSON properties a feature has, so both formats share one
//! validation; the rows are read by [`super::table`], which spreadsheets share.

use super::RecordError;
use super::table::{Rows, TableOptions, TableRead};
use crate::model::Facility;
use serde_json::Value;
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
    ("location_precision", "#geo+precision"),
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

/// Parses CSV bytes into facilities (no mapping; rows need coordinates).
pub fn read(bytes: &[u8]) -> Result<Vec<Facility>, Vec<RecordError>> {
    let mut facilities = Vec::new();
    read_each(bytes, &TableOptions::default(), &mut |f| {
        facilities.push(f);
        ControlFlow::Continue(())
    })?;
    Ok(facilities)
}

/// The field separator of a CSV: `;` when the header line holds more of them than
/// commas (what KoboToolbox and spreadsheets in many locales write), else `,`.
fn separator(head: &[u8]) -> u8 {
    let line = head.split(|&b| b == b'\n').next().unwrap_or(head);
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

/// Reads facilities row by row from `input` (never holding more than a row), handing
/// each valid one to `each` in order until it returns `Break` (see [`super::table`] for what
/// a row may hold). Fails with every problem found, up to
/// [`super::geojson_facilities::MAX_ERRORS`]; `each` may have been called before an
/// error is found.
pub fn read_each(
    input: impl std::io::Read,
    options: &TableOptions,
    each: &mut dyn FnMut(Facility) -> ControlFlow<()>,
) -> Result<TableRead, Vec<RecordError>> {
    let mut input = std::io::BufReader::with_capacity(64 * 1024, input);
    let head = std::io::BufRead::fill_buf(&mut input)
        .map_err(|e| vec![RecordError::file("", format!("unreadable CSV: {e}"))])?;
    let delimiter = separator(head);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(input);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(vec![RecordError::file("", format!("unreadable CSV: {e}"))]),
        None => return Err(vec![RecordError::file("", "the file is empty")]),
    };
    let header: Vec<&str> = header.iter().collect();
    let mut rows = Rows::new(&header, options.clone(), each);
    let mut line = 1;
    for record in records {
        line += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                rows.unreadable(RecordError::unreadable_row(line, &e));
                continue;
            }
        };
        let cells: Vec<&str> = record.iter().collect();
        if rows.row(line, &cells).is_break() {
            break;
        }
    }
    rows.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Language;

    #[test]
    fn a_bad_row_is_named_by_line_and_column() {
        let csv = "id,name,sectors,lon,lat,country\n#loc+id,#loc+name,#sector+list,#geo+lon,#geo+lat,#country+code\na,A,health,68.1,43.2,KZ\nb,B,police,68.1,95,KZ\n";
        let errors = read(csv.as_bytes()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].index, Some(4));
        assert_eq!(errors[0].field, "lat");
        assert_eq!(errors[0].column.as_deref(), Some("E"));
        assert_eq!(errors[0].place(), "row 4, column E \"lat\"");
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
