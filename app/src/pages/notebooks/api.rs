//! The notebook pages' server functions: thin calls into the engine's
//! notebook manager, and the shapes the pages show.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Bytes of a notebook server's log shown on its page (the end of it).
#[cfg(feature = "ssr")]
pub const LOG_TAIL_BYTES: u64 = 64 * 1024;

/// A notebook as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotebookRow {
    /// Its name.
    pub name: String,
    /// `jupyter`, `group-one` or `group-two`.
    pub server_type: String,
    /// The web app's phase.
    pub phase: String,
    /// Why, for error, warning, unavailable and culled.
    pub message: String,
    /// Whether it was asked to stop.
    pub stopped: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Jupyter's last activity.
    pub last_activity: Option<DateTime<Utc>>,
    /// Its image.
    pub image: String,
    /// GPUs asked for, e.g. "1 nvidia.com/gpu"; empty for none.
    pub gpus: String,
    /// CPU request and limit, e.g. "0.5 / 0.6".
    pub cpu: String,
    /// Memory request and limit, e.g. "1 GiB / 1.2 GiB".
    pub memory: String,
    /// Where the browser opens it (the notebook origin).
    pub url: String,
}

/// Everything the details page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotebookDetails {
    /// The list's view of it.
    pub row: NotebookRow,
    /// Who made it.
    pub created_by: String,
    /// Workspace volume and mount, if any.
    pub workspace: Option<(String, String)>,
    /// Where the workspace (the server's working directory) really lives
    /// on this machine.
    pub workspace_path: String,
    /// Data volumes and mounts.
    pub data_volumes: Vec<(String, String)>,
    /// Configurations applied.
    pub configurations: Vec<String>,
    /// Large shared memory.
    pub shm: bool,
    /// The stored spec as YAML.
    pub spec_yaml: String,
    /// Its recorded changes, newest first: (when, who, what).
    pub events: Vec<(DateTime<Utc>, String, String)>,
    /// The form's values, for editing while stopped.
    pub form: NewNotebook,
}

/// The new-notebook form as the page posts it; the server turns it into
/// Kubeflow's JSON shape and checks it like the REST API does.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewNotebook {
    /// Name.
    pub name: String,
    /// Server type.
    pub server_type: String,
    /// Image from the list.
    pub image: String,
    /// Any image; wins when set.
    pub custom_image: String,
    /// Image pull policy.
    pub image_pull_policy: String,
    /// CPU request.
    pub cpu: String,
    /// CPU limit; from the limit factor when empty.
    pub cpu_limit: String,
    /// Memory request.
    pub memory: String,
    /// Memory limit; from the limit factor when empty.
    pub memory_limit: String,
    /// GPU vendor's resource name.
    pub gpu_vendor: String,
    /// GPUs: a number or "none".
    pub gpus: String,
    /// Workspace volume name; none when empty.
    pub workspace: String,
    /// A data volume's name; none when empty.
    pub data_volume: String,
    /// Where the data volume is mounted.
    pub data_volume_mount: String,
    /// Configurations to apply.
    pub configurations: Vec<String>,
    /// Large shared memory.
    pub shm: bool,
}

pub use crate::error::FieldProblem;

/// What the form offers: the spawner config, free GPUs and which server
/// types can run here.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FormOptions {
    /// Server types: (key, label, why unavailable).
    pub server_types: Vec<(String, String, Option<String>)>,
    /// Images by server type: (key, default, options).
    pub images: Vec<(String, String, Vec<String>)>,
    /// Whether the image may be changed.
    pub image_read_only: bool,
    /// Whether any image may be typed in.
    pub allow_custom_image: bool,
    /// Default CPU request.
    pub cpu: String,
    /// CPU limit factor, if limits follow requests.
    pub cpu_limit_factor: Option<f64>,
    /// Whether CPU may be changed.
    pub cpu_read_only: bool,
    /// Default memory request.
    pub memory: String,
    /// Memory limit factor.
    pub memory_limit_factor: Option<f64>,
    /// Whether memory may be changed.
    pub memory_read_only: bool,
    /// GPU vendors: (resource name, label).
    pub gpu_vendors: Vec<(String, String)>,
    /// Whether GPUs may be asked for.
    pub gpus_read_only: bool,
    /// GPUs free right now, and on this host.
    pub gpus_free: u32,
    /// GPUs on this host.
    pub gpus_total: u32,
    /// Default workspace name pattern (`{notebook-name}` filled in later).
    pub workspace: String,
    /// Where the workspace is mounted.
    pub workspace_mount: String,
    /// Whether the workspace may be changed.
    pub workspace_read_only: bool,
    /// Configurations: (name, description).
    pub configurations: Vec<(String, String)>,
    /// Default shared memory.
    pub shm: bool,
    /// Whether shared memory may be changed.
    pub shm_read_only: bool,
}

