//! Facilities from a table of rows under a header: a CSV (Tirek's own, HXL, a
//! KoboToolbox export) or a spreadsheet's sheet. One reading for all of them:
//!
//! - columns are found by header or HXL hashtag (what `export` writes, see
//!   [`csv_facilities::COLUMNS`]), renamed first by a [`Mapping`] when one is given;
//!   a hashtag row under the header names columns too;
//! - a KoboToolbox export (it has `_uuid` or `_submission_time` columns) has its group
//!   paths stripped (`group_x/name` is `name`), its metadata columns (`_id`, `start`,
//!   `deviceid`, …) ignored, and its geopoint read (`_<q>_latitude`/`_<q>_longitude`,
//!   or the `<q>` cell "lat lon alt precision"); `_uuid` gives the id when there is no
//!   `id` column;
//! - a row without `lon`/`lat` is placed by its `settlement` column through the
//!   [`Gazetteer`] (narrowed by its country, region and district), and records
//!   `location_precision: settlement`; names of countries, regions and districts are
//!   read as their codes;
//! - every problem names the row (the header is row 1), the column by its letter and
//!   header, and the value.

use super::RecordError;
use super::csv_facilities::COLUMNS;
use super::gazetteer::{Gazetteer, Within};
use super::geojson_facilities::MAX_ERRORS;
use super::mapping::Mapping;
use crate::model::{DERIVED_PROPERTY_NAMES, Facility, Language};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::Arc;

/// What a table reading may use besides the table.
#[derive(Clone, Default)]
pub struct TableOptions {
    /// Renames headers and values.
    pub mapping: Option<Arc<Mapping>>,
    /// Places rows by settlement and reads area names; without it a row needs
    /// coordinates.
    pub gazetteer: Option<Arc<Gazetteer>>,
    /// The organisation ids a record may name; `None`: not checked here.
    pub organisations: Option<Arc<HashSet<String>>>,
    /// The sheet of a workbook to read (default: the first).
    pub sheet: Option<String>,
}

impl std::fmt::Debug for TableOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableOptions")
            .field("mapping", &self.mapping.is_some())
            .field("gazetteer", &self.gazetteer.as_ref().map(|g| g.len()))
            .field("sheet", &self.sheet)
            .finish_non_exhaustive()
    }
}

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
    ("settlement", "settlement"),
    ("#loc+settlement", "settlement"),
    ("#loc+settlement+name", "settlement"),
];

/// KoboToolbox's own columns (beside those starting with `_`), read and ignored.
const KOBO_META: &[&str] = &[
    "start",
    "end",
    "today",
    "deviceid",
    "username",
    "simserial",
    "subscriberid",
    "phonenumber",
    "audit",
    "instanceID",
    "instanceName",
    "uuid",
    "version",
    "__version__",
];

/// Columns that name a KoboToolbox export.
const KOBO_MARKERS: &[&str] = &["_uuid", "_submission_time", "_submission__uuid"];

const BOOLEANS: &[&str] = &[
    "female_staff",
    "child_friendly",
    "wheelchair_access",
    "free_of_charge",
    "no_police_report_required",
    "confidential",
    "demo",
];

