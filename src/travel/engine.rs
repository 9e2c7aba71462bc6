//! The engine: least times from many sources over the friction surface's cells. A move
//! from cell a to neighbour b costs `geodesic(centre a, centre b) × (f_a + f_b) / 2`
//! minutes; the geodesic depends only on the rows and the direction, so each row's
//! lengths are computed once ([`FrictionSurface`]'s `RowSteps`). Times are `f64`,
//! friction `f32`, both flat arrays over the padded grid (the impassable border, NaN in
//! the times, means no bounds checks and no test for water).
//!
//! The king's moves (the definition) are searched by row sweeps over blocks
//! (`sweep`). [`Moves::Knight`] adds AccessMod's knight's moves (one row and two
//! columns, or two rows and one column, 16 neighbours in all), charged the same way;
//! such a move also needs the two cells it passes between to be passable, so that it
//! cannot jump a one-cell river. Those are searched here, label-correcting by blocks,
//! for the cache: the grid is cut into blocks of 16 rows × 64 columns (a block's times
//! and friction, 12 kB, stay in the core's cache while it is worked on); the block
//! holding the least pending time is taken, and its cells are expanded in bands of time
//! (`heap`) up to a horizon two of the dearest moves later; a move into another block
//! leaves the cell pending there. A cell whose time improves after it was expanded is
//! expanded again (the sign bit of a time marks "expanded with this time").
//!
//! Both searches give exactly Dijkstra's answer: all end at the one solution of
//! `t(b) = min over neighbours a of (t(a) + cost(a, b))` (with the sources at 0), which
//! is unique because every move adds a positive cost and rounding is monotone — the
//! same floating-point sums, not merely close ones. On the five countries' grid
//! (12.7 M cells) the blocks take a third of the time of a Dijkstra whose cells come
//! from the whole grid in time order, each of which missed the cache.

use super::heap::{BandRing, BlockHeap, RING_SLOTS};
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
        // The sign bit marks expanded cells; NaN marks impassable ones (never ≤ limit).
        let t =
            self.times[(row + super::surface::PAD) * self.stride + col + super::surface::PAD].abs();
        if t <= self.limit { t } else { f64::INFINITY }
    }
}

