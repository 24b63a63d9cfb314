//! Utilization: this host's CPU, memory and GPUs charted over time, and
//! each notebook and run attempt of the namespace with what it uses next
//! to what it asked for, GPUs held while idle, cluster GPUs from DCGM and
//! samplers that failed. Charts are drawn on the server (`crate::chart`) and
//! redrawn as samples arrive over the live stream.

mod idle_gpus;
mod namespaces;
mod workload;

#[cfg(feature = "ssr")]
use crate::chart;
pub use workload::WorkloadUsage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use self::{
    idle_gpus::{IdleGpuRow, IdleGpus},
    namespaces::{NamespaceRow, NamespaceTotals},
};
use crate::{error::AppError, live::use_live_events, namespace::use_namespace, shell::Loading};

/// Spans the page offers: (query value, label, seconds).
const SPANS: [(&str, &str, i64); 4] =
    [("15m", "15 minutes", 900), ("1h", "1 hour", 3_600), ("1d", "1 day", 86_400), ("1w", "1 week", 604_800)];

/// A chart drawn on the server: its title, SVG markup and legend.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    /// What it shows.
    pub title: String,
    /// The drawing.
    pub svg: String,
    /// Its lines' names, each with its colour's index.
    pub legend: Vec<(String, usize)>,
}

/// A chart with its legend under it (one entry per line, off the plot).
#[component]
pub fn ChartFigure(chart: ChartView, #[prop(optional)] card: bool) -> impl IntoView {
    view! {
        <figure class="chart" class:card=card aria-label=chart.title.clone()>
            <div class="chart__svg" inner_html=chart.svg></div>
            {(!chart.legend.is_empty()).then(|| view! {
                <figcaption>
                    <ul class="legend" aria-label=format!("{} legend", chart.title)>
                        {chart.legend.into_iter().map(|(name, colour)| view! {
                            <li><span class=format!("legend__swatch legend__swatch--{colour}") aria-hidden="true"></span>{name}</li>
                        }).collect_view()}
                    </ul>
                </figcaption>
            })}
        </figure>
    }
}

/// A workload's row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadRow {
    /// `notebook` or `run`.
    pub kind: String,
    /// Notebook name or run id.
    pub name: String,
    /// What people call it: the notebook's name, or the run's display name.
    pub label: String,
    /// For a run: the task its attempt runs (else the attempt's name).
    pub detail: String,
    /// CPU used / requested, e.g. "0.42 of 0.5 cores".
    pub cpu: String,
    /// Memory used / requested.
    pub memory: String,
    /// GPUs held, e.g. "1 (GPU 0)".
    pub gpus: String,
    /// GPU memory its processes use and the held GPUs' utilization.
    pub gpu_use: String,
    /// Since when its GPUs are idle, if they are.
    pub idle_since: Option<String>,
}

/// Everything the page shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UtilizationView {
    /// Headline figures: (label, value).
    pub cards: Vec<(String, String)>,
    /// Why there are no GPUs, when there are none.
    pub no_gpus: Option<String>,
    /// Charts.
    pub charts: Vec<ChartView>,
    /// The namespace's workloads.
    pub workloads: Vec<WorkloadRow>,
    /// Workloads of any namespace the viewer may read holding idle GPUs.
    pub idle_gpus: Vec<IdleGpuRow>,
    /// Each namespace the viewer may read that has workloads running.
    pub namespaces: Vec<NamespaceRow>,
    /// GPUs a DCGM exporter reports: (node, GPU, model, util, memory, pod).
    pub cluster_gpus: Vec<[String; 6]>,
    /// Samplers that failed: (sampler, why).
    pub failures: Vec<(String, String)>,
    /// Whether a sample was taken yet.
    pub sampled: bool,
}

#[cfg(feature = "ssr")]
fn bytes(n: f64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    if n >= GIB { format!("{:.1} GiB", n / GIB) } else { format!("{:.0} MiB", n / (1u64 << 20) as f64) }
}

/// A chart drawn, titled `title`; a failure to draw is logged.
#[cfg(feature = "ssr")]
fn draw(title: &str, frame: chart::Frame, lines: Vec<chart::Line>, size: (u32, u32)) -> Result<ChartView, AppError> {
    let svg = chart::line_chart(&frame, &lines, size.0, size.1).map_err(|e| {
        tracing::error!(error = %e, "cannot draw a chart");
        AppError::Internal
    })?;
    let legend = lines.iter().enumerate().map(|(i, l)| (l.name.to_owned(), i % chart::PALETTE_SIZE)).collect();
    Ok(ChartView { title: title.to_owned(), svg, legend })
}

