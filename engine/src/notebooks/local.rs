//! Notebook servers as processes on this machine.
//!
//! A `jupyter` notebook is `jupyter lab` on a loopback port with its own
//! base URL (`/notebook/<ns>/<name>/`) and a random token, launched through
//! the same [`Backend`] as pipeline steps (its own process group, logs in
//! files, gracefully stopped) and admitted through the same resource
//! [`Ledger`]. It is `ready` once its `/api/status` answers. A process that
//! ends without being asked is `error`, with the last lines of its log.
//! Servers outlive a restart of ferroflow, which re-attaches to them.

use std::{collections::HashMap, path::PathBuf, sync::Arc, time::Duration};

use model::{EventKind, Principal};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::{
    Notebook, NotebookForm, NotebookSpec, Phase,
    config::SpawnerConfig,
    culling::{self, Activity, CullPolicy, HeldGpus},
    form::FormError,
};
use crate::{
    Engine, Error, Result,
    backend::{Backend, LaunchSpec, Ledger, Reattach, Request, local::recorded_gpus},
    metrics::{
        Metrics,
        owners::{Allocation, Holding, Owner, OwnerKind},
    },
};

pub use super::programs::Programs;

/// How long a server may take to answer before it is called failed.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// How often a starting server is asked whether it is up.
const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// Log lines kept in an `error` message.
const ERROR_LOG_LINES: usize = 8;

/// A server this process started and can stop. It stays listed until
/// its follower saw it end, so a stop in progress is known.
pub(super) struct Running {
    stop: CancellationToken,
    /// Tells this start from a later one of the same notebook.
    pub(super) generation: u64,
    /// Why it was stopped, when not on request (shown with `stopped`).
    why: Arc<std::sync::OnceLock<String>>,
    /// Asked to stop; it is on its way out.
    pub(super) stopping: bool,
    /// Its port, once chosen.
    pub(super) port: Option<u16>,
}

/// Starts, stops and watches the notebook servers of this machine.
#[derive(Clone)]
pub struct NotebookManager {
    pub(super) engine: Engine,
    backend: Arc<dyn Backend>,
    ledger: Ledger,
    data_dir: PathBuf,
    programs: Programs,
    config: Arc<SpawnerConfig>,
    /// Runtimes by image, as the pipeline backend has them.
    runtimes: Arc<std::collections::BTreeMap<String, PathBuf>>,
    /// Every phase write holds this lock and names the start it is about:
    /// a write for a start that was replaced is dropped, so phases written
    /// by concurrent starts and stops cannot land out of order.
    pub(super) running: Arc<Mutex<HashMap<(String, String), Running>>>,
    generations: Arc<std::sync::atomic::AtomicU64>,
    /// Cancelled at shutdown: followers stop, servers go on.
    detached: CancellationToken,
    http: reqwest::Client,
}

impl std::fmt::Debug for NotebookManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotebookManager").field("programs", &self.programs).finish_non_exhaustive()
    }
}

impl NotebookManager {
    /// A manager keeping volumes and logs under `data_dir/notebooks`.
    pub fn new(
        engine: Engine,
        backend: Arc<dyn Backend>,
        ledger: Ledger,
        data_dir: PathBuf,
        programs: Programs,
        config: SpawnerConfig,
    ) -> Self {
        Self {
            engine,
            backend,
            ledger,
            data_dir,
            programs,
            config: Arc::new(config),
            runtimes: Default::default(),
            running: Default::default(),
            generations: Default::default(),
            detached: CancellationToken::new(),
            http: reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default(),
        }
    }

    /// Runs notebooks of an image listed here with the program found in its
    /// runtime directory (e.g. a virtualenv's `bin`), as pipeline steps are.
    pub fn with_runtimes(mut self, runtimes: std::collections::BTreeMap<String, PathBuf>) -> Self {
        self.runtimes = Arc::new(runtimes);
        self
    }

    /// The spawner config.
    pub fn config(&self) -> &SpawnerConfig {
        &self.config
    }

    /// The programs found.
    pub fn programs(&self) -> &Programs {
        &self.programs
    }

