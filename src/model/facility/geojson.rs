//! A facility as an RFC 7946 GeoJSON Feature: properties carry the record's own field
//! names, so what Tirek writes it reads back unchanged; reading names every bad field.

use super::{Capacity, Facility, FieldError, format_timestamp};
use crate::model::geojson::{FeatureTag, PointGeometry};
use crate::model::{Language, LocationPrecision, Sector, Service, Status};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::str::FromStr;

/// The property names a facility feature may carry, in output order.
pub const PROPERTY_NAMES: &[&str] = &[
    "id",
    "name",
    "names",
    "organisation",
    "organisation_id",
    "victim_support_partner",
    "sectors",
    "services",
    "location_precision",
    "address",
    "country",
    "adm1",
    "adm2",
    "phone",
    "opening_hours",
    "languages",
    "female_staff",
    "child_friendly",
    "wheelchair_access",
    "free_of_charge",
    "no_police_report_required",
    "capacity",
    "status",
    "confidential",
    "verified_at",
    "source",
    "demo",
    "created_at",
    "updated_at",
];

/// Properties Tirek itself adds to the facilities it writes out (derived from the
/// record, or from the moment of the answer): accepted on import and ignored, so that
/// whatever Tirek wrote reads back unchanged.
pub const DERIVED_PROPERTY_NAMES: &[&str] = &["verification_overdue"];

impl Facility {
    /// The record as GeoJSON properties (every field but the coordinates).
    pub fn properties(&self) -> Map<String, Value> {
        let mut props = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        props.remove("lon");
        props.remove("lat");
        for key in ["created_at", "updated_at"] {
            let stamp = match key {
                "created_at" => self.created_at,
                _ => self.updated_at,
            };
            props.insert(
                key.into(),
                stamp.map_or(Value::Null, |t| Value::String(format_timestamp(&t))),
            );
        }
        props
    }

    /// The record as an RFC 7946 Feature (a JSON tree: for readers and tests; answers
    /// use [`FacilityFeature`]).
    pub fn to_feature(&self) -> Value {
        serde_json::to_value(FacilityFeature::from(self.clone())).unwrap_or(Value::Null)
    }

    /// The record as a listing shows it: its Feature with `verification_overdue` as of
    /// `today`.
    pub fn into_listed_feature(self, today: NaiveDate, max_age_days: u32) -> FacilityFeature {
        let overdue = self.verification_overdue(today, max_age_days);
        let mut feature = FacilityFeature::from(self);
        feature.properties.verification_overdue = Some(overdue);
        feature
    }

    /// Reads a GeoJSON Feature. Every problem is reported, each with its field.
    pub fn from_feature(feature: &Value) -> Result<Facility, Vec<FieldError>> {
        let mut errors = Vec::new();
        let Some(obj) = feature.as_object() else {
            return Err(vec![FieldError::new("", "a feature must be a JSON object")]);
        };
        if obj.get("type").and_then(Value::as_str) != Some("Feature") {
            errors.push(FieldError::new("type", "must be \"Feature\""));
        }
        let (lon, lat) = read_point(obj.get("geometry"), &mut errors);
        let empty = Map::new();
        let props = match obj.get("properties") {
            Some(Value::Object(p)) => p,
            Some(Value::Null) | None => {
                errors.push(FieldError::new("properties", "missing"));
                &empty
            }
            Some(_) => {
                errors.push(FieldError::new("properties", "must be an object"));
                &empty
            }
        };
        // The feature id and the property id must agree when both are given.
        let mut reader = PropertyReader {
            props,
            errors: &mut errors,
        };
        let id = match (reader.string("id"), obj.get("id")) {
            (Some(id), Some(Value::String(top))) if *top != id => {
                reader.fail("id", format!("differs from the feature id {top:?}"));
                Some(id)
            }
            (Some(id), _) => Some(id),
            (None, Some(Value::String(top))) => Some(top.clone()),
            (None, Some(Value::Number(n))) => Some(n.to_string()),
            (None, _) => None,
        };
        let facility = reader.facility(id.unwrap_or_default(), lon, lat);
        for key in props.keys() {
            if !PROPERTY_NAMES.contains(&key.as_str())
                && !DERIVED_PROPERTY_NAMES.contains(&key.as_str())
                && key != "sector"
            {
                errors.push(FieldError::new(
                    format!("properties.{key}"),
                    "unknown property (a typo? see the record fields in the README)",
                ));
            }
        }
        if errors.is_empty() {
            let problems = facility.validate_as_read();
            if problems.is_empty() {
                return Ok(facility);
            }
            errors.extend(problems);
        }
        Err(errors)
    }
}

