//! The runs this process is driving, so that a request can stop one,
//! suspend it, or resume its suspended steps.

use std::{
    collections::{BTreeMap, HashMap},
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
    resumes: watch::Sender<Resume>,
    /// Whether new steps wait (Argo's suspended workflow).
    paused: watch::Sender<bool>,
}

/// The latest resume of a run: how many there were, and the output
/// values it supplied to suspended steps (Argo `valueFrom.supplied`).
#[derive(Clone, Debug, Default)]
pub struct Resume {
    /// Resumes so far.
    pub count: u64,
    /// Output values by name.
    pub supplied: Arc<BTreeMap<String, String>>,
}

/// What a run being driven watches.
pub(crate) struct Watches {
    /// Each resume.
    pub resumes: watch::Receiver<Resume>,
    /// Whether the run is suspended.
    pub paused: watch::Receiver<bool>,
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
    pub fn register(&self, id: &str, cancel: &CancellationToken) -> (Registration, Watches, CancellationToken) {
        let (resumes, resumes_seen) = watch::channel(Resume::default());
        let (paused, paused_seen) = watch::channel(false);
        let stop = cancel.child_token();
        self.lock().insert(id.to_owned(), Handle { cancel: cancel.clone(), stop: stop.clone(), resumes, paused });
        let watches = Watches { resumes: resumes_seen, paused: paused_seen };
        (Registration { runs: self.clone(), id: id.to_owned() }, watches, stop)
    }

    /// Holds back the run's next steps if this process drives it (running
    /// ones go on); whether it did.
    pub fn suspend(&self, id: &str) -> bool {
        self.act(id, |handle| {
            handle.paused.send_replace(true);
        })
    }

    /// Whether the run is suspended.
    pub fn is_suspended(&self, id: &str) -> bool {
        self.lock().get(id).is_some_and(|h| *h.paused.borrow())
    }

    /// Stops the run's DAG if this process drives it, leaving its exit
    /// handler to run; whether it did.
    pub fn stop(&self, id: &str) -> bool {
        self.act(id, |handle| handle.stop.cancel())
    }

    /// Cancels the run if this process drives it; whether it did.
    pub fn cancel(&self, id: &str) -> bool {
        self.act(id, |handle| handle.cancel.cancel())
    }

    /// Lets a suspended run go on and resumes its suspended steps, giving
    /// them `supplied` outputs, if this process drives it; whether it did.
    pub fn resume(&self, id: &str, supplied: BTreeMap<String, String>) -> bool {
        let supplied = Arc::new(supplied);
        self.act(id, |handle| {
            handle.paused.send_replace(false);
            handle.resumes.send_modify(|r| *r = Resume { count: r.count + 1, supplied });
        })
    }

    /// Whether this process drives the run.
    pub fn contains(&self, id: &str) -> bool {
        self.lock().contains_key(id)
    }

    /// Does `action` to the run's handle if this process drives it; whether it did.
    fn act(&self, id: &str, action: impl FnOnce(&Handle)) -> bool {
        self.lock().get(id).map(action).is_some()
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
