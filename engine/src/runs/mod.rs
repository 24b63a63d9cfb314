//! Pipeline runs: created from a [`Plan`](crate::spec::Plan), committed,
//! then driven to the end by the [`Runner`] on a [`Backend`].

mod active;
pub mod catalog;
pub mod conditions;
mod container;
mod context;
mod daemon;
pub mod dag_view;
mod executor;
pub(crate) mod expr;
mod fixed_paths;
pub mod http;
pub mod importer;
pub mod iterations;
mod lifecycle;
mod limits;
mod propagation;
mod record;
mod request;
mod siblings;
mod state;
mod suspend;
pub mod values;

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use chrono::Utc;
use futures::future::BoxFuture;
use model::{EventKind, Principal, Verb};
use serde::Serialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub use catalog::{AttemptRecord, NewRun, RunRecord, RunSource, StateChange, TaskRecord};
pub use limits::RunLimits;
pub use state::State;

pub(crate) use context::{RunContext, run_values};

use crate::{
    Engine, Error, Result,
    backend::{Backend, Ledger},
    events,
    spec::{Body, ParameterType, Plan},
    store::Store,
};

/// One task's progress, reported as it happens.
#[derive(Clone, Copy, Debug)]
pub struct Progress<'a> {
    /// Position of the task in the run, e.g. `root/for-loop-2[0]/square`.
    pub path: &'a str,
    /// Its new state.
    pub state: State,
    /// Attempts made so far.
    pub attempts: u32,
    /// Whether its outputs came from the cache.
    pub cached: bool,
}

/// Called with every task's progress (the CLI prints it).
pub type ProgressFn = Arc<dyn Fn(Progress<'_>) + Send + Sync>;

/// Runs pipelines on a backend.
#[derive(Clone)]
pub struct Runner {
    engine: Engine,
    backend: Arc<dyn Backend>,
    ledger: Ledger,
    data_dir: PathBuf,
    progress: Option<ProgressFn>,
    cache_ttl: Option<std::time::Duration>,
    import_roots: Vec<PathBuf>,
    http_allow_hosts: Vec<String>,
    limits: RunLimits,
    active: active::ActiveRuns,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner").field("data_dir", &self.data_dir).finish_non_exhaustive()
    }
}

/// How a run ended.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The run's id.
    pub run_id: String,
    /// Final state.
    pub state: State,
    /// Pipeline outputs.
    pub outputs: BTreeMap<String, Value>,
    /// Every task, in path order.
    pub tasks: Vec<TaskReport>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// One task of a finished run.
#[derive(Clone, Debug, Serialize)]
pub struct TaskReport {
    /// Its path in the run.
    pub name: String,
    /// Final state.
    pub state: State,
    /// Attempts made.
    pub attempts: u32,
    /// Whether its outputs came from the cache.
    pub cached: bool,
}

impl Runner {
    /// The resource ledger attempts are admitted through (notebooks share it).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The backend attempts run on (notebooks share it).
    pub fn backend(&self) -> Arc<dyn Backend> {
        self.backend.clone()
    }

    /// A runner that keeps run files under `data_dir` and admits attempts through `ledger`.
    pub fn new(engine: Engine, backend: Arc<dyn Backend>, ledger: Ledger, data_dir: PathBuf) -> Self {
        Self {
            engine,
            backend,
            ledger,
            data_dir,
            progress: None,
            cache_ttl: None,
            import_roots: Vec::new(),
            http_allow_hosts: Vec::new(),
            limits: RunLimits::default(),
            active: Default::default(),
        }
    }

    /// The engine it records runs in.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Lets Argo `http` steps call `hosts` (`name`, or `*.domain`).
    pub fn with_http_allow_hosts(mut self, hosts: Vec<String>) -> Self {
        self.http_allow_hosts = hosts;
        self
    }

    /// Lets importers read files under `roots` besides the artifact store.
    pub fn with_import_roots(mut self, roots: Vec<PathBuf>) -> Self {
        self.import_roots = roots;
        self
    }

