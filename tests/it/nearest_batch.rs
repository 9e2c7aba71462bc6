//! `POST /api/nearest/batch` equals an exhaustive WGS84 geodesic scan (GeographicLib
//! through `geo::Geodesic`, not Tirek's index), masks confidential facilities for the
//! public, and refuses bad points and oversized batches with JSON errors.

use crate::support::{
    Plain, SECTORS, TOKEN, TestApp, collection, plain, random_facilities, random_point,
};
use axum::body::Body;
use axum::http::Request;
use geo::{Distance, Geodesic, Point};
use http_body_util::BodyExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::HashMap;
use tower::ServiceExt;

/// Seeded facilities, every third shelter confidential; the app holding them.
async fn seeded() -> (TestApp, Vec<Plain>) {
    let app = TestApp::new().await;
    let mut features = random_facilities(3_000, 11);
    let mut shelters = 0;
    for f in &mut features {
        if f["properties"]["sectors"][0] == "shelter" {
            shelters += 1;
            if shelters % 3 == 0 {
                f["properties"]["confidential"] = json!(true);
            }
        }
    }
    let plain = plain(&features);
    let (status, summary) = app.import(&collection(features)).await;
    assert_eq!(status, 200, "{summary}");
    (app, plain)
}

/// The `k` nearest of `sector` by exhaustive geodesic scan (ties by id).
fn brute_force<'a>(
    all: &'a [Plain],
    lon: f64,
    lat: f64,
    sector: &str,
    k: usize,
    cmr_pep: bool,
) -> Vec<(&'a Plain, f64)> {
    let mut scored: Vec<(&Plain, f64)> = all
        .iter()
        .filter(|f| f.sectors.iter().any(|s| s == sector) && (!cmr_pep || f.cmr_pep))
        .map(|f| {
            (
                f,
                Geodesic.distance(Point::new(lon, lat), Point::new(f.lon, f.lat)),
            )
        })
        .collect();
    scored.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)));
    scored.truncate(k);
    scored
}

/// The geodesic distance to the nearest confidential shelter's anchor: the centre of
/// its H3 resolution-4 cell, computed here with h3o and geo independently.
fn anchor_distance(all: &[Plain], lon: f64, lat: f64) -> Option<f64> {
    all.iter()
        .filter(|f| f.confidential && f.sectors.iter().any(|s| s == "shelter"))
        .map(|f| {
            let cell = h3o::LatLng::new(f.lat, f.lon)
                .unwrap()
                .to_cell(h3o::Resolution::Four);
            let c = h3o::LatLng::from(cell);
            Geodesic.distance(Point::new(lon, lat), Point::new(c.lng(), c.lat()))
        })
        .min_by(f64::total_cmp)
}

/// The band the public sees instead of a distance (as `src/visibility.rs` words it).
fn band(distance_m: f64) -> String {
    tirek::visibility::distance_band(distance_m)
}

fn points(n: usize, seed: u64) -> Vec<(String, f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let (lon, lat) = random_point(&mut rng);
            (format!("q{i}"), lon, lat)
        })
        .collect()
}

fn body(points: &[(String, f64, f64)], extra: Value) -> Vec<u8> {
    let mut request = json!({
        "points": points.iter().map(|(id, lon, lat)| json!({"id": id, "lon": lon, "lat": lat})).collect::<Vec<_>>(),
    });
    if let Value::Object(more) = extra {
        request.as_object_mut().unwrap().extend(more);
    }
    request.to_string().into_bytes()
}

async fn post_csv(app: &TestApp, token: Option<&str>, body: Vec<u8>) -> String {
    let (status, answer) = app
        .send("POST", "/api/nearest/batch", token, Some(body))
        .await;
    assert_eq!(status, 200, "{answer}");
    answer.as_str().expect("CSV text").to_string()
}

