//! The engine: multi-source Dijkstra over the friction surface's cells. A move from
//! cell a to neighbour b costs `geodesic(centre a, centre b) × (f_a + f_b) / 2`
//! minutes; the geodesic depends only on the rows and the direction, so each row's
//! lengths are computed once ([`FrictionSurface`]'s `RowSteps`). Times are `f64`,
//! friction `f32`, both flat arrays over the padded grid (the impassable border means
//! no bounds checks); cells come from a radix heap keyed on the times' bits.
//!
//! [`Moves::Knight`] adds AccessMod's knight's moves (one row and two columns, or two
//! rows and one column, 16 neighbours in all), charged the same way; such a move also
//! needs the two cells it passes between to be passable, so that it cannot jump a
//! one-cell river.

use super::heap::RadixHeap;
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
        let mut heap = RadixHeap::default();
        for &cell in sources {
            let p = self.padded(cell);
            if self.friction[p] > 0.0 && times[p] != 0.0 {
                times[p] = 0.0;
                heap.push(0.0f64.to_bits(), p as u32);
            }
        }
        match moves {
            Moves::King => self.search::<false>(&mut times, &mut heap, limit),
            Moves::Knight => self.search::<true>(&mut times, &mut heap, limit),
        }
        TimeSurface {
            width: self.width(),
            stride: self.stride,
            limit,
            times,
        }
    }

    /// Dijkstra from the items already in `heap`.
    fn search<const KNIGHT: bool>(&self, times: &mut [f64], heap: &mut RadixHeap, limit: f64) {
        let fr = &self.friction[..];
        let rows = &self.rows[..];
        let s = self.stride;
        while let Some((key, p32)) = heap.pop() {
            let p = p32 as usize;
            let t = f64::from_bits(key);
            if t > times[p] {
                // A stale entry: the cell was reached sooner since.
                continue;
            }
            if t > limit {
                break;
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
                            heap.push(nt.to_bits(), q as u32);
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