    /// Reuses cached outputs only while younger than `ttl`.
    pub fn with_cache_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }

    /// Bounds every run by `limits`.
    pub fn with_limits(mut self, limits: RunLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Reports every task's progress to `progress`.
    pub fn with_progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Checks `parameters` against the plan, commits the run, and drives it
    /// to its end. Cancelling `cancel` stops it.
    pub async fn run(
        &self,
        principal: &Principal,
        namespace: &str,
        plan: Plan,
        parameters: BTreeMap<String, Value>,
        cancel: CancellationToken,
    ) -> Result<RunReport> {
        let stored = self.commit_run(principal, namespace, RunRow::new(plan, parameters)).await?;
        self.execute(stored, false, cancel).await
    }

    /// Checks the parameters, then commits the run, its `RunStarted` event
    /// and the experiment's last-run time in one transaction.
    pub(crate) async fn commit_run(&self, principal: &Principal, namespace: &str, row: RunRow) -> Result<StoredRun> {
        let namespace = self.engine.existing_namespace(principal, namespace, Verb::Create).await?;
        let parameters = check_parameters(&row.plan, row.parameters)?;
        request::check_gpus(&row.plan, self.ledger.capacity().gpus)
            .map_err(|message| Error::InvalidRequest { message })?;
        let run_id = uuid::Uuid::new_v4().to_string();
        let run_name = format!("{}-{}", row.plan.name, &run_id[..8]);
        let display_name = if row.display_name.is_empty() { run_name.clone() } else { row.display_name };
        let now = Utc::now();
        let history = json!([
            {"update_time": catalog::timestamp(now), "state": "PENDING"},
            {"update_time": catalog::timestamp(now), "state": "RUNNING"},
        ]);
        let store = self.engine.store();
        let mut tx = store.write().await?;
        sqlx::query(
            "INSERT INTO runs (id, namespace, name, state, plan, parameters, created_at, display_name, description,
                               experiment_id, pipeline_id, pipeline_version_id, pipeline_spec, pipeline_root,
                               recurring_run_id, scheduled_at, state_history)
             VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&run_id)
        .bind(namespace.as_str())
        .bind(&run_name)
        .bind(serde_json::to_string(&row.plan).expect("plans serialize"))
        .bind(Value::Object(parameters.clone().into_iter().collect()).to_string())
        .bind(now)
        .bind(&display_name)
        .bind(&row.description)
        .bind(&row.experiment_id)
        .bind(&row.pipeline_id)
        .bind(&row.pipeline_version_id)
        .bind(row.pipeline_spec.as_ref().map(Value::to_string))
        .bind(&row.pipeline_root)
        .bind(&row.recurring_run_id)
        .bind(row.scheduled_at)
        .bind(history.to_string())
        .execute(&mut *tx)
        .await?;
        if let Some(experiment) = &row.experiment_id {
            sqlx::query("UPDATE experiments SET last_run_created_at = ? WHERE id = ?")
                .bind(now)
                .bind(experiment)
                .execute(&mut *tx)
                .await?;
        }
        let started = events::record(
            &mut tx,
            &namespace,
            &principal.name,
            EventKind::RunStarted { run_id: run_id.clone(), name: display_name.clone() },
        )
        .await?;
        tx.commit().await?;
        self.engine.events.publish(started);
        tracing::info!(run.id = %run_id, run.name = %run_name, "run started");
        Ok(StoredRun {
            id: run_id,
            name: run_name,
            display_name,
            namespace,
            actor: principal.name.clone(),
            plan: row.plan,
            parameters,
            created_at: now,
            scheduled_at: row.scheduled_at,
        })
    }

    /// Runs that were going when the engine stopped.
    pub async fn unfinished_runs(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM runs WHERE state = 'RUNNING' ORDER BY created_at")
            .fetch_all(self.engine.store().pool())
            .await?)
    }

    /// Picks up a run interrupted by a crash or restart: finished tasks keep
    /// their results, attempts still alive are waited for, vanished ones are
    /// marked lost and retried only as their retry policy allows.
    pub async fn resume(&self, run_id: &str, cancel: CancellationToken) -> Result<RunReport> {
        let stored = self.load_running(run_id).await?;
        tracing::info!(run.id = %run_id, "resuming run");
        self.execute(stored, true, cancel).await
    }

    /// A run in the `RUNNING` state, as the executor needs it.
    pub(crate) async fn load_running(&self, run_id: &str) -> Result<StoredRun> {
        type Row =
            (String, String, String, String, String, chrono::DateTime<Utc>, Option<chrono::DateTime<Utc>>, String);
        let row: Option<Row> = sqlx::query_as(
            "SELECT name, namespace, plan, parameters, state, created_at, scheduled_at, display_name
             FROM runs WHERE id = ?",
        )
        .bind(run_id)
        .fetch_optional(self.engine.store().pool())
        .await?;
        let (name, namespace, plan, parameters, state, created_at, scheduled_at, display_name) =
            crate::store::found(row, "run", run_id)?;
        if state != "RUNNING" {
            return Err(Error::FailedPrecondition { message: format!("run {run_id} already ended: {state}") });
        }
        let corrupt = |detail: String| Error::Corrupt { what: "run", detail };
        Ok(StoredRun {
            id: run_id.to_owned(),
            name,
            display_name,
            namespace: model::ResourceName::parse(&namespace).map_err(|e| corrupt(e.to_string()))?,
            actor: crate::namespaces::SYSTEM_ACTOR.to_owned(),
            plan: serde_json::from_str(&plan).map_err(|e| corrupt(e.to_string()))?,
            parameters: serde_json::from_str(&parameters).map_err(|e| corrupt(e.to_string()))?,
            created_at,
            scheduled_at,
        })
    }

    pub(crate) async fn execute(&self, run: StoredRun, resuming: bool, cancel: CancellationToken) -> Result<RunReport> {
        let store = self.engine.store().clone();
        let (_active, watches, stop) = self.active.register(&run.id, &cancel);
        // Terminated before it was registered here (or before a restart).
        let terminated: bool = sqlx::query_scalar("SELECT terminate_requested FROM runs WHERE id = ?1")
            .bind(&run.id)
            .fetch_optional(store.pool())
            .await?
            .unwrap_or(false);
        if terminated {
            tracing::info!(run.id = %run.id, "run was terminated; ending it");
            cancel.cancel();
        }
        let run_values = run_values(&run, &self.data_dir);
        let ctx = RunContext {
            store: store.clone(),
            backend: self.backend.clone(),
            ledger: self.ledger.clone(),
            plan: Arc::new(run.plan),
            run_id: run.id.clone(),
            run_name: run.name.clone(),
            run_dir: self.data_dir.join("runs").join(&run.id),
            artifacts_dir: self.data_dir.join("artifacts"),
            parameters: run.parameters,
            run_values,
            started_at: run.created_at,
            cancel: stop,
            terminate: cancel,
            progress: self.progress.clone(),
            resuming,
            cache_ttl: self.cache_ttl,
            import_roots: self.import_roots.clone(),
            http_allow_hosts: self.http_allow_hosts.clone(),
            ended: std::sync::OnceLock::new(),
            resumes: watches.resumes,
            paused: watches.paused,
            events: self.engine.events.clone(),
            namespace: run.namespace.clone(),
            daemon_started: None,
            limits: self.limits,
            usage: Default::default(),
        };
        let outcome = drive(&ctx).await;
        let state = outcome.state;
        let finish =
            || run_finished(&store, &run.id, &run.namespace, &run.actor, &run.display_name, state, &outcome.reason);
        let finished = record::durably("a run's end", finish).await?;
        self.engine.events.publish(finished);
        tracing::info!(run.id = %run.id, state = state.as_str(), "run finished");
        Ok(RunReport {
            tasks: task_reports(&store, &run.id).await?,
            run_id: run.id.clone(),
            state,
            outputs: outcome.outputs.parameters,
            error: outcome.reason,
        })
    }
}

