//! Catchments: for every cell, the facility nearest to it in time — the one whose own
//! least time to the cell (as [`FrictionSurface::travel_times`] from that facility
//! alone would give it) is smallest, the lowest facility index among equals; none when
//! no facility reaches the cell.
//!
//! Exactly so, floating-point rounding included. Times are sums of move costs added
//! along a path, and a sum rounds: a facility slightly behind at one cell can draw level
//! a few moves on, when the same move cost added to both rounds to the same time. So
//! labelling cells with (time, facility) pairs in one search is not exact. Instead:
//! 1. one multi-source search gives every cell its least time `T` (each time is the
//!    least over paths of the path's rounded sum, so `T` equals the minimum over
//!    facilities of their own times);
//! 2. each facility in index order (one per cell: a later one in the same cell always
//!    loses the tie) searches on its own, expanding only cells where its time is within
//!    `S` of `T`, and claims the unclaimed cells where its time equals `T`.
//!
//! `S` bounds how far a path can catch up by rounding: adding the same cost to two times
//! `a > b` rounds each by at most half a unit in the last place of the result, so their
//! gap shrinks by at most one unit in the last place of the largest finite time, per
//! move, and a least-time path has fewer moves than there are passable cells. A facility
//! more than `S` behind at a cell therefore cannot equal `T` anywhere beyond it, and
//! pruning there loses nothing. `S` is tiny (for 13 million cells and times up to
//! 10⁵ minutes, about 2·10⁻⁴ minutes), so each facility searches little more than its
//! own catchment.
//!
//! The searches take cells from a binary heap; the moves and their costs are the
//! engine's (8 neighbours, or 16 with knight's moves), written again here on the
//! surface's step lengths.

use super::engine::Moves;
use super::surface::FrictionSurface;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// A heap entry: time, padded cell.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry(f64, u32);

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

impl FrictionSurface {
    /// Calls `relax(q, half)` for each move from padded cell `p` to a passable padded
    /// cell `q`, where the move costs `half × (f_p + f_q)` minutes: the engine's moves.
    #[inline]
    fn each_move(&self, p: usize, knight: bool, mut relax: impl FnMut(usize, f64)) {
        let fr = &self.friction[..];
        let s = self.stride;
        let r = p / s;
        let (here, above) = (self.rows[r], self.rows[r - 1]);
        let mut go = |q: usize, half: f64| {
            if fr[q] > 0.0 {
                relax(q, half);
            }
        };
        go(p - 1, here.east);
        go(p + 1, here.east);
        go(p - s, above.south);
        go(p + s, here.south);
        go(p - s - 1, above.diagonal);
        go(p - s + 1, above.diagonal);
        go(p + s - 1, here.diagonal);
        go(p + s + 1, here.diagonal);
        if knight {
            let open = |a: usize, b: usize| fr[a] > 0.0 && fr[b] > 0.0;
            let above2 = self.rows[r - 2];
            if open(p + 1, p + s + 1) {
                go(p + s + 2, here.knight_wide);
            }
            if open(p - 1, p + s - 1) {
                go(p + s - 2, here.knight_wide);
            }
            if open(p + 1, p - s + 1) {
                go(p - s + 2, above.knight_wide);
            }
            if open(p - 1, p - s - 1) {
                go(p - s - 2, above.knight_wide);
            }
            if open(p + s, p + s + 1) {
                go(p + 2 * s + 1, here.knight_tall);
            }
            if open(p + s, p + s - 1) {
                go(p + 2 * s - 1, here.knight_tall);
            }
            if open(p - s, p - s + 1) {
                go(p - 2 * s + 1, above2.knight_tall);
            }
            if open(p - s, p - s - 1) {
                go(p - 2 * s - 1, above2.knight_tall);
            }
        }
    }

    /// Dijkstra from the padded cells `starts` (all at 0) into `times` (padded, all
    /// infinite at first); a popped cell is expanded only when `expand(cell, time)`.
    /// Returns the cells reached.
    pub(super) fn dijkstra(
        &self,
        starts: &[usize],
        knight: bool,
        times: &mut [f64],
        mut expand: impl FnMut(usize, f64) -> bool,
    ) -> Vec<usize> {
        let mut heap = BinaryHeap::new();
        let mut reached = Vec::new();
        for &p in starts {
            if times[p] == f64::INFINITY {
                reached.push(p);
            }
            times[p] = 0.0;
            heap.push(Reverse(Entry(0.0, p as u32)));
        }
        let fr = &self.friction;
        while let Some(Reverse(Entry(t, p))) = heap.pop() {
            let p = p as usize;
            if t > times[p] || !expand(p, t) {
                continue;
            }
            let fc = f64::from(fr[p]);
            self.each_move(p, knight, |q, half| {
                let nt = t + half * (fc + f64::from(fr[q]));
                if nt < times[q] {
                    if times[q] == f64::INFINITY {
                        reached.push(q);
                    }
                    times[q] = nt;
                    heap.push(Reverse(Entry(nt, q as u32)));
                }
            });
        }
        reached
    }

