//! The embedded default backend: one SQLite file (WAL mode) in the data directory.

use super::sql::{
    BULK_ROWS, PROPOSAL_COLUMNS, REFERRAL_COLUMNS, REPORT_COLUMNS, SELECT_ACCOUNT,
    UNMET_NEED_COLUMNS, UPSERT_FACILITIES,
};
use super::{
    AreaRow, AuditEntry, Change, FacilityRow, LOG_ROWS, ProposalRow, ReferralRow, ReportRow, Store,
    StoreError, UnmetNeedRow, day_text, facility_from_doc, now_text, organisation_from_doc,
    parse_time, same_facility, settlement_from_doc,
};
use crate::model::{
    Account, Area, Credential, CredentialKind, Facility, Organisation, Proposal, ProposalStatus,
    Referral, ReferralStatus, Report, ReportStatus, Settlement, UnmetNeed,
};
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{QueryBuilder, Row, SqlitePool, Transaction};
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// SQLite storage.
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path` and migrates it.
    pub async fn open_file(path: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        Self::with_options(options).await
    }

    /// Opens a `sqlite:` URL (e.g. `sqlite::memory:` for tests) and migrates it.
    pub async fn connect_url(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?.create_if_missing(true);
        Self::with_options(options).await
    }

    async fn with_options(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let in_memory = options
            .get_filename()
            .to_string_lossy()
            .contains(":memory:");
        let options = options
            .journal_mode(if in_memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .busy_timeout(Duration::from_secs(10));
        // An in-memory database lives in one connection.
        let pool = SqlitePoolOptions::new()
            .max_connections(if in_memory { 1 } else { 4 })
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    /// SQLite cannot notify other processes: poll (catching up costs one indexed query
    /// when nothing changed).
    async fn open_watch(&self) -> Result<Box<dyn super::ChangeWatch>, StoreError> {
        Ok(Box::new(super::PollWatch::new(super::POLL_INTERVAL)))
    }
}

super::sql::sql_backend!(
    SqliteStore,
    sqlx::Sqlite,
    "sqlite",
    "SELECT 1",
    "SELECT code, level, parent, name, names, geometry FROM areas WHERE $1 IS NULL OR level = $1 ORDER BY level, code"
);
