//! Utilization: samplers for this host ([`host`], `sysinfo`), its GPUs
//! ([`gpu`], NVML) and a cluster's DCGM exporter ([`dcgm`]), each usage
//! attributed to the notebook or run attempt whose process tree holds it
//! ([`owners`]), kept as bounded [`series`] for charts.
//!
//! [`Metrics::run`] samples on an interval until shutdown. A sampler that
//! fails is reported in the snapshot and tried again next time; the others
//! go on.

pub mod dcgm;
pub mod gpu;
pub mod host;
pub mod namespaces;
pub mod owners;
pub mod prometheus_api;
pub mod rollup;
pub mod series;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use self::{
    dcgm::DcgmGpu,
    gpu::{GpuReading, GpuSource},
    host::{HostReading, HostSampler},
    owners::{Allocation, Owner, ProcessOwners},
    series::{Point, Retention, Series},
};

/// Below this utilization a GPU counts as idle.
pub const IDLE_GPU_PERCENT: f64 = 5.0;

/// Most series kept; owners that come and go beyond this are not charted.
pub const MAX_SERIES: usize = 2_000;

/// One owner's use next to what it was given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OwnerUsage {
    /// Who.
    pub owner: Owner,
    /// What it asked for.
    pub allocation: Allocation,
    /// CPU used, in cores.
    pub cores: f64,
    /// Memory used, bytes.
    pub memory_bytes: u64,
    /// GPU memory its processes use, bytes.
    pub gpu_memory_bytes: u64,
    /// Mean utilization of the GPUs it holds, percent.
    pub gpu_util_percent: f64,
    /// Since when the GPUs it holds have been idle, if they are.
    pub gpus_idle_since: Option<DateTime<Utc>>,
}

/// A sampler that failed, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamplerFailure {
    /// `nvml`, `dcgm`.
    pub sampler: String,
    /// What went wrong.
    pub message: String,
}

/// Everything sampled at one moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When.
    pub at: DateTime<Utc>,
    /// This host.
    pub host: HostReading,
    /// Its GPUs.
    pub gpus: Vec<GpuReading>,
    /// Why there are no GPUs, when there are none.
    pub no_gpus: Option<String>,
    /// Each notebook and run attempt running here.
    pub owners: Vec<OwnerUsage>,
    /// GPUs a DCGM exporter reports, when one is configured.
    pub cluster_gpus: Vec<DcgmGpu>,
    /// Samplers that failed this time.
    pub failures: Vec<SamplerFailure>,
    /// How long taking this sample took (host and GPUs), microseconds.
    pub cost_micros: u64,
}

impl Snapshot {
    /// The share of this machine's CPU that Ferroflow's notebooks and steps
    /// use, in percent (`workloads.cpu`).
    pub fn workloads_cpu_percent(&self) -> f64 {
        // `max(0.0)`: an empty sum of floats is -0.0, which prints as "-0".
        (100.0 * self.owners.iter().map(|o| o.cores).sum::<f64>() / self.host.cores.max(1) as f64).max(0.0)
    }

    /// The usage of notebook or run `name` of `namespace` (a run's
    /// attempts running side by side, one each).
    pub fn usage_of<'a>(
        &'a self,
        kind: owners::OwnerKind,
        namespace: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a OwnerUsage> {
        self.owners
            .iter()
            .filter(move |o| o.owner.kind == kind && o.owner.namespace == namespace && o.owner.name == name)
    }

    /// The workloads holding GPUs that are idle, longest idle first.
    pub fn idle_gpu_holders(&self) -> Vec<&OwnerUsage> {
        let mut idle: Vec<&OwnerUsage> = self.owners.iter().filter(|o| o.gpus_idle_since.is_some()).collect();
        idle.sort_by(|a, b| a.gpus_idle_since.cmp(&b.gpus_idle_since).then_with(|| a.owner.cmp(&b.owner)));
        idle
    }
}

/// How and what to sample.
#[derive(Clone, Debug)]
pub struct SamplingConfig {
    /// Time between samples.
    pub interval: Duration,
    /// A DCGM exporter's `/metrics` URL.
    pub dcgm_url: Option<String>,
    /// A Prometheus server that stores a DCGM exporter's series.
    pub prometheus_url: Option<String>,
    /// How long minute averages stay stored.
    pub keep: chrono::Duration,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        Self { interval: Duration::from_secs(1), dcgm_url: None, prometheus_url: None, keep: chrono::Duration::days(7) }
    }
}

