//! `ferroflow run FILE`: runs a pipeline to its end on this machine.

use std::{collections::BTreeMap, io::Write, path::Path, sync::Arc};

use anyhow::bail;
use engine::{
    backend::{Ledger, local::LocalBackend},
    runs::{Progress, RunReport, Runner, State},
};
use model::{DEFAULT_NAMESPACE, Principal};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::Settings;

/// Runs `file` with `parameters` (`NAME=VALUE`); prints task lines to
/// stderr and, with `json`, the final report to stdout. Returns whether the
/// run succeeded.
pub async fn run(settings: &Settings, file: &Path, parameters: &[String], json: bool) -> anyhow::Result<bool> {
    let plan = engine::spec::parse_file(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let mut values = BTreeMap::new();
    for pair in parameters {
        let Some((name, text)) = pair.split_once('=') else {
            bail!("parameter {pair:?} is not NAME=VALUE");
        };
        values.insert(name.to_owned(), engine::runs::parse_parameter(&plan, name, text)?);
    }
    for notice in &plan.notices {
        eprintln!("notice: {notice}");
    }
    let runner = runner(settings).await?;
    let report = runner.run(&Principal::local(), DEFAULT_NAMESPACE, plan, values, interrupt()).await?;
    print_report(&report, json)?;
    Ok(report.state == State::Succeeded)
}

/// Resumes `run_id`, or every unfinished run; whether all succeeded.
pub async fn resume(settings: &Settings, run_id: Option<&str>, json: bool) -> anyhow::Result<bool> {
    let runner = runner(settings).await?;
    let ids = match run_id {
        Some(id) => vec![id.to_owned()],
        None => runner.unfinished_runs().await?,
    };
    let mut all_succeeded = true;
    for id in ids {
        let report = runner.resume(&id, interrupt()).await?;
        print_report(&report, json)?;
        all_succeeded &= report.state == State::Succeeded;
    }
    Ok(all_succeeded)
}

/// A runner on this machine for the CLI, printing task progress.
async fn runner(settings: &Settings) -> anyhow::Result<Runner> {
    let engine = engine::Engine::open(&settings.data_dir).await?;
    Ok(local_runner(engine, settings, Default::default())?.with_progress(Arc::new(print_progress)))
}

/// A runner on this machine: local processes, each wrapped in the
/// supervisor so that a restarted ferroflow can collect what outlives it.
/// Processes are registered with their owners in `owners` while they run.
pub fn local_runner(
    engine: engine::Engine,
    settings: &Settings,
    owners: engine::metrics::owners::ProcessOwners,
) -> std::io::Result<Runner> {
    let mut backend = LocalBackend::new()
        .with_supervisor(supervisor_command(settings)?)
        .with_owners(owners)
        .with_environments(environments_dir(settings));
    for (image, dir) in &settings.runtimes {
        backend = backend.with_runtime(image.clone(), dir.clone());
    }
    if let Some(dir) = &settings.default_runtime {
        backend = backend.with_default_runtime(dir.clone());
    }
    let ledger = Ledger::detect(settings.gpus);
    let mut runner = Runner::new(engine, Arc::new(backend), ledger, settings.data_dir.clone())
        .with_import_roots(settings.import_dirs.clone())
        .with_http_allow_hosts(settings.http_allow_hosts.clone())
        .with_limits(engine::runs::RunLimits {
            max_tasks: settings.max_tasks_per_run,
            max_depth: settings.max_nesting_depth,
            max_loop_items: settings.max_loop_items,
            max_run_seconds: settings.max_run_seconds,
        });
    if let Some(seconds) = settings.cache_ttl_seconds {
        runner = runner.with_cache_ttl(std::time::Duration::from_secs(seconds));
    }
    Ok(runner)
}

/// Where the environments prepared for steps' package installs are kept.
fn environments_dir(settings: &Settings) -> std::path::PathBuf {
    settings.data_dir.join("environments")
}

/// `ferroflow runtimes list`: one block per prepared environment.
pub fn list_environments(settings: &Settings) -> String {
    let environments = engine::backend::environments::Environments::new(environments_dir(settings));
    let mut out = String::new();
    for prepared in environments.list() {
        let used = prepared.last_used.map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339());
        out.push_str(&format!(
            "{}\n  runtime:  {}\n  prepared: {}\n  used:     {}\n",
            prepared.dir.display(),
            prepared.runtime.display(),
            prepared.created.to_rfc3339(),
            used.as_deref().unwrap_or("never"),
        ));
        for install in &prepared.requirements.0 {
            out.push_str(&format!("  pip install {}\n", install.join(" ")));
        }
    }
    if out.is_empty() {
        out.push_str("no prepared environments\n");
    }
    out
}

