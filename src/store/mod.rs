//! Persistent storage: the [`Store`] trait and its SQLite and PostgreSQL backends.
//!
//! Every write appends to a `changes` table in the same transaction, so the largest
//! sequence number is the *data version* that caches and other instances follow. On
//! PostgreSQL a trigger on that table sends `NOTIFY tirek_changes`, so a write by any
//! process (another instance, the CLI) reaches every running instance: [`Store::watch`]
//! hands out a [`ChangeWatch`] that wakes on those notifications (PostgreSQL) or polls
//! (SQLite), and [`crate::registry::follow`] catches up on each wake.

mod postgres;
mod sql;
mod sqlite;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::model::{
    Account, Area, AreaCodes, Credential, Facility, Needs, Organisation, Proposal, ProposalStatus,
    Referral, ReferralStatus, Report, ReportStatus, Settlement, UnmetNeed,
};
use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No record with that id.
    #[error("no facility with id {0:?}")]
    NotFound(String),
    /// No account with that name.
    #[error("no account {0:?}")]
    NoAccount(String),
    /// A record with that id exists already.
    #[error("a facility with id {0:?} exists already")]
    Conflict(String),
    /// No organisation with that id.
    #[error("no organisation with id {0:?}")]
    NoOrganisation(String),
    /// No proposal with that number.
    #[error("no proposal {0}")]
    NoProposal(i64),
    /// The proposal has been decided already.
    #[error("proposal {id} is {status} already")]
    Decided {
        /// The proposal.
        id: i64,
        /// Where it stands.
        status: ProposalStatus,
    },
    /// The facility changed since the proposal was made: deciding on it would undo
    /// someone else's write.
    #[error(
        "facility {0:?} changed since the proposal was made; reject it and propose again on the current record"
    )]
    Stale(String),
    /// No problem report with that number.
    #[error("no report {0}")]
    NoReport(i64),
    /// The report is not open any more.
    #[error("report {0} is resolved or dismissed already")]
    ReportClosed(i64),
    /// No referral with that number.
    #[error("no referral {0}")]
    NoReferral(i64),
    /// The referral's status changed since it was read (someone else answered it).
    #[error("referral {id} is {status} now; reload it and try again")]
    ReferralMoved {
        /// The referral.
        id: i64,
        /// Where it stands now.
        status: ReferralStatus,
    },
    /// A stored record could not be read back.
    #[error("stored record {id:?} is unreadable: {reason}")]
    Corrupt {
        /// The record.
        id: String,
        /// Why.
        reason: String,
    },
    /// The database URL is not one Tirek can use.
    #[error(
        "unsupported database URL {0:?}: use postgres://… or leave DATABASE_URL unset for SQLite"
    )]
    UnsupportedUrl(String),
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Told how many records of a long write are done.
pub type Progress = dyn Fn(usize) + Send + Sync;

/// How often a long write reports progress.
const PROGRESS_EVERY: usize = 5_000;

/// A change recorded in the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Sequence number (the data version after this change).
    pub seq: i64,
    /// `facility`, `area` or `settlement`.
    pub kind: String,
    /// The record's id (or the level, for area replacements).
    pub entity_id: String,
    /// `upsert`, `delete` or `replace`.
    pub op: String,
}

/// A stored friction surface, described (its GeoTIFF apart).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FrictionInfo {
    /// The scenario's name (`[a-z0-9_-]{1,32}`, e.g. `walking`, `motorised`).
    pub scenario: String,
    /// A synthetic demo surface (the default data), not a measured one.
    pub demo: bool,
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// West edge, degrees.
    pub west: f64,
    /// North edge, degrees.
    pub north: f64,
    /// Cell width, degrees.
    pub cell_width: f64,
    /// Cell height, degrees.
    pub cell_height: f64,
    /// When it was stored (RFC 3339, UTC).
    pub imported_at: String,
    /// Who stored it.
    pub actor: String,
}

/// One entry of the audit log: who changed what, and the record before and after.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Increasing number.
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who: a user name, `cli:<name>` for the command line, `system` for set-up.
    pub actor: String,
    /// `create`, `update`, `delete`, `replace`, `user.add`, `user.reset`, …
    pub action: String,
    /// `facility`, `area`, `settlement` or `user`.
    pub entity_kind: String,
    /// The record's id (the level for areas, `*` for settlements).
    pub entity_id: String,
    /// The record before, as JSON text (absent for a creation).
    pub before: Option<String>,
    /// The record after, as JSON text (absent for a deletion).
    pub after: Option<String>,
}

