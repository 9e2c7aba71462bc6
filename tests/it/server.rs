//! The server as a whole: it serves only the web app's own files (built in by default),
//! a fresh folder answers on the built-in default data, every error it makes
//! itself has the JSON error body, and `tirek serve` stops gracefully on SIGTERM and
//! Ctrl-C.

use crate::support::TestApp;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use tower::ServiceExt;

/// A web folder like `web/` after `npm ci`: the app's files and everything around them.
fn web_folder(root: &Path) {
    for (path, text) in [
        ("index.html", "<!doctype html><title>Tirek</title>"),
        ("app.css", "body{}"),
        ("favicon.svg", "<svg/>"),
        ("js/main.js", "export {};"),
        ("js/views/planner.js", "export {};"),
        ("i18n/en.json", "{}"),
        ("package.json", "{\"name\": \"tirek-web\"}"),
        ("package-lock.json", "{}"),
        ("README.md", "# web"),
        (".env", "SECRET=1"),
        (
            "node_modules/maplibre-gl/dist/maplibre-gl.mjs",
            "export {};",
        ),
        ("node_modules/maplibre-gl/package.json", "{}"),
        ("node_modules/pmtiles/dist/pmtiles.js", "var pmtiles;"),
        ("node_modules/left-pad/index.js", "module.exports = 1;"),
        ("node_modules/.package-lock.json", "{}"),
    ] {
        let file = root.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
}

async fn request(app: &TestApp, method: &str, uri: &str) -> (u16, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::empty())
        .unwrap();
    let resp = tirek::app(app.state.clone()).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, bytes.to_vec())
}

#[tokio::test]
async fn the_web_root_serves_only_the_apps_files() {
    let dir = tempfile::tempdir().unwrap();
    web_folder(dir.path());
    let mut app = TestApp::new().await;
    let mut settings = tirek::Settings::clone(&app.state.settings);
    settings.web = tirek::api::WebFiles::Dir(dir.path().to_path_buf());
    app.state.settings = std::sync::Arc::new(settings);
    for uri in [
        "/",
        "/index.html",
        "/app.css",
        "/favicon.svg",
        "/js/main.js",
        "/js/views/planner.js",
        "/i18n/en.json",
        "/vendor/maplibre-gl/maplibre-gl.mjs",
        "/vendor/pmtiles/pmtiles.js",
    ] {
        let (status, _, _) = request(&app, "GET", uri).await;
        assert_eq!(status, 200, "{uri}");
    }
    assert_only_the_app_is_served(&app).await;
}

/// What must never be served from the web root, whatever serves it.
const NOT_THE_APP: &[&str] = &[
    "/package.json",
    "/package-lock.json",
    "/README.md",
    "/.env",
    "/node_modules/",
    "/node_modules/left-pad/index.js",
    "/node_modules/maplibre-gl/dist/maplibre-gl.mjs",
    "/node_modules/.package-lock.json",
    "/vendor/maplibre-gl/../package.json",
    "/vendor/maplibre-gl/maplibre-gl.mjs.map",
    "/vendor/",
    "/js/",
    "/js/../package.json",
    "/i18n/",
];

async fn assert_only_the_app_is_served(app: &TestApp) {
    for uri in NOT_THE_APP {
        let (status, headers, body) = request(app, "GET", uri).await;
        assert_eq!(status, 404, "{uri}: {}", String::from_utf8_lossy(&body));
        let json: Value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("{uri}: not JSON: {}", String::from_utf8_lossy(&body)));
        assert_eq!(json["error"]["code"], "not_found", "{uri}");
        assert_eq!(headers["content-type"], "application/json", "{uri}");
    }
}

