//! The embedded default: on first start with an empty store, load `geodata/`
//! (country and region outlines, GeoNames settlements, the demo organisations and the
//! demo facility set they run). The
//! settlements and facilities go through the registry's imports, so they are placed in
//! the regions (`adm1`) like any imported data.

use crate::import::{self, RecordError};
use crate::registry::{Registry, RegistryError};
use crate::store::StoreError;
use std::path::{Path, PathBuf};

/// The audit log's name for writes Tirek makes itself (loading the default data).
pub const SYSTEM: &str = "system";

/// Why the default data could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DefaultsError {
    /// A file is missing or unreadable.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file has invalid records.
    #[error("{path} has invalid records, first: {first:?}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The first problem.
        first: Option<RecordError>,
    },
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Storing facilities failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// What was loaded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// Countries.
    pub countries: usize,
    /// First-level regions.
    pub regions: usize,
    /// Settlements.
    pub settlements: usize,
    /// Organisations.
    pub organisations: usize,
    /// Facilities.
    pub facilities: usize,
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, DefaultsError> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|source| DefaultsError::Read { path, source })
}

fn invalid(dir: &Path, name: &str, errors: Vec<RecordError>) -> DefaultsError {
    DefaultsError::Invalid {
        path: dir.join(name),
        first: errors.into_iter().next(),
    }
}

/// Loads the default data from `dir` if the store has never held anything.
/// Returns `None` when the store was not empty.
pub async fn load_if_empty(
    registry: &Registry,
    dir: &Path,
) -> Result<Option<Loaded>, DefaultsError> {
    if registry.store().version().await? != 0 {
        return Ok(None);
    }
    load(registry, dir).await.map(Some)
}

/// Loads the default data from `dir` (replacing areas and settlements).
pub async fn load(registry: &Registry, dir: &Path) -> Result<Loaded, DefaultsError> {
    let countries = import::areas::read_geojson(&read(dir, "countries.geojson")?, Some(0))
        .map_err(|e| invalid(dir, "countries.geojson", e))?;
    let regions = import::areas::read_geojson(&read(dir, "regions.geojson")?, Some(1))
        .map_err(|e| invalid(dir, "regions.geojson", e))?;
    let settlements = import::settlements::read_csv(&read(dir, "settlements.csv")?)
        .map_err(|e| invalid(dir, "settlements.csv", e))?;
    let facilities = import::read_facilities(
        &read(dir, "facilities_demo.geojson")?,
        import::FacilityFormat::Geojson,
    )
    .map_err(|e| invalid(dir, "facilities_demo.geojson", e))?;
    let organisations: Vec<crate::model::Organisation> =
        serde_json::from_slice(&read(dir, "organisations_demo.json")?).map_err(|e| {
            DefaultsError::Invalid {
                path: dir.join("organisations_demo.json"),
                first: Some(RecordError::file("organisations", e.to_string())),
            }
        })?;
    if let Some((o, e)) = organisations
        .iter()
        .find_map(|o| o.validate().into_iter().next().map(|e| (o, e)))
    {
        return Err(DefaultsError::Invalid {
            path: dir.join("organisations_demo.json"),
            first: Some(RecordError {
                index: None,
                id: Some(o.id.clone()),
                field: e.field,
                message: e.message,
            }),
        });
    }
    registry.replace_areas(0, &countries, SYSTEM).await?;
    registry.replace_areas(1, &regions, SYSTEM).await?;
    let loaded = Loaded {
        countries: countries.len(),
        regions: regions.len(),
        settlements: settlements.len(),
        organisations: organisations.len(),
        facilities: facilities.len(),
    };
    // Before the facilities, which name them.
    let now = crate::registry::now();
    for mut o in organisations {
        o.created_at = Some(now);
        o.updated_at = Some(now);
        registry.store().put_organisation(&o, SYSTEM).await?;
    }
    // Through the population import, so that each settlement gets its region (`adm1`)
    // by the same rules as any imported population.
    let read = import::PopulationRead {
        settlements,
        format: "csv",
        ..import::PopulationRead::default()
    };
    registry.import_population(read, true, SYSTEM).await?;
    registry.import(facilities, SYSTEM).await?;
    Ok(loaded)
}
