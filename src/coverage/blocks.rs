//! Covering tests for many points at once: which population points have a facility
//! within a radius (exact WGS84 geodesic, inclusive), deciding whole blocks of nearby
//! points together whenever the sphere bounds allow it.
//!
//! **Blocks.** The points, sorted along a Morton (Z-order) curve, form a quadtree: each
//! node is a run of that order, with the longitude/latitude box of its points and a
//! *cap* (a centre on the unit sphere and a radius `r`, great-circle metres on the mean
//! sphere) holding that box, hence all its points. Leaves hold at most [`LEAF`] points.
//! The caps come from the boxes' corners (see [`cap_of_box`]), so no point needs its
//! unit vector (two sines, two cosines) unless its leaf is left undecided.
//!
//! **Deciding a block.** With `S_in = R / 1.0045` and `S_out = R / 0.9944` (any pair at
//! great-circle distance ≤ `S_in` is within `R` by the geodesic, any pair beyond `S_out`
//! is not; see [`crate::spatial::geodesy`]) and `d` the great-circle distance from a facility to
//! the block's centre, the triangle inequality on the sphere gives, for every point of
//! the block:
//!
//! - `d + r ≤ S_in` for some facility: every point is covered;
//! - `d − r > S_out` for every facility: no point is covered;
//! - otherwise only the facilities with `d ≤ S_out + r` (the *candidates*) can cover a
//!   point, and the children are decided the same way from this list, without the tree.
//!
//! A leaf left undecided computes its points' unit vectors and tests each point against
//! its candidates: a squared chord within
//! `S_in` covers it; only when no candidate does, the candidates between `S_in` and
//! `S_out` get the exact geodesic. The facility that covered the last block or point is
//! tried first for the next one: along the curve it usually covers that too.
//!
//! All comparisons are on squared chords of unit vectors (monotone in great-circle
//! distance), thresholds converted once per block. Everything is exact: a block is only
//! decided wholesale when the bounds prove the answer for each of its points.

use crate::spatial::geodesy::{
    GEODESIC_OVER_SPHERE_MAX, GEODESIC_OVER_SPHERE_MIN, SPHERE_RADIUS_M, chord2_from_sphere_m,
    geodesic_m, sphere_m_from_chord2,
};
use crate::spatial::points::{CoordIndex, Reach, chord2};

/// Most points in a leaf (48 and a query fraction of 2 took 15 % less time in the sector
/// tests than 24 and 0.25 on the anchors' data, default and large).
pub const LEAF: usize = 48;
/// Blocks wider than this multiple of `S_out` are split before a candidate list is
/// gathered from the tree (the last covering facility still decides them when it can):
/// a wider block can rarely be covered whole, and its list would be long (0.5 took a
/// quarter fewer instructions than 2 on the anchors' large data, as many on default).
const QUERY_FRACTION: f64 = 0.5;
/// Candidate lists longer than this are pruned per point of a leaf (shorter ones are
/// cheaper to scan whole: a candidate beyond reach fails both tests anyway).
const PRUNE_FROM: usize = 16;
/// Fewest points for which the quadtree is built on every core: the caps' trigonometry
/// makes the build compute-bound, unlike the sort and the gather (100,000 points: 1.07 ms
/// on two cores, 1.51 ms on one).
const BUILD_SPLIT_FROM: usize = 1 << 15;
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

/// The quadtree over points sorted by Morton key (`keyed[p] >> 32` is the key of
/// position `p`, `lonlat` in that order): `blocks[0]` is the root. Large trees are built
/// on every core: the top levels first, then the subtrees below them side by side, then
/// the top levels' caps; the blocks are the same as those of a build on one thread (only
/// their order in the vector differs).
pub fn build(keyed: &[u64], lonlat: &[(f64, f64)]) -> Vec<Block> {
    build_with(keyed, lonlat, crate::parallel::threads(), BUILD_SPLIT_FROM)
}

