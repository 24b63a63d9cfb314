//! Server functions of the run pages, and what they return.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use model::dag::DagView;
use serde::{Deserialize, Serialize};

pub use super::task_values::ValueRow;
use crate::error::AppError;

/// A run as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Its id.
    pub id: String,
    /// Its name.
    pub display_name: String,
    /// `RUNNING`, `SUCCEEDED`, ...
    pub state: String,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Its experiment.
    pub experiment_id: Option<String>,
    /// The pipeline it came from.
    pub pipeline_id: Option<String>,
    /// The version it came from.
    pub pipeline_version_id: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// One page of runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunsPage {
    /// The runs.
    pub runs: Vec<RunSummary>,
    /// Names of the pipeline versions and experiments they name, by id.
    #[serde(default)]
    pub names: std::collections::BTreeMap<String, String>,
    /// Token of the next page; empty on the last.
    pub next: String,
}

/// A task as the task table shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    /// Its id.
    pub id: String,
    /// Its path in the run.
    pub path: String,
    /// Its name.
    pub name: String,
    /// Its path as people read it: no root, iterations by their items.
    pub label: String,
    /// Its state.
    pub state: String,
    /// Attempts made.
    pub attempts: u32,
    /// How long it took once ended, in milliseconds: its attempts' time
    /// added up (the waits between retries left out), else end - start.
    pub took_ms: Option<i64>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Whether its outputs came from the cache.
    pub cached: bool,
}

/// The run page's header and graph; the task table loads its rows itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDetails {
    /// The run.
    pub run: RunSummary,
    /// The shown level of its DAG.
    pub dag: DagView,
    /// How many nodes that level has (the copy embedded in the page for
    /// hydration leaves them out: see `hydration`).
    pub node_count: usize,
    /// What the pipeline asks for that this machine kept but did not apply.
    pub notices: Vec<String>,
    /// Whether a step waits to be resumed (Argo `suspend`).
    pub suspended: bool,
    /// Outputs the suspended steps take from whoever resumes them.
    pub supplied: Vec<SuppliedOutput>,
    /// What it was started from and with.
    pub overview: RunOverview,
}

/// A run's parameters and where it came from, by name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunOverview {
    /// Its parameters as given (or defaulted), name and value.
    pub parameters: Vec<(String, String)>,
    /// Its pipeline: id and name.
    pub pipeline: Option<(String, String)>,
    /// Its pipeline version: id and name.
    pub version: Option<(String, String)>,
    /// Its experiment: id and name.
    pub experiment: Option<(String, String)>,
}

/// An output a person gives when resuming (Argo `valueFrom.supplied`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SuppliedOutput {
    /// Its name.
    pub name: String,
    /// Its default, if any.
    pub default: Option<String>,
    /// The values it may take (Argo `enum`); any when empty.
    pub choices: Vec<String>,
}

/// Rows of the task table: a filtered, sorted first part of the run's tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRows {
    /// At most [`MAX_TASK_ROWS`] rows.
    pub rows: Vec<TaskRow>,
    /// How many tasks match the filter.
    pub matching: usize,
    /// How many tasks the run has.
    pub total: usize,
}

/// Most rows the task table gets; a filter narrows bigger runs down.
pub const MAX_TASK_ROWS: usize = 200;

/// One attempt of a task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttemptRow {
    /// Its name (names its logs).
    pub name: String,
    /// 1 for the first.
    pub number: u32,
    /// How it ended.
    pub state: String,
    /// Exit code.
    pub exit_code: Option<i64>,
    /// Why it failed.
    pub reason: Option<String>,
}

/// An output artifact of a task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ArtifactRow {
    /// Output name.
    pub name: String,
    /// Schema, e.g. `system.Model`.
    pub schema_title: String,
    /// Size in bytes, when a single file.
    pub size_bytes: Option<i64>,
    /// Where to download it.
    pub href: String,
}

/// The side panel of a task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskDetails {
    /// The task.
    pub task: TaskRow,
    /// Resolved inputs.
    pub inputs: Vec<ValueRow>,
    /// Outputs.
    pub outputs: Vec<ValueRow>,
    /// Scalar metrics it logged: (name, value).
    pub metrics: Vec<(String, String)>,
    /// The log stream to open first: `stderr` when the error is there.
    pub log_stream: String,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    /// Its attempts.
    pub attempts: Vec<AttemptRow>,
    /// Its output artifacts.
    pub artifacts: Vec<ArtifactRow>,
}

/// Lines of a log from an offset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogChunk {
    /// Complete lines, cleaned of terminal control codes.
    pub lines: Vec<String>,
    /// Offset to read on from.
    pub next_offset: u64,
}

