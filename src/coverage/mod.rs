//! Coverage analysis for planners: which people are within reach of each sector's
//! services, per admin area, and where the gaps are.
//!
//! The [`AccessModel`] decides what "within reach" means; [`GeodesicAccess`] (exact WGS84
//! distance against a per-sector threshold, inclusive) is the one model today, and a
//! travel-time model (road graph, friction surface) can be added without touching the
//! callers. Everything here is pure computation on points: no store, no HTTP.

mod access;
mod assign;
pub mod blocks;
pub mod grid;
pub mod report;
pub mod siting;
mod table;

use std::sync::Arc;

pub use access::{AccessModel, GeodesicAccess, Thresholds, TravelMode};
pub use assign::{AreaAssignment, AreaGrid, assign_to_areas};
pub use table::{
    AreaCoverage, CoverageInput, CoverageTable, SectorCoverage, SectorTests, compute, compute_on,
    tabulate, test_sectors,
};

/// A population point: a settlement or a raster cell.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationPoint {
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// People.
    pub population: f64,
    /// Index of the area it belongs to, if any.
    pub area: Option<u32>,
}

/// Population points prepared once for every sector and for area assignment: sorted
/// along a Morton (Z-order) curve, so that consecutive points are near each other, with
/// their unit vectors and the quadtree of blocks over that order (see [`blocks`]).
/// Everything per point is stored in that visiting order.
pub struct PointSet {
    /// Per position in the visiting order, the point's index in the input.
    pub order: Vec<u32>,
    /// Longitude, latitude, in visiting order (shared, so that another thread can
    /// assign the points to areas while the rest is prepared).
    pub lonlat: Arc<Vec<(f64, f64)>>,
    /// Unit vectors, in visiting order.
    pub vectors: Vec<[f64; 3]>,
    /// The quadtree over the visiting order.
    pub blocks: Vec<blocks::Block>,
}

/// The first step of a [`PointSet`]: the points in visiting order.
pub struct SortedPoints {
    /// Per position, the point's index in the input.
    pub order: Vec<u32>,
    /// Longitude, latitude, in visiting order.
    pub lonlat: Arc<Vec<(f64, f64)>>,
    /// Morton keys, in visiting order.
    keys: Vec<u32>,
}

impl SortedPoints {
    /// Sorts `points` (longitude, latitude) along the Morton curve.
    pub fn new(points: &[(f64, f64)]) -> Self {
        let keyed = morton_sorted(points);
        let order: Vec<u32> = keyed.iter().map(|&k| k as u32).collect();
        let keys: Vec<u32> = keyed.iter().map(|&k| (k >> 32) as u32).collect();
        drop(keyed);
        // Random reads: on every core.
        let lonlat = Arc::new(crate::parallel::map_chunks(&order, |part| {
            part.iter().map(|&i| points[i as usize]).collect()
        }));
        Self {
            order,
            lonlat,
            keys,
        }
    }
}

impl PointSet {
    /// Prepares `points` (longitude, latitude).
    pub fn new(points: &[(f64, f64)]) -> Self {
        Self::from_sorted(SortedPoints::new(points))
    }

    /// Finishes preparing sorted points: unit vectors and blocks.
    pub fn from_sorted(sorted: SortedPoints) -> Self {
        let SortedPoints {
            order,
            lonlat,
            keys,
        } = sorted;
        let vectors: Vec<[f64; 3]> = crate::parallel::map_chunks(&lonlat, |part| {
            part.iter()
                .map(|&(lon, lat)| crate::geodesy::unit_vector(lon, lat))
                .collect()
        });
        let blocks = blocks::build(&keys, &vectors);
        Self {
            order,
            lonlat,
            vectors,
            blocks,
        }
    }

    /// Per-position values back in input order.
    pub fn to_input_order<T: Copy + Default>(&self, by_position: &[T]) -> Vec<T> {
        let mut out = vec![T::default(); by_position.len()];
        for (&i, &v) in self.order.iter().zip(by_position) {
            out[i as usize] = v;
        }
        out
    }
}

