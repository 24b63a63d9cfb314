//! `/api/v1`: the part of Argo server's REST API that clients in server mode
//! use (Hera's `WorkflowsService`, `argo --argo-server`): create, lint, list,
//! get, delete, resume, stop, terminate and retry workflows, read their logs,
//! and the version. A workflow is a run whose display name is the
//! workflow's name; its `status.nodes` are the run's tasks as Argo reports them.

use std::collections::BTreeMap;

use axum::{
    Extension, Json, Router,
    extract::{Path, State},
    routing::{get, post, put},
};
use engine::runs::{NewRun, RunRecord, RunSource, TaskRecord};
use model::Principal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{ApiError, AppState};

mod cron;
mod templates;

/// Every `/api/v1` route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/version", get(version))
        .route("/api/v1/workflows/{namespace}", get(list).post(create))
        .route("/api/v1/workflows/{namespace}/lint", post(lint))
        .route("/api/v1/workflows/{namespace}/{name}", get(read).delete(delete))
        .route("/api/v1/workflows/{namespace}/{name}/{verb}", put(act))
        .route("/api/v1/workflows/{namespace}/{name}/log", get(log))
        .route("/api/v1/cron-workflows/{namespace}", get(cron::list).post(cron::create))
        .route("/api/v1/cron-workflows/{namespace}/{name}", get(cron::read).delete(cron::delete))
        .route("/api/v1/workflow-templates/{namespace}", get(templates::list).post(templates::create))
        .route(
            "/api/v1/workflow-templates/{namespace}/{name}",
            get(templates::read).put(templates::update).delete(templates::delete),
        )
        .route("/api/v1/cluster-workflow-templates", get(templates::list_cluster).post(templates::create_cluster))
        .route(
            "/api/v1/cluster-workflow-templates/{name}",
            get(templates::read_cluster).put(templates::update_cluster).delete(templates::delete_cluster),
        )
}

/// `{"workflow": {...}}`, as `WorkflowCreateRequest` and `WorkflowLintRequest` carry it.
#[derive(Deserialize)]
struct WorkflowRequest {
    workflow: Value,
}

/// `GET /api/v1/version`.
async fn version() -> Json<Value> {
    Json(json!({"version": concat!("v3.6.0+ferroflow.", env!("CARGO_PKG_VERSION")), "platform": "linux/amd64"}))
}

/// `POST /api/v1/workflows/{ns}`: validates, commits and starts the workflow.
async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(namespace): Path<String>,
    Json(request): Json<WorkflowRequest>,
) -> Result<Json<Value>, ApiError> {
    let mut workflow = request.workflow;
    let name = workflow_name(&workflow)?;
    workflow["metadata"]["name"] = json!(name);
    let new = NewRun {
        namespace,
        display_name: name,
        description: String::new(),
        experiment_id: None,
        source: RunSource::Spec(workflow),
        parameters: Default::default(),
        pipeline_root: String::new(),
    };
    let run = state.runner.submit(&principal, new).await?;
    Ok(Json(as_workflow(&run, &[])))
}

/// `POST /api/v1/workflows/{ns}/lint`: the workflow back when it validates
/// (with the stored templates it refers to).
async fn lint(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(namespace): Path<String>,
    Json(request): Json<WorkflowRequest>,
) -> Result<Json<Value>, ApiError> {
    let resolved = state.engine.resolve_template_refs(&principal, &namespace, request.workflow.clone()).await?;
    engine::spec::parse_json(&resolved).map_err(engine::Error::from)?;
    Ok(Json(request.workflow))
}

/// `GET /api/v1/workflows/{ns}`: the namespace's workflows, newest first.
async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(namespace): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let page = state.engine.list_runs(&principal, &namespace, None, &first_page()).await?;
    let items: Vec<Value> = page.items.iter().map(|run| as_workflow(run, &[])).collect();
    Ok(Json(json!({"metadata": {"continue": page.next_page_token}, "items": items})))
}

/// `GET /api/v1/workflows/{ns}/{name}`, with its nodes.
async fn read(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let run = find(&state, &principal, &namespace, &name).await?;
    current(&state, &principal, &run.id).await
}

