//! Stored travel scenarios: named friction surfaces (walking, motorised, …) as the
//! server holds them, the facilities placed on each, and the searches the API answers
//! by minutes (the nearest facilities of each sector from a point, the times to given
//! facilities). Storage and reloading are the registry's; the HTTP forms the API's.

use super::point_search::{SearchEnd, SearchLimits, settle_from};
use super::surface::FrictionSurface;
use crate::index::records::RecordRef;
use crate::index::{Filter, ServiceIndex};
use crate::model::Sector;
use arc_swap::ArcSwapOption;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

/// Why a scenario cannot be stored or used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The name is not `[a-z0-9_-]{1,32}`.
    #[error(
        "scenario name {0:?} is not valid: 1 to 32 characters of a-z, 0-9, '_' and '-' (e.g. walking, motorised)"
    )]
    Name(String),
    /// Active facilities lie off the surface.
    #[error(
        "the friction surface does not cover {count} active facilit{ies} (e.g. {examples}): it must cover every facility the service answers for; nothing was written",
        ies = if *count == 1 { "y" } else { "ies" }
    )]
    Uncovered {
        /// How many.
        count: usize,
        /// The first few ids, comma-separated.
        examples: String,
    },
    /// The surface cannot be read.
    #[error(transparent)]
    Surface(#[from] super::TravelError),
}

/// Checks a scenario name: `[a-z0-9_-]{1,32}`.
pub fn check_name(name: &str) -> Result<(), ScenarioError> {
    let ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ScenarioError::Name(name.chars().take(40).collect()))
    }
}

/// Where the active facilities of `index` lie on `surface`: every one must be on it
/// (else [`ScenarioError::Uncovered`]); the ids of those in impassable cells (which
/// reach nothing) are returned, for a warning.
pub fn check_cover(
    surface: &FrictionSurface,
    index: &ServiceIndex,
) -> Result<Vec<String>, ScenarioError> {
    let (mut off, mut impassable) = (Vec::new(), Vec::new());
    for r in index.facilities() {
        if r.summary().status != crate::model::Status::Active {
            continue;
        }
        let (lon, lat) = r.lonlat();
        match super::place(surface, lon, lat) {
            super::Placement::Cell(_) => {}
            super::Placement::Impassable(_) => impassable.push(r.id().to_string()),
            super::Placement::OffSurface => off.push(r.id().to_string()),
        }
    }
    if off.is_empty() {
        Ok(impassable)
    } else {
        Err(ScenarioError::Uncovered {
            count: off.len(),
            examples: off.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
        })
    }
}

/// One loaded scenario.
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// A synthetic demo surface.
    pub demo: bool,
    /// When it was stored (RFC 3339).
    pub imported_at: String,
    /// The surface.
    pub surface: Arc<FrictionSurface>,
    /// The facilities placed on it, for the index snapshot they were placed from.
    placed: ArcSwapOption<Placed>,
}

/// Facilities by the passable cell that holds them, for one index snapshot.
struct Placed {
    version: i64,
    len: usize,
    /// Cell → record slots there, ascending by id.
    at: HashMap<u32, Vec<u32>>,
}

/// A facility reached by travel time.
#[derive(Debug, Clone, Copy)]
pub struct TimedHit<'a> {
    /// The sector it answers for.
    pub sector: Sector,
    /// The record.
    pub record: RecordRef<'a>,
    /// Least travel time between the point's cell and the facility's, minutes.
    pub minutes: f64,
}

/// What a search by time found.
#[derive(Debug)]
pub struct TimedAnswer<'a> {
    /// Per sector in the order asked, up to `k` facilities, nearest in time first
    /// (equal times by id).
    pub hits: Vec<Vec<TimedHit<'a>>>,
    /// Whether the search settled everything within its limits (so a missing result is
    /// unreachable within a day) or stopped on its cell budget.
    pub end: SearchEnd,
}

impl Scenario {
    /// A loaded scenario.
    pub fn new(name: String, demo: bool, imported_at: String, surface: FrictionSurface) -> Self {
        Self {
            name,
            demo,
            imported_at,
            surface: Arc::new(surface),
            placed: ArcSwapOption::empty(),
        }
    }

