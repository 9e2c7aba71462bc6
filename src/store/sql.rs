//! The SQL both backends share. SQLite and PostgreSQL accept the same statements (with
//! `$n` placeholders) apart from two spots, so one macro writes the [`Store`] impl for
//! each backend's pool and transaction types; `sqlite.rs` and `postgres.rs` keep only
//! what really differs (connecting, and the two statements passed in here).
//!
//! [`Store`]: super::Store

/// Inserts facilities or replaces the stored ones: the rows' `VALUES` go between these
/// two parts.
pub(super) const UPSERT_FACILITIES: (&str, &str) = (
    "INSERT INTO facilities (id, name, sectors, country, lon, lat, status, confidential, demo, doc, updated_at) ",
    " ON CONFLICT (id) DO UPDATE SET name = excluded.name, sectors = excluded.sectors,
       country = excluded.country, lon = excluded.lon, lat = excluded.lat, status = excluded.status,
       confidential = excluded.confidential, demo = excluded.demo, doc = excluded.doc,
       updated_at = excluded.updated_at",
);

/// Facilities written per statement by a bulk write (11 parameters a row, well within
/// both backends' limits): a statement costs SQLite (through sqlx's worker thread) and
/// PostgreSQL (a round trip) far more than a row.
pub(super) const BULK_ROWS: usize = 500;

/// One account by name.
pub(super) const SELECT_ACCOUNT: &str = "SELECT username, role, password_hash, must_change, created_at, organisation FROM users WHERE username = $1";

/// Problem reports' columns, in the order [`ReportRow`](super::ReportRow) takes them.
pub(super) const REPORT_COLUMNS: &str =
    "id, facility_id, organisation, kind, text, status, note, decided_by, created_at, decided_at";

/// Proposals' columns, in the order [`ProposalRow`](super::ProposalRow) takes them.
pub(super) const PROPOSAL_COLUMNS: &str = "id, facility_id, organisation, proposer, kind, status, before, after, reason, decided_by, created_at, decided_at";

/// Referrals' columns, in the order [`ReferralRow`](super::ReferralRow) takes them.
pub(super) const REFERRAL_COLUMNS: &str = "id, from_organisation, to_facility, to_organisation, sector, made_on, consent_to_share, status, decline_reason, accepted_on, closed_on, country, region, district, demo, made_by";