#[cfg(feature = "ssr")]
pub(super) fn summary(r: engine::runs::RunRecord) -> RunSummary {
    RunSummary {
        id: r.id,
        display_name: r.display_name,
        state: r.state,
        created_at: r.created_at,
        finished_at: r.finished_at,
        experiment_id: r.experiment_id,
        pipeline_id: r.pipeline_id,
        pipeline_version_id: r.pipeline_version_id,
        error: r.error,
    }
}

#[cfg(feature = "ssr")]
fn task_row(t: &engine::runs::TaskRecord, label: String) -> TaskRow {
    let took = t.finished_at.and(t.ran_for).or_else(|| t.finished_at.zip(t.started_at).map(|(f, s)| f - s));
    TaskRow {
        id: t.id.clone(),
        path: t.path.clone(),
        name: t.name.clone(),
        label,
        state: t.state.clone(),
        attempts: t.attempts,
        took_ms: took.map(|d| d.num_milliseconds()),
        started_at: t.started_at,
        finished_at: t.finished_at,
        cached: t.cached_from.is_some(),
    }
}

/// A page of the namespace's runs: of one experiment, recurring run and state if given, names containing
/// `search`, sorted by `sort` (`created_at desc` by default).
#[server(ListRuns, "/api/ui", endpoint = "list_runs")]
pub async fn list_runs(
    namespace: String,
    experiment: String,
    recurring: String,
    state: String,
    search: String,
    sort: String,
    token: String,
) -> Result<RunsPage, AppError> {
    use crate::error::ssr::{engine, principal};
    let mut predicates = Vec::new();
    if !recurring.is_empty() {
        predicates
            .push(serde_json::json!({"key": "recurring_run_id", "operation": "EQUALS", "string_value": recurring}));
    }
    if !state.is_empty() {
        predicates.push(serde_json::json!({"key": "state", "operation": "EQUALS", "string_value": state}));
    }
    if !search.is_empty() {
        predicates
            .push(serde_json::json!({"key": "display_name", "operation": "IS_SUBSTRING", "string_value": search}));
    }
    let options = engine::listing::ListOptions {
        page_size: 20,
        page_token: token,
        sort_by: sort,
        filter: if predicates.is_empty() {
            String::new()
        } else {
            serde_json::json!({"predicates": predicates}).to_string()
        },
    };
    let experiment = Some(experiment.as_str()).filter(|e| !e.is_empty());
    let page = engine()?.list_runs(&principal()?, &namespace, experiment, &options).await?;
    let (engine, principal) = (engine()?, principal()?);
    let mut names = std::collections::BTreeMap::new();
    for run in &page.items {
        if let (Some(p), Some(v)) = (&run.pipeline_id, &run.pipeline_version_id)
            && !names.contains_key(v)
            && let (Ok(pipeline), Ok(version)) =
                (engine.pipeline(&principal, p).await, engine.pipeline_version(&principal, p, v).await)
        {
            names.insert(v.clone(), format!("{} \u{b7} {}", pipeline.display_name, version.display_name));
        }
        if let Some(e) = &run.experiment_id
            && !names.contains_key(e)
            && let Ok(experiment) = engine.experiment(&principal, e).await
        {
            names.insert(e.clone(), experiment.display_name);
        }
    }
    Ok(RunsPage { runs: page.items.into_iter().map(summary).collect(), names, next: page.next_page_token })
}

/// The run page's data: the run and the level `scope` of its DAG.
#[server(GetRunDetails, "/api/ui", endpoint = "run_details")]
pub async fn run_details(id: String, scope: String) -> Result<RunDetails, AppError> {
    use crate::error::ssr::{engine, principal};
    let (engine, principal) = (engine()?, principal()?);
    let record = engine.run_without_tasks(&principal, &id).await?;
    // One read of the stored plan gives the graph and the notices.
    let (dag, plan) = engine.run_dag_view(&principal, &id, &scope).await?;
    let waiting = engine.suspended_steps(&principal, &id).await?;
    let supplied = waiting.iter().filter_map(|path| plan.component_at(path)).flat_map(supplied_outputs).collect();
    let suspended = !waiting.is_empty();
    let overview = overview(&engine, &principal, &record).await;
    Ok(RunDetails {
        overview,
        run: summary(record),
        node_count: dag.nodes.len(),
        dag,
        notices: plan.notices,
        suspended,
        supplied,
    })
}

