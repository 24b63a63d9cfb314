//! `/apis/v2beta1`: the KFP REST API, so that `kfp.Client` and the `kfp`
//! command-line tool work against Ferroflow unchanged.
//!
//! Handlers are thin: they read the request in KFP's shape, call the engine
//! as the authenticated principal, and answer in KFP's shape
//! ([`wire`]). An empty `namespace` means the default namespace, as a
//! single-user KFP treats it.

mod experiments;
mod extract;
pub(crate) mod package;
pub(crate) mod pipelines;
mod recurring;
mod runs;
mod wire;

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};
use serde_json::{Value, json};

use crate::AppState;

pub use package::MAX_UPLOAD_BYTES;
pub(crate) use runs::log_tail;

/// Every `/apis/v2beta1` route.
pub fn routes() -> Router<AppState> {
    let uploads = Router::new()
        .route("/apis/v2beta1/pipelines/upload", post(pipelines::upload))
        .route("/apis/v2beta1/pipelines/upload_version", post(pipelines::upload_version))
        // The body limit is checked while the multipart stream is read; the
        // engine bounds the spec again after decompression.
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES));
    Router::new()
        .route("/apis/v2beta1/healthz", get(healthz))
        .route("/apis/v2beta1/pipelines", get(pipelines::list).post(pipelines::create))
        .route("/apis/v2beta1/pipelines/create", post(pipelines::create_with_version))
        .route("/apis/v2beta1/pipelines/names/{name}", get(pipelines::get_by_name))
        .route("/apis/v2beta1/pipelines/{pipeline_id}", get(pipelines::get).delete(pipelines::delete))
        .route(
            "/apis/v2beta1/pipelines/{pipeline_id}/versions",
            get(pipelines::list_versions).post(pipelines::create_version),
        )
        .route(
            "/apis/v2beta1/pipelines/{pipeline_id}/versions/{version_id}",
            get(pipelines::get_version).delete(pipelines::delete_version),
        )
        .route("/apis/v2beta1/experiments", get(experiments::list).post(experiments::create))
        .route(
            "/apis/v2beta1/experiments/{experiment}",
            get(experiments::get).delete(experiments::delete).post(experiments::act),
        )
        .route("/apis/v2beta1/runs", get(runs::list).post(runs::create))
        .route("/apis/v2beta1/runs/{run}", get(runs::get).delete(runs::delete).post(runs::act))
        .route("/apis/v2beta1/runs/{run_id}/nodes/{node_id}/artifacts/{artifact}", get(runs::read_artifact))
        .route("/apis/v2beta1/recurringruns", get(recurring::list).post(recurring::create))
        .route(
            "/apis/v2beta1/recurringruns/{recurring_run}",
            get(recurring::get).delete(recurring::delete).post(recurring::act),
        )
        .route("/k8s/pod/logs", get(runs::pod_logs))
        .merge(uploads)
}

/// `GET /apis/v2beta1/healthz`.
async fn healthz() -> Json<Value> {
    Json(json!({"multi_user": false, "pipeline_store": "database"}))
}

/// The namespace a request means: the default one when it names none.
pub(crate) fn namespace_or_default(namespace: &str) -> &str {
    if namespace.is_empty() { model::DEFAULT_NAMESPACE } else { namespace }
}

/// Splits `id:verb`, the custom-method form of KFP paths (`/runs/{id}:retry`).
fn custom_method(segment: &str) -> (&str, Option<&str>) {
    match segment.rsplit_once(':') {
        Some((id, verb)) => (id, Some(verb)),
        None => (segment, None),
    }
}

/// Where a run or recurring run takes its spec from: `pipeline_spec`, or
/// else `pipeline_version_reference` (its newest version when none is named).
fn run_source(
    spec: serde_json::Value,
    reference: Option<wire::VersionReferenceJson>,
    what: &str,
) -> Result<engine::runs::RunSource, crate::ApiError> {
    use engine::runs::RunSource;
    match (spec, reference) {
        (serde_json::Value::Null, Some(r)) if !r.pipeline_id.is_empty() => Ok(RunSource::Version {
            pipeline_id: r.pipeline_id,
            version_id: Some(r.pipeline_version_id).filter(|v| !v.is_empty()),
        }),
        (serde_json::Value::Null, _) => Err(crate::ApiError::BadRequest(format!(
            "{what} needs pipeline_spec or pipeline_version_reference.pipeline_id"
        ))),
        (spec, _) => Ok(RunSource::Spec(spec)),
    }
}

/// The namespace a request acts in: the experiment's when it names one
/// (runs live where their experiment does), else `namespace` or the default.
async fn scope_namespace(
    state: &crate::AppState,
    principal: &model::Principal,
    experiment_id: Option<&str>,
    namespace: &str,
) -> Result<String, crate::ApiError> {
    Ok(match experiment_id.filter(|e| !e.is_empty()) {
        Some(id) => state.engine.experiment(principal, id).await?.namespace,
        None => namespace_or_default(namespace).to_owned(),
    })
}

/// An empty JSON object, what KFP answers for actions.
fn done() -> Json<Value> {
    Json(json!({}))
}