#[cfg(feature = "ssr")]
mod ssr {
    use engine::notebooks::{Notebook, NotebookForm, local::NotebookManager};
    use serde_json::{Value, json};

    use super::*;

    pub fn manager() -> Result<NotebookManager, AppError> {
        use_context::<NotebookManager>().ok_or_else(|| {
            tracing::error!("notebook manager missing from the request context");
            AppError::Internal
        })
    }

    /// Where this browser opens notebooks: the notebook origin, by the
    /// host it reached us at.
    pub fn notebook_url(namespace: &str, name: &str) -> String {
        let host = use_context::<http::request::Parts>()
            .and_then(|parts| parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).map(str::to_owned));
        use_context::<engine::notebooks::NotebookOrigin>()
            .map(|origin| origin.notebook_url(host.as_deref(), namespace, name))
            .unwrap_or_else(|| format!("/notebook/{namespace}/{name}/"))
    }

    fn cores(milli: u64) -> String {
        let text = format!("{:.3}", milli as f64 / 1000.0);
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }

    fn memory(bytes: u64) -> String {
        const GIB: f64 = (1u64 << 30) as f64;
        if bytes >= 1 << 30 {
            let text = format!("{:.2}", bytes as f64 / GIB);
            format!("{} GiB", text.trim_end_matches('0').trim_end_matches('.'))
        } else {
            format!("{} MiB", bytes >> 20)
        }
    }

    pub fn row(notebook: &Notebook) -> NotebookRow {
        let spec = &notebook.spec;
        NotebookRow {
            name: notebook.name.clone(),
            server_type: spec.server_type.clone(),
            phase: notebook.phase.as_str().to_owned(),
            message: notebook.message.clone(),
            stopped: notebook.stopped,
            created_at: notebook.created_at,
            last_activity: notebook.last_activity,
            image: spec.image.clone(),
            gpus: if spec.gpus == 0 { String::new() } else { format!("{} {}", spec.gpus, spec.gpu_vendor) },
            cpu: format!("{} / {}", cores(spec.cpu_milli), cores(spec.cpu_limit_milli)),
            memory: format!("{} / {}", memory(spec.memory_bytes), memory(spec.memory_limit_bytes)),
            url: notebook_url(&notebook.namespace, &notebook.name),
        }
    }

    /// The form as Kubeflow's web app posts it.
    pub fn kubeflow_form(form: &NewNotebook) -> NotebookForm {
        let quantity = |text: &str| if text.trim().is_empty() { Value::Null } else { json!(text.trim()) };
        let volume = |name: &str, mount: &str| json!({"mount": mount, "newPvc": {"metadata": {"name": name.trim()}}});
        NotebookForm {
            name: form.name.trim().to_owned(),
            server_type: form.server_type.clone(),
            image: form.image.clone(),
            custom_image: form.custom_image.clone(),
            image_pull_policy: form.image_pull_policy.clone(),
            cpu: quantity(&form.cpu),
            cpu_limit: quantity(&form.cpu_limit),
            memory: quantity(&form.memory),
            memory_limit: quantity(&form.memory_limit),
            gpus: json!({"vendor": form.gpu_vendor, "num": if form.gpus.is_empty() { "none" } else { form.gpus.as_str() }}),
            workspace: if form.workspace.trim().is_empty() {
                Value::Null
            } else {
                volume(&form.workspace, "/home/jovyan")
            },
            datavols: if form.data_volume.trim().is_empty() {
                Vec::new()
            } else {
                let mount =
                    if form.data_volume_mount.trim().is_empty() { "/data" } else { form.data_volume_mount.trim() };
                vec![volume(&form.data_volume, mount)]
            },
            configurations: form.configurations.clone(),
            shm: form.shm,
            ..NotebookForm::default()
        }
    }

    /// The form that would make `notebook` again (for editing). A limit
    /// the config's factor gives is left empty, so that it follows the
    /// request as on create.
    pub fn form_of(notebook: &Notebook, config: &engine::notebooks::config::SpawnerConfig) -> NewNotebook {
        let spec = &notebook.spec;
        let data = spec.data_volumes.first();
        let follows = |limit: u64, request: u64, factor: Option<f64>| {
            limit == factor.map_or(request, |f| (request as f64 * f).round() as u64)
        };
        NewNotebook {
            name: notebook.name.clone(),
            server_type: spec.server_type.clone(),
            image: spec.image.clone(),
            custom_image: String::new(),
            image_pull_policy: spec.image_pull_policy.clone(),
            cpu: cores(spec.cpu_milli),
            cpu_limit: if follows(spec.cpu_limit_milli, spec.cpu_milli, config.cpu.limit_factor) {
                String::new()
            } else {
                cores(spec.cpu_limit_milli)
            },
            memory: format!("{}Mi", spec.memory_bytes >> 20),
            memory_limit: if follows(spec.memory_limit_bytes, spec.memory_bytes, config.memory.limit_factor) {
                String::new()
            } else {
                format!("{}Mi", spec.memory_limit_bytes >> 20)
            },
            gpu_vendor: spec.gpu_vendor.clone(),
            gpus: if spec.gpus == 0 { "none".to_owned() } else { spec.gpus.to_string() },
            workspace: spec.workspace.as_ref().map(|v| v.name.clone()).unwrap_or_default(),
            data_volume: data.map(|v| v.name.clone()).unwrap_or_default(),
            data_volume_mount: data.map(|v| v.mount.clone()).unwrap_or_default(),
            configurations: spec.configurations.clone(),
            shm: spec.shm,
        }
    }
}

