//! Travel times from one point outwards: a bounded Dijkstra from the point's cell that
//! settles cells in increasing time and stops as soon as its caller has what it needs
//! (the nearest facilities of each sector, or the times of a few facility cells).
//!
//! A move's cost is symmetric (`geodesic(a, b) × (f_a + f_b) / 2`), so the least time
//! from the point to a facility's cell equals the least time from the facility to the
//! point: the one the multi-source engine ([`FrictionSurface::travel_times`]) computes.
//! Only the cells reached are held (in a hash map), so one search costs memory in
//! proportion to the area it explores, not to the surface.

use super::surface::FrictionSurface;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::ControlFlow;

/// Why a point search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchEnd {
    /// The caller said it had what it needed.
    Done,
    /// Every cell reachable within the limits was settled: what was not reported is
    /// unreachable (or beyond the minutes limit).
    Exhausted,
    /// The cell budget ran out first: what was not reported may still be reachable.
    Budget,
}

/// How far one point search may go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchLimits {
    /// Cells beyond this many minutes are not settled.
    pub minutes: f64,
    /// At most this many cells are settled.
    pub cells: usize,
}

impl Default for SearchLimits {
    /// A day's travel, and 4 million cells (a third of the five countries at 30″).
    fn default() -> Self {
        Self {
            minutes: 24.0 * 60.0,
            cells: 4_000_000,
        }
    }
}

/// Settles cells from `start` (row-major index; an impassable start settles nothing)
/// in increasing least time, minutes, calling `visit(cell, minutes)` for each (cells of
/// equal time in no set order), until `visit` breaks, or the limits are reached. The
/// times are those of [`FrictionSurface::travel_times`] from `start` (8 neighbours), up
/// to the rounding of adding the same moves in another order.
pub fn settle_from(
    surface: &FrictionSurface,
    start: usize,
    limits: SearchLimits,
    mut visit: impl FnMut(usize, f64) -> ControlFlow<()>,
) -> SearchEnd {
    let fr = &surface.friction[..];
    let rows = &surface.rows[..];
    let s = surface.stride;
    let pad = super::surface::PAD;
    let width = surface.width();
    let p0 = surface.padded(start);
    if fr[p0] <= 0.0 {
        return SearchEnd::Exhausted;
    }
    let mut best: HashMap<u32, f64, BuildHasherDefault<CellHasher>> = HashMap::default();
    let mut heap = BinaryHeap::new();
    best.insert(p0 as u32, 0.0);
    heap.push(Entry(0.0, p0 as u32));
    let mut settled = 0usize;
    while let Some(Entry(t, p)) = heap.pop() {
        let p = p as usize;
        if best.get(&(p as u32)).is_some_and(|&b| t > b) {
            continue;
        }
        if t > limits.minutes {
            return SearchEnd::Exhausted;
        }
        if settled == limits.cells {
            return SearchEnd::Budget;
        }
        settled += 1;
        let cell = (p / s - pad) * width + (p % s - pad);
        if visit(cell, t).is_break() {
            return SearchEnd::Done;
        }
        let r = p / s;
        let fc = f64::from(fr[p]);
        let (here, above) = (rows[r], rows[r - 1]);
        let mut relax = |q: usize, half: f64| {
            let fq = fr[q];
            if fq > 0.0 {
                let nt = t + half * (fc + f64::from(fq));
                let slot = best.entry(q as u32).or_insert(f64::INFINITY);
                if nt < *slot {
                    *slot = nt;
                    heap.push(Entry(nt, q as u32));
                }
            }
        };
        relax(p - 1, here.east);
        relax(p + 1, here.east);
        relax(p - s, above.south);
        relax(p + s, here.south);
        relax(p - s - 1, above.diagonal);
        relax(p - s + 1, above.diagonal);
        relax(p + s - 1, here.diagonal);
        relax(p + s + 1, here.diagonal);
    }
    SearchEnd::Exhausted
}

/// A heap entry: least time first.
struct Entry(f64, u32);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

/// A hasher for cell numbers: one multiplication (Fibonacci hashing), as the keys are
/// dense integers an attacker does not choose freely (cells near one point).
#[derive(Default)]
pub(crate) struct CellHasher(u64);

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::travel::{Moves, seeded_surface};

    #[test]
    fn times_from_a_point_equal_the_engine_from_that_cell() {
        for seed in 1..6 {
            let s = seeded_surface(37, 29, seed);
            let start = (seed as usize * 131) % s.cells();
            let engine = s.travel_times(&[start], Moves::King, f64::INFINITY);
            let mut seen = vec![f64::INFINITY; s.cells()];
            let mut last = 0.0;
            // No limits: the random surface's cells take up to ~200 minutes each, so a
            // day's travel (the default) would not reach every cell the engine does.
            let unlimited = SearchLimits {
                minutes: f64::INFINITY,
                cells: usize::MAX,
            };
            let end = settle_from(&s, start, unlimited, |cell, t| {
                assert!(t >= last, "settled out of order");
                last = t;
                seen[cell] = t;
                ControlFlow::Continue(())
            });
            assert_eq!(end, SearchEnd::Exhausted);
            for (cell, &a) in seen.iter().enumerate() {
                let b = engine.minutes(cell);
                assert!(
                    a == b || (a - b).abs() <= 1e-9 * b.max(1.0),
                    "seed {seed} cell {cell}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn the_budget_and_the_minutes_limit_stop_the_search() {
        let s = seeded_surface(40, 40, 9);
        let start = (0..s.cells()).find(|&c| s.friction(c).is_some()).unwrap();
        let mut n = 0;
        let end = settle_from(
            &s,
            start,
            SearchLimits {
                minutes: f64::INFINITY,
                cells: 10,
            },
            |_, _| {
                n += 1;
                ControlFlow::Continue(())
            },
        );
        assert_eq!((end, n), (SearchEnd::Budget, 10));
        let mut most = 0.0f64;
        settle_from(
            &s,
            start,
            SearchLimits {
                minutes: 600.0,
                cells: usize::MAX,
            },
            |_, t| {
                most = most.max(t);
                ControlFlow::Continue(())
            },
        );
        // A move here takes 4–215 minutes: 600 reaches some cells, never all.
        assert!(most <= 600.0 && most > 0.0, "{most}");
    }
}
