//! `/api/nearest` equals an exhaustive WGS84 geodesic scan (computed here with
//! GeographicLib through `geo::Geodesic` directly, not through Tirek's index).

use crate::support::{SECTORS, TestApp, collection, random_facilities, random_point};
use geo::{Distance, Geodesic, Point};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

struct Plain {
    id: String,
    lon: f64,
    lat: f64,
    sectors: Vec<String>,
    cmr_pep: bool,
}

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
    let all: Vec<Plain> = features
        .iter()
        .map(|f| Plain {
            id: f["id"].as_str().unwrap().to_string(),
            lon: f["geometry"]["coordinates"][0].as_f64().unwrap(),
            lat: f["geometry"]["coordinates"][1].as_f64().unwrap(),
            sectors: f["properties"]["sectors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect(),
            cmr_pep: f["properties"]["services"].is_array(),
        })
        .collect();
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