/// The namespace's notebooks by name.
#[server(ListNotebooks, "/api/ui", endpoint = "list_notebooks")]
pub async fn list_notebooks(namespace: String) -> Result<Vec<NotebookRow>, AppError> {
    use crate::error::ssr::{engine, principal};
    let notebooks = engine()?.list_notebooks(&principal()?, &namespace).await?;
    Ok(notebooks.iter().map(ssr::row).collect())
}

/// Stops or starts a notebook.
#[server(SetNotebookStopped, "/api/ui", endpoint = "set_notebook_stopped")]
pub async fn set_notebook_stopped(namespace: String, name: String, stopped: bool) -> Result<(), AppError> {
    use crate::error::ssr::principal;
    ssr::manager()?.set_stopped(&principal()?, &namespace, &name, stopped).await?;
    Ok(())
}

/// Deletes a notebook; its volumes stay.
#[server(DeleteNotebook, "/api/ui", endpoint = "delete_notebook")]
pub async fn delete_notebook(namespace: String, name: String) -> Result<(), AppError> {
    use crate::error::ssr::principal;
    Ok(ssr::manager()?.delete(&principal()?, &namespace, &name).await?)
}

/// What the new-notebook form offers in `namespace`.
#[server(NotebookFormOptions, "/api/ui", endpoint = "notebook_form_options")]
pub async fn notebook_form_options() -> Result<FormOptions, AppError> {
    let manager = ssr::manager()?;
    let config = manager.config();
    let (gpus_free, gpus_total) = manager.gpus();
    let types = [("jupyter", "JupyterLab"), ("group-one", "VS Code"), ("group-two", "RStudio")];
    Ok(FormOptions {
        server_types: types
            .iter()
            .map(|(key, label)| (key.to_string(), label.to_string(), manager.unavailable_reason(key)))
            .collect(),
        images: types
            .iter()
            .filter_map(|(key, _)| {
                let images = config.images_for(key)?;
                Some((key.to_string(), images.value.clone(), images.options.clone()))
            })
            .collect(),
        image_read_only: config.image.read_only,
        allow_custom_image: config.allow_custom_image,
        cpu: config.cpu.value.clone(),
        cpu_limit_factor: config.cpu.limit_factor,
        cpu_read_only: config.cpu.read_only,
        memory: config.memory.value.clone(),
        memory_limit_factor: config.memory.limit_factor,
        memory_read_only: config.memory.read_only,
        gpu_vendors: config.gpus.vendors.iter().map(|v| (v.limits_key.clone(), v.ui_name.clone())).collect(),
        gpus_read_only: config.gpus.read_only,
        gpus_free,
        gpus_total,
        workspace: config.workspace.name.clone(),
        workspace_mount: config.workspace.mount.clone(),
        workspace_read_only: config.workspace.read_only,
        configurations: config.configurations.iter().map(|c| (c.name.clone(), c.description.clone())).collect(),
        shm: config.shm.value,
        shm_read_only: config.shm.read_only,
    })
}