/// Per position `p ≥ 1`, the first level of the quadtree (pair of key bits, from the
/// top: 0 to 15) at which the keys of positions `p − 1` and `p` differ, 16 when they
/// are equal; position 0 gets 0. The children of a node are the runs between the
/// positions inside it with the smallest such level.
fn levels_of_difference(keyed: &[u64], split_from: usize) -> Vec<u8> {
    let mut levels = vec![0u8; keyed.len()];
    crate::parallel::fill_chunks_from(split_from, &mut levels, |first, part| {
        for (p, level) in (first..).zip(part.iter_mut()) {
            if p > 0 {
                let differ = ((keyed[p - 1] ^ keyed[p]) >> 32) as u32;
                *level = (differ.leading_zeros() / 2) as u8;
            }
        }
    });
    levels
}

/// A longitude/latitude box: west, east, south, north (degrees).
type LonLatBox = [f64; 4];

/// The box holding nothing (every union with it is the other box).
const EMPTY_BOX: LonLatBox = [
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

fn union(a: LonLatBox, b: LonLatBox) -> LonLatBox {
    [
        a[0].min(b[0]),
        a[1].max(b[1]),
        a[2].min(b[2]),
        a[3].max(b[3]),
    ]
}

/// The cap (centre, radius in great-circle metres, margin included) holding every point
/// of a longitude/latitude box.
///
/// The centre is the box's middle. For a box at most 180° wide, the point of the box
/// farthest from it is a corner: along a parallel, the distance grows with the longitude
/// difference (the east or west edge); along that edge, the cosine of the distance is
/// `A sin φ + B cos φ` with `B ≥ 0`, a cosine of `φ − φ₀` with `|φ₀| ≤ 90°`, whose
/// minimum over a latitude interval is at an end. The corners' squared half-chords,
/// `sin²(Δφ/2) + cos φ_c cos φ sin²(Δλ/2)`, are exact to rounding even for tiny boxes.
/// Wider boxes get the whole sphere.
fn cap_of_box(bbox: LonLatBox) -> ([f64; 3], f64) {
    let [west, east, south, north] = bbox;
    let sin_cos = crate::spatial::geodesy::sin_cos_degrees;
    let (lon_c, lat_c) = ((west + east) / 2.0, (south + north) / 2.0);
    let ((sin_lat_c, cos_lat_c), (sin_lon_c, cos_lon_c)) = (sin_cos(lat_c), sin_cos(lon_c));
    let centre = [cos_lat_c * cos_lon_c, cos_lat_c * sin_lon_c, sin_lat_c];
    let half_width = (east - west) / 2.0;
    if half_width.is_nan() || half_width > 90.0 {
        return (centre, std::f64::consts::PI * SPHERE_RADIUS_M);
    }
    let sin_lat = sin_cos((north - south) / 4.0).0;
    let sin_lon = sin_cos(half_width / 2.0).0;
    // The corners' larger cosine of latitude: that of the edge nearer the equator.
    let cos_edge = sin_cos(south.abs().min(north.abs())).1;
    let half_chord2 = sin_lat * sin_lat + cos_lat_c * cos_edge * sin_lon * sin_lon;
    let radius_m = sphere_m_from_chord2(4.0 * half_chord2) + MARGIN_M;
    (centre, radius_m.min(std::f64::consts::PI * SPHERE_RADIUS_M))
}

/// The box of the points at `lonlat`.
fn box_of(lonlat: &[(f64, f64)]) -> LonLatBox {
    lonlat
        .iter()
        .fold(EMPTY_BOX, |b, &(lon, lat)| union(b, [lon, lon, lat, lat]))
}

/// [`build`] on `threads` threads when there are `split_from` points or more.
fn build_with(
    keyed: &[u64],
    lonlat: &[(f64, f64)],
    threads: usize,
    split_from: usize,
) -> Vec<Block> {
    let mut blocks = Vec::with_capacity(2 * keyed.len() / LEAF + 1);
    if keyed.is_empty() {
        return blocks;
    }
    let levels = levels_of_difference(keyed, split_from);
    blocks.push(Block::new(0, keyed.len() as u32));
    if threads < 2 || keyed.len() < split_from {
        split(&mut blocks, 0, &levels, lonlat);
        return blocks;
    }
    // The top levels: nodes of more than `subtree` points are split here; smaller ones
    // are left for the workers.
    let subtree = keyed.len() / (8 * threads);
    let mut pending: Vec<usize> = Vec::new();
    let mut next = 0;
    while next < blocks.len() {
        let node = next;
        next += 1;
        let (start, end) = (blocks[node].start as usize, blocks[node].end as usize);
        let ranges = if end - start <= subtree.max(LEAF) {
            None
        } else {
            children(&levels, start, end)
        };
        let Some(ranges) = ranges else {
            pending.push(node);
            continue;
        };
        let first = blocks.len();
        blocks.extend(ranges.iter().map(|&(s, e)| Block::new(s as u32, e as u32)));
        blocks[node].first_child = first as u32;
        blocks[node].children = ranges.len() as u32;
    }
    let top = blocks.len();
    // The subtrees, each in a vector of its own (root first), on every core.
    let roots: Vec<Block> = pending.iter().map(|&node| blocks[node]).collect();
    let built = crate::parallel::each_task(roots, |root| {
        let mut local = vec![root];
        let bbox = split(&mut local, 0, &levels, lonlat);
        (local, bbox)
    });
    let mut boxes = vec![EMPTY_BOX; top];
    for (&node, (local, bbox)) in pending.iter().zip(built) {
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
        boxes[node] = bbox;
    }
    // The top levels' caps, children (later in the vector) first.
    for node in (0..top).rev() {
        let b = blocks[node];
        if b.children == 0 || b.first_child as usize >= top {
            continue;
        }
        let first = b.first_child as usize;
        let bbox = boxes[first..first + b.children as usize]
            .iter()
            .fold(EMPTY_BOX, |u, &c| union(u, c));
        boxes[node] = bbox;
        (blocks[node].centre, blocks[node].radius_m) = cap_of_box(bbox);
    }
    // A megabyte per million points, given back to the kernel on the pool.
    crate::parallel::drop_later(levels);
    blocks
}

/// The children of the node of positions `start..end` (`levels` from
/// [`levels_of_difference`]): the runs between the positions with the smallest level of
/// difference, at most four; `None` when all its keys are equal (a leaf at the last
/// level). Levels where every key falls in one quadrant get no node of their own.
fn children(levels: &[u8], start: usize, end: usize) -> Option<Vec<(usize, usize)>> {
    let inner = &levels[start + 1..end];
    let level = inner.iter().copied().min().unwrap_or(16);
    if level >= 16 {
        return None;
    }
    let mut ranges = Vec::with_capacity(4);
    let mut at = start;
    while let Some(k) = memchr::memchr(level, &levels[at + 1..end]) {
        ranges.push((at, at + 1 + k));
        at += 1 + k;
    }
    ranges.push((at, end));
    Some(ranges)
}

/// Splits `blocks[node]` and computes its cap; returns its box.
fn split(blocks: &mut Vec<Block>, node: usize, levels: &[u8], lonlat: &[(f64, f64)]) -> LonLatBox {
    let (start, end) = (blocks[node].start as usize, blocks[node].end as usize);
    let ranges = if end - start <= LEAF {
        None
    } else {
        children(levels, start, end)
    };
    let bbox = match ranges {
        None => box_of(&lonlat[start..end]),
        Some(ranges) => {
            let first = blocks.len();
            blocks.extend(ranges.iter().map(|&(s, e)| Block::new(s as u32, e as u32)));
            let bbox = (first..first + ranges.len())
                .fold(EMPTY_BOX, |u, c| union(u, split(blocks, c, levels, lonlat)));
            blocks[node].first_child = first as u32;
            blocks[node].children = ranges.len() as u32;
            bbox
        }
    };
    (blocks[node].centre, blocks[node].radius_m) = cap_of_box(bbox);
    bbox
}

/// Covering searches over the blocks below one node of the quadtree (a run of the
/// visiting order), one sector after another: the unit vectors of the points of a leaf
/// left undecided are computed once and kept for the next sectors.
pub struct Search<'a> {
    blocks: &'a [Block],
    lonlat: &'a [(f64, f64)],
    scratch: &'a mut Scratch,
}

