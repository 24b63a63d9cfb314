use model::{NameError, Verb};

/// Result of engine operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in the engine. The server maps each variant to an HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The principal may not do this.
    #[error("{principal} may not {verb:?} in namespace {namespace}")]
    Forbidden {
        /// Who asked.
        principal: String,
        /// What they asked to do.
        verb: Verb,
        /// Where.
        namespace: String,
    },
    /// The object does not exist.
    #[error("{kind} {name} not found")]
    NotFound {
        /// The kind of object, e.g. "namespace".
        kind: &'static str,
        /// Its name or id.
        name: String,
    },
    /// The object exists already.
    #[error("{kind} {name} already exists")]
    AlreadyExists {
        /// The kind of object.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// A name given by the caller is not valid.
    #[error("invalid {field}: {source}")]
    InvalidName {
        /// The field that held the name.
        field: &'static str,
        /// Why it is invalid.
        #[source]
        source: NameError,
    },
    /// A display name given by the caller is not valid.
    #[error("invalid {field}: {source}")]
    InvalidDisplayName {
        /// The field, e.g. `run display_name`.
        field: &'static str,
        /// Why it is invalid.
        #[source]
        source: model::DisplayNameError,
    },
    /// Run parameters do not fit the pipeline.
    #[error("invalid parameters: {message}")]
    InvalidParameters {
        /// What is wrong, naming the parameter.
        message: String,
    },
    /// A request is malformed: a filter, a sort order, a page token, a
    /// field value.
    #[error("{message}")]
    InvalidRequest {
        /// What is wrong, naming the field.
        message: String,
    },
    /// A form was refused: every field's problem, each naming its field.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidForm {
        /// The problems, in the form's order.
        problems: Vec<crate::notebooks::FormError>,
    },
    /// A pipeline spec does not parse or validate.
    #[error("invalid pipeline spec: {0}")]
    InvalidSpec(#[from] crate::spec::SpecError),
    /// The object is not in a state that allows this, e.g. retrying a run
    /// that is still going.
    #[error("{message}")]
    FailedPrecondition {
        /// Why not.
        message: String,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The data directory could not be prepared.
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A stored row could not be decoded: the database was written by
    /// something else or is damaged.
    #[error("corrupt stored {what}: {detail}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// What was wrong with it.
        detail: String,
    },
}

impl Error {
    /// Whether the database was busy: another writer held the lock past
    /// the wait, or no connection was free. Trying again later may work.
    pub fn is_busy(&self) -> bool {
        match self {
            Self::Database(sqlx::Error::PoolTimedOut) => true,
            Self::Database(sqlx::Error::Database(e)) => {
                let code = e.code().unwrap_or_default();
                // SQLite: BUSY (5) and LOCKED (6) with their extended codes;
                // PostgreSQL: lock_not_available, serialization_failure.
                matches!(code.parse::<i32>().map(|c| c & 0xff), Ok(5 | 6)) || code == "55P03" || code == "40001"
            }
            _ => false,
        }
    }

    /// Whether the disk under the database is full.
    pub fn is_storage_full(&self) -> bool {
        match self {
            Self::Database(sqlx::Error::Database(e)) => {
                let code = e.code().unwrap_or_default();
                // SQLite FULL (13), PostgreSQL disk_full.
                matches!(code.parse::<i32>().map(|c| c & 0xff), Ok(13)) || code == "53100"
            }
            Self::Database(sqlx::Error::Io(e)) => e.raw_os_error() == Some(28), // ENOSPC
            _ => false,
        }
    }
}
