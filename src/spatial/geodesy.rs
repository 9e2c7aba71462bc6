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

/// WGS84 semi-major axis, metres.
const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 semi-minor axis, metres.
const WGS84_B: f64 = WGS84_A * (1.0 - WGS84_F);
/// Vincenty's iteration stops when λ changes by less than this (radians; ≈ 6 µm).
const VINCENTY_TOLERANCE: f64 = 1e-12;
/// Vincenty's iteration gives up (and Karney's algorithm answers) after this many steps.
const VINCENTY_MAX_STEPS: usize = 20;
/// Vincenty is used only for longitude differences up to this (degrees) and arcs up to
/// [`VINCENTY_MAX_SIGMA`] (radians): far from the nearly antipodal pairs where its
/// iteration converges slowly or not at all.
const VINCENTY_MAX_DLON: f64 = 120.0;
const VINCENTY_MAX_SIGMA: f64 = 3.0;

/// Exact geodesic distance in metres between two WGS84 points.
///
/// Vincenty's inverse method (iterated to 1e-12 rad, within 0.1 mm of Karney's
/// algorithm, see the tests) where it is safe, and several times faster; Karney's
/// algorithm (GeographicLib, through `geo`) for nearly antipodal pairs.
pub fn geodesic_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    GeoPoint::new(lon1, lat1).distance_m(&GeoPoint::new(lon2, lat2))
}

/// Exact geodesic distance by Karney's algorithm (accurate to ~15 nm everywhere).
pub fn karney_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    Geodesic.distance(Point::new(lon1, lat1), Point::new(lon2, lat2))
}

/// Geodesic distance by Vincenty's inverse method, or `None` where Karney's algorithm
/// must answer instead (nearly antipodal pairs, no convergence, non-finite input).
pub fn vincenty_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> Option<f64> {
    vincenty(&GeoPoint::new(lon1, lat1), &GeoPoint::new(lon2, lat2))
}

/// A WGS84 point prepared for geodesic distances: its coordinates and the sine and
/// cosine of its reduced (parametric) latitude, computed once for every distance from
/// or to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    sin_u: f64,
    cos_u: f64,
}

impl GeoPoint {
    /// Prepares `(lon, lat)`, degrees.
    pub fn new(lon: f64, lat: f64) -> Self {
        let (s, c) = lat.to_radians().sin_cos();
        let t = (1.0 - WGS84_F) * s;
        let h = (t * t + c * c).sqrt();
        Self {
            lon,
            lat,
            sin_u: t / h,
            cos_u: c / h,
        }
    }

    /// Exact geodesic distance in metres to `other` (see [`geodesic_m`]).
    pub fn distance_m(&self, other: &GeoPoint) -> f64 {
        vincenty(self, other).unwrap_or_else(|| karney_m(self.lon, self.lat, other.lon, other.lat))
    }
}

/// Below this step (radians) the sine and cosine of λ are carried forward by a rotation
/// (Taylor series to the fourth order, error < 1e-17) and σ by the arcsine series,
/// instead of calling `sin_cos` and `atan2` again: after the first step λ moves by
/// less than the flattening times the arc.
const SMALL_STEP: f64 = 1e-3;

