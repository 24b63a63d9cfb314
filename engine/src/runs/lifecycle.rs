//! What the API does to runs: start one (committed before the answer,
//! driven in the background), stop it, retry it, archive and delete it.

use std::collections::BTreeMap;

use chrono::Utc;
use model::{Principal, Verb};
use tokio_util::sync::CancellationToken;

use super::{NewRun, RunRecord, RunRow, RunSource, Runner, catalog::timestamp};
use crate::{Error, Result, spec};

/// Where one attempt's output was written, to read it back.
#[derive(Clone, Debug)]
pub struct AttemptLogs {
    /// The attempt's standard output.
    pub stdout: std::path::PathBuf,
    /// Its standard error.
    pub stderr: std::path::PathBuf,
}

impl Runner {
    /// Validates and commits a run, then drives it in the background; the
    /// run as committed.
    pub async fn submit(&self, principal: &Principal, new: NewRun) -> Result<RunRecord> {
        let engine = &self.engine;
        let (spec_json, pipeline_id, version_id) = match new.source {
            RunSource::Spec(spec) => (engine.resolve_template_refs(principal, &new.namespace, spec).await?, None, None),
            RunSource::Version { pipeline_id, version_id } => {
                let version = match version_id.filter(|v| !v.is_empty()) {
                    Some(id) => engine.pipeline_version(principal, &pipeline_id, &id).await?,
                    None => engine.latest_pipeline_version(principal, &pipeline_id).await?,
                };
                (version.spec, Some(pipeline_id), Some(version.id))
            }
        };
        let display_name = match new.display_name.trim() {
            "" => String::new(),
            given => model::display_name(given)
                .map_err(|source| Error::InvalidDisplayName { field: "run display_name", source })?,
        };
        let plan = spec::parse_json(&spec_json)?;
        let experiment = match new.experiment_id.filter(|e| !e.is_empty()) {
            Some(id) => engine.experiment(principal, &id).await?,
            None => engine.default_experiment(principal, &new.namespace).await?,
        };
        if experiment.namespace != new.namespace {
            return Err(Error::InvalidRequest {
                message: format!(
                    "experiment {} is in namespace {}, not {}",
                    experiment.id, experiment.namespace, new.namespace
                ),
            });
        }
        let mut row = RunRow::new(plan, new.parameters);
        row.display_name = display_name;
        row.description = new.description;
        row.experiment_id = Some(experiment.id);
        row.pipeline_id = pipeline_id;
        row.pipeline_version_id = version_id;
        row.pipeline_spec = Some(spec_json);
        row.pipeline_root = new.pipeline_root;
        self.start(principal, &new.namespace, row).await
    }

    /// Commits `row` and drives it in the background.
    pub(crate) async fn start(&self, principal: &Principal, namespace: &str, row: RunRow) -> Result<RunRecord> {
        let stored = self.commit_run(principal, namespace, row).await?;
        let id = stored.id.clone();
        self.drive_in_background(stored, false);
        self.engine.run_record(principal, &id).await
    }

    fn drive_in_background(&self, stored: super::StoredRun, resuming: bool) {
        let runner = self.clone();
        tokio::spawn(async move {
            let id = stored.id.clone();
            if let Err(e) = runner.execute(stored, resuming, CancellationToken::new()).await {
                tracing::error!(run.id = %id, error = %e, "run could not be driven");
            }
        });
    }

    /// The watchdog's round: a run left `RUNNING` that nothing here drives
    /// (its driver stopped on an error it could not record) is picked up
    /// as after a restart, so no run stays `RUNNING` with nothing behind
    /// it. A run must be seen undriven on two rounds in a row (`suspects`
    /// carries the last round's), so one just committed and about to be
    /// driven is never taken twice. Returns the runs picked up.
    pub async fn adopt_orphans(&self, suspects: &mut std::collections::BTreeSet<String>) -> Result<Vec<String>> {
        let undriven: std::collections::BTreeSet<String> =
            self.unfinished_runs().await?.into_iter().filter(|id| !self.active.contains(id)).collect();
        let mut adopted = Vec::new();
        for id in undriven.intersection(suspects) {
            match self.load_running(id).await {
                Ok(stored) => {
                    tracing::warn!(run.id = %id, "run was RUNNING with nothing driving it; resuming it");
                    self.drive_in_background(stored, true);
                    adopted.push(id.clone());
                }
                Err(e) => tracing::warn!(run.id = %id, error = %e, "cannot pick up an undriven run"),
            }
        }
        *suspects = undriven.difference(&adopted.iter().cloned().collect()).cloned().collect();
        Ok(adopted)
    }

