//! The optional basemap: settings checked at start-up, `/basemap.pmtiles` with Range
//! requests, `basemap` in `/api/meta`, and the CSP (unchanged unless an XYZ host is set).

use crate::support::TestApp;
use axum::body::Body;
use axum::http::{Request, Response};
use clap::Parser;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use tirek::api::{CONTENT_SECURITY_POLICY, content_security_policy};
use tirek::basemap::{Basemap, BasemapError, TileType};
use tirek::cli::{Cli, Command};
use tower::ServiceExt;

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A valid PMTiles v3 archive holding `tiles` at z0 (tile ids 0..n; uncompressed
/// directory), of `tile_type` (2 = PNG, 1 = MVT).
pub fn pmtiles(tile_type: u8, tiles: &[&[u8]]) -> Vec<u8> {
    let mut dir = Vec::new();
    varint(tiles.len() as u64, &mut dir);
    for i in 0..tiles.len() {
        varint(u64::from(i > 0), &mut dir); // tile ids 0, 1, 2 … as deltas
    }
    for _ in tiles {
        varint(1, &mut dir); // run lengths
    }
    for t in tiles {
        varint(t.len() as u64, &mut dir); // lengths
    }
    for i in 0..tiles.len() {
        varint(u64::from(i == 0), &mut dir); // offset 0 (+1) first, then contiguous (0)
    }
    let metadata = b"{}";
    let data: Vec<u8> = tiles.concat();
    let root_offset = 127u64;
    let meta_offset = root_offset + dir.len() as u64;
    let leaf_offset = meta_offset + metadata.len() as u64;
    let data_offset = leaf_offset;
    let mut h = Vec::with_capacity(127);
    h.extend_from_slice(b"PMTiles");
    h.push(3);
    for v in [
        root_offset,
        dir.len() as u64,
        meta_offset,
        metadata.len() as u64,
        leaf_offset,
        0,
        data_offset,
        data.len() as u64,
        tiles.len() as u64,
        tiles.len() as u64,
        tiles.len() as u64,
    ] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.extend_from_slice(&[1, 1, 1, tile_type, 0, 0]); // clustered, compressions, type, zooms
    for v in [-1_800_000_000i32, -850_000_000, 1_800_000_000, 850_000_000] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.push(0);
    h.extend_from_slice(&0i32.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes());
    assert_eq!(h.len(), 127);
    [h, dir, metadata.to_vec(), data].concat()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

async fn with_basemap(basemap: Option<Basemap>) -> TestApp {
    let mut app = TestApp::new().await;
    let mut settings = (*app.state.settings).clone();
    settings.basemap = basemap;
    app.state.settings = Arc::new(settings);
    app
}

async fn raw(app: &TestApp, req: Request<Body>) -> (Response<Body>, Vec<u8>) {
    let resp = tirek::app(app.state.clone()).oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (Response::from_parts(parts, Body::empty()), bytes)
}

fn header(resp: &Response<Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

#[test]
fn settings_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(Basemap::from_settings(None, None, None), Ok(None)));
    assert!(matches!(
        Basemap::from_settings(None, Some("  "), Some("x")),
        Ok(None)
    ));

    let missing = dir.path().join("missing.pmtiles");
    let err = Basemap::from_settings(Some(missing.as_path()), None, None).unwrap_err();
    assert!(matches!(err, BasemapError::Io { .. }));
    assert!(err.to_string().contains("missing.pmtiles"), "{err}");

    let err = Basemap::from_settings(Some(dir.path()), None, None).unwrap_err();
    assert!(err.to_string().contains("folder"), "{err}");

    let not = write(
        dir.path(),
        "not.pmtiles",
        b"<html>not a tile archive</html>",
    );
    let err = Basemap::from_settings(Some(not.as_path()), None, None).unwrap_err();
    assert!(err.to_string().contains("not a PMTiles archive"), "{err}");

    let vector = write(dir.path(), "v.pmtiles", &pmtiles(1, &[&b"mvt"[..]]));
    let err = Basemap::from_settings(Some(vector.as_path()), None, None).unwrap_err();
    assert!(err.to_string().contains("vector tiles"), "{err}");

    let raster = write(dir.path(), "r.pmtiles", &pmtiles(2, &[&b"png"[..]]));
    let b = Basemap::from_settings(Some(raster.as_path()), None, Some(" © Someone "))
        .unwrap()
        .unwrap();
    match &b {
        Basemap::Pmtiles {
            header,
            attribution,
            ..
        } => {
            assert_eq!(header.tile_type, TileType::Png);
            assert_eq!(header.bounds, [-180.0, -85.0, 180.0, 85.0]);
            assert_eq!(attribution.as_deref(), Some("© Someone"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(b.foreign_origin(), None);

    let err = Basemap::from_settings(Some(raster.as_path()), Some("https://a/{z}/{x}/{y}"), None)
        .unwrap_err();
    assert!(matches!(err, BasemapError::Both));

    for bad in [
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org/{z}/{x}.png",
        "tiles.example.org/{z}/{x}/{y}.png",
    ] {
        let err = Basemap::from_settings(None, Some(bad), None).unwrap_err();
        assert!(matches!(err, BasemapError::Xyz { .. }), "{bad}: {err}");
        assert!(err.to_string().contains("--basemap-xyz"), "{err}");
    }
    let xyz = Basemap::from_settings(
        None,
        Some("https://tiles.example.org/{z}/{x}/{y}.png"),
        None,
    )
    .unwrap()
    .unwrap();
    assert_eq!(xyz.foreign_origin(), Some("https://tiles.example.org"));
}

#[test]
fn serve_flags_and_environment() {
    let cli = Cli::try_parse_from(["tirek", "serve"]).unwrap();
    let Command::Serve(args) = cli.command else {
        panic!()
    };
    // Off by default (unless the environment running the tests sets them).
    if std::env::var_os("TIREK_BASEMAP_PMTILES").is_none()
        && std::env::var_os("TIREK_BASEMAP_XYZ").is_none()
    {
        assert!(args.basemap_pmtiles.is_none() && args.basemap_xyz.is_none());
    }
    let cli = Cli::try_parse_from([
        "tirek",
        "serve",
        "--basemap-xyz",
        "https://t.example.org/{z}/{x}/{y}.png",
        "--basemap-attribution",
        "© T",
    ])
    .unwrap();
    let Command::Serve(args) = cli.command else {
        panic!()
    };
    assert_eq!(
        args.basemap_xyz.as_deref(),
        Some("https://t.example.org/{z}/{x}/{y}.png")
    );
    assert_eq!(args.basemap_attribution.as_deref(), Some("© T"));
    let both = Cli::try_parse_from([
        "tirek",
        "serve",
        "--basemap-pmtiles",
        "a.pmtiles",
        "--basemap-xyz",
        "https://t.example.org/{z}/{x}/{y}.png",
    ]);
    assert!(both.is_err(), "the two kinds are mutually exclusive");
}

#[test]
fn the_server_refuses_a_missing_pmtiles_file_at_start() {
    let bin = env!("CARGO_BIN_EXE_tirek");
    // With a CARGO_TARGET_DIR shared by several work trees, another tree's build may
    // have replaced the binary since this one was built: then there is nothing to test.
    let help = std::process::Command::new(bin)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    if !String::from_utf8_lossy(&help.stdout).contains("--basemap-pmtiles") {
        eprintln!("SKIPPED: {bin} is not this build (shared target folder?)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.pmtiles");
    let out = std::process::Command::new(bin)
        .args(["--data-dir"])
        .arg(dir.path().join("data"))
        .args(["serve", "--listen", "127.0.0.1:0", "--basemap-pmtiles"])
        .arg(&missing)
        .env_remove("TIREK_BASEMAP_XYZ")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("basemap PMTiles file") && stderr.contains("nowhere.pmtiles"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "checked before the store is opened"
    );
}

#[tokio::test]
async fn pmtiles_is_served_with_ranges_only_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let tile: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let bytes = pmtiles(2, &[tile.as_slice(), &b"second tile"[..]]);
    let path = write(dir.path(), "base.pmtiles", &bytes);

    // Not configured: a JSON 404, and meta says so.
    let app = TestApp::new().await;
    let (status, body) = app.get("/basemap.pmtiles").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    let (_, meta) = app.get("/api/meta").await;
    assert_eq!(meta["basemap"], Value::Null);

    let basemap = Basemap::from_settings(Some(path.as_path()), None, Some("© Test tiles")).unwrap();
    let app = with_basemap(basemap).await;
    let (_, meta) = app.get("/api/meta").await;
    assert_eq!(
        meta["basemap"],
        json!({"kind": "pmtiles", "url": "/basemap.pmtiles", "tile_type": "png", "min_zoom": 0,
               "max_zoom": 0, "bounds": [-180.0, -85.0, 180.0, 85.0], "attribution": "© Test tiles"})
    );

    // What the pmtiles client asks first: the header and root directory.
    let req = Request::get("/basemap.pmtiles")
        .header("range", "bytes=0-16383")
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let (resp, body) = raw(&app, req).await;
    assert_eq!(resp.status(), 206);
    let end = bytes.len().min(16384) - 1;
    assert_eq!(
        header(&resp, "content-range").as_deref(),
        Some(format!("bytes 0-{end}/{}", bytes.len()).as_str())
    );
    assert_eq!(body, bytes[..=end]);
    assert_eq!(
        header(&resp, "content-type").as_deref(),
        Some("application/vnd.pmtiles")
    );
    assert_eq!(header(&resp, "content-encoding"), None);

    // A tile in the middle of the file.
    let req = Request::get("/basemap.pmtiles")
        .header("range", "bytes=200-299")
        .body(Body::empty())
        .unwrap();
    let (resp, body) = raw(&app, req).await;
    assert_eq!(resp.status(), 206);
    assert_eq!(
        header(&resp, "content-range").as_deref(),
        Some(format!("bytes 200-299/{}", bytes.len()).as_str())
    );
    assert_eq!(body, bytes[200..300]);

    // The whole file, never re-compressed; an unsatisfiable range is a 416.
    let req = Request::get("/basemap.pmtiles")
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let (resp, body) = raw(&app, req).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(header(&resp, "content-encoding"), None);
    assert_eq!(header(&resp, "accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(body, bytes);
    let req = Request::get("/basemap.pmtiles")
        .header("range", format!("bytes={}-", bytes.len() + 10))
        .body(Body::empty())
        .unwrap();
    let (resp, _) = raw(&app, req).await;
    assert_eq!(resp.status(), 416);

    // An XYZ basemap does not serve the file either.
    let xyz =
        Basemap::from_settings(None, Some("https://t.example.org/{z}/{x}/{y}.png"), None).unwrap();
    let app = with_basemap(xyz).await;
    let (status, _) = app.get("/basemap.pmtiles").await;
    assert_eq!(status, 404);
    let (_, meta) = app.get("/api/meta").await;
    assert_eq!(
        meta["basemap"],
        json!({"kind": "xyz", "url": "https://t.example.org/{z}/{x}/{y}.png", "attribution": null})
    );
}

#[tokio::test]
async fn csp_names_the_xyz_origin_only_when_configured() {
    async fn csp_of(app: &TestApp) -> String {
        let req = Request::get("/healthz").body(Body::empty()).unwrap();
        let (resp, _) = raw(app, req).await;
        header(&resp, "content-security-policy").unwrap()
    }
    let app = TestApp::new().await;
    assert_eq!(csp_of(&app).await, CONTENT_SECURITY_POLICY);

    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "b.pmtiles", &pmtiles(2, &[&b"png"[..]]));
    let app = with_basemap(Basemap::from_settings(Some(path.as_path()), None, None).unwrap()).await;
    assert_eq!(
        csp_of(&app).await,
        CONTENT_SECURITY_POLICY,
        "a PMTiles basemap is same-origin"
    );

    let url = "https://tiles.example.org:8443/osm/{z}/{x}/{y}.png";
    let app = with_basemap(Basemap::from_settings(None, Some(url), None).unwrap()).await;
    let csp = csp_of(&app).await;
    assert_eq!(csp, content_security_policy(&app.state.settings));
    let directive = |name: &str| {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.starts_with(&format!("{name} ")))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        directive("img-src"),
        "img-src 'self' data: blob: https://tiles.example.org:8443"
    );
    assert_eq!(
        directive("connect-src"),
        "connect-src 'self' https://tiles.example.org:8443"
    );
    assert_eq!(directive("script-src"), "script-src 'self'");
    assert_eq!(csp.matches("tiles.example.org").count(), 2);
    // Everything else as by default.
    let strip = |s: &str| s.replace(" https://tiles.example.org:8443", "");
    assert_eq!(strip(&csp), CONTENT_SECURITY_POLICY);
}
