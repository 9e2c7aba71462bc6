//! Answers the server makes itself rather than a handler: a 404 or 405 from the static
//! files, a 416 from a Range request, the timeout's 503, a 414 for an overlong URI. Each
//! gets the API's JSON error body, `{"error": {"code", "message"}}`, like every other
//! error, so a client never has to cope with an empty or HTML body.
//!
//! Requests the HTTP parser itself cannot read (a malformed request line, a URI over
//! 64 KiB, a header block over its buffer) are answered by hyper before any of this runs,
//! with an empty body; [`uri_limit`] keeps the URIs this server accepts far below that
//! so an overlong one gets the JSON 414.

use super::ApiError;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Longest accepted path and query, bytes (nginx's default header buffer is 8 KiB).
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Refuses a path and query longer than [`MAX_URI_BYTES`] with a JSON 414.
pub async fn uri_limit(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |pq| pq.as_str().len());
    if length > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the URI has {length} bytes; at most {MAX_URI_BYTES} are accepted"),
        )
        .into_response();
    }
    next.run(request).await
}

/// Gives an error answer without a body type (made by a layer or a file service, not
/// by a handler) the JSON error body for its status, keeping its other headers (`Allow`,
/// `Content-Range`, `Retry-After`).
pub async fn json_body(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "nothing here"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this resource does not take that method",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "payload_too_large",
            "the request body is larger than this endpoint accepts",
        ),
        StatusCode::URI_TOO_LONG => ("uri_too_long", "the URI is too long"),
        StatusCode::RANGE_NOT_SATISFIABLE => (
            "range_not_satisfiable",
            "the requested range is outside the file",
        ),
        StatusCode::REQUEST_TIMEOUT | StatusCode::SERVICE_UNAVAILABLE => (
            "unavailable",
            "the request took too long or the server is busy; try again later",
        ),
        s if s.is_server_error() => (
            "internal",
            "internal error; the operator can find it in the server log",
        ),
        _ => ("bad_request", "the request was refused"),
    };
    let (parts, _) = response.into_parts();
    let mut answer = ApiError::new(status, code, message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
            answer.headers_mut().append(name.clone(), value.clone());
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn bare_errors_get_the_json_body_and_keep_their_headers() {
        for (status, code) in [
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            (StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable"),
            (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        ] {
            let bare = Response::builder()
                .status(status)
                .header(header::CONTENT_RANGE, "bytes */10")
                .header(header::CONTENT_LENGTH, "0")
                .body(Body::empty())
                .unwrap();
            let answer = json_body(bare).await;
            assert_eq!(answer.status(), status);
            assert_eq!(answer.headers()[header::CONTENT_TYPE], "application/json");
            assert_eq!(answer.headers()[header::CONTENT_RANGE], "bytes */10");
            assert!(answer.headers().get(header::CONTENT_LENGTH).is_none());
            let bytes = answer.into_body().collect().await.unwrap().to_bytes();
            let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(json["error"]["code"], code);
        }
        // Answers with a body of their own, and successes, are left alone.
        let own = ApiError::bad_request("mine").into_response();
        let kept = json_body(own).await;
        let bytes = kept.into_body().collect().await.unwrap().to_bytes();
        assert!(String::from_utf8_lossy(&bytes).contains("mine"));
        let ok = json_body(Response::new(Body::from("x"))).await;
        assert!(ok.headers().get(header::CONTENT_TYPE).is_none());
    }
}
