//! Analysis answers of the current data version, kept so that the same question is
//! computed once per version: coverage, the gap grid, catchments and site plans are
//! whole-dataset computations, and every write (here, in another instance or on the
//! command line) moves the version on, so a kept answer never outlives its data.

use super::ApiError;
use crate::coverage::Thresholds;
use crate::coverage::grid::BBox;
use crate::index::ServiceIndex;
use crate::model::Sector;
use crate::registry::Places;
use crate::visibility::Viewer;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One analysis question: which analysis, with every parameter that changes its answer.
/// Distances are kept as the bits of their `f64`s, so equal keys mean equal inputs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnalysisKey {
    /// `GET /api/coverage`.
    Coverage {
        /// Admin level reported on.
        level: Option<u8>,
        /// Sectors analysed.
        sectors: Vec<Sector>,
        /// The minimum package.
        package: Vec<Sector>,
        /// Threshold per sector ([`Sector::ALL`] order), metres as bits.
        thresholds: [u64; Sector::COUNT],
        /// GeoJSON rather than rows.
        geojson: bool,
        /// By travel time: the scenario and its threshold per sector, minutes as bits.
        travel: Option<(String, [u64; Sector::COUNT])>,
    },
    /// `GET /api/gaps/grid`.
    Grid {
        /// H3 resolution.
        res: u8,
        /// Sectors shown.
        sectors: Vec<Sector>,
        /// The box asked for, as bits; absent: the countries.
        bbox: Option<[u64; 4]>,
        /// Threshold per sector, metres as bits.
        thresholds: [u64; Sector::COUNT],
        /// Whether confidential sectors are withheld.
        viewer: Viewer,
        /// Every cell of the region, or only those where someone lives.
        all_cells: bool,
        /// By travel time: the scenario and its threshold per sector, minutes as bits.
        travel: Option<(String, [u64; Sector::COUNT])>,
    },
    /// `GET /api/catchments`.
    Catchments {
        /// Whose facilities the settlements are assigned to.
        sector: Sector,
    },
    /// `POST /api/plan/sites` with settlements or grid cells as candidates (a list of
    /// the caller's own candidates is not kept).
    Plan {
        /// Whose new sites are placed.
        sector: Sector,
        /// Sites placed.
        k: usize,
        /// H3 resolution of grid candidates; absent: settlements.
        grid_res: Option<u8>,
        /// Threshold, metres as bits.
        threshold_m: u64,
    },
}

impl AnalysisKey {
    /// Thresholds as key bits.
    pub fn threshold_bits(thresholds: &Thresholds) -> [u64; Sector::COUNT] {
        std::array::from_fn(|i| thresholds.get(Sector::ALL[i]).to_bits())
    }

    /// A box as key bits.
    pub fn bbox_bits(bbox: &BBox) -> [u64; 4] {
        [bbox.min_lon, bbox.min_lat, bbox.max_lon, bbox.max_lat].map(f64::to_bits)
    }
}

type Answers = HashMap<AnalysisKey, Arc<dyn Any + Send + Sync>>;

/// The kept answers, all of one data version.
#[derive(Default)]
pub struct AnalysisCache {
    answers: Mutex<(i64, Answers)>,
}

impl AnalysisCache {
    /// The answer to `key` at data `version`: kept, or computed now by `compute` and kept.
    /// A key always yields the same type of answer; were it ever not so, the answer is
    /// computed afresh rather than mistaken for another.
    pub fn get_or_compute<T: Send + Sync + 'static>(
        &self,
        version: i64,
        key: AnalysisKey,
        compute: impl FnOnce() -> T,
    ) -> Arc<T> {
        {
            let answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
            if answers.0 == version
                && let Some(hit) = answers.1.get(&key)
                && let Ok(hit) = hit.clone().downcast::<T>()
            {
                return hit;
            }
        }
        let value = Arc::new(compute());
        let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
        if answers.0 != version {
            *answers = (version, HashMap::new());
        }
        answers.1.insert(key, value.clone());
        value
    }
}

impl super::AppState {
    /// The answer to `key` for the current data: kept, or computed now on a blocking
    /// thread by `compute` from one snapshot of the index and places (taken together,
    /// so the answer is kept under the version it was computed from).
    ///
    /// # Errors
    /// 500 when the computation panicked.
    pub async fn analysis<T: Send + Sync + 'static>(
        &self,
        key: AnalysisKey,
        compute: impl FnOnce(&ServiceIndex, &Places) -> T + Send + 'static,
    ) -> Result<Arc<T>, ApiError> {
        let registry = self.registry.clone();
        let analyses = self.analyses.clone();
        tokio::task::spawn_blocking(move || {
            let index = registry.index();
            let places = registry.places();
            analyses.get_or_compute(index.version(), key, || compute(&index, &places))
        })
        .await
        .map_err(|e| ApiError::internal(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_kept_per_key_and_dropped_with_their_version() {
        let cache = AnalysisCache::default();
        let key = AnalysisKey::Catchments {
            sector: Sector::Health,
        };
        let other = AnalysisKey::Catchments {
            sector: Sector::Police,
        };
        let mut computed = 0;
        let a = cache.get_or_compute(1, key.clone(), || {
            computed += 1;
            "a".to_string()
        });
        let again = cache.get_or_compute(1, key.clone(), || {
            computed += 1;
            "b".to_string()
        });
        assert_eq!((a.as_str(), again.as_str(), computed), ("a", "a", 1));
        let police = cache.get_or_compute(1, other, || "p".to_string());
        assert_eq!(police.as_str(), "p");
        let newer = cache.get_or_compute(2, key, || "c".to_string());
        assert_eq!(newer.as_str(), "c");
    }
}
