//! Ferroflow's server-side core.
//!
//! [`Engine`] is the one handle the server holds: every operation takes the
//! calling [`Principal`](model::Principal) and a namespace, is authorized by
//! [`access::authorize`], commits to the [`store`], then publishes an
//! [`Event`](model::Event) on the [`events`] bus.

pub mod access;
pub mod artifacts;
pub mod backend;
mod error;
pub mod events;
pub mod experiments;
pub mod listing;
pub mod logs;
pub mod metrics;
pub mod namespaces;
pub mod notebooks;
pub mod pipelines;
pub mod recurring;
pub mod runs;
pub mod spec;
pub mod stats;
pub mod store;
pub mod templates;

use std::path::Path;

pub use error::{Error, Result};

/// The engine: store, event bus and the operations on them. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Engine {
    store: store::Store,
    events: events::EventBus,
    /// Woken when a recurring run is created or changed, so the scheduler
    /// recomputes when to wake.
    recurring_changed: std::sync::Arc<tokio::sync::Notify>,
}

impl Engine {
    /// Opens (creating if needed) the SQLite store in `data_dir`, runs the
    /// migrations and makes sure the default namespace exists.
    pub async fn open(data_dir: &Path) -> Result<Self> {
        let store = store::Store::open_in(data_dir).await?;
        Self::with_store(store).await
    }

    /// Builds an engine over an opened store: migrates and bootstraps it.
    pub async fn with_store(store: store::Store) -> Result<Self> {
        store.migrate().await?;
        let engine = Self { store, events: events::EventBus::default(), recurring_changed: Default::default() };
        engine.bootstrap().await?;
        Ok(engine)
    }

    /// The event bus, for subscribers such as the SSE endpoint.
    pub fn events(&self) -> &events::EventBus {
        &self.events
    }

    /// The store, for readiness checks.
    pub fn store(&self) -> &store::Store {
        &self.store
    }
}
