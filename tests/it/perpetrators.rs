//! Programmes for perpetrators (`perpetrator_programme`): never in a nearest answer
//! unless asked for by name (single and batch), the `victim_support_partner` field
//! through every import and export (both databases), its validation, and coverage like
//! any other sector but outside the minimum package.

use crate::support::{CASEWORKER_TOKEN, PgDatabase, TOKEN, TestApp, collection, feature};
use crate::trust::app_with_defaults;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use tirek::import::{FacilityFormat, read_facilities};
use tirek::model::{Facility, Sector};
use tirek::store::{PostgresStore, SqliteStore, Store};

fn programme(id: &str, lon: f64, lat: f64) -> Value {
    let mut f = feature(id, &["perpetrator_programme"], lon, lat);
    let p = &mut f["properties"];
    p["services"] = json!(["court_ordered_programme", "voluntary_programme"]);
    p["victim_support_partner"] = json!("kz-crisis-centre");
    p["opening_hours"] = json!("Mo-Fr 10:00-19:00");
    f
}

/// A programme exactly at the query point, a health facility and a hotline farther.
async fn near_fixture() -> TestApp {
    let app = TestApp::new().await;
    let (status, body) = app
        .import(&collection(vec![
            programme("prog-1", 69.6, 42.3),
            feature("clinic-1", &["health"], 69.7, 42.3),
            feature("hotline-1", &["hotline"], 71.4, 51.1),
        ]))
        .await;
    assert_eq!(status, 200, "{body}");
    app
}

