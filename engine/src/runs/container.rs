//! One containerized task: cache lookup, attempts with retries and backoff,
//! resource admission, reading what the process produced, and picking an
//! interrupted task up again after a restart.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use crate::metrics::owners::{Allocation, Holding, Owner, OwnerKind};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    Progress, RunContext, State,
    executor::Outcome,
    fixed_paths::Moves,
    record::{self, TaskEnd, TaskKey},
    request::requested,
    values::{ArtifactValue, Fill, Values, executor_input, parse_output},
};
use crate::{
    backend::{Exit, LaunchSpec, Reattach, Request, local::recorded_gpus},
    spec::{Component, Container, Task},
};

/// Most bytes of stdout kept as an Argo `result`.
const MAX_RESULT_BYTES: u64 = 256 * 1024;

/// Runs a container task to its end: from the cache, by re-attaching to an
/// attempt that survived a restart, or by launching attempts.
#[expect(clippy::too_many_arguments, reason = "one call site; the pieces are distinct")]
pub async fn run(
    ctx: &RunContext,
    name: &str,
    task: &Task,
    component: &Component,
    spec: &Container,
    inputs: Values,
    item: Option<&Value>,
    path: String,
) -> Outcome {
    let key = TaskKey { run_id: &ctx.run_id, path: &path, name };
    let mut max_attempts = 1 + task.retry.as_ref().map_or(0, |r| r.max_retries);
    let mut next_number = 1;
    let mut last_reason = String::new();
    let mut last_code = None;
    if ctx.resuming {
        match resume(ctx, component, spec, &inputs, &path).await {
            Resumed::Done(outcome) => return outcome,
            Resumed::Continue { next, base, reason } => {
                next_number = next;
                max_attempts += base;
                last_reason = reason.unwrap_or_default();
            }
        }
    }
    let cache_key = task.cache.then(|| cache_key(component, &inputs));
    let hit = match &cache_key {
        Some(key) => record::cached(&ctx.store, key, ctx.cache_ttl).await.ok().flatten(),
        None => None,
    };
    let hit = hit.and_then(|(from, outputs)| {
        let values = serde_json::from_value::<Values>(outputs.clone()).ok()?;
        Some((from, outputs, values))
    });
    if let Some((from, outputs, values)) = hit {
        let cached = record::durably("a cached task", || {
            record::task_ended(&ctx.store, key, State::Cached, &outputs, Some(&from), None)
        });
        record::or_log(cached.await, key, "a cached task");
        ctx.report(Progress { path: &path, state: State::Cached, attempts: 0, cached: true });
        return Outcome {
            state: State::Cached,
            outputs: values,
            reason: None,
            exit_code: None,
            iterations: None,
            omitted: false,
        };
    }
    for number in next_number..=max_attempts {
        if number > 1 {
            let wait = task.retry.as_ref().map_or(0.0, |r| r.backoff(number - 1));
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs_f64(wait)) => {}
                () = ctx.cancel.cancelled() => break,
            }
        }
        let attempt = Attempt { ctx, key, task, component, spec, inputs: &inputs, item, number };
        match attempt.run(cache_key.as_deref()).await {
            Ok(outputs) => {
                ctx.report(Progress { path: &path, state: State::Succeeded, attempts: number, cached: false });
                return Outcome {
                    state: State::Succeeded,
                    outputs,
                    reason: None,
                    exit_code: Some(0),
                    iterations: None,
                    omitted: false,
                };
            }
            Err(failure) => (last_reason, last_code) = (failure.reason, failure.code),
        }
        if ctx.cancel.is_cancelled() {
            break;
        }
    }
    let state = if ctx.cancel.is_cancelled() { State::Canceled } else { State::Failed };
    let ended = record::durably("a task's end", || {
        record::task_ended(&ctx.store, key, state, &Value::Null, None, Some(&last_reason))
    });
    record::or_log(ended.await, key, "a task's end");
    ctx.report(Progress { path: &path, state, attempts: max_attempts, cached: false });
    Outcome {
        state,
        outputs: Values::default(),
        reason: Some(format!("{path}: {last_reason}")),
        exit_code: last_code,
        iterations: None,
        omitted: false,
    }
}

/// What a restarted engine found of a task.
enum Resumed {
    /// It had ended, or its surviving attempt has now ended well.
    Done(Outcome),
    /// Launch attempts from `next` on; `base` attempts were made before
    /// the run was retried and do not count against the retry policy.
    Continue { next: u32, base: u32, reason: Option<String> },
}

