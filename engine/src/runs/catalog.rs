//! Runs as the KFP API shows them: one run with its tasks, and paged lists.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, SecondsFormat, Utc};
use model::{Principal, Verb};
use serde::Deserialize;
use serde_json::Value;
use sqlx::{Row, sqlite::SqliteRow};

use crate::{
    Engine, Error, Result, access,
    listing::{self, Bind, Field, Kind, ListOptions, Page, Table},
    store,
};

/// Where a submitted run's spec comes from.
#[derive(Clone, Debug)]
pub enum RunSource {
    /// The spec itself, as JSON (the IR, or `{pipeline_spec, platform_spec}`).
    Spec(Value),
    /// A stored pipeline version; the newest version when none is named.
    Version {
        /// The pipeline.
        pipeline_id: String,
        /// The version, or `None` for the newest.
        version_id: Option<String>,
    },
}

/// What a caller gives to start a run.
#[derive(Clone, Debug)]
pub struct NewRun {
    /// Where it runs; must exist.
    pub namespace: String,
    /// What the UI shows; defaults to the pipeline name and a short id.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// The experiment; the namespace's `Default` one when `None`.
    pub experiment_id: Option<String>,
    /// The spec.
    pub source: RunSource,
    /// Pipeline parameters.
    pub parameters: BTreeMap<String, Value>,
    /// Where artifacts go, as the caller asked (recorded; artifacts stay in the data directory).
    pub pipeline_root: String,
}

/// One change of a run's state.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StateChange {
    /// When.
    pub update_time: DateTime<Utc>,
    /// The new state (KFP's names).
    pub state: String,
}

/// A run with what the API shows of it.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// UUID.
    pub id: String,
    /// Where it runs.
    pub namespace: String,
    /// What the UI shows.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// Its experiment.
    pub experiment_id: Option<String>,
    /// The pipeline it came from, if it came from a stored one.
    pub pipeline_id: Option<String>,
    /// The version it came from.
    pub pipeline_version_id: Option<String>,
    /// The spec it ran, when it was given inline (only on a single run).
    pub pipeline_spec: Option<Value>,
    /// Its parameters, defaults filled in.
    pub parameters: Value,
    /// Where artifacts were asked to go.
    pub pipeline_root: String,
    /// Whether it is archived.
    pub archived: bool,
    /// The recurring run that fired it.
    pub recurring_run_id: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The time its recurring run scheduled it for.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `CANCELED`.
    pub state: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Every state it has been in.
    pub state_history: Vec<StateChange>,
    /// Its tasks (only on a single run).
    pub tasks: Vec<TaskRecord>,
}

/// One task of a run.
#[derive(Clone, Debug)]
pub struct TaskRecord {
    /// UUID.
    pub id: String,
    /// Position in the run, e.g. `root/for-loop-2[0]/square`.
    pub path: String,
    /// Task name.
    pub name: String,
    /// The task whose DAG holds it.
    pub parent_id: Option<String>,
    /// Tasks it holds, if it is a DAG.
    pub child_ids: Vec<String>,
    /// Engine state name (`CACHED`, `LOST` included).
    pub state: String,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Resolved inputs: `{parameters, artifacts}`.
    pub inputs: Value,
    /// Outputs: `{parameters, artifacts}`.
    pub outputs: Value,
    /// Its latest attempt, which names its logs.
    pub attempt: Option<String>,
    /// Output artifacts: name and artifact id.
    pub output_artifacts: Vec<(String, i64)>,
    /// Attempts made.
    pub attempts: u32,
    /// The task whose outputs it reused, when cached.
    pub cached_from: Option<String>,
    /// Time its attempts ran, added up (a running one up to now): after a
    /// retry, its duration without the waits between attempts. `None`
    /// for tasks that ran no process (DAGs, skipped, cached).
    pub ran_for: Option<chrono::Duration>,
}

#[cfg(test)]
impl TaskRecord {
    /// A task recorded at `path` in `state`, nothing else known: for tests
    /// of what is built from records.
    pub(crate) fn at(path: &str, state: &str) -> Self {
        Self {
            id: format!("id-{path}"),
            path: path.to_owned(),
            name: path.rsplit('/').next().unwrap_or(path).to_owned(),
            parent_id: None,
            child_ids: Vec::new(),
            state: state.to_owned(),
            reason: None,
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
            inputs: Value::Null,
            outputs: Value::Null,
            attempt: None,
            output_artifacts: Vec::new(),
            attempts: 1,
            cached_from: None,
            ran_for: None,
        }
    }
}

