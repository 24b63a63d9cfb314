//! The SSE stream over real HTTP: committed events reach subscribers,
//! `Last-Event-ID` resumes, bad requests are named, shutdown ends streams.

mod common;

use std::time::Duration;

use common::TestServer;
use futures::StreamExt;
use reqwest::StatusCode;

/// Reads the stream until a complete SSE event (ending in a blank line)
/// containing `needle` has arrived; returns everything read so far.
async fn read_until(response: &mut reqwest::Response, needle: &str) -> String {
    let mut seen = String::new();
    while let Some(chunk) = response.chunk().await.expect("stream stays open") {
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if seen.split("\n\n").any(|event| event.contains(needle)) {
            return seen;
        }
    }
    panic!("stream ended before {needle:?}; got {seen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_by_the_engine_reaches_a_subscriber() {
    let server = TestServer::start().await;
    let mut stream = reqwest::get(server.url("/api/events?ns=default")).await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(stream.headers()["x-accel-buffering"], "no");

    let created = reqwest::Client::new()
        .post(server.url("/api/namespaces"))
        .json(&serde_json::json!({ "name": "team-a" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);

    let seen = read_until(&mut stream, "team-a").await;
    let event = seen.split("\n\n").find(|e| e.contains("team-a")).unwrap();
    assert!(event.contains("id: 2"), "{event}");
    let data = event.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let event: model::Event = serde_json::from_str(data).unwrap();
    assert_eq!(event.kind, model::EventKind::NamespaceCreated);
    assert_eq!(event.actor, "local-user");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnecting_with_last_event_id_replays_what_was_missed() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    for name in ["one", "two"] {
        client.post(server.url("/api/namespaces")).json(&serde_json::json!({ "name": name })).send().await.unwrap();
    }
    let mut stream =
        client.get(server.url("/api/events?ns=default")).header("last-event-id", "2").send().await.unwrap();
    let seen = read_until(&mut stream, "\"two\"").await;
    assert!(!seen.contains("\"one\""), "event 2 was already seen: {seen}");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_subscriptions_are_refused_by_name() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let unknown = client.get(server.url("/api/events?ns=nope")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let invalid = client.get(server.url("/api/events?ns=%3Cscript%3E")).send().await.unwrap();
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    let bad_id =
        client.get(server.url("/api/events?ns=default")).header("last-event-id", "yesterday").send().await.unwrap();
    assert_eq!(bad_id.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = bad_id.json().await.unwrap();
    assert_eq!(body["message"], "Last-Event-ID must be an event id");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_open_streams_and_completes() {
    let server = TestServer::start().await;
    let stream = reqwest::get(server.url("/api/events?ns=default")).await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let mut body = stream.bytes_stream();
    // Without ending the stream, graceful shutdown would wait forever; a
    // generous bound turns that hang into a failure.
    tokio::time::timeout(Duration::from_secs(30), server.stop()).await.expect("shutdown completed").unwrap();
    while let Some(chunk) = body.next().await {
        if chunk.is_err() {
            break;
        }
    }
}