/// Records that a run ended, with its event, in one commit.
async fn run_finished(
    store: &Store,
    id: &str,
    namespace: &model::ResourceName,
    actor: &str,
    name: &str,
    state: State,
    reason: &Option<String>,
) -> Result<model::Event> {
    let mut tx = store.write().await?;
    let now = Utc::now();
    sqlx::query(
        "UPDATE runs SET state = ?2, error = ?3, finished_at = ?4,
             state_history = json_insert(state_history, '$[#]', json_object('update_time', ?5, 'state', ?2))
         WHERE id = ?1",
    )
    .bind(id)
    .bind(state.as_str())
    .bind(reason)
    .bind(now)
    .bind(catalog::timestamp(now))
    .execute(&mut *tx)
    .await?;
    let kind =
        EventKind::RunFinished { run_id: id.to_owned(), name: name.to_owned(), state: state.as_str().to_owned() };
    let finished = events::record(&mut tx, namespace, actor, kind).await?;
    tx.commit().await?;
    Ok(finished)
}

/// What a new run is made of, besides its namespace.
pub(crate) struct RunRow {
    pub display_name: String,
    pub description: String,
    pub plan: Plan,
    pub parameters: BTreeMap<String, Value>,
    pub experiment_id: Option<String>,
    pub pipeline_id: Option<String>,
    pub pipeline_version_id: Option<String>,
    pub pipeline_spec: Option<Value>,
    pub pipeline_root: String,
    pub recurring_run_id: Option<String>,
    pub scheduled_at: Option<chrono::DateTime<Utc>>,
}

