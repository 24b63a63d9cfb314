//! The real Hera 7 client (from PyPI, installed into `.venv` by
//! `scripts/setup.sh --test`) against a real server as its Argo server:
//! `server/tests/hera/test_hera.py` holds the scenarios.

mod common;

use std::{path::PathBuf, process::Command};

use common::TestServer;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hera_builds_submits_waits_for_and_reads_a_workflow() {
    let venv = repo_root().join(".venv/bin");
    assert!(venv.join("python").exists(), "the Hera tests need .venv with hera; run scripts/setup.sh --test");
    let server = TestServer::start_with(|settings| settings.default_runtime = Some(venv.clone())).await;
    let host = server.url("");
    let root = repo_root();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(venv.join("python"))
            .args(["-m", "unittest", "-v", "server/tests/hera/test_hera.py"])
            .current_dir(&root)
            .env("ARGO_HOST", host)
            .output()
            .expect("run python")
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    server.stop().await.unwrap();
    assert!(output.status.success(), "Hera tests failed:\n{stderr}\n{}", String::from_utf8_lossy(&output.stdout));
}
