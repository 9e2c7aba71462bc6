//! The service registry: the store plus the live index snapshot, and the one way to
//! change either. Every write goes to the store first; then [`Registry::catch_up`]
//! reads the change log since the snapshot's version and swaps in a new index. Writes
//! by other processes (another instance, the CLI) arrive through the same catch-up, so
//! there is one path from the store to what readers see.

use crate::index::ServiceIndex;
use crate::model::{Area, Facility, FieldError, Settlement};
use crate::records::RecordsBuilder;
use crate::store::{Store, StoreError};
use arc_swap::ArcSwap;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
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
}

/// The store and the index snapshot readers use.
pub struct Registry {
    store: Arc<dyn Store>,
    index: ArcSwap<ServiceIndex>,
    places: ArcSwap<Places>,
    catch_up_lock: Mutex<()>,
    /// Analysis results of the current data version, by query.
    results: std::sync::Mutex<(i64, HashMap<String, Arc<serde_json::Value>>)>,
}

impl Registry {
    /// Opens the registry on `store` and builds the first index.
    pub async fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let registry = Self {
            store,
            index: ArcSwap::from_pointee(ServiceIndex::empty()),
            places: ArcSwap::from_pointee(Places {
                areas: Vec::new(),
                settlements: Vec::new(),
            }),
            catch_up_lock: Mutex::new(()),
            results: std::sync::Mutex::new((-1, HashMap::new())),
        };
        registry.reload().await?;
        Ok(registry)
    }

    /// Starts a background task that keeps this registry up to date with writes by
    /// other processes (see [`crate::follow`]); it stops when the handle is dropped.
    pub fn follow(self: &Arc<Self>) -> crate::follow::Follower {
        crate::follow::follow(self.clone(), crate::follow::FollowOptions::default())
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

    /// The result of `compute` for `key` at the current data version: computed once per
    /// version, so analyses follow every write.
    pub fn cached(
        &self,
        key: &str,
        compute: impl FnOnce() -> serde_json::Value,
    ) -> Arc<serde_json::Value> {
        let version = self.index().version();
        {
            let results = self.results.lock().unwrap_or_else(|e| e.into_inner());
            if results.0 == version
                && let Some(hit) = results.1.get(key)
            {
                return hit.clone();
            }
        }
        let value = Arc::new(compute());
        let mut results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        if results.0 != version {
            *results = (version, HashMap::new());
        }
        results.1.insert(key.to_string(), value.clone());
        value
    }

    /// Rebuilds everything from the store.
    pub async fn reload(&self) -> Result<(), StoreError> {
        let _guard = self.catch_up_lock.lock().await;
        let version = self.store.version().await?;
        let index = self.load_index(version).await?;
        self.index.store(Arc::new(index));
        self.reload_places().await
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
        let places = Places {
            areas: self.store.areas(None).await?,
            settlements: self.store.settlements().await?,
        };
        self.places.store(Arc::new(places));
        Ok(())
    }

    /// Applies every change in the store since the snapshot's version and swaps in a
    /// new snapshot. Returns the new data version.
    pub async fn catch_up(&self) -> Result<i64, StoreError> {
        let _guard = self.catch_up_lock.lock().await;
        let current = self.index.load_full();
        let changes = self.store.changes_since(current.version()).await?;
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
        let next = if changed.len() > current.len() / 4 + 64 {
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
        Ok(last)
    }

    /// Adds a new facility (timestamps set now).
    pub async fn create(
        &self,
        mut facility: Facility,
        actor: &str,
    ) -> Result<Facility, RegistryError> {
        check(&facility)?;
        let now = now();
        facility.created_at = Some(now);
        facility.updated_at = Some(now);
        self.store.insert_facility(&facility, actor).await?;
        self.catch_up().await?;
        Ok(facility)
    }

    /// Replaces a facility, keeping its creation time.
    pub async fn update(
        &self,
        mut facility: Facility,
        actor: &str,
    ) -> Result<Facility, RegistryError> {
        check(&facility)?;
        let existing = self
            .store
            .facility(&facility.id)
            .await?
            .ok_or_else(|| StoreError::NotFound(facility.id.clone()))?;
        facility.created_at = existing.created_at;
        facility.updated_at = Some(now());
        self.store.update_facility(&facility, actor).await?;
        self.catch_up().await?;
        Ok(facility)
    }

    /// Removes a facility.
    pub async fn delete(&self, id: &str, actor: &str) -> Result<(), RegistryError> {
        self.store.delete_facility(id, actor).await?;
        self.catch_up().await?;
        Ok(())
    }

    /// Writes a batch of already-validated facilities in one transaction. Records equal
    /// to the stored ones (timestamps aside) are left alone; timestamps given in the
    /// input are kept, so an export imported back is unchanged.
    pub async fn import(
        &self,
        facilities: Vec<Facility>,
        actor: &str,
    ) -> Result<ImportSummary, RegistryError> {
        self.import_with_progress(facilities, None, actor).await
    }

    /// [`Registry::import`], telling `progress` how many records are written now and
    /// then (for long imports on the command line).
    pub async fn import_with_progress(
        &self,
        facilities: Vec<Facility>,
        progress: Option<&crate::store::Progress>,
        actor: &str,
    ) -> Result<ImportSummary, RegistryError> {
        let mut summary = ImportSummary {
            read: facilities.len(),
            ..ImportSummary::default()
        };
        let errors: Vec<FieldError> = facilities
            .iter()
            .flat_map(|f| {
                f.validate()
                    .into_iter()
                    .map(|e| FieldError::new(format!("{}: {}", f.id, e.field), e.message))
            })
            .collect();
        if !errors.is_empty() {
            return Err(RegistryError::Invalid(errors));
        }
        let (facilities, assigned, outside) = self.assign_facility_areas(facilities);
        summary.assigned_areas = assigned;
        summary.outside_areas = outside;
        let index = self.index();
        let now = now();
        let mut writes = Vec::new();
        for mut f in facilities {
            match index.get(&f.id) {
                Some(old) if same_record(&old, &f) => summary.unchanged += 1,
                Some(old) => {
                    f.created_at = f.created_at.or(old.created_at);
                    f.updated_at = Some(now);
                    summary.updated += 1;
                    writes.push(f);
                }
                None => {
                    f.created_at = f.created_at.or(Some(now));
                    f.updated_at = f.updated_at.or(Some(now));
                    summary.created += 1;
                    writes.push(f);
                }
            }
        }
        if !writes.is_empty() {
            self.store
                .upsert_facilities(&writes, progress, actor)
                .await?;
            self.catch_up().await?;
        }
        Ok(summary)
    }

    /// Replaces the areas of one level.
    pub async fn replace_areas(
        &self,
        level: u8,
        areas: &[Area],
        actor: &str,
    ) -> Result<(), StoreError> {
        self.store.replace_areas(level, areas, actor).await?;
        self.catch_up().await.map(|_| ())
    }

    /// Replaces every settlement.
    pub async fn replace_settlements(
        &self,
        settlements: &[Settlement],
        actor: &str,
    ) -> Result<(), StoreError> {
        self.store.replace_settlements(settlements, actor).await?;
        self.catch_up().await.map(|_| ())
    }
}

fn check(facility: &Facility) -> Result<(), RegistryError> {
    let errors = facility.validate();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(RegistryError::Invalid(errors))
    }
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
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// What an admin-areas import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AreaImportSummary {
    /// Areas read from the input.
    pub read: usize,
    /// Areas written (replacing every area of their level).
    pub written: usize,
    /// The levels replaced.
    pub levels: Vec<u8>,
    /// Invalid polygons that were repaired on the way.
    pub repaired: Vec<crate::import::areas::Repair>,
    /// Settlements whose area codes were assigned again against the new areas.
    pub settlements_assigned: usize,
    /// Of those, settlements outside every area of some level (given the nearest).
    pub settlements_outside_areas: usize,
    /// Facilities whose missing or no-longer-valid area codes were filled in.
    pub facilities_updated: usize,
    /// Things that did not stop the import.
    pub warnings: Vec<String>,
}

