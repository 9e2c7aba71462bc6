//! Covering tests for many points at once: which population points have a facility
//! within a radius (exact WGS84 geodesic, inclusive), deciding whole blocks of nearby
//! points together whenever the sphere bounds allow it.
//!
//! **Blocks.** The points, sorted along a Morton (Z-order) curve, form a quadtree: each
//! node is a run of that order, with a *cap* (a centre on the unit sphere and a radius
//! `r`, great-circle metres on the mean sphere) holding all its points. Leaves hold at
//! most [`LEAF`] points.
//!
//! **Deciding a block.** With `S_in = R / 1.0045` and `S_out = R / 0.9944` (any pair at
//! great-circle distance ≤ `S_in` is within `R` by the geodesic, any pair beyond `S_out`
//! is not; see [`crate::geodesy`]) and `d` the great-circle distance from a facility to
//! the block's centre, the triangle inequality on the sphere gives, for every point of
//! the block:
//!
//! - `d + r ≤ S_in` for some facility: every point is covered;
//! - `d − r > S_out` for every facility: no point is covered;
//! - otherwise only the facilities with `d ≤ S_out + r` (the *candidates*) can cover a
//!   point, and the children are decided the same way from this list, without the tree.
//!
//! A leaf left undecided tests each point against its candidates: a squared chord within
//! `S_in` covers it; only when no candidate does, the candidates between `S_in` and
//! `S_out` get the exact geodesic. The facility that covered the last block or point is
//! tried first for the next one: along the curve it usually covers that too.
//!
//! All comparisons are on squared chords of unit vectors (monotone in great-circle
//! distance), thresholds converted once per block. Everything is exact: a block is only
//! decided wholesale when the bounds prove the answer for each of its points.

use crate::geodesy::{
    GEODESIC_OVER_SPHERE_MAX, GEODESIC_OVER_SPHERE_MIN, SPHERE_RADIUS_M, chord2_from_sphere_m,
    geodesic_m, sphere_m_from_chord2,
};
use crate::points::{PointIndex, Reach, chord2};

/// Most points in a leaf (48 and a query fraction of 2 took 15 % less time in the sector
/// tests than 24 and 0.25 on the anchors' data, default and large).
pub const LEAF: usize = 48;
/// Blocks wider than this multiple of `S_out` are split before a candidate list is
/// gathered from the tree (the last covering facility still decides them when it can).
const QUERY_FRACTION: f64 = 2.0;
/// Added to every cap radius, metres: far above floating-point error (~1e-6 m), far
/// below the sphere bounds' slack (~1e-5 of the radius).
const MARGIN_M: f64 = 0.001;

/// One node of the quadtree.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    /// Positions `start..end` of the visiting order.
    pub start: u32,
    /// End (exclusive).
    pub end: u32,
    /// Centre of the cap.
    pub centre: [f64; 3],
    /// Radius of the cap, great-circle metres (margin included).
    pub radius_m: f64,
    /// First child (children are consecutive); 0 for a leaf.
    pub first_child: u32,
    /// Number of children.
    pub children: u32,
}

impl Block {
    /// The block of positions `start..end`, before its cap and children are known.
    fn new(start: u32, end: u32) -> Self {
        Self {
            start,
            end,
            centre: [0.0; 3],
            radius_m: 0.0,
            first_child: 0,
            children: 0,
        }
    }
}

/// The quadtree over points sorted by Morton key (`keys` and `vectors` in that order):
/// `blocks[0]` is the root. Large trees are built on every core: the top levels first,
/// then the subtrees below them side by side, then the top levels' caps; the blocks are
/// the same as those of a build on one thread (only their order in the vector differs).
pub fn build(keys: &[u32], vectors: &[[f64; 3]]) -> Vec<Block> {
    build_with(keys, vectors, crate::parallel::threads())
}

