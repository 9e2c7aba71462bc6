//! Exact WGS84 geodesic search over points, on the [`KdTree`]: [`IdTree`] holds only ids
//! (the caller keeps the coordinates: the facility index, whose records hold them) and
//! [`CoordIndex`] keeps its own (the coverage engine and batch analyses).
//!
//! Since geodesic / great-circle distance lies in [`GEODESIC_OVER_SPHERE_MIN`,
//! `GEODESIC_OVER_SPHERE_MAX`], a candidate's sphere distance bounds its geodesic, so a
//! search stops as soon as no later candidate can beat what was found, and a radius test
//! is decided without any geodesic for all but the points near the boundary. Answers
//! equal an exhaustive geodesic scan anywhere on Earth (antimeridian and poles included).

use crate::spatial::geodesy::{GeoPoint, sphere_m_from_chord2, unit_vector};
use crate::spatial::kdtree::KdTree;
pub use crate::spatial::kdtree::{NearestCursor, Reach, chord2};
use std::cmp::Ordering;

/// Points that covered recent queries, most recent first (see [`CoordIndex::covers`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints([Option<u32>; 4]);

impl Hints {
    fn remember(&mut self, slot: u32) {
        self.0.rotate_right(1);
        self.0[0] = Some(slot);
    }
}

/// WGS84 points with ids of the caller's choosing, whose coordinates the caller keeps
/// (29 bytes a point): the facility index, where the records hold the coordinates.
pub struct IdTree {
    tree: KdTree,
}

impl IdTree {
    /// Indexes `(id, longitude, latitude)` points.
    pub fn new(points: impl IntoIterator<Item = (u32, f64, f64)>) -> Self {
        let items = points
            .into_iter()
            .map(|(id, lon, lat)| (unit_vector(lon, lat), id))
            .collect();
        Self {
            tree: KdTree::new(items),
        }
    }

    /// How many points.
    pub fn len(&self) -> usize {
        self.tree.ids.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.tree.ids.is_empty()
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.tree.heap_bytes()
    }

    /// The prepared point in a slot, from the coordinates `lonlat` gives for its id.
    fn prepared(&self, lonlat: impl Fn(u32) -> (f64, f64)) -> impl Fn(u32) -> GeoPoint {
        move |slot| {
            let (lon, lat) = lonlat(self.tree.ids[slot as usize]);
            GeoPoint::new(lon, lat)
        }
    }

    /// The `k` nearest points passing `accept`, by exact geodesic distance from the
    /// coordinates `lonlat` gives for an id, ties ordered by `tie`; nearest first as
    /// `(distance_m, id)`.
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        lonlat: impl Fn(u32) -> (f64, f64),
        accept: impl Fn(u32) -> bool,
        tie: impl Fn(u32, u32) -> Ordering,
    ) -> Vec<(f64, u32)> {
        let point = self.prepared(lonlat);
        self.tree.nearest_exact(lon, lat, k, point, accept, tie)
    }

    /// Every point passing `accept` within `radius_m` (geodesic, inclusive), nearest
    /// first, ties ordered by `tie`.
    pub fn within(
        &self,
        lon: f64,
        lat: f64,
        radius_m: f64,
        lonlat: impl Fn(u32) -> (f64, f64),
        accept: impl Fn(u32) -> bool,
        tie: impl Fn(u32, u32) -> Ordering,
    ) -> Vec<(f64, u32)> {
        let point = self.prepared(lonlat);
        self.tree
            .within_exact(lon, lat, radius_m, point, accept, tie)
    }
}

/// A set of WGS84 points, each identified by its position in the input.
pub struct CoordIndex {
    tree: KdTree,
    /// Prepared points in input order.
    points: Vec<GeoPoint>,
    /// The same in tree order: a search reads the point of a slot it has just
    /// visited from memory next to it (in input order that read misses the cache).
    slot_points: Vec<GeoPoint>,
    /// Unit vectors in input order (for callers that test chords themselves).
    vectors: Vec<[f64; 3]>,
}

impl CoordIndex {
    /// Indexes `points` (longitude, latitude in degrees).
    pub fn new(points: Vec<(f64, f64)>) -> Self {
        let items = points
            .iter()
            .enumerate()
            .map(|(i, &(lon, lat))| (unit_vector(lon, lat), i as u32))
            .collect();
        let tree = KdTree::new(items);
        let points: Vec<GeoPoint> = points
            .iter()
            .map(|&(lon, lat)| GeoPoint::new(lon, lat))
            .collect();
        let slot_points = tree.ids.iter().map(|&i| points[i as usize]).collect();
        // Input order, from the tree's (no second round of sines).
        let mut vectors = vec![[0.0; 3]; points.len()];
        for (v, &i) in tree.vectors.iter().zip(&tree.ids) {
            vectors[i as usize] = *v;
        }
        Self {
            tree,
            vectors,
            points,
            slot_points,
        }
    }

