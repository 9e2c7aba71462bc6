//! Round trips through GDAL (what QGIS uses underneath): the export, converted by
//! `ogr2ogr` to a GeoPackage and back to GeoJSON, or to CSV, imports as unchanged.
//! Skipped (and said so) when `ogr2ogr` is missing, unless `TIREK_REQUIRE_GDAL=1`
//! (set by `.ci/run`, which installs Debian's `gdal-bin`).

use crate::round_trip::{reimports_unchanged, stored};
use crate::support::{TOKEN, TestApp};
use http_body_util::BodyExt;
use std::path::Path;
use std::process::Command;
use tower::ServiceExt;

/// Whether `ogr2ogr` runs; when it does not, a skip (printed) or, with
/// `TIREK_REQUIRE_GDAL=1`, a failure.
fn ogr2ogr_available() -> bool {
    let found = Command::new("ogr2ogr")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("TIREK_REQUIRE_GDAL").as_deref() != Ok("1"),
            "ogr2ogr is required (TIREK_REQUIRE_GDAL=1) but missing: apt-get install gdal-bin"
        );
        eprintln!("SKIPPED GDAL round trips: ogr2ogr not found (Debian package gdal-bin)");
    }
    found
}

/// Runs `ogr2ogr ARGS… OUT IN` and returns the output file's bytes.
fn ogr2ogr(dir: &Path, args: &[&str], out: &str, input: &str) -> Vec<u8> {
    let result = Command::new("ogr2ogr")
        .current_dir(dir)
        .args(args)
        .arg(out)
        .arg(input)
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "ogr2ogr {args:?} {out} {input}: {}",
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::read(dir.join(out)).unwrap()
}

/// The planner's export (every record, confidential ones too) in `format`.
async fn export(app: &TestApp, format: &str) -> Vec<u8> {
    let req = axum::http::Request::builder()
        .uri(format!("/api/export?format={format}"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = tirek::app(app.state.clone()).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec()
}

#[tokio::test]
async fn gdal_geopackage_and_csv_of_the_export_import_unchanged() {
    if !ogr2ogr_available() {
        return;
    }
    let app = crate::trust::app_with_defaults().await;
    let records = stored(&app).await.len();
    assert!(records > 400, "the demo facilities");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("export.geojson"),
        export(&app, "geojson").await,
    )
    .unwrap();
    std::fs::write(dir.path().join("export.csv"), export(&app, "csv").await).unwrap();
    let d = dir.path();

    // GeoJSON → GeoPackage → GeoJSON: lists come back as `(2:kk,ru)`.
    ogr2ogr(d, &["-f", "GPKG"], "export.gpkg", "export.geojson");
    let back = ogr2ogr(d, &["-f", "GeoJSON"], "back.geojson", "export.gpkg");
    assert!(
        String::from_utf8_lossy(&back).contains("\"(1:"),
        "GDAL's list form is exercised"
    );
    reimports_unchanged(&app, "GPKG → GeoJSON", back, records).await;

    // GeoPackage → CSV with X, Y: timestamps as `2026/12/06 05:02:25+00`, dates with `/`.
    let back = ogr2ogr(
        d,
        &["-f", "CSV", "-lco", "GEOMETRY=AS_XY"],
        "gpkg.csv",
        "export.gpkg",
    );
    let text = String::from_utf8_lossy(&back).into_owned();
    assert!(text.starts_with("X,Y,"), "{}", &text[..100]);
    assert!(text.contains("+00,"), "GDAL's timestamp form is exercised");
    reimports_unchanged(&app, "GPKG → CSV", back, records).await;

    // GeoJSON → CSV directly, the point as WKT.
    let back = ogr2ogr(
        d,
        &["-f", "CSV", "-lco", "GEOMETRY=AS_WKT"],
        "wkt.csv",
        "export.geojson",
    );
    reimports_unchanged(&app, "GeoJSON → CSV (WKT)", back, records).await;

    // The HXL CSV export through GDAL's CSV driver.
    let back = ogr2ogr(d, &["-f", "CSV"], "hxl.csv", "export.csv");
    reimports_unchanged(&app, "CSV → CSV", back, records).await;
}

/// `coverage --areas` takes a shapefile (and a zipped one) as `import areas` does, and
/// reports the same as from the GeoJSON it was made from.
#[test]
fn coverage_reads_areas_from_a_shapefile() {
    if !ogr2ogr_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let square = |x0: f64| {
        serde_json::json!([[
            [x0, 42.0],
            [x0 + 1.5, 42.0],
            [x0 + 1.5, 44.0],
            [x0, 44.0],
            [x0, 42.0]
        ]])
    };
    let areas = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "D1", "name": "West"},
         "geometry": {"type": "Polygon", "coordinates": square(68.0)}},
        {"type": "Feature", "properties": {"code": "D2", "name": "East"},
         "geometry": {"type": "Polygon", "coordinates": square(69.5)}}]});
    std::fs::write(d.join("areas.geojson"), areas.to_string()).unwrap();
    ogr2ogr(d, &["-f", "ESRI Shapefile"], "areas.shp", "areas.geojson");
    let parts: Vec<(String, Vec<u8>)> = ["shp", "shx", "dbf", "prj", "cpg"]
        .iter()
        .filter_map(|e| {
            let bytes = std::fs::read(d.join(format!("areas.{e}"))).ok()?;
            Some((format!("districts/areas.{e}"), bytes))
        })
        .collect();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in &parts {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, bytes).unwrap();
    }
    std::fs::write(d.join("areas.zip"), zip.finish().unwrap().into_inner()).unwrap();
    std::fs::write(
        d.join("population.csv"),
        "id,lon,lat,population\nA,69.0,43.0,100\nB,70.5,43.0,40\n",
    )
    .unwrap();
    let facilities = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [69.0, 43.01]},
         "properties": {"id": "h", "name": "h", "sectors": ["health"], "country": "KZ"}}]});
    std::fs::write(d.join("facilities.geojson"), facilities.to_string()).unwrap();
    let run = |areas: &str| {
        let path = d.join(areas).display().to_string();
        let (ok, out, err) = crate::trust::tirek(
            &d.join("data"),
            &[
                "coverage",
                "--areas",
                &path,
                "--population",
                &d.join("population.csv").display().to_string(),
                "--facilities",
                &d.join("facilities.geojson").display().to_string(),
                "--sectors",
                "health",
                "--package",
                "health",
            ],
        );
        assert!(ok, "{areas}: {err}");
        out
    };
    let from_geojson = run("areas.geojson");
    assert!(
        from_geojson.contains("\nD1,") && from_geojson.contains("\nD2,"),
        "{from_geojson}"
    );
    assert_eq!(run("areas.shp"), from_geojson);
    assert_eq!(run("areas.zip"), from_geojson);
}
