//! Signing in and out, the caller's identity, password changes, API tokens, and the
//! admin's views of accounts and the audit log.

use super::extract::{Body, Caller, ClientAddr, Params, SESSION_COOKIE, session_cookie};
use super::{ApiError, AppState, ErrorBody};
use crate::auth::{SESSION_HOURS, Signed};
use crate::model::Role;
use crate::store::AuditEntry;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// Body of `POST /api/login`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Account name.
    username: String,
    /// Password (or the one-time password).
    password: String,
}

/// Body of `POST /api/password`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The current (or one-time) password.
    current: String,
    /// The new password: at least 12 characters, not containing the user name.
    new: String,
}

/// Body of `POST /api/tokens`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// What the token is for (shown in the audit log).
    label: String,
}

fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body: {e}")))
}

/// The `Set-Cookie` value for a session secret (empty secret: remove the cookie).
fn cookie(headers: &HeaderMap, secure: bool, secret: &str) -> HeaderValue {
    let over_tls = secure
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let max_age = if secret.is_empty() {
        0
    } else {
        SESSION_HOURS * 3600
    };
    let value = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if over_tls { "; Secure" } else { "" }
    );
    // The secret is URL-safe base64, so the value is always a valid header.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The answer to a successful sign-in: who you are, and the session cookie.
fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    (secret, signed): (String, Signed),
) -> Response {
    let mut response = Json(me_json(&signed)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(headers, state.settings.secure_cookies, &secret),
    );
    response
}

/// Who the caller is.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    /// Whether the caller is signed in (session or API token).
    signed_in: bool,
    /// The account's name (signed in only).
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    /// The role: `public` when not signed in.
    role: Role,
    /// Whether the account must still replace its one-time password (signed in only).
    #[serde(skip_serializing_if = "Option::is_none")]
    must_change_password: Option<bool>,
    /// The organisation the account belongs to (an agency editor's; absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    organisation: Option<String>,
}

fn me_json(signed: &Signed) -> Me {
    Me {
        signed_in: true,
        username: Some(signed.username.clone()),
        role: signed.role,
        must_change_password: Some(signed.must_change),
        organisation: signed.organisation.clone(),
    }
}

/// A new API token (shown once).
#[derive(Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    /// The token: send it as `Authorization: Bearer …`. Only its digest is kept.
    token: String,
    /// The account it acts for.
    username: String,
    /// The account's role.
    role: Role,
}

/// One account, as admins see the list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AccountRow {
    /// User name.
    username: String,
    /// What the account may do.
    role: Role,
    /// Whether a one-time password is still to be replaced.
    must_change_password: bool,
    /// When the account was created (RFC 3339).
    created_at: String,
}

/// A page of the audit log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// The entries, oldest first.
    entries: Vec<AuditEntry>,
    /// The id to pass as `after` for the next page; null when this page is empty.
    next_after: Option<i64>,
}

/// Signs in with a password: sets the session cookie (HttpOnly, SameSite=Strict,
/// Secure under TLS) and answers who you are. Failed attempts are limited per (address,
/// name), per address and per name (README, "Sign-in limits"); a locked attempt is a 429.
#[utoipa::path(post, path = "/api/login", request_body = LoginBody,
    responses((status = 200, description = "who you are, and a session cookie", body = Me),
              (status = 401, description = "wrong user name or password", body = ErrorBody),
              (status = 429, description = "too many failed attempts (Retry-After)", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let LoginBody { username, password } = json_body(&body)?;
    let session = state
        .accounts
        .sign_in(&username, &password, client.as_deref())
        .await?;
    Ok(signed_in(&state, &headers, session))
}

/// Signs out: ends the session and removes the cookie.
#[utoipa::path(post, path = "/api/logout", responses((status = 204, description = "signed out")))]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(secret) = session_cookie(&headers) {
        state.accounts.sign_out(&secret).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&headers, state.settings.secure_cookies, ""),
    );
    Ok(response)
}

/// Who the caller is: `{signed_in: false, role: "public"}` or the account.
#[utoipa::path(get, path = "/api/me", responses((status = 200, description = "who the caller is", body = Me)))]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(match &caller.signed {
        Some(s) => me_json(s),
        None => Me {
            signed_in: false,
            username: None,
            role: Role::Public,
            must_change_password: None,
            organisation: None,
        },
    })
}

