//! The engine for the king's moves (the definition's 8 neighbours): least times from
//! many sources by sweeping rows of blocks, with no queue of cells at all.
//!
//! The grid is cut into blocks of 32 × 32 cells. A block is worked on until its times
//! agree with each other: a row *pulls* from the row above or below (each cell takes the
//! least of its three neighbours there plus the move, all columns at once, which the
//! compiler vectorises) and, where that lowered a time, the row is scanned left to right
//! and right to left from the lowered cells (one pass each way settles a row, as a path
//! along it only goes one way); the rows changed are pulled from again, downwards and
//! upwards, until none changes. Then the block *pushes* its changed edges into its eight
//! neighbours: a neighbour's edge cell lowered by that leaves the neighbour pending, with
//! that row marked to scan. Blocks are taken by the least time pushed into them, so a
//! block is mostly worked on once its times from outside are final (about 2.2 visits per
//! block on the default bench).
//!
//! The answer is exactly Dijkstra's, the same floating-point sums: every time is the
//! least of `t(a) + cost(a, b)` over the neighbours once nothing changes, and that
//! solution is unique (see `engine`). A search with a limit stops when the least time
//! pending is beyond it, and a row lowered only beyond the limit passes nothing on; a
//! cell whose time is at most the limit is then final, as each cell of its best path
//! was (its time is lower) and was passed on.
//!
//! Per cell this costs a few vectorised pulls and a few short scans instead of a queue's
//! pushes and pops, which branch on every cell: on the default bench (0.6 M cells) a
//! third of the time of the label-correcting search of `engine`, which stays for the
//! knight's moves.

use super::heap::BlockHeap;
use super::surface::{FrictionSurface, PAD, RowSteps};

/// Rows of a block (at most 64: a block's rows are the bits of a `u64`).
const BLOCK_ROWS: usize = 32;
/// Columns of a block.
const BLOCK_COLS: usize = 32;

/// The least of `a` and `b`, keeping `a` when `b` is NaN (a time from or through an
/// impassable cell, whose time is NaN), so a candidate never spoils a time.
#[inline]
fn least(a: f64, b: f64) -> f64 {
    if b < a { b } else { a }
}

/// Fills `times` (NaN at impassable cells, infinite elsewhere) with the least times from
/// `starts` (padded indices of passable cells), exactly for every time up to `limit`.
pub(super) fn king_times(
    surface: &FrictionSurface,
    times: &mut [f64],
    starts: &[usize],
    limit: f64,
) {
    search::<BLOCK_ROWS, BLOCK_COLS>(surface, times, starts, limit);
}

/// [`king_times`] with blocks of `R` × `C` cells.
fn search<const R: usize, const C: usize>(
    surface: &FrictionSurface,
    times: &mut [f64],
    starts: &[usize],
    limit: f64,
) {
    // Without a limit, the pulls need not find the least time they lowered.
    if limit.is_finite() {
        Sweep::<R, C, true>::new(surface, times).run(starts, limit);
    } else {
        Sweep::<R, C, false>::new(surface, times).run(starts, limit);
    }
}

/// One search: the times and the blocks pending.
struct Sweep<'a, const R: usize, const C: usize, const LIMITED: bool> {
    fr: &'a [f32],
    /// Per padded row, half the lengths of its moves.
    rows: &'a [RowSteps],
    stride: usize,
    /// Padded rows and columns of the surface's cells: `PAD..last_row`, `PAD..last_col`.
    last_row: usize,
    last_col: usize,
    times: &'a mut [f64],
    /// Blocks per row of blocks.
    across: usize,
    /// Times above it need not be right (finite when `LIMITED`).
    limit: f64,
    /// Per block, its rows (bits) with times lowered from outside since it was worked on.
    marked: Vec<u64>,
    /// Per block, the least time pushed into it since (infinite when none).
    key: Vec<f64>,
    blocks: BlockHeap,
}

