//! Issue #20, "Trust": no silent data loss, numbers that mean what they say. Each test
//! checks one policy against an independent computation.

use crate::support::{TOKEN, TestApp, collection};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The repository's default data (`geodata/`).
pub fn geodata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

/// A test app holding the default data (5 countries, 48 regions, 892 settlements, 500
/// demo facilities).
pub async fn app_with_defaults() -> TestApp {
    let app = TestApp::new().await;
    let folder = tirek::registry::defaults::DefaultData::Dir(geodata());
    tirek::registry::defaults::load(&app.state.registry, &folder)
        .await
        .unwrap();
    app
}

/// Runs the `tirek` binary on the store in `dir`: (success, stdout, stderr).
pub fn tirek(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tirek"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("USER", "ops")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// ---- 1. An import that would remove every record of its kind is refused ----

#[tokio::test]
async fn an_empty_population_import_is_refused_unless_asked_for() {
    let app = app_with_defaults().await;
    let before = app.state.registry.places().settlements.len();
    assert_eq!(before, 892);
    let empty_csv = b"id,lon,lat,population\n".to_vec();
    let empty_geojson = json!({"type": "FeatureCollection", "features": []})
        .to_string()
        .into_bytes();
    for body in [empty_csv.clone(), empty_geojson] {
        let (status, answer) = app
            .send("POST", "/api/import/population", Some(TOKEN), Some(body))
            .await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["code"], "refused", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("892") && message.contains("replace=all"),
            "{message}"
        );
        assert_eq!(app.state.registry.places().settlements.len(), before);
    }
    // Asked for explicitly: done, and the summary says what went.
    let (status, summary) = app
        .send(
            "POST",
            "/api/import/population?replace=all",
            Some(TOKEN),
            Some(empty_csv),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["previous"], 892, "{summary}");
    assert_eq!(summary["removed"], 892, "{summary}");
    assert!(app.state.registry.places().settlements.is_empty());
    let (status, answer) = app
        .send(
            "POST",
            "/api/import/population?replace=some",
            Some(TOKEN),
            Some(b"id,lon,lat,population\n".to_vec()),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
}

#[tokio::test]
async fn replacing_imports_report_what_they_removed() {
    let app = app_with_defaults().await;
    let old: Vec<String> = app
        .state
        .registry
        .places()
        .settlements
        .iter()
        .map(|s| s.id.clone())
        .collect();
    // Keep two of the old ids, add one new: 890 removed.
    let csv = format!(
        "id,lon,lat,population\n{},74.59,42.87,900000\n{},72.8,40.5,300000\nnew-1,69.6,42.3,10\n",
        old[0], old[1]
    );
    let (status, summary) = app
        .send(
            "POST",
            "/api/import/population",
            Some(TOKEN),
            Some(csv.into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        (
            &summary["previous"],
            &summary["removed"],
            &summary["written"]
        ),
        (&json!(892), &json!(890), &json!(3)),
        "{summary}"
    );
    // Areas: one region replaces the 48 of level 1 (its code is one of them).
    let regions: Value =
        serde_json::from_slice(&std::fs::read(geodata().join("regions.geojson")).unwrap()).unwrap();
    let one = json!({"type": "FeatureCollection", "features": [regions["features"][0].clone()]});
    let (status, summary) = app
        .send(
            "POST",
            "/api/import/areas?level=1",
            Some(TOKEN),
            Some(one.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(
        (
            &summary["previous"],
            &summary["removed"],
            &summary["written"]
        ),
        (&json!(48), &json!(47), &json!(1)),
        "{summary}"
    );
    // An empty areas file removes a level only when asked.
    let empty = json!({"type": "FeatureCollection", "features": []})
        .to_string()
        .into_bytes();
    let (status, answer) = app
        .send(
            "POST",
            "/api/import/areas?level=1",
            Some(TOKEN),
            Some(empty.clone()),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "refused", "{answer}");
    let level1 = |app: &TestApp| {
        app.state
            .registry
            .places()
            .areas
            .iter()
            .filter(|a| a.level == 1)
            .count()
    };
    assert_eq!(level1(&app), 1);
    let (status, summary) = app
        .send(
            "POST",
            "/api/import/areas?level=1&replace=all",
            Some(TOKEN),
            Some(empty),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["removed"], 1, "{summary}");
    assert_eq!(level1(&app), 0);
}

#[test]
fn the_cli_refuses_an_empty_population_import_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let two = file(
        "two.csv",
        "id,lon,lat,population\na,69.6,42.3,10\nb,69.7,42.3,20\n",
    );
    let empty = file("empty.csv", "id,lon,lat,population\n");
    let data = dir.path().join("data");
    let (ok, _, err) = tirek(&data, &["import", "population", &two]);
    assert!(ok, "{err}");
    let (ok, _, err) = tirek(&data, &["import", "population", &empty]);
    assert!(!ok, "an empty import must fail");
    assert!(
        err.contains("would remove all 2") && err.contains("--replace-all"),
        "{err}"
    );
    let (ok, out, err) = tirek(&data, &["import", "population", &empty, "--replace-all"]);
    assert!(ok, "{err}");
    assert!(out.contains("removed 2"), "{out}");
}

// ---- 2. Coverage from a facility file counts what coverage from the store counts ----

/// Writes `text` to `dir/name`; returns the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// The coverage CSV as (column → value) for the row of `code`.
fn coverage_row(csv: &str, code: &str) -> std::collections::BTreeMap<String, String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row = lines
        .find(|l| l.starts_with(&format!("{code},")))
        .unwrap_or_else(|| panic!("no row {code} in {csv}"));
    header
        .iter()
        .map(|h| h.to_string())
        .zip(row.split(',').map(str::to_string))
        .collect()
}

#[test]
fn coverage_from_a_file_counts_active_facilities_only_like_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // One area; two towns 1° apart, each with one health facility next to it: the one
    // at A active, the one at B closed, a third at B temporarily closed.
    let areas = write(
        d,
        "areas.geojson",
        &json!({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"code": "D1", "name": "District"},
            "geometry": {"type": "Polygon", "coordinates": [[[68.0, 42.0], [71.0, 42.0], [71.0, 44.0], [68.0, 44.0], [68.0, 42.0]]]}}]})
        .to_string(),
    );
    let population = write(
        d,
        "population.csv",
        "id,lon,lat,population\nA,69.0,43.0,100\nB,70.0,43.0,40\n",
    );
    let facility = |id: &str, lon: f64, status: &str| {
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, 43.01]},
               "properties": {"id": id, "name": id, "sectors": ["health"], "country": "KZ", "status": status}})
    };
    let facilities = write(
        d,
        "facilities.geojson",
        &json!({"type": "FeatureCollection", "features": [
            facility("h-a", 69.0, "active"), facility("h-b", 70.0, "closed"),
            facility("h-c", 70.0, "temporarily_closed")]})
        .to_string(),
    );
    let base = [
        "coverage",
        "--areas",
        &areas,
        "--population",
        &population,
        "--sectors",
        "health",
        "--package",
        "health",
    ];
    let data = d.join("data");
    let run = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let (ok, out, err) = tirek(&data, &args);
        assert!(ok, "{err}");
        coverage_row(&out, "D1")
    };
    // A (100 people) is 1.1 km from the active facility; B only near closed ones.
    let from_file = run(&["--facilities", &facilities]);
    assert_eq!(from_file["pop_health"], "100", "{from_file:?}");
    assert_eq!(from_file["facilities_health"], "1", "{from_file:?}");
    // The store, holding the same records, gives the same row.
    let (ok, _, err) = tirek(&data, &["import", "facilities", &facilities]);
    assert!(ok, "{err}");
    let from_store = run(&[]);
    assert_eq!(from_store, from_file);
    // Asked for: other statuses count too, from the file and from the store alike.
    let all = ["--status", "active,temporarily_closed,closed"];
    let file_all = run(&[&["--facilities", facilities.as_str()][..], &all[..]].concat());
    assert_eq!(file_all["pop_health"], "140", "{file_all:?}");
    assert_eq!(file_all["facilities_health"], "3", "{file_all:?}");
    assert_eq!(run(&all), file_all);
    // A status the file gets wrong is named, like any record error.
    let bad = write(
        d,
        "bad.geojson",
        &json!({"type": "FeatureCollection", "features": [facility("h-x", 69.0, "open")]})
            .to_string(),
    );
    let args: Vec<&str> = base.iter().copied().chain(["--facilities", &bad]).collect();
    let (ok, _, err) = tirek(&data, &args);
    assert!(!ok && err.contains("status"), "{err}");
}