/// Changes the caller's password (also the way out of a one-time password). Every
/// session of the account ends; the browser gets a fresh one. Wrong current passwords
/// count toward the sign-in limits.
#[utoipa::path(post, path = "/api/password", request_body = PasswordBody,
    responses((status = 200, description = "changed; a new session cookie", body = Me),
              (status = 401, description = "not signed in, or the current password is wrong", body = ErrorBody),
              (status = 422, description = "the new password is too weak", body = ErrorBody),
              (status = 429, description = "too many wrong passwords, here or at sign-in (Retry-After)", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let Some(signed) = caller.signed else {
        return Err(ApiError::unauthorized());
    };
    let PasswordBody { current, new } = json_body(&body)?;
    let session = state
        .accounts
        .change_password(&signed.username, &current, &new, client.as_deref())
        .await?;
    Ok(signed_in(&state, &headers, session))
}

/// Issues an API token for the signed-in caller (shown once; only its digest is kept).
/// Needs a session: a token cannot mint tokens. A password or role change revokes the
/// account's tokens.
#[utoipa::path(post, path = "/api/tokens", request_body = TokenBody,
    responses((status = 201, description = "the token, shown once", body = IssuedToken),
              (status = 401, description = "not signed in", body = ErrorBody),
              (status = 403, description = "one-time password still to change, or called with an API token", body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Body(body): Body,
) -> Result<Response, ApiError> {
    caller.require_session()?;
    caller.require(Role::Caseworker)?;
    let TokenBody { label } = json_body(&body)?;
    if label.trim().is_empty() || label.len() > 200 {
        return Err(ApiError::bad_request(
            "label: 1–200 characters saying what the token is for",
        ));
    }
    let token = state
        .accounts
        .issue_token(caller.actor(), &label, caller.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            token,
            username: caller.actor().to_string(),
            role: caller.role(),
        }),
    )
        .into_response())
}

/// Every account (admins only): name, role, whether a one-time password is pending.
#[utoipa::path(get, path = "/api/users",
    responses((status = 200, description = "every account", body = [AccountRow]),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "not an admin", body = ErrorBody)))]
pub async fn users(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Vec<AccountRow>>, ApiError> {
    caller.require(Role::Admin)?;
    let accounts = state.accounts.list().await?;
    Ok(Json(
        accounts
            .into_iter()
            .map(|a| AccountRow {
                created_at: crate::model::format_timestamp(&a.created_at),
                username: a.username,
                role: a.role,
                must_change_password: a.must_change,
            })
            .collect(),
    ))
}

/// The audit log (admins only): every write with who, when, and the record before and
/// after. `after` (an entry id) and `limit` (≤ 10,000) page through it; `format=csv`
/// exports it.
#[utoipa::path(get, path = "/api/audit",
    params(("after" = Option<i64>, Query, description = "entries after this id (default 0)"),
           ("limit" = Option<i64>, Query, description = "at most this many (default 1000, max 10000)"),
           ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, description = "a page of the log, or all of it as CSV with `format=csv`", body = AuditPage),
              (status = 401, description = "not signed in", body = ErrorBody), (status = 403, description = "not an admin", body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    params: Params,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    params.only(&["after", "limit", "format"])?;
    let after: i64 = params.parse("after")?.unwrap_or(0);
    let limit: i64 = params.parse("limit")?.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) || after < 0 {
        return Err(ApiError::bad_request(
            "limit must be 1..10000 and after ≥ 0",
        ));
    }
    let entries = state.registry.store().audit_log(after, limit).await?;
    match params.get("format").unwrap_or("json") {
        "json" => {
            let next = entries.last().map(|e| e.id);
            Ok(Json(AuditPage {
                entries,
                next_after: next,
            })
            .into_response())
        }
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"tirek-audit.csv\"",
                ),
            ],
            crate::export::audit_csv(&entries).map_err(|e| ApiError::internal(&e))?,
        )
            .into_response()),
        other => Err(ApiError::bad_request(format!(
            "format={other:?}: expected json or csv"
        ))),
    }
}