fn sectors_of(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sector"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn nearest_leaves_programmes_out_unless_asked_by_name() {
    let app = near_fixture().await;
    for token in [None, Some(CASEWORKER_TOKEN)] {
        let (status, answer) = app
            .send("GET", "/api/nearest?lon=69.6&lat=42.3&k=5", token, None)
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(sectors_of(&answer), ["health", "hotline"], "{answer}");
        let asked: Vec<&str> = answer["query"]["sectors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(
            asked,
            [
                "health",
                "psychosocial",
                "police",
                "shelter",
                "legal",
                "hotline"
            ]
        );
        // Even every filter a survivor's search may set leaves it out.
        let (_, answer) = app
            .send(
                "GET",
                "/api/nearest?lon=69.6&lat=42.3&k=5&female_staff=false&status=active,temporarily_closed",
                token,
                None,
            )
            .await;
        assert!(!sectors_of(&answer).contains(&"perpetrator_programme".to_string()));

        let (status, answer) = app
            .send(
                "GET",
                "/api/nearest?lon=69.6&lat=42.3&sector=perpetrator_programme",
                token,
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(sectors_of(&answer), ["perpetrator_programme"]);
        let found = &answer["results"][0];
        assert_eq!(found["facility"]["id"], "prog-1");
        assert_eq!(found["distance_m"], 0.0);
        assert_eq!(
            found["facility"]["properties"]["victim_support_partner"],
            "kz-crisis-centre"
        );
        let (_, answer) = app
            .send(
                "GET",
                "/api/nearest?lon=69.6&lat=42.3&sector=health,perpetrator_programme",
                token,
                None,
            )
            .await;
        assert_eq!(sectors_of(&answer), ["health", "perpetrator_programme"]);
    }
}

#[tokio::test]
async fn batch_nearest_leaves_programmes_out_unless_asked_by_name() {
    let app = near_fixture().await;
    let points =
        json!([{"id": "a", "lon": 69.6, "lat": 42.3}, {"id": "b", "lon": 69.0, "lat": 42.0}]);
    let rows = |text: &str| -> Vec<(String, String, String)> {
        text.lines()
            .skip(1)
            .map(|l| {
                let c: Vec<&str> = l.split(',').collect();
                (c[0].into(), c[1].into(), c[2].into())
            })
            .collect()
    };
    let (status, answer) = app
        .send(
            "POST",
            "/api/nearest/batch",
            None,
            Some(json!({"points": points}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let all = rows(answer.as_str().unwrap());
    assert_eq!(all.len(), 2 * 6, "{answer}");
    assert!(all.iter().all(|(_, s, _)| s != "perpetrator_programme"));
    let (_, answer) = app
        .send(
            "POST",
            "/api/nearest/batch",
            Some(CASEWORKER_TOKEN),
            Some(
                json!({"points": points, "sectors": ["perpetrator_programme"]})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(
        rows(answer.as_str().unwrap()),
        [
            ("a".into(), "perpetrator_programme".into(), "prog-1".into()),
            ("b".into(), "perpetrator_programme".into(), "prog-1".into())
        ]
    );
}

/// Import → store → export (GeoJSON, HXL CSV) → import gives the same record, the
/// partner included.
async fn round_trip_on(store: Arc<dyn Store>) {
    let app = TestApp::on(store).await;
    let (status, body) = app
        .import(&collection(vec![programme("prog-7", 69.59, 42.34)]))
        .await;
    assert_eq!(status, 200, "{body}");
    let stored: Vec<Facility> = app.state.registry.store().facilities().await.unwrap();
    assert_eq!(stored.len(), 1);
    let f = &stored[0];
    assert_eq!(f.sectors, [Sector::PerpetratorProgramme]);
    assert_eq!(
        f.victim_support_partner.as_deref(),
        Some("kz-crisis-centre")
    );
    assert!(!f.confidential);
    // The live index holds the same record.
    assert_eq!(app.state.registry.index().get("prog-7").as_ref(), Some(f));

    let (_, csv) = app.get_as("/api/export?format=csv").await;
    let csv = csv.as_str().unwrap().to_string();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let tags: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "victim_support_partner")
        .unwrap();
    assert_eq!(tags[col], "#org+partner");
    assert_eq!(
        lines.next().unwrap().split(',').nth(col),
        Some("kz-crisis-centre")
    );
    let (_, geojson) = app.get_as("/api/export?format=geojson").await;
    assert_eq!(
        geojson["features"][0]["properties"]["victim_support_partner"],
        "kz-crisis-centre"
    );
    for (label, bytes, format) in [
        ("csv", csv.clone().into_bytes(), FacilityFormat::Csv),
        (
            "geojson",
            geojson.to_string().into_bytes(),
            FacilityFormat::Geojson,
        ),
    ] {
        let back = read_facilities(&bytes, format).unwrap();
        assert_eq!(back, stored, "{label}");
    }
    // And through the API into another store.
    let other = TestApp::new().await;
    let (status, body) = other
        .send(
            "POST",
            "/api/import?format=csv",
            Some(TOKEN),
            Some(csv.into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let again: Vec<Facility> = other.state.registry.store().facilities().await.unwrap();
    assert_eq!(again[0].victim_support_partner, f.victim_support_partner);
    assert_eq!(again[0].services, f.services);
}

#[tokio::test]
async fn the_partner_field_round_trips_on_sqlite() {
    round_trip_on(Arc::new(
        SqliteStore::connect_url("sqlite::memory:").await.unwrap(),
    ))
    .await;
}

#[tokio::test]
async fn the_partner_field_round_trips_on_postgres() {
    let Some(db) = PgDatabase::create("perpetrators").await else {
        return;
    };
    round_trip_on(Arc::new(PostgresStore::connect(&db.url).await.unwrap())).await;
    db.drop_now().await;
}

#[tokio::test]
async fn only_a_programme_names_a_victim_support_partner() {
    let app = TestApp::new().await;
    let mut clinic = feature("clinic-2", &["health"], 69.0, 42.0);
    clinic["properties"]["victim_support_partner"] = json!("someone");
    let (status, body) = app.import(&collection(vec![clinic])).await;
    assert_eq!(status, 422, "{body}");
    let errors = body["error"]["details"]["errors"].as_array().unwrap();
    assert_eq!(errors[0]["field"], "victim_support_partner", "{body}");
    let mut long = programme("prog-long", 69.0, 42.0);
    long["properties"]["victim_support_partner"] = json!("x".repeat(501));
    let (status, _) = app.import(&collection(vec![long])).await;
    assert_eq!(status, 422);
}

/// Coverage counts programmes like any sector (per region, against the registry's
/// placement of each programme), and the people within reach equal a brute-force
/// geodesic scan over the settlements (in all: a settlement on the wrong side of a
/// generalised border is counted in the area whose polygon holds it); the default
/// package leaves them out.
#[tokio::test]
async fn coverage_includes_programmes_but_not_in_the_package() {
    let app = app_with_defaults().await;
    let index = app.state.registry.index();
    let programmes: Vec<Facility> = index
        .facilities()
        .map(|r| r.decode())
        .filter(|f| {
            f.has_sector(Sector::PerpetratorProgramme) && f.status == tirek::model::Status::Active
        })
        .collect();
    assert!(
        programmes.len() >= 5,
        "{} demo programmes",
        programmes.len()
    );
    let (status, answer) = app
        .get_as("/api/coverage?level=1&sectors=health,perpetrator_programme")
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["coverage"]["package"],
        json!(["health", "psychosocial", "police", "shelter"])
    );
    assert_eq!(
        answer["coverage"]["thresholds_m"]["perpetrator_programme"],
        100_000.0
    );
    let threshold = 100_000.0;
    let want_people: f64 = app
        .state
        .registry
        .places()
        .settlements
        .iter()
        .filter(|s| {
            programmes.iter().any(|f| {
                tirek::spatial::geodesy::geodesic_m(s.lon, s.lat, f.lon, f.lat) <= threshold
            })
        })
        .map(|s| s.population)
        .sum();
    let mut want_count: BTreeMap<String, usize> = BTreeMap::new();
    for f in &programmes {
        *want_count.entry(f.adm1.clone().unwrap()).or_default() += 1;
    }
    let mut counted = 0;
    let mut people = 0.0;
    for area in answer["areas"].as_array().unwrap() {
        let code = area["code"].as_str().unwrap();
        let figures = &area["sectors"]["perpetrator_programme"];
        let n = want_count.get(code).copied().unwrap_or_default();
        assert_eq!(figures["facilities"].as_u64(), Some(n as u64), "{code}");
        counted += n;
        people += figures["pop_covered"].as_f64().unwrap();
    }
    assert_eq!(counted, programmes.len());
    assert_eq!(
        answer["coverage"]["population_left_out"]["people"].as_f64(),
        Some(0.0),
        "{}",
        answer["coverage"]["population_left_out"]
    );
    assert!(want_people > 1e6, "{want_people}");
    assert!(
        (people - want_people).abs() < 1.0,
        "{people} vs {want_people}"
    );
    // The public may read it too (no programme is confidential).
    let (status, public) = app
        .get("/api/coverage?level=1&sectors=perpetrator_programme")
        .await;
    assert_eq!(status, 200, "{public}");
    let withheld = &public["coverage"]["withheld"]["sectors"];
    assert!(
        !withheld
            .as_array()
            .is_some_and(|s| s.contains(&json!("perpetrator_programme"))),
        "{withheld}"
    );
    assert!(public["areas"][0]["sectors"]["perpetrator_programme"]["share"].is_number());
    // The gap grid measures it like any sector (it has no confidential facility, so the
    // public gets the figures too).
    let (status, grid) = app
        .get("/api/gaps/grid?res=3&sector=perpetrator_programme")
        .await;
    assert_eq!(status, 200, "{grid}");
    let cells = grid["features"].as_array().unwrap();
    assert!(!cells.is_empty());
    for cell in cells {
        let p = &cell["properties"];
        let km = p["dist_km_perpetrator_programme"].as_f64().unwrap();
        assert_eq!(
            p["covered_perpetrator_programme"].as_bool(),
            Some(km <= 100.0),
            "{p}"
        );
    }
    // And the sector is listed for the web app.
    let (_, meta) = app.get("/api/meta").await;
    assert_eq!(
        meta["sectors"].as_array().unwrap().last().unwrap(),
        "perpetrator_programme"
    );
    assert_eq!(
        meta["facilities_per_sector"]["perpetrator_programme"].as_u64(),
        Some(
            index
                .facilities()
                .filter(|r| r.has_sector(Sector::PerpetratorProgramme))
                .count() as u64
        )
    );
}
