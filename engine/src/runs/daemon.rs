//! Argo `daemon: true` steps. The process starts as any step's does; the
//! step counts as done for the steps after it once the process is ready
//! (its readiness probe passes, or it started, when it has none), and it
//! keeps running until the DAG or steps around it end. Then it is stopped
//! and recorded as succeeded, as Argo's controller ends daemons with their
//! scope. Its address, `{{tasks.X.ip}}`, is this machine's.

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use serde_json::Value;
use tokio::{sync::Notify, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use super::{Progress, RunContext, State, container, executor::Outcome, record, values::Values};
use crate::spec::{Body, Container, Probe, Task};

/// How often a readiness probe is tried: sooner than Kubernetes' default
/// period, since the process is local.
const PROBE_INTERVAL: Duration = Duration::from_millis(200);
/// How long one probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Why a daemon that was stopped with its scope ended.
const STOPPED: &str = "daemon stopped when its DAG or steps ended";

/// The daemons started in one DAG or steps template, stopped when it ends.
#[derive(Debug)]
pub struct Daemons {
    stop: CancellationToken,
    running: Mutex<Vec<JoinHandle<()>>>,
}

impl Daemons {
    /// Daemons of a scope inside a run whose cancellation is `run`.
    pub fn new(run: &CancellationToken) -> Arc<Self> {
        Arc::new(Self { stop: run.child_token(), running: Mutex::default() })
    }

    /// Stops the scope's daemons and waits until their ends are recorded.
    pub async fn stop(&self) {
        self.stop.cancel();
        let running = std::mem::take(&mut *self.running.lock().unwrap_or_else(PoisonError::into_inner));
        for handle in running {
            if let Err(e) = handle.await {
                tracing::error!(error = %e, "a daemon's task ended abnormally");
            }
        }
    }
}

/// Starts a daemon step and answers once it is ready, or ended before.
pub async fn start(
    ctx: &RunContext,
    daemons: &Daemons,
    name: &str,
    task: &Task,
    inputs: Values,
    item: Option<&Value>,
    path: String,
) -> Outcome {
    let daemon = match &ctx.plan.components[&task.component].body {
        Body::Container(Container { daemon: Some(daemon), .. }) => daemon.clone(),
        _ => return Outcome::failed(format!("{path}: a daemon must be a container")),
    };
    let started = Arc::new(Notify::new());
    let mut own = ctx.clone();
    own.cancel = daemons.stop.clone();
    own.daemon_started = Some(started.clone());
    let (task, step, item, step_path) = (task.clone(), name.to_owned(), item.cloned(), path.clone());
    let mut process = tokio::spawn(async move {
        let plan = own.plan.clone();
        let component = &plan.components[&task.component];
        let Body::Container(spec) = &component.body else {
            return Outcome::failed(format!("{step_path}: a daemon must be a container"));
        };
        container::run(&own, &step, &task, component, spec, inputs, item.as_ref(), step_path).await
    });
    let ready = async {
        started.notified().await;
        tokio::time::sleep(Duration::from_secs(daemon.initial_delay_seconds)).await;
        if let Some(probe) = &daemon.probe {
            while !passes(probe).await {
                tokio::time::sleep(PROBE_INTERVAL).await;
            }
        }
    };
    tokio::select! {
        () = ready => {}
        ended = &mut process => return ended.unwrap_or_else(|e| Outcome::failed(format!("{path}: daemon task ended abnormally: {e}"))),
    }
    let (run_cancel, stop, run_id, step) =
        (ctx.cancel.clone(), daemons.stop.clone(), ctx.run_id.clone(), name.to_owned());
    let report_ctx = ctx.clone();
    let finisher = tokio::spawn(async move {
        let Ok(outcome) = process.await else { return };
        // Stopped with its scope, not by the run's cancellation: the
        // way a daemon ends well.
        if outcome.state == State::Canceled && stop.is_cancelled() && !run_cancel.is_cancelled() {
            let key = record::TaskKey { run_id: &run_id, path: &path, name: &step };
            match record::task_ended(&report_ctx.store, key, State::Succeeded, &Value::Null, None, Some(STOPPED)).await
            {
                Ok(()) => {
                    report_ctx.report(Progress { path: &path, state: State::Succeeded, attempts: 1, cached: false })
                }
                Err(e) => tracing::error!(error = %e, run_id, path, "cannot record a stopped daemon"),
            }
        }
    });
    daemons.running.lock().unwrap_or_else(PoisonError::into_inner).push(finisher);
    Outcome {
        state: State::Succeeded,
        outputs: Values::default(),
        reason: None,
        exit_code: None,
        iterations: None,
        omitted: false,
    }
}

/// One try of a readiness probe against this machine.
async fn passes(probe: &Probe) -> bool {
    let attempt = async {
        match probe {
            Probe::Tcp { port } => tokio::net::TcpStream::connect(("127.0.0.1", *port)).await.is_ok(),
            Probe::Http { path, port } => {
                let url = format!("http://127.0.0.1:{port}{path}");
                let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build();
                match client {
                    Ok(client) => client.get(url).send().await.is_ok_and(|r| r.status().as_u16() < 400),
                    Err(_) => false,
                }
            }
            Probe::Exec { argv } => tokio::process::Command::new(&argv[0])
                .args(&argv[1..])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .status()
                .await
                .is_ok_and(|s| s.success()),
        }
    };
    tokio::time::timeout(PROBE_TIMEOUT, attempt).await.unwrap_or(false)
}
