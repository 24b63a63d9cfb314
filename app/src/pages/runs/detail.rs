//! One run: header with actions, the DAG, the task table, and the panel of
//! the task in `?task=`. States change live from the event stream.

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use model::EventKind;

use super::{
    StateBadge,
    api::{
        MAX_TASK_ROWS, RunDetails, RunOverview, archive_run, delete_run, resume_run, retry_run, run_details, task_rows,
        terminate_run,
    },
    duration, elapsed,
    hydration::GraphDrawn,
    iterations::{IterationPicker, iteration_of},
    task_panel::TaskPanel,
};
use crate::{
    dag_graph::{DagGraph, NodeLinks, encode},
    error::AppError,
    live::use_live_events,
    namespace::use_namespace,
    pages::{Missing, utilization::WorkloadUsage},
    shell::Loading,
};

/// One output to give when resuming: a choice among its `enum`, or text.
#[component]
fn SuppliedField(output: super::api::SuppliedOutput) -> impl IntoView {
    let name = format!("supplied[{}]", output.name);
    let default = output.default.clone().unwrap_or_default();
    let input = if output.choices.is_empty() {
        view! { <input class="input" type="text" name=name value=default required=true /> }.into_any()
    } else {
        view! {
            <select class="input" name=name>
                {output.choices.into_iter().map(|c| {
                    let (selected, label) = (c == default, c.clone());
                    view! { <option value=c selected=selected>{label}</option> }
                }).collect_view()}
            </select>
        }
        .into_any()
    };
    view! {
        <label class="field field--inline" data-testid="supplied-output">
            <span>{output.name}</span>
            {input}
        </label>
    }
}

/// The run page, `/runs/:id?ns=&scope=&task=`.
#[component]
pub fn RunDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let scope = Memo::new(move |_| query.with(|q| q.get("scope").unwrap_or_default()));
    let task = Memo::new(move |_| query.with(|q| q.get("task").filter(|t| !t.is_empty())));
    let opened_loop = Memo::new(move |_| query.with(|q| q.get("loop").filter(|l| !l.is_empty())));
    let live = use_live_events();
    // The whole run reloads when it starts or ends again (retry, finish);
    // task states in between come from the live map.
    let ended = Memo::new(move |_| {
        let id = id.get();
        live.count(|e| match &e.kind {
            EventKind::RunStarted { run_id, .. } | EventKind::RunFinished { run_id, .. } => *run_id == id,
            _ => false,
        })
    });
    let reconnected = Memo::new(move |_| live.connected.get());
    let details: Resource<_, GraphDrawn> = Resource::new_with_options(
        move || (id.get(), scope.get(), ended.get(), reconnected.get()),
        |(id, scope, _, _)| run_details(id, scope),
        false,
    );
    // A memo, computed once per update: every node and row reads it.
    let live_states: Signal<HashMap<String, String>> = Memo::new(move |_| {
        let id = id.get();
        live.task_states.with(|states| {
            states
                .iter()
                .filter(|((run, _), _)| *run == id)
                .map(|((_, path), s)| (path.clone(), s.clone()))
                .collect::<HashMap<_, _>>()
        })
    })
    .into();
    view! {
        <Transition fallback=|| view! { <Loading what="the run" /> }>
            {move || details.get().map(|result| match result {
                Ok(details) => Ok(view! { <RunView details live_states task opened_loop reload=ended /> }.into_any()),
                Err(AppError::NotFound(message)) => {
                    Ok(view! { <Missing what="Run" list="/runs" list_name="runs" message /> }.into_any())
                }
                Err(e) => Err(e),
            })}
        </Transition>
    }
}