/// The utilization of this host and of `namespace`'s workloads over `span`.
#[server(GetUtilization, "/api/ui", endpoint = "utilization")]
pub async fn utilization(namespace: String, span: String) -> Result<UtilizationView, AppError> {
    use crate::error::ssr::{engine, principal};
    use engine::metrics::{Metrics, owner_series};
    let (engine, principal) = (engine()?, principal()?);
    // Reading a namespace's workloads needs access to it.
    engine.existing_namespace(&principal, &namespace, model::Verb::List).await?;
    let metrics = use_context::<Metrics>().ok_or(AppError::Internal)?;
    let Some(sample) = metrics.latest() else { return Ok(UtilizationView::default()) };
    let seconds = SPANS.iter().find(|s| s.0 == span).map_or(900, |s| s.2);
    let now = chrono::Utc::now();
    let since = now - chrono::Duration::seconds(seconds);
    let window = (since.timestamp(), now.timestamp());
    let points = |name: &str, scale: f64| -> Vec<(i64, f64)> {
        metrics.series(name, since).into_iter().map(|p| (p.at, f64::from(p.value) / scale)).collect()
    };
    let gib = (1u64 << 30) as f64;
    let chart = |title: &str, frame: chart::Frame, lines: Vec<chart::Line>| draw(title, frame, lines, (520, 230));
    let mut charts = vec![
        chart(
            "CPU",
            chart::Frame { title: "CPU: the whole machine", unit: "%", span: window, y_max: 100.0 },
            vec![
                chart::Line { name: "whole machine", points: points("host.cpu", 1.0) },
                chart::Line { name: "Ferroflow's workloads", points: points("workloads.cpu", 1.0) },
            ],
        )?,
        chart(
            "Memory",
            chart::Frame {
                title: "Memory: the whole machine",
                unit: "GiB",
                span: window,
                y_max: sample.host.memory_total as f64 / gib,
            },
            vec![chart::Line { name: "whole machine", points: points("host.memory", gib) }],
        )?,
    ];
    for g in &sample.gpus {
        let title = format!("GPU {} ({})", g.index, g.name);
        let util = points(&format!("gpu.{}.util", g.index), 1.0);
        charts.push(chart(
            &title,
            chart::Frame { title: &title, unit: "%", span: window, y_max: 100.0 },
            vec![chart::Line { name: "utilization", points: util }],
        )?);
        let memory = points(&format!("gpu.{}.memory", g.index), gib);
        let memory_title = format!("GPU {} memory", g.index);
        charts.push(chart(
            &memory_title,
            chart::Frame { title: &memory_title, unit: "GiB", span: window, y_max: g.memory_total as f64 / gib },
            vec![chart::Line { name: "used", points: memory }],
        )?);
    }
    let mine: Vec<_> = sample.owners.iter().filter(|o| o.owner.namespace == namespace).collect();
    let labels = workload_labels(&engine, &principal, &mine).await;
    if !mine.is_empty() {
        // One line per workload (a run's attempts share its series).
        let mut shown: Vec<&engine::metrics::owners::Owner> = Vec::new();
        for o in &mine {
            if shown.len() < chart::PALETTE_SIZE
                && !shown.iter().any(|s| s.kind == o.owner.kind && s.name == o.owner.name)
            {
                shown.push(&o.owner);
            }
        }
        let names: Vec<String> = shown.iter().map(|o| labels.name(o.kind.as_str(), &o.name)).collect();
        let lines = shown
            .iter()
            .zip(&names)
            .map(|(o, name)| chart::Line { name, points: points(&owner_series(o, "cpu"), 1.0) })
            .collect();
        charts.push(chart(
            "Workloads' CPU",
            chart::Frame { title: "CPU by workload", unit: "cores", span: window, y_max: 1.0 },
            lines,
        )?);
    }
    let mut cards = vec![
        ("CPU (whole machine)".to_owned(), format!("{:.0} % of {} cores", sample.host.cpu_percent, sample.host.cores)),
        ("Ferroflow's workloads".to_owned(), format!("{:.0} % of the machine", sample.workloads_cpu_percent())),
        (
            "Memory".to_owned(),
            format!("{} of {}", bytes(sample.host.memory_used as f64), bytes(sample.host.memory_total as f64)),
        ),
        (
            "GPUs".to_owned(),
            if sample.gpus.is_empty() {
                "none on this host".to_owned()
            } else {
                let busy = sample.gpus.iter().map(|g| g.util_percent).sum::<f64>() / sample.gpus.len() as f64;
                format!("{} at {busy:.0} % on average", sample.gpus.len())
            },
        ),
        ("Workloads running".to_owned(), sample.owners.len().to_string()),
    ];
    cards.push(("Sampling cost".to_owned(), format!("{:.1} ms per sample", sample.cost_micros as f64 / 1000.0)));
    let workloads = mine
        .iter()
        .map(|o| WorkloadRow {
            kind: o.owner.kind.as_str().to_owned(),
            name: o.owner.name.clone(),
            label: labels.name(o.owner.kind.as_str(), &o.owner.name),
            detail: labels.task(&o.owner.detail),
            cpu: cpu_text(o.cores, o.allocation.cpu_milli),
            memory: memory_text(o.memory_bytes, o.allocation.memory_bytes),
            gpus: if o.allocation.gpus.is_empty() {
                "\u{2014}".to_owned()
            } else {
                let list: Vec<String> = o.allocation.gpus.iter().map(|g| format!("GPU {g}")).collect();
                format!("{} ({})", o.allocation.gpus.len(), list.join(", "))
            },
            gpu_use: if o.allocation.gpus.is_empty() && o.gpu_memory_bytes == 0 {
                "\u{2014}".to_owned()
            } else {
                format!("{:.0} %, {}", o.gpu_util_percent, bytes(o.gpu_memory_bytes as f64))
            },
            idle_since: o.gpus_idle_since.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
        })
        .collect();
    let cluster_gpus = sample
        .cluster_gpus
        .iter()
        .map(|g| {
            [
                g.host.clone(),
                g.index.clone(),
                g.model.clone(),
                g.util_percent.map_or("\u{2014}".into(), |u| format!("{u:.0} %")),
                g.memory_used.map_or("\u{2014}".into(), |m| bytes(m as f64)),
                match (&g.namespace, &g.pod) {
                    (Some(ns), Some(pod)) => format!("{ns}/{pod}"),
                    _ => "\u{2014}".into(),
                },
            ]
        })
        .collect();
    let totals = sample.by_namespace();
    let readable = readable_namespaces(&engine, &principal, totals.keys().copied()).await;
    Ok(UtilizationView {
        idle_gpus: idle_gpu_rows(&readable, &sample),
        namespaces: namespace_rows(&readable, totals),
        cards,
        no_gpus: sample.no_gpus.clone(),
        charts,
        workloads,
        cluster_gpus,
        failures: sample.failures.iter().map(|f| (f.sampler.clone(), f.message.clone())).collect(),
        sampled: true,
    })
}