    /// Checks the form, stores the notebook and starts it.
    /// A name taken already is a conflict (409), as in Kubeflow's web app.
    pub async fn create(&self, principal: &Principal, namespace: &str, form: &NotebookForm) -> Result<Notebook> {
        let (name, spec) = self.check_fields(form)?;
        let notebook = self.engine.create_notebook(principal, namespace, &name, &spec).await?;
        self.start(notebook.clone()).await;
        Ok(notebook)
    }

    /// Checks a new notebook's form without storing anything: every field
    /// against the spawner config, the name against the namespace's
    /// notebooks, the requests against this host. Refused with
    /// [`Error::InvalidForm`] naming each problem.
    pub async fn check(
        &self,
        principal: &Principal,
        namespace: &str,
        form: &NotebookForm,
    ) -> Result<(String, NotebookSpec)> {
        let (checked, mut problems) = match self.check_fields(form) {
            Ok(checked) => (Some(checked), Vec::new()),
            Err(Error::InvalidForm { problems }) => (None, problems),
            Err(other) => return Err(other),
        };
        if !problems.iter().any(|p| p.field == "name") {
            match self.engine.notebook(principal, namespace, &form.name).await {
                Ok(_) => problems.insert(
                    0,
                    FormError {
                        field: "name".into(),
                        problem: format!("a notebook named {:?} exists in {namespace} already", form.name),
                    },
                ),
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        match checked {
            Some(checked) if problems.is_empty() => Ok(checked),
            _ => Err(Error::InvalidForm { problems }),
        }
    }

    /// Checks every field against the spawner config and the requests
    /// against this host (not the name against the namespace's notebooks).
    fn check_fields(&self, form: &NotebookForm) -> Result<(String, NotebookSpec)> {
        let (name, spec) = form.check_all(&self.config).map_err(|problems| Error::InvalidForm { problems })?;
        let problems = beyond_host(&spec, self.ledger.capacity());
        if !problems.is_empty() {
            return Err(Error::InvalidForm { problems });
        }
        Ok((name, spec))
    }

    /// GPUs not held by a notebook or step right now, and how many there are.
    pub fn gpus(&self) -> (u32, u32) {
        (self.ledger.free_gpus(), self.ledger.capacity().gpus)
    }

    /// Changes a stopped notebook's image, CPU, memory and GPUs from
    /// `form` (checked like a new one); name, type and volumes stay.
    pub async fn update(
        &self,
        principal: &Principal,
        namespace: &str,
        name: &str,
        form: &NotebookForm,
    ) -> Result<Notebook> {
        let current = self.engine.notebook(principal, namespace, name).await?;
        let form =
            NotebookForm { name: name.to_owned(), server_type: current.spec.server_type.clone(), ..form.clone() };
        let (_, checked) = self.check_fields(&form)?;
        let spec = NotebookSpec {
            image: checked.image,
            image_pull_policy: checked.image_pull_policy,
            cpu_milli: checked.cpu_milli,
            cpu_limit_milli: checked.cpu_limit_milli,
            memory_bytes: checked.memory_bytes,
            memory_limit_bytes: checked.memory_limit_bytes,
            gpu_vendor: checked.gpu_vendor,
            gpus: checked.gpus,
            ..current.spec
        };
        self.engine.update_notebook_spec(principal, namespace, name, &spec).await
    }

    /// The lines in the last `max_bytes` of what the notebook's server
    /// wrote: stderr (where Jupyter logs), then stdout.
    pub async fn log_tail(
        &self,
        principal: &Principal,
        namespace: &str,
        name: &str,
        max_bytes: u64,
    ) -> Result<Vec<String>> {
        let notebook = self.engine.notebook(principal, namespace, name).await?;
        let dir = self.data_dir.join("notebooks").join(&notebook.namespace).join("logs").join(&notebook.name);
        let mut lines = Vec::new();
        for stream in ["stderr", "stdout"] {
            let tail = crate::logs::read_tail(&dir.join(stream), max_bytes)
                .map_err(|e| Error::Corrupt { what: "notebook log", detail: e.to_string() })?;
            lines.extend(tail.unwrap_or_default());
        }
        Ok(lines)
    }

    /// Stops (`stopped`) or starts a notebook; its volumes stay.
    pub async fn set_stopped(
        &self,
        principal: &Principal,
        namespace: &str,
        name: &str,
        stopped: bool,
    ) -> Result<Notebook> {
        let notebook = self.engine.set_notebook_stopped(principal, namespace, name, stopped).await?;
        let key = (namespace.to_owned(), name.to_owned());
        if stopped {
            self.stop(namespace, name, None).await;
        } else if self.running.lock().await.get(&key).is_none_or(|r| r.stopping) {
            self.start(notebook.clone()).await;
        }
        self.engine.notebook(principal, namespace, name).await
    }

    /// Stops a notebook and deletes it; its volumes stay on disk.
    pub async fn delete(&self, principal: &Principal, namespace: &str, name: &str) -> Result<()> {
        // Authorized before anything stops; the removal says whether it existed.
        crate::access::authorize(principal, namespace, model::Verb::Delete)?;
        self.stop(namespace, name, None).await;
        self.engine.remove_notebook(principal, namespace, name).await
    }

    /// Brings back every notebook that should be running: a server that
    /// outlived a restart of ferroflow (servers are left running when it
    /// stops) and still answers with its token is re-attached; any other is
    /// started again.
    pub async fn resume_all(&self) -> Result<()> {
        for notebook in self.engine.notebooks_to_run().await? {
            if self.still_serving(&notebook).await {
                tracing::info!(namespace = %notebook.namespace, notebook = %notebook.name, "re-attached to a running notebook server");
                self.reattach(notebook).await;
            } else {
                self.start(notebook).await;
            }
        }
        Ok(())
    }

    /// Whether the notebook's server from before a restart still answers.
    async fn still_serving(&self, notebook: &Notebook) -> bool {
        let (Phase::Ready | Phase::Warning, Some(port)) = (notebook.phase, notebook.port) else { return false };
        self.answers(port, notebook).await
    }

    /// Follows a server started before a restart until it ends.
    async fn reattach(&self, notebook: Notebook) {
        let key = (notebook.namespace.clone(), notebook.name.clone());
        let (stop, generation, why) = self.track(key.clone(), None).await;
        if let Some(r) = self.running.lock().await.get_mut(&key).filter(|r| r.generation == generation) {
            r.port = notebook.port;
        }
        let manager = self.clone();
        let follow = async move {
            let (ns, name) = (&notebook.namespace, &notebook.name);
            let log_dir = manager.log_dir(ns, name);
            // Its resources, and the very GPUs it was started with, are held
            // again, so new work is admitted around it.
            let grant = manager.ledger.reclaim(resources(&notebook), &recorded_gpus(&log_dir));
            let attempt = Reattach {
                name: format!("notebook-{ns}-{name}"),
                log_dir: log_dir.clone(),
                holding: Some(holding(&notebook, &grant.gpus)),
            };
            let exit = manager.following_log(ns, name, &log_dir, manager.backend.reattach(attempt, stop.clone())).await;
            drop(grant);
            if stop.is_cancelled() {
                (Phase::Stopped, why.get().cloned().unwrap_or_default())
            } else {
                (Phase::Error, failure(&log_dir, &format!("the server exited ({})", describe(&exit))))
            }
        };
        self.spawn_follower(key, generation, follow);
    }

    /// Registers a server of `key` as running (with `phase` written, when
    /// given): its stop token, generation and the slot for why it was
    /// stopped. It replaces an earlier start on its way out.
    async fn track(
        &self,
        key: (String, String),
        phase: Option<Phase>,
    ) -> (CancellationToken, u64, Arc<std::sync::OnceLock<String>>) {
        let stop = CancellationToken::new();
        let generation = self.generations.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let why = Arc::new(std::sync::OnceLock::new());
        let mut running = self.running.lock().await;
        let entry = Running { stop: stop.clone(), generation, why: why.clone(), stopping: false, port: None };
        running.insert(key.clone(), entry);
        if let Some(phase) = phase {
            self.write_phase(&key, phase, "", None).await;
        }
        (stop, generation, why)
    }

    /// Records how a server ended, unless a later start took its place.
    async fn finished(&self, key: &(String, String), generation: u64, (phase, message): (Phase, String)) {
        let mut running = self.running.lock().await;
        if running.get(key).is_none_or(|r| r.generation != generation) {
            return; // a later start owns the phase now
        }
        running.remove(key);
        self.write_phase(key, phase, &message, None).await;
    }

    /// Writes a phase, retrying while the store is busy; the caller holds
    /// the `running` lock. A write that fails for good is logged, and the
    /// next reconcile corrects the phase from the process.
    pub(super) async fn write_phase(&self, key: &(String, String), phase: Phase, message: &str, port: Option<u16>) {
        let write = || self.engine.set_notebook_phase(&key.0, &key.1, phase, message, port);
        if let Err(e) = crate::store::durably("a notebook's phase", write).await {
            tracing::error!(namespace = %key.0, notebook = %key.1, phase = phase.as_str(), error = %e, "cannot record a notebook's phase");
        }
    }

    /// Where a notebook's server writes its output.
    fn log_dir(&self, namespace: &str, name: &str) -> PathBuf {
        self.data_dir.join("notebooks").join(namespace).join("logs").join(name)
    }

    /// Waits for `exited`, telling live pages when the server's log grew.
    async fn following_log<T>(
        &self,
        namespace: &str,
        name: &str,
        log_dir: &std::path::Path,
        exited: impl std::future::Future<Output = T>,
    ) -> T {
        let attempt = format!("notebook-{namespace}-{name}");
        crate::logs::noting_growth(log_dir, exited, || {
            self.engine
                .publish_transient(namespace, EventKind::LogGrew { run_id: String::new(), attempt: attempt.clone() });
        })
        .await
    }

    /// Reads each ready notebook's activity every `policy.period`, records
    /// it, and stops those idle past `policy.idle_after` (or holding GPUs
    /// that `metrics` saw idle past `policy.gpu_idle_after`), until
    /// `shutdown`.
    pub async fn watch_activity(self, policy: CullPolicy, metrics: Metrics, shutdown: CancellationToken) {
        let mut ticks = tokio::time::interval(policy.period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = shutdown.cancelled() => return,
            }
            let notebooks = match self.engine.notebooks_to_run().await {
                Ok(notebooks) => notebooks,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot list notebooks to check their activity");
                    continue;
                }
            };
            let sample = metrics.latest();
            for notebook in notebooks.into_iter().filter(|n| n.phase == Phase::Ready) {
                let Some(port) = notebook.port else { continue };
                let activity = match self.activity(port, &notebook).await {
                    Ok(activity) => activity,
                    Err(e) => {
                        tracing::debug!(notebook = %notebook.name, error = %e, "cannot read notebook activity");
                        continue;
                    }
                };
                if let Some(at) = activity.last_activity
                    && let Err(e) = self.engine.record_notebook_activity(&notebook.namespace, &notebook.name, at).await
                {
                    tracing::warn!(notebook = %notebook.name, error = %e, "cannot record notebook activity");
                }
                let gpus = HeldGpus::of(sample.as_ref(), &notebook.namespace, &notebook.name);
                if let Some(why) = culling::cull_reason(&policy, &activity, gpus, chrono::Utc::now()) {
                    tracing::info!(namespace = %notebook.namespace, notebook = %notebook.name, %why, "culling idle notebook");
                    let (ns, name) = (&notebook.namespace, &notebook.name);
                    match crate::store::durably("a culled notebook", || self.engine.mark_notebook_stopped(ns, name))
                        .await
                    {
                        Ok(()) => self.stop(ns, name, Some(why)).await,
                        Err(e) => {
                            tracing::error!(notebook = %name, error = %e, "cannot record that a notebook is culled")
                        }
                    }
                }
            }
        }
    }

