//! The runs this process is driving, so that a request can stop one.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio_util::sync::CancellationToken;

/// Cancellation handles of the runs being driven, by run id.
#[derive(Clone, Debug, Default)]
pub(crate) struct ActiveRuns {
    runs: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

/// Removes its run from [`ActiveRuns`] when the drive ends, however it ends.
pub(crate) struct Registration {
    runs: ActiveRuns,
    id: String,
}

impl ActiveRuns {
    /// Records that `id` is being driven and stops when `cancel` is cancelled.
    pub fn register(&self, id: &str, cancel: &CancellationToken) -> Registration {
        self.lock().insert(id.to_owned(), cancel.clone());
        Registration { runs: self.clone(), id: id.to_owned() }
    }

    /// Cancels the run if this process drives it; whether it did.
    pub fn cancel(&self, id: &str) -> bool {
        match self.lock().get(id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        // A panic while holding this lock leaves the map intact.
        self.runs.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.runs.lock().remove(&self.id);
    }
}
