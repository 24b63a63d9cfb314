//! Attempts as child processes of this server.
//!
//! Each attempt runs in its own process group with stdin closed, stdout and
//! stderr written straight to files in its log directory, and the argv the
//! spec gave (no shell is added). An image maps to a local runtime: a
//! directory put first on `PATH` (e.g. a virtualenv's `bin`). With a
//! supervisor, each attempt is wrapped in `ferroflow supervise`, which
//! writes the exit status to a file, so that a restarted engine can collect
//! the result of a process it did not start.

use std::{collections::BTreeMap, path::PathBuf, process::Stdio, time::Duration};

use futures::{FutureExt, future::BoxFuture};
use nix::{
    sys::signal::{Signal, killpg},
    unistd::Pid,
};
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use super::{Backend, BackendError, Exit, LaunchSpec, ProcessId, Reattach, TERMINATION_GRACE};
use crate::metrics::owners::ProcessOwners;

/// Name of the file, in the log directory, where the supervisor writes the
/// attempt's exit status (`code N` or `signal N`).
pub const EXIT_FILE: &str = "exit";

/// Name of the file, in the log directory, naming the attempt's process:
/// `PID START_TIME`. Written without a database commit, so it costs a step
/// next to nothing; read only when re-attaching.
pub const PROCESS_FILE: &str = "process";

/// Name of the file, in the log directory, listing the GPU indices the
/// attempt was started with (`0,3`); absent when it has none. Read when
/// re-attaching, so the same GPUs are held again.
pub const GPUS_FILE: &str = "gpus";

/// The GPUs an attempt whose logs are in `log_dir` was started with.
pub fn recorded_gpus(log_dir: &std::path::Path) -> Vec<u32> {
    std::fs::read_to_string(log_dir.join(GPUS_FILE))
        .map(|text| text.trim().split(',').filter_map(|g| g.parse().ok()).collect())
        .unwrap_or_default()
}

/// How often a re-attached process is checked.
const REATTACH_POLL: Duration = Duration::from_millis(100);

/// Runs attempts as local processes.
#[derive(Clone, Debug, Default)]
pub struct LocalBackend {
    /// Image -> directory prepended to `PATH`.
    runtimes: BTreeMap<String, PathBuf>,
    /// Directory prepended to `PATH` for images without a runtime of their own.
    default_runtime: Option<PathBuf>,
    /// Command that wraps each attempt and records its exit status
    /// (`ferroflow-supervise`, or `ferroflow supervise`); it is given the
    /// exit file, then the step's argv.
    supervisor: Option<Vec<String>>,
    /// Where running processes are registered with their owners.
    owners: Option<ProcessOwners>,
    environments: Option<super::environments::Environments>,
}

impl LocalBackend {
    /// A backend with no runtimes: every image runs with the host's `PATH`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `image` with `bin_dir` first on `PATH`.
    pub fn with_runtime(mut self, image: impl Into<String>, bin_dir: impl Into<PathBuf>) -> Self {
        self.runtimes.insert(image.into(), bin_dir.into());
        self
    }

    /// Runs images without a runtime of their own with `bin_dir` first on `PATH`.
    pub fn with_default_runtime(mut self, bin_dir: impl Into<PathBuf>) -> Self {
        self.default_runtime = Some(bin_dir.into());
        self
    }

    /// Registers each process with the owner its spec names while it runs,
    /// so samplers can attribute its use.
    pub fn with_owners(mut self, owners: ProcessOwners) -> Self {
        self.owners = Some(owners);
        self
    }

    /// Prepares the packages steps install (`pip install` in their command
    /// lines) once per package set, in environments kept under `dir`.
    pub fn with_environments(mut self, dir: impl Into<PathBuf>) -> Self {
        self.environments = Some(super::environments::Environments::new(dir));
        self
    }

    /// Wraps every attempt in `command EXIT_FILE ARGV...`, which writes the
    /// exit status to a file: without it, attempts cannot be re-attached.
    pub fn with_supervisor(mut self, command: Vec<String>) -> Self {
        self.supervisor = Some(command);
        self
    }

    fn runtime_for(&self, image: &str) -> Option<&PathBuf> {
        self.runtimes.get(image).or(self.default_runtime.as_ref())
    }