    fn placed(&self, index: &ServiceIndex) -> Arc<Placed> {
        if let Some(p) = self.placed.load_full()
            && p.version == index.version()
            && p.len == index.len()
        {
            return p;
        }
        let mut at: HashMap<u32, Vec<u32>> = HashMap::new();
        for r in index.facilities() {
            let (lon, lat) = r.lonlat();
            if let super::Placement::Cell(c) = super::place(&self.surface, lon, lat) {
                // `facilities()` runs in id order, so each list is sorted by id.
                at.entry(c as u32).or_default().push(r.slot());
            }
        }
        let p = Arc::new(Placed {
            version: index.version(),
            len: index.len(),
            at,
        });
        self.placed.store(Some(p.clone()));
        p
    }

    /// The `k` facilities of each of `sectors` passing `filter` nearest to (`lon`,
    /// `lat`) in travel time, from one search outwards from the point's cell that stops
    /// once every sector has `k` (and every facility as near as the `k`-th is taken,
    /// so ties are broken by id) or at `limits`. A point off the surface or in an
    /// impassable cell reaches nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn nearest<'a>(
        &self,
        index: &'a ServiceIndex,
        lon: f64,
        lat: f64,
        sectors: &[Sector],
        k: usize,
        filter: &Filter,
        limits: SearchLimits,
    ) -> TimedAnswer<'a> {
        let mut hits: Vec<Vec<TimedHit<'a>>> = vec![Vec::new(); sectors.len()];
        let Some(start) = self.surface.cell_of(lon, lat) else {
            return TimedAnswer {
                hits,
                end: SearchEnd::Exhausted,
            };
        };
        let placed = self.placed(index);
        let matches = index.matcher(filter);
        // Once every sector is full, cells are settled only while their time equals
        // the last one taken (ties).
        let mut full_at: Option<f64> = None;
        let end = settle_from(&self.surface, start, limits, |cell, t| {
            if full_at.is_some_and(|f| t > f) {
                return ControlFlow::Break(());
            }
            if let Some(slots) = placed.at.get(&(cell as u32)) {
                for (i, &sector) in sectors.iter().enumerate() {
                    for &slot in slots {
                        if let Some(record) = matches(slot, sector) {
                            hits[i].push(TimedHit {
                                sector,
                                record,
                                minutes: t,
                            });
                        }
                    }
                }
                if full_at.is_none() && hits.iter().all(|h| h.len() >= k) {
                    full_at = Some(t);
                }
            }
            ControlFlow::Continue(())
        });
        for h in &mut hits {
            h.sort_by(|a, b| {
                a.minutes
                    .total_cmp(&b.minutes)
                    .then_with(|| a.record.id().cmp(b.record.id()))
            });
            h.truncate(k);
        }
        TimedAnswer { hits, end }
    }

    /// The least travel time, minutes, from (`lon`, `lat`) to each of `targets`
    /// (lon, lat): `None` when a target is unreachable within `limits`, off the surface
    /// or in an impassable cell. One search, stopping once every target is settled.
    pub fn times_to(
        &self,
        lon: f64,
        lat: f64,
        targets: &[(f64, f64)],
        limits: SearchLimits,
    ) -> Vec<Option<f64>> {
        let mut out = vec![None; targets.len()];
        let Some(start) = self.surface.cell_of(lon, lat) else {
            return out;
        };
        let mut wanted: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, &(x, y)) in targets.iter().enumerate() {
            if let super::Placement::Cell(c) = super::place(&self.surface, x, y) {
                wanted.entry(c as u32).or_default().push(i);
            }
        }
        if wanted.is_empty() {
            return out;
        }
        let mut left = wanted.len();
        settle_from(&self.surface, start, limits, |cell, t| {
            if let Some(ids) = wanted.get(&(cell as u32)) {
                for &i in ids {
                    out[i] = Some(t);
                }
                left -= 1;
                if left == 0 {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        out
    }
}

/// The scenarios loaded, by name.
#[derive(Default)]
pub struct Scenarios {
    list: Vec<Arc<Scenario>>,
}

impl Scenarios {
    /// These scenarios (sorted by name).
    pub fn new(mut list: Vec<Arc<Scenario>>) -> Self {
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Self { list }
    }

    /// The scenario named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Scenario>> {
        self.list.iter().find(|s| s.name == name)
    }

    /// Every scenario, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Scenario>> {
        self.list.iter()
    }

    /// The names, comma-separated (for messages); `none` when there are none.
    pub fn names(&self) -> String {
        if self.list.is_empty() {
            return "none".into();
        }
        self.list
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether none is loaded.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_are_short_lower_case_words() {
        for ok in ["walking", "motorised", "rainy-season_2", "a"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Walking", "on foot", "a/b", "ходьба", &"x".repeat(33)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
