//! `/api/v1/cron-workflows/{ns}`: an Argo `CronWorkflow` becomes a recurring
//! run named after it, whose schedule policy comes from the object.

use axum::{
    Extension, Json,
    extract::{Path, State},
};
use engine::{
    recurring::{NewRecurringRun, RecurringRun, Schedule, Trigger},
    runs::RunSource,
};
use model::Principal;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{ApiError, AppState};

/// `{"cronWorkflow": {...}}`, as `CreateCronWorkflowRequest` carries it.
#[derive(Deserialize)]
pub struct CronRequest {
    #[serde(rename = "cronWorkflow")]
    cron_workflow: Value,
}

/// `POST /api/v1/cron-workflows/{ns}`.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(namespace): Path<String>,
    Json(request): Json<CronRequest>,
) -> Result<Json<Value>, ApiError> {
    let object = request.cron_workflow;
    let name = object["metadata"]["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::BadRequest("cronWorkflow.metadata.name is required".into()))?
        .to_owned();
    let new = NewRecurringRun {
        namespace,
        display_name: name,
        description: String::new(),
        experiment_id: None,
        source: RunSource::Spec(object),
        parameters: json!({}),
        pipeline_root: String::new(),
        // Replaced by the object's own schedule.
        schedule: Schedule { trigger: Trigger::Cron("0 0 * * *".into()), start: None, end: None },
        max_concurrency: engine::recurring::MAX_CONCURRENCY,
        no_catchup: true,
        enabled: true,
    };
    let recurring = state.engine.create_recurring_run(&principal, new).await?;
    Ok(Json(as_cron_workflow(&recurring)))
}

/// `GET /api/v1/cron-workflows/{ns}`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(namespace): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let page = state.engine.list_recurring_runs(&principal, &namespace, None, &super::first_page()).await?;
    let items: Vec<Value> = page.items.iter().filter(|r| r.cron_workflow.is_some()).map(as_cron_workflow).collect();
    Ok(Json(json!({"metadata": {}, "items": items})))
}

/// `GET /api/v1/cron-workflows/{ns}/{name}`.
pub async fn read(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(as_cron_workflow(&find(&state, &principal, &namespace, &name).await?)))
}

/// `DELETE /api/v1/cron-workflows/{ns}/{name}`: the runs it fired stay.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let recurring = find(&state, &principal, &namespace, &name).await?;
    state.engine.delete_recurring_run(&principal, &recurring.id).await?;
    Ok(Json(json!({})))
}

async fn find(state: &AppState, principal: &Principal, namespace: &str, name: &str) -> Result<RecurringRun, ApiError> {
    // Several recurring runs may share a name; the CronWorkflow is among the first.
    let page = state.engine.list_recurring_runs(principal, namespace, None, &super::named(name, 20)).await?;
    page.items
        .into_iter()
        .find(|r| r.cron_workflow.is_some())
        .ok_or_else(|| ApiError::NotFound(format!("cron workflow {namespace}/{name} not found")))
}

/// The recurring run as the `CronWorkflow` it was made from, with its status.
fn as_cron_workflow(recurring: &RecurringRun) -> Value {
    let mut object = recurring.pipeline_spec.clone().unwrap_or_else(|| json!({}));
    object["metadata"]["namespace"] = json!(recurring.namespace);
    object["metadata"]["uid"] = json!(recurring.id);
    object["metadata"]["creationTimestamp"] =
        json!(recurring.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let mut status = json!({"phase": if recurring.enabled { "Active" } else { "Stopped" }});
    if let Some(last) = recurring.last_scheduled_at {
        status["lastScheduledTime"] = json!(last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    object["status"] = status;
    object
}
