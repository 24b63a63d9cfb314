//! The server over real HTTP: probes, server-rendered pages, security
//! headers, the namespaces API and its errors.

mod common;

use common::TestServer;
use reqwest::{StatusCode, header};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_answer_once_migrations_ran() {
    let server = TestServer::start().await;
    let live = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let ready = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.text().await.unwrap(), "ready");
    assert!(server.data_dir.path().join("ferroflow.db").exists());
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_page_is_rendered_on_the_server_with_a_nonce_policy() {
    let server = TestServer::start().await;
    let response = reqwest::get(server.url("/?ns=default")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert_eq!(response.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(response.headers()[header::REFERRER_POLICY], "same-origin");
    assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    let html = response.text().await.unwrap();

    // The hydration script carries the nonce that the policy allows, and
    // the policy allows no other inline script.
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("policy has a nonce");
    assert!(html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">")), "{html}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");

    // Server-rendered content: navigation, namespace, the bootstrap event.
    for expected in [
        "<title>Ferroflow</title>",
        "href=\"/notebooks?ns=default\"",
        "Recurring runs",
        "data-testid=\"current-namespace\">default<",
        "Namespace default created",
    ] {
        assert!(html.contains(expected), "missing {expected:?} in {html}");
    }
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_page_load_gets_a_fresh_nonce() {
    let server = TestServer::start().await;
    let csp = |r: &reqwest::Response| r.headers()[header::CONTENT_SECURITY_POLICY].clone();
    let a = reqwest::get(server.url("/")).await.unwrap();
    let b = reqwest::get(server.url("/")).await.unwrap();
    assert_ne!(csp(&a), csp(&b));
    // Unread bodies would hold their connections open through shutdown.
    drop((a, b));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_get_the_404_page() {
    let server = TestServer::start().await;
    let response = reqwest::get(server.url("/no/such/page")).await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("Page not found"));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_responses_carry_a_policy_that_allows_nothing() {
    let server = TestServer::start().await;
    let response = reqwest::get(server.url("/api/namespaces")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_SECURITY_POLICY],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    );
    let namespaces: serde_json::Value = response.json().await.unwrap();
    assert_eq!(namespaces[0]["name"], "default");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_namespace_validates_the_name_and_refuses_duplicates() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let create =
        |name: &str| client.post(server.url("/api/namespaces")).json(&serde_json::json!({ "name": name })).send();
    let created = create("team-a").await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);

    let invalid = create("Team_A").await.unwrap();
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = invalid.json().await.unwrap();
    assert_eq!(body["code"], 3);
    assert_eq!(
        body["message"],
        "invalid name: name may contain only lowercase letters, digits and '-'; found 'T' at position 0"
    );

    let duplicate = create("team-a").await.unwrap();
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = duplicate.json().await.unwrap();
    assert_eq!(body["message"], "namespace team-a already exists");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_functions_answer_with_typed_errors() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let ok = client
        .post(server.url("/api/ui/recent_activity"))
        .form(&[("namespace", "default"), ("limit", "5")])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let events: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(events[0]["kind"]["type"], "namespace_created");

    let missing = client
        .post(server.url("/api/ui/recent_activity"))
        .form(&[("namespace", "nope"), ("limit", "5")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let error: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(error["NotFound"], "namespace nope not found");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_are_served_precompressed_with_cache_headers() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let gz = client.get(server.url("/pkg/ferroflow.css")).header(header::ACCEPT_ENCODING, "gzip").send().await.unwrap();
    assert_eq!(gz.status(), StatusCode::OK);
    assert_eq!(gz.headers()[header::CONTENT_ENCODING], "gzip");
    // Without hash.txt next to the binary, names carry no hash: revalidate.
    assert_eq!(gz.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(gz.bytes().await.unwrap().as_ref(), b"precompressed");

    let plain = client.get(server.url("/pkg/ferroflow.css")).send().await.unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.text().await.unwrap(), "body { color: red }");

    let missing = client.get(server.url("/pkg/nope.js")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_compressed_for_clients_that_accept_it() {
    let server = TestServer::start().await;
    let response =
        reqwest::Client::new().get(server.url("/")).header(header::ACCEPT_ENCODING, "br").send().await.unwrap();
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
    assert!(!response.bytes().await.unwrap().is_empty());
    server.stop().await.unwrap();
}

#[tokio::test]
async fn an_unknown_run_or_pipeline_answers_404_with_a_way_back() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    for (path, title, list) in [
        ("/runs/no-such-run", "Run not found", "/runs?ns=default"),
        ("/pipelines/no-such-pipeline", "Pipeline not found", "/pipelines?ns=default"),
    ] {
        let answer = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), 404, "{path}");
        let html = answer.text().await.unwrap();
        assert!(html.contains(title), "{path}: {html}");
        assert!(html.contains(&format!("href=\"{list}\"")), "{path} links to its list");
        assert!(!html.contains("Something went wrong"), "{path}");
    }
    server.stop().await.unwrap();
}
