//! Writing runs, tasks and attempts to the store. Every state change is
//! committed before the next step acts on it.

use chrono::Utc;
use serde_json::Value;

use std::path::Path;

use super::{State, values::ArtifactValue};
pub use crate::store::durably;
use crate::{Result, store::Store};

/// Logs a write that could not be made even after [`durably`] (the
/// database refused it for good): the run goes on from what it knows.
pub fn or_log(result: Result<()>, key: TaskKey<'_>, what: &str) {
    if let Err(e) = result {
        tracing::error!(run.id = %key.run_id, task.path = %key.path, error = %e, "cannot record {what}");
    }
}

/// Inserts a task row (or finds the existing one on a retry of the run)
/// and marks it running; returns its id.
pub async fn task_started(store: &Store, run_id: &str, path: &str, name: &str, inputs: &Value) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    let now = Utc::now();
    let id: String = sqlx::query_scalar(
        "INSERT INTO tasks (id, run_id, path, name, state, inputs, created_at, started_at)
         VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5, ?6, ?6)
         ON CONFLICT (run_id, path) DO UPDATE SET state = 'RUNNING', inputs = ?5,
             started_at = COALESCE(tasks.started_at, ?6)
         RETURNING id",
    )
    .bind(&id)
    .bind(run_id)
    .bind(path)
    .bind(name)
    .bind(inputs.to_string())
    .bind(now)
    .fetch_one(store.pool())
    .await?;
    Ok(id)
}

/// Records how many iterations the loop at `path` has (once per run: a
/// resumed run finds the same items).
pub async fn loop_size(store: &Store, run_id: &str, path: &str, items: usize) -> Result<()> {
    sqlx::query(
        "INSERT INTO loop_sizes (run_id, path, items) VALUES (?1, ?2, ?3)
         ON CONFLICT (run_id, path) DO UPDATE SET items = ?3",
    )
    .bind(run_id)
    .bind(path)
    .bind(items as i64)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Records how a task ended.
pub async fn task_finished(
    store: &Store,
    task_id: &str,
    state: State,
    outputs: &Value,
    cached_from: Option<&str>,
    reason: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "UPDATE tasks SET state = ?2, outputs = ?3, cached_from = ?4, reason = ?5, finished_at = ?6 WHERE id = ?1",
    )
    .bind(task_id)
    .bind(state.as_str())
    .bind(outputs.to_string())
    .bind(cached_from)
    .bind(reason)
    .bind(Utc::now())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// A task as stored.
pub struct TaskRow {
    pub id: String,
    pub state: State,
    pub outputs: Option<Value>,
    pub reason: Option<String>,
    /// Attempts made before the run was last retried.
    pub attempt_base: u32,
}

/// id, state, outputs, reason, attempt_base.
type TaskColumns = (String, String, Option<String>, Option<String>, i64);

/// The task at `path` of the run, if it was recorded.
pub async fn task_at(store: &Store, run_id: &str, path: &str) -> Result<Option<TaskRow>> {
    let row: Option<TaskColumns> =
        sqlx::query_as("SELECT id, state, outputs, reason, attempt_base FROM tasks WHERE run_id = ? AND path = ?")
            .bind(run_id)
            .bind(path)
            .fetch_optional(store.pool())
            .await?;
    Ok(row.map(|(id, state, outputs, reason, attempt_base)| TaskRow {
        id,
        state: parse_state(&state),
        outputs: outputs.and_then(|o| serde_json::from_str(&o).ok()),
        reason,
        attempt_base: attempt_base as u32,
    }))
}

/// An attempt as stored.
pub struct AttemptRow {
    pub name: String,
    pub number: u32,
    pub state: State,
    pub reason: Option<String>,
}

/// name, number, state, reason.
type AttemptColumns = (String, i64, String, Option<String>);

/// The task's latest attempt.
pub async fn last_attempt(store: &Store, task_id: &str) -> Result<Option<AttemptRow>> {
    let row: Option<AttemptColumns> = sqlx::query_as(
        "SELECT name, number, state, reason FROM attempts WHERE task_id = ? ORDER BY number DESC LIMIT 1",
    )
    .bind(task_id)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(name, number, state, reason)| AttemptRow {
        name,
        number: number as u32,
        state: parse_state(&state),
        reason,
    }))
}

