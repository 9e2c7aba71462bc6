//! The facility record: one service point of the GBV response, and its validation
//! rules. Its GeoJSON form is in [`geojson`].

mod geojson;

pub use geojson::{
    DERIVED_PROPERTY_NAMES, FacilityFeature, FacilityProperties, PROPERTY_NAMES, parse_date,
    parse_timestamp, split_list,
};

use super::{Language, LocationPrecision, OpeningHours, Sector, Service, Status};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

/// A field of a record that failed to read or validate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
// No other members: this is what tells it apart from an import's `RecordError` in the
// OpenAPI document (serialisation is unaffected).
#[serde(deny_unknown_fields)]
pub struct FieldError {
    /// The field's path, e.g. `properties.sectors[1]` or `geometry.coordinates`.
    pub field: String,
    /// What is wrong, in words a data manager understands.
    pub message: String,
}

impl FieldError {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Shelter capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Capacity {
    /// Beds in total.
    pub beds_total: u32,
    /// Beds free at `as_of`.
    pub beds_available: Option<u32>,
    /// When the availability was reported.
    pub as_of: Option<NaiveDate>,
}

/// One service point: a health facility, police unit, psycho-social centre, shelter,
/// legal-aid office or hotline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Facility {
    /// Stable identifier (letters, digits, `.`, `_`, `:`, `-`).
    pub id: String,
    /// Name (in the language the record was written in).
    pub name: String,
    /// Names by language.
    #[serde(default)]
    pub names: BTreeMap<Language, String>,
    /// The organisation that runs it, as written (free text).
    pub organisation: Option<String>,
    /// The id of the organisation record that keeps this facility (see
    /// [`super::Organisation`]); its agency editors may propose changes to it.
    #[serde(default)]
    pub organisation_id: Option<String>,
    /// Programmes for perpetrators: the victim-support service the programme works
    /// with (an organisation id, or its name as written), so that a coordinator can
    /// check the programme keeps the victims' safety in view. Only on records of the
    /// `perpetrator_programme` sector.
    #[serde(default)]
    pub victim_support_partner: Option<String>,
    /// Sectors served (one or more).
    pub sectors: Vec<Sector>,
    /// Services offered.
    #[serde(default)]
    pub services: Vec<Service>,
    /// WGS84 longitude, degrees.
    pub lon: f64,
    /// WGS84 latitude, degrees.
    pub lat: f64,
    /// How exactly the point is known: `exact` (absent on input means exact) or
    /// `settlement` (placed at the settlement's centre by a spreadsheet import).
    #[serde(default)]
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
    #[serde(default)]
    pub languages: Vec<Language>,
    /// Female staff available.
    #[serde(default)]
    pub female_staff: bool,
    /// Child-friendly.
    #[serde(default)]
    pub child_friendly: bool,
    /// Wheelchair accessible.
    #[serde(default)]
    pub wheelchair_access: bool,
    /// Free of charge.
    #[serde(default)]
    pub free_of_charge: bool,
    /// Serves survivors without a police report.
    #[serde(default)]
    pub no_police_report_required: bool,
    /// Beds (shelters).
    pub capacity: Option<Capacity>,
    /// Whether it takes survivors now.
    pub status: Status,
    /// Exact location, address and phone are for authorised users only.
    pub confidential: bool,
    /// When the record was last verified.
    pub verified_at: Option<NaiveDate>,
    /// Where the record comes from.
    pub source: Option<String>,
    /// Synthetic demonstration record, not a real service.
    #[serde(default)]
    pub demo: bool,
    /// When first stored.
    pub created_at: Option<DateTime<Utc>>,
    /// When last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Formats a timestamp the way records carry it (RFC 3339, whole seconds, `Z`).
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Facility {
    /// Whether the record is past its verification age on `today`: last verified more
    /// than `max_age_days` ago, or never.
    pub fn verification_overdue(&self, today: NaiveDate, max_age_days: u32) -> bool {
        self.verified_at
            .is_none_or(|d| (today - d).num_days() > i64::from(max_age_days))
    }

    /// Whether this facility serves `sector`.
    pub fn has_sector(&self, sector: Sector) -> bool {
        self.sectors.contains(&sector)
    }

    /// Parsed opening hours, if present and readable.
    pub fn hours(&self) -> Option<OpeningHours> {
        self.opening_hours
            .as_deref()
            .and_then(|h| OpeningHours::parse(h).ok())
    }

    /// Checks a record as read from an input, before the registry fills what it can
    /// from the admin areas: [`Facility::validate`] except that an empty `country` is
    /// allowed (the country area holding the point gives it; the registry refuses the
    /// record if none does).
    pub fn validate_as_read(&self) -> Vec<FieldError> {
        let mut errors = self.validate();
        if self.country.is_empty() {
            errors.retain(|e| e.field != "country");
        }
        errors
    }

    /// Checks the record's values. Empty when valid.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: String| errors.push(FieldError::new(field, message));
        if self.id.is_empty() {
            fail("id", "missing or empty".into());
        } else if self.id.len() > 100 {
            fail("id", "longer than 100 characters".into());
        } else if !self
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
        {
            fail(
                "id",
                "may contain only ASCII letters, digits and . _ : -".into(),
            );
        }
        if self.name.trim().is_empty() {
            fail("name", "missing or empty".into());
        } else if self.name.chars().count() > 300 {
            fail("name", "longer than 300 characters".into());
        }
        if self.sectors.is_empty() {
            fail("sectors", "at least one sector is required".into());
        }
        if !self.lon.is_finite() || !(-180.0..=180.0).contains(&self.lon) {
            fail(
                "geometry.coordinates",
                format!("longitude {} is outside -180..180", self.lon),
            );
        }
        if !self.lat.is_finite() || !(-90.0..=90.0).contains(&self.lat) {
            fail(
                "geometry.coordinates",
                format!("latitude {} is outside -90..90", self.lat),
            );
        }
        if self.country.is_empty() {
            fail(
                "country",
                "missing, and the point lies in no country area (nor within 0.2° of one) that \
                 would give it: give an ISO 3166-1 alpha-2 code such as \"KZ\""
                    .into(),
            );
        } else if self.country.len() != 2 || !self.country.chars().all(|c| c.is_ascii_uppercase()) {
            fail(
                "country",
                format!(
                    "{:?} is not an ISO 3166-1 alpha-2 code such as \"KZ\"",
                    self.country
                ),
            );
        }
        if let Some(phone) = &self.phone {
            let ok = phone.len() <= 50
                && phone.chars().any(|c| c.is_ascii_digit())
                && phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-()./,;".contains(c));
            if !ok {
                fail(
                    "phone",
                    format!("{phone:?} is not a phone number (digits, spaces, + - ( ) only)"),
                );
            }
        }
        if let Some(hours) = &self.opening_hours
            && let Err(e) = OpeningHours::parse(hours)
        {
            fail("opening_hours", e.to_string());
        }
        if let Some(cap) = &self.capacity
            && let Some(free) = cap.beds_available
            && free > cap.beds_total
        {
            fail(
                "capacity.beds_available",
                format!("{free} beds available but only {} in total", cap.beds_total),
            );
        }
        if let Some(date) = self.verified_at
            && date > Utc::now().date_naive() + chrono::Days::new(1)
        {
            fail("verified_at", format!("{date} is in the future"));
        }
        if self.victim_support_partner.is_some() && !self.has_sector(Sector::PerpetratorProgramme) {
            fail(
                "victim_support_partner",
                "only a programme for perpetrators (sector perpetrator_programme) names a \
                 victim-support partner"
                    .into(),
            );
        }
        for (field, value) in [
            ("organisation", &self.organisation),
            ("organisation_id", &self.organisation_id),
            ("victim_support_partner", &self.victim_support_partner),
            ("address", &self.address),
            ("source", &self.source),
            ("adm1", &self.adm1),
            ("adm2", &self.adm2),
        ] {
            if value.as_ref().is_some_and(|v| v.chars().count() > 500) {
                fail(field, "longer than 500 characters".into());
            }
        }
        errors
    }
}
