//! The gap grid and `plan-sites` by travel time, against an independent computation:
//! a seeded friction surface (river with one bridge, scattered NoData) written as a
//! GeoTIFF, and per facility a plain Dijkstra over an explicit 8-neighbour graph written
//! in the tests (`travel_api::dijkstra`, geodesics by Karney's algorithm through `geo`).
//! Every H3 cell's `minutes_<s>`, `covered_<s>`, `covered_all` and
//! `people_out_of_reach` is checked (centres and settlements off the surface or in
//! impassable cells are unreachable); the public never gets a sector with a confidential
//! shelter; bad parameters are 4xx; the CLI's `grid` and `plan-sites` by minutes.

use crate::support::{CASEWORKER_TOKEN, TestApp, collection, feature};
use crate::travel_api::{CELL, H, NORTH, W, WEST, dijkstra, geotiff, put_surface, values};
use crate::trust::tirek;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use tirek::model::{Area, Settlement};

/// The grid's resolution in these tests (≈ 5 km² cells: a few hundred over the box).
const RES: h3o::Resolution = h3o::Resolution::Seven;
/// The area reaches this far east of the surface: cells and people there are off it.
const EAST_OF_SURFACE: f64 = 0.04;

/// The surface cell holding (`lon`, `lat`), computed here; `None` off the surface.
fn surface_cell(lon: f64, lat: f64) -> Option<usize> {
    let col = ((lon - WEST) / CELL).floor();
    let row = ((NORTH - lat) / CELL).floor();
    (col >= 0.0 && row >= 0.0 && col < W as f64 && row < H as f64)
        .then(|| row as usize * W + col as usize)
}

/// The least minutes at (`lon`, `lat`) from the nearest of `times` (one reference run
/// per facility, already reduced to the minimum per cell); infinite off the surface.
fn minutes_at(times: &[f64], lon: f64, lat: f64) -> f64 {
    surface_cell(lon, lat).map_or(f64::INFINITY, |c| times[c])
}

/// Per cell, the least minutes from any of the facilities at `at`.
fn reference(v: &[f32], at: &[(f64, f64)]) -> Vec<f64> {
    let mut best = vec![f64::INFINITY; W * H];
    for &(lon, lat) in at {
        let run = dijkstra(v, surface_cell(lon, lat).unwrap());
        for (b, t) in best.iter_mut().zip(run) {
            *b = b.min(t);
        }
    }
    best
}

/// Per cell, the least minutes from the facilities of `sector` among `fs`.
fn sector_reference(v: &[f32], fs: &[(String, &'static str, f64, f64)], sector: &str) -> Vec<f64> {
    let at: Vec<(f64, f64)> = fs
        .iter()
        .filter(|f| f.1 == sector)
        .map(|f| (f.2, f.3))
        .collect();
    reference(v, &at)
}

/// `want` moved up until no value of `near` lies within 1e-6 (relative) of it, so that
/// the engine and the reference (equal to ~1e-9) agree on which side each value is.
fn clear_threshold(mut want: f64, near: &[f64]) -> f64 {
    while near
        .iter()
        .any(|&t| t.is_finite() && (t - want).abs() <= 1e-6 * want.max(1.0))
    {
        want += 0.0137;
    }
    want
}

/// The country: the surface and a strip east of it.
fn country() -> Area {
    let (south, east) = (
        NORTH - H as f64 * CELL,
        WEST + W as f64 * CELL + EAST_OF_SURFACE,
    );
    Area {
        code: "KZ".into(),
        level: 0,
        parent: None,
        name: "Grid test country".into(),
        names: BTreeMap::new(),
        geometry: geo::MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(vec![
                (WEST, south),
                (east, south),
                (east, NORTH),
                (WEST, NORTH),
                (WEST, south),
            ]),
            vec![],
        )]),
    }
}

/// Seeded settlements over the country, some of them east of the surface.
fn settlements(seed: u64, n: usize) -> Vec<Settlement> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let east = W as f64 * CELL + EAST_OF_SURFACE;
    (0..n)
        .map(|i| Settlement {
            id: format!("s{i}"),
            name: format!("s{i}"),
            name_ru: None,
            alt_names: vec![],
            lon: WEST + 0.0005 + rng.random_range(0.0..east - 0.001),
            lat: NORTH - 0.0005 - rng.random_range(0.0..H as f64 * CELL - 0.001),
            population: f64::from(rng.random_range(1..1000u32)),
            country: Some("KZ".into()),
            adm1: None,
            adm2: None,
        })
        .collect()
}

