//! Notebook servers through the REST API and the proxy, with a real
//! JupyterLab from `.venv` (made by `scripts/setup.sh`): create, wait for
//! `ready`, talk to Jupyter through `/notebook/<ns>/<name>/`, write a file,
//! stop, start again (the file is still there), delete.

mod common;

use std::{path::PathBuf, time::Duration};

use common::TestServer;
use serde_json::{Value, json};

fn venv() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin");
    assert!(bin.join("jupyter").exists(), "{} has no jupyter: run scripts/setup.sh", bin.display());
    bin
}

/// Waits (up to 2 minutes) until the notebook's phase is `phase`.
async fn wait_for_phase(client: &reqwest::Client, url: &str, phase: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let body: Value = client.get(url).send().await.unwrap().json().await.unwrap();
        if body["notebook"]["status"]["phase"] == phase {
            return body["notebook"].clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "never {phase}: {body:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_jupyterlab_is_created_proxied_stopped_started_and_deleted() {
    let server = TestServer::start_with(|s| s.default_runtime = Some(venv())).await;
    let client = reqwest::Client::new();
    let api = server.url("/api/namespaces/default/notebooks");

    let config: Value = client.get(server.url("/api/config")).send().await.unwrap().json().await.unwrap();
    assert_eq!(config["success"], true);
    assert_eq!(config["config"]["cpu"]["value"], "0.5");

    let refused = client.post(&api).json(&json!({"name": "Bad_Name"})).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert!(body["log"].as_str().unwrap().contains("name: \"Bad_Name\""), "{body}");

    let created =
        client.post(&api).json(&json!({"name": "nb1", "cpu": "0.1", "memory": "256Mi"})).send().await.unwrap();
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    let duplicate = client.post(&api).json(&json!({"name": "nb1"})).send().await.unwrap();
    assert_eq!(duplicate.status(), 409);

    let one = format!("{api}/nb1");
    let ready = wait_for_phase(&client, &one, "ready").await;
    assert_eq!(ready["url"], "/notebook/default/nb1/");
    assert!(!ready.to_string().contains("token"), "the token never leaves the server");

    // The dashboard sends browsers to the notebook origin: another port,
    // which serves notebooks and nothing of the dashboard.
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let moved = no_redirects.get(server.url("/notebook/default/nb1/api/status?x=1")).send().await.unwrap();
    assert_eq!(moved.status(), 307);
    let location = moved.headers()["location"].to_str().unwrap().to_owned();
    let notebook_origin = location.strip_suffix("/notebook/default/nb1/api/status?x=1").expect("same path and query");
    assert_ne!(notebook_origin, server.url(""), "notebooks have an origin of their own");
    for path in ["/", "/api/namespaces", "/notebooks", "/pkg/ferroflow.css"] {
        let answer = client.get(format!("{notebook_origin}{path}")).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{path} must not be served on the notebook origin");
    }

    // Jupyter answers through the proxy, which adds the token; our cookies
    // do not reach it and its cookies do not reach the browser.
    let status = client
        .get(format!("{notebook_origin}/notebook/default/nb1/api/status"))
        .header("cookie", "ferroflow_session=secret")
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
    assert!(status.headers().get("set-cookie").is_none());
    let status: Value = status.json().await.unwrap();
    assert!(status["started"].is_string(), "{status}");

    // The proxy adds the token, so it refuses what other sites' pages send.
    let foreign = client
        .get(format!("{notebook_origin}/notebook/default/nb1/api/contents"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    let own = client
        .get(format!("{notebook_origin}/notebook/default/nb1/api/contents"))
        .header("origin", notebook_origin)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
    assert!(own.headers().get("access-control-allow-origin").is_none());

    let contents = format!("{notebook_origin}/notebook/default/nb1/api/contents/hello.txt");
    let put = client
        .put(&contents)
        .json(&json!({"type": "file", "format": "text", "content": "kept across restarts"}))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.text().await.unwrap());

    let stop = client.patch(&one).json(&json!({"stopped": true})).send().await.unwrap();
    assert_eq!(stop.status(), 200);
    wait_for_phase(&client, &one, "stopped").await;
    let down = client.get(format!("{notebook_origin}/notebook/default/nb1/api/status")).send().await.unwrap();
    assert_eq!(down.status(), 502);
    assert!(down.text().await.unwrap().contains("It is <b>stopped</b>"));

    client.patch(&one).json(&json!({"stopped": false})).send().await.unwrap();
    wait_for_phase(&client, &one, "ready").await;
    let file: Value = client.get(&contents).send().await.unwrap().json().await.unwrap();
    assert_eq!(file["content"], "kept across restarts");

    let deleted = client.delete(&one).send().await.unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(client.get(&one).send().await.unwrap().status(), 404);
    assert_eq!(client.get(server.url("/notebook/default/nb1/api/status")).send().await.unwrap().status(), 404);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_notebook_is_culled_and_stays_stopped() {
    let server = TestServer::start_with(|s| {
        s.default_runtime = Some(venv());
        s.cull_idle_seconds = Some(1);
        s.cull_check_seconds = 1;
    })
    .await;
    let client = reqwest::Client::new();
    let api = server.url("/api/namespaces/default/notebooks");
    let created = client.post(&api).json(&json!({"name": "sleepy", "cpu": "0.1"})).send().await.unwrap();
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    let culled = wait_for_phase(&client, &format!("{api}/sleepy"), "stopped").await;
    assert_eq!(culled["stopped"], true, "culling marks it stopped: {culled:#}");
    let message = culled["status"]["message"].as_str().unwrap();
    assert!(message.contains("without activity (idle culling)"), "{message}");
    assert!(culled["last_activity"].is_string(), "Jupyter's activity was recorded: {culled:#}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_jupyter_shows_error_with_its_last_lines() {
    let server = TestServer::start_with(|s| s.default_runtime = Some(venv())).await;
    let client = reqwest::Client::new();
    let one = server.url("/api/namespaces/default/notebooks/crashy");
    let created = client
        .post(server.url("/api/namespaces/default/notebooks"))
        .json(&json!({"name": "crashy", "cpu": "0.1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    wait_for_phase(&client, &one, "ready").await;
    let pid = jupyter_pid("/notebook/default/crashy/").expect("the notebook's jupyter process");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    let failed = wait_for_phase(&client, &one, "error").await;
    let message = failed["status"]["message"].as_str().unwrap();
    assert!(message.starts_with("the server exited"), "{message}");
    assert!(message.contains("last lines:"), "the log tail is shown: {message}");
    assert_eq!(failed["stopped"], false, "a crash is not a stop request");
    server.stop().await.unwrap();
}

/// The process serving `base_url`, found by its command line.
fn jupyter_pid(base_url: &str) -> Option<i32> {
    let wanted = format!("--ServerApp.base_url={base_url}");
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
        let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
        cmdline.split(|b| *b == 0).any(|arg| arg == wanted.as_bytes()).then_some(pid)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_of_ferroflow_reattaches_to_a_running_jupyter() {
    let server = TestServer::start_with(|s| s.default_runtime = Some(venv())).await;
    let client = reqwest::Client::new();
    let created = client
        .post(server.url("/api/namespaces/default/notebooks"))
        .json(&json!({"name": "durable", "cpu": "0.1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    wait_for_phase(&client, &server.url("/api/namespaces/default/notebooks/durable"), "ready").await;
    let pid = jupyter_pid("/notebook/default/durable/").expect("the notebook's jupyter process");
    let contents = "/notebook/default/durable/api/contents/notes.txt";
    let put = client
        .put(server.url(contents))
        .json(&json!({"type": "file", "format": "text", "content": "written before the restart"}))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());

    let data_dir = server.stop_keeping_data().await;
    assert_eq!(jupyter_pid("/notebook/default/durable/"), Some(pid), "the server outlives ferroflow");
    let server = TestServer::start_in(data_dir, |s| s.default_runtime = Some(venv())).await;
    let one = server.url("/api/namespaces/default/notebooks/durable");
    wait_for_phase(&client, &one, "ready").await;
    assert_eq!(jupyter_pid("/notebook/default/durable/"), Some(pid), "re-attached, not started again");
    let file: Value = client.get(server.url(contents)).send().await.unwrap().json().await.unwrap();
    assert_eq!(file["content"], "written before the restart");

    // Its use is attributed to it again: its memory shows in /metrics.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let memory = loop {
        let text = client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
        let memory = text
            .lines()
            .filter(|l| l.starts_with("ferroflow_workload_memory_bytes") && l.contains("notebook=\"durable\""))
            .find_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok());
        if memory.is_some_and(|m| m > 0.0) || tokio::time::Instant::now() > deadline {
            break memory;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(memory.is_some_and(|m| m > 10e6), "a Jupyter server's memory, attributed after re-attaching: {memory:?}");

    // The re-attached server is still ours to stop.
    client.patch(&one).json(&json!({"stopped": true})).send().await.unwrap();
    wait_for_phase(&client, &one, "stopped").await;
    // A signal is delivered, not waited for: the process may take a moment to go.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while jupyter_pid("/notebook/default/durable/").is_some() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(jupyter_pid("/notebook/default/durable/"), None, "stopping a re-attached server ends it");
    server.stop().await.unwrap();
}

/// The phases of all `names`, by name.
async fn phases(client: &reqwest::Client, server: &TestServer) -> std::collections::BTreeMap<String, String> {
    let list: Value =
        client.get(server.url("/api/namespaces/default/notebooks")).send().await.unwrap().json().await.unwrap();
    list["notebooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["name"].as_str().unwrap().to_owned(), n["status"]["phase"].as_str().unwrap().to_owned()))
        .collect()
}

/// Waits (up to 5 minutes: twenty Jupyters start on two busy cores) until
/// every notebook is in `phase`.
async fn wait_for_all(client: &reqwest::Client, server: &TestServer, count: usize, phase: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    loop {
        let now = phases(client, server).await;
        if now.len() == count && now.values().all(|p| p == phase) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "not all {phase}: {now:#?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_notebooks_created_and_stopped_at_once_reach_their_phases_and_keep_them() {
    // One core kept busy the whole time (ended however the test ends).
    struct Hog(std::process::Child);
    impl Drop for Hog {
        fn drop(&mut self) {
            self.0.kill().ok();
            self.0.wait().ok();
        }
    }
    let _hog = Hog(std::process::Command::new("sh").args(["-c", "while :; do :; done"]).spawn().unwrap());
    let server = TestServer::start_with(|s| s.default_runtime = Some(venv())).await;
    let client = reqwest::Client::new();
    let api = server.url("/api/namespaces/default/notebooks");
    let names: Vec<String> = (0..20).map(|i| format!("crowd-{i:02}")).collect();
    let started = std::time::Instant::now();
    let created = futures::future::join_all(
        names
            .iter()
            .map(|name| client.post(&api).json(&json!({"name": name, "cpu": "0.05", "memory": "128Mi"})).send()),
    )
    .await;
    for answer in created {
        assert_eq!(answer.unwrap().status(), 200);
    }
    wait_for_all(&client, &server, 20, "ready").await;
    eprintln!("20 notebooks created at once were all ready after {:.1} s", started.elapsed().as_secs_f64());

    // Ready survives a restart (re-attached).
    let data_dir = server.stop_keeping_data().await;
    let server = TestServer::start_in(data_dir, |s| s.default_runtime = Some(venv())).await;
    wait_for_all(&client, &server, 20, "ready").await;
    let api = server.url("/api/namespaces/default/notebooks");
    let stopped = futures::future::join_all(
        names.iter().map(|name| client.patch(format!("{api}/{name}")).json(&json!({"stopped": true})).send()),
    )
    .await;
    for answer in stopped {
        assert_eq!(answer.unwrap().status(), 200);
    }
    wait_for_all(&client, &server, 20, "stopped").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let alive =
        |names: &[String]| names.iter().filter(|n| jupyter_pid(&format!("/notebook/default/{n}/")).is_some()).count();
    while alive(&names) > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(alive(&names), 0, "every server ended");

    // Stopped survives a restart, and stays so once phases were reconciled.
    let data_dir = server.stop_keeping_data().await;
    let server = TestServer::start_in(data_dir, |s| s.default_runtime = Some(venv())).await;
    wait_for_all(&client, &server, 20, "stopped").await;
    assert_eq!(alive(&names), 0, "nothing was started again");
    server.stop().await.unwrap();
}

/// Kills the server process when dropped.
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_notebook_starts_on_a_server_started_as_make_run_starts_it() {
    // `make run`: `ferroflow serve --bind ... --data-dir data` from the
    // checkout, whose `.venv` holds JupyterLab: a relative data dir.
    let checkout = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(venv().parent().unwrap(), checkout.path().join(".venv")).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _server = Serving(
        std::process::Command::new(env!("CARGO_BIN_EXE_ferroflow"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--data-dir", "data"])
            .current_dir(checkout.path())
            .env_remove("FERROFLOW_DATA_DIR")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
        assert!(tokio::time::Instant::now() < deadline, "the server never got ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let api = format!("{base}/api/namespaces/default/notebooks");
    let created = client.post(&api).json(&json!({"name": "first", "cpu": "0.1"})).send().await.unwrap();
    assert_eq!(created.status(), 200);
    let one = format!("{api}/first");
    let ready = wait_for_phase(&client, &one, "ready").await;
    assert_eq!(ready["status"]["phase"], "ready", "{ready:#}");
    // Its workspace is where the relative data dir says, once.
    let workspaces = checkout.path().join("data/notebooks/default/volumes");
    let found: Vec<String> = std::fs::read_dir(&workspaces)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(found.iter().any(|name| name.starts_with("first")), "{found:?}");
    client.patch(&one).json(&json!({"stopped": true})).send().await.unwrap();
    wait_for_phase(&client, &one, "stopped").await;
}