/// Picks a task up after a restart: a finished task keeps its result (no
/// step runs twice); an attempt still running is waited for again; one that
/// vanished is marked lost and counts against the retries.
async fn resume(ctx: &RunContext, component: &Component, spec: &Container, inputs: &Values, path: &str) -> Resumed {
    let Ok(Some(prior)) = record::task_at(&ctx.store, &ctx.run_id, path).await else {
        return Resumed::Continue { next: 1, base: 0, reason: None };
    };
    let base = prior.attempt_base;
    match prior.state {
        State::Succeeded | State::Cached => {
            let outputs = prior.outputs.and_then(|o| serde_json::from_value(o).ok()).unwrap_or_default();
            ctx.report(Progress { path, state: prior.state, attempts: 0, cached: prior.state == State::Cached });
            return Resumed::Done(Outcome {
                state: prior.state,
                outputs,
                reason: None,
                exit_code: None,
                iterations: None,
                omitted: false,
            });
        }
        State::Failed | State::Canceled | State::Skipped | State::Lost => {
            return Resumed::Done(Outcome {
                state: prior.state,
                outputs: Values::default(),
                reason: prior.reason,
                exit_code: None,
                iterations: None,
                omitted: false,
            });
        }
        State::Pending | State::Running => {}
    }
    let Ok(Some(last)) = record::last_attempt(&ctx.store, &prior.id).await else {
        return Resumed::Continue { next: 1, base, reason: None };
    };
    if last.state != State::Running {
        return Resumed::Continue { next: last.number + 1, base, reason: last.reason };
    }
    let paths = AttemptPaths::new(ctx, component, path, last.number);
    // What it runs with is held again, so new steps are admitted around it.
    // (Its inputs were checked when it was launched.)
    let request = requested(spec, inputs).unwrap_or_default();
    let grant = ctx.ledger.reclaim(request, &recorded_gpus(&paths.dir));
    let exit = ctx
        .backend
        .reattach(
            Reattach {
                name: last.name.clone(),
                log_dir: paths.dir.clone(),
                holding: Some(holding(ctx, &last.name, &request, &grant.gpus)),
            },
            ctx.cancel.clone(),
        )
        .await;
    drop(grant);
    tracing::info!(run.id = %ctx.run_id, task.path = %path, attempt = %last.name, ?exit, "re-attached attempt ended");
    match finish(ctx, component, spec, &paths, &last.name, &prior.id, None, exit).await {
        Ok(outputs) => {
            ctx.report(Progress { path, state: State::Succeeded, attempts: last.number, cached: false });
            Resumed::Done(Outcome {
                state: State::Succeeded,
                outputs,
                reason: None,
                exit_code: Some(0),
                iterations: None,
                omitted: false,
            })
        }
        Err(reason) => Resumed::Continue { next: last.number + 1, base, reason: Some(reason) },
    }
}

