//! The side panel of one task: state, inputs, outputs, attempts, the log
//! and the artifacts. It reloads when the task's live state changes, so a
//! running step's log grows as the step moves on and stays after it ends.

use std::collections::HashMap;

use leptos::prelude::*;

use super::{
    StateBadge,
    api::{LogChunk, TaskDetails, task_details, task_log},
};
use crate::shell::Loading;

/// The panel of task `task_id`; `close` is the run page without it.
#[component]
pub fn TaskPanel(
    run_id: String,
    task_id: String,
    /// The task's path, which keys its live state.
    path: Option<String>,
    close: String,
    live: Signal<HashMap<String, String>>,
) -> impl IntoView {
    let details = {
        let (run_id, task_id) = (run_id.clone(), task_id.clone());
        // Reload when this task's state changes, not on every update of the run.
        let state = Memo::new(move |_| path.as_ref().and_then(|p| live.with(|l| l.get(p).cloned())));
        Resource::new(move || state.get(), move |_| task_details(run_id.clone(), task_id.clone()))
    };
    view! {
        <aside class="panel" aria-label="Task details" data-testid="task-panel">
            <a class="panel__close button button--small" href=close aria-label="Close the task panel">"\u{d7}"</a>
            <Transition fallback=|| view! { <Loading what="the task" /> }>
                {move || details.get().map(|result| result.map(|d| view! { <TaskBody details=d run_id=run_id.clone() /> }))}
            </Transition>
        </aside>
    }
}

#[component]
fn TaskBody(details: TaskDetails, run_id: String) -> impl IntoView {
    let last_attempt = details.attempts.last().map(|a| a.name.clone());
    view! {
        <h2 class="panel__title">{details.task.path.clone()}</h2>
        <p><StateBadge state=details.task.state.clone() />{details.task.cached.then_some(" from the cache")}</p>
        {details.reason.clone().map(|r| view! { <p class="notice notice--warning">{r}</p> })}
        <details open=true>
            <summary>"Inputs"</summary>
            <pre class="code">{details.inputs.clone()}</pre>
        </details>
        <details open=true>
            <summary>"Outputs"</summary>
            <pre class="code">{details.outputs.clone()}</pre>
        </details>
        <details open=true>
            <summary>{format!("Artifacts ({})", details.artifacts.len())}</summary>
            <ul class="artifact-list" data-testid="artifacts">
                {details.artifacts.iter().map(|a| view! {
                    <li>
                        <a href=a.href.clone() download=a.name.clone() rel="noopener">{a.name.clone()}</a>
                        <span class="muted">{format!(" {} \u{b7} {}", a.schema_title, a.size_bytes.map(|s| format!("{s} bytes")).unwrap_or_default())}</span>
                    </li>
                }).collect_view()}
            </ul>
        </details>
        <details open=true>
            <summary>{format!("Attempts ({})", details.attempts.len())}</summary>
            <table class="table">
                <thead><tr><th>"#"</th><th>"State"</th><th>"Exit code"</th><th>"Reason"</th></tr></thead>
                <tbody>
                    {details.attempts.iter().map(|a| view! {
                        <tr>
                            <td>{a.number}</td>
                            <td><StateBadge state=a.state.clone() /></td>
                            <td>{a.exit_code.map(|c| c.to_string()).unwrap_or_default()}</td>
                            <td>{a.reason.clone().unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </details>
        {last_attempt.map(|attempt| view! { <LogView run_id attempt /> })}
    }
}

/// The last attempt's output, with a search box and downloads.
#[component]
fn LogView(run_id: String, attempt: String) -> impl IntoView {
    let stream = RwSignal::new("stdout".to_owned());
    let search = RwSignal::new(String::new());
    let log = {
        let (run_id, attempt) = (run_id.clone(), attempt.clone());
        Resource::new(move || stream.get(), move |s| task_log(run_id.clone(), attempt.clone(), s, 0))
    };
    let download = move || format!("/ui/logs/{run_id}/{attempt}/{}", stream.get());
    view! {
        <section class="log" data-testid="log">
            <div class="toolbar">
                <h3 class="card__title">"Log"</h3>
                <select class="input" aria-label="Output stream" on:change=move |ev| stream.set(event_target_value(&ev))>
                    <option value="stdout">"stdout"</option>
                    <option value="stderr">"stderr"</option>
                </select>
                <input class="input" type="search" placeholder="Search the log" aria-label="Search the log"
                    on:input=move |ev| search.set(event_target_value(&ev)) />
                <a class="button button--small" href=download download="">"Download"</a>
            </div>
            <Transition fallback=|| view! { <Loading what="the log" /> }>
                {move || log.get().map(|result| result.map(|chunk: LogChunk| {
                    let needle = search.get();
                    let lines: Vec<String> = chunk.lines.into_iter().filter(|l| needle.is_empty() || l.contains(&needle)).collect();
                    if lines.is_empty() {
                        view! { <p class="muted">"No output on this stream."</p> }.into_any()
                    } else {
                        view! { <pre class="code log__lines">{lines.into_iter().map(|l| view! { <span class="log__line">{l}</span> }).collect_view()}</pre> }.into_any()
                    }
                }))}
            </Transition>
        </section>
    }
}
