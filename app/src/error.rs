//! The error type every server function returns.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// What a server function can fail with, as the browser sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The object does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The request was malformed; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The object exists already.
    #[error("{0}")]
    Conflict(String),
    /// Something failed on the server; details are in the server's log.
    #[error("the server could not complete the request; details are in its log")]
    Internal,
    /// Transport or encoding failure between browser and server.
    #[error("{0}")]
    ServerFn(ServerFnErrorErr),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::ServerFn(value)
    }
}

#[cfg(feature = "ssr")]
impl From<engine::Error> for AppError {
    fn from(error: engine::Error) -> Self {
        use engine::Error as E;
        let app_error = match error {
            E::NotFound { .. } => Self::NotFound(error.to_string()),
            E::Forbidden { .. } => Self::Forbidden(error.to_string()),
            E::InvalidName { .. }
            | E::InvalidRequest { .. }
            | E::InvalidSpec(_)
            | E::InvalidParameters { .. }
            | E::FailedPrecondition { .. } => Self::Invalid(error.to_string()),
            E::AlreadyExists { .. } => Self::Conflict(error.to_string()),
            other => {
                tracing::error!(error = %other, "server function failed");
                Self::Internal
            }
        };
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(app_error.status());
        }
        app_error
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The HTTP status a server function answers with when it fails so.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::NotFound(_) => S::NOT_FOUND,
            Self::Forbidden(_) => S::FORBIDDEN,
            Self::Invalid(_) | Self::ServerFn(_) => S::BAD_REQUEST,
            Self::Conflict(_) => S::CONFLICT,
            Self::Internal => S::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Server-side helpers for server functions.
#[cfg(feature = "ssr")]
pub mod ssr {
    use super::AppError;
    use model::Principal;

    /// The engine, provided by the server to every request's context.
    pub fn engine() -> Result<engine::Engine, AppError> {
        leptos::prelude::use_context::<engine::Engine>().ok_or_else(|| {
            tracing::error!("engine missing from the request context");
            AppError::Internal
        })
    }

    /// The runner, provided by the server to every request's context.
    pub fn runner() -> Result<engine::runs::Runner, AppError> {
        leptos::prelude::use_context::<engine::runs::Runner>().ok_or_else(|| {
            tracing::error!("runner missing from the request context");
            AppError::Internal
        })
    }

    /// The authenticated caller, put on the request by the server's
    /// authentication layer. A request without one is refused.
    pub fn principal() -> Result<Principal, AppError> {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Principal>().cloned())
            .ok_or_else(|| AppError::Forbidden("not signed in".to_owned()))
    }
}
