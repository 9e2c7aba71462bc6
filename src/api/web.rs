//! The web front end: the files built into the binary (the default) or, for development,
//! a `web/` folder on disk. Either way exactly the app's files are served (`index.html`
//! at `/`, `app.css`, `favicon.svg`, `manifest.webmanifest`, `sw.js`, `js/`, `i18n/`)
//! and the three vendor packages at `/vendor/`, never `package.json`, `README.md` or the
//! rest of `node_modules`. Anything else is a JSON 404. The page itself is served with
//! its labels already in English ([`super::first_paint`]), so it paints complete.

use crate::assets;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tower_http::services::{ServeDir, ServeFile};

/// Where the web front end comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum WebFiles {
    /// The files built into the binary.
    #[default]
    BuiltIn,
    /// A folder laid out as `web/` with its `node_modules` (`TIREK_WEB_DIR`): edits show
    /// on reload, without a rebuild.
    Dir(PathBuf),
    /// No web front end: the API only.
    Off,
}

/// Whether the data now has demo records (the page then shows its notice at once).
pub type DemoProbe = Arc<dyn Fn() -> bool + Send + Sync>;

/// `api` with the web front end as its fallback.
pub fn with_web_files(api: Router, web: &WebFiles, demo: DemoProbe) -> Router {
    match web {
        WebFiles::BuiltIn => api.fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
            built_in(method, uri, headers, demo.clone())
        }),
        WebFiles::Dir(dir) => from_dir(api, dir, demo),
        WebFiles::Off => api.fallback(super::not_found),
    }
}

async fn built_in(method: Method, uri: Uri, headers: HeaderMap, demo: DemoProbe) -> Response {
    let path = match uri.path() {
        "/" => "index.html",
        other => other.trim_start_matches('/'),
    };
    let Some(file) = (if path == "index.html" {
        Some(built_in_page(demo()))
    } else {
        assets::web_file(path)
    })
    .filter(|_| method == Method::GET || method == Method::HEAD) else {
        return super::not_found().await.into_response();
    };
    let etag = HeaderValue::from_static(file.etag);
    // Revalidated on every use: the tag makes that a 304 with no body, and a new
    // binary's files are never mistaken for the old ones.
    let cache = HeaderValue::from_static("no-cache");
    if headers.get(header::IF_NONE_MATCH).is_some_and(|tags| {
        tags.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii() == file.etag.as_bytes())
    }) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    let body = if method == Method::HEAD {
        &[][..]
    } else {
        file.bytes
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(path)),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

/// The built-in page with its English labels (and its demo notice shown or not), made
/// once per variant; its tag follows both files and the variant.
fn built_in_page(demo: bool) -> assets::Asset {
    static PAGES: [OnceLock<assets::Asset>; 2] = [OnceLock::new(), OnceLock::new()];
    *PAGES[usize::from(demo)].get_or_init(|| {
        let index = assets::web_file("index.html").expect("index.html is built in");
        let en = assets::web_file("i18n/en.json").expect("en.json is built in");
        let page = english_page(index.bytes, en.bytes, demo);
        let etag = format!(
            "\"{}-{}-{}\"",
            index.etag.trim_matches('"'),
            en.etag.trim_matches('"'),
            if demo { "demo" } else { "live" }
        );
        assets::Asset {
            bytes: Box::leak(page.into_bytes().into_boxed_slice()),
            etag: Box::leak(etag.into_boxed_str()),
        }
    })
}

/// `index` with the English labels of `en` and, with demo data, its notice shown; as it
/// is when `en` does not parse.
fn english_page(index: &[u8], en: &[u8], demo: bool) -> String {
    let index = String::from_utf8_lossy(index);
    let page = match serde_json::from_slice(en) {
        Ok(strings) => super::first_paint::english_first(&index, &strings),
        Err(_) => index.into_owned(),
    };
    if demo {
        super::first_paint::unhide(&page, "demo-banner")
    } else {
        page
    }
}

/// The page read from a `web/` folder, with its English labels (read on every request,
/// so edits show on reload).
async fn page_from_dir(web: PathBuf, demo: bool) -> Response {
    let read = |name: &str| std::fs::read(web.join(name));
    match (read("index.html"), read("i18n/en.json")) {
        (Ok(index), Ok(en)) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            english_page(&index, &en, demo),
        )
            .into_response(),
        _ => super::not_found().await.into_response(),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map_or("", |(_, ext)| ext) {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

fn from_dir(api: Router, web: &Path, demo: DemoProbe) -> Router {
    let dir = |path: PathBuf| ServeDir::new(path).append_index_html_on_directories(false);
    let modules = web.join("node_modules");
    let page = {
        let web = web.to_path_buf();
        move || page_from_dir(web.clone(), demo())
    };
    api.route("/", axum::routing::get(page.clone()))
        .route("/index.html", axum::routing::get(page))
        .route_service("/app.css", ServeFile::new(web.join("app.css")))
        .route_service("/favicon.svg", ServeFile::new(web.join("favicon.svg")))
        .route_service(
            "/manifest.webmanifest",
            ServeFile::new(web.join("manifest.webmanifest")),
        )
        // The service worker is served from the root so that its scope is the app.
        .route_service("/sw.js", ServeFile::new(web.join("sw.js")))
        .nest_service("/js", dir(web.join("js")))
        .nest_service("/i18n", dir(web.join("i18n")))
        .nest_service("/vendor/maplibre-gl", dir(modules.join("maplibre-gl/dist")))
        .nest_service("/vendor/pmtiles", dir(modules.join("pmtiles/dist")))
        .nest_service(
            "/vendor/geographiclib-geodesic",
            dir(modules.join("geographiclib-geodesic")),
        )
        .fallback(super::not_found)
}
