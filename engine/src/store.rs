//! The database: a SQLite file in the data directory, in WAL mode.
//!
//! Every state change is committed with `synchronous=FULL` so that an event
//! published after a commit is never lost by a power cut. Queries are runtime
//! `sqlx::query` calls; migrations live in `engine/migrations`.

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::{Error, Result};

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "ferroflow.db";

/// How long a writer waits for another writer's lock before failing.
/// Writes that must land (a step's result) retry past it.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Free space under which the data directory counts as full: SQLite
/// needs room for its log and each step for its logs.
const LOW_SPACE_BYTES: u64 = 16 * 1024 * 1024;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A pool of connections to the database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// The data directory, for a file store.
    dir: Option<std::path::PathBuf>,
}

impl Store {
    /// Opens `data_dir/ferroflow.db`, creating the directory and file if needed.
    pub async fn open_in(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|source| Error::DataDir { path: data_dir.to_owned(), source })?;
        let options = SqliteConnectOptions::new().filename(data_dir.join(DATABASE_FILE));
        Ok(Self { dir: Some(data_dir.to_owned()), ..Self::connect(options).await? })
    }

    /// Opens a database from a `sqlite:` URL, e.g. `sqlite::memory:` in tests.
    pub async fn open_url(url: &str) -> Result<Self> {
        Self::connect(SqliteConnectOptions::from_str(url)?).await
    }

    async fn connect(options: SqliteConnectOptions) -> Result<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A connection whose COMMIT failed (disk full) and whose
            // rollback failed too (SQLite had already ended the
            // transaction) is left counting itself inside one by sqlx: every
            // later BEGIN on it would fail. It is closed instead of reused.
            .before_acquire(|conn, _| Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) }))
            .connect_with(options)
            .await?;
        Ok(Self { pool, dir: None })
    }

    /// Applies the migrations that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Whether the database answers and every migration has been applied.
    pub async fn is_ready(&self) -> Result<bool> {
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = 1").fetch_one(&self.pool).await?;
        Ok(applied == MIGRATOR.iter().count() as i64)
    }

    /// A write transaction that holds the write lock from its start
    /// (`BEGIN IMMEDIATE`): a deferred one that read first could not take
    /// the lock later if another writer went meanwhile, and would fail with
    /// "database is locked" at once instead of waiting its turn.
    pub(crate) async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Why the store cannot take writes, when the disk under the data
    /// directory is (nearly) full; shown on every page.
    pub fn storage_condition(&self) -> Option<String> {
        let dir = self.dir.as_ref()?;
        let stat = nix::sys::statvfs::statvfs(dir.as_path()).ok()?;
        let free = stat.blocks_available() as u64 * stat.fragment_size() as u64;
        (free < LOW_SPACE_BYTES).then(|| {
            format!(
                "The disk holding the data directory {} is full ({} KiB free): results wait to be recorded and \
                 new work is refused until space is freed there.",
                dir.display(),
                free / 1024
            )
        })
    }

    /// The connection pool, for the engine's feature modules.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Runs `write` until it lands. While the store is busy (another writer
/// holds the lock past the wait) or its disk is full, it is tried again
/// after a growing pause (0.1 s doubling to 5 s); any other error is
/// returned. What a step did is true on disk whatever the database says,
/// so a storage fault may delay recording it but never changes it.
pub async fn durably<T, F, Fut>(what: &str, mut write: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut pause = std::time::Duration::from_millis(100);
    let mut tries = 0u32;
    loop {
        match write().await {
            Ok(value) => {
                if tries > 0 {
                    tracing::info!(tries, "recorded {what} after the store recovered");
                }
                return Ok(value);
            }
            Err(e) if e.is_busy() || e.is_storage_full() => {
                tries += 1;
                if tries == 1 || tries.is_multiple_of(20) {
                    tracing::warn!(error = %e, tries, "cannot record {what} yet; trying again");
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Maps "no row" to [`Error::NotFound`]: the one place that knows sqlx's
/// way of saying it.
pub(crate) fn found<T>(row: Option<T>, kind: &'static str, name: &str) -> Result<T> {
    row.ok_or_else(|| Error::NotFound { kind, name: name.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_store_uses_wal_and_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        store.migrate().await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(store.pool()).await.unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(store.pool()).await.unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        assert!(store.is_ready().await.unwrap());
        assert!(dir.path().join(DATABASE_FILE).exists());
    }

    #[tokio::test]
    async fn not_ready_before_migrations() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in(dir.path()).await.unwrap();
        assert!(store.is_ready().await.is_err() || !store.is_ready().await.unwrap());
    }
}