/// What Tirek keeps: facilities, admin areas, settlements, accounts and the audit log.
/// Every write names its `actor` and appends to the audit log in the same transaction.
/// How often a polling [`ChangeWatch`] wakes (SQLite: a CLI write to the same file
/// reaches a running server within this).
pub const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// Wakes a follower when the store's data may have changed, whoever changed it. A wake
/// is only a hint (at least once, possibly spurious): the follower then reads the
/// change log from its own data version, so nothing depends on what a wake carries.
#[async_trait]
pub trait ChangeWatch: Send {
    /// Waits until data may have changed: a notification arrived, or the watch had to
    /// reconnect (so some may have been missed), or a poll interval passed. Bursts are
    /// folded into one wake. An error means the watch is broken: open a new one.
    async fn changed(&mut self) -> Result<(), StoreError>;
}

/// The [`ChangeWatch`] of a store that cannot notify: wakes every `interval`.
pub struct PollWatch {
    interval: tokio::time::Interval,
}

impl PollWatch {
    /// Wakes every `interval`, the first time after one interval.
    pub fn new(interval: std::time::Duration) -> Self {
        let mut interval =
            tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Self { interval }
    }
}

#[async_trait]
impl ChangeWatch for PollWatch {
    async fn changed(&mut self) -> Result<(), StoreError> {
        self.interval.tick().await;
        Ok(())
    }
}

/// An open transaction writing facilities batch by batch (see
/// [`Store::begin_facility_writes`]). Each batch is written as
/// [`Store::upsert_facilities`] writes it: rows, audit entries and change-log entries.
#[async_trait]
pub trait FacilityWrites: Send {
    /// Inserts or replaces these facilities inside the transaction.
    async fn write(&mut self, facilities: &[Facility]) -> Result<(), StoreError>;
    /// Commits everything written.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// What Tirek keeps: facilities, admin areas and settlements.
#[async_trait]
pub trait Store: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Every facility.
    async fn facilities(&self) -> Result<Vec<Facility>, StoreError>;
    /// Every facility, one at a time, in id order (without holding them all).
    async fn scan_facilities(
        &self,
        each: &mut (dyn FnMut(Facility) + Send),
    ) -> Result<(), StoreError>;
    /// One facility.
    async fn facility(&self, id: &str) -> Result<Option<Facility>, StoreError>;
    /// Adds a new facility; [`StoreError::Conflict`] if the id exists.
    async fn insert_facility(&self, facility: &Facility, actor: &str) -> Result<(), StoreError>;
    /// Replaces a facility; [`StoreError::NotFound`] if the id does not exist.
    async fn update_facility(&self, facility: &Facility, actor: &str) -> Result<(), StoreError>;
    /// Removes a facility; [`StoreError::NotFound`] if the id does not exist.
    async fn delete_facility(&self, id: &str, actor: &str) -> Result<(), StoreError>;
    /// Inserts or replaces all of these in one transaction: all or nothing. `progress`
    /// hears how many are written, now and then.
    async fn upsert_facilities(
        &self,
        facilities: &[Facility],
        progress: Option<&Progress>,
        actor: &str,
    ) -> Result<(), StoreError>;

    /// Starts a write of many facilities in one transaction, batch by batch (an
    /// import too large to hold at once): nothing is visible to others until
    /// [`FacilityWrites::commit`]; dropped without it, everything is rolled back.
    async fn begin_facility_writes(
        &self,
        actor: &str,
    ) -> Result<Box<dyn FacilityWrites>, StoreError>;

    /// Replaces every area of `level` in one transaction.
    async fn replace_areas(&self, level: u8, areas: &[Area], actor: &str)
    -> Result<(), StoreError>;
    /// The areas of `level`, or of every level.
    async fn areas(&self, level: Option<u8>) -> Result<Vec<Area>, StoreError>;
    /// Replaces every settlement in one transaction.
    async fn replace_settlements(
        &self,
        settlements: &[Settlement],
        actor: &str,
    ) -> Result<(), StoreError>;
    /// Every settlement.
    async fn settlements(&self) -> Result<Vec<Settlement>, StoreError>;

