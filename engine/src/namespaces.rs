//! Namespaces: created by an administrator, the default one on first start.

use chrono::{DateTime, Utc};
use model::{DEFAULT_NAMESPACE, EventKind, Namespace, Principal, ResourceName, Verb};
use sqlx::Row;

use crate::{Engine, Error, Result, access, events, store};

/// Actor recorded for changes the engine makes by itself.
pub const SYSTEM_ACTOR: &str = "system";

impl Engine {
    /// Creates the default namespace if it does not exist yet.
    pub(crate) async fn bootstrap(&self) -> Result<()> {
        let default = ResourceName::parse(DEFAULT_NAMESPACE).expect("the default namespace name is valid");
        match self.insert_namespace(&default, SYSTEM_ACTOR).await {
            Ok(_) | Err(Error::AlreadyExists { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Creates namespace `name`.
    pub async fn create_namespace(&self, principal: &Principal, name: &str) -> Result<Namespace> {
        let name = ResourceName::parse(name).map_err(|source| Error::InvalidName { field: "name", source })?;
        access::authorize(principal, name.as_str(), Verb::Create)?;
        self.insert_namespace(&name, &principal.name).await
    }

    async fn insert_namespace(&self, name: &ResourceName, actor: &str) -> Result<Namespace> {
        let created_at = Utc::now();
        let mut tx = self.store.write().await?;
        let inserted = sqlx::query("INSERT INTO namespaces (name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(name.as_str())
            .bind(created_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            return Err(Error::AlreadyExists { kind: "namespace", name: name.to_string() });
        }
        let event = events::record(&mut tx, name, actor, EventKind::NamespaceCreated).await?;
        tx.commit().await?;
        tracing::info!(namespace = %name, actor, "namespace created");
        self.events.publish(event);
        Ok(Namespace { name: name.clone(), created_at })
    }

    /// The namespaces `principal` may list, by name.
    pub async fn list_namespaces(&self, principal: &Principal) -> Result<Vec<Namespace>> {
        let rows =
            sqlx::query("SELECT name, created_at FROM namespaces ORDER BY name").fetch_all(self.store.pool()).await?;
        let mut namespaces = Vec::with_capacity(rows.len());
        for row in rows {
            let name: String = row.try_get("name")?;
            if access::authorize(principal, &name, Verb::List).is_err() {
                continue;
            }
            let created_at: DateTime<Utc> = row.try_get("created_at")?;
            let name = ResourceName::parse(&name)
                .map_err(|e| Error::Corrupt { what: "namespace name", detail: e.to_string() })?;
            namespaces.push(Namespace { name, created_at });
        }
        Ok(namespaces)
    }

    /// Authorizes `verb` in `namespace` and checks that it exists.
    pub async fn existing_namespace(&self, principal: &Principal, namespace: &str, verb: Verb) -> Result<ResourceName> {
        let name =
            ResourceName::parse(namespace).map_err(|source| Error::InvalidName { field: "namespace", source })?;
        access::authorize(principal, name.as_str(), verb)?;
        let row = sqlx::query("SELECT 1 FROM namespaces WHERE name = ?")
            .bind(name.as_str())
            .fetch_optional(self.store.pool())
            .await?;
        store::found(row, "namespace", namespace)?;
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::SubscriptionEnded;

    async fn engine() -> Engine {
        Engine::with_store(store::Store::open_url("sqlite::memory:").await.unwrap()).await.unwrap()
    }

    #[tokio::test]
    async fn default_namespace_exists_once_after_repeated_bootstrap() {
        let engine = engine().await;
        engine.bootstrap().await.unwrap();
        let names: Vec<_> = engine
            .list_namespaces(&Principal::local())
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.name.to_string())
            .collect();
        assert_eq!(names, ["default"]);
    }

    #[tokio::test]
    async fn invalid_and_duplicate_names_are_refused_and_leave_no_activity() {
        let engine = engine().await;
        let me = Principal::local();
        let err = engine.create_namespace(&me, "Team A").await.unwrap_err();
        assert!(matches!(err, Error::InvalidName { field: "name", .. }), "{err}");
        let err = engine.create_namespace(&me, "default").await.unwrap_err();
        assert_eq!(err.to_string(), "namespace default already exists");
        let activity = engine.recent_activity(&me, "default", 50).await.unwrap();
        assert_eq!(activity.len(), 1, "only the bootstrap event: {activity:?}");
    }

    #[tokio::test]
    async fn strangers_cannot_create_or_watch() {
        let engine = engine().await;
        let mallory = Principal { name: "mallory".into() };
        assert!(matches!(engine.create_namespace(&mallory, "team-a").await, Err(Error::Forbidden { .. })));
        assert!(matches!(engine.watch(&mallory, "default", None).await, Err(Error::Forbidden { .. })));
        assert!(engine.list_namespaces(&mallory).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn watchers_get_committed_events_and_resume_after_an_id() {
        let engine = engine().await;
        let me = Principal::local();
        let mut live = engine.watch(&me, "default", None).await.unwrap();
        engine.create_namespace(&me, "team-a").await.unwrap();
        let event = live.next().await.unwrap();
        assert_eq!(event.kind, EventKind::NamespaceCreated);
        assert_eq!(event.namespace.as_str(), "team-a");

        // A client reconnecting with Last-Event-ID 0 replays everything it may see.
        let mut resumed = engine.watch(&me, "default", Some(0)).await.unwrap();
        assert_eq!(resumed.next().await.unwrap().namespace.as_str(), "default");
        assert_eq!(resumed.next().await.unwrap().id, event.id);
        engine.create_namespace(&me, "team-b").await.unwrap();
        assert_eq!(resumed.next().await.unwrap().namespace.as_str(), "team-b");
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_dropped() {
        let engine = engine().await;
        let me = Principal::local();
        let mut slow = engine.watch(&me, "default", None).await.unwrap();
        for i in 0..=events::BUS_CAPACITY {
            engine.create_namespace(&me, &format!("ns-{i}")).await.unwrap();
        }
        assert!(matches!(slow.next().await, Err(SubscriptionEnded::Lagged(_))));
    }
}
