//! The HTTP API: writes and their guards, errors as JSON, confidential shelters.

use crate::support::{TOKEN, TestApp, collection, feature};
use serde_json::json;

#[tokio::test]
async fn crud_needs_the_token_and_round_trips() {
    let app = TestApp::new().await;
    let f = feature("kz-clinic-1", &["health"], 68.25, 43.3);
    let body = || Some(f.to_string().into_bytes());
    let (status, err) = app.send("POST", "/api/facilities", None, body()).await;
    assert_eq!(status, 401);
    assert_eq!(err["error"]["code"], "unauthorized");
    let (status, _) = app
        .send("POST", "/api/facilities", Some("wrong"), body())
        .await;
    assert_eq!(status, 401);

    let (status, created) = app
        .send("POST", "/api/facilities", Some(TOKEN), body())
        .await;
    assert_eq!(status, 201, "{created}");
    assert!(created["properties"]["created_at"].is_string());
    let (status, _) = app
        .send("POST", "/api/facilities", Some(TOKEN), body())
        .await;
    assert_eq!(status, 409);

    let (status, got) = app.get("/api/facilities/kz-clinic-1").await;
    assert_eq!(status, 200);
    assert_eq!(got["geometry"]["coordinates"], json!([68.25, 43.3]));

    let mut changed = f.clone();
    changed["properties"]["name"] = json!("Renamed");
    let (status, _) = app
        .send(
            "PUT",
            "/api/facilities/kz-clinic-1",
            None,
            Some(changed.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 401);
    let (status, updated) = app
        .send(
            "PUT",
            "/api/facilities/kz-clinic-1",
            Some(TOKEN),
            Some(changed.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated["properties"]["created_at"],
        created["properties"]["created_at"]
    );
    let (_, near) = app
        .get("/api/nearest?lon=68.2&lat=43.3&sector=health")
        .await;
    assert_eq!(
        near["results"][0]["facility"]["properties"]["name"],
        "Renamed"
    );

    let (status, _) = app
        .send(
            "PUT",
            "/api/facilities/other",
            Some(TOKEN),
            Some(changed.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 400, "body id differs from path id");
    let (status, _) = app
        .send("DELETE", "/api/facilities/kz-clinic-1", None, None)
        .await;
    assert_eq!(status, 401);
    let (status, _) = app
        .send("DELETE", "/api/facilities/kz-clinic-1", Some(TOKEN), None)
        .await;
    assert_eq!(status, 204);
    let (status, err) = app.get("/api/facilities/kz-clinic-1").await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "not_found");
    let (status, _) = app
        .send("DELETE", "/api/facilities/kz-clinic-1", Some(TOKEN), None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn one_bad_feature_writes_nothing_and_is_named() {
    let app = TestApp::new().await;
    let mut features: Vec<_> = (0..200)
        .map(|i| {
            feature(
                &format!("f{i}"),
                &["police"],
                60.0 + f64::from(i) * 0.01,
                45.0,
            )
        })
        .collect();
    features[137]["properties"]["sectors"] = json!(["police", "hospital"]);
    let (status, err) = app.import(&collection(features.clone())).await;
    assert_eq!(status, 422, "{err}");
    let errors = err["error"]["details"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["index"], 137);
    assert_eq!(errors[0]["id"], "f137");
    assert_eq!(errors[0]["field"], "properties.sectors[1]");
    let (_, listed) = app.get("/api/facilities").await;
    assert_eq!(
        listed["features"].as_array().unwrap().len(),
        0,
        "nothing may be written"
    );

    features[137]["properties"]["sectors"] = json!(["police"]);
    let (status, summary) = app.import(&collection(features.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(
        summary,
        json!({"read": 200, "created": 200, "updated": 0, "unchanged": 0, "skipped": 0})
    );
    let (_, again) = app.import(&collection(features)).await;
    assert_eq!(again["unchanged"], 200);
}

#[tokio::test]
async fn bad_input_gets_a_4xx_json_error() {
    let app = TestApp::new().await;
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "malformed JSON",
            b"{\"type\": \"FeatureCollection\", \"features\": [".to_vec(),
            422,
        ),
        (
            "not a collection",
            json!({"type": "Feature"}).to_string().into_bytes(),
            422,
        ),
        (
            "wrong geometry",
            collection(vec![{
                let mut f = feature("x", &["health"], 0.0, 0.0);
                f["geometry"] =
                    json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]});
                f
            }])
            .to_string()
            .into_bytes(),
            422,
        ),
        (
            "out-of-range coordinates",
            collection(vec![feature("x", &["health"], 181.0, 91.0)])
                .to_string()
                .into_bytes(),
            422,
        ),
        (
            "unknown sector",
            collection(vec![feature("x", &["fire"], 0.0, 0.0)])
                .to_string()
                .into_bytes(),
            422,
        ),
        ("oversize body", vec![b' '; 9 * 1024 * 1024], 413),
    ];
    for (what, body, expected) in cases {
        let (status, err) = app
            .send("POST", "/api/import", Some(TOKEN), Some(body))
            .await;
        assert_eq!(status.as_u16(), expected, "{what}: {err}");
        assert!(
            err["error"]["message"].is_string(),
            "{what}: not a JSON error: {err}"
        );
    }
    let (status, err) = app
        .send(
            "POST",
            "/api/facilities",
            Some(TOKEN),
            Some([b"{".as_slice(), &vec![b'x'; 2 * 1024 * 1024]].concat()),
        )
        .await;
    assert_eq!(status, 413, "{err}");
    for uri in [
        "/api/nearest",
        "/api/nearest?lon=abc&lat=1",
        "/api/nearest?lon=200&lat=1",
        "/api/nearest?lon=1&lat=-91",
        "/api/nearest?lon=1&lat=1&sector=fire",
        "/api/nearest?lon=1&lat=1&k=0",
        "/api/nearest?lon=1&lat=1&k=100000",
        "/api/nearest?lon=1&lat=1&open_24_7=maybe",
        "/api/nearest?lon=1&lat=1&lon=2",
        "/api/nearest?lon=NaN&lat=1",
        "/api/nearest?lon=1&lat=1&colour=red",
        "/api/facilities?bbox=1,2,3",
        "/api/export?format=xml",
        "/api/areas?level=x",
    ] {
        let (status, err) = app.get(uri).await;
        assert_eq!(status, 400, "{uri}: {err}");
        assert_eq!(err["error"]["code"], "bad_request", "{uri}");
    }
    let (status, err) = app.get("/api/nope").await;
    assert_eq!(
        (status.as_u16(), err["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, err) = app
        .send("PATCH", "/api/nearest?lon=1&lat=1", None, None)
        .await;
    assert_eq!(status, 405, "{err}");
    assert!(err["error"]["message"].is_string());
}

#[tokio::test]
async fn confidential_shelters_stay_hidden_from_the_public() {
    let app = TestApp::new().await;
    let mut shelter = feature("safe-house-1", &["shelter"], 69.123456, 42.654321);
    shelter["properties"]["phone"] = json!("+7 701 555 1234");
    shelter["properties"]["address"] = json!("Secret street 9");
    let mut hotline = feature("hotline-kz", &["hotline"], 71.4, 51.1);
    hotline["properties"]["phone"] = json!("150");
    let (status, _) = app.import(&collection(vec![shelter, hotline])).await;
    assert_eq!(status, 200);

    let public_bodies = [
        app.get("/api/facilities").await.1,
        app.get("/api/facilities/safe-house-1").await.1,
        app.get("/api/export").await.1,
        app.get("/api/export?format=csv").await.1,
        app.get("/api/nearest?lon=69.1&lat=42.6").await.1,
        app.get("/api/nearest?lon=69.12&lat=42.65&sector=shelter&k=5")
            .await
            .1,
    ];
    for body in &public_bodies {
        let text = body.to_string();
        for secret in [
            "69.123",
            "42.654",
            "Secret street",
            "555 1234",
            "safe-house-1",
        ] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }
    let near = &public_bodies[5];
    // The band is measured to the shelter's anchor: the centre of its H3 resolution-4
    // cell (computed here independently with h3o + geo's Karney geodesic).
    let cell = h3o::LatLng::new(42.654321, 69.123456)
        .unwrap()
        .to_cell(h3o::Resolution::Four);
    let anchor = h3o::LatLng::from(cell);
    let to_anchor = geo::Distance::distance(
        &geo::Geodesic,
        geo::Point::new(69.12, 42.65),
        geo::Point::new(anchor.lng(), anchor.lat()),
    );
    let expected = [10.0, 25.0, 50.0, 100.0, 250.0]
        .iter()
        .scan(0.0, |lower, &upper| {
            let band = (*lower, upper);
            *lower = upper;
            Some(band)
        })
        .find(|&(_, upper)| to_anchor / 1000.0 <= upper)
        .map(|(l, u)| format!("{l}–{u} km"))
        .unwrap();
    assert_eq!(near["results"].as_array().unwrap().len(), 1, "{near}");
    assert_eq!(near["results"][0]["distance_band"], expected.as_str());
    assert!(near["results"][0]["facility"]["geometry"].is_null());
    assert_eq!(
        near["results"][0]["facility"]["properties"]["hotline"],
        "150"
    );

    let (_, as_caseworker) = app
        .get_as("/api/nearest?lon=69.1&lat=42.6&sector=shelter")
        .await;
    assert_eq!(
        as_caseworker["results"][0]["facility"]["properties"]["address"],
        "Secret street 9"
    );
    let (status, _) = app.get_as("/api/facilities/safe-house-1").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn meta_and_security_headers() {
    let app = TestApp::new().await;
    let (status, meta) = app.get("/api/meta").await;
    assert_eq!(status, 200);
    assert_eq!(meta["facilities"], 0);
    let req = axum::http::Request::get("/healthz")
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(tirek::app(app.state.clone()), req)
        .await
        .unwrap();
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self'")
            && !csp.contains("unsafe-eval")
    );
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
}