    /// Resumes a suspended run and its suspended steps (Argo `suspend`
    /// templates), which take `supplied` as their output values.
    pub async fn resume_suspended(
        &self,
        principal: &Principal,
        id: &str,
        supplied: BTreeMap<String, String>,
    ) -> Result<()> {
        let (_, state) = self.engine.authorize_run(principal, id, Verb::Update).await?;
        if state != "RUNNING" || !self.active.resume(id, supplied) {
            return Err(Error::FailedPrecondition {
                message: format!("run {id} is not running here: nothing to resume"),
            });
        }
        Ok(())
    }

    /// Suspends a run (Argo's `suspend` of a workflow): no new step starts
    /// until it is resumed; running steps go on.
    pub async fn suspend(&self, principal: &Principal, id: &str) -> Result<()> {
        let (_, state) = self.engine.authorize_run(principal, id, Verb::Update).await?;
        if state != "RUNNING" || !self.active.suspend(id) {
            return Err(Error::FailedPrecondition {
                message: format!("run {id} is not running here: nothing to suspend"),
            });
        }
        Ok(())
    }

    /// Whether the run is suspended.
    pub fn is_suspended(&self, id: &str) -> bool {
        self.active.is_suspended(id)
    }

    /// Stops a run: its running steps are signalled, nothing new starts,
    /// and it ends `CANCELED`.
    pub async fn terminate(&self, principal: &Principal, id: &str) -> Result<()> {
        let (_, state) = self.engine.authorize_run(principal, id, Verb::Update).await?;
        if state != "RUNNING" {
            return Err(Error::FailedPrecondition { message: format!("run {id} already ended: {state}") });
        }
        // Recorded first: whoever drives the run next (this process, or one
        // resuming it after a restart) ends it instead.
        sqlx::query("UPDATE runs SET terminate_requested = 1 WHERE id = ?1")
            .bind(id)
            .execute(self.engine.store().pool())
            .await?;
        if !self.active.cancel(id) {
            // Nobody drives it (its server stopped before it could resume it):
            // ending it here is all there is to do.
            let now = Utc::now();
            sqlx::query(
                "UPDATE runs SET state = 'CANCELED', finished_at = ?2, error = 'terminated',
                     state_history = json_insert(state_history, '$[#]', json_object('update_time', ?3, 'state', 'CANCELED'))
                 WHERE id = ?1 AND state = 'RUNNING'",
            )
            .bind(id)
            .bind(now)
            .bind(timestamp(now))
            .execute(self.engine.store().pool())
            .await?;
        }
        Ok(())
    }

    /// Stops a run as Argo's `stop` does: nothing new starts, running steps
    /// are signalled, and the exit handler runs; the run ends `CANCELED`.
    pub async fn stop(&self, principal: &Principal, id: &str) -> Result<()> {
        let (_, state) = self.engine.authorize_run(principal, id, Verb::Update).await?;
        if state != "RUNNING" {
            return Err(Error::FailedPrecondition { message: format!("run {id} already ended: {state}") });
        }
        if !self.active.stop(id) {
            return self.terminate(principal, id).await;
        }
        Ok(())
    }

