//! One pipeline: its versions, the graph and spec of one, a form to start
//! a run of it, and a form to upload a new version.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    UploadForm,
    api::{ParameterField, PipelineDetails, StartRun, pipeline_details},
    schedule::{MAX_CONCURRENCY, describe_cron},
};
use crate::{
    dag_graph::{DagGraph, NodeLinks},
    error::AppError,
    namespace::use_namespace,
    pages::Missing,
    shell::Loading,
};

/// The pipeline page, `/pipelines/:id?ns=&version=&scope=&clone=`; with
/// `clone` (a run id) the run form starts from that run's values.
#[component]
pub fn PipelineDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let version = Memo::new(move |_| query.with(|q| q.get("version").unwrap_or_default()));
    let scope = Memo::new(move |_| query.with(|q| q.get("scope").unwrap_or_default()));
    let clone = Memo::new(move |_| query.with(|q| q.get("clone").unwrap_or_default()));
    let details = Resource::new(
        move || (id.get(), version.get(), scope.get(), clone.get()),
        |(i, v, s, c)| pipeline_details(i, v, s, c),
    );
    view! {
        <Transition fallback=|| view! { <Loading what="the pipeline" /> }>
            {move || details.get().map(|result| match result {
                Ok(details) => Ok(view! { <PipelineView details /> }.into_any()),
                Err(AppError::NotFound(message)) => {
                    Ok(view! { <Missing what="Pipeline" list="/pipelines" list_name="pipelines" message /> }.into_any())
                }
                Err(e) => Err(e),
            })}
        </Transition>
    }
}

