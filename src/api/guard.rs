//! Tower layers that guard the API against requests a browser was tricked into making
//! (cross-site request forgery) and against bodies of a kind an endpoint does not take.
//!
//! - [`same_origin`]: a state-changing request (anything but `GET`, `HEAD`, `OPTIONS`)
//!   that is not authenticated by `Authorization: Bearer …` must come from this server's
//!   own origin when a browser made it: `Sec-Fetch-Site`, when present, must be
//!   `same-origin` or `none`, and `Origin`, when present, must be this server's origin
//!   (the configured public origin(s), or else `http(s)://` + the request's `Host`). A
//!   request carrying the session cookie must show one of the two headers (every
//!   browser that can send the cookie sends `Origin` with a `POST`), so a cookie alone
//!   never authorises a write. Bearer-token callers are scripts: a browser cannot attach
//!   the header to a cross-site request without a CORS preflight, which Tirek never
//!   grants.
//! - [`accepts`]: an endpoint that reads a body takes only the media types it documents
//!   (`415 unsupported_media_type` otherwise), so an HTML form or a `text/plain`
//!   "simple" request can never reach a JSON or import endpoint.

use super::ApiError;
use super::extract::session_cookie;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// JSON bodies.
pub const JSON: &[&str] = &["application/json"];
/// A GeoJSON feature or collection (either media type).
pub const GEOJSON: &[&str] = &["application/json", "application/geo+json"];
/// Facility imports: GeoJSON (Tirek's or an OpenStreetMap export), HXL CSV, or an
/// Excel workbook.
pub const FACILITY_IMPORT: &[&str] = &[
    "application/json",
    "application/geo+json",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];
/// Area imports: GeoJSON or a zipped shapefile.
pub const AREA_IMPORT: &[&str] = &[
    "application/json",
    "application/geo+json",
    "application/zip",
    "application/x-zip-compressed",
];
/// Population imports: GeoTIFF, GeoJSON points or CSV.
pub const POPULATION_IMPORT: &[&str] = &[
    "application/json",
    "application/geo+json",
    "text/csv",
    "image/tiff",
];

/// Whether `method` may change state (everything but the safe methods).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The origins this server answers as, normalised (`scheme://host[:port]`, lower case,
/// no default port, no trailing slash). Empty: the request's own `Host`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicOrigins(Vec<String>);

impl PublicOrigins {
    /// Parses a comma-separated list of origins such as `https://tirek.example.org`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut origins = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let origin = normalise_origin(item.trim_end_matches('/')).ok_or_else(|| {
                format!("{item:?} is not an origin: expected https://host[:port] (no path)")
            })?;
            origins.push(origin);
        }
        Ok(Self(origins))
    }

    /// True when none is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `scheme://host[:port]` in lower case without the scheme's default port; `None`
/// unless `text` is an `http`/`https` origin without path, query or user info.
fn normalise_origin(text: &str) -> Option<String> {
    let (scheme, authority) = text.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    if authority.is_empty()
        || authority
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '@') || c.is_whitespace())
    {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Some(format!("{scheme}://{authority}"))
}

/// Why a browser request is refused, or `None` when it may go on.
fn cross_origin(headers: &HeaderMap, host: Option<&str>, public: &PublicOrigins) -> Option<String> {
    for site in headers.get_all("sec-fetch-site") {
        let site = site.to_str().unwrap_or("");
        if !matches!(site, "same-origin" | "none") {
            return Some(format!(
                "Sec-Fetch-Site: {site}; only same-origin requests may change anything"
            ));
        }
    }
    for origin in headers.get_all(header::ORIGIN) {
        let text = origin.to_str().unwrap_or("");
        let allowed = normalise_origin(text).is_some_and(|o| {
            if public.is_empty() {
                let authority = o.split_once("://").map_or("", |(_, a)| a);
                host.is_some_and(|h| h.eq_ignore_ascii_case(authority))
            } else {
                public.0.contains(&o)
            }
        });
        if !allowed {
            let expected = if public.is_empty() {
                format!("this server's own (Host {})", host.unwrap_or("missing"))
            } else {
                public.0.join(", ")
            };
            return Some(format!(
                "Origin {text} is not {expected}; behind a proxy that rewrites Host, start the \
                 server with --public-origin"
            ));
        }
    }
    None
}