#[derive(Default)]
struct State {
    series: HashMap<String, Series>,
    /// Minute averages closed since they were last stored.
    closed: Vec<(String, Point)>,
    latest: Option<Snapshot>,
    idle_since: HashMap<Owner, DateTime<Utc>>,
}

/// Samples, the latest snapshot and the series; cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics {
    owners: ProcessOwners,
    retention: Retention,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("retention", &self.retention).finish_non_exhaustive()
    }
}

/// Series names: `host.cpu` (percent), `workloads.cpu` (percent of the
/// machine Ferroflow's notebooks and steps use), `host.memory` (bytes), `gpu.N.util`
/// (percent), `gpu.N.memory` (bytes), and per owner
/// `<kind>/<namespace>/<name>.cpu` (cores), `.memory` (bytes) and, while it
/// holds GPUs, `.gpu` (their utilization, percent). A run's attempts add up
/// in the run's series.
pub fn owner_series(owner: &Owner, what: &str) -> String {
    format!("{}/{}/{}.{what}", owner.kind.as_str(), owner.namespace, owner.name)
}

impl Metrics {
    /// Metrics attributing usage through `owners`.
    pub fn new(owners: ProcessOwners, retention: Retention) -> Self {
        Self { owners, retention, state: Default::default() }
    }

    /// Who holds which process.
    pub fn owners(&self) -> &ProcessOwners {
        &self.owners
    }

    /// The latest snapshot, if one was taken.
    pub fn latest(&self) -> Option<Snapshot> {
        self.lock().latest.clone()
    }