/// A facility as an RFC 7946 Feature: what every facility answer, listing and export
/// holds. Its properties carry the record's own field names, so Tirek reads back what it
/// writes.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FacilityFeature {
    /// Always `"Feature"`.
    #[serde(rename = "type")]
    pub kind: FeatureTag,
    /// The facility's id.
    pub id: String,
    /// Where it is.
    pub geometry: PointGeometry,
    /// The record.
    pub properties: FacilityProperties,
}

/// The record's fields as Feature properties (every field but the coordinates).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FacilityProperties {
    /// Stable identifier (letters, digits, `.`, `_`, `:`, `-`).
    pub id: String,
    /// Name, in the language the record was written in.
    pub name: String,
    /// Names by language.
    pub names: BTreeMap<Language, String>,
    /// The organisation that runs it (free text).
    pub organisation: Option<String>,
    /// The id of the organisation record that keeps it (`/api/organisations`).
    pub organisation_id: Option<String>,
    /// Programmes for perpetrators: the victim-support service it works with (an
    /// organisation id or a name).
    pub victim_support_partner: Option<String>,
    /// Sectors served (one or more).
    pub sectors: Vec<Sector>,
    /// Services offered.
    pub services: Vec<Service>,
    /// How exactly the point is known: `exact`, or `settlement` (placed at the centre
    /// of its settlement: "approximate: town centre").
    pub location_precision: LocationPrecision,
    /// Street address.
    pub address: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// First-level admin P-code.
    pub adm1: Option<String>,
    /// Second-level admin P-code.
    pub adm2: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Opening hours, OSM `opening_hours` syntax.
    pub opening_hours: Option<String>,
    /// Languages spoken.
    pub languages: Vec<Language>,
    /// Female staff available.
    pub female_staff: bool,
    /// Child-friendly.
    pub child_friendly: bool,
    /// Wheelchair accessible.
    pub wheelchair_access: bool,
    /// Free of charge.
    pub free_of_charge: bool,
    /// Serves survivors without a police report.
    pub no_police_report_required: bool,
    /// Beds (shelters).
    pub capacity: Option<Capacity>,
    /// Whether it takes survivors now.
    pub status: Status,
    /// Exact location, address and phone are for authorised users only.
    pub confidential: bool,
    /// When the record was last verified (`YYYY-MM-DD`).
    pub verified_at: Option<NaiveDate>,
    /// Where the record comes from.
    pub source: Option<String>,
    /// Synthetic demonstration record, not a real service.
    pub demo: bool,
    /// When first stored (RFC 3339, whole seconds, UTC).
    pub created_at: Option<String>,
    /// When last changed (RFC 3339, whole seconds, UTC).
    pub updated_at: Option<String>,
    /// Derived, in listings only: last verified longer ago than the server's
    /// verification age, or never. Not part of the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_overdue: Option<bool>,
}