    /// Asks a notebook's Jupyter how it is used, without counting as use.
    async fn activity(&self, port: u16, notebook: &Notebook) -> std::result::Result<Activity, String> {
        let base = format!("http://127.0.0.1:{port}/notebook/{}/{}/api", notebook.namespace, notebook.name);
        let get = |path: String| {
            let request = self.http.get(path).header("Authorization", format!("token {}", notebook.token));
            async move {
                let answer = request.send().await.map_err(|e| e.to_string())?;
                answer.error_for_status().map_err(|e| e.to_string())?.text().await.map_err(|e| e.to_string())
            }
        };
        let status = get(format!("{base}/status")).await?;
        let kernels = get(format!("{base}/kernels?no_track_activity=1")).await?;
        Activity::from_jupyter(&status, &kernels)
    }

    /// Where volume `name` of `namespace` lives on this machine.
    pub fn volume_path(&self, namespace: &str, name: &str) -> PathBuf {
        self.data_dir.join("notebooks").join(namespace).join("volumes").join(name)
    }

    /// Where `notebook`'s server works on this machine: its workspace
    /// volume, or a scratch directory of its own without one.
    pub fn workspace_path(&self, notebook: &Notebook) -> PathBuf {
        let volume =
            notebook.spec.workspace.as_ref().map_or_else(|| format!("{}-scratch", notebook.name), |v| v.name.clone());
        self.volume_path(&notebook.namespace, &volume)
    }

