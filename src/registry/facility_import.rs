//! Facility imports of any size, in bounded memory. The input is read twice and never
//! held: once to check every record (read errors, repeated ids, area codes, validation)
//! with nothing written, then again to write, in batches, inside one transaction. Only
//! a batch or two of records, the ids seen and the index snapshot are in memory at any
//! time, so a million facilities import in a few hundred megabytes (the figures are in
//! `docs/deployment.md`). All or nothing: a failure while writing (the store, or an
//! input that changed between the two readings) rolls the whole import back.

use super::{ImportSummary, Registry, RegistryError, now, same_record};
use crate::import::{ReadNotes, RecordError};
use crate::model::{Facility, FieldError};
use crate::spatial::area_index::AreaIndex;
use crate::store::{FacilityWrites, Progress};
use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::Arc;

/// Facilities to import: called with a callback, it hands every record to it in input
/// order (until the callback answers `Break`) and returns what it read, or the input's
/// record errors. An import calls it twice (to check, then to write), from a blocking
/// thread; both calls must give the same records.
pub type FacilitySource = dyn Fn(&mut dyn FnMut(Facility) -> ControlFlow<()>) -> Result<ReadNotes, Vec<RecordError>>
    + Send
    + Sync;

/// Records written per batch: large enough that a batch costs the store a few
/// statements, small enough that the batches in flight (at most four: one being read,
/// two queued, one being written) stay a few megabytes beside an HTTP import's body.
pub const WRITE_BATCH: usize = 1_000;

/// The most validation errors listed.
const MAX_ERRORS: usize = 1000;

/// What the checking pass found.
#[derive(Default)]
struct Checked {
    records: usize,
    errors: Vec<FieldError>,
    more_errors: usize,
    /// Records naming an organisation that is not stored, by position in the input.
    unknown_organisations: Vec<RecordError>,
    /// What writing would do (a dry run only).
    would: Counts,
}

/// What the writing pass decided, record by record.
#[derive(Default, Clone, Copy)]
struct Counts {
    records: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    assigned: usize,
    outside: usize,
}

/// Fills a record's missing area codes (as [`Registry::create`] does): `(changed,
/// outside every area)`.
fn place(areas: Option<&AreaIndex>, f: &mut Facility) -> (bool, bool) {
    let Some(index) = areas else {
        return (false, false);
    };
    if f.adm1.is_some() && f.adm2.is_some() && !f.country.is_empty() {
        return (false, false);
    }
    let before = (f.adm1.clone(), f.adm2.clone(), f.country.clone());
    let a = crate::spatial::area_index::assign_facility(index, f, &|_, _| true);
    let changed = before != (f.adm1.clone(), f.adm2.clone(), f.country.clone());
    (changed, changed && a.outside)
}

impl Registry {
    /// What a table import (CSV, KoboToolbox, `.xlsx`) reads with: `mapping` and
    /// `sheet` as given, the loaded settlements and areas to place rows by settlement,
    /// and the stored organisations (so that a row naming an unknown one is an error
    /// at its row and column).
    pub async fn table_options(
        &self,
        mapping: Option<Arc<crate::import::mapping::Mapping>>,
        sheet: Option<String>,
    ) -> Result<crate::import::TableOptions, RegistryError> {
        let places = self.places();
        let organisations: HashSet<String> = self
            .store
            .organisations()
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect();
        Ok(crate::import::TableOptions {
            mapping,
            gazetteer: Some(Arc::new(crate::import::gazetteer::Gazetteer::new(
                &places.settlements,
                &places.areas,
            ))),
            organisations: Some(Arc::new(organisations)),
            sheet,
        })
    }

    /// Imports the facilities `source` gives: checks them all, then writes the new and
    /// changed ones in one transaction (see the module). Records equal to the stored
    /// ones (timestamps aside) are left alone; timestamps given in the input are kept,
    /// so an export imported back is unchanged. Missing area codes are filled from the
    /// admin areas first (they fill a missing country, which validation requires).
    /// `progress` hears how many records are written, batch by batch.
    pub async fn import_from(
        &self,
        source: Arc<FacilitySource>,
        progress: Option<&Progress>,
        actor: &str,
    ) -> Result<ImportSummary, RegistryError> {
        self.import_from_with(source, progress, actor, false).await
    }