impl RunRow {
    /// A run of `plan` with nothing else said about it.
    pub fn new(plan: Plan, parameters: BTreeMap<String, Value>) -> Self {
        Self {
            display_name: String::new(),
            description: String::new(),
            plan,
            parameters,
            experiment_id: None,
            pipeline_id: None,
            pipeline_version_id: None,
            pipeline_spec: None,
            pipeline_root: String::new(),
            recurring_run_id: None,
            scheduled_at: None,
        }
    }
}

/// A committed run, as the executor needs it.
pub(crate) struct StoredRun {
    id: String,
    /// Its generated name (KFP's job resource name).
    name: String,
    /// What people call it: events and pages use this.
    display_name: String,
    namespace: model::ResourceName,
    actor: String,
    plan: Plan,
    parameters: BTreeMap<String, Value>,
    created_at: chrono::DateTime<Utc>,
    /// When a recurring run's fire was due.
    scheduled_at: Option<chrono::DateTime<Utc>>,
}

/// Runs the root DAG, then the exit handler, if any.
async fn drive(ctx: &RunContext) -> executor::Outcome {
    let root = &ctx.plan.components[&ctx.plan.root];
    let Body::Dag(dag) = &root.body else {
        return executor::Outcome::failed("the root component is not a DAG");
    };
    let scope = executor::Scope {
        inputs: values::Values { parameters: ctx.parameters.clone(), artifacts: BTreeMap::new() },
        item: None,
        daemons: None,
    };
    let mut outcome = within_deadline(ctx, executor::run_dag(ctx, dag, scope.clone(), ctx.plan.root.clone())).await;
    if let Some(exit) = &ctx.plan.on_exit {
        let failures = match record::failures(&ctx.store, &ctx.run_id).await {
            Ok(list) => list.to_string(),
            Err(e) => {
                tracing::error!(run.id = %ctx.run_id, "cannot read the failed steps for the exit handler: {e}");
                "[]".to_owned()
            }
        };
        let status = siblings::argo_phase(outcome.state).to_owned();
        ctx.ended.get_or_init(|| [("status".to_owned(), status), ("failures".to_owned(), failures)].into());
        let upstream = BTreeMap::new();
        // A stopped run still runs its exit handler; a terminated one does not.
        let stopped = ctx.cancel.is_cancelled() && !ctx.terminate.is_cancelled();
        let handler_ctx =
            if stopped { RunContext { cancel: ctx.terminate.clone(), ..ctx.clone() } } else { ctx.clone() };
        let handler =
            executor::run_task(&handler_ctx, "on-exit", exit, &upstream, &scope, format!("{}/on-exit", ctx.plan.root))
                .await;
        if handler.state == State::Failed && outcome.state == State::Succeeded {
            outcome.state = State::Failed;
            outcome.reason = handler.reason;
        }
    }
    outcome
}

/// Runs `dag` to its end, or ends it (as a terminate does) once the run is
/// older than `max_run_seconds`, and fails it naming the limit.
async fn within_deadline(ctx: &RunContext, mut dag: BoxFuture<'_, executor::Outcome>) -> executor::Outcome {
    let Some(seconds) = ctx.limits.max_run_seconds else {
        return dag.await;
    };
    let age = (Utc::now() - ctx.started_at).to_std().unwrap_or_default();
    let left = std::time::Duration::from_secs(seconds).saturating_sub(age);
    tokio::select! {
        outcome = &mut dag => outcome,
        () = tokio::time::sleep(left) => {
            ctx.terminate.cancel();
            let mut outcome = dag.await;
            outcome.state = State::Failed;
            outcome.reason = Some(format!("the run took longer than {seconds} s (max_run_seconds)"));
            outcome
        }
    }
}