/// CSV rows as `(point, sector) → [[facility_id, distance_m, band, confidential]]`.
fn parse_csv(text: &str) -> HashMap<(String, String), Vec<Vec<String>>> {
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("point_id,sector,facility_id,distance_m,distance_band,confidential")
    );
    let mut rows: HashMap<(String, String), Vec<Vec<String>>> = HashMap::new();
    for line in lines {
        let cells: Vec<String> = line.split(',').map(str::to_string).collect();
        assert_eq!(cells.len(), 6, "{line}");
        rows.entry((cells[0].clone(), cells[1].clone()))
            .or_default()
            .push(cells[2..].to_vec());
    }
    rows
}

#[tokio::test]
async fn batch_answers_equal_an_exhaustive_geodesic_scan() {
    let (app, all) = seeded().await;
    let queries = points(400, 5);
    for (k, cmr_pep) in [(1, false), (3, false), (2, true)] {
        let extra = if cmr_pep {
            json!({"k": k, "services": ["cmr_pep"]})
        } else {
            json!({"k": k})
        };
        let text = post_csv(&app, Some(TOKEN), body(&queries, extra)).await;
        let rows = parse_csv(&text);
        for (id, lon, lat) in &queries {
            for sector in SECTORS {
                let expected = brute_force(&all, *lon, *lat, sector, k, cmr_pep);
                let got = &rows[&(id.clone(), sector.to_string())];
                if expected.is_empty() {
                    assert_eq!(got, &vec![vec![String::new(); 4]]);
                    continue;
                }
                assert_eq!(got.len(), expected.len(), "{id} {sector}");
                for (row, (f, d)) in got.iter().zip(&expected) {
                    assert_eq!(row[0], f.id, "{id} {sector} k={k}");
                    let reported: f64 = row[1].parse().unwrap();
                    assert!((reported - d).abs() <= 0.000_6, "{reported} vs {d}");
                    assert_eq!(row[2], "");
                    assert_eq!(row[3], f.confidential.to_string());
                }
            }
        }
    }
}

#[tokio::test]
async fn the_public_never_learns_where_a_confidential_facility_is() {
    let (app, all) = seeded().await;
    let queries = points(300, 9);
    let text = post_csv(
        &app,
        None,
        body(&queries, json!({"sectors": ["shelter"], "k": 2})),
    )
    .await;
    let rows = parse_csv(&text);
    let public: Vec<Plain> = all.iter().filter(|f| !f.confidential).cloned().collect();
    let mut masked = 0;
    for (id, lon, lat) in &queries {
        // The public facilities as usual, then one masked row: the band to the nearest
        // confidential facility's anchor (its H3 resolution-4 cell centre).
        let expected = brute_force(&public, *lon, *lat, "shelter", 2, false);
        let got = &rows[&(id.clone(), "shelter".to_string())];
        for (row, (f, _)) in got.iter().zip(&expected) {
            assert_eq!((row[0].as_str(), row[3].as_str()), (f.id.as_str(), "false"));
        }
        if let Some(d) = anchor_distance(&all, *lon, *lat) {
            masked += 1;
            assert_eq!(
                got.last().unwrap(),
                &vec![String::new(), String::new(), band(d), "true".into()]
            );
            assert_eq!(got.len(), expected.len() + 1);
        }
    }
    assert!(
        masked > 20,
        "too few confidential answers to test ({masked})"
    );
    for f in all.iter().filter(|f| f.confidential) {
        assert!(
            !text.contains(&format!(",{},", f.id)),
            "{} leaked to the public",
            f.id
        );
    }

    // NDJSON (asked for by Accept) says the same.
    let request = Request::post("/api/nearest/batch")
        .header("accept", "application/x-ndjson")
        .header("content-type", "application/json")
        .body(Body::from(body(
            &queries,
            json!({"sectors": ["shelter"], "k": 2}),
        )))
        .unwrap();
    let response = tirek::app(app.state.clone())
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let lines: Vec<Value> = std::str::from_utf8(&bytes)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), queries.len());
    for (line, (id, lon, lat)) in lines.iter().zip(&queries) {
        assert_eq!(line["id"], json!(id));
        let results = line["results"].as_array().unwrap();
        let expected = brute_force(&public, *lon, *lat, "shelter", 2, false);
        for (r, (f, _)) in results.iter().zip(&expected) {
            assert_eq!(r["facility_id"], json!(f.id));
        }
        if let Some(d) = anchor_distance(&all, *lon, *lat) {
            assert_eq!(
                results.last().unwrap(),
                &json!({"sector": "shelter", "distance_band": band(d), "confidential": true})
            );
        }
    }
}

