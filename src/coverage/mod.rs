//! Coverage analysis for planners: which people are within reach of each sector's
//! services, per admin area, and where the gaps are.
//!
//! The [`AccessModel`] decides what "within reach" means; [`GeodesicAccess`] (exact WGS84
//! distance against a per-sector threshold, inclusive) is the one model today, and a
//! travel-time model (road graph, friction surface) can be added without touching the
//! callers. Everything here is pure computation on points: no store, no HTTP.

mod access;
pub mod analysis;
pub mod blocks;
pub mod grid;
pub mod planning;
pub mod report;
pub mod siting;
mod table;

use crate::model::PopulationPoint;
use crate::spatial::morton::morton_sorted_by;
use std::sync::Arc;

pub use access::{AccessModel, GeodesicAccess, Thresholds, TravelMode};
pub use table::{
    AreaCoverage, CoverageInput, CoverageTable, SectorCoverage, SectorTests, compute, compute_on,
    tabulate, test_sectors,
};

/// Population points prepared once for every sector and for area assignment: sorted
/// along a Morton (Z-order) curve, so that consecutive points are near each other, with
/// the quadtree of blocks over that order (see [`blocks`]). Everything per point is
/// stored in that visiting order.
pub struct PointSet {
    /// Per position in the visiting order, `Morton key << 32 | input index`.
    keyed: Vec<u64>,
    /// Longitude, latitude, in visiting order (shared, so that another thread can
    /// assign the points to areas while the rest is prepared).
    pub lonlat: Arc<Vec<(f64, f64)>>,
    /// The quadtree over the visiting order.
    pub blocks: Vec<blocks::Block>,
}

/// The first step of a [`PointSet`]: the points in visiting order.
pub struct SortedPoints {
    /// Longitude, latitude, in visiting order.
    pub lonlat: Arc<Vec<(f64, f64)>>,
    /// Per position, `Morton key << 32 | input index`.
    keyed: Vec<u64>,
}

impl SortedPoints {
    /// Sorts `points` (longitude, latitude) along the Morton curve.
    pub fn new(points: &[(f64, f64)]) -> Self {
        Self::from_fn(points.len(), |i| points[i])
    }

    /// Sorts population points along the Morton curve.
    pub fn of_population(points: &[PopulationPoint]) -> Self {
        Self::from_fn(points.len(), |i| (points[i].lon, points[i].lat))
    }

    /// Sorts the `n` points `at(0..n)` (longitude, latitude) along the Morton curve.
    fn from_fn(n: usize, at: impl Fn(usize) -> (f64, f64) + Sync) -> Self {
        let keyed = morton_sorted_by(n, &at);
        // The coordinates of each position, read at random (on every core, so that many
        // reads are in flight at once).
        let mut lonlat = vec![(0.0, 0.0); n];
        let split_from = crate::parallel::MEMORY_BOUND_SPLIT_FROM;
        crate::parallel::fill_chunks_from(split_from, &mut lonlat, |first, lonlat| {
            for (p, &v) in lonlat.iter_mut().zip(&keyed[first..]) {
                *p = at(v as u32 as usize);
            }
        });
        Self {
            lonlat: Arc::new(lonlat),
            keyed,
        }
    }
}

impl PointSet {
    /// Prepares `points` (longitude, latitude).
    pub fn new(points: &[(f64, f64)]) -> Self {
        Self::from_sorted(SortedPoints::new(points))
    }

    /// Finishes preparing sorted points: the blocks.
    pub fn from_sorted(sorted: SortedPoints) -> Self {
        let SortedPoints { lonlat, keyed } = sorted;
        let blocks = blocks::build(&keyed, &lonlat);
        Self {
            keyed,
            lonlat,
            blocks,
        }
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.keyed.len()
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.keyed.is_empty()
    }

    /// Per position in the visiting order, the point's index in the input.
    pub fn order(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.order_from(0)
    }

    /// [`PointSet::order`] from position `start` on.
    pub fn order_from(&self, start: usize) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.keyed[start..].iter().map(|&k| k as u32)
    }

    /// Per-position values back in input order.
    pub fn to_input_order<T: Copy + Default>(&self, by_position: &[T]) -> Vec<T> {
        let mut out = vec![T::default(); by_position.len()];
        for (i, &v) in self.order().zip(by_position) {
            out[i as usize] = v;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::morton::morton_sorted;

    #[test]
    fn a_point_set_in_steps_equals_one_in_one_go() {
        let points: Vec<(f64, f64)> = (0..20_000)
            .map(|i| {
                (
                    46.0 + f64::from(i * 37 % 4_200) / 100.0,
                    35.0 + f64::from(i * 11 % 2_100) / 100.0,
                )
            })
            .collect();
        let sorted = SortedPoints::new(&points);
        let expected: Vec<u32> = morton_sorted(&points).iter().map(|&k| k as u32).collect();
        let order: Vec<u32> = sorted.keyed.iter().map(|&k| k as u32).collect();
        assert_eq!(order, expected);
        let lonlat: Vec<(f64, f64)> = expected.iter().map(|&i| points[i as usize]).collect();
        assert_eq!(*sorted.lonlat, lonlat);
        let set = PointSet::from_sorted(sorted);
        assert_eq!(set.blocks[0].end as usize, points.len());
        assert_eq!(set.to_input_order(&set.lonlat), points);
    }
}
