//! The fault catalogue: what Ferroflow does with hostile input, broken
//! specs, storage faults and load, each with the test that holds it.
//!
//! | fault | expected | test |
//! |---|---|---|
//! | KFP component / Argo template containing itself | refused at validation naming the cycle | `engine/tests/faults.rs` `a_component_or_template_that_contains_itself_...` |
//! | Argo recursion under an always-true `when` | fails at `max_nesting_depth`, named | `engine/tests/faults.rs` `recursion_under_a_condition_...` |
//! | loop or run past its size | fails naming `max_loop_items` / `max_tasks_per_run` | `engine/tests/faults.rs` `a_run_that_fans_out_past_its_limits_...` |
//! | run past `max_run_seconds` | ended, FAILED naming the limit | `engine/tests/faults.rs` `a_run_past_its_deadline_...` |
//! | upstream failed -> b, c -> d | b, c, d not run (Argo Omitted); `depends` sees it | `engine/tests/faults.rs`, table in `engine/src/runs/propagation.rs` |
//! | step ignoring SIGTERM, run terminated | CANCELED within the grace period; stays so after a restart | `terminate_ends_a_stubborn_step_and_survives_a_restart` |
//! | SQLite write lock held 10 s by another process | step results recorded as they happened; API answers 503 + Retry-After, never 500 | `a_held_write_lock_delays_results_but_never_changes_them` |
//! | run `RUNNING` with nothing driving it | picked up after two watchdog rounds (30 s apart), driven to its end | `engine/tests/faults.rs` `a_run_left_running_with_nothing_driving_it_...` |
//! | disk full under the data dir (64 MiB tmpfs) | reads answer, writes 507, every page says so; the step's exit 0 lands once freed; `integrity_check` ok | `a_full_disk_keeps_reads_refuses_writes_and_loses_nothing_once_freed` |
//! | `Host: evil.example` (DNS rebinding) | 421 before routing, on both origins; probes pass | `a_foreign_host_is_refused_before_routing` |
//! | NUL, U+202E, 300 characters, `a/b` in names | 400 naming the field | `display_names_are_checked_naming_the_field` |
//! | bodies over the limit | 413 on every route | `oversized_bodies_answer_413_on_every_route` |
//! | parallel `pip install` preambles | one prepared environment per package set | `engine/tests/runtimes.rs` |
//! | 20 notebooks created and stopped at once | all `ready`, then all `stopped`, also after a restart | `server/tests/notebooks.rs` `twenty_notebooks_...` |

mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A workflow whose step `a` waits for `gate` to exist, then `b` runs.
fn gated_workflow(gate: &std::path::Path) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
        "metadata": {"generateName": "gated-"},
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "dag": {"tasks": [
                {"name": "a", "template": "wait"},
                {"name": "b", "template": "done", "dependencies": ["a"]}]}},
            {"name": "wait", "container": {"image": "python:3.11", "command": ["python3", "-c",
                "import os, sys, time\nwhile not os.path.exists(sys.argv[1]): time.sleep(0.05)",
                gate.display().to_string()]}},
            {"name": "done", "container": {"image": "python:3.11", "command": ["python3", "-c", "print('done')"]}}]}
    })
}

async fn create_run(client: &reqwest::Client, server: &TestServer, name: &str, spec: &Value) -> reqwest::Response {
    let body = json!({"display_name": name, "pipeline_spec": spec});
    client.post(server.url("/apis/v2beta1/runs")).json(&body).send().await.unwrap()
}

async fn run(client: &reqwest::Client, server: &TestServer, id: &str) -> Value {
    client.get(server.url(&format!("/apis/v2beta1/runs/{id}"))).send().await.unwrap().json().await.unwrap()
}