/// What people call the workloads: runs by display name, attempts by
/// their task.
#[cfg(feature = "ssr")]
#[derive(Default)]
struct WorkloadLabels {
    /// Run id -> display name.
    runs: std::collections::HashMap<String, String>,
    /// Attempt name -> task path.
    tasks: std::collections::HashMap<String, String>,
}

#[cfg(feature = "ssr")]
impl WorkloadLabels {
    fn name(&self, kind: &str, name: &str) -> String {
        match self.runs.get(name).filter(|_| kind == "run") {
            Some(display) => format!("run {display}"),
            None => format!("{kind} {}", short(name)),
        }
    }

    fn task(&self, attempt: &str) -> String {
        self.tasks.get(attempt).cloned().unwrap_or_else(|| attempt.to_owned())
    }
}

/// Labels of the runs among `usages` (the namespace was authorized).
#[cfg(feature = "ssr")]
async fn workload_labels(
    engine: &engine::Engine,
    principal: &model::Principal,
    usages: &[&engine::metrics::OwnerUsage],
) -> WorkloadLabels {
    let mut labels = WorkloadLabels::default();
    for usage in usages.iter().filter(|u| u.owner.kind.as_str() == "run") {
        let id = &usage.owner.name;
        if labels.runs.contains_key(id) {
            continue;
        }
        if let Ok(run) = engine.run_without_tasks(principal, id).await {
            labels.runs.insert(id.clone(), run.display_name);
        }
        if let Ok(tasks) = engine.attempt_tasks(id).await {
            labels.tasks.extend(tasks);
        }
    }
    labels
}

/// Those of `namespaces` that `principal` may read.
#[cfg(feature = "ssr")]
async fn readable_namespaces(
    engine: &engine::Engine,
    principal: &model::Principal,
    namespaces: impl Iterator<Item = &str>,
) -> std::collections::HashSet<String> {
    let mut readable = std::collections::HashSet::new();
    for namespace in namespaces {
        if engine.existing_namespace(principal, namespace, model::Verb::List).await.is_ok() {
            readable.insert(namespace.to_owned());
        }
    }
    readable
}

