//! Stored travel scenarios and the API by time: import, replace and remove on SQLite
//! and PostgreSQL (a second instance sees the new surface), `/api/nearest?by=time`
//! against a plain Dijkstra written here (one run from every facility, geodesics by
//! Karney's algorithm through `geo`), coverage by minutes against the same, the
//! confidential shelters' protection, and bad input.

use crate::support::{CASEWORKER_TOKEN, PgDatabase, TOKEN, TestApp, collection, feature};
use geo::{Distance, Geodesic, Point};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BinaryHeap};
use std::io::Cursor;
use std::sync::Arc;
use tiff::encoder::{Compression, TiffEncoder, colortype};
use tiff::tags::Tag;
use tirek::model::Area;
use tirek::store::{PostgresStore, Store};

pub(crate) const W: usize = 48;
pub(crate) const H: usize = 36;
pub(crate) const WEST: f64 = 68.0;
pub(crate) const NORTH: f64 = 41.0;
pub(crate) const CELL: f64 = 0.01;

/// Seeded friction, minutes per metre (1–10 km/h), with a river (column 20, NoData)
/// crossed by one bridge (row 10) and scattered impassable cells.
pub(crate) fn values(seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut v: Vec<f32> = (0..W * H)
        .map(|_| {
            if rng.random_bool(0.08) {
                -9999.0
            } else {
                rng.random_range(0.006f32..0.06)
            }
        })
        .collect();
    for row in 0..H {
        v[row * W + 20] = if row == 10 { 0.01 } else { -9999.0 };
    }
    v
}

pub(crate) fn geotiff(values: &[f32], west: f64) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut enc = TiffEncoder::new(&mut out)
        .unwrap()
        .with_compression(Compression::Deflate(Default::default()));
    let mut img = enc
        .new_image::<colortype::Gray32Float>(W as u32, H as u32)
        .unwrap();
    img.encoder()
        .write_tag(Tag::ModelPixelScaleTag, &[CELL, CELL, 0.0][..])
        .unwrap();
    img.encoder()
        .write_tag(
            Tag::ModelTiepointTag,
            &[0.0, 0.0, 0.0, west, NORTH, 0.0][..],
        )
        .unwrap();
    img.encoder()
        .write_tag(
            Tag::GeoKeyDirectoryTag,
            &[
                1u16, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326,
            ][..],
        )
        .unwrap();
    img.encoder().write_tag(Tag::GdalNodata, "-9999").unwrap();
    img.write_data(values).unwrap();
    out.into_inner()
}

pub(crate) fn centre(cell: usize) -> (f64, f64) {
    (
        WEST + ((cell % W) as f64 + 0.5) * CELL,
        NORTH - ((cell / W) as f64 + 0.5) * CELL,
    )
}

fn cell_of(lon: f64, lat: f64) -> usize {
    ((NORTH - lat) / CELL).floor() as usize * W + ((lon - WEST) / CELL).floor() as usize
}

/// A plain Dijkstra over an explicit 8-neighbour graph: from `source`, the least
/// minutes to every cell (infinite where unreachable). Move cost: Karney geodesic
/// between the centres × the mean friction.
pub(crate) fn dijkstra(v: &[f32], source: usize) -> Vec<f64> {
    let passable = |c: usize| v[c] > 0.0;
    let mut best = vec![f64::INFINITY; W * H];
    if !passable(source) {
        return best;
    }
    #[derive(PartialEq)]
    struct E(f64, usize);
    impl Eq for E {}
    impl PartialOrd for E {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for E {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            o.0.total_cmp(&self.0)
        }
    }
    let mut heap = BinaryHeap::new();
    best[source] = 0.0;
    heap.push(E(0.0, source));
    while let Some(E(t, c)) = heap.pop() {
        if t > best[c] {
            continue;
        }
        let (r, col) = ((c / W) as i64, (c % W) as i64);
        for dr in -1..=1i64 {
            for dc in -1..=1i64 {
                let (nr, nc) = (r + dr, col + dc);
                if (dr, dc) == (0, 0) || nr < 0 || nc < 0 || nr >= H as i64 || nc >= W as i64 {
                    continue;
                }
                let n = nr as usize * W + nc as usize;
                if !passable(n) {
                    continue;
                }
                let (a, b) = (centre(c), centre(n));
                let d = Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1));
                let nt = t + d * (f64::from(v[c]) + f64::from(v[n])) / 2.0;
                if nt < best[n] {
                    best[n] = nt;
                    heap.push(E(nt, n));
                }
            }
        }
    }
    best
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1.0)
}

