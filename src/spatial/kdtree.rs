//! The k-d tree under every point search: 3-D unit vectors laid out in one array (no
//! pointers: 29 bytes a point), whose candidates come out in chord (great-circle) order.
//! [`crate::spatial::points`] turns those candidates into exact geodesic answers.

use crate::spatial::geodesy::{
    GEODESIC_OVER_SPHERE_MAX, GEODESIC_OVER_SPHERE_MIN, GeoPoint, chord2_from_sphere_m,
    geodesic_lower_bound, sphere_m_from_chord2, unit_vector,
};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Squared chord length between unit vectors.
pub fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

/// A point can be geodesically nearer than the sphere-nearest point only if its squared
/// chord is within this factor of the sphere-nearest's: its geodesic is at least
/// `MIN ×` its sphere distance, the sphere-nearest's at most `MAX ×` its own, and a
/// chord grows at most in proportion to its arc. Padded by 1e-9 for rounding.
const RIVAL_CHORD2: f64 = (GEODESIC_OVER_SPHERE_MAX / GEODESIC_OVER_SPHERE_MIN)
    * (GEODESIC_OVER_SPHERE_MAX / GEODESIC_OVER_SPHERE_MIN)
    * (1.0 + 1e-9);

/// Ranges this small are scanned rather than split.
const LEAF: usize = 8;

/// A range search in a [`KdTree`]: every slot within squared chord `r2` of `q`.
struct RangeQuery<'q> {
    q: &'q [f64; 3],
    r2: f64,
    /// The squared distance beyond which a cell is skipped: `r2` with slack far above
    /// rounding (it may only make the search visit more).
    skip_beyond: f64,
    /// Per axis, how far `q` lies outside the cell being visited (0 inside its slab).
    offset: [f64; 3],
}

/// A k-d tree over unit vectors in one array: the range `lo..hi` is a node whose
/// splitting point sits at its middle (split on `dims[mid]`: every point left of it
/// is ≤ on that axis, every point right of it ≥), its halves are the children; ranges
/// of at most [`LEAF`] points are leaves.
pub struct KdTree {
    /// Vectors in tree order.
    pub(crate) vectors: Vec<[f64; 3]>,
    /// Input position of the point in each slot.
    pub(crate) ids: Vec<u32>,
    /// Splitting axis of the node whose middle is this slot.
    pub(crate) dims: Vec<u8>,
}

/// A heap entry of the incremental search: a subtree with a lower bound, or a point.
#[derive(Debug, Clone, Copy)]
struct Pending {
    d2: f64,
    lo: u32,
    /// `u32::MAX` for a point (slot `lo`).
    hi: u32,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    /// Reversed, so that `BinaryHeap` pops the nearest first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.d2.total_cmp(&self.d2)
    }
}

impl KdTree {
    /// The tree of `(vector, id)` items.
    pub fn new(mut items: Vec<([f64; 3], u32)>) -> Self {
        let mut dims = vec![0u8; items.len()];
        Self::split(&mut items, &mut dims);
        let ids = items.iter().map(|(_, i)| *i).collect();
        // Collected in place (no second buffer), then the spare tail is given back.
        let mut vectors: Vec<[f64; 3]> = items.into_iter().map(|(v, _)| v).collect();
        vectors.shrink_to_fit();
        Self { vectors, ids, dims }
    }

