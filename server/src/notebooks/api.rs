//! `/api/namespaces/{ns}/notebooks`, `/api/config`, `/api/gpus`: the
//! paths and JSON keys of Kubeflow's Jupyter web app, whose answers are
//! `{"success", "status", "user", ...}` and whose refusals carry `log`.

use axum::{
    Extension, Json,
    extract::{Path, State, rejection::JsonRejection},
    response::{IntoResponse, Response},
};
use engine::notebooks::{Notebook, NotebookForm};
use model::Principal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{AppState, error::ApiError};

/// A refusal as the web app sends it: `{"success": false, "status", "log"}`,
/// with the status the rest of the API gives the same error.
#[derive(Debug)]
pub struct NotebookError(ApiError);

impl From<engine::Error> for NotebookError {
    fn from(error: engine::Error) -> Self {
        Self(error.into())
    }
}

impl IntoResponse for NotebookError {
    fn into_response(self) -> Response {
        let (status, log) = self.0.status_and_message();
        (status, Json(json!({"success": false, "status": status.as_u16(), "log": log}))).into_response()
    }
}

/// The JSON body, or a refusal saying what is wrong with it.
fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, NotebookError> {
    body.map(|Json(t)| t).map_err(|e| NotebookError(ApiError::BadRequest(e.body_text())))
}

fn ok(principal: &Principal, fields: Value) -> Json<Value> {
    let mut body = json!({"success": true, "status": 200, "user": principal.name});
    if let (Some(body), Value::Object(fields)) = (body.as_object_mut(), fields) {
        body.extend(fields);
    }
    Json(body)
}

/// A notebook as the web app's list shows it. The token never leaves.
fn describe(notebook: &Notebook) -> Value {
    let spec = &notebook.spec;
    let short_image = spec.image.rsplit('/').next().unwrap_or(&spec.image);
    let volumes: Vec<&str> = spec.workspace.iter().chain(&spec.data_volumes).map(|v| v.name.as_str()).collect();
    json!({
        "name": notebook.name,
        "namespace": notebook.namespace,
        "serverType": spec.server_type,
        "image": spec.image,
        "shortImage": short_image,
        "cpu": format!("{}m", spec.cpu_milli),
        "cpuLimit": format!("{}m", spec.cpu_limit_milli),
        "memory": format!("{}Mi", spec.memory_bytes / (1 << 20)),
        "memoryLimit": format!("{}Mi", spec.memory_limit_bytes / (1 << 20)),
        "gpus": {"count": spec.gpus, "message": if spec.gpus == 0 { String::new() } else { format!("{} {}", spec.gpus, spec.gpu_vendor) }},
        "volumes": volumes,
        "configurations": spec.configurations,
        "shm": spec.shm,
        "status": {"phase": notebook.phase, "message": notebook.message, "state": ""},
        "stopped": notebook.stopped,
        "age": notebook.created_at.to_rfc3339(),
        "last_activity": notebook.last_activity.map(|t| t.to_rfc3339()),
        "url": format!("/notebook/{}/{}/", notebook.namespace, notebook.name),
        "metadata": {"name": notebook.name, "namespace": notebook.namespace, "creationTimestamp": notebook.created_at.to_rfc3339()},
    })
}

/// `GET /api/config`: the spawner config the form is built from.
pub async fn config(State(state): State<AppState>, Extension(principal): Extension<Principal>) -> Json<Value> {
    ok(&principal, json!({"config": state.notebooks.config()}))
}

/// `GET /api/gpus`: the GPU vendors this machine has.
pub async fn gpus(State(state): State<AppState>, Extension(principal): Extension<Principal>) -> Json<Value> {
    let (free, total) = state.notebooks.gpus();
    let installed: Vec<&str> = if total > 0 { vec!["nvidia.com/gpu"] } else { Vec::new() };
    ok(&principal, json!({"vendors": installed, "free": free}))
}

/// `GET /api/namespaces/{ns}/notebooks`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(ns): Path<String>,
) -> Result<Json<Value>, NotebookError> {
    let notebooks = state.engine.list_notebooks(&principal, &ns).await?;
    Ok(ok(&principal, json!({"notebooks": notebooks.iter().map(describe).collect::<Vec<_>>()})))
}

/// `GET /api/namespaces/{ns}/notebooks/{name}`.
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((ns, name)): Path<(String, String)>,
) -> Result<Json<Value>, NotebookError> {
    let notebook = state.engine.notebook(&principal, &ns, &name).await?;
    Ok(ok(&principal, json!({"notebook": describe(&notebook)})))
}

/// `POST /api/namespaces/{ns}/notebooks` with the spawner form.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(ns): Path<String>,
    form: Result<Json<NotebookForm>, JsonRejection>,
) -> Result<Json<Value>, NotebookError> {
    let notebook = state.notebooks.create(&principal, &ns, &body(form)?).await?;
    Ok(ok(&principal, json!({"message": "Notebook created successfully.", "notebook": describe(&notebook)})))
}

/// Body of `PATCH`: `{"stopped": true|false}`.
#[derive(Deserialize)]
pub struct Patch {
    stopped: bool,
}

/// `PATCH /api/namespaces/{ns}/notebooks/{name}`: stop or start.
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((ns, name)): Path<(String, String)>,
    patch: Result<Json<Patch>, JsonRejection>,
) -> Result<Json<Value>, NotebookError> {
    let notebook = state.notebooks.set_stopped(&principal, &ns, &name, body(patch)?.stopped).await?;
    Ok(ok(&principal, json!({"notebook": describe(&notebook)})))
}

/// `DELETE /api/namespaces/{ns}/notebooks/{name}`; volumes stay.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((ns, name)): Path<(String, String)>,
) -> Result<Json<Value>, NotebookError> {
    state.notebooks.delete(&principal, &ns, &name).await?;
    Ok(ok(&principal, json!({"message": "Notebook deleted successfully."})))
}