/// The API searches up to a day's travel: beyond it (or unreachable) is null.
const DAY: f64 = 24.0 * 60.0;

/// `got` (a JSON number or null) is the reference's `want` as the API reports it.
fn minutes_match(got: &Value, want: f64) -> bool {
    if want <= DAY {
        got.as_f64().is_some_and(|g| close(g, want))
    } else {
        got.is_null()
    }
}

/// Seeded facilities on the surface: health and police, ids f00…
fn facilities(v: &[f32], seed: u64, n: usize) -> Vec<(String, &'static str, f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let lon = WEST + rng.random_range(0.0..W as f64 * CELL);
            let lat = NORTH - rng.random_range(0.0..H as f64 * CELL);
            let sector = if i % 3 == 0 { "police" } else { "health" };
            let _ = v;
            (format!("f{i:02}"), sector, lon, lat)
        })
        .collect()
}

async fn app_with(v: &[f32], seed: u64) -> (TestApp, Vec<(String, &'static str, f64, f64)>) {
    let app = TestApp::new().await;
    let fs = facilities(v, seed, 14);
    let features = fs
        .iter()
        .map(|(id, s, lon, lat)| feature(id, &[s], *lon, *lat))
        .collect();
    assert_eq!(app.import(&collection(features)).await.0, 200);
    (app, fs)
}

pub(crate) async fn put_surface(app: &TestApp, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let (status, body) = app
        .send(
            "POST",
            &format!("/api/import/friction?scenario={name}"),
            Some(TOKEN),
            Some(bytes),
        )
        .await;
    (status.as_u16(), body)
}

#[tokio::test]
async fn travel_api_imports_lists_replaces_and_removes_scenarios() {
    let v = values(1);
    let (app, _) = app_with(&v, 2).await;
    let (status, list) = app.get("/api/travel/scenarios").await;
    assert_eq!(
        (status.as_u16(), list["scenarios"].clone()),
        (200, json!([]))
    );

    // Only planners import; the name is checked; a non-TIFF is refused, nothing kept.
    let bytes = geotiff(&v, WEST);
    let (s, _) = app
        .send(
            "POST",
            "/api/import/friction?scenario=walking",
            None,
            Some(bytes.clone()),
        )
        .await;
    assert_eq!(s.as_u16(), 401);
    let (s, _) = app
        .send(
            "POST",
            "/api/import/friction?scenario=walking",
            Some(CASEWORKER_TOKEN),
            Some(bytes.clone()),
        )
        .await;
    assert_eq!(s.as_u16(), 403);
    let (s, e) = put_surface(&app, "Walking%20fast", bytes.clone()).await;
    assert_eq!(s, 400, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("a-z"));
    let (s, e) = put_surface(&app, "walking", b"II*\0 not really a tiff".to_vec()).await;
    assert_eq!(s, 422, "{e}");
    let (s, _) = app
        .send(
            "POST",
            "/api/import/friction?scenario=walking",
            Some(TOKEN),
            Some(b"id,lon,lat\n".to_vec()),
        )
        .await;
    assert_eq!(s.as_u16(), 415);
    // A surface shifted east leaves the western facilities off it: refused, naming them.
    let (s, e) = put_surface(&app, "walking", geotiff(&v, WEST + 0.25)).await;
    assert_eq!(s, 422, "{e}");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("does not cover") && message.contains("nothing was written"),
        "{message}"
    );
    assert!(message.contains('f'), "{message}");
    assert_eq!(
        app.get("/api/travel/scenarios").await.1["scenarios"],
        json!([])
    );

    let (s, summary) = put_surface(&app, "walking", bytes.clone()).await;
    assert_eq!(s, 200, "{summary}");
    assert_eq!(summary["replaced"], false);
    assert_eq!(
        (summary["width"].as_u64(), summary["height"].as_u64()),
        (Some(W as u64), Some(H as u64))
    );
    let expected_passable = v.iter().filter(|&&x| x > 0.0).count() as u64;
    assert_eq!(summary["passable_cells"].as_u64(), Some(expected_passable));
    let list = app.get("/api/travel/scenarios").await.1;
    let one = &list["scenarios"][0];
    assert_eq!(one["name"], "walking");
    assert_eq!(one["demo"], false);
    let bounds: Vec<f64> = serde_json::from_value(one["bounds"].clone()).unwrap();
    let want = [WEST, NORTH - H as f64 * CELL, WEST + W as f64 * CELL, NORTH];
    for (g, w) in bounds.iter().zip(want) {
        assert!((g - w).abs() < 1e-9, "{bounds:?}");
    }
    let meta = app.get("/api/meta").await.1;
    assert_eq!(meta["travel_scenarios"][0]["name"], "walking");

    // Replacing: a new surface of the same name.
    let mut faster = v.clone();
    for x in &mut faster {
        if *x > 0.0 {
            *x /= 2.0;
        }
    }
    let (s, summary) = put_surface(&app, "walking", geotiff(&faster, WEST)).await;
    assert_eq!((s, summary["replaced"].clone()), (200, json!(true)));
    let scenarios = app.state.registry.scenarios();
    let surface = &scenarios.get("walking").unwrap().surface;
    assert_eq!(surface.friction(0), (faster[0] > 0.0).then_some(faster[0]));

    // The audit log has both writes.
    let store = app.state.registry.store();
    let log = store.audit_log(0, 1000).await.unwrap();
    let friction: Vec<_> = log.iter().filter(|e| e.entity_kind == "friction").collect();
    assert_eq!(
        friction
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        ["create", "replace"]
    );
    assert!(friction.iter().all(|e| e.actor == "planner"));

    // Removing.
    let (s, _) = app
        .send(
            "DELETE",
            "/api/travel/scenarios/walking",
            Some(CASEWORKER_TOKEN),
            None,
        )
        .await;
    assert_eq!(s.as_u16(), 403);
    let (s, _) = app
        .send("DELETE", "/api/travel/scenarios/walking", Some(TOKEN), None)
        .await;
    assert_eq!(s.as_u16(), 204);
    let (s, _) = app
        .send("DELETE", "/api/travel/scenarios/walking", Some(TOKEN), None)
        .await;
    assert_eq!(s.as_u16(), 404);
    assert_eq!(
        app.get("/api/travel/scenarios").await.1["scenarios"],
        json!([])
    );
}

