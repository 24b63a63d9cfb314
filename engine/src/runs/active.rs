//! The runs this process is driving, so that a request can stop one or
//! resume its suspended steps.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// What a request may do to a run being driven.
#[derive(Debug)]
struct Handle {
    cancel: CancellationToken,
    /// Stops the run's DAG but lets its exit handler run (Argo `stop`).
    stop: CancellationToken,
    /// Counts resumes; a suspended step waits for it to grow.
    resumes: watch::Sender<u64>,
}

/// Handles of the runs being driven, by run id.
#[derive(Clone, Debug, Default)]
pub(crate) struct ActiveRuns {
    runs: Arc<Mutex<HashMap<String, Handle>>>,
}

/// Removes its run from [`ActiveRuns`] when the drive ends, however it ends.
pub(crate) struct Registration {
    runs: ActiveRuns,
    id: String,
}

impl ActiveRuns {
    /// Records that `id` is being driven and stops when `cancel` is
    /// cancelled; the receiver sees each resume, and the returned token (a
    /// child of `cancel`) is cancelled by [`ActiveRuns::stop`] as well.
    pub fn register(
        &self,
        id: &str,
        cancel: &CancellationToken,
    ) -> (Registration, watch::Receiver<u64>, CancellationToken) {
        let (resumes, receiver) = watch::channel(0);
        let stop = cancel.child_token();
        self.lock().insert(id.to_owned(), Handle { cancel: cancel.clone(), stop: stop.clone(), resumes });
        (Registration { runs: self.clone(), id: id.to_owned() }, receiver, stop)
    }

    /// Stops the run's DAG if this process drives it, leaving its exit
    /// handler to run; whether it did.
    pub fn stop(&self, id: &str) -> bool {
        match self.lock().get(id) {
            Some(handle) => {
                handle.stop.cancel();
                true
            }
            None => false,
        }
    }

    /// Cancels the run if this process drives it; whether it did.
    pub fn cancel(&self, id: &str) -> bool {
        match self.lock().get(id) {
            Some(handle) => {
                handle.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Resumes the run's suspended steps if this process drives it; whether it did.
    pub fn resume(&self, id: &str) -> bool {
        match self.lock().get(id) {
            Some(handle) => {
                handle.resumes.send_modify(|n| *n += 1);
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Handle>> {
        // A panic while holding this lock leaves the map intact.
        self.runs.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.runs.lock().remove(&self.id);
    }
}
