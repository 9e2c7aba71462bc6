//! The service registry's domain types: what a facility record holds, the closed
//! vocabularies (sectors, services, statuses, languages) and the validation rules.
//! Admin areas, settlements, organisations, proposals, problem reports and the
//! non-identifying referral and unmet-needs logs live here too. Nothing here knows about HTTP or storage.

mod account;
mod facility;
pub mod geojson;
mod hours;
mod organisation;
mod place;
mod proposal;
mod referral;
mod report;
mod vocab;

pub use account::{Account, Credential, CredentialKind, Role, UnknownRole};
pub use facility::{Capacity, Facility, FacilityFeature, FacilityProperties, FieldError};
pub use facility::{
    DERIVED_PROPERTY_NAMES, PROPERTY_NAMES, format_timestamp, parse_date, parse_timestamp,
    split_list,
};
pub use hours::{HoursWords, OpeningHours, OpeningHoursError};
pub use organisation::Organisation;
pub use place::{Area, PopulationPoint, Settlement, country_bytes};
pub use proposal::{MAX_REASON_CHARS, Proposal, ProposalKind, ProposalStatus};
pub use referral::{
    AreaCodes, DeclineReason, MAX_FACILITY_ID, Needs, Referral, ReferralStatus, TransitionError,
    UnmetNeed,
};
pub use report::{MAX_REPORT_CHARS, ProblemKind, Report, ReportStatus};
pub use vocab::parse_list;
pub use vocab::{Language, LocationPrecision, Sector, Service, Status, VocabError};
