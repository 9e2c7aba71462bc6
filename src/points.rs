//! `PointIndex`: exact WGS84 geodesic search over a set of points, the engine under the
//! facility index and the coverage analysis.
//!
//! Points are kept as 3-D unit vectors in an R*-tree. Candidates come out in chord
//! (great-circle) order; since geodesic / great-circle distance lies in
//! [`GEODESIC_OVER_SPHERE_MIN`, `GEODESIC_OVER_SPHERE_MAX`], a candidate's sphere
//! distance bounds its geodesic, so a search stops as soon as no later candidate can
//! beat what was found, and a radius test is decided without any geodesic for all but
//! the points near the boundary. Answers equal an exhaustive geodesic scan anywhere on
//! Earth (antimeridian and poles included).

use crate::geodesy::{
    GEODESIC_OVER_SPHERE_MAX, GEODESIC_OVER_SPHERE_MIN, chord2_from_sphere_m, geodesic_lower_bound,
    geodesic_m, sphere_m_from_chord2, unit_vector,
};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::cmp::Ordering;

type Entry = GeomWithData<[f64; 3], u32>;

/// Squared chord length between unit vectors.
pub fn chord2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)
}

/// Points that covered recent queries, most recent first (see [`PointIndex::covers`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints([Option<u32>; 4]);

impl Hints {
    fn remember(&mut self, point: u32) {
        self.0.rotate_right(1);
        self.0[0] = Some(point);
    }
}

/// A set of WGS84 points, each identified by its position in the input.
pub struct PointIndex {
    tree: RTree<Entry>,
    lonlat: Vec<(f64, f64)>,
    vectors: Vec<[f64; 3]>,
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

impl PointIndex {
    /// Indexes `points` (longitude, latitude in degrees).
    pub fn new(points: Vec<(f64, f64)>) -> Self {
        let vectors: Vec<[f64; 3]> = points
            .iter()
            .map(|&(lon, lat)| unit_vector(lon, lat))
            .collect();
        let entries = vectors
            .iter()
            .enumerate()
            .map(|(i, v)| GeomWithData::new(*v, i as u32))
            .collect();
        Self {
            tree: RTree::bulk_load(entries),
            lonlat: points,
            vectors,
        }
    }

    /// How many points.
    pub fn len(&self) -> usize {
        self.lonlat.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.lonlat.is_empty()
    }

    /// Longitude and latitude of point `i`.
    pub fn lonlat(&self, i: u32) -> (f64, f64) {
        self.lonlat[i as usize]
    }

    /// Unit vector of point `i`.
    pub fn vector(&self, i: u32) -> &[f64; 3] {
        &self.vectors[i as usize]
    }

    /// The points whose squared chord to unit vector `q` is at most `chord2`, in no
    /// particular order.
    pub fn within_chord2(&self, q: &[f64; 3], chord2: f64) -> impl Iterator<Item = u32> + '_ {
        self.tree.locate_within_distance(*q, chord2).map(|e| e.data)
    }

    /// Exact geodesic distance from `(lon, lat)` to point `i`.
    pub fn geodesic_to(&self, lon: f64, lat: f64, i: u32) -> f64 {
        let (plon, plat) = self.lonlat[i as usize];
        geodesic_m(lon, lat, plon, plat)
    }

