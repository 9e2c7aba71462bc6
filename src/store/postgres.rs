//! The shared backend for several instances: PostgreSQL. A trigger on `changes` sends
//! `NOTIFY tirek_changes` on every write (see `migrations/postgres`).

use super::sql::UPSERT_FACILITY;
use super::{
    AreaRow, AuditEntry, Change, FacilityRow, Store, StoreError, facility_from_doc, now_text,
    parse_time, settlement_from_doc,
};
use crate::model::{Account, Area, Credential, CredentialKind, Facility, Settlement};
use async_trait::async_trait;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row, Transaction};
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

    /// The connection pool (for LISTEN and tests).
    pub fn pool(&self) -> &PgPool {
        &self.pool
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