/// Waits (bounded) until `check` holds for the run.
async fn wait_for_run(
    client: &reqwest::Client,
    server: &TestServer,
    id: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let body = run(client, server, id).await;
        if check(&body) {
            return body;
        }
        assert!(Instant::now() < deadline, "run never got there: {body:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn task_state<'a>(run: &'a Value, name: &str) -> Option<&'a str> {
    run["run_details"]["task_details"]
        .as_array()?
        .iter()
        .find(|t| t["display_name"] == name)
        .and_then(|t| t["state"].as_str())
}

#[tokio::test]
async fn a_held_write_lock_delays_results_but_never_changes_them() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let gate = server.data_dir.path().join("gate");
    let created: Value = create_run(&client, &server, "locked", &gated_workflow(&gate)).await.json().await.unwrap();
    let id = created["run_id"].as_str().unwrap().to_owned();
    wait_for_run(&client, &server, &id, |r| task_state(r, "a") == Some("RUNNING")).await;

    // Another process takes the write lock and holds it for 10 s.
    let python = common::repo_root().join(".venv/bin/python3");
    let database = server.data_dir.path().join("ferroflow.db");
    let mut holder = tokio::process::Command::new(python)
        .args([
            "-c",
            "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
             c.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep(10)\nc.execute('COMMIT')",
        ])
        .arg(&database)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = tokio::io::BufReader::new(holder.stdout.take().unwrap());
    let mut line = String::new();
    tokio::io::AsyncBufReadExt::read_line(&mut out, &mut line).await.unwrap();
    assert_eq!(line.trim(), "locked");
    let locked_at = Instant::now();

    // Step a ends while the lock is held; a submission meanwhile waits or
    // is told to come back, never a bare 500.
    std::fs::write(&gate, "").unwrap();
    let during = create_run(&client, &server, "during the lock", &gated_workflow(&gate)).await;
    let status = during.status();
    assert!(status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE, "{status}");
    if status == StatusCode::SERVICE_UNAVAILABLE {
        assert_eq!(during.headers()["retry-after"], "2");
        let body: Value = during.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("busy"), "{body}");
    }
    assert!(holder.wait().await.unwrap().success());
    let released = locked_at.elapsed();

    let done = wait_for_run(&client, &server, &id, |r| r["state"] != "RUNNING").await;
    let recorded_after = locked_at.elapsed();
    assert_eq!(done["state"], "SUCCEEDED", "{done:#}");
    assert_eq!(task_state(&done, "a"), Some("SUCCEEDED"));
    assert_eq!(task_state(&done, "b"), Some("SUCCEEDED"));
    eprintln!(
        "lock held {:.1} s; the run's results were all recorded {:.1} s after it was taken",
        released.as_secs_f64(),
        recorded_after.as_secs_f64()
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_foreign_host_is_refused_before_routing() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let port = server.addr.port();
    let evil = format!("evil.example:{port}");
    let write = client
        .post(server.url("/api/namespaces"))
        .header("host", &evil)
        .header("origin", format!("http://{evil}"))
        .json(&json!({"name": "rebound"}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::MISDIRECTED_REQUEST);
    assert!(write.text().await.unwrap().contains("evil.example"));
    let page = client.get(server.url("/notebooks")).header("host", &evil).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::MISDIRECTED_REQUEST);
    // Nothing was created; the own names work; probes answer any host.
    let namespaces: Value = client.get(server.url("/api/namespaces")).send().await.unwrap().json().await.unwrap();
    assert!(!namespaces.to_string().contains("rebound"), "{namespaces}");
    let local = client.get(server.url("/healthz")).header("host", format!("localhost:{port}")).send().await.unwrap();
    assert_eq!(local.status(), StatusCode::OK);
    let probe = client.get(server.url("/healthz")).header("host", &evil).send().await.unwrap();
    assert_eq!(probe.status(), StatusCode::OK);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn display_names_are_checked_naming_the_field() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let spec = gated_workflow(std::path::Path::new("/nonexistent"));
    for (name, problem) in [
        ("a\0b", "control characters"),
        ("nice\u{202E}gpj.exe", "bidirectional"),
        (&"x".repeat(300) as &str, "300 characters long; the limit is 256"),
    ] {
        let refused = create_run(&client, &server, name, &spec).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{name:?}");
        let body: Value = refused.json().await.unwrap();
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("run display_name") && message.contains(problem), "{message}");
    }
    for name in ["a/b", "..", "x\u{202E}y"] {
        let refused = client
            .post(server.url("/apis/v2beta1/experiments"))
            .json(&json!({"display_name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{name:?}");
        let body: Value = refused.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("experiment display_name"), "{body}");
    }
    // Nothing half-written: no run exists.
    let runs: Value = client.get(server.url("/apis/v2beta1/runs")).send().await.unwrap().json().await.unwrap();
    assert!(runs.get("runs").is_none_or(|r| r.as_array().unwrap().is_empty()), "{runs}");
    // Spaces around a name are trimmed.
    let kept: Value = create_run(&client, &server, "  spaced  ", &spec).await.json().await.unwrap();
    assert_eq!(kept["display_name"], "spaced");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn oversized_bodies_answer_413_on_every_route() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let big = format!("{{\"display_name\": \"{}\"}}", "x".repeat(40 * 1024 * 1024));
    let mut wrong = Vec::new();
    for path in [
        "/apis/v2beta1/runs",
        "/apis/v2beta1/experiments",
        "/apis/v2beta1/pipelines",
        "/apis/v2beta1/recurringruns",
        "/api/namespaces",
        "/api/ui/recent_activity",
        "/apis/v2beta1/pipelines/upload",
        "/ui/pipelines/upload",
    ] {
        let answer = client
            .post(server.url(path))
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        if answer.status() != StatusCode::PAYLOAD_TOO_LARGE {
            wrong.push(format!("{path}: {} {}", answer.status(), answer.text().await.unwrap_or_default()));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn terminate_ends_a_stubborn_step_and_survives_a_restart() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let pid_file = server.data_dir.path().join("stubborn.pid");
    let stubborn = json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow", "metadata": {"generateName": "stubborn-"},
        "spec": {"entrypoint": "main", "templates": [
            {"name": "main", "dag": {"tasks": [{"name": "a", "template": "ignore-term"}]}},
            {"name": "ignore-term", "container": {"image": "python:3.11", "command": ["python3", "-c",
                "import os, signal, sys, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n\
                 open(sys.argv[1], 'w').write(str(os.getpid()))\ntime.sleep(600)",
                pid_file.display().to_string()]}}]}
    });
    let created: Value = create_run(&client, &server, "stubborn", &stubborn).await.json().await.unwrap();
    let id = created["run_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&pid_file).map_or(true, |p| p.is_empty()) {
        assert!(Instant::now() < deadline, "the step never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().trim().parse().unwrap();

    let asked = Instant::now();
    let terminated = client.post(server.url(&format!("/apis/v2beta1/runs/{id}:terminate"))).send().await.unwrap();
    assert_eq!(terminated.status(), StatusCode::OK);
    let ended = wait_for_run(&client, &server, &id, |r| r["state"] != "RUNNING").await;
    let took = asked.elapsed();
    assert_eq!(ended["state"], "CANCELED", "{ended:#}");
    // SIGTERM is ignored; SIGKILL follows once the grace period is over.
    assert!(took >= engine::backend::TERMINATION_GRACE, "the step had its grace period: {took:?}");
    assert!(took < engine::backend::TERMINATION_GRACE + Duration::from_secs(20), "took {took:?}");
    // Killed: gone, or a zombie until its new parent reaps it (bounded wait).
    let running = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while running() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!running(), "the step's process was killed");
    eprintln!("terminate of a step ignoring SIGTERM ended the run in {:.1} s", took.as_secs_f64());

    // A restart does not bring it back.
    let data_dir = server.stop_keeping_data().await;
    let server = TestServer::start_in(data_dir, |_| {}).await;
    let again = run(&client, &server, &id).await;
    assert_eq!(again["state"], "CANCELED", "{again:#}");
    let tasks = again["run_details"]["task_details"].as_array().cloned().unwrap_or_default();
    assert!(tasks.iter().all(|t| t["state"] != "RUNNING"), "{tasks:#?}");
    server.stop().await.unwrap();
}

/// A tmpfs of `megabytes` at `dir`, unmounted when dropped. Mounting needs
/// root (or `sudo` without a password), which the machines here give;
/// elsewhere the test says it cannot run and passes.
struct SmallDisk(std::path::PathBuf);

/// `mount`/`umount` as root, directly or through `sudo -n`.
fn as_root(program: &str) -> std::process::Command {
    if nix::unistd::geteuid().is_root() {
        std::process::Command::new(program)
    } else {
        let mut sudo = std::process::Command::new("sudo");
        sudo.args(["-n", program]);
        sudo
    }
}

impl SmallDisk {
    fn mount(dir: &std::path::Path, megabytes: u32) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let mounted = as_root("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("SKIPPED: mounting a tmpfs needs root or passwordless sudo, which this machine does not give");
            return None;
        }
        Some(Self(dir.to_owned()))
    }

    /// Writes a file until the disk is full.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        while file.write_all(&chunk[..512]).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _unmounted = as_root("umount").arg("-l").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_keeps_reads_refuses_writes_and_loses_nothing_once_freed() {
    let outside = tempfile::tempdir().unwrap();
    let holder = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&holder.path().join("data"), 64) else { return };
    let data_dir = tempfile::TempDir::new_in(&disk.0).unwrap();
    let server = TestServer::start_in(data_dir, |_| {}).await;
    let client = reqwest::Client::new();
    let gate = outside.path().join("gate");
    let created: Value =
        create_run(&client, &server, "on a full disk", &gated_workflow(&gate)).await.json().await.unwrap();
    let id = created["run_id"].as_str().unwrap().to_owned();
    wait_for_run(&client, &server, &id, |r| task_state(r, "a") == Some("RUNNING")).await;

    let filler = disk.fill();
    // Step a ends while nothing can be written.
    std::fs::write(&gate, "").unwrap();
    let read = client.get(server.url(&format!("/apis/v2beta1/runs/{id}"))).send().await.unwrap();
    assert_eq!(read.status(), StatusCode::OK, "reads keep answering");
    let page = client.get(server.url("/runs")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("data-testid=\"storage-full\"") && html.contains("is full"), "every page says so");
    let refused = client
        .post(server.url("/apis/v2beta1/experiments"))
        .json(&json!({"display_name": "later"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::INSUFFICIENT_STORAGE);
    let body: Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("storage is full"), "{body}");
    assert_eq!(run(&client, &server, &id).await["state"], "RUNNING", "the result waits for space");

    std::fs::remove_file(&filler).unwrap();
    let freed = Instant::now();
    let done = wait_for_run(&client, &server, &id, |r| r["state"] != "RUNNING").await;
    assert_eq!(done["state"], "SUCCEEDED", "a's exit 0 was recorded once space returned: {done:#}");
    eprintln!("after the disk was freed the run finished in {:.1} s", freed.elapsed().as_secs_f64());
    let html = client.get(server.url("/runs")).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("storage-full"), "the notice goes once space returns");
    let again: Value = create_run(&client, &server, "after", &gated_workflow(&gate)).await.json().await.unwrap();
    let again = again["run_id"].as_str().unwrap().to_owned();
    let after = wait_for_run(&client, &server, &again, |r| r["state"] != "RUNNING").await;
    assert_eq!(after["state"], "SUCCEEDED", "a new run after space returned: {after:#}");

    let data_dir = server.stop_keeping_data().await;
    let python = common::repo_root().join(".venv/bin/python3");
    let check = std::process::Command::new(python)
        .args([
            "-c",
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
        ])
        .arg(data_dir.path().join("ferroflow.db"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "ok");
    drop(data_dir);
    drop(disk);
}