/// What a population import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PopulationImportSummary {
    /// `geotiff`, `geojson` or `csv`.
    pub format: String,
    /// Population points read (raster: cells with people).
    pub read: usize,
    /// Points written (they replace every settlement).
    pub written: usize,
    /// Input records not imported (no-data cells, points without population).
    pub skipped: usize,
    /// People in all the points written.
    pub total_population: f64,
    /// Points outside every area of some level: given the nearest area when one is
    /// within reach (see `without_area` for the others).
    pub outside_areas: usize,
    /// People in those points.
    pub population_outside_areas: f64,
    /// The first (up to 20) of those points' ids.
    pub outside_examples: Vec<String>,
    /// Points with no area of some level within reach (e.g. in another country): they
    /// are kept, with that code empty.
    pub without_area: usize,
    /// People in those points.
    pub population_without_area: f64,
    /// Things that did not stop the import.
    pub warnings: Vec<String>,
}

/// Area assignment: the registry places settlements and facilities in the admin areas
/// it holds (see [`crate::places`]). It runs when population or facilities are
/// imported (filling what records lack) and after an areas import (settlements are
/// assigned again; facilities get missing or no-longer-valid codes filled).
impl Registry {
    /// The current areas, indexed for point location.
    pub fn area_index(&self) -> crate::places::AreaIndex {
        crate::places::AreaIndex::new(self.places().areas.clone())
    }