/// The working memory of a [`Search`], kept between searches (a thread reuses one
/// instead of faulting in fresh pages for every run of the curve it tests).
#[derive(Default)]
pub struct Scratch {
    /// Candidate lists per depth of the descent.
    lists: Vec<Vec<(f64, u32)>>,
    /// Great-circle distances from a leaf's centre to its candidates.
    far: Vec<f64>,
    /// Unit vectors of the points of the leaves tested so far, leaf after leaf.
    vectors: Vec<[f64; 3]>,
    /// Per leaf tested so far (in the visiting order): its first position and where its
    /// vectors begin.
    leaves: Vec<(u32, u32)>,
}

/// One sector's test during a [`Search::run`].
struct Test<'a> {
    sites: &'a CoordIndex,
    reach: Reach,
    /// Great-circle radii that surely cover (`S_in`) and surely miss (`S_out`).
    sure_in_m: f64,
    sure_out_m: f64,
    /// The facility that covered the last block or point.
    hint: Option<u32>,
    /// The bit this test sets for a covered point.
    bit: u16,
}

impl Test<'_> {
    /// Squared chord within which a facility covers every point of a cap of `radius_m`
    /// (negative when none can).
    fn whole_in(&self, radius_m: f64) -> f64 {
        if self.sure_in_m > radius_m {
            chord2_from_sphere_m(self.sure_in_m - radius_m)
        } else {
            -1.0
        }
    }
}

