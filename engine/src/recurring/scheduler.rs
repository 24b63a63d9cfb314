//! The loop that fires recurring runs when they are due.
//!
//! It sleeps until the earliest next fire time (at most a minute), or
//! until a recurring run is created, enabled, disabled or deleted.

use std::time::Duration;

use chrono::{DateTime, Utc};
use model::Principal;
use tokio_util::sync::CancellationToken;

use super::RecurringRun;
use crate::{
    Result,
    runs::{RunRow, Runner},
};

/// Longest sleep between checks.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How soon a recurring run held back by its concurrency limit is looked at again.
const BUSY_RECHECK: Duration = Duration::from_secs(1);

/// Fires due recurring runs until `shutdown` is cancelled.
pub async fn run(runner: Runner, shutdown: CancellationToken) {
    let wake = runner.engine().recurring_changed.clone();
    loop {
        let now = Utc::now();
        let wait = match fire_due(&runner, now).await {
            Ok(Some(next)) => (next - now).to_std().unwrap_or(Duration::ZERO).min(MAX_SLEEP),
            Ok(None) => MAX_SLEEP,
            Err(e) => {
                tracing::error!(error = %e, "recurring runs could not be fired");
                BUSY_RECHECK
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = wake.notified() => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// Fires every recurring run that is due at `now`; when the next one is due.
pub async fn fire_due(runner: &Runner, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
    let engine = runner.engine();
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM recurring_runs WHERE enabled = 1").fetch_all(engine.store().pool()).await?;
    let mut earliest: Option<DateTime<Utc>> = None;
    for id in ids {
        let recurring = engine.fetch_recurring_run(&id).await?;
        let next = fire_one(runner, recurring, now).await?;
        earliest = match (earliest, next) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok(earliest)
}

/// Fires what is due of one recurring run; when it is due next.
async fn fire_one(runner: &Runner, mut recurring: RecurringRun, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
    if let Some(policy) = recurring.cron_workflow.clone() {
        return fire_cron_workflow(runner, recurring, &policy, now).await;
    }
    let schedule = recurring.schedule.clone();
    loop {
        let due = if recurring.no_catchup {
            schedule.latest_due(recurring.last_scheduled_at, recurring.created_at, now)
        } else {
            schedule.next(recurring.last_scheduled_at, recurring.created_at).filter(|t| *t <= now)
        };
        let Some(at) = due else {
            return Ok(schedule.next(recurring.last_scheduled_at, recurring.created_at));
        };
        let going: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE recurring_run_id = ? AND state = 'RUNNING'")
                .bind(&recurring.id)
                .fetch_one(runner.engine().store().pool())
                .await?;
        if going >= recurring.max_concurrency {
            return Ok(Some(now + BUSY_RECHECK));
        }
        let principal = Principal { name: recurring.created_by.clone() };
        match fire(runner, &principal, &recurring, at).await {
            Ok(()) => tracing::info!(recurring_run.id = %recurring.id, scheduled_at = %at, "recurring run fired"),
            Err(crate::Error::Database(e)) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                tracing::info!(recurring_run.id = %recurring.id, scheduled_at = %at, "already fired before a restart");
            }
            // A run that cannot start (its pipeline version was deleted, say)
            // is skipped rather than retried forever.
            Err(e) => {
                tracing::warn!(recurring_run.id = %recurring.id, scheduled_at = %at, error = %e, "recurring run could not fire")
            }
        }
        sqlx::query("UPDATE recurring_runs SET last_scheduled_at = ? WHERE id = ?")
            .bind(at)
            .bind(&recurring.id)
            .execute(runner.engine().store().pool())
            .await?;
        recurring.last_scheduled_at = Some(at);
    }
}

/// Starts the run of `recurring` scheduled for `at`.
async fn fire(runner: &Runner, principal: &Principal, recurring: &RecurringRun, at: DateTime<Utc>) -> Result<()> {
    let engine = runner.engine();
    let (spec, version_id) = match (&recurring.pipeline_spec, &recurring.pipeline_id) {
        (Some(spec), _) => (spec.clone(), None),
        (None, Some(pipeline_id)) => {
            let version = match &recurring.pipeline_version_id {
                Some(id) => engine.pipeline_version(principal, pipeline_id, id).await?,
                None => engine.latest_pipeline_version(principal, pipeline_id).await?,
            };
            (version.spec, Some(version.id))
        }
        (None, None) => {
            return Err(crate::Error::Corrupt { what: "recurring run", detail: "no pipeline".to_owned() });
        }
    };
    let plan = crate::spec::parse_json(&spec)?;
    let parameters = match &recurring.parameters {
        serde_json::Value::Object(map) => map.clone().into_iter().collect(),
        _ => Default::default(),
    };
    let mut row = RunRow::new(plan, parameters);
    row.display_name = format!("{}-{}", recurring.display_name, at.format("%Y%m%d%H%M%S"));
    row.experiment_id = Some(recurring.experiment_id.clone());
    row.pipeline_id = recurring.pipeline_id.clone();
    row.pipeline_version_id = version_id;
    row.pipeline_spec = Some(spec);
    row.pipeline_root = recurring.pipeline_root.clone();
    row.recurring_run_id = Some(recurring.id.clone());
    row.scheduled_at = Some(at);
    runner.start(principal, &recurring.namespace, row).await?;
    Ok(())
}

/// Fires what is due of a recurring run made from an Argo `CronWorkflow`:
/// the newest due time only (Argo does not catch up), as its policy decides,
/// then keeps only its history limits' worth of finished runs.
async fn fire_cron_workflow(
    runner: &Runner,
    recurring: RecurringRun,
    policy: &crate::spec::CronSchedule,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    use super::cron_workflow::{Decision, decide, next};
    let pool = runner.engine().store().pool().clone();
    let mut due = None;
    let mut after = recurring.last_scheduled_at;
    while let Some(at) = next(policy, after, recurring.created_at).filter(|t| *t <= now) {
        due = Some(at);
        after = Some(at);
    }
    let Some(at) = due else {
        return Ok(next(policy, recurring.last_scheduled_at, recurring.created_at));
    };
    let principal = Principal { name: recurring.created_by.clone() };
    let going: Vec<String> = sqlx::query_scalar("SELECT id FROM runs WHERE recurring_run_id = ? AND state = 'RUNNING'")
        .bind(&recurring.id)
        .fetch_all(&pool)
        .await?;
    match decide(policy, at, now, going.len() as i64) {
        Decision::Skip(why) => {
            tracing::info!(recurring_run.id = %recurring.id, scheduled_at = %at, why, "fire skipped")
        }
        decision => {
            if decision == Decision::Replace {
                for id in &going {
                    runner.terminate(&principal, id).await?;
                }
            }
            if let Err(e) = fire(runner, &principal, &recurring, at).await {
                tracing::warn!(recurring_run.id = %recurring.id, scheduled_at = %at, error = %e, "recurring run could not fire");
            }
        }
    }
    sqlx::query("UPDATE recurring_runs SET last_scheduled_at = ? WHERE id = ?")
        .bind(at)
        .bind(&recurring.id)
        .execute(&pool)
        .await?;
    for (states, keep) in [("'SUCCEEDED'", policy.successful_history), ("'FAILED', 'CANCELED'", policy.failed_history)]
    {
        let old: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM runs WHERE recurring_run_id = ? AND state IN ({states}) ORDER BY created_at DESC LIMIT -1 OFFSET ?"
        ))
        .bind(&recurring.id)
        .bind(i64::from(keep))
        .fetch_all(&pool)
        .await?;
        for id in old {
            runner.delete(&principal, &id).await?;
        }
    }
    Ok(next(policy, Some(at), recurring.created_at))
}