// ---- 3. Points far from every area are left out and listed ----

#[test]
fn coverage_lists_the_points_it_leaves_out_of_every_area() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let areas = write(
        d,
        "areas.geojson",
        &json!({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"code": "D1", "name": "District"},
            "geometry": {"type": "Polygon", "coordinates": [[[68.0, 42.0], [71.0, 42.0], [71.0, 44.0], [68.0, 44.0], [68.0, 42.0]]]}}]})
        .to_string(),
    );
    // In, 0.1° off (a sliver: counted), 2° off (another country: left out).
    let population = write(
        d,
        "population.csv",
        "id,lon,lat,population\nA,69.0,43.0,100\nB,71.1,43.0,40\nC,73.0,43.0,71400\n",
    );
    let listed = d.join("left-out.csv");
    let (ok, out, err) = tirek(
        &d.join("data"),
        &[
            "coverage",
            "--areas",
            &areas,
            "--population",
            &population,
            "--facilities",
            &write(
                d,
                "none.geojson",
                r#"{"type":"FeatureCollection","features":[]}"#,
            ),
            "--left-out",
            listed.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(coverage_row(&out, "D1")["pop_total"], "140", "{out}");
    assert!(
        err.contains("1 population point(s) (71400 people)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&listed).unwrap(),
        "id,name,lon,lat,population,reason\n3,,73,43,71400,farther than 0.2° from every area\n"
    );
}

// ---- 4. Areas of one country are never given to records of another ----

/// The planar distance (degrees) from a point to an area, 0 inside.
fn distance_to(area: &tirek::model::Area, lon: f64, lat: f64) -> f64 {
    use geo::{Distance, Euclidean, Intersects};
    let p = geo::Point::new(lon, lat);
    if area.geometry.intersects(&p) {
        return 0.0;
    }
    area.geometry
        .0
        .iter()
        .map(|poly| Euclidean.distance(&p, poly))
        .fold(f64::INFINITY, f64::min)
}

/// The brute-force area code of `level` for a point of `country`: among that country's
/// areas (`country_of`), the lowest code holding the point's interior, else the lowest
/// holding it on its boundary, else the nearest within 0.2° (ties: lowest code).
fn expected_code(
    areas: &[tirek::model::Area],
    level: u8,
    country: &str,
    country_of: &dyn Fn(&tirek::model::Area) -> Option<String>,
    lon: f64,
    lat: f64,
) -> Option<String> {
    use geo::Contains;
    let mut own: Vec<&tirek::model::Area> = areas
        .iter()
        .filter(|a| a.level == level && country_of(a).is_none_or(|c| c == country))
        .collect();
    own.sort_by(|a, b| a.code.cmp(&b.code));
    let p = geo::Point::new(lon, lat);
    if let Some(a) = own.iter().find(|a| a.geometry.contains(&p)) {
        return Some(a.code.clone());
    }
    let mut best: Option<(f64, &str)> = None;
    for a in &own {
        let d = distance_to(a, lon, lat);
        if d <= 0.2 && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, &a.code));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[tokio::test]
async fn default_settlements_and_facilities_get_the_region_of_their_own_country() {
    let app = app_with_defaults().await;
    let places = app.state.registry.places();
    // Regions name their country as `parent` in geodata/regions.geojson.
    let country_of = |a: &tirek::model::Area| a.parent.clone();
    let mut foreign_region_nearby = 0;
    for s in &places.settlements {
        let country = s.country.as_deref().unwrap();
        let expected = expected_code(&places.areas, 1, country, &country_of, s.lon, s.lat);
        assert!(expected.is_some(), "{} {}", s.id, s.name);
        assert_eq!(s.adm1, expected, "{} {} ({country})", s.id, s.name);
        foreign_region_nearby += usize::from(places.areas.iter().any(|a| {
            a.level == 1
                && a.parent.as_deref() != Some(country)
                && distance_to(a, s.lon, s.lat) == 0.0
        }));
    }
    // geodata/README.md: 12 GeoNames settlements lie inside a region of another country.
    assert_eq!(foreign_region_nearby, 12);
    for f in app.state.registry.index().facilities().map(|r| r.decode()) {
        let expected = expected_code(&places.areas, 1, &f.country, &country_of, f.lon, f.lat);
        assert_eq!(f.adm1, expected, "{}", f.id);
    }
}

#[tokio::test]
async fn an_areas_import_of_one_country_leaves_its_neighbours_alone() {
    let app = app_with_defaults().await;
    let regions: Value =
        serde_json::from_slice(&std::fs::read(geodata().join("regions.geojson")).unwrap()).unwrap();
    // Two Kazakh regions on the Kyrgyz border imported as districts: one with a COD-AB
    // P-code (its parent names no stored area), one with a code that says nothing (its
    // country is the one its polygon lies in).
    let district = |region: &str, code: &str, parent: Option<&str>| {
        let mut f = regions["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == region)
            .unwrap()
            .clone();
        f["id"] = json!(code);
        f["properties"] = json!({"code": code, "name": code, "parent": parent});
        f
    };
    let districts = json!({"type": "FeatureCollection", "features": [
        district("KZ-ALM", "KZ0101", Some("KZ01")), district("KZ-ZHA", "D-7", None)]});
    let (status, summary) = app
        .send(
            "POST",
            "/api/import/areas?level=2",
            Some(TOKEN),
            Some(districts.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{summary}");
    let places = app.state.registry.places();
    let country_of = |_: &tirek::model::Area| Some("KZ".to_string());
    let mut neighbours_near = 0;
    for s in &places.settlements {
        let country = s.country.as_deref().unwrap();
        let expected = expected_code(&places.areas, 2, country, &country_of, s.lon, s.lat);
        assert_eq!(s.adm2, expected, "{} {} ({country})", s.id, s.name);
        neighbours_near += usize::from(
            country != "KZ"
                && places
                    .areas
                    .iter()
                    .any(|a| a.level == 2 && distance_to(a, s.lon, s.lat) <= 0.2),
        );
    }
    assert!(
        neighbours_near > 0,
        "the test needs neighbours near the border"
    );
    let mut facilities_near = 0;
    for f in app.state.registry.index().facilities().map(|r| r.decode()) {
        let expected = expected_code(&places.areas, 2, &f.country, &country_of, f.lon, f.lat);
        assert_eq!(f.adm2, expected, "{}", f.id);
        facilities_near += usize::from(
            f.country != "KZ"
                && places
                    .areas
                    .iter()
                    .any(|a| a.level == 2 && distance_to(a, f.lon, f.lat) <= 0.2),
        );
    }
    assert!(
        facilities_near > 0,
        "the test needs facilities near the border"
    );
}

// ---- 5. Facilities written one by one get their codes like imported ones ----

/// A point just outside Tajikistan's outline (south of a vertex of its southern border,
/// on the Panj) that lies in no country but within 0.2° of Tajikistan only.
fn just_outside_tajikistan(areas: &[tirek::model::Area]) -> (f64, f64) {
    use geo::CoordsIter;
    let tj = areas
        .iter()
        .find(|a| a.level == 0 && a.code == "TJ")
        .unwrap();
    let countries: Vec<&tirek::model::Area> = areas.iter().filter(|a| a.level == 0).collect();
    let mut vertices: Vec<geo::Coord<f64>> = tj.geometry.exterior_coords_iter().collect();
    vertices.sort_by(|a, b| a.y.total_cmp(&b.y));
    for v in vertices.iter().filter(|v| v.x > 68.0 && v.x < 71.0) {
        let (lon, lat) = (v.x, v.y - 0.02);
        let near: Vec<&str> = countries
            .iter()
            .filter(|a| distance_to(a, lon, lat) <= 0.2)
            .map(|a| a.code.as_str())
            .collect();
        if near == ["TJ"] && distance_to(tj, lon, lat) > 0.0 {
            return (lon, lat);
        }
    }
    panic!("no point south of Tajikistan's border found");
}

#[tokio::test]
async fn a_facility_without_country_or_codes_gets_them_from_the_areas() {
    let app = app_with_defaults().await;
    let places = app.state.registry.places();
    let (lon, lat) = just_outside_tajikistan(&places.areas);
    let region = expected_code(&places.areas, 1, "TJ", &|a| a.parent.clone(), lon, lat);
    assert!(region.is_some());
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                      "properties": {"id": "tj-panj-1", "name": "Clinic on the Panj", "sectors": ["health"]}});
    let (status, created) = app
        .send(
            "POST",
            "/api/facilities",
            Some(TOKEN),
            Some(body.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["properties"]["country"], "TJ", "{created}");
    assert_eq!(created["properties"]["adm1"], json!(region), "{created}");
    // The same point by import: the same codes.
    let mut imported = body.clone();
    imported["properties"]["id"] = json!("tj-panj-2");
    let (status, summary) = app
        .import(&json!({"type": "FeatureCollection", "features": [imported]}))
        .await;
    assert_eq!(status, 200, "{summary}");
    let stored = app.state.registry.index().get("tj-panj-2").unwrap();
    assert_eq!((stored.country.as_str(), &stored.adm1), ("TJ", &region));
    // An update that drops adm1 gets it back, as an import would fill it.
    let mut changed = created.clone();
    changed["properties"]["adm1"] = Value::Null;
    changed["properties"]["name"] = json!("Clinic on the Panj river");
    let (status, updated) = app
        .send(
            "PUT",
            "/api/facilities/tj-panj-1",
            Some(TOKEN),
            Some(changed.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["properties"]["adm1"], json!(region), "{updated}");
    // Far from every country, a record without country is refused, saying why.
    let mut far = body.clone();
    far["properties"]["id"] = json!("nowhere");
    far["geometry"]["coordinates"] = json!([10.0, 10.0]);
    let (status, answer) = app
        .send(
            "POST",
            "/api/facilities",
            Some(TOKEN),
            Some(far.to_string().into_bytes()),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer.to_string().contains("no country area"), "{answer}");
}

// ---- 14. The public shelter answer offers a hotline of the shelter's country ----

#[tokio::test]
async fn the_masked_shelter_offers_the_nearest_hotline_of_its_own_country() {
    use geo::{Distance, Geodesic, Point};
    let app = app_with_defaults().await;
    let (status, listing) = app.get("/api/facilities?sector=hotline").await;
    assert_eq!(status, 200, "{listing}");
    // Every public hotline: (country, phone, lon, lat).
    let hotlines: Vec<(String, String, f64, f64)> = listing["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let c = f["geometry"]["coordinates"].as_array().unwrap();
            (
                p["country"].as_str().unwrap().to_string(),
                p["phone"].as_str().unwrap().to_string(),
                c[0].as_f64().unwrap(),
                c[1].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(hotlines.len() >= 5, "{listing}");
    let nearest_of = |country: &str, lon: f64, lat: f64| {
        hotlines
            .iter()
            .filter(|h| h.0 == country)
            .min_by(|a, b| {
                let d = |h: &&(String, String, f64, f64)| {
                    Geodesic.distance(Point::new(lon, lat), Point::new(h.2, h.3))
                };
                d(a).total_cmp(&d(b))
            })
            .map(|h| h.1.clone())
    };
    let masked_hotline = |answer: &Value| {
        answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r.get("distance_band").is_some())
            .map(|r| r["facility"]["properties"]["hotline"].clone())
    };
    // Turkestan (Kazakhstan), 60 km from Uzbekistan: a Kazakh hotline.
    let (status, answer) = app
        .get("/api/nearest?lon=68.25&lat=43.3&sector=shelter")
        .await;
    assert_eq!(status, 200, "{answer}");
    let hotline = masked_hotline(&answer).expect("a masked shelter");
    assert_eq!(hotline, json!(nearest_of("KZ", 68.25, 43.3)), "{answer}");
    assert!(hotline.as_str().unwrap().starts_with("+7"), "{answer}");
    // Across the settlements: where the two nearest shelters (as staff see them) are of
    // one country, the public is offered that country's nearest hotline.
    let mut checked = 0;
    for s in app.state.registry.places().settlements.iter().step_by(7) {
        let (_, staff) = app
            .get_as(&format!(
                "/api/nearest?lon={}&lat={}&sector=shelter&k=2",
                s.lon, s.lat
            ))
            .await;
        let countries: Vec<&str> = staff["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["facility"]["properties"]["country"].as_str().unwrap())
            .collect();
        if countries.len() < 2 || countries[0] != countries[1] {
            continue;
        }
        let (_, public) = app
            .get(&format!(
                "/api/nearest?lon={}&lat={}&sector=shelter",
                s.lon, s.lat
            ))
            .await;
        assert_eq!(
            masked_hotline(&public),
            Some(json!(nearest_of(countries[0], s.lon, s.lat))),
            "{} ({}, {}): {public}",
            s.name,
            s.lon,
            s.lat
        );
        checked += 1;
    }
    assert!(checked > 50, "only {checked} settlements checked");
}

#[tokio::test]
async fn a_shelters_hotline_is_found_past_any_number_of_nearer_foreign_ones() {
    let app = TestApp::new().await;
    let mut features = vec![
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [70.0, 45.0]},
               "properties": {"id": "kz-shelter", "name": "S", "sectors": ["shelter"],
                              "country": "KZ", "confidential": true}}),
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [80.0, 50.0]},
               "properties": {"id": "kz-hotline", "name": "KZ line", "sectors": ["hotline"],
                              "country": "KZ", "phone": "+7 800 000 00 00"}}),
    ];
    // A crowd of Uzbek hotlines, every one nearer the asker than the Kazakh one.
    for i in 0..200 {
        features.push(json!({"type": "Feature",
            "geometry": {"type": "Point", "coordinates": [70.01 + f64::from(i) * 1e-3, 45.0]},
            "properties": {"id": format!("uz-hotline-{i:03}"), "name": "UZ line",
                           "sectors": ["hotline"], "country": "UZ", "phone": "+998 71 000 00 00"}}));
    }
    let (status, body) = app.import(&collection(features)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, answer) = app.get("/api/nearest?lon=70&lat=45&sector=shelter").await;
    let masked: Vec<&Value> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["facility"]["geometry"].is_null())
        .collect();
    assert_eq!(masked.len(), 1, "{answer}");
    assert_eq!(
        masked[0]["facility"]["properties"]["hotline"], "+7 800 000 00 00",
        "{answer}"
    );
}