/// The workloads holding idle GPUs in the `readable` namespaces.
#[cfg(feature = "ssr")]
fn idle_gpu_rows(readable: &std::collections::HashSet<String>, sample: &engine::metrics::Snapshot) -> Vec<IdleGpuRow> {
    let mut rows = Vec::new();
    for usage in sample.idle_gpu_holders() {
        let Some(since) = usage.gpus_idle_since.filter(|_| readable.contains(&usage.owner.namespace)) else {
            continue;
        };
        let gpus: Vec<String> = usage.allocation.gpus.iter().map(|g| format!("GPU {g}")).collect();
        rows.push(IdleGpuRow {
            namespace: usage.owner.namespace.clone(),
            kind: usage.owner.kind.as_str().to_owned(),
            name: usage.owner.name.clone(),
            gpus: gpus.join(", "),
            since: since.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            idle_for: idle_gpus::idle_for((sample.at - since).num_seconds()),
        });
    }
    rows
}

/// The `readable` namespaces' totals.
#[cfg(feature = "ssr")]
fn namespace_rows(
    readable: &std::collections::HashSet<String>,
    totals: std::collections::BTreeMap<&str, engine::metrics::namespaces::NamespaceUsage>,
) -> Vec<NamespaceRow> {
    totals
        .into_iter()
        .filter(|(namespace, _)| readable.contains(*namespace))
        .map(|(namespace, u)| NamespaceRow {
            namespace: namespace.to_owned(),
            workloads: u.workloads,
            cpu: cpu_text(u.cores, u.cpu_milli),
            memory: memory_text(u.memory_bytes, u.memory_requested),
            gpus: if u.gpus == 0 { "\u{2014}".to_owned() } else { format!("{} ({} idle)", u.gpus, u.idle_gpus) },
        })
        .collect()
}

/// This host's headline figures for the home page: CPU, memory, GPUs.
#[server(GetUtilizationSummary, "/api/ui", endpoint = "utilization_summary")]
pub async fn utilization_summary() -> Result<Vec<(String, String)>, AppError> {
    let metrics = use_context::<engine::metrics::Metrics>().ok_or(AppError::Internal)?;
    let Some(sample) = metrics.latest() else { return Ok(Vec::new()) };
    let gpus = if sample.gpus.is_empty() {
        "none on this host".to_owned()
    } else {
        let free = sample.gpus.iter().filter(|g| g.util_percent < engine::metrics::IDLE_GPU_PERCENT).count();
        format!("{} ({} idle)", sample.gpus.len(), free)
    };
    Ok(vec![
        ("CPU".to_owned(), format!("{:.0} %", sample.host.cpu_percent)),
        (
            "Memory".to_owned(),
            format!("{} of {}", bytes(sample.host.memory_used as f64), bytes(sample.host.memory_total as f64)),
        ),
        ("GPUs".to_owned(), gpus),
    ])
}