/// Unmet needs' columns, in the order [`UnmetNeedRow`](super::UnmetNeedRow) takes them.
pub(super) const UNMET_NEED_COLUMNS: &str = "id, organisation, sector, services, languages, open_24_7, female_staff, child_friendly, wheelchair_access, free_of_charge, no_police_report_required, country, region, district, recorded_on, demo";

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

        /// Appends one audit entry; `before` and `after` are JSON documents.
        async fn audit(
            tx: &mut Transaction<'_, $db>,
            actor: &str,
            action: &str,
            entity: (&str, &str),
            before: Option<String>,
            after: Option<String>,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO audit (at, actor, action, entity_kind, entity_id, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(now_text())
            .bind(actor)
            .bind(action)
            .bind(entity.0)
            .bind(entity.1)
            .bind(before)
            .bind(after)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        /// A friction surface's description, read in a transaction.
        async fn friction_info_in(
            tx: &mut Transaction<'_, $db>,
            scenario: &str,
        ) -> Result<Option<crate::store::FrictionInfo>, StoreError> {
            let row = sqlx::query("SELECT scenario, demo, width, height, west, north, cell_width, cell_height, imported_at, actor FROM friction_surfaces WHERE scenario = $1")
                .bind(scenario)
                .fetch_optional(&mut **tx)
                .await?;
            Ok(row.as_ref().map(friction_info_of))
        }

        fn friction_info_of(r: &<$db as sqlx::Database>::Row) -> crate::store::FrictionInfo {
            let dim = |v: i64| u32::try_from(v).unwrap_or(0);
            crate::store::FrictionInfo {
                scenario: r.get("scenario"),
                demo: r.get("demo"),
                width: dim(r.get("width")),
                height: dim(r.get("height")),
                west: r.get("west"),
                north: r.get("north"),
                cell_width: r.get("cell_width"),
                cell_height: r.get("cell_height"),
                imported_at: r.get("imported_at"),
                actor: r.get("actor"),
            }
        }

        /// The stored document of facility `id`, if any.
        async fn facility_doc(
            tx: &mut Transaction<'_, $db>,
            id: &str,
        ) -> Result<Option<String>, StoreError> {
            let row = sqlx::query("SELECT doc FROM facilities WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
            Ok(row.map(|r| r.get("doc")))
        }

        /// Writes one facility (see [`upsert_many`]).
        async fn upsert(
            tx: &mut Transaction<'_, $db>,
            f: &Facility,
            actor: &str,
        ) -> Result<(), StoreError> {
            upsert_many(tx, std::slice::from_ref(f), actor).await
        }

        /// Writes facilities (new or replacing the stored ones), each with its audit
        /// entry (the stored record before) and change-log entry, in a few statements
        /// per [`BULK_ROWS`] rows. An id repeated in `facilities` starts a new batch, so
        /// that each write sees the one before it, as one by one.
        async fn upsert_many(
            tx: &mut Transaction<'_, $db>,
            facilities: &[Facility],
            actor: &str,
        ) -> Result<(), StoreError> {
            let mut start = 0;
            let mut ids = std::collections::HashSet::new();
            for (i, f) in facilities.iter().enumerate() {
                if i - start == BULK_ROWS || !ids.insert(f.id.as_str()) {
                    upsert_batch(tx, &facilities[start..i], actor).await?;
                    start = i;
                    ids.clear();
                    ids.insert(f.id.as_str());
                }
            }
            upsert_batch(tx, &facilities[start..], actor).await
        }

        /// [`upsert_many`] for distinct ids.
        async fn upsert_batch(
            tx: &mut Transaction<'_, $db>,
            facilities: &[Facility],
            actor: &str,
        ) -> Result<(), StoreError> {
            if facilities.is_empty() {
                return Ok(());
            }
            let mut select = QueryBuilder::<$db>::new("SELECT id, doc FROM facilities WHERE id IN (");
            let mut ids = select.separated(", ");
            for f in facilities {
                ids.push_bind(f.id.clone());
            }
            ids.push_unseparated(")");
            let mut before: HashMap<String, String> = select
                .build()
                .fetch_all(&mut **tx)
                .await?
                .iter()
                .map(|r| (r.get("id"), r.get("doc")))
                .collect();
            let rows: Vec<FacilityRow> = facilities.iter().map(FacilityRow::of).collect();
            let at = now_text();

            let mut audit = QueryBuilder::<$db>::new(
                "INSERT INTO audit (at, actor, action, entity_kind, entity_id, before, after) ",
            );
            audit.push_values(&rows, |mut b, row| {
                let prior = before.remove(&row.id);
                let action = if prior.is_some() { "update" } else { "create" };
                b.push_bind(at.clone())
                    .push_bind(actor.to_string())
                    .push_bind(action)
                    .push_bind("facility")
                    .push_bind(row.id.clone())
                    .push_bind(prior)
                    .push_bind(Some(row.doc.clone()));
            });
            audit.build().execute(&mut **tx).await?;

            let mut write = QueryBuilder::<$db>::new(UPSERT_FACILITIES.0);
            write.push_values(rows, |mut b, row| {
                b.push_bind(row.id)
                    .push_bind(row.name)
                    .push_bind(row.sectors)
                    .push_bind(row.country)
                    .push_bind(row.lon)
                    .push_bind(row.lat)
                    .push_bind(row.status)
                    .push_bind(row.confidential)
                    .push_bind(row.demo)
                    .push_bind(row.doc)
                    .push_bind(row.updated_at);
            });
            write.push(UPSERT_FACILITIES.1);
            write.build().execute(&mut **tx).await?;

            sqlx::query($before_change).execute(&mut **tx).await?;
            let mut log = QueryBuilder::<$db>::new("INSERT INTO changes (kind, entity_id, op, at) ");
            log.push_values(facilities, |mut b, f| {
                b.push_bind("facility")
                    .push_bind(f.id.clone())
                    .push_bind("upsert")
                    .push_bind(at.clone());
            });
            log.build().execute(&mut **tx).await?;
            Ok(())
        }

        async fn exists(tx: &mut Transaction<'_, $db>, id: &str) -> Result<bool, StoreError> {
            Ok(facility_doc(tx, id).await?.is_some())
        }

        /// Writes an account's audit entry: the account without its password hash.
        async fn audit_account(
            tx: &mut Transaction<'_, $db>,
            actor: &str,
            action: &str,
            username: &str,
            before: Option<&Account>,
            after: Option<&Account>,
        ) -> Result<(), StoreError> {
            let public = |a: &Account| {
                serde_json::json!({"username": a.username, "role": a.role, "must_change": a.must_change, "organisation": a.organisation}).to_string()
            };
            audit(tx, actor, action, ("user", username), before.map(public), after.map(public)).await
        }

        async fn account_in(
            tx: &mut Transaction<'_, $db>,
            username: &str,
        ) -> Result<Option<Account>, StoreError> {
            let row = sqlx::query(SELECT_ACCOUNT)
                .bind(username)
                .fetch_optional(&mut **tx)
                .await?;
            row.map(|r| account_from_row(&r)).transpose()
        }

        fn account_from_row(r: &<$db as sqlx::Database>::Row) -> Result<Account, StoreError> {
            let username: String = r.get("username");
            let corrupt = |reason: String| StoreError::Corrupt { id: username.clone(), reason };
            let role: String = r.get("role");
            let created: String = r.get("created_at");
            Ok(Account {
                role: role.parse().map_err(|e: crate::model::UnknownRole| corrupt(e.to_string()))?,
                password_hash: r.get("password_hash"),
                must_change: r.get("must_change"),
                created_at: parse_time(&created).map_err(corrupt)?,
                organisation: r.get("organisation"),
                username,
            })
        }

        /// A transaction writing facilities batch by batch; dropped uncommitted, sqlx
        /// rolls it back.
        struct BulkWrites {
            tx: Transaction<'static, $db>,
            actor: String,
        }

        #[async_trait]
        impl super::FacilityWrites for BulkWrites {
            async fn write(&mut self, facilities: &[Facility]) -> Result<(), StoreError> {
                upsert_many(&mut self.tx, facilities, &self.actor).await
            }

            async fn commit(self: Box<Self>) -> Result<(), StoreError> {
                self.tx.commit().await?;
                Ok(())
            }
        }

        /// Moves entry `id` of `table` (proposals, reports) from status `from` to `to`
        /// with the decider's `text` in `text_column`; whether it moved. Conditional on
        /// the status, so that of two deciding at once exactly one succeeds (PostgreSQL
        /// re-checks the condition after the other's commit; SQLite serialises writers).
        async fn set_decision(
            tx: &mut Transaction<'_, $db>,
            table: &'static str,
            text_column: &'static str,
            id: i64,
            (from, to): (&str, &str),
            text: Option<&str>,
            actor: &str,
        ) -> Result<bool, StoreError> {
            let done = sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET status = $1, {text_column} = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND status = $6"
            )))
            .bind(to.to_string())
            .bind(text.map(str::to_string))
            .bind(actor.to_string())
            .bind(now_text())
            .bind(id)
            .bind(from.to_string())
            .execute(&mut **tx)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        /// The rows of `select` (a table's numbered entries: proposals, reports) of
        /// `status` and `organisation` when given, newest first.
        async fn newest_first(
            pool: &sqlx::Pool<$db>,
            select: &str,
            status: Option<&str>,
            organisation: Option<&str>,
        ) -> Result<Vec<<$db as sqlx::Database>::Row>, StoreError> {
            let mut query = QueryBuilder::<$db>::new(format!("{select} WHERE 1 = 1"));
            if let Some(status) = status {
                query.push(" AND status = ").push_bind(status.to_string());
            }
            if let Some(organisation) = organisation {
                query.push(" AND organisation = ").push_bind(organisation.to_string());
            }
            query.push(" ORDER BY id DESC");
            Ok(query.build().fetch_all(pool).await?)
        }

        fn proposal_from_row(r: &<$db as sqlx::Database>::Row) -> Result<Proposal, StoreError> {
            ProposalRow {
                id: r.get("id"),
                facility_id: r.get("facility_id"),
                organisation: r.get("organisation"),
                proposer: r.get("proposer"),
                kind: r.get("kind"),
                status: r.get("status"),
                before: r.get("before"),
                after: r.get("after"),
                reason: r.get("reason"),
                decided_by: r.get("decided_by"),
                created_at: r.get("created_at"),
                decided_at: r.get("decided_at"),
            }
            .into_proposal()
        }

        fn report_from_row(r: &<$db as sqlx::Database>::Row) -> Result<Report, StoreError> {
            ReportRow {
                id: r.get("id"),
                facility_id: r.get("facility_id"),
                organisation: r.get("organisation"),
                kind: r.get("kind"),
                text: r.get("text"),
                status: r.get("status"),
                note: r.get("note"),
                decided_by: r.get("decided_by"),
                created_at: r.get("created_at"),
                decided_at: r.get("decided_at"),
            }
            .into_report()
        }

        fn referral_from_row(r: &<$db as sqlx::Database>::Row) -> Result<Referral, StoreError> {
            ReferralRow {
                id: r.get("id"),
                from_organisation: r.get("from_organisation"),
                to_facility: r.get("to_facility"),
                to_organisation: r.get("to_organisation"),
                sector: r.get("sector"),
                made_on: r.get("made_on"),
                consent_to_share: r.get("consent_to_share"),
                status: r.get("status"),
                decline_reason: r.get("decline_reason"),
                accepted_on: r.get("accepted_on"),
                closed_on: r.get("closed_on"),
                country: r.get("country"),
                region: r.get("region"),
                district: r.get("district"),
                demo: r.get("demo"),
                made_by: r.get("made_by"),
            }
            .into_referral()
        }

        fn unmet_need_from_row(r: &<$db as sqlx::Database>::Row) -> Result<UnmetNeed, StoreError> {
            UnmetNeedRow {
                id: r.get("id"),
                organisation: r.get("organisation"),
                sector: r.get("sector"),
                services: r.get("services"),
                languages: r.get("languages"),
                flags: [
                    r.get("open_24_7"),
                    r.get("female_staff"),
                    r.get("child_friendly"),
                    r.get("wheelchair_access"),
                    r.get("free_of_charge"),
                    r.get("no_police_report_required"),
                ],
                country: r.get("country"),
                region: r.get("region"),
                district: r.get("district"),
                recorded_on: r.get("recorded_on"),
                demo: r.get("demo"),
            }
            .into_need()
        }

        /// Appends one audit entry per logged record (referrals, unmet needs): `docs`
        /// are the records as JSON, `ids` their numbers.
        async fn audit_log_rows(
            tx: &mut Transaction<'_, $db>,
            actor: &str,
            (action, kind): (&str, &str),
            ids: &[i64],
            docs: &[String],
        ) -> Result<(), StoreError> {
            let at = now_text();
            let mut audit = QueryBuilder::<$db>::new(
                "INSERT INTO audit (at, actor, action, entity_kind, entity_id, before, after) ",
            );
            audit.push_values(ids.iter().zip(docs), |mut b, (id, doc)| {
                b.push_bind(at.clone())
                    .push_bind(actor.to_string())
                    .push_bind(action.to_string())
                    .push_bind(kind.to_string())
                    .push_bind(id.to_string())
                    .push_bind(None::<String>)
                    .push_bind(Some(doc.clone()));
            });
            audit.build().execute(&mut **tx).await?;
            Ok(())
        }

        /// The numbers `RETURNING id` gave a multi-row insert, in insertion order (both
        /// backends number the rows of one statement in increasing order).
        fn inserted_ids(rows: &[<$db as sqlx::Database>::Row]) -> Vec<i64> {
            let mut ids: Vec<i64> = rows.iter().map(|r| r.get("id")).collect();
            ids.sort_unstable();
            ids
        }

        async fn organisation_in(
            tx: &mut Transaction<'_, $db>,
            id: &str,
        ) -> Result<Option<String>, StoreError> {
            let row = sqlx::query("SELECT doc FROM organisations WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?;
            Ok(row.map(|r| r.get("doc")))
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

            async fn insert_facility(&self, facility: &Facility, actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                if exists(&mut tx, &facility.id).await? {
                    return Err(StoreError::Conflict(facility.id.clone()));
                }
                upsert(&mut tx, facility, actor).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_facility(&self, facility: &Facility, actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                if !exists(&mut tx, &facility.id).await? {
                    return Err(StoreError::NotFound(facility.id.clone()));
                }
                upsert(&mut tx, facility, actor).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_facility(&self, id: &str, actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let Some(before) = facility_doc(&mut tx, id).await? else {
                    return Err(StoreError::NotFound(id.to_string()));
                };
                audit(&mut tx, actor, "delete", ("facility", id), Some(before), None).await?;
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
                actor: &str,
            ) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut written = 0;
                for chunk in facilities.chunks(super::PROGRESS_EVERY) {
                    upsert_many(&mut tx, chunk, actor).await?;
                    written += chunk.len();
                    if let Some(report) = progress
                        && written % super::PROGRESS_EVERY == 0
                    {
                        report(written);
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn begin_facility_writes(
                &self,
                actor: &str,
            ) -> Result<Box<dyn super::FacilityWrites>, StoreError> {
                Ok(Box::new(BulkWrites {
                    tx: self.pool.begin().await?,
                    actor: actor.to_string(),
                }))
            }

            async fn replace_areas(&self, level: u8, areas: &[Area], actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let before: Vec<String> = sqlx::query("SELECT code FROM areas WHERE level = $1 ORDER BY code")
                    .bind(i32::from(level))
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.get("code"))
                    .collect();
                let summary = |codes: Vec<&str>| serde_json::json!({"level": level, "count": codes.len(), "codes": codes}).to_string();
                let after = summary(areas.iter().map(|a| a.code.as_str()).collect());
                let before = summary(before.iter().map(String::as_str).collect());
                audit(&mut tx, actor, "replace", ("area", &level.to_string()), Some(before), Some(after)).await?;
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

            async fn replace_settlements(&self, settlements: &[Settlement], actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query("SELECT COUNT(*) AS n, COALESCE(SUM(population), 0.0) AS people FROM settlements")
                    .fetch_one(&mut *tx)
                    .await?;
                let (n, people): (i64, f64) = (row.get("n"), row.get("people"));
                let before = serde_json::json!({"count": n, "population": people}).to_string();
                let after = serde_json::json!({
                    "count": settlements.len(),
                    "population": settlements.iter().map(|s| s.population).sum::<f64>(),
                }).to_string();
                audit(&mut tx, actor, "replace", ("settlement", "*"), Some(before), Some(after)).await?;
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

            async fn changes_since_at_most(&self, seq: i64, limit: i64) -> Result<Vec<Change>, StoreError> {
                let rows = sqlx::query(
                    "SELECT seq, kind, entity_id, op FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(seq)
                .bind(limit)
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

            async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
                let rows = sqlx::query("SELECT username, role, password_hash, must_change, created_at, organisation FROM users ORDER BY username")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(account_from_row).collect()
            }

            async fn account(&self, username: &str) -> Result<Option<Account>, StoreError> {
                // On every signed-in request: one query, no transaction.
                let row = sqlx::query(SELECT_ACCOUNT)
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| account_from_row(&r)).transpose()
            }

            async fn put_account(&self, account: &Account, action: &str, actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let before = account_in(&mut tx, &account.username).await?;
                sqlx::query(
                    "INSERT INTO users (username, role, password_hash, must_change, created_at, organisation) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (username) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
                       must_change = excluded.must_change, organisation = excluded.organisation",
                )
                .bind(&account.username)
                .bind(account.role.as_str())
                .bind(&account.password_hash)
                .bind(account.must_change)
                .bind(crate::model::format_timestamp(&account.created_at))
                .bind(&account.organisation)
                .execute(&mut *tx)
                .await?;
                // A new password, role or organisation ends every session signed in with the
                // old one and revokes every API token issued under it: what a credential may
                // do was decided under the old ones.
                let mut revoked = 0;
                if before.as_ref().is_some_and(|b| {
                    b.password_hash != account.password_hash
                        || b.role != account.role
                        || b.organisation != account.organisation
                }) {
                    sqlx::query("DELETE FROM credentials WHERE username = $1 AND kind = 'session'")
                        .bind(&account.username)
                        .execute(&mut *tx)
                        .await?;
                    revoked = sqlx::query("DELETE FROM credentials WHERE username = $1 AND kind = 'token'")
                        .bind(&account.username)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                }
                audit_account(&mut tx, actor, action, &account.username, before.as_ref(), Some(account)).await?;
                if revoked > 0 {
                    let after = serde_json::json!({"revoked": revoked, "by": action}).to_string();
                    audit(&mut tx, actor, "token.revoke", ("user", &account.username), None, Some(after)).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn remove_account(&self, username: &str, actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let Some(before) = account_in(&mut tx, username).await? else {
                    return Err(StoreError::NoAccount(username.to_string()));
                };
                sqlx::query("DELETE FROM credentials WHERE username = $1")
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM users WHERE username = $1")
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                audit_account(&mut tx, actor, "user.remove", username, Some(&before), None).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_credential(&self, credential: &Credential, actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO credentials (secret_hash, kind, username, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&credential.secret_hash)
                .bind(credential.kind.as_str())
                .bind(&credential.username)
                .bind(&credential.label)
                .bind(crate::model::format_timestamp(&credential.created_at))
                .bind(credential.expires_at.as_ref().map(crate::model::format_timestamp))
                .execute(&mut *tx)
                .await?;
                // Issuing a token is a write worth auditing; signing in is not.
                if credential.kind == CredentialKind::Token {
                    let after = serde_json::json!({"label": credential.label}).to_string();
                    audit(&mut tx, actor, "token.create", ("user", &credential.username), None, Some(after)).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn credential(&self, secret_hash: &str) -> Result<Option<Credential>, StoreError> {
                let row = sqlx::query("SELECT secret_hash, kind, username, label, created_at, expires_at FROM credentials WHERE secret_hash = $1")
                    .bind(secret_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(r) = row else { return Ok(None) };
                let corrupt = |reason: String| StoreError::Corrupt { id: "credential".into(), reason };
                let kind: String = r.get("kind");
                let created: String = r.get("created_at");
                let expires: Option<String> = r.get("expires_at");
                Ok(Some(Credential {
                    secret_hash: r.get("secret_hash"),
                    kind: CredentialKind::parse(&kind).ok_or_else(|| corrupt(format!("kind {kind:?}")))?,
                    username: r.get("username"),
                    label: r.get("label"),
                    created_at: parse_time(&created).map_err(corrupt)?,
                    expires_at: expires.as_deref().map(parse_time).transpose().map_err(corrupt)?,
                }))
            }

            async fn remove_credential(&self, secret_hash: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM credentials WHERE secret_hash = $1")
                    .bind(secret_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn revoke_tokens(&self, username: &str, actor: &str) -> Result<u64, StoreError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query("DELETE FROM credentials WHERE username = $1 AND kind = 'token'")
                    .bind(username)
                    .execute(&mut *tx)
                    .await?;
                let after = serde_json::json!({"revoked": done.rows_affected()}).to_string();
                audit(&mut tx, actor, "token.revoke", ("user", username), None, Some(after)).await?;
                tx.commit().await?;
                Ok(done.rows_affected())
            }

            async fn audit_log(&self, after_id: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, at, actor, action, entity_kind, entity_id, before, after FROM audit WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|r| AuditEntry {
                        id: r.get("id"),
                        at: r.get("at"),
                        actor: r.get("actor"),
                        action: r.get("action"),
                        entity_kind: r.get("entity_kind"),
                        entity_id: r.get("entity_id"),
                        before: r.get("before"),
                        after: r.get("after"),
                    })
                    .collect())
            }

            async fn organisations(&self) -> Result<Vec<Organisation>, StoreError> {
                let rows = sqlx::query("SELECT id, doc FROM organisations ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| organisation_from_doc(r.get("id"), r.get("doc")))
                    .collect()
            }

            async fn organisation(&self, id: &str) -> Result<Option<Organisation>, StoreError> {
                let row = sqlx::query("SELECT doc FROM organisations WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| organisation_from_doc(id, r.get("doc"))).transpose()
            }

            async fn put_organisation(&self, organisation: &Organisation, actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let before = organisation_in(&mut tx, &organisation.id).await?;
                let doc = serde_json::to_string(organisation).unwrap_or_default();
                sqlx::query(
                    "INSERT INTO organisations (id, doc, trusted, updated_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, trusted = excluded.trusted, updated_at = excluded.updated_at",
                )
                .bind(&organisation.id)
                .bind(&doc)
                .bind(organisation.trusted)
                .bind(now_text())
                .execute(&mut *tx)
                .await?;
                let action = if before.is_some() { "organisation.update" } else { "organisation.create" };
                audit(&mut tx, actor, action, ("organisation", &organisation.id), before, Some(doc)).await?;
                log_change(&mut tx, "organisation", &organisation.id, "upsert").await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_proposal(&self, proposal: &Proposal, publish: bool, actor: &str) -> Result<i64, StoreError> {
                use crate::model::ProposalKind;
                let mut tx = self.pool.begin().await?;
                let id = &proposal.facility_id;
                let stored = facility_doc(&mut tx, id).await?;
                match (proposal.kind, stored.is_some()) {
                    (ProposalKind::Create, true) => return Err(StoreError::Conflict(id.clone())),
                    (ProposalKind::Update | ProposalKind::Close, false) => {
                        return Err(StoreError::NotFound(id.clone()));
                    }
                    _ => {}
                }
                if publish {
                    upsert(&mut tx, &proposal.after, actor).await?;
                }
                let status = if publish { ProposalStatus::Published } else { ProposalStatus::Pending };
                let before = proposal.before.as_ref().map(|f| serde_json::to_string(f).unwrap_or_default());
                let after = serde_json::to_string(&proposal.after).unwrap_or_default();
                let row = sqlx::query(
                    "INSERT INTO proposals (facility_id, organisation, proposer, kind, status, before, after, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(id)
                .bind(&proposal.organisation_id)
                .bind(&proposal.proposer)
                .bind(proposal.kind.as_str())
                .bind(status.as_str())
                .bind(&before)
                .bind(&after)
                .bind(crate::model::format_timestamp(&proposal.created_at))
                .fetch_one(&mut *tx)
                .await?;
                let number: i64 = row.get("id");
                let action = if publish { "proposal.publish" } else { "proposal.submit" };
                audit(&mut tx, actor, action, ("proposal", &number.to_string()), before, Some(after)).await?;
                tx.commit().await?;
                Ok(number)
            }

            async fn proposals(&self, status: Option<ProposalStatus>, organisation: Option<&str>) -> Result<Vec<Proposal>, StoreError> {
                let select = format!("SELECT {PROPOSAL_COLUMNS} FROM proposals");
                let rows = newest_first(&self.pool, &select, status.map(ProposalStatus::as_str), organisation).await?;
                rows.iter().map(proposal_from_row).collect()
            }

            async fn proposal(&self, id: i64) -> Result<Option<Proposal>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| proposal_from_row(&r)).transpose()
            }

            async fn decide_proposal(
                &self,
                id: i64,
                from: ProposalStatus,
                to: ProposalStatus,
                reason: Option<&str>,
                write: Option<&Facility>,
                action: &str,
                actor: &str,
            ) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NoProposal(id))?;
                let proposal = proposal_from_row(&row)?;
                let decided = set_decision(&mut tx, "proposals", "reason", id, (from.as_str(), to.as_str()), reason, actor).await?;
                if proposal.status != from || !decided {
                    // Not while holding the transaction (SQLite in memory has one connection).
                    drop(tx);
                    let status = match self.proposal(id).await {
                        Ok(Some(p)) => p.status,
                        _ => proposal.status,
                    };
                    return Err(StoreError::Decided { id, status });
                }
                if let Some(facility) = write {
                    let current = facility_doc(&mut tx, &facility.id)
                        .await?
                        .map(|doc| facility_from_doc(&facility.id, &doc))
                        .transpose()?;
                    let unchanged = match (&current, &proposal.before) {
                        (None, None) => true,
                        (Some(now), Some(then)) => same_facility(now, then),
                        _ => false,
                    };
                    if !unchanged {
                        return Err(StoreError::Stale(facility.id.clone()));
                    }
                    upsert(&mut tx, facility, actor).await?;
                }
                let after = serde_json::json!({
                    "facility_id": proposal.facility_id,
                    "organisation": proposal.organisation_id,
                    "proposer": proposal.proposer,
                    "kind": proposal.kind,
                    "status": to,
                    "reason": reason,
                })
                .to_string();
                let before = serde_json::json!({"status": proposal.status}).to_string();
                audit(&mut tx, actor, action, ("proposal", &id.to_string()), Some(before), Some(after)).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_report(&self, report: &Report, actor: &str) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(
                    "INSERT INTO reports (facility_id, organisation, kind, text, status, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(&report.facility_id)
                .bind(&report.organisation_id)
                .bind(report.kind.as_str())
                .bind(&report.text)
                .bind(ReportStatus::Open.as_str())
                .bind(crate::model::format_timestamp(&report.created_at))
                .fetch_one(&mut *tx)
                .await?;
                let number: i64 = row.get("id");
                let after = serde_json::json!({
                    "facility_id": report.facility_id,
                    "organisation": report.organisation_id,
                    "kind": report.kind,
                    "text": report.text,
                })
                .to_string();
                audit(&mut tx, actor, "report.create", ("report", &number.to_string()), None, Some(after)).await?;
                tx.commit().await?;
                Ok(number)
            }

            async fn reports(&self, status: Option<ReportStatus>, organisation: Option<&str>) -> Result<Vec<Report>, StoreError> {
                let select = format!("SELECT {REPORT_COLUMNS} FROM reports");
                let rows = newest_first(&self.pool, &select, status.map(ReportStatus::as_str), organisation).await?;
                rows.iter().map(report_from_row).collect()
            }

            async fn report(&self, id: i64) -> Result<Option<Report>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| report_from_row(&r)).transpose()
            }

            async fn decide_report(&self, id: i64, to: ReportStatus, note: Option<&str>, actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {REPORT_COLUMNS} FROM reports WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NoReport(id))?;
                let report = report_from_row(&row)?;
                let open = ReportStatus::Open.as_str();
                if !set_decision(&mut tx, "reports", "note", id, (open, to.as_str()), note, actor).await? {
                    return Err(StoreError::ReportClosed(id));
                }
                let action = match to {
                    ReportStatus::Dismissed => "report.dismiss",
                    _ => "report.resolve",
                };
                let before = serde_json::json!({"status": report.status, "facility_id": report.facility_id}).to_string();
                let after = serde_json::json!({"status": to, "note": note, "facility_id": report.facility_id}).to_string();
                audit(&mut tx, actor, action, ("report", &id.to_string()), Some(before), Some(after)).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_referrals(&self, referrals: &[Referral], actor: &str) -> Result<Vec<i64>, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut numbers = Vec::with_capacity(referrals.len());
                for chunk in referrals.chunks(LOG_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new(
                        "INSERT INTO referrals (from_organisation, to_facility, to_organisation, sector, made_on, consent_to_share, status, decline_reason, accepted_on, closed_on, country, region, district, demo, made_by) ",
                    );
                    insert.push_values(chunk, |mut b, r| {
                        b.push_bind(r.from_organisation.clone())
                            .push_bind(r.to_facility.clone())
                            .push_bind(r.to_organisation.clone())
                            .push_bind(r.sector.as_str())
                            .push_bind(day_text(r.made_on))
                            .push_bind(r.consent_to_share)
                            .push_bind(r.status.as_str())
                            .push_bind(r.decline_reason.map(|d| d.as_str()))
                            .push_bind(r.accepted_on.map(day_text))
                            .push_bind(r.closed_on.map(day_text))
                            .push_bind(r.area.country.clone())
                            .push_bind(r.area.region.clone())
                            .push_bind(r.area.district.clone())
                            .push_bind(r.demo)
                            .push_bind(r.made_by.clone());
                    });
                    insert.push(" RETURNING id");
                    let ids = inserted_ids(&insert.build().fetch_all(&mut *tx).await?);
                    let docs: Vec<String> = chunk
                        .iter()
                        .zip(&ids)
                        .map(|(r, &id)| serde_json::to_string(&Referral { id, ..r.clone() }).unwrap_or_default())
                        .collect();
                    audit_log_rows(&mut tx, actor, ("referral.create", "referral"), &ids, &docs).await?;
                    numbers.extend(ids);
                }
                tx.commit().await?;
                Ok(numbers)
            }

            async fn referrals(&self, from: Option<&str>, to: Option<&str>, made_by: Option<&str>) -> Result<Vec<Referral>, StoreError> {
                let mut query = QueryBuilder::<$db>::new(format!("SELECT {REFERRAL_COLUMNS} FROM referrals WHERE 1 = 1"));
                if let Some(from) = from {
                    query.push(" AND from_organisation = ").push_bind(from.to_string());
                }
                if let Some(to) = to {
                    query.push(" AND to_organisation = ").push_bind(to.to_string());
                }
                if let Some(made_by) = made_by {
                    query.push(" AND made_by = ").push_bind(made_by.to_string());
                }
                query.push(" ORDER BY id DESC");
                query.build().fetch_all(&self.pool).await?.iter().map(referral_from_row).collect()
            }

            async fn referral(&self, id: i64) -> Result<Option<Referral>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {REFERRAL_COLUMNS} FROM referrals WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| referral_from_row(&r)).transpose()
            }

            async fn update_referral(&self, referral: &Referral, from: ReferralStatus, actor: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {REFERRAL_COLUMNS} FROM referrals WHERE id = $1")))
                    .bind(referral.id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NoReferral(referral.id))?;
                let before = referral_from_row(&row)?;
                // Conditional on the status, so that of two answering at once exactly one
                // succeeds.
                let done = sqlx::query(
                    "UPDATE referrals SET status = $1, decline_reason = $2, accepted_on = $3, closed_on = $4 WHERE id = $5 AND status = $6",
                )
                .bind(referral.status.as_str())
                .bind(referral.decline_reason.map(|d| d.as_str()))
                .bind(referral.accepted_on.map(day_text))
                .bind(referral.closed_on.map(day_text))
                .bind(referral.id)
                .bind(from.as_str())
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::ReferralMoved { id: referral.id, status: before.status });
                }
                // Only the status and its days change, whatever else the caller's copy says.
                let after = Referral {
                    status: referral.status,
                    decline_reason: referral.decline_reason,
                    accepted_on: referral.accepted_on,
                    closed_on: referral.closed_on,
                    ..before.clone()
                };
                audit(
                    &mut tx,
                    actor,
                    "referral.status",
                    ("referral", &referral.id.to_string()),
                    Some(serde_json::to_string(&before).unwrap_or_default()),
                    Some(serde_json::to_string(&after).unwrap_or_default()),
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_unmet_needs(&self, needs: &[UnmetNeed], actor: &str) -> Result<Vec<i64>, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut numbers = Vec::with_capacity(needs.len());
                for chunk in needs.chunks(LOG_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new(
                        "INSERT INTO unmet_needs (organisation, sector, services, languages, open_24_7, female_staff, child_friendly, wheelchair_access, free_of_charge, no_police_report_required, country, region, district, recorded_on, demo) ",
                    );
                    insert.push_values(chunk, |mut b, u| {
                        b.push_bind(u.organisation.clone())
                            .push_bind(u.sector.as_str())
                            .push_bind(u.needs.services_mask())
                            .push_bind(u.needs.languages_mask())
                            .push_bind(u.needs.open_24_7)
                            .push_bind(u.needs.female_staff)
                            .push_bind(u.needs.child_friendly)
                            .push_bind(u.needs.wheelchair_access)
                            .push_bind(u.needs.free_of_charge)
                            .push_bind(u.needs.no_police_report_required)
                            .push_bind(u.area.country.clone())
                            .push_bind(u.area.region.clone())
                            .push_bind(u.area.district.clone())
                            .push_bind(day_text(u.recorded_on))
                            .push_bind(u.demo);
                    });
                    insert.push(" RETURNING id");
                    let ids = inserted_ids(&insert.build().fetch_all(&mut *tx).await?);
                    let docs: Vec<String> = chunk
                        .iter()
                        .zip(&ids)
                        .map(|(u, &id)| serde_json::to_string(&UnmetNeed { id, ..u.clone() }).unwrap_or_default())
                        .collect();
                    audit_log_rows(&mut tx, actor, ("unmet_need.create", "unmet_need"), &ids, &docs).await?;
                    numbers.extend(ids);
                }
                tx.commit().await?;
                Ok(numbers)
            }

            async fn unmet_needs(&self, organisation: Option<&str>) -> Result<Vec<UnmetNeed>, StoreError> {
                let mut query = QueryBuilder::<$db>::new(format!("SELECT {UNMET_NEED_COLUMNS} FROM unmet_needs WHERE 1 = 1"));
                if let Some(organisation) = organisation {
                    query.push(" AND organisation = ").push_bind(organisation.to_string());
                }
                query.push(" ORDER BY id DESC");
                query.build().fetch_all(&self.pool).await?.iter().map(unmet_need_from_row).collect()
            }

            async fn put_friction(
                &self,
                info: &crate::store::FrictionInfo,
                tiff: &[u8],
                actor: &str,
            ) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let before = friction_info_in(&mut tx, &info.scenario).await?;
                sqlx::query(
                    "INSERT INTO friction_surfaces (scenario, demo, width, height, west, north, cell_width, cell_height, tiff, imported_at, actor)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     ON CONFLICT (scenario) DO UPDATE SET demo = excluded.demo, width = excluded.width,
                       height = excluded.height, west = excluded.west, north = excluded.north,
                       cell_width = excluded.cell_width, cell_height = excluded.cell_height,
                       tiff = excluded.tiff, imported_at = excluded.imported_at, actor = excluded.actor",
                )
                .bind(&info.scenario)
                .bind(info.demo)
                .bind(i64::from(info.width))
                .bind(i64::from(info.height))
                .bind(info.west)
                .bind(info.north)
                .bind(info.cell_width)
                .bind(info.cell_height)
                .bind(tiff)
                .bind(&info.imported_at)
                .bind(&info.actor)
                .execute(&mut *tx)
                .await?;
                let json = |i: &crate::store::FrictionInfo| {
                    let mut v = serde_json::to_value(i).unwrap_or_default();
                    v["bytes"] = serde_json::Value::from(tiff.len());
                    v.to_string()
                };
                let action = if before.is_some() { "replace" } else { "create" };
                let before = before.map(|b| serde_json::to_string(&b).unwrap_or_default());
                audit(&mut tx, actor, action, ("friction", &info.scenario), before, Some(json(info))).await?;
                log_change(&mut tx, "friction", &info.scenario, "upsert").await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_friction(&self, scenario: &str, actor: &str) -> Result<bool, StoreError> {
                let mut tx = self.pool.begin().await?;
                let Some(before) = friction_info_in(&mut tx, scenario).await? else {
                    return Ok(false);
                };
                sqlx::query("DELETE FROM friction_surfaces WHERE scenario = $1")
                    .bind(scenario)
                    .execute(&mut *tx)
                    .await?;
                audit(&mut tx, actor, "delete", ("friction", scenario), Some(serde_json::to_string(&before).unwrap_or_default()), None).await?;
                log_change(&mut tx, "friction", scenario, "delete").await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn friction_infos(&self) -> Result<Vec<crate::store::FrictionInfo>, StoreError> {
                let rows = sqlx::query("SELECT scenario, demo, width, height, west, north, cell_width, cell_height, imported_at, actor FROM friction_surfaces ORDER BY scenario")
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.iter().map(friction_info_of).collect())
            }

            async fn friction_tiff(&self, scenario: &str) -> Result<Option<Vec<u8>>, StoreError> {
                let row = sqlx::query("SELECT tiff FROM friction_surfaces WHERE scenario = $1")
                    .bind(scenario)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| r.get("tiff")))
            }

            async fn watch(&self) -> Result<Box<dyn super::ChangeWatch>, StoreError> {
                self.open_watch().await
            }
        }
    };
}

pub(super) use sql_backend;
