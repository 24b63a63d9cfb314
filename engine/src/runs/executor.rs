//! Drives one run: walks DAGs, decides what may start, fans out loops,
//! and hands containers to [`super::container`].

use std::collections::{BTreeMap, BTreeSet};

use futures::{FutureExt, StreamExt, future::BoxFuture, stream::FuturesUnordered};
use serde_json::{Value, json};

use super::{
    Progress, RunContext, State, conditions, container,
    propagation::{self, Decision, Ended},
    record,
    siblings::{mlmd_state, output_expressions, sibling_values, tasks_variable},
    values::{ArtifactValue, Fill, Values, coerce, item_field},
};
use crate::spec::{ArtifactSource, Body, Component, Condition, Dag, ItemsSource, ParameterSource, Piece, Task};

/// How a task or DAG ended and what it produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Final state.
    pub state: State,
    /// Outputs, when it succeeded.
    pub outputs: Values,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    /// Exit status of a container task's last attempt (Argo `exitCode`).
    pub exit_code: Option<i32>,
    /// For a loop: each iteration's output parameters as an object (Argo's
    /// aggregated `outputs.parameters`).
    pub iterations: Option<Vec<Value>>,
    /// Skipped because what came before did not allow it (Argo's
    /// `Omitted`), not because its own condition was false.
    pub omitted: bool,
}

impl Outcome {
    pub(super) fn failed(reason: impl Into<String>) -> Self {
        Self {
            state: State::Failed,
            outputs: Values::default(),
            reason: Some(reason.into()),
            exit_code: None,
            iterations: None,
            omitted: false,
        }
    }
}

/// The inputs in scope inside a DAG.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// The DAG component's input values.
    pub inputs: Values,
    /// The loop item of the innermost iteration.
    pub item: Option<Value>,
    /// The daemons of the innermost DAG, stopped when it ends.
    pub daemons: Option<std::sync::Arc<super::daemon::Daemons>>,
}

/// Runs a DAG to its end.
pub fn run_dag<'a>(ctx: &'a RunContext, dag: &'a Dag, scope: Scope, path: String) -> BoxFuture<'a, Outcome> {
    async move {
        let daemons = super::daemon::Daemons::new(&ctx.cancel);
        let scope = Scope { daemons: Some(daemons.clone()), ..scope };
        let mut results: BTreeMap<String, Outcome> = BTreeMap::new();
        let mut waiting: BTreeSet<&str> = dag.tasks.keys().map(String::as_str).collect();
        let mut running = FuturesUnordered::new();
        let limit = dag.parallelism.filter(|p| *p > 0).map_or(usize::MAX, |p| p as usize);
        loop {
            // A suspended run starts nothing new; what runs goes on.
            let paused = *ctx.paused.borrow() && !ctx.cancel.is_cancelled();
            let ready: Vec<&str> = waiting
                .iter()
                .filter(|_| !paused)
                .copied()
                .filter(|name| dag.tasks[*name].depends_on.iter().all(|d| results.contains_key(d)))
                .collect();
            for name in ready {
                if running.len() >= limit {
                    break;
                }
                waiting.remove(name);
                let task = &dag.tasks[name];
                let task_path = format!("{path}/{name}");
                // Only what the task reads: its dependencies' outcomes.
                let upstream: BTreeMap<String, Outcome> =
                    task.depends_on.iter().map(|d| (d.clone(), results[d].clone())).collect();
                let scope = scope.clone();
                running.push(async move { (name, run_task(ctx, name, task, &upstream, &scope, task_path).await) });
            }
            let unpaused = async {
                if !paused {
                    return std::future::pending().await;
                }
                tokio::select! {
                    () = ctx.unpaused() => {}
                    () = ctx.cancel.cancelled() => {}
                }
            };
            if running.is_empty() && paused && !waiting.is_empty() {
                unpaused.await;
                continue;
            }
            tokio::select! {
                next = running.next() => match next {
                    Some((name, outcome)) => {
                        results.insert(name.to_owned(), outcome);
                    }
                    None => break,
                },
                () = unpaused => {}
            }
        }
        daemons.stop().await;
        let computed = output_expressions(ctx, dag, &scope, &results);
        let mut outcome = dag_outcome(dag, results);
        match computed {
            Ok(values) => {
                outcome.outputs.parameters.extend(values.parameters);
                outcome.outputs.artifacts.extend(values.artifacts);
            }
            Err(e) if outcome.state == State::Succeeded => return Outcome::failed(format!("{path}: {e}")),
            Err(_) => {}
        }
        outcome
    }
    .boxed()
}