    /// Fills facilities' missing `adm1`/`adm2` from the stored areas. Returns the
    /// records, how many were changed and how many of those lie outside every area.
    fn assign_facility_areas(
        &self,
        mut facilities: Vec<Facility>,
    ) -> (Vec<Facility>, usize, usize) {
        if self.places().areas.is_empty()
            || facilities
                .iter()
                .all(|f| f.adm1.is_some() && f.adm2.is_some() && !f.country.is_empty())
        {
            return (facilities, 0, 0);
        }
        let index = self.area_index();
        let (mut assigned, mut outside) = (0, 0);
        for f in &mut facilities {
            let before = (f.adm1.clone(), f.adm2.clone(), f.country.clone());
            let a = crate::places::assign_facility(&index, f, &|_, _| true);
            if before != (f.adm1.clone(), f.adm2.clone(), f.country.clone()) {
                assigned += 1;
                outside += usize::from(a.outside);
            }
        }
        (facilities, assigned, outside)
    }

    /// Replaces the areas of every level present in `areas` (all or nothing per level),
    /// then assigns settlements and facilities to the new areas.
    pub async fn import_areas(
        &self,
        read: crate::import::areas::AreaRead,
        actor: &str,
    ) -> Result<AreaImportSummary, RegistryError> {
        let mut summary = AreaImportSummary {
            read: read.areas.len(),
            written: read.areas.len(),
            repaired: read.repaired,
            warnings: read.warnings,
            ..AreaImportSummary::default()
        };
        let mut by_level: std::collections::BTreeMap<u8, Vec<Area>> = Default::default();
        for a in read.areas {
            by_level.entry(a.level).or_default().push(a);
        }
        summary.levels = by_level.keys().copied().collect();
        for (level, areas) in &by_level {
            self.store.replace_areas(*level, areas, actor).await?;
        }
        self.catch_up().await?;
        let index = self.area_index();
        // Settlements: assigned again for every level.
        let mut settlements = self.places().settlements.clone();
        if !settlements.is_empty() {
            for s in &mut settlements {
                let a = crate::places::assign_settlement(&index, s);
                summary.settlements_assigned += 1;
                summary.settlements_outside_areas += usize::from(a.outside);
            }
            self.store.replace_settlements(&settlements, actor).await?;
        }
        // Facilities: fill missing codes and replace those naming no area any more.
        let codes: HashSet<(u8, String)> = index
            .areas()
            .iter()
            .map(|a| (a.level, a.code.clone()))
            .collect();
        let valid = |level: u8, code: &str| {
            !index.has_level(level) || codes.contains(&(level, code.to_string()))
        };
        let now = now();
        let mut changed = Vec::new();
        for record in self.index().facilities() {
            let f = record.decode();
            let mut g = f.clone();
            crate::places::assign_facility(&index, &mut g, &valid);
            if (&g.adm1, &g.adm2, &g.country) != (&f.adm1, &f.adm2, &f.country) {
                g.updated_at = Some(now);
                changed.push(g);
            }
        }
        summary.facilities_updated = changed.len();
        if !changed.is_empty() {
            self.store.upsert_facilities(&changed, None, actor).await?;
        }
        self.catch_up().await?;
        Ok(summary)
    }

    /// Replaces every settlement with these population points, assigned to the stored
    /// areas first; points outside every area go to the nearest and are reported.
    pub async fn import_population(
        &self,
        read: crate::import::PopulationRead,
        actor: &str,
    ) -> Result<PopulationImportSummary, RegistryError> {
        let mut settlements = read.settlements;
        let mut summary = PopulationImportSummary {
            format: read.format.to_string(),
            read: settlements.len(),
            written: settlements.len(),
            skipped: read.skipped,
            warnings: read.warnings,
            ..PopulationImportSummary::default()
        };
        let index = self.area_index();
        for s in &mut settlements {
            summary.total_population += s.population;
            let a = crate::places::assign_settlement(&index, s);
            if a.unassigned {
                summary.without_area += 1;
                summary.population_without_area += s.population;
            }
            if a.outside {
                summary.outside_areas += 1;
                summary.population_outside_areas += s.population;
                if summary.outside_examples.len() < 20 {
                    summary.outside_examples.push(s.id.clone());
                }
            }
        }
        self.store.replace_settlements(&settlements, actor).await?;
        self.catch_up().await?;
        Ok(summary)
    }
}
