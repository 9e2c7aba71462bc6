//! What "within reach" means: the [`AccessModel`] trait and the geodesic-distance model.

use super::PointSet;
use crate::model::Sector;
use crate::points::{PointIndex, Reach};
use serde::Serialize;

/// Distance thresholds per sector, metres (a population point is covered when the
/// nearest facility is at most this far: inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    metres: [f64; 6],
}

impl Default for Thresholds {
    /// Health 30 km, psychosocial 50 km, police 20 km, shelter 100 km, legal aid 50 km,
    /// hotline 1000 km (a phone service: in reach wherever one operates nearby).
    fn default() -> Self {
        Self {
            metres: [
                30_000.0,
                50_000.0,
                20_000.0,
                100_000.0,
                50_000.0,
                1_000_000.0,
            ],
        }
    }
}

impl Thresholds {
    /// The threshold of `sector`, metres.
    pub fn get(&self, sector: Sector) -> f64 {
        self.metres[sector.index()]
    }

    /// Sets the threshold of `sector`, metres.
    pub fn set(&mut self, sector: Sector, metres: f64) {
        self.metres[sector.index()] = metres;
    }
}

/// How people travel, for the travel-time estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TravelMode {
    /// 5 km/h on foot.
    Walking,
    /// 40 km/h by car or bus over rural roads.
    Motorised,
}

impl TravelMode {
    /// Average speed, km/h.
    pub fn speed_kmh(self) -> f64 {
        match self {
            TravelMode::Walking => 5.0,
            TravelMode::Motorised => 40.0,
        }
    }
}

/// Decides which population points a sector's facilities reach and how far the nearest
/// is. Implementations: [`GeodesicAccess`]; a travel-time model later.
pub trait AccessModel: Send + Sync {
    /// A short description for reports ("geodesic distance ≤ threshold").
    fn describe(&self) -> String;

    /// For each point, whether some facility in `sites` reaches it for `sector`.
    fn covered(&self, sector: Sector, sites: &PointIndex, points: &PointSet) -> Vec<bool>;

    /// The nearest facility (index in `sites`) and its distance in metres.
    fn nearest(&self, sites: &PointIndex, lon: f64, lat: f64) -> Option<(u32, f64)>;

    /// An estimate of travel minutes for a distance, labelled as an estimate.
    fn estimated_minutes(&self, distance_m: f64, mode: TravelMode) -> f64;
}

/// Exact WGS84 geodesic distance against per-sector thresholds.
#[derive(Debug, Clone, Copy)]
pub struct GeodesicAccess {
    /// The thresholds.
    pub thresholds: Thresholds,
    /// Road distance ÷ straight distance, for the travel-time estimate.
    pub detour_factor: f64,
    /// Worker threads for batch tests.
    pub threads: usize,
}

impl GeodesicAccess {
    /// The model with `thresholds`, a detour factor of 1.3 and every core.
    pub fn new(thresholds: Thresholds) -> Self {
        Self {
            thresholds,
            detour_factor: 1.3,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

impl AccessModel for GeodesicAccess {
    fn describe(&self) -> String {
        "WGS84 geodesic distance to the nearest facility ≤ the sector's threshold".into()
    }

    fn covered(&self, sector: Sector, sites: &PointIndex, points: &PointSet) -> Vec<bool> {
        let mut covered = vec![false; points.lonlat.len()];
        if sites.is_empty() || points.lonlat.is_empty() {
            return covered;
        }
        let order = &points.order;
        let reach = Reach::new(self.thresholds.get(sector));
        let chunk = order.len().div_ceil(self.threads.max(1));
        let results: Vec<Vec<(u32, bool)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = order
                .chunks(chunk.max(1))
                .map(|part| scope.spawn(move || covered_run(sites, points, part, &reach)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for (i, c) in results.into_iter().flatten() {
            covered[i as usize] = c;
        }
        covered
    }

    fn nearest(&self, sites: &PointIndex, lon: f64, lat: f64) -> Option<(u32, f64)> {
        sites
            .nearest(lon, lat, 1, |_| true, |a, b| a.cmp(&b))
            .first()
            .map(|&(d, i)| (i, d))
    }

    fn estimated_minutes(&self, distance_m: f64, mode: TravelMode) -> f64 {
        distance_m / 1000.0 * self.detour_factor / mode.speed_kmh() * 60.0
    }
}

/// Covering tests for points visited in spatial order. A covering facility is tried
/// first for the next point; after an uncovered point, the distance to its nearest
/// facility minus the step to the next point bounds the next point's nearest, which
/// usually proves it uncovered without a tree search.
fn covered_run(
    sites: &PointIndex,
    points: &PointSet,
    order: &[u32],
    reach: &Reach,
) -> Vec<(u32, bool)> {
    let mut out = Vec::with_capacity(order.len());
    let mut hints = crate::points::Hints::default();
    // (unit vector, sphere distance to the nearest site) of the last uncovered point.
    let mut last_gap: Option<([f64; 3], f64)> = None;
    let far = reach.radius_m / crate::geodesy::GEODESIC_OVER_SPHERE_MIN;
    for &i in order {
        let (lon, lat) = points.lonlat[i as usize];
        let q = points.vectors[i as usize];
        if let Some((prev, nearest)) = last_gap {
            let step = crate::geodesy::sphere_m_from_chord2(crate::points::chord2(&prev, &q));
            if nearest - step > far {
                out.push((i, false));
                continue;
            }
        }
        match sites.covers(lon, lat, &q, reach, &mut hints) {
            Ok(()) => {
                last_gap = None;
                out.push((i, true));
            }
            Err(nearest) => {
                last_gap = Some((q, nearest));
                out.push((i, false));
            }
        }
    }
    out
}