impl<'a, const R: usize, const C: usize, const LIMITED: bool> Sweep<'a, R, C, LIMITED> {
    fn new(surface: &'a FrictionSurface, times: &'a mut [f64]) -> Self {
        let (width, height) = (surface.width(), surface.height());
        let (across, down) = (width.div_ceil(C), height.div_ceil(R));
        Self {
            fr: &surface.friction,
            rows: &surface.rows,
            stride: surface.stride,
            last_row: PAD + height,
            last_col: PAD + width,
            times,
            across,
            limit: f64::INFINITY,
            marked: vec![0; across * down],
            key: vec![f64::INFINITY; across * down],
            blocks: BlockHeap::default(),
        }
    }

    /// The block holding padded row `r`, column `c`.
    fn block_of(&self, r: usize, c: usize) -> usize {
        (r - PAD) / R * self.across + (c - PAD) / C
    }

    /// Block `b`'s padded rows `r0..r1` and columns `c0..c1`.
    fn bounds(&self, b: usize) -> (usize, usize, usize, usize) {
        let (r0, c0) = (PAD + b / self.across * R, PAD + b % self.across * C);
        (
            r0,
            (r0 + R).min(self.last_row),
            c0,
            (c0 + C).min(self.last_col),
        )
    }

    /// Leaves block `b` pending with `rows` marked, a time `t` pushed into it.
    fn mark(&mut self, b: usize, rows: u64, t: f64) {
        self.marked[b] |= rows;
        if t < self.key[b] {
            self.key[b] = t;
            self.blocks.push(t, b as u32);
        }
    }

    fn run(mut self, starts: &[usize], limit: f64) {
        self.limit = limit;
        for &p in starts {
            let (r, c) = (p / self.stride, p % self.stride);
            self.times[p] = 0.0;
            let b = self.block_of(r, c);
            let r0 = self.bounds(b).0;
            self.mark(b, 1 << (r - r0), 0.0);
        }
        while let Some((t, b)) = self.blocks.pop() {
            let b = b as usize;
            if self.key[b] != t {
                // Stale: worked on, or pushed into with a lower time, since.
                continue;
            }
            if t > limit {
                // All that is pending, and all that could follow, is beyond the limit.
                break;
            }
            self.key[b] = f64::INFINITY;
            self.visit(b);
        }
    }

    /// Works on block `b` until its times agree, then pushes its changed edges out.
    fn visit(&mut self, b: usize) {
        let (r0, r1, c0, c1) = self.bounds(b);
        let n = r1 - r0;
        let marked = std::mem::take(&mut self.marked[b]);
        let mut lowered = [false; C];
        for i in 0..n {
            if marked >> i & 1 == 1 {
                // Which cells were lowered is not kept: the whole row.
                lowered[..c1 - c0].fill(true);
                self.scan_row(r0 + i, c0, c1, &lowered);
            }
        }
        // Rows whose changes the row below (above) has not pulled yet.
        let (mut downwards, mut upwards, mut changed) = (marked, marked, marked);
        let last = 1u64 << (n - 1);
        downwards &= !last;
        upwards &= !1;
        while downwards | upwards != 0 {
            for i in 1..n {
                if downwards >> (i - 1) & 1 == 1 {
                    downwards &= !(1 << (i - 1));
                    if self.pull(r0 + i, r0 + i - 1, c0, c1, &mut lowered) {
                        self.scan_row(r0 + i, c0, c1, &lowered);
                        (downwards, upwards, changed) =
                            (downwards | 1 << i, upwards | 1 << i, changed | 1 << i);
                    }
                }
            }
            downwards &= !last;
            for i in (0..n - 1).rev() {
                if upwards >> (i + 1) & 1 == 1 {
                    upwards &= !(1 << (i + 1));
                    if self.pull(r0 + i, r0 + i + 1, c0, c1, &mut lowered) {
                        self.scan_row(r0 + i, c0, c1, &lowered);
                        (downwards, upwards, changed) =
                            (downwards | 1 << i, upwards | 1 << i, changed | 1 << i);
                    }
                }
            }
            upwards &= !1;
        }
        if changed & 1 == 1 && r0 > PAD {
            self.push_row(r0 - 1, r0, c0, c1);
        }
        if changed & last != 0 && r1 < self.last_row {
            self.push_row(r1, r1 - 1, c0, c1);
        }
        // Rows beside a changed row may be lowered diagonally.
        let near = (changed | changed << 1 | changed >> 1) & (u64::MAX >> (64 - n));
        if changed != 0 && c0 > PAD {
            self.push_column(c0 - 1, c0, r0, near);
        }
        if changed != 0 && c1 < self.last_col {
            self.push_column(c1, c1 - 1, r0, near);
        }
    }

