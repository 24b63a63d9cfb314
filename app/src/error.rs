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
    /// A form was refused: each field's problem.
    #[error("{}", .0.iter().map(|p| format!("{}: {}", p.field, p.problem)).collect::<Vec<_>>().join("; "))]
    Fields(Vec<FieldProblem>),
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

/// A field a form was refused for: its key and the problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// e.g. `cpuLimit`, `gpus.num`, `datavols[0]`; empty for the form.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

#[cfg(feature = "ssr")]
impl From<engine::notebooks::FormError> for FieldProblem {
    fn from(e: engine::notebooks::FormError) -> Self {
        Self { field: e.field, problem: e.problem }
    }
}

impl AppError {
    /// The problems to show on a form: each field's, or the whole error
    /// as one that no field claims.
    pub fn field_problems(&self) -> Vec<FieldProblem> {
        match self {
            Self::Fields(problems) => problems.clone(),
            other => vec![FieldProblem { field: String::new(), problem: other.to_string() }],
        }
    }
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
            E::InvalidForm { problems } => Self::Fields(problems.into_iter().map(Into::into).collect()),
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
            Self::Invalid(_) | Self::Fields(_) | Self::ServerFn(_) => S::BAD_REQUEST,
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