    /// The data version: the sequence number of the latest change (0 when empty).
    async fn version(&self) -> Result<i64, StoreError>;
    /// Changes after `seq`, oldest first.
    async fn changes_since(&self, seq: i64) -> Result<Vec<Change>, StoreError>;
    /// The first `limit` changes after `seq`, oldest first (a caller that only needs
    /// to know whether there are many need not read a million).
    async fn changes_since_at_most(&self, seq: i64, limit: i64) -> Result<Vec<Change>, StoreError>;

    /// Every account, by name.
    async fn accounts(&self) -> Result<Vec<Account>, StoreError>;
    /// One account.
    async fn account(&self, username: &str) -> Result<Option<Account>, StoreError>;
    /// Creates or replaces an account (audited as `action`). A changed password or role
    /// ends the account's sessions and revokes its API tokens (audited as `token.revoke`
    /// when there were any).
    async fn put_account(
        &self,
        account: &Account,
        action: &str,
        actor: &str,
    ) -> Result<(), StoreError>;
    /// Removes an account with its sessions and tokens; [`StoreError::NoAccount`] if absent.
    async fn remove_account(&self, username: &str, actor: &str) -> Result<(), StoreError>;
    /// Stores a session or token (tokens are audited).
    async fn add_credential(&self, credential: &Credential, actor: &str) -> Result<(), StoreError>;
    /// The credential whose secret has this digest.
    async fn credential(&self, secret_hash: &str) -> Result<Option<Credential>, StoreError>;
    /// Forgets one session or token.
    async fn remove_credential(&self, secret_hash: &str) -> Result<(), StoreError>;
    /// Revokes every API token of an account; returns how many there were.
    async fn revoke_tokens(&self, username: &str, actor: &str) -> Result<u64, StoreError>;
    /// Audit entries after `after_id`, oldest first, at most `limit`.
    async fn audit_log(&self, after_id: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError>;

    /// Every organisation, by id.
    async fn organisations(&self) -> Result<Vec<Organisation>, StoreError>;
    /// One organisation.
    async fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError>;
    /// Creates or replaces an organisation (audited as `organisation.create` or
    /// `organisation.update`).
    async fn put_organisation(
        &self,
        organisation: &Organisation,
        actor: &str,
    ) -> Result<(), StoreError>;

    /// Records a proposal (its `id` is ignored; the stored number is returned), audited
    /// as `proposal.submit`. With `publish` (a trusted organisation) its `after` record
    /// is written in the same transaction (audited as a facility write) and the proposal
    /// is stored as `published`. A creation of an existing id is a
    /// [`StoreError::Conflict`], a change of a missing one [`StoreError::NotFound`].
    async fn add_proposal(
        &self,
        proposal: &Proposal,
        publish: bool,
        actor: &str,
    ) -> Result<i64, StoreError>;
    /// Proposals, newest first, of one status and/or organisation.
    async fn proposals(
        &self,
        status: Option<ProposalStatus>,
        organisation: Option<&str>,
    ) -> Result<Vec<Proposal>, StoreError>;
    /// One proposal.
    async fn proposal(&self, id: i64) -> Result<Option<Proposal>, StoreError>;
    /// Decides proposal `id`, which must still be `from` ([`StoreError::Decided`]
    /// otherwise): sets `to`, the reason and who decided, audited as `action`. With
    /// `write`, that facility record is written in the same transaction (through the
    /// same write as every facility, so the change log carries it to every instance);
    /// it is refused with [`StoreError::Stale`] when the stored record no longer equals
    /// the proposal's `before` (timestamps aside).
    #[allow(clippy::too_many_arguments)]
    async fn decide_proposal(
        &self,
        id: i64,
        from: ProposalStatus,
        to: ProposalStatus,
        reason: Option<&str>,
        write: Option<&Facility>,
        action: &str,
        actor: &str,
    ) -> Result<(), StoreError>;

    /// Stores a problem report (its `id` is ignored; the stored number is returned),
    /// audited as `report.create` by `actor`.
    async fn add_report(&self, report: &Report, actor: &str) -> Result<i64, StoreError>;
    /// Problem reports, newest first, of one status and/or organisation.
    async fn reports(
        &self,
        status: Option<ReportStatus>,
        organisation: Option<&str>,
    ) -> Result<Vec<Report>, StoreError>;
    /// One problem report.
    async fn report(&self, id: i64) -> Result<Option<Report>, StoreError>;
    /// Resolves or dismisses an open report ([`StoreError::ReportClosed`] otherwise),
    /// audited as `report.resolve` or `report.dismiss`.
    async fn decide_report(
        &self,
        id: i64,
        to: ReportStatus,
        note: Option<&str>,
        actor: &str,
    ) -> Result<(), StoreError>;

    /// Stores referrals (their `id`s are ignored) in one transaction, each audited as
    /// `referral.create`; returns their numbers, in order.
    async fn add_referrals(
        &self,
        referrals: &[Referral],
        actor: &str,
    ) -> Result<Vec<i64>, StoreError>;
    /// Referrals, newest first: made by organisation `from`, received by organisation
    /// `to` and recorded by the account `made_by`, each when given (all together when
    /// several are); every one when none is.
    async fn referrals(
        &self,
        from: Option<&str>,
        to: Option<&str>,
        made_by: Option<&str>,
    ) -> Result<Vec<Referral>, StoreError>;
    /// One referral.
    async fn referral(&self, id: i64) -> Result<Option<Referral>, StoreError>;
    /// Writes a referral's new status and days, on condition that it is still `from`
    /// ([`StoreError::ReferralMoved`] otherwise), audited as `referral.status` with the
    /// record before and after.
    async fn update_referral(
        &self,
        referral: &Referral,
        from: ReferralStatus,
        actor: &str,
    ) -> Result<(), StoreError>;
    /// Stores unmet needs (their `id`s are ignored) in one transaction, each audited as
    /// `unmet_need.create`; returns their numbers, in order.
    async fn add_unmet_needs(
        &self,
        needs: &[UnmetNeed],
        actor: &str,
    ) -> Result<Vec<i64>, StoreError>;
    /// Unmet needs, newest first: recorded by `organisation` when given, else every one.
    async fn unmet_needs(&self, organisation: Option<&str>) -> Result<Vec<UnmetNeed>, StoreError>;

    /// Stores the friction surface of `info.scenario` (its GeoTIFF bytes as imported),
    /// replacing one of the same name; audited, and logged as a `friction` change.
    async fn put_friction(
        &self,
        info: &FrictionInfo,
        tiff: &[u8],
        actor: &str,
    ) -> Result<(), StoreError>;
    /// Removes the friction surface of `scenario`; false when there was none.
    async fn remove_friction(&self, scenario: &str, actor: &str) -> Result<bool, StoreError>;
    /// Every stored friction surface's description, by scenario name.
    async fn friction_infos(&self) -> Result<Vec<FrictionInfo>, StoreError>;
    /// The GeoTIFF bytes of `scenario`'s friction surface.
    async fn friction_tiff(&self, scenario: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// A watch that wakes when any process may have changed the data. Listening starts
    /// before this returns, so a catch-up after it misses nothing.
    async fn watch(&self) -> Result<Box<dyn ChangeWatch>, StoreError>;
}

/// Opens the store: PostgreSQL when `database_url` is `postgres://…`, otherwise a
/// SQLite file `tirek.sqlite` in `data_dir` (created on first use). Migrations run.
pub async fn open(
    database_url: Option<&str>,
    data_dir: &Path,
) -> Result<Arc<dyn Store>, StoreError> {
    match database_url.filter(|u| !u.is_empty()) {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PostgresStore::connect(url).await?))
        }
        Some(url) if url.starts_with("sqlite:") => {
            Ok(Arc::new(SqliteStore::connect_url(url).await?))
        }
        Some(url) => Err(StoreError::UnsupportedUrl(url.to_string())),
        None => {
            std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
                path: data_dir.display().to_string(),
                source,
            })?;
            Ok(Arc::new(
                SqliteStore::open_file(&data_dir.join("tirek.sqlite")).await?,
            ))
        }
    }
}