/// Seeded facilities on the surface: `(id, sector, lon, lat)`.
fn facilities(seed: u64) -> Vec<(String, &'static str, f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..12)
        .map(|i| {
            let lon = WEST + rng.random_range(0.0..W as f64 * CELL);
            let lat = NORTH - rng.random_range(0.0..H as f64 * CELL);
            let sector = if i % 3 == 0 { "police" } else { "health" };
            (format!("f{i:02}"), sector, lon, lat)
        })
        .collect()
}

/// The facilities, country, settlements and the surface (as scenario `walking`) in
/// `app`'s store.
async fn load(
    app: &TestApp,
    v: &[f32],
    fs: &[(String, &'static str, f64, f64)],
    people: &[Settlement],
) {
    let features = fs
        .iter()
        .map(|(id, s, lon, lat)| feature(id, &[s], *lon, *lat))
        .collect();
    assert_eq!(app.import(&collection(features)).await.0, 200);
    let registry = &app.state.registry;
    registry
        .replace_areas(0, &[country()], "test")
        .await
        .unwrap();
    registry.replace_settlements(people, "test").await.unwrap();
    assert_eq!(put_surface(app, "walking", geotiff(v, WEST)).await.0, 200);
}

/// One sector of a grid check: its code, threshold in minutes, and reference times.
struct Expected<'a> {
    sector: &'a str,
    threshold: f64,
    times: &'a [f64],
}

/// Checks every cell of a by-time grid answer against the reference; returns how many
/// cells had a null (unreachable) and a covered and an uncovered value, per sector, so
/// the caller can see the case is not degenerate.
fn check_grid(doc: &Value, sectors: &[Expected<'_>], people: &[Settlement]) -> [usize; 3] {
    assert_eq!(doc["type"], "FeatureCollection");
    let meta = &doc["grid"];
    assert_eq!(meta["by"], "time", "{meta}");
    assert!(meta.get("thresholds_m").is_none(), "{meta}");
    for e in sectors {
        assert_eq!(
            meta["thresholds_min"][e.sector],
            json!(e.threshold),
            "{meta}"
        );
    }
    assert!(
        meta["note"].as_str().unwrap().contains("travel time"),
        "{meta}"
    );
    let mut by_cell: BTreeMap<h3o::CellIndex, (f64, f64)> = BTreeMap::new();
    for s in people {
        let cell = h3o::LatLng::new(s.lat, s.lon).unwrap().to_cell(RES);
        let entry = by_cell.entry(cell).or_default();
        entry.0 += s.population;
        let out = sectors
            .iter()
            .any(|e| minutes_at(e.times, s.lon, s.lat) > e.threshold);
        if out {
            entry.1 += s.population;
        }
    }
    let mut seen = [0usize; 3];
    let features = doc["features"].as_array().unwrap();
    assert_eq!(meta["cells"], json!(features.len()));
    for f in features {
        let p = &f["properties"];
        let cell: h3o::CellIndex = p["cell"].as_str().unwrap().parse().unwrap();
        let centre = h3o::LatLng::from(cell);
        let mut all = true;
        for e in sectors {
            let want = minutes_at(e.times, centre.lng(), centre.lat());
            let got = &p[format!("minutes_{}", e.sector)];
            if want.is_finite() {
                let got = got
                    .as_f64()
                    .unwrap_or_else(|| panic!("{cell} {}: null, want {want}", e.sector));
                assert!(
                    (got - want).abs() <= 0.05 + 1e-6,
                    "{cell} {}: {got} vs {want}",
                    e.sector
                );
                assert_eq!(got, (got * 10.0).round() / 10.0, "to 0.1 minute");
            } else {
                assert!(got.is_null(), "{cell} {}: {got}, want null", e.sector);
                seen[0] += 1;
            }
            assert!(p.get(format!("dist_km_{}", e.sector)).is_none(), "{p}");
            let covered = want <= e.threshold;
            seen[if covered { 1 } else { 2 }] += 1;
            assert_eq!(
                p[format!("covered_{}", e.sector)],
                json!(covered),
                "{cell} {}: {want} vs {}",
                e.sector,
                e.threshold
            );
            all &= covered;
        }
        assert_eq!(p["covered_all"], json!(all), "{cell}");
        let (population, out) = by_cell.get(&cell).copied().unwrap_or_default();
        assert_eq!(p["population"].as_f64().unwrap(), population, "{cell}");
        assert_eq!(
            p["people_out_of_reach"].as_f64().unwrap(),
            out,
            "{cell}: people out of reach"
        );
    }
    // Every settlement's cell is there.
    let listed: Vec<h3o::CellIndex> = features
        .iter()
        .map(|f| f["properties"]["cell"].as_str().unwrap().parse().unwrap())
        .collect();
    for cell in by_cell.keys() {
        assert!(listed.contains(cell), "{cell} with people is missing");
    }
    seen
}

#[tokio::test]
async fn grid_by_time_equals_an_independent_dijkstra_in_every_cell() {
    let v = values(21);
    let fs = facilities(22);
    let people = settlements(23, 260);
    let app = TestApp::new().await;
    load(&app, &v, &fs, &people).await;
    let health = sector_reference(&v, &fs, "health");
    let police = sector_reference(&v, &fs, "police");
    // Thresholds clear of every reference time, at centres and at settlements alike.
    for (h_min, p_min) in [(60.0, 45.0), (180.0, 120.0)] {
        let h_thr = clear_threshold(h_min, &health);
        let p_thr = clear_threshold(p_min, &police);
        let (status, doc) = app
            .get(&format!(
                "/api/gaps/grid?by=time&scenario=walking&res=7&cells=all&sector=health,police&threshold_min.health={h_thr}&threshold_min.police={p_thr}"
            ))
            .await;
        assert_eq!(status, 200, "{doc}");
        assert_eq!(doc["grid"]["scenario"], "walking");
        assert_eq!(doc["grid"]["res"], 7);
        let seen = check_grid(
            &doc,
            &[
                Expected {
                    sector: "health",
                    threshold: h_thr,
                    times: &health,
                },
                Expected {
                    sector: "police",
                    threshold: p_thr,
                    times: &police,
                },
            ],
            &people,
        );
        assert!(
            seen.iter().all(|&n| n > 5),
            "null / covered / not covered: {seen:?}"
        );
        assert!(doc["features"].as_array().unwrap().len() > 200);
        // By default only the cells where someone lives, with the same figures.
        let (status, populated) = app
            .get(&format!(
                "/api/gaps/grid?by=time&scenario=walking&res=7&sector=health,police&threshold_min.health={h_thr}&threshold_min.police={p_thr}"
            ))
            .await;
        assert_eq!(status, 200, "{populated}");
        let wanted: Vec<&Value> = doc["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["properties"]["population"].as_f64().unwrap() > 0.0)
            .collect();
        assert_eq!(
            populated["features"]
                .as_array()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            wanted
        );
    }
    // Without thresholds: the defaults (health 120, police 60 minutes).
    let (status, doc) = app
        .get("/api/gaps/grid?by=time&res=6&sector=health,police")
        .await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(
        doc["grid"]["thresholds_min"],
        json!({"health": 120.0, "police": 60.0})
    );
    assert_eq!(doc["grid"]["scenario"], "walking", "the default scenario");
    // By distance the same grid still carries kilometres and no minutes.
    let (status, doc) = app
        .get("/api/gaps/grid?res=6&sector=health&cells=all")
        .await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["grid"]["by"], "distance");
    let p = &doc["features"][0]["properties"];
    assert!(p.get("dist_km_health").is_some() && p.get("minutes_health").is_none());
    assert!(doc["grid"].get("scenario").is_none());
}

#[tokio::test]
async fn grid_by_time_withholds_a_sector_with_a_confidential_shelter_from_the_public() {
    let v = values(31);
    let app = TestApp::new().await;
    let (slon, slat) = (68.2345, 40.8765);
    let mut shelter = feature("safe-house-9", &["shelter"], slon, slat);
    shelter["properties"]["confidential"] = json!(true);
    let clinic = feature("clinic-1", &["health"], 68.3, 40.8);
    assert_eq!(app.import(&collection(vec![shelter, clinic])).await.0, 200);
    let registry = &app.state.registry;
    registry
        .replace_areas(0, &[country()], "test")
        .await
        .unwrap();
    let people = settlements(32, 120);
    registry.replace_settlements(&people, "test").await.unwrap();
    assert_eq!(put_surface(&app, "walking", geotiff(&v, WEST)).await.0, 200);
    let health = reference(&v, &[(68.3, 40.8)]);
    let shelters = reference(&v, &[(slon, slat)]);
    let uri = "/api/gaps/grid?by=time&scenario=walking&res=7&cells=all&sector=health,shelter&threshold_min.shelter=30";
    let (status, public) = app.get(uri).await;
    assert_eq!(status, 200, "{public}");
    let text = public.to_string();
    assert!(!text.contains("safe-house"), "the shelter's id leaked");
    assert!(
        public["grid"]["note"]
            .as_str()
            .unwrap()
            .contains("withheld"),
        "{}",
        public["grid"]["note"]
    );
    let mut health_values = 0;
    for f in public["features"].as_array().unwrap() {
        let p = &f["properties"];
        for key in [
            "minutes_shelter",
            "covered_shelter",
            "covered_all",
            "people_out_of_reach",
        ] {
            assert!(p[key].is_null(), "{key} shown to the public: {p}");
        }
        let centre = h3o::LatLng::from(
            p["cell"]
                .as_str()
                .unwrap()
                .parse::<h3o::CellIndex>()
                .unwrap(),
        );
        let want = minutes_at(&health, centre.lng(), centre.lat());
        if want.is_finite() {
            assert!((p["minutes_health"].as_f64().unwrap() - want).abs() <= 0.05 + 1e-6);
            health_values += 1;
        } else {
            assert!(p["minutes_health"].is_null());
        }
    }
    assert!(health_values > 100, "{health_values}");
    // A caseworker sees the shelter's minutes, equal to the reference.
    let (status, staff) = app.send("GET", uri, Some(CASEWORKER_TOKEN), None).await;
    assert_eq!(status, 200, "{staff}");
    let threshold = clear_threshold(30.0, &shelters);
    assert_eq!(threshold, 30.0, "no shelter time sits at the threshold");
    let health_threshold = clear_threshold(120.0, &health);
    assert_eq!(health_threshold, 120.0);
    let seen = check_grid(
        &staff,
        &[
            Expected {
                sector: "health",
                threshold: 120.0,
                times: &health,
            },
            Expected {
                sector: "shelter",
                threshold: 30.0,
                times: &shelters,
            },
        ],
        &people,
    );
    assert!(seen[1] > 0 && seen[2] > 0, "{seen:?}");
}

#[tokio::test]
async fn grid_by_time_refuses_bad_parameters_with_a_4xx() {
    let app = TestApp::new().await;
    // No surface loaded yet.
    let (status, body) = app.get("/api/gaps/grid?by=time&res=5").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("friction"),
        "{body}"
    );
    let v = values(41);
    load(&app, &v, &facilities(42), &settlements(43, 20)).await;
    for (uri, word) in [
        ("/api/gaps/grid?by=time&scenario=nope", "walking"),
        ("/api/gaps/grid?by=bicycle", "by"),
        (
            "/api/gaps/grid?by=time&threshold_min.health=-5",
            "threshold_min.health",
        ),
        (
            "/api/gaps/grid?by=time&threshold_min.health=0",
            "threshold_min.health",
        ),
        (
            "/api/gaps/grid?by=time&threshold_min.health=soon",
            "threshold_min.health",
        ),
        (
            "/api/gaps/grid?by=time&threshold_min.bakery=10",
            "threshold_min.bakery",
        ),
        ("/api/gaps/grid?threshold_min.health=30", "by=time"),
        (
            "/api/gaps/grid?by=time&threshold_km.health=30",
            "threshold_min",
        ),
        ("/api/gaps/grid?by=time&res=9", "res"),
        ("/api/gaps/grid?scenario=nope", "walking"),
    ] {
        let (status, body) = app.get(uri).await;
        assert_eq!(status, 400, "{uri}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(word), "{uri}: {message}");
    }
}

#[tokio::test]
async fn grid_cli_by_minutes_from_a_file_or_a_stored_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let v = values(51);
    let fs = facilities(52);
    let people = settlements(53, 150);
    {
        let store: Arc<dyn tirek::store::Store> = Arc::new(
            tirek::store::SqliteStore::open_file(&dir.path().join("tirek.sqlite"))
                .await
                .unwrap(),
        );
        let app = TestApp::on(store).await;
        load(&app, &v, &fs, &people).await;
    }
    let tif = dir.path().join("walk.tif");
    std::fs::write(&tif, geotiff(&v, WEST)).unwrap();
    let health = sector_reference(&v, &fs, "health");
    let police = sector_reference(&v, &fs, "police");
    let (h_thr, p_thr) = (
        clear_threshold(90.0, &health),
        clear_threshold(60.0, &police),
    );
    let thresholds = format!("health={h_thr},police={p_thr}");
    let tif_arg = tif.to_str().unwrap();
    let mut docs = Vec::new();
    for (source, value, name) in [
        ("--friction", tif_arg, "walk.tif"),
        ("--scenario", "walking", "walking"),
    ] {
        let out = dir.path().join(format!("grid-{name}.geojson"));
        let (ok, _, err) = tirek(
            dir.path(),
            &[
                "grid",
                "--res",
                "7",
                "--sector",
                "health,police",
                source,
                value,
                "--threshold-min",
                &thresholds,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(ok, "{err}");
        let doc: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(doc["grid"]["scenario"], name);
        check_grid(
            &doc,
            &[
                Expected {
                    sector: "health",
                    threshold: h_thr,
                    times: &health,
                },
                Expected {
                    sector: "police",
                    threshold: p_thr,
                    times: &police,
                },
            ],
            &people,
        );
        docs.push(doc);
    }
    assert_eq!(
        docs[0]["features"], docs[1]["features"],
        "file and store agree"
    );
    // Mistakes: a clear message, nothing written.
    let out = dir.path().join("never.geojson");
    let out_arg = out.to_str().unwrap();
    for (args, word) in [
        (
            vec!["grid", "--scenario", "cycling", "--out", out_arg],
            "walking",
        ),
        (
            vec!["grid", "--threshold-min", "health=30", "--out", out_arg],
            "--friction",
        ),
        (
            vec![
                "grid",
                "--friction",
                tif_arg,
                "--threshold-min",
                "health=soon",
                "--out",
                out_arg,
            ],
            "minutes",
        ),
        (
            vec!["grid", "--friction", "missing.tif", "--out", out_arg],
            "missing.tif",
        ),
        (
            vec![
                "grid",
                "--friction",
                tif_arg,
                "--threshold-km",
                "health=3",
                "--out",
                out_arg,
            ],
            "--threshold-km",
        ),
    ] {
        let (ok, _, err) = tirek(dir.path(), &args);
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(word), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}

/// The greedy plan computed here: each step the first candidate adding the most people
/// not yet within `threshold` minutes (reach from a candidate: a reference run from
/// its cell; the move cost is symmetric).
fn reference_plan(
    v: &[f32],
    existing: &[f64],
    people: &[Settlement],
    candidates: &[(f64, f64)],
    threshold: f64,
    k: usize,
) -> (f64, Vec<(usize, f64, f64)>) {
    let mut covered: Vec<bool> = people
        .iter()
        .map(|s| minutes_at(existing, s.lon, s.lat) <= threshold)
        .collect();
    let before: f64 = people
        .iter()
        .zip(&covered)
        .filter(|(_, c)| **c)
        .map(|(s, _)| s.population)
        .sum();
    let runs: Vec<Vec<f64>> = candidates
        .iter()
        .map(|&(lon, lat)| dijkstra(v, surface_cell(lon, lat).unwrap()))
        .collect();
    let mut steps = Vec::new();
    let mut total = before;
    while steps.len() < k {
        let gains: Vec<f64> = runs
            .iter()
            .map(|run| {
                people
                    .iter()
                    .zip(&covered)
                    .filter(|(s, c)| !**c && minutes_at(run, s.lon, s.lat) <= threshold)
                    .map(|(s, _)| s.population)
                    .sum()
            })
            .collect();
        let best = gains.iter().copied().fold(0.0, f64::max);
        if best <= 0.0 {
            break;
        }
        let first = gains.iter().position(|&g| g == best).unwrap();
        for (s, c) in people.iter().zip(covered.iter_mut()) {
            if minutes_at(&runs[first], s.lon, s.lat) <= threshold {
                *c = true;
            }
        }
        total += best;
        steps.push((first, best, total));
    }
    (before, steps)
}

#[test]
fn plan_sites_cli_by_minutes_equals_an_independent_greedy() {
    let dir = tempfile::tempdir().unwrap();
    let v = values(61);
    let fs = facilities(62);
    let people = settlements(63, 300);
    let tif = dir.path().join("walk.tif");
    std::fs::write(&tif, geotiff(&v, WEST)).unwrap();
    let mut fac = String::from("id,sector,lon,lat\n");
    for (id, sector, lon, lat) in &fs {
        fac.push_str(&format!("{id},{sector},{lon},{lat}\n"));
    }
    let fac_path = dir.path().join("f.csv");
    std::fs::write(&fac_path, fac).unwrap();
    let mut pop = String::from("id,lon,lat,population\n");
    for s in &people {
        pop.push_str(&format!("{},{},{},{}\n", s.id, s.lon, s.lat, s.population));
    }
    let pop_path = dir.path().join("p.csv");
    std::fs::write(&pop_path, pop).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(64);
    let candidates: Vec<(f64, f64)> = (0..40)
        .map(|_| {
            (
                WEST + rng.random_range(0.0..W as f64 * CELL),
                NORTH - rng.random_range(0.0..H as f64 * CELL),
            )
        })
        .collect();
    let mut cand = String::from("id,lon,lat\n");
    for (i, (lon, lat)) in candidates.iter().enumerate() {
        cand.push_str(&format!("c{i},{lon},{lat}\n"));
    }
    let cand_path = dir.path().join("c.csv");
    std::fs::write(&cand_path, cand).unwrap();
    let existing = sector_reference(&v, &fs, "health");
    // A threshold clear of every time the plan compares.
    let mut near: Vec<f64> = existing.clone();
    for &(lon, lat) in &candidates {
        near.extend(dijkstra(&v, surface_cell(lon, lat).unwrap()));
    }
    let threshold = clear_threshold(100.0, &near);
    let (before, want) = reference_plan(&v, &existing, &people, &candidates, threshold, 4);
    assert!(want.len() >= 3, "{want:?}");
    let out = dir.path().join("plan.csv");
    let (ok, _, err) = tirek(
        dir.path(),
        &[
            "plan-sites",
            "--sector",
            "health",
            "--k",
            "4",
            "--friction",
            tif.to_str().unwrap(),
            "--threshold-min",
            &threshold.to_string(),
            "--facilities",
            fac_path.to_str().unwrap(),
            "--population",
            pop_path.to_str().unwrap(),
            "--candidates",
            cand_path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(err.contains("minutes"), "{err}");
    assert!(err.contains(&format!("{before} covered before")), "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let mut rows = text.lines();
    assert_eq!(rows.next(), Some("rank,site_id,lon,lat,gain,covered_after"));
    let got: Vec<(usize, f64, f64)> = rows
        .map(|r| {
            let f: Vec<&str> = r.split(',').collect();
            (
                f[1][1..].parse().unwrap(),
                f[4].parse().unwrap(),
                f[5].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // Mistakes: a clear message, nothing written.
    let never = dir.path().join("never.csv");
    for (extra, word) in [
        (vec!["--threshold-min=-3"], "minutes"),
        (vec!["--threshold-km", "3"], "--threshold-km"),
    ] {
        let mut args = vec![
            "plan-sites",
            "--sector",
            "health",
            "--facilities",
            fac_path.to_str().unwrap(),
            "--population",
            pop_path.to_str().unwrap(),
            "--out",
            never.to_str().unwrap(),
        ];
        args.extend(["--friction", tif.to_str().unwrap()]);
        args.extend(extra.iter().copied());
        let (ok, _, err) = tirek(dir.path(), &args);
        assert!(!ok, "{args:?} succeeded");
        assert!(err.contains(word), "{args:?}: {err}");
        assert!(!never.exists());
    }
}
