//! Distances on the WGS84 ellipsoid and the sphere bounds that make indexed search
//! exact.
//!
//! Facilities are indexed as 3-D unit vectors (geodetic latitude and longitude used as
//! spherical coordinates). Chord length between unit vectors ranks points exactly like
//! great-circle distance, with no special case at the antimeridian or the poles. For
//! any two points, `GEODESIC_OVER_SPHERE_MIN ≤ geodesic / sphere ≤
//! GEODESIC_OVER_SPHERE_MAX` (the ellipsoid's radii of curvature lie in
//! [a(1−e²), a/√(1−e²)] and the sphere has the mean radius), so a sphere distance
//! bounds the geodesic from both sides and decides most comparisons without it.

use geo::{Distance, Geodesic, Point};

/// Mean radius of the WGS84 ellipsoid, (2a + b) / 3, in metres.
pub const SPHERE_RADIUS_M: f64 = 6_371_008.771_4;
/// Lower bound of geodesic / great-circle distance on WGS84 (0.99442, rounded down).
pub const GEODESIC_OVER_SPHERE_MIN: f64 = 0.9944;
/// Upper bound of geodesic / great-circle distance on WGS84 (1.00449, rounded up).
pub const GEODESIC_OVER_SPHERE_MAX: f64 = 1.0045;

/// Exact geodesic distance in metres between two WGS84 points (Karney's algorithm).
pub fn geodesic_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    Geodesic.distance(Point::new(lon1, lat1), Point::new(lon2, lat2))
}

/// The unit vector of a point, using geodetic latitude as spherical latitude.
pub fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (lon, lat) = (lon.to_radians(), lat.to_radians());
    let (slat, clat) = lat.sin_cos();
    let (slon, clon) = lon.sin_cos();
    [clat * clon, clat * slon, slat]
}

/// Great-circle distance in metres on the mean sphere for a squared chord length
/// between unit vectors.
pub fn sphere_m_from_chord2(chord2: f64) -> f64 {
    let half_chord = (chord2.max(0.0).sqrt() / 2.0).min(1.0);
    2.0 * half_chord.asin() * SPHERE_RADIUS_M
}

/// The squared chord length of a great-circle distance in metres (the inverse of
/// [`sphere_m_from_chord2`]); saturates at the antipode.
pub fn chord2_from_sphere_m(metres: f64) -> f64 {
    let angle = (metres / SPHERE_RADIUS_M).clamp(0.0, std::f64::consts::PI);
    let chord = 2.0 * (angle / 2.0).sin();
    chord * chord
}

/// Great-circle distance in metres on the mean sphere.
pub fn sphere_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (a, b) = (unit_vector(lon1, lat1), unit_vector(lon2, lat2));
    let chord2 = (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2);
    sphere_m_from_chord2(chord2)
}

/// The smallest geodesic distance a point at sphere distance `sphere` can have.
pub fn geodesic_lower_bound(sphere: f64) -> f64 {
    sphere * GEODESIC_OVER_SPHERE_MIN
}

/// The largest geodesic distance a point at sphere distance `sphere` can have.
pub fn geodesic_upper_bound(sphere: f64) -> f64 {
    sphere * GEODESIC_OVER_SPHERE_MAX
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn matches_published_geodesic_values() {
        // GeographicLib reference: JFK to LHR-ish test from geo's docs.
        let d = geodesic_m(-74.006, 40.7128, -0.1278, 51.5074);
        assert_eq!(d.round(), 5_585_234.0);
        // One degree of latitude at the equator on WGS84 is 110 574.389 m.
        assert!((geodesic_m(0.0, 0.0, 0.0, 1.0) - 110_574.389).abs() < 0.01);
        // One degree of longitude on the equator: a·π/180 = 111 319.491 m.
        assert!((geodesic_m(0.0, 0.0, 1.0, 0.0) - 111_319.491).abs() < 0.01);
    }

    #[test]
    fn sphere_bounds_hold_everywhere() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..20_000 {
            let (lon1, lat1) = (
                rng.random_range(-180.0..180.0),
                rng.random_range(-90.0..90.0),
            );
            let scale = [0.001, 0.1, 5.0, 179.0][rng.random_range(0..4)];
            let lon2: f64 = lon1 + rng.random_range(-scale..scale);
            let lat2: f64 = (lat1 + rng.random_range(-scale..scale)).clamp(-90.0, 90.0);
            let lon2 = (lon2 + 540.0) % 360.0 - 180.0;
            let (g, s) = (
                geodesic_m(lon1, lat1, lon2, lat2),
                sphere_m(lon1, lat1, lon2, lat2),
            );
            if s > 1.0 {
                assert!(
                    geodesic_lower_bound(s) <= g && g <= geodesic_upper_bound(s),
                    "{g} vs {s}"
                );
            }
        }
    }

    #[test]
    fn chord_conversions_invert() {
        for m in [0.0, 1.0, 1_000.0, 5.0e6, 2.0e7] {
            let back = sphere_m_from_chord2(chord2_from_sphere_m(m));
            assert!((back - m).abs() < 1e-6 * m.max(1.0), "{m} -> {back}");
        }
    }
}