/// Key of a task's outputs: the component and the resolved inputs.
fn cache_key(component: &Component, inputs: &Values) -> String {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(component).unwrap_or_default());
    hasher.update(serde_json::to_vec(inputs).unwrap_or_default());
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A short stable name for a task path, used in attempt names and directories.
pub fn path_hash(path: &str) -> String {
    Sha256::digest(path.as_bytes())[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Where one attempt keeps its files; the same for the same task and number.
struct AttemptPaths {
    dir: PathBuf,
    /// The template's fixed paths, moved under `dir`.
    moves: Moves,
    outputs_dir: PathBuf,
    executor_output: PathBuf,
    parameter_files: BTreeMap<String, PathBuf>,
    artifacts: BTreeMap<String, ArtifactValue>,
}

impl AttemptPaths {
    fn new(ctx: &RunContext, component: &Component, path: &str, number: u32) -> Self {
        let dir = ctx.run_dir.join("tasks").join(path_hash(path)).join(format!("attempt-{number}"));
        let outputs_dir = dir.join("outputs");
        let moves = Moves::new(component, &dir.join("fs"));
        let work = dir.join("work");
        let place = |fixed: &str| work.join(moves.place(fixed));
        let parameter_files = component
            .output_parameters
            .iter()
            .map(|(name, def)| {
                (name.clone(), def.path.as_deref().map_or_else(|| outputs_dir.join("parameters").join(name), place))
            })
            .collect();
        let artifact_root = ctx.artifacts_dir.join(&ctx.run_id).join(path_hash(path));
        let artifacts = component
            .output_artifacts
            .iter()
            .map(|(name, def)| {
                let uri = artifact_root.join(name).display().to_string();
                (
                    name.clone(),
                    ArtifactValue { name: name.clone(), uri, schema: def.schema.clone(), metadata: json!({}) },
                )
            })
            .collect();
        Self {
            executor_output: outputs_dir.join("executor_output.json"),
            dir,
            moves,
            outputs_dir,
            parameter_files,
            artifacts,
        }
    }
}

impl AttemptPaths {
    /// Where the attempt keeps a path its template fixes: moved under the
    /// attempt when absolute, in its working directory when relative.
    fn fixed(&self, path: &str) -> PathBuf {
        self.dir.join("work").join(self.moves.place(path))
    }
}

/// Deterministic attempt name: run, task and attempt number.
fn attempt_name(ctx: &RunContext, path: &str, number: u32) -> String {
    format!("{}-{}-{number}", &ctx.run_id[..8], path_hash(path))
}

/// One attempt of a task.
struct Attempt<'a> {
    ctx: &'a RunContext,
    key: TaskKey<'a>,
    task: &'a Task,
    component: &'a Component,
    spec: &'a Container,
    inputs: &'a Values,
    item: Option<&'a Value>,
    number: u32,
}

impl Attempt<'_> {
    /// Prepares, launches and waits for the attempt; its outputs if it succeeded.
    async fn run(self, cache_key: Option<&str>) -> Result<Values, Failure> {
        let Attempt { ctx, key, task, component, spec, inputs, item, number } = self;
        let path = key.path;
        let paths = AttemptPaths::new(ctx, component, path, number);
        let name = attempt_name(ctx, path, number);
        std::fs::create_dir_all(&paths.outputs_dir)
            .map_err(|e| format!("cannot create {}: {e}", paths.outputs_dir.display()))?;
        for artifact in paths.artifacts.values() {
            let _ = std::fs::remove_file(&artifact.uri);
            if let Some(parent) = std::path::Path::new(&artifact.uri).parent() {
                std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
        }
        paths.moves.prepare().map_err(|e| format!("cannot create the attempt's directories: {e}"))?;
        // Argo templates read inputs from fixed paths (the attempt's own).
        for (input, def) in &component.input_artifacts {
            if let (Some(target), Some(artifact)) = (&def.path, inputs.artifacts.get(input).and_then(|a| a.first())) {
                let placed = paths.fixed(target);
                if let Some(parent) = placed.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                }
                std::fs::copy(&artifact.uri, &placed)
                    .map_err(|e| format!("cannot place input artifact {input:?} at {target}: {e}"))?;
            }
        }
        let exec_input = executor_input(inputs, &paths.parameter_files, &paths.artifacts, &paths.executor_output);
        let mut run_values = ctx.run_values();
        run_values.insert("task_name".into(), path.rsplit('/').next().unwrap_or(path).to_owned());
        run_values.insert("task_uuid".into(), attempt_task_uuid(ctx, path));
        run_values.insert("retries".into(), (number - 1).to_string());
        let fill = Fill {
            inputs,
            output_parameter_files: &paths.parameter_files,
            output_artifacts: &paths.artifacts,
            executor_input: &exec_input,
            run: &run_values,
            pipeline_inputs: &ctx.parameters,
            item,
        };
        let mut argv: Vec<String> = fill.argv(&spec.argv)?.iter().map(|a| paths.moves.apply(a)).collect();
        if let Some(script) = &spec.script {
            let file = paths.dir.join("script");
            let text = paths.moves.apply(&fill.text(script)?);
            std::fs::write(&file, text).map_err(|e| format!("cannot write script: {e}"))?;
            argv.push(file.display().to_string());
        }
        let env = spec
            .env
            .iter()
            .map(|(k, pieces)| fill.text(pieces).map(|v| (k.clone(), paths.moves.apply(&v))))
            .collect::<Result<Vec<_>, _>>()?;

        let request = requested(spec, inputs)?;
        let grant = ctx.ledger.acquire(request).await.map_err(|e| e.to_string())?;
        let inputs_json = json!(inputs);
        let task_id = record::durably("an attempt's start", || {
            record::begin_attempt(&ctx.store, key, &inputs_json, &name, number, &spec.image, &paths.dir)
        })
        .await
        .map_err(|e| format!("cannot record the attempt's start: {e}"))?;
        let launch = LaunchSpec {
            name: name.clone(),
            image: spec.image.clone(),
            argv,
            env,
            workdir: paths.dir.join("work"),
            log_dir: paths.dir.clone(),
            timeout: task.timeout_seconds.map(Duration::from_secs),
            gpus: grant.gpus.clone(),
            started: ctx.daemon_started.clone().map(started_notice),
            holding: Some(holding(ctx, &name, &request, &grant.gpus)),
        };
        let running = ctx.backend.launch(launch, ctx.cancel.clone());
        let exit = crate::logs::noting_growth(&paths.dir, running, || ctx.report_log_growth(&name)).await;
        drop(grant);
        let exit = exit.map_err(|e| e.to_string())?;
        let code = exit.code;
        finish(ctx, component, spec, &paths, &name, &task_id, cache_key, exit)
            .await
            .map_err(|reason| Failure { reason, code })
    }
}