#[component]
fn RunView(
    details: RunDetails,
    live_states: Signal<HashMap<String, String>>,
    task: Memo<Option<String>>,
    /// A loop of single steps whose iterations to list.
    opened_loop: Memo<Option<String>>,
    /// Changes when the run starts or ends again: the task table reloads.
    reload: Memo<usize>,
) -> impl IntoView {
    let namespace = use_namespace();
    let run = details.run.clone();
    let base = format!("/runs/{}?ns={}", run.id, namespace.get_untracked());
    let links = NodeLinks { base: base.clone(), tasks: true };
    let scope = details.dag.scope.clone();
    let scope_shown = scope.clone();
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    let run_id = run.id.clone();
    // Hydrated from a copy without the graph's nodes: fetch the whole level
    // for drawing other windows, after the page is interactive.
    let whole = (details.dag.nodes.len() < details.node_count).then(|| {
        let (id, scope) = (run.id.clone(), scope.clone());
        let fetched = LocalResource::new(move || run_details(id.clone(), scope.clone()));
        Signal::derive(move || fetched.get().and_then(Result::ok).map(|d| d.dag))
    });
    view! {
        <Title text=run.display_name.clone() />
        <header class="run-header">
            <div>
                <p class="page-lead"><a href=format!("/runs?ns={}", namespace.get_untracked())>"Runs"</a></p>
                <h1 class="page-title">{run.display_name.clone()}</h1>
                <p class="run-header__meta">
                    <StateBadge state=run.state.clone() />
                    " started " <time datetime=run.created_at.to_rfc3339()>{run.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</time>
                    " \u{b7} " {duration(run.created_at, run.finished_at)}
                </p>
                {run.error.clone().map(|e| view! { <p class="notice notice--danger" role="alert">{e}</p> })}
                <NotAppliedHere notices=details.notices.clone() />
            </div>
            <RunActions run=run.clone() suspended=details.suspended supplied=details.supplied.clone() />
        </header>
        <Overview overview=details.overview.clone() />
        {
            let (run_id, base, scope) = (run.id.clone(), base.clone(), scope.clone());
            move || {
                let (loop_path, current) = match (opened_loop.get(), iteration_of(&scope)) {
                    (Some(path), _) => (path, None),
                    (None, Some((path, index))) => (path, Some(index)),
                    (None, None) => return None,
                };
                Some(view! {
                    <IterationPicker run_id=run_id.clone() loop_path base=base.clone() scope=scope.clone() current reload />
                })
            }
        }
        <div class="run-layout run-layout--stacked">
            <section class="card run-layout__graph">
                <DagGraph view=details.dag links live=live_states whole />
            </section>
            <section class="card run-layout__tasks">
                <TaskTable run_id=run.id.clone() base=base.clone() scope live=live_states reload />
            </section>
        </div>
        <WorkloadUsage kind="run" name=run.id.clone() from=Some(run.created_at.timestamp())
            to=run.finished_at.map(|t| t.timestamp()) />
        // The panel is drawn by the browser once the page is live (a page
        // loaded with `task=` hydrates without it, then opens it): its log
        // and live state are the browser's to follow anyway.
        {move || task.get().filter(|_| mounted.get()).map(|task_id| {
            // Closing keeps the level shown (the graph is not drawn again).
            let close = format!("{base}&scope={}", encode(&scope_shown));
            view! { <TaskPanel run_id=run_id.clone() task_id close live=live_states /> }
        })}
    }
}

/// What the run was started from and with: pipeline, version, experiment
/// (linked) and its parameters.
#[component]
fn Overview(overview: RunOverview) -> impl IntoView {
    let namespace = use_namespace().get_untracked();
    let pipeline = overview.pipeline.clone().map(|(id, name)| {
        let href = match &overview.version {
            Some((version, _)) => format!("/pipelines/{id}?ns={namespace}&version={version}"),
            None => format!("/pipelines/{id}?ns={namespace}"),
        };
        let version = overview.version.clone().map(|(_, v)| format!(" \u{b7} version {v}"));
        view! { <dt>"Pipeline"</dt><dd><a href=href>{name}</a>{version}</dd> }
    });
    let experiment = overview.experiment.clone().map(|(id, name)| {
        view! { <dt>"Experiment"</dt><dd><a href=format!("/runs?ns={namespace}&experiment={id}")>{name}</a></dd> }
    });
    let parameters = (!overview.parameters.is_empty()).then(|| {
        view! {
            <dt>"Parameters"</dt>
            <dd>
                <table class="table table--compact" data-testid="run-parameters">
                    <tbody>
                        {overview.parameters.iter().map(|(name, value)| view! {
                            <tr><th scope="row">{name.clone()}</th><td><code>{value.clone()}</code></td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </dd>
        }
    });
    view! {
        <section class="card run-overview" aria-label="Overview" data-testid="run-overview">
            <dl class="overview-list">{pipeline}{experiment}{parameters}</dl>
        </section>
    }
}

/// Terminate, retry, clone, archive and delete, as the run's state allows.
#[component]
fn RunActions(
    run: super::api::RunSummary,
    suspended: bool,
    supplied: Vec<super::api::SuppliedOutput>,
) -> impl IntoView {
    let namespace = use_namespace();
    let (id, state) = (run.id.clone(), run.state.clone());
    // Clone opens the pipeline's run form filled from this run.
    let clone = run.pipeline_id.as_ref().map(|pipeline| {
        let version = run.pipeline_version_id.clone().unwrap_or_default();
        format!("/pipelines/{pipeline}?ns={}&version={version}&clone={}", namespace.get_untracked(), run.id)
    });
    let terminate = ServerAction::<super::api::TerminateRun>::new();
    let resume = ServerAction::<super::api::ResumeRun>::new();
    let retry = ServerAction::<super::api::RetryRun>::new();
    let archive = ServerAction::<super::api::ArchiveRun>::new();
    let delete = ServerAction::<super::api::DeleteRun>::new();
    let _ = (terminate_run, resume_run, retry_run, archive_run, delete_run);
    let error = Memo::new(move |_| {
        [
            terminate.value().get(),
            resume.value().get(),
            retry.value().get(),
            archive.value().get(),
            delete.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .map(|e| e.to_string())
    });
    let running = state == "RUNNING";
    let retryable = state == "FAILED" || state == "CANCELED";
    let (id_terminate, id_resume, id_retry, id_archive) = (id.clone(), id.clone(), id.clone(), id.clone());
    view! {
        <div class="run-actions">
            {(running && suspended).then(move || view! {
                <ActionForm action=resume attr:class="resume-form">
                    <input type="hidden" name="id" value=id_resume />
                    {supplied.into_iter().map(|output| view! { <SuppliedField output /> }).collect_view()}
                    <button class="button button--primary" type="submit" data-testid="resume">"Resume"</button>
                </ActionForm>
            })}
            {running.then(move || view! {
                <ActionForm action=terminate><input type="hidden" name="id" value=id_terminate /><button class="button" type="submit">"Terminate"</button></ActionForm>
            })}
            {retryable.then(move || view! {
                <ActionForm action=retry><input type="hidden" name="id" value=id_retry /><button class="button button--primary" type="submit" data-testid="retry">"Retry"</button></ActionForm>
            })}
            {clone.map(|href| view! { <a class="button" href=href data-testid="clone">"Clone"</a> })}
            <ActionForm action=archive><input type="hidden" name="id" value=id_archive /><button class="button" type="submit">"Archive"</button></ActionForm>
            <ActionForm action=delete>
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="namespace" value=move || namespace.get().to_string() />
                <button class="button button--danger" type="submit">"Delete"</button>
            </ActionForm>
            {move || error.get().map(|e| view! { <p class="notice notice--danger" role="alert">{e}</p> })}
        </div>
    }
}

/// Every task of the run, sorted and filtered on the server, at most
/// [`MAX_TASK_ROWS`] at a time; a row opens its panel. A live update only
/// changes the state cell of its row.
#[component]
fn TaskTable(
    run_id: String,
    base: String,
    scope: String,
    live: Signal<HashMap<String, String>>,
    reload: Memo<usize>,
) -> impl IntoView {
    let filter = RwSignal::new(String::new());
    let sort = RwSignal::new("path");
    // Bumped when tasks the table has no row for report live: tasks that
    // started after the rows were read (or while the page was loading)
    // get their rows. One read per wave, not per task.
    let waves = RwSignal::new(0usize);
    let rows = Resource::new(
        move || (filter.get(), sort.get(), reload.get(), waves.get()),
        move |(filter, sort, _, _)| task_rows(run_id.clone(), filter, sort.to_owned()),
    );
    Effect::new(move |was_missing: Option<bool>| {
        let missing = rows.with(|page| match page {
            Some(Ok(page)) if page.rows.len() < MAX_TASK_ROWS && filter.with(String::is_empty) => {
                live.with(|states| states.keys().any(|path| !page.rows.iter().any(|row| row.path == *path)))
            }
            _ => false,
        });
        if missing && was_missing != Some(true) {
            waves.update(|n| *n += 1);
        }
        missing
    });
    let row_view = move |t: super::api::TaskRow| {
        let href = format!("{base}&scope={}&task={}", encode(&scope), t.id);
        let label = t.label.clone();
        let (path, stored) = (t.path.clone(), t.state.clone());
        let state = Signal::derive(move || live.with(|l| l.get(&path).cloned()).unwrap_or_else(|| stored.clone()));
        view! {
            <tr data-testid="task-row" data-state=state>
                <td><a href=href data-path=t.path.clone()>{label}</a></td>
                <td><StateBadge state=state /></td>
                <td>{t.attempts}</td>
                <td>{t.started_at.map(|s| s.format("%H:%M:%S").to_string()).unwrap_or_default()}</td>
                <td>{match (t.took_ms, t.started_at) {
                    (Some(ms), _) => elapsed(ms),
                    (None, Some(_)) => "running".to_owned(),
                    (None, None) => String::new(),
                }}</td>
                <td>{if t.cached { "yes" } else { "" }}</td>
            </tr>
        }
    };
    let header = move |label: &'static str, by: &'static str| {
        view! {
            <th aria-sort=move || (sort.get() == by).then_some("ascending")>
                <button class="th-button" type="button" on:click=move |_| sort.set(by)>{label}</button>
            </th>
        }
    };
    view! {
        <div class="toolbar">
            <h2 class="card__title">"Tasks"</h2>
            <input class="input" type="search" placeholder="Filter tasks" aria-label="Filter tasks"
                on:input=move |ev| filter.set(event_target_value(&ev)) prop:value=move || filter.get() />
        </div>
        <Transition fallback=|| view! { <Loading what="tasks" /> }>
            {move || rows.get().map(|result| result.map(|page| {
                let note = (page.matching > MAX_TASK_ROWS).then(|| format!(
                    "Showing {MAX_TASK_ROWS} of {} matching tasks ({} in the run); filter to narrow them down.",
                    page.matching, page.total,
                ));
                view! {
                    {note.map(|n| view! { <p class="muted">{n}</p> })}
                    <div class="table-scroll">
                        <table class="table" data-testid="task-table">
                            <thead><tr>
                                {header("Task", "path")}{header("State", "state")}<th>"Attempts"</th>
                                {header("Started", "started")}{header("Duration", "duration")}<th>"Cached"</th>
                            </tr></thead>
                            <tbody>{page.rows.into_iter().map(row_view.clone()).collect_view()}</tbody>
                        </table>
                    </div>
                }
            }))}
        </Transition>
    }
}

/// What the pipeline asks for that this machine kept but did not apply
/// (Kubernetes settings), one line each.
#[component]
fn NotAppliedHere(notices: Vec<String>) -> impl IntoView {
    (!notices.is_empty()).then(|| {
        view! {
            <ul class="notice notice--warning run-notices" aria-label="Not applied on this machine">
                {notices.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        }
    })
}