/// One attempt of a task.
#[derive(Clone, Debug)]
pub struct AttemptRecord {
    /// Its name, which also names its logs.
    pub name: String,
    /// 1 for the first.
    pub number: u32,
    /// How it ended, or `RUNNING`.
    pub state: String,
    /// The process's exit code.
    pub exit_code: Option<i64>,
    /// Why it failed.
    pub reason: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// RFC 3339 with microseconds and `Z`, as state history is written.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

const RUNS: Table = Table {
    resource: "runs",
    id_column: "id",
    fields: &[
        Field::new("run_id", "id", Kind::Text, true),
        Field::new("display_name", "display_name", Kind::Text, true),
        Field::new("name", "display_name", Kind::Text, true),
        Field::new("description", "description", Kind::Text, true),
        Field::new("state", "state", Kind::Text, true),
        Field::new("storage_state", "storage_state", Kind::Text, true),
        Field::new("experiment_id", "experiment_id", Kind::Text, false),
        Field::new("pipeline_id", "pipeline_id", Kind::Text, false),
        Field::new("pipeline_version_id", "pipeline_version_id", Kind::Text, false),
        Field::new("recurring_run_id", "recurring_run_id", Kind::Text, false),
        Field::new("created_at", "created_at", Kind::Time, true),
        Field::new("scheduled_at", "scheduled_at", Kind::Time, false),
        Field::new("finished_at", "finished_at", Kind::Time, false),
    ],
};

/// Columns of a run in lists: everything but the plan and the spec.
const LIST_COLUMNS: &str = "id, namespace, display_name, description, experiment_id, pipeline_id, pipeline_version_id,
     parameters, pipeline_root, storage_state, recurring_run_id, created_at, scheduled_at, finished_at, state, error,
     state_history";

impl Engine {
    /// One run, with its tasks.
    pub async fn run_record(&self, principal: &Principal, id: &str) -> Result<RunRecord> {
        let mut run = self.run_without_tasks(principal, id).await?;
        run.tasks = self.task_records(id).await?;
        Ok(run)
    }

