//! `/api/v1/workflow-templates/{ns}` and `/api/v1/cluster-workflow-templates`:
//! Argo's stored templates, which workflows use through `templateRef` and
//! `workflowTemplateRef`.

use axum::{
    Extension, Json,
    extract::{Path, State},
};
use engine::templates::Scope;
use model::Principal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{ApiError, AppState};

/// `{"template": {...}}`, as Argo's create and update requests carry it.
#[derive(Deserialize)]
pub struct TemplateRequest {
    template: Value,
}

fn scope(namespace: &Option<String>) -> Scope<'_> {
    namespace.as_deref().map_or(Scope::Cluster, Scope::Namespace)
}

async fn put(
    state: &AppState,
    principal: &Principal,
    namespace: Option<String>,
    body: Value,
    replace: bool,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.engine.put_workflow_template(principal, scope(&namespace), body, replace).await?))
}

/// `POST /api/v1/workflow-templates/{ns}`.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(namespace): Path<String>,
    Json(request): Json<TemplateRequest>,
) -> Result<Json<Value>, ApiError> {
    put(&state, &principal, Some(namespace), request.template, false).await
}

/// `POST /api/v1/cluster-workflow-templates`.
pub async fn create_cluster(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Json(request): Json<TemplateRequest>,
) -> Result<Json<Value>, ApiError> {
    put(&state, &principal, None, request.template, false).await
}

/// `PUT /api/v1/workflow-templates/{ns}/{name}`.
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((namespace, name)): Path<(String, String)>,
    Json(mut request): Json<TemplateRequest>,
) -> Result<Json<Value>, ApiError> {
    request.template["metadata"]["name"] = json!(name);
    put(&state, &principal, Some(namespace), request.template, true).await
}

/// `PUT /api/v1/cluster-workflow-templates/{name}`.
pub async fn update_cluster(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    Json(mut request): Json<TemplateRequest>,
) -> Result<Json<Value>, ApiError> {
    request.template["metadata"]["name"] = json!(name);
    put(&state, &principal, None, request.template, true).await
}

/// `GET /api/v1/workflow-templates/{ns}`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(namespace): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let items = state.engine.workflow_templates(&principal, Scope::Namespace(&namespace)).await?;
    Ok(Json(json!({"metadata": {}, "items": items})))
}

/// `GET /api/v1/cluster-workflow-templates`.
pub async fn list_cluster(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<Value>, ApiError> {
    let items = state.engine.workflow_templates(&principal, Scope::Cluster).await?;
    Ok(Json(json!({"metadata": {}, "items": items})))
}

/// `GET /api/v1/workflow-templates/{ns}/{name}`.
pub async fn read(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.engine.workflow_template(&principal, Scope::Namespace(&namespace), &name).await?))
}

/// `GET /api/v1/cluster-workflow-templates/{name}`.
pub async fn read_cluster(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(state.engine.workflow_template(&principal, Scope::Cluster, &name).await?))
}

/// `DELETE /api/v1/workflow-templates/{ns}/{name}`.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    state.engine.delete_workflow_template(&principal, Scope::Namespace(&namespace), &name).await?;
    Ok(Json(json!({})))
}

/// `DELETE /api/v1/cluster-workflow-templates/{name}`.
pub async fn delete_cluster(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.engine.delete_workflow_template(&principal, Scope::Cluster, &name).await?;
    Ok(Json(json!({})))
}
