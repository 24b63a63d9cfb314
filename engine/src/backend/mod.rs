//! Where task attempts run. The scheduler hands a [`LaunchSpec`] to a
//! [`Backend`] and awaits the [`Exit`]; it never knows whether a local
//! process or a Kubernetes pod ran it.

pub mod environments;
pub mod ledger;
pub mod local;
mod python_overlay;

use std::{path::PathBuf, time::Duration};

use futures::future::BoxFuture;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

pub use ledger::{Ledger, Request};

/// Everything needed to start one attempt.
#[derive(Debug)]
pub struct LaunchSpec {
    /// Deterministic attempt name: the same task and attempt number give the same name.
    pub name: String,
    /// Image named by the spec; backends map it to a runtime.
    pub image: String,
    /// Program and arguments, placeholders already filled in. Never passed through a shell.
    pub argv: Vec<String>,
    /// Environment variables set for the process.
    pub env: Vec<(String, String)>,
    /// Working directory, created by the backend.
    pub workdir: PathBuf,
    /// Directory receiving `stdout` and `stderr`.
    pub log_dir: PathBuf,
    /// Stop the attempt after this long.
    pub timeout: Option<Duration>,
    /// GPU indices handed to the process (`CUDA_VISIBLE_DEVICES`).
    pub gpus: Vec<u32>,
    /// Told the process's identity once it started.
    pub started: Option<oneshot::Sender<ProcessId>>,
    /// Who the process is for and what it was given, for usage attribution.
    pub holding: Option<crate::metrics::owners::Holding>,
}

/// A process, told apart from a later one that reuses its pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessId {
    /// The pid.
    pub pid: u32,
    /// Start time in clock ticks since boot (`/proc/<pid>/stat`, field 22).
    pub start_time: u64,
}

/// An attempt found running when the engine starts: to be waited for again.
#[derive(Clone, Debug)]
pub struct Reattach {
    /// The attempt's name.
    pub name: String,
    /// Its log directory, where the exit status is written.
    pub log_dir: PathBuf,
    /// Who holds it, so its use is attributed again while it is waited for.
    pub holding: Option<crate::metrics::owners::Holding>,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    /// Exit status; `None` when it was killed by a signal or never started.
    pub code: Option<i32>,
    /// Why it ended, when not by itself: timeout, canceled, signal, start failure.
    pub reason: Option<String>,
    /// The attempt vanished while the engine was down, leaving no exit status.
    pub lost: bool,
}

impl Exit {
    /// Whether the attempt succeeded.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Why a backend could not run an attempt at all.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Preparing the working or log directory failed.
    #[error("cannot prepare {path}: {source}")]
    Prepare {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Runs attempts. `launch` resolves when the attempt has ended; cancelling
/// `cancel` stops it (gracefully, then by force).
pub trait Backend: Send + Sync + 'static {
    /// Starts the attempt and waits for its end.
    fn launch(&self, spec: LaunchSpec, cancel: CancellationToken) -> BoxFuture<'static, Result<Exit, BackendError>>;

    /// Waits again for an attempt launched before the engine restarted.
    fn reattach(&self, attempt: Reattach, cancel: CancellationToken) -> BoxFuture<'static, Exit>;
}

/// How long a stopped attempt may take to exit before it is killed.
pub const TERMINATION_GRACE: Duration = Duration::from_secs(10);