    /// The points of series `name` since `since`.
    pub fn series(&self, name: &str, since: DateTime<Utc>) -> Vec<Point> {
        self.lock().series.get(name).map(|s| s.since(since)).unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes one sample of the host and its GPUs (blocking: call it off the
    /// async threads).
    pub fn sample(&self, host: &mut HostSampler, gpus: &mut dyn GpuSource, no_gpus: Option<String>) -> Snapshot {
        let started = std::time::Instant::now();
        let holdings = self.owners.snapshot();
        let roots: Vec<u32> = holdings.iter().map(|(pid, _)| *pid).collect();
        let (host_reading, trees) = host.sample(&roots);
        let mut failures = Vec::new();
        let gpu_readings = gpus.read().unwrap_or_else(|message| {
            failures.push(SamplerFailure { sampler: "nvml".into(), message });
            Vec::new()
        });
        let at = Utc::now();
        let mut state = self.lock();
        let owners = holdings
            .into_iter()
            .map(|(pid, holding)| {
                let tree = trees.get(&pid).cloned().unwrap_or_default();
                let held: Vec<&GpuReading> =
                    gpu_readings.iter().filter(|g| holding.allocation.gpus.contains(&g.index)).collect();
                let gpu_memory_bytes = gpu_readings
                    .iter()
                    .flat_map(|g| &g.processes)
                    .filter(|(p, _)| tree.pids.contains(p))
                    .map(|(_, bytes)| bytes)
                    .sum();
                let gpu_util_percent = if held.is_empty() {
                    0.0
                } else {
                    held.iter().map(|g| g.util_percent).sum::<f64>() / held.len() as f64
                };
                let idle = !held.is_empty() && gpu_util_percent < IDLE_GPU_PERCENT;
                let gpus_idle_since = if idle {
                    Some(*state.idle_since.entry(holding.owner.clone()).or_insert(at))
                } else {
                    state.idle_since.remove(&holding.owner);
                    None
                };
                OwnerUsage {
                    owner: holding.owner,
                    allocation: holding.allocation,
                    cores: tree.cores,
                    memory_bytes: tree.memory_bytes,
                    gpu_memory_bytes,
                    gpu_util_percent,
                    gpus_idle_since,
                }
            })
            .collect();
        drop(state);
        Snapshot {
            at,
            host: host_reading,
            gpus: gpu_readings,
            no_gpus,
            owners,
            cluster_gpus: Vec::new(),
            failures,
            cost_micros: started.elapsed().as_micros() as u64,
        }
    }

    /// Keeps `snapshot` as the latest and adds it to the series.
    pub fn record(&self, snapshot: Snapshot) {
        let mut state = self.lock();
        let retention = self.retention;
        let at = snapshot.at;
        let mut push = |name: String, value: f64| {
            let full = state.series.len() >= MAX_SERIES;
            let closed = match state.series.get_mut(&name) {
                Some(series) => series.push(at, value),
                None if !full => {
                    let mut series = Series::new(retention);
                    let closed = series.push(at, value);
                    state.series.insert(name.clone(), series);
                    closed
                }
                None => None,
            };
            if let Some(point) = closed {
                state.closed.push((name, point));
            }
        };
        push("host.cpu".into(), snapshot.host.cpu_percent);
        // Ferroflow's own share of the machine, beside the machine's whole.
        push("workloads.cpu".into(), snapshot.workloads_cpu_percent());
        push("host.memory".into(), snapshot.host.memory_used as f64);
        for g in &snapshot.gpus {
            push(format!("gpu.{}.util", g.index), g.util_percent);
            push(format!("gpu.{}.memory", g.index), g.memory_used as f64);
        }
        // A run's attempts running side by side share its series, one point
        // per sample: CPU and memory summed, GPU utilization averaged.
        let mut by_series: std::collections::BTreeMap<String, (f64, u32)> = Default::default();
        let mut add = |name: String, value: f64| {
            let entry = by_series.entry(name).or_default();
            *entry = (entry.0 + value, entry.1 + 1);
        };
        for o in &snapshot.owners {
            add(owner_series(&o.owner, "cpu"), o.cores);
            add(owner_series(&o.owner, "memory"), o.memory_bytes as f64);
            if !o.allocation.gpus.is_empty() {
                add(owner_series(&o.owner, "gpu"), o.gpu_util_percent);
            }
        }
        for (name, (sum, count)) in by_series {
            let value = if name.ends_with(".gpu") { sum / f64::from(count) } else { sum };
            push(name, value);
        }
        state.latest = Some(snapshot);
    }

    /// Minute averages closed since the last call, to be stored.
    pub fn take_closed(&self) -> Vec<(String, Point)> {
        std::mem::take(&mut self.lock().closed)
    }

    /// Puts back minute averages stored before a restart.
    pub fn restore(&self, points: Vec<(String, Point)>) {
        let mut state = self.lock();
        for (name, point) in points {
            if state.series.len() >= MAX_SERIES && !state.series.contains_key(&name) {
                continue;
            }
            state.series.entry(name).or_insert_with(|| Series::new(self.retention)).restore([point]);
        }
    }

    /// Samples every `config.interval` until `shutdown`: restores the
    /// stored minute averages first, stores new ones as they close (pruning
    /// those past `config.keep`), and tells live pages after each sample.
    pub async fn run(
        self,
        engine: crate::Engine,
        config: SamplingConfig,
        gpus: Box<dyn GpuSource>,
        no_gpus: Option<String>,
        shutdown: CancellationToken,
    ) {
        match engine.metric_points_since(Utc::now() - config.keep).await {
            Ok(points) => self.restore(points),
            Err(e) => tracing::warn!(error = %e, "cannot read stored utilization"),
        }
        let mut pruned_at = std::time::Instant::now() - rollup::PRUNE_EVERY;
        let samplers = Arc::new(Mutex::new((HostSampler::new(), gpus)));
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
        let mut ticks = tokio::time::interval(config.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = shutdown.cancelled() => return,
            }
            let (metrics, samplers, why) = (self.clone(), samplers.clone(), no_gpus.clone());
            let taken = tokio::task::spawn_blocking(move || {
                let mut samplers = samplers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let (host, gpus) = &mut *samplers;
                metrics.sample(host, gpus.as_mut(), why)
            })
            .await;
            let Ok(mut snapshot) = taken else { continue };
            let clusters =
                [(ClusterSource::Dcgm, &config.dcgm_url), (ClusterSource::Prometheus, &config.prometheus_url)];
            for (source, url) in clusters {
                let Some(url) = url else { continue };
                match source.read(&http, url).await {
                    Ok(gpus) => snapshot.cluster_gpus.extend(gpus),
                    Err(message) => snapshot.failures.push(SamplerFailure { sampler: source.name().into(), message }),
                }
            }
            self.record(snapshot);
            engine.note_metrics_sampled();
            let closed = self.take_closed();
            if !closed.is_empty()
                && let Err(e) = engine.save_metric_points(&closed).await
            {
                tracing::warn!(error = %e, "cannot store utilization");
            }
            if pruned_at.elapsed() >= rollup::PRUNE_EVERY {
                pruned_at = std::time::Instant::now();
                if let Err(e) = engine.prune_metric_points(Utc::now() - config.keep).await {
                    tracing::warn!(error = %e, "cannot prune stored utilization");
                }
            }
        }
    }
}

/// Where a cluster's GPUs are read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClusterSource {
    /// A DCGM exporter's `/metrics`.
    Dcgm,
    /// A Prometheus server that scrapes one.
    Prometheus,
}

