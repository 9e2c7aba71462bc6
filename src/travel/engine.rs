//! The engine: multi-source Dijkstra over the friction surface's cells. A move from
//! cell a to neighbour b costs `geodesic(centre a, centre b) × (f_a + f_b) / 2`
//! minutes; the geodesic depends only on the rows and the direction, so each row's
//! lengths are computed once ([`FrictionSurface`]'s `RowSteps`). Times are `f64`,
//! friction `f32`, both flat arrays over the padded grid (the impassable border means
//! no bounds checks); cells come from a bucket queue, exact because its buckets are
//! narrower than half the least move cost, or, when move costs span too wide a range
//! for buckets, from a radix heap keyed on the times' bits (see `heap`).
//!
//! [`Moves::Knight`] adds AccessMod's knight's moves (one row and two columns, or two
//! rows and one column, 16 neighbours in all), charged the same way; such a move also
//! needs the two cells it passes between to be passable, so that it cannot jump a
//! one-cell river.

use super::heap::{BucketQueue, RadixHeap};
use super::surface::FrictionSurface;

/// The moves allowed from a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Moves {
    /// The 8 neighbours (king's moves): the definition.
    #[default]
    King,
    /// The 8 neighbours and the 8 knight's moves (AccessMod's 16-neighbour option).
    Knight,
}

/// The least times from a set of sources to every cell, up to a limit.
#[derive(Debug, Clone)]
pub struct TimeSurface {
    width: usize,
    stride: usize,
    limit: f64,
    /// Per padded cell, minutes (infinite when not reached).
    times: Vec<f64>,
}

impl TimeSurface {
    /// The least time, minutes, to the cell (row-major index `row × width + col`): infinite
    /// when no source reaches it, or when its time exceeds the limit the search stopped at.
    #[inline]
    pub fn minutes(&self, cell: usize) -> f64 {
        let (row, col) = (cell / self.width, cell % self.width);
        let t = self.times[(row + super::surface::PAD) * self.stride + col + super::surface::PAD];
        if t <= self.limit { t } else { f64::INFINITY }
    }
}

impl FrictionSurface {
    /// Least travel times, minutes, from the cells `sources` (row-major indices; every
    /// one starts at 0; impassable ones are left out) to every cell, with `moves`. The
    /// search stops once every time up to `limit` minutes is final: times above it read
    /// as infinite (`f64::INFINITY` for the whole surface).
    pub fn travel_times(&self, sources: &[usize], moves: Moves, limit: f64) -> TimeSurface {
        let mut times = vec![f64::INFINITY; self.friction.len()];
        let starts: Vec<usize> = sources
            .iter()
            .map(|&cell| self.padded(cell))
            .filter(|&p| self.friction[p] > 0.0)
            .collect();
        for &p in &starts {
            times[p] = 0.0;
        }
        let (least, most) = self.move_cost_range(moves);
        match BucketQueue::new(least, most) {
            Some(mut queue) => {
                for &p in &starts {
                    queue.push(0.0, p as u32);
                }
                match moves {
                    Moves::King => self.search::<false, _>(&mut times, &mut queue, limit),
                    Moves::Knight => self.search::<true, _>(&mut times, &mut queue, limit),
                }
            }
            None => {
                let mut heap = RadixHeap::default();
                for &p in &starts {
                    heap.push(0.0f64.to_bits(), p as u32);
                }
                match moves {
                    Moves::King => self.search::<false, _>(&mut times, &mut heap, limit),
                    Moves::Knight => self.search::<true, _>(&mut times, &mut heap, limit),
                }
            }
        }
        TimeSurface {
            width: self.width(),
            stride: self.stride,
            limit,
            times,
        }
    }

    /// Bounds on the cost of one move, minutes: the least friction times the shortest
    /// move, the greatest times the longest.
    fn move_cost_range(&self, moves: Moves) -> (f64, f64) {
        let (fmin, fmax) = self.friction_range;
        let (mut short, mut long) = (f64::INFINITY, 0.0f64);
        for r in &self.rows {
            let mut lengths = vec![r.east, r.south, r.diagonal];
            if moves == Moves::Knight {
                lengths.extend([r.knight_wide, r.knight_tall]);
            }
            for l in lengths.into_iter().filter(|&l| l > 0.0) {
                short = short.min(l);
                long = long.max(l);
            }
        }
        // Half-lengths times the sum of two frictions.
        (short * 2.0 * f64::from(fmin), long * 2.0 * f64::from(fmax))
    }

