//! Experiments: create, get, list, archive, unarchive, delete.

use axum::{
    Extension, Json,
    extract::{Path, State},
};
use model::Principal;
use serde_json::Value;

use super::{
    custom_method,
    extract::{Body, ListParams, Params},
    namespace_or_default,
    wire::{self, ExperimentJson},
};
use crate::{ApiError, AppState};

/// `POST /experiments`.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Body(body): Body<ExperimentJson>,
) -> Result<Json<ExperimentJson>, ApiError> {
    let namespace = namespace_or_default(&body.namespace);
    let created = state.engine.create_experiment(&principal, namespace, &body.display_name, &body.description).await?;
    Ok(Json(created.into()))
}

/// `GET /experiments`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Params(params): Params<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let page = state.engine.list_experiments(&principal, params.namespace(), &params.options()).await?;
    Ok(Json(wire::page::<_, ExperimentJson>("experiments", page)))
}

/// `GET /experiments/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<ExperimentJson>, ApiError> {
    Ok(Json(state.engine.experiment(&principal, &id).await?.into()))
}

/// `DELETE /experiments/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.engine.delete_experiment(&principal, &id).await?;
    Ok(super::done())
}

/// `POST /experiments/{id}:archive` and `:unarchive`.
pub async fn act(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(segment): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let archived = match custom_method(&segment) {
        (id, Some("archive")) => (id, true),
        (id, Some("unarchive")) => (id, false),
        _ => return Err(ApiError::NotFound(format!("no such method: POST /apis/v2beta1/experiments/{segment}"))),
    };
    state.engine.archive_experiment(&principal, archived.0, archived.1).await?;
    Ok(super::done())
}
