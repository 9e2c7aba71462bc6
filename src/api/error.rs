//! `ApiError`: every failure the API answers with, as JSON
//! `{"error": {"code", "message", "details"?}}`. Internal failures are logged and
//! answered with a generic message: no internals, no record data.

use crate::auth::AuthError;
use crate::import::RecordError;
use crate::model::FieldError;
use crate::registry::RegistryError;
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Structured detail (field or record errors).
    pub details: Option<ErrorDetails>,
    /// Seconds to wait before trying again (429), sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

/// The body of every error answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`bad_request`, `not_found`, `unauthorized`,
    /// `forbidden`, `conflict`, `invalid_record`, `invalid_records`, `rate_limited` …).
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// Structured detail, where there is any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<ErrorDetails>,
}

/// Structured detail of an error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ErrorDetails {
    /// Every problem of an import, each naming its record and field.
    Records {
        /// The problems.
        errors: Vec<RecordError>,
    },
    /// Every problem of one record, each naming its field.
    Fields {
        /// The problems.
        errors: Vec<FieldError>,
    },
    /// The item of a batch that is wrong.
    Item {
        /// Its position in the batch (0-based).
        index: usize,
        /// The field at fault.
        field: String,
    },
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 401: credentials missing or wrong.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this needs you to sign in (POST /api/login) or a valid API token (Authorization: Bearer …)",
        )
    }

    /// 403: signed in, but the role does not allow this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 500 without internals; the cause goes to the log only.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the operator can find it in the server log",
        )
    }

    /// 422 with record-level errors (`{index, id, field, message}`).
    pub fn invalid_records(errors: Vec<RecordError>) -> Self {
        let count = errors.len();
        Self {
            details: Some(ErrorDetails::Records { errors }),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_records",
                format!("{count} problem(s) found; nothing was written"),
            )
        }
    }

    /// 422 with field errors of one record.
    pub fn invalid_record(errors: Vec<FieldError>) -> Self {
        Self {
            details: Some(ErrorDetails::Fields { errors }),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_record",
                "the record is invalid; nothing was written",
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                details: self.details,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => Self::not_found(format!("no facility with id {id:?}")),
            StoreError::NoAccount(name) => Self::not_found(format!("no account {name:?}")),
            StoreError::NoOrganisation(_) | StoreError::NoProposal(_) => {
                Self::not_found(e.to_string())
            }
            StoreError::NoReport(_) | StoreError::NoReferral(_) => Self::not_found(e.to_string()),
            StoreError::Decided { .. }
            | StoreError::Stale(_)
            | StoreError::ReportClosed(_)
            | StoreError::ReferralMoved { .. } => {
                Self::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            StoreError::Conflict(id) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("a facility with id {id:?} exists already; use PUT to change it"),
            ),
            other => Self::internal(&other),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::BadCredentials => {
                Self::new(StatusCode::UNAUTHORIZED, "bad_credentials", e.to_string())
            }
            AuthError::RateLimited(seconds) => Self {
                retry_after: Some(seconds),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", e.to_string())
            },
            AuthError::TrustedProxy(_) => Self::bad_request(e.to_string()),
            AuthError::OneTimePasswordPending(_) => Self::forbidden(e.to_string()),
            AuthError::InvalidUsername(_) | AuthError::WeakPassword(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
            }
            AuthError::Exists(_) => Self::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            AuthError::NoAccount(_) | AuthError::NoOrganisation(_) => {
                Self::not_found(e.to_string())
            }
            AuthError::EditorWithoutOrganisation => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
            }
            AuthError::Store(e) => e.into(),
        }
    }
}

impl From<crate::coordination::CoordinationError> for ApiError {
    fn from(e: crate::coordination::CoordinationError) -> Self {
        use crate::coordination::CoordinationError as E;
        match e {
            E::Forbidden(message) => Self::forbidden(message),
            E::Invalid(errors) => Self::invalid_record(errors),
            E::NotFound(message) => Self::not_found(message),
            E::Conflict(message) => Self::new(StatusCode::CONFLICT, "conflict", message),
            E::Registry(e) => e.into(),
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Invalid(errors) => Self::invalid_record(errors),
            RegistryError::Refused(message) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", message)
            }
            RegistryError::Records(errors) => Self::invalid_records(errors),
            RegistryError::Aborted(reason) => Self::internal(&reason),
            RegistryError::Store(e) => e.into(),
        }
    }
}