/// Morton (Z-order) key of a point: 16 bits of longitude and of latitude, interleaved
/// (cells of about 0.0055° × 0.0027°).
pub fn morton_key(lon: f64, lat: f64) -> u32 {
    let x = (((lon + 180.0) / 360.0).clamp(0.0, 1.0) * 65_535.0) as u32;
    let y = (((lat + 90.0) / 180.0).clamp(0.0, 1.0) * 65_535.0) as u32;
    let spread = |mut v: u32| {
        v = (v | (v << 8)) & 0x00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    };
    (spread(y) << 1) | spread(x)
}

/// Per point `key << 32 | index`, sorted (by key, then index).
fn morton_sorted(points: &[(f64, f64)]) -> Vec<u64> {
    let mut keyed: Vec<u64> = crate::parallel::map_chunks_at(points, |first, part| {
        (first..)
            .zip(part)
            .map(|(i, &(lon, lat))| u64::from(morton_key(lon, lat)) << 32 | i as u64)
            .collect()
    });
    radix_sort_high32(&mut keyed);
    keyed
}

/// Sorts by the high 32 bits, stably (four passes of a byte each), so values whose low
/// bits ascend in input order come out fully sorted.
pub(crate) fn radix_sort_high32(values: &mut Vec<u64>) {
    let mut buffer = vec![0u64; values.len()];
    // Every pass's histogram in one read.
    let mut counts = [[0usize; 257]; 4];
    for v in values.iter() {
        for (pass, count) in counts.iter_mut().enumerate() {
            count[((v >> (32 + 8 * pass)) & 0xFF) as usize + 1] += 1;
        }
    }
    for (pass, mut start) in counts.into_iter().enumerate() {
        let shift = 32 + 8 * pass;
        if start.contains(&values.len()) {
            // One byte value throughout: the pass would not move anything.
            continue;
        }
        for b in 0..256 {
            start[b + 1] += start[b];
        }
        for &v in values.iter() {
            let b = ((v >> shift) & 0xFF) as usize;
            buffer[start[b]] = v;
            start[b] += 1;
        }
        std::mem::swap(values, &mut buffer);
    }
}

/// Visiting order along a Morton (Z-order) curve, so that consecutive points are near
/// each other and mostly share their nearest facility.
pub fn spatial_order(points: &[(f64, f64)]) -> Vec<u32> {
    morton_sorted(points)
        .into_iter()
        .map(|k| k as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn morton_order_sorts_by_key_then_input() {
        let points: Vec<(f64, f64)> = (0..5_000)
            .map(|i| {
                (
                    f64::from(i * 37 % 360) - 180.0,
                    f64::from(i * 11 % 180) - 90.0,
                )
            })
            .collect();
        let sorted = morton_sorted(&points);
        let mut expected: Vec<(u32, u32)> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (morton_key(p.0, p.1), i as u32))
            .collect();
        expected.sort();
        let got: Vec<(u32, u32)> = sorted
            .iter()
            .map(|&k| ((k >> 32) as u32, k as u32))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn radix_sort_skips_constant_bytes_and_stays_stable() {
        // High bytes constant (skipped passes), a varying middle byte, equal keys.
        for high in [0u64, 0x00AB_0000, 0xFF00_00FF, 0x1234_5600] {
            let mut values: Vec<u64> = (0..9_000u64)
                .map(|i| (high | ((i * 7919 % 251) << 8) | (i % 3)) << 32 | i)
                .collect();
            let mut expected = values.clone();
            expected.sort_by_key(|v| (v >> 32, v & 0xFFFF_FFFF));
            radix_sort_high32(&mut values);
            assert_eq!(values, expected);
        }
    }

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
        assert_eq!(sorted.order, expected);
        let lonlat: Vec<(f64, f64)> = expected.iter().map(|&i| points[i as usize]).collect();
        assert_eq!(*sorted.lonlat, lonlat);
        let set = PointSet::from_sorted(sorted);
        assert_eq!(set.vectors.len(), points.len());
        assert_eq!(set.to_input_order(&set.lonlat), points);
    }
}
