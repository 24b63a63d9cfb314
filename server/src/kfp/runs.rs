//! Runs: create, get, list, terminate, retry, archive, unarchive, delete;
//! reading an output artifact and a step's logs.

use std::io::Write;

use axum::{
    Extension, Json,
    extract::{Path, State},
    http::header,
    response::IntoResponse,
};
use base64::Engine as _;
use engine::runs::NewRun;
use model::Principal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    custom_method,
    extract::{Body, ListParams, Params},
    namespace_or_default,
    wire::{self, RunJson},
};
use crate::{ApiError, AppState};

/// Query of `POST /runs`: KFP's older clients name the experiment here.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreateParams {
    experiment_id: String,
}

/// `POST /runs`: validates, commits and starts a run; answers with it.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Params(params): Params<CreateParams>,
    Body(body): Body<RunJson>,
) -> Result<Json<RunJson>, ApiError> {
    let source = super::run_source(body.pipeline_spec, body.pipeline_version_reference, "a run")?;
    let experiment_id = Some(body.experiment_id).filter(|e| !e.is_empty()).or(Some(params.experiment_id));
    let namespace = super::scope_namespace(&state, &principal, experiment_id.as_deref(), "").await?;
    let new = NewRun {
        namespace,
        display_name: body.display_name,
        description: body.description,
        experiment_id,
        source,
        parameters: body.runtime_config.parameters,
        pipeline_root: body.runtime_config.pipeline_root,
    };
    Ok(Json(state.runner.submit(&principal, new).await?.into()))
}

/// `GET /runs`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Params(params): Params<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let namespace = super::scope_namespace(&state, &principal, params.experiment(), &params.namespace).await?;
    let page = state.engine.list_runs(&principal, &namespace, params.experiment(), &params.options()).await?;
    Ok(Json(wire::page::<_, RunJson>("runs", page)))
}

/// `GET /runs/{id}`, with its tasks.
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<RunJson>, ApiError> {
    Ok(Json(state.engine.run_record(&principal, &id).await?.into()))
}

/// `DELETE /runs/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.runner.delete(&principal, &id).await?;
    Ok(super::done())
}

/// `POST /runs/{id}:terminate`, `:retry`, `:archive`, `:unarchive`, and
/// `:resume` for suspended steps.
pub async fn act(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(segment): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let runner = &state.runner;
    match custom_method(&segment) {
        (id, Some("terminate")) => runner.terminate(&principal, id).await?,
        // Not in KFP's API: resumes suspended steps (Argo `suspend`).
        (id, Some("resume")) => runner.resume_suspended(&principal, id, Default::default()).await?,
        (id, Some("retry")) => runner.retry(&principal, id).await?,
        (id, Some("archive")) => runner.archive(&principal, id, true).await?,
        (id, Some("unarchive")) => runner.archive(&principal, id, false).await?,
        _ => return Err(ApiError::NotFound(format!("no such method: POST /apis/v2beta1/runs/{segment}"))),
    }
    Ok(super::done())
}

/// `GET /runs/{run_id}/nodes/{node_id}/artifacts/{name}:read`: the
/// artifact as KFP serves it, a base64 `.tar.gz` holding the file.
pub async fn read_artifact(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((run_id, node_id, segment)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let name = match custom_method(&segment) {
        (name, Some("read")) => name,
        _ => return Err(ApiError::NotFound(format!("no such method: GET .../artifacts/{segment}"))),
    };
    let file = state.runner.artifact_file(&principal, &run_id, &node_id, name).await?;
    let data =
        tokio::task::spawn_blocking(move || archive(&file)).await.map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(json!({"data": base64::engine::general_purpose::STANDARD.encode(data)})))
}

/// Largest artifact served through `:read` (it is base64 in a JSON body).
const MAX_READ_ARTIFACT_BYTES: u64 = 64 * 1024 * 1024;

fn archive(file: &std::path::Path) -> Result<Vec<u8>, ApiError> {
    let meta = std::fs::metadata(file).map_err(|e| ApiError::Internal(format!("{}: {e}", file.display())))?;
    if meta.len() > MAX_READ_ARTIFACT_BYTES {
        return Err(ApiError::TooLarge(format!(
            "the artifact is {} bytes; :read serves at most {MAX_READ_ARTIFACT_BYTES}",
            meta.len()
        )));
    }
    let mut out = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    {
        let mut tar = tar::Builder::new(&mut out);
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "artifact".into());
        let io = |e: std::io::Error| ApiError::Internal(e.to_string());
        if meta.is_dir() {
            tar.append_dir_all(&name, file).map_err(io)?;
        } else {
            tar.append_path_with_name(file, &name).map_err(io)?;
        }
        tar.finish().map_err(io)?;
    }
    let mut out = out.finish().map_err(|e| ApiError::Internal(e.to_string()))?;
    out.flush().ok();
    Ok(out)
}

/// Query of `/k8s/pod/logs`, as KFP's UI asks for a step's logs.
#[derive(Debug, Deserialize)]
pub struct LogParams {
    podname: String,
    #[serde(default)]
    podnamespace: String,
}

/// Most log bytes one response returns (the end of the log is kept).
const MAX_LOG_BYTES: u64 = 4 * 1024 * 1024;

/// `GET /k8s/pod/logs?podname=&podnamespace=`: the step's output, stdout
/// then stderr, as plain text. Logs stay readable after the step ended.
pub async fn pod_logs(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Params(params): Params<LogParams>,
) -> Result<impl IntoResponse, ApiError> {
    let namespace = namespace_or_default(&params.podnamespace);
    let logs = state.runner.attempt_logs(&principal, namespace, &params.podname).await?;
    let mut text = String::new();
    for path in [&logs.stdout, &logs.stderr] {
        text.push_str(&tail(path, MAX_LOG_BYTES).await);
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text))
}

/// The end of a log file (at most 4 MiB), terminal codes stripped.
pub(crate) async fn log_tail(path: &std::path::Path) -> String {
    tail(path, MAX_LOG_BYTES).await
}

async fn tail(path: &std::path::Path, max: u64) -> String {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let Ok(mut file) = tokio::fs::File::open(path).await else { return String::new() };
    let len = file.metadata().await.map(|m| m.len()).unwrap_or(0);
    if len > max {
        let _ = file.seek(std::io::SeekFrom::Start(len - max)).await;
    }
    let mut bytes = Vec::new();
    let _ = file.take(max).read_to_end(&mut bytes).await;
    let text = String::from_utf8_lossy(&bytes);
    text.lines().map(|l| engine::logs::clean_line(l.as_bytes()) + "\n").collect()
}