impl From<Facility> for FacilityFeature {
    fn from(f: Facility) -> Self {
        let Facility {
            id,
            name,
            names,
            organisation,
            organisation_id,
            victim_support_partner,
            sectors,
            services,
            lon,
            lat,
            location_precision,
            address,
            country,
            adm1,
            adm2,
            phone,
            opening_hours,
            languages,
            female_staff,
            child_friendly,
            wheelchair_access,
            free_of_charge,
            no_police_report_required,
            capacity,
            status,
            confidential,
            verified_at,
            source,
            demo,
            created_at,
            updated_at,
        } = f;
        Self {
            kind: FeatureTag::Feature,
            id: id.clone(),
            geometry: PointGeometry::new(lon, lat),
            properties: FacilityProperties {
                id,
                name,
                names,
                organisation,
                organisation_id,
                victim_support_partner,
                sectors,
                services,
                location_precision,
                address,
                country,
                adm1,
                adm2,
                phone,
                opening_hours,
                languages,
                female_staff,
                child_friendly,
                wheelchair_access,
                free_of_charge,
                no_police_report_required,
                capacity,
                status,
                confidential,
                verified_at,
                source,
                demo,
                created_at: created_at.as_ref().map(format_timestamp),
                updated_at: updated_at.as_ref().map(format_timestamp),
                verification_overdue: None,
            },
        }
    }
}

fn read_point(geometry: Option<&Value>, errors: &mut Vec<FieldError>) -> (f64, f64) {
    let Some(Value::Object(g)) = geometry else {
        errors.push(FieldError::new("geometry", "a Point geometry is required"));
        return (f64::NAN, f64::NAN);
    };
    match g.get("type").and_then(Value::as_str) {
        Some("Point") => {}
        Some(other) => {
            errors.push(FieldError::new(
                "geometry.type",
                format!("{other} is not supported; a facility is a Point"),
            ));
            return (f64::NAN, f64::NAN);
        }
        None => {
            errors.push(FieldError::new("geometry.type", "missing"));
            return (f64::NAN, f64::NAN);
        }
    }
    match g.get("coordinates").and_then(Value::as_array) {
        Some(c) if c.len() >= 2 && c[0].is_number() && c[1].is_number() => (
            c[0].as_f64().unwrap_or(f64::NAN),
            c[1].as_f64().unwrap_or(f64::NAN),
        ),
        _ => {
            errors.push(FieldError::new(
                "geometry.coordinates",
                "must be [longitude, latitude] numbers",
            ));
            (f64::NAN, f64::NAN)
        }
    }
}

/// The items of a list given as one string: comma-separated (`health,police`), GDAL's
/// list form `(2:health,police)` (what ogr2ogr writes for a list field in a format that
/// has none: GeoPackage, CSV, Shapefile; the count must match), or a JSON array in a
/// string (`["health","police"]`). Blank items are dropped.
pub fn split_list(text: &str) -> Result<Vec<String>, String> {
    let text = text.trim();
    if text.starts_with('[') {
        return match serde_json::from_str::<Vec<Value>>(text) {
            Ok(values) => values
                .into_iter()
                .filter(|v| !v.is_null())
                .map(|v| match v {
                    Value::String(s) => Ok(s.trim().to_string()),
                    other => Err(format!("{other} in the JSON list is not a string")),
                })
                .filter(|s| s.as_ref().map_or(true, |s| !s.is_empty()))
                .collect(),
            Err(e) => Err(format!(
                "{text:?} looks like a JSON list but is not one: {e}"
            )),
        };
    }
    let gdal = text
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .and_then(|t| t.split_once(':'))
        .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let (declared, body) = match gdal {
        Some((n, body)) => (n.parse::<usize>().ok(), body),
        None => (None, text),
    };
    let items: Vec<String> = body
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    match declared {
        Some(n) if n != items.len() => Err(format!(
            "{text:?}: a GDAL list of {n} item(s) holding {}",
            items.len()
        )),
        _ => Ok(items),
    }
}

/// A date `YYYY-MM-DD`, or `YYYY/MM/DD` as GDAL writes a Date field to CSV.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y/%m/%d"))
        .ok()
}

