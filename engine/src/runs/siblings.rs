//! What a task reads of the tasks before it in its DAG: their outputs,
//! states and exit codes as Argo's `tasks.X` / `steps.X` variables and
//! placeholders, KFP's final status, and the DAG outputs computed from
//! them by expressions.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    RunContext, State,
    executor::{Outcome, Scope},
    values::{Fill, Values, as_argument},
};
use crate::spec::{Dag, Piece};

/// The DAG's outputs given by expressions over its tasks' results (Argo
/// `valueFrom.expression`, and `fromExpression` for artifacts, whose value
/// names one task's artifact: see [`ARTIFACT_REF`]).
pub(super) fn output_expressions(
    ctx: &RunContext,
    dag: &Dag,
    scope: &Scope,
    results: &BTreeMap<String, Outcome>,
) -> Result<Values, String> {
    let mut outputs = Values::default();
    if dag.output_expressions.is_empty() && dag.output_artifact_expressions.is_empty() {
        return Ok(outputs);
    }
    let run = ctx.run_values();
    let fill = Fill::outside_process(&scope.inputs, &run, &ctx.parameters, scope.item.as_ref());
    let variables = fill.expression_variables(Some(tasks_variable(results)));
    let evaluate = |name: &str, expression: &str| {
        super::expr::evaluate(expression, &variables).map_err(|e| format!("output {name:?}: {e}"))
    };
    for (name, expression) in &dag.output_expressions {
        outputs.parameters.insert(name.clone(), Value::String(evaluate(name, expression)?));
    }
    for (name, expression) in &dag.output_artifact_expressions {
        let chosen = evaluate(name, expression)?;
        let artifact = chosen
            .strip_prefix(ARTIFACT_REF)
            .and_then(|r| r.split_once('/'))
            .and_then(|(task, output)| results.get(task)?.outputs.artifacts.get(output))
            .ok_or_else(|| format!("output artifact {name:?}: {expression:?} gave {chosen:?}, no task's artifact"))?;
        outputs.artifacts.insert(name.clone(), artifact.clone());
    }
    Ok(outputs)
}

/// How an expression sees a task's output artifact: `artifact://task/name`.
const ARTIFACT_REF: &str = "artifact://";

/// Argo's references to sibling tasks (outputs, status, exit code) filled
/// in from their outcomes; the other pieces are left for [`Fill`].
pub(super) fn sibling_values(pieces: &[Piece], upstream: &BTreeMap<String, Outcome>) -> Result<Vec<Piece>, String> {
    pieces
        .iter()
        .map(|piece| {
            let Some(task) = piece.sibling() else { return Ok(piece.clone()) };
            let outcome = upstream.get(task).ok_or_else(|| format!("task {task:?} has not run"))?;
            let text = match piece {
                Piece::TaskOutput { output, .. } => as_argument(
                    outcome
                        .outputs
                        .parameters
                        .get(output)
                        .ok_or_else(|| format!("task {task:?} produced no output {output:?}"))?,
                ),
                Piece::TaskStatus(_) => argo_phase(outcome.state).to_owned(),
                Piece::TaskExitCode(_) => outcome.exit_code.map(|c| c.to_string()).unwrap_or_default(),
                _ => match &outcome.iterations {
                    Some(iterations) => Value::Array(iterations.clone()).to_string(),
                    None => json!(outcome.outputs.parameters).to_string(),
                },
            };
            Ok(Piece::Literal(text))
        })
        .collect()
}

/// A task's state as KFP's backend reports it in `PipelineTaskFinalStatus`:
/// the ML Metadata execution state of the task.
pub(super) fn mlmd_state(state: State) -> &'static str {
    match state {
        State::Succeeded => "COMPLETE",
        State::Cached => "CACHED",
        State::Failed | State::Lost => "FAILED",
        // Condition false (not triggered) and canceled tasks alike.
        State::Skipped | State::Canceled => "CANCELED",
        State::Pending => "NEW",
        State::Running => "RUNNING",
    }
}

/// A task's state as Argo names node phases.
pub fn argo_phase(state: State) -> &'static str {
    match state {
        State::Succeeded | State::Cached => "Succeeded",
        State::Skipped => "Skipped",
        State::Failed | State::Canceled => "Failed",
        State::Lost => "Error",
        State::Pending => "Pending",
        State::Running => "Running",
    }
}

/// Sibling tasks as Argo expressions read them: `tasks.t.outputs.result`,
/// `tasks.t.outputs.parameters.p` (text), `tasks.t.status`, `tasks.t.exitCode`.
pub(super) fn tasks_variable(upstream: &BTreeMap<String, Outcome>) -> Value {
    let tasks: serde_json::Map<String, Value> = upstream
        .iter()
        .map(|(name, outcome)| {
            let mut parameters: serde_json::Map<String, Value> =
                outcome.outputs.parameters.iter().map(|(k, v)| (k.clone(), Value::String(as_argument(v)))).collect();
            let result = parameters.remove("result");
            let artifacts: serde_json::Map<String, Value> = outcome
                .outputs
                .artifacts
                .keys()
                .map(|artifact| (artifact.clone(), Value::String(format!("{ARTIFACT_REF}{name}/{artifact}"))))
                .collect();
            let mut outputs = json!({ "parameters": parameters, "artifacts": artifacts });
            if let Some(result) = result {
                outputs["result"] = result;
            }
            let task = json!({
                "outputs": outputs,
                "status": argo_phase(outcome.state),
                "exitCode": outcome.exit_code.map(|c| c.to_string()).unwrap_or_default(),
            });
            (name.clone(), task)
        })
        .collect();
    Value::Object(tasks)
}