fn dag_outcome(dag: &Dag, results: BTreeMap<String, Outcome>) -> Outcome {
    let failed: Vec<&String> = results.iter().filter(|(_, o)| o.state == State::Failed).map(|(n, _)| n).collect();
    let canceled = results.values().any(|o| o.state == State::Canceled);
    let state = if canceled {
        State::Canceled
    } else if failed.is_empty() {
        State::Succeeded
    } else {
        State::Failed
    };
    let mut outputs = Values::default();
    // The first candidate that produced the output (one, except for `OneOf`).
    for (name, candidates) in &dag.output_parameters {
        let value = candidates.iter().find_map(|(task, output)| results.get(task)?.outputs.parameters.get(output));
        if let Some(value) = value {
            outputs.parameters.insert(name.clone(), value.clone());
        }
    }
    for (name, candidates) in &dag.output_artifacts {
        let value = candidates.iter().find_map(|(task, output)| results.get(task)?.outputs.artifacts.get(output));
        if let Some(value) = value {
            outputs.artifacts.insert(name.clone(), value.clone());
        }
    }
    // The innermost failure, which names its task and why.
    let reason = failed.first().and_then(|name| results[*name].reason.clone());
    Outcome { state, outputs, reason, exit_code: None, iterations: None, omitted: false }
}

/// Runs one task of a DAG (all its iterations), once its dependencies ended.
pub fn run_task<'a>(
    ctx: &'a RunContext,
    name: &'a str,
    task: &'a Task,
    upstream: &'a BTreeMap<String, Outcome>,
    scope: &'a Scope,
    path: String,
) -> BoxFuture<'a, Outcome> {
    async move {
        if ctx.cancel.is_cancelled() {
            return skip(ctx, name, &path, State::Canceled, "run canceled").await;
        }
        let ended = upstream.iter().map(|(k, o)| (k.clone(), Ended::of(o.state, o.omitted))).collect();
        match propagation::decide(&task.trigger, &ended) {
            Ok(Decision::Run) => {}
            Ok(Decision::Omit(reason)) => return omit(ctx, name, &path, &reason).await,
            Err(e) => return fail(ctx, name, &path, &e).await,
        }
        let Some(iterator) = &task.iterator else {
            return run_once(ctx, name, task, upstream, scope, None, path).await;
        };
        let items = match resolve_items(ctx, &iterator.items, upstream, scope) {
            Ok(items) => items,
            Err(e) => return fail(ctx, name, &path, &e).await,
        };
        if let Err(e) = ctx.limits.admit_loop(items.len()) {
            return fail(ctx, name, &path, &e).await;
        }
        let sized = record::durably("a loop's size", || record::loop_size(&ctx.store, &ctx.run_id, &path, items.len()));
        let key = record::TaskKey { run_id: &ctx.run_id, path: &path, name };
        record::or_log(sized.await, key, "a loop's size");
        let limit = if iterator.parallelism == 0 { usize::MAX } else { iterator.parallelism as usize };
        let mut pending = items.into_iter().enumerate();
        let mut running = FuturesUnordered::new();
        let mut outcomes: Vec<Option<Outcome>> = vec![None; pending.len()];
        loop {
            while running.len() < limit {
                let Some((i, item)) = pending.next() else {
                    break;
                };
                let path = format!("{path}[{i}]");
                let scope = scope.clone();
                running.push(async move {
                    (i, run_once(ctx, name, task, upstream, &scope_with(scope, &item), Some(item.clone()), path).await)
                });
            }
            match running.next().await {
                Some((i, outcome)) => outcomes[i] = Some(outcome),
                None => break,
            }
        }
        collect_iterations(ctx, task, outcomes.into_iter().flatten().collect())
    }
    .boxed()
}

