//! The `ferroflow` server: settings, the HTTP router and what it serves.
//!
//! [`launch`] is the whole server; `main` only parses the command line and
//! calls it, and the integration tests call it on `127.0.0.1:0`.

mod argo;
mod auth;
mod dashboard_files;
mod error;
mod events;
mod health;
mod hosts;
pub mod kfp;
mod namespaces;
mod notebooks;
mod prometheus;
mod router;
pub mod run_command;
mod security;
pub mod settings;
mod site;

use std::{
    future::{Future, IntoFuture},
    time::Duration,
};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use error::ApiError;
pub use settings::Settings;

/// How long shutdown waits for open connections to finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The engine (database, migrations) could not be opened.
    #[error("cannot open the engine: {0}")]
    Engine(#[from] engine::Error),
    /// Serving HTTP failed.
    #[error("HTTP server failed: {0}")]
    Serve(#[from] std::io::Error),
    /// The spawner config file is missing or invalid.
    #[error(transparent)]
    SpawnerConfig(#[from] engine::notebooks::config::ConfigError),
    /// The notebook origin's address could not be listened on.
    #[error("cannot listen for notebooks on {address}: {source}")]
    NotebookBind {
        /// The address.
        address: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The engine.
    pub engine: engine::Engine,
    /// Starts, stops and retries runs on the configured backend.
    pub runner: engine::runs::Runner,
    /// Starts and stops notebook servers on this machine.
    pub notebooks: engine::notebooks::local::NotebookManager,
    /// Where browsers reach the notebook servers.
    pub notebook_origin: engine::notebooks::NotebookOrigin,
    /// Utilization samples and series.
    pub metrics: engine::metrics::Metrics,
    /// What `/metrics` serves.
    pub prometheus: std::sync::Arc<prometheus::ServerMetrics>,
    /// Where the site is and how its files are named.
    pub leptos: leptos::config::LeptosOptions,
    /// Cancelled when the server shuts down; long-lived responses (SSE) end then.
    pub shutdown: CancellationToken,
    /// Host names requests may be addressed to.
    pub known_hosts: std::sync::Arc<hosts::KnownHosts>,
}

impl axum::extract::FromRef<AppState> for leptos::config::LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

/// How often the watchdog looks for runs nothing drives.
const ORPHAN_CHECK: Duration = Duration::from_secs(30);

/// Every [`ORPHAN_CHECK`], picks up runs left `RUNNING` with nothing
/// driving them, until shutdown.
async fn watch_for_orphaned_runs(runner: engine::runs::Runner, shutdown: CancellationToken) {
    let mut suspects = Default::default();
    loop {
        tokio::select! {
            () = tokio::time::sleep(ORPHAN_CHECK) => {}
            () = shutdown.cancelled() => return,
        }
        if let Err(e) = runner.adopt_orphans(&mut suspects).await {
            tracing::warn!(error = %e, "cannot look for undriven runs");
        }
    }
}

/// Drives runs that were going when the server stopped to their end
/// (re-attaching to steps that survived), until shutdown.
async fn resume_unfinished_runs(runner: engine::runs::Runner, shutdown: CancellationToken) {
    let ids = match runner.unfinished_runs().await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "cannot list unfinished runs");
            return;
        }
    };
    for id in ids {
        let runner = runner.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            // Shutting down leaves steps running for the next start to re-attach:
            // only a cancellation by a user stops them.
            tokio::select! {
                result = runner.resume(&id, CancellationToken::new()) => match result {
                    Ok(report) => tracing::info!(run.id = %id, state = report.state.as_str(), "resumed run finished"),
                    Err(e) => tracing::error!(run.id = %id, error = %e, "cannot resume run"),
                },
                () = shutdown.cancelled() => {}
            }
        });
    }
}

