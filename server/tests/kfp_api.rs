//! `/apis/v2beta1` over HTTP: every refusal in KFP's error shape, naming
//! the problem, and keyset paging that stays correct while runs are added.

mod common;

use std::collections::HashSet;

use common::TestServer;
use reqwest::{Client, StatusCode, multipart};
use serde_json::{Value, json};

/// A one-step KFP IR pipeline that runs `true`.
fn tiny_spec() -> Value {
    json!({
        "pipelineInfo": {"name": "tiny"},
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-2.17.3",
        "root": {
            "inputDefinitions": {"parameters": {"n": {"parameterType": "NUMBER_INTEGER", "defaultValue": 1}}},
            "dag": {"tasks": {"noop": {"componentRef": {"name": "comp-noop"}, "taskInfo": {"name": "noop"}}}}
        },
        "components": {"comp-noop": {"executorLabel": "exec-noop"}},
        "deploymentSpec": {"executors": {"exec-noop": {"container": {"image": "alpine", "command": ["true"]}}}}
    })
}

/// Asserts a KFP-shaped error with `status` whose message holds `needle`.
async fn refused(response: reqwest::Response, status: StatusCode, needle: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "{message:?} does not mention {needle:?}");
    assert_eq!(body["error"], body["message"]);
    assert!(body["code"].is_u64() && body["details"].is_array(), "{body}");
    body
}

fn upload(bytes: Vec<u8>, file_name: &str) -> multipart::Form {
    multipart::Form::new().part("uploadfile", multipart::Part::bytes(bytes).file_name(file_name.to_owned()))
}