#[tokio::test]
async fn travel_api_bad_input_names_what_is_loaded() {
    let v = values(3);
    let (app, _) = app_with(&v, 4).await;
    let (s, e) = app.get("/api/nearest?lon=68.1&lat=40.9&by=time").await;
    assert_eq!(s.as_u16(), 400);
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("none is loaded"),
        "{e}"
    );
    let (s, _) = app.get("/api/coverage?by=time").await;
    assert_eq!(s.as_u16(), 400);
    assert_eq!(put_surface(&app, "walking", geotiff(&v, WEST)).await.0, 200);
    assert_eq!(
        put_surface(&app, "motorised", geotiff(&v, WEST)).await.0,
        200
    );
    let (s, e) = app
        .get("/api/nearest?lon=68.1&lat=40.9&by=time&scenario=cycling")
        .await;
    assert_eq!(s.as_u16(), 400);
    let m = e["error"]["message"].as_str().unwrap();
    assert!(
        m.contains("cycling") && m.contains("motorised, walking"),
        "{m}"
    );
    let (s, _) = app.get("/api/nearest?lon=68.1&lat=40.9&by=speed").await;
    assert_eq!(s.as_u16(), 400);
    let (s, _) = app
        .get("/api/coverage?by=time&scenario=walking&threshold_min.health=-3")
        .await;
    assert_eq!(s.as_u16(), 400);
    let (s, _) = app.get("/api/coverage?threshold_min.health=30").await;
    assert_eq!(s.as_u16(), 400);
    let (s, _) = app
        .send(
            "GET",
            "/api/travel/catchments?scenario=cycling&sector=health",
            Some(TOKEN),
            None,
        )
        .await;
    assert_eq!(s.as_u16(), 400);
}