/// The same-origin rule for state-changing requests (see the module documentation).
pub async fn same_origin(
    State(public): State<Arc<PublicOrigins>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    if !changes_state(request.method()) || headers.contains_key(header::AUTHORIZATION) {
        return next.run(request).await;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if let Some(why) = cross_origin(headers, host, &public) {
        return refuse(format!("cross-origin request refused: {why}"));
    }
    let shows_origin =
        headers.contains_key(header::ORIGIN) || headers.contains_key("sec-fetch-site");
    if !shows_origin && session_cookie(headers).is_some() {
        return refuse(
            "a request authenticated by the session cookie must show its origin (Origin or \
             Sec-Fetch-Site, as browsers send them); scripts use an API token"
                .to_string(),
        );
    }
    next.run(request).await
}

fn refuse(message: String) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "cross_origin", message).into_response()
}

/// The essence of a `Content-Type` value: `type/subtype` in lower case.
fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Refuses a body (`POST`, `PUT`, `PATCH`) whose `Content-Type` is missing or not one of
/// `types` with `415 unsupported_media_type`. For `route(…).layer(from_fn_with_state(types, accepts))`.
pub async fn accepts(
    State(types): State<&'static [&'static str]>,
    request: Request,
    next: Next,
) -> Response {
    if !matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    ) {
        return next.run(request).await;
    }
    let given = request
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| media_type(v.to_str().unwrap_or("")));
    match given {
        Some(t) if types.contains(&t.as_str()) => next.run(request).await,
        other => {
            let what = other.map_or_else(
                || "no Content-Type".to_string(),
                |t| format!("Content-Type {t:?}"),
            );
            ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("{what}: this endpoint takes {}", types.join(", ")),
            )
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            normalise_origin("HTTPS://Tirek.Example.org:443").as_deref(),
            Some("https://tirek.example.org")
        );
        assert_eq!(
            normalise_origin("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        for bad in [
            "null",
            "ftp://x",
            "https://",
            "https://a/b",
            "https://u@h",
            "x",
        ] {
            assert_eq!(normalise_origin(bad), None, "{bad}");
        }
        assert!(PublicOrigins::parse("https://a.example, https://b.example:8443/").is_ok());
        assert!(PublicOrigins::parse("a.example").is_err());
    }

    #[test]
    fn the_origin_must_be_the_host_or_a_configured_one() {
        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(*k, v.parse().unwrap());
            }
            h
        };
        let none = PublicOrigins::default();
        let same = headers(&[("origin", "http://tirek.test:8080")]);
        assert_eq!(cross_origin(&same, Some("tirek.test:8080"), &none), None);
        assert!(cross_origin(&same, Some("tirek.test"), &none).is_some());
        assert!(cross_origin(&same, None, &none).is_some());
        let public = PublicOrigins::parse("https://tirek.example.org").unwrap();
        let proxied = headers(&[("origin", "https://tirek.example.org")]);
        assert_eq!(
            cross_origin(&proxied, Some("127.0.0.1:8080"), &public),
            None
        );
        assert!(cross_origin(&same, Some("tirek.test:8080"), &public).is_some());
        let null = headers(&[("origin", "null")]);
        assert!(cross_origin(&null, Some("tirek.test"), &none).is_some());
        for site in ["cross-site", "same-site"] {
            let h = headers(&[("sec-fetch-site", site)]);
            assert!(
                cross_origin(&h, Some("tirek.test"), &none).is_some(),
                "{site}"
            );
        }
        for site in ["same-origin", "none"] {
            let h = headers(&[("sec-fetch-site", site)]);
            assert_eq!(cross_origin(&h, Some("tirek.test"), &none), None, "{site}");
        }
    }
}
