//! Runs: the list (filter by state, search, sort, paging; live) and one run's page.

pub mod api;
mod compare;
mod detail;
mod hydration;
mod iterations;
mod task_panel;
mod task_values;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use model::EventKind;

pub use compare::CompareRunsPage;
pub use detail::RunDetailPage;

use crate::{
    live::use_live_events,
    namespace::use_namespace,
    shell::{EmptyState, Loading},
};
use api::{RunSummary, list_runs};

/// States the list can be filtered by.
const STATE_FILTERS: [(&str, &str); 5] =
    [("", "All"), ("RUNNING", "Running"), ("SUCCEEDED", "Succeeded"), ("FAILED", "Failed"), ("CANCELED", "Canceled")];

/// The Runs page.
#[component]
pub fn RunsPage() -> impl IntoView {
    let namespace = use_namespace();
    let query = use_query_map();
    let param = move |key: &str| query.with(|q| q.get(key).unwrap_or_default());
    let live = use_live_events();
    // Reload when a run of this namespace starts or ends.
    let changed = Memo::new(move |_| {
        live.count(|e| matches!(e.kind, EventKind::RunStarted { .. } | EventKind::RunFinished { .. }))
    });
    let runs = Resource::new(
        move || {
            (
                namespace.get(),
                (param("experiment"), param("recurring")),
                param("state"),
                param("q"),
                param("sort"),
                param("page"),
                changed.get(),
            )
        },
        |(ns, (experiment, recurring), state, q, sort, page, _)| {
            list_runs(ns.to_string(), experiment, recurring, state, q, sort, page)
        },
    );
    let link = move |key: &'static str, value: String| {
        let mut pairs: Vec<(String, String)> = query.with(|q| {
            ["experiment", "recurring", "state", "q", "sort"]
                .into_iter()
                .filter(|k| *k != key)
                .filter_map(|k| q.get(k).map(|v| (k.to_owned(), v)))
                .collect()
        });
        if !value.is_empty() {
            pairs.push((key.to_owned(), value));
        }
        let rest: String = pairs.iter().map(|(k, v)| format!("&{k}={}", crate::dag_graph::encode(v))).collect();
        format!("/runs?ns={}{rest}", namespace.get())
    };
    view! {
        <Title text="Runs" />
        <h1 class="page-title">"Runs"</h1>
        <section class="card">
            <form class="toolbar" method="get" action="/runs">
                <input type="hidden" name="ns" prop:value=move || namespace.get().to_string() />
                <nav class="chips" aria-label="Filter by state">
                    {STATE_FILTERS.iter().map(|(state, label)| {
                        let state = *state;
                        view! {
                            <a class="chip" href=move || link("state", state.to_owned())
                                aria-current=move || (param("state") == state).then_some("true")>{*label}</a>
                        }
                    }).collect_view()}
                </nav>
                <input type="hidden" name="state" prop:value=move || param("state") />
                <input type="hidden" name="experiment" prop:value=move || param("experiment") />
                <input type="hidden" name="recurring" prop:value=move || param("recurring") />
                <input class="input" type="search" name="q" placeholder="Search by name" aria-label="Search runs by name"
                    prop:value=move || param("q") />
                <select class="input" name="sort" aria-label="Sort runs">
                    <option value="" selected=move || param("sort").is_empty()>"Newest first"</option>
                    <option value="created_at" selected=move || param("sort") == "created_at">"Oldest first"</option>
                    <option value="display_name" selected=move || param("sort") == "display_name">"Name A-Z"</option>
                    <option value="display_name desc" selected=move || param("sort") == "display_name desc">"Name Z-A"</option>
                </select>
                <button class="button" type="submit">"Apply"</button>
            </form>
            <Transition fallback=|| view! { <Loading what="runs" /> }>
                {move || runs.get().map(|result| result.map(|page| {
                    let next = (!page.next.is_empty()).then(|| link("page", page.next.clone()));
                    view! { <RunTable runs=page.runs names=page.names /> {next.map(|href| view! { <a class="button" href=href>"Next page"</a> })} }
                }))}
            </Transition>
        </section>
    }
}