impl ClusterSource {
    /// The sampler's name in failures.
    fn name(self) -> &'static str {
        match self {
            Self::Dcgm => "dcgm",
            Self::Prometheus => "prometheus",
        }
    }

    /// Reads the cluster's GPUs from the source at `url`.
    async fn read(self, http: &reqwest::Client, url: &str) -> Result<Vec<DcgmGpu>, String> {
        let target = match self {
            Self::Dcgm => url.parse().map_err(|e| format!("{url}: {e}"))?,
            Self::Prometheus => prometheus_api::query_url(url)?,
        };
        let answer = http.get(target).send().await.map_err(|e| format!("{url}: {e}"))?;
        let status = answer.status();
        let text = answer.text().await.map_err(|e| format!("{url}: {e}"))?;
        match self {
            // Prometheus explains a refused query in the body of a 400 or 422.
            Self::Prometheus => prometheus_api::parse(&text),
            Self::Dcgm if !status.is_success() => Err(format!("{url}: HTTP {status}")),
            Self::Dcgm => dcgm::parse(&text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{gpu::Recorded, owners::OwnerKind, *};

    fn reading(index: u32, util: f64, processes: Vec<(u32, u64)>) -> GpuReading {
        GpuReading {
            index,
            name: "NVIDIA H200".into(),
            util_percent: util,
            memory_used: 1 << 30,
            memory_total: 141 << 30,
            temperature_c: Some(40.0),
            power_w: Some(120.0),
            processes,
        }
    }

    #[test]
    fn gpu_use_is_attributed_to_the_owner_of_the_process_tree_and_idleness_is_dated() {
        let owners = ProcessOwners::default();
        let me = std::process::id();
        let owner =
            Owner { namespace: "team".into(), kind: OwnerKind::Notebook, name: "nb".into(), detail: String::new() };
        owners.register(
            me,
            owners::Holding {
                owner: owner.clone(),
                allocation: Allocation { cpu_milli: 500, memory_bytes: 1 << 30, gpus: vec![1] },
            },
        );
        let metrics = Metrics::new(owners, Retention::default());
        // Recorded from an H200: GPU 1 held by this process, idle, then busy.
        let mut gpus = Recorded(
            vec![
                vec![reading(0, 90.0, vec![]), reading(1, 0.0, vec![(me, 512 << 20)])],
                vec![reading(0, 90.0, vec![]), reading(1, 1.0, vec![(me, 512 << 20)])],
                vec![reading(0, 0.0, vec![]), reading(1, 75.0, vec![(me, 2 << 30)])],
            ],
            0,
        );
        let mut host = HostSampler::new();
        let first = metrics.sample(&mut host, &mut gpus, None);
        let usage = &first.owners[0];
        assert_eq!(usage.owner, owner);
        assert_eq!(usage.gpu_memory_bytes, 512 << 20, "its process's GPU memory");
        assert_eq!(usage.gpu_util_percent, 0.0, "only the GPU it holds counts");
        assert!(usage.memory_bytes > 0, "this test process's memory is counted");
        let since = usage.gpus_idle_since.expect("an idle held GPU is dated");
        assert_eq!(first.idle_gpu_holders().iter().map(|o| &o.owner).collect::<Vec<_>>(), vec![&owner]);
        metrics.record(first);
        let second = metrics.sample(&mut host, &mut gpus, None);
        assert_eq!(second.owners[0].gpus_idle_since, Some(since), "idle since the first idle sample");
        metrics.record(second);
        let third = metrics.sample(&mut host, &mut gpus, None);
        assert_eq!(third.owners[0].gpus_idle_since, None);
        assert_eq!(third.owners[0].gpu_memory_bytes, 2 << 30);
        assert!(third.idle_gpu_holders().is_empty(), "busy again");
        metrics.record(third);
        let util = metrics.series("gpu.1.util", Utc::now() - chrono::Duration::minutes(1));
        assert_eq!(util.iter().map(|p| p.value).collect::<Vec<_>>(), vec![0.0, 1.0, 75.0]);
        assert_eq!(metrics.series(&owner_series(&owner, "cpu"), Utc::now() - chrono::Duration::minutes(1)).len(), 3);
    }

    #[test]
    fn a_failing_gpu_sampler_is_reported_and_the_host_still_sampled() {
        struct Broken;
        impl GpuSource for Broken {
            fn read(&mut self) -> Result<Vec<GpuReading>, String> {
                Err("NVML device count: Unknown Error".into())
            }
        }
        let metrics = Metrics::new(ProcessOwners::default(), Retention::default());
        let snapshot = metrics.sample(&mut HostSampler::new(), &mut Broken, None);
        assert_eq!(
            snapshot.failures,
            vec![SamplerFailure { sampler: "nvml".into(), message: "NVML device count: Unknown Error".into() }]
        );
        assert!(snapshot.host.memory_total > 0);
    }

    #[test]
    fn a_runs_attempts_side_by_side_add_up_to_one_point_per_sample() {
        let owners = ProcessOwners::default();
        let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        for (pid, attempt) in [(std::process::id(), "a-1"), (child.id(), "b-1")] {
            owners.register(
                pid,
                owners::Holding {
                    owner: Owner {
                        namespace: "team".into(),
                        kind: OwnerKind::Run,
                        name: "run-1".into(),
                        detail: attempt.into(),
                    },
                    allocation: Allocation::default(),
                },
            );
        }
        let metrics = Metrics::new(owners, Retention::default());
        let snapshot = metrics.sample(&mut HostSampler::new(), &mut gpu::NoGpus("none here".into()), None);
        let total: u64 = snapshot.owners.iter().map(|o| o.memory_bytes).sum();
        assert_eq!(snapshot.owners.len(), 2);
        metrics.record(snapshot);
        child.kill().unwrap();
        let _ = child.wait();
        let run = Owner { namespace: "team".into(), kind: OwnerKind::Run, name: "run-1".into(), detail: String::new() };
        let memory = metrics.series(&owner_series(&run, "memory"), Utc::now() - chrono::Duration::minutes(1));
        assert_eq!(memory.len(), 1, "one point for both attempts");
        assert_eq!(memory[0].value, total as f32);
    }

    /// Answers every HTTP request with `status` and `body`, passing each
    /// request line on; returns the base URL.
    async fn answering(
        status: &'static str,
        body: &'static str,
    ) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (seen, requests) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut head = vec![0u8; 4096];
                let n = socket.read(&mut head).await.unwrap_or(0);
                let text = String::from_utf8_lossy(&head[..n]);
                let _ = seen.send(text.lines().next().unwrap_or_default().to_owned());
                let answer = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        (url, requests)
    }

    #[tokio::test]
    async fn cluster_gpus_are_read_from_a_prometheus_server_and_its_refusals_reported() {
        let http = reqwest::Client::new();
        let (url, mut requests) =
            answering("200 OK", include_str!("../../tests/fixtures/prometheus-query-dcgm.json")).await;
        let gpus = ClusterSource::Prometheus.read(&http, &format!("{url}/prom")).await.unwrap();
        assert_eq!(gpus.len(), 2);
        let request = requests.recv().await.unwrap();
        assert!(
            request.starts_with("GET /prom/api/v1/query?query=%7B__name__%3D%7E%22DCGM_FI_DEV_GPU_UTIL"),
            "{request}"
        );
        let (url, _) =
            answering("400 Bad Request", include_str!("../../tests/fixtures/prometheus-query-error.json")).await;
        let refused = ClusterSource::Prometheus.read(&http, &url).await.unwrap_err();
        assert!(refused.contains("bad_data"), "the body's explanation, not just the status: {refused}");
        let (url, _) = answering("503 Service Unavailable", "down").await;
        assert_eq!(
            ClusterSource::Dcgm.read(&http, &url).await.unwrap_err(),
            format!("{url}: HTTP 503 Service Unavailable")
        );
    }
}
