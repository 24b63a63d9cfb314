//! Liveness and readiness probes.

use axum::{extract::State, http::StatusCode};

use crate::AppState;

/// `/healthz`: the process serves HTTP.
pub async fn live() -> &'static str {
    "ok"
}

/// `/readyz`: the database answers and every migration has been applied.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.engine.store().is_ready().await {
        Ok(true) => (StatusCode::OK, "ready"),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
