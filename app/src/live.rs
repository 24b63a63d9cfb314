//! The page's one subscription to the server's event stream.
//!
//! [`LiveEventsProvider`] opens an `EventSource` on `/api/events?ns=...` in
//! the browser (never on the server), reopens it when the namespace changes,
//! and hands the events down as [`LiveEvents`] in context. Components derive
//! what they show from it; nothing polls.

use std::collections::VecDeque;

use leptos::prelude::*;
use model::Event;

/// Most recent events kept for components; older ones are dropped.
pub const KEPT_EVENTS: usize = 200;

/// Most task states kept; the map is cleared when it would grow past this
/// (pages reload a run's states from the server when they need them).
pub const KEPT_TASK_STATES: usize = 50_000;

/// Events received on this page, newest last, and whether the stream is open.
#[derive(Clone, Copy, Debug)]
pub struct LiveEvents {
    /// The last [`KEPT_EVENTS`] events received.
    pub events: RwSignal<VecDeque<Event>>,
    /// The latest state of each task that changed while the page was open,
    /// by run id and task path. Task updates go here, not to `events`, so
    /// a big run does not push everything else out.
    pub task_states: RwSignal<std::collections::HashMap<(String, String), String>>,
    /// How many times each attempt's log grew while the page was open, by
    /// attempt name: a log view reads on when its attempt's count moves.
    pub log_growth: RwSignal<std::collections::HashMap<String, u32>>,
    /// How many utilization samples arrived while the page was open:
    /// charts redraw when it moves.
    pub metrics_samples: RwSignal<u64>,
    /// Whether the stream is connected.
    pub connected: RwSignal<bool>,
    /// Task updates received since the last animation frame.
    pending_tasks: StoredValue<Vec<(String, String, String)>>,
}

impl LiveEvents {
    fn new() -> Self {
        Self {
            events: RwSignal::new(VecDeque::new()),
            task_states: RwSignal::default(),
            log_growth: RwSignal::default(),
            metrics_samples: RwSignal::new(0),
            connected: RwSignal::new(false),
            pending_tasks: StoredValue::new(Vec::new()),
        }
    }

    /// Appends an event, dropping the oldest beyond [`KEPT_EVENTS`].
    pub fn push(&self, event: Event) {
        if let model::EventKind::TaskUpdated { run_id, path, state } = event.kind {
            self.queue_task_state(run_id, path, state);
            return;
        }
        if let model::EventKind::MetricsSampled = event.kind {
            self.metrics_samples.update(|n| *n += 1);
            return;
        }
        if let model::EventKind::LogGrew { attempt, .. } = event.kind {
            self.log_growth.update(|grown| {
                if grown.len() >= KEPT_TASK_STATES {
                    grown.clear();
                }
                *grown.entry(attempt).or_default() += 1;
            });
            return;
        }
        self.events.update(|events| {
            if events.back().is_some_and(|last| last.id >= event.id) {
                return; // a replay after reconnecting: already have it
            }
            events.push_back(event);
            while events.len() > KEPT_EVENTS {
                events.pop_front();
            }
        });
    }

    /// Queues a task's new state. A big run sends hundreds of updates a
    /// second; they are applied together once per animation frame, so the
    /// page recomputes what depends on them at most once a frame.
    fn queue_task_state(&self, run_id: String, path: String, state: String) {
        let first = self.pending_tasks.try_update_value(|pending| {
            pending.push((run_id, path, state));
            pending.len() == 1
        });
        let backlog = self.pending_tasks.with_value(Vec::len);
        // A hidden tab gets no animation frames: never let the queue grow past the map.
        if backlog >= KEPT_TASK_STATES {
            self.flush_task_states();
        } else if first == Some(true) {
            let live = *self;
            #[cfg(feature = "hydrate")]
            request_animation_frame(move || live.flush_task_states());
            #[cfg(not(feature = "hydrate"))]
            live.flush_task_states();
        }
    }

    /// Applies the queued task states in one update.
    fn flush_task_states(&self) {
        let pending = self.pending_tasks.try_update_value(std::mem::take).unwrap_or_default();
        if pending.is_empty() {
            return;
        }
        self.task_states.update(|states| {
            if states.len() + pending.len() > KEPT_TASK_STATES {
                states.clear();
            }
            for (run_id, path, state) in pending {
                states.insert((run_id, path), state);
            }
        });
    }

    /// How many received events match `pred`: a version number that
    /// resources can depend on to reload when relevant objects change.
    pub fn count(&self, pred: impl Fn(&Event) -> bool) -> usize {
        self.events.with(|events| events.iter().filter(|e| pred(e)).count())
    }
}

/// The live events of this page.
pub fn use_live_events() -> LiveEvents {
    expect_context::<LiveEvents>()
}

/// Provides [`LiveEvents`] to its children and keeps the stream open.
#[component]
pub fn LiveEventsProvider(children: Children) -> impl IntoView {
    let live = LiveEvents::new();
    provide_context(live);
    #[cfg(feature = "hydrate")]
    {
        let namespace = crate::namespace::use_namespace();
        Effect::new(move |previous: Option<Option<browser::Stream>>| {
            drop(previous); // closes the old namespace's stream
            live.events.update(VecDeque::clear);
            browser::Stream::open(namespace.get().as_str(), live)
        });
    }
    children()
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::Set;
    use wasm_bindgen::{JsCast, closure::Closure};
    use web_sys::{EventSource, MessageEvent};

    use super::LiveEvents;

    /// An open `EventSource` and the callbacks it holds; closed on drop.
    pub struct Stream {
        source: EventSource,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_open: Closure<dyn FnMut(web_sys::Event)>,
        _on_error: Closure<dyn FnMut(web_sys::Event)>,
    }

    impl Stream {
        pub fn open(namespace: &str, live: LiveEvents) -> Option<Self> {
            let url = format!("/api/events?ns={namespace}");
            let source = EventSource::new(&url).ok()?;
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
                let Some(data) = message.data().as_string() else {
                    return;
                };
                match serde_json::from_str::<model::Event>(&data) {
                    Ok(event) => live.push(event),
                    Err(e) => leptos::logging::warn!("ignoring malformed event: {e}"),
                }
            });
            let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| live.connected.set(true));
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| live.connected.set(false));
            source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            Some(Self { source, _on_message: on_message, _on_open: on_open, _on_error: on_error })
        }
    }

    impl Drop for Stream {
        fn drop(&mut self) {
            self.source.close();
        }
    }
}
