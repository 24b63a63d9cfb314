//! What the executor carries while a run goes: shared handles, the run's
//! values for placeholders, and how progress is told.

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use chrono::Utc;
use model::EventKind;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{Progress, ProgressFn, StoredRun, active};
use crate::{
    backend::{Backend, Ledger},
    events,
    spec::Plan,
    store::Store,
};

/// What the executor needs while a run is going.
#[derive(Clone)]
pub(crate) struct RunContext {
    pub store: Store,
    pub backend: Arc<dyn Backend>,
    pub ledger: Ledger,
    pub plan: Arc<Plan>,
    pub run_id: String,
    pub run_name: String,
    pub run_dir: PathBuf,
    pub artifacts_dir: PathBuf,
    pub parameters: BTreeMap<String, Value>,
    pub run_values: BTreeMap<String, String>,
    /// When the run was created.
    pub started_at: chrono::DateTime<Utc>,
    pub cancel: CancellationToken,
    /// Cancelled when the whole run, exit handler included, is to end;
    /// `cancel` is its child, cancelled alone by a stop.
    pub terminate: CancellationToken,
    pub progress: Option<ProgressFn>,
    /// Whether tasks recorded before a restart are picked up rather than started.
    pub resuming: bool,
    /// How long cached outputs may be reused; forever when `None`.
    pub cache_ttl: Option<std::time::Duration>,
    /// Directories importers may read besides the artifact store.
    pub import_roots: Vec<PathBuf>,
    /// Hosts Argo `http` steps may call.
    pub http_allow_hosts: Vec<String>,
    /// `status` and `failures` of the workflow, set once its DAG ended, for
    /// its exit handler (Argo `{{workflow.status}}`, `{{workflow.failures}}`).
    pub ended: std::sync::OnceLock<BTreeMap<String, String>>,
    /// Resumes of the run, which suspended steps wait for.
    pub resumes: tokio::sync::watch::Receiver<active::Resume>,
    /// Whether the run is suspended: no new step starts while it is.
    pub paused: tokio::sync::watch::Receiver<bool>,
    /// Where task progress is published.
    pub events: events::EventBus,
    /// The run's namespace, for its events.
    pub namespace: model::ResourceName,
    /// Told when a daemon step's process started (set on the daemon's own copy).
    pub daemon_started: Option<Arc<tokio::sync::Notify>>,
    /// How far the run may grow, and how far it has.
    pub limits: super::RunLimits,
    pub usage: super::limits::Usage,
}

impl RunContext {
    /// Run-level values for placeholders: the run's, and once its DAG
    /// ended, the workflow's status and failures.
    pub(crate) fn run_values(&self) -> BTreeMap<String, String> {
        let mut values = self.run_values.clone();
        // Seconds since the run started, as Argo's `{{workflow.duration}}`.
        let duration = (Utc::now() - self.started_at).num_milliseconds() as f64 / 1000.0;
        values.insert("duration".into(), duration.to_string());
        if let Some(ended) = self.ended.get() {
            values.extend(ended.clone());
        }
        values
    }

    /// Tells the progress callback and, as a transient event, live pages.
    pub(crate) fn report(&self, progress: Progress<'_>) {
        if let Some(f) = &self.progress {
            f(progress);
        }
        self.publish_transient(EventKind::TaskUpdated {
            run_id: self.run_id.clone(),
            path: progress.path.to_owned(),
            state: progress.state.as_str().to_owned(),
        });
    }

    /// Tells live pages that attempt `attempt` wrote more output.
    pub(crate) fn report_log_growth(&self, attempt: &str) {
        self.publish_transient(EventKind::LogGrew { run_id: self.run_id.clone(), attempt: attempt.to_owned() });
    }

    /// Returns once the run is not suspended (at once when it is not).
    pub(crate) async fn unpaused(&self) {
        let mut paused = self.paused.clone();
        // An error means the handle is gone: nothing can suspend it then.
        let _gone = paused.wait_for(|p| !*p).await;
    }

    fn publish_transient(&self, kind: EventKind) {
        self.events.publish(model::Event {
            id: 0,
            namespace: self.namespace.clone(),
            at: Utc::now(),
            actor: crate::namespaces::SYSTEM_ACTOR.to_owned(),
            kind,
        });
    }
}

/// Run-level placeholder values: names, and Argo's creation and schedule
/// times (`{{workflow.creationTimestamp}}` in RFC 3339 and by strftime
/// letter, `.Y`, `.m`, ...; `{{workflow.scheduledTime}}`, the creation
/// time of a run that was not scheduled).
pub(crate) fn run_values(run: &StoredRun, data_dir: &std::path::Path) -> BTreeMap<String, String> {
    let rfc3339 = |t: &chrono::DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut values = BTreeMap::from([
        ("job_name".to_owned(), run.name.clone()),
        // KFP's resource name is its Argo workflow's; a run's name here.
        ("job_resource_name".to_owned(), run.name.clone()),
        ("job_create_time_utc".to_owned(), rfc3339(&run.created_at)),
        ("job_schedule_time_utc".to_owned(), run.scheduled_at.as_ref().map(rfc3339).unwrap_or_default()),
        ("job_uuid".to_owned(), run.id.clone()),
        ("namespace".to_owned(), run.namespace.to_string()),
        ("root".to_owned(), data_dir.join("artifacts").display().to_string()),
        ("created_at".to_owned(), rfc3339(&run.created_at)),
        ("scheduled_time".to_owned(), rfc3339(&run.scheduled_at.unwrap_or(run.created_at))),
    ]);
    for letter in "YmdHMSyjbBaAIpUWuwZz".chars() {
        values.insert(format!("created_at.{letter}"), run.created_at.format(&format!("%{letter}")).to_string());
    }
    values
}
