//! Recurring runs: the list with each schedule in words, the next fire
//! time, enable/disable and delete; each links to the runs it fired.
//! New ones are made from a pipeline's run form.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use model::EventKind;
use serde::{Deserialize, Serialize};

use crate::{
    error::AppError,
    live::use_live_events,
    namespace::use_namespace,
    shell::{EmptyState, Loading, confirm},
};

/// A recurring run as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecurringRow {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The cron expression or interval as given.
    pub trigger: String,
    /// The schedule in words.
    pub described: String,
    /// Its window, in words; empty when open.
    pub window: String,
    /// Most runs at once.
    pub max_concurrency: i64,
    /// Whether missed times are run.
    pub catchup: bool,
    /// Whether it fires.
    pub enabled: bool,
    /// The pipeline it runs.
    pub pipeline_id: Option<String>,
    /// When it fires next, if it does.
    pub next_fire: Option<DateTime<Utc>>,
    /// When it last fired.
    pub last_fired: Option<DateTime<Utc>>,
}

/// The namespace's recurring runs, newest first (the first 200).
#[server(ListRecurringRuns, "/api/ui", endpoint = "list_recurring_runs")]
pub async fn list_recurring_runs(namespace: String) -> Result<Vec<RecurringRow>, AppError> {
    use crate::{
        error::ssr::{engine, principal},
        pages::pipelines::schedule::{describe_cron, describe_interval},
    };
    use engine::recurring::Trigger;
    let options = engine::listing::ListOptions { page_size: 200, ..Default::default() };
    let page = engine()?.list_recurring_runs(&principal()?, &namespace, None, &options).await?;
    let now = Utc::now();
    let time = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    Ok(page
        .items
        .into_iter()
        .map(|r| {
            let (trigger, described) = match &r.schedule.trigger {
                Trigger::Cron(cron) => (cron.clone(), describe_cron(cron).unwrap_or_default()),
                Trigger::Every(seconds) => (format!("{seconds} s"), describe_interval(*seconds)),
            };
            let window = match (r.schedule.start, r.schedule.end) {
                (None, None) => String::new(),
                (Some(s), None) => format!("from {}", time(s)),
                (None, Some(e)) => format!("until {}", time(e)),
                (Some(s), Some(e)) => format!("{} to {}", time(s), time(e)),
            };
            let after = r.last_scheduled_at.max(Some(now));
            RecurringRow {
                next_fire: r.enabled.then(|| r.schedule.next(after, r.created_at)).flatten(),
                id: r.id,
                name: r.display_name,
                trigger,
                described,
                window,
                max_concurrency: r.max_concurrency,
                catchup: !r.no_catchup,
                enabled: r.enabled,
                pipeline_id: r.pipeline_id,
                last_fired: r.last_scheduled_at,
            }
        })
        .collect())
}

/// Enables or disables a recurring run (enabling starts from now).
#[server(EnableRecurringRun, "/api/ui", endpoint = "enable_recurring_run")]
pub async fn enable_recurring_run(id: String, enabled: bool) -> Result<(), AppError> {
    use crate::error::ssr::{engine, principal};
    Ok(engine()?.enable_recurring_run(&principal()?, &id, enabled).await?)
}

/// Deletes a recurring run; the runs it fired stay.
#[server(DeleteRecurringRun, "/api/ui", endpoint = "delete_recurring_run")]
pub async fn delete_recurring_run(id: String) -> Result<(), AppError> {
    use crate::error::ssr::{engine, principal};
    Ok(engine()?.delete_recurring_run(&principal()?, &id).await?)
}

/// The Recurring runs page.
#[component]
pub fn RecurringRunsPage() -> impl IntoView {
    let namespace = use_namespace();
    let enable = ServerAction::<EnableRecurringRun>::new();
    let delete = ServerAction::<DeleteRecurringRun>::new();
    let live = use_live_events();
    // A fire starts a run: the last and next fire times move on.
    let fired = Memo::new(move |_| live.count(|e| matches!(e.kind, EventKind::RunStarted { .. })));
    let list = Resource::new(
        move || (namespace.get(), enable.version().get(), delete.version().get(), fired.get()),
        |(ns, _, _, _)| list_recurring_runs(ns.to_string()),
    );
    let error = move || {
        [enable.value().get().and_then(|r| r.err()), delete.value().get().and_then(|r| r.err())]
            .into_iter()
            .flatten()
            .next()
            .map(|e| e.to_string())
    };
    view! {
        <Title text="Recurring runs" />
        <h1 class="page-title">"Recurring runs"</h1>
        {move || error().map(|e| view! { <p class="notice notice--danger" role="alert">{e}</p> })}
        <section class="card">
            <Transition fallback=|| view! { <Loading what="recurring runs" /> }>
                {move || list.get().map(|result| result.map(|rows| {
                    if rows.is_empty() {
                        let title = format!("No recurring runs in {}", namespace.get());
                        return view! {
                            <EmptyState icon="recurring" title=title
                                hint="Open a pipeline, choose Recurring as the run type, and give a cron expression or an interval." />
                        }.into_any();
                    }
                    view! { <RecurringTable rows enable delete /> }.into_any()
                }))}
            </Transition>
        </section>
    }
}

#[component]
fn RecurringTable(
    rows: Vec<RecurringRow>,
    enable: ServerAction<EnableRecurringRun>,
    delete: ServerAction<DeleteRecurringRun>,
) -> impl IntoView {
    let ns = use_namespace().get_untracked();
    let time = |t: Option<DateTime<Utc>>| t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string());
    view! {
        <table class="table" data-testid="recurring-table">
            <thead><tr>
                <th>"Name"</th><th>"Schedule"</th><th>"At once"</th><th>"Catch-up"</th>
                <th>"Last fired"</th><th>"Next"</th><th>"Status"</th><th></th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|r| {
                    let (id_enable, id_delete) = (r.id.clone(), r.id.clone());
                    let name = r.name.clone();
                    view! {
                        <tr data-testid="recurring-row">
                            <td>
                                <a href=format!("/runs?ns={ns}&recurring={}", r.id)>{r.name}</a>
                                {r.pipeline_id.map(|p| view! { <div><a class="muted" href=format!("/pipelines/{p}?ns={ns}")>"pipeline"</a></div> })}
                            </td>
                            <td>
                                <div data-testid="schedule-words">{r.described}</div>
                                <code class="muted">{r.trigger}</code>
                                {(!r.window.is_empty()).then(|| view! { <div class="muted">{r.window}</div> })}
                            </td>
                            <td>{r.max_concurrency}</td>
                            <td>{if r.catchup { "yes" } else { "no" }}</td>
                            <td>{time(r.last_fired).unwrap_or_else(|| "never".into())}</td>
                            <td>{time(r.next_fire).unwrap_or_else(|| "\u{2014}".into())}</td>
                            <td>{if r.enabled { "enabled" } else { "disabled" }}</td>
                            <td class="row-actions">
                                <ActionForm action=enable>
                                    <input type="hidden" name="id" value=id_enable />
                                    <input type="hidden" name="enabled" value=(!r.enabled).to_string() />
                                    <button class="button button--small" type="submit">{if r.enabled { "Disable" } else { "Enable" }}</button>
                                </ActionForm>
                                <ActionForm action=delete>
                                    <input type="hidden" name="id" value=id_delete />
                                    <button class="button button--small button--danger" type="submit"
                                        on:click=move |ev| if !confirm(&format!("Delete the recurring run {name}? The runs it fired stay.")) { ev.prevent_default() }>
                                        "Delete"
                                    </button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
