//! The one place where failures become HTTP responses: `{"error": <reason phrase>, "message": <what to do>}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ringway_provider::ProviderError;
use serde::Serialize;

/// An API failure with its status code and a message a person can act on.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "authentication required: send a Bearer token from /api/v2/token or an X-SFTPGO-API-KEY header",
        )
    }
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }
    pub(crate) fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(cause = %cause, "admin API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; the server log has the details",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.status.canonical_reason().unwrap_or("Error"),
            message: &self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<ProviderError> for ApiError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::NotFound(m) => Self::not_found(m),
            ProviderError::Conflict(m) => Self::new(StatusCode::CONFLICT, m),
            ProviderError::Invalid { field, message } => {
                Self::bad_request(format!("invalid field {field:?}: {message}"))
            }
            ProviderError::Config(_)
            | ProviderError::Open { .. }
            | ProviderError::Migration(_)
            | ProviderError::Database(_)
            | ProviderError::Internal(_) => Self::internal(&e),
        }
    }
}

impl From<ringway_model::FieldError> for ApiError {
    fn from(e: ringway_model::FieldError) -> Self {
        Self::bad_request(e.to_string())
    }
}

impl From<ringway_model::ValidationError> for ApiError {
    fn from(e: ringway_model::ValidationError) -> Self {
        Self::bad_request(e.to_string())
    }
}

/// The result type of handlers.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
