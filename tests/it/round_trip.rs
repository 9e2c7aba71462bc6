//! What export writes, import reads back unchanged (GeoJSON and HXL CSV).

use crate::support::{TestApp, collection, feature};
use serde_json::json;
use tirek::import::{FacilityFormat, read_facilities};
use tirek::model::Facility;

fn rich_facility() -> serde_json::Value {
    let mut f = feature(
        "kz-shelter-7",
        &["shelter", "psychosocial"],
        69.5901,
        42.3417,
    );
    let p = &mut f["properties"];
    p["names"] = json!({"ru": "Убежище, \"Тірек\"", "kk": "Баспана"});
    p["organisation"] = json!("NGO, with a comma");
    p["services"] = json!(["emergency_shelter", "counselling"]);
    p["opening_hours"] = json!("24/7");
    p["languages"] = json!(["kk", "ru"]);
    p["female_staff"] = json!(true);
    p["no_police_report_required"] = json!(true);
    p["capacity"] = json!({"beds_total": 12, "beds_available": 3, "as_of": "2026-10-01"});
    p["status"] = json!("temporarily_closed");
    p["verified_at"] = json!("2026-09-30");
    p["source"] = json!("test\nwith a newline");
    p["demo"] = json!(true);
    p["adm1"] = json!("KZ-YUZ");
    f
}

#[tokio::test]
async fn export_then_import_is_lossless_in_both_formats() {
    let app = TestApp::new().await;
    let (status, _) = app
        .import(&collection(vec![
            rich_facility(),
            feature("kz-police-1", &["police"], -179.999999, 89.5),
        ]))
        .await;
    assert_eq!(status, 200);
    let stored: Vec<Facility> = app.state.registry.store().facilities().await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .find(|f| f.id == "kz-shelter-7")
            .unwrap()
            .confidential,
        "shelters are confidential by default"
    );

    let geojson = tirek::export::geojson(stored.iter().cloned());
    let text = serde_json::to_string(&geojson).unwrap();
    let back = read_facilities(text.as_bytes(), FacilityFormat::Geojson).unwrap();
    assert_eq!(back, stored);

    let csv = tirek::export::csv(stored.iter());
    assert!(
        csv.lines().nth(1).unwrap().starts_with("#loc+id,#loc+name"),
        "HXL hashtag row"
    );
    let back = read_facilities(csv.as_bytes(), FacilityFormat::Csv).unwrap();
    assert_eq!(back, stored);

    // Importing the export into the same store changes nothing.
    let (_, summary) = app
        .send(
            "POST",
            "/api/import?format=csv",
            Some(crate::support::TOKEN),
            Some(csv.into_bytes()),
        )
        .await;
    assert_eq!(summary["unchanged"], 2, "{summary}");
}

/// Every facility the store holds, sorted by id (timestamps included).
pub async fn stored(app: &TestApp) -> Vec<Facility> {
    let mut all = app.state.registry.store().facilities().await.unwrap();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    all
}

/// Imports `body` (format detected) and checks that nothing changed: every record read
/// is `unchanged`, and the store holds exactly what it held before.
pub async fn reimports_unchanged(app: &TestApp, what: &str, body: Vec<u8>, records: usize) {
    let before = stored(app).await;
    let (status, summary) = app
        .send(
            "POST",
            "/api/import",
            Some(crate::support::TOKEN),
            Some(body),
        )
        .await;
    assert_eq!(status, 200, "{what}: {summary}");
    assert_eq!(
        (
            &summary["read"],
            &summary["unchanged"],
            &summary["created"],
            &summary["updated"]
        ),
        (&json!(records), &json!(records), &json!(0), &json!(0)),
        "{what}: {summary}"
    );
    assert_eq!(stored(app).await, before, "{what}");
}

#[tokio::test]
async fn every_facility_output_reimports_unchanged() {
    use crate::support::{CASEWORKER_TOKEN, TOKEN};
    let app = crate::trust::app_with_defaults().await;
    let (status, _) = app
        .import(&collection(vec![
            rich_facility(),
            feature("kz-police-1", &["police"], 69.6, 42.3),
        ]))
        .await;
    assert_eq!(status, 200);
    let total = app.state.registry.index().len();
    let confidential = stored(&app).await.iter().filter(|f| f.confidential).count();
    assert!(confidential > 0 && total > confidential);
    let raw = |app: &TestApp, uri: &str, token: Option<&str>| {
        let uri = uri.to_string();
        let token = token.map(str::to_string);
        let state = app.state.clone();
        async move {
            use http_body_util::BodyExt;
            use tower::ServiceExt;
            let mut req = axum::http::Request::builder().uri(&uri);
            if let Some(t) = &token {
                req = req.header("authorization", format!("Bearer {t}"));
            }
            let resp = tirek::app(state)
                .oneshot(req.body(axum::body::Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{uri}");
            resp.into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec()
        }
    };
    for (viewer, token, visible) in [
        ("public", None, total - confidential),
        ("caseworker", Some(CASEWORKER_TOKEN), total),
        ("planner", Some(TOKEN), total),
    ] {
        for uri in [
            "/api/facilities",
            "/api/export",
            "/api/export?format=geojson",
            "/api/export?format=csv",
        ] {
            let body = raw(&app, uri, token).await;
            reimports_unchanged(&app, &format!("{viewer} {uri}"), body, visible).await;
        }
        let uri = "/api/facilities/kz-police-1";
        let body = raw(&app, uri, token).await;
        reimports_unchanged(&app, &format!("{viewer} {uri}"), body, 1).await;
    }
    let body = raw(&app, "/api/facilities/kz-shelter-7", Some(CASEWORKER_TOKEN)).await;
    reimports_unchanged(&app, "caseworker shelter", body, 1).await;
}