/// [`build`] on `threads` threads.
fn build_with(keys: &[u32], vectors: &[[f64; 3]], threads: usize) -> Vec<Block> {
    let mut blocks = Vec::with_capacity(2 * keys.len() / LEAF + 1);
    if keys.is_empty() {
        return blocks;
    }
    blocks.push(Block::new(0, keys.len() as u32));
    if threads < 2 || keys.len() < 32_768 {
        split(&mut blocks, 0, 0, keys, vectors);
        return blocks;
    }
    // The top levels: nodes of more than `subtree` points are split here; smaller ones
    // (with the level they are at) are left for the workers.
    let subtree = keys.len() / (8 * threads);
    let mut pending: Vec<(usize, u32)> = Vec::new();
    let mut levels: Vec<u32> = vec![0];
    let mut next = 0;
    while next < blocks.len() {
        let node = next;
        next += 1;
        let (start, end) = (blocks[node].start as usize, blocks[node].end as usize);
        let mut level = levels[node];
        if end - start <= subtree.max(LEAF) || level == 16 {
            pending.push((node, level));
            continue;
        }
        let ranges = loop {
            let ranges = quadrants(keys, start, end, level);
            if ranges.len() > 1 || level + 1 == 16 {
                break ranges;
            }
            level += 1;
        };
        if ranges.len() == 1 {
            // A single quadrant down to the last level: a leaf at level 16.
            pending.push((node, 16));
            continue;
        }
        let first = blocks.len();
        for &(s, e) in &ranges {
            blocks.push(Block::new(s as u32, e as u32));
            levels.push(level + 1);
        }
        blocks[node].first_child = first as u32;
        blocks[node].children = ranges.len() as u32;
    }
    let top = blocks.len();
    // The subtrees, each in a vector of its own (root first), on every core.
    let queue = std::sync::Mutex::new(pending.iter().enumerate());
    let mut built: Vec<(usize, Vec<Block>, [f64; 3])> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some((k, &(node, level))) = next else {
                            break;
                        };
                        let root = blocks[node];
                        let mut local = vec![root];
                        let sum = split(&mut local, 0, level, keys, vectors);
                        done.push((k, local, sum));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    built.sort_unstable_by_key(|b| b.0);
    let mut sums = vec![[0.0; 3]; top];
    for (k, local, sum) in built {
        let node = pending[k].0;
        // Local index `j ≥ 1` goes to `base + j - 1`.
        let base = blocks.len() as u32;
        let relocate = |mut b: Block| {
            if b.children > 0 {
                b.first_child = b.first_child - 1 + base;
            }
            b
        };
        blocks[node] = relocate(local[0]);
        blocks.extend(local[1..].iter().map(|&b| relocate(b)));
        sums[node] = sum;
    }
    // The top levels' caps, children (later in the vector) first.
    for node in (0..top).rev() {
        let b = blocks[node];
        if b.children == 0 || b.first_child as usize >= top {
            continue;
        }
        let (sum, centre, radius_m) = cap(&blocks, &sums, b.first_child as usize, b.children);
        sums[node] = sum;
        blocks[node].centre = centre;
        blocks[node].radius_m = radius_m;
    }
    blocks
}

/// The runs of `keys[start..end]` with the same quadrant at `level`.
fn quadrants(keys: &[u32], start: usize, end: usize, level: u32) -> Vec<(usize, usize)> {
    let shift = 30 - 2 * level;
    let mut ranges = Vec::with_capacity(4);
    let mut at = start;
    while at < end {
        let quadrant = keys[at] >> shift & 3;
        let next = at + keys[at..end].partition_point(|k| k >> shift & 3 == quadrant);
        ranges.push((at, next));
        at = next;
    }
    ranges
}

/// The sum, centre and radius of a node from its `children` children from `first` on
/// (`sums` holds each child's sum of vectors).
fn cap(
    blocks: &[Block],
    sums: &[[f64; 3]],
    first: usize,
    children: u32,
) -> ([f64; 3], [f64; 3], f64) {
    let end = first + children as usize;
    let sum = sums[first..end].iter().fold([0.0; 3], |s, &v| add(s, v));
    let centre = normalise(sum, blocks[first].centre);
    let radius_m = (first..end)
        .map(|c| sphere_m_from_chord2(chord2(&centre, &blocks[c].centre)) + blocks[c].radius_m)
        .fold(0.0, f64::max)
        .min(std::f64::consts::PI * SPHERE_RADIUS_M)
        + MARGIN_M;
    (sum, centre, radius_m)
}

/// Splits `blocks[node]` (whose keys agree on their first `level` pairs of bits) and
/// computes its cap; returns the sum of its points' vectors.
fn split(
    blocks: &mut Vec<Block>,
    node: usize,
    level: u32,
    keys: &[u32],
    vectors: &[[f64; 3]],
) -> [f64; 3] {
    let (start, end) = (blocks[node].start as usize, blocks[node].end as usize);
    if end - start <= LEAF || level == 16 {
        let points = &vectors[start..end];
        let sum = points.iter().fold([0.0; 3], |s, &v| add(s, v));
        let centre = normalise(sum, points[0]);
        let far = points
            .iter()
            .map(|v| chord2(&centre, v))
            .fold(0.0, f64::max);
        blocks[node].centre = centre;
        blocks[node].radius_m = sphere_m_from_chord2(far) + MARGIN_M;
        return sum;
    }
    let ranges = quadrants(keys, start, end, level);
    if ranges.len() == 1 {
        // One quadrant only: go one level deeper without a node of its own.
        return split(blocks, node, level + 1, keys, vectors);
    }
    let first = blocks.len();
    for &(s, e) in &ranges {
        blocks.push(Block::new(s as u32, e as u32));
    }
    let mut sum = [0.0; 3];
    for c in first..first + ranges.len() {
        sum = add(sum, split(blocks, c, level + 1, keys, vectors));
    }
    let centre = normalise(sum, blocks[first].centre);
    let radius_m = (first..first + ranges.len())
        .map(|c| sphere_m_from_chord2(chord2(&centre, &blocks[c].centre)) + blocks[c].radius_m)
        .fold(0.0, f64::max)
        .min(std::f64::consts::PI * SPHERE_RADIUS_M)
        + MARGIN_M;
    let b = &mut blocks[node];
    b.centre = centre;
    b.radius_m = radius_m;
    b.first_child = first as u32;
    b.children = ranges.len() as u32;
    sum
}

