//! A real `ferroflow` server on 127.0.0.1:0 with a temporary data dir.

use std::net::SocketAddr;

use tokio::{
    net::TcpListener,
    sync::{Mutex, MutexGuard, oneshot},
    task::JoinHandle,
};

/// One server per test process at a time. Leptos keeps process-global
/// state while it builds a router's route list, and a second router built
/// while another renders pages stalls that rendering now and then (seen in
/// about one run in ten of this suite). `ferroflow` runs one server per
/// process, so only tests meet this.
static ONE_SERVER_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// A running server; shut down gracefully by [`TestServer::stop`].
pub struct TestServer {
    pub addr: SocketAddr,
    #[allow(dead_code, reason = "read by some test files, and keeps the directory alive")]
    pub data_dir: tempfile::TempDir,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<Result<(), server::LaunchError>>,
    _turn: MutexGuard<'static, ()>,
}

impl TestServer {
    /// Binds first, so requests made right away wait in the listen backlog
    /// until the server accepts them: no readiness polling needed.
    #[allow(dead_code, reason = "not every test file starts a plain server")]
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`TestServer::start`], with settings changed by `configure`.
    pub async fn start_with(configure: impl FnOnce(&mut server::Settings)) -> Self {
        Self::start_in(tempfile::tempdir().expect("temporary data dir"), configure).await
    }

    /// Like [`TestServer::start_with`], on an existing data dir (a restart).
    pub async fn start_in(data_dir: tempfile::TempDir, configure: impl FnOnce(&mut server::Settings)) -> Self {
        let turn = ONE_SERVER_AT_A_TIME.lock().await;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let site = data_dir.path().join("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        std::fs::write(site.join("pkg/ferroflow.css"), "body { color: red }").unwrap();
        std::fs::write(site.join("pkg/ferroflow.css.gz"), b"precompressed").unwrap();
        // Steps run under the real `ferroflow supervise`: the test binary
        // is not `ferroflow`, so the default lookup next to it would miss.
        let supervisor = data_dir.path().join("supervise");
        std::fs::write(
            &supervisor,
            format!("#!/bin/sh\nexec '{}' supervise \"$@\"\n", env!("CARGO_BIN_EXE_ferroflow")),
        )
        .unwrap();
        std::fs::set_permissions(&supervisor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let mut settings = server::Settings {
            data_dir: data_dir.path().to_owned(),
            site_dir: Some(site),
            supervisor: Some(supervisor),
            ..server::Settings::default()
        };
        configure(&mut settings);
        let (shutdown, signal) = oneshot::channel();
        let task = tokio::spawn(server::launch(settings, listener, async {
            let _ = signal.await;
        }));
        Self { addr, data_dir, shutdown, task, _turn: turn }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Shuts down gracefully and hands back the data dir, for a restart.
    #[allow(dead_code, reason = "not every test file restarts a server")]
    pub async fn stop_keeping_data(self) -> tempfile::TempDir {
        let _ = self.shutdown.send(());
        self.task.await.expect("server task panicked").expect("graceful shutdown");
        self.data_dir
    }

    /// Signals shutdown and waits for the server to finish.
    pub async fn stop(self) -> Result<(), server::LaunchError> {
        let _ = self.shutdown.send(());
        self.task.await.expect("server task panicked")
    }
}

/// The workspace root.
#[allow(dead_code, reason = "used by the Python client tests only")]
pub fn repo_root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

/// Runs `python -m unittest -v <script>` from `.venv` in the workspace root
/// with `env` set, off the async runtime; panics naming the output on failure.
#[allow(dead_code, reason = "used by the Python client tests only")]
pub async fn python_unittest(script: &str, env: Vec<(&'static str, String)>) {
    let venv = repo_root().join(".venv/bin");
    assert!(venv.join("python").exists(), "{script} needs .venv; run scripts/setup.sh --test");
    let script = script.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(venv.join("python"))
            .args(["-m", "unittest", "-v", &script])
            .current_dir(repo_root())
            .env("PATH", format!("{}:{}", venv.display(), std::env::var("PATH").unwrap_or_default()))
            .envs(env)
            .output()
            .expect("run python")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "Python tests failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
}