#[tokio::test]
async fn the_map_built_into_the_binary_is_served_with_its_types_and_tags() {
    // The default: no folder at all.
    let app = TestApp::new().await;
    assert_eq!(app.state.settings.web, tirek::api::WebFiles::BuiltIn);
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    for (uri, file, content_type) in [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.css", "app.css", "text/css; charset=utf-8"),
        (
            "/js/main.js",
            "js/main.js",
            "text/javascript; charset=utf-8",
        ),
        ("/i18n/kk.json", "i18n/kk.json", "application/json"),
        ("/sw.js", "sw.js", "text/javascript; charset=utf-8"),
        (
            "/manifest.webmanifest",
            "manifest.webmanifest",
            "application/manifest+json",
        ),
        (
            "/vendor/maplibre-gl/maplibre-gl.mjs",
            "node_modules/maplibre-gl/dist/maplibre-gl.mjs",
            "text/javascript; charset=utf-8",
        ),
        (
            "/vendor/pmtiles/pmtiles.js",
            "node_modules/pmtiles/dist/pmtiles.js",
            "text/javascript; charset=utf-8",
        ),
    ] {
        let (status, headers, body) = request(&app, "GET", uri).await;
        assert_eq!(status, 200, "{uri}");
        let source = std::fs::read(web.join(file)).unwrap();
        if uri == "/" {
            // The page comes with its English labels filled in (api::first_paint);
            // every line without a label is served as written.
            let (page, source) = (
                String::from_utf8(body).unwrap(),
                String::from_utf8(source).unwrap(),
            );
            for line in source
                .lines()
                .filter(|l| !l.contains("data-i18n") && !l.contains("demo-banner"))
            {
                assert!(page.contains(line), "{line:?} is served as written");
            }
            assert!(page.contains(">Caseworker</button>"));
            assert!(page.contains("placeholder=\"e.g. Shymkent\""));
        } else {
            assert_eq!(body, source, "{uri}");
        }
        assert_eq!(headers["content-type"], content_type, "{uri}");
        // A second visit revalidates: the tag answers 304 with no body.
        let tag = headers["etag"].to_str().unwrap().to_string();
        let req = Request::builder()
            .uri(uri)
            .header("if-none-match", &tag)
            .body(Body::empty())
            .unwrap();
        let resp = tirek::app(app.state.clone()).oneshot(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 304, "{uri}");
        assert!(
            resp.into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .is_empty()
        );
    }
    let (status, _, body) = request(&app, "POST", "/index.html").await;
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    assert_only_the_app_is_served(&app).await;
}

#[tokio::test]
async fn every_error_the_server_makes_has_the_json_body() {
    let dir = tempfile::tempdir().unwrap();
    web_folder(dir.path());
    let mut app = TestApp::new().await;
    let mut settings = tirek::Settings::clone(&app.state.settings);
    settings.web = tirek::api::WebFiles::Dir(dir.path().to_path_buf());
    app.state.settings = std::sync::Arc::new(settings);
    let long = format!("/api/nearest?lon=1&lat=1&q={}", "a".repeat(9000));
    for (method, uri, expected, code) in [
        ("GET", long.as_str(), 414, "uri_too_long"),
        ("GET", "/nothing/here.png", 404, "not_found"),
        ("GET", "/api/nothing", 404, "not_found"),
        ("POST", "/app.css", 405, "method_not_allowed"),
        ("DELETE", "/js/main.js", 405, "method_not_allowed"),
        ("PUT", "/", 405, "method_not_allowed"),
        ("PATCH", "/api/nearest", 405, "method_not_allowed"),
    ] {
        let (status, headers, body) = request(&app, method, uri).await;
        let short: String = uri.chars().take(40).collect();
        assert_eq!(status, expected, "{method} {short}");
        let json: Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
            panic!(
                "{method} {short}: not JSON: {:?}",
                String::from_utf8_lossy(&body)
            )
        });
        assert_eq!(json["error"]["code"], code, "{method} {short}");
        assert!(json["error"]["message"].is_string());
        assert_eq!(
            headers["x-content-type-options"], "nosniff",
            "{method} {short}"
        );
    }
}