    /// [`Registry::import_from`], or with `dry_run` its checks alone: every problem,
    /// or the summary of what the import would create, change and leave unchanged,
    /// with nothing written.
    pub async fn import_from_with(
        &self,
        source: Arc<FacilitySource>,
        progress: Option<&Progress>,
        actor: &str,
        dry_run: bool,
    ) -> Result<ImportSummary, RegistryError> {
        let index = self.index();
        let areas = (!self.places().areas.is_empty()).then(|| Arc::new(self.area_index()));
        // A facility may name only a stored organisation.
        let organisations: Arc<HashSet<String>> = Arc::new(
            self.store
                .organisations()
                .await?
                .into_iter()
                .map(|o| o.id)
                .collect(),
        );

        // 1. Check everything; nothing is written.
        let (notes, checked) = {
            let (source, areas) = (source.clone(), areas.clone());
            let index = index.clone();
            tokio::task::spawn_blocking(move || {
                let mut checked = Checked::default();
                let notes = source(&mut |mut f| {
                    checked.records += 1;
                    if let Some(org) = &f.organisation_id
                        && !organisations.contains(org)
                        && checked.unknown_organisations.len() < MAX_ERRORS
                    {
                        let e = super::unknown_organisation(org);
                        checked.unknown_organisations.push(RecordError {
                            index: Some(checked.records - 1),
                            id: Some(f.id.clone()),
                            field: e.field,
                            message: e.message,
                            column: None,
                        });
                    }
                    let (assigned, outside) = place(areas.as_deref(), &mut f);
                    let problems = f.validate();
                    if dry_run && problems.is_empty() {
                        let would = &mut checked.would;
                        would.records += 1;
                        would.assigned += usize::from(assigned);
                        would.outside += usize::from(outside);
                        match index.get(&f.id) {
                            Some(old) if same_record(&old, &f) => would.unchanged += 1,
                            Some(_) => would.updated += 1,
                            None => would.created += 1,
                        }
                    }
                    for e in problems {
                        if checked.errors.len() < MAX_ERRORS {
                            let field = format!("{}: {}", f.id, e.field);
                            checked.errors.push(FieldError::new(field, e.message));
                        } else {
                            checked.more_errors += 1;
                        }
                    }
                    ControlFlow::Continue(())
                })?;
                Ok::<_, Vec<RecordError>>((notes, checked))
            })
            .await
            .map_err(|e| RegistryError::Aborted(format!("reading the input failed: {e}")))?
            .map_err(RegistryError::Records)?
        };
        if !checked.unknown_organisations.is_empty() {
            return Err(RegistryError::Records(checked.unknown_organisations));
        }
        if !checked.errors.is_empty() {
            let mut errors = checked.errors;
            if checked.more_errors > 0 {
                errors.push(FieldError::new(
                    "",
                    format!("and {} more errors", checked.more_errors),
                ));
            }
            return Err(RegistryError::Invalid(errors));
        }
        if dry_run {
            let would = checked.would;
            let skipped: usize = notes.skipped.values().sum();
            return Ok(ImportSummary {
                read: would.records + skipped,
                created: would.created,
                updated: would.updated,
                unchanged: would.unchanged,
                skipped,
                skipped_kinds: notes.skipped,
                assigned_areas: would.assigned,
                outside_areas: would.outside,
                placed_by_settlement: notes.placed,
                dry_run: true,
                warnings: notes.warnings,
            });
        }

        // 2. Read again and write the new and changed records, batch by batch, in one
        //    transaction. The reading runs on a blocking thread and hands batches over
        //    a channel of two, so reading and writing overlap and memory stays bounded.
        let now = now();
        let expected = checked.records;
        let (batches, mut incoming) = tokio::sync::mpsc::channel::<Vec<Facility>>(2);
        let reader = tokio::task::spawn_blocking(move || {
            let mut counts = Counts::default();
            let mut batch = Vec::with_capacity(WRITE_BATCH);
            let (mut writer_gone, mut changed) = (false, false);
            let read = source(&mut |mut f| {
                counts.records += 1;
                let (assigned, outside) = place(areas.as_deref(), &mut f);
                counts.assigned += usize::from(assigned);
                counts.outside += usize::from(outside);
                if !f.validate().is_empty() {
                    changed = true;
                    return ControlFlow::Break(());
                }
                match index.get(&f.id) {
                    Some(old) if same_record(&old, &f) => counts.unchanged += 1,
                    Some(old) => {
                        f.created_at = f.created_at.or(old.created_at);
                        f.updated_at = Some(now);
                        counts.updated += 1;
                        batch.push(f);
                    }
                    None => {
                        f.created_at = f.created_at.or(Some(now));
                        f.updated_at = f.updated_at.or(Some(now));
                        counts.created += 1;
                        batch.push(f);
                    }
                }
                if batch.len() == WRITE_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(WRITE_BATCH));
                    if batches.blocking_send(full).is_err() {
                        writer_gone = true;
                        return ControlFlow::Break(());
                    }
                }
                ControlFlow::Continue(())
            });
            if writer_gone {
                // The writer stopped on its own error, which is the one reported.
                return Err("the writer stopped".to_string());
            }
            if read.is_err() || changed || counts.records != expected {
                return Err(
                    "the input changed between checking and writing; nothing was written"
                        .to_string(),
                );
            }
            if !batch.is_empty() && batches.blocking_send(batch).is_err() {
                return Err("the writer stopped".to_string());
            }
            Ok(counts)
        });
        let mut writes: Option<Box<dyn FacilityWrites>> = None;
        let mut written = 0;
        while let Some(batch) = incoming.recv().await {
            let w = match &mut writes {
                Some(w) => w,
                None => writes.insert(self.store.begin_facility_writes(actor).await?),
            };
            w.write(&batch).await?;
            written += batch.len();
            if let Some(report) = progress {
                report(written);
            }
        }
        let counts = reader
            .await
            .map_err(|e| RegistryError::Aborted(format!("reading the input failed: {e}")))?
            .map_err(RegistryError::Aborted)?;
        if let Some(w) = writes {
            w.commit().await?;
            if self
                .refresh_after_import
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                self.catch_up().await?;
            }
        }
        let skipped: usize = notes.skipped.values().sum();
        Ok(ImportSummary {
            read: counts.records + skipped,
            created: counts.created,
            updated: counts.updated,
            unchanged: counts.unchanged,
            skipped,
            skipped_kinds: notes.skipped,
            assigned_areas: counts.assigned,
            outside_areas: counts.outside,
            placed_by_settlement: notes.placed,
            dry_run: false,
            warnings: notes.warnings,
        })
    }
}