/// Outputs of a loop's body that are themselves collected from a loop
/// nested in it: their iterations' lists are joined into one list, which is
/// the flat `List` type the compiler gives the outer output.
fn nested_collections(ctx: &RunContext, task: &Task) -> BTreeSet<String> {
    let Body::Dag(body) = &ctx.plan.components[&task.component].body else {
        return BTreeSet::new();
    };
    body.output_parameters
        .iter()
        .filter(|(_, candidates)| {
            candidates.iter().any(|(producer, _)| body.tasks.get(producer).is_some_and(|t| t.iterator.is_some()))
        })
        .map(|(name, _)| name.clone())
        .collect()
}

fn scope_with(mut scope: Scope, item: &Value) -> Scope {
    scope.item = Some(item.clone());
    scope
}

/// Fan-in: each output becomes the list of the iterations' values (KFP `Collected`).
fn collect_iterations(ctx: &RunContext, task: &Task, outcomes: Vec<Outcome>) -> Outcome {
    let nested = nested_collections(ctx, task);
    let state = if outcomes.iter().any(|o| o.state == State::Failed) {
        State::Failed
    } else if outcomes.iter().any(|o| o.state == State::Canceled) {
        State::Canceled
    } else {
        State::Succeeded
    };
    // Every declared output is a list, empty when there were no items.
    let component = &ctx.plan.components[&task.component];
    let mut parameters: BTreeMap<String, Vec<Value>> =
        component.output_parameters.keys().map(|name| (name.clone(), Vec::new())).collect();
    let mut artifacts: BTreeMap<String, Vec<ArtifactValue>> =
        component.output_artifacts.keys().map(|name| (name.clone(), Vec::new())).collect();
    for outcome in &outcomes {
        for (name, value) in &outcome.outputs.parameters {
            let list = parameters.entry(name.clone()).or_default();
            match value {
                Value::Array(items) if nested.contains(name) => list.extend(items.iter().cloned()),
                // Argo keeps each step's stdout that is JSON as JSON in the list.
                Value::String(text) if name == "result" => {
                    list.push(serde_json::from_str(text).unwrap_or_else(|_| value.clone()))
                }
                _ => list.push(value.clone()),
            }
        }
        for (name, list) in &outcome.outputs.artifacts {
            artifacts.entry(name.clone()).or_default().extend(list.iter().cloned());
        }
    }
    let outputs = Values { parameters: parameters.into_iter().map(|(k, v)| (k, Value::Array(v))).collect(), artifacts };
    let reason = outcomes.iter().find_map(|o| o.reason.clone()).filter(|_| state != State::Succeeded);
    let iterations = outcomes
        .iter()
        .map(|o| json!(o.outputs.parameters.iter().filter(|(k, _)| *k != "result").collect::<BTreeMap<_, _>>()))
        .collect();
    Outcome { state, outputs, reason, exit_code: None, iterations: Some(iterations), omitted: false }
}

