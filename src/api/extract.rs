//! Request extractors whose rejections are JSON [`ApiError`]s, and the caller's
//! identity.

use super::{ApiError, AppState};
use crate::auth::Signed;
use crate::model::{CredentialKind, Role};
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

/// An import's request body, collected into one buffer reserved from `Content-Length`
/// (trusted only up to the import limit): axum's `Bytes` gathers the chunks and then
/// copies them into one buffer, twice the body at the peak. Over the limit (declared or
/// counted) is a JSON 413.
pub struct ImportBody(pub Bytes);

impl FromRequest<AppState> for ImportBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        use tokio_stream::StreamExt;
        let limit = state.settings.max_import_bytes.max(super::MAX_BODY_BYTES);
        let too_large = || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "the request body is larger than this endpoint accepts",
            )
        };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(declared.unwrap_or(0));
        let mut chunks = req.into_body().into_data_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("cannot read the request body: {e}"),
                )
            })?;
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(ImportBody(Bytes::from(body)))
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "tirek_session";

/// Who is calling: an API token (`Authorization: Bearer …`), a session cookie, or
/// nobody (public). A wrong or revoked bearer token is a 401, not a silent downgrade;
/// an expired session cookie just means public (the browser signs in again).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The signed-in account, if any.
    pub signed: Option<Signed>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(ApiError::unauthorized)?;
            let signed = state
                .accounts
                .resolve(token, CredentialKind::Token)
                .await?
                .ok_or_else(ApiError::unauthorized)?;
            return Ok(Caller {
                signed: Some(signed),
            });
        }
        let Some(secret) = session_cookie(&parts.headers) else {
            return Ok(Caller { signed: None });
        };
        let signed = state
            .accounts
            .resolve(&secret, CredentialKind::Session)
            .await?;
        Ok(Caller { signed })
    }
}

/// The session secret from the `Cookie` header, if any.
pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

impl Caller {
    /// The caller's effective role: an account that must still change its one-time
    /// password has no more rights than the public.
    pub fn role(&self) -> Role {
        match &self.signed {
            Some(s) if !s.must_change => s.role,
            _ => Role::Public,
        }
    }

    /// Who is acting, for the stewardship rules (`crate::coordination`).
    pub fn steward(&self) -> crate::coordination::Steward<'_> {
        crate::coordination::Steward {
            username: self.actor(),
            role: self.role(),
            organisation: self.signed.as_ref().and_then(|s| s.organisation.as_deref()),
        }
    }

    /// What the caller may see of confidential records.
    pub fn viewer(&self) -> Viewer {
        Viewer::of(self.role())
    }

    /// Who to name in the audit log.
    pub fn actor(&self) -> &str {
        self.signed
            .as_ref()
            .map_or("public", |s| s.username.as_str())
    }

    /// Fails unless the caller signed in with a password (a session, not an API token):
    /// what only a person at the keyboard may do, such as issuing tokens. 401 when not
    /// signed in.
    pub fn require_session(&self) -> Result<(), ApiError> {
        match &self.signed {
            None => Err(ApiError::unauthorized()),
            Some(s) if s.kind != CredentialKind::Session => Err(ApiError::forbidden(
                "this needs a signed-in session (POST /api/login); an API token cannot do it",
            )),
            Some(_) => Ok(()),
        }
    }

    /// Fails unless the caller has at least `role`: 401 when not signed in, 403 when
    /// signed in with too small a role (or a one-time password still to change).
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        match &self.signed {
            None => Err(ApiError::unauthorized()),
            Some(s) if s.must_change => Err(ApiError::forbidden(
                "choose a new password first (POST /api/password): the current one is a one-time password",
            )),
            Some(s) if s.role < role => Err(ApiError::forbidden(format!(
                "this needs the {role} role; you are signed in as {}",
                s.role
            ))),
            Some(_) => Ok(()),
        }
    }
}

/// The client's address, for sign-in rate limiting: the connection's peer, or — when the
/// peer is one of the configured trusted proxies — the rightmost untrusted address in
/// `X-Forwarded-For`. `None` when the server runs without connection info (tests).
pub struct ClientAddr(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(peer) = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip())
        else {
            return Ok(ClientAddr(None));
        };
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| v.to_str().unwrap_or("invalid"));
        let client = state.settings.trusted_proxies.client(peer, forwarded);
        Ok(ClientAddr(Some(client.to_string())))
    }
}
