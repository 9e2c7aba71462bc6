//! Friction surfaces (travel scenarios): imported all or nothing, stored as their
//! GeoTIFF bytes with a change-log entry, and loaded by every instance into the
//! scenarios snapshot (`ArcSwap`, so readers never wait) when the change log says a
//! scenario changed.

use super::{Registry, RegistryError};
use crate::store::{FrictionInfo, StoreError};
use crate::travel::{Scenario, Scenarios, scenarios};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;

/// What a friction import did.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FrictionImportSummary {
    /// The scenario written.
    pub scenario: String,
    /// Whether it is a synthetic demo surface.
    pub demo: bool,
    /// Whether it replaced a stored scenario of the same name.
    pub replaced: bool,
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Cell width and height, degrees.
    pub cell_size_deg: [f64; 2],
    /// West, south, east, north edges, degrees.
    pub bounds: [f64; 4],
    /// Cells that can be crossed.
    pub passable_cells: usize,
    /// Active facilities in an impassable cell of this surface: they reach nothing by
    /// travel time until they are moved or the surface is corrected.
    pub facilities_impassable: usize,
    /// The first (up to 20) of their ids.
    pub impassable_examples: Vec<String>,
    /// Things that did not stop the import.
    pub warnings: Vec<String>,
}

impl Registry {
    /// The travel scenarios loaded. Never blocks.
    pub fn scenarios(&self) -> Arc<Scenarios> {
        self.travel.load_full()
    }

    /// Imports the friction GeoTIFF `tiff` as scenario `name` (replacing one of the
    /// same name), after reading it whole and checking that it covers every active
    /// facility; nothing is written when anything fails ([`RegistryError::Refused`]
    /// with the reason).
    pub async fn import_friction(
        &self,
        name: &str,
        tiff: Vec<u8>,
        demo: bool,
        actor: &str,
    ) -> Result<FrictionImportSummary, RegistryError> {
        let refused = |e: scenarios::ScenarioError| RegistryError::Refused(e.to_string());
        scenarios::check_name(name).map_err(refused)?;
        let tiff = Arc::new(tiff);
        let bytes = tiff.clone();
        let surface =
            tokio::task::spawn_blocking(move || crate::travel::read_friction_geotiff(&bytes))
                .await
                .map_err(|e| RegistryError::Aborted(e.to_string()))?
                .map_err(|e| refused(e.into()))?;
        // Checked against the facilities as they are now (another process may have
        // written).
        self.catch_up().await?;
        let impassable = scenarios::check_cover(&surface, &self.index()).map_err(refused)?;
        let (west, north, dx, dy) = surface.extent();
        let (width, height) = (surface.width(), surface.height());
        let info = FrictionInfo {
            scenario: name.to_string(),
            demo,
            width: width as u32,
            height: height as u32,
            west,
            north,
            cell_width: dx,
            cell_height: dy,
            imported_at: crate::model::format_timestamp(&chrono::Utc::now()),
            actor: actor.to_string(),
        };
        let replaced = self.scenarios().get(name).is_some();
        let summary = FrictionImportSummary {
            scenario: name.to_string(),
            demo,
            replaced,
            width,
            height,
            cell_size_deg: [dx, dy],
            bounds: [
                west,
                north - height as f64 * dy,
                west + width as f64 * dx,
                north,
            ],
            passable_cells: surface.passable_cells(),
            facilities_impassable: impassable.len(),
            impassable_examples: impassable.into_iter().take(20).collect(),
            warnings: surface.warnings.clone(),
        };
        drop(surface);
        self.store.put_friction(&info, &tiff, actor).await?;
        self.catch_up().await?;
        Ok(summary)
    }

    /// Removes scenario `name`; false when none is stored by that name.
    pub async fn remove_friction(&self, name: &str, actor: &str) -> Result<bool, RegistryError> {
        let removed = self.store.remove_friction(name, actor).await?;
        self.catch_up().await?;
        Ok(removed)
    }

    /// Loads the stored scenarios again: all of them (`changed` = `None`), or only
    /// those named (the others are kept as loaded). A stored surface that no longer
    /// reads (it was checked on import) is left out and logged.
    pub(super) async fn reload_travel(
        &self,
        changed: Option<&HashSet<String>>,
    ) -> Result<(), StoreError> {
        let infos = self.store.friction_infos().await?;
        let current = self.travel.load_full();
        let mut list: Vec<Arc<Scenario>> = Vec::new();
        for info in infos {
            let keep = changed.is_some_and(|c| !c.contains(&info.scenario));
            if keep && let Some(s) = current.get(&info.scenario) {
                list.push(s.clone());
                continue;
            }
            let Some(tiff) = self.store.friction_tiff(&info.scenario).await? else {
                continue;
            };
            let read =
                tokio::task::spawn_blocking(move || crate::travel::read_friction_geotiff(&tiff))
                    .await;
            match read {
                Ok(Ok(surface)) => list.push(Arc::new(Scenario::new(
                    info.scenario,
                    info.demo,
                    info.imported_at,
                    surface,
                ))),
                Ok(Err(e)) => {
                    tracing::error!(scenario = %info.scenario, error = %e, "stored friction surface unreadable")
                }
                Err(e) => {
                    tracing::error!(scenario = %info.scenario, error = %e, "reading a friction surface failed")
                }
            }
        }
        self.travel.store(Arc::new(Scenarios::new(list)));
        Ok(())
    }
}