/// Runs as a table; empty state when there are none.
#[component]
pub fn RunTable(
    runs: Vec<RunSummary>,
    /// Names of pipeline versions and experiments by id; ids shortened otherwise.
    names: std::collections::BTreeMap<String, String>,
) -> impl IntoView {
    let namespace = use_namespace();
    if runs.is_empty() {
        let title = format!("No runs in {}", namespace.get_untracked());
        return view! {
            <EmptyState icon="run" title=title
                hint="Start a run from a pipeline's page, or submit one with kfp.Client; runs update here live." />
        }
        .into_any();
    }
    let name_of = |id: &str| names.get(id).cloned().unwrap_or_else(|| short(id));
    let picked = RwSignal::new(0usize);
    let rows = runs
        .into_iter()
        .map(|run| {
            let href = format!("/runs/{}?ns={}", run.id, namespace.get_untracked());
            let duration = duration(run.created_at, run.finished_at);
            let label = format!("Compare {}", run.display_name);
            view! {
                <tr data-testid="run-row">
                    <td class="pick"><input type="checkbox" name="ids" value=run.id.clone() form="compare-runs" aria-label=label
                        on:change=move |ev| picked.update(|n| if event_target_checked(&ev) { *n += 1 } else { *n = n.saturating_sub(1) }) /></td>
                    <td><a href=href>{run.display_name}</a></td>
                    <td><StateBadge state=run.state /></td>
                    <td>{duration}</td>
                    <td class="muted">{run.pipeline_version_id.map(|v| name_of(&v)).unwrap_or_else(|| "inline spec".into())}</td>
                    <td class="muted">{run.experiment_id.map(|e| name_of(&e)).unwrap_or_default()}</td>
                    <td><time datetime=run.created_at.to_rfc3339()>{run.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</time></td>
                </tr>
            }
        })
        .collect_view();
    let (fewest, most) = (*compare::COMPARED.start(), *compare::COMPARED.end());
    view! {
        <form id="compare-runs" class="toolbar" method="get" action="/runs/compare">
            <input type="hidden" name="ns" value=namespace.get_untracked().to_string() />
            <button class="button" type="submit" data-testid="compare"
                disabled=move || !compare::COMPARED.contains(&picked.get())>"Compare selected"</button>
            <span class="muted">{move || format!("{} picked; compare {fewest} to {most} runs", picked.get())}</span>
        </form>
        <div class="table-scroll">
        <table class="table" data-testid="runs-table">
            <thead><tr><th><span class="visually-hidden">"Pick"</span></th><th>"Name"</th><th>"Status"</th><th>"Duration"</th><th>"Pipeline version"</th><th>"Experiment"</th><th>"Started"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
    }
    .into_any()
}

/// A state as a coloured label.
#[component]
pub fn StateBadge(#[prop(into)] state: Signal<String>) -> impl IntoView {
    view! {
        <span class=move || format!("badge badge--{}", crate::dag_graph::state_class(&state.get()))>
            {move || { let s = state.get(); if s.is_empty() { "not run".to_owned() } else { s.to_lowercase() } }}
        </span>
    }
}

/// `1m 05s` between two times, or since `start` while still going.
pub fn duration(start: chrono::DateTime<chrono::Utc>, end: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let Some(end) = end else { return "running".to_owned() };
    elapsed((end - start).num_milliseconds())
}

/// `1m 05s` for a number of milliseconds.
pub fn elapsed(milliseconds: i64) -> String {
    let seconds = milliseconds.max(0) as f64 / 1000.0;
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        format!("{}m {:02}s", seconds as u64 / 60, seconds as u64 % 60)
    }
}

/// The first eight characters of an id.
pub fn short(id: &str) -> String {
    id.chars().take(8).collect()
}