/// `DELETE /api/v1/workflows/{ns}/{name}`.
async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let run = find(&state, &principal, &namespace, &name).await?;
    state.runner.delete(&principal, &run.id).await?;
    Ok(Json(json!({})))
}

/// `PUT .../{name}/set`: output values for suspended steps (Argo's
/// `argo node set --output-parameter`), which then end.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SetRequest {
    /// A JSON object of output names to values, as a string.
    output_parameters: String,
}

/// `PUT /api/v1/workflows/{ns}/{name}/suspend|resume|set|stop|terminate|retry`.
async fn act(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((namespace, name, verb)): Path<(String, String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let run = find(&state, &principal, &namespace, &name).await?;
    match verb.as_str() {
        "suspend" => state.runner.suspend(&principal, &run.id).await?,
        "resume" => state.runner.resume_suspended(&principal, &run.id, Default::default()).await?,
        "set" => state.runner.resume_suspended(&principal, &run.id, supplied_outputs(&body)?).await?,
        // Stop lets the exit handler run; terminate does not.
        "stop" => state.runner.stop(&principal, &run.id).await?,
        "terminate" => state.runner.terminate(&principal, &run.id).await?,
        "retry" => state.runner.retry(&principal, &run.id).await?,
        other => return Err(ApiError::NotFound(format!("no such method: PUT .../{name}/{other}"))),
    }
    current(&state, &principal, &run.id).await
}

/// The values of a `set` request: `outputParameters`, a JSON object of
/// strings (numbers and booleans are taken as their text).
fn supplied_outputs(body: &[u8]) -> Result<BTreeMap<String, String>, ApiError> {
    let bad = |problem: String| ApiError::BadRequest(format!("outputParameters: {problem}"));
    let request: SetRequest = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
    let values: serde_json::Map<String, Value> =
        serde_json::from_str(&request.output_parameters).map_err(|e| bad(format!("not a JSON object: {e}")))?;
    values
        .into_iter()
        .map(|(name, value)| match value {
            Value::String(text) => Ok((name, text)),
            Value::Number(_) | Value::Bool(_) => Ok((name, value.to_string())),
            other => Err(bad(format!("{name:?} must be text, got {other}"))),
        })
        .collect()
}

/// Query of the log endpoint.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LogQuery {
    #[serde(rename = "podName")]
    pod_name: String,
}

