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
