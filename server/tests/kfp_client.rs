//! The real `kfp` Python client and `kfp` command-line tool (from PyPI,
//! installed into `.venv` by `scripts/setup.sh --test`) against a real
//! server: `server/tests/kfp_client/test_client.py` holds the scenarios.

mod common;

use common::{TestServer, python_unittest, repo_root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kfp_client_and_cli_work_unchanged() {
    let venv = repo_root().join(".venv/bin");
    let server = TestServer::start_with(|settings| settings.default_runtime = Some(venv)).await;
    let host = server.url("");
    // A home of its own: no ~/.config/kfp/context.json of the user's applies.
    let home = tempfile::tempdir().unwrap();
    let env = vec![("KFP_HOST", host), ("HOME", home.path().display().to_string())];
    python_unittest("server/tests/kfp_client/test_client.py", env).await;
    server.stop().await.unwrap();
}