impl FrictionSurface {
    /// Least travel times, minutes, from the cells `sources` (row-major indices; every
    /// one starts at 0; impassable ones are left out) to every cell, with `moves`. The
    /// search stops once every time up to `limit` minutes is final: times above it read
    /// as infinite (`f64::INFINITY` for the whole surface).
    pub fn travel_times(&self, sources: &[usize], moves: Moves, limit: f64) -> TimeSurface {
        let mut times: Vec<f64> = self
            .friction
            .iter()
            .map(|&f| if f > 0.0 { f64::INFINITY } else { f64::NAN })
            .collect();
        let starts: Vec<usize> = sources
            .iter()
            .map(|&cell| self.padded(cell))
            .filter(|&p| self.friction[p] > 0.0)
            .collect();
        let most = self.dearest_move(moves);
        if !starts.is_empty() && most > 0.0 && most.is_finite() {
            match moves {
                Moves::King => super::sweep::king_times(self, &mut times, &starts, limit),
                Moves::Knight => {
                    let mut search = Search::new(self, most);
                    for &p in &starts {
                        times[p] = 0.0;
                        search.pend(p, 0.0);
                    }
                    search.run(self, &mut times, limit);
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

    /// The greatest cost of one move, minutes: the greatest friction times the longest
    /// move.
    fn dearest_move(&self, moves: Moves) -> f64 {
        let long = self
            .rows
            .iter()
            .flat_map(|r| {
                let knight = if moves == Moves::Knight {
                    [r.knight_wide, r.knight_tall]
                } else {
                    [0.0; 2]
                };
                [r.east, r.south, r.diagonal].into_iter().chain(knight)
            })
            .fold(0.0f64, f64::max);
        // Half-lengths times the sum of two frictions.
        long * 2.0 * f64::from(self.friction_range.1)
    }
}

/// Rows of a block (a power of two).
const BLOCK_ROWS_LOG2: u32 = 4;
/// Columns of a block (a power of two).
const BLOCK_COLS_LOG2: u32 = 6;
/// How far past the least pending time of a block its cells are expanded, in dearest
/// moves: further gives each visit of a block more work while it is in cache, but more
/// cells expanded before a better time arrives from a neighbouring block.
const HORIZON_MOVES: f64 = 2.0;

/// The state of one search besides the times: cells pending per block, blocks by
/// their least pending time, the bands of the block being worked on.
struct Search {
    stride: usize,
    /// Blocks per row of blocks.
    across: usize,
    horizon: f64,
    /// Per block, cells reached since it was last worked on (some possibly stale: reached
    /// again since, or expanded already).
    pending: Vec<Vec<u32>>,
    /// Per block, the least time pushed into `pending` (infinite when none).
    least: Vec<f64>,
    blocks: BlockHeap,
    ring: BandRing,
}

impl Search {
    fn new(surface: &FrictionSurface, most: f64) -> Self {
        let s = surface.stride;
        let rows = surface.friction.len() / s;
        let across = (s >> BLOCK_COLS_LOG2) + 1;
        let blocks = across * ((rows >> BLOCK_ROWS_LOG2) + 1);
        let horizon = HORIZON_MOVES * most;
        // Bands so narrow that the horizon and one more move fit in the ring.
        let width = (horizon + most) / (RING_SLOTS - 2) as f64;
        Self {
            stride: s,
            across,
            horizon,
            pending: vec![Vec::new(); blocks],
            least: vec![f64::INFINITY; blocks],
            blocks: BlockHeap::default(),
            ring: BandRing::new(width),
        }
    }

    #[inline]
    fn block_of(&self, p: usize) -> usize {
        ((p / self.stride) >> BLOCK_ROWS_LOG2) * self.across
            + ((p % self.stride) >> BLOCK_COLS_LOG2)
    }

    /// Leaves cell `p`, reached at `t`, pending in its block.
    #[inline]
    fn pend(&mut self, p: usize, t: f64) {
        let b = self.block_of(p);
        self.pending[b].push(p as u32);
        if t < self.least[b] {
            self.least[b] = t;
            self.blocks.push(t, b as u32);
        }
    }

    /// Works on blocks until none holds a pending time up to `limit`.
    fn run(&mut self, surface: &FrictionSurface, times: &mut [f64], limit: f64) {
        let fr = &surface.friction[..];
        let rows = &surface.rows[..];
        let s = self.stride;
        // Moves reach this far from their cell, rows or columns.
        let reach = 2;
        let (mut seeds, mut band, mut beyond) = (Vec::new(), Vec::new(), Vec::<u32>::new());
        while let Some((m, b)) = self.blocks.pop() {
            let b = b as usize;
            if self.least[b] != m {
                // Stale: the block was worked on, or reached sooner, since.
                continue;
            }
            if m > limit {
                // Every time still pending is beyond what was asked, and so is all
                // that could follow from it.
                break;
            }
            self.least[b] = f64::INFINITY;
            let horizon = m + self.horizon;
            let (r0, c0) = (
                (b / self.across) << BLOCK_ROWS_LOG2,
                (b % self.across) << BLOCK_COLS_LOG2,
            );
            let (r1, c1) = (r0 + (1 << BLOCK_ROWS_LOG2), c0 + (1 << BLOCK_COLS_LOG2));
            self.ring.restart(m);
            std::mem::swap(&mut seeds, &mut self.pending[b]);
            for &p in &seeds {
                let t = times[p as usize];
                if t.is_sign_negative() {
                    // Expanded already with this time.
                    continue;
                }
                if t < horizon {
                    self.ring.push(t, p);
                } else {
                    beyond.push(p);
                }
            }
            seeds.clear();
            while self.ring.take(&mut band) {
                for &p in &band {
                    let p = p as usize;
                    let t = times[p];
                    if t.is_sign_negative() {
                        continue;
                    }
                    times[p] = -t;
                    if t > limit {
                        continue;
                    }
                    let (r, c) = (p / s, p % s);
                    let inside =
                        r >= r0 + reach && r + reach < r1 && c >= c0 + reach && c + reach < c1;
                    let fc = f64::from(fr[p]);
                    let (here, above) = (rows[r], rows[r - 1]);
                    // Cell `q` reached sooner, at `nt`: pending in this block's bands,
                    // beyond its horizon, or in the neighbouring block.
                    macro_rules! improve {
                        ($q:expr, $nt:expr) => {{
                            let (q, nt) = ($q, $nt);
                            times[q] = nt;
                            if inside || {
                                let (qr, qc) = (q / s, q % s);
                                qr >= r0 && qr < r1 && qc >= c0 && qc < c1
                            } {
                                if nt < horizon {
                                    self.ring.push(nt, q as u32);
                                } else {
                                    beyond.push(q as u32);
                                }
                            } else {
                                self.pend(q, nt);
                            }
                        }};
                    }
                    macro_rules! relax {
                        ($q:expr, $half:expr) => {{
                            let q = $q;
                            let nt = t + $half * (fc + f64::from(fr[q]));
                            // Never below NaN: moves do not enter impassable cells.
                            if nt < times[q].abs() {
                                improve!(q, nt);
                            }
                        }};
                    }
                    // The king's moves: all eight compared first, then the better
                    // ones taken, so that the comparisons are not eight branches the
                    // processor must guess.
                    let qs = [
                        p - 1,
                        p + 1,
                        p - s,
                        p + s,
                        p - s - 1,
                        p - s + 1,
                        p + s - 1,
                        p + s + 1,
                    ];
                    let halves = [
                        here.east,
                        here.east,
                        above.south,
                        here.south,
                        above.diagonal,
                        above.diagonal,
                        here.diagonal,
                        here.diagonal,
                    ];
                    let mut nts = [0.0f64; 8];
                    let mut better = 0u32;
                    for i in 0..8 {
                        let q = qs[i];
                        nts[i] = t + halves[i] * (fc + f64::from(fr[q]));
                        better |= u32::from(nts[i] < times[q].abs()) << i;
                    }
                    while better != 0 {
                        let i = better.trailing_zeros() as usize;
                        better &= better - 1;
                        improve!(qs[i], nts[i]);
                    }
                    let open = |a: usize, b: usize| fr[a] > 0.0 && fr[b] > 0.0;
                    let above2 = rows[r - 2];
                    // One row, two columns: passes between the cells beside it and
                    // beside the target.
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
                    // Two rows, one column: passes between the cell below (above)
                    // and its neighbour towards the target.
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
            // What lies beyond the horizon waits in the block for its next turn.
            for &p in &beyond {
                let t = times[p as usize];
                if !t.is_sign_negative() && t < self.least[b] {
                    self.least[b] = t;
                }
            }
            if self.least[b].is_finite() {
                self.blocks.push(self.least[b], b as u32);
            }
            self.pending[b].append(&mut beyond);
        }
    }
}
