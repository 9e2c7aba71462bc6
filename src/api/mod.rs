//! The HTTP API (axum): the router shared by `main` and the tests, the state it runs
//! on, and the tower layers that keep it safe (timeouts, body and concurrency limits,
//! panic → JSON 500, security headers).

mod auth;
mod cache;
mod coverage;
mod error;
mod extract;
mod facilities;
mod first_paint;
mod generated;
mod geography;
mod geojson;
mod guard;
mod nearest;
mod nearest_batch;
pub mod openapi;
mod pathway;
mod places;
mod plan;
mod referrals;
mod stewardship;
mod travel;
mod web;

pub use error::{ApiError, ErrorBody, ErrorDetail, ErrorDetails};
pub use geojson::{GEOJSON, GeoJson};
pub use guard::PublicOrigins;
pub use web::WebFiles;

use crate::basemap::{Basemap, PMTILES_MIME, PMTILES_PATH};
use crate::registry::Registry;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::services::ServeFile;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// Server settings the handlers need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Send the session cookie with `Secure` even when the request did not say it came
    /// over HTTPS (`X-Forwarded-Proto: https` from the TLS proxy makes it `Secure` too).
    pub secure_cookies: bool,
    /// Records not verified for longer than this many days are flagged.
    pub verification_max_age_days: u32,
    /// Where the web front end comes from (built in unless told otherwise).
    pub web: WebFiles,
    /// Largest accepted import body, bytes.
    pub max_import_bytes: usize,
    /// The optional basemap (off by default).
    pub basemap: Option<Basemap>,
    /// The operator's quick-exit page (`quick_exit_url` in `/api/meta`); `None`: the web
    /// map's default.
    pub quick_exit_url: Option<String>,
    /// The origins browsers reach this server at (`--public-origin`); empty: the
    /// request's own `Host`. Cookie-authenticated writes must come from one of them.
    pub public_origins: PublicOrigins,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`--trusted-proxies`);
    /// empty: the header is ignored.
    pub trusted_proxies: crate::auth::proxies::TrustedProxies,
}

/// Default verification age: six months.
pub const VERIFICATION_MAX_AGE_DAYS: u32 = 183;

impl Default for Settings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            verification_max_age_days: VERIFICATION_MAX_AGE_DAYS,
            web: WebFiles::default(),
            max_import_bytes: 64 * 1024 * 1024,
            basemap: None,
            quick_exit_url: None,
            public_origins: PublicOrigins::default(),
            trusted_proxies: crate::auth::proxies::TrustedProxies::default(),
        }
    }
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    /// Store + live index.
    pub registry: Arc<Registry>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Accounts, sessions and tokens.
    pub accounts: Arc<crate::auth::Accounts>,
    /// Analysis answers of the current data version.
    pub analyses: Arc<cache::AnalysisCache>,
    /// Organisations, agency editors' proposals and their review.
    pub coordination: Arc<crate::coordination::Coordination>,
    /// Problem reports per client address (no account needed, so limited).
    pub report_limiter: Arc<crate::auth::limiter::WindowLimiter>,
}

impl AppState {
    /// The state for `registry` with `settings`; accounts live in the registry's store.
    pub fn new(registry: Arc<Registry>, settings: Settings) -> Self {
        Self {
            accounts: Arc::new(crate::auth::Accounts::new(registry.store().clone())),
            coordination: Arc::new(crate::coordination::Coordination::new(registry.clone())),
            report_limiter: Arc::new(crate::auth::limiter::WindowLimiter::new(
                REPORTS_PER_HOUR,
                Duration::from_secs(3600),
            )),
            registry,
            settings: Arc::new(settings),
            analyses: Arc::default(),
        }
    }
}

/// Problem reports one client address may send per hour.
pub const REPORTS_PER_HOUR: usize = 10;

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