impl<'a> Search<'a> {
    /// A search over `blocks` (`lonlat` in their order), in `scratch` (emptied here).
    pub fn new(blocks: &'a [Block], lonlat: &'a [(f64, f64)], scratch: &'a mut Scratch) -> Self {
        scratch.vectors.clear();
        scratch.leaves.clear();
        Self {
            blocks,
            lonlat,
            scratch,
        }
    }

    /// Decides, for "geodesic distance ≤ `radius_m` from some point of `sites`", every
    /// point of block `node`: sets `bit` in `out[k]` (order position
    /// `blocks[node].start + k`) for each point covered. The vectors kept for the next
    /// sectors are those of `node`'s leaves: one search serves one node.
    pub fn run(
        &mut self,
        sites: &CoordIndex,
        radius_m: f64,
        node: usize,
        out: &mut [u16],
        bit: u16,
    ) {
        let mut test = Test {
            sites,
            reach: Reach::new(radius_m),
            sure_in_m: radius_m / GEODESIC_OVER_SPHERE_MAX,
            sure_out_m: radius_m / GEODESIC_OVER_SPHERE_MIN,
            hint: None,
            bit,
        };
        let start = self.blocks[node].start as usize;
        self.visit(&mut test, node, 0, false, start, out);
    }

    /// `depth` is the first free candidate list; `listed` says whether `lists[depth - 1]`
    /// holds the parent's candidates.
    fn visit(
        &mut self,
        t: &mut Test<'_>,
        node: usize,
        depth: usize,
        listed: bool,
        base: usize,
        out: &mut [u16],
    ) {
        let b = self.blocks[node];
        let range = b.start as usize - base..b.end as usize - base;
        let whole_in = t.whole_in(b.radius_m);
        if let Some(h) = t.hint
            && chord2(&b.centre, t.sites.vector(h)) <= whole_in
        {
            out[range].iter_mut().for_each(|o| *o |= t.bit);
            return;
        }
        let may_reach = chord2_from_sphere_m(t.sure_out_m + b.radius_m);
        if !listed && b.children > 0 && b.radius_m > t.sure_out_m * QUERY_FRACTION {
            // Too wide for a short candidate list: decide the children one by one.
            for c in b.first_child..b.first_child + b.children {
                self.visit(t, c as usize, depth, false, base, out);
            }
            return;
        }
        let lists = &mut self.scratch.lists;
        if lists.len() <= depth {
            lists.resize_with(depth + 1, Vec::new);
        }
        let (parents, rest) = lists.split_at_mut(depth);
        let list = &mut rest[0];
        list.clear();
        let centre = b.centre;
        let sites = t.sites;
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
            sites.within_chord2_until(&centre, may_reach, |f, d2| {
                if d2 <= whole_in {
                    covering = Some(f);
                    return true;
                }
                list.push((d2, f));
                false
            });
            covering
        };
        if covering.is_some() {
            t.hint = covering;
            out[range].iter_mut().for_each(|o| *o |= t.bit);
            return;
        }
        if list.is_empty() {
            return;
        }
        if b.children == 0 {
            self.leaf(t, b, depth, &mut out[range]);
            return;
        }
        for c in b.first_child..b.first_child + b.children {
            self.visit(t, c as usize, depth + 1, true, base, out);
        }
    }

    /// Each point of leaf `b` against the candidates in `lists[depth]`.
    fn leaf(&mut self, t: &mut Test<'_>, b: Block, depth: usize, out: &mut [u16]) {
        let (start, end) = (b.start as usize, b.end as usize);
        let Scratch {
            lists,
            far,
            vectors,
            leaves,
        } = &mut *self.scratch;
        // Leaves come in the visiting order, so a new one mostly goes at the end.
        let first = match leaves.binary_search_by_key(&b.start, |&(s, _)| s) {
            Ok(k) => leaves[k].1 as usize,
            Err(k) => {
                leaves.insert(k, (b.start, vectors.len() as u32));
                let at = vectors.len();
                vectors.extend(
                    self.lonlat[start..end]
                        .iter()
                        .map(|&(lon, lat)| crate::spatial::geodesy::unit_vector(lon, lat)),
                );
                at
            }
        };
        let list = &mut lists[depth];
        // A long list is pruned per point: sorted nearest to the centre first, with
        // great-circle distances to the centre, a point at `r_p` from the centre is
        // beyond `S_out` of every candidate from the first with `d − r_p > S_out` on.
        let prune = list.len() > PRUNE_FROM;
        if prune {
            list.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            far.clear();
            far.extend(list.iter().map(|&(d2, _)| sphere_m_from_chord2(d2)));
        }
        let list = &lists[depth];
        let (sure_in, sure_out) = (t.reach.sure_in, t.reach.sure_out);
        let vectors = &vectors[first..first + end - start];
        for (k, q) in vectors.iter().enumerate() {
            if let Some(h) = t.hint
                && chord2(q, t.sites.vector(h)) <= sure_in
            {
                out[k] |= t.bit;
                continue;
            }
            let candidates = if prune {
                let reach = t.sure_out_m + sphere_m_from_chord2(chord2(q, &b.centre));
                &list[..far.partition_point(|&d| d <= reach)]
            } else {
                &list[..]
            };
            let mut band = false;
            let mut found = None;
            for &(_, f) in candidates {
                let d2 = chord2(q, t.sites.vector(f));
                if d2 <= sure_in {
                    found = Some(f);
                    break;
                }
                band |= d2 <= sure_out;
            }
            if found.is_none() && band {
                // Within the ambiguity band of some candidate: the exact geodesic.
                let (lon, lat) = self.lonlat[start + k];
                found = candidates.iter().map(|&(_, f)| f).find(|&f| {
                    chord2(q, t.sites.vector(f)) <= sure_out && {
                        let (flon, flat) = t.sites.lonlat(f);
                        geodesic_m(lon, lat, flon, flat) <= t.reach.radius_m
                    }
                });
            }
            if found.is_some() {
                t.hint = found;
                out[k] |= t.bit;
            }
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
    fn a_box_cap_holds_every_point_of_its_box() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut tightest = f64::INFINITY;
        for case in 0..3_000 {
            // Boxes from a metre to 180° wide, anywhere, up to the poles.
            let width = 10f64.powf(rng.random_range(-5.0..2.26)).min(180.0);
            let height = 10f64.powf(rng.random_range(-5.0..2.0)).min(180.0);
            let west = rng.random_range(-180.0..180.0 - width);
            let south = rng.random_range(-90.0..90.0 - height);
            let bbox = [west, west + width, south, south + height];
            let (centre, radius_m) = cap_of_box(bbox);
            // The corners, the edges' midpoints and random points inside.
            let mut points = vec![
                (bbox[0], bbox[2]),
                (bbox[1], bbox[2]),
                (bbox[0], bbox[3]),
                (bbox[1], bbox[3]),
                (west + width / 2.0, bbox[2]),
                (west + width / 2.0, bbox[3]),
                (bbox[0], south + height / 2.0),
            ];
            points.extend((0..50).map(|_| {
                (
                    rng.random_range(bbox[0]..=bbox[1]),
                    rng.random_range(bbox[2]..=bbox[3]),
                )
            }));
            let mut farthest = 0.0f64;
            for (lon, lat) in points {
                let v = crate::spatial::geodesy::unit_vector(lon, lat);
                let d = sphere_m_from_chord2(chord2(&centre, &v));
                assert!(d <= radius_m, "case {case}: {d} > {radius_m} for {bbox:?}");
                farthest = farthest.max(d);
            }
            // Every cap is tight: a corner lies within the margin of the rim.
            let slack = radius_m - farthest;
            assert!(
                slack <= 2.0 * MARGIN_M,
                "case {case}: slack {slack} for {bbox:?}"
            );
            tightest = tightest.min(slack);
        }
        assert!(tightest >= MARGIN_M / 2.0, "the margin kept: {tightest}");
    }

    #[test]
    fn children_are_the_quadrants_at_the_first_level_where_keys_differ() {
        // Clustered points (deep nodes), duplicates (leaves at the last level) and spread.
        let points: Vec<(f64, f64)> = (0..40_000u32)
            .map(|i| {
                let (a, b) = (
                    f64::from(i * 7_919 % 10_007),
                    f64::from(i * 104_729 % 9_973),
                );
                match i % 3 {
                    0 => (46.0 + a / 240.0, 35.0 + b / 480.0),
                    1 => (69.2 + a / 1e6, 41.3 + b / 1e6),
                    _ => (76.9, 43.2),
                }
            })
            .collect();
        let sorted = super::super::SortedPoints::new(&points);
        let keys: Vec<u32> = sorted.keyed.iter().map(|&k| (k >> 32) as u32).collect();
        let blocks = build_with(&sorted.keyed, &sorted.lonlat, 1, 0);
        let quadrant = |key: u32, level: u32| key >> (30 - 2 * level) & 3;
        let mut stack = vec![0usize];
        let mut leaves = 0;
        while let Some(node) = stack.pop() {
            let b = blocks[node];
            let (start, end) = (b.start as usize, b.end as usize);
            let run = &keys[start..end];
            // The first level at which the node's keys differ, by brute force.
            let level =
                (0..16).find(|&l| run.iter().any(|&k| quadrant(k, l) != quadrant(run[0], l)));
            if b.children == 0 {
                assert!(
                    run.len() <= LEAF || level.is_none(),
                    "leaf {node}: {} points",
                    run.len()
                );
                leaves += run.len();
                continue;
            }
            let level = level.expect("an inner node's keys differ");
            assert!(run.len() > LEAF);
            let mut at = start;
            for c in b.first_child..b.first_child + b.children {
                let child = blocks[c as usize];
                assert_eq!(child.start as usize, at, "children in order, contiguous");
                let q = quadrant(keys[at], level);
                assert!(
                    keys[at..child.end as usize]
                        .iter()
                        .all(|&k| quadrant(k, level) == q)
                );
                if c > b.first_child {
                    assert!(quadrant(keys[at - 1], level) < q, "a new quadrant");
                }
                at = child.end as usize;
                stack.push(c as usize);
            }
            assert_eq!(at, end);
        }
        assert_eq!(leaves, points.len(), "the leaves cover every point once");
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
        let (keyed, lonlat) = (&sorted.keyed, &sorted.lonlat);
        let mut one = Vec::new();
        shape(&build_with(keyed, lonlat, 1, 0), 0, &mut one);
        for threads in [2, 3, 8] {
            let blocks = build_with(keyed, lonlat, threads, 32_768);
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
