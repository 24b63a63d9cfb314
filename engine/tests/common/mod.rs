//! Shared by the engine's end-to-end tests: a temporary engine with the
//! local backend, and running example pipelines on it.
#![allow(dead_code, reason = "each test binary uses a part of it")]

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use engine::{
    Engine,
    backend::{Ledger, local::LocalBackend},
    runs::{RunReport, Runner, State},
    spec,
};
use model::Principal;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn python_runtime() -> PathBuf {
    let bin = workspace().join(".venv/bin");
    assert!(bin.join("python3").exists(), "{} is missing: run scripts/setup.sh --test", bin.display());
    bin
}

/// An engine and runner over a temporary data dir; importers may read its
/// `imports/` directory.
pub struct Harness {
    pub _dir: tempfile::TempDir,
    pub engine: Engine,
    pub runner: Runner,
}

pub async fn harness() -> Harness {
    harness_with(|runner| runner).await
}

/// A harness whose runner tells each task's progress on the returned channel.
pub async fn harness_with_progress() -> (Harness, tokio::sync::mpsc::UnboundedReceiver<(String, State)>) {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    let progress: engine::runs::ProgressFn = Arc::new(move |p: engine::runs::Progress<'_>| {
        sender.send((p.path.to_owned(), p.state)).ok();
    });
    (harness_with(|runner| runner.with_progress(progress)).await, receiver)
}

pub async fn harness_with(configure: impl FnOnce(Runner) -> Runner) -> Harness {
    harness_with_backend(|backend, _| backend, configure).await
}

/// A harness whose backend is changed by `backend` (given the data dir) too.
pub async fn harness_with_backend(
    backend: impl FnOnce(LocalBackend, &std::path::Path) -> LocalBackend,
    configure: impl FnOnce(Runner) -> Runner,
) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).await.unwrap();
    let backend = backend(LocalBackend::new().with_default_runtime(python_runtime()), dir.path());
    std::fs::create_dir_all(dir.path().join("imports")).unwrap();
    let runner = Runner::new(engine.clone(), Arc::new(backend), Ledger::detect(0), dir.path().to_owned())
        .with_import_roots(vec![dir.path().join("imports")])
        .with_http_allow_hosts(vec!["127.0.0.1".into()]);
    let runner = configure(runner);
    Harness { _dir: dir, engine, runner }
}

/// Starts a run of the spec `yaml` in the background; the handle gives its report.
#[allow(dead_code, reason = "not every test binary drives runs in the background")]
pub fn start(h: &Harness, yaml: &str, parameters: &[(&str, Value)]) -> tokio::task::JoinHandle<RunReport> {
    let plan = spec::parse(yaml.as_bytes()).unwrap();
    let parameters: BTreeMap<String, Value> = parameters.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let runner = h.runner.clone();
    tokio::spawn(async move {
        runner.run(&Principal::local(), "default", plan, parameters, CancellationToken::new()).await.unwrap()
    })
}

pub async fn run(h: &Harness, example: &str, parameters: &[(&str, Value)]) -> RunReport {
    let yaml = std::fs::read(workspace().join("examples").join(example)).unwrap();
    let plan = spec::parse(&yaml).unwrap();
    let parameters: BTreeMap<String, Value> = parameters.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    h.runner.run(&Principal::local(), "default", plan, parameters, CancellationToken::new()).await.unwrap()
}

pub fn task<'a>(report: &'a RunReport, path: &str) -> &'a engine::runs::TaskReport {
    report.tasks.iter().find(|t| t.name == path).unwrap_or_else(|| panic!("no task {path} in {:#?}", report.tasks))
}

/// The output parameter `output` of the task at `path`, as recorded.
pub async fn task_output(h: &Harness, report: &RunReport, path: &str, output: &str) -> Value {
    let tasks = h.engine.task_records(&report.run_id).await.unwrap();
    let task = tasks.iter().find(|t| t.path == path).unwrap_or_else(|| panic!("no task {path}"));
    task.outputs["parameters"][output].clone()
}
