//! The real `kfp` Python client and `kfp` command-line tool (from PyPI,
//! installed into `.venv` by `scripts/setup.sh --test`) against a real
//! server: `server/tests/kfp_client/test_client.py` holds the scenarios.

mod common;

use std::{path::PathBuf, process::Command};

use common::TestServer;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kfp_client_and_cli_work_unchanged() {
    let venv = repo_root().join(".venv/bin");
    assert!(venv.join("python").exists(), "the kfp client tests need .venv with kfp; run scripts/setup.sh --test");
    let server = TestServer::start_with(|settings| settings.default_runtime = Some(venv.clone())).await;
    let host = server.url("");
    let root = repo_root();
    // A home of its own: no ~/.config/kfp/context.json of the user's applies.
    let home = tempfile::tempdir().unwrap();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(venv.join("python"))
            .args(["-m", "unittest", "-v", "server/tests/kfp_client/test_client.py"])
            .current_dir(&root)
            .env("KFP_HOST", host)
            .env("PATH", format!("{}:{}", venv.display(), std::env::var("PATH").unwrap_or_default()))
            .env("HOME", home.path())
            .output()
            .expect("run python")
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    server.stop().await.unwrap();
    assert!(output.status.success(), "kfp client tests failed:\n{stderr}\n{}", String::from_utf8_lossy(&output.stdout));
}
