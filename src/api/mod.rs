//! The HTTP API (axum): the router shared by `main` and the tests, the state it runs
//! on, and the tower layers that keep it safe (timeouts, body and concurrency limits,
//! panic → JSON 500, security headers).

mod coverage;
mod error;
mod extract;
mod facilities;
mod geography;
mod nearest;
mod nearest_batch;
pub mod openapi;
mod places;
mod plan;

pub use error::ApiError;
pub use extract::constant_time_eq;

use crate::registry::Registry;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// Server settings the handlers need.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Bearer token that authorises writes (and confidential details) until user
    /// accounts exist. `None`: writes are refused.
    pub write_token: Option<String>,
    /// The folder with the web front end (`web/`), if it is to be served.
    pub web_dir: Option<PathBuf>,
    /// Largest accepted import body, bytes.
    pub max_import_bytes: usize,
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    /// Store + live index.
    pub registry: Arc<Registry>,
    /// Settings.
    pub settings: Arc<Settings>,
}

/// Body limit for ordinary requests.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Body limit of `POST /api/plan/sites` (room for 200,000 candidates).
const PLAN_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Body limit of `POST /api/nearest/batch` (100,000 points with long ids).
const BATCH_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Requests handled at once before new ones wait.
const MAX_CONCURRENT_REQUESTS: usize = 512;
/// Longest a request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The Content-Security-Policy: own origin only, no inline script.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The whole application: API routes, the web front end, and the safety layers.
pub fn app(state: AppState) -> Router {
    let import_limit = state.settings.max_import_bytes.max(MAX_BODY_BYTES);
    let api = Router::new()
        .route("/healthz", get(places::healthz))
        .route("/api/meta", get(places::meta))
        .route("/api/openapi.json", get(openapi::serve))
        .route(
            "/api/facilities",
            get(facilities::list).post(facilities::create),
        )
        .route(
            "/api/facilities/{id}",
            get(facilities::get_one)
                .put(facilities::update)
                .delete(facilities::delete),
        )
        .route("/api/nearest", get(nearest::nearest))
        .route(
            "/api/nearest/batch",
            post(nearest_batch::batch).layer(DefaultBodyLimit::max(BATCH_BODY_BYTES)),
        )
        .route("/api/coverage", get(coverage::coverage))
        .route("/api/gaps/grid", get(plan::gaps_grid))
        .route("/api/catchments", get(plan::catchments))
        .route(
            "/api/plan/sites",
            post(plan::plan_sites).layer(DefaultBodyLimit::max(PLAN_BODY_BYTES)),
        )
        .route(
            "/api/import",
            post(facilities::import).layer(DefaultBodyLimit::max(import_limit)),
        )
        .route(
            "/api/import/areas",
            post(geography::import_areas).layer(DefaultBodyLimit::max(import_limit)),
        )
        .route(
            "/api/import/population",
            post(geography::import_population).layer(DefaultBodyLimit::max(import_limit)),
        )
        .route("/api/export", get(facilities::export))
        .route("/api/areas", get(places::areas))
        .route("/api/settlements", get(places::settlements))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state.clone());

    let router = match &state.settings.web_dir {
        Some(web) => api
            .nest_service(
                "/vendor/maplibre-gl",
                ServeDir::new(web.join("node_modules/maplibre-gl/dist")),
            )
            .fallback_service(ServeDir::new(web).append_index_html_on_directories(true)),
        None => api.fallback(api_not_found),
    };
    router.layer(
        ServiceBuilder::new()
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(CompressionLayer::new())
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                REQUEST_TIMEOUT,
            ))
            .layer(tower::limit::ConcurrencyLimitLayer::new(
                MAX_CONCURRENT_REQUESTS,
            ))
            .layer(header_layer(
                header::CONTENT_SECURITY_POLICY,
                CONTENT_SECURITY_POLICY,
            ))
            .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .layer(header_layer(header::REFERRER_POLICY, "no-referrer"))
            .layer(header_layer(header::X_FRAME_OPTIONS, "DENY")),
    )
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /api/openapi.json")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method; see /api/openapi.json",
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error; the operator can find it in the server log",
    )
    .into_response()
}
