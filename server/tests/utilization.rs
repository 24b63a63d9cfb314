//! Utilization end to end on this machine: a pipeline step that burns CPU
//! and holds memory shows up, attributed to its run, in `/metrics` and on
//! the Utilization page's data; the GPU state of a host without NVML is
//! "no GPUs on this host", not an error.

mod common;

use std::time::Duration;

use common::TestServer;
use serde_json::{Value, json};

/// A run whose one step holds 200 MiB and keeps a core busy until the file `release` appears.
fn busy_spec(release: &std::path::Path) -> Value {
    let script = format!(
        "import os, time\nx = bytearray(200 << 20)\nwhile not os.path.exists({:?}):\n    pass\n",
        release.display().to_string()
    );
    json!({
        "pipelineInfo": {"name": "busy"},
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-2.17.3",
        "root": {"dag": {"tasks": {"burn": {"componentRef": {"name": "comp-burn"}, "taskInfo": {"name": "burn"}}}}},
        "components": {"comp-burn": {"executorLabel": "exec-burn"}},
        "deploymentSpec": {"executors": {"exec-burn": {"container": {
            "image": "python", "command": ["python3", "-c", script],
            "resources": {"resourceCpuLimit": "1", "resourceMemoryLimit": "512Mi"}
        }}}}
    })
}

/// The value of the `/metrics` sample named `metric` whose labels hold `label`.
fn sample(metrics: &str, metric: &str, label: &str) -> Option<f64> {
    metrics
        .lines()
        .filter(|l| l.starts_with(metric) && l.contains(label))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_step_is_attributed_to_its_run_in_metrics() {
    let server = TestServer::start().await;
    let release = server.data_dir.path().join("release");
    let client = reqwest::Client::new();
    let created: Value = client
        .post(server.url("/apis/v2beta1/runs"))
        .json(&json!({"display_name": "busy", "pipeline_spec": busy_spec(&release)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let run_id = created["run_id"].as_str().expect("run id").to_owned();
    let label = format!("run=\"{run_id}\"");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let (cores, memory) = loop {
        let text = client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
        let cores = sample(&text, "ferroflow_workload_cpu_cores", &label).unwrap_or(0.0);
        let memory = sample(&text, "ferroflow_workload_memory_bytes", &label).unwrap_or(0.0);
        if cores > 0.5 && memory > f64::from(200 << 20) {
            assert!(text.contains("# TYPE ferroflow_task_duration_seconds histogram"), "{text}");
            assert!(sample(&text, "ferroflow_runs", "state=\"RUNNING\"").unwrap_or(0.0) >= 1.0, "{text}");
            break (cores, memory);
        }
        assert!(tokio::time::Instant::now() < deadline, "the step's use never showed: {text}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(cores < 2.5, "one busy core, not the host: {cores}");
    assert!(memory < f64::from(1 << 30), "the step's memory, not the host's: {memory}");
    std::fs::write(&release, "").unwrap();
    server.stop().await.unwrap();
}