#[tokio::test]
async fn travel_api_catchments_equal_a_plain_dijkstra_from_every_facility() {
    let v = values(11);
    let (app, fs) = app_with(&v, 12).await;
    assert_eq!(put_surface(&app, "walking", geotiff(&v, WEST)).await.0, 200);
    let (s, body) = app
        .get("/api/travel/catchments?scenario=walking&sector=health")
        .await;
    assert_eq!(s.as_u16(), 200, "{body}");
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(W as u64), Some(H as u64))
    );
    let ids: Vec<&str> = body["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    // The reference: each health facility in a passable cell alone, per cell the least.
    let health: Vec<&(String, &str, f64, f64)> = fs.iter().filter(|f| f.1 == "health").collect();
    let placed: Vec<&str> = health
        .iter()
        .filter(|f| v[cell_of(f.2, f.3)] > 0.0)
        .map(|f| f.0.as_str())
        .collect();
    assert_eq!(ids, placed, "facilities in their order, the unplaced apart");
    let unplaced: Vec<&str> = health
        .iter()
        .filter(|f| v[cell_of(f.2, f.3)] <= 0.0)
        .map(|f| f.0.as_str())
        .collect();
    assert_eq!(body["unplaced"], json!(unplaced));
    let alone: Vec<Vec<f64>> = placed
        .iter()
        .map(|id| {
            let f = fs.iter().find(|f| f.0 == *id).unwrap();
            dijkstra(&v, cell_of(f.2, f.3))
        })
        .collect();
    let mut reached = 0;
    for cell in 0..W * H {
        let least = alone.iter().map(|t| t[cell]).fold(f64::INFINITY, f64::min);
        let owner = body["nearest"][cell].as_i64().unwrap();
        let minutes = &body["minutes"][cell];
        if least.is_infinite() {
            assert_eq!((owner, minutes), (-1, &Value::Null), "cell {cell}");
            continue;
        }
        reached += 1;
        // The owner's own time is the least (ties within rounding may go either way),
        // and the minutes are it, to 0.1.
        assert!(owner >= 0, "cell {cell} is reached");
        assert!(close(alone[owner as usize][cell], least), "cell {cell}");
        let got = minutes.as_f64().unwrap();
        assert!(
            (got - least).abs() <= 0.05 + 1e-6 * least,
            "cell {cell}: {got} vs {least}"
        );
    }
    assert!(reached > W * H / 2, "{reached} cells reached");
}

