//! Durability: `ferroflow run` is killed with SIGKILL mid-run and
//! `ferroflow resume` finishes the run, without running any step twice
//! silently. Real processes throughout.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const SPEC: &str = r#"
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {name: crash}
spec:
  entrypoint: main
  arguments: {parameters: [{name: dir}]}
  templates:
  - name: main
    inputs: {parameters: [{name: dir}]}
    steps:
    - - name: slow
        template: slow
        arguments: {parameters: [{name: dir, value: "{{inputs.parameters.dir}}"}]}
    - - name: after
        template: mark
        arguments: {parameters: [{name: dir, value: "{{inputs.parameters.dir}}"}]}
  - name: slow
    inputs: {parameters: [{name: dir}]}
    RETRY
    container:
      image: alpine
      command: [sh, -c, 'echo $$ > "$0/slow-pid"; echo run >> "$0/slow-runs"; while [ ! -f "$0/release" ]; do sleep 0.02; done', "{{inputs.parameters.dir}}"]
  - name: mark
    inputs: {parameters: [{name: dir}]}
    container:
      image: alpine
      command: [sh, -c, 'echo run >> "$0/after-runs"', "{{inputs.parameters.dir}}"]
"#;

fn ferroflow(args: &[&str], dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ferroflow"));
    command.args(args).arg("--data-dir").arg(dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// Waits for a file the step writes: the event that says it is running.
fn wait_for(path: &Path, server: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(server.try_wait().unwrap().is_none(), "ferroflow ended before the step started");
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |s| s.lines().count())
}

/// Starts a run of the spec and kills ferroflow with SIGKILL while `slow` runs.
fn start_and_crash(dir: &Path, retry: &str) {
    let spec = dir.join("crash.yaml");
    std::fs::write(&spec, SPEC.replace("RETRY", retry)).unwrap();
    let mut server =
        ferroflow(&["run", spec.to_str().unwrap(), "-p", &format!("dir={}", dir.display()), "--json"], dir)
            .spawn()
            .unwrap();
    wait_for(&dir.join("slow-runs"), &mut server);
    server.kill().unwrap(); // SIGKILL: no chance to clean up
    server.wait().unwrap();
}

/// Kills the `slow` step's whole process group, supervisor and all, as a
/// reboot would: it leaves no exit status behind.
fn kill_step(dir: &Path) {
    let pid = std::fs::read_to_string(dir.join("slow-pid")).unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())).unwrap();
    let pgid = stat[stat.rfind(')').unwrap() + 2..].split_whitespace().nth(2).unwrap().to_owned();
    assert!(Command::new("kill").args(["-KILL", "--", &format!("-{pgid}")]).status().unwrap().success());
}

fn resume(dir: &Path) -> serde_json::Value {
    let out = ferroflow(&["resume", "--json"], dir).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    })
}

fn task<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["tasks"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("{name}: {report}"))
}

#[test]
fn a_step_that_outlives_the_server_is_reattached_not_rerun() {
    let dir = tempfile::tempdir().unwrap();
    start_and_crash(dir.path(), "");
    // The step is still running on its own; let it finish while nobody watches.
    std::fs::write(dir.path().join("release"), "").unwrap();
    let report = resume(dir.path());
    assert_eq!(report["state"], "SUCCEEDED", "{report}");
    assert_eq!(lines(&dir.path().join("slow-runs")), 1, "slow ran once");
    assert_eq!(lines(&dir.path().join("after-runs")), 1, "after ran once");
    assert_eq!(task(&report, "(root)/main/slow")["attempts"], 1);
}

#[test]
fn a_step_lost_with_the_server_is_retried_visibly() {
    let dir = tempfile::tempdir().unwrap();
    start_and_crash(dir.path(), "retryStrategy: {limit: 1}");
    kill_step(dir.path());
    std::fs::write(dir.path().join("release"), "").unwrap();
    let report = resume(dir.path());
    assert_eq!(report["state"], "SUCCEEDED", "{report}");
    // The lost attempt is on record, and the retry is the second run.
    assert_eq!(task(&report, "(root)/main/slow")["attempts"], 2);
    assert_eq!(lines(&dir.path().join("slow-runs")), 2);
    assert_eq!(lines(&dir.path().join("after-runs")), 1);
}

#[test]
fn a_lost_step_without_retries_fails_the_run_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    start_and_crash(dir.path(), "");
    kill_step(dir.path());
    let report = resume(dir.path());
    assert_eq!(report["state"], "FAILED", "{report}");
    assert!(report["error"].as_str().unwrap().contains("lost"), "{report}");
    assert_eq!(lines(&dir.path().join("after-runs")), 0);
}

/// The server, started after the crash, finishes the run on its own and
/// says so on the event stream.
#[tokio::test]
async fn ferroflow_serve_resumes_interrupted_runs_at_start() {
    use tokio::io::AsyncBufReadExt;

    let dir = tempfile::tempdir().unwrap();
    start_and_crash(dir.path(), "");
    std::fs::write(dir.path().join("release"), "").unwrap();
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_ferroflow"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .env("FERROFLOW_SITE_DIR", dir.path())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut log = tokio::io::BufReader::new(server.stdout.take().unwrap()).lines();
    let address = loop {
        let line = log.next_line().await.unwrap().expect("server logs its address");
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Everything since the beginning of the log, then live events.
    let mut events = reqwest::Client::new()
        .get(format!("http://{address}/api/events?ns=default"))
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap();
    let mut seen = String::new();
    while !seen.contains("\"run_finished\"") {
        let chunk = events.chunk().await.unwrap().expect("stream stays open until the run finishes");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(seen.contains("\"state\":\"SUCCEEDED\""), "{seen}");
    assert_eq!(lines(&dir.path().join("slow-runs")), 1);
    assert_eq!(lines(&dir.path().join("after-runs")), 1);
    drop(events);
    server.kill().await.unwrap();
}
