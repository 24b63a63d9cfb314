//! A notebook's page: overview, the server's log (live), its recorded
//! events, its spec as Kubeflow's `Notebook` resource in YAML, and, while
//! it is stopped, a form to change its image and resources.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{
    DeleteButton, StopStartButton,
    api::{
        DeleteNotebook, NotebookDetails, SetNotebookStopped, UpdateNotebook, notebook_details, notebook_form_options,
        notebook_log,
    },
    form::{FormProblem, NotebookFields, Problems},
    notebook_changes, phase_class, server_type_label, when,
};
use crate::{live::use_live_events, namespace::use_namespace, pages::utilization::WorkloadUsage, shell::Loading};

/// The notebook page.
#[component]
pub fn NotebookDetailPage() -> impl IntoView {
    let namespace = use_namespace();
    let params = use_params_map();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let stop = ServerAction::<SetNotebookStopped>::new();
    let update = ServerAction::<UpdateNotebook>::new();
    let delete = ServerAction::<DeleteNotebook>::new();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate(&format!("/notebooks?ns={}", namespace.get_untracked()), Default::default());
        }
    });
    // From the moment Delete is sent: its event may arrive before its answer.
    let deleted = Memo::new(move |_| delete.pending().get() || matches!(delete.value().get(), Some(Ok(()))));
    // Changes stop counting once it is deleted: its page is left, not read
    // again (which would answer 404).
    let all_changes = notebook_changes();
    let changed = Memo::new(move |before: Option<&usize>| match before {
        Some(before) if deleted.get() => *before,
        _ => all_changes.get(),
    });
    // Read again after a save that was accepted only: a refused one keeps
    // the user's input on screen next to its problems.
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(())) = update.value().get() {
            saved.update(|n| *n += 1);
        }
    });
    let details = Resource::new(
        move || (namespace.get(), name.get(), changed.get(), stop.version().get(), saved.get()),
        |(ns, name, _, _, _)| notebook_details(ns.to_string(), name),
    );
    let live = use_live_events();
    let grew = Memo::new(move |_| {
        let attempt = format!("notebook-{}-{}", namespace.get(), name.get());
        live.log_growth.with(|g| g.get(&attempt).copied())
    });
    let log = Resource::new(
        move || (namespace.get(), name.get(), grew.get(), changed.get()),
        |(ns, name, _, _)| notebook_log(ns.to_string(), name),
    );
    view! {
        <Title text=move || format!("Notebook {}", name.get()) />
        <Transition fallback=|| view! { <Loading what="the notebook" /> }>
            {move || details.get().map(|result| result.map(|details| view! {
                <NotebookHeader details=details.clone() stop delete />
                {move || delete.value().get().and_then(Result::err).map(|e| view! {
                    <p class="notice notice--danger" role="alert">{e.to_string()}</p>
                })}
                <div class="run-layout">
                    <Overview details=details.clone() />
                    <section class="card">
                        <h2 class="card__title">"Events"</h2>
                        <EventTable events=details.events.clone() />
                    </section>
                </div>
                <WorkloadUsage kind="notebook" name=details.row.name.clone() from=Some(details.row.created_at.timestamp()) to=None />
                {details.row.stopped.then(|| view! { <EditWhileStopped details=details.clone() update /> })}
                <section class="card">
                    <h2 class="card__title">"Logs"</h2>
                    <Transition fallback=|| view! { <Loading what="the log" /> }>
                        {move || log.get().map(|lines| lines.map(|lines| view! {
                            <pre class="code notebook-log" data-testid="notebook-log" tabindex="0" role="log" aria-label="Server log">
                                {lines.into_iter().map(|l| view! { <span class="log__line">{l}</span> }).collect_view()}
                            </pre>
                        }))}
                    </Transition>
                </section>
                <section class="card">
                    <h2 class="card__title">"Spec"</h2>
                    <pre class="code" data-testid="notebook-yaml" tabindex="0" role="region" aria-label="Notebook resource">{details.spec_yaml.clone()}</pre>
                </section>
            }))}
        </Transition>
    }
}

