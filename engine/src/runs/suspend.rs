//! Argo `suspend` steps: the task shows as running with why it waits, until
//! the run is resumed or its duration has passed. Stopping the run ends it.

use std::time::Duration;

use serde_json::Value;

use super::{
    Progress, RunContext, State,
    executor::Outcome,
    record::{self, TaskKey},
    values::Values,
};

/// Waits as the suspend step says, recording it while it waits.
pub(super) async fn run(ctx: &RunContext, name: &str, path: &str, seconds: Option<f64>) -> Outcome {
    let key = TaskKey { run_id: &ctx.run_id, path, name };
    let waiting = match seconds {
        Some(s) => format!("suspended for {s}s, or until the run is resumed"),
        None => "suspended until the run is resumed".to_owned(),
    };
    if let Err(e) = record::task_waiting(&ctx.store, key, &waiting).await {
        return Outcome::failed(format!("{path}: cannot record the suspension: {e}"));
    }
    ctx.report(Progress { path, state: State::Running, attempts: 0, cached: false });
    let mut resumes = ctx.resumes.clone();
    let seen = *resumes.borrow_and_update();
    let resumed = async {
        while resumes.changed().await.is_ok() {
            if *resumes.borrow() > seen {
                return;
            }
        }
        // The run's handle is gone: wait for the cancellation that follows.
        std::future::pending::<()>().await;
    };
    let timer = async {
        match seconds {
            Some(s) => tokio::time::sleep(Duration::from_secs_f64(s)).await,
            None => std::future::pending().await,
        }
    };
    let (state, reason) = tokio::select! {
        () = resumed => (State::Succeeded, None),
        () = timer => (State::Succeeded, None),
        () = ctx.cancel.cancelled() => (State::Canceled, Some("run stopped while suspended".to_owned())),
    };
    if let Err(e) = record::task_ended(&ctx.store, key, state, &Value::Null, None, reason.as_deref()).await {
        return Outcome::failed(format!("{path}: cannot record the end of the suspension: {e}"));
    }
    ctx.report(Progress { path, state, attempts: 0, cached: false });
    Outcome { state, outputs: Values::default(), reason, exit_code: None, iterations: None }
}
