//! Referral-pathway documents (`GET /api/pathway`, `tirek pathway`): area membership
//! and per-sector grouping against a brute-force point-in-polygon, the public version
//! leaking nothing of a confidential shelter in any format, escaping, CSV, languages,
//! errors, the command line — on SQLite and PostgreSQL.

use crate::support::{CASEWORKER_TOKEN, PgDatabase, TestApp, collection, feature};
use crate::trust::{geodata, tirek};
use axum::body::Body;
use axum::http::Request;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tirek::store::{PostgresStore, SqliteStore, Store};
use tower::ServiceExt;

const SECTORS: [&str; 7] = [
    "health",
    "psychosocial",
    "police",
    "shelter",
    "legal",
    "hotline",
    "perpetrator_programme",
];

/// A polygon (one outer ring, closed) as GeoJSON coordinates.
type Ring = Vec<[f64; 2]>;

fn rect(w: f64, s: f64, e: f64, n: f64) -> Ring {
    vec![[w, s], [e, s], [e, n], [w, n], [w, s]]
}

/// The fixture's areas: (code, level, parent, ring). Regions A and B share the edge
/// lon 70; C is a triangle east of B (its hypotenuse leaves a region-free corner);
/// districts split A at lon 69 and cover B and C whole (as in COD-AB data: a point
/// near no district would be given the nearest one). Country KZ holds them all; UZ
/// lies apart.
fn areas() -> Vec<(&'static str, u8, Option<&'static str>, Ring)> {
    vec![
        ("KZ", 0, None, rect(60.0, 38.0, 80.0, 50.0)),
        ("UZ", 0, None, rect(50.0, 38.0, 59.0, 45.0)),
        ("KZ-AAA", 1, Some("KZ"), rect(68.0, 41.0, 70.0, 43.0)),
        ("KZ-BBB", 1, Some("KZ"), rect(70.0, 41.0, 72.0, 43.0)),
        (
            "KZ-CCC",
            1,
            Some("KZ"),
            vec![[72.0, 41.0], [74.0, 41.0], [72.0, 43.0], [72.0, 41.0]],
        ),
        ("KZ-AAA-01", 2, Some("KZ-AAA"), rect(68.0, 41.0, 69.0, 43.0)),
        ("KZ-AAA-02", 2, Some("KZ-AAA"), rect(69.0, 41.0, 70.0, 43.0)),
        ("KZ-BBB-01", 2, Some("KZ-BBB"), rect(70.0, 41.0, 72.0, 43.0)),
        (
            "KZ-CCC-01",
            2,
            Some("KZ-CCC"),
            vec![[72.0, 41.0], [74.0, 41.0], [72.0, 43.0], [72.0, 41.0]],
        ),
    ]
}

fn area_collection() -> Value {
    let features: Vec<Value> = areas()
        .into_iter()
        .map(|(code, level, parent, ring)| {
            json!({"type": "Feature",
                   "properties": {"code": code, "level": level, "parent": parent, "name": format!("Area {code}"),
                                  "names": {"en": format!("Area {code}"), "ru": format!("Район {code}")}},
                   "geometry": {"type": "Polygon", "coordinates": [ring]}})
        })
        .collect();
    collection(features)
}

/// Even-odd ray casting: whether `p` is strictly inside `ring` (the fixture keeps points
/// off every edge).
fn inside(ring: &Ring, [x, y]: [f64; 2]) -> bool {
    let mut odd = false;
    for w in ring.windows(2) {
        let ([x1, y1], [x2, y2]) = (w[0], w[1]);
        if (y1 > y) != (y2 > y) && x < x1 + (y - y1) * (x2 - x1) / (y2 - y1) {
            odd = !odd;
        }
    }
    odd
}

