//! Survivors' safety: confidential shelters never reach the public in any response,
//! roles guard every write, every write is audited, and sign-in behaves (one-time
//! passwords, cookies, rate limiting).

use crate::support::{
    ADMIN_TOKEN, CASEWORKER_TOKEN, EDITOR_TOKEN, TOKEN, TestApp, collection, feature,
    register_editor,
};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tirek::model::Role;
use tower::ServiceExt;

/// The confidential shelters of the leak fixture: (id, lon, lat, address, phone).
const SHELTERS: [(&str, f64, f64, &str, &str); 3] = [
    (
        "kz-safe-07",
        69.583_917,
        42.318_206,
        "Tole bi 417, apt 9",
        "+7 701 381 2290",
    ),
    (
        "kz-safe-11",
        68.271_543,
        43.297_781,
        "Abai 33",
        "+7 725 294 6617",
    ),
    (
        "kg-safe-02",
        72.795_361,
        40.531_874,
        "Kurmanjan Datka 5",
        "+996 555 730 418",
    ),
];

/// A store with confidential shelters among public services, areas and settlements.
async fn leak_fixture() -> TestApp {
    let app = TestApp::with_web().await;
    let mut features = Vec::new();
    for (id, lon, lat, address, phone) in SHELTERS {
        let mut f = feature(id, &["shelter"], lon, lat);
        f["properties"]["name"] = json!(format!("Dom nadezhdy {id}"));
        f["properties"]["address"] = json!(address);
        f["properties"]["phone"] = json!(phone);
        f["properties"]["confidential"] = json!(true);
        f["properties"]["services"] = json!(["emergency_shelter", "cmr_pep"]);
        features.push(f);
    }
    let mut public_shelter = feature("kz-public-shelter", &["shelter"], 71.43, 51.13);
    public_shelter["properties"]["confidential"] = json!(false);
    features.push(public_shelter);
    let mut hotline = feature("kz-hotline", &["hotline"], 71.45, 51.17);
    hotline["properties"]["phone"] = json!("150");
    features.push(hotline);
    for (i, (lon, lat)) in [(69.6, 42.3), (68.3, 43.3), (72.8, 40.5), (70.0, 42.0)]
        .into_iter()
        .enumerate()
    {
        features.push(feature(
            &format!("health-{i}"),
            &["health"],
            lon + 0.05,
            lat,
        ));
        features.push(feature(
            &format!("police-{i}"),
            &["police"],
            lon,
            lat + 0.05,
        ));
    }
    let (status, body) = app.import(&collection(features)).await;
    assert_eq!(status, 200, "{body}");

    let square = |code: &str, w: f64, s: f64, e: f64, n: f64| {
        json!({"type": "Feature", "properties": {"code": code, "name": code},
               "geometry": {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}})
    };
    let areas = json!({"type": "FeatureCollection", "features": [
        square("R1", 66.0, 39.0, 70.0, 44.0), square("R2", 70.0, 39.0, 74.0, 44.0)]});
    let (status, body) = app
        .send(
            "POST",
            "/api/import/areas?level=1",
            Some(TOKEN),
            Some(areas.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut csv = String::from("id,lon,lat,population\n");
    for i in 0..400 {
        let lon = 66.5 + f64::from(i % 20) * 0.37;
        let lat = 39.5 + f64::from(i / 20) * 0.22;
        csv.push_str(&format!("p{i},{lon:.4},{lat:.4},{}\n", 500 + i * 7));
    }
    let (status, body) = app
        .send(
            "POST",
            "/api/import/population",
            Some(TOKEN),
            Some(csv.into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // A walking scenario over every facility, so that the answers by travel time are
    // real ones (a uniform 5 km/h at 0.05°, with a band of impassable cells).
    let grid = tirek::export::geotiff::GeoGrid {
        width: 180,
        height: 280,
        west: 65.5,
        north: 53.0,
        dx: 0.05,
        dy: 0.05,
    };
    let friction: Vec<f32> = (0..grid.width * grid.height)
        .map(|i| if i % grid.width == 20 { -9999.0 } else { 0.012 })
        .collect();
    let tiff = tirek::export::geotiff::geotiff_bytes(
        &grid,
        tirek::export::geotiff::Samples::F32(&friction),
        Some(-9999.0),
    )
    .unwrap();
    let (status, body) = app
        .send(
            "POST",
            "/api/import/friction?scenario=walking",
            Some(TOKEN),
            Some(tiff),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app
}

/// Every way a response could give a shelter away: its coordinates as a pair of numbers
/// (to 3 decimals, rounded or truncated, as degrees, E6/E7 integers or Web Mercator
/// metres, in either order, within three numbers of each other), as degrees-minutes, as H3 cells finer than any served grid; its address, phone (any
/// spacing), id and name. Returns what was found.
fn leaks(text: &str) -> Vec<String> {
    let numbers: Vec<f64> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'E'))
        .filter_map(|t| {
            t.trim_matches(|c| c == '.' || c == 'e' || c == 'E')
                .parse()
                .ok()
        })
        .collect();
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut found = Vec::new();
    for (id, lon, lat, address, phone) in SHELTERS {
        let coordinate_like = |v: f64, c: f64| {
            let degrees =
                (v - c).abs() < 0.0005 || (v - (c * 1000.0).trunc() / 1000.0).abs() < 1e-9;
            let scaled = [1e6, 1e7]
                .iter()
                .any(|s| v.abs() > 1e5 && (v / s - c).abs() < 0.0005);
            degrees || scaled
        };
        let mercator_x = 6_378_137.0 * lon.to_radians();
        let mercator_y = 6_378_137.0
            * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
                .tan()
                .ln();
        let mercator_like = |v: f64, c: f64| (v - c).abs() < 100.0;
        // A coordinate is a pair: both numbers within a few tokens of each other, in
        // either order (single numbers near 42.318 occur by chance in any large grid).
        for (i, &a) in numbers.iter().enumerate() {
            for &b in numbers.iter().skip(i + 1).take(3) {
                let pair = |x: f64, y: f64| {
                    (coordinate_like(x, lon) && coordinate_like(y, lat))
                        || (mercator_like(x, mercator_x) && mercator_like(y, mercator_y))
                };
                if pair(a, b) || pair(b, a) {
                    found.push(format!("{id}: coordinates {a}, {b}"));
                }
            }
        }
        for c in [lon, lat] {
            let dm = format!("{}°{:02}", c.trunc(), ((c.fract()) * 60.0).trunc());
            if text.contains(&dm) {
                found.push(format!("{id}: {dm}"));
            }
        }
        let ll = h3o::LatLng::new(lat, lon).unwrap();
        // Finer than any grid Tirek serves (res ≤ 7 lists every cell of a region, the
        // shelter's among them, with its values withheld), so a cell here singles it out.
        for res in 8..=15u8 {
            let cell = ll
                .to_cell(h3o::Resolution::try_from(res).unwrap())
                .to_string();
            if text.contains(&cell) {
                found.push(format!("{id}: H3 cell {cell} (res {res})"));
            }
        }
        let phone_digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let name = format!("Dom nadezhdy {id}");
        for secret in [address, phone, &phone_digits, id, &name] {
            if text.contains(secret) || compact.contains(&secret.replace(' ', "")) {
                found.push(format!("{id}: {secret:?}"));
            }
        }
    }
    found
}

/// Fetches `uri` with `token` (or anonymously) and returns the status and body text.
async fn fetch(app: &TestApp, uri: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::get(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = tirek::app(app.state.clone())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Every public GET the API and the web front end offer, with parameters aimed at the
/// shelters: near them, in boxes around them, small radii and thresholds, fine grids.
fn public_requests() -> Vec<String> {
    let mut uris: Vec<String> = [
        "/",
        "/index.html",
        "/healthz",
        "/api/meta",
        "/api/me",
        "/api/openapi.json",
        "/api/facilities",
        "/api/facilities?sector=shelter",
        "/api/facilities?q=nadezhdy",
        "/api/facilities?overdue=true",
        "/api/export",
        "/api/export?format=csv",
        "/api/export?format=geojson",
        "/api/areas",
        "/api/areas?level=1",
        "/api/settlements",
        "/api/coverage",
        "/api/coverage?format=geojson",
        "/api/coverage?level=1&sectors=shelter",
        "/api/coverage?sectors=shelter,health&package=shelter",
        "/api/coverage?threshold_km.shelter=1",
        "/api/gaps/grid",
        "/api/gaps/grid?res=7&sector=shelter&bbox=69.4,42.2,69.7,42.4",
        "/api/gaps/grid?res=6&sector=shelter,health,police",
        "/api/gaps/grid?res=5&threshold_km.shelter=2",
        "/api/gaps/grid?by=time&scenario=walking&res=7&sector=shelter&bbox=69.4,42.2,69.7,42.4&cells=all",
        "/api/gaps/grid?by=time&scenario=walking&res=6&sector=shelter,health,police&threshold_min.shelter=5",
        "/api/gaps/grid?by=time&res=5",
        "/api/catchments?sector=shelter",
        "/api/catchments?sector=health",
        "/api/travel/scenarios",
        "/api/travel/catchments?scenario=walking&sector=shelter",
        "/api/travel/catchments?scenario=walking&sector=health&bbox=69.4,42.2,69.7,42.4",
        "/api/coverage?by=time&scenario=walking&sectors=shelter",
        "/api/coverage?by=time&scenario=walking&threshold_min.shelter=5",
        "/api/audit",
        "/api/users",
        "/api/organisations",
        "/api/organisations/org-none",
        "/api/proposals",
        "/api/proposals?status=pending",
        "/api/proposals/1",
        "/api/organisations/org-none/due",
        "/api/freshness",
        "/api/freshness?format=csv",
        "/api/pathway?area=R1",
        "/api/pathway?area=R1&format=csv",
        "/api/pathway?area=R1&format=html",
        "/api/pathway?area=R2&lang=ru&format=html",
        "/api/pathway?area=R2&lang=kk&format=csv",
        "/api/reports",
        "/api/reports?status=open",
        "/api/referrals",
        "/api/referrals?scope=mine",
        "/api/referrals?scope=organisation",
        "/api/referrals?scope=incoming",
        "/api/referrals?scope=all",
        "/api/referrals/1",
        "/api/unmet-needs",
        "/api/coordination/figures",
        "/api/coordination/figures?level=0&format=csv",
        "/api/coordination/figures?level=2",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for (id, lon, lat, _, _) in SHELTERS {
        uris.push(format!("/api/facilities/{id}"));
        uris.push(format!(
            "/api/facilities?bbox={},{},{},{}",
            lon - 0.01,
            lat - 0.01,
            lon + 0.01,
            lat + 0.01
        ));
        // Not exactly at a shelter: the answer echoes the query point.
        for (dlon, dlat) in [(0.0011, 0.0009), (0.002, -0.001), (0.3, 0.2)] {
            let (qlon, qlat) = (lon + dlon, lat + dlat);
            uris.push(format!("/api/nearest?lon={qlon}&lat={qlat}"));
            uris.push(format!(
                "/api/nearest?lon={qlon}&lat={qlat}&sector=shelter&k=10"
            ));
            uris.push(format!(
                "/api/nearest?lon={qlon}&lat={qlat}&sector=shelter&radius_km=0.5"
            ));
            uris.push(format!(
                "/api/nearest?lon={qlon}&lat={qlat}&sector=shelter&by=time&scenario=walking&k=10"
            ));
            uris.push(format!(
                "/api/nearest?lon={qlon}&lat={qlat}&sector=shelter&radius_km=30&k=10"
            ));
            uris.push(format!(
                "/api/nearest?lon={qlon}&lat={qlat}&sector=shelter&services=cmr_pep&female_staff=true&status=active,temporarily_closed"
            ));
        }
    }
    for file in [
        "js/main.js",
        "js/api.js",
        "js/caseworker.js",
        "js/planner.js",
        "js/donor.js",
        "js/map.js",
        "js/referral.js",
        "i18n/en.json",
        "i18n/ru.json",
        "app.css",
    ] {
        uris.push(format!("/{file}"));
    }
    uris
}

#[tokio::test]
async fn no_public_response_gives_a_confidential_shelter_away() {
    let app = leak_fixture().await;
    let uris = public_requests();

    // The list covers every GET path the API documents.
    let (_, doc) = fetch(&app, "/api/openapi.json", None).await;
    let doc: Value = serde_json::from_str(&doc).unwrap();
    let tested: BTreeSet<String> = uris
        .iter()
        .map(|u| u.split('?').next().unwrap().to_string())
        .collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() {
            continue;
        }
        let covered = tested.iter().any(|t| {
            let (tp, pp): (Vec<&str>, Vec<&str>) =
                (t.split('/').collect(), path.split('/').collect());
            tp.len() == pp.len()
                && tp
                    .iter()
                    .zip(&pp)
                    .all(|(a, b)| a == b || b.starts_with('{'))
        });
        assert!(covered, "GET {path} is not in the leak test");
    }

    let mut fetched = 0;
    for uri in &uris {
        let (status, body) = fetch(&app, uri, None).await;
        assert!(status.as_u16() < 500, "{uri}: {status}");
        let found = leaks(&body);
        assert!(found.is_empty(), "{uri} ({status}) leaks {found:?}");
        fetched += usize::from(status.is_success());
    }
    assert!(fetched > 60, "only {fetched} public requests succeeded");

    // The batch nearest (POST), CSV and NDJSON, with points right around the shelters.
    let mut points = Vec::new();
    for (i, (_, lon, lat, _, _)) in SHELTERS.iter().enumerate() {
        for j in 0..50 {
            let a = f64::from(j) * 0.4;
            let r = 0.002 + f64::from(j) * 0.01;
            points.push(json!({"id": format!("q{i}-{j}"), "lon": lon + r * a.cos(), "lat": lat + r * a.sin()}));
        }
    }
    for (extra, accept) in [
        (json!({}), "text/csv"),
        (
            json!({"sectors": ["shelter"], "k": 10, "radius_km": 1}),
            "application/x-ndjson",
        ),
    ] {
        let mut body = extra;
        body["points"] = json!(points);
        let req = Request::post("/api/nearest/batch")
            .header("accept", accept)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let resp = tirek::app(app.state.clone()).oneshot(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains("confidential") || text.contains("true"),
            "{text}"
        );
        let found = leaks(&text);
        assert!(found.is_empty(), "batch ({accept}) leaks {found:?}");
    }

    // The detector works: the same requests as a caseworker do show the shelters.
    for (uri, must_find) in [
        ("/api/facilities?sector=shelter", 3),
        ("/api/export?format=csv", 3),
        ("/api/export", 3),
    ] {
        let (status, body) = fetch(&app, uri, Some(CASEWORKER_TOKEN)).await;
        assert_eq!(status, 200);
        let shown: BTreeSet<String> = leaks(&body)
            .iter()
            .map(|l| l.split(':').next().unwrap().to_string())
            .collect();
        assert_eq!(shown.len(), must_find, "{uri}: {shown:?}");
    }
    for (id, lon, lat, address, phone) in SHELTERS {
        let (status, body) = fetch(
            &app,
            &format!("/api/facilities/{id}"),
            Some(CASEWORKER_TOKEN),
        )
        .await;
        assert_eq!(status, 200);
        assert!(body.contains(address) && body.contains(phone));
        let (_, near) = fetch(
            &app,
            &format!("/api/nearest?lon={lon}&lat={lat}&sector=shelter"),
            Some(CASEWORKER_TOKEN),
        )
        .await;
        let near: Value = serde_json::from_str(&near).unwrap();
        assert_eq!(near["results"][0]["facility"]["properties"]["id"], id);
        assert_eq!(near["results"][0]["distance_m"], 0.0);
        assert_eq!(
            near["results"][0]["facility"]["geometry"]["coordinates"],
            json!([lon, lat])
        );
        let (status, grid) = fetch(
            &app,
            "/api/catchments?sector=shelter",
            Some(CASEWORKER_TOKEN),
        )
        .await;
        assert_eq!(status, 200);
        assert!(grid.contains(id));
    }
}

/// One write request: method, path, body, and the audit `(action, entity_kind)` a
/// success writes.
struct Write {
    method: &'static str,
    uri: &'static str,
    body: Vec<u8>,
    audit: &'static str,
}

fn writes() -> Vec<Write> {
    let one = feature("w-1", &["health"], 69.0, 42.0);
    let mut renamed = one.clone();
    renamed["properties"]["name"] = json!("Renamed");
    let area = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "A1", "name": "A1"},
         "geometry": {"type": "Polygon", "coordinates": [[[68.0, 41.0], [70.0, 41.0], [70.0, 43.0], [68.0, 43.0], [68.0, 41.0]]]}}]});
    vec![
        Write {
            method: "POST",
            uri: "/api/facilities",
            body: one.to_string().into_bytes(),
            audit: "create/facility",
        },
        Write {
            method: "PUT",
            uri: "/api/facilities/w-1",
            body: renamed.to_string().into_bytes(),
            audit: "update/facility",
        },
        Write {
            method: "POST",
            uri: "/api/import",
            body: collection(vec![feature("w-2", &["police"], 69.1, 42.1)])
                .to_string()
                .into_bytes(),
            audit: "create/facility",
        },
        Write {
            method: "POST",
            uri: "/api/import/areas?level=1",
            body: area.to_string().into_bytes(),
            audit: "replace/area",
        },
        Write {
            method: "POST",
            uri: "/api/import/population",
            body: b"id,lon,lat,population\nq1,69.0,42.0,100\n".to_vec(),
            audit: "replace/settlement",
        },
        Write {
            method: "DELETE",
            uri: "/api/facilities/w-1",
            body: Vec::new(),
            audit: "delete/facility",
        },
        Write {
            method: "POST",
            uri: "/api/organisations",
            body: organisation("org-w").to_string().into_bytes(),
            audit: "organisation.create/organisation",
        },
        Write {
            method: "PUT",
            uri: "/api/organisations/org-w",
            body: {
                let mut trusted = organisation("org-w");
                trusted["trusted"] = json!(true);
                trusted.to_string().into_bytes()
            },
            audit: "organisation.update/organisation",
        },
        // Proposals 1 and 2 are made by an editor before the table runs.
        Write {
            method: "POST",
            uri: "/api/proposals/1/approve",
            body: b"{}".to_vec(),
            audit: "proposal.approve/proposal",
        },
        Write {
            method: "POST",
            uri: "/api/proposals/2/reject",
            body: br#"{"reason": "not this way"}"#.to_vec(),
            audit: "proposal.reject/proposal",
        },
        // Reports 1 and 2 are sent by the public before the table runs.
        Write {
            method: "POST",
            uri: "/api/reports/1/resolve",
            body: br#"{"note": "fixed"}"#.to_vec(),
            audit: "report.resolve/report",
        },
        Write {
            method: "POST",
            uri: "/api/reports/2/dismiss",
            body: b"{}".to_vec(),
            audit: "report.dismiss/report",
        },
        // After the decisions: confirming p-1 changes it (the proposals would be stale).
        Write {
            method: "POST",
            uri: "/api/organisations/org-p/verify",
            body: b"{}".to_vec(),
            audit: "update/facility",
        },
    ]
}

