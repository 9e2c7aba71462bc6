//! GeoJSON answers are sent as `application/geo+json` (RFC 7946 §12), every other JSON
//! answer as `application/json`.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The media type of GeoJSON (RFC 7946 §12).
pub const GEOJSON: &str = "application/geo+json";

/// A GeoJSON answer (a Feature or FeatureCollection): `T` serialised as JSON and sent
/// as `application/geo+json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GeoJson<T>(pub T);

impl<T: Serialize> IntoResponse for GeoJson<T> {
    fn into_response(self) -> Response {
        let mut response = axum::Json(self.0).into_response();
        // A body that failed to serialise is a plain-text 500: keep its type.
        if response.status().is_success() {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_geo_json_as_such() {
        let answer = GeoJson(serde_json::json!({"type": "FeatureCollection", "features": []}))
            .into_response();
        assert_eq!(answer.headers()[header::CONTENT_TYPE], GEOJSON);
    }
}