/// A timestamp: RFC 3339 (`2026-12-06T05:02:25Z`, what Tirek writes), or the forms GDAL
/// and spreadsheets write: `/` or `-` between the date's parts, a space or `T` before
/// the time, fractional seconds, and a zone `Z`, `+HH`, `+HHMM` or `+HH:MM`
/// (`2026/12/06 05:02:25+00`). A date alone is midnight UTC. A time without a zone is
/// refused: which zone was meant cannot be known. The error is the hint to append.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, &'static str> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Some(d) = parse_date(text) {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    let zoned = match text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        Some(rest) => format!("{rest}+00"),
        None => text.to_string(),
    };
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y/%m/%d %H:%M:%S%.f%#z",
        "%Y/%m/%dT%H:%M:%S%.f%#z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&zoned, format) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M:%S%.f",
    ] {
        if chrono::NaiveDateTime::parse_from_str(text, format).is_ok() {
            return Err(" (no time zone: add Z or +00 for UTC)");
        }
    }
    Err("")
}

/// Reads typed properties, recording an error for every ill-typed one.
struct PropertyReader<'a> {
    props: &'a Map<String, Value>,
    errors: &'a mut Vec<FieldError>,
}

impl<'a> PropertyReader<'a> {
    fn fail(&mut self, key: &str, message: impl Into<String>) {
        self.errors
            .push(FieldError::new(format!("properties.{key}"), message));
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.props.get(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => {
                let s = s.trim();
                (!s.is_empty()).then(|| s.to_string())
            }
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.fail(key, "must be a string");
                None
            }
        }
    }

    fn bool(&mut self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.fail(key, "must be true or false");
                None
            }
        }
    }

    fn parsed<T: FromStr>(&mut self, key: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.string(key)?;
        match text.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(key, e.to_string());
                None
            }
        }
    }

    fn date(&mut self, key: &str) -> Option<NaiveDate> {
        let text = self.string(key)?;
        match parse_date(&text) {
            Some(d) => Some(d),
            None => {
                self.fail(key, format!("{text:?} is not a date YYYY-MM-DD"));
                None
            }
        }
    }

    fn timestamp(&mut self, key: &str) -> Option<DateTime<Utc>> {
        let text = self.string(key)?;
        match parse_timestamp(&text) {
            Ok(t) => Some(t),
            Err(why) => {
                self.fail(key, format!("{text:?} is not an RFC 3339 timestamp{why}"));
                None
            }
        }
    }

    /// An object property, also given as a string holding a JSON object (what GDAL and
    /// spreadsheets write for a nested object).
    fn object(&self, key: &str) -> Option<Value> {
        match self.get(key)? {
            Value::String(s) if s.trim_start().starts_with('{') => {
                match serde_json::from_str::<Value>(s) {
                    Ok(v @ Value::Object(_)) => Some(v),
                    _ => Some(Value::String(s.clone())),
                }
            }
            other => Some(other.clone()),
        }
    }

    /// A list of vocabulary values, given as an array or a comma-separated string.
    fn list<T>(&mut self, key: &str) -> Vec<T>
    where
        T: FromStr + PartialEq,
        T::Err: std::fmt::Display,
    {
        let items: Vec<(String, String)> = match self.get(key) {
            None => return Vec::new(),
            Some(Value::Array(values)) => {
                let mut items = Vec::new();
                for (i, v) in values.iter().enumerate() {
                    match v.as_str() {
                        Some(s) => items.push((format!("{key}[{i}]"), s.to_string())),
                        None => self.fail(&format!("{key}[{i}]"), "must be a string"),
                    }
                }
                items
            }
            Some(Value::String(s)) => match split_list(s) {
                Ok(items) => items
                    .into_iter()
                    .enumerate()
                    .map(|(i, s)| (format!("{key}[{i}]"), s))
                    .collect(),
                Err(message) => {
                    self.fail(key, message);
                    return Vec::new();
                }
            },
            Some(_) => {
                self.fail(key, "must be an array of strings");
                return Vec::new();
            }
        };
        let mut out: Vec<T> = Vec::new();
        for (path, text) in items {
            match text.parse::<T>() {
                Ok(v) if !out.contains(&v) => out.push(v),
                Ok(_) => self.fail(&path, format!("{text:?} is listed twice")),
                Err(e) => self.fail(&path, e.to_string()),
            }
        }
        out
    }

    fn names(&mut self) -> BTreeMap<Language, String> {
        let mut names = BTreeMap::new();
        match self.object("names") {
            None => {}
            Some(Value::Object(map)) => {
                for (lang, name) in &map {
                    let key = format!("names.{lang}");
                    match (lang.parse::<Language>(), name.as_str()) {
                        (Ok(l), Some(n)) if !n.trim().is_empty() => {
                            names.insert(l, n.trim().to_string());
                        }
                        (Ok(_), Some(_)) => {}
                        (Ok(_), None) if name.is_null() => {}
                        (Ok(_), None) => self.fail(&key, "must be a string"),
                        (Err(e), _) => self.fail(&key, e.to_string()),
                    }
                }
            }
            Some(_) => self.fail("names", "must be an object of language code → name"),
        }
        names
    }

    fn capacity(&mut self) -> Option<Capacity> {
        let value = self.object("capacity")?;
        let Value::Object(map) = value else {
            self.fail(
                "capacity",
                "must be an object {beds_total, beds_available, as_of}",
            );
            return None;
        };
        let inner = PropertyReader {
            props: &map,
            errors: &mut Vec::new(),
        };
        let mut count = |key: &str| -> Option<u32> {
            match inner.get(key) {
                None => None,
                Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
                    Some(n) => Some(n),
                    None => {
                        self.fail(&format!("capacity.{key}"), "must be a whole number ≥ 0");
                        None
                    }
                },
            }
        };
        let beds_total = count("beds_total");
        let beds_available = count("beds_available");
        let as_of = match inner.get("as_of").and_then(Value::as_str) {
            None => None,
            Some(text) => match parse_date(text) {
                Some(d) => Some(d),
                None => {
                    self.fail(
                        "capacity.as_of",
                        format!("{text:?} is not a date YYYY-MM-DD"),
                    );
                    None
                }
            },
        };
        match beds_total {
            Some(beds_total) => Some(Capacity {
                beds_total,
                beds_available,
                as_of,
            }),
            None => {
                self.fail("capacity.beds_total", "required when capacity is given");
                None
            }
        }
    }

    fn facility(&mut self, id: String, lon: f64, lat: f64) -> Facility {
        let mut sectors: Vec<Sector> = self.list("sectors");
        if sectors.is_empty() {
            sectors = self.list("sector");
        }
        let confidential = self
            .bool("confidential")
            .unwrap_or_else(|| sectors.iter().any(|s| s.confidential_by_default()));
        Facility {
            id,
            name: self.string("name").unwrap_or_default(),
            names: self.names(),
            organisation: self.string("organisation"),
            organisation_id: self.string("organisation_id"),
            victim_support_partner: self.string("victim_support_partner"),
            services: self.list("services"),
            lon,
            lat,
            location_precision: self
                .parsed("location_precision")
                .unwrap_or(LocationPrecision::Exact),
            address: self.string("address"),
            country: self
                .string("country")
                .map(|c| c.to_ascii_uppercase())
                .unwrap_or_default(),
            adm1: self.string("adm1"),
            adm2: self.string("adm2"),
            phone: self.string("phone"),
            opening_hours: self.string("opening_hours"),
            languages: self.list("languages"),
            female_staff: self.bool("female_staff").unwrap_or(false),
            child_friendly: self.bool("child_friendly").unwrap_or(false),
            wheelchair_access: self.bool("wheelchair_access").unwrap_or(false),
            free_of_charge: self.bool("free_of_charge").unwrap_or(false),
            no_police_report_required: self.bool("no_police_report_required").unwrap_or(false),
            capacity: self.capacity(),
            status: self.parsed("status").unwrap_or(Status::Active),
            confidential,
            verified_at: self.date("verified_at"),
            source: self.string("source"),
            demo: self.bool("demo").unwrap_or(false),
            created_at: self.timestamp("created_at"),
            updated_at: self.timestamp("updated_at"),
            sectors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn feature() -> Value {
        json!({"type": "Feature", "id": "kz-1", "geometry": {"type": "Point", "coordinates": [68.25, 43.3]},
               "properties": {"id": "kz-1", "name": "Clinic", "sectors": ["health"], "country": "KZ",
                              "services": ["cmr_pep"], "opening_hours": "24/7", "names": {"ru": "Клиника"}}})
    }

    #[test]
    fn reads_a_feature_and_writes_it_back_unchanged() {
        let f = Facility::from_feature(&feature()).unwrap();
        assert_eq!(f.sectors, vec![Sector::Health]);
        assert!(!f.confidential);
        assert_eq!(f.names[&Language::Ru], "Клиника");
        let again = Facility::from_feature(&f.to_feature()).unwrap();
        assert_eq!(again, f);
    }

    #[test]
    fn the_fast_feature_writer_equals_to_feature() {
        let mut f = Facility::from_feature(&feature()).unwrap();
        // The typed feature against the record's own serde form (another path).
        let check = |f: &Facility| {
            let written = serde_json::to_value(FacilityFeature::from(f.clone())).unwrap();
            let expected = json!({"type": "Feature", "id": f.id,
                "geometry": {"type": "Point", "coordinates": [f.lon, f.lat]},
                "properties": Value::Object(f.properties())});
            assert_eq!(written, expected);
        };
        check(&f);
        f.capacity = Some(Capacity {
            beds_total: 12,
            beds_available: Some(2),
            as_of: NaiveDate::from_ymd_opt(2026, 10, 1),
        });
        f.organisation = Some("Org \"quoted\"".into());
        f.languages = vec![Language::Kk, Language::Ru];
        f.verified_at = NaiveDate::from_ymd_opt(2026, 9, 30);
        f.created_at = DateTime::from_timestamp(1_700_000_000, 0);
        f.updated_at = DateTime::from_timestamp(1_700_000_001, 500);
        f.source = Some("src".into());
        f.female_staff = true;
        f.status = Status::TemporarilyClosed;
        check(&f);
    }

    #[test]
    fn shelters_are_confidential_unless_marked_otherwise() {
        let mut v = feature();
        v["properties"]["sectors"] = json!(["shelter"]);
        assert!(Facility::from_feature(&v).unwrap().confidential);
        v["properties"]["confidential"] = json!(false);
        assert!(!Facility::from_feature(&v).unwrap().confidential);
    }

    #[test]
    fn names_every_bad_field() {
        let mut v = feature();
        v["properties"]["sectors"] = json!(["health", "helth"]);
        v["geometry"]["coordinates"] = json!([200.0, 43.0]);
        v["properties"]["phone"] = json!("call me");
        let errors = Facility::from_feature(&v).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"properties.sectors[1]"), "{errors:?}");
        // Validation runs only once the record could be read.
        v["properties"]["sectors"] = json!(["health"]);
        let errors = Facility::from_feature(&v).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["geometry.coordinates", "phone"]);
    }

    #[test]
    fn rejects_wrong_geometry_and_unknown_properties() {
        let mut v = feature();
        v["geometry"] = json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]});
        v["properties"]["colour"] = json!("red");
        let errors = Facility::from_feature(&v).unwrap_err();
        assert_eq!(errors[0].field, "geometry.type");
        assert_eq!(errors[1].field, "properties.colour");
    }

    #[test]
    fn lists_read_in_gdal_and_json_string_forms() {
        assert_eq!(split_list("(1:health)").unwrap(), ["health"]);
        assert_eq!(
            split_list("(2:cmr_pep,emergency_contraception)").unwrap(),
            ["cmr_pep", "emergency_contraception"]
        );
        assert!(split_list("(0:)").unwrap().is_empty());
        assert_eq!(split_list(r#"["health"]"#).unwrap(), ["health"]);
        assert_eq!(
            split_list(r#"[ "kk", "ru" ]"#).unwrap(),
            ["kk", "ru"],
            "JSON list with spaces"
        );
        assert!(split_list("[]").unwrap().is_empty());
        assert_eq!(split_list("health, police").unwrap(), ["health", "police"]);
        // The count must match; a broken JSON list is named as such.
        let e = split_list("(3:health,police)").unwrap_err();
        assert!(e.contains("3 item(s) holding 2"), "{e}");
        assert!(
            split_list(r#"["health""#)
                .unwrap_err()
                .contains("JSON list")
        );
        assert!(split_list("[1]").unwrap_err().contains("not a string"));

        let mut v = feature();
        v["properties"]["sectors"] = json!("(2:health,psychosocial)");
        v["properties"]["services"] = json!(r#"["cmr_pep","counselling"]"#);
        v["properties"]["languages"] = json!("(2:kk,ru)");
        let f = Facility::from_feature(&v).unwrap();
        assert_eq!(f.sectors, [Sector::Health, Sector::Psychosocial]);
        assert_eq!(f.services, [Service::CmrPep, Service::Counselling]);
        assert_eq!(f.languages, [Language::Kk, Language::Ru]);
        // A bad item or a wrong count is still named by field.
        v["properties"]["sectors"] = json!("(2:health,helth)");
        let errors = Facility::from_feature(&v).unwrap_err();
        assert_eq!(errors[0].field, "properties.sectors[1]", "{errors:?}");
        v["properties"]["sectors"] = json!("(1:health,police)");
        let errors = Facility::from_feature(&v).unwrap_err();
        assert_eq!(errors[0].field, "properties.sectors", "{errors:?}");
    }

    #[test]
    fn timestamps_and_dates_read_in_gdal_forms() {
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let t = utc("2026-12-06T05:02:25Z");
        for text in [
            "2026-12-06T05:02:25Z",
            "2026-12-06T05:02:25+00:00",
            "2026/12/06 05:02:25+00",
            "2026/12/06 05:02:25+0000",
            "2026/12/06 05:02:25.000+00",
            "2026-12-06 05:02:25Z",
            "2026-12-06 10:02:25+05",
            "2026/12/06 10:32:25+0530",
            "2026-12-06T10:02:25+05:00",
            "2026/12/06 00:02:25-05",
        ] {
            assert_eq!(parse_timestamp(text), Ok(t), "{text}");
        }
        assert_eq!(
            parse_timestamp("2026/12/06"),
            Ok(utc("2026-12-06T00:00:00Z"))
        );
        assert!(
            parse_timestamp("2026/12/06 05:02:25")
                .unwrap_err()
                .contains("no time zone")
        );
        assert!(parse_timestamp("yesterday").is_err());
        assert!(parse_timestamp("2026/13/06 05:02:25+00").is_err());
        let d = NaiveDate::from_ymd_opt(2026, 7, 10);
        assert_eq!(parse_date("2026/07/10"), d);
        assert_eq!(parse_date("2026-07-10"), d);
        assert_eq!(parse_date("10.07.2026"), None);

        let mut v = feature();
        v["properties"]["created_at"] = json!("2026/12/06 05:02:25+00");
        v["properties"]["verified_at"] = json!("2026/07/10");
        v["properties"]["capacity"] = json!(r#"{ "beds_total": 4, "as_of": "2026/10/01" }"#);
        v["properties"]["names"] = json!(r#"{ "ru": "Клиника" }"#);
        let f = Facility::from_feature(&v).unwrap();
        assert_eq!(f.created_at, Some(t));
        assert_eq!(f.verified_at, d);
        assert_eq!(
            f.capacity.unwrap().as_of,
            NaiveDate::from_ymd_opt(2026, 10, 1)
        );
        assert_eq!(f.names[&Language::Ru], "Клиника");
        v["properties"]["created_at"] = json!("2026/12/06 05:02:25");
        let errors = Facility::from_feature(&v).unwrap_err();
        assert_eq!(errors[0].field, "properties.created_at");
        assert!(errors[0].message.contains("no time zone"), "{errors:?}");
        v["properties"]["created_at"] = json!(null);
        v["properties"]["names"] = json!("{ not json");
        let errors = Facility::from_feature(&v).unwrap_err();
        assert_eq!(errors[0].field, "properties.names", "{errors:?}");
    }
}