// ---- 14. A hotline serves its whole country by phone ----

#[tokio::test]
async fn hotline_coverage_is_the_country_it_serves_not_a_radius() {
    let app = app_with_defaults().await;
    // Close Turkmenistan's hotline (the import replaces the record by id).
    let doc: Value =
        serde_json::from_slice(&std::fs::read(geodata().join("facilities_demo.geojson")).unwrap())
            .unwrap();
    let mut tm = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == "demo-tm-hotline-001")
        .unwrap()
        .clone();
    tm["properties"]["status"] = json!("closed");
    let (status, body) = app
        .import(&json!({"type": "FeatureCollection", "features": [tm]}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, answer) = app
        .get("/api/coverage?level=1&sectors=hotline&package=hotline")
        .await;
    assert_eq!(status, 200, "{answer}");
    let areas = answer["areas"].as_array().unwrap();
    assert_eq!(areas.len(), 48, "{answer}");
    for area in areas {
        let code = area["code"].as_str().unwrap();
        let total = area["pop_total"].as_f64().unwrap();
        let covered = area["sectors"]["hotline"]["pop_covered"].as_f64().unwrap();
        // Every region of a country with an active hotline, however far from its
        // office (Atyrau is 1,500 km from Astana); none in Turkmenistan.
        let want = if code.starts_with("TM") { 0.0 } else { total };
        assert_eq!(covered, want, "{code}: {area}");
        assert_eq!(area["pop_all"].as_f64().unwrap(), want, "{code}");
    }
    assert!(areas.iter().any(|a| a["code"] == "KZ-ATY"), "{answer}");
}