    /// Bytes held on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.vectors.capacity() * 24 + self.ids.capacity() * 4 + self.dims.capacity()
    }

    /// The `k` nearest ids passing `accept` by exact geodesic distance (the prepared
    /// point in a slot from `point`), ties ordered by `tie`; nearest first.
    pub fn nearest_exact(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        point: impl Fn(u32) -> GeoPoint,
        accept: impl Fn(u32) -> bool,
        tie: impl Fn(u32, u32) -> Ordering,
    ) -> Vec<(f64, u32)> {
        let mut best: Vec<(f64, u32)> = Vec::with_capacity(k + 1);
        if k == 0 {
            return best;
        }
        let from = GeoPoint::new(lon, lat);
        let geodesic = |slot: u32| from.distance_m(&point(slot));
        let q = unit_vector(lon, lat);
        let rank = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then_with(|| tie(a.1, b.1));
        // Fast path for the single nearest (when the sphere-nearest point is accepted).
        if k == 1
            && let Some((d, id)) = self.nearest_one(
                &from,
                &q,
                &mut NearestCursor::default(),
                &point,
                &accept,
                &tie,
            )
        {
            best.push((d, id));
            return best;
        }
        for (slot, d2) in self.nearest_iter(&q) {
            if best.len() == k && geodesic_lower_bound(sphere_m_from_chord2(d2)) > best[k - 1].0 {
                break;
            }
            let id = self.ids[slot as usize];
            if !accept(id) {
                continue;
            }
            let item = (geodesic(slot), id);
            let at = best.partition_point(|x| rank(x, &item).is_lt());
            if at < k {
                best.insert(at, item);
                best.truncate(k);
            }
        }
        best
    }

    /// The exact geodesic nearest `(distance, id)` passing `accept`, provided the
    /// sphere-nearest point passes it (otherwise `None`, and the caller searches
    /// incrementally). The sphere-nearest point's geodesic bounds the answer, so only
    /// its rivals (see [`KdTree::nearest_with_rivals`]) within that bound on the sphere
    /// get a geodesic of their own. `cursor` carries what the previous query in
    /// spatial order leaves behind.
    pub fn nearest_one(
        &self,
        from: &GeoPoint,
        q: &[f64; 3],
        cursor: &mut NearestCursor,
        point: &impl Fn(u32) -> GeoPoint,
        accept: &impl Fn(u32) -> bool,
        tie: &impl Fn(u32, u32) -> Ordering,
    ) -> Option<(f64, u32)> {
        let (slot, self_d2) = self.nearest_with_rivals(q, cursor)?;
        let scratch = &cursor.scratch;
        let first = self.ids[slot as usize];
        if !accept(first) {
            return None;
        }
        let geodesic = |slot: u32| from.distance_m(&point(slot));
        let mut winner = (geodesic(slot), first, slot);
        // Usually no rival is left: then the bound below (a sine) is never needed.
        let near = RIVAL_CHORD2 * self_d2;
        let mut reach = None;
        for &(s, d2) in scratch.iter() {
            if s == slot || d2 > near {
                continue;
            }
            let reach = *reach
                .get_or_insert_with(|| chord2_from_sphere_m(winner.0 / GEODESIC_OVER_SPHERE_MIN));
            if d2 > reach {
                continue;
            }
            let id = self.ids[s as usize];
            if !accept(id) {
                continue;
            }
            let d = geodesic(s);
            if d.total_cmp(&winner.0)
                .then_with(|| tie(id, winner.1))
                .is_lt()
            {
                winner = (d, id, s);
            }
        }
        cursor.hint = Some(winner.2);
        Some((winner.0, winner.1))
    }

    /// Every id passing `accept` within `radius_m` (geodesic, inclusive), nearest first,
    /// ties ordered by `tie`.
    pub fn within_exact(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        point: impl Fn(u32) -> GeoPoint,
        accept: impl Fn(u32) -> bool,
        tie: impl Fn(u32, u32) -> Ordering,
    ) -> Vec<(f64, u32)> {
        let from = GeoPoint::new(lon, lat);
        let q = unit_vector(lon, lat);
        let reach = Reach::new(radius_m);
        let mut found: Vec<(f64, u32)> = Vec::new();
        self.within(&q, reach.sure_out, &mut |s, _| {
            let id = self.ids[s as usize];
            if accept(id) {
                let d = from.distance_m(&point(s));
                if d <= radius_m {
                    found.push((d, id));
                }
            }
        });
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| tie(a.1, b.1)));
        found
    }

    /// Orders `items` into a subtree (splitting on the widest axis).
    fn split(items: &mut [([f64; 3], u32)], dims: &mut [u8]) {
        if items.len() <= LEAF {
            return;
        }
        let (mut min, mut max) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
        for (v, _) in items.iter() {
            for d in 0..3 {
                min[d] = min[d].min(v[d]);
                max[d] = max[d].max(v[d]);
            }
        }
        let dim = (0..3)
            .max_by(|&a, &b| (max[a] - min[a]).total_cmp(&(max[b] - min[b])))
            .unwrap_or(0);
        let mid = items.len() / 2;
        items.select_nth_unstable_by(mid, |a, b| a.0[dim].total_cmp(&b.0[dim]));
        dims[mid] = dim as u8;
        let (left, rest) = items.split_at_mut(mid);
        let (left_dims, rest_dims) = dims.split_at_mut(mid);
        Self::split(left, left_dims);
        Self::split(&mut rest[1..], &mut rest_dims[1..]);
    }

    /// The slot nearest to `q` and its squared chord.
    pub fn nearest(&self, q: &[f64; 3]) -> Option<(u32, f64)> {
        let mut best = (u32::MAX, f64::INFINITY);
        self.nearest_in(0, self.vectors.len(), q, &mut best);
        (best.0 != u32::MAX).then_some(best)
    }

    fn nearest_in(&self, lo: usize, hi: usize, q: &[f64; 3], best: &mut (u32, f64)) {
        if hi - lo <= LEAF {
            for s in lo..hi {
                let d2 = chord2(q, &self.vectors[s]);
                if d2 < best.1 {
                    *best = (s as u32, d2);
                }
            }
            return;
        }
        let mid = lo + (hi - lo) / 2;
        let d2 = chord2(q, &self.vectors[mid]);
        if d2 < best.1 {
            *best = (mid as u32, d2);
        }
        let dim = self.dims[mid] as usize;
        let diff = q[dim] - self.vectors[mid][dim];
        let (near, far) = if diff < 0.0 {
            ((lo, mid), (mid + 1, hi))
        } else {
            ((mid + 1, hi), (lo, mid))
        };
        self.nearest_in(near.0, near.1, q, best);
        if diff * diff < best.1 {
            self.nearest_in(far.0, far.1, q, best);
        }
    }

    /// The sphere-nearest slot to `q` and its squared chord, in one descent that also
    /// pushes to `cursor.scratch` every slot whose squared chord is within
    /// [`RIVAL_CHORD2`] times the nearest's (with others, farther, pushed before the
    /// nearest was known: the caller filters).
    ///
    /// The search starts below the root when it can: a first descent to `q`'s leaf
    /// notes how far `q` lies from each splitting plane on the way; the points of that
    /// leaf and the cursor's previous answer (`hint`) bound the nearest, and so the
    /// ball of its possible rivals around `q`. The search starts at the deepest node
    /// on the way whose box (the splits above it) holds that ball, with a margin: the
    /// bounding point lies in the ball, so the nearest and all its rivals lie in that
    /// node's subtree.
    pub fn nearest_with_rivals(
        &self,
        q: &[f64; 3],
        cursor: &mut NearestCursor,
    ) -> Option<(u32, f64)> {
        cursor.scratch.clear();
        let mut best = match cursor.hint {
            Some(s) if (s as usize) < self.vectors.len() => {
                (s, chord2(q, &self.vectors[s as usize]))
            }
            _ => (u32::MAX, f64::INFINITY),
        };
        // The way down: each node's range and q's distance to its splitting plane.
        let path = &mut cursor.path;
        path.clear();
        let (mut lo, mut hi) = (0, self.vectors.len());
        while hi - lo > LEAF {
            let mid = lo + (hi - lo) / 2;
            let dim = self.dims[mid] as usize;
            let diff = q[dim] - self.vectors[mid][dim];
            path.push((lo as u32, hi as u32, diff.abs()));
            (lo, hi) = if diff < 0.0 { (lo, mid) } else { (mid + 1, hi) };
        }
        for s in lo..hi {
            let d2 = chord2(q, &self.vectors[s]);
            if d2 < best.1 {
                best = (s as u32, d2);
            }
        }
        // The ball of rivals, padded far beyond rounding; the first plane it reaches.
        let r = (RIVAL_CHORD2 * best.1).sqrt() * (1.0 + 1e-9) + 1e-12;
        let (start_lo, start_hi) = path
            .iter()
            .find(|&&(_, _, plane)| plane <= r)
            .map_or((lo, hi), |&(lo, hi, _)| (lo as usize, hi as usize));
        self.rivals_in(start_lo, start_hi, q, &mut best, &mut cursor.scratch);
        (best.0 != u32::MAX).then_some(best)
    }

    /// A subtree of [`KdTree::nearest_with_rivals`]. A subtree is skipped only when its
    /// splitting plane lies beyond the rival bound of the current best; the final best
    /// is no farther, so every final rival is visited, and pushed (its chord is within
    /// the bound of the best at that time, which is no nearer than the final one).
    fn rivals_in(
        &self,
        lo: usize,
        hi: usize,
        q: &[f64; 3],
        best: &mut (u32, f64),
        rivals: &mut Vec<(u32, f64)>,
    ) {
        let mut visit = |s: usize, best: &mut (u32, f64)| {
            let d2 = chord2(q, &self.vectors[s]);
            if d2 <= RIVAL_CHORD2 * best.1 {
                rivals.push((s as u32, d2));
                if d2 < best.1 {
                    *best = (s as u32, d2);
                }
            }
        };
        if hi - lo <= LEAF {
            for s in lo..hi {
                visit(s, best);
            }
            return;
        }
        let mid = lo + (hi - lo) / 2;
        visit(mid, best);
        let dim = self.dims[mid] as usize;
        let diff = q[dim] - self.vectors[mid][dim];
        let (near, far) = if diff < 0.0 {
            ((lo, mid), (mid + 1, hi))
        } else {
            ((mid + 1, hi), (lo, mid))
        };
        self.rivals_in(near.0, near.1, q, best, rivals);
        if diff * diff <= RIVAL_CHORD2 * best.1 {
            self.rivals_in(far.0, far.1, q, best, rivals);
        }
    }

    /// Calls `found` with every slot within squared chord `r2` of `q` (inclusive).
    pub fn within(&self, q: &[f64; 3], r2: f64, found: &mut impl FnMut(u32, f64)) {
        self.within_until(q, r2, &mut |s, d2| {
            found(s, d2);
            false
        });
    }

    /// Calls `found(slot, squared chord)` with the slots within squared chord `r2` of
    /// `q` (inclusive), nearer side of each split first, until it returns `true`;
    /// returns whether it did.
    pub fn within_until(
        &self,
        q: &[f64; 3],
        r2: f64,
        found: &mut impl FnMut(u32, f64) -> bool,
    ) -> bool {
        let mut query = RangeQuery {
            q,
            r2,
            skip_beyond: r2 * (1.0 + 1e-9),
            offset: [0.0; 3],
        };
        self.until_in(0, self.vectors.len(), &mut query, 0.0, found)
    }

    /// [`KdTree::within_until`] over slots `lo..hi`, whose cell lies at squared distance
    /// at least `cell_d2` from the query point (the squares of `query.offset` summed).
    /// A far side is skipped when its cell is out of reach on the three axes together,
    /// not only on the axis of the split.
    fn until_in(
        &self,
        lo: usize,
        hi: usize,
        query: &mut RangeQuery<'_>,
        cell_d2: f64,
        found: &mut impl FnMut(u32, f64) -> bool,
    ) -> bool {
        let (q, r2) = (query.q, query.r2);
        if hi - lo <= LEAF {
            return (lo..hi).any(|s| {
                let d2 = chord2(q, &self.vectors[s]);
                d2 <= r2 && found(s as u32, d2)
            });
        }
        let mid = lo + (hi - lo) / 2;
        let d2 = chord2(q, &self.vectors[mid]);
        if d2 <= r2 && found(mid as u32, d2) {
            return true;
        }
        let dim = self.dims[mid] as usize;
        let diff = q[dim] - self.vectors[mid][dim];
        // The side holding `q` first: a covering point is likelier there.
        let (near, far) = if diff <= 0.0 {
            ((lo, mid), (mid + 1, hi))
        } else {
            ((mid + 1, hi), (lo, mid))
        };
        if self.until_in(near.0, near.1, query, cell_d2, found) {
            return true;
        }
        // The far side's cell: `q` lies at least `|diff|` outside it on this axis (and
        // was at most that far outside the parent's cell on it).
        let before = query.offset[dim];
        let far_d2 = cell_d2 - before * before + diff * diff;
        if far_d2 > query.skip_beyond {
            return false;
        }
        query.offset[dim] = diff;
        let hit = self.until_in(far.0, far.1, query, far_d2, found);
        query.offset[dim] = before;
        hit
    }

    /// Every slot in order of squared chord from `q`, lazily (best-first search).
    pub fn nearest_iter<'a>(&'a self, q: &'a [f64; 3]) -> impl Iterator<Item = (u32, f64)> + 'a {
        let mut heap = BinaryHeap::with_capacity(64);
        if !self.vectors.is_empty() {
            heap.push(Pending {
                d2: 0.0,
                lo: 0,
                hi: self.vectors.len() as u32,
            });
        }
        std::iter::from_fn(move || {
            while let Some(next) = heap.pop() {
                if next.hi == u32::MAX {
                    return Some((next.lo, next.d2));
                }
                let (lo, hi) = (next.lo as usize, next.hi as usize);
                let point = |s: usize| Pending {
                    d2: chord2(q, &self.vectors[s]),
                    lo: s as u32,
                    hi: u32::MAX,
                };
                if hi - lo <= LEAF {
                    heap.extend((lo..hi).map(point));
                    continue;
                }
                let mid = lo + (hi - lo) / 2;
                heap.push(point(mid));
                let dim = self.dims[mid] as usize;
                let diff = q[dim] - self.vectors[mid][dim];
                let far_bound = next.d2.max(diff * diff);
                let (left, right) = if diff < 0.0 {
                    (next.d2, far_bound)
                } else {
                    (far_bound, next.d2)
                };
                for (lo, hi, d2) in [(lo, mid, left), (mid + 1, hi, right)] {
                    if hi > lo {
                        heap.push(Pending {
                            d2,
                            lo: lo as u32,
                            hi: hi as u32,
                        });
                    }
                }
            }
            None
        })
    }
}