/// The row form of a facility shared by both backends.
struct FacilityRow {
    id: String,
    name: String,
    sectors: String,
    country: String,
    lon: f64,
    lat: f64,
    status: String,
    confidential: bool,
    demo: bool,
    doc: String,
    updated_at: String,
}

impl FacilityRow {
    fn of(f: &Facility) -> Self {
        Self {
            id: f.id.clone(),
            name: f.name.clone(),
            sectors: f
                .sectors
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(","),
            country: f.country.clone(),
            lon: f.lon,
            lat: f.lat,
            status: f.status.as_str().to_string(),
            confidential: f.confidential,
            demo: f.demo,
            doc: serde_json::to_string(f).unwrap_or_default(),
            updated_at: f
                .updated_at
                .as_ref()
                .map(crate::model::format_timestamp)
                .unwrap_or_default(),
        }
    }
}

fn facility_from_doc(id: &str, doc: &str) -> Result<Facility, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        reason: e.to_string(),
    })
}

/// The row form of an area shared by both backends.
struct AreaRow {
    code: String,
    level: i32,
    parent: Option<String>,
    name: String,
    names: String,
    geometry: String,
}

impl AreaRow {
    fn of(a: &Area) -> Self {
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&a.geometry));
        Self {
            code: a.code.clone(),
            level: i32::from(a.level),
            parent: a.parent.clone(),
            name: a.name.clone(),
            names: serde_json::to_string(&a.names).unwrap_or_default(),
            geometry: serde_json::to_string(&geometry).unwrap_or_default(),
        }
    }

    fn into_area(self) -> Result<Area, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            id: self.code.clone(),
            reason,
        };
        let geometry: geojson::Geometry =
            serde_json::from_str(&self.geometry).map_err(|e| corrupt(e.to_string()))?;
        let geometry = geo::MultiPolygon::<f64>::try_from(&geometry.value)
            .map_err(|e| corrupt(e.to_string()))?;
        Ok(Area {
            names: serde_json::from_str(&self.names).map_err(|e| corrupt(e.to_string()))?,
            level: u8::try_from(self.level).map_err(|e| corrupt(e.to_string()))?,
            code: self.code,
            parent: self.parent,
            name: self.name,
            geometry,
        })
    }
}