    /// The `k` nearest points passing `accept`, by exact geodesic distance, ties
    /// ordered by `tie`; nearest first as `(distance_m, point)`.
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        accept: impl Fn(u32) -> bool,
        tie: impl Fn(u32, u32) -> Ordering,
    ) -> Vec<(f64, u32)> {
        let mut best: Vec<(f64, u32)> = Vec::with_capacity(k + 1);
        if k == 0 {
            return best;
        }
        let q = unit_vector(lon, lat);
        let rank = |a: &(f64, u32), b: &(f64, u32)| a.0.total_cmp(&b.0).then_with(|| tie(a.1, b.1));
        // Fast path for the single nearest: the sphere-nearest point's geodesic bounds
        // the answer, and only points within that bound on the sphere can beat it.
        if k == 1
            && let Some(first) = self.tree.nearest_neighbor(&q)
            && accept(first.data)
        {
            let mut winner = (self.geodesic_to(lon, lat, first.data), first.data);
            let reach = chord2_from_sphere_m(winner.0 / GEODESIC_OVER_SPHERE_MIN);
            for entry in self.tree.locate_within_distance(q, reach) {
                if entry.data == first.data || !accept(entry.data) {
                    continue;
                }
                let item = (self.geodesic_to(lon, lat, entry.data), entry.data);
                if rank(&item, &winner).is_lt() {
                    winner = item;
                }
            }
            best.push(winner);
            return best;
        }
        for (entry, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&q) {
            if best.len() == k && geodesic_lower_bound(sphere_m_from_chord2(d2)) > best[k - 1].0 {
                break;
            }
            if !accept(entry.data) {
                continue;
            }
            let item = (self.geodesic_to(lon, lat, entry.data), entry.data);
            let at = best.partition_point(|x| rank(x, &item).is_lt());
            if at < k {
                best.insert(at, item);
                best.truncate(k);
            }
        }
        best
    }

    /// Every point passing `accept` within `radius_m` (geodesic, inclusive), nearest
    /// first, ties ordered by `tie`.
    pub fn within(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        accept: impl Fn(u32) -> bool,
        tie: impl Fn(u32, u32) -> Ordering,
    ) -> Vec<(f64, u32)> {
        let q = unit_vector(lon, lat);
        let reach = Reach::new(radius_m);
        let mut found: Vec<(f64, u32)> = self
            .tree
            .locate_within_distance(q, reach.sure_out)
            .filter(|e| accept(e.data))
            .map(|e| (self.geodesic_to(lon, lat, e.data), e.data))
            .filter(|(d, _)| *d <= radius_m)
            .collect();
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| tie(a.1, b.1)));
        found
    }

    /// Whether some point lies within `reach` of `(lon, lat)` (unit vector `q`):
    /// `Ok(())` when covered, else `Err(sphere distance to the nearest point)`, a lower
    /// bound that settles nearby queries. `hints` are points that covered recent nearby
    /// queries, most recent first: tried before the tree and kept up to date, so queries
    /// visited in spatial order mostly skip the tree.
    pub fn covers(
        &self,
        lon: f64,
        lat: f64,
        q: &[f64; 3],
        reach: &Reach,
        hints: &mut Hints,
    ) -> Result<(), f64> {
        let within = |i: u32, d2: f64| {
            d2 <= reach.sure_in
                || (d2 <= reach.sure_out && self.geodesic_to(lon, lat, i) <= reach.radius_m)
        };
        for k in 0..hints.0.len() {
            let Some(h) = hints.0[k] else { break };
            if within(h, chord2(q, &self.vectors[h as usize])) {
                hints.0[..=k].rotate_right(1);
                return Ok(());
            }
        }
        let Some(nearest) = self.tree.nearest_neighbor(q) else {
            return Err(f64::INFINITY);
        };
        let d2 = chord2(q, &self.vectors[nearest.data as usize]);
        if within(nearest.data, d2) {
            hints.remember(nearest.data);
            return Ok(());
        }
        if d2 > reach.sure_out {
            return Err(sphere_m_from_chord2(d2));
        }
        // Rare: the sphere-nearest is just outside by the geodesic; another point a
        // little farther on the sphere may still be inside.
        for entry in self.tree.locate_within_distance(*q, reach.sure_out) {
            if within(entry.data, chord2(q, &self.vectors[entry.data as usize])) {
                hints.remember(entry.data);
                return Ok(());
            }
        }
        Err(sphere_m_from_chord2(d2))
    }

    /// The point nearest to unit vector `q` on the sphere and its squared chord.
    pub fn nearest_chord2(&self, q: &[f64; 3]) -> Option<(u32, f64)> {
        self.tree
            .nearest_neighbor(q)
            .map(|e| (e.data, chord2(q, &self.vectors[e.data as usize])))
    }

    /// Great-circle distance (metres, mean sphere) from unit vector `q` to the nearest
    /// point, or infinity when empty. A lower bound for covering tests nearby.
    pub fn nearest_sphere_m(&self, q: &[f64; 3]) -> f64 {
        self.tree.nearest_neighbor(q).map_or(f64::INFINITY, |e| {
            sphere_m_from_chord2(chord2(q, &self.vectors[e.data as usize]))
        })
    }
}