fn organisation(id: &str) -> Value {
    json!({"id": id, "names": {"en": "Agency", "ru": "Агентство"}, "sectors": ["health"], "country": "KZ"})
}

/// Whether a request path fits a documented path template (`{…}` takes any segment).
fn fits(uri: &str, template: &str) -> bool {
    let (u, t): (Vec<&str>, Vec<&str>) = (
        uri.split('?').next().unwrap().split('/').collect(),
        template.split('/').collect(),
    );
    u.len() == t.len() && u.iter().zip(&t).all(|(a, b)| a == b || b.starts_with('{'))
}

#[tokio::test]
async fn every_write_needs_the_planner_role_and_is_audited() {
    let app = TestApp::new().await;
    let table = writes();
    // Two pending proposals of an agency editor, for the planner to decide on.
    let (status, _) = app
        .send(
            "POST",
            "/api/organisations",
            Some(TOKEN),
            Some(organisation("org-p").to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 201);
    register_editor(
        app.state.registry.store().as_ref(),
        "editor-p",
        Some("org-p"),
        EDITOR_TOKEN,
    )
    .await;
    // Away from the areas the table imports (which would fill its codes, so that the
    // record changed since the proposals and approving them is refused as stale).
    let mut mine = feature("p-1", &["health"], 75.0, 45.0);
    mine["properties"]["organisation_id"] = json!("org-p");
    assert_eq!(app.import(&collection(vec![mine.clone()])).await.0, 200);
    for name in ["First proposal", "Second proposal"] {
        mine["properties"]["name"] = json!(name);
        let (status, body) = app
            .send(
                "PUT",
                "/api/facilities/p-1",
                Some(EDITOR_TOKEN),
                Some(mine.to_string().into_bytes()),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    for _ in 0..2 {
        let report = json!({"kind": "wrong_phone", "text": "no answer"});
        let (status, body) = app
            .send(
                "POST",
                "/api/facilities/p-1/reports",
                None,
                Some(report.to_string().into_bytes()),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }

    // The table covers every write the API documents (besides signing in and out,
    // passwords, tokens, and the read-only planning computation).
    let (_, doc) = app.get("/api/openapi.json").await;
    let not_data_writes = [
        "/api/login",
        "/api/logout",
        "/api/password",
        "/api/tokens",
        "/api/plan/sites",
        "/api/nearest/batch",
        // Public by design (rate-limited; tests/it/stewardship.rs).
        "/api/facilities/{id}/reports",
        // A caseworker's writes for her organisation, not the planner's: roles and
        // audit in tests/it/referrals.rs.
        "/api/referrals",
        "/api/referrals/{id}/status",
        "/api/unmet-needs",
        // Travel scenarios: 401/403 for each role, audit of import, replace and removal
        // in tests/it/travel_api.rs (the body must be a GeoTIFF covering the facilities).
        "/api/import/friction",
        "/api/travel/scenarios/{name}",
    ];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "delete", "patch"] {
            if item.get(method).is_none() || not_data_writes.contains(&path.as_str()) {
                continue;
            }
            let listed = table
                .iter()
                .any(|w| w.method.eq_ignore_ascii_case(method) && fits(w.uri, path));
            assert!(listed, "{method} {path} has no role test");
        }
    }

    for w in &table {
        for (token, expected) in [
            (None, 401),
            (Some("tirek_not-a-real-token"), 401),
            (Some(CASEWORKER_TOKEN), 403),
        ] {
            let (status, body) = app.send(w.method, w.uri, token, Some(w.body.clone())).await;
            assert_eq!(
                status.as_u16(),
                expected,
                "{} {} as {token:?}: {body}",
                w.method,
                w.uri
            );
            assert!(body["error"]["message"].is_string());
        }
        let before = audit(&app).await.len();
        let (status, body) = app
            .send(w.method, w.uri, Some(TOKEN), Some(w.body.clone()))
            .await;
        assert!(
            status.is_success(),
            "{} {}: {status} {body}",
            w.method,
            w.uri
        );
        let after = audit(&app).await;
        let new: Vec<&Value> = after[before..].iter().collect();
        assert!(
            !new.is_empty(),
            "{} {} wrote no audit entry",
            w.method,
            w.uri
        );
        let (action, kind) = w.audit.split_once('/').unwrap();
        assert!(
            new.iter().any(|e| e["actor"] == "planner"
                && e["action"] == action
                && e["entity_kind"] == kind),
            "{} {}: {new:?}",
            w.method,
            w.uri
        );
    }
    // Before/after of the update, and the CSV export.
    let log = audit(&app).await;
    let update = log.iter().find(|e| e["action"] == "update").unwrap();
    assert!(update["before"].as_str().unwrap().contains("Facility w-1"));
    assert!(update["after"].as_str().unwrap().contains("Renamed"));
    let (status, csv) = app
        .send("GET", "/api/audit?format=csv", Some(ADMIN_TOKEN), None)
        .await;
    assert_eq!(status, 200);
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("id,at,actor,action,entity_kind,entity_id,before,after\n"));
    let planner_rows = csv
        .lines()
        .filter(|l| l.split(',').nth(2) == Some("planner"))
        .count();
    assert_eq!(
        planner_rows,
        log.iter().filter(|e| e["actor"] == "planner").count()
    );

    // The admin views: only admins.
    for uri in ["/api/audit", "/api/users"] {
        assert_eq!(app.send("GET", uri, None, None).await.0, 401);
        assert_eq!(
            app.send("GET", uri, Some(CASEWORKER_TOKEN), None).await.0,
            403
        );
        assert_eq!(app.send("GET", uri, Some(TOKEN), None).await.0, 403);
        assert_eq!(app.send("GET", uri, Some(ADMIN_TOKEN), None).await.0, 200);
    }
}

async fn audit(app: &TestApp) -> Vec<Value> {
    let (status, body) = app
        .send("GET", "/api/audit?limit=10000", Some(ADMIN_TOKEN), None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["entries"].as_array().unwrap().clone()
}

/// A request with cookies and a JSON body, as the web page sends it from its own origin
/// (`Sec-Fetch-Site: same-origin`, `Content-Type: application/json`, unless `headers`
/// say otherwise); returns status, `Set-Cookie`, body.
pub async fn with_cookie(
    app: &TestApp,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(c) = cookie {
        req = req.header("cookie", format!("tirek_session={c}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let given = |name: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if !given("sec-fetch-site") && !given("origin") {
        req = req.header("sec-fetch-site", "same-origin");
    }
    if body.is_some() && !given("content-type") {
        req = req.header("content-type", "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let resp = tirek::app(app.state.clone()).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let set_cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        set_cookie,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

pub fn session_of(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("tirek_session=")
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn sign_in_one_time_password_cookie_and_rate_limit() {
    let app = TestApp::new().await;
    let mut shelter = feature("hidden", &["shelter"], 69.5, 42.5);
    shelter["properties"]["confidential"] = json!(true);
    assert_eq!(app.import(&collection(vec![shelter])).await.0, 200);
    let one_time = app
        .state
        .accounts
        .add("amina", Role::Caseworker, "admin")
        .await
        .unwrap();

    // Wrong password: 401 without saying which part was wrong; unknown user the same.
    let login = |u: &str, p: &str| json!({"username": u, "password": p});
    let (status, _, body) = with_cookie(
        &app,
        "POST",
        "/api/login",
        None,
        Some(login("amina", "nope")),
        &[],
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("bad_credentials"))
    );
    let (status, _, _) = with_cookie(
        &app,
        "POST",
        "/api/login",
        None,
        Some(login("nobody", "nope")),
        &[],
    )
    .await;
    assert_eq!(status, 401);

    // The one-time password signs in, but only to change it.
    let (status, cookie, me) = with_cookie(
        &app,
        "POST",
        "/api/login",
        None,
        Some(login("amina", &one_time)),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["must_change_password"], true);
    let cookie = cookie.unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let first = session_of(&cookie);
    let (status, _, _) = with_cookie(
        &app,
        "GET",
        "/api/facilities/hidden",
        Some(&first),
        None,
        &[],
    )
    .await;
    assert_eq!(
        status, 404,
        "a pending one-time password sees no more than the public"
    );
    let (status, _, body) = with_cookie(
        &app,
        "POST",
        "/api/tokens",
        Some(&first),
        Some(json!({"label": "x"})),
        &[],
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("new password")
    );

    let change = |current: &str, new: &str| json!({"current": current, "new": new});
    let (status, _, body) = with_cookie(
        &app,
        "POST",
        "/api/password",
        Some(&first),
        Some(change(&one_time, "short")),
        &[],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, cookie, me) = with_cookie(
        &app,
        "POST",
        "/api/password",
        Some(&first),
        Some(change(&one_time, "a long and private phrase")),
        &[("x-forwarded-proto", "https")],
    )
    .await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (me["role"].as_str(), me["must_change_password"].as_bool()),
        (Some("caseworker"), Some(false))
    );
    let cookie = cookie.unwrap();
    assert!(cookie.contains("; Secure"), "behind a TLS proxy: {cookie}");
    let second = session_of(&cookie);
    // The old session ended with the password change; the new one sees the shelter.
    let (_, _, me) = with_cookie(&app, "GET", "/api/me", Some(&first), None, &[]).await;
    assert_eq!(me["signed_in"], false);
    let (status, _, f) = with_cookie(
        &app,
        "GET",
        "/api/facilities/hidden",
        Some(&second),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(f["geometry"]["coordinates"], json!([69.5, 42.5]));
    // A caseworker may not write.
    let (status, _, _) = with_cookie(
        &app,
        "DELETE",
        "/api/facilities/hidden",
        Some(&second),
        None,
        &[],
    )
    .await;
    assert_eq!(status, 403);

    // A token for scripts, usable as a bearer token, shown once.
    let (status, _, token) = with_cookie(
        &app,
        "POST",
        "/api/tokens",
        Some(&second),
        Some(json!({"label": "sync"})),
        &[],
    )
    .await;
    assert_eq!(status, 201, "{token}");
    let token = token["token"].as_str().unwrap().to_string();
    let (status, f) = app
        .send("GET", "/api/facilities/hidden", Some(&token), None)
        .await;
    assert_eq!(status, 200, "{f}");

    // Signing out ends the session and clears the cookie.
    let (status, cleared, _) =
        with_cookie(&app, "POST", "/api/logout", Some(&second), None, &[]).await;
    assert_eq!(status, 204);
    assert!(cleared.unwrap().contains("Max-Age=0"));
    let (_, _, me) = with_cookie(&app, "GET", "/api/me", Some(&second), None, &[]).await;
    assert_eq!(me["signed_in"], false);

    // Five failures lock the name for the window: even the right password gets 429.
    for _ in 0..5 {
        let (status, _, _) = with_cookie(
            &app,
            "POST",
            "/api/login",
            None,
            Some(login("amina", "wrong guess")),
            &[],
        )
        .await;
        assert_eq!(status, 401);
    }
    let req = Request::post("/api/login")
        .header("content-type", "application/json")
        .body(Body::from(
            login("amina", "a long and private phrase").to_string(),
        ))
        .unwrap();
    let resp = tirek::app(app.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 429);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 900, "{wait}");

    // The reset gives a new one-time password and ends the sessions.
    let fresh = app.state.accounts.reset("amina", "admin").await.unwrap();
    assert_ne!(fresh, one_time);
    let log = app.state.registry.store().audit_log(0, 1000).await.unwrap();
    let actions: Vec<&str> = log
        .iter()
        .filter(|e| e.entity_id == "amina")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "user.add",
            "user.password",
            "token.create",
            "user.reset",
            "token.revoke"
        ]
    );
    // The reset revoked the token too.
    let (status, _) = app
        .send("GET", "/api/facilities/hidden", Some(&token), None)
        .await;
    assert_eq!(status, 401);
}

/// A wrong current password at `/api/password` counts like a failed sign-in: an open
/// session cannot be used to guess the password without limit.
#[tokio::test]
async fn wrong_current_passwords_count_toward_the_sign_in_limit() {
    let app = TestApp::new().await;
    let one_time = app
        .state
        .accounts
        .add("bota", Role::Caseworker, "admin")
        .await
        .unwrap();
    let (status, cookie, _) = with_cookie(
        &app,
        "POST",
        "/api/login",
        None,
        Some(json!({"username": "bota", "password": one_time})),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    let session = session_of(&cookie.unwrap());
    let change = |current: &str| json!({"current": current, "new": "a long and private phrase"});
    for _ in 0..5 {
        let (status, _, body) = with_cookie(
            &app,
            "POST",
            "/api/password",
            Some(&session),
            Some(change("a wrong guess")),
            &[],
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (401, Some("bad_credentials"))
        );
    }
    // Locked now: the right current password is refused, here and at sign-in.
    let (status, _, body) = with_cookie(
        &app,
        "POST",
        "/api/password",
        Some(&session),
        Some(change(&one_time)),
        &[],
    )
    .await;
    assert_eq!(status, 429, "{body}");
    let (status, _, _) = with_cookie(
        &app,
        "POST",
        "/api/login",
        None,
        Some(json!({"username": "bota", "password": one_time})),
        &[],
    )
    .await;
    assert_eq!(status, 429);
    // Another account is not affected.
    let other = app
        .state
        .accounts
        .add("dana", Role::Caseworker, "admin")
        .await
        .unwrap();
    let (status, _, _) = with_cookie(
        &app,
        "POST",
        "/api/login",
        None,
        Some(json!({"username": "dana", "password": other})),
        &[],
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_first_admin_gets_a_one_time_password_once() {
    let app = TestApp::new().await;
    // TestApp registers accounts already: a fresh store shows the set-up path.
    let store: std::sync::Arc<dyn tirek::store::Store> = std::sync::Arc::new(
        tirek::store::SqliteStore::connect_url("sqlite::memory:")
            .await
            .unwrap(),
    );
    let accounts = tirek::auth::Accounts::new(store);
    let password = accounts.ensure_first_admin().await.unwrap().unwrap();
    assert_eq!(
        accounts.ensure_first_admin().await.unwrap(),
        None,
        "only once"
    );
    let (_, signed) = accounts.sign_in("admin", &password, None).await.unwrap();
    assert_eq!((signed.role, signed.must_change), (Role::Admin, true));
    assert!(
        app.state
            .accounts
            .ensure_first_admin()
            .await
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_user_and_audit_commands_work_on_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tirek"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .env("USER", "ops")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        (
            out.status.success(),
            text,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, added, err) = run(&["user", "add", "dana", "--role", "planner"]);
    assert!(ok, "{err}");
    let first = added.lines().last().unwrap().trim().to_string();
    assert_eq!(first.len(), 23, "{added}");
    let (ok, _, err) = run(&["user", "add", "dana", "--role", "planner"]);
    assert!(!ok && err.contains("exists"), "{err}");
    let (ok, _, err) = run(&["user", "add", "Bad Name", "--role", "planner"]);
    assert!(!ok && err.contains("not valid"), "{err}");
    let (ok, _, err) = run(&["user", "add", "erlan", "--role", "superuser"]);
    assert!(!ok && err.contains("unknown role"), "{err}");
    let (ok, reset, _) = run(&["user", "reset", "dana"]);
    assert!(ok);
    let second = reset.lines().last().unwrap().trim().to_string();
    assert_ne!(first, second);
    let (ok, listed, _) = run(&["user", "list"]);
    assert!(
        ok && listed.contains("dana\tplanner (one-time password pending)"),
        "{listed}"
    );
    // No token while the one-time password is pending (whoever holds it is not yet
    // proven to be dana).
    let (ok, _, err) = run(&["user", "token", "dana", "--label", "nightly sync"]);
    assert!(!ok && err.contains("one-time password"), "{err}");
    // Once dana chose a password, the operator can issue one.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = tirek::store::SqliteStore::open_file(&dir.path().join("tirek.sqlite"))
            .await
            .unwrap();
        let accounts = tirek::auth::Accounts::new(std::sync::Arc::new(store));
        accounts
            .change_password("dana", &second, "a long and private phrase", None)
            .await
            .unwrap();
    });
    let (ok, token, _) = run(&["user", "token", "dana", "--label", "nightly sync"]);
    assert!(
        ok && token.lines().last().unwrap().starts_with("tirek_"),
        "{token}"
    );
    let (ok, _, _) = run(&["user", "remove", "dana"]);
    assert!(ok);
    let (ok, _, err) = run(&["user", "remove", "dana"]);
    assert!(!ok && err.contains("no account"), "{err}");
    let (ok, csv, err) = run(&["audit"]);
    assert!(ok, "{err}");
    let actions: Vec<(String, String)> = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(",user,dana,"))
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            (cols[2].to_string(), cols[3].to_string())
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("cli:ops", "user.add"),
        ("cli:ops", "user.reset"),
        ("dana", "user.password"),
        ("cli:ops", "token.create"),
        ("cli:ops", "user.remove"),
    ]
    .iter()
    .map(|(who, a)| (who.to_string(), a.to_string()))
    .collect();
    assert_eq!(actions, expected, "{csv}");
    // The one-time passwords and the token never reach the audit log.
    assert!(!csv.contains(&first) && !csv.contains(&second) && !csv.contains("tirek_"));
}