    /// Runs a failed or canceled run again: tasks that succeeded keep their
    /// outputs, the others run again with a fresh retry budget. Attempts
    /// made before stay on record.
    pub async fn retry(&self, principal: &Principal, id: &str) -> Result<()> {
        let (_, state) = self.engine.authorize_run(principal, id, Verb::Update).await?;
        if state != "FAILED" && state != "CANCELED" {
            return Err(Error::FailedPrecondition {
                message: format!("run {id} is {state}; only FAILED or CANCELED runs can be retried"),
            });
        }
        let now = Utc::now();
        let mut tx = self.engine.store().write().await?;
        let updated = sqlx::query(
            "UPDATE runs SET state = 'RUNNING', error = NULL, finished_at = NULL, terminate_requested = 0,
                 state_history = json_insert(state_history, '$[#]', json_object('update_time', ?3, 'state', 'RUNNING'))
             WHERE id = ?1 AND state = ?2",
        )
        .bind(id)
        .bind(&state)
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(Error::FailedPrecondition { message: format!("run {id} changed state while being retried") });
        }
        sqlx::query(
            "UPDATE tasks SET state = 'PENDING', reason = NULL, finished_at = NULL,
                 attempt_base = COALESCE((SELECT MAX(a.number) FROM attempts a WHERE a.task_id = tasks.id), 0)
             WHERE run_id = ? AND state NOT IN ('SUCCEEDED', 'CACHED')",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let (namespace, name): (String, String) =
            sqlx::query_as("SELECT namespace, display_name FROM runs WHERE id = ?")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let namespace = model::ResourceName::parse(&namespace)
            .map_err(|e| Error::Corrupt { what: "run namespace", detail: e.to_string() })?;
        let started = crate::events::record(
            &mut tx,
            &namespace,
            &principal.name,
            model::EventKind::RunStarted { run_id: id.to_owned(), name },
        )
        .await?;
        tx.commit().await?;
        self.engine.events().publish(started);
        let stored = self.load_running(id).await?;
        tracing::info!(run.id = %id, "retrying run");
        self.drive_in_background(stored, true);
        Ok(())
    }

    /// Deletes a run, stopping it first if it is going, and its files.
    pub async fn delete(&self, principal: &Principal, id: &str) -> Result<()> {
        self.engine.authorize_run(principal, id, Verb::Delete).await?;
        self.active.cancel(id);
        sqlx::query("DELETE FROM runs WHERE id = ?").bind(id).execute(self.engine.store().pool()).await?;
        for dir in [self.data_dir.join("runs").join(id), self.data_dir.join("artifacts").join(id)] {
            if let Err(e) = std::fs::remove_dir_all(&dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(run.id = %id, dir = %dir.display(), error = %e, "cannot remove run files");
            }
        }
        Ok(())
    }

    /// Archives or restores a run.
    pub async fn archive(&self, principal: &Principal, id: &str, archived: bool) -> Result<()> {
        self.engine.authorize_run(principal, id, Verb::Update).await?;
        sqlx::query("UPDATE runs SET storage_state = ? WHERE id = ?")
            .bind(if archived { "ARCHIVED" } else { "AVAILABLE" })
            .bind(id)
            .execute(self.engine.store().pool())
            .await?;
        Ok(())
    }

    /// The file of output artifact `name` of task `task_id` in run `run_id`.
    pub async fn artifact_file(
        &self,
        principal: &Principal,
        run_id: &str,
        task_id: &str,
        name: &str,
    ) -> Result<std::path::PathBuf> {
        self.engine.authorize_run(principal, run_id, Verb::Get).await?;
        let uri: Option<String> =
            sqlx::query_scalar("SELECT uri FROM artifacts WHERE run_id = ? AND task_id = ? AND name = ?")
                .bind(run_id)
                .bind(task_id)
                .bind(name)
                .fetch_optional(self.engine.store().pool())
                .await?;
        let uri = crate::store::found(uri, "artifact", name)?;
        Ok(std::path::PathBuf::from(uri.strip_prefix("file://").unwrap_or(&uri)))
    }

    /// Where attempt `name` in `namespace` wrote its output.
    pub async fn attempt_logs(&self, principal: &Principal, namespace: &str, name: &str) -> Result<AttemptLogs> {
        crate::access::authorize(principal, namespace, Verb::Get)?;
        let dir: Option<String> = sqlx::query_scalar(
            "SELECT a.dir FROM attempts a JOIN tasks t ON t.id = a.task_id JOIN runs r ON r.id = t.run_id
             WHERE a.name = ? AND r.namespace = ?",
        )
        .bind(name)
        .bind(namespace)
        .fetch_optional(self.engine.store().pool())
        .await?;
        let dir = std::path::PathBuf::from(crate::store::found(dir, "attempt", name)?);
        Ok(AttemptLogs { stdout: dir.join("stdout"), stderr: dir.join("stderr") })
    }
}
