//! The side panel of one task: state, inputs, outputs, attempts, the log
//! and the artifacts. It reloads when the task's live state changes, so a
//! running step's log grows as the step moves on and stays after it ends.

use std::collections::HashMap;

use leptos::prelude::*;

use super::{
    StateBadge,
    api::{LogChunk, TaskDetails, ValueRow, task_details, task_log},
};
use crate::{live::use_live_events, shell::Loading};

/// The panel of task `task_id`; `close` is the run page without it.
#[component]
pub fn TaskPanel(
    run_id: String,
    task_id: String,
    close: String,
    live: Signal<HashMap<String, String>>,
) -> impl IntoView {
    // The task's path keys its live state; it is known once its details are.
    let path = RwSignal::new(None::<String>);
    let details = {
        let (run_id, task_id) = (run_id.clone(), task_id.clone());
        // Reload when this task's state changes, not on every update of the run.
        let state = Memo::new(move |_| path.with(|p| p.as_ref().and_then(|p| live.with(|l| l.get(p).cloned()))));
        Resource::new(move || state.get(), move |_| task_details(run_id.clone(), task_id.clone()))
    };
    // Kept outside the reactive graph: it is read while the panel is
    // disposed of, to put focus back.
    let opened_from = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
    let remember = opened_from.clone();
    Effect::new(move |_| {
        if let Some(Ok(d)) = details.get() {
            path.set(Some(d.task.path.clone()));
            if let Ok(mut from) = remember.lock() {
                *from = Some(d.task.path.clone());
            }
        }
    });
    // A dialog beside the page: focus moves into it, Escape closes it, and
    // focus goes back to the task's node (or row) it was opened from.
    let panel = NodeRef::<leptos::html::Aside>::new();
    Effect::new(move |_| {
        if let Some(panel) = panel.get() {
            let _ = panel.focus();
        }
    });
    on_cleanup(move || {
        if let Some(path) = opened_from.lock().ok().and_then(|p| p.clone()) {
            focus_task(&path);
        }
    });
    let navigate = leptos_router::hooks::use_navigate();
    let leave = close.clone();
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            navigate(&leave, Default::default());
        }
    };
    view! {
        <aside class="panel" role="dialog" aria-label="Task details" data-testid="task-panel" tabindex="-1"
            node_ref=panel on:keydown=on_key>
            <a class="panel__close button button--small" href=close aria-label="Close the task panel">"\u{d7}"</a>
            <Transition fallback=|| view! { <Loading what="the task" /> }>
                {move || details.get().map(|result| result.map(|d| view! { <TaskBody details=d run_id=run_id.clone() /> }))}
            </Transition>
        </aside>
    }
}