/// Checks the form as it is being filled, exactly as create will: every
/// field's problem (none when it would be accepted).
#[server(CheckNotebook, "/api/ui", endpoint = "check_notebook")]
pub async fn check_notebook(namespace: String, form: NewNotebook) -> Result<Vec<FieldProblem>, AppError> {
    use crate::error::ssr::principal;
    // Problems found are this call's answer, not its failure (no 400).
    match ssr::manager()?.check(&principal()?, &namespace, &ssr::kubeflow_form(&form)).await {
        Ok(_) => Ok(Vec::new()),
        Err(engine::Error::InvalidForm { problems }) => Ok(problems.into_iter().map(Into::into).collect()),
        Err(e) => Err(e.into()),
    }
}

/// Creates and starts a notebook, then shows the list.
#[server(CreateNotebook, "/api/ui", endpoint = "create_notebook")]
pub async fn create_notebook(namespace: String, form: NewNotebook) -> Result<(), AppError> {
    use crate::error::ssr::principal;
    // Checked first as the form is: every problem, a taken name included,
    // goes back next to its field.
    let (manager, principal, form) = (ssr::manager()?, principal()?, ssr::kubeflow_form(&form));
    manager.check(&principal, &namespace, &form).await?;
    manager.create(&principal, &namespace, &form).await?;
    leptos_axum::redirect(&format!("/notebooks?ns={namespace}"));
    Ok(())
}

/// Changes a stopped notebook's image and resources.
#[server(UpdateNotebook, "/api/ui", endpoint = "update_notebook")]
pub async fn update_notebook(namespace: String, name: String, form: NewNotebook) -> Result<(), AppError> {
    use crate::error::ssr::principal;
    ssr::manager()?.update(&principal()?, &namespace, &name, &ssr::kubeflow_form(&form)).await?;
    Ok(())
}

/// One notebook with its spec, events and form values.
#[server(GetNotebookDetails, "/api/ui", endpoint = "notebook_details")]
pub async fn notebook_details(namespace: String, name: String) -> Result<NotebookDetails, AppError> {
    use crate::error::ssr::{engine, principal};
    let (engine, principal) = (engine()?, principal()?);
    let notebook = engine.notebook(&principal, &namespace, &name).await?;
    let events = engine
        .recent_activity(&principal, &namespace, 500)
        .await?
        .into_iter()
        .filter(|e| matches!(&e.kind, model::EventKind::NotebookChanged { name: n, .. } if *n == name))
        .map(|e| (e.at, e.actor.clone(), e.summary()))
        .collect();
    let spec = &notebook.spec;
    Ok(NotebookDetails {
        row: ssr::row(&notebook),
        created_by: notebook.created_by.clone(),
        workspace: spec.workspace.as_ref().map(|v| (v.name.clone(), v.mount.clone())),
        workspace_path: ssr::manager()?.workspace_path(&notebook).display().to_string(),
        data_volumes: spec.data_volumes.iter().map(|v| (v.name.clone(), v.mount.clone())).collect(),
        configurations: spec.configurations.clone(),
        shm: spec.shm,
        spec_yaml: engine::notebooks::spec_yaml(&notebook),
        events,
        form: ssr::form_of(&notebook, ssr::manager()?.config()),
    })
}

/// The end of a notebook server's log.
#[server(GetNotebookLog, "/api/ui", endpoint = "notebook_log")]
pub async fn notebook_log(namespace: String, name: String) -> Result<Vec<String>, AppError> {
    use crate::error::ssr::principal;
    Ok(ssr::manager()?.log_tail(&principal()?, &namespace, &name, LOG_TAIL_BYTES).await?)
}
