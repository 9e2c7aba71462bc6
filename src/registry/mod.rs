//! The service registry: the store plus the live index snapshot, and the one way to
//! change either. Every write goes to the store first; then [`Registry::catch_up`]
//! reads the change log since the snapshot's version and swaps in a new index. Writes
//! by other processes (another instance, the CLI) arrive through the same catch-up, so
//! there is one path from the store to what readers see.

mod areas;
pub mod defaults;
pub mod demo_logs;
mod facility_import;
mod follow;
mod friction;
mod population;

pub use areas::AreaImportSummary;
pub use facility_import::{FacilitySource, WRITE_BATCH};
pub use follow::{FollowOptions, Follower, follow};
pub use friction::FrictionImportSummary;
pub use population::PopulationImportSummary;

use crate::index::ServiceIndex;
use crate::index::records::RecordsBuilder;
use crate::model::{Area, Facility, FieldError, Proposal, ProposalStatus, Settlement};
use crate::store::{Store, StoreError};
use arc_swap::ArcSwap;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::Mutex;

/// A facility write that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The record is invalid.
    #[error("the record is invalid")]
    Invalid(Vec<FieldError>),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The write was refused as it stands (e.g. it would remove every record of its
    /// kind without being asked to); nothing was written.
    #[error("{0}")]
    Refused(String),
    /// The input has record errors (reading it); nothing was written.
    #[error("the input has invalid records")]
    Records(Vec<crate::import::RecordError>),
    /// An import stopped half-way (e.g. its input changed between checking and
    /// writing) and was rolled back; nothing was written.
    #[error("the import was abandoned: {0}")]
    Aborted(String),
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// Records read from the input.
    pub read: usize,
    /// New records written.
    pub created: usize,
    /// Existing records changed.
    pub updated: usize,
    /// Records identical to what is stored (not written again).
    pub unchanged: usize,
    /// Input records deliberately not imported (e.g. out-of-scope OSM kinds).
    pub skipped: usize,
    /// The skipped records by kind (OSM: `amenity=pharmacy` …); empty otherwise.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub skipped_kinds: std::collections::BTreeMap<String, usize>,
    /// Records whose `adm1`/`adm2` (or country) were filled from the admin areas
    /// (left out of the JSON when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub assigned_areas: usize,
    /// Of those, records outside every area of some level, given the nearest area.
    #[serde(skip_serializing_if = "is_zero")]
    pub outside_areas: usize,
    /// Records without coordinates placed at the centre of their settlement
    /// (`location_precision: settlement`; left out of the JSON when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub placed_by_settlement: usize,
    /// True when nothing was written: a dry run, whose counts say what an import
    /// would do (left out of the JSON when false).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Things that did not stop the import.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Reference data that analysis reads: areas and settlements, at a data version.
pub struct Places {
    /// Every admin area.
    pub areas: Vec<Area>,
    /// Every settlement.
    pub settlements: Vec<Settlement>,
    /// The areas indexed for point location, built on first use: a snapshot is
    /// replaced whenever areas change, so the index lives exactly as long as its data
    /// (the nearest answer locates every query point in it).
    area_index: std::sync::OnceLock<crate::spatial::area_index::AreaIndex>,
}

impl Places {
    /// Areas and settlements, their index not built yet.
    pub fn new(areas: Vec<Area>, settlements: Vec<Settlement>) -> Self {
        Self {
            areas,
            settlements,
            area_index: std::sync::OnceLock::new(),
        }
    }

    /// The areas indexed for point location (built once per snapshot).
    pub fn area_index(&self) -> &crate::spatial::area_index::AreaIndex {
        self.area_index
            .get_or_init(|| crate::spatial::area_index::AreaIndex::new(self.areas.clone()))
    }
}

/// The store and the index snapshot readers use.
pub struct Registry {
    store: Arc<dyn Store>,
    index: ArcSwap<ServiceIndex>,
    places: ArcSwap<Places>,
    /// The travel scenarios (friction surfaces) loaded.
    travel: ArcSwap<crate::travel::Scenarios>,
    catch_up_lock: Mutex<()>,
    refresh_after_import: std::sync::atomic::AtomicBool,
}

impl Registry {
    /// Opens the registry on `store` and builds the first index.
    pub async fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let registry = Self {
            store,
            index: ArcSwap::from_pointee(ServiceIndex::empty()),
            places: ArcSwap::from_pointee(Places::new(Vec::new(), Vec::new())),
            travel: ArcSwap::from_pointee(crate::travel::Scenarios::default()),
            catch_up_lock: Mutex::new(()),
            refresh_after_import: std::sync::atomic::AtomicBool::new(true),
        };
        registry.reload().await?;
        Ok(registry)
    }

    /// Starts a background task that keeps this registry up to date with writes by
    /// other processes (see [`follow`]); it stops when the handle is dropped.
    pub fn follow(self: &Arc<Self>) -> follow::Follower {
        follow::follow(self.clone(), follow::FollowOptions::default())
    }

    /// Whether a facility import swaps in a new index when it is done (the default).
    /// The command line, which exits after its import, turns it off: rebuilding a
    /// million records' index only to drop it would double its memory at the very end,
    /// and running servers catch up through the change log anyway.
    pub fn set_refresh_after_import(&self, on: bool) {
        self.refresh_after_import
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current index snapshot. Never blocks.
    pub fn index(&self) -> Arc<ServiceIndex> {
        self.index.load_full()
    }

    /// The current areas and settlements. Never blocks.
    pub fn places(&self) -> Arc<Places> {
        self.places.load_full()
    }

    /// Rebuilds everything from the store.
    pub async fn reload(&self) -> Result<(), StoreError> {
        let _guard = self.catch_up_lock.lock().await;
        let version = self.store.version().await?;
        let index = self.load_index(version).await?;
        self.index.store(Arc::new(index));
        self.reload_places().await?;
        self.reload_travel(None).await
    }

    /// A new index of every facility in the store, streamed in (never all held as
    /// records at once). The store may already be past `version`: whatever is newer is
    /// applied again by the next catch-up, which changes nothing.
    async fn load_index(&self, version: i64) -> Result<ServiceIndex, StoreError> {
        let mut builder = RecordsBuilder::default();
        self.store
            .scan_facilities(&mut |f| builder.push(&f))
            .await?;
        Ok(ServiceIndex::of_records(builder.finish(), version))
    }

    async fn reload_places(&self) -> Result<(), StoreError> {
        let places = Places::new(
            self.store.areas(None).await?,
            self.store.settlements().await?,
        );
        self.places.store(Arc::new(places));
        Ok(())
    }

    /// Applies every change in the store since the snapshot's version and swaps in a
    /// new snapshot. Returns the new data version.
    pub async fn catch_up(&self) -> Result<i64, StoreError> {
        let _guard = self.catch_up_lock.lock().await;
        let current = self.index.load_full();
        // Past this many changes the index is rebuilt from the store rather than
        // patched, so the change log is read only this far: after an import of a
        // million records, holding its million entries would cost hundreds of MB.
        let patch_limit = current.len() / 4 + 64;
        let changes = self
            .store
            .changes_since_at_most(current.version(), patch_limit as i64 + 1)
            .await?;
        if changes.len() > patch_limit {
            let version = self.store.version().await?;
            let next = self.load_index(version).await?;
            drop(current);
            self.index.store(Arc::new(next));
            self.reload_places().await?;
            self.reload_travel(None).await?;
            return Ok(version);
        }
        let Some(last) = changes.last().map(|c| c.seq) else {
            return Ok(current.version());
        };
        let changed: HashSet<&str> = changes
            .iter()
            .filter(|c| c.kind == "facility")
            .map(|c| c.entity_id.as_str())
            .collect();
        // Each changed record is read as it is now: applying a change twice, or one
        // the store has already moved past, gives the same result.
        let next = if changed.len() > patch_limit {
            self.load_index(last).await?
        } else {
            let (mut upserts, mut deletes) = (Vec::new(), Vec::new());
            for id in changed {
                match self.store.facility(id).await? {
                    Some(f) => upserts.push(f),
                    None => deletes.push(id.to_string()),
                }
            }
            current.apply(upserts, &deletes, last)
        };
        self.index.store(Arc::new(next));
        if changes
            .iter()
            .any(|c| c.kind == "area" || c.kind == "settlement")
        {
            self.reload_places().await?;
        }
        let scenarios: HashSet<String> = changes
            .iter()
            .filter(|c| c.kind == "friction")
            .map(|c| c.entity_id.clone())
            .collect();
        if !scenarios.is_empty() {
            self.reload_travel(Some(&scenarios)).await?;
        }
        Ok(last)
    }

    /// Adds a new facility (timestamps set now). A missing `country`, `adm1` or `adm2`
    /// is filled from the admin areas first, as imports do.
    pub async fn create(&self, facility: Facility, actor: &str) -> Result<Facility, RegistryError> {
        let facility = self.prepare(facility, None).await?;
        self.store.insert_facility(&facility, actor).await?;
        self.catch_up().await?;
        Ok(facility)
    }

    /// Replaces a facility, keeping its creation time; missing codes are filled from the
    /// admin areas as on [`Registry::create`].
    pub async fn update(&self, facility: Facility, actor: &str) -> Result<Facility, RegistryError> {
        let existing = self
            .store
            .facility(&facility.id)
            .await?
            .ok_or_else(|| StoreError::NotFound(facility.id.clone()))?;
        let facility = self.prepare(facility, Some(&existing)).await?;
        self.store.update_facility(&facility, actor).await?;
        self.catch_up().await?;
        Ok(facility)
    }

    /// A record as a write would store it, without writing: missing codes filled from
    /// the admin areas, validated (its `organisation_id` must name a stored
    /// organisation), created now or when `existing` was, updated now.
    pub async fn prepare(
        &self,
        facility: Facility,
        existing: Option<&Facility>,
    ) -> Result<Facility, RegistryError> {
        let mut facility = self.assign_facility_areas(vec![facility]).0.remove(0);
        let mut errors = facility.validate();
        if let Some(id) = &facility.organisation_id
            && self.store.organisation(id).await?.is_none()
        {
            errors.push(unknown_organisation(id));
        }
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        let now = now();
        facility.created_at = existing.map_or(Some(now), |e| e.created_at);
        facility.updated_at = Some(now);
        Ok(facility)
    }

    /// Records an agency editor's proposal (see [`Store::add_proposal`]); with
    /// `publish` its record is written at once, through the change log like every
    /// write. Returns the proposal's number.
    pub async fn propose(
        &self,
        proposal: &Proposal,
        publish: bool,
        actor: &str,
    ) -> Result<i64, RegistryError> {
        let id = self.store.add_proposal(proposal, publish, actor).await?;
        if publish {
            self.catch_up().await?;
        }
        Ok(id)
    }

    /// Decides a proposal (see [`Store::decide_proposal`]); `write` (an approval) is
    /// stored in the same transaction and reaches every instance through the change
    /// log, like every write.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide(
        &self,
        id: i64,
        from: ProposalStatus,
        to: ProposalStatus,
        reason: Option<&str>,
        write: Option<&Facility>,
        action: &str,
        actor: &str,
    ) -> Result<(), RegistryError> {
        self.store
            .decide_proposal(id, from, to, reason, write, action, actor)
            .await?;
        if write.is_some() {
            self.catch_up().await?;
        }
        Ok(())
    }

    /// Removes a facility.
    pub async fn delete(&self, id: &str, actor: &str) -> Result<(), RegistryError> {
        self.store.delete_facility(id, actor).await?;
        self.catch_up().await?;
        Ok(())
    }

    /// Writes already-read facilities (see [`Registry::import_from`]): one
    /// transaction; records equal to the stored ones (timestamps aside) are left alone;
    /// timestamps given in the input are kept, so an export imported back is unchanged.
    pub async fn import(
        &self,
        facilities: Vec<Facility>,
        actor: &str,
    ) -> Result<ImportSummary, RegistryError> {
        let facilities = Arc::new(facilities);
        let source: Arc<FacilitySource> = Arc::new(move |each| {
            for f in facilities.iter() {
                if each(f.clone()).is_break() {
                    break;
                }
            }
            Ok(crate::import::ReadNotes {
                read: facilities.len(),
                ..crate::import::ReadNotes::default()
            })
        });
        self.import_from(source, None, actor).await
    }
}

/// The error of an `organisation_id` that names no stored organisation.
fn unknown_organisation(id: &str) -> FieldError {
    FieldError::new(
        "organisation_id",
        format!("no organisation with id {id:?} (see GET /api/organisations)"),
    )
}

/// Equal in everything but the bookkeeping timestamps.
fn same_record(a: &Facility, b: &Facility) -> bool {
    let strip = |f: &Facility| Facility {
        created_at: None,
        updated_at: None,
        ..f.clone()
    };
    strip(a) == strip(b)
}

/// The current time to the whole second, as records carry it.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}
