//! The service registry: the store plus the live index snapshot, and the one way to
//! change either. Every write goes to the store first; then [`Registry::catch_up`]
//! reads the change log since the snapshot's version and swaps in a new index. Writes
//! by other processes (another instance, the CLI) arrive through the same catch-up, so
//! there is one path from the store to what readers see.

use crate::index::ServiceIndex;
use crate::model::{Area, Facility, FieldError, Settlement};
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
        };
        registry.reload().await?;
        Ok(registry)
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
        let facilities = self.store.facilities().await?;
        self.index.store(Arc::new(ServiceIndex::build(
            facilities.into_iter().map(Arc::new).collect(),
            version,
        )));
        self.reload_places().await
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
        let mut by_id: HashMap<String, Arc<Facility>> = current
            .facilities()
            .iter()
            .map(|f| (f.id.clone(), f.clone()))
            .collect();
        if changed.len() > by_id.len() / 4 + 64 {
            by_id = self
                .store
                .facilities()
                .await?
                .into_iter()
                .map(|f| (f.id.clone(), Arc::new(f)))
                .collect();
        } else {
            for id in changed {
                match self.store.facility(id).await? {
                    Some(f) => by_id.insert(id.to_string(), Arc::new(f)),
                    None => by_id.remove(id),
                };
            }
        }
        let mut facilities: Vec<Arc<Facility>> = by_id.into_values().collect();
        facilities.sort_by(|a, b| a.id.cmp(&b.id));
        self.index
            .store(Arc::new(ServiceIndex::build(facilities, last)));
        if changes.iter().any(|c| c.kind != "facility") {
            self.reload_places().await?;
        }
        Ok(last)
    }

    /// Adds a new facility (timestamps set now).
    pub async fn create(&self, mut facility: Facility) -> Result<Facility, RegistryError> {
        check(&facility)?;
        let now = now();
        facility.created_at = Some(now);
        facility.updated_at = Some(now);
        self.store.insert_facility(&facility).await?;
        self.catch_up().await?;
        Ok(facility)
    }

    /// Replaces a facility, keeping its creation time.
    pub async fn update(&self, mut facility: Facility) -> Result<Facility, RegistryError> {
        check(&facility)?;
        let existing = self
            .store
            .facility(&facility.id)
            .await?
            .ok_or_else(|| StoreError::NotFound(facility.id.clone()))?;
        facility.created_at = existing.created_at;
        facility.updated_at = Some(now());
        self.store.update_facility(&facility).await?;
        self.catch_up().await?;
        Ok(facility)
    }

    /// Removes a facility.
    pub async fn delete(&self, id: &str) -> Result<(), RegistryError> {
        self.store.delete_facility(id).await?;
        self.catch_up().await?;
        Ok(())
    }

    /// Writes a batch of already-validated facilities in one transaction. Records equal
    /// to the stored ones (timestamps aside) are left alone; timestamps given in the
    /// input are kept, so an export imported back is unchanged.
    pub async fn import(&self, facilities: Vec<Facility>) -> Result<ImportSummary, RegistryError> {
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
        let index = self.index();
        let now = now();
        let mut writes = Vec::new();
        for mut f in facilities {
            match index.get(&f.id) {
                Some(old) if same_record(old, &f) => summary.unchanged += 1,
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
            self.store.upsert_facilities(&writes).await?;
            self.catch_up().await?;
        }
        Ok(summary)
    }

    /// Replaces the areas of one level.
    pub async fn replace_areas(&self, level: u8, areas: &[Area]) -> Result<(), StoreError> {
        self.store.replace_areas(level, areas).await?;
        self.catch_up().await.map(|_| ())
    }

    /// Replaces every settlement.
    pub async fn replace_settlements(&self, settlements: &[Settlement]) -> Result<(), StoreError> {
        self.store.replace_settlements(settlements).await?;
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
