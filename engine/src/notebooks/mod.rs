//! Notebook servers: the checked spawner form stored per namespace, and
//! their lifecycle on this machine ([`local`]): JupyterLab processes on
//! loopback ports, found again after a restart, stopped gracefully.

pub mod config;
pub mod culling;
pub mod form;
pub mod local;
pub mod manifest;
pub mod origin;
pub mod programs;
mod reconcile;

use chrono::{DateTime, Utc};
use model::{EventKind, Principal, Verb};
use serde::Serialize;
use sqlx::Row;

pub use form::{FormError, NotebookForm, NotebookSpec};
pub use manifest::spec_yaml;
pub use origin::NotebookOrigin;

use crate::{Engine, Error, Result, events, store};

/// A phase as Kubeflow's Jupyter web app names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Serving.
    Ready,
    /// Starting.
    Waiting,
    /// Serving, with something to note.
    Warning,
    /// Ended by itself or failed to start.
    Error,
    /// Stopped on request.
    Stopped,
    /// Being stopped or deleted.
    Terminating,
    /// Its server type has no program on this machine.
    Unavailable,
}

impl Phase {
    /// The name stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Ready => "ready",
            Phase::Waiting => "waiting",
            Phase::Warning => "warning",
            Phase::Error => "error",
            Phase::Stopped => "stopped",
            Phase::Terminating => "terminating",
            Phase::Unavailable => "unavailable",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "ready" => Phase::Ready,
            "waiting" => Phase::Waiting,
            "warning" => Phase::Warning,
            "stopped" => Phase::Stopped,
            "terminating" => Phase::Terminating,
            "unavailable" => Phase::Unavailable,
            _ => Phase::Error,
        }
    }
}

/// A stored notebook.
#[derive(Clone, Debug)]
pub struct Notebook {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The checked form.
    pub spec: NotebookSpec,
    /// Whether it was asked to stop.
    pub stopped: bool,
    /// Where it stands.
    pub phase: Phase,
    /// Why, for `error`, `warning` and `unavailable`.
    pub message: String,
    /// Its loopback port while it runs.
    pub port: Option<u16>,
    /// Jupyter's token (never sent to browsers).
    pub token: String,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last activity Jupyter reported.
    pub last_activity: Option<DateTime<Utc>>,
}

fn decode(row: &sqlx::sqlite::SqliteRow) -> Result<Notebook> {
    let spec: String = row.try_get("spec")?;
    let port: Option<i64> = row.try_get("port")?;
    let phase: String = row.try_get("phase")?;
    Ok(Notebook {
        namespace: row.try_get("namespace")?,
        name: row.try_get("name")?,
        spec: serde_json::from_str(&spec)
            .map_err(|e| Error::Corrupt { what: "notebook spec", detail: e.to_string() })?,
        stopped: row.try_get("stopped")?,
        phase: Phase::parse(&phase),
        message: row.try_get("message")?,
        port: port.and_then(|p| u16::try_from(p).ok()),
        token: row.try_get("token")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        last_activity: row.try_get("last_activity")?,
    })
}

/// A spec as stored.
fn encode_spec(spec: &NotebookSpec) -> Result<String> {
    serde_json::to_string(spec).map_err(|e| Error::Corrupt { what: "notebook spec", detail: e.to_string() })
}

/// Most notebooks listed at once in a namespace.
pub const MAX_LISTED: i64 = 500;

impl Engine {
    /// Stores a checked notebook in `waiting`, with a fresh token, and
    /// records the change.
    pub async fn create_notebook(
        &self,
        principal: &Principal,
        namespace: &str,
        name: &str,
        spec: &NotebookSpec,
    ) -> Result<Notebook> {
        let namespace = self.existing_namespace(principal, namespace, Verb::Create).await?;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let spec_json = encode_spec(spec)?;
        let mut tx = self.store.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO notebooks (namespace, name, spec, phase, token, created_by, created_at)
             VALUES (?, ?, ?, 'waiting', ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(namespace.as_str())
        .bind(name)
        .bind(spec_json)
        .bind(&token)
        .bind(&principal.name)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(Error::AlreadyExists { kind: "notebook", name: name.to_owned() });
        }
        let kind = EventKind::NotebookChanged { name: name.to_owned(), phase: Phase::Waiting.as_str().to_owned() };
        let event = events::record(&mut tx, &namespace, &principal.name, kind).await?;
        tx.commit().await?;
        self.events.publish(event);
        self.notebook(principal, namespace.as_str(), name).await
    }

    /// One notebook.
    pub async fn notebook(&self, principal: &Principal, namespace: &str, name: &str) -> Result<Notebook> {
        let namespace = self.existing_namespace(principal, namespace, Verb::Get).await?;
        let row = sqlx::query("SELECT * FROM notebooks WHERE namespace = ? AND name = ?")
            .bind(namespace.as_str())
            .bind(name)
            .fetch_optional(self.store.pool())
            .await?;
        decode(&store::found(row, "notebook", name)?)
    }

    /// The namespace's notebooks by name (at most [`MAX_LISTED`]).
    pub async fn list_notebooks(&self, principal: &Principal, namespace: &str) -> Result<Vec<Notebook>> {
        let namespace = self.existing_namespace(principal, namespace, Verb::List).await?;
        let rows = sqlx::query("SELECT * FROM notebooks WHERE namespace = ? ORDER BY name LIMIT ?")
            .bind(namespace.as_str())
            .bind(MAX_LISTED)
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(decode).collect()
    }

