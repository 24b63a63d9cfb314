//! The activity feed: what changed in the namespace, newest first, live.

mod recent_activity;

use leptos::prelude::*;
use leptos_meta::Title;
use model::{Event, EventKind};

pub use recent_activity::recent_activity;

use crate::{
    live::use_live_events,
    namespace::use_namespace,
    shell::{EmptyState, Loading},
};

/// The Activity page.
#[component]
pub fn ActivityPage() -> impl IntoView {
    view! {
        <Title text="Activity" />
        <h1 class="page-title">"Activity"</h1>
        <section class="card">
            <ActivityFeed limit=100 />
        </section>
    }
}

/// The newest `limit` events: loaded once, then extended from the live stream.
#[component]
pub fn ActivityFeed(limit: u32) -> impl IntoView {
    let namespace = use_namespace();
    let live = use_live_events();
    let stored = Resource::new(move || namespace.get(), move |ns| recent_activity(ns.to_string(), limit));
    view! {
        <Transition fallback=|| view! { <Loading what="activity" /> }>
            {move || {
                stored.get().map(|result| result.map(|stored| {
                    let newest_stored = stored.first().map_or(0, |e| e.id);
                    let mut events: Vec<Event> = live.events.with(|received| {
                        received.iter().rev().filter(|e| e.id > newest_stored).cloned().collect()
                    });
                    events.extend(stored);
                    events.truncate(limit as usize);
                    view! { <EventList events /> }
                }))
            }}
        </Transition>
    }
}

#[component]
fn EventList(events: Vec<Event>) -> impl IntoView {
    if events.is_empty() {
        return view! {
            <EmptyState icon="activity" title="No activity yet"
                hint="Changes in this namespace (notebooks, pipelines, runs) are listed here as they happen." />
        }
        .into_any();
    }
    view! {
        <ol class="feed" data-testid="activity-feed">
            {events.into_iter().map(|event| view! { <EventItem event /> }).collect_view()}
        </ol>
    }
    .into_any()
}

/// The page of what an event is about, if it has one.
fn subject_href(event: &Event) -> Option<String> {
    let ns = &event.namespace;
    match &event.kind {
        EventKind::RunStarted { run_id, .. } | EventKind::RunFinished { run_id, .. } => {
            Some(format!("/runs/{run_id}?ns={ns}"))
        }
        EventKind::PipelineCreated { pipeline_id, .. } => Some(format!("/pipelines/{pipeline_id}?ns={ns}")),
        EventKind::NotebookChanged { name, phase } if phase != "deleted" => Some(format!("/notebooks/{name}?ns={ns}")),
        _ => None,
    }
}

#[component]
fn EventItem(event: Event) -> impl IntoView {
    let at = event.at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let summary = event.summary();
    let summary = match subject_href(&event) {
        Some(href) => view! { <a class="feed__summary" href=href>{summary}</a> }.into_any(),
        None => view! { <span class="feed__summary">{summary}</span> }.into_any(),
    };
    view! {
        <li class="feed__item">
            {summary}
            <span class="feed__meta">
                <span class="feed__actor">{event.actor}</span>
                " \u{b7} "
                <time datetime=event.at.to_rfc3339()>{at}</time>
            </span>
        </li>
    }
}