/// `GET /api/v1/workflows/{ns}/{name}/log[?podName=]`: every step's output,
/// or one attempt's, as Argo's stream of `{"result": {"content", "podName"}}` lines.
async fn log(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((namespace, name)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<LogQuery>,
) -> Result<String, ApiError> {
    let run = find(&state, &principal, &namespace, &name).await?;
    let run = state.engine.run_record(&principal, &run.id).await?;
    let mut out = String::new();
    let pods = run.tasks.iter().filter_map(|t| t.attempt.as_deref());
    for pod in pods.filter(|p| query.pod_name.is_empty() || *p == query.pod_name) {
        let logs = state.runner.attempt_logs(&principal, &namespace, pod).await?;
        for path in [&logs.stdout, &logs.stderr] {
            let text = crate::kfp::log_tail(path).await;
            for line in text.lines() {
                out.push_str(&json!({"result": {"content": line, "podName": pod}}).to_string());
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// The workflow's name: `metadata.name`, or `generateName` and five random characters.
fn workflow_name(workflow: &Value) -> Result<String, ApiError> {
    let metadata = &workflow["metadata"];
    if let Some(name) = metadata["name"].as_str().filter(|n| !n.is_empty()) {
        return Ok(name.to_owned());
    }
    let prefix = metadata["generateName"]
        .as_str()
        .ok_or_else(|| ApiError::BadRequest("workflow.metadata: needs name or generateName".into()))?;
    let suffix: String = uuid::Uuid::new_v4().simple().to_string().chars().take(5).collect();
    Ok(format!("{prefix}{suffix}"))
}

/// A first page of objects whose display name is `name`: how Argo's names
/// are found among runs and recurring runs.
fn named(name: &str, page_size: u32) -> engine::listing::ListOptions {
    let filter = json!({"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": name}]});
    engine::listing::ListOptions { page_size, filter: filter.to_string(), ..Default::default() }
}

/// Up to 200 objects of a namespace's list, newest first.
fn first_page() -> engine::listing::ListOptions {
    engine::listing::ListOptions { page_size: engine::listing::MAX_PAGE_SIZE, ..Default::default() }
}

/// The namespace's newest run named `name`.
async fn find(state: &AppState, principal: &Principal, namespace: &str, name: &str) -> Result<RunRecord, ApiError> {
    let page = state.engine.list_runs(principal, namespace, None, &named(name, 1)).await?;
    page.items.into_iter().next().ok_or_else(|| ApiError::NotFound(format!("workflow {namespace}/{name} not found")))
}

/// Argo's phase of a run or task state.
fn phase(state: &str) -> &'static str {
    match state {
        "SUCCEEDED" | "CACHED" => "Succeeded",
        "FAILED" | "CANCELED" => "Failed",
        "LOST" => "Error",
        "SKIPPED" => "Skipped",
        "PENDING" => "Pending",
        _ => "Running",
    }
}

/// The run as it is now, as an Argo `Workflow` with its nodes.
async fn current(state: &AppState, principal: &Principal, id: &str) -> Result<Json<Value>, ApiError> {
    let run = state.engine.run_record(principal, id).await?;
    let mut workflow = as_workflow(&run, &run.tasks);
    if state.runner.is_suspended(id) {
        workflow["spec"]["suspend"] = json!(true);
    }
    Ok(Json(workflow))
}

/// A run as an Argo `Workflow`: metadata, the spec it was submitted with,
/// and a status whose nodes are `tasks`.
fn as_workflow(run: &RunRecord, tasks: &[TaskRecord]) -> Value {
    let name = &run.display_name;
    let spec = run.pipeline_spec.as_ref().and_then(|w| w.get("spec")).cloned().unwrap_or_else(|| json!({}));
    let nodes: serde_json::Map<String, Value> = tasks.iter().map(|t| (t.id.clone(), node(name, t))).collect();
    let mut status = json!({
        "phase": phase(&run.state),
        "startedAt": run.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "nodes": nodes,
    });
    if let Some(finished) = run.finished_at {
        status["finishedAt"] = json!(finished.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    if let Some(error) = &run.error {
        status["message"] = json!(error);
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": name,
            "namespace": run.namespace,
            "uid": run.id,
            "creationTimestamp": run.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
        "spec": spec,
        "status": status,
    })
}

/// One task as an Argo node: a `Pod` when it ran a process, else a `DAG`.
fn node(workflow: &str, task: &TaskRecord) -> Value {
    let time = |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let parameters: Vec<Value> = task.outputs["parameters"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| *name != "result")
        .map(|(name, value)| json!({"name": name, "value": engine::runs::values::as_argument(value)}))
        .collect();
    let mut outputs = json!({"parameters": parameters});
    if let Some(result) = task.outputs["parameters"].get("result") {
        outputs["result"] = json!(engine::runs::values::as_argument(result));
    }
    let mut node = json!({
        "id": task.id,
        "name": format!("{workflow}.{}", task.path.split_once('/').map_or(task.path.as_str(), |(_, rest)| rest)),
        "displayName": task.name,
        "type": if task.attempt.is_some() { "Pod" } else if task.state == "SKIPPED" { "Skipped" } else { "DAG" },
        "phase": phase(&task.state),
        "children": task.child_ids,
        "outputs": outputs,
    });
    if let Some(started) = &task.started_at {
        node["startedAt"] = json!(time(started));
    }
    if let Some(finished) = &task.finished_at {
        node["finishedAt"] = json!(time(finished));
    }
    if let Some(reason) = &task.reason {
        node["message"] = json!(reason);
    }
    if let Some(pod) = &task.attempt {
        node["podName"] = json!(pod);
    }
    node
}
