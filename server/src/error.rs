//! The one error type of the HTTP layer, in the JSON shape KFP clients read.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

/// A failed API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] engine::Error),
    /// The request itself is malformed; the message names what is wrong.
    #[error("{0}")]
    BadRequest(String),
    /// The request body or the package in it is too large.
    #[error("{0}")]
    TooLarge(String),
    /// No such route or method.
    #[error("{0}")]
    NotFound(String),
    /// Something failed on our side; the message goes to the log only.
    #[error("{0}")]
    Internal(String),
}

/// What a write answers while the disk is full.
pub(crate) const STORAGE_FULL: &str = "storage is full: the data directory's disk has no space left; reads still work, \
     writes are refused until space is freed";

/// `{"error", "code", "message", "details"}`, as KFP's API server answers;
/// `code` is the gRPC status code.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    code: u16,
    message: &'a str,
    details: [(); 0],
}

impl ApiError {
    /// The HTTP status, and what the client is told: the message, or for
    /// server errors a line pointing at the log (where it is written once, here).
    pub(crate) fn status_and_message(&self) -> (StatusCode, String) {
        let (status, _) = self.status_and_grpc_code();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %self, "database busy");
            return (status, "the database is busy; try again in a few seconds".to_owned());
        }
        if status == StatusCode::INSUFFICIENT_STORAGE {
            tracing::error!(error = %self, "storage full");
            return (status, STORAGE_FULL.to_owned());
        }
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            (status, "internal error; details are in the server log".to_owned())
        } else {
            (status, self.to_string())
        }
    }

    fn status_and_grpc_code(&self) -> (StatusCode, u16) {
        use engine::Error as E;
        match self {
            Self::BadRequest(_)
            | Self::Engine(
                E::InvalidName { .. }
                | E::InvalidDisplayName { .. }
                | E::InvalidRequest { .. }
                | E::InvalidForm { .. }
                | E::InvalidSpec(_)
                | E::InvalidParameters { .. },
            ) => (StatusCode::BAD_REQUEST, 3),
            Self::Engine(E::FailedPrecondition { .. }) => (StatusCode::BAD_REQUEST, 9),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, 8),
            Self::NotFound(_) | Self::Engine(E::NotFound { .. }) => (StatusCode::NOT_FOUND, 5),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 13),
            Self::Engine(E::AlreadyExists { .. }) => (StatusCode::CONFLICT, 6),
            Self::Engine(E::Forbidden { .. }) => (StatusCode::FORBIDDEN, 7),
            Self::Engine(e) if e.is_busy() => (StatusCode::SERVICE_UNAVAILABLE, 14),
            Self::Engine(e) if e.is_storage_full() => (StatusCode::INSUFFICIENT_STORAGE, 8),
            Self::Engine(_) => (StatusCode::INTERNAL_SERVER_ERROR, 13),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (_, code) = self.status_and_grpc_code();
        let (status, message) = self.status_and_message();
        let body = ErrorBody { error: &message, code, message: &message, details: [] };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        response
    }
}
