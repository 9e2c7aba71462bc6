//! The SQL both backends share. SQLite and PostgreSQL accept the same statements (with
//! `$n` placeholders) apart from two spots, so one macro writes the [`Store`] impl for
//! each backend's pool and transaction types; `sqlite.rs` and `postgres.rs` keep only
//! what really differs (connecting, and the two statements passed in here).
//!
//! [`Store`]: super::Store

/// Inserts a facility or replaces the stored one.
pub(super) const UPSERT_FACILITY: &str = "INSERT INTO facilities (id, name, sectors, country, lon, lat, status, confidential, demo, doc, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, sectors = excluded.sectors,
       country = excluded.country, lon = excluded.lon, lat = excluded.lat, status = excluded.status,
       confidential = excluded.confidential, demo = excluded.demo, doc = excluded.doc,
       updated_at = excluded.updated_at";

/// Writes the change-log helpers and `impl Store` for one backend.
///
/// - `$store`: the backend struct (with a `pool` field and an `open_watch` method);
/// - `$db`: the sqlx database type;
/// - `$backend`: its name, as `Store::backend` reports it;
/// - `$before_change`: a statement run before each change-log entry (PostgreSQL takes an
///   advisory lock there so change numbers commit in order);
/// - `$select_areas`: the areas query (PostgreSQL needs a type for the `NULL` test).
macro_rules! sql_backend {
    ($store:ident, $db:ty, $backend:literal, $before_change:literal, $select_areas:literal) => {
        async fn log_change(
            tx: &mut Transaction<'_, $db>,
            kind: &str,
            entity_id: &str,
            op: &str,
        ) -> Result<(), StoreError> {
            sqlx::query($before_change).execute(&mut **tx).await?;
            sqlx::query("INSERT INTO changes (kind, entity_id, op, at) VALUES ($1, $2, $3, $4)")
                .bind(kind)
                .bind(entity_id)
                .bind(op)
                .bind(now_text())
                .execute(&mut **tx)
                .await?;
            Ok(())
        }

        async fn upsert(tx: &mut Transaction<'_, $db>, f: &Facility) -> Result<(), StoreError> {
            let row = FacilityRow::of(f);
            sqlx::query(UPSERT_FACILITY)
                .bind(row.id)
                .bind(row.name)
                .bind(row.sectors)
                .bind(row.country)
                .bind(row.lon)
                .bind(row.lat)
                .bind(row.status)
                .bind(row.confidential)
                .bind(row.demo)
                .bind(row.doc)
                .bind(row.updated_at)
                .execute(&mut **tx)
                .await?;
            log_change(tx, "facility", &f.id, "upsert").await
        }

        async fn exists(tx: &mut Transaction<'_, $db>, id: &str) -> Result<bool, StoreError> {
            let found = sqlx::query("SELECT 1 FROM facilities WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
            Ok(found.is_some())
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn facilities(&self) -> Result<Vec<Facility>, StoreError> {
                let rows = sqlx::query("SELECT id, doc FROM facilities ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| facility_from_doc(r.get("id"), r.get("doc")))
                    .collect()
            }

            async fn scan_facilities(
                &self,
                each: &mut (dyn FnMut(Facility) + Send),
            ) -> Result<(), StoreError> {
                use tokio_stream::StreamExt;
                let mut rows = sqlx::query("SELECT id, doc FROM facilities ORDER BY id").fetch(&self.pool);
                while let Some(row) = rows.next().await {
                    let row = row?;
                    each(facility_from_doc(row.get("id"), row.get("doc"))?);
                }
                Ok(())
            }

            async fn facility(&self, id: &str) -> Result<Option<Facility>, StoreError> {
                let row = sqlx::query("SELECT doc FROM facilities WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| facility_from_doc(id, r.get("doc"))).transpose()
            }

            async fn insert_facility(&self, facility: &Facility) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                if exists(&mut tx, &facility.id).await? {
                    return Err(StoreError::Conflict(facility.id.clone()));
                }
                upsert(&mut tx, facility).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_facility(&self, facility: &Facility) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                if !exists(&mut tx, &facility.id).await? {
                    return Err(StoreError::NotFound(facility.id.clone()));
                }
                upsert(&mut tx, facility).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_facility(&self, id: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query("DELETE FROM facilities WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound(id.to_string()));
                }
                log_change(&mut tx, "facility", id, "delete").await?;
                tx.commit().await?;
                Ok(())
            }

            async fn upsert_facilities(
                &self,
                facilities: &[Facility],
                progress: Option<&super::Progress>,
            ) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                for (i, f) in facilities.iter().enumerate() {
                    upsert(&mut tx, f).await?;
                    if let Some(report) = progress
                        && (i + 1) % super::PROGRESS_EVERY == 0
                    {
                        report(i + 1);
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn replace_areas(&self, level: u8, areas: &[Area]) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM areas WHERE level = $1")
                    .bind(i32::from(level))
                    .execute(&mut *tx)
                    .await?;
                for area in areas {
                    let row = AreaRow::of(area);
                    sqlx::query(
                        "INSERT INTO areas (code, level, parent, name, names, geometry) VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (code) DO UPDATE SET level = excluded.level, parent = excluded.parent,
                           name = excluded.name, names = excluded.names, geometry = excluded.geometry",
                    )
                    .bind(row.code)
                    .bind(row.level)
                    .bind(row.parent)
                    .bind(row.name)
                    .bind(row.names)
                    .bind(row.geometry)
                    .execute(&mut *tx)
                    .await?;
                }
                log_change(&mut tx, "area", &level.to_string(), "replace").await?;
                tx.commit().await?;
                Ok(())
            }

            async fn areas(&self, level: Option<u8>) -> Result<Vec<Area>, StoreError> {
                let rows = sqlx::query(
                    $select_areas,
                )
                .bind(level.map(i32::from))
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        AreaRow {
                            code: r.get("code"),
                            level: r.get("level"),
                            parent: r.get("parent"),
                            name: r.get("name"),
                            names: r.get("names"),
                            geometry: r.get("geometry"),
                        }
                        .into_area()
                    })
                    .collect()
            }

            async fn replace_settlements(&self, settlements: &[Settlement]) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM settlements")
                    .execute(&mut *tx)
                    .await?;
                for s in settlements {
                    sqlx::query(
                        "INSERT INTO settlements (id, name, doc, population, lon, lat) VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(&s.id)
                    .bind(&s.name)
                    .bind(serde_json::to_string(s).unwrap_or_default())
                    .bind(s.population)
                    .bind(s.lon)
                    .bind(s.lat)
                    .execute(&mut *tx)
                    .await?;
                }
                log_change(&mut tx, "settlement", "*", "replace").await?;
                tx.commit().await?;
                Ok(())
            }

            async fn settlements(&self) -> Result<Vec<Settlement>, StoreError> {
                let rows = sqlx::query("SELECT id, doc FROM settlements ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| settlement_from_doc(r.get("id"), r.get("doc")))
                    .collect()
            }

            async fn version(&self) -> Result<i64, StoreError> {
                let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS v FROM changes")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.get("v"))
            }

            async fn changes_since(&self, seq: i64) -> Result<Vec<Change>, StoreError> {
                let rows =
                    sqlx::query("SELECT seq, kind, entity_id, op FROM changes WHERE seq > $1 ORDER BY seq")
                        .bind(seq)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| Change {
                        seq: r.get("seq"),
                        kind: r.get("kind"),
                        entity_id: r.get("entity_id"),
                        op: r.get("op"),
                    })
                    .collect())
            }

            async fn watch(&self) -> Result<Box<dyn super::ChangeWatch>, StoreError> {
                self.open_watch().await
            }
        }
    };
}

pub(super) use sql_backend;