/// `ferroflow runtimes prune`: removes environments unused for `unused_for`.
pub fn prune_environments(
    settings: &Settings,
    unused_for: std::time::Duration,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    engine::backend::environments::Environments::new(environments_dir(settings)).prune(unused_for)
}

/// Notebook servers on this machine, sharing the runner's backend and
/// resource ledger. JupyterLab is looked for in the default runtime, in
/// `.venv/bin` of the working directory (where `scripts/setup.sh` puts
/// it), then on `PATH`.
/// The spawner config comes from `settings.spawner_config` when set.
pub fn local_notebooks(
    engine: engine::Engine,
    runner: &Runner,
    settings: &Settings,
) -> Result<engine::notebooks::local::NotebookManager, engine::notebooks::config::ConfigError> {
    use engine::notebooks::{config::SpawnerConfig, local};
    let config = match &settings.spawner_config {
        Some(path) => SpawnerConfig::load(path)?,
        None => SpawnerConfig::default(),
    };
    let mut places: Vec<std::path::PathBuf> = settings.default_runtime.iter().cloned().collect();
    places.extend(std::path::absolute(".venv/bin"));
    let programs = local::Programs::find(&places);
    Ok(local::NotebookManager::new(
        engine,
        runner.backend(),
        runner.ledger().clone(),
        settings.data_dir.clone(),
        programs,
        config,
    )
    .with_runtimes(settings.runtimes.clone()))
}

/// The configured supervisor; else `ferroflow-supervise` next to this
/// binary, as `cargo xtask build` and cargo put it; else `ferroflow
/// supervise` (same job, slower start).
fn supervisor_command(settings: &Settings) -> std::io::Result<Vec<String>> {
    if let Some(configured) = &settings.supervisor {
        return Ok(vec![configured.display().to_string()]);
    }
    let exe = std::env::current_exe()?;
    let small = exe.with_file_name("ferroflow-supervise");
    Ok(if small.exists() {
        vec![small.display().to_string()]
    } else {
        vec![exe.display().to_string(), "supervise".to_owned()]
    })
}

/// A token cancelled by Ctrl-C.
fn interrupt() -> CancellationToken {
    let cancel = CancellationToken::new();
    let on_interrupt = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupted: stopping the run");
            on_interrupt.cancel();
        }
    });
    cancel
}

fn print_report(report: &RunReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(&json_report(report))?);
    } else {
        eprintln!("run {} {}", report.run_id, report.state.as_str());
        if let Some(error) = &report.error {
            eprintln!("  {error}");
        }
        for (name, value) in &report.outputs {
            println!("{name} = {value}");
        }
    }
    Ok(())
}

fn print_progress(progress: Progress<'_>) {
    let mark = match progress.state {
        State::Succeeded => "ok",
        State::Cached => "cached",
        State::Skipped => "skipped",
        State::Failed => "FAILED",
        State::Canceled => "canceled",
        State::Lost => "lost",
        State::Pending | State::Running => "...",
    };
    let attempts = if progress.attempts > 1 { format!(" after {} attempts", progress.attempts) } else { String::new() };
    let _ = writeln!(std::io::stderr(), "{mark:>8}  {}{attempts}", progress.path);
}

/// `{"run_id", "state", "outputs", "tasks": [{"name", "state", "attempts", "cached"}]}`.
fn json_report(report: &RunReport) -> Value {
    let mut value = serde_json::json!({
        "run_id": report.run_id,
        "state": report.state,
        "outputs": report.outputs,
        "tasks": report.tasks,
    });
    if let Some(error) = &report.error {
        value["error"] = Value::String(error.clone());
    }
    value
}
