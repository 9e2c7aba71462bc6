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
