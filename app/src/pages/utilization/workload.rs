//! Small charts of one notebook's or run's use over its time: CPU and
//! memory next to what it requested, and the utilization of the GPUs it
//! holds. Shown on the notebook and run pages; redrawn from the live
//! stream while the workload runs.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{error::AppError, live::use_live_events, namespace::use_namespace, shell::Loading};

/// The charts of one workload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkloadUsageView {
    /// In the order shown; the requested lines only while it holds
    /// resources.
    pub charts: Vec<super::ChartView>,
    /// Use above what it requested, in words (memory above its request
    /// is what gets a workload killed first when the machine runs short).
    pub over_request: Vec<String>,
}

/// Shortest span charted: a step of a few seconds still gets a readable axis.
#[cfg(feature = "ssr")]
const MIN_SPAN: i64 = 120;

/// Charts of the notebook or run `name` (`kind` `notebook` or `run`) in
/// `namespace` between `from` and `to` (unix seconds; the last 15 minutes
/// up to now when unset), for someone who may read it.
#[server(GetWorkloadUsage, "/api/ui", endpoint = "workload_usage")]
pub async fn workload_usage(
    namespace: String,
    kind: String,
    name: String,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<WorkloadUsageView, AppError> {
    use engine::metrics::{
        Metrics, owner_series,
        owners::{Owner, OwnerKind},
    };

    use super::draw;
    use crate::{
        chart::{Frame, Line},
        error::ssr::{engine, principal},
    };
    let (engine, principal) = (engine()?, principal()?);
    let owner_kind = match kind.as_str() {
        "notebook" => {
            engine.notebook(&principal, &namespace, &name).await?;
            OwnerKind::Notebook
        }
        "run" => {
            let (run_namespace, _) = engine.authorize_run(&principal, &name, model::Verb::Get).await?;
            if run_namespace != namespace {
                return Err(AppError::NotFound(format!("run {name} is not in namespace {namespace}")));
            }
            OwnerKind::Run
        }
        other => return Err(AppError::Invalid(format!("kind: {other:?} is neither notebook nor run"))),
    };
    let metrics = use_context::<Metrics>().ok_or(AppError::Internal)?;
    let owner = Owner { namespace, kind: owner_kind, name, detail: String::new() };
    let now = chrono::Utc::now().timestamp();
    let to = to.unwrap_or(now).min(now);
    let from = from.unwrap_or(to - 900).max(to - 7 * 86_400);
    // A workload younger than the shortest span starts at the left edge
    // and fills the chart as it goes.
    let end = to.max(from + MIN_SPAN);
    let since = chrono::DateTime::from_timestamp(from, 0).unwrap_or_default();
    let points = |what: &str, scale: f64| -> Vec<(i64, f64)> {
        metrics
            .series(&owner_series(&owner, what), since)
            .into_iter()
            .filter(|p| p.at <= to)
            .map(|p| (p.at, f64::from(p.value) / scale))
            .collect()
    };
    let (cpu, memory, gpu) = (points("cpu", 1.0), points("memory", (1u64 << 30) as f64), points("gpu", 1.0));
    if cpu.is_empty() {
        return Ok(WorkloadUsageView::default());
    }
    // What it holds now: a run's attempts add up.
    let latest = metrics.latest();
    let held: Vec<_> = latest.iter().flat_map(|s| s.usage_of(owner.kind, &owner.namespace, &owner.name)).collect();
    let requested_cores = held.iter().map(|o| o.allocation.cpu_milli).sum::<u64>() as f64 / 1000.0;
    let requested_memory = held.iter().map(|o| o.allocation.memory_bytes).sum::<u64>();
    let flat = |value: f64| vec![(from, value), (to, value)];
    let with_request = |used: Vec<(i64, f64)>, requested: f64| {
        let mut lines = vec![Line { name: "used", points: used }];
        if requested > 0.0 {
            lines.push(Line { name: "requested", points: flat(requested) });
        }
        lines
    };
    let mut over_request = Vec::new();
    let peak_bytes = memory.iter().map(|(_, gib)| gib * (1u64 << 30) as f64).fold(0.0, f64::max) as u64;
    if requested_memory > 0 && peak_bytes > requested_memory {
        over_request.push(format!(
            "Memory peaked at {}, above its request of {}: it is among the first killed when the machine runs short.",
            super::bytes(peak_bytes as f64),
            super::bytes(requested_memory as f64)
        ));
    }
    let size = (360, 170);
    let mut charts = vec![
        draw(
            "CPU",
            Frame { title: "CPU", unit: "cores", span: (from, end), y_max: requested_cores.max(0.5) },
            with_request(cpu, requested_cores),
            size,
        )?,
        draw(
            "Memory",
            Frame { title: "Memory", unit: "GiB", span: (from, end), y_max: 0.25 },
            with_request(memory, requested_memory as f64 / (1u64 << 30) as f64),
            size,
        )?,
    ];
    if !gpu.is_empty() {
        charts.push(draw(
            "GPU utilization",
            Frame { title: "GPUs held", unit: "%", span: (from, end), y_max: 100.0 },
            vec![Line { name: "utilization", points: gpu }],
            size,
        )?);
    }
    Ok(WorkloadUsageView { charts, over_request })
}

/// The "Utilization" card of a notebook or run page. `to` is when the
/// workload ended; while it runs (`None`) the charts follow the live
/// stream.
#[component]
pub fn WorkloadUsage(
    /// `notebook` or `run`.
    kind: &'static str,
    /// The notebook's name or the run's id.
    name: String,
    /// When it started (unix seconds; at most a week back); the last 15
    /// minutes when unset.
    from: Option<i64>,
    /// When it ended (unix seconds).
    to: Option<i64>,
) -> impl IntoView {
    let namespace = use_namespace();
    let live = use_live_events();
    // A finished workload's charts do not change; a running one's are
    // redrawn every fifth sample.
    let tick = Memo::new(move |_| if to.is_none() { live.metrics_samples.get() / 5 } else { 0 });
    // Fetched by the browser once the page is up (effects do not run on
    // the server): the page does not wait for its charts, and samples
    // arriving while it hydrates cannot make server and browser disagree.
    let usage = RwSignal::new(None::<Result<WorkloadUsageView, AppError>>);
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        let (ns, _) = (namespace.get(), tick.get());
        let name = name.clone();
        let this = asked.get_value() + 1;
        asked.set_value(this);
        leptos::task::spawn_local(async move {
            let answer = workload_usage(ns.to_string(), kind.to_owned(), name, from, to).await;
            // An older answer arriving late does not replace a newer one,
            // and one arriving after the page moved on (a run page redrawn
            // on retry disposes of this card) goes nowhere.
            if asked.try_get_value() == Some(this) {
                usage.try_set(Some(answer));
            }
        });
    });
    view! {
        <section class="card" data-testid="workload-usage">
            <h2 class="card__title">"Utilization"</h2>
            {move || match usage.get() {
                None => view! { <Loading what="utilization" /> }.into_any(),
                Some(Err(e)) => view! { <p class="notice notice--danger">{e.to_string()}</p> }.into_any(),
                Some(Ok(usage)) if usage.charts.is_empty() => view! {
                    <p class="muted">"No use recorded: samples are kept while it runs, for the configured retention."</p>
                }.into_any(),
                Some(Ok(usage)) => view! {
                    {usage.over_request.into_iter().map(|why| view! {
                        <p class="notice notice--warning" data-testid="over-request">{why}</p>
                    }).collect_view()}
                    <div class="chart-grid chart-grid--small">
                        {usage.charts.into_iter().map(|chart| view! { <super::ChartFigure chart /> }).collect_view()}
                    </div>
                }.into_any(),
            }}
        </section>
    }
}