/// CPU, memory and GPUs of this host, kept current by the live stream.
#[component]
pub fn UtilizationSummary() -> impl IntoView {
    let live = use_live_events();
    let tick = Memo::new(move |_| live.metrics_samples.get() / 5);
    let summary = Resource::new(move || tick.get(), |_| utilization_summary());
    view! {
        <Transition fallback=|| view! { <Loading what="utilization" /> }>
            {move || summary.get().map(|result| result.map(|figures| view! {
                <dl class="details summary-figures" data-testid="utilization-summary">
                    {figures.into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
                </dl>
            }))}
        </Transition>
    }
}

/// A run id's first part; names stay whole.
#[cfg(feature = "ssr")]
fn short(name: &str) -> &str {
    if name.len() > 20 && name.chars().filter(|c| *c == '-').count() == 4 { &name[..8] } else { name }
}

/// CPU used against requested: "0.42 of 0.50 cores", or "0.23 cores, no
/// request" when nothing was requested (not "of 0.00").
#[cfg(feature = "ssr")]
fn cpu_text(cores: f64, requested_milli: u64) -> String {
    match requested_milli {
        0 => format!("{cores:.2} cores, no request"),
        milli => format!("{cores:.2} of {:.2} cores", milli as f64 / 1000.0),
    }
}

/// Memory used against requested, the same way.
#[cfg(feature = "ssr")]
fn memory_text(used: u64, requested: u64) -> String {
    match requested {
        0 => format!("{}, no request", bytes(used as f64)),
        requested => format!("{} of {}", bytes(used as f64), bytes(requested as f64)),
    }
}

/// The Utilization page.
#[component]
pub fn UtilizationPage() -> impl IntoView {
    let namespace = use_namespace();
    let query = use_query_map();
    let span = Memo::new(move |_| query.read().get("span").unwrap_or_else(|| "15m".to_owned()));
    let live = use_live_events();
    // Redraw every other sample: charts move, the page stays calm.
    let tick = Memo::new(move |_| live.metrics_samples.get() / 2);
    let view_data = Resource::new(
        move || (namespace.get(), span.get(), tick.get()),
        |(ns, span, _)| utilization(ns.to_string(), span),
    );
    view! {
        <Title text="Utilization" />
        <div class="run-header">
            <h1 class="page-title">"Utilization"</h1>
            <nav class="chips" aria-label="Time span">
                {SPANS.iter().map(|(key, label, _)| view! {
                    <a class="chip" href=move || format!("/utilization?ns={}&span={key}", namespace.get())
                        aria-current=move || (span.get() == *key).to_string()>{*label}</a>
                }).collect_view()}
            </nav>
        </div>
        <Transition fallback=|| view! { <Loading what="utilization" /> }>
            {move || view_data.get().map(|result| result.map(|data| view! { <UtilizationBody data /> }))}
        </Transition>
    }
}

#[component]
fn UtilizationBody(data: UtilizationView) -> impl IntoView {
    if !data.sampled {
        return view! { <section class="card"><p class="muted">"No sample yet: the first arrives within a second."</p></section> }.into_any();
    }
    let has_gpus = data.no_gpus.is_none() || !data.idle_gpus.is_empty();
    view! {
        {data.failures.into_iter().map(|(sampler, why)| view! {
            <div class="notice notice--warning utilization-notice" role="status">
                {format!("The {sampler} sampler failed; it is retried each interval.")}
                <details><summary>"Details"</summary><pre class="code" tabindex="0">{why}</pre></details>
            </div>
        }).collect_view()}
        <div class="cards utilization-cards" data-testid="utilization-cards">
            {data.cards.into_iter().map(|(label, value)| view! {
                <section class="card"><h2 class="card__title">{label}</h2><p class="figure">{value}</p></section>
            }).collect_view()}
        </div>
        {data.no_gpus.map(|why| view! {
            <div class="notice notice--info utilization-notice" data-testid="no-gpus">
                "No GPUs are in use on this host."
                <details><summary>"Details"</summary><pre class="code" tabindex="0">{why}</pre></details>
            </div>
        })}
        <div class="chart-grid" data-testid="charts">
            {data.charts.into_iter().map(|chart| view! { <ChartFigure chart card=true /> }).collect_view()}
        </div>
        <section class="card">
            <h2 class="card__title">"Workloads: used against requested"</h2>
            <WorkloadTable rows=data.workloads />
        </section>
        {has_gpus.then(|| view! { <IdleGpus rows=data.idle_gpus /> })}
        <NamespaceTotals rows=data.namespaces />
        {(!data.cluster_gpus.is_empty()).then(|| view! { <ClusterGpus rows=data.cluster_gpus /> })}
    }
    .into_any()
}

#[component]
fn WorkloadTable(rows: Vec<WorkloadRow>) -> impl IntoView {
    let ns = use_namespace().get_untracked();
    if rows.is_empty() {
        return view! { <p class="muted">"No notebook or step of this namespace is running."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="workloads">
            <thead><tr><th>"Workload"</th><th>"CPU"</th><th>"Memory"</th><th>"GPUs held"</th><th>"GPU use"</th><th>"GPUs idle since"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let href = if r.kind == "notebook" { format!("/notebooks/{}?ns={ns}", r.name) } else { format!("/runs/{}?ns={ns}", r.name) };
                    view! {
                        <tr data-testid="workload" data-kind=r.kind.clone()>
                            <td><a href=href>{r.label.clone()}</a>
                                {(!r.detail.is_empty()).then(|| view! { <div class="muted">{r.detail.clone()}</div> })}</td>
                            <td data-testid="workload-cpu">{r.cpu}</td><td data-testid="workload-memory">{r.memory}</td>
                            <td>{r.gpus}</td><td>{r.gpu_use}</td>
                            <td>{r.idle_since.unwrap_or_else(|| "\u{2014}".into())}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn ClusterGpus(rows: Vec<[String; 6]>) -> impl IntoView {
    view! {
        <section class="card">
            <h2 class="card__title">"Cluster GPUs (DCGM)"</h2>
            <table class="table">
                <thead><tr><th>"Node"</th><th>"GPU"</th><th>"Model"</th><th>"Utilization"</th><th>"Memory used"</th><th>"Pod"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|cells| view! {
                        <tr>{cells.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}
