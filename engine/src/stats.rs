//! Counts across namespaces for `/metrics`: runs by state, notebooks by
//! phase, and how long recently finished attempts took. Not authorized per
//! namespace: they are for the operator's Prometheus, not for users.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{Engine, Result};

/// Most finished attempts read by one call.
pub const MAX_FINISHED_READ: i64 = 10_000;

impl Engine {
    /// How many runs are in each state.
    pub async fn runs_by_state(&self) -> Result<Vec<(String, i64)>> {
        self.count_by("SELECT state, COUNT(*) FROM runs GROUP BY state").await
    }

    /// How many notebooks are in each phase.
    pub async fn notebooks_by_phase(&self) -> Result<Vec<(String, i64)>> {
        self.count_by("SELECT phase, COUNT(*) FROM notebooks GROUP BY phase").await
    }

    async fn count_by(&self, query: &str) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query(query).fetch_all(self.store.pool()).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Seconds each attempt finished after `after` ran, oldest first, and
    /// the last finish time read (pass it next time).
    pub async fn attempts_finished_since(&self, after: DateTime<Utc>) -> Result<(Vec<f64>, DateTime<Utc>)> {
        let rows = sqlx::query(
            "SELECT started_at, finished_at FROM attempts WHERE finished_at > ? ORDER BY finished_at LIMIT ?",
        )
        .bind(after)
        .bind(MAX_FINISHED_READ)
        .fetch_all(self.store.pool())
        .await?;
        let mut last = after;
        let mut seconds = Vec::with_capacity(rows.len());
        for row in &rows {
            let started: DateTime<Utc> = row.try_get(0)?;
            let finished: DateTime<Utc> = row.try_get(1)?;
            seconds.push((finished - started).num_milliseconds().max(0) as f64 / 1000.0);
            last = last.max(finished);
        }
        Ok((seconds, last))
    }

    /// Open event streams.
    pub fn event_subscribers(&self) -> usize {
        self.events.subscriber_count()
    }
}