fn add(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}

/// `v` scaled to unit length, or `fallback` when `v` is (nearly) zero.
fn normalise(v: [f64; 3], fallback: [f64; 3]) -> [f64; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if n > 1e-9 {
        [v[0] / n, v[1] / n, v[2] / n]
    } else {
        fallback
    }
}

/// A covering search over one sector's facilities, for consecutive blocks.
pub struct Search<'a> {
    sites: &'a PointIndex,
    blocks: &'a [Block],
    vectors: &'a [[f64; 3]],
    lonlat: &'a [(f64, f64)],
    reach: Reach,
    /// Great-circle radii that surely cover (`S_in`) and surely miss (`S_out`).
    sure_in_m: f64,
    sure_out_m: f64,
    /// Candidate lists per depth of the descent, kept to reuse their allocations.
    lists: Vec<Vec<(f64, u32)>>,
    /// The facility that covered the last block or point.
    hint: Option<u32>,
}

impl<'a> Search<'a> {
    /// A search for "geodesic distance ≤ `radius_m`" from the points of `blocks`
    /// (`vectors` and `lonlat` in the blocks' order).
    pub fn new(
        sites: &'a PointIndex,
        blocks: &'a [Block],
        vectors: &'a [[f64; 3]],
        lonlat: &'a [(f64, f64)],
        radius_m: f64,
    ) -> Self {
        Self {
            sites,
            blocks,
            vectors,
            lonlat,
            reach: Reach::new(radius_m),
            sure_in_m: radius_m / GEODESIC_OVER_SPHERE_MAX,
            sure_out_m: radius_m / GEODESIC_OVER_SPHERE_MIN,
            lists: Vec::new(),
            hint: None,
        }
    }

    /// Decides every point of block `node`; `out[k]` is for order position
    /// `blocks[node].start + k`.
    pub fn run(&mut self, node: usize, out: &mut [bool]) {
        let base = self.blocks[node].start as usize;
        self.visit(node, 0, false, base, out);
    }

    /// Squared chord within which a facility covers every point of a cap of `radius_m`
    /// (negative when none can).
    fn whole_in(&self, radius_m: f64) -> f64 {
        if self.sure_in_m > radius_m {
            chord2_from_sphere_m(self.sure_in_m - radius_m)
        } else {
            -1.0
        }
    }

    /// `depth` is the first free candidate list; `listed` says whether `lists[depth - 1]`
    /// holds the parent's candidates (nearest to the parent's centre first).
    fn visit(&mut self, node: usize, depth: usize, listed: bool, base: usize, out: &mut [bool]) {
        let b = self.blocks[node];
        let range = b.start as usize - base..b.end as usize - base;
        let whole_in = self.whole_in(b.radius_m);
        if let Some(h) = self.hint
            && chord2(&b.centre, self.sites.vector(h)) <= whole_in
        {
            out[range].fill(true);
            return;
        }
        let may_reach = chord2_from_sphere_m(self.sure_out_m + b.radius_m);
        if !listed && b.children > 0 && b.radius_m > self.sure_out_m * QUERY_FRACTION {
            // Too wide for a short candidate list: decide the children one by one.
            for c in b.first_child..b.first_child + b.children {
                self.visit(c as usize, depth, false, base, out);
            }
            return;
        }
        if self.lists.len() <= depth {
            self.lists.resize_with(depth + 1, Vec::new);
        }
        let (parents, rest) = self.lists.split_at_mut(depth);
        let list = &mut rest[0];
        list.clear();
        let centre = b.centre;
        let sites = self.sites;
        let within = |f: u32| (chord2(&centre, sites.vector(f)), f);
        let covering = if listed {
            let mut covering = None;
            for (d2, f) in parents[depth - 1].iter().map(|&(_, f)| within(f)) {
                if d2 <= whole_in {
                    covering = Some(f);
                    break;
                }
                if d2 <= may_reach {
                    list.push((d2, f));
                }
            }
            covering
        } else {
            let mut covering = None;
            for (d2, f) in sites.within_chord2(&centre, may_reach).map(within) {
                if d2 <= whole_in {
                    covering = Some(f);
                    break;
                }
                list.push((d2, f));
            }
            list.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            covering
        };
        if covering.is_some() {
            self.hint = covering;
            out[range].fill(true);
            return;
        }
        if list.is_empty() {
            out[range].fill(false);
            return;
        }
        if b.children == 0 {
            self.leaf(b, depth, &mut out[range]);
            return;
        }
        for c in b.first_child..b.first_child + b.children {
            self.visit(c as usize, depth + 1, true, base, out);
        }
    }