/// Fills defaults, refuses unknown and mistyped parameters, names missing ones.
fn check_parameters(plan: &Plan, mut given: BTreeMap<String, Value>) -> Result<BTreeMap<String, Value>> {
    let invalid = |message: String| Error::InvalidParameters { message };
    if let Some(unknown) = given.keys().find(|k| !plan.inputs.contains_key(*k)) {
        return Err(invalid(format!("pipeline {:?} has no parameter {unknown:?}", plan.name)));
    }
    for (name, def) in &plan.inputs {
        match given.remove(name) {
            Some(value) => {
                let value = values::coerce(def.kind, value);
                if !def.kind.admits(&value) {
                    return Err(invalid(format!("parameter {name:?}: {value} is not a {:?}", def.kind)));
                }
                def.allows(name, &value).map_err(invalid)?;
                given.insert(name.clone(), value);
            }
            None => match &def.default {
                Some(default) => {
                    given.insert(name.clone(), values::coerce(def.kind, default.clone()));
                }
                None if def.optional => {}
                None => return Err(invalid(format!("parameter {name:?} is required"))),
            },
        }
    }
    Ok(given)
}

/// Turns command-line text into a value of the parameter's type.
pub fn parse_parameter(plan: &Plan, name: &str, text: &str) -> Result<Value> {
    let def = plan.inputs.get(name).ok_or_else(|| Error::InvalidParameters {
        message: format!("pipeline {:?} has no parameter {name:?}", plan.name),
    })?;
    Ok(match def.kind {
        ParameterType::String => Value::String(text.to_owned()),
        kind => {
            let value: Value = serde_json::from_str(text).map_err(|e| Error::InvalidParameters {
                message: format!("parameter {name:?}: {text:?} is not a {kind:?}: {e}"),
            })?;
            value
        }
    })
}

async fn task_reports(store: &Store, run_id: &str) -> Result<Vec<TaskReport>> {
    let rows: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT t.path, t.state, t.cached_from, (SELECT COUNT(*) FROM attempts a WHERE a.task_id = t.id)
         FROM tasks t WHERE t.run_id = ? ORDER BY t.path",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(path, state, cached_from, attempts)| TaskReport {
            state: record::parse_state(&state),
            name: path,
            attempts: attempts as u32,
            cached: cached_from.is_some(),
        })
        .collect())
}

/// An artifact a run produced, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredArtifact {
    /// Where it is.
    pub uri: String,
    /// Output name.
    pub name: String,
    /// Schema title, e.g. `system.Model`.
    pub schema_title: String,
    /// What the producer wrote about it.
    pub metadata: Value,
    /// Size of a single-file artifact.
    pub size_bytes: Option<i64>,
    /// The producing task's path in the run.
    pub task: String,
}

impl Engine {
    /// The artifacts of a run the principal may read.
    pub async fn run_artifacts(&self, principal: &Principal, run_id: &str) -> Result<Vec<StoredArtifact>> {
        let namespace: Option<String> = sqlx::query_scalar("SELECT namespace FROM runs WHERE id = ?")
            .bind(run_id)
            .fetch_optional(self.store.pool())
            .await?;
        let namespace = crate::store::found(namespace, "run", run_id)?;
        crate::access::authorize(principal, &namespace, Verb::Get)?;
        let rows: Vec<(String, String, String, String, Option<i64>, String)> = sqlx::query_as(
            "SELECT a.uri, a.name, a.schema_title, a.metadata, a.size_bytes, t.path
             FROM artifacts a JOIN tasks t ON t.id = a.task_id WHERE a.run_id = ? ORDER BY t.path, a.name",
        )
        .bind(run_id)
        .fetch_all(self.store.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(uri, name, schema_title, metadata, size_bytes, task)| StoredArtifact {
                uri,
                name,
                schema_title,
                metadata: serde_json::from_str(&metadata).unwrap_or(Value::Null),
                size_bytes,
                task,
            })
            .collect())
    }
}