#[tokio::test]
async fn travel_api_nearest_by_time_equals_a_plain_dijkstra_from_every_facility() {
    let v = values(5);
    let (app, fs) = app_with(&v, 6).await;
    assert_eq!(put_surface(&app, "walking", geotiff(&v, WEST)).await.0, 200);
    let mut doubled = v.clone();
    for x in &mut doubled {
        if *x > 0.0 {
            *x *= 2.0;
        }
    }
    assert_eq!(
        put_surface(&app, "slow", geotiff(&doubled, WEST)).await.0,
        200
    );
    // Every facility's times to every cell, by the reference.
    let from: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = fs
        .iter()
        .map(|(id, _, lon, lat)| {
            let c = cell_of(*lon, *lat);
            (id.as_str(), (dijkstra(&v, c), dijkstra(&doubled, c)))
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut compared = 0;
    for _ in 0..25 {
        let lon = WEST + rng.random_range(0.0..W as f64 * CELL);
        let lat = NORTH - rng.random_range(0.0..H as f64 * CELL);
        let q = cell_of(lon, lat);
        for sector in ["health", "police"] {
            let (s, body) = app
                .get(&format!(
                    "/api/nearest?lon={lon}&lat={lat}&sector={sector}&k=3&by=time&scenario=walking"
                ))
                .await;
            assert_eq!(s.as_u16(), 200, "{body}");
            let mut want: Vec<(f64, &str)> = fs
                .iter()
                .filter(|f| f.1 == sector)
                .map(|f| (from[f.0.as_str()].0[q], f.0.as_str()))
                .filter(|(t, _)| *t <= DAY)
                .collect();
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
            want.truncate(3);
            let got: Vec<(f64, String)> = body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["travel_minutes"].as_f64().unwrap(),
                        r["facility"]["properties"]["id"]
                            .as_str()
                            .unwrap()
                            .to_string(),
                    )
                })
                .collect();
            assert_eq!(
                got.len(),
                want.len(),
                "{lon},{lat} {sector}: {got:?} vs {want:?}"
            );
            for ((gt, gid), (wt, wid)) in got.iter().zip(&want) {
                assert!(close(*gt, *wt), "{lon},{lat}: {gt} vs {wt}");
                // Equal times (within rounding) may come in either order.
                assert!(gid == wid || close(*gt, from[gid.as_str()].0[q]));
                compared += 1;
            }
            // Every result carries its minutes in each scenario.
            for r in body["results"].as_array().unwrap() {
                let id = r["facility"]["properties"]["id"].as_str().unwrap();
                let by = &r["travel_minutes_by_scenario"];
                assert!(minutes_match(&by["walking"], from[id].0[q]), "{by}");
                assert!(minutes_match(&by["slow"], from[id].1[q]), "{by}");
            }
        }
        // By distance, the same minutes per result, null where unreachable.
        let body = app
            .get(&format!(
                "/api/nearest?lon={lon}&lat={lat}&sector=health&k=5"
            ))
            .await
            .1;
        assert_eq!(body["travel"]["by"], "distance");
        for r in body["results"].as_array().unwrap() {
            let id = r["facility"]["properties"]["id"].as_str().unwrap();
            let got = &r["travel_minutes_by_scenario"]["walking"];
            let want = from[id].0[q];
            assert!(minutes_match(got, want), "{id}: {got} vs {want}");
        }
    }
    assert!(compared > 60, "{compared}");
}

fn region() -> Area {
    Area {
        code: "KZ-T".into(),
        level: 1,
        parent: None,
        name: "Travel test region".into(),
        names: BTreeMap::new(),
        geometry: geo::MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(vec![
                (WEST, NORTH - H as f64 * CELL),
                (WEST + W as f64 * CELL, NORTH - H as f64 * CELL),
                (WEST + W as f64 * CELL, NORTH),
                (WEST, NORTH),
                (WEST, NORTH - H as f64 * CELL),
            ]),
            vec![],
        )]),
    }
}