#[component]
fn NotebookHeader(
    details: NotebookDetails,
    stop: ServerAction<SetNotebookStopped>,
    delete: ServerAction<DeleteNotebook>,
) -> impl IntoView {
    let ns = use_namespace().get_untracked().to_string();
    let row = details.row;
    let ready = row.phase == "ready";
    view! {
        <div class="run-header">
            <div>
                <h1 class="page-title">{row.name.clone()} " " <span class=phase_class(&row.phase) data-testid="notebook-phase">{row.phase.clone()}</span></h1>
                <p class="run-header__meta">
                    <a href=format!("/notebooks?ns={ns}")>"Notebooks"</a> " \u{b7} " {server_type_label(&row.server_type)}
                    " \u{b7} created by " {details.created_by} " at " {when(Some(row.created_at))}
                </p>
                {(!row.message.is_empty()).then(|| view! { <p class="notice notice--warning notebook-message">{row.message.clone()}</p> })}
            </div>
            <div class="run-actions">
                <a class="button button--primary" class:is-disabled=!ready aria-disabled=(!ready).to_string()
                    href=row.url.clone() target="_blank" rel="noopener">"Connect"</a>
                <StopStartButton namespace=ns.clone() name=row.name.clone() stopped=row.stopped stop />
                <DeleteButton namespace=ns name=row.name.clone() delete />
            </div>
        </div>
    }
}

#[component]
fn Overview(details: NotebookDetails) -> impl IntoView {
    let row = &details.row;
    let volume = |(name, mount): &(String, String)| format!("{name} at {mount}");
    let items = [
        ("Image", row.image.clone()),
        ("CPU (request / limit)", row.cpu.clone()),
        ("Memory (request / limit)", row.memory.clone()),
        ("GPUs", if row.gpus.is_empty() { "none".to_owned() } else { row.gpus.clone() }),
        (
            "Workspace",
            match &details.workspace {
                Some((name, mount)) => {
                    format!("{name}: {} on this machine (mounted at {mount} on a cluster)", details.workspace_path)
                }
                None => format!("none: it works in {}", details.workspace_path),
            },
        ),
        (
            "Data volumes",
            if details.data_volumes.is_empty() {
                "none".to_owned()
            } else {
                details.data_volumes.iter().map(volume).collect::<Vec<_>>().join(", ")
            },
        ),
        (
            "Configurations",
            if details.configurations.is_empty() { "none".to_owned() } else { details.configurations.join(", ") },
        ),
        ("Shared memory", if details.shm { "yes" } else { "no" }.to_owned()),
        ("Last activity", when(row.last_activity)),
        ("Address", row.url.clone()),
    ];
    view! {
        <section class="card">
            <h2 class="card__title">"Overview"</h2>
            <dl class="details" data-testid="notebook-overview">
                {items.into_iter().map(|(term, value)| view! { <dt>{term}</dt><dd>{value}</dd> }).collect_view()}
            </dl>
        </section>
    }
}

#[component]
fn EventTable(events: Vec<(chrono::DateTime<chrono::Utc>, String, String)>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"No recorded events."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="notebook-events">
            <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th></tr></thead>
            <tbody>
                {events.into_iter().map(|(at, actor, what)| view! {
                    <tr><td>{when(Some(at))}</td><td>{actor}</td><td>{what}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Image and resources of a stopped notebook, applied at its next start.
#[component]
fn EditWhileStopped(details: NotebookDetails, update: ServerAction<UpdateNotebook>) -> impl IntoView {
    let options = Resource::new(|| (), |_| notebook_form_options());
    let problem = Problems::new(Vec::new());
    Effect::new(move |_| match update.value().get() {
        Some(Err(e)) => problem.set(e.field_problems()),
        Some(Ok(())) => problem.set(Vec::new()),
        None => {}
    });
    let ns = use_namespace().get_untracked().to_string();
    let name = details.row.name.clone();
    let initial = details.form;
    view! {
        <section class="card">
            <h2 class="card__title">"Edit"</h2>
            <p class="muted">"The notebook is stopped: changes apply when it starts again."</p>
            <Transition fallback=|| view! { <Loading what="the form" /> }>
                {move || {
                    let (ns, name, initial) = (ns.clone(), name.clone(), initial.clone());
                    options.get().map(move |result| result.map(move |options| view! {
                    <ActionForm action=update>
                        <input type="hidden" name="namespace" value=ns />
                        <input type="hidden" name="name" value=name />
                        <NotebookFields options initial problem editing=true />
                        <FormProblem problem field="" />
                        <button class="button button--primary" type="submit" data-testid="save">"Save"</button>
                    </ActionForm>
                    }))
                }}
            </Transition>
        </section>
    }
}