/// Distance (degrees, planar) from `p` to the segment a–b.
fn to_segment([x, y]: [f64; 2], [ax, ay]: [f64; 2], [bx, by]: [f64; 2]) -> f64 {
    let (dx, dy) = (bx - ax, by - ay);
    let t = (((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    ((x - ax - t * dx).powi(2) + (y - ay - t * dy).powi(2)).sqrt()
}

/// A random fixture facility, kept clear of every edge (1e-4°) and of the band within
/// which a point outside every region would be given the nearest one (0.25°), so that
/// plain point-in-polygon decides its areas.
fn random_point(rng: &mut ChaCha8Rng) -> [f64; 2] {
    let regions: Vec<Ring> = areas()
        .into_iter()
        .filter(|a| a.1 >= 1)
        .map(|a| a.3)
        .collect();
    loop {
        let p = [
            (rng.random_range(67.5..74.5f64) * 1e6).round() / 1e6,
            (rng.random_range(40.5..43.5f64) * 1e6).round() / 1e6,
        ];
        let near_edge = regions
            .iter()
            .any(|ring| ring.windows(2).any(|w| to_segment(p, w[0], w[1]) < 1e-4));
        let in_some = regions.iter().any(|r| inside(r, p));
        let near_outside = !in_some
            && regions
                .iter()
                .any(|ring| ring.windows(2).any(|w| to_segment(p, w[0], w[1]) <= 0.25));
        if !near_edge && !near_outside {
            return p;
        }
    }
}

/// The fixture's facilities: 300 random ones of every sector (some confidential
/// shelters, some closed or temporarily closed, a few of Uzbekistan placed in KZ
/// regions), and three hotlines: two of KZ far from the regions, one of UZ.
fn facilities() -> Vec<Value> {
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let mut out = Vec::new();
    for i in 0..300 {
        let p = random_point(&mut rng);
        let first = SECTORS[rng.random_range(0..SECTORS.len())];
        let mut sectors = vec![first];
        if rng.random_bool(0.15) {
            let second = SECTORS[rng.random_range(0..SECTORS.len())];
            if second != first {
                sectors.push(second);
            }
        }
        let mut f = feature(&format!("p{i:03}"), &sectors, p[0], p[1]);
        let props = &mut f["properties"];
        props["name"] = json!(format!("Service {:03}", (i * 7919) % 1000));
        props["opening_hours"] = json!("Mo-Fr 09:00-18:00");
        props["verified_at"] = json!("2026-10-01");
        if sectors.contains(&"perpetrator_programme") {
            props["victim_support_partner"] = json!("Crisis centre of the region");
            props["services"] = json!(["voluntary_programme"]);
        }
        if rng.random_bool(0.08) {
            props["status"] = json!(["temporarily_closed", "closed"][rng.random_range(0..2)]);
        }
        if rng.random_bool(0.05) {
            props["country"] = json!("UZ");
        }
        out.push(f);
    }
    for (id, country, lon, lat) in [
        ("hot-kz-1", "KZ", 71.4, 49.5),
        ("hot-kz-2", "KZ", 76.9, 44.0),
        ("hot-uz-1", "UZ", 55.0, 41.0),
    ] {
        let mut f = feature(id, &["hotline"], lon, lat);
        f["properties"]["country"] = json!(country);
        f["properties"]["phone"] = json!(format!("+7 800 080 {}", &id[id.len() - 1..]));
        f["properties"]["opening_hours"] = json!("24/7");
        out.push(f);
    }
    out
}

/// The brute-force answer: per sector the ids a pathway of `code` must list.
fn expected(features: &[Value], code: &str) -> BTreeMap<String, BTreeSet<String>> {
    let all = areas();
    let (_, level, _, ring) = all.iter().find(|a| a.0 == code).unwrap().clone();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in features {
        let p = &f["properties"];
        if p["status"] == "closed" {
            continue;
        }
        let country = p["country"].as_str().unwrap();
        let point = point_of(f);
        let located = match level {
            0 => country == code,
            // Regions and districts are KZ's: a UZ record placed in one is not of it.
            _ => country == "KZ" && inside(&ring, point),
        };
        for s in p["sectors"].as_array().unwrap() {
            let s = s.as_str().unwrap();
            let national_hotline = s == "hotline" && country == "KZ";
            if located || national_hotline {
                out.entry(s.to_string())
                    .or_default()
                    .insert(p["id"].as_str().unwrap().to_string());
            }
        }
    }
    out
}

async fn fixture_on(store: Arc<dyn Store>) -> (TestApp, Vec<Value>) {
    let app = TestApp::on(store).await;
    let (status, body) = app
        .send(
            "POST",
            "/api/import/areas",
            Some(crate::support::TOKEN),
            Some(area_collection().to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let features = facilities();
    let (status, body) = app.import(&collection(features.clone())).await;
    assert_eq!(status, 200, "{body}");
    (app, features)
}

/// Per sector (in the document's order) the ids listed.
fn listed(doc: &Value) -> Vec<(String, BTreeSet<String>)> {
    doc["sectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let ids = s["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string())
                .collect();
            (s["sector"].as_str().unwrap().to_string(), ids)
        })
        .collect()
}

async fn grouping_and_membership(app: &TestApp, features: &[Value]) {
    let mut compared = 0;
    for code in ["KZ-AAA", "KZ-BBB", "KZ-CCC", "KZ-AAA-01", "KZ-AAA-02", "KZ"] {
        let (status, doc) = app
            .send(
                "GET",
                &format!("/api/pathway?area={code}"),
                Some(CASEWORKER_TOKEN),
                None,
            )
            .await;
        assert_eq!(status, 200, "{doc}");
        assert_eq!(doc["edition"], "confidential");
        assert_eq!(doc["area"]["code"], code);
        assert_eq!(doc["area"]["country"], "KZ");
        let got = listed(&doc);
        // Every sector, in canonical order.
        let order: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(order, SECTORS, "{code}");
        let want = expected(features, code);
        for (sector, ids) in &got {
            let empty = BTreeSet::new();
            assert_eq!(ids, want.get(sector).unwrap_or(&empty), "{code} {sector}");
            compared += ids.len();
        }
        // Within a sector, by name.
        for s in doc["sectors"].as_array().unwrap() {
            let names: Vec<&str> = s["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap())
                .collect();
            assert!(names.windows(2).all(|w| w[0] <= w[1]), "{code}: {names:?}");
        }
    }
    assert!(compared > 300, "only {compared} entries compared");
    // The districts split their region.
    let ids = |doc: &Value| -> BTreeSet<String> {
        listed(doc)
            .into_iter()
            .filter(|(s, _)| s != "hotline")
            .flat_map(|(_, ids)| ids)
            .collect()
    };
    let mut region = BTreeSet::new();
    for code in ["KZ-AAA-01", "KZ-AAA-02"] {
        let (_, doc) = app
            .send(
                "GET",
                &format!("/api/pathway?area={code}"),
                Some(CASEWORKER_TOKEN),
                None,
            )
            .await;
        region.extend(ids(&doc));
    }
    let (_, doc) = app
        .send(
            "GET",
            "/api/pathway?area=KZ-AAA",
            Some(CASEWORKER_TOKEN),
            None,
        )
        .await;
    assert_eq!(ids(&doc), region);
}

#[tokio::test]
async fn groups_per_sector_the_facilities_a_point_in_polygon_places_in_the_area() {
    let store: Arc<dyn Store> =
        Arc::new(SqliteStore::connect_url("sqlite::memory:").await.unwrap());
    let (app, features) = fixture_on(store).await;
    grouping_and_membership(&app, &features).await;
}

#[tokio::test]
async fn groups_the_same_on_postgres() {
    let Some(db) = PgDatabase::create("pathway").await else {
        return;
    };
    let (app, features) =
        fixture_on(Arc::new(PostgresStore::connect(&db.url).await.unwrap())).await;
    grouping_and_membership(&app, &features).await;
    drop(app);
    db.drop_now().await;
}

/// Points the brute force leaves aside: on the shared edge of A and B (the lowest code
/// takes it), in the corner beside C's hypotenuse but within 0.2° of it (the nearest
/// region takes it, as on import), and far out of every region (none).
#[tokio::test]
async fn edges_and_slivers_follow_the_import_rule() {
    let app = TestApp::new().await;
    let (status, _) = app
        .send(
            "POST",
            "/api/import/areas",
            Some(crate::support::TOKEN),
            Some(area_collection().to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .import(&collection(vec![
            feature("edge", &["health"], 70.0, 42.0),
            feature("corner", &["health"], 73.1, 42.1),
            feature("far", &["health"], 66.0, 45.0),
        ]))
        .await;
    assert_eq!(status, 200, "{body}");
    let health = |doc: &Value| -> Vec<String> {
        doc["sectors"][0]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    for (code, ids) in [
        ("KZ-AAA", vec!["edge"]),
        ("KZ-BBB", vec![]),
        ("KZ-CCC", vec!["corner"]),
        ("KZ", vec!["corner", "edge", "far"]),
    ] {
        let (_, doc) = app.get(&format!("/api/pathway?area={code}")).await;
        let mut got = health(&doc);
        got.sort();
        assert_eq!(got, ids, "{code}");
        // The registry placed them the same way.
    }
    let index = app.state.registry.index();
    assert_eq!(index.get("edge").unwrap().adm1.as_deref(), Some("KZ-AAA"));
    assert_eq!(index.get("corner").unwrap().adm1.as_deref(), Some("KZ-CCC"));
}

/// A region with a confidential shelter, a public shelter, a perpetrator programme and
/// a facility with a hostile name; the country's hotline far away.
async fn leak_fixture() -> TestApp {
    let app = TestApp::new().await;
    let (status, _) = app
        .send(
            "POST",
            "/api/import/areas",
            Some(crate::support::TOKEN),
            Some(area_collection().to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200);
    let mut secret = feature("refuge-7q", &["shelter"], 69.123457, 42.345679);
    secret["properties"]["name"] = json!("Tulpar Refuge");
    secret["properties"]["names"] = json!({"ru": "Убежище Тулпар"});
    secret["properties"]["address"] = json!("12 Hidden Lane");
    secret["properties"]["phone"] = json!("+7 701 555 1234");
    secret["properties"]["organisation"] = json!("Tulpar Women's Union");
    assert!(secret["properties"].get("confidential").is_none());
    let mut open_shelter = feature("open-shelter", &["shelter"], 69.5, 42.5);
    open_shelter["properties"]["confidential"] = json!(false);
    open_shelter["properties"]["name"] = json!("Public day shelter");
    let mut hostile = feature("hostile", &["legal"], 69.6, 42.6);
    hostile["properties"]["name"] = json!("<script>alert('x')</script> & \"Co\"");
    hostile["properties"]["address"] = json!("<img src=x onerror=alert(1)>");
    let mut programme = feature("programme", &["perpetrator_programme"], 69.7, 42.7);
    programme["properties"]["name"] = json!("Men's programme, \"Change\"\nsecond line");
    programme["properties"]["victim_support_partner"] = json!("Crisis centre, Shymkent");
    programme["properties"]["services"] = json!(["court_ordered_programme"]);
    programme["properties"]["opening_hours"] = json!("Mo-Fr 09:00-18:00; Sa off");
    let mut hotline = feature("hotline-kz", &["hotline"], 76.9, 44.0);
    hotline["properties"]["phone"] = json!("150");
    hotline["properties"]["opening_hours"] = json!("24/7");
    let (status, body) = app
        .import(&collection(vec![
            secret,
            open_shelter,
            hostile,
            programme,
            hotline,
        ]))
        .await;
    assert_eq!(status, 200, "{body}");
    app
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn the_public_pathway_never_shows_a_confidential_shelter_in_any_format() {
    let app = leak_fixture().await;
    let secrets = [
        "Tulpar",
        "Тулпар",
        "Hidden Lane",
        "555 1234",
        "5551234",
        "69.123457",
        "42.345679",
        "69.12345",
        "42.34567",
        "refuge-7q",
    ];
    for lang in ["en", "ru"] {
        for format in ["json", "csv", "html"] {
            let uri = format!("/api/pathway?area=KZ-AAA&lang={lang}&format={format}");
            let (status, public) = app.get(&uri).await;
            assert_eq!(status, 200, "{uri}: {public}");
            let public = text_of(&public);
            for secret in secrets {
                assert!(!public.contains(secret), "{uri} leaks {secret:?}");
            }
            // The way in for the public: the country's hotline.
            assert!(public.contains("150"), "{uri}: no hotline");
            assert!(public.contains("Public day shelter"), "{uri}");
            let (status, caseworker) = app.send("GET", &uri, Some(CASEWORKER_TOKEN), None).await;
            assert_eq!(status, 200);
            let caseworker = text_of(&caseworker);
            let name = if lang == "ru" {
                "Убежище Тулпар"
            } else {
                "Tulpar Refuge"
            };
            for shown in [name, "12 Hidden Lane", "+7 701 555 1234"] {
                assert!(
                    caseworker.contains(shown),
                    "{uri}: caseworker lacks {shown}"
                );
            }
        }
    }
    let (_, public) = app.get("/api/pathway?area=KZ-AAA").await;
    assert_eq!(public["edition"], "public");
    let shelter = &public["sectors"][3];
    assert_eq!(shelter["sector"], "shelter");
    let entries: Vec<(&str, bool)> = shelter["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["via_hotline"] == true))
        .collect();
    assert_eq!(
        entries,
        [("open-shelter", false), ("hotline-kz", true)],
        "{shelter}"
    );
    assert!(
        shelter["note"]
            .as_str()
            .unwrap()
            .contains("reached through the hotline")
    );

    // Whether the area holds a confidential shelter does not show: the public documents
    // are the same without it.
    let mut formats = Vec::new();
    for format in ["json", "csv", "html"] {
        let (_, before) = app
            .get(&format!("/api/pathway?area=KZ-AAA&format={format}"))
            .await;
        formats.push((format, text_of(&before)));
    }
    let (status, _) = app
        .send(
            "DELETE",
            "/api/facilities/refuge-7q",
            Some(crate::support::TOKEN),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    for (format, before) in formats {
        let (_, after) = app
            .get(&format!("/api/pathway?area=KZ-AAA&format={format}"))
            .await;
        assert_eq!(text_of(&after), before, "{format}");
    }
}

#[tokio::test]
async fn html_is_escaped_self_contained_and_printable() {
    let app = leak_fixture().await;
    let (status, html) = app
        .send(
            "GET",
            "/api/pathway?area=KZ-AAA&format=html",
            Some(CASEWORKER_TOKEN),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let html = text_of(&html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let lower = html.to_lowercase();
    for forbidden in [
        "<script", "<img", "<link", "<iframe", "<object", "http://", "https://",
    ] {
        assert!(!lower.contains(forbidden), "{forbidden} in the page");
    }
    assert!(html.contains("@page { size: A4"));
    assert!(html.contains("<title>Referral pathway: Area KZ-AAA"));
    let today = chrono::Utc::now().date_naive().to_string();
    assert!(html.contains(&format!("Data of {today}: verify before referring.")));
    // Every sector has its section, in order.
    let positions: Vec<usize> = SECTORS
        .iter()
        .map(|s| html.find(&format!("data-sector=\"{s}\"")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
    assert!(html.contains("Programmes for perpetrators"));
    assert!(html.contains("Victim-support partner: Crisis centre, Shymkent"));

    // Served as HTML to show and print; the CSV as a download.
    for (format, media_type, disposition) in [
        ("html", "text/html; charset=utf-8", "inline"),
        ("csv", "text/csv; charset=utf-8", "attachment"),
        ("json", "application/json", ""),
    ] {
        let req = Request::get(format!("/api/pathway?area=KZ-AAA&format={format}"))
            .body(Body::empty())
            .unwrap();
        let resp = tirek::app(app.state.clone()).oneshot(req).await.unwrap();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        assert_eq!(header("content-type"), media_type);
        assert!(header("content-disposition").starts_with(disposition));
    }
}

#[tokio::test]
async fn csv_reads_back_one_row_per_service() {
    let app = leak_fixture().await;
    let (_, doc) = app
        .send(
            "GET",
            "/api/pathway?area=KZ-AAA",
            Some(CASEWORKER_TOKEN),
            None,
        )
        .await;
    let (status, csv) = app
        .send(
            "GET",
            "/api/pathway?area=KZ-AAA&format=csv",
            Some(CASEWORKER_TOKEN),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let csv = text_of(&csv);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, tirek::coordination::pathway::CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let entries: Vec<(&Value, &Value)> = doc["sectors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["entries"].as_array().unwrap().iter().map(move |e| (s, e)))
        .collect();
    assert_eq!(rows.len(), entries.len());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, (section, entry)) in rows.iter().zip(&entries) {
        assert_eq!(row.len(), header.len());
        assert_eq!(&row[col("sector")], section["sector"].as_str().unwrap());
        assert_eq!(&row[col("id")], entry["id"].as_str().unwrap());
        assert_eq!(&row[col("name")], entry["name"].as_str().unwrap());
        assert_eq!(
            &row[col("phone")],
            entry["phone"].as_str().unwrap_or_default()
        );
        assert_eq!(
            &row[col("hours")],
            entry["hours"].as_str().unwrap_or_default()
        );
    }
    let programme = rows.iter().find(|r| &r[col("id")] == "programme").unwrap();
    assert_eq!(
        &programme[col("name")],
        "Men's programme, \"Change\"\nsecond line"
    );
    assert_eq!(
        &programme[col("victim_support_partner")],
        "Crisis centre, Shymkent"
    );
    assert_eq!(&programme[col("services")], "court-ordered programme");
    assert_eq!(&programme[col("hours")], "Mon–Fri 09:00–18:00; Sat closed");
    let secret = rows.iter().find(|r| &r[col("id")] == "refuge-7q").unwrap();
    assert_eq!(&secret[col("confidential")], "true");
}

#[tokio::test]
async fn russian_labels_for_lang_ru() {
    let app = leak_fixture().await;
    let (status, doc) = app.get("/api/pathway?area=KZ-AAA&lang=ru").await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["lang"], "ru");
    assert_eq!(doc["area"]["name"], "Район KZ-AAA");
    let labels: Vec<&str> = doc["sectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "Здравоохранение",
            "Психосоциальная помощь",
            "Полиция",
            "Убежище",
            "Юридическая помощь",
            "Горячая линия",
            "Программы для лиц, совершивших насилие"
        ]
    );
    let programme = &doc["sectors"][6]["entries"][0];
    assert_eq!(programme["hours"], "пн–пт 09:00–18:00; сб выходной");
    assert_eq!(
        doc["sectors"][0]["note"],
        "В этой местности службы этого сектора не указаны."
    );
    let (_, html) = app
        .get("/api/pathway?area=KZ-AAA&lang=ru&format=html")
        .await;
    let html = text_of(&html);
    assert!(html.contains("<html lang=\"ru\">"));
    assert!(html.contains("Схема перенаправления: Район KZ-AAA"));
    assert!(html.contains("перед направлением уточните"));
    assert!(html.contains("Круглосуточно"));
    assert!(!html.contains("Opening hours"));
    for lang in ["kk", "ky", "tg", "tk", "uz"] {
        let (status, doc) = app
            .get(&format!("/api/pathway?area=KZ-AAA&lang={lang}"))
            .await;
        assert_eq!(status, 200);
        assert_ne!(doc["sectors"][0]["label"], "Health", "{lang}");
    }
}

#[tokio::test]
async fn bad_requests_are_json_errors() {
    let app = leak_fixture().await;
    for (uri, status, code) in [
        ("/api/pathway?area=XX-NOPE", 404, "not_found"),
        ("/api/pathway", 400, "bad_request"),
        ("/api/pathway?area=KZ&lang=de", 400, "bad_request"),
        ("/api/pathway?area=KZ&lang=kaa", 400, "bad_request"),
        ("/api/pathway?area=KZ&format=pdf", 400, "bad_request"),
        ("/api/pathway?area=KZ&sector=health", 400, "bad_request"),
    ] {
        let (got, body) = app.get(uri).await;
        assert_eq!(got.as_u16(), status, "{uri}: {body}");
        assert_eq!(body["error"]["code"], code, "{uri}: {body}");
    }
}

/// `tirek pathway` on the built-in default data: both formats, public by default.
#[test]
fn the_command_line_writes_html_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let demo: Value =
        serde_json::from_slice(&std::fs::read(geodata().join("facilities_demo.geojson")).unwrap())
            .unwrap();
    let shelters: Vec<(String, String)> = demo["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["country"] == "KZ" && f["properties"]["confidential"] == true)
        .map(|f| {
            (
                f["properties"]["name"].as_str().unwrap().to_string(),
                f["properties"]["phone"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!shelters.is_empty());
    let html = dir.path().join("kz.html");
    let csv = dir.path().join("kz.csv");
    let confidential = dir.path().join("kz-confidential.html");
    for (out, extra) in [
        (&html, vec!["--lang", "ru"]),
        (&csv, vec![]),
        (&confidential, vec!["--confidential"]),
    ] {
        let mut args = vec!["pathway", "--area", "KZ", "--out", out.to_str().unwrap()];
        args.extend(extra);
        let (ok, _, err) = tirek(dir.path(), &args);
        assert!(ok, "{err}");
    }
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(
        html.contains("Схема перенаправления: Казахстан"),
        "{}",
        &html[..400]
    );
    let csv = std::fs::read_to_string(&csv).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().unwrap().len(), 25);
    let rows = reader.records().count();
    assert!(rows > 100, "{rows} rows");
    let confidential = std::fs::read_to_string(&confidential).unwrap();
    for (name, phone) in &shelters {
        for public in [&html, &csv] {
            assert!(!public.contains(name.as_str()) && !public.contains(phone.as_str()));
        }
        assert!(confidential.contains(name.as_str()) && confidential.contains(phone.as_str()));
    }
    // A wrong area or file name is an error, not an empty file.
    let (ok, _, err) = tirek(dir.path(), &["pathway", "--area", "XX", "--out", "x.html"]);
    assert!(!ok && err.contains("no area with code"), "{err}");
    let (ok, _, err) = tirek(dir.path(), &["pathway", "--area", "KZ", "--out", "x.pdf"]);
    assert!(!ok && err.contains(".html, .csv or .json"), "{err}");
}

/// Every ring of a GeoJSON Polygon or MultiPolygon geometry.
fn rings_of(geometry: &Value) -> Vec<Ring> {
    let ring = |r: &Value| -> Ring {
        r.as_array()
            .unwrap()
            .iter()
            .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
            .collect()
    };
    let polygons: Vec<&Value> = match geometry["type"].as_str().unwrap() {
        "Polygon" => vec![&geometry["coordinates"]],
        "MultiPolygon" => geometry["coordinates"].as_array().unwrap().iter().collect(),
        other => panic!("{other}"),
    };
    polygons
        .into_iter()
        .flat_map(|p| p.as_array().unwrap().iter().map(ring))
        .collect()
}

/// Even-odd over all rings (outer rings, holes and the parts of a multipolygon).
fn inside_rings(rings: &[Ring], p: [f64; 2]) -> bool {
    rings.iter().filter(|r| inside(r, p)).count() % 2 == 1
}

/// The least planar distance (degrees) from `p` to any edge of `rings`.
fn to_rings(rings: &[Ring], p: [f64; 2]) -> f64 {
    rings
        .iter()
        .flat_map(|r| r.windows(2).map(move |w| to_segment(p, w[0], w[1])))
        .fold(f64::INFINITY, f64::min)
}

/// A Point feature's (lon, lat).
fn point_of(f: &Value) -> [f64; 2] {
    let c = &f["geometry"]["coordinates"];
    [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()]
}

/// The (sector, id, via_hotline) rows the public pathway of an area of Kazakhstan must
/// have, from the default demo facilities: every visible (not confidential), not
/// closed service of KZ inside the area under each of its sectors, every KZ hotline
/// under "hotline" wherever it is, and the active KZ hotlines again under "shelter"
/// (the public reaches shelters through them).
fn expected_public_rows(
    demo: &[Value],
    holds: &dyn Fn([f64; 2]) -> bool,
) -> BTreeSet<(String, String, bool)> {
    let mut rows = BTreeSet::new();
    for f in demo {
        let p = &f["properties"];
        if p["country"] != "KZ" || p["status"] == "closed" || p["confidential"] == true {
            continue;
        }
        let point = point_of(f);
        let id = p["id"].as_str().unwrap().to_string();
        let here = holds(point);
        for s in p["sectors"].as_array().unwrap() {
            let s = s.as_str().unwrap();
            if here || s == "hotline" {
                rows.insert((s.to_string(), id.clone(), false));
            }
            if s == "hotline" && p["status"] == "active" {
                rows.insert(("shelter".to_string(), id.clone(), true));
            }
        }
    }
    rows
}

/// The (sector, id, via_hotline) rows of a pathway CSV file.
fn csv_rows(path: &std::path::Path, area: &str) -> BTreeSet<(String, String, bool)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, tirek::coordination::pathway::CSV_COLUMNS);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut rows = BTreeSet::new();
    for r in reader.records().map(Result::unwrap) {
        assert_eq!(&r[col("area_code")], area);
        assert_eq!(&r[col("confidential")], "false", "the public version");
        let via = match &r[col("via_hotline")] {
            "true" => true,
            "false" => false,
            other => panic!("via_hotline {other:?}"),
        };
        let new = rows.insert((r[col("sector")].to_string(), r[col("id")].to_string(), via));
        assert!(new, "one row per service and sector: {r:?}");
    }
    rows
}

/// `tirek pathway --area REGION --out F.csv` on the default data, then a district
/// imported through the binary (`tirek import areas --level 2`) and its pathway: the
/// rows are exactly the services a point-in-polygon over the area's outline finds (and,
/// for the district, those in no district within 0.2° of it).
#[test]
fn the_command_line_writes_a_regions_and_an_imported_districts_csv() {
    let dir = tempfile::tempdir().unwrap();
    let read = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(geodata().join(name)).unwrap()).unwrap()
    };
    let demo = read("facilities_demo.geojson")["features"]
        .as_array()
        .unwrap()
        .clone();
    let regions: Vec<(String, Vec<Ring>)> = read("regions.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["properties"]["parent"] == "KZ")
        .map(|r| {
            (
                r["properties"]["code"].as_str().unwrap().to_string(),
                rings_of(&r["geometry"]),
            )
        })
        .collect();
    assert_eq!(
        regions.len(),
        16,
        "Kazakhstan's regions in the default data"
    );
    let yuz = &regions.iter().find(|(c, _)| c == "KZ-YUZ").unwrap().1;
    // The data leave no doubt for the rule: every KZ service lies inside exactly one
    // region (none in a sliver to be given to the nearest), and none on an edge.
    for f in &demo {
        if f["properties"]["country"] != "KZ" {
            continue;
        }
        let p = point_of(f);
        let holding = regions.iter().filter(|(_, r)| inside_rings(r, p)).count();
        assert_eq!(holding, 1, "{}", f["properties"]["id"]);
        assert!(
            to_rings(yuz, p) > 1e-3,
            "{} is on the edge",
            f["properties"]["id"]
        );
    }

    // `tirek pathway --area CODE --out CODE.csv`: the file written.
    let pathway_csv = |code: &str| {
        let out = dir.path().join(format!("{code}.csv"));
        let (ok, _, err) = tirek(
            dir.path(),
            &["pathway", "--area", code, "--out", out.to_str().unwrap()],
        );
        assert!(ok, "{err}");
        out
    };
    let region_csv = pathway_csv("KZ-YUZ");
    let expected = expected_public_rows(&demo, &|p| inside_rings(yuz, p));
    let in_region = expected.iter().filter(|(s, _, _)| s != "hotline").count();
    assert!(in_region >= 15, "the region has services: {expected:?}");
    assert_eq!(csv_rows(&region_csv, "KZ-YUZ"), expected);

    // A district of the region around Shymkent, imported through the binary. It is the
    // only district: a KZ service in no district but within 0.2° of it (planar) is
    // given to it, as on import; the data keep every service well clear of 0.2°.
    let (w, s, e, n) = (69.5, 42.25, 69.68, 42.4);
    let district = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"code": "KZ-YUZ-SHY", "level": 2, "parent": "KZ-YUZ", "name": "Shymkent (test district)"},
        "geometry": {"type": "Polygon", "coordinates": [rect(w, s, e, n)]}}]});
    let district_file = dir.path().join("district.geojson");
    std::fs::write(&district_file, district.to_string()).unwrap();
    let (ok, out, err) = tirek(
        dir.path(),
        &[
            "import",
            "areas",
            district_file.to_str().unwrap(),
            "--level",
            "2",
        ],
    );
    assert!(ok, "{out}\n{err}");
    let district_csv = pathway_csv("KZ-YUZ-SHY");
    let outline = vec![rect(w, s, e, n)];
    let distance = |p: [f64; 2]| {
        if inside_rings(&outline, p) {
            0.0
        } else {
            to_rings(&outline, p)
        }
    };
    let mut snapped = Vec::new();
    for f in &demo {
        if f["properties"]["country"] != "KZ" {
            continue;
        }
        let p = point_of(f);
        assert!(
            to_rings(&outline, p) > 1e-3,
            "{} on the edge",
            f["properties"]["id"]
        );
        let d = distance(p);
        assert!(
            (d - 0.2).abs() > 0.01,
            "{} is too near the 0.2° rule to tell",
            f["properties"]["id"]
        );
        if d > 0.0 && d <= 0.2 {
            snapped.push(f["properties"]["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(snapped, ["demo-kz-health-083"], "one service in the sliver");
    let expected = expected_public_rows(&demo, &|p| distance(p) <= 0.2);
    let here: Vec<&String> = expected
        .iter()
        .filter(|(s, _, _)| s != "hotline")
        .filter(|(s, _, via)| !(s == "shelter" && *via))
        .map(|(_, id, _)| id)
        .collect();
    assert!(here.len() >= 8, "Shymkent's services: {here:?}");
    assert_eq!(csv_rows(&district_csv, "KZ-YUZ-SHY"), expected);
    // The district's are the region's services in it (and the same hotlines).
    let region = csv_rows(&region_csv, "KZ-YUZ");
    assert!(expected.is_subset(&region));
    assert!(expected.len() < region.len());
}
