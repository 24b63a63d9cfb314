//! One containerized task: cache lookup, attempts with retries and backoff,
//! resource admission, and reading what the process produced.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    Progress, RunContext, State,
    executor::Outcome,
    record,
    values::{ArtifactValue, Fill, Values, executor_input, parse_output},
};
use crate::{
    backend::{LaunchSpec, Request},
    spec::{Component, Container, Task},
};

/// Most bytes of stdout kept as an Argo `result`.
const MAX_RESULT_BYTES: u64 = 256 * 1024;

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the pieces are distinct"
)]
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
    let task_id =
        match record::task_started(&ctx.store, &ctx.run_id, &path, name, &json!(inputs)).await {
            Ok(id) => id,
            Err(e) => return Outcome::failed(format!("cannot record task {path}: {e}")),
        };
    let cache_key = task.cache.then(|| cache_key(component, &inputs));
    let hit = match &cache_key {
        Some(key) => record::cached(&ctx.store, key).await.ok().flatten(),
        None => None,
    };
    let hit = hit.and_then(|(from, outputs)| {
        let values = serde_json::from_value::<Values>(outputs.clone()).ok()?;
        Some((from, outputs, values))
    });
    if let Some((from, outputs, values)) = hit {
        let _ = record::task_finished(
            &ctx.store,
            &task_id,
            State::Cached,
            &outputs,
            Some(&from),
            None,
        )
        .await;
        ctx.report(Progress {
            path: &path,
            state: State::Cached,
            attempts: 0,
            cached: true,
        });
        return Outcome {
            state: State::Cached,
            outputs: values,
            reason: None,
        };
    }
    let max_attempts = 1 + task.retry.as_ref().map_or(0, |r| r.max_retries);
    let mut last_reason = String::new();
    for number in 1..=max_attempts {
        if number > 1 {
            let wait = task.retry.as_ref().map_or(0.0, |r| r.backoff(number - 1));
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs_f64(wait)) => {}
                () = ctx.cancel.cancelled() => break,
            }
        }
        match attempt(
            ctx, &task_id, task, component, spec, &inputs, item, &path, number,
        )
        .await
        {
            Ok(outputs) => {
                let outputs_json = json!(outputs);
                if let Some(key) = &cache_key {
                    let _ =
                        record::cache(&ctx.store, key, &task_id, &ctx.run_id, &outputs_json).await;
                }
                let _ = record::task_finished(
                    &ctx.store,
                    &task_id,
                    State::Succeeded,
                    &outputs_json,
                    None,
                    None,
                )
                .await;
                ctx.report(Progress {
                    path: &path,
                    state: State::Succeeded,
                    attempts: number,
                    cached: false,
                });
                return Outcome {
                    state: State::Succeeded,
                    outputs,
                    reason: None,
                };
            }
            Err(reason) => last_reason = reason,
        }
        if ctx.cancel.is_cancelled() {
            break;
        }
    }
    let state = if ctx.cancel.is_cancelled() {
        State::Canceled
    } else {
        State::Failed
    };
    let _ = record::task_finished(
        &ctx.store,
        &task_id,
        state,
        &Value::Null,
        None,
        Some(&last_reason),
    )
    .await;
    ctx.report(Progress {
        path: &path,
        state,
        attempts: max_attempts,
        cached: false,
    });
    Outcome {
        state,
        outputs: Values::default(),
        reason: Some(format!("{path}: {last_reason}")),
    }
}

/// Key of a task's outputs: the component and the resolved inputs.
fn cache_key(component: &Component, inputs: &Values) -> String {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(component).unwrap_or_default());
    hasher.update(serde_json::to_vec(inputs).unwrap_or_default());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A short stable name for a task path, used in attempt names and directories.
