//! Request extractors whose rejections are JSON [`ApiError`]s, and the caller's
//! identity.

use super::{ApiError, AppState};
use crate::visibility::Viewer;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use std::collections::HashMap;

/// Query parameters as a map; a repeated parameter is an error.
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| ApiError::bad_request(format!("unreadable query string: {e}")))?;
        let mut map = HashMap::new();
        for (k, v) in pairs {
            if map.insert(k.clone(), v).is_some() {
                return Err(ApiError::bad_request(format!(
                    "parameter {k:?} is given twice; give one value (lists are comma-separated)"
                )));
            }
        }
        Ok(Params(map))
    }
}

impl Params {
    /// A parameter's value, if present and non-empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A parameter parsed as `T`, with an error naming it.
    pub fn parse<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, ApiError>
    where
        T::Err: std::fmt::Display,
    {
        self.get(key)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| ApiError::bad_request(format!("parameter {key}={v:?}: {e}")))
            })
            .transpose()
    }

    /// A required finite number.
    pub fn number(&self, key: &str) -> Result<f64, ApiError> {
        let value: f64 = self
            .parse(key)?
            .ok_or_else(|| ApiError::bad_request(format!("parameter {key} is required")))?;
        if value.is_finite() {
            Ok(value)
        } else {
            Err(ApiError::bad_request(format!(
                "parameter {key} must be a finite number"
            )))
        }
    }

    /// A boolean flag: `true`/`1`/`yes` or `false`/`0`/`no`; absent is false.
    pub fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.get(key) {
            None => Ok(false),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(v) => Err(ApiError::bad_request(format!(
                "parameter {key}={v:?}: expected true or false"
            ))),
        }
    }

    /// Rejects parameters outside `known`, so a typo does not silently widen a search.
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        let mut unknown: Vec<&str> = self
            .0
            .keys()
            .map(String::as_str)
            .filter(|k| !known.contains(k))
            .collect();
        unknown.sort_unstable();
        match unknown.first() {
            None => Ok(()),
            Some(k) => Err(ApiError::bad_request(format!(
                "unknown parameter {k:?}; known: {}",
                known.join(", ")
            ))),
        }
    }
}

/// The raw request body, with a JSON 413 when it exceeds the route's limit.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(|e| {
                let status = e.status();
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        status,
                        "payload_too_large",
                        "the request body is larger than this endpoint accepts",
                    )
                } else {
                    ApiError::new(
                        status,
                        "bad_request",
                        format!("cannot read the request body: {e}"),
                    )
                }
            })
    }
}

/// Who is calling: authorised with the configured bearer token, otherwise public.
pub struct Caller(pub Viewer);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Caller(Viewer::Public));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        match &state.settings.write_token {
            Some(expected) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => {
                Ok(Caller(Viewer::Authorised))
            }
            // A wrong token is an error, not a silent downgrade to public.
            _ => Err(ApiError::unauthorized()),
        }
    }
}

impl Caller {
    /// Fails with 401 unless the caller may write.
    pub fn require_writer(&self) -> Result<(), ApiError> {
        match self.0 {
            Viewer::Authorised => Ok(()),
            Viewer::Public => Err(ApiError::unauthorized()),
        }
    }
}

/// Compares secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}
