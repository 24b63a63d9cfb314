//! Minute averages in SQLite, so charts of the last week survive a restart:
//! stored as each minute closes, read back at start, pruned past the
//! configured retention.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::series::Point;
use crate::{Engine, Result};

/// How often old points are deleted.
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3_600);

impl Engine {
    /// Stores minute averages (a point already stored is replaced).
    pub async fn save_metric_points(&self, points: &[(String, Point)]) -> Result<()> {
        let mut tx = self.store.write().await?;
        for (series, point) in points {
            sqlx::query("INSERT OR REPLACE INTO metric_points (series, at, value) VALUES (?, ?, ?)")
                .bind(series)
                .bind(point.at)
                .bind(f64::from(point.value))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored points since `since`, oldest first per series.
    pub async fn metric_points_since(&self, since: DateTime<Utc>) -> Result<Vec<(String, Point)>> {
        let rows = sqlx::query("SELECT series, at, value FROM metric_points WHERE at >= ? ORDER BY series, at")
            .bind(since.timestamp())
            .fetch_all(self.store.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let value: f64 = r.try_get(2)?;
                Ok((r.try_get(0)?, Point { at: r.try_get(1)?, value: value as f32 }))
            })
            .collect()
    }

    /// Deletes points older than `before`.
    pub async fn prune_metric_points(&self, before: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM metric_points WHERE at < ?")
            .bind(before.timestamp())
            .execute(self.store.pool())
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::metrics::{Metrics, Snapshot, owners::ProcessOwners, series::Retention};

    #[tokio::test]
    async fn minute_averages_survive_a_restart_and_old_ones_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path()).await.unwrap();
        let metrics = Metrics::new(ProcessOwners::default(), Retention::default());
        let minute = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        // Two minutes of samples, then one in the third closes the second.
        for s in 0..121 {
            let mut snapshot = Snapshot { at: minute + chrono::Duration::seconds(s), ..Snapshot::default() };
            snapshot.host.cpu_percent = if s < 60 { 10.0 } else { 30.0 };
            metrics.record(snapshot);
        }
        let closed = metrics.take_closed();
        let cpu: Vec<&Point> = closed.iter().filter(|(s, _)| s == "host.cpu").map(|(_, p)| p).collect();
        assert_eq!(cpu.iter().map(|p| p.value).collect::<Vec<_>>(), vec![10.0, 30.0]);
        engine.save_metric_points(&closed).await.unwrap();

        let restarted = Metrics::new(ProcessOwners::default(), Retention::default());
        restarted.restore(engine.metric_points_since(minute).await.unwrap());
        let points = restarted.series("host.cpu", minute);
        assert_eq!(
            points.iter().map(|p| (p.at, p.value)).collect::<Vec<_>>(),
            vec![(minute.timestamp(), 10.0), (minute.timestamp() + 60, 30.0)]
        );

        let pruned = engine.prune_metric_points(minute + chrono::Duration::seconds(30)).await.unwrap();
        assert_eq!(pruned, 3, "the first minute of host.cpu, workloads.cpu and host.memory");
        assert_eq!(engine.metric_points_since(minute).await.unwrap().len(), 3);
    }
}
