//! What the dashboard sends and receives as files rather than through
//! server functions: the pipeline upload form, artifact and log downloads.
//!
//! Downloads are always attachments of type `application/octet-stream`
//! under a `sandbox` CSP, so an HTML artifact written by a step is never
//! rendered on our origin.

use axum::{
    Extension,
    body::Body,
    extract::{Multipart, Path, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
};
use engine::pipelines::{NewPipeline, NewVersion};
use model::Principal;

use crate::{
    ApiError, AppState,
    kfp::{
        namespace_or_default, package,
        pipelines::{stem, uploaded_version},
    },
};

/// `POST /ui/pipelines/upload`: the dashboard's upload form. Redirects to
/// the pipeline on success, back to the form with the refusal otherwise.
pub async fn upload(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    multipart: Multipart,
) -> Response {
    let mut namespace = model::DEFAULT_NAMESPACE.to_owned();
    let mut back = "/pipelines".to_owned();
    let outcome: Result<String, (String, ApiError)> = async {
        let form = package::read_form(multipart).await.map_err(|e| (String::new(), e))?;
        namespace = namespace_or_default(form.fields.get("namespace").map_or("", String::as_str)).to_owned();
        let pipeline_id = form.fields.get("pipeline_id").filter(|p| !p.is_empty()).cloned();
        if let Some(id) = &pipeline_id {
            back = format!("/pipelines/{id}");
        }
        let (file_name, bytes) = form
            .package
            .ok_or_else(|| (String::new(), ApiError::BadRequest("choose a pipeline file to upload".into())))?;
        let uploaded = uploaded_version(&bytes).map_err(|e| (file_name.clone(), e))?;
        let name = form.fields.get("name").cloned().unwrap_or_default();
        let version = NewVersion { name: name.clone(), ..uploaded };
        let engine = &state.engine;
        let location = match pipeline_id {
            Some(id) => {
                let created = engine
                    .create_pipeline_version(&principal, &id, version)
                    .await
                    .map_err(|e| (file_name.clone(), e.into()))?;
                // The new version is shown, with a word that it was added.
                format!("{id}?ns={namespace}&version={}&uploaded=1", created.id)
            }
            None => {
                let name = if name.is_empty() { stem(&file_name) } else { name };
                let new = NewPipeline { name, ..NewPipeline::default() };
                let (pipeline, _) = engine
                    .create_pipeline(&principal, &namespace, new, Some(version))
                    .await
                    .map_err(|e| (file_name.clone(), e.into()))?;
                format!("{}?ns={namespace}", pipeline.id)
            }
        };
        Ok(location)
    }
    .await;
    match outcome {
        Ok(location) => Redirect::to(&format!("/pipelines/{location}")).into_response(),
        Err((file, error)) => {
            let message = error.to_string();
            let query = serde_urlencoded::to_string([("ns", &namespace), ("file", &file), ("upload_error", &message)])
                .unwrap_or_default();
            Redirect::to(&format!("{back}?{query}")).into_response()
        }
    }
}

/// `GET /ui/artifacts/{run}/{task}/{name}`: an output artifact as a download.
pub async fn artifact(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((run_id, task_id, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let file = state.runner.artifact_file(&principal, &run_id, &task_id, &name).await?;
    attachment(&file, &name).await
}

/// `GET /ui/logs/{run}/{attempt}/{stream}`: a step's raw stdout or stderr as a download.
pub async fn log(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((run_id, attempt, stream)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let (namespace, _) = state.engine.authorize_run(&principal, &run_id, model::Verb::Get).await?;
    let logs = state.runner.attempt_logs(&principal, &namespace, &attempt).await?;
    let file = match stream.as_str() {
        "stdout" => logs.stdout,
        "stderr" => logs.stderr,
        _ => return Err(ApiError::NotFound(format!("no log stream {stream:?}; use stdout or stderr"))),
    };
    attachment(&file, &format!("{attempt}.{stream}.log")).await
}

async fn attachment(path: &std::path::Path, name: &str) -> Result<Response, ApiError> {
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|_| ApiError::NotFound(format!("{name} is not on disk (it was a directory, or was removed)")))?;
    let meta = file.metadata().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    if !meta.is_file() {
        return Err(ApiError::NotFound(format!("{name} is a directory; download it with the KFP :read endpoint")));
    }
    let safe_name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.len()));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{safe_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    Ok(response)
}
