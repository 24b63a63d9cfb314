//! The one error type of the HTTP layer, in the JSON shape KFP clients read.

use axum::{
    Json,
    http::StatusCode,
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
    fn status_and_grpc_code(&self) -> (StatusCode, u16) {
        use engine::Error as E;
        match self {
            Self::BadRequest(_)
            | Self::Engine(
                E::InvalidName { .. } | E::InvalidRequest { .. } | E::InvalidSpec(_) | E::InvalidParameters { .. },
            ) => (StatusCode::BAD_REQUEST, 3),
            Self::Engine(E::FailedPrecondition { .. }) => (StatusCode::BAD_REQUEST, 9),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, 8),
            Self::NotFound(_) | Self::Engine(E::NotFound { .. }) => (StatusCode::NOT_FOUND, 5),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 13),
            Self::Engine(E::AlreadyExists { .. }) => (StatusCode::CONFLICT, 6),
            Self::Engine(E::Forbidden { .. }) => (StatusCode::FORBIDDEN, 7),
            Self::Engine(_) => (StatusCode::INTERNAL_SERVER_ERROR, 13),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_grpc_code();
        let message = if status.is_server_error() {
            // Logged once, here; the client gets no internals.
            tracing::error!(error = %self, "request failed");
            "internal error; details are in the server log".to_owned()
        } else {
            self.to_string()
        };
        let body = ErrorBody { error: &message, code, message: &message, details: [] };
        (status, Json(body)).into_response()
    }
}
