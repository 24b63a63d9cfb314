//! `/metrics`: Prometheus text from one explicit registry. Counters and
//! histograms (proxy requests, task durations, queue waits) accumulate
//! from the server's start; gauges (runs by state, notebooks by phase,
//! utilization with `namespace`/`notebook`/`run` labels) are set from the
//! engine and the latest sample at each scrape.

use std::sync::{Arc, Mutex, atomic::AtomicU64};

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

use crate::AppState;

type FloatGauge = Gauge<f64, AtomicU64>;

/// `state="..."`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

/// `phase="..."`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabel {
    phase: String,
}

/// A proxied request: which notebook, what status class.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProxyLabels {
    namespace: String,
    notebook: String,
    code: String,
}

/// A GPU of this host.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct GpuLabels {
    gpu: String,
    model: String,
}

/// A notebook or run attempt holding resources.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OwnerLabels {
    namespace: String,
    notebook: String,
    run: String,
    attempt: String,
}

/// The registry and the metrics in it.
pub struct ServerMetrics {
    registry: Registry,
    runs: Family<StateLabel, Gauge>,
    notebooks: Family<PhaseLabel, Gauge>,
    task_seconds: Histogram,
    queue_depth: Gauge,
    queue_wait_seconds: Histogram,
    proxy_requests: Family<ProxyLabels, Counter>,
    sse_clients: Gauge,
    host_cpu: FloatGauge,
    host_memory_used: Gauge,
    host_memory_total: Gauge,
    gpu_util: Family<GpuLabels, FloatGauge>,
    gpu_memory_used: Family<GpuLabels, Gauge>,
    gpu_memory_total: Family<GpuLabels, Gauge>,
    gpu_temperature: Family<GpuLabels, FloatGauge>,
    gpu_power: Family<GpuLabels, FloatGauge>,
    owner_cores: Family<OwnerLabels, FloatGauge>,
    owner_memory: Family<OwnerLabels, Gauge>,
    owner_gpu_memory: Family<OwnerLabels, Gauge>,
    owner_gpus: Family<OwnerLabels, Gauge>,
    owner_gpu_idle: Family<OwnerLabels, FloatGauge>,
    sampling_seconds: FloatGauge,
    /// Attempts finished up to here are in `task_seconds`.
    finished_until: Mutex<DateTime<Utc>>,
}

impl std::fmt::Debug for ServerMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerMetrics")
    }
}

