//! Run, task and attempt states, named as KFP names them.

use serde::{Deserialize, Serialize};

/// State of a run or a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Created, not started.
    Pending,
    /// Started.
    Running,
    /// Finished well.
    Succeeded,
    /// Finished badly.
    Failed,
    /// Not run: a condition was false or an upstream task did not succeed.
    Skipped,
    /// Outputs reused from an earlier run.
    Cached,
    /// Stopped on request.
    Canceled,
    /// An attempt that vanished while the engine was down, leaving no result.
    Lost,
}

impl State {
    /// The name stored and shown, e.g. `SUCCEEDED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::Skipped => "SKIPPED",
            Self::Cached => "CACHED",
            Self::Canceled => "CANCELED",
            Self::Lost => "LOST",
        }
    }

    /// Whether nothing more will happen.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }

    /// Whether downstream tasks may use the outputs.
    pub fn produced_outputs(self) -> bool {
        matches!(self, Self::Succeeded | Self::Cached)
    }
}
