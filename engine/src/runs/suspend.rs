//! Argo `suspend` steps: the task shows as running with why it waits, until
//! the run is resumed or its duration has passed. Stopping the run ends it.

use std::{collections::BTreeMap, time::Duration};

use serde_json::{Value, json};

use super::{
    Progress, RunContext, State,
    executor::Outcome,
    record::{self, TaskKey},
    values::Values,
};
use crate::spec::Component;

/// Waits as the suspend step says, recording it while it waits; its
/// outputs are the values the resume supplied, or their defaults.
pub(super) async fn run(
    ctx: &RunContext,
    name: &str,
    component: &Component,
    inputs: &Values,
    path: &str,
    seconds: Option<f64>,
) -> Outcome {
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
    let seen = resumes.borrow_and_update().count;
    let resumed = async {
        // The guard is let go at once: it must not be held across an await.
        let supplied = resumes.wait_for(|r| r.count > seen).await.map(|resume| resume.supplied.clone());
        match supplied {
            Ok(supplied) => supplied,
            // The run's handle is gone: wait for the cancellation that follows.
            Err(_) => std::future::pending().await,
        }
    };
    let timer = async {
        match seconds {
            Some(s) => tokio::time::sleep(Duration::from_secs_f64(s)).await,
            None => std::future::pending().await,
        }
    };
    let (state, outputs, reason) = tokio::select! {
        supplied = resumed => match outputs(component, inputs, &supplied) {
            Ok(outputs) => (State::Succeeded, outputs, None),
            Err(e) => (State::Failed, Values::default(), Some(e)),
        },
        () = timer => match outputs(component, inputs, &BTreeMap::new()) {
            Ok(outputs) => (State::Succeeded, outputs, None),
            Err(e) => (State::Failed, Values::default(), Some(e)),
        },
        () = ctx.cancel.cancelled() => (State::Canceled, Values::default(), Some("run stopped while suspended".to_owned())),
    };
    let recorded = json!(outputs);
    if let Err(e) = record::task_ended(&ctx.store, key, state, &recorded, None, reason.as_deref()).await {
        return Outcome::failed(format!("{path}: cannot record the end of the suspension: {e}"));
    }
    ctx.report(Progress { path, state, attempts: 0, cached: false });
    let reason = reason.map(|r| format!("{path}: {r}"));
    Outcome { state, outputs, reason, exit_code: None, iterations: None, omitted: false }
}

/// The step's outputs: each supplied value, else its default, else the
/// value of the input of the same name (where Argo's examples declare the
/// choices and default); a value outside the `enum` is refused by name.
fn outputs(component: &Component, inputs: &Values, supplied: &BTreeMap<String, String>) -> Result<Values, String> {
    let mut outputs = Values::default();
    for (name, def) in &component.output_parameters {
        let value = supplied
            .get(name)
            .map(|v| Value::String(v.clone()))
            .or_else(|| def.default.clone())
            .or_else(|| inputs.parameters.get(name).cloned())
            .ok_or_else(|| format!("no value was supplied for output {name:?} when the run was resumed"))?;
        def.allows(name, &value)?;
        if let Some(input) = component.input_parameters.get(name) {
            input.allows(name, &value)?;
        }
        outputs.parameters.insert(name.clone(), value);
    }
    Ok(outputs)
}
