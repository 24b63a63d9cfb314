//! Recurring runs: a pipeline run on a schedule, fired by the
//! [`scheduler`] inside the server.
//!
//! Each fire is a run with `recurring_run_id` and `scheduled_at`; a unique
//! index on the pair means a schedule time fires at most once, whatever
//! restarts happen between committing the run and noting it as fired.

pub mod cron_workflow;
mod schedule;
pub mod scheduler;

use chrono::{DateTime, Utc};
use model::{Principal, Verb};
use serde_json::Value;
use sqlx::{Row, sqlite::SqliteRow};

pub use schedule::{Schedule, Trigger};

use crate::{
    Engine, Error, Result, access,
    listing::{self, Bind, Field, Kind, ListOptions, Page, Table},
    pipelines::check_text,
    runs::RunSource,
    spec, store,
};

/// Most runs of one recurring run that may go at once, as KFP allows.
pub const MAX_CONCURRENCY: i64 = 10;

/// A recurring run.
#[derive(Clone, Debug)]
pub struct RecurringRun {
    /// UUID.
    pub id: String,
    /// Where its runs go.
    pub namespace: String,
    /// What the UI shows.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// The experiment its runs join.
    pub experiment_id: String,
    /// The pipeline, when it runs a stored one.
    pub pipeline_id: Option<String>,
    /// The version; `None` with a pipeline means its newest at each fire.
    pub pipeline_version_id: Option<String>,
    /// The spec, when given inline.
    pub pipeline_spec: Option<Value>,
    /// Parameters of every run.
    pub parameters: Value,
    /// Where artifacts are asked to go.
    pub pipeline_root: String,
    /// When it fires.
    pub schedule: Schedule,
    /// Most of its runs going at once.
    pub max_concurrency: i64,
    /// Whether missed fire times are skipped (only the newest fires).
    pub no_catchup: bool,
    /// Whether it fires at all.
    pub enabled: bool,
    /// The schedule time of the newest run it fired.
    pub last_scheduled_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// Who created it; its runs are made as them.
    pub created_by: String,
    /// The schedule policy of the Argo `CronWorkflow` it was made from; when
    /// set, it decides the fire times (`schedule` shows the first cron).
    pub cron_workflow: Option<spec::CronSchedule>,
}

/// What a caller gives to create a recurring run.
#[derive(Clone, Debug)]
pub struct NewRecurringRun {
    /// Where its runs go.
    pub namespace: String,
    /// What the UI shows.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// The experiment; the namespace's `Default` one when `None`.
    pub experiment_id: Option<String>,
    /// The spec.
    pub source: RunSource,
    /// Parameters of every run.
    pub parameters: Value,
    /// Where artifacts are asked to go.
    pub pipeline_root: String,
    /// When it fires.
    pub schedule: Schedule,
    /// Most runs going at once, 1 to [`MAX_CONCURRENCY`].
    pub max_concurrency: i64,
    /// Skip missed fire times.
    pub no_catchup: bool,
    /// Fire at all.
    pub enabled: bool,
}

const RECURRING_RUNS: Table = Table {
    resource: "recurring runs",
    id_column: "id",
    fields: &[
        Field::new("recurring_run_id", "id", Kind::Text, true),
        Field::new("display_name", "display_name", Kind::Text, true),
        Field::new("name", "display_name", Kind::Text, true),
        Field::new("description", "description", Kind::Text, true),
        Field::new("experiment_id", "experiment_id", Kind::Text, true),
        Field::new("created_at", "created_at", Kind::Time, true),
        Field::new("updated_at", "updated_at", Kind::Time, true),
        Field::new("max_concurrency", "max_concurrency", Kind::Int, true),
    ],
};

const COLUMNS: &str = "id, namespace, display_name, description, experiment_id, pipeline_id, pipeline_version_id,
    pipeline_spec, parameters, pipeline_root, cron, interval_seconds, start_time, end_time, max_concurrency, no_catchup,
    enabled, last_scheduled_at, created_at, updated_at, created_by, cron_workflow";

impl Engine {
    /// Creates a recurring run after checking its schedule, spec and parameters.
    pub async fn create_recurring_run(&self, principal: &Principal, new: NewRecurringRun) -> Result<RecurringRun> {
        let namespace = self.existing_namespace(principal, &new.namespace, Verb::Create).await?;
        check_text("recurring run display_name", &new.display_name, 256, true)?;
        check_text("recurring run description", &new.description, 16 * 1024, false)?;
        new.schedule.check()?;
        if !(1..=MAX_CONCURRENCY).contains(&new.max_concurrency) {
            return Err(Error::InvalidRequest {
                message: format!(
                    "max_concurrency must be between 1 and {MAX_CONCURRENCY}, not {}",
                    new.max_concurrency
                ),
            });
        }
        let (pipeline_id, version_id, spec_json, plan) = match new.source {
            RunSource::Spec(spec) => {
                let spec = self.resolve_template_refs(principal, namespace.as_str(), spec).await?;
                let plan = spec::parse_json(&spec)?;
                (None, None, Some(spec), plan)
            }
            RunSource::Version { pipeline_id, version_id } => {
                let version_id = version_id.filter(|v| !v.is_empty());
                let version = match &version_id {
                    Some(id) => self.pipeline_version(principal, &pipeline_id, id).await?,
                    None => self.latest_pipeline_version(principal, &pipeline_id).await?,
                };
                (Some(pipeline_id), version_id, None, spec::parse_json(&version.spec)?)
            }
        };
        // A CronWorkflow brings its own schedule, which decides the fire times.
        let mut schedule = new.schedule.clone();
        let mut enabled = new.enabled;
        if let Some(policy) = &plan.schedule {
            schedule.trigger = Trigger::Cron(policy.crons[0].clone());
            enabled &= !policy.suspend;
        }
        let experiment = match new.experiment_id.filter(|e| !e.is_empty()) {
            Some(id) => self.experiment(principal, &id).await?,
            None => self.default_experiment(principal, namespace.as_str()).await?,
        };
        let now = Utc::now();
        let (cron, interval) = match &schedule.trigger {
            Trigger::Cron(c) => (Some(c.clone()), None),
            Trigger::Every(s) => (None, Some(*s as i64)),
        };
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(&format!(
            "INSERT INTO recurring_runs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)"
        ))
        .bind(&id)
        .bind(namespace.as_str())
        .bind(&new.display_name)
        .bind(&new.description)
        .bind(&experiment.id)
        .bind(&pipeline_id)
        .bind(&version_id)
        .bind(spec_json.as_ref().map(Value::to_string))
        .bind(new.parameters.to_string())
        .bind(&new.pipeline_root)
        .bind(cron)
        .bind(interval)
        .bind(schedule.start)
        .bind(schedule.end)
        .bind(new.max_concurrency)
        .bind(new.no_catchup)
        .bind(enabled)
        .bind(now)
        .bind(now)
        .bind(&principal.name)
        .bind(plan.schedule.as_ref().map(|p| serde_json::to_string(p).unwrap_or_default()))
        .execute(self.store.pool())
        .await?;
        self.recurring_changed.notify_one();
        self.recurring_run(principal, &id).await
    }