#[tokio::test]
async fn refusals_name_what_is_wrong() {
    let server = TestServer::start().await;
    let http = Client::new();
    let api = |path: &str| server.url(&format!("/apis/v2beta1{path}"));

    let r = http.get(api("/pipelines/no-such-id")).send().await.unwrap();
    let body = refused(r, StatusCode::NOT_FOUND, "pipeline no-such-id not found").await;
    assert_eq!(body["code"], 5);

    let bad_spec = json!({"pipeline": {"name": "p"}, "pipeline_version": {"pipeline_spec": {"pipelineInfo": {"name": "p"},
        "root": {"dag": {"tasks": {"a": {"componentRef": {"name": "missing"}}}}}}}});
    let r = http.post(api("/pipelines/create")).json(&bad_spec).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "invalid pipeline spec").await;

    let r = http.get(api("/runs")).query(&[("filter", "{not json")]).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "invalid filter: not JSON").await;
    let r = http.get(api("/runs")).query(&[("sort_by", "created_at sideways")]).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "invalid sort_by").await;
    let r = http.get(api("/runs")).query(&[("sort_by", "finished_at")]).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "cannot be sorted by \"finished_at\"").await;
    let r = http.get(api("/runs")).query(&[("page_token", "garbage")]).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "page_token is not a token this server issued").await;
    let r = http.get(api("/runs")).query(&[("page_size", "-3")]).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "page_size").await;
    let r = http.get(api("/runs")).query(&[("namespace", "Not_A_Name")]).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "namespace").await;
    let r = http.get(api("/runs")).query(&[("namespace", "nowhere")]).send().await.unwrap();
    refused(r, StatusCode::NOT_FOUND, "namespace nowhere not found").await;

    let r = http.post(api("/runs")).json(&json!({"display_name": "x"})).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "pipeline_spec or pipeline_version_reference").await;
    let run = json!({"pipeline_spec": tiny_spec(), "runtime_config": {"parameters": {"n": "three"}}});
    let r = http.post(api("/runs")).json(&run).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "parameter \"n\": \"three\" is not").await;
    let run = json!({"pipeline_spec": tiny_spec(), "runtime_config": {"parameters": {"m": 1}}});
    let r = http.post(api("/runs")).json(&run).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "has no parameter \"m\"").await;
    let r = http.post(api("/runs")).body("{").header("content-type", "application/json").send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "invalid request body").await;
    let run = json!({"pipeline_version_reference": {"pipeline_id": "nope"}});
    let r = http.post(api("/runs")).json(&run).send().await.unwrap();
    refused(r, StatusCode::NOT_FOUND, "pipeline nope not found").await;

    let r = http.post(api("/runs/some-id:explode")).send().await.unwrap();
    refused(r, StatusCode::NOT_FOUND, "no such method").await;
    let r = http.post(api("/runs/some-id:retry")).send().await.unwrap();
    refused(r, StatusCode::NOT_FOUND, "run some-id not found").await;

    let r = http
        .post(api("/recurringruns"))
        .json(&json!({"display_name": "r", "pipeline_spec": tiny_spec(),
        "trigger": {"cron_schedule": {"cron": "61 * * * *"}}}))
        .send()
        .await
        .unwrap();
    refused(r, StatusCode::BAD_REQUEST, "invalid cron_schedule.cron").await;
    let r = http
        .post(api("/recurringruns"))
        .json(&json!({"display_name": "r", "pipeline_spec": tiny_spec(),
        "trigger": {"periodic_schedule": {"interval_second": "10"}}, "max_concurrency": "50"}))
        .send()
        .await
        .unwrap();
    refused(r, StatusCode::BAD_REQUEST, "max_concurrency must be between 1 and 10").await;

    let r = http.post(api("/experiments")).json(&json!({"display_name": "twice"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = http.post(api("/experiments")).json(&json!({"display_name": "twice"})).send().await.unwrap();
    refused(r, StatusCode::CONFLICT, "experiment twice already exists").await;
    let r = http.post(api("/experiments")).json(&json!({"display_name": "bad\u{7}name"})).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "control characters").await;
    server.stop().await.unwrap();
}

#[tokio::test]
async fn uploads_are_bounded_and_a_failed_one_leaves_nothing() {
    let server = TestServer::start().await;
    let http = Client::new();
    let url = server.url("/apis/v2beta1/pipelines/upload");

    let huge = vec![b'#'; server::kfp::MAX_UPLOAD_BYTES + 1024];
    let r = http.post(&url).query(&[("name", "huge")]).multipart(upload(huge, "huge.yaml")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let r = http.post(&url).multipart(upload(b"pipelineInfo: [".to_vec(), "broken.yaml")).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "invalid pipeline spec").await;
    let r = http.post(&url).multipart(multipart::Form::new().text("other", "x")).send().await.unwrap();
    refused(r, StatusCode::BAD_REQUEST, "no \"uploadfile\" field").await;
    let listed: Value = http.get(server.url("/apis/v2beta1/pipelines")).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["pipelines"], json!([]), "failed uploads left nothing behind");

    // The same spec packed as .tar.gz is accepted, named after the file.
    let yaml = serde_json::to_vec(&tiny_spec()).unwrap();
    let mut tarball = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut header = tar::Header::new_gnu();
    header.set_size(yaml.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tarball.append_data(&mut header, "pipeline.yaml", yaml.as_slice()).unwrap();
    let packed = tarball.into_inner().unwrap().finish().unwrap();
    let r = http.post(&url).multipart(upload(packed, "tiny-package.tar.gz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let pipeline: Value = r.json().await.unwrap();
    assert_eq!(pipeline["name"], "tiny-package");
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_sees_every_earlier_run_once_while_runs_are_added() {
    let server = TestServer::start().await;
    let http = Client::new();
    let runs_url = server.url("/apis/v2beta1/runs");
    let create = {
        let (http, runs_url) = (http.clone(), runs_url.clone());
        move |name: String| {
            let http = http.clone();
            let url = runs_url.clone();
            async move {
                let body = json!({"display_name": name, "pipeline_spec": tiny_spec()});
                let r = http.post(&url).json(&body).send().await.unwrap();
                assert_eq!(r.status(), StatusCode::OK);
                r.json::<Value>().await.unwrap()["run_id"].as_str().unwrap().to_owned()
            }
        }
    };
    let mut before = Vec::new();
    for i in 0..23 {
        before.push(create(format!("before-{i}")).await);
    }
    // Newest first: runs added while paging sort ahead of the cursor and
    // must neither shift nor repeat what later pages hold.
    let adder = tokio::spawn({
        let create = create.clone();
        async move {
            for i in 0..15 {
                create(format!("during-{i}")).await;
            }
        }
    });
    let (mut seen, mut token, mut last_created) = (Vec::new(), String::new(), None::<String>);
    loop {
        let page: Value = http
            .get(&runs_url)
            .query(&[("page_size", "4"), ("page_token", token.as_str()), ("sort_by", "created_at desc")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for run in page["runs"].as_array().unwrap() {
            let created = run["created_at"].as_str().unwrap().to_owned();
            if let Some(last) = &last_created {
                assert!(&created <= last, "pages are in order");
            }
            last_created = Some(created);
            seen.push(run["run_id"].as_str().unwrap().to_owned());
        }
        token = page["next_page_token"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    adder.await.unwrap();
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no run is listed twice");
    for id in &before {
        assert!(unique.contains(id), "run {id} created before paging began is listed");
    }

    // A filter travels in the token: every page holds only matching runs.
    let filter =
        json!({"predicates": [{"key": "display_name", "operation": "IS_SUBSTRING", "string_value": "before-1"}]});
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let page: Value = http
            .get(&runs_url)
            .query(&[
                ("page_size", "3"),
                ("page_token", token.as_str()),
                ("filter", &filter.to_string()),
                ("sort_by", "display_name"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        names.extend(page["runs"].as_array().unwrap().iter().map(|r| r["display_name"].as_str().unwrap().to_owned()));
        token = page["next_page_token"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }
    let expected: Vec<String> = {
        let mut v: Vec<String> = (0..23).map(|i| format!("before-{i}")).filter(|n| n.contains("before-1")).collect();
        v.sort();
        v
    };
    assert_eq!(names, expected);
    server.stop().await.unwrap();
}
