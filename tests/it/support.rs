//! Shared fixtures: an app on a fresh store, requests, seeded random facilities.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::sync::Arc;
use tirek::model::{Account, Credential, CredentialKind, Role};
use tirek::registry::Registry;
use tirek::store::{SqliteStore, Store};
use tirek::{AppState, Settings, app};
use tower::ServiceExt;

/// A planner's API token (may write), registered by [`TestApp::on`].
pub const TOKEN: &str = "test-token-planner-0123456789";
/// A caseworker's API token (sees confidential records, may not write).
pub const CASEWORKER_TOKEN: &str = "test-token-caseworker-0123456789";
/// An admin's API token.
pub const ADMIN_TOKEN: &str = "test-token-admin-0123456789";

/// A running app on a fresh in-memory SQLite store.
pub struct TestApp {
    pub state: AppState,
}

impl TestApp {
    pub async fn new() -> Self {
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::connect_url("sqlite::memory:").await.unwrap());
        Self::on(store).await
    }

    /// Like [`TestApp::new`], also serving the repository's `web/` folder.
    pub async fn with_web() -> Self {
        let mut app = Self::new().await;
        let mut settings = Settings::clone(&app.state.settings);
        settings.web = tirek::api::WebFiles::Dir(
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web"),
        );
        app.state.settings = Arc::new(settings);
        app
    }

    pub async fn on(store: Arc<dyn Store>) -> Self {
        for (name, role, token) in [
            ("planner", Role::Planner, TOKEN),
            ("caseworker", Role::Caseworker, CASEWORKER_TOKEN),
            ("admin", Role::Admin, ADMIN_TOKEN),
        ] {
            register_token(store.as_ref(), name, role, token).await;
        }
        let registry = Arc::new(Registry::open(store).await.unwrap());
        let state = AppState::new(
            registry,
            Settings {
                max_import_bytes: 8 * 1024 * 1024,
                ..Settings::default()
            },
        );
        Self { state }
    }

    /// Sends a request; returns status and body (JSON when it parses, else a string).
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(b) = &body {
            req = req.header("content-type", content_type_of(b));
        }
        let req = req
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let resp = app(self.state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, value)
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.send("GET", uri, None, None).await
    }

    pub async fn get_as(&self, uri: &str) -> (StatusCode, Value) {
        self.send("GET", uri, Some(TOKEN), None).await
    }

    pub async fn import(&self, collection: &Value) -> (StatusCode, Value) {
        self.send(
            "POST",
            "/api/import",
            Some(TOKEN),
            Some(collection.to_string().into_bytes()),
        )
        .await
    }
}

/// The media type a script would send `body` with: JSON, a zip archive, a TIFF, or CSV.
pub fn content_type_of(body: &[u8]) -> &'static str {
    let start = body.trim_ascii_start();
    if start.starts_with(b"{") || start.starts_with(b"[") {
        "application/json"
    } else if body.starts_with(b"PK") {
        "application/zip"
    } else if body.starts_with(b"II*\0") || body.starts_with(b"MM\0*") {
        "image/tiff"
    } else {
        "text/csv"
    }
}

/// Creates account `name` (if missing) and registers `token` as its API token.
pub async fn register_token(store: &dyn Store, name: &str, role: Role, token: &str) {
    if store.account(name).await.unwrap().is_none() {
        let account = Account {
            username: name.into(),
            role,
            // Not a real hash: these accounts only use their token.
            password_hash: "!".into(),
            must_change: false,
            created_at: chrono::Utc::now(),
            organisation: None,
        };
        store
            .put_account(&account, "user.add", "test")
            .await
            .unwrap();
    }
    let secret_hash = tirek::auth::secret::digest(token);
    if store.credential(&secret_hash).await.unwrap().is_some() {
        return;
    }
    let credential = Credential {
        secret_hash,
        kind: CredentialKind::Token,
        username: name.into(),
        label: "test".into(),
        created_at: chrono::Utc::now(),
        expires_at: None,
    };
    store.add_credential(&credential, "test").await.unwrap();
}

/// An agency editor's API token, for accounts made by [`register_editor`].
pub const EDITOR_TOKEN: &str = "test-token-editor-0123456789";

/// An editor account of `organisation` with an API token.
pub async fn register_editor(
    store: &dyn Store,
    name: &str,
    organisation: Option<&str>,
    token: &str,
) {
    register_member(store, name, Role::Editor, organisation, token).await;
}