    /// One recurring run.
    pub async fn recurring_run(&self, principal: &Principal, id: &str) -> Result<RecurringRun> {
        let recurring = self.fetch_recurring_run(id).await?;
        access::authorize(principal, &recurring.namespace, Verb::Get)?;
        Ok(recurring)
    }

    /// One recurring run, for the scheduler (which acts as each one's creator).
    pub(crate) async fn fetch_recurring_run(&self, id: &str) -> Result<RecurringRun> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM recurring_runs WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?;
        decode(&store::found(row, "recurring run", id)?)
    }

    /// A page of the recurring runs in `namespace`, of one experiment if given.
    pub async fn list_recurring_runs(
        &self,
        principal: &Principal,
        namespace: &str,
        experiment_id: Option<&str>,
        options: &ListOptions,
    ) -> Result<Page<RecurringRun>> {
        let namespace = self.existing_namespace(principal, namespace, Verb::List).await?;
        let mut scope = vec![("namespace", Bind::Text(namespace.to_string()))];
        if let Some(experiment) = experiment_id.filter(|e| !e.is_empty()) {
            scope.push(("experiment_id", Bind::Text(experiment.to_owned())));
        }
        let query = listing::plan(&RECURRING_RUNS, &scope, options)?;
        let select = format!("SELECT {COLUMNS}, {} AS sort_key FROM recurring_runs", query.sort_column());
        query.fetch(self.store.pool(), &select, decode).await
    }

    /// Enables or disables a recurring run. Enabling never fires for the
    /// time it was disabled: it starts from now.
    pub async fn enable_recurring_run(&self, principal: &Principal, id: &str, enabled: bool) -> Result<()> {
        let recurring = self.recurring_run(principal, id).await?;
        access::authorize(principal, &recurring.namespace, Verb::Update)?;
        let now = Utc::now();
        let resume_from = if enabled && !recurring.enabled { Some(now) } else { recurring.last_scheduled_at };
        sqlx::query("UPDATE recurring_runs SET enabled = ?, updated_at = ?, last_scheduled_at = ? WHERE id = ?")
            .bind(enabled)
            .bind(now)
            .bind(resume_from)
            .bind(id)
            .execute(self.store.pool())
            .await?;
        self.recurring_changed.notify_one();
        Ok(())
    }

    /// Deletes a recurring run; the runs it fired stay.
    pub async fn delete_recurring_run(&self, principal: &Principal, id: &str) -> Result<()> {
        let recurring = self.recurring_run(principal, id).await?;
        access::authorize(principal, &recurring.namespace, Verb::Delete)?;
        sqlx::query("DELETE FROM recurring_runs WHERE id = ?").bind(id).execute(self.store.pool()).await?;
        self.recurring_changed.notify_one();
        Ok(())
    }
}

fn decode(row: &SqliteRow) -> Result<RecurringRun> {
    let corrupt = |detail: String| Error::Corrupt { what: "recurring run", detail };
    let cron: Option<String> = row.try_get("cron")?;
    let interval: Option<i64> = row.try_get("interval_seconds")?;
    let trigger = match (cron, interval) {
        (Some(cron), _) => Trigger::Cron(cron),
        (None, Some(seconds)) => Trigger::Every(seconds.max(1) as u64),
        (None, None) => return Err(corrupt("no trigger".to_owned())),
    };
    let spec: Option<String> = row.try_get("pipeline_spec")?;
    let parameters: String = row.try_get("parameters")?;
    let cron_workflow: Option<String> = row.try_get("cron_workflow")?;
    Ok(RecurringRun {
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
        schedule: Schedule { trigger, start: row.try_get("start_time")?, end: row.try_get("end_time")? },
        max_concurrency: row.try_get("max_concurrency")?,
        no_catchup: row.try_get("no_catchup")?,
        enabled: row.try_get("enabled")?,
        last_scheduled_at: row.try_get("last_scheduled_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        created_by: row.try_get("created_by")?,
        cron_workflow: cron_workflow
            .map(|p| serde_json::from_str(&p))
            .transpose()
            .map_err(|e| corrupt(e.to_string()))?,
    })
}
