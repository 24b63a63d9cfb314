//! The event bus and the activity log behind it.
//!
//! A state change is written to the `activity` table in the same transaction
//! as the change itself ([`record`]); after the commit the engine publishes
//! it on the [`EventBus`]. Subscribers ([`Subscription`]) first replay what
//! they missed from the table, then follow the bus, so nothing falls between.

use chrono::{DateTime, Utc};
use model::{Event, EventKind, Principal, ResourceName, Verb};
use sqlx::{Row, SqliteConnection, sqlite::SqliteRow};
use tokio::sync::broadcast;

use crate::{Engine, Error, Result, access};

/// Events a subscriber may fall behind by before it is dropped. Bounds the
/// memory a slow client can hold: the bus is a ring of this many events.
pub const BUS_CAPACITY: usize = 1024;

/// Most events one activity query or replay returns.
pub const MAX_ACTIVITY_PAGE: u32 = 200;

/// Fan-out of committed events to live subscribers.
#[derive(Clone, Debug)]
pub struct EventBus {
    sender: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { sender: broadcast::channel(BUS_CAPACITY).0 }
    }
}

impl EventBus {
    /// Publishes a committed event. Having no subscribers is normal.
    pub(crate) fn publish(&self, event: Event) {
        let _no_subscribers_is_fine = self.sender.send(event);
    }

    /// Number of live subscribers.
    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }
}

/// Appends an event to the activity log inside the caller's transaction.
/// Publish the returned event only after that transaction commits.
pub(crate) async fn record(
    conn: &mut SqliteConnection,
    namespace: &ResourceName,
    actor: &str,
    kind: EventKind,
) -> Result<Event> {
    let at = Utc::now();
    let mut event = Event { id: 0, namespace: namespace.clone(), at, actor: actor.to_owned(), kind };
    let kind_json =
        serde_json::to_string(&event.kind).map_err(|e| Error::Corrupt { what: "event kind", detail: e.to_string() })?;
    event.id = sqlx::query_scalar(
        "INSERT INTO activity (namespace, at, actor, kind, cluster_wide) VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(namespace.as_str())
    .bind(at)
    .bind(actor)
    .bind(kind_json)
    .bind(event.is_cluster_wide())
    .fetch_one(&mut *conn)
    .await?;
    Ok(event)
}

fn event_from_row(row: &SqliteRow) -> Result<Event> {
    let corrupt = |detail: String| Error::Corrupt { what: "activity row", detail };
    let namespace: String = row.try_get("namespace")?;
    let kind: String = row.try_get("kind")?;
    let at: DateTime<Utc> = row.try_get("at")?;
    Ok(Event {
        id: row.try_get("id")?,
        namespace: ResourceName::parse(&namespace).map_err(|e| corrupt(e.to_string()))?,
        at,
        actor: row.try_get("actor")?,
        kind: serde_json::from_str(&kind).map_err(|e| corrupt(e.to_string()))?,
    })
}

/// A live subscription to the events one principal may see in one namespace.
#[derive(Debug)]
pub struct Subscription {
    principal: Principal,
    namespace: ResourceName,
    backlog: std::vec::IntoIter<Event>,
    last_id: i64,
    receiver: broadcast::Receiver<Event>,
}

/// Why a subscription ended.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionEnded {
    /// The subscriber fell more than [`BUS_CAPACITY`] events behind and was
    /// dropped; it may reconnect and resume from its last event id.
    #[error("subscriber fell {0} events behind and was dropped")]
    Lagged(u64),
    /// The engine is shutting down.
    #[error("event bus closed")]
    Closed,
}

impl Subscription {
    /// The next event, waiting for one if none is pending.
    pub async fn next(&mut self) -> Result<Event, SubscriptionEnded> {
        if let Some(event) = self.backlog.next() {
            self.last_id = event.id;
            return Ok(event);
        }
        loop {
            match self.receiver.recv().await {
                Ok(event) => {
                    // Already replayed from the table, or not ours to see.
                    // Transient events were never in the table.
                    let replayed = !event.is_transient() && event.id <= self.last_id;
                    if replayed || !access::may_see(&self.principal, &self.namespace, &event) {
                        continue;
                    }
                    if !event.is_transient() {
                        self.last_id = event.id;
                    }
                    return Ok(event);
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    return Err(SubscriptionEnded::Lagged(n));
                }
                Err(broadcast::error::RecvError::Closed) => return Err(SubscriptionEnded::Closed),
            }
        }
    }
}

impl Engine {
    /// Tells live pages of `namespace` something that is not recorded
    /// (e.g. that a log grew): a transient event, id 0.
    pub(crate) fn publish_transient(&self, namespace: &str, kind: model::EventKind) {
        let Ok(namespace) = model::ResourceName::parse(namespace) else { return };
        self.events.publish(Event {
            id: 0,
            namespace,
            at: chrono::Utc::now(),
            actor: crate::namespaces::SYSTEM_ACTOR.to_owned(),
            kind,
        });
    }

    /// Tells live pages that utilization was sampled.
    pub fn note_metrics_sampled(&self) {
        self.publish_transient(model::DEFAULT_NAMESPACE, model::EventKind::MetricsSampled);
    }

    /// The newest events `principal` may see in `namespace`, newest first.
    pub async fn recent_activity(&self, principal: &Principal, namespace: &str, limit: u32) -> Result<Vec<Event>> {
        let namespace = self.existing_namespace(principal, namespace, Verb::List).await?;
        let rows = sqlx::query(
            "SELECT id, namespace, at, actor, kind FROM activity
             WHERE namespace = ?1 OR cluster_wide = 1 ORDER BY id DESC LIMIT ?2",
        )
        .bind(namespace.as_str())
        .bind(limit.min(MAX_ACTIVITY_PAGE))
        .fetch_all(self.store.pool())
        .await?;
        let events = rows.iter().map(event_from_row).collect::<Result<Vec<_>>>()?;
        Ok(events.into_iter().filter(|e| access::may_see(principal, &namespace, e)).collect())
    }

    /// Subscribes `principal` to `namespace`'s events. With `after`, events
    /// committed after that id are replayed first (at most
    /// [`MAX_ACTIVITY_PAGE`]; older gaps are the client's to reload).
    pub async fn watch(&self, principal: &Principal, namespace: &str, after: Option<i64>) -> Result<Subscription> {
        let namespace = self.existing_namespace(principal, namespace, Verb::Watch).await?;
        // Subscribe before reading the backlog so nothing committed in between is missed.
        let receiver = self.events.sender.subscribe();
        let mut backlog = Vec::new();
        let mut last_id = after.unwrap_or(0);
        if let Some(after) = after {
            let rows = sqlx::query(
                "SELECT id, namespace, at, actor, kind FROM activity
                 WHERE id > ?1 AND (namespace = ?2 OR cluster_wide = 1) ORDER BY id LIMIT ?3",
            )
            .bind(after)
            .bind(namespace.as_str())
            .bind(MAX_ACTIVITY_PAGE)
            .fetch_all(self.store.pool())
            .await?;
            for row in &rows {
                let event = event_from_row(row)?;
                if access::may_see(principal, &namespace, &event) {
                    backlog.push(event);
                }
            }
        } else {
            last_id = self.last_event_id().await?;
        }
        Ok(Subscription { principal: principal.clone(), namespace, backlog: backlog.into_iter(), last_id, receiver })
    }

    async fn last_event_id(&self) -> Result<i64> {
        let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM activity").fetch_one(self.store.pool()).await?;
        Ok(id.unwrap_or(0))
    }
}