#[tokio::test]
async fn travel_api_coverage_by_minutes_equals_the_reference() {
    let v = values(8);
    let (app, fs) = app_with(&v, 9).await;
    assert_eq!(put_surface(&app, "walking", geotiff(&v, WEST)).await.0, 200);
    let registry = &app.state.registry;
    registry
        .replace_areas(1, &[region()], "test")
        .await
        .unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let settlements: Vec<tirek::model::Settlement> = (0..300)
        .map(|i| tirek::model::Settlement {
            id: format!("s{i}"),
            name: format!("s{i}"),
            name_ru: None,
            alt_names: vec![],
            lon: WEST + 0.001 + rng.random_range(0.0..W as f64 * CELL - 0.002),
            lat: NORTH - 0.001 - rng.random_range(0.0..H as f64 * CELL - 0.002),
            population: f64::from(rng.random_range(1..1000u32)),
            country: Some("KZ".into()),
            adm1: None,
            adm2: None,
        })
        .collect();
    registry
        .replace_settlements(&settlements, "test")
        .await
        .unwrap();
    let health: Vec<Vec<f64>> = fs
        .iter()
        .filter(|f| f.1 == "health")
        .map(|f| dijkstra(&v, cell_of(f.2, f.3)))
        .collect();
    for threshold in [5.0, 20.0, 45.0] {
        let (s, body) = app
            .get(&format!(
                "/api/coverage?by=time&scenario=walking&sectors=health&package=health&threshold_min.health={threshold}"
            ))
            .await;
        assert_eq!(s.as_u16(), 200, "{body}");
        assert_eq!(body["coverage"]["scenario"], "walking");
        let got = body["areas"][0]["sectors"]["health"]["pop_covered"]
            .as_f64()
            .unwrap();
        let want: f64 = settlements
            .iter()
            .filter(|s| {
                let c = cell_of(s.lon, s.lat);
                health.iter().map(|t| t[c]).fold(f64::INFINITY, f64::min) <= threshold
            })
            .map(|s| s.population)
            .sum();
        assert_eq!(got, want, "threshold {threshold}");
    }
}