    /// Row `r` takes from row `from` (the one above or below) over columns `c0..c1`;
    /// `lowered` says which of its cells that lowered. True when any was lowered to a
    /// time within the limit (a row lowered only beyond it has nothing to pass on that
    /// the search must know).
    #[inline]
    fn pull(
        &mut self,
        r: usize,
        from: usize,
        c0: usize,
        c1: usize,
        lowered: &mut [bool; C],
    ) -> bool {
        let row = r * self.stride;
        let (mut any, mut lowest) = (false, f64::INFINITY);
        for (k, c) in (c0..c1).enumerate() {
            let old = self.times[row + c];
            let t = self.reached_from_row(r, from, c);
            lowered[k] = t < old;
            any |= t < old;
            if LIMITED {
                lowest = least(lowest, if t < old { t } else { f64::INFINITY });
            }
            self.times[row + c] = t;
        }
        if LIMITED { lowest <= self.limit } else { any }
    }

    /// Settles row `r` along itself after the cells `lowered` (at least one) were
    /// lowered: left to right from the first, right to left from the last, each pass
    /// going on past them only while it lowers cells (beyond, the row agreed already).
    #[inline]
    fn scan_row(&mut self, r: usize, c0: usize, c1: usize, lowered: &[bool; C]) {
        let n = c1 - c0;
        let (Some(first), Some(last)) = (
            lowered[..n].iter().position(|&l| l),
            lowered[..n].iter().rposition(|&l| l),
        ) else {
            return;
        };
        let (mut lo, mut hi) = (c0 + first, c0 + last);
        let (row, e, fr) = (r * self.stride, self.rows[r].east, self.fr);
        let times = &mut *self.times;
        let mut prev = (times[row + lo - 1], f64::from(fr[row + lo - 1]));
        for c in lo..c1 {
            let f = f64::from(fr[row + c]);
            let (old, via) = (times[row + c], prev.0 + e * (prev.1 + f));
            if via < old {
                times[row + c] = via;
                hi = hi.max(c);
                prev = (via, f);
            } else if c > hi {
                break;
            } else {
                prev = (old, f);
            }
        }
        let mut prev = (times[row + hi + 1], f64::from(fr[row + hi + 1]));
        for c in (c0..=hi).rev() {
            let f = f64::from(fr[row + c]);
            let (old, via) = (times[row + c], prev.0 + e * (prev.1 + f));
            if via < old {
                times[row + c] = via;
                lo = lo.min(c);
                prev = (via, f);
            } else if c < lo {
                break;
            } else {
                prev = (old, f);
            }
        }
    }

    /// The time of cell (`r`, `c`) or, if less, of a move into it from one of its three
    /// neighbours in row `from` (the row above or below).
    // Inlined always: the pull's loop over a row is vectorised only with it inlined
    // (a call per cell made the whole search 40 % slower).
    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn reached_from_row(&self, r: usize, from: usize, c: usize) -> f64 {
        let steps = &self.rows[r.min(from)];
        let (row, src, fr) = (r * self.stride, from * self.stride, self.fr);
        let f = f64::from(fr[row + c]);
        let mut t = least(
            self.times[row + c],
            self.times[src + c] + steps.south * (f + f64::from(fr[src + c])),
        );
        for q in [src + c - 1, src + c + 1] {
            t = least(t, self.times[q] + steps.diagonal * (f + f64::from(fr[q])));
        }
        t
    }