    fn path_for(&self, image: &str) -> String {
        let host = std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
        match self.runtime_for(image) {
            Some(dir) => format!("{}:{host}", dir.display()),
            None => host,
        }
    }
}

impl Backend for LocalBackend {
    fn launch(
        &self,
        mut spec: LaunchSpec,
        cancel: CancellationToken,
    ) -> BoxFuture<'static, Result<Exit, BackendError>> {
        let path = self.path_for(&spec.image);
        // A step that installs packages does so in an environment of its own.
        let overlay_over =
            self.runtime_for(&spec.image).filter(|_| super::python_overlay::installs_packages(&spec.argv)).cloned();
        if let Some(supervisor) = &self.supervisor {
            let mut argv = supervisor.clone();
            argv.push(spec.log_dir.join(EXIT_FILE).display().to_string());
            argv.append(&mut spec.argv);
            spec.argv = argv;
        }
        run(spec, path, overlay_over, self.environments.clone(), cancel, self.owners.clone()).boxed()
    }

    fn reattach(&self, attempt: Reattach, cancel: CancellationToken) -> BoxFuture<'static, Exit> {
        wait_for_orphan(attempt, cancel, self.owners.clone()).boxed()
    }
}

fn exit(code: Option<i32>, reason: Option<String>) -> Exit {
    Exit { code, reason, lost: false }
}

/// Keeps a process registered with its owner until dropped.
struct Registered(Option<(ProcessOwners, u32)>);

impl Drop for Registered {
    fn drop(&mut self) {
        if let Some((owners, pid)) = self.0.take() {
            owners.forget(pid);
        }
    }
}

async fn run(
    mut spec: LaunchSpec,
    path: String,
    overlay_over: Option<PathBuf>,
    environments: Option<super::environments::Environments>,
    cancel: CancellationToken,
    owners: Option<ProcessOwners>,
) -> Result<Exit, BackendError> {
    for dir in [&spec.workdir, &spec.log_dir] {
        std::fs::create_dir_all(dir).map_err(|source| BackendError::Prepare { path: dir.clone(), source })?;
    }
    let path = match &overlay_over {
        Some(runtime) => {
            // The packages it asks for, prepared once and shared, below its own overlay.
            let prepared = match (&environments, super::environments::requirements(&spec.argv)) {
                (Some(environments), Some(wanted)) => match environments.prepare(runtime, &wanted).await {
                    Ok(dir) => Some(dir),
                    Err(e) => return Ok(exit(None, Some(format!("cannot prepare the step's Python packages: {e}")))),
                },
                _ => None,
            };
            let layers: Vec<PathBuf> = prepared.into_iter().collect();
            match super::python_overlay::prepare(runtime, &spec.log_dir.join("python"), &layers).await {
                Ok(Some(bin)) => {
                    let below = layers.iter().map(|l| format!("{}:", l.join("bin").display())).collect::<String>();
                    format!("{}:{below}{path}", bin.display())
                }
                Ok(None) => path,
                Err(e) => return Ok(exit(None, Some(format!("cannot make the step's own Python environment: {e}")))),
            }
        }
        None => path,
    };
    let open = |name: &str| {
        let path = spec.log_dir.join(name);
        std::fs::File::create(&path).map_err(|source| BackendError::Prepare { path, source })
    };
    let (stdout, stderr) = (open("stdout")?, open("stderr")?);
    let Some((program, args)) = spec.argv.split_first() else {
        return Ok(exit(None, Some("empty command line".into())));
    };
    let gpus = spec.gpus.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let home = std::env::var("HOME").unwrap_or_else(|_| spec.workdir.display().to_string());
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(&spec.workdir)
        .env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("LANG", "C.UTF-8")
        .env("TMPDIR", &spec.workdir)
        .env("CUDA_VISIBLE_DEVICES", &gpus)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0)
        .kill_on_drop(false);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Ok(exit(None, Some(format!("cannot start {program:?}: {e}")))),
    };
    let pid = child.id().expect("a just-spawned child has a pid");
    let _registered = Registered(owners.zip(spec.holding.take()).map(|(owners, holding)| {
        owners.register(pid, holding);
        (owners, pid)
    }));
    let process = ProcessId { pid, start_time: start_time(pid).unwrap_or(0) };
    if let Err(e) = std::fs::write(spec.log_dir.join(PROCESS_FILE), format!("{} {}", process.pid, process.start_time)) {
        tracing::warn!(attempt = %spec.name, error = %e, "cannot record the process; it cannot be re-attached after a restart");
    }
    if !gpus.is_empty()
        && let Err(e) = std::fs::write(spec.log_dir.join(GPUS_FILE), &gpus)
    {
        tracing::warn!(attempt = %spec.name, error = %e, "cannot record the GPUs; after a restart others may be held");
    }
    if let Some(started) = spec.started.take() {
        let _ = started.send(process);
    }
    let timeout = async {
        match spec.timeout {
            Some(limit) => tokio::time::sleep(limit).await,
            None => std::future::pending().await,
        }
    };
    let stopped_because = tokio::select! {
        status = child.wait() => {
            kill_group(pid, Signal::SIGKILL); // stragglers the leader left behind
            return Ok(exit_of(status));
        }
        () = cancel.cancelled() => "canceled",
        () = timeout => "timed out",
    };
    kill_group(pid, Signal::SIGTERM);
    let deadline = tokio::time::Instant::now() + TERMINATION_GRACE;
    let status = match tokio::time::timeout_at(deadline, child.wait()).await {
        Ok(status) => status,
        Err(_) => {
            kill_group(pid, Signal::SIGKILL);
            child.wait().await
        }
    };
    // The leader (the supervisor) dies of the signal at once; the step in
    // its group gets the rest of the grace period to shut down cleanly.
    while group_alive(pid) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    kill_group(pid, Signal::SIGKILL);
    let mut ended = exit_of(status);
    ended.reason = Some(stopped_because.to_owned());
    Ok(ended)
}