/// The run's parameters, and the names of its pipeline, version and
/// experiment (left out when they were deleted since).
#[cfg(feature = "ssr")]
async fn overview(
    engine: &engine::Engine,
    principal: &model::Principal,
    record: &engine::runs::RunRecord,
) -> RunOverview {
    let parameters = engine::runs::values::parameter_texts(&record.parameters);
    let pipeline = match &record.pipeline_id {
        Some(id) => engine.pipeline(principal, id).await.ok().map(|p| (p.id, p.display_name)),
        None => None,
    };
    let version = match (&record.pipeline_id, &record.pipeline_version_id) {
        (Some(p), Some(v)) => engine.pipeline_version(principal, p, v).await.ok().map(|v| (v.id, v.display_name)),
        _ => None,
    };
    let experiment = match &record.experiment_id {
        Some(id) => engine.experiment(principal, id).await.ok().map(|e| (e.id, e.display_name)),
        None => None,
    };
    RunOverview { parameters, pipeline, version, experiment }
}

#[cfg(feature = "ssr")]
fn supplied_outputs(component: &engine::spec::Component) -> Vec<SuppliedOutput> {
    let text = |v: &serde_json::Value| engine::runs::values::as_argument(v);
    component
        .output_parameters
        .iter()
        .map(|(name, def)| {
            // Argo's examples declare the choices on the input of the same name.
            let input = component.input_parameters.get(name);
            SuppliedOutput {
                name: name.clone(),
                default: def.default.as_ref().or(input.and_then(|i| i.default.as_ref())).map(text),
                choices: def
                    .choices
                    .as_ref()
                    .or(input.and_then(|i| i.choices.as_ref()))
                    .into_iter()
                    .flatten()
                    .map(text)
                    .collect(),
            }
        })
        .collect()
}

/// The task table's rows: tasks whose path or state contains `filter`
/// (any case), ordered by `sort` (`path`, `state`, `started` or
/// `duration`, longest first), the first [`MAX_TASK_ROWS`].
#[server(GetTaskRows, "/api/ui", endpoint = "task_rows")]
pub async fn task_rows(run_id: String, filter: String, sort: String) -> Result<TaskRows, AppError> {
    use crate::error::ssr::{engine, principal};
    let engine = engine()?;
    engine.authorize_run(&principal()?, &run_id, model::Verb::Get).await?;
    let tasks = engine.task_records(&run_id).await?;
    let total = tasks.len();
    let needle = filter.to_lowercase();
    let labels = engine::runs::iterations::readable_paths(&tasks);
    let mut rows: Vec<TaskRow> = tasks
        .iter()
        .zip(labels)
        .filter(|(t, label)| {
            needle.is_empty()
                || label.to_lowercase().contains(&needle)
                || t.path.to_lowercase().contains(&needle)
                || t.state.to_lowercase().contains(&needle)
        })
        .map(|(t, label)| task_row(t, label))
        .collect();
    match sort.as_str() {
        "state" => rows.sort_by(|a, b| a.state.cmp(&b.state)),
        "started" => rows.sort_by_key(|t| t.started_at),
        "duration" => rows.sort_by_key(|t| std::cmp::Reverse(t.took_ms)),
        _ => rows.sort_by(|a, b| a.path.cmp(&b.path)),
    }
    let matching = rows.len();
    rows.truncate(MAX_TASK_ROWS);
    Ok(TaskRows { rows, matching, total })
}

/// The side panel of one task.
#[server(GetTaskDetails, "/api/ui", endpoint = "task_details")]
pub async fn task_details(run_id: String, task_id: String) -> Result<TaskDetails, AppError> {
    use crate::error::ssr::{engine, principal};
    let (engine, principal) = (engine()?, principal()?);
    let record = engine.run_record(&principal, &run_id).await?;
    let task = record
        .tasks
        .iter()
        .position(|t| t.id == task_id)
        .ok_or_else(|| AppError::NotFound(format!("task {task_id} not found in run {run_id}")))?;
    let label = engine::runs::iterations::readable_paths(&record.tasks).swap_remove(task);
    let task = &record.tasks[task];
    let attempts = engine
        .task_attempts(&principal, &run_id, &task_id)
        .await?
        .into_iter()
        .map(|a| AttemptRow {
            name: a.name,
            number: a.number,
            state: a.state,
            exit_code: a.exit_code,
            reason: a.reason,
        })
        .collect();
    let stored = engine.run_artifacts(&principal, &run_id).await?;
    let task_ids: HashMap<&str, &str> = record.tasks.iter().map(|t| (t.path.as_str(), t.id.as_str())).collect();
    let links: HashMap<&str, String> = stored
        .iter()
        .filter_map(|a| {
            Some((a.uri.as_str(), format!("/ui/artifacts/{run_id}/{}/{}", task_ids.get(a.task.as_str())?, a.name)))
        })
        .collect();
    let link = |uri: &str| links.get(uri).cloned();
    let mine: Vec<_> = stored.iter().filter(|a| a.task == task.path).collect();
    let metrics = super::task_values::metrics(mine.iter().map(|a| (a.schema_title.as_str(), &a.metadata)));
    let artifacts = mine
        .iter()
        .map(|a| ArtifactRow {
            href: format!("/ui/artifacts/{run_id}/{task_id}/{}", a.name),
            name: a.name.clone(),
            schema_title: a.schema_title.clone(),
            size_bytes: a.size_bytes,
        })
        .collect();
    let log_stream = if opens_on_stderr(&principal, &record.namespace, task).await { "stderr" } else { "stdout" };
    Ok(TaskDetails {
        task: task_row(task, label),
        inputs: super::task_values::rows(&task.inputs, link),
        outputs: super::task_values::rows(&task.outputs, link),
        metrics,
        log_stream: log_stream.to_owned(),
        reason: task.reason.clone(),
        attempts,
        artifacts,
    })
}