/// The Content-Security-Policy for these settings: [`CONTENT_SECURITY_POLICY`], plus
/// the XYZ basemap's origin in `img-src` and `connect-src` when (and only when) one is
/// configured.
pub fn content_security_policy(settings: &Settings) -> String {
    match settings.basemap.as_ref().and_then(Basemap::foreign_origin) {
        None => CONTENT_SECURITY_POLICY.to_string(),
        Some(origin) => CONTENT_SECURITY_POLICY
            .replace(
                "img-src 'self' data: blob:;",
                &format!("img-src 'self' data: blob: {origin};"),
            )
            .replace(
                "connect-src 'self';",
                &format!("connect-src 'self' {origin};"),
            ),
    }
}

/// The whole application: API routes, the web front end, and the safety layers.
pub fn app(state: AppState) -> Router {
    let import_limit = state.settings.max_import_bytes.max(MAX_BODY_BYTES);
    let takes = |types: &'static [&'static str]| from_fn_with_state(types, guard::accepts);
    let api = Router::new()
        .route("/healthz", get(places::healthz))
        .route("/api/meta", get(places::meta))
        .route("/api/openapi.json", get(openapi::serve))
        .route("/api/login", post(auth::login).layer(takes(guard::JSON)))
        .route("/api/logout", post(auth::logout))
        .route("/api/me", get(auth::me))
        .route(
            "/api/password",
            post(auth::change_password).layer(takes(guard::JSON)),
        )
        .route(
            "/api/tokens",
            post(auth::create_token).layer(takes(guard::JSON)),
        )
        .route("/api/users", get(auth::users))
        .route("/api/audit", get(auth::audit))
        .route(
            "/api/facilities",
            get(facilities::list)
                .post(facilities::create)
                .layer(takes(guard::GEOJSON)),
        )
        .route(
            "/api/facilities/{id}",
            get(facilities::get_one)
                .put(facilities::update)
                .delete(facilities::delete)
                .layer(takes(guard::GEOJSON)),
        )
        .route(
            "/api/organisations",
            get(stewardship::organisations)
                .post(stewardship::create_organisation)
                .layer(takes(guard::JSON)),
        )
        .route(
            "/api/organisations/{id}",
            get(stewardship::organisation)
                .put(stewardship::update_organisation)
                .layer(takes(guard::JSON)),
        )
        .route("/api/organisations/{id}/due", get(stewardship::due))
        .route(
            "/api/organisations/{id}/verify",
            post(stewardship::verify).layer(takes(guard::JSON)),
        )
        .route("/api/freshness", get(stewardship::freshness))
        .route("/api/pathway", get(pathway::pathway))
        .route(
            "/api/facilities/{id}/reports",
            post(stewardship::report_problem).layer(takes(guard::JSON)),
        )
        .route("/api/reports", get(stewardship::reports))
        .route(
            "/api/reports/{id}/resolve",
            post(stewardship::resolve_report).layer(takes(guard::JSON)),
        )
        .route(
            "/api/reports/{id}/dismiss",
            post(stewardship::dismiss_report).layer(takes(guard::JSON)),
        )
        .route("/api/proposals", get(stewardship::proposals))
        .route("/api/proposals/{id}", get(stewardship::proposal))
        .route(
            "/api/proposals/{id}/approve",
            post(stewardship::approve).layer(takes(guard::JSON)),
        )
        .route(
            "/api/proposals/{id}/reject",
            post(stewardship::reject).layer(takes(guard::JSON)),
        )
        .route(
            "/api/referrals",
            get(referrals::list)
                .post(referrals::create)
                .layer(takes(guard::JSON)),
        )
        .route("/api/referrals/{id}", get(referrals::get_one))
        .route(
            "/api/referrals/{id}/status",
            post(referrals::set_status).layer(takes(guard::JSON)),
        )
        .route(
            "/api/unmet-needs",
            get(referrals::list_unmet_needs)
                .post(referrals::create_unmet_need)
                .layer(takes(guard::JSON)),
        )
        .route("/api/coordination/figures", get(referrals::figures))
        .route("/api/nearest", get(nearest::nearest))
        .route(
            "/api/nearest/batch",
            post(nearest_batch::batch)
                .layer(DefaultBodyLimit::max(BATCH_BODY_BYTES))
                .layer(takes(guard::JSON)),
        )
        .route("/api/coverage", get(coverage::coverage))
        .route("/api/gaps/grid", get(plan::gaps_grid))
        .route("/api/catchments", get(plan::catchments))
        .route(
            "/api/plan/sites",
            post(plan::plan_sites)
                .layer(DefaultBodyLimit::max(PLAN_BODY_BYTES))
                .layer(takes(guard::JSON)),
        )
        .route(
            "/api/import",
            post(facilities::import)
                .layer(DefaultBodyLimit::max(import_limit))
                .layer(takes(guard::FACILITY_IMPORT)),
        )
        .route(
            "/api/import/areas",
            post(geography::import_areas)
                .layer(DefaultBodyLimit::max(import_limit))
                .layer(takes(guard::AREA_IMPORT)),
        )
        .route(
            "/api/import/population",
            post(geography::import_population)
                .layer(DefaultBodyLimit::max(import_limit))
                .layer(takes(guard::POPULATION_IMPORT)),
        )
        .route(
            "/api/import/friction",
            post(travel::import_friction)
                .layer(DefaultBodyLimit::max(import_limit))
                .layer(takes(travel::FRICTION_IMPORT)),
        )
        .route("/api/travel/scenarios", get(travel::scenarios))
        .route(
            "/api/travel/scenarios/{name}",
            axum::routing::delete(travel::remove),
        )
        .route("/api/travel/catchments", get(travel::catchments))
        .route("/api/export", get(facilities::export))
        .route("/api/areas", get(places::areas))
        .route("/api/settlements", get(places::settlements))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state.clone());

    // The PMTiles basemap, with Range requests (ServeFile), only when configured.
    let api = match &state.settings.basemap {
        Some(Basemap::Pmtiles { path, .. }) => api.route_service(
            PMTILES_PATH,
            ServeFile::new_with_mime(path, &PMTILES_MIME.parse().expect("a valid media type")),
        ),
        _ => api.route(PMTILES_PATH, axum::routing::any(no_basemap)),
    };
    let registry = state.registry.clone();
    let seen = std::sync::Mutex::new(None);
    let demo: web::DemoProbe = Arc::new(move || has_demo(&registry.index(), &seen));
    let router = web::with_web_files(api, &state.settings.web, demo);
    let csp = HeaderValue::from_str(&content_security_policy(&state.settings))
        .expect("the CSP is visible ASCII");
    let public = Arc::new(state.settings.public_origins.clone());
    router.layer(
        ServiceBuilder::new()
            // Outermost, so that every answer carries them, errors and panics included.
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                csp,
            ))
            .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .layer(header_layer(header::REFERRER_POLICY, "no-referrer"))
            .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
            .layer(CatchPanicLayer::custom(panic_response))
            // Tiles are compressed already; Range answers are never compressed.
            .layer(CompressionLayer::new().compress_when(
                DefaultPredicate::new().and(NotForContentType::const_new(PMTILES_MIME)),
            ))
            .layer(axum::middleware::map_response(generated::json_body))
            .layer(axum::middleware::from_fn(generated::uri_limit))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::SERVICE_UNAVAILABLE,
                REQUEST_TIMEOUT,
            ))
            .layer(tower::limit::ConcurrencyLimitLayer::new(
                MAX_CONCURRENT_REQUESTS,
            ))
            .layer(from_fn_with_state(public, guard::same_origin)),
    )
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /api/openapi.json")
}

async fn not_found() -> ApiError {
    ApiError::not_found("nothing here; the API is under /api/ (see /api/openapi.json)")
}

async fn no_basemap() -> ApiError {
    ApiError::not_found("no PMTiles basemap is configured on this server")
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

/// Whether `index` holds demo records: counted once per data version (the page asks on
/// every load, and a scan of a million records is not free); `seen` keeps the last
/// answer with its version and size.
fn has_demo(
    index: &crate::index::ServiceIndex,
    seen: &std::sync::Mutex<Option<(i64, usize, bool)>>,
) -> bool {
    let key = (index.version(), index.len());
    let mut last = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((version, len, demo)) = *last
        && (version, len) == key
    {
        return demo;
    }
    let demo = index.facilities().any(|r| r.summary().demo());
    *last = Some((key.0, key.1, demo));
    demo
}
