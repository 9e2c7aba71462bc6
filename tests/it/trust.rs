//! Issue #20, "Trust": no silent data loss, numbers that mean what they say. Each test
//! checks one policy against an independent computation.

use crate::support::{TOKEN, TestApp};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The repository's default data (`geodata/`).
pub fn geodata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

/// A test app holding the default data (5 countries, 48 regions, 892 settlements, 490
/// demo facilities).
pub async fn app_with_defaults() -> TestApp {
    let app = TestApp::new().await;
    tirek::registry::defaults::load(&app.state.registry, &geodata())
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