impl Default for ServerMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerMetrics {
    /// Every metric, registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("ferroflow");
        let runs = Family::<StateLabel, Gauge>::default();
        registry.register("runs", "Runs by state", runs.clone());
        let notebooks = Family::<PhaseLabel, Gauge>::default();
        registry.register("notebooks", "Notebook servers by phase", notebooks.clone());
        let task_seconds = Histogram::new(exponential_buckets(0.05, 2.0, 18));
        registry.register("task_duration_seconds", "How long task attempts ran", task_seconds.clone());
        let queue_depth = Gauge::default();
        registry.register("queue_depth", "Steps and notebooks waiting for resources", queue_depth.clone());
        let queue_wait_seconds = Histogram::new(exponential_buckets(0.001, 4.0, 12));
        registry.register("queue_wait_seconds", "How long requests waited for resources", queue_wait_seconds.clone());
        let proxy_requests = Family::<ProxyLabels, Counter>::default();
        registry.register("notebook_proxy_requests", "Requests proxied to notebook servers", proxy_requests.clone());
        let sse_clients = Gauge::default();
        registry.register("sse_clients", "Open live event streams", sse_clients.clone());
        let host_cpu = FloatGauge::default();
        registry.register("host_cpu_percent", "Busy share of all cores", host_cpu.clone());
        let host_memory_used = Gauge::default();
        registry.register("host_memory_used_bytes", "Memory in use on this host", host_memory_used.clone());
        let host_memory_total = Gauge::default();
        registry.register("host_memory_total_bytes", "Memory on this host", host_memory_total.clone());
        let gpu_util = Family::<GpuLabels, FloatGauge>::default();
        registry.register("gpu_utilization_percent", "GPU busy percentage", gpu_util.clone());
        let gpu_memory_used = Family::<GpuLabels, Gauge>::default();
        registry.register("gpu_memory_used_bytes", "GPU memory in use", gpu_memory_used.clone());
        let gpu_memory_total = Family::<GpuLabels, Gauge>::default();
        registry.register("gpu_memory_total_bytes", "GPU memory in all", gpu_memory_total.clone());
        let gpu_temperature = Family::<GpuLabels, FloatGauge>::default();
        registry.register("gpu_temperature_celsius", "GPU temperature", gpu_temperature.clone());
        let gpu_power = Family::<GpuLabels, FloatGauge>::default();
        registry.register("gpu_power_watts", "GPU power draw", gpu_power.clone());
        let owner_cores = Family::<OwnerLabels, FloatGauge>::default();
        registry.register("workload_cpu_cores", "CPU used by a notebook or run attempt", owner_cores.clone());
        let owner_memory = Family::<OwnerLabels, Gauge>::default();
        registry.register("workload_memory_bytes", "Memory used by a notebook or run attempt", owner_memory.clone());
        let owner_gpu_memory = Family::<OwnerLabels, Gauge>::default();
        registry.register(
            "workload_gpu_memory_bytes",
            "GPU memory used by a notebook or run attempt",
            owner_gpu_memory.clone(),
        );
        let owner_gpus = Family::<OwnerLabels, Gauge>::default();
        registry.register("workload_gpus_allocated", "GPUs held by a notebook or run attempt", owner_gpus.clone());
        let owner_gpu_idle = Family::<OwnerLabels, FloatGauge>::default();
        registry.register(
            "workload_gpu_idle_seconds",
            "How long the GPUs a workload holds have been idle",
            owner_gpu_idle.clone(),
        );
        let sampling_seconds = FloatGauge::default();
        registry.register("sampling_seconds", "How long the last utilization sample took", sampling_seconds.clone());
        Self {
            registry,
            runs,
            notebooks,
            task_seconds,
            queue_depth,
            queue_wait_seconds,
            proxy_requests,
            sse_clients,
            host_cpu,
            host_memory_used,
            host_memory_total,
            gpu_util,
            gpu_memory_used,
            gpu_memory_total,
            gpu_temperature,
            gpu_power,
            owner_cores,
            owner_memory,
            owner_gpu_memory,
            owner_gpus,
            owner_gpu_idle,
            sampling_seconds,
            finished_until: Mutex::new(Utc::now()),
        }
    }

    /// Counts a proxied request.
    pub fn proxied(&self, namespace: &str, notebook: &str, status: StatusCode) {
        let code = format!("{}xx", status.as_u16() / 100);
        let labels = ProxyLabels { namespace: namespace.to_owned(), notebook: notebook.to_owned(), code };
        self.proxy_requests.get_or_create(&labels).inc();
    }

    /// Sets the gauges from the engine and the latest sample.
    async fn refresh(&self, state: &AppState) -> Result<(), engine::Error> {
        set_counts(&self.runs, state.engine.runs_by_state().await?, |state| StateLabel { state });
        set_counts(&self.notebooks, state.engine.notebooks_by_phase().await?, |phase| PhaseLabel { phase });
        let after = *self.finished_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (durations, until) = state.engine.attempts_finished_since(after).await?;
        durations.into_iter().for_each(|s| self.task_seconds.observe(s));
        *self.finished_until.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = until;
        let ledger = state.runner.ledger();
        self.queue_depth.set(ledger.queue_depth() as i64);
        ledger.take_waits().into_iter().for_each(|s| self.queue_wait_seconds.observe(s));
        self.sse_clients.set(state.engine.event_subscribers() as i64);
        let Some(sample) = state.metrics.latest() else { return Ok(()) };
        self.host_cpu.set(sample.host.cpu_percent);
        self.host_memory_used.set(sample.host.memory_used as i64);
        self.host_memory_total.set(sample.host.memory_total as i64);
        self.sampling_seconds.set(sample.cost_micros as f64 / 1e6);
        for family in [&self.gpu_util, &self.gpu_temperature, &self.gpu_power] {
            family.clear();
        }
        self.gpu_memory_used.clear();
        self.gpu_memory_total.clear();
        for g in &sample.gpus {
            let labels = GpuLabels { gpu: g.index.to_string(), model: g.name.clone() };
            self.gpu_util.get_or_create(&labels).set(g.util_percent);
            self.gpu_memory_used.get_or_create(&labels).set(g.memory_used as i64);
            self.gpu_memory_total.get_or_create(&labels).set(g.memory_total as i64);
            if let Some(t) = g.temperature_c {
                self.gpu_temperature.get_or_create(&labels).set(t);
            }
            if let Some(w) = g.power_w {
                self.gpu_power.get_or_create(&labels).set(w);
            }
        }
        for family in [&self.owner_cores, &self.owner_gpu_idle] {
            family.clear();
        }
        for family in [&self.owner_memory, &self.owner_gpu_memory, &self.owner_gpus] {
            family.clear();
        }
        for o in &sample.owners {
            use engine::metrics::owners::OwnerKind;
            let (notebook, run, attempt) = match o.owner.kind {
                OwnerKind::Notebook => (o.owner.name.clone(), String::new(), String::new()),
                OwnerKind::Run => (String::new(), o.owner.name.clone(), o.owner.detail.clone()),
            };
            let labels = OwnerLabels { namespace: o.owner.namespace.clone(), notebook, run, attempt };
            self.owner_cores.get_or_create(&labels).set(o.cores);
            self.owner_memory.get_or_create(&labels).set(o.memory_bytes as i64);
            self.owner_gpu_memory.get_or_create(&labels).set(o.gpu_memory_bytes as i64);
            self.owner_gpus.get_or_create(&labels).set(o.allocation.gpus.len() as i64);
            if let Some(since) = o.gpus_idle_since {
                self.owner_gpu_idle.get_or_create(&labels).set((sample.at - since).num_milliseconds() as f64 / 1000.0);
            }
        }
        Ok(())
    }
}