/// Whether the task's log opens on stderr: its last attempt failed, or
/// wrote to stderr only (the run was authorized in `namespace` already).
#[cfg(feature = "ssr")]
async fn opens_on_stderr(principal: &model::Principal, namespace: &str, task: &engine::runs::TaskRecord) -> bool {
    let Some(attempt) = &task.attempt else { return false };
    let Ok(runner) = crate::error::ssr::runner() else { return false };
    let Ok(logs) = runner.attempt_logs(principal, namespace, attempt).await else { return false };
    let size = |path: &std::path::Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let (stdout, stderr) = (size(&logs.stdout), size(&logs.stderr));
    stderr > 0 && (matches!(task.state.as_str(), "FAILED" | "LOST") || stdout == 0)
}

/// Lines of attempt `attempt`'s output (`stdout` or `stderr`) from `offset`.
#[server(GetTaskLog, "/api/ui", endpoint = "task_log")]
pub async fn task_log(run_id: String, attempt: String, stream: String, offset: u64) -> Result<LogChunk, AppError> {
    use crate::error::ssr::{engine, principal, runner};
    let (engine, principal) = (engine()?, principal()?);
    let (namespace, _) = engine.authorize_run(&principal, &run_id, model::Verb::Get).await?;
    let logs = runner()?.attempt_logs(&principal, &namespace, &attempt).await?;
    let path = if stream == "stderr" { logs.stderr } else { logs.stdout };
    match engine::logs::read(&path, offset) {
        Ok(chunk) => Ok(LogChunk { lines: chunk.lines, next_offset: chunk.next_offset }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LogChunk { lines: Vec::new(), next_offset: 0 }),
        Err(e) => {
            tracing::error!(error = %e, "cannot read a log");
            Err(AppError::Internal)
        }
    }
}

/// Resumes a run's suspended steps, giving them `supplied` outputs.
#[server(ResumeRun, "/api/ui", endpoint = "resume_run")]
pub async fn resume_run(id: String, #[server(default)] supplied: HashMap<String, String>) -> Result<(), AppError> {
    use crate::error::ssr::{principal, runner};
    Ok(runner()?.resume_suspended(&principal()?, &id, supplied.into_iter().collect()).await?)
}

/// Stops a run.
#[server(TerminateRun, "/api/ui", endpoint = "terminate_run")]
pub async fn terminate_run(id: String) -> Result<(), AppError> {
    use crate::error::ssr::{principal, runner};
    Ok(runner()?.terminate(&principal()?, &id).await?)
}

/// Runs a failed run's failed and not-run tasks again.
#[server(RetryRun, "/api/ui", endpoint = "retry_run")]
pub async fn retry_run(id: String) -> Result<(), AppError> {
    use crate::error::ssr::{principal, runner};
    Ok(runner()?.retry(&principal()?, &id).await?)
}

/// Archives a run.
#[server(ArchiveRun, "/api/ui", endpoint = "archive_run")]
pub async fn archive_run(id: String) -> Result<(), AppError> {
    use crate::error::ssr::{principal, runner};
    Ok(runner()?.archive(&principal()?, &id, true).await?)
}

/// Deletes a run and goes back to the list.
#[server(DeleteRun, "/api/ui", endpoint = "delete_run")]
pub async fn delete_run(id: String, namespace: String) -> Result<(), AppError> {
    use crate::error::ssr::{principal, runner};
    runner()?.delete(&principal()?, &id).await?;
    leptos_axum::redirect(&format!("/runs?ns={namespace}"));
    Ok(())
}