/// Vincenty's inverse method on prepared points.
fn vincenty(p1: &GeoPoint, p2: &GeoPoint) -> Option<f64> {
    let mut dlon = p2.lon - p1.lon;
    if dlon > 180.0 {
        dlon -= 360.0;
    } else if dlon < -180.0 {
        dlon += 360.0;
    }
    // Also rejects NaN.
    if dlon.is_nan() || dlon.abs() > VINCENTY_MAX_DLON {
        return None;
    }
    let (su1, cu1, su2, cu2) = (p1.sin_u, p1.cos_u, p2.sin_u, p2.cos_u);
    let l = dlon.to_radians();
    let mut lambda = l;
    let (mut sl, mut cl) = l.sin_cos();
    let mut sigma = 0.0;
    let (mut last_sin_sigma, mut last_cos_sigma) = (0.0, 0.0);
    for step in 0..VINCENTY_MAX_STEPS {
        let t1 = cu2 * sl;
        let t2 = cu1 * su2 - su1 * cu2 * cl;
        let sin_sigma = (t1 * t1 + t2 * t2).sqrt();
        if sin_sigma == 0.0 {
            // Coincident points.
            return Some(0.0);
        }
        let cos_sigma = su1 * su2 + cu1 * cu2 * cl;
        // sin(σ − σ_last), when both are known.
        let turn = sin_sigma * last_cos_sigma - cos_sigma * last_sin_sigma;
        sigma = if step > 0 && turn.abs() < SMALL_STEP {
            sigma + turn + turn * turn * turn / 6.0
        } else {
            sin_sigma.atan2(cos_sigma)
        };
        (last_sin_sigma, last_cos_sigma) = (sin_sigma, cos_sigma);
        let sin_alpha = cu1 * cu2 * sl / sin_sigma;
        let cos2_alpha = 1.0 - sin_alpha * sin_alpha;
        let cos_2sm = if cos2_alpha != 0.0 {
            cos_sigma - 2.0 * su1 * su2 / cos2_alpha
        } else {
            // Along the equator.
            0.0
        };
        let c = WGS84_F / 16.0 * cos2_alpha * (4.0 + WGS84_F * (4.0 - 3.0 * cos2_alpha));
        let next = l
            + (1.0 - c)
                * WGS84_F
                * sin_alpha
                * (sigma
                    + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)));
        let delta = next - lambda;
        if delta.abs() <= VINCENTY_TOLERANCE {
            if sigma > VINCENTY_MAX_SIGMA {
                return None;
            }
            let u2 = cos2_alpha * (WGS84_A * WGS84_A - WGS84_B * WGS84_B) / (WGS84_B * WGS84_B);
            let a = 1.0 + u2 / 16_384.0 * (4_096.0 + u2 * (-768.0 + u2 * (320.0 - 175.0 * u2)));
            let b = u2 / 1_024.0 * (256.0 + u2 * (-128.0 + u2 * (74.0 - 47.0 * u2)));
            let delta_sigma = b
                * sin_sigma
                * (cos_2sm
                    + b / 4.0
                        * (cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)
                            - b / 6.0
                                * cos_2sm
                                * (-3.0 + 4.0 * sin_sigma * sin_sigma)
                                * (-3.0 + 4.0 * cos_2sm * cos_2sm)));
            return Some(WGS84_B * a * (sigma - delta_sigma));
        }
        lambda = next;
        if delta.abs() < SMALL_STEP {
            let d2 = delta * delta;
            let (sd, cd) = (delta * (1.0 - d2 / 6.0), 1.0 - d2 / 2.0 + d2 * d2 / 24.0);
            (sl, cl) = (sl * cd + cl * sd, cl * cd - sl * sd);
        } else {
            (sl, cl) = lambda.sin_cos();
        }
    }
    None
}

/// The unit vector of a point, using geodetic latitude as spherical latitude.
pub fn unit_vector(lon: f64, lat: f64) -> [f64; 3] {
    let (slat, clat) = sin_cos_degrees(lat);
    let (slon, clon) = sin_cos_degrees(lon);
    [clat * clon, clat * slon, slat]
}