fn settlement_from_doc(id: &str, doc: &str) -> Result<Settlement, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        reason: e.to_string(),
    })
}

/// Equal in everything but the bookkeeping timestamps.
fn same_facility(a: &Facility, b: &Facility) -> bool {
    let strip = |f: &Facility| Facility {
        created_at: None,
        updated_at: None,
        ..f.clone()
    };
    strip(a) == strip(b)
}

/// The row form of a proposal shared by both backends.
struct ProposalRow {
    id: i64,
    facility_id: String,
    organisation: String,
    proposer: String,
    kind: String,
    status: String,
    before: Option<String>,
    after: String,
    reason: Option<String>,
    decided_by: Option<String>,
    created_at: String,
    decided_at: Option<String>,
}

impl ProposalRow {
    fn into_proposal(self) -> Result<Proposal, StoreError> {
        let id = format!("proposal {}", self.id);
        let corrupt = |reason: String| StoreError::Corrupt {
            id: id.clone(),
            reason,
        };
        Ok(Proposal {
            id: self.id,
            kind: self.kind.parse().map_err(corrupt)?,
            status: self.status.parse().map_err(corrupt)?,
            before: self
                .before
                .as_deref()
                .map(|d| facility_from_doc(&self.facility_id, d))
                .transpose()?,
            after: facility_from_doc(&self.facility_id, &self.after)?,
            created_at: parse_time(&self.created_at).map_err(corrupt)?,
            decided_at: self
                .decided_at
                .as_deref()
                .map(parse_time)
                .transpose()
                .map_err(corrupt)?,
            facility_id: self.facility_id,
            organisation_id: self.organisation,
            proposer: self.proposer,
            reason: self.reason,
            decided_by: self.decided_by,
        })
    }
}

/// The row form of a problem report shared by both backends.
struct ReportRow {
    id: i64,
    facility_id: String,
    organisation: Option<String>,
    kind: String,
    text: String,
    status: String,
    note: Option<String>,
    decided_by: Option<String>,
    created_at: String,
    decided_at: Option<String>,
}