    /// Dijkstra from the cells already in `queue`.
    fn search<const KNIGHT: bool, Q: Frontier>(
        &self,
        times: &mut [f64],
        queue: &mut Q,
        limit: f64,
    ) {
        let fr = &self.friction[..];
        let rows = &self.rows[..];
        let s = self.stride;
        while let Some((t, p)) = queue.take(times, limit) {
            if t > limit {
                // Final, but beyond what was asked: nothing to expand.
                continue;
            }
            let r = p / s;
            let fc = f64::from(fr[p]);
            let (here, above) = (rows[r], rows[r - 1]);
            macro_rules! relax {
                ($q:expr, $half:expr) => {{
                    let q = $q;
                    let fq = fr[q];
                    if fq > 0.0 {
                        let nt = t + $half * (fc + f64::from(fq));
                        if nt < times[q] {
                            times[q] = nt;
                            queue.put(nt, q as u32);
                        }
                    }
                }};
            }
            relax!(p - 1, here.east);
            relax!(p + 1, here.east);
            relax!(p - s, above.south);
            relax!(p + s, here.south);
            relax!(p - s - 1, above.diagonal);
            relax!(p - s + 1, above.diagonal);
            relax!(p + s - 1, here.diagonal);
            relax!(p + s + 1, here.diagonal);
            if KNIGHT {
                let open = |a: usize, b: usize| fr[a] > 0.0 && fr[b] > 0.0;
                let above2 = rows[r - 2];
                // One row, two columns: passes between the cells beside it and beside
                // the target.
                if open(p + 1, p + s + 1) {
                    relax!(p + s + 2, here.knight_wide);
                }
                if open(p - 1, p + s - 1) {
                    relax!(p + s - 2, here.knight_wide);
                }
                if open(p + 1, p - s + 1) {
                    relax!(p - s + 2, above.knight_wide);
                }
                if open(p - 1, p - s - 1) {
                    relax!(p - s - 2, above.knight_wide);
                }
                // Two rows, one column: passes between the cell below (above) and its
                // neighbour towards the target.
                if open(p + s, p + s + 1) {
                    relax!(p + 2 * s + 1, here.knight_tall);
                }
                if open(p + s, p + s - 1) {
                    relax!(p + 2 * s - 1, here.knight_tall);
                }
                if open(p - s, p - s + 1) {
                    relax!(p - 2 * s + 1, above2.knight_tall);
                }
                if open(p - s, p - s - 1) {
                    relax!(p - 2 * s - 1, above2.knight_tall);
                }
            }
        }
    }
}

/// The engine's view of a priority queue of cells.
trait Frontier {
    /// Adds `cell`, reached at `t` minutes.
    fn put(&mut self, t: f64, cell: u32);
    /// A cell whose time is final, with that time; `None` when no cell is left with a
    /// time up to `limit` (a queue may still return some beyond it).
    fn take(&mut self, times: &[f64], limit: f64) -> Option<(f64, usize)>;
}

impl Frontier for BucketQueue {
    #[inline]
    fn put(&mut self, t: f64, cell: u32) {
        self.push(t, cell);
    }

    #[inline]
    fn take(&mut self, times: &[f64], limit: f64) -> Option<(f64, usize)> {
        self.pop(times, limit)
    }
}

impl Frontier for RadixHeap {
    #[inline]
    fn put(&mut self, t: f64, cell: u32) {
        self.push(t.to_bits(), cell);
    }

    #[inline]
    fn take(&mut self, times: &[f64], limit: f64) -> Option<(f64, usize)> {
        while let Some((key, cell)) = self.pop() {
            let t = f64::from_bits(key);
            if t > times[cell as usize] {
                // Stale: the cell was reached sooner since.
                continue;
            }
            // Keys come out in order: nothing after this one is within the limit.
            return (t <= limit).then_some((t, cell as usize));
        }
        None
    }
}
