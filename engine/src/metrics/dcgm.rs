//! A DCGM exporter's Prometheus text (`DCGM_FI_DEV_GPU_UTIL`,
//! `DCGM_FI_DEV_FB_USED`, ...), read into one reading per GPU with the
//! pod and namespace the exporter attributes it to.

use std::collections::BTreeMap;

use prometheus_parse::{Scrape, Value};
use serde::{Deserialize, Serialize};

/// One GPU as an exporter reports it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DcgmGpu {
    /// The node (`Hostname`).
    pub host: String,
    /// Index on its node (`gpu`).
    pub index: String,
    /// `UUID`.
    pub uuid: String,
    /// `modelName`.
    pub model: String,
    /// `DCGM_FI_DEV_GPU_UTIL`, percent.
    pub util_percent: Option<f64>,
    /// `DCGM_FI_DEV_FB_USED`, bytes.
    pub memory_used: Option<u64>,
    /// `DCGM_FI_DEV_FB_FREE`, bytes.
    pub memory_free: Option<u64>,
    /// `DCGM_FI_DEV_GPU_TEMP`, Celsius.
    pub temperature_c: Option<f64>,
    /// `DCGM_FI_DEV_POWER_USAGE`, watts.
    pub power_w: Option<f64>,
    /// The pod using it, when the exporter knows.
    pub pod: Option<String>,
    /// That pod's namespace.
    pub namespace: Option<String>,
}

/// The DCGM fields read, as exporters and Prometheus name them.
pub const FIELDS: [&str; 5] = [
    "DCGM_FI_DEV_GPU_UTIL",
    "DCGM_FI_DEV_FB_USED",
    "DCGM_FI_DEV_FB_FREE",
    "DCGM_FI_DEV_GPU_TEMP",
    "DCGM_FI_DEV_POWER_USAGE",
];

/// Folds DCGM samples, from an exporter or a Prometheus server, into one
/// reading per GPU (keyed by node and UUID).
#[derive(Default)]
pub(crate) struct Gatherer {
    gpus: BTreeMap<(String, String), DcgmGpu>,
}

impl Gatherer {
    /// Adds one sample of `metric` whose labels `label` looks up; fields
    /// other than [`FIELDS`] are ignored.
    pub(crate) fn add<'a>(&mut self, metric: &str, label: impl Fn(&str) -> Option<&'a str>, value: f64) {
        if !FIELDS.contains(&metric) || !value.is_finite() {
            return;
        }
        let text = |name: &str| label(name).unwrap_or_default().to_owned();
        let key = (text("Hostname"), text("UUID"));
        let gpu = self.gpus.entry(key.clone()).or_insert_with(|| DcgmGpu {
            host: key.0.clone(),
            index: text("gpu"),
            uuid: key.1.clone(),
            model: text("modelName"),
            ..DcgmGpu::default()
        });
        let mib = |v: f64| (v * 1024.0 * 1024.0) as u64;
        match metric {
            "DCGM_FI_DEV_GPU_UTIL" => gpu.util_percent = Some(value),
            "DCGM_FI_DEV_FB_USED" => gpu.memory_used = Some(mib(value)),
            "DCGM_FI_DEV_FB_FREE" => gpu.memory_free = Some(mib(value)),
            "DCGM_FI_DEV_GPU_TEMP" => gpu.temperature_c = Some(value),
            _ => gpu.power_w = Some(value),
        }
        let workload = |name: &str| label(name).filter(|v| !v.is_empty()).map(str::to_owned);
        gpu.pod = gpu.pod.take().or_else(|| workload("pod"));
        gpu.namespace = gpu.namespace.take().or_else(|| workload("namespace"));
    }

    /// The GPUs that reported utilization or memory.
    pub(crate) fn finish(self) -> Vec<DcgmGpu> {
        self.gpus.into_values().filter(|g| g.util_percent.is_some() || g.memory_used.is_some()).collect()
    }
}

/// Reads an exporter's `/metrics` text. Metrics other than the GPU fields
/// above are ignored; a text that is not Prometheus exposition is an error.
pub fn parse(text: &str) -> Result<Vec<DcgmGpu>, String> {
    let scrape =
        Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).map_err(|e| format!("not Prometheus text: {e}"))?;
    let mut gatherer = Gatherer::default();
    for sample in scrape.samples {
        let value = match sample.value {
            Value::Gauge(v) | Value::Counter(v) | Value::Untyped(v) => v,
            _ => continue,
        };
        gatherer.add(&sample.metric, |name| sample.labels.get(name), value);
    }
    Ok(gatherer.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dcgm-exporter's output for two GPUs of one node, one of them used by
    /// a pod (`tests/fixtures/dcgm-exporter.txt`).
    const EXPORTER: &str = include_str!("../../tests/fixtures/dcgm-exporter.txt");

    #[test]
    fn exporter_output_is_read_per_gpu_with_its_pod() {
        let gpus = parse(EXPORTER).unwrap();
        assert_eq!(gpus.len(), 2);
        let busy = gpus.iter().find(|g| g.index == "0").unwrap();
        assert_eq!(busy.model, "NVIDIA A100-SXM4-40GB");
        assert_eq!(busy.util_percent, Some(87.0));
        assert_eq!(busy.memory_used, Some(30_512 << 20));
        assert_eq!(busy.memory_free, Some(10_018 << 20));
        assert_eq!(busy.temperature_c, Some(61.0));
        assert_eq!(busy.power_w, Some(287.454));
        assert_eq!(busy.pod.as_deref(), Some("train-llm-0"));
        assert_eq!(busy.namespace.as_deref(), Some("team-a"));
        let idle = gpus.iter().find(|g| g.index == "1").unwrap();
        assert_eq!(idle.util_percent, Some(0.0));
        assert_eq!(idle.pod, None, "an unused GPU has empty pod labels");
    }

    #[test]
    fn text_that_is_not_an_exporters_is_refused_or_empty() {
        assert!(parse("<html>502 Bad Gateway</html>").map(|g| g.is_empty()).unwrap_or(true));
        assert_eq!(parse("go_goroutines 42\n").unwrap(), vec![]);
    }
}