    /// Each point of leaf `b` against the candidates in `lists[depth]`.
    fn leaf(&mut self, b: Block, depth: usize, out: &mut [bool]) {
        let list = &mut self.lists[depth];
        // Nearest to the centre first, with great-circle distances to the centre: a point
        // at `r_p` from the centre is beyond `S_out` of every candidate from the first
        // with `d − r_p > S_out` on.
        list.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let far: Vec<f64> = list
            .iter()
            .map(|&(d2, _)| sphere_m_from_chord2(d2))
            .collect();
        let list = &self.lists[depth];
        let (sure_in, sure_out) = (self.reach.sure_in, self.reach.sure_out);
        for (k, i) in (b.start as usize..b.end as usize).enumerate() {
            let q = &self.vectors[i];
            if let Some(h) = self.hint
                && chord2(q, self.sites.vector(h)) <= sure_in
            {
                out[k] = true;
                continue;
            }
            let reach = self.sure_out_m + sphere_m_from_chord2(chord2(q, &b.centre));
            let end = far.partition_point(|&d| d <= reach);
            let candidates = &list[..end];
            let mut band = false;
            let mut found = None;
            for &(_, f) in candidates {
                let d2 = chord2(q, self.sites.vector(f));
                if d2 <= sure_in {
                    found = Some(f);
                    break;
                }
                band |= d2 <= sure_out;
            }
            if found.is_none() && band {
                // Within the ambiguity band of some candidate: the exact geodesic.
                let (lon, lat) = self.lonlat[i];
                found = candidates.iter().map(|&(_, f)| f).find(|&f| {
                    chord2(q, self.sites.vector(f)) <= sure_out && {
                        let (flon, flat) = self.sites.lonlat(f);
                        geodesic_m(lon, lat, flon, flat) <= self.reach.radius_m
                    }
                });
            }
            if found.is_some() {
                self.hint = found;
            }
            out[k] = found.is_some();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The subtree of `node`, children in order: ranges, caps (bit for bit), shape.
    fn shape(blocks: &[Block], node: usize, out: &mut Vec<(u32, u32, [u64; 4], u32)>) {
        let b = blocks[node];
        out.push((
            b.start,
            b.end,
            [
                b.centre[0].to_bits(),
                b.centre[1].to_bits(),
                b.centre[2].to_bits(),
                b.radius_m.to_bits(),
            ],
            b.children,
        ));
        for c in b.first_child..b.first_child + b.children {
            shape(blocks, c as usize, out);
        }
    }

    #[test]
    fn a_build_on_several_threads_equals_one_on_one_thread() {
        // Clustered and spread points, duplicates (leaves at the last level), one region.
        let points: Vec<(f64, f64)> = (0..150_000u32)
            .map(|i| {
                let i = u64::from(i);
                let (a, b) = ((i * 7_919 % 10_007) as f64, (i * 104_729 % 9_973) as f64);
                match i % 4 {
                    0 => (46.0 + a / 240.0, 35.0 + b / 480.0),
                    1 => (69.2 + a / 1e6, 41.3 + b / 1e6),
                    2 => (76.9, 43.2),
                    _ => (60.0 + a / 1e3, 40.0 + b / 2e3),
                }
            })
            .collect();
        let sorted = super::super::SortedPoints::new(&points);
        let (keys, vectors) = (&sorted.keys, &sorted.vectors);
        let mut one = Vec::new();
        shape(&build_with(keys, vectors, 1), 0, &mut one);
        for threads in [2, 3, 8] {
            let blocks = build_with(keys, vectors, threads);
            let mut several = Vec::new();
            shape(&blocks, 0, &mut several);
            assert_eq!(several.len(), blocks.len(), "every block reached once");
            assert!(several == one, "{threads} threads");
        }
        assert!(
            one.len() > points.len() / (4 * LEAF),
            "a deep tree: {} blocks",
            one.len()
        );
    }
}