/// Puts focus back on the graph node, else the table row, of the task at
/// `path` (where its panel was opened from).
fn focus_task(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let Ok(nodes) = document
            .query_selector_all("[data-testid=dag] [data-path][data-href], [data-testid=task-row] a[data-path]")
        else {
            return;
        };
        // Graph nodes are SVG elements: `focus` is theirs too.
        let found = (0..nodes.length())
            .filter_map(|i| nodes.item(i)?.dyn_into::<web_sys::Element>().ok())
            .find(|e| e.get_attribute("data-path").as_deref() == Some(path))
            .map(|e| e.unchecked_into::<web_sys::HtmlElement>());
        if let Some(element) = found {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Inputs or outputs: name, type, value or a download link.
#[component]
fn ValueTable(rows: Vec<ValueRow>, what: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">{format!("No {what}.")}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="table values" data-testid=format!("task-{what}")>
                <thead><tr><th>"Name"</th><th>"Type"</th><th>"Value"</th></tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <th scope="row">{r.name.clone()}</th>
                            <td class="muted">{r.kind}</td>
                            <td>{match r.href {
                                Some(href) => view! { <a href=href download=r.name rel="noopener">{r.value}</a> }.into_any(),
                                None => view! { <code>{r.value}</code> }.into_any(),
                            }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn TaskBody(details: TaskDetails, run_id: String) -> impl IntoView {
    let last_attempt = details.attempts.last().map(|a| a.name.clone());
    let first_stream = details.log_stream.clone();
    let metrics = details.metrics.clone();
    view! {
        <h2 class="panel__title">{details.task.label.clone()}</h2>
        <p><StateBadge state=details.task.state.clone() />{details.task.cached.then_some(" from the cache")}</p>
        {details.reason.clone().map(|r| view! { <p class="notice notice--warning">{r}</p> })}
        <details open=true>
            <summary>"Inputs"</summary>
            <ValueTable rows=details.inputs.clone() what="inputs" />
        </details>
        <details open=true>
            <summary>"Outputs"</summary>
            <ValueTable rows=details.outputs.clone() what="outputs" />
        </details>
        {(!metrics.is_empty()).then(|| view! {
            <details open=true>
                <summary>"Metrics"</summary>
                <table class="table" data-testid="task-metrics">
                    <thead><tr><th>"Metric"</th><th>"Value"</th></tr></thead>
                    <tbody>
                        {metrics.into_iter().map(|(name, value)| view! {
                            <tr><th scope="row">{name}</th><td>{value}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        })}
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
        {last_attempt.map(|attempt| view! { <LogView run_id attempt first_stream /> })}
    }
}

/// Most lines the live tail keeps below the first read; older ones are
/// dropped from the page (the download has everything).
const MAX_TAIL_LINES: usize = 20_000;

/// The last attempt's output, with a search box and downloads. The first
/// read is rendered with the page; while the step runs, each "log grew"
/// event reads on from where the last read ended, and the view follows the
/// end unless the reader turns that off.
#[component]
fn LogView(run_id: String, attempt: String, first_stream: String) -> impl IntoView {
    let stream = RwSignal::new(first_stream.clone());
    let search = RwSignal::new(String::new());
    let follow = RwSignal::new(true);
    let log = {
        let (run_id, attempt) = (run_id.clone(), attempt.clone());
        Resource::new(move || stream.get(), move |s| task_log(run_id.clone(), attempt.clone(), s, 0))
    };
    let tail = RwSignal::new(Vec::<String>::new());
    let reader = StoredValue::new(TailReader::default());
    // A new first read (page load, other stream) restarts the tail after it.
    Effect::new(move |_| {
        if let Some(Ok(chunk)) = log.get() {
            reader.update_value(|r| r.offset = Some(chunk.next_offset));
            tail.set(Vec::new());
        }
    });
    let live = use_live_events();
    let grown = {
        let attempt = attempt.clone();
        Memo::new(move |_| live.log_growth.with(|g| g.get(&attempt).copied()))
    };
    {
        let (run_id, attempt) = (run_id.clone(), attempt.clone());
        Effect::new(move |_| {
            if grown.get().is_some() {
                read_on(reader, tail, run_id.clone(), attempt.clone(), stream.get_untracked());
            }
        });
    }
    let lines_ref = NodeRef::<leptos::html::Pre>::new();
    Effect::new(move |_| {
        tail.track();
        if follow.get_untracked()
            && let Some(pre) = lines_ref.get()
        {
            pre.set_scroll_top(pre.scroll_height());
        }
    });
    let shown = move |lines: &[String]| {
        let needle = search.get();
        lines
            .iter()
            .filter(|l| needle.is_empty() || l.contains(&needle))
            .map(|l| view! { <span class="log__line">{l.clone()}</span> })
            .collect_view()
    };
    let download = move || format!("/ui/logs/{run_id}/{attempt}/{}", stream.get());
    view! {
        <section class="log" data-testid="log">
            <div class="toolbar">
                <h3 class="card__title">"Log"</h3>
                <select class="input" aria-label="Output stream" data-testid="log-stream"
                    on:change=move |ev| stream.set(event_target_value(&ev))>
                    <option value="stdout" selected=first_stream == "stdout">"stdout"</option>
                    <option value="stderr" selected=first_stream == "stderr">"stderr"</option>
                </select>
                <input class="input" type="search" placeholder="Search the log" aria-label="Search the log"
                    on:input=move |ev| search.set(event_target_value(&ev)) />
                <label class="check"><input type="checkbox" prop:checked=move || follow.get()
                    on:change=move |ev| follow.set(event_target_checked(&ev)) />" Follow"</label>
                <a class="button button--small" href=download download="">"Download"</a>
            </div>
            <Transition fallback=|| view! { <Loading what="the log" /> }>
                {move || log.get().map(|result| result.map(|chunk: LogChunk| {
                    let first_empty = chunk.lines.is_empty();
                    let empty = move || first_empty && tail.with(Vec::is_empty);
                    let first = chunk.lines;
                    view! {
                        <pre class="code log__lines" node_ref=lines_ref hidden=empty tabindex="0" role="log" aria-label="Log lines">
                            {move || shown(&first)}{move || tail.with(|t| shown(t))}
                        </pre>
                        <p class="muted" hidden=move || !empty()>"No output on this stream yet."</p>
                    }
                }))}
            </Transition>
        </section>
    }
}

/// Where the live tail of a log stands.
#[derive(Default)]
struct TailReader {
    /// Byte offset the next read starts from; `None` before the first read.
    offset: Option<u64>,
    /// Whether a read is on its way.
    reading: bool,
    /// Whether the log grew again during that read.
    again: bool,
}

/// Reads the log on from the tail's offset, once at a time: growth during
/// a read makes that read go round once more, so no line comes twice.
fn read_on(
    reader: StoredValue<TailReader>,
    tail: RwSignal<Vec<String>>,
    run_id: String,
    attempt: String,
    stream: String,
) {
    let busy = reader.try_update_value(|r| {
        r.again = r.reading;
        std::mem::replace(&mut r.reading, true)
    });
    if busy != Some(false) {
        return;
    }
    leptos::task::spawn_local(async move {
        while let Some(from) = reader.with_value(|r| r.offset) {
            if let Ok(chunk) = task_log(run_id.clone(), attempt.clone(), stream.clone(), from).await {
                reader.update_value(|r| r.offset = Some(chunk.next_offset));
                if !chunk.lines.is_empty() {
                    tail.update(|t| {
                        t.extend(chunk.lines);
                        let extra = t.len().saturating_sub(MAX_TAIL_LINES);
                        t.drain(..extra);
                    });
                }
            }
            let again = reader.try_update_value(|r| std::mem::take(&mut r.again)).unwrap_or(false);
            if !again {
                break;
            }
        }
        reader.update_value(|r| r.reading = false);
    });
}