impl ReportRow {
    fn into_report(self) -> Result<Report, StoreError> {
        let id = format!("report {}", self.id);
        let corrupt = |reason: String| StoreError::Corrupt {
            id: id.clone(),
            reason,
        };
        Ok(Report {
            id: self.id,
            kind: crate::model::ProblemKind::parse(&self.kind)
                .ok_or_else(|| corrupt(format!("kind {:?}", self.kind)))?,
            status: ReportStatus::parse(&self.status)
                .ok_or_else(|| corrupt(format!("status {:?}", self.status)))?,
            created_at: parse_time(&self.created_at).map_err(corrupt)?,
            decided_at: self
                .decided_at
                .as_deref()
                .map(parse_time)
                .transpose()
                .map_err(corrupt)?,
            facility_id: self.facility_id,
            organisation_id: self.organisation,
            text: self.text,
            note: self.note,
            decided_by: self.decided_by,
        })
    }
}

/// The row form of a referral shared by both backends.
struct ReferralRow {
    id: i64,
    from_organisation: String,
    to_facility: String,
    to_organisation: String,
    sector: String,
    made_on: String,
    consent_to_share: bool,
    status: String,
    decline_reason: Option<String>,
    accepted_on: Option<String>,
    closed_on: Option<String>,
    country: String,
    region: Option<String>,
    district: Option<String>,
    demo: bool,
    made_by: Option<String>,
}

impl ReferralRow {
    fn into_referral(self) -> Result<Referral, StoreError> {
        let id = format!("referral {}", self.id);
        let corrupt = |reason: String| StoreError::Corrupt {
            id: id.clone(),
            reason,
        };
        let day = |text: &str| parse_day(text).map_err(corrupt);
        Ok(Referral {
            id: self.id,
            sector: self.sector.parse().map_err(|e| corrupt(format!("{e}")))?,
            made_on: day(&self.made_on)?,
            status: self.status.parse().map_err(|e| corrupt(format!("{e}")))?,
            decline_reason: self
                .decline_reason
                .as_deref()
                .map(str::parse)
                .transpose()
                .map_err(|e| corrupt(format!("{e}")))?,
            accepted_on: self.accepted_on.as_deref().map(day).transpose()?,
            closed_on: self.closed_on.as_deref().map(day).transpose()?,
            from_organisation: self.from_organisation,
            to_facility: self.to_facility,
            to_organisation: self.to_organisation,
            consent_to_share: self.consent_to_share,
            area: AreaCodes {
                country: self.country,
                region: self.region,
                district: self.district,
            },
            demo: self.demo,
            made_by: self.made_by,
        })
    }
}

/// The row form of an unmet need shared by both backends.
struct UnmetNeedRow {
    id: i64,
    organisation: String,
    sector: String,
    services: i64,
    languages: i64,
    flags: [bool; 6],
    country: String,
    region: Option<String>,
    district: Option<String>,
    recorded_on: String,
    demo: bool,
}

impl UnmetNeedRow {
    fn into_need(self) -> Result<UnmetNeed, StoreError> {
        let id = format!("unmet need {}", self.id);
        let corrupt = |reason: String| StoreError::Corrupt {
            id: id.clone(),
            reason,
        };
        let [
            open_24_7,
            female_staff,
            child_friendly,
            wheelchair_access,
            free_of_charge,
            no_police_report_required,
        ] = self.flags;
        Ok(UnmetNeed {
            id: self.id,
            sector: self.sector.parse().map_err(|e| corrupt(format!("{e}")))?,
            recorded_on: parse_day(&self.recorded_on).map_err(corrupt)?,
            needs: Needs {
                services: Needs::services_of(self.services),
                languages: Needs::languages_of(self.languages),
                open_24_7,
                female_staff,
                child_friendly,
                wheelchair_access,
                free_of_charge,
                no_police_report_required,
            },
            organisation: self.organisation,
            area: AreaCodes {
                country: self.country,
                region: self.region,
                district: self.district,
            },
            demo: self.demo,
        })
    }
}

fn parse_day(text: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| format!("day {text:?}: {e}"))
}

fn day_text(day: chrono::NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Referrals and unmet needs written per statement by a bulk write.
const LOG_ROWS: usize = 200;

fn organisation_from_doc(id: &str, doc: &str) -> Result<Organisation, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt {
        id: id.to_string(),
        reason: e.to_string(),
    })
}

fn parse_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("timestamp {text:?}: {e}"))
}

fn now_text() -> String {
    crate::model::format_timestamp(&chrono::Utc::now())
}