fn run_once<'a>(
    ctx: &'a RunContext,
    name: &'a str,
    task: &'a Task,
    upstream: &'a BTreeMap<String, Outcome>,
    scope: &'a Scope,
    item: Option<Value>,
    path: String,
) -> BoxFuture<'a, Outcome> {
    async move {
        if let Err(e) = ctx.limits.admit(&ctx.usage, &path) {
            return fail(ctx, name, &path, &e).await;
        }
        let component = &ctx.plan.components[&task.component];
        let mut inputs = match resolve_inputs(ctx, task, component, upstream, scope, item.as_ref(), Some((name, &path)))
        {
            Ok(inputs) => inputs,
            Err(e) => return fail(ctx, name, &path, &e).await,
        };
        if let (Some(iterator), Some(item)) = (&task.iterator, &item)
            && let Some(input) = &iterator.item_input
        {
            if matches!(iterator.items, ItemsSource::Artifacts(_)) {
                match serde_json::from_value::<ArtifactValue>(item.clone()) {
                    Ok(artifact) => inputs.artifacts.insert(input.clone(), vec![artifact]),
                    Err(e) => return fail(ctx, name, &path, &format!("loop item is not an artifact: {e}")).await,
                };
            } else {
                inputs.parameters.insert(input.clone(), item.clone());
            }
        }
        match conditions_hold(ctx, task, &inputs, upstream, scope, item.as_ref()) {
            Ok(true) => {}
            Ok(false) => {
                return skip(ctx, name, &path, State::Skipped, "condition was false").await;
            }
            Err(e) => return fail(ctx, name, &path, &e).await,
        }
        match &component.body {
            Body::Dag(dag) => {
                let inputs_json = json!(inputs);
                let started = record::durably("a DAG task's start", || {
                    record::task_started(&ctx.store, &ctx.run_id, &path, name, &inputs_json)
                });
                let task_id = match started.await {
                    Ok(id) => id,
                    Err(e) => return Outcome::failed(format!("cannot record task: {e}")),
                };
                let inner = Scope { inputs, item: item.or_else(|| scope.item.clone()), daemons: None };
                let outcome = run_dag(ctx, dag, inner, path.clone()).await;
                let outputs = json!(outcome.outputs);
                let finished = record::durably("a DAG task's end", || {
                    record::task_finished(
                        &ctx.store,
                        &task_id,
                        outcome.state,
                        &outputs,
                        None,
                        outcome.reason.as_deref(),
                    )
                });
                let key = record::TaskKey { run_id: &ctx.run_id, path: &path, name };
                record::or_log(finished.await, key, "a DAG task's end");
                ctx.report(Progress { path: &path, state: outcome.state, attempts: 0, cached: false });
                outcome
            }
            Body::Importer(importer) => super::importer::run(ctx, name, component, importer, &inputs, &path).await,
            Body::Suspend { seconds } => super::suspend::run(ctx, name, component, &inputs, &path, *seconds).await,
            Body::Http(call) => match http_request(ctx, call, &inputs, item.as_ref()) {
                Ok(request) => super::http::run(ctx, name, &path, request).await,
                Err(e) => fail(ctx, name, &path, &e).await,
            },
            Body::Unavailable { reason } => fail(ctx, name, &path, reason).await,
            Body::Container(spec) => match (&spec.daemon, &scope.daemons) {
                (Some(_), Some(daemons)) => {
                    super::daemon::start(ctx, daemons, name, task, inputs, item.as_ref(), path).await
                }
                _ => container::run(ctx, name, task, component, spec, inputs, item.as_ref(), path).await,
            },
        }
    }
    .boxed()
}

async fn skip(ctx: &RunContext, name: &str, path: &str, state: State, reason: &str) -> Outcome {
    let key = record::TaskKey { run_id: &ctx.run_id, path, name };
    let ended = record::durably("a skipped task", || {
        record::task_ended(&ctx.store, key, state, &Value::Null, None, Some(reason))
    });
    record::or_log(ended.await, key, "a skipped task");
    ctx.report(Progress { path, state, attempts: 0, cached: false });
    Outcome {
        state,
        outputs: Values::default(),
        reason: Some(reason.to_owned()),
        exit_code: None,
        iterations: None,
        omitted: false,
    }
}

/// Not run because of what came before: Argo's `Omitted`, shown as skipped.
async fn omit(ctx: &RunContext, name: &str, path: &str, reason: &str) -> Outcome {
    Outcome { omitted: true, ..skip(ctx, name, path, State::Skipped, reason).await }
}

async fn fail(ctx: &RunContext, name: &str, path: &str, reason: &str) -> Outcome {
    let key = record::TaskKey { run_id: &ctx.run_id, path, name };
    let ended = || record::task_ended(&ctx.store, key, State::Failed, &Value::Null, None, Some(reason));
    record::or_log(record::durably("a failed task", ended).await, key, "a failed task");
    ctx.report(Progress { path, state: State::Failed, attempts: 0, cached: false });
    Outcome::failed(format!("{path}: {reason}"))
}

