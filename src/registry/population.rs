//! Population imports: settlements (or raster cells) replace the stored ones, each
//! placed in the stored areas first.

use super::{Registry, RegistryError};
use crate::model::Settlement;
use crate::store::StoreError;
use serde::Serialize;

/// What a population import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PopulationImportSummary {
    /// `geotiff`, `geojson` or `csv`.
    pub format: String,
    /// Population points read (raster: cells with people).
    pub read: usize,
    /// Points written (they replace every settlement).
    pub written: usize,
    /// Settlements stored before the import (all of them replaced).
    pub previous: usize,
    /// Of those, the ones whose id is not in the input: gone after the import.
    pub removed: usize,
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

impl Registry {
    /// Replaces every settlement with the population read, each point placed in the
    /// areas first; points outside every area go to the nearest and are reported.
    ///
    /// An input with no points would remove every settlement: it is refused
    /// ([`RegistryError::Refused`], nothing written) unless `replace_all` asks for it.
    pub async fn import_population(
        &self,
        read: crate::import::PopulationRead,
        replace_all: bool,
        actor: &str,
    ) -> Result<PopulationImportSummary, RegistryError> {
        let mut settlements = read.settlements;
        // Counted against the store as it is now (another process may have written).
        self.catch_up().await?;
        let stored = self.places();
        let previous = stored.settlements.len();
        if settlements.is_empty() && previous > 0 && !replace_all {
            return Err(RegistryError::Refused(format!(
                "the {} input holds no population points ({} record(s) skipped): importing it would \
                 remove all {previous} stored settlements; nothing was written. To remove them \
                 on purpose, ask for it (API: ?replace=all; command line: --replace-all)",
                read.format, read.skipped
            )));
        }
        let kept: std::collections::HashSet<&str> =
            settlements.iter().map(|s| s.id.as_str()).collect();
        let removed = stored
            .settlements
            .iter()
            .filter(|s| !kept.contains(s.id.as_str()))
            .count();
        drop(kept);
        drop(stored);
        let mut summary = PopulationImportSummary {
            format: read.format.to_string(),
            read: settlements.len(),
            written: settlements.len(),
            previous,
            removed,
            skipped: read.skipped,
            warnings: read.warnings,
            ..PopulationImportSummary::default()
        };
        let index = self.area_index();
        for s in &mut settlements {
            summary.total_population += s.population;
            let a = crate::spatial::area_index::assign_settlement(&index, s);
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