/// A channel the backend tells once the process started, which wakes `notify`.
fn started_notice(
    notify: std::sync::Arc<tokio::sync::Notify>,
) -> tokio::sync::oneshot::Sender<crate::backend::ProcessId> {
    let (started, told) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        if told.await.is_ok() {
            notify.notify_one();
        }
    });
    started
}

/// Why an attempt failed, with its exit status when it ran.
struct Failure {
    reason: String,
    code: Option<i32>,
}

impl From<String> for Failure {
    fn from(reason: String) -> Self {
        Self { reason, code: None }
    }
}

/// The run attempt `attempt` as the owner of its processes.
fn holding(ctx: &RunContext, attempt: &str, request: &Request, gpus: &[u32]) -> Holding {
    Holding {
        owner: Owner {
            namespace: ctx.namespace.to_string(),
            kind: OwnerKind::Run,
            name: ctx.run_id.clone(),
            detail: attempt.to_owned(),
        },
        allocation: Allocation {
            cpu_milli: request.cpu_milli,
            memory_bytes: request.memory_bytes,
            gpus: gpus.to_vec(),
        },
    }
}

/// A stable id for `{{$.pipeline_task_uuid}}`: the same for every attempt of the task.
pub(super) fn attempt_task_uuid(ctx: &RunContext, path: &str) -> String {
    format!("{}-{}", ctx.run_id, path_hash(path))
}

/// Records how an attempt ended and reads its outputs if it succeeded.
#[expect(clippy::too_many_arguments, reason = "one call site per caller; the pieces are distinct")]
async fn finish(
    ctx: &RunContext,
    component: &Component,
    spec: &Container,
    paths: &AttemptPaths,
    name: &str,
    task_id: &str,
    cache_key: Option<&str>,
    exit: Exit,
) -> Result<Values, String> {
    if !exit.success() {
        let mut reason =
            exit.reason.clone().unwrap_or_else(|| format!("exited with status {}", exit.code.unwrap_or(-1)));
        // What the step said last on stderr: a Python step's exception.
        if !exit.lost
            && !ctx.cancel.is_cancelled()
            && let Some(line) = crate::logs::last_error_line(&paths.dir.join("stderr"))
        {
            reason = format!("{reason}: {line}");
        }
        let state = if exit.lost {
            State::Lost
        } else if ctx.cancel.is_cancelled() {
            State::Canceled
        } else {
            State::Failed
        };
        let ended = record::durably("an attempt's end", || {
            record::end_attempt(&ctx.store, name, state, exit.code, Some(&reason), None)
        });
        if let Err(e) = ended.await {
            tracing::error!(run.id = %ctx.run_id, attempt = name, error = %e, "cannot record an attempt's end");
        }
        return Err(reason);
    }
    let collected = collect_outputs(component, spec, paths);
    match &collected {
        Ok(values) => {
            let outputs = json!(values);
            let artifacts = values.artifacts.values().flatten().collect();
            let task = TaskEnd { task_id, state: State::Succeeded, outputs: &outputs, cache_key, artifacts };
            let result =
                || record::end_attempt(&ctx.store, name, State::Succeeded, exit.code, None, Some(task.clone()));
            record::durably("a step's result", result).await.map_err(|e| format!("cannot record the result: {e}"))?;
        }
        Err(reason) => {
            let ended = || record::end_attempt(&ctx.store, name, State::Failed, exit.code, Some(reason), None);
            if let Err(e) = record::durably("an attempt's end", ended).await {
                tracing::error!(run.id = %ctx.run_id, attempt = name, error = %e, "cannot record an attempt's end");
            }
        }
    }
    collected
}