#[tokio::test]
async fn travel_api_never_gives_the_public_a_shelters_minutes_or_cell() {
    let v = values(11);
    let app = TestApp::new().await;
    let (slon, slat) = (68.2345, 40.8765);
    let mut shelter = feature("safe-house-7", &["shelter"], slon, slat);
    shelter["properties"]["confidential"] = json!(true);
    let mut hotline = feature("hotline-kz", &["hotline"], 68.05, 40.95);
    hotline["properties"]["phone"] = json!("150");
    let clinic = feature("clinic-1", &["health"], 68.3, 40.8);
    assert_eq!(
        app.import(&collection(vec![shelter, hotline, clinic]))
            .await
            .0,
        200
    );
    assert_eq!(put_surface(&app, "walking", geotiff(&v, WEST)).await.0, 200);
    let shelter_cell = cell_of(slon, slat);
    let want = dijkstra(&v, shelter_cell);
    let q = (68.25, 40.87);
    let qc = cell_of(q.0, q.1);
    assert!(
        want[qc].is_finite(),
        "the test point must reach the shelter"
    );

    let public = [
        app.get(&format!(
            "/api/nearest?lon={}&lat={}&by=time&scenario=walking",
            q.0, q.1
        ))
        .await,
        app.get(&format!(
            "/api/nearest?lon={}&lat={}&sector=shelter&k=5&by=time",
            q.0, q.1
        ))
        .await,
        app.get(&format!(
            "/api/nearest?lon={}&lat={}&sector=shelter,health&k=3",
            q.0, q.1
        ))
        .await,
    ];
    let shelter_minutes = format!("{}", want[qc]);
    for (s, body) in &public {
        assert_eq!(s.as_u16(), 200, "{body}");
        let text = body.to_string();
        for secret in ["safe-house-7", "68.234", "40.876", &shelter_minutes[..6]] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
        for r in body["results"].as_array().unwrap() {
            if r["sector"] == "shelter" {
                assert!(r.get("distance_band").is_some(), "{r}");
                assert!(
                    r.get("travel_minutes").is_none()
                        && r.get("travel_minutes_by_scenario").is_none(),
                    "{r}"
                );
            }
        }
    }
    // The masked entry is there, as by distance.
    assert!(
        public[1].1["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["sector"] == "shelter")
    );
    // Catchments (which would show the shelter's cell) are withheld from the public
    // for the shelter sector, as by distance; other sectors are open.
    let (s, body) = app
        .get("/api/travel/catchments?scenario=walking&sector=shelter")
        .await;
    assert_eq!(s.as_u16(), 403, "{body}");
    assert!(!body.to_string().contains("safe-house-7"));
    let (s, body) = app
        .get("/api/travel/catchments?scenario=walking&sector=health")
        .await;
    assert_eq!(s.as_u16(), 200);
    assert_eq!(body["facilities"], json!(["clinic-1"]));
    // The public cannot narrow a shelter's coverage by minutes.
    let (s, _) = app
        .get("/api/coverage?by=time&scenario=walking&sectors=shelter&threshold_min.shelter=5")
        .await;
    assert_eq!(s.as_u16(), 403);
    // A caseworker gets the shelter with its minutes.
    let (_, body) = app
        .send(
            "GET",
            &format!(
                "/api/nearest?lon={}&lat={}&sector=shelter&by=time",
                q.0, q.1
            ),
            Some(CASEWORKER_TOKEN),
            None,
        )
        .await;
    let r = &body["results"][0];
    assert_eq!(r["facility"]["properties"]["id"], "safe-house-7");
    assert!(close(r["travel_minutes"].as_f64().unwrap(), want[qc]));
    // A caseworker's catchment grid equals the reference (one shelter: its times).
    let (s, grid) = app
        .send(
            "GET",
            "/api/travel/catchments?scenario=walking&sector=shelter",
            Some(CASEWORKER_TOKEN),
            None,
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{grid}");
    assert_eq!(grid["facilities"], json!(["safe-house-7"]));
    for cell in 0..W * H {
        let got = &grid["minutes"][cell];
        if want[cell].is_finite() {
            assert!(
                (got.as_f64().unwrap() - want[cell]).abs() <= 0.051,
                "cell {cell}"
            );
            assert_eq!(grid["nearest"][cell], 0);
        } else {
            assert!(got.is_null());
            assert_eq!(grid["nearest"][cell], -1);
        }
    }
}

async fn pg_app(url: &str) -> TestApp {
    let store: Arc<dyn Store> = Arc::new(PostgresStore::connect(url).await.unwrap());
    TestApp::on(store).await
}

#[tokio::test]
async fn travel_api_scenarios_reach_every_instance_on_postgres() {
    let Some(db) = PgDatabase::create("travel_api").await else {
        return;
    };
    let v = values(12);
    let a = pg_app(&db.url).await;
    let b = pg_app(&db.url).await;
    let follow = b.state.registry.follow();
    let fs = facilities(&v, 13, 6);
    let features = fs
        .iter()
        .map(|(id, s, lon, lat)| feature(id, &[s], *lon, *lat))
        .collect();
    assert_eq!(a.import(&collection(features)).await.0, 200);
    // Refused on A: nothing reaches B.
    assert_eq!(
        put_surface(&a, "walking", geotiff(&v, WEST + 0.3)).await.0,
        422
    );
    assert_eq!(put_surface(&a, "walking", geotiff(&v, WEST)).await.0, 200);
    let seen = |app: &TestApp| app.state.registry.scenarios().get("walking").is_some();
    let mut waited = 0;
    while !seen(&b) && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    assert!(seen(&b), "instance B never saw the new scenario");
    let (lon, lat) = (fs[1].2, fs[1].3);
    let uri = format!("/api/nearest?lon={lon}&lat={lat}&sector=health&by=time&scenario=walking");
    let (sa, ba) = a.get(&uri).await;
    let (sb, bb) = b.get(&uri).await;
    assert_eq!((sa.as_u16(), sb.as_u16()), (200, 200));
    assert_eq!(ba["results"], bb["results"]);
    // Removal through B reaches A.
    let (s, _) = b
        .send("DELETE", "/api/travel/scenarios/walking", Some(TOKEN), None)
        .await;
    assert_eq!(s.as_u16(), 204);
    a.state.registry.catch_up().await.unwrap();
    assert!(!seen(&a));
    assert_eq!(
        a.state
            .registry
            .store()
            .friction_infos()
            .await
            .unwrap()
            .len(),
        0
    );
    drop((a, b, follow));
    db.drop_now().await;
}
