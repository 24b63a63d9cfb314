//! A Prometheus server's HTTP API as a source of cluster GPUs: one instant
//! query (`/api/v1/query`) for the DCGM fields that a DCGM exporter feeds
//! it, read into the same per-GPU readings as scraping the exporter.

use std::collections::HashMap;

use serde::Deserialize;

use super::dcgm::{DcgmGpu, FIELDS, Gatherer};

/// The instant query asked: every DCGM field read, all GPUs.
pub fn query() -> String {
    format!("{{__name__=~\"{}\"}}", FIELDS.join("|"))
}

/// The query URL for a server at `base` (e.g. `http://prometheus:9090`).
pub fn query_url(base: &str) -> Result<reqwest::Url, String> {
    let mut url = reqwest::Url::parse(base).map_err(|e| format!("prometheus_url {base:?}: {e}"))?;
    url.path_segments_mut()
        .map_err(|()| format!("prometheus_url {base:?} cannot have a path"))?
        .pop_if_empty()
        .extend(["api", "v1", "query"]);
    url.query_pairs_mut().append_pair("query", &query());
    Ok(url)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    status: String,
    data: Option<Data>,
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct Sample {
    metric: HashMap<String, String>,
    /// `[unix seconds, "value"]`.
    value: (f64, String),
}

/// Reads the body of an instant query's answer. An error answer, a result
/// that is not a vector or a body that is not the API's JSON is an error
/// that says which.
pub fn parse(body: &str) -> Result<Vec<DcgmGpu>, String> {
    let answer: Answer = serde_json::from_str(body).map_err(|e| format!("not a Prometheus API answer: {e}"))?;
    if answer.status != "success" {
        return Err(format!(
            "Prometheus answered {} ({}): {}",
            answer.status,
            answer.error_type.unwrap_or_default(),
            answer.error.unwrap_or_default()
        ));
    }
    let data = answer.data.ok_or("Prometheus answered success without data")?;
    if data.result_type != "vector" {
        return Err(format!("Prometheus answered a {}, not an instant vector", data.result_type));
    }
    let samples: Vec<Sample> =
        serde_json::from_value(data.result).map_err(|e| format!("unreadable Prometheus vector: {e}"))?;
    let mut gatherer = Gatherer::default();
    for sample in &samples {
        let Some(metric) = sample.metric.get("__name__") else { continue };
        let Ok(value) = sample.value.1.parse::<f64>() else { continue };
        gatherer.add(metric, |name| workload_label(&sample.metric, name), value);
    }
    Ok(gatherer.finish())
}

/// Label `name` of a stored series, with the workload's `pod` and
/// `namespace` rather than the exporter's: Prometheus renames the labels an
/// exporter sets to `exported_*` when they clash with its target's, and
/// for a GPU no workload uses the only `pod` left is the exporter's own
/// (named after its scrape `job`).
fn workload_label<'a>(labels: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    let plain = labels.get(name).map(String::as_str);
    if name != "pod" && name != "namespace" {
        return plain;
    }
    if let Some(exported) = labels.get(&format!("exported_{name}")) {
        return Some(exported);
    }
    let exporters_own = match (labels.get("pod"), labels.get("job")) {
        (Some(pod), Some(job)) => pod.starts_with(job.as_str()),
        _ => false,
    };
    if exporters_own { None } else { plain }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instant query's answer for two GPUs of one node as Prometheus
    /// stores a DCGM exporter's series scraped through a ServiceMonitor
    /// (the workload's pod moved to `exported_pod`).
    const ANSWER: &str = include_str!("../../tests/fixtures/prometheus-query-dcgm.json");

    /// Prometheus refusing a query.
    const REFUSED: &str = include_str!("../../tests/fixtures/prometheus-query-error.json");

    #[test]
    fn an_instant_vector_is_read_per_gpu_with_the_workloads_pod() {
        let gpus = parse(ANSWER).unwrap();
        assert_eq!(gpus.len(), 2);
        let busy = gpus.iter().find(|g| g.index == "0").unwrap();
        assert_eq!(busy.host, "gpu-node-1");
        assert_eq!(busy.model, "NVIDIA H100 80GB HBM3");
        assert_eq!(busy.util_percent, Some(93.0));
        assert_eq!(busy.memory_used, Some(61_440 << 20));
        assert_eq!(busy.power_w, Some(512.25));
        assert_eq!(busy.pod.as_deref(), Some("train-llm-0"), "exported_pod, not the exporter's own pod");
        assert_eq!(busy.namespace.as_deref(), Some("team-a"));
        let idle = gpus.iter().find(|g| g.index == "1").unwrap();
        assert_eq!(idle.util_percent, Some(0.0));
        assert_eq!(idle.pod, None, "the exporter's own pod is not a workload");
        assert_eq!(idle.namespace, None);
        assert_eq!(idle.temperature_c, None, "a NaN reading is left out");
    }

    #[test]
    fn refusals_and_other_shapes_are_named() {
        let refused = parse(REFUSED).unwrap_err();
        assert!(refused.contains("bad_data") && refused.contains("parse error"), "{refused}");
        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert_eq!(parse(matrix).unwrap_err(), "Prometheus answered a matrix, not an instant vector");
        assert!(parse("<html>502</html>").unwrap_err().starts_with("not a Prometheus API answer"));
    }

    #[test]
    fn the_query_url_keeps_a_path_prefix_and_encodes_the_query() {
        let url = query_url("http://monitoring.example:9090/prometheus/").unwrap();
        assert_eq!(url.path(), "/prometheus/api/v1/query");
        let (key, value) = url.query_pairs().next().unwrap();
        assert_eq!(key, "query");
        assert_eq!(value, query());
        assert!(query().starts_with("{__name__=~\"DCGM_FI_DEV_GPU_UTIL|"), "{}", query());
        assert!(query_url("not a url").unwrap_err().contains("prometheus_url"));
    }
}