/// Replaces a family's values with `counts`.
fn set_counts<L: Clone + std::hash::Hash + Eq>(
    family: &Family<L, Gauge>,
    counts: Vec<(String, i64)>,
    label: impl Fn(String) -> L,
) {
    family.clear();
    for (key, n) in counts {
        family.get_or_create(&label(key)).set(n);
    }
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>) -> Response {
    let metrics: Arc<ServerMetrics> = state.prometheus.clone();
    if let Err(e) = metrics.refresh(&state).await {
        tracing::error!(error = %e, "cannot read the engine for /metrics");
        return (StatusCode::INTERNAL_SERVER_ERROR, "cannot read the engine; see the server log").into_response();
    }
    let mut text = String::new();
    if encode(&mut text, &metrics.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `ferroflow_*` metric the Grafana dashboard in `deploy/` queries.
    fn dashboard_metrics() -> std::collections::BTreeSet<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/grafana/ferroflow.json");
        let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut names = std::collections::BTreeSet::new();
        let targets = dashboard["panels"].as_array().unwrap().iter().flat_map(|p| p["targets"].as_array().unwrap());
        for expr in targets.filter_map(|t| t["expr"].as_str()) {
            let mut rest = expr;
            while let Some(at) = rest.find("ferroflow_") {
                let name: String = rest[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                rest = &rest[at + name.len()..];
                names.insert(name);
            }
        }
        names
    }

    #[test]
    fn every_metric_the_grafana_dashboard_queries_is_served() {
        let metrics = ServerMetrics::new();
        // Families are written once they hold a value.
        let gpu = GpuLabels { gpu: "0".into(), model: "NVIDIA H200".into() };
        let owner =
            OwnerLabels { namespace: "team".into(), notebook: "nb".into(), run: String::new(), attempt: String::new() };
        metrics.runs.get_or_create(&StateLabel { state: "RUNNING".into() }).set(1);
        metrics.notebooks.get_or_create(&PhaseLabel { phase: "ready".into() }).set(1);
        metrics.proxied("team", "nb", StatusCode::OK);
        for family in [&metrics.gpu_util, &metrics.gpu_temperature, &metrics.gpu_power] {
            family.get_or_create(&gpu).set(1.0);
        }
        metrics.gpu_memory_used.get_or_create(&gpu).set(1);
        metrics.gpu_memory_total.get_or_create(&gpu).set(1);
        for family in [&metrics.owner_cores, &metrics.owner_gpu_idle] {
            family.get_or_create(&owner).set(1.0);
        }
        for family in [&metrics.owner_memory, &metrics.owner_gpu_memory, &metrics.owner_gpus] {
            family.get_or_create(&owner).set(1);
        }
        let mut text = String::new();
        encode(&mut text, &metrics.registry).unwrap();
        let names = dashboard_metrics();
        assert!(names.len() >= 15, "{names:?}");
        for metric in names {
            let family = metric.trim_end_matches("_bucket").trim_end_matches("_total");
            assert!(
                text.contains(&format!("# TYPE {family} ")),
                "the dashboard queries {metric}, which /metrics lacks:\n{text}"
            );
        }
        assert!(
            text.contains("ferroflow_notebook_proxy_requests_total{namespace=\"team\",notebook=\"nb\",code=\"2xx\"} 1"),
            "{text}"
        );
    }
}
