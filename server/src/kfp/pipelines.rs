//! Pipelines and pipeline versions: upload, create, get, list, delete.

use axum::{
    Extension, Json,
    extract::{Multipart, Path, State},
};
use engine::pipelines::{NewPipeline, NewVersion};
use model::Principal;
use serde::Deserialize;
use serde_json::Value;

use super::{
    extract::{Body, ListParams, Params},
    namespace_or_default, package,
    wire::{self, PipelineJson, PipelineVersionJson},
};
use crate::{ApiError, AppState};

/// Query of the upload endpoints.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UploadParams {
    name: String,
    display_name: String,
    description: String,
    namespace: String,
    pipelineid: String,
}

/// An uploaded file as a version: its spec as JSON (the engine validates
/// it when it stores it) and its text as uploaded.
pub(crate) fn uploaded_version(bytes: &[u8]) -> Result<NewVersion, ApiError> {
    let spec = engine::spec::load_json(bytes).map_err(engine::Error::from)?;
    Ok(NewVersion { spec, source: String::from_utf8(bytes.to_vec()).ok(), ..NewVersion::default() })
}

/// A file name without its package extension: the default pipeline name.
pub(crate) fn stem(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    [".tar.gz", ".tgz", ".zip", ".yaml", ".yml", ".json"]
        .iter()
        .find_map(|ext| base.strip_suffix(ext))
        .unwrap_or(base)
        .to_owned()
}

/// `POST /pipelines/upload`: a new pipeline with its first version.
pub async fn upload(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Params(params): Params<UploadParams>,
    multipart: Multipart,
) -> Result<Json<PipelineJson>, ApiError> {
    let (file_name, bytes) = package::read_upload(multipart).await?;
    let uploaded = uploaded_version(&bytes)?;
    let name = if params.name.is_empty() && params.display_name.is_empty() { stem(&file_name) } else { params.name };
    let pipeline = NewPipeline {
        name: name.clone(),
        display_name: params.display_name.clone(),
        description: params.description.clone(),
    };
    let version = NewVersion { name, display_name: params.display_name, description: params.description, ..uploaded };
    let namespace = namespace_or_default(&params.namespace);
    let (pipeline, _) = state.engine.create_pipeline(&principal, namespace, pipeline, Some(version)).await?;
    Ok(Json(pipeline.into()))
}

/// `POST /pipelines/upload_version?pipelineid=`: a new version of a pipeline.
pub async fn upload_version(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Params(params): Params<UploadParams>,
    multipart: Multipart,
) -> Result<Json<PipelineVersionJson>, ApiError> {
    if params.pipelineid.is_empty() {
        return Err(ApiError::BadRequest("pipelineid is required: the pipeline to add the version to".into()));
    }
    let (_, bytes) = package::read_upload(multipart).await?;
    let version = NewVersion {
        name: params.name,
        display_name: params.display_name,
        description: params.description,
        ..uploaded_version(&bytes)?
    };
    let created = state.engine.create_pipeline_version(&principal, &params.pipelineid, version).await?;
    Ok(Json(created.into()))
}

/// `POST /pipelines`: a pipeline without versions.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Body(body): Body<PipelineJson>,
) -> Result<Json<PipelineJson>, ApiError> {
    let namespace = namespace_or_default(&body.namespace).to_owned();
    let new = NewPipeline { name: body.name, display_name: body.display_name, description: body.description };
    let (pipeline, _) = state.engine.create_pipeline(&principal, &namespace, new, None).await?;
    Ok(Json(pipeline.into()))
}

/// Body of `POST /pipelines/create`.
#[derive(Debug, Deserialize)]
pub struct PipelineAndVersion {
    pipeline: PipelineJson,
    pipeline_version: PipelineVersionJson,
}

/// `POST /pipelines/create`: a pipeline and its first version together.
pub async fn create_with_version(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Body(body): Body<PipelineAndVersion>,
) -> Result<Json<PipelineJson>, ApiError> {
    let p = body.pipeline;
    let namespace = namespace_or_default(&p.namespace).to_owned();
    let new = NewPipeline { name: p.name, display_name: p.display_name, description: p.description };
    let version = new_version(body.pipeline_version)?;
    let (pipeline, _) = state.engine.create_pipeline(&principal, &namespace, new, Some(version)).await?;
    Ok(Json(pipeline.into()))
}

fn new_version(v: PipelineVersionJson) -> Result<NewVersion, ApiError> {
    if v.pipeline_spec.is_null() {
        return Err(ApiError::BadRequest(
            "pipeline_version.pipeline_spec is required (fetching package_url is not supported)".into(),
        ));
    }
    Ok(NewVersion {
        name: v.name,
        display_name: v.display_name,
        description: v.description,
        spec: v.pipeline_spec,
        code_source_url: v.code_source_url,
        package_url: v.package_url.map(|u| u.pipeline_url).unwrap_or_default(),
        source: None,
    })
}

/// `GET /pipelines`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Params(params): Params<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let page = state.engine.list_pipelines(&principal, params.namespace(), &params.options()).await?;
    Ok(Json(wire::page::<_, PipelineJson>("pipelines", page)))
}

/// `GET /pipelines/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<PipelineJson>, ApiError> {
    Ok(Json(state.engine.pipeline(&principal, &id).await?.into()))
}

/// Query of `GET /pipelines/names/{name}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NamespaceParam {
    namespace: String,
}

/// `GET /pipelines/names/{name}`.
pub async fn get_by_name(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
    Params(params): Params<NamespaceParam>,
) -> Result<Json<PipelineJson>, ApiError> {
    let namespace = namespace_or_default(&params.namespace);
    Ok(Json(state.engine.pipeline_by_name(&principal, namespace, &name).await?.into()))
}

/// Query of `DELETE /pipelines/{id}`. Python's client writes `True`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteParams {
    cascade: String,
}

/// `DELETE /pipelines/{id}[?cascade=true]`.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    Params(params): Params<DeleteParams>,
) -> Result<Json<Value>, ApiError> {
    let cascade = params.cascade.eq_ignore_ascii_case("true");
    state.engine.delete_pipeline(&principal, &id, cascade).await?;
    Ok(super::done())
}

/// `POST /pipelines/{id}/versions`.
pub async fn create_version(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(pipeline_id): Path<String>,
    Body(body): Body<PipelineVersionJson>,
) -> Result<Json<PipelineVersionJson>, ApiError> {
    let version = new_version(body)?;
    Ok(Json(state.engine.create_pipeline_version(&principal, &pipeline_id, version).await?.into()))
}

/// `GET /pipelines/{id}/versions`.
pub async fn list_versions(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(pipeline_id): Path<String>,
    Params(params): Params<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let page = state.engine.list_pipeline_versions(&principal, &pipeline_id, &params.options()).await?;
    Ok(Json(wire::page::<_, PipelineVersionJson>("pipeline_versions", page)))
}

/// `GET /pipelines/{id}/versions/{version_id}`.
pub async fn get_version(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((pipeline_id, version_id)): Path<(String, String)>,
) -> Result<Json<PipelineVersionJson>, ApiError> {
    Ok(Json(state.engine.pipeline_version(&principal, &pipeline_id, &version_id).await?.into()))
}

/// `DELETE /pipelines/{id}/versions/{version_id}`.
pub async fn delete_version(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((pipeline_id, version_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    state.engine.delete_pipeline_version(&principal, &pipeline_id, &version_id).await?;
    Ok(super::done())
}
