//! Notebook servers: the live list with connect, start, stop and delete
//! ([`NotebooksPage`]), the new-notebook form ([`form`]) and a notebook's
//! page with its log, events and spec ([`detail`]).

mod api;
mod detail;
mod form;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use model::EventKind;

pub use detail::NotebookDetailPage;
pub use form::NewNotebookPage;

use self::api::{DeleteNotebook, NotebookRow, SetNotebookStopped, list_notebooks};
use crate::{
    live::use_live_events,
    namespace::use_namespace,
    shell::{EmptyState, Loading, confirm},
};

/// A version that moves whenever a notebook of the namespace changes.
fn notebook_changes() -> Memo<usize> {
    let live = use_live_events();
    Memo::new(move |_| live.count(|e| matches!(e.kind, EventKind::NotebookChanged { .. })))
}

/// The badge colour of a phase.
fn phase_class(phase: &str) -> &'static str {
    match phase {
        "ready" => "badge badge--succeeded",
        "waiting" | "terminating" => "badge badge--running",
        "error" | "warning" => "badge badge--failed",
        _ => "badge badge--canceled",
    }
}

/// A time as the tables show it.
fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "\u{2014}".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// Most notebooks the home page lists.
const RECENT: usize = 5;

/// The namespace's newest notebooks with their live status (home page).
#[component]
pub fn RecentNotebooks() -> impl IntoView {
    let namespace = use_namespace();
    let changed = notebook_changes();
    let list = Resource::new(move || (namespace.get(), changed.get()), |(ns, _)| list_notebooks(ns.to_string()));
    view! {
        <Transition fallback=|| view! { <Loading what="notebooks" /> }>
            {move || list.get().map(|result| result.map(|mut rows| {
                let ns = namespace.get_untracked();
                if rows.is_empty() {
                    return view! {
                        <EmptyState icon="notebook" title="No notebook servers"
                            hint="Notebook servers started in this namespace appear here with their status." />
                        <a class="button button--primary card__action" href=format!("/notebooks/new?ns={ns}")
                            data-testid="first-notebook">"New notebook"</a>
                    }.into_any();
                }
                rows.sort_by_key(|row| std::cmp::Reverse(row.created_at));
                view! {
                    <ul class="recent-list" data-testid="recent-notebooks">
                        {rows.into_iter().take(RECENT).map(|row| view! {
                            <li>
                                <a href=format!("/notebooks/{}?ns={ns}", row.name)>{row.name.clone()}</a>
                                <span class=phase_class(&row.phase)>{row.phase.clone()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }))}
        </Transition>
    }
}

/// The Notebooks page.
#[component]
pub fn NotebooksPage() -> impl IntoView {
    let namespace = use_namespace();
    let stop = ServerAction::<SetNotebookStopped>::new();
    let delete = ServerAction::<DeleteNotebook>::new();
    let changed = notebook_changes();
    let list = Resource::new(
        move || (namespace.get(), stop.version().get(), delete.version().get(), changed.get()),
        |(ns, _, _, _)| list_notebooks(ns.to_string()),
    );
    let error = move || {
        [stop.value().get().and_then(|r| r.err()), delete.value().get().and_then(|r| r.err())]
            .into_iter()
            .flatten()
            .next()
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Notebooks" />
        <div class="run-header">
            <h1 class="page-title">"Notebooks"</h1>
            <a class="button button--primary" href=move || format!("/notebooks/new?ns={}", namespace.get())
                data-testid="new-notebook">"New notebook"</a>
        </div>
        {move || error().map(|e| view! { <p class="notice notice--danger" role="alert">{e}</p> })}
        <section class="card">
            <Transition fallback=|| view! { <Loading what="notebooks" /> }>
                {move || list.get().map(|result| result.map(|rows| {
                    if rows.is_empty() {
                        let title = format!("No notebook servers in {}", namespace.get());
                        return view! {
                            <EmptyState icon="notebook" title=title
                                hint="Create one with New notebook: JupyterLab starts on this machine and opens on its own origin." />
                        }.into_any();
                    }
                    view! { <NotebookTable rows stop delete /> }.into_any()
                }))}
            </Transition>
        </section>
    }
}

#[component]
fn NotebookTable(
    rows: Vec<NotebookRow>,
    stop: ServerAction<SetNotebookStopped>,
    delete: ServerAction<DeleteNotebook>,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
        <table class="table" data-testid="notebook-table">
            <thead><tr>
                <th>"Status"</th><th>"Name"</th><th>"Type"</th><th>"Created"</th><th>"Last activity"</th>
                <th>"Image"</th><th>"GPUs"</th><th>"CPUs"</th><th>"Memory"</th><th></th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|row| view! { <NotebookRowView row stop delete /> }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

#[component]
fn NotebookRowView(
    row: NotebookRow,
    stop: ServerAction<SetNotebookStopped>,
    delete: ServerAction<DeleteNotebook>,
) -> impl IntoView {
    let ns = use_namespace().get_untracked().to_string();
    let short_image = row.image.rsplit('/').next().unwrap_or(&row.image).to_owned();
    let name = row.name.clone();
    let ready = row.phase == "ready";
    view! {
        <tr data-testid="notebook-row" data-name=row.name.clone() data-phase=row.phase.clone()>
            <td>
                <span class=phase_class(&row.phase) data-testid="notebook-phase">{row.phase.clone()}</span>
                {(!row.message.is_empty()).then(|| view! { <div class="muted notebook-message">{row.message.clone()}</div> })}
            </td>
            <td><a href=format!("/notebooks/{}?ns={ns}", row.name)>{row.name.clone()}</a></td>
            <td>{server_type_label(&row.server_type)}</td>
            <td>{when(Some(row.created_at))}</td>
            <td>{when(row.last_activity)}</td>
            <td title=row.image.clone()>{short_image}</td>
            <td>{if row.gpus.is_empty() { "\u{2014}".to_owned() } else { row.gpus.clone() }}</td>
            <td>{row.cpu.clone()}</td>
            <td>{row.memory.clone()}</td>
            <td class="row-actions">
                <a class="button button--small" class:is-disabled=!ready aria-disabled=(!ready).to_string()
                    href=row.url.clone() target="_blank" rel="noopener" data-testid="connect">"Connect"</a>
                <StopStartButton namespace=ns.clone() name=name.clone() stopped=row.stopped stop />
                <DeleteButton namespace=ns name delete />
            </td>
        </tr>
    }
}

/// Deletes the notebook once the user confirms; its volumes stay.
#[component]
fn DeleteButton(namespace: String, name: String, delete: ServerAction<DeleteNotebook>) -> impl IntoView {
    let asked = name.clone();
    view! {
        <ActionForm action=delete>
            <input type="hidden" name="namespace" value=namespace />
            <input type="hidden" name="name" value=name />
            <button class="button button--small button--danger" type="submit" data-testid="delete"
                on:click=move |ev| if !confirm(&format!("Delete the notebook {asked}? Its volumes stay.")) { ev.prevent_default() }>
                "Delete"
            </button>
        </ActionForm>
    }
}

/// Stop for a running notebook, Start for a stopped one.
#[component]
fn StopStartButton(
    namespace: String,
    name: String,
    stopped: bool,
    stop: ServerAction<SetNotebookStopped>,
) -> impl IntoView {
    view! {
        <ActionForm action=stop>
            <input type="hidden" name="namespace" value=namespace />
            <input type="hidden" name="name" value=name />
            <input type="hidden" name="stopped" value=(!stopped).to_string() />
            <button class="button button--small" type="submit" data-testid=if stopped { "start" } else { "stop" }>
                {if stopped { "Start" } else { "Stop" }}
            </button>
        </ActionForm>
    }
}

/// What users call a server type.
fn server_type_label(server_type: &str) -> &'static str {
    match server_type {
        "jupyter" => "JupyterLab",
        "group-one" => "VS Code",
        "group-two" => "RStudio",
        _ => "other",
    }
}