/// List fields: a value map applies to each item.
const LISTS: &[&str] = &["sectors", "services", "languages"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Field(&'static str),
    Settlement,
    Geopoint,
    KoboUuid,
    Ignore,
    Unknown,
}

#[derive(Debug, Clone)]
struct Column {
    header: String,
    letter: String,
    target: Target,
}

/// A spreadsheet's name of the `i`th (0-based) column: A … Z, AA ….
pub fn column_letter(mut i: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The field a header or hashtag names by Tirek's own conventions.
fn known_field(cell: &str) -> Option<Target> {
    let cell = cell.trim();
    let tag = cell.replace(' ', "").to_ascii_lowercase();
    COLUMNS
        .iter()
        .find(|(name, hxl)| *name == cell || *hxl == tag)
        .map(|(name, _)| Target::Field(name))
        .or_else(|| {
            ALIASES
                .iter()
                .find(|(alias, _)| *alias == cell || (alias.starts_with('#') && *alias == tag))
                .map(|(_, field)| match *field {
                    "settlement" => Target::Settlement,
                    f => Target::Field(f),
                })
        })
}

fn mapped(mapping: Option<&Mapping>, header: &str) -> Option<Target> {
    mapping.and_then(|m| m.column(header)).map(|t| match t {
        "settlement" => Target::Settlement,
        "geopoint" => Target::Geopoint,
        "ignore" => Target::Ignore,
        f => Target::Field(f),
    })
}

/// The columns of a table, decided from its header (and a hashtag row under it).
struct Table {
    columns: Vec<Column>,
    header_is_hxl: bool,
    options: TableOptions,
}

impl Table {
    fn new(header: &[&str], options: TableOptions) -> Self {
        let header: Vec<String> = header
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        let header_is_hxl = header.iter().any(|c| c.starts_with('#'));
        let kobo = header
            .iter()
            .any(|h| KOBO_MARKERS.contains(&h.rsplit('/').next().unwrap_or(h)));
        // `group/question` is `question`; a geopoint's part `_group/question_latitude`
        // is `_question_latitude`.
        let stripped: Vec<String> = header
            .iter()
            .map(|h| match h.rsplit_once('/') {
                Some((path, last)) if kobo => {
                    if path.starts_with('_') && !last.starts_with('_') {
                        format!("_{last}")
                    } else {
                        last.to_string()
                    }
                }
                _ => h.clone(),
            })
            .collect();
        let stripped: Vec<&str> = stripped.iter().map(String::as_str).collect();
        let mapping = options.mapping.as_deref();
        let columns = header
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let short = stripped[i];
                let target = mapped(mapping, h)
                    .or_else(|| known_field(h))
                    .or_else(|| {
                        kobo.then(|| kobo_target(short, &stripped, mapping))
                            .flatten()
                    })
                    .unwrap_or_else(|| {
                        if h.is_empty()
                            || header_is_hxl
                            || DERIVED_PROPERTY_NAMES.contains(&h.as_str())
                        {
                            Target::Ignore
                        } else {
                            Target::Unknown
                        }
                    });
                Column {
                    header: h.clone(),
                    letter: column_letter(i),
                    target,
                }
            })
            .collect();
        Self {
            columns,
            header_is_hxl,
            options,
        }
    }

    /// Takes row 2 as a hashtag row when it is one (the header being names).
    fn hashtags(&mut self, cells: &[&str]) -> bool {
        if self.header_is_hxl || !cells.iter().any(|c| c.trim().starts_with('#')) {
            return false;
        }
        for (column, cell) in self.columns.iter_mut().zip(cells) {
            if matches!(column.target, Target::Unknown | Target::Ignore)
                && let Some(t) = known_field(cell)
            {
                column.target = t;
            }
        }
        true
    }

    fn header_errors(&self) -> Vec<RecordError> {
        self.columns
            .iter()
            .filter(|c| c.target == Target::Unknown)
            .map(|c| RecordError {
                index: Some(1),
                id: None,
                field: c.header.clone(),
                message: format!(
                    "unknown column {:?}: name a record field in the header (see the README), \
                     or map it with a mapping file ([columns] {:?} = \"name\", or = \"ignore\")",
                    c.header, c.header
                ),
                column: Some(c.letter.clone()),
            })
            .collect()
    }

    fn column_of(&self, wanted: impl Fn(Target) -> bool) -> Option<&Column> {
        self.columns.iter().find(|c| wanted(c.target))
    }

    /// An error at the column holding `field` (a record field), or the field alone.
    fn error(&self, row: usize, id: Option<&str>, field: &str, message: String) -> RecordError {
        let column = match field {
            "lon/lat" => {
                let lat = message.contains("latitude");
                self.column_of(|t| t == Target::Field(if lat { "lat" } else { "lon" }))
                    .or_else(|| self.column_of(|t| t == Target::Field("wkt")))
                    .or_else(|| self.column_of(|t| t == Target::Geopoint))
                    .or_else(|| self.column_of(|t| t == Target::Settlement))
            }
            f => {
                let base = f.split('[').next().unwrap_or(f);
                self.column_of(|t| matches!(t, Target::Field(f) if f == base))
                    .or_else(|| {
                        // `name_ru` from a `names` object, `beds_total` from `capacity`.
                        let parent = if base.starts_with("name_") {
                            "names"
                        } else if base.starts_with("beds_") {
                            "capacity"
                        } else {
                            return None;
                        };
                        self.column_of(|t| t == Target::Field(parent))
                    })
            }
        };
        RecordError {
            index: Some(row),
            id: id.map(str::to_string),
            field: column.map_or_else(|| field.to_string(), |c| c.header.clone()),
            message,
            column: column.map(|c| c.letter.clone()),
        }
    }

    fn cell_error(&self, row: usize, id: Option<&str>, i: usize, message: String) -> RecordError {
        let c = &self.columns[i];
        RecordError {
            index: Some(row),
            id: id.map(str::to_string),
            field: c.header.clone(),
            message,
            column: Some(c.letter.clone()),
        }
    }

    /// Reads one row (`row` numbered as the sheet numbers it): the record and whether
    /// it was placed by its settlement.
    fn read(&self, row: usize, cells: &[&str]) -> Result<(Facility, bool), Vec<RecordError>> {
        let mapping = self.options.mapping.as_deref();
        let mut props = Map::new();
        let mut names = Map::new();
        let mut capacity = Map::new();
        let (mut lon, mut lat) = (Value::Null, Value::Null);
        let mut settlement: Option<(usize, &str)> = None;
        let mut geopoint: Option<(usize, &str)> = None;
        let mut uuid: Option<&str> = None;
        let mut errors = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            let Some(column) = self.columns.get(i) else {
                continue;
            };
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            let field = match column.target {
                Target::Field(f) => f,
                Target::Settlement => {
                    settlement = Some((i, mapping.map_or(cell, |m| m.value("settlement", cell))));
                    continue;
                }
                Target::Geopoint => {
                    geopoint = Some((i, cell));
                    continue;
                }
                Target::KoboUuid => {
                    uuid = Some(cell);
                    continue;
                }
                Target::Ignore | Target::Unknown => continue,
            };
            let mapped;
            let cell = match mapping {
                Some(m) if m.maps_values(field) && LISTS.contains(&field) => {
                    mapped = cell
                        .split(',')
                        .map(|item| m.value(field, item))
                        .collect::<Vec<_>>()
                        .join(",");
                    mapped.as_str()
                }
                Some(m) => m.value(field, cell),
                None => cell,
            };
            put(
                field,
                cell,
                &mut props,
                &mut names,
                &mut capacity,
                (&mut lon, &mut lat),
            );
        }
        if !names.is_empty() && !props.contains_key("names") {
            props.insert("names".into(), Value::Object(names));
        }
        if !capacity.is_empty() && !props.contains_key("capacity") {
            props.insert("capacity".into(), Value::Object(capacity));
        }
        if !props.contains_key("id")
            && let Some(uuid) = uuid
        {
            props.insert("id".into(), Value::String(format!("kobo-{uuid}")));
        }
        let id = props.get("id").and_then(Value::as_str).map(str::to_string);
        let id = id.as_deref();
        if lon.is_null()
            && lat.is_null()
            && let Some((i, text)) = geopoint
        {
            match read_geopoint(text) {
                Some((x, y)) => (lon, lat) = (Value::from(x), Value::from(y)),
                None => errors.push(self.cell_error(
                    row,
                    id,
                    i,
                    format!(
                        "{text:?} is not a geopoint \"latitude longitude [altitude [precision]]\""
                    ),
                )),
            }
        }
        // Country, region and district may be given by name: read as their codes.
        let gazetteer = self.options.gazetteer.as_deref();
        if let Some(g) = gazetteer {
            let text = |props: &Map<String, Value>, key: &str| {
                props.get(key).and_then(Value::as_str).map(str::to_string)
            };
            if let Some(c) = text(&props, "country")
                && c.chars().count() != 2
                && let Some(code) = g.area_code(0, &c, None)
            {
                props.insert("country".into(), Value::String(code));
            }
            let country = text(&props, "country").map(|c| c.to_ascii_uppercase());
            if let Some(a) = text(&props, "adm1")
                && let Some(code) = g.area_code(1, &a, country.as_deref())
            {
                props.insert("adm1".into(), Value::String(code));
            }
            let adm1 = text(&props, "adm1");
            if let Some(a) = text(&props, "adm2")
                && let Some(code) = g.area_code(2, &a, adm1.as_deref())
            {
                props.insert("adm2".into(), Value::String(code));
            }
        }
        if let Some(known) = &self.options.organisations
            && let Some(org) = props.get("organisation_id").and_then(Value::as_str)
            && !known.contains(org)
        {
            errors.push(self.error(
                row,
                id,
                "organisation_id",
                format!("no organisation with id {org:?} (see GET /api/organisations)"),
            ));
        }
        let mut placed = false;
        if lon.is_null() && lat.is_null() {
            match settlement {
                Some((i, name)) => {
                    let within = Within {
                        country: props
                            .get("country")
                            .and_then(Value::as_str)
                            .map(str::to_ascii_uppercase),
                        adm1: props.get("adm1").and_then(Value::as_str).map(str::to_string),
                        adm2: props.get("adm2").and_then(Value::as_str).map(str::to_string),
                    };
                    let found = match gazetteer {
                        Some(g) => g.place(name, &within),
                        None => Err(super::gazetteer::PlaceError::NoSettlements),
                    };
                    match found {
                        Ok(p) => {
                            (lon, lat) = (Value::from(p.lon), Value::from(p.lat));
                            placed = true;
                            props
                                .entry("location_precision")
                                .or_insert_with(|| Value::String("settlement".into()));
                            for (key, value) in [
                                ("country", p.within.country),
                                ("adm1", p.within.adm1),
                                ("adm2", p.within.adm2),
                            ] {
                                if let Some(v) = value {
                                    props.entry(key).or_insert(Value::String(v));
                                }
                            }
                        }
                        Err(e) => errors.push(self.cell_error(row, id, i, e.to_string())),
                    }
                }
                None => errors.push(self.error(
                    row,
                    id,
                    "lon/lat",
                    "no coordinates: give lon and lat, or the name of the settlement (a settlement column) to place it at the settlement's centre".into(),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let feature = serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props,
        });
        match Facility::from_feature(&feature) {
            Ok(f) => Ok((f, placed)),
            Err(problems) => Err(problems
                .into_iter()
                .map(|p| self.error(row, id, &record_field(&p.field), p.message))
                .collect()),
        }
    }
}

/// The target of a KoboToolbox column by its name without group path: a mapped or
/// known field, a geopoint's parts, or metadata (ignored).
fn kobo_target(short: &str, all: &[&str], mapping: Option<&Mapping>) -> Option<Target> {
    if let Some(t) = mapped(mapping, short).or_else(|| known_field(short)) {
        return Some(t);
    }
    if short == "_uuid" {
        return Some(Target::KoboUuid);
    }
    if let Some(rest) = short.strip_prefix('_') {
        for (suffix, target) in [
            ("_latitude", Target::Field("lat")),
            ("_longitude", Target::Field("lon")),
        ] {
            if let Some(q) = rest.strip_suffix(suffix)
                && all.contains(&q)
            {
                return Some(target);
            }
        }
        return Some(Target::Ignore);
    }
    if KOBO_META.contains(&short) {
        return Some(Target::Ignore);
    }
    if all.contains(&format!("_{short}_latitude").as_str()) {
        return Some(Target::Geopoint);
    }
    None
}

/// "lat lon [alt [precision]]", as KoboToolbox and ODK write a geopoint.
fn read_geopoint(text: &str) -> Option<(f64, f64)> {
    let mut parts = text.split_whitespace().map(str::parse::<f64>);
    let (Some(Ok(lat)), Some(Ok(lon))) = (parts.next(), parts.next()) else {
        return None;
    };
    Some((lon, lat))
}

/// Names a problem by its record field rather than its GeoJSON path.
fn record_field(path: &str) -> String {
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

/// Puts one cell into the feature being built.
fn put(
    field: &'static str,
    cell: &str,
    props: &mut Map<String, Value>,
    names: &mut Map<String, Value>,
    capacity: &mut Map<String, Value>,
    (lon, lat): (&mut Value, &mut Value),
) {
    let number = |c: &str| {
        c.parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(c.to_string()), Value::Number)
    };
    match field {
        "lon" => *lon = number(cell),
        "lat" => *lat = number(cell),
        "wkt" => match wkt_point(cell) {
            Some((x, y)) => (*lon, *lat) = (Value::from(x), Value::from(y)),
            None => (*lon, *lat) = (Value::String(cell.to_string()), Value::Null),
        },
        // A nested object as JSON (GDAL): its members join the per-column ones, which
        // win; anything else is passed on to be refused by name.
        "names" | "capacity" => match serde_json::from_str::<Value>(cell) {
            Ok(Value::Object(map)) => {
                let into = if field == "names" { names } else { capacity };
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

/// What a table reading handed out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableRead {
    /// Records read.
    pub read: usize,
    /// Of those, placed by their settlement.
    pub placed: usize,
}

/// Reads a table row by row: give it the header, then each row with its number; it
/// hands each valid record to `each` in order (until `each` answers `Break`, and only
/// while no error is found) and collects every problem, up to [`MAX_ERRORS`].
pub(crate) struct Rows<'a> {
    table: Table,
    header_checked: bool,
    errors: Vec<RecordError>,
    counts: TableRead,
    each: &'a mut dyn FnMut(Facility) -> ControlFlow<()>,
    stopped: bool,
}

impl<'a> Rows<'a> {
    /// Starts a table with `header` (row 1).
    pub fn new(
        header: &[&str],
        options: TableOptions,
        each: &'a mut dyn FnMut(Facility) -> ControlFlow<()>,
    ) -> Self {
        Self {
            table: Table::new(header, options),
            header_checked: false,
            errors: Vec::new(),
            counts: TableRead::default(),
            each,
            stopped: false,
        }
    }

    /// Reads row `number`; `Break` once no more rows are wanted.
    pub fn row(&mut self, number: usize, cells: &[&str]) -> ControlFlow<()> {
        if self.stopped {
            return ControlFlow::Break(());
        }
        if cells.iter().all(|c| c.trim().is_empty()) {
            return ControlFlow::Continue(());
        }
        if !self.header_checked {
            if number == 2 && self.table.hashtags(cells) {
                return ControlFlow::Continue(());
            }
            self.header_checked = true;
            self.errors.extend(self.table.header_errors());
        }
        if self.errors.len() >= MAX_ERRORS {
            self.errors.push(RecordError::file(
                "",
                format!("stopped after {MAX_ERRORS} errors at row {number}"),
            ));
            self.stopped = true;
            return ControlFlow::Break(());
        }
        match self.table.read(number, cells) {
            Ok((f, placed)) => {
                self.counts.read += 1;
                self.counts.placed += usize::from(placed);
                if self.errors.is_empty() && (self.each)(f).is_break() {
                    self.stopped = true;
                    return ControlFlow::Break(());
                }
            }
            Err(problems) => self.errors.extend(problems),
        }
        ControlFlow::Continue(())
    }

    /// Notes a row that could not be read at all.
    pub fn unreadable(&mut self, error: RecordError) {
        self.errors.push(error);
    }

    /// What was read, or every problem found.
    pub fn finish(mut self) -> Result<TableRead, Vec<RecordError>> {
        if !self.header_checked {
            self.errors.extend(self.table.header_errors());
        }
        if self.errors.is_empty() {
            Ok(self.counts)
        } else {
            Err(self.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(
        header: &[&str],
        rows: &[&[&str]],
        options: TableOptions,
    ) -> Result<Vec<Facility>, Vec<RecordError>> {
        let mut out = Vec::new();
        let mut each = |f| {
            out.push(f);
            ControlFlow::Continue(())
        };
        let mut rows_reader = Rows::new(header, options, &mut each);
        for (i, r) in rows.iter().enumerate() {
            if rows_reader.row(i + 2, r).is_break() {
                break;
            }
        }
        rows_reader.finish()?;
        Ok(out)
    }

    #[test]
    fn letters_name_columns_as_spreadsheets_do() {
        let letters: Vec<String> = [0, 3, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(column_letter)
            .collect();
        assert_eq!(
            letters,
            ["A", "D", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]
        );
    }

    #[test]
    fn a_kobo_export_reads_with_groups_metadata_and_a_geopoint() {
        let header = [
            "start",
            "end",
            "service/id",
            "service/name",
            "service/sectors",
            "service/country",
            "where/location",
            "_where/location_latitude",
            "_where/location_longitude",
            "_where/location_altitude",
            "_where/location_precision",
            "_id",
            "_uuid",
            "_submission_time",
            "_validation_status",
            "_index",
        ];
        let row: &[&str] = &[
            "2026-11-01T10:00:00.000+05:00",
            "2026-11-01T10:05:00.000+05:00",
            "kz-1",
            "Clinic",
            "health",
            "KZ",
            "42.3417 69.5901 0 5",
            "42.3417",
            "69.5901",
            "0",
            "5",
            "1001",
            "0b1c2d3e-aaaa-bbbb-cccc-0123456789ab",
            "2026-11-01T05:06:00",
            "",
            "1",
        ];
        let f = read(&header, &[row], TableOptions::default()).unwrap();
        assert_eq!((f[0].lon, f[0].lat), (69.5901, 42.3417));
        assert_eq!(f[0].id, "kz-1");
        // Without the split columns, the geopoint cell gives the point; `_uuid` the id.
        let header = [
            "name",
            "sectors",
            "country",
            "grp/location",
            "_uuid",
            "_submission_time",
            "_location_latitude",
        ];
        let f = read(
            &header,
            &[&[
                "Clinic",
                "health",
                "KZ",
                "42.5 69.25 410 4.5",
                "0b1c",
                "x",
                "",
            ]],
            TableOptions::default(),
        )
        .unwrap();
        assert_eq!(
            (f[0].lon, f[0].lat, f[0].id.as_str()),
            (69.25, 42.5, "kobo-0b1c")
        );
        let e = read(
            &header,
            &[&["Clinic", "health", "KZ", "somewhere", "0b1c", "x", ""]],
            TableOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            (e[0].index, e[0].column.as_deref(), e[0].field.as_str()),
            (Some(2), Some("D"), "grp/location")
        );
    }

    #[test]
    fn unknown_columns_are_named_with_their_letter() {
        let e = read(
            &["id", "name", "sectors", "country", "lon", "lat", "Colour"],
            &[&["a", "A", "health", "KZ", "69.6", "42.3", "red"]],
            TableOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(
            (e[0].column.as_deref(), e[0].field.as_str()),
            (Some("G"), "Colour")
        );
        assert!(e[0].message.contains("mapping"), "{e:?}");
    }
}