/// Parses a stored state name.
pub fn parse_state(name: &str) -> State {
    serde_json::from_value(Value::String(name.to_owned())).unwrap_or(State::Failed)
}

/// Outputs cached under `key`, with the task that produced them.
pub async fn cached(store: &Store, key: &str, ttl: Option<std::time::Duration>) -> Result<Option<(String, Value)>> {
    let oldest = ttl
        .and_then(|ttl| chrono::Duration::from_std(ttl).ok())
        .map_or(chrono::DateTime::<Utc>::MIN_UTC, |ttl| Utc::now() - ttl);
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT task_id, outputs FROM task_cache WHERE key = ? AND created_at >= ?")
            .bind(key)
            .bind(oldest)
            .fetch_optional(store.pool())
            .await?;
    Ok(row.and_then(|(task, outputs)| serde_json::from_str(&outputs).ok().map(|o| (task, o))))
}

/// Which task row a write is about.
#[derive(Clone, Copy, Debug)]
pub struct TaskKey<'a> {
    pub run_id: &'a str,
    pub path: &'a str,
    pub name: &'a str,
}

/// How a task ended, written with its last attempt.
#[derive(Clone)]
pub struct TaskEnd<'a> {
    pub task_id: &'a str,
    pub state: State,
    pub outputs: &'a Value,
    /// Cache key to store the outputs under.
    pub cache_key: Option<&'a str>,
    /// Artifacts the task wrote, recorded with their metadata.
    pub artifacts: Vec<&'a ArtifactValue>,
}

/// Marks the task running and records its attempt, in one commit; returns
/// the task's id.
pub async fn begin_attempt(
    store: &Store,
    key: TaskKey<'_>,
    inputs: &Value,
    attempt: &str,
    number: u32,
    image: &str,
    dir: &Path,
) -> Result<String> {
    let now = Utc::now();
    let mut tx = store.write().await?;
    let task_id: String = sqlx::query_scalar(
        "INSERT INTO tasks (id, run_id, path, name, state, inputs, created_at, started_at)
         VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5, ?6, ?6)
         ON CONFLICT (run_id, path) DO UPDATE SET state = 'RUNNING', inputs = ?5
         RETURNING id",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(key.run_id)
    .bind(key.path)
    .bind(key.name)
    .bind(inputs.to_string())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO attempts (name, task_id, number, state, image, dir, started_at)
         VALUES (?1, ?2, ?3, 'RUNNING', ?4, ?5, ?6)",
    )
    .bind(attempt)
    .bind(&task_id)
    .bind(number)
    .bind(image)
    .bind(dir.display().to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(task_id)
}

