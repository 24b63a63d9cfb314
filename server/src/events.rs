//! `/api/events?ns=...`: the event stream a page subscribes to, as
//! Server-Sent Events.
//!
//! Each event carries its id, so a browser that reconnects sends
//! `Last-Event-ID` and is replayed what it missed. A client that stops
//! reading falls behind the bus and its stream ends (see
//! [`engine::events::BUS_CAPACITY`]); it never holds more memory than that.

use std::{convert::Infallible, time::Duration};

use axum::{
    Extension,
    extract::{Query, State},
    http::HeaderMap,
    response::{
        IntoResponse,
        sse::{Event as SseEvent, KeepAlive, Sse},
    },
};
use futures::{Stream, StreamExt, stream};
use model::Principal;
use serde::Deserialize;

use crate::{ApiError, AppState};

/// Interval of the comment lines that keep idle connections open through proxies.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Query of `/api/events`.
#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    ns: String,
}

/// Opens the stream of events the caller may see in `ns`.
pub async fn stream(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let after = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.parse::<i64>().ok())
                .ok_or_else(|| ApiError::BadRequest("Last-Event-ID must be an event id".to_owned()))?,
        ),
    };
    let subscription = state.engine.watch(&principal, &query.ns, after).await?;
    tracing::debug!(namespace = %query.ns, principal = %principal.name, "event stream opened");
    let events = to_sse(subscription).take_until(state.shutdown.cancelled_owned());
    Ok(([("x-accel-buffering", "no")], Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))))
}

fn to_sse(subscription: engine::events::Subscription) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    stream::unfold(subscription, |mut subscription| async move {
        match subscription.next().await {
            Ok(event) => {
                // Transient events carry no id: a reconnecting browser
                // resumes after the last logged event, not after them.
                let sse = if event.is_transient() {
                    SseEvent::default()
                } else {
                    SseEvent::default().id(event.id.to_string())
                };
                let sse = sse.json_data(&event).expect("events serialize to JSON");
                Some((Ok(sse), subscription))
            }
            Err(ended) => {
                tracing::info!(reason = %ended, "event stream closed");
                None
            }
        }
    })
}