/// A `tirek serve` process on a free port with a fresh data folder, and the address it
/// listens on. Its log is drained by a thread so it never blocks.
fn start_server(dir: &Path, extra: &[&str]) -> (Child, String, Log) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tirek"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-default-data"])
        .args(extra)
        .env("RUST_LOG", "info,sqlx=warn")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let log = Log::default();
    let lines = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            lines.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    });
    let address = loop {
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("the server did not start");
        if let Some((_, rest)) = line.split_once("Tirek serving http://") {
            break rest.trim().to_string();
        }
    };
    (child, address, log)
}

/// The server's log lines so far.
type Log = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

fn signal(child: &Child, name: &str) {
    let ok = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name}");
}

/// Waits until the server accepts no new connections (it has seen the signal).
fn wait_until_refused(address: &str) {
    for _ in 0..600 {
        if TcpStream::connect(address).is_err() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the server still accepts connections after the signal");
}

/// Waits for the process to end (a generous guard, not a timing assertion).
fn wait_for_exit(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..1200 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the server did not exit");
}

/// Starts a `POST /api/nearest/batch` and sends half its body once the handler is
/// reading it (`Expect: 100-continue`: the server says `100 Continue` only then); returns
/// the connection and the rest of the body.
fn half_a_request(address: &str) -> (TcpStream, Vec<u8>) {
    let body = br#"{"points": [{"id": "p1", "lon": 68.2, "lat": 43.3}]}"#.to_vec();
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(120)))
        .unwrap();
    write!(
        stream,
        "POST /api/nearest/batch HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 100"), "{head}");
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(first).unwrap();
    stream.flush().unwrap();
    (stream, rest.to_vec())
}

#[test]
fn sigterm_lets_requests_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address, log) = start_server(dir.path(), &[]);
    // The server is reading the request's body when the signal comes.
    let (mut stream, rest) = half_a_request(&address);
    signal(&child, "TERM");
    wait_until_refused(&address);
    // It stopped accepting, but the request in flight is answered in full.
    stream.write_all(&rest).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("point_id,sector"), "{answer}");
    let status = wait_for_exit(&mut child);
    assert!(status.success(), "{status}");
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("SIGTERM: no new connections"), "{log}");
    assert!(log.contains("every request finished"), "{log}");
}

#[test]
fn ctrl_c_waits_for_a_stuck_request_only_as_long_as_the_drain_time() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address, log) = start_server(dir.path(), &["--drain-seconds", "1"]);
    // A client that never sends the rest of its request.
    let (_stream, _) = half_a_request(&address);
    signal(&child, "INT");
    wait_until_refused(&address);
    let status = wait_for_exit(&mut child);
    assert!(status.success(), "{status}");
    // It gave up on the stuck request after the drain time, not the request timeout.
    let log = log.lock().unwrap().join("\n");
    assert!(log.contains("Ctrl-C: no new connections"), "{log}");
    assert!(log.contains("drain time (1 s) over"), "{log}");
}

#[test]
fn a_command_on_a_fresh_folder_answers_on_the_default_data_built_in() {
    // An empty folder, nothing beside it: no geodata/, no web/.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tirek"))
        .current_dir(dir.path())
        .args(["export", "facilities", "--format", "geojson"])
        .env_remove("DATABASE_URL")
        .env_remove("TIREK_DATA_DIR")
        .env_remove("TIREK_GEODATA_DIR")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("loaded the built-in default data"),
        "{stderr}"
    );
    let exported: Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata/facilities_demo.geojson");
    let demo: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    let ids = |doc: &Value| -> std::collections::BTreeSet<String> {
        doc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&exported), ids(&demo));
    // Loaded once: the second run finds the store written and says nothing of it.
    let again = Command::new(env!("CARGO_BIN_EXE_tirek"))
        .current_dir(dir.path())
        .args(["export", "facilities", "--format", "csv"])
        .env_remove("DATABASE_URL")
        .env_remove("TIREK_DATA_DIR")
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(!String::from_utf8_lossy(&again.stderr).contains("default data"));
}