/// Which task a value is resolved for: its name and path (KFP's
/// `{{$.pipeline_task_name}}` and `{{$.pipeline_task_uuid}}` in constants).
type TaskAt<'a> = Option<(&'a str, &'a str)>;

fn parameter_value(
    ctx: &RunContext,
    source: &ParameterSource,
    upstream: &BTreeMap<String, Outcome>,
    scope: &Scope,
    item: Option<&Value>,
    at: TaskAt<'_>,
) -> Result<Option<Value>, String> {
    Ok(match source {
        ParameterSource::Constant(value) => Some(value.clone()),
        ParameterSource::ComponentInput(name) => scope.inputs.parameters.get(name).cloned(),
        ParameterSource::TaskOutput { task, output } => Some(
            upstream
                .get(task)
                .and_then(|o| o.outputs.parameters.get(output))
                .cloned()
                .ok_or_else(|| format!("task {task:?} produced no output {output:?}"))?,
        ),
        ParameterSource::ComponentInputField { input, field } => {
            let value = scope.inputs.parameters.get(input).ok_or_else(|| format!("no input {input:?}"))?;
            // `parseJson(string_value)["field"]`: loop items reach a body as text.
            let object = match value {
                Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| value.clone()),
                other => other.clone(),
            };
            Some(item_field(&object, Some(field)).ok_or_else(|| format!("input {input:?} has no field {field:?}"))?)
        }
        ParameterSource::LoopItem { field } => {
            let item = item.or(scope.item.as_ref()).ok_or("loop item used outside a loop")?;
            Some(item_field(item, field.as_deref()).ok_or_else(|| format!("loop item has no field {field:?}"))?)
        }
        ParameterSource::TaskFinalStatus(task) => {
            let outcome = upstream.get(task).ok_or_else(|| format!("no status of task {task:?}"))?;
            Some(json!({
                "state": mlmd_state(outcome.state),
                "pipelineJobResourceName": ctx.run_name,
                "pipelineTaskName": task,
                "error": { "message": outcome.reason.clone().unwrap_or_default() },
            }))
        }
        ParameterSource::Template(pieces) => {
            let mut run = ctx.run_values();
            if let Some((name, path)) = at {
                run.insert("task_name".into(), name.to_owned());
                run.insert("task_uuid".into(), super::container::attempt_task_uuid(ctx, path));
            }
            let fill = Fill::outside_process(&scope.inputs, &run, &ctx.parameters, item.or(scope.item.as_ref()));
            let variables = fill.expression_variables(Some(tasks_variable(upstream)));
            let pieces = sibling_values(pieces, upstream)?
                .into_iter()
                .map(|piece| match piece {
                    Piece::Expression(e) => super::expr::evaluate(&e, &variables).map(Piece::Literal),
                    other => Ok(other),
                })
                .collect::<Result<Vec<_>, String>>()?;
            Some(Value::String(fill.text(&pieces)?))
        }
    })
}

fn resolve_inputs(
    ctx: &RunContext,
    task: &Task,
    component: &Component,
    upstream: &BTreeMap<String, Outcome>,
    scope: &Scope,
    item: Option<&Value>,
    at: TaskAt<'_>,
) -> Result<Values, String> {
    let mut inputs = Values::default();
    for (name, source) in &task.parameters {
        if let Some(value) = parameter_value(ctx, source, upstream, scope, item, at)? {
            let value = component.input_parameters.get(name).map_or(value.clone(), |def| coerce(def.kind, value));
            if let Some(def) = component.input_parameters.get(name) {
                def.allows(name, &value)?;
            }
            inputs.parameters.insert(name.clone(), value);
        }
    }
    for (name, def) in &component.input_parameters {
        if !inputs.parameters.contains_key(name) {
            if let Some(default) = &def.default {
                inputs.parameters.insert(name.clone(), coerce(def.kind, default.clone()));
            } else if !def.optional
                && def.kind != crate::spec::ParameterType::TaskFinalStatus
                && task.iterator.as_ref().and_then(|i| i.item_input.as_ref()) != Some(name)
            {
                return Err(format!("input parameter {name:?} has no value"));
            }
        }
    }
    for (name, source) in &task.artifacts {
        let list = match source {
            ArtifactSource::ComponentInput(from) => scope.inputs.artifacts.get(from).cloned(),
            ArtifactSource::TaskOutput { task, output } => {
                upstream.get(task).and_then(|o| o.outputs.artifacts.get(output)).cloned()
            }
        };
        if let Some(list) = list {
            inputs.artifacts.insert(name.clone(), list);
        }
    }
    Ok(inputs)
}

