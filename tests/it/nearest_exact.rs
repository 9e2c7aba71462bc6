//! `/api/nearest` equals an exhaustive WGS84 geodesic scan (computed here with
//! GeographicLib through `geo::Geodesic` directly, not through Tirek's index).

use crate::support::{Plain, SECTORS, TestApp, collection, plain, random_facilities, random_point};
use geo::{Distance, Geodesic, Point};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

fn brute_force(
    all: &[Plain],
    lon: f64,
    lat: f64,
    sector: &str,
    k: usize,
    cmr_pep: bool,
) -> Vec<(String, f64)> {
    let mut scored: Vec<(String, f64)> = all
        .iter()
        .filter(|f| f.sectors.iter().any(|s| s == sector) && (!cmr_pep || f.cmr_pep))
        .map(|f| {
            (
                f.id.clone(),
                Geodesic.distance(Point::new(lon, lat), Point::new(f.lon, f.lat)),
            )
        })
        .collect();
    scored.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    scored.truncate(k);
    scored
}

#[tokio::test]
async fn nearest_answers_equal_an_exhaustive_geodesic_scan() {
    let app = TestApp::new().await;
    let features = random_facilities(10_000, 42);
    let all = plain(&features);
    let (status, summary) = app.import(&collection(features)).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["created"], 10_000);

    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (mut checked, mut near_antimeridian, mut polar) = (0, 0, 0);
    for q in 0..1_000 {
        let (lon, lat) = random_point(&mut rng);
        near_antimeridian += usize::from(lon.abs() > 179.0);
        polar += usize::from(lat.abs() > 80.0);
        // Every tenth query asks for every sector at once; the rest one sector, with a
        // service filter now and then.
        let (sectors, k, cmr): (Vec<&str>, usize, bool) = if q % 10 == 0 {
            (SECTORS.to_vec(), 3, false)
        } else {
            (
                vec![SECTORS[rng.random_range(0..SECTORS.len())]],
                rng.random_range(1..=8),
                rng.random_bool(0.2),
            )
        };
        let mut uri = format!("/api/nearest?lon={lon}&lat={lat}&k={k}");
        if sectors.len() == 1 {
            uri += &format!("&sector={}", sectors[0]);
        }
        if cmr {
            uri += "&services=cmr_pep";
        }
        let (status, body) = app.get(&uri).await;
        assert_eq!(status, 200, "{uri}: {body}");
        let results = body["results"].as_array().unwrap();
        let mut expected: Vec<(String, String, f64)> = Vec::new();
        for s in &sectors {
            for (id, d) in brute_force(&all, lon, lat, s, k, cmr) {
                expected.push((s.to_string(), id, d));
            }
        }
        assert_eq!(results.len(), expected.len(), "{uri}");
        for (got, (sector, id, d)) in results.iter().zip(&expected) {
            assert_eq!(got["sector"], Value::String(sector.clone()), "{uri}");
            assert_eq!(got["facility"]["id"].as_str(), Some(id.as_str()), "{uri}");
            let got_d = got["distance_m"].as_f64().unwrap();
            assert!((got_d - d).abs() <= 0.001, "{uri}: {id} {got_d} vs {d}");
            checked += 1;
        }
    }
    assert!(checked > 3_000, "only {checked} answers compared");
    assert!(
        near_antimeridian > 100 && polar > 100,
        "{near_antimeridian} near ±180°, {polar} polar"
    );
}

/// The batch path (`tirek nearest`, catchments): many points cut into runs shared by
/// threads, each run answered sector by sector with the previous answer as a start,
/// equals the exhaustive scan, point by point and sector by sector. Points come in
/// clusters (consecutive answers close together) and spread over the whole sphere.
#[test]
fn batch_nearest_equals_an_exhaustive_geodesic_scan() {
    use tirek::coverage::analysis::{Sites, batch_nearest};
    use tirek::import::sites::SiteRecord;
    use tirek::model::Sector;
    let mut rng = ChaCha8Rng::seed_from_u64(31);
    let records: Vec<SiteRecord> = plain(&random_facilities(1_200, 8))
        .into_iter()
        .map(|f| SiteRecord {
            status: tirek::model::Status::Active,
            id: f.id,
            lon: f.lon,
            lat: f.lat,
            sectors: f.sectors.iter().map(|s| s.parse().unwrap()).collect(),
            country: None,
        })
        .collect();
    let mut points: Vec<(f64, f64)> = (0..2_000).map(|_| random_point(&mut rng)).collect();
    for _ in 0..40 {
        let (lon, lat) = (rng.random_range(46.0..88.0), rng.random_range(35.0..56.0));
        points.extend((0..50).map(|_| {
            (
                lon + rng.random_range(-0.05..0.05),
                lat + rng.random_range(-0.05..0.05),
            )
        }));
    }
    // A point on a facility, and one at the same place twice.
    points.push((records[0].lon, records[0].lat));
    points.push(points[0]);
    let sectors = [
        Sector::Health,
        Sector::Police,
        Sector::Psychosocial,
        Sector::Shelter,
        Sector::Legal,
    ];
    let sites = Sites::from_records(&records);
    let answers = batch_nearest(&sites, &points, &sectors, 3);
    let mut compared = 0;
    for (i, &(lon, lat)) in points.iter().enumerate() {
        for (sector, got) in sectors.iter().zip(answers.row(i)) {
            let best = records
                .iter()
                .filter(|r| r.sectors.contains(sector))
                .map(|r| {
                    let d = Geodesic.distance(Point::new(lon, lat), Point::new(r.lon, r.lat));
                    (d, r.id.as_str())
                })
                .min_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
            match (best, got) {
                (None, None) => {}
                (Some((d, id)), Some((f, got_d))) => {
                    let got_id = sites.ids[*f as usize].as_str();
                    // Equal ids, or a tie within a millimetre (two algorithms).
                    let tie = (Geodesic.distance(
                        Point::new(lon, lat),
                        Point::new(sites.lonlat[*f as usize].0, sites.lonlat[*f as usize].1),
                    ) - d)
                        .abs()
                        < 1e-3;
                    assert!(
                        got_id == id || tie,
                        "point {i} ({lon}, {lat}) {sector}: {got_id} vs {id}"
                    );
                    assert!((got_d - d).abs() < 1e-3, "point {i}: {got_d} vs {d}");
                    compared += 1;
                }
                (best, got) => panic!("point {i} {sector}: {best:?} vs {got:?}"),
            }
        }
    }
    assert!(compared > 15_000, "{compared}");
}
