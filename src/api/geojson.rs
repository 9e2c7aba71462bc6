//! GeoJSON answers are sent as `application/geo+json` (RFC 7946 §12), every other JSON
//! answer as `application/json`; answers of a known typical size are written into a
//! buffer of that size at once.

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

/// A JSON answer whose typical size is known: `T` serialised into a buffer of
/// `CAPACITY` bytes from the start. The nearest answer (six sectors, ≈ 6 KB) otherwise
/// grows axum's 128-byte buffer six times, copying it each time, on the busiest path.
#[derive(Debug, Clone, Copy, Default)]
pub struct SizedJson<T, const CAPACITY: usize>(pub T);

impl<T: Serialize, const CAPACITY: usize> IntoResponse for SizedJson<T, CAPACITY> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(CAPACITY);
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            // As axum's Json does: a body that cannot be written is the server's fault.
            Err(e) => super::ApiError::internal(&e).into_response(),
        }
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

    #[tokio::test]
    async fn a_sized_answer_is_the_same_json() {
        use http_body_util::BodyExt;
        let value = serde_json::json!({"results": [{"sector": "health", "distance_m": 1.5}]});
        let answer = SizedJson::<_, 16>(&value).into_response();
        assert_eq!(answer.headers()[header::CONTENT_TYPE], "application/json");
        let bytes = answer.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(bytes, serde_json::to_vec(&value).unwrap());
    }
}
