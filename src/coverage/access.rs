//! What "within reach" means: the [`AccessModel`] trait and the geodesic-distance model.

use super::PointSet;
use super::blocks::{Block, Scratch, Search};
use crate::model::Sector;
use crate::spatial::points::CoordIndex;
use serde::Serialize;

/// Distance thresholds per sector, metres (a population point is covered when the
/// nearest facility is at most this far: inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    metres: [f64; Sector::COUNT],
}

impl Default for Thresholds {
    /// Health 30 km, psychosocial 50 km, police 20 km, shelter 100 km, legal aid 50 km,
    /// hotline 1000 km (a phone service: in reach wherever one operates nearby),
    /// programmes for perpetrators 100 km (weekly group sessions over months: a regional
    /// service, like a shelter).
    fn default() -> Self {
        Self {
            metres: [
                30_000.0,
                50_000.0,
                20_000.0,
                100_000.0,
                50_000.0,
                1_000_000.0,
                100_000.0,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
    fn covered(&self, sector: Sector, sites: &CoordIndex, points: &PointSet) -> Vec<bool> {
        self.covered_many(&[(sector, sites)], points)
            .pop()
            .unwrap_or_default()
    }

    /// [`AccessModel::covered`] for several sectors at once; one vector per test, in
    /// the tests' order.
    fn covered_many(&self, tests: &[(Sector, &CoordIndex)], points: &PointSet) -> Vec<Vec<bool>> {
        tests
            .chunks(16)
            .flat_map(|part| {
                let bits = self.covered_bits(part, points);
                (0..part.len()).map(move |k| bits.iter().map(|&b| b >> k & 1 != 0).collect())
            })
            .collect()
    }

    /// Whether each point is reached, for up to 16 tests at once (an implementation
    /// shares work between them): one bit set per point (input order), bit `k` for
    /// test `k`.
    fn covered_bits(&self, tests: &[(Sector, &CoordIndex)], points: &PointSet) -> Vec<u16>;

    /// The nearest facility (index in `sites`) and its distance in metres.
    fn nearest(&self, sites: &CoordIndex, lon: f64, lat: f64) -> Option<(u32, f64)>;

    /// An estimate of travel minutes for a distance, labelled as an estimate.
    fn estimated_minutes(&self, distance_m: f64, mode: TravelMode) -> f64;
}

/// Exact WGS84 geodesic distance against per-sector thresholds.
#[derive(Debug, Clone, Copy)]
pub struct GeodesicAccess {
    /// Per-sector distances within which a point counts as covered.
    pub thresholds: Thresholds,
    /// Road distance ÷ straight distance, for the travel-time estimate.
    pub detour_factor: f64,
    /// Threads the batch tests are cut for (eight runs of the curve each, on rayon's pool).
    pub threads: usize,
}

impl GeodesicAccess {
    /// The model with `thresholds`, a detour factor of 1.3 and every core.
    pub fn new(thresholds: Thresholds) -> Self {
        Self {
            thresholds,
            detour_factor: 1.3,
            threads: crate::parallel::threads(),
        }
    }
}

impl AccessModel for GeodesicAccess {
    fn describe(&self) -> String {
        "WGS84 geodesic distance to the nearest facility ≤ the sector's threshold".into()
    }

    fn covered_bits(&self, tests: &[(Sector, &CoordIndex)], points: &PointSet) -> Vec<u16> {
        use std::sync::atomic::{AtomicU16, Ordering::Relaxed};
        assert!(tests.len() <= 16, "at most 16 tests");
        // Each run of the curve writes its points' bits straight to their input places
        // (each place once, so relaxed stores suffice; the join orders them before the
        // reads below).
        let bits: Vec<AtomicU16> = std::iter::repeat_with(|| AtomicU16::new(0))
            .take(points.len())
            .collect();
        self.decide_runs(tests, points, |start, out| {
            for (i, &b) in points.order_from(start).zip(out) {
                bits[i as usize].store(b, Relaxed);
            }
        });
        bits.into_iter().map(AtomicU16::into_inner).collect()
    }

    fn nearest(&self, sites: &CoordIndex, lon: f64, lat: f64) -> Option<(u32, f64)> {
        sites
            .nearest(lon, lat, 1, |_| true, |a, b| a.cmp(&b))
            .first()
            .map(|&(d, i)| (i, d))
    }

    fn estimated_minutes(&self, distance_m: f64, mode: TravelMode) -> f64 {
        distance_m / 1000.0 * self.detour_factor / mode.speed_kmh() * 60.0
    }
}

impl GeodesicAccess {
    /// Decides every test for the points of each run of the visiting order (blocks that
    /// partition it, several per thread), each run taken by the next free thread and
    /// tested for every test in turn while its points are in cache; then
    /// `finish(first position, bits)` with the run's bits (bit `k` for test `k`).
    fn decide_runs(
        &self,
        tests: &[(Sector, &CoordIndex)],
        points: &PointSet,
        finish: impl Fn(usize, &[u16]) + Sync,
    ) {
        let runs = frontier(&points.blocks, points.len() / (8 * self.threads.max(1)) + 1);
        let decide = |node: usize, (scratch, out): &mut (Scratch, Vec<u16>)| {
            let b = &points.blocks[node];
            out.clear();
            out.resize((b.end - b.start) as usize, 0);
            let mut search = Search::new(&points.blocks, &points.lonlat, scratch);
            for (k, &(sector, sites)) in tests.iter().enumerate() {
                if !sites.is_empty() {
                    search.run(sites, self.thresholds.get(sector), node, out, 1 << k);
                }
            }
            finish(b.start as usize, out);
        };
        crate::parallel::each_task(runs, |node| {
            // The thread's own memory, unless it is already in use further up this
            // thread's stack (a search started from inside another): then fresh memory.
            SCRATCH.with(|cell| match cell.try_borrow_mut() {
                Ok(mut mine) => decide(node, &mut mine),
                Err(_) => decide(node, &mut Default::default()),
            })
        });
    }
}

thread_local! {
    /// Each thread's working memory for the covering searches, reused from one run of
    /// the curve to the next.
    static SCRATCH: std::cell::RefCell<(Scratch, Vec<u16>)> = std::cell::RefCell::default();
}

/// Blocks whose runs of the visiting order partition it, in order, each of at most
/// `size` points unless it is a leaf.
fn frontier(blocks: &[Block], size: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stack = if blocks.is_empty() { vec![] } else { vec![0] };
    while let Some(node) = stack.pop() {
        let b = &blocks[node];
        if (b.end - b.start) as usize > size && b.children > 0 {
            stack.extend(
                (b.first_child..b.first_child + b.children)
                    .rev()
                    .map(|c| c as usize),
            );
        } else {
            out.push(node);
        }
    }
    out
}