    /// Every notebook that should be running (for re-attaching at start).
    pub async fn notebooks_to_run(&self) -> Result<Vec<Notebook>> {
        let rows = sqlx::query("SELECT * FROM notebooks WHERE stopped = 0").fetch_all(self.store.pool()).await?;
        rows.iter().map(decode).collect()
    }

    /// Every notebook, stopped or not (for reconciling phases).
    pub(crate) async fn all_notebooks(&self) -> Result<Vec<Notebook>> {
        let rows = sqlx::query("SELECT * FROM notebooks").fetch_all(self.store.pool()).await?;
        rows.iter().map(decode).collect()
    }

    /// Records a notebook's phase (and port), publishing the change when
    /// the phase moved. Written by the system, not a principal.
    pub(crate) async fn set_notebook_phase(
        &self,
        namespace: &str,
        name: &str,
        phase: Phase,
        message: &str,
        port: Option<u16>,
    ) -> Result<()> {
        let namespace = model::ResourceName::parse(namespace)
            .map_err(|source| Error::InvalidName { field: "namespace", source })?;
        let mut tx = self.store.write().await?;
        let before: Option<String> = sqlx::query_scalar("SELECT phase FROM notebooks WHERE namespace = ? AND name = ?")
            .bind(namespace.as_str())
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(before) = before else { return Ok(()) }; // deleted meanwhile
        sqlx::query("UPDATE notebooks SET phase = ?, message = ?, port = ? WHERE namespace = ? AND name = ?")
            .bind(phase.as_str())
            .bind(message)
            .bind(port.map(i64::from))
            .bind(namespace.as_str())
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let event = if before != phase.as_str() {
            let kind = EventKind::NotebookChanged { name: name.to_owned(), phase: phase.as_str().to_owned() };
            Some(events::record(&mut tx, &namespace, crate::namespaces::SYSTEM_ACTOR, kind).await?)
        } else {
            None
        };
        tx.commit().await?;
        if let Some(event) = event {
            self.events.publish(event);
        }
        Ok(())
    }

    /// Notes that a notebook was asked to stop or start.
    pub(crate) async fn set_notebook_stopped(
        &self,
        principal: &Principal,
        namespace: &str,
        name: &str,
        stopped: bool,
    ) -> Result<Notebook> {
        let notebook = self.notebook(principal, namespace, name).await?;
        crate::access::authorize(principal, namespace, Verb::Update)?;
        sqlx::query("UPDATE notebooks SET stopped = ? WHERE namespace = ? AND name = ?")
            .bind(stopped)
            .bind(namespace)
            .bind(name)
            .execute(self.store.pool())
            .await?;
        Ok(Notebook { stopped, ..notebook })
    }

    /// Replaces a stopped notebook's spec (edits apply at its next start).
    pub(crate) async fn update_notebook_spec(
        &self,
        principal: &Principal,
        namespace: &str,
        name: &str,
        spec: &NotebookSpec,
    ) -> Result<Notebook> {
        let namespace = self.existing_namespace(principal, namespace, Verb::Update).await?;
        let spec_json = encode_spec(spec)?;
        let mut tx = self.store.write().await?;
        let updated = sqlx::query("UPDATE notebooks SET spec = ? WHERE namespace = ? AND name = ? AND stopped = 1")
            .bind(spec_json)
            .bind(namespace.as_str())
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() == 0 {
            // Missing, or running: say which.
            let notebook = self.notebook(principal, namespace.as_str(), name).await?;
            return Err(Error::FailedPrecondition {
                message: format!("notebook {} is {}: stop it before editing it", name, notebook.phase.as_str()),
            });
        }
        let kind = EventKind::NotebookChanged { name: name.to_owned(), phase: "updated".to_owned() };
        let event = events::record(&mut tx, &namespace, &principal.name, kind).await?;
        tx.commit().await?;
        self.events.publish(event);
        self.notebook(principal, namespace.as_str(), name).await
    }

    /// Records the latest activity Jupyter reported. Written by the system.
    pub(crate) async fn record_notebook_activity(&self, namespace: &str, name: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE notebooks SET last_activity = ? WHERE namespace = ? AND name = ?")
            .bind(at)
            .bind(namespace)
            .bind(name)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Marks a notebook stopped by the system (idle culling): it stays
    /// stopped across restarts until someone starts it.
    pub(crate) async fn mark_notebook_stopped(&self, namespace: &str, name: &str) -> Result<()> {
        sqlx::query("UPDATE notebooks SET stopped = 1 WHERE namespace = ? AND name = ?")
            .bind(namespace)
            .bind(name)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Removes a notebook's row and records it; its volumes stay.
    pub(crate) async fn remove_notebook(&self, principal: &Principal, namespace: &str, name: &str) -> Result<()> {
        let namespace = self.existing_namespace(principal, namespace, Verb::Delete).await?;
        let mut tx = self.store.write().await?;
        let removed = sqlx::query("DELETE FROM notebooks WHERE namespace = ? AND name = ?")
            .bind(namespace.as_str())
            .bind(name)
            .execute(&mut *tx)
            .await?;
        if removed.rows_affected() == 0 {
            return Err(Error::NotFound { kind: "notebook", name: name.to_owned() });
        }
        let kind = EventKind::NotebookChanged { name: name.to_owned(), phase: "deleted".to_owned() };
        let event = events::record(&mut tx, &namespace, &principal.name, kind).await?;
        tx.commit().await?;
        self.events.publish(event);
        Ok(())
    }
}