/// Records how an attempt ended and, when it decides the task, how the
/// task ended (and its cache entry), in one commit.
pub async fn end_attempt(
    store: &Store,
    attempt: &str,
    state: State,
    exit_code: Option<i32>,
    reason: Option<&str>,
    task: Option<TaskEnd<'_>>,
) -> Result<()> {
    let now = Utc::now();
    let mut tx = store.write().await?;
    sqlx::query("UPDATE attempts SET state = ?2, exit_code = ?3, reason = ?4, finished_at = ?5 WHERE name = ?1")
        .bind(attempt)
        .bind(state.as_str())
        .bind(exit_code)
        .bind(reason)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    if let Some(task) = task {
        sqlx::query("UPDATE tasks SET state = ?2, outputs = ?3, reason = ?4, finished_at = ?5 WHERE id = ?1")
            .bind(task.task_id)
            .bind(task.state.as_str())
            .bind(task.outputs.to_string())
            .bind(reason)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        for artifact in &task.artifacts {
            insert_artifact(&mut tx, task.task_id, artifact, now).await?;
        }
        if let Some(cache_key) = task.cache_key {
            sqlx::query(
                "INSERT INTO task_cache (key, task_id, run_id, outputs, created_at)
                 SELECT ?1, id, run_id, ?3, ?4 FROM tasks WHERE id = ?2
                 ON CONFLICT (key) DO UPDATE SET task_id = excluded.task_id, run_id = excluded.run_id,
                     outputs = excluded.outputs, created_at = excluded.created_at",
            )
            .bind(cache_key)
            .bind(task.task_id)
            .bind(task.outputs.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Records a task that is running without a process (a suspended step),
/// with why it waits.
pub async fn task_waiting(store: &Store, key: TaskKey<'_>, why: &str) -> Result<()> {
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO tasks (id, run_id, path, name, state, reason, created_at, started_at)
         VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5, ?6, ?6)
         ON CONFLICT (run_id, path) DO UPDATE SET state = 'RUNNING', reason = ?5, started_at = ?6, finished_at = NULL",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(key.run_id)
    .bind(key.path)
    .bind(key.name)
    .bind(why)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Records an artifact as produced by a task, in the caller's transaction.
async fn insert_artifact(
    tx: &mut sqlx::SqliteConnection,
    task_id: &str,
    artifact: &ArtifactValue,
    now: chrono::DateTime<Utc>,
) -> Result<()> {
    let size = std::fs::metadata(&artifact.uri).ok().filter(|m| m.is_file()).map(|m| m.len() as i64);
    sqlx::query(
        "INSERT INTO artifacts (uri, run_id, task_id, name, schema_title, metadata, size_bytes, created_at)
         SELECT ?1, run_id, id, ?3, ?4, ?5, ?6, ?7 FROM tasks WHERE id = ?2
         ON CONFLICT (uri) DO UPDATE SET task_id = excluded.task_id, metadata = excluded.metadata,
             size_bytes = excluded.size_bytes, created_at = excluded.created_at",
    )
    .bind(&artifact.uri)
    .bind(task_id)
    .bind(&artifact.name)
    .bind(&artifact.schema)
    .bind(artifact.metadata.to_string())
    .bind(size)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records an importer task that succeeded and the artifact it brought
/// into the run, in one commit.
pub async fn task_imported(store: &Store, key: TaskKey<'_>, outputs: &Value, artifact: &ArtifactValue) -> Result<()> {
    let now = Utc::now();
    let mut tx = store.write().await?;
    let task_id: String = sqlx::query_scalar(
        "INSERT INTO tasks (id, run_id, path, name, state, outputs, created_at, started_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, 'SUCCEEDED', ?5, ?6, ?6, ?6)
         ON CONFLICT (run_id, path) DO UPDATE SET state = 'SUCCEEDED', outputs = ?5, finished_at = ?6
         RETURNING id",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(key.run_id)
    .bind(key.path)
    .bind(key.name)
    .bind(outputs.to_string())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    insert_artifact(&mut tx, &task_id, artifact, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Records a task that ends without (further) attempts: skipped, canceled,
/// taken from the cache, or failed before or after its attempts.
pub async fn task_ended(
    store: &Store,
    key: TaskKey<'_>,
    state: State,
    outputs: &Value,
    cached_from: Option<&str>,
    reason: Option<&str>,
) -> Result<()> {
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO tasks (id, run_id, path, name, state, outputs, cached_from, reason, created_at, finished_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT (run_id, path) DO UPDATE SET state = ?5, outputs = ?6, cached_from = ?7, reason = ?8, finished_at = ?9",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(key.run_id)
    .bind(key.path)
    .bind(key.name)
    .bind(state.as_str())
    .bind(outputs.to_string())
    .bind(cached_from)
    .bind(reason)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// name, reason, finished_at, last attempt.
type FailureColumns = (String, Option<String>, Option<String>, Option<String>);

/// The run's failed steps as Argo's `workflow.failures` lists them:
/// `[{displayName, message, phase, podName, finishedAt}]`, oldest first.
pub async fn failures(store: &Store, run_id: &str) -> Result<Value> {
    let rows: Vec<FailureColumns> = sqlx::query_as(
        "SELECT t.name, t.reason, t.finished_at,
                (SELECT a.name FROM attempts a WHERE a.task_id = t.id ORDER BY a.number DESC LIMIT 1)
         FROM tasks t
         WHERE t.run_id = ?1 AND t.state IN ('FAILED', 'LOST')
           AND EXISTS (SELECT 1 FROM attempts a WHERE a.task_id = t.id)
         ORDER BY t.finished_at, t.path",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(Value::Array(
        rows.into_iter()
            .map(|(name, reason, finished, pod)| {
                serde_json::json!({
                    "displayName": name,
                    "message": reason.unwrap_or_default(),
                    "phase": "Failed",
                    "podName": pod.unwrap_or_default(),
                    "finishedAt": finished.unwrap_or_default(),
                })
            })
            .collect(),
    ))
}