#[tokio::test]
async fn bad_points_and_oversized_batches_are_refused() {
    let app = TestApp::new().await;
    let post = |body: Value| {
        let app = &app;
        async move {
            app.send(
                "POST",
                "/api/nearest/batch",
                None,
                Some(body.to_string().into_bytes()),
            )
            .await
        }
    };
    let ok = json!({"id": "a", "lon": 68.0, "lat": 43.0});
    for (point, field) in [
        (json!({"id": "b", "lon": 68.0, "lat": 95.0}), "lat"),
        (json!({"id": "b", "lat": 43.0}), "lon"),
        (json!({"id": "b", "lon": "68", "lat": 43.0}), "lon"),
        (json!({"id": "b", "lon": -180.5, "lat": 43.0}), "lon"),
        (json!({"id": [1], "lon": 68.0, "lat": 43.0}), "id"),
    ] {
        let (status, err) = post(json!({"points": [ok, ok, point]})).await;
        assert_eq!(status, 400, "{err}");
        assert_eq!(err["error"]["details"], json!({"index": 2, "field": field}));
        assert!(
            err["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("points[2].{field}")),
            "{err}"
        );
    }
    let (status, err) = post(json!({"points": [ok], "sectors": ["shelters"]})).await;
    assert_eq!(status, 400, "{err}");
    let (status, err) = post(json!({"points": [ok], "k": 11})).await;
    assert_eq!(status, 400, "{err}");
    let (status, err) = post(json!({"points": [ok], "radius": 5})).await;
    assert_eq!(status, 400, "an unknown member is refused: {err}");

    // Duplicate ids are fine; an empty batch is a header.
    let (status, text) = post(json!({"points": [ok, ok], "sectors": ["health"]})).await;
    assert_eq!(status, 200);
    assert_eq!(text.as_str().unwrap().lines().count(), 3);
    let (status, text) = post(json!({"points": []})).await;
    assert_eq!(status, 200);
    assert_eq!(text.as_str().unwrap().lines().count(), 1);

    let many: Vec<Value> = (0..100_001)
        .map(|i| json!({"lon": 60.0 + f64::from(i % 1000) * 0.01, "lat": 45.0}))
        .collect();
    let (status, err) = post(json!({"points": many})).await;
    assert_eq!(status, 413, "{err}");
    assert_eq!(err["error"]["code"], "too_many_points");
    many_is_fine_at_the_limit(&app).await;
}

/// 100,000 points are answered (streamed, one row per point and sector).
async fn many_is_fine_at_the_limit(app: &TestApp) {
    let (status, _) = app
        .import(&collection(vec![crate::support::feature(
            "h1",
            &["health"],
            68.0,
            43.0,
        )]))
        .await;
    assert_eq!(status, 200);
    let many: Vec<Value> = (0..100_000)
        .map(|i| json!({"id": i, "lon": 60.0 + f64::from(i % 1000) * 0.01, "lat": 45.0}))
        .collect();
    let (status, text) = app
        .send(
            "POST",
            "/api/nearest/batch",
            None,
            Some(
                json!({"points": many, "sectors": ["health"]})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(status, 200);
    let text = text.as_str().unwrap();
    assert_eq!(text.lines().count(), 100_001);
    assert!(
        text.lines()
            .nth(100_000)
            .unwrap()
            .starts_with("99999,health,h1,")
    );
}