    /// The catchment of every cell: the facility nearest in time (see the module
    /// documentation) and the least time to it. `facilities[k]` is facility k's cell
    /// (row-major index), `None` when it is off the surface; one in an impassable cell
    /// reaches nothing.
    pub fn catchments(&self, facilities: &[Option<usize>], moves: Moves) -> Catchments {
        let knight = moves == Moves::Knight;
        let mut owner = vec![-1i32; self.cells()];
        // The first facility of each passable cell, in index order.
        let mut seen = std::collections::HashSet::new();
        let firsts: Vec<(usize, usize)> = facilities
            .iter()
            .enumerate()
            .filter_map(|(k, c)| {
                let p = self.padded((*c)?);
                (self.friction[p] > 0.0 && seen.insert(p)).then_some((k, p))
            })
            .collect();
        if firsts.is_empty() {
            return Catchments {
                minutes: vec![f64::INFINITY; self.cells()],
                owner,
            };
        }
        let starts: Vec<usize> = firsts.iter().map(|&(_, p)| p).collect();
        let mut least = vec![f64::INFINITY; self.friction.len()];
        let reached = self.dijkstra(&starts, knight, &mut least, |_, _| true);
        let top = reached.iter().map(|&p| least[p]).fold(0.0f64, f64::max);
        let ulp = f64::from_bits(top.to_bits() + 1) - top;
        let slack = 2.0 * (self.passable_cells() as f64 + 1.0) * ulp;
        let mut times = vec![f64::INFINITY; self.friction.len()];
        let (w, s) = (self.width(), self.stride);
        let unpad = |p: usize| (p / s - super::surface::PAD) * w + (p % s - super::surface::PAD);
        for &(k, p) in &firsts {
            let touched = self.dijkstra(&[p], knight, &mut times, |q, t| {
                if t == least[q] {
                    let o = &mut owner[unpad(q)];
                    if *o < 0 {
                        *o = k as i32;
                    }
                }
                t <= least[q] + slack
            });
            for q in touched {
                times[q] = f64::INFINITY;
            }
        }
        let minutes = (0..self.height())
            .flat_map(|row| {
                let at = self.padded(row * w);
                least[at..at + w].iter().copied()
            })
            .collect();
        Catchments { minutes, owner }
    }
}

/// Every cell's catchment, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Catchments {
    /// The least time, minutes, from the nearest facility (infinite where none reaches).
    pub minutes: Vec<f64>,
    /// The index of the facility nearest in time, −1 where none reaches.
    pub owner: Vec<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_facilities_split_a_uniform_strip_and_ties_go_to_the_lowest_index() {
        // 5 × 1 strip: facilities at both ends, the middle cell tied.
        let s = FrictionSurface::new(5, 1, (60.0, 40.0), (0.01, 0.01), &[0.01; 5], None).unwrap();
        let split = s.catchments(&[Some(4), Some(0)], Moves::King);
        assert_eq!(split.owner, vec![1, 1, 0, 0, 0]);
        // The middle cell is two moves from either end: twice a move's time.
        let one = split.minutes[1];
        assert!(one > 0.0 && split.minutes[0] == 0.0 && split.minutes[4] == 0.0);
        assert_eq!(split.minutes[2], one + one);
        assert_eq!(
            s.catchments(&[Some(0), Some(4)], Moves::King).owner,
            vec![0, 0, 0, 1, 1]
        );
        // A facility sharing a cell with an earlier one never wins; none off the grid.
        assert_eq!(
            s.catchments(&[None, Some(0), Some(0)], Moves::King).owner,
            vec![1; 5]
        );
        let none = s.catchments(&[None], Moves::King);
        assert_eq!(none.owner, vec![-1; 5]);
        assert!(none.minutes.iter().all(|t| t.is_infinite()));
    }
}