fn exit_of(status: std::io::Result<std::process::ExitStatus>) -> Exit {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(status) => exit(status.code(), status.signal().map(|s| format!("killed by signal {s}"))),
        Err(e) => exit(None, Some(format!("cannot wait for the process: {e}"))),
    }
}

/// Whether any live process of the group led by `pid` is left. Zombies do
/// not count: a step whose supervisor died is reaped by whoever adopted it,
/// maybe late.
fn group_alive(pid: u32) -> bool {
    if killpg(Pid::from_raw(pid as i32), None).is_err() {
        return false;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else { return true };
    entries.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { return false };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(") ") else { return false };
        let fields: Vec<&str> = rest.split_whitespace().take(3).collect();
        matches!(fields.as_slice(), [state, _, pgrp] if *state != "Z" && pgrp.parse() == Ok(pid))
    })
}

fn kill_group(pid: u32, signal: Signal) {
    // ESRCH (group already gone) is the normal case after a clean exit.
    let _ = killpg(Pid::from_raw(pid as i32), signal);
}

/// Waits for a process that is not our child: it cannot be `wait`ed for,
/// so its liveness is polled and its status read from the exit file.
async fn wait_for_orphan(mut attempt: Reattach, cancel: CancellationToken, owners: Option<ProcessOwners>) -> Exit {
    let exit_file = attempt.log_dir.join(EXIT_FILE);
    let process = std::fs::read_to_string(attempt.log_dir.join(PROCESS_FILE)).ok().and_then(|text| {
        let (pid, start) = text.trim().split_once(' ')?;
        Some(ProcessId { pid: pid.parse().ok()?, start_time: start.parse().ok()? })
    });
    let _registered = Registered(owners.zip(attempt.holding.take()).zip(process).map(|((owners, holding), p)| {
        owners.register(p.pid, holding);
        (owners, p.pid)
    }));
    loop {
        if let Some(ended) = read_exit_file(&exit_file) {
            return ended;
        }
        let alive = process.is_some_and(|p| start_time(p.pid) == Some(p.start_time));
        if !alive {
            // It may have written the file between the two checks.
            return read_exit_file(&exit_file).unwrap_or(Exit {
                code: None,
                reason: Some("lost: the process ended while ferroflow was down and left no exit status".into()),
                lost: true,
            });
        }
        tokio::select! {
            () = tokio::time::sleep(REATTACH_POLL) => {}
            () = cancel.cancelled() => {
                if let Some(p) = process {
                    kill_group(p.pid, Signal::SIGKILL);
                }
                return exit(None, Some("canceled".into()));
            }
        }
    }
}

