//! `/api/namespaces`: list and create namespaces.

use axum::{Extension, Json, extract::State, http::StatusCode};
use model::{Namespace, Principal};
use serde::Deserialize;

use crate::{ApiError, AppState};

/// Body of `POST /api/namespaces`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateNamespace {
    name: String,
}

/// `GET /api/namespaces`: the namespaces the caller may see.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<Vec<Namespace>>, ApiError> {
    Ok(Json(state.engine.list_namespaces(&principal).await?))
}

/// `POST /api/namespaces`: creates one; 201 with the namespace.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(body): Json<CreateNamespace>,
) -> Result<(StatusCode, Json<Namespace>), ApiError> {
    let namespace = state.engine.create_namespace(&principal, &body.name).await?;
    Ok((StatusCode::CREATED, Json(namespace)))
}