pub fn path_hash(path: &str) -> String {
    Sha256::digest(path.as_bytes())[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site; the pieces are distinct"
)]
async fn attempt(
    ctx: &RunContext,
    task_id: &str,
    task: &Task,
    component: &Component,
    spec: &Container,
    inputs: &Values,
    item: Option<&Value>,
    path: &str,
    number: u32,
) -> Result<Values, String> {
    let task_dir = ctx.run_dir.join("tasks").join(path_hash(path));
    let attempt_name = format!("{}-{}-{number}", &ctx.run_id[..8], path_hash(path));
    let attempt_dir = task_dir.join(format!("attempt-{number}"));
    let outputs_dir = attempt_dir.join("outputs");
    std::fs::create_dir_all(&outputs_dir)
        .map_err(|e| format!("cannot create {}: {e}", outputs_dir.display()))?;

    let output_parameter_files: BTreeMap<String, PathBuf> = component
        .output_parameters
        .iter()
        .map(|(name, def)| {
            (
                name.clone(),
                def.path
                    .as_ref()
                    .map_or_else(|| outputs_dir.join("parameters").join(name), PathBuf::from),
            )
        })
        .collect();
    let artifact_root = ctx.artifacts_dir.join(&ctx.run_id).join(path_hash(path));
    let output_artifacts: BTreeMap<String, ArtifactValue> = component
        .output_artifacts
        .iter()
        .map(|(name, def)| {
            let uri = artifact_root.join(name).display().to_string();
            (
                name.clone(),
                ArtifactValue {
                    name: name.clone(),
                    uri,
                    schema: def.schema.clone(),
                    metadata: json!({}),
                },
            )
        })
        .collect();
    for artifact in output_artifacts.values() {
        let _ = std::fs::remove_file(&artifact.uri);
        if let Some(parent) = std::path::Path::new(&artifact.uri).parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
    }
    // Argo templates read inputs from and write outputs to fixed paths.
    for (name, def) in &component.input_artifacts {
        if let (Some(target), Some(artifact)) = (
            &def.path,
            inputs.artifacts.get(name).and_then(|a| a.first()),
        ) {
            std::fs::copy(&artifact.uri, target)
                .map_err(|e| format!("cannot place input artifact {name:?} at {target}: {e}"))?;
        }
    }
    let executor_output = outputs_dir.join("executor_output.json");
    let exec_input = executor_input(
        inputs,
        &output_parameter_files,
        &output_artifacts,
        &executor_output,
    );
    let mut run_values = ctx.run_values.clone();
    run_values.insert(
        "task_name".into(),
        path.rsplit('/').next().unwrap_or(path).to_owned(),
    );
    run_values.insert("task_uuid".into(), task_id.to_owned());
    let fill = Fill {
        inputs,
        output_parameter_files: &output_parameter_files,
        output_artifacts: &output_artifacts,
        executor_input: &exec_input,
        run: &run_values,
        pipeline_inputs: &ctx.parameters,
        item,
    };
    let mut argv = fill.argv(&spec.argv)?;
    if let Some(script) = &spec.script {
        let file = attempt_dir.join("script");
        std::fs::write(&file, script).map_err(|e| format!("cannot write script: {e}"))?;
        argv.push(file.display().to_string());
    }
    let env = spec
        .env
        .iter()
        .map(|(k, pieces)| fill.text(pieces).map(|v| (k.clone(), v)))
        .collect::<Result<Vec<_>, _>>()?;

    let request = Request {
        cpu_milli: spec.resources.cpu_milli.unwrap_or(0),
        memory_bytes: spec.resources.memory_bytes.unwrap_or(0),
        gpus: spec.resources.gpus,
    };
    let grant = ctx
        .ledger
        .acquire(request)
        .await
        .map_err(|e| e.to_string())?;
    record::attempt_started(&ctx.store, &attempt_name, task_id, number)
        .await
        .map_err(|e| e.to_string())?;
    let (started, pid) = tokio::sync::oneshot::channel();
    let launch = LaunchSpec {
        name: attempt_name.clone(),
        image: spec.image.clone(),
        argv,
        env,
        workdir: attempt_dir.join("work"),
        log_dir: attempt_dir.clone(),
        timeout: task.timeout_seconds.map(Duration::from_secs),
        gpus: grant.gpus.clone(),
        started: Some(started),
    };
    let running = ctx.backend.launch(launch, ctx.cancel.clone());
    let store = ctx.store.clone();
    let name_for_pid = attempt_name.clone();
    let record_pid = async move {
        if let Ok(pid) = pid.await {
            let _ = record::attempt_pid(&store, &name_for_pid, pid).await;
        }
    };
    let (exit, ()) = tokio::join!(running, record_pid);
    drop(grant);
    let exit = exit.map_err(|e| e.to_string())?;
    if !exit.success() {
        let reason = exit
            .reason
            .clone()
            .unwrap_or_else(|| format!("exited with status {}", exit.code.unwrap_or(-1)));
        let state = if ctx.cancel.is_cancelled() {
            State::Canceled
        } else {
            State::Failed
        };
        let _ =
            record::attempt_finished(&ctx.store, &attempt_name, state, exit.code, Some(&reason))
                .await;
        return Err(reason);
    }
    let collected = collect_outputs(
        component,
        spec,
        &output_parameter_files,
        &output_artifacts,
        &executor_output,
        &attempt_dir,
    );
    let (state, reason) = match &collected {
        Ok(_) => (State::Succeeded, None),
        Err(e) => (State::Failed, Some(e.as_str())),
    };
    let _ = record::attempt_finished(&ctx.store, &attempt_name, state, exit.code, reason).await;
    collected
}

fn collect_outputs(
    component: &Component,
    spec: &Container,
    parameter_files: &BTreeMap<String, PathBuf>,
    artifacts: &BTreeMap<String, ArtifactValue>,
    executor_output: &std::path::Path,
    attempt_dir: &std::path::Path,
) -> Result<Values, String> {
    let mut outputs = Values::default();
    let written: Value = match std::fs::read(executor_output) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("executor_output.json is not JSON: {e}"))?,
        Err(_) => Value::Null,
    };
    for (name, def) in &component.output_parameters {
        if let Some(value) = written.pointer(&format!("/parameterValues/{}", escape_pointer(name)))
        {
            outputs.parameters.insert(name.clone(), value.clone());
            continue;
        }
        let file = &parameter_files[name];
        let text = std::fs::read_to_string(file).map_err(|_| {
            format!(
                "did not write output parameter {name:?} ({})",
                file.display()
            )
        })?;
        outputs.parameters.insert(
            name.clone(),
            parse_output(def.kind, &text).map_err(|e| format!("output {name:?}: {e}"))?,
        );
    }
    let stdout = attempt_dir.join("stdout");
    let small = std::fs::metadata(&stdout).is_ok_and(|m| m.len() <= MAX_RESULT_BYTES);
    if spec.stdout_result && small && !component.output_parameters.contains_key("result") {
        let text = std::fs::read_to_string(&stdout).unwrap_or_default();
        outputs
            .parameters
            .insert("result".into(), Value::String(text.trim_end().to_owned()));
    }
    for (name, artifact) in artifacts {
        let mut artifact = artifact.clone();
        if let Some(path) = component
            .output_artifacts
            .get(name)
            .and_then(|d| d.path.as_ref())
        {
            std::fs::copy(path, &artifact.uri)
                .map_err(|e| format!("did not write output artifact {name:?} at {path}: {e}"))?;
        }
        if let Some(metadata) = written.pointer(&format!(
            "/artifacts/{}/artifacts/0/metadata",
            escape_pointer(name)
        )) {
            artifact.metadata = metadata.clone();
        }
        outputs.artifacts.insert(name.clone(), vec![artifact]);
    }
    Ok(outputs)
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