/// Parses `code N` / `signal N`.
fn read_exit_file(path: &std::path::Path) -> Option<Exit> {
    let text = std::fs::read_to_string(path).ok()?;
    let (kind, number) = text.trim().split_once(' ')?;
    let number: i32 = number.parse().ok()?;
    Some(match kind {
        "code" => exit(Some(number), None),
        _ => exit(None, Some(format!("killed by signal {number}"))),
    })
}

/// Start time of `pid` in clock ticks since boot, or `None` if it is gone.
pub fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    if fields.first() == Some(&"Z") {
        return None; // exited, waiting to be reaped
    }
    // Field 22 of the line is the 20th after the command and state.
    fields.get(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(dir: &std::path::Path, argv: &[&str]) -> LaunchSpec {
        LaunchSpec {
            name: "t-1".into(),
            image: "alpine".into(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: vec![("GREETING".into(), "hello; rm -rf /".into())],
            workdir: dir.join("work"),
            log_dir: dir.join("logs"),
            timeout: None,
            gpus: vec![],
            started: None,
            holding: None,
        }
    }

    #[tokio::test]
    async fn runs_argv_without_a_shell_and_captures_output() {
        let dir = tempfile::tempdir().unwrap();
        let exit = LocalBackend::new()
            .launch(spec(dir.path(), &["printenv", "GREETING"]), CancellationToken::new())
            .await
            .unwrap();
        assert!(exit.success(), "{exit:?}");
        let out = std::fs::read_to_string(dir.path().join("logs/stdout")).unwrap();
        assert_eq!(out, "hello; rm -rf /\n");
    }

    #[tokio::test]
    async fn the_gpus_an_attempt_was_given_are_recorded_for_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let mut with_gpus = spec(dir.path(), &["true"]);
        with_gpus.gpus = vec![1, 3];
        LocalBackend::new().launch(with_gpus, CancellationToken::new()).await.unwrap();
        assert_eq!(recorded_gpus(&dir.path().join("logs")), vec![1, 3]);
        let other = tempfile::tempdir().unwrap();
        LocalBackend::new().launch(spec(other.path(), &["true"]), CancellationToken::new()).await.unwrap();
        assert_eq!(recorded_gpus(&other.path().join("logs")), Vec::<u32>::new());
    }

    #[tokio::test]
    async fn failures_and_missing_programs_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new();
        let exit = backend.launch(spec(dir.path(), &["false"]), CancellationToken::new()).await.unwrap();
        assert_eq!(exit.code, Some(1));
        let exit = backend.launch(spec(dir.path(), &["no-such-program-here"]), CancellationToken::new()).await.unwrap();
        assert!(exit.reason.unwrap().starts_with("cannot start \"no-such-program-here\""));
    }

    #[tokio::test]
    async fn cancel_stops_the_whole_process_group() {
        let dir = tempfile::tempdir().unwrap();
        let cancel = CancellationToken::new();
        let (started, pid) = tokio::sync::oneshot::channel();
        let mut s = spec(dir.path(), &["sh", "-c", "sleep 300 & sleep 300"]);
        s.started = Some(started);
        let running = tokio::spawn(LocalBackend::new().launch(s, cancel.clone()));
        let pid = pid.await.unwrap().pid;
        cancel.cancel();
        let exit = running.await.unwrap().unwrap();
        assert_eq!(exit.reason.as_deref(), Some("canceled"));
        // Nothing of the group is left running (zombies wait for init to reap
        // them). SIGKILL is delivered asynchronously: on a loaded machine a
        // member can take a moment to die, so wait for it, bounded.
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !live_members_of_group(pid).is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(live_members_of_group(pid), Vec::<u32>::new());
    }

    /// Processes in process group `pgid` that are not zombies, from /proc.
    fn live_members_of_group(pgid: u32) -> Vec<u32> {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                    return false;
                };
                // Fields after the parenthesised command: state, ppid, pgrp, ...
                let after = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
                let fields: Vec<&str> = after.split_whitespace().collect();
                fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
            })
            .collect()
    }

    #[tokio::test]
    async fn timeouts_stop_the_attempt() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = spec(dir.path(), &["sleep", "300"]);
        s.timeout = Some(Duration::from_millis(50));
        let exit = LocalBackend::new().launch(s, CancellationToken::new()).await.unwrap();
        assert_eq!(exit.reason.as_deref(), Some("timed out"));
        assert!(!exit.success());
    }
}