/// Sine and cosine of an angle in degrees, within a few units in the last place: the
/// angle is reduced by whole quarter turns in degrees (exact), the rest (at most 45°,
/// i.e. π/4) goes through Taylor polynomials whose first omitted terms are below 1e-16.
/// Several times faster than `to_radians().sin_cos()` (which saves and restores the
/// floating-point environment on every call); unit vectors are built for every point a
/// coverage test reaches.
pub fn sin_cos_degrees(degrees: f64) -> (f64, f64) {
    if degrees.is_nan() || degrees.abs() > 1e9 {
        return degrees.to_radians().sin_cos();
    }
    // Nearest whole quarter turn (a truncating cast: `round` is a library call here).
    let turns = degrees / 90.0;
    let quarter = (turns + 0.5f64.copysign(turns)) as i64;
    let t = (degrees - quarter as f64 * 90.0).to_radians();
    let t2 = t * t;
    let sin = t
        * (1.0
            + t2 * (-1.0 / 6.0
                + t2 * (1.0 / 120.0
                    + t2 * (-1.0 / 5_040.0
                        + t2 * (1.0 / 362_880.0
                            + t2 * (-1.0 / 39_916_800.0
                                + t2 * (1.0 / 6_227_020_800.0
                                    + t2 * (-1.0 / 1_307_674_368_000.0))))))));
    let cos = 1.0
        + t2 * (-0.5
            + t2 * (1.0 / 24.0
                + t2 * (-1.0 / 720.0
                    + t2 * (1.0 / 40_320.0
                        + t2 * (-1.0 / 3_628_800.0
                            + t2 * (1.0 / 479_001_600.0
                                + t2 * (-1.0 / 87_178_291_200.0
                                    + t2 * (1.0 / 20_922_789_888_000.0))))))));
    match quarter.rem_euclid(4) {
        0 => (sin, cos),
        1 => (cos, -sin),
        2 => (-sin, -cos),
        _ => (-cos, sin),
    }
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

    #[test]
    fn sines_and_cosines_of_degrees_match_the_library_to_a_few_ulps() {
        let mut angles: Vec<f64> = (-7_200..=7_200).map(|k| f64::from(k) * 0.1).collect();
        // Irrational steps, the edges of each reduction interval, tiny and huge angles.
        angles.extend((0..200_000).map(|k| -720.0 + f64::from(k) * 0.007_213_7));
        for q in -8..=8 {
            let edge = f64::from(q) * 45.0;
            angles.extend([
                edge,
                edge + 1e-12,
                edge - 1e-12,
                edge.next_up(),
                edge.next_down(),
            ]);
        }
        angles.extend([1e-300, -1e-300, 1e-8, f64::NAN]);
        let mut worst: f64 = 0.0;
        for &a in &angles {
            let (s, c) = sin_cos_degrees(a);
            let (rs, rc) = a.to_radians().sin_cos();
            if a.is_nan() {
                assert!(s.is_nan() && c.is_nan());
                continue;
            }
            worst = worst.max((s - rs).abs()).max((c - rc).abs());
        }
        // A few ulps of 1 (2.2e-16 each): beyond a turn the library's argument,
        // to_radians' rounded product, is itself off by up to 1e-15.
        assert!(worst <= 2e-15, "worst difference {worst:e}");
        // Far beyond a turn the reduction in degrees is the exact one (to_radians'
        // product alone is then off by more than these), and beyond 1e9 the library
        // takes over.
        for a in [123_456.75, -9.87e8, 2e9] {
            let (s, c) = sin_cos_degrees(a);
            assert!((s * s + c * c - 1.0).abs() < 1e-15, "{a}");
        }
        assert_eq!(
            sin_cos_degrees(123_456.0 * 360.0 + 30.0).0,
            sin_cos_degrees(30.0).0
        );
        assert_eq!(sin_cos_degrees(90.0), (1.0, 0.0));
        assert_eq!(sin_cos_degrees(-180.0), (0.0, -1.0));
    }
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

    /// Vincenty's method against Karney's (GeographicLib, through `geo`): short and long
    /// lines, the region, the poles, the antimeridian, meridians, the equator and nearly
    /// antipodal pairs (where `geodesic_m` must fall back).
    #[test]
    fn vincenty_agrees_with_karney_everywhere() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (mut worst, mut worst_short): (f64, f64) = (0.0, 0.0);
        let mut fell_back = 0;
        let special = [
            (0.0, 0.0, 0.0, 0.0),
            (10.0, 0.0, 50.0, 0.0),
            (0.0, 0.0, 119.0, 0.0),
            (0.0, 89.999_999, 120.0, -89.999_999),
            (0.0, 90.0, 0.0, -90.0),
            (0.0, 90.0, 45.0, 90.0),
            (179.999, 45.0, -179.999, 45.0),
            (77.0, 43.0, 77.0, 43.000_000_01),
            (0.0, 0.5, 179.5, -0.5),
            (0.0, 0.0, 179.9, 0.0),
        ];
        let random = (0..200_000).map(|i| {
            let (lon1, lat1): (f64, f64) = if i % 2 == 0 {
                (rng.random_range(46.0..88.0), rng.random_range(35.0..56.0))
            } else {
                (
                    rng.random_range(-180.0..180.0),
                    rng.random_range(-90.0..=90.0),
                )
            };
            let scale = [1e-6, 0.01, 0.5, 5.0, 60.0, 180.0][i % 6];
            let lon2 = lon1 + rng.random_range(-scale..=scale);
            let lat2 = (lat1 + rng.random_range(-scale..=scale)).clamp(-90.0, 90.0);
            (lon1, lat1, (lon2 + 540.0) % 360.0 - 180.0, lat2)
        });
        let mut far = ChaCha8Rng::seed_from_u64(12);
        let antipodal = (0..2_000).map(|_| {
            let (lon, lat): (f64, f64) = (
                far.random_range(-180.0..180.0),
                far.random_range(-60.0..60.0),
            );
            let (dlon, dlat): (f64, f64) =
                (far.random_range(-1.0..1.0), far.random_range(-1.0..1.0));
            (lon, lat, lon + 180.0 + dlon, -lat + dlat)
        });
        for (lon1, lat1, lon2, lat2) in special.into_iter().chain(random).chain(antipodal) {
            let reference = karney_m(lon1, lat1, lon2, lat2);
            let fast = geodesic_m(lon1, lat1, lon2, lat2);
            if vincenty_m(lon1, lat1, lon2, lat2).is_none() {
                fell_back += 1;
            }
            let error = (fast - reference).abs();
            assert!(
                error <= 1e-4,
                "({lon1}, {lat1}) → ({lon2}, {lat2}): {fast} vs Karney {reference}"
            );
            worst = worst.max(error);
            if reference < 1.0e6 {
                worst_short = worst_short.max(error);
            }
        }
        assert!(fell_back > 0, "the antipodal pairs must take Karney's path");
        println!(
            "worst difference from Karney: {worst:e} m ({worst_short:e} m under 1,000 km); {fell_back} fallbacks"
        );
    }

    #[test]
    fn chord_conversions_invert() {
        for m in [0.0, 1.0, 1_000.0, 5.0e6, 2.0e7] {
            let back = sphere_m_from_chord2(chord2_from_sphere_m(m));
            assert!((back - m).abs() < 1e-6 * m.max(1.0), "{m} -> {back}");
        }
    }
}