fn conditions_hold(
    ctx: &RunContext,
    task: &Task,
    inputs: &Values,
    upstream: &BTreeMap<String, Outcome>,
    scope: &Scope,
    item: Option<&Value>,
) -> Result<bool, String> {
    for condition in &task.trigger.conditions {
        let holds = match condition {
            Condition::Cel(expression) => conditions::cel(expression, &inputs.parameters)?,
            // Decided before the task's inputs were resolved.
            Condition::ArgoDepends(_) => true,
            Condition::ArgoWhen(pieces) => {
                let text = match parameter_value(
                    ctx,
                    &ParameterSource::Template(pieces.clone()),
                    upstream,
                    scope,
                    item,
                    None,
                )? {
                    Some(Value::String(text)) => text,
                    _ => String::new(),
                };
                conditions::when(&text)?
            }
        };
        if !holds {
            return Ok(false);
        }
    }
    Ok(true)
}

fn resolve_items(
    ctx: &RunContext,
    items: &ItemsSource,
    upstream: &BTreeMap<String, Outcome>,
    scope: &Scope,
) -> Result<Vec<Value>, String> {
    match items {
        ItemsSource::Raw(items) => Ok(items.clone()),
        ItemsSource::Parameter(source) => match parameter_value(ctx, source, upstream, scope, None, None)? {
            Some(Value::Array(items)) => Ok(items),
            Some(Value::String(text)) => {
                serde_json::from_str(text.trim()).map_err(|e| format!("loop items {text:?} are not a JSON list: {e}"))
            }
            other => Err(format!("loop items must be a list, got {other:?}")),
        },
        ItemsSource::Sequence(sequence) => {
            let number = |source: &Option<ParameterSource>, what: &str| -> Result<Option<i64>, String> {
                let Some(source) = source else { return Ok(None) };
                let value = parameter_value(ctx, source, upstream, scope, None, None)?;
                let text = match &value {
                    Some(Value::String(text)) => text.trim().to_owned(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                };
                text.parse().map(Some).map_err(|_| format!("withSequence {what} {text:?} is not a whole number"))
            };
            let start = number(&sequence.start, "start")?.unwrap_or(0);
            let (count, end) = (number(&sequence.count, "count")?, number(&sequence.end, "end")?);
            crate::spec::sequence_items(count, start, end, sequence.format.as_deref(), ctx.limits.max_loop_items)
        }
        ItemsSource::Artifacts(source) => {
            let list = match source {
                ArtifactSource::ComponentInput(from) => scope.inputs.artifacts.get(from),
                ArtifactSource::TaskOutput { task, output } => {
                    upstream.get(task).and_then(|o| o.outputs.artifacts.get(output))
                }
            };
            Ok(list.into_iter().flatten().map(|a| serde_json::to_value(a).unwrap_or_default()).collect())
        }
    }
}

/// An `http` step's request with its placeholders filled.
fn http_request(
    ctx: &RunContext,
    call: &crate::spec::HttpCall,
    inputs: &Values,
    item: Option<&Value>,
) -> Result<super::http::Request, String> {
    let run = ctx.run_values();
    let fill = Fill::outside_process(inputs, &run, &ctx.parameters, item);
    Ok(super::http::Request {
        method: call.method.clone(),
        url: fill.text(&call.url)?,
        headers: call.headers.iter().map(|(k, v)| Ok((k.clone(), fill.text(v)?))).collect::<Result<_, String>>()?,
        body: call.body.as_ref().map(|b| fill.text(b)).transpose()?,
        success_condition: call.success_condition.clone(),
        timeout_seconds: call.timeout_seconds,
    })
}