    /// How many points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Every point as (index, longitude, latitude), in the tree's order: nearby points
    /// come close together, so a walk over a spatial structure in this order stays in
    /// cache.
    pub fn in_tree_order(&self) -> impl ExactSizeIterator<Item = (u32, f64, f64)> + '_ {
        self.tree
            .ids
            .iter()
            .zip(&self.slot_points)
            .map(|(&i, p)| (i, p.lon, p.lat))
    }

    /// Longitude and latitude of point `i`.
    pub fn lonlat(&self, i: u32) -> (f64, f64) {
        let p = &self.points[i as usize];
        (p.lon, p.lat)
    }

    /// Unit vector of point `i`.
    pub fn vector(&self, i: u32) -> &[f64; 3] {
        &self.vectors[i as usize]
    }

    /// Calls `found(point, squared chord)` for the points within squared chord `chord2`
    /// of unit vector `q`, in no particular order, until it returns `true`; returns
    /// whether it did.
    pub fn within_chord2_until(
        &self,
        q: &[f64; 3],
        chord2: f64,
        mut found: impl FnMut(u32, f64) -> bool,
    ) -> bool {
        self.tree
            .within_until(q, chord2, &mut |slot, d2| found(self.id(slot), d2))
    }

    /// Exact geodesic distance from `(lon, lat)` to point `i`.
    pub fn geodesic_to(&self, lon: f64, lat: f64, i: u32) -> f64 {
        GeoPoint::new(lon, lat).distance_m(&self.points[i as usize])
    }

    /// The input position of the point in tree slot `slot`.
    fn id(&self, slot: u32) -> u32 {
        self.tree.ids[slot as usize]
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
        self.tree
            .nearest_exact(lon, lat, k, |s| self.slot_points[s as usize], accept, tie)
    }

    /// The exact geodesic nearest point to `from` (unit vector `q`), ties ordered
    /// by `tie`, as `(distance_m, point)`: the same answer as [`CoordIndex::nearest`]
    /// with `k = 1`, faster for many queries in spatial order through `cursor`.
    pub fn nearest_from(
        &self,
        from: &GeoPoint,
        q: &[f64; 3],
        cursor: &mut NearestCursor,
        tie: impl Fn(u32, u32) -> Ordering,
    ) -> Option<(f64, u32)> {
        self.tree.nearest_one(
            from,
            q,
            cursor,
            &|s| self.slot_points[s as usize],
            &|_| true,
            &tie,
        )
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
        self.tree.within_exact(
            lon,
            lat,
            radius_m,
            |s| self.slot_points[s as usize],
            accept,
            tie,
        )
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
        let within = |slot: u32, d2: f64| {
            d2 <= reach.sure_in
                || (d2 <= reach.sure_out
                    && self.geodesic_to(lon, lat, self.id(slot)) <= reach.radius_m)
        };
        for k in 0..hints.0.len() {
            let Some(h) = hints.0[k] else { break };
            if within(h, chord2(q, &self.tree.vectors[h as usize])) {
                hints.0[..=k].rotate_right(1);
                return Ok(());
            }
        }
        let Some((nearest, d2)) = self.tree.nearest(q) else {
            return Err(f64::INFINITY);
        };
        if within(nearest, d2) {
            hints.remember(nearest);
            return Ok(());
        }
        if d2 > reach.sure_out {
            return Err(sphere_m_from_chord2(d2));
        }
        // Rare: the sphere-nearest is just outside by the geodesic; another point a
        // little farther on the sphere may still be inside.
        let mut hit = None;
        self.tree.within_until(q, reach.sure_out, &mut |s, d| {
            hit = within(s, d).then_some(s);
            hit.is_some()
        });
        match hit {
            Some(s) => {
                hints.remember(s);
                Ok(())
            }
            None => Err(sphere_m_from_chord2(d2)),
        }
    }

    /// The point nearest to unit vector `q` on the sphere and its squared chord.
    pub fn nearest_chord2(&self, q: &[f64; 3]) -> Option<(u32, f64)> {
        self.tree.nearest(q).map(|(slot, d2)| (self.id(slot), d2))
    }

    /// Great-circle distance (metres, mean sphere) from unit vector `q` to the nearest
    /// point, or infinity when empty. A lower bound for covering tests nearby.
    pub fn nearest_sphere_m(&self, q: &[f64; 3]) -> f64 {
        self.tree
            .nearest(q)
            .map_or(f64::INFINITY, |(_, d2)| sphere_m_from_chord2(d2))
    }
}
