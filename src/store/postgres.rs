//! The shared backend for several instances: PostgreSQL. A trigger on `changes` sends
//! `NOTIFY tirek_changes` on every write (see `migrations/postgres`); [`PgWatch`]
//! listens on a connection of its own.

use super::sql::{
    BULK_ROWS, PROPOSAL_COLUMNS, REFERRAL_COLUMNS, REPORT_COLUMNS, SELECT_ACCOUNT,
    UNMET_NEED_COLUMNS, UPSERT_FACILITIES,
};
use super::{
    AreaRow, AuditEntry, Change, ChangeWatch, FacilityRow, LOG_ROWS, ProposalRow, ReferralRow,
    ReportRow, Store, StoreError, UnmetNeedRow, day_text, facility_from_doc, now_text,
    organisation_from_doc, parse_time, same_facility, settlement_from_doc,
};
use crate::model::{
    Account, Area, Credential, CredentialKind, Facility, Organisation, Proposal, ProposalStatus,
    Referral, ReferralStatus, Report, ReportStatus, Settlement, UnmetNeed,
};
use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{PgPool, QueryBuilder, Row, Transaction};
use std::collections::HashMap;
use std::time::Duration;

/// PostgreSQL storage.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` and migrates the database.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The connection pool (for tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// LISTENs on a dedicated connection (so a long wait never takes one of the pool's
    /// eight), with the pool's connect options.
    async fn open_watch(&self) -> Result<Box<dyn ChangeWatch>, StoreError> {
        let own = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with((*self.pool.connect_options()).clone())
            .await?;
        let mut listener = PgListener::connect_with(&own).await?;
        listener.listen(CHANNEL).await?;
        Ok(Box::new(PgWatch { listener }))
    }
}

/// The channel the `changes` trigger notifies.
const CHANNEL: &str = "tirek_changes";

/// Wakes on `NOTIFY tirek_changes`.
struct PgWatch {
    listener: PgListener,
}

#[async_trait]
impl ChangeWatch for PgWatch {
    async fn changed(&mut self) -> Result<(), StoreError> {
        // `Some`: a notification. `None`: the connection was lost and has been
        // re-established (LISTEN again) before returning, so notifications may have been
        // missed in between: wake either way; the catch-up reads the log.
        self.listener.try_recv().await?;
        // Fold a burst (one notification per committed transaction) into one wake.
        while self.listener.next_buffered().is_some() {}
        Ok(())
    }
}

// Writers take one lock so that change numbers are committed in order: an instance
// that has seen change N has seen every change before it.
super::sql::sql_backend!(
    PostgresStore,
    sqlx::Postgres,
    "postgres",
    "SELECT pg_advisory_xact_lock(72617)",
    "SELECT code, level, parent, name, names, geometry FROM areas WHERE $1::INTEGER IS NULL OR level = $1 ORDER BY level, code"
);