    /// Row `r` (just outside a block) takes from the block's edge row `from`, over the
    /// block's columns and one more each side (the diagonal moves into the corner
    /// blocks); the blocks lowered are left pending.
    fn push_row(&mut self, r: usize, from: usize, c0: usize, c1: usize) {
        let row = r * self.stride;
        let (lo, hi) = (c0.max(PAD + 1) - 1, (c1 + 1).min(self.last_col));
        // The least time lowered in the block left, above or below, right.
        let mut lowered = [f64::INFINITY; 3];
        for c in lo..hi {
            let old = self.times[row + c];
            let t = self.reached_from_row(r, from, c);
            if t < old {
                self.times[row + c] = t;
                let k = if c < c0 {
                    0
                } else if c < c1 {
                    1
                } else {
                    2
                };
                lowered[k] = lowered[k].min(t);
            }
        }
        for (k, &t) in lowered.iter().enumerate() {
            if t.is_finite() {
                let b = self.block_of(r, [lo, c0, c1][k]);
                let r0 = self.bounds(b).0;
                self.mark(b, 1 << (r - r0), t);
            }
        }
    }

    /// Column `c` (just outside a block) takes from the block's edge column `from` at
    /// the block's rows `near` (bits from `r0`); the block beside is left pending.
    fn push_column(&mut self, c: usize, from: usize, r0: usize, near: u64) {
        let (s, fr) = (self.stride, self.fr);
        let (mut rows, mut least_lowered) = (0u64, f64::INFINITY);
        let mut bits = near;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let r = r0 + i;
            let (p, q) = (r * s + c, r * s + from);
            let f = f64::from(fr[p]);
            let old = self.times[p];
            let mut t = least(
                old,
                self.times[q] + self.rows[r].east * (f + f64::from(fr[q])),
            );
            t = least(
                t,
                self.times[q - s] + self.rows[r - 1].diagonal * (f + f64::from(fr[q - s])),
            );
            t = least(
                t,
                self.times[q + s] + self.rows[r].diagonal * (f + f64::from(fr[q + s])),
            );
            if t < old {
                self.times[p] = t;
                rows |= 1 << i;
                least_lowered = least_lowered.min(t);
            }
        }
        if rows != 0 {
            let b = self.block_of(r0, c);
            self.mark(b, rows, least_lowered);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::travel::seeded_surface;

    /// Small blocks, so that a small surface has many, against a binary-heap Dijkstra
    /// (the catchments'): the same times to the bit, also where the search stopped at a
    /// limit.
    fn agrees<const R: usize, const C: usize>(w: usize, h: usize, seed: u64) {
        let s = seeded_surface(w, h, seed);
        let starts: Vec<usize> = (0..=seed as usize % 4)
            .map(|k| s.padded((seed as usize * 7919 + k * 104_729) % s.cells()))
            .filter(|&p| s.friction[p] > 0.0)
            .collect();
        let mut want = vec![f64::INFINITY; s.friction.len()];
        s.dijkstra(&starts, false, &mut want, |_, _| true);
        let finite: Vec<f64> = want.iter().copied().filter(|t| t.is_finite()).collect();
        let limit = finite.get(finite.len() / 2).copied().unwrap_or(0.0);
        for limit in [f64::INFINITY, limit] {
            let mut times: Vec<f64> = s
                .friction
                .iter()
                .map(|&f| if f > 0.0 { f64::INFINITY } else { f64::NAN })
                .collect();
            search::<R, C>(&s, &mut times, &starts, limit);
            for (p, (&got, &want)) in times.iter().zip(&want).enumerate() {
                if want.is_finite() && want <= limit {
                    assert_eq!(got, want, "{w}×{h} seed {seed} limit {limit} cell {p}");
                } else {
                    assert!(
                        got.is_nan() || got >= want,
                        "cell {p}: below the least time"
                    );
                }
            }
        }
    }

    #[test]
    fn equals_dijkstra_across_many_small_blocks() {
        for seed in 0..12 {
            agrees::<4, 8>(37 + seed as usize, 29 + 2 * seed as usize, seed);
            agrees::<1, 1>(9, 7, seed);
            agrees::<64, 3>(40, 70, seed);
        }
    }
}