    /// The directory of volume `name` in `namespace`, created on first use.
    fn volume_dir(&self, namespace: &str, name: &str) -> std::io::Result<PathBuf> {
        let dir = self.volume_path(namespace, name);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Stops a notebook's server; `why` is shown with `stopped` when it was
    /// not a person's request.
    pub(super) async fn stop(&self, namespace: &str, name: &str, why: Option<String>) {
        let key = (namespace.to_owned(), name.to_owned());
        let mut running = self.running.lock().await;
        match running.get_mut(&key) {
            Some(r) if r.stopping => {}
            Some(r) => {
                r.stopping = true;
                if let Some(why) = why {
                    r.why.set(why).ok(); // the first reason stays
                }
                // Written before the server is told, so its follower's
                // `stopped` always comes after.
                let stop = r.stop.clone();
                self.write_phase(&key, Phase::Terminating, "", None).await;
                stop.cancel();
            }
            None => self.write_phase(&key, Phase::Stopped, "", None).await,
        }
    }

    /// Launches the notebook's server in the background and follows it.
    pub(super) async fn start(&self, notebook: Notebook) {
        let (ns, name) = (notebook.namespace.clone(), notebook.name.clone());
        let key = (ns, name);
        let program = match self.program_for(&notebook) {
            Ok(program) => program,
            Err(why) => {
                let _turn = self.running.lock().await;
                self.write_phase(&key, Phase::Unavailable, &why, None).await;
                return;
            }
        };
        let (stop, generation, why) = self.track(key.clone(), Some(Phase::Waiting)).await;
        let manager = self.clone();
        let follow = async move {
            match manager.serve(&notebook, &program, stop.clone(), generation).await {
                Ok(()) if stop.is_cancelled() => (Phase::Stopped, why.get().cloned().unwrap_or_default()),
                Ok(()) => (Phase::Error, "the server ended by itself".to_owned()),
                Err(message) => (Phase::Error, message),
            }
        };
        self.spawn_follower(key, generation, follow);
    }

    /// Follows a server in the background and records how it ended, unless
    /// this manager detaches first (ferroflow is stopping; the server goes
    /// on and the next start re-attaches to it).
    fn spawn_follower(
        &self,
        key: (String, String),
        generation: u64,
        follow: impl std::future::Future<Output = (Phase, String)> + Send + 'static,
    ) {
        let manager = self.clone();
        tokio::spawn(async move {
            let ended = tokio::select! {
                ended = follow => ended,
                () = manager.detached.cancelled() => return,
            };
            manager.finished(&key, generation, ended).await;
        });
    }

    /// Stops following servers, leaving them running (at shutdown).
    pub fn detach_all(&self) {
        self.detached.cancel();
    }

    /// The program that serves this notebook here, or why there is none.
    /// The image's own runtime wins when it has the program: the server (and
    /// its kernels) then run with that runtime's packages, as the image's would.
    fn program_for(&self, notebook: &Notebook) -> std::result::Result<PathBuf, String> {
        let found = self.program_for_type(&notebook.spec.server_type)?;
        let in_image = self
            .runtimes
            .get(&notebook.spec.image)
            .map(|dir| dir.join(found.file_name().unwrap_or_default()))
            .filter(|p| p.is_file());
        Ok(in_image.unwrap_or_else(|| found.clone()))
    }

    fn program_for_type(&self, server_type: &str) -> std::result::Result<&PathBuf, String> {
        let program = self.programs.for_type(server_type)?;
        if server_type != "jupyter" {
            return Err(format!("{server_type} servers are not launched locally yet"));
        }
        Ok(program)
    }

    /// Why notebooks of `server_type` cannot run here, if they cannot.
    pub fn unavailable_reason(&self, server_type: &str) -> Option<String> {
        self.program_for_type(server_type).err()
    }

    /// Runs the server until it ends; `Err` says why it failed.
    async fn serve(
        &self,
        notebook: &Notebook,
        program: &std::path::Path,
        stop: CancellationToken,
        generation: u64,
    ) -> std::result::Result<(), String> {
        let (ns, name) = (&notebook.namespace, &notebook.name);
        let workdir = self.workspace_path(notebook);
        std::fs::create_dir_all(&workdir).map_err(|e| format!("cannot create the workspace: {e}"))?;
        for v in &notebook.spec.data_volumes {
            let dir = self.volume_dir(ns, &v.name).map_err(|e| format!("cannot create volume {}: {e}", v.name))?;
            // Data volumes appear in the workspace under their mount's last segment.
            let link = workdir.join(v.mount.rsplit('/').next().filter(|s| !s.is_empty()).unwrap_or(&v.name));
            if !link.exists() {
                let _ = std::os::unix::fs::symlink(&dir, &link);
            }
        }
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let key = (ns.clone(), name.clone());
        if let Some(r) = self.running.lock().await.get_mut(&key).filter(|r| r.generation == generation) {
            r.port = Some(port);
        }
        let base_url = format!("/notebook/{ns}/{name}/");
        let mut argv = vec![
            program.display().to_string(),
            "lab".into(),
            "--no-browser".into(),
            "--ip=127.0.0.1".into(),
            format!("--port={port}"),
            "--port-retries=0".into(),
            format!("--ServerApp.base_url={base_url}"),
            format!("--ServerApp.root_dir={}", workdir.display()),
            format!("--IdentityProvider.token={}", notebook.token),
            // The dashboard's proxy is the only client; it sends the token.
            "--ServerApp.allow_origin=*".into(),
            "--ServerApp.allow_remote_access=True".into(),
        ];
        // Containers and CI machines often run everything as root; Jupyter
        // refuses that unless told, and the server is on loopback anyway.
        if nix::unistd::geteuid().is_root() {
            argv.push("--allow-root".into());
        }
        let mut env: Vec<(String, String)> = vec![("HOME".into(), workdir.display().to_string())];
        for c in &notebook.spec.configurations {
            if let Some(preset) = self.config.configurations.iter().find(|k| &k.name == c) {
                env.extend(preset.env.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        let grant = self.ledger.acquire(resources(notebook)).await.map_err(|e| e.to_string())?;
        let log_dir = self.log_dir(ns, name);
        let launch = LaunchSpec {
            name: format!("notebook-{ns}-{name}"),
            image: notebook.spec.image.clone(),
            argv,
            env,
            workdir: workdir.clone(),
            log_dir: log_dir.clone(),
            timeout: None,
            gpus: grant.gpus.clone(),
            started: None,
            holding: Some(holding(notebook, &grant.gpus)),
        };
        let exited = self.backend.launch(launch, stop.clone());
        tokio::pin!(exited);
        let status = format!("http://127.0.0.1:{port}{base_url}api/status");
        let ready = self.wait_ready(&status, &notebook.token);
        tokio::select! {
            exit = &mut exited => {
                drop(grant);
                return match exit {
                    Ok(_) if stop.is_cancelled() => Ok(()),
                    Ok(exit) => Err(failure(&log_dir, &format!("the server exited ({}) before it was ready", describe(&exit)))),
                    Err(e) => Err(e.to_string()),
                };
            }
            answered = ready => {
                if !answered {
                    stop.cancel();
                    let _ = (&mut exited).await;
                    return Err(failure(&log_dir, "the server did not answer within 120 s"));
                }
            }
        }
        self.mark_ready(&key, generation, port).await;
        // Starting counts as activity until Jupyter is first asked.
        if let Err(e) = self.engine.record_notebook_activity(ns, name, chrono::Utc::now()).await {
            tracing::warn!(notebook = %name, error = %e, "cannot record notebook activity");
        }
        let exit = self.following_log(ns, name, &log_dir, exited).await;
        drop(grant);
        match exit {
            Ok(_) if stop.is_cancelled() => Ok(()),
            Ok(exit) => Err(failure(&log_dir, &format!("the server exited ({})", describe(&exit)))),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Writes `ready` for the start `generation` of `key`, unless it was
    /// replaced or asked to stop meanwhile.
    pub(super) async fn mark_ready(&self, key: &(String, String), generation: u64, port: u16) {
        let running = self.running.lock().await;
        if running.get(key).is_some_and(|r| r.generation == generation && !r.stopping) {
            self.write_phase(key, Phase::Ready, "", Some(port)).await;
        }
    }

    /// Whether a server answers its status on `port`.
    pub(super) async fn answers(&self, port: u16, notebook: &Notebook) -> bool {
        let url = format!("http://127.0.0.1:{port}/notebook/{}/{}/api/status", notebook.namespace, notebook.name);
        let answer = self.http.get(url).header("Authorization", format!("token {}", notebook.token)).send().await;
        answer.is_ok_and(|r| r.status().is_success())
    }

    /// Asks the server for its status until it answers 200 or time runs out.
    async fn wait_ready(&self, url: &str, token: &str) -> bool {
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        while tokio::time::Instant::now() < deadline {
            let answer = self.http.get(url).header("Authorization", format!("token {token}")).send().await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return true;
            }
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
        false
    }
}

/// The notebook as the owner of its server's processes.
/// The requests in `spec` this host could never grant, each as a problem
/// of its form field: such a notebook would wait or fail forever.
fn beyond_host(spec: &NotebookSpec, host: Request) -> Vec<FormError> {
    let mut problems = Vec::new();
    let mut refuse = |field: &str, problem: String| problems.push(FormError { field: field.into(), problem });
    if spec.cpu_milli > host.cpu_milli {
        refuse("cpu", format!("{} cores asked; this host has {}", cores(spec.cpu_milli), cores(host.cpu_milli)));
    }
    if spec.memory_bytes > host.memory_bytes {
        refuse("memory", format!("{} asked; this host has {}", gib(spec.memory_bytes), gib(host.memory_bytes)));
    }
    if spec.gpus > host.gpus {
        let has = if host.gpus == 0 { "none".to_owned() } else { host.gpus.to_string() };
        let plural = if spec.gpus == 1 { "" } else { "s" };
        refuse("gpus.num", format!("{} GPU{plural} asked; this host has {has}", spec.gpus));
    }
    problems
}

/// Thousandths of a core as cores, e.g. `0.5`.
fn cores(milli: u64) -> String {
    format!("{}", milli as f64 / 1000.0)
}

/// Bytes as GiB with one decimal.
fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

fn holding(notebook: &Notebook, gpus: &[u32]) -> Holding {
    Holding {
        owner: Owner {
            namespace: notebook.namespace.clone(),
            kind: OwnerKind::Notebook,
            name: notebook.name.clone(),
            detail: String::new(),
        },
        allocation: Allocation {
            cpu_milli: notebook.spec.cpu_milli,
            memory_bytes: notebook.spec.memory_bytes,
            gpus: gpus.to_vec(),
        },
    }
}

/// What a notebook asks of the resource ledger.
fn resources(notebook: &Notebook) -> Request {
    Request { cpu_milli: notebook.spec.cpu_milli, memory_bytes: notebook.spec.memory_bytes, gpus: notebook.spec.gpus }
}

fn describe(exit: &crate::backend::Exit) -> String {
    match (&exit.code, &exit.reason) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(reason)) => reason.clone(),
        (None, None) => "killed".to_owned(),
    }
}

/// `what`, with the last lines the server wrote.
fn failure(log_dir: &std::path::Path, what: &str) -> String {
    let tail = |stream: &str| -> Vec<String> {
        let text = std::fs::read(log_dir.join(stream)).unwrap_or_default();
        let lines: Vec<String> =
            text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(crate::logs::clean_line).collect();
        lines[lines.len().saturating_sub(ERROR_LOG_LINES)..].to_vec()
    };
    let mut lines = tail("stderr");
    if lines.is_empty() {
        lines = tail("stdout");
    }
    if lines.is_empty() { what.to_owned() } else { format!("{what}; last lines:\n{}", lines.join("\n")) }
}

/// A loopback port free right now (the server binds it right after).
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_free_port_is_on_loopback_and_can_be_bound() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port is free to bind");
    }
}