/// Opens the engine in `settings.data_dir`, then serves on `listener` until
/// `shutdown` completes, finishing in-flight requests and ending event streams.
pub async fn launch(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), LaunchError> {
    let settings = settings.with_absolute_paths()?;
    let engine = engine::Engine::open(&settings.data_dir).await?;
    let local_addr = listener.local_addr()?;
    let owners = engine::metrics::owners::ProcessOwners::default();
    let runner = run_command::local_runner(engine.clone(), &settings, owners.clone())?;
    let keep_days = settings.metrics_retention_days.clamp(1, 366);
    let retention = engine::metrics::series::Retention { coarse: keep_days as usize * 24 * 60, ..Default::default() };
    let metrics = engine::metrics::Metrics::new(owners, retention);
    let notebooks = run_command::local_notebooks(engine.clone(), &runner, &settings)?;
    let site = site::Site::locate(&settings.site_dir(), local_addr);
    let notebook_address = settings.notebook_bind.unwrap_or_else(|| std::net::SocketAddr::new(local_addr.ip(), 0));
    let notebook_listener = TcpListener::bind(notebook_address)
        .await
        .map_err(|source| LaunchError::NotebookBind { address: notebook_address, source })?;
    let notebook_address = notebook_listener.local_addr()?;
    let state = AppState {
        engine,
        runner: runner.clone(),
        notebooks: notebooks.clone(),
        notebook_origin: engine::notebooks::NotebookOrigin::new(settings.notebook_url.clone(), notebook_address.port()),
        metrics: metrics.clone(),
        prometheus: Default::default(),
        leptos: site.leptos_options.clone(),
        shutdown: CancellationToken::new(),
        known_hosts: std::sync::Arc::new(hosts::KnownHosts::new(
            local_addr,
            &settings.allowed_hosts.iter().cloned().chain(settings.notebook_url.clone()).collect::<Vec<_>>(),
        )),
    };
    let token = state.shutdown.clone();
    tokio::spawn(resume_unfinished_runs(runner.clone(), token.clone()));
    tokio::spawn(watch_for_orphaned_runs(runner.clone(), token.clone()));
    tokio::spawn(engine::recurring::scheduler::run(runner, token.clone()));
    let cull = engine::notebooks::culling::CullPolicy {
        idle_after: settings.cull_idle_seconds.map(Duration::from_secs),
        gpu_idle_after: settings.cull_idle_gpu_seconds.map(Duration::from_secs),
        period: Duration::from_secs(settings.cull_check_seconds.max(1)),
    };
    tokio::spawn(notebooks.clone().watch_activity(cull, metrics.clone(), token.clone()));
    {
        let sampling = engine::metrics::SamplingConfig {
            interval: Duration::from_secs(settings.metrics_interval_seconds.max(1)),
            dcgm_url: settings.dcgm_url.clone(),
            prometheus_url: settings.prometheus_url.clone(),
            keep: chrono::Duration::days(keep_days as i64),
        };
        let (gpus, no_gpus) = engine::metrics::gpu::Nvml::open();
        tokio::spawn(metrics.run(state.engine.clone(), sampling, gpus, no_gpus, token.clone()));
    }
    tokio::spawn(notebooks.clone().keep_phases_true(token.clone()));
    let notebook_app = router::build_notebook_origin(state.clone());
    let app = router::build(state, &site);
    tracing::info!(
        address = %local_addr,
        notebooks = %notebook_address,
        data_dir = %settings.data_dir.display(),
        site_dir = %site.dir.display(),
        "ferroflow is ready"
    );
    let serve = axum::serve(listener, app)
        .with_graceful_shutdown({
            let token = token.clone();
            async move {
                shutdown.await;
                tracing::info!("shutting down");
                token.cancel();
            }
        })
        .into_future();
    // A client that keeps a response open must not keep the process alive.
    let deadline = async {
        token.cancelled().await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    // Notebook connections (kernel WebSockets) stay open: they end with the process.
    let serve_notebooks = axum::serve(notebook_listener, notebook_app)
        .with_graceful_shutdown({
            let token = token.clone();
            async move { token.cancelled().await }
        })
        .into_future();
    let serve = async move {
        let (dashboard, notebooks) = tokio::join!(serve, serve_notebooks);
        dashboard.and(notebooks)
    };
    tokio::select! {
        served = serve => served?,
        () = deadline => tracing::warn!(grace = ?SHUTDOWN_GRACE, "connections still open after the grace period; closing them"),
    }
    // Notebook servers keep running: the next start re-attaches to them.
    notebooks.detach_all();
    Ok(())
}
