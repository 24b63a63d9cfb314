//! Recurring runs: create, get, list, enable, disable, delete.

use axum::{
    Extension, Json,
    extract::{Path, State},
};
use engine::recurring::{NewRecurringRun, Schedule, Trigger};
use model::Principal;
use serde_json::Value;

use super::{
    custom_method,
    extract::{Body, ListParams, Params},
    wire::{self, RecurringRunJson},
};
use crate::{ApiError, AppState};

/// `POST /recurringruns`.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Body(body): Body<RecurringRunJson>,
) -> Result<Json<RecurringRunJson>, ApiError> {
    let schedule = match (body.trigger.cron_schedule, body.trigger.periodic_schedule) {
        (Some(cron), None) => {
            Schedule { trigger: Trigger::Cron(cron.cron), start: cron.start_time, end: cron.end_time }
        }
        (None, Some(p)) => Schedule {
            trigger: Trigger::Every(u64::try_from(p.interval_second.0).map_err(|_| {
                ApiError::BadRequest("trigger.periodic_schedule.interval_second must be positive".into())
            })?),
            start: p.start_time,
            end: p.end_time,
        },
        _ => {
            return Err(ApiError::BadRequest(
                "a recurring run needs exactly one of trigger.cron_schedule and trigger.periodic_schedule".into(),
            ));
        }
    };
    let source = super::run_source(body.pipeline_spec, body.pipeline_version_reference, "a recurring run")?;
    let experiment_id = Some(body.experiment_id).filter(|e| !e.is_empty());
    let namespace = super::scope_namespace(&state, &principal, experiment_id.as_deref(), &body.namespace).await?;
    let new = NewRecurringRun {
        namespace,
        display_name: body.display_name,
        description: body.description,
        experiment_id,
        source,
        parameters: Value::Object(body.runtime_config.parameters.into_iter().collect()),
        pipeline_root: body.runtime_config.pipeline_root,
        schedule,
        max_concurrency: if body.max_concurrency.0 == 0 { 1 } else { body.max_concurrency.0 },
        no_catchup: body.no_catchup,
        enabled: body.mode != "DISABLE",
    };
    Ok(Json(state.engine.create_recurring_run(&principal, new).await?.into()))
}

/// `GET /recurringruns`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Params(params): Params<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let namespace = super::scope_namespace(&state, &principal, params.experiment(), &params.namespace).await?;
    let page = state.engine.list_recurring_runs(&principal, &namespace, params.experiment(), &params.options()).await?;
    // KFP's proto names this one field in camel case.
    Ok(Json(wire::page::<_, RecurringRunJson>("recurringRuns", page)))
}

/// `GET /recurringruns/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<RecurringRunJson>, ApiError> {
    Ok(Json(state.engine.recurring_run(&principal, &id).await?.into()))
}

/// `DELETE /recurringruns/{id}`.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.engine.delete_recurring_run(&principal, &id).await?;
    Ok(super::done())
}

/// `POST /recurringruns/{id}:enable` and `:disable`.
pub async fn act(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(segment): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (id, enabled) = match custom_method(&segment) {
        (id, Some("enable")) => (id, true),
        (id, Some("disable")) => (id, false),
        _ => return Err(ApiError::NotFound(format!("no such method: POST /apis/v2beta1/recurringruns/{segment}"))),
    };
    state.engine.enable_recurring_run(&principal, id, enabled).await?;
    Ok(super::done())
}