fn collect_outputs(component: &Component, spec: &Container, paths: &AttemptPaths) -> Result<Values, String> {
    let AttemptPaths { parameter_files, artifacts, executor_output, dir: attempt_dir, .. } = paths;
    let mut outputs = Values::default();
    let written: Value = match std::fs::read(executor_output) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| format!("executor_output.json is not JSON: {e}"))?,
        Err(_) => Value::Null,
    };
    for (name, def) in &component.output_parameters {
        if let Some(value) = written.pointer(&format!("/parameterValues/{}", escape_pointer(name))) {
            outputs.parameters.insert(name.clone(), value.clone());
            continue;
        }
        let file = &parameter_files[name];
        let text = match (std::fs::read_to_string(file), &def.default) {
            // Argo reads a fixed path and drops one trailing newline.
            (Ok(text), _) if def.path.is_some() => text.strip_suffix('\n').unwrap_or(&text).to_owned(),
            (Ok(text), _) => text,
            // Argo's `valueFrom.default`, for a file not written.
            (Err(_), Some(default)) => {
                outputs.parameters.insert(name.clone(), default.clone());
                continue;
            }
            (Err(_), None) => return Err(format!("did not write output parameter {name:?} ({})", file.display())),
        };
        outputs
            .parameters
            .insert(name.clone(), parse_output(def.kind, &text).map_err(|e| format!("output {name:?}: {e}"))?);
    }
    let stdout = attempt_dir.join("stdout");
    let small = std::fs::metadata(&stdout).is_ok_and(|m| m.len() <= MAX_RESULT_BYTES);
    if spec.stdout_result && small && !component.output_parameters.contains_key("result") {
        let text = std::fs::read_to_string(&stdout).unwrap_or_default();
        outputs.parameters.insert("result".into(), Value::String(text.trim_end().to_owned()));
    }
    for (name, artifact) in artifacts {
        let mut artifact = artifact.clone();
        if let Some(path) = component.output_artifacts.get(name).and_then(|d| d.path.as_ref()) {
            std::fs::copy(paths.fixed(path), &artifact.uri)
                .map_err(|e| format!("did not write output artifact {name:?} at {path}: {e}"))?;
        }
        let written_at = format!("/artifacts/{}/artifacts/0", escape_pointer(name));
        if let Some(metadata) = written.pointer(&format!("{written_at}/metadata")) {
            artifact.metadata = metadata.clone();
        }
        if let Some(uri) = written.pointer(&format!("{written_at}/uri")).and_then(Value::as_str) {
            take_returned(uri, &artifact.uri, attempt_dir).map_err(|e| format!("output artifact {name:?}: {e}"))?;
        }
        outputs.artifacts.insert(name.clone(), vec![artifact]);
    }
    Ok(outputs)
}

/// A component that returns an artifact it made itself (KFP's pythonic
/// artifacts: `Dataset(uri=dsl.get_uri())`) wrote it where it chose; when
/// that is inside the attempt's directory, it is moved to the artifact's
/// place in the store. Other places are left alone (the store's copy, if
/// any, stands).
fn take_returned(uri: &str, planned: &str, attempt_dir: &std::path::Path) -> Result<(), String> {
    let chosen = std::path::Path::new(uri.strip_prefix("file://").unwrap_or(uri));
    if uri == planned || !chosen.exists() {
        return Ok(());
    }
    let (Ok(chosen), Ok(root)) = (chosen.canonicalize(), attempt_dir.canonicalize()) else {
        return Ok(());
    };
    if !chosen.starts_with(&root) {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(planned).parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    // A file left at the planned place by the executor is replaced.
    if std::path::Path::new(planned).is_file() {
        std::fs::remove_file(planned).map_err(|e| format!("cannot replace {planned}: {e}"))?;
    }
    std::fs::rename(&chosen, planned).map_err(|e| format!("cannot move {} to {planned}: {e}", chosen.display()))
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