#[component]
fn PipelineView(details: PipelineDetails) -> impl IntoView {
    let namespace = use_namespace();
    let ns = namespace.get_untracked();
    let p = details.pipeline.clone();
    let base = format!("/pipelines/{}?ns={ns}&version={}", p.id, details.version_id);
    let latest = details.versions.first().is_some_and(|v| v.id == details.version_id);
    let uploaded = use_query_map().with_untracked(|q| q.get("uploaded").is_some());
    let version_name = details.version_name.clone();
    let description = if details.version_description.is_empty() {
        p.description.clone()
    } else {
        details.version_description.clone()
    };
    view! {
        <Title text=p.name.clone() />
        <p class="page-lead"><a href=format!("/pipelines?ns={ns}")>"Pipelines"</a></p>
        <h1 class="page-title">{p.name.clone()}</h1>
        {(!description.is_empty()).then(|| view! { <p class="page-lead" data-testid="pipeline-description">{description}</p> })}
        {uploaded.then(|| view! {
            <p class="notice notice--success" role="status" data-testid="version-uploaded">
                {format!("Version {version_name} was added: the graph and the run form below use it.")}
            </p>
        })}
        <p class="muted" data-testid="shown-version">
            "Graph and run form: version " <strong>{details.version_name.clone()}</strong>
            {if latest { " (the latest)" } else { " (not the latest)" }}
        </p>
        <div class="run-layout">
            <section class="card run-layout__graph">
                <DagGraph view=details.dag.clone() links=NodeLinks { base, tasks: false } live=Signal::derive(Default::default) />
            </section>
            <section class="card run-layout__tasks">
                <h2 class="card__title">"Start a run"</h2>
                <RunForm details=details.clone() />
            </section>
        </div>
        <section class="card">
            <h2 class="card__title">"Versions"</h2>
            <ul class="version-list">
                {details.versions.iter().map(|v| {
                    let current = v.id == details.version_id;
                    view! {
                        <li>
                            <a href=format!("/pipelines/{}?ns={ns}&version={}", p.id, v.id) aria-current=current.then_some("true")>{v.name.clone()}</a>
                            <span class="muted">{format!(" {}", v.created_at.format("%Y-%m-%d %H:%M"))}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <UploadForm pipeline_id=Some(p.id.clone()) />
        </section>
        <section class="card">
            <details>
                <summary>"Spec (as uploaded)"</summary>
                <pre class="code" data-testid="spec" tabindex="0" role="region" aria-label="Spec">{details.spec.clone()}</pre>
            </details>
        </section>
    }
}

/// One typed field per pipeline parameter, defaults filled in; the server
/// checks the values against the pipeline again and names what is wrong.
#[component]
fn RunForm(details: PipelineDetails) -> impl IntoView {
    let namespace = use_namespace();
    let start = ServerAction::<StartRun>::new();
    let error = move || start.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    let recurring = RwSignal::new(false);
    let chosen = details.experiment_id.clone();
    view! {
        <ActionForm action=start attr:data-testid="run-form">
            <input type="hidden" name="namespace" prop:value=move || namespace.get().to_string() />
            <input type="hidden" name="pipeline_id" value=details.pipeline.id.clone() />
            <input type="hidden" name="version_id" value=details.version_id.clone() />
            <label class="field">
                <span>"Run name"</span>
                <input class="input" type="text" name="display_name" value=details.run_name.clone() maxlength="256" required=true />
            </label>
            <label class="field">
                <span>"Experiment"</span>
                <select class="input" name="experiment_id">
                    <option value="" selected=chosen.is_empty()>"Default"</option>
                    {details.experiments.iter().filter(|(_, name)| name != "Default").map(|(id, name)| view! {
                        <option value=id.clone() selected=*id == chosen>{name.clone()}</option>
                    }).collect_view()}
                </select>
            </label>
            {if details.parameters.is_empty() {
                view! { <p class="muted">"This pipeline takes no parameters."</p> }.into_any()
            } else {
                details.parameters.into_iter().map(|p| view! { <ParameterInput field=p /> }).collect_view().into_any()
            }}
            <fieldset class="field trigger">
                <legend>"Run type"</legend>
                <label><input type="radio" name="schedule[trigger]" value="once" checked=true on:change=move |_| recurring.set(false) />" One-off"</label>
                <label><input type="radio" name="schedule[trigger]" value="recurring" data-testid="recurring" on:change=move |_| recurring.set(true) />" Recurring"</label>
            </fieldset>
            <ScheduleFields shown=recurring />
            <button class="button button--primary" type="submit">{move || if recurring.get() { "Create recurring run" } else { "Start run" }}</button>
            {move || error().map(|e| view! { <p class="notice notice--danger" role="alert">{e}</p> })}
        </ActionForm>
    }
}

#[component]
fn ParameterInput(field: ParameterField) -> impl IntoView {
    let name = format!("parameters[{}]", field.name);
    let required = !field.optional && field.default.is_none();
    let label = format!(
        "{} ({}{})",
        field.name,
        field.kind,
        if field.optional {
            ", optional"
        } else if field.default.is_some() {
            ", has a default"
        } else {
            ""
        }
    );
    let value = field.default.clone().unwrap_or_default();
    let input = match field.kind.as_str() {
        "integer" => view! { <input class="input" type="number" step="1" name=name value=value required=required /> }.into_any(),
        "number" => view! { <input class="input" type="number" step="any" name=name value=value required=required /> }.into_any(),
        "boolean" => view! {
            <select class="input" name=name>
                <option value="true" selected=value == "true">"true"</option>
                <option value="false" selected=value != "true">"false"</option>
            </select>
        }.into_any(),
        "list" | "struct" => view! {
            <textarea class="input code" name=name rows="3" required=required placeholder=if field.kind == "list" { "[...] as JSON" } else { "{...} as JSON" }>{value}</textarea>
        }.into_any(),
        _ => view! { <input class="input" type="text" name=name value=value required=required /> }.into_any(),
    };
    view! { <label class="field" data-parameter=field.name.clone()><span>{label}</span>{input}</label> }
}

/// Cron or interval, the window, concurrency and catch-up; shown when the
/// run type is recurring. The cron expression is described as it is typed.
#[component]
fn ScheduleFields(shown: RwSignal<bool>) -> impl IntoView {
    let kind = RwSignal::new("cron".to_owned());
    let cron = RwSignal::new("0 0 * * * *".to_owned());
    let described = move || match describe_cron(&cron.get()) {
        Ok(words) => view! { <span class="muted" data-testid="cron-description">{words}</span> }.into_any(),
        Err(e) => {
            view! { <span class="field__error" role="alert">{format!("Not a cron expression: {e}")}</span> }.into_any()
        }
    };
    view! {
        <fieldset class="field schedule" hidden=move || !shown.get() data-testid="schedule">
            <legend>"Schedule"</legend>
            <label class="field">
                <span>"Trigger"</span>
                <select class="input" name="schedule[kind]" on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="cron">"Cron expression"</option>
                    <option value="interval">"Every interval"</option>
                </select>
            </label>
            <label class="field" hidden=move || kind.get() != "cron">
                <span>"Cron (seconds optional, UTC)"</span>
                <input class="input code" type="text" name="schedule[cron]" prop:value=move || cron.get()
                    on:input=move |ev| cron.set(event_target_value(&ev)) maxlength="100" />
                {described}
            </label>
            <div class="field field--row" hidden=move || kind.get() != "interval">
                <label class="field"><span>"Every"</span><input class="input" type="number" min="1" step="1" name="schedule[interval]" value="1" /></label>
                <label class="field"><span>"Unit"</span>
                    <select class="input" name="schedule[interval_unit]">
                        <option value="minutes">"minutes"</option>
                        <option value="hours" selected=true>"hours"</option>
                        <option value="days">"days"</option>
                    </select>
                </label>
            </div>
            <div class="field field--row">
                <label class="field"><span>"Start (UTC, optional)"</span><input class="input" type="datetime-local" name="schedule[start]" /></label>
                <label class="field"><span>"End (UTC, optional)"</span><input class="input" type="datetime-local" name="schedule[end]" /></label>
            </div>
            <label class="field"><span>"Most runs at once"</span>
                <input class="input" type="number" min="1" max=MAX_CONCURRENCY step="1" name="schedule[max_concurrency]" value="1" />
            </label>
            <label class="check"><input type="checkbox" name="schedule[catchup]" checked=true />" Catch up: run missed times when it falls behind"</label>
        </fieldset>
    }
}