/// An account of `role` in `organisation` (if any) with API token `token`.
pub async fn register_member(
    store: &dyn Store,
    name: &str,
    role: Role,
    organisation: Option<&str>,
    token: &str,
) {
    let account = Account {
        username: name.into(),
        role,
        password_hash: "!".into(),
        must_change: false,
        created_at: chrono::Utc::now(),
        organisation: organisation.map(str::to_string),
    };
    store
        .put_account(&account, "user.add", "test")
        .await
        .unwrap();
    let credential = Credential {
        secret_hash: tirek::auth::secret::digest(token),
        kind: CredentialKind::Token,
        username: name.into(),
        label: "test".into(),
        created_at: chrono::Utc::now(),
        expires_at: None,
    };
    store.add_credential(&credential, "test").await.unwrap();
}

pub const SECTORS: [&str; 6] = [
    "health",
    "psychosocial",
    "police",
    "shelter",
    "legal",
    "hotline",
];

/// A valid facility feature.
pub fn feature(id: &str, sectors: &[&str], lon: f64, lat: f64) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, lat]},
           "properties": {"id": id, "name": format!("Facility {id}"), "sectors": sectors, "country": "KZ",
                          "phone": "+7 700 000 0000", "address": format!("Street {id}")}})
}

pub fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

/// `n` seeded random facilities over the whole globe, with extra density near the
/// antimeridian and the poles, each non-confidential with one or two sectors.
pub fn random_facilities(n: usize, seed: u64) -> Vec<Value> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            let (lon, lat) = random_point(&mut rng);
            let first = SECTORS[rng.random_range(0..SECTORS.len())];
            let mut sectors = vec![first];
            if rng.random_bool(0.2) {
                let second = SECTORS[rng.random_range(0..SECTORS.len())];
                if second != first {
                    sectors.push(second);
                }
            }
            let mut f = feature(&format!("f{i:05}"), &sectors, lon, lat);
            f["properties"]["confidential"] = json!(false);
            if rng.random_bool(0.3) {
                f["properties"]["services"] = json!(["cmr_pep"]);
            }
            f
        })
        .collect()
}

/// A test facility reduced to what the exhaustive references need.
#[derive(Clone, Debug)]
pub struct Plain {
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    pub sectors: Vec<String>,
    pub cmr_pep: bool,
    pub confidential: bool,
}

/// [`Plain`] facilities of GeoJSON features (as [`feature`] writes them).
pub fn plain(features: &[Value]) -> Vec<Plain> {
    features
        .iter()
        .map(|f| Plain {
            id: f["id"].as_str().unwrap().to_string(),
            lon: f["geometry"]["coordinates"][0].as_f64().unwrap(),
            lat: f["geometry"]["coordinates"][1].as_f64().unwrap(),
            sectors: f["properties"]["sectors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect(),
            cmr_pep: f["properties"]["services"].is_array(),
            confidential: f["properties"]["confidential"] == json!(true),
        })
        .collect()
}

/// A random point: uniform on the sphere, near ±180°, above 80° or below −80°.
pub fn random_point(rng: &mut ChaCha8Rng) -> (f64, f64) {
    let round6 = |v: f64| (v * 1e6).round() / 1e6;
    let (lon, lat) = match rng.random_range(0..10) {
        0 | 1 => (
            if rng.random_bool(0.5) {
                rng.random_range(179.0..=180.0)
            } else {
                rng.random_range(-180.0..=-179.0)
            },
            rng.random_range(-60.0..60.0),
        ),
        2 => (
            rng.random_range(-180.0..180.0),
            rng.random_range(80.0..=90.0),
        ),
        3 => (
            rng.random_range(-180.0..180.0),
            rng.random_range(-90.0..=-80.0),
        ),
        4..=6 => (rng.random_range(46.0..88.0), rng.random_range(35.0..56.0)),
        _ => {
            let z: f64 = rng.random_range(-1.0..1.0);
            (rng.random_range(-180.0..180.0), z.asin().to_degrees())
        }
    };
    (round6(lon), round6(lat))
}

/// A fresh PostgreSQL database for one test, dropped afterwards. `None` (with a
/// message) when `TIREK_TEST_POSTGRES_URL` is unset — unless `TIREK_REQUIRE_POSTGRES=1`,
/// as in CI, where that is a failure.
pub struct PgDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl PgDatabase {
    pub async fn create(suite: &str) -> Option<Self> {
        let admin_url = match std::env::var("TIREK_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("TIREK_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                    "TIREK_REQUIRE_POSTGRES=1 but TIREK_TEST_POSTGRES_URL is unset"
                );
                eprintln!("SKIPPED {suite} on PostgreSQL: TIREK_TEST_POSTGRES_URL is unset");
                return None;
            }
        };
        let name = format!(
            "tirek_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
                % 1_000_000_000
        );
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .expect("connecting to TIREK_TEST_POSTGRES_URL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        Some(Self {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        })
    }

    pub async fn drop_now(self) {
        let admin = sqlx::PgPool::connect(&self.admin_url).await.unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        )))
        .execute(&admin)
        .await;
    }
}
