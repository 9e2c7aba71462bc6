//! Admin-area imports: a file's areas replace those of its level(s), then settlements
//! and facilities are placed in the new areas (see [`crate::spatial::area_index`]).

use super::{Registry, RegistryError, now};
use crate::model::{Area, Facility};
use crate::store::StoreError;
use serde::Serialize;
use std::collections::HashSet;

/// What an admin-areas import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AreaImportSummary {
    /// Areas read from the input.
    pub read: usize,
    /// Areas written (replacing every area of their level).
    pub written: usize,
    /// The levels replaced.
    pub levels: Vec<u8>,
    /// Areas of those levels stored before the import (all of them replaced).
    pub previous: usize,
    /// Of those, the ones whose code is not in the input: gone after the import.
    pub removed: usize,
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

/// Area assignment: the registry places settlements and facilities in the admin areas
/// it holds (see [`crate::spatial::area_index`]). It runs when population or facilities are
/// imported (filling what records lack) and after an areas import (settlements are
/// assigned again; facilities get missing or no-longer-valid codes filled).
impl Registry {
    /// The current areas, indexed for point location.
    pub fn area_index(&self) -> crate::spatial::area_index::AreaIndex {
        crate::spatial::area_index::AreaIndex::new(self.places().areas.clone())
    }

    /// Fills facilities' missing `adm1`/`adm2` from the stored areas. Returns the
    /// records, how many were changed and how many of those lie outside every area.
    pub(super) fn assign_facility_areas(
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
            let a = crate::spatial::area_index::assign_facility(&index, f, &|_, _| true);
            if before != (f.adm1.clone(), f.adm2.clone(), f.country.clone()) {
                assigned += 1;
                outside += usize::from(a.outside);
            }
        }
        (facilities, assigned, outside)
    }

    /// Replaces the areas of every level present in `areas` (all or nothing per level),
    /// then assigns settlements and facilities to the new areas.
    ///
    /// An input with no areas would remove every area of `level` (the level asked for):
    /// it is refused ([`RegistryError::Refused`], nothing written) unless `replace_all`
    /// asks for it; with no level given there is nothing to replace and it is refused too.
    pub async fn import_areas(
        &self,
        read: crate::import::areas::AreaRead,
        level: Option<u8>,
        replace_all: bool,
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
        self.catch_up().await?;
        if by_level.is_empty() {
            let Some(level) = level else {
                return Err(RegistryError::Refused(
                    "the input holds no areas and names no level: nothing to import".into(),
                ));
            };
            let stored = self
                .places()
                .areas
                .iter()
                .filter(|a| a.level == level)
                .count();
            if stored > 0 && !replace_all {
                return Err(RegistryError::Refused(format!(
                    "the input holds no areas: importing it would remove all {stored} stored \
                     areas of level {level}; nothing was written. To remove them on purpose, \
                     ask for it (API: ?replace=all; command line: --replace-all)"
                )));
            }
            by_level.insert(level, Vec::new());
        }
        summary.levels = by_level.keys().copied().collect();
        {
            let places = self.places();
            for (level, areas) in &by_level {
                let kept: HashSet<&str> = areas.iter().map(|a| a.code.as_str()).collect();
                for a in places.areas.iter().filter(|a| a.level == *level) {
                    summary.previous += 1;
                    summary.removed += usize::from(!kept.contains(a.code.as_str()));
                }
            }
        }
        for (level, areas) in &by_level {
            self.store.replace_areas(*level, areas, actor).await?;
        }
        self.catch_up().await?;
        let index = self.area_index();
        // Settlements: assigned again for every level.
        let mut settlements = self.places().settlements.clone();
        if !settlements.is_empty() {
            for s in &mut settlements {
                let a = crate::spatial::area_index::assign_settlement(&index, s);
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
            crate::spatial::area_index::assign_facility(&index, &mut g, &valid);
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
}
