//! The embedded default: on first start with an empty store, load `geodata/` (country
//! and region outlines, GeoNames settlements, the demo organisations and the demo
//! facility set they run), as built into the binary or from a folder. The settlements
//! and facilities go through the registry's imports, so they are placed in the regions
//! (`adm1`) like any imported data. Then the demo referral and unmet-needs logs are
//! generated over them ([`super::demo_logs`]).

use crate::import::{self, RecordError};
use crate::registry::{Registry, RegistryError};
use crate::store::StoreError;
use std::borrow::Cow;
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
        first: Option<Box<RecordError>>,
    },
    /// Storing failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Storing facilities failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

/// The travel scenarios of the default data, as `friction_<name>_demo.tif`.
pub const DEMO_SCENARIOS: [&str; 2] = ["walking", "motorised"];

/// What was loaded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    /// Country outlines loaded.
    pub countries: usize,
    /// First-level regions.
    pub regions: usize,
    /// Population points loaded.
    pub settlements: usize,
    /// Demo organisations loaded.
    pub organisations: usize,
    /// Facilities loaded (the synthetic demo set in `geodata/`).
    pub facilities: usize,
    /// Demo referrals generated (see [`super::demo_logs`]).
    pub referrals: usize,
    /// Demo unmet needs generated.
    pub unmet_needs: usize,
    /// Demo travel scenarios (friction surfaces) stored.
    pub scenarios: usize,
}

/// Where the default data comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DefaultData {
    /// The files of `geodata/` built into the binary.
    #[default]
    BuiltIn,
    /// A folder with the same files (`TIREK_GEODATA_DIR`), e.g. an operator's own.
    Dir(PathBuf),
}

impl DefaultData {
    fn read(&self, name: &str) -> Result<Cow<'static, [u8]>, DefaultsError> {
        match self {
            Self::BuiltIn => crate::assets::geodata_file(name)
                .map(|f| Cow::Borrowed(f.bytes))
                .ok_or_else(|| DefaultsError::Read {
                    path: self.path(name),
                    source: std::io::ErrorKind::NotFound.into(),
                }),
            Self::Dir(dir) => {
                let path = dir.join(name);
                std::fs::read(&path)
                    .map(Cow::Owned)
                    .map_err(|source| DefaultsError::Read { path, source })
            }
        }
    }

    /// How a file is named in messages.
    fn path(&self, name: &str) -> PathBuf {
        match self {
            Self::BuiltIn => Path::new("geodata (built in)").join(name),
            Self::Dir(dir) => dir.join(name),
        }
    }

    fn invalid(&self, name: &str, errors: Vec<RecordError>) -> DefaultsError {
        DefaultsError::Invalid {
            path: self.path(name),
            first: errors.into_iter().next().map(Box::new),
        }
    }
}

/// Loads the default data from `source` if the store has never held anything.
/// Returns `None` when the store was not empty.
pub async fn load_if_empty(
    registry: &Registry,
    source: &DefaultData,
) -> Result<Option<Loaded>, DefaultsError> {
    if registry.store().version().await? != 0 {
        return Ok(None);
    }
    load(registry, source).await.map(Some)
}

/// Loads the default data from `source` (replacing areas and settlements).
pub async fn load(registry: &Registry, source: &DefaultData) -> Result<Loaded, DefaultsError> {
    let countries = import::areas::read_geojson(&source.read("countries.geojson")?, Some(0))
        .map_err(|e| source.invalid("countries.geojson", e))?;
    let regions = import::areas::read_geojson(&source.read("regions.geojson")?, Some(1))
        .map_err(|e| source.invalid("regions.geojson", e))?;
    let settlements = import::settlements::read_csv(&source.read("settlements.csv")?)
        .map_err(|e| source.invalid("settlements.csv", e))?;
    let facilities = import::read_facilities(
        &source.read("facilities_demo.geojson")?,
        import::FacilityFormat::Geojson,
    )
    .map_err(|e| source.invalid("facilities_demo.geojson", e))?;
    let organisations: Vec<crate::model::Organisation> =
        serde_json::from_slice(&source.read("organisations_demo.json")?).map_err(|e| {
            DefaultsError::Invalid {
                path: source.path("organisations_demo.json"),
                first: Some(Box::new(RecordError::file("organisations", e.to_string()))),
            }
        })?;
    if let Some((o, e)) = organisations
        .iter()
        .find_map(|o| o.validate().into_iter().next().map(|e| (o, e)))
    {
        return Err(DefaultsError::Invalid {
            path: source.path("organisations_demo.json"),
            first: Some(Box::new(RecordError {
                index: None,
                id: Some(o.id.clone()),
                field: e.field,
                message: e.message,
                column: None,
            })),
        });
    }
    registry.replace_areas(0, &countries, SYSTEM).await?;
    registry.replace_areas(1, &regions, SYSTEM).await?;
    let mut loaded = Loaded {
        countries: countries.len(),
        regions: regions.len(),
        settlements: settlements.len(),
        organisations: organisations.len(),
        facilities: facilities.len(),
        referrals: 0,
        unmet_needs: 0,
        scenarios: 0,
    };
    let demo_organisations = organisations.clone();
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
    // The demo logs, over the facilities and settlements as placed in the regions.
    let placed: Vec<crate::model::Facility> =
        registry.index().facilities().map(|r| r.decode()).collect();
    let (referrals, unmet_needs) = super::demo_logs::generate(
        &placed,
        &demo_organisations,
        &registry.places().settlements,
        chrono::Utc::now().date_naive(),
    );
    registry.store().add_referrals(&referrals, SYSTEM).await?;
    registry
        .store()
        .add_unmet_needs(&unmet_needs, SYSTEM)
        .await?;
    // The demo travel scenarios (`geodata/build_friction.py`), over the facilities just
    // stored; an operator's folder may leave them out.
    for scenario in DEMO_SCENARIOS {
        let name = format!("friction_{scenario}_demo.tif");
        let bytes = match source.read(&name) {
            Ok(bytes) => bytes.into_owned(),
            Err(_) if matches!(source, DefaultData::Dir(_)) => continue,
            Err(e) => return Err(e),
        };
        registry
            .import_friction(scenario, bytes, true, SYSTEM)
            .await?;
        loaded.scenarios += 1;
    }
    loaded.referrals = referrals.len();
    loaded.unmet_needs = unmet_needs.len();
    Ok(loaded)
}