/// State carried between single-nearest queries made in spatial order (see
/// [`CoordIndex::nearest_from`]): the previous answer, which bounds the next search
/// from its start, and reusable buffers.
#[derive(Debug, Default)]
pub struct NearestCursor {
    hint: Option<u32>,
    path: Vec<(u32, u32, f64)>,
    scratch: Vec<(u32, f64)>,
}

/// A radius test prepared once for many queries.
#[derive(Debug, Clone, Copy)]
pub struct Reach {
    /// The radius, metres (inclusive).
    pub radius_m: f64,
    /// Squared chord under which every point is surely within the radius.
    pub sure_in: f64,
    /// Squared chord over which every point is surely outside the radius.
    pub sure_out: f64,
}

impl Reach {
    /// Prepares the test "geodesic distance ≤ `radius_m`".
    pub fn new(radius_m: f64) -> Self {
        Self {
            radius_m,
            sure_in: chord2_from_sphere_m(radius_m / GEODESIC_OVER_SPHERE_MAX),
            sure_out: chord2_from_sphere_m(radius_m / GEODESIC_OVER_SPHERE_MIN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// A tree over `vectors`, each with its index as id.
    fn tree_of(vectors: &[[f64; 3]]) -> KdTree {
        KdTree::new(
            vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (*v, i as u32))
                .collect(),
        )
    }

    /// The ids the tree's range search finds within `r2` of `q`, ascending.
    fn ids_within(tree: &KdTree, q: &[f64; 3], r2: f64) -> Vec<u32> {
        let mut found = Vec::new();
        tree.within(q, r2, &mut |s, _| found.push(tree.ids[s as usize]));
        found.sort_unstable();
        found
    }

    /// The tree's three searches equal exhaustive scans of the squared chords.
    #[test]
    fn kd_tree_searches_equal_exhaustive_scans() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for n in [0usize, 1, 7, 8, 9, 100, 2_000] {
            // Clustered points with duplicates, as real facilities are.
            let mut vectors: Vec<[f64; 3]> = (0..n)
                .map(|_| unit_vector(rng.random_range(60.0..62.0), rng.random_range(40.0..41.0)))
                .collect();
            if n > 10 {
                vectors[5] = vectors[4];
            }
            let tree = tree_of(&vectors);
            for _ in 0..50 {
                let q = unit_vector(rng.random_range(55.0..67.0), rng.random_range(35.0..46.0));
                let mut all: Vec<(f64, u32)> = vectors
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (chord2(&q, v), i as u32))
                    .collect();
                all.sort_by(|a, b| a.0.total_cmp(&b.0));
                let nearest = tree.nearest(&q);
                assert_eq!(nearest.map(|n| n.1), all.first().map(|a| a.0));
                let ordered: Vec<f64> = tree.nearest_iter(&q).map(|(_, d2)| d2).collect();
                assert_eq!(ordered, all.iter().map(|a| a.0).collect::<Vec<_>>());
                // Radii exactly at a point's squared chord (inclusive), from none to all.
                for k in [0, n / 10, n / 3, n.saturating_sub(1)] {
                    let r2 = all.get(k).map_or(0.1, |a| a.0);
                    let found = ids_within(&tree, &q, r2);
                    let mut expected: Vec<u32> =
                        all.iter().filter(|a| a.0 <= r2).map(|a| a.1).collect();
                    expected.sort_unstable();
                    assert_eq!(found, expected);
                }
            }
        }
    }

    /// Range searches prune cells by their distance on all three axes at once: still
    /// every point within the radius, for points all over the sphere and any radius.
    #[test]
    fn range_searches_over_the_whole_sphere_find_every_point_in_reach() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let vectors: Vec<[f64; 3]> = (0..3_000)
            .map(|_| {
                unit_vector(
                    rng.random_range(-180.0..180.0),
                    rng.random_range(-90.0..90.0),
                )
            })
            .collect();
        let tree = tree_of(&vectors);
        for _ in 0..200 {
            let q = unit_vector(
                rng.random_range(-180.0..180.0),
                rng.random_range(-90.0..90.0),
            );
            let r2: f64 = rng.random_range(0.0..4.0f64).powi(3) / 16.0;
            let found = ids_within(&tree, &q, r2);
            let expected: Vec<u32> = (0..vectors.len() as u32)
                .filter(|&i| chord2(&q, &vectors[i as usize]) <= r2)
                .collect();
            assert_eq!(found, expected, "r2 {r2}");
        }
    }
}
