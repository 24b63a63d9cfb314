//! The real Hera 7 client (from PyPI, installed into `.venv` by
//! `scripts/setup.sh --test`) against a real server as its Argo server:
//! `server/tests/hera/test_hera.py` holds the scenarios.

mod common;

use common::{TestServer, python_unittest, repo_root};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hera_builds_submits_waits_for_and_reads_a_workflow() {
    let venv = repo_root().join(".venv/bin");
    let server = TestServer::start_with(|settings| settings.default_runtime = Some(venv)).await;
    let host = server.url("");
    python_unittest("server/tests/hera/test_hera.py", vec![("ARGO_HOST", host)]).await;
    server.stop().await.unwrap();
}