    /// One run, its `tasks` left empty: for pages that show the run but
    /// read its tasks another way (a run may have thousands).
    pub async fn run_without_tasks(&self, principal: &Principal, id: &str) -> Result<RunRecord> {
        let row = sqlx::query(&format!("SELECT {LIST_COLUMNS}, pipeline_spec FROM runs WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        let run = decode_run(&store::found(row, "run", id)?)?;
        access::authorize(principal, &run.namespace, Verb::Get)?;
        Ok(run)
    }

    /// The namespace and state of run `id`, after authorizing `verb` there.
    pub async fn authorize_run(&self, principal: &Principal, id: &str, verb: Verb) -> Result<(String, String)> {
        let row: Option<(String, String)> = sqlx::query_as("SELECT namespace, state FROM runs WHERE id = ?")
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        let (namespace, state) = store::found(row, "run", id)?;
        access::authorize(principal, &namespace, verb)?;
        Ok((namespace, state))
    }

    /// A page of the runs in `namespace`, of one experiment if given.
    pub async fn list_runs(
        &self,
        principal: &Principal,
        namespace: &str,
        experiment_id: Option<&str>,
        options: &ListOptions,
    ) -> Result<Page<RunRecord>> {
        let namespace = self.existing_namespace(principal, namespace, Verb::List).await?;
        let mut scope = vec![("namespace", Bind::Text(namespace.to_string()))];
        if let Some(experiment) = experiment_id.filter(|e| !e.is_empty()) {
            scope.push(("experiment_id", Bind::Text(experiment.to_owned())));
        }
        let query = listing::plan(&RUNS, &scope, options)?;
        let select = format!("SELECT {LIST_COLUMNS}, {} AS sort_key FROM runs", query.sort_column());
        query.fetch(self.store.pool(), &select, decode_run).await
    }

    /// The paths of the run's suspended steps, which wait to be resumed.
    pub async fn suspended_steps(&self, principal: &Principal, id: &str) -> Result<Vec<String>> {
        self.authorize_run(principal, id, Verb::Get).await?;
        let paths: Vec<String> = sqlx::query_scalar(
            "SELECT path FROM tasks WHERE run_id = ?1 AND state = 'RUNNING' AND reason LIKE 'suspended%' ORDER BY path",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?;
        Ok(paths)
    }

    async fn run_plan(&self, principal: &Principal, id: &str) -> Result<crate::spec::Plan> {
        self.authorize_run(principal, id, Verb::Get).await?;
        let plan: String =
            sqlx::query_scalar("SELECT plan FROM runs WHERE id = ?").bind(id).fetch_one(self.store.pool()).await?;
        serde_json::from_str(&plan).map_err(|e| Error::Corrupt { what: "run plan", detail: e.to_string() })
    }

    /// One level of a run's DAG with its tasks' states, laid out, and the run's plan.
    pub async fn run_dag_view(
        &self,
        principal: &Principal,
        id: &str,
        scope: &str,
    ) -> Result<(model::dag::DagView, crate::spec::Plan)> {
        let plan = self.run_plan(principal, id).await?;
        let scope = if scope.is_empty() { crate::runs::dag_view::default_scope(&plan) } else { scope.to_owned() };
        let (tasks, loop_sizes) = (self.task_records(id).await?, self.loop_sizes(id).await?);
        let recorded = super::dag_view::Recorded { tasks: &tasks, loop_sizes: &loop_sizes };
        Ok((super::dag_view::build(&plan, &scope, Some(recorded))?, plan))
    }

    /// The iterations of the loop at `loop_path` of run `id`, labelled by
    /// their items, every one due listed (at most
    /// [`super::iterations::MAX_LISTED`]).
    pub async fn loop_iterations(
        &self,
        principal: &Principal,
        id: &str,
        loop_path: &str,
    ) -> Result<Vec<model::dag::Iteration>> {
        let plan = self.run_plan(principal, id).await?;
        let (tasks, loop_sizes) = (self.task_records(id).await?, self.loop_sizes(id).await?);
        super::dag_view::loop_iterations(
            &plan,
            loop_path,
            super::dag_view::Recorded { tasks: &tasks, loop_sizes: &loop_sizes },
        )
    }

    /// The attempts of task `task_id` of run `run_id`, first first.
    pub async fn task_attempts(
        &self,
        principal: &Principal,
        run_id: &str,
        task_id: &str,
    ) -> Result<Vec<AttemptRecord>> {
        self.authorize_run(principal, run_id, Verb::Get).await?;
        let rows = sqlx::query(
            "SELECT a.name, a.number, a.state, a.exit_code, a.reason, a.started_at, a.finished_at
             FROM attempts a JOIN tasks t ON t.id = a.task_id WHERE t.run_id = ? AND a.task_id = ? ORDER BY a.number",
        )
        .bind(run_id)
        .bind(task_id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AttemptRecord {
                    name: row.try_get("name")?,
                    number: row.try_get::<i64, _>("number")? as u32,
                    state: row.try_get("state")?,
                    exit_code: row.try_get("exit_code")?,
                    reason: row.try_get("reason")?,
                    started_at: row.try_get("started_at")?,
                    finished_at: row.try_get("finished_at")?,
                })
            })
            .collect()
    }

    /// A run's tasks, in path order.
    pub async fn task_records(&self, run_id: &str) -> Result<Vec<TaskRecord>> {
        let rows = sqlx::query(
            "SELECT t.id, t.path, t.name, t.state, t.reason, t.created_at, t.started_at, t.finished_at, t.inputs, t.outputs,
                    t.cached_from,
                    (SELECT a.name FROM attempts a WHERE a.task_id = t.id ORDER BY a.number DESC LIMIT 1) AS attempt,
                    (SELECT COUNT(*) FROM attempts a WHERE a.task_id = t.id) AS attempts
             FROM tasks t WHERE t.run_id = ? ORDER BY t.path",
        )
        .bind(run_id)
        .fetch_all(self.store.pool())
        .await?;
        let artifacts: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT task_id, name, rowid FROM artifacts WHERE run_id = ? ORDER BY rowid")
                .bind(run_id)
                .fetch_all(self.store.pool())
                .await?;
        let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null);
        let mut tasks = rows
            .iter()
            .map(|row| {
                Ok(TaskRecord {
                    id: row.try_get("id")?,
                    path: row.try_get("path")?,
                    name: row.try_get("name")?,
                    parent_id: None,
                    child_ids: Vec::new(),
                    state: row.try_get("state")?,
                    reason: row.try_get("reason")?,
                    created_at: row.try_get("created_at")?,
                    started_at: row.try_get("started_at")?,
                    finished_at: row.try_get("finished_at")?,
                    inputs: json(row.try_get("inputs")?),
                    outputs: json(row.try_get("outputs")?),
                    attempt: row.try_get("attempt")?,
                    output_artifacts: Vec::new(),
                    attempts: row.try_get::<i64, _>("attempts")? as u32,
                    cached_from: row.try_get("cached_from")?,
                    ran_for: None,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        link_parents(&mut tasks);
        let index: HashMap<String, usize> = tasks.iter().enumerate().map(|(i, t)| (t.id.clone(), i)).collect();
        let attempts: Vec<(String, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT a.task_id, a.started_at, a.finished_at FROM attempts a JOIN tasks t ON t.id = a.task_id
             WHERE t.run_id = ?",
        )
        .bind(run_id)
        .fetch_all(self.store.pool())
        .await?;
        let now = Utc::now();
        for (task_id, started, finished) in attempts {
            if let Some(&i) = index.get(&task_id) {
                let ran = finished.unwrap_or(now) - started;
                tasks[i].ran_for = Some(tasks[i].ran_for.unwrap_or_default() + ran.max(chrono::Duration::zero()));
            }
        }
        for (task_id, name, id) in artifacts {
            if let Some(&i) = index.get(&task_id) {
                tasks[i].output_artifacts.push((name, id));
            }
        }
        Ok(tasks)
    }
}

impl Engine {
    /// The task of each attempt of run `run_id`, by attempt name: its path
    /// without the root (`train`, `for-loop-2[1]/train`), to name what an
    /// attempt's process is doing.
    pub async fn attempt_tasks(&self, run_id: &str) -> Result<HashMap<String, String>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT a.name, t.path FROM attempts a JOIN tasks t ON t.id = a.task_id WHERE t.run_id = ?")
                .bind(run_id)
                .fetch_all(self.store.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(attempt, path)| {
                let task = path.split_once('/').map_or(path.as_str(), |(_, rest)| rest).to_owned();
                (attempt, task)
            })
            .collect())
    }

    /// How many iterations each loop of run `run_id` has, by the loop's
    /// path, for the loops whose items are known.
    pub async fn loop_sizes(&self, run_id: &str) -> Result<BTreeMap<String, u32>> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT path, items FROM loop_sizes WHERE run_id = ?")
            .bind(run_id)
            .fetch_all(self.store.pool())
            .await?;
        Ok(rows.into_iter().map(|(path, items)| (path, u32::try_from(items).unwrap_or(u32::MAX))).collect())
    }
}

/// Sets each task's parent (the nearest recorded task whose path holds it)
/// and each DAG task's children.
fn link_parents(tasks: &mut [TaskRecord]) {
    let by_path: HashMap<String, usize> = tasks.iter().enumerate().map(|(i, t)| (t.path.clone(), i)).collect();
    let mut links = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        let mut path = task.path.as_str();
        while let Some((parent, _)) = path.rsplit_once('/') {
            if let Some(&p) = by_path.get(parent) {
                links.push((i, p));
                break;
            }
            path = parent;
        }
    }
    for (child, parent) in links {
        tasks[child].parent_id = Some(tasks[parent].id.clone());
        let id = tasks[child].id.clone();
        tasks[parent].child_ids.push(id);
    }
}

fn decode_run(row: &SqliteRow) -> Result<RunRecord> {
    let corrupt = |detail: String| Error::Corrupt { what: "run", detail };
    let parameters: String = row.try_get("parameters")?;
    let history: String = row.try_get("state_history")?;
    let spec: Option<String> = row.try_get("pipeline_spec").unwrap_or(None);
    Ok(RunRecord {
        id: row.try_get("id")?,
        namespace: row.try_get("namespace")?,
        display_name: row.try_get("display_name")?,
        description: row.try_get("description")?,
        experiment_id: row.try_get("experiment_id")?,
        pipeline_id: row.try_get("pipeline_id")?,
        pipeline_version_id: row.try_get("pipeline_version_id")?,
        pipeline_spec: spec.map(|s| serde_json::from_str(&s)).transpose().map_err(|e| corrupt(e.to_string()))?,
        parameters: serde_json::from_str(&parameters).map_err(|e| corrupt(e.to_string()))?,
        pipeline_root: row.try_get("pipeline_root")?,
        archived: row.try_get::<String, _>("storage_state")? == "ARCHIVED",
        recurring_run_id: row.try_get("recurring_run_id")?,
        created_at: row.try_get("created_at")?,
        scheduled_at: row.try_get("scheduled_at")?,
        finished_at: row.try_get("finished_at")?,
        state: row.try_get("state")?,
        error: row.try_get("error")?,
        state_history: serde_json::from_str(&history).map_err(|e| corrupt(e.to_string()))?,
        tasks: Vec::new(),
    })
}
