//! Notebook phases corrected from what actually runs. Each start and stop
//! writes the phases it causes, but a write can fail and a process can end
//! unseen; this pass compares every notebook's stored phase with its
//! server (tracked here or not, answering or not) and fixes the difference.

use super::{Notebook, Phase, local::NotebookManager};
use crate::Result;

/// What this process knows of a notebook's server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Server {
    /// None is running here.
    Absent,
    /// Running; `answers` when its status answered on its port.
    Running { answers: bool },
    /// Asked to stop, on its way out.
    Stopping,
}

/// What to do about a notebook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fix {
    /// Its phase is right.
    Keep,
    /// Store this phase.
    Phase(Phase),
    /// It should run and nothing runs: start it.
    Start,
    /// It was stopped and still runs: stop it.
    Stop,
}

/// Decides from the stored notebook and its server alone.
pub(super) fn decide(stopped: bool, phase: Phase, server: Server) -> Fix {
    use Phase::*;
    match (stopped, server) {
        (true, Server::Running { .. }) => Fix::Stop,
        (true, Server::Stopping) if phase != Terminating => Fix::Phase(Terminating),
        (true, Server::Absent) if matches!(phase, Waiting | Ready | Warning | Terminating) => Fix::Phase(Stopped),
        // Nothing runs though it should (and it did not fail): start it.
        (false, Server::Absent) if matches!(phase, Waiting | Ready | Warning | Terminating | Stopped) => Fix::Start,
        (false, Server::Running { answers: true }) if matches!(phase, Waiting | Stopped | Terminating) => {
            Fix::Phase(Ready)
        }
        _ => Fix::Keep,
    }
}

/// How often phases are checked against the servers.
pub const RECONCILE_PERIOD: std::time::Duration = std::time::Duration::from_secs(10);

impl NotebookManager {
    /// Brings back the notebooks that should run, then reconciles their
    /// phases every [`RECONCILE_PERIOD`] until `shutdown`.
    pub async fn keep_phases_true(self, shutdown: tokio_util::sync::CancellationToken) {
        if let Err(e) = self.resume_all().await {
            tracing::error!(error = %e, "cannot restart notebooks");
        }
        loop {
            if let Err(e) = self.reconcile().await {
                tracing::warn!(error = %e, "cannot reconcile notebook phases");
            }
            tokio::select! {
                () = tokio::time::sleep(RECONCILE_PERIOD) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Corrects every notebook's phase from its server; how many it fixed.
    pub async fn reconcile(&self) -> Result<usize> {
        let mut fixed = 0;
        for notebook in self.engine.all_notebooks().await? {
            let key = (notebook.namespace.clone(), notebook.name.clone());
            let tracked = self.running.lock().await.get(&key).map(|r| (r.stopping, r.port, r.generation));
            let server = match tracked {
                None => Server::Absent,
                Some((true, _, _)) => Server::Stopping,
                Some((false, port, _)) => {
                    let answers = match port {
                        Some(port) => self.answers(port, &notebook).await,
                        None => false,
                    };
                    Server::Running { answers }
                }
            };
            let fix = decide(notebook.stopped, notebook.phase, server);
            if fix == Fix::Keep {
                continue;
            }
            tracing::warn!(namespace = %key.0, notebook = %key.1, phase = notebook.phase.as_str(), ?server, ?fix, "notebook phase drifted; correcting it");
            fixed += 1;
            self.apply(&notebook, fix, tracked).await;
        }
        Ok(fixed)
    }

    async fn apply(&self, notebook: &Notebook, fix: Fix, tracked: Option<(bool, Option<u16>, u64)>) {
        let key = (notebook.namespace.clone(), notebook.name.clone());
        match fix {
            Fix::Keep => {}
            Fix::Start => self.start(notebook.clone()).await,
            Fix::Stop => self.stop(&key.0, &key.1, None).await,
            Fix::Phase(Phase::Ready) => {
                if let Some((_, Some(port), generation)) = tracked {
                    self.mark_ready(&key, generation, port).await;
                }
            }
            Fix::Phase(phase) => {
                let running = self.running.lock().await;
                // Only if nothing changed since it was looked at.
                if running.get(&key).map(|r| (r.stopping, r.port, r.generation)) == tracked {
                    self.write_phase(&key, phase, "", None).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Phase::*;

    #[test]
    fn drifted_phases_are_corrected_from_the_server() {
        let running = Server::Running { answers: true };
        let starting = Server::Running { answers: false };
        // (stopped, stored phase, server) -> fix
        let table = [
            (false, Waiting, running, Fix::Phase(Ready)),
            (false, Waiting, starting, Fix::Keep),
            (false, Ready, running, Fix::Keep),
            (false, Ready, Server::Absent, Fix::Start),
            (false, Terminating, Server::Absent, Fix::Start),
            (false, Error, Server::Absent, Fix::Keep),
            (false, Unavailable, Server::Absent, Fix::Keep),
            (true, Terminating, Server::Absent, Fix::Phase(Stopped)),
            (true, Ready, Server::Absent, Fix::Phase(Stopped)),
            (true, Stopped, Server::Absent, Fix::Keep),
            (true, Error, Server::Absent, Fix::Keep),
            (true, Terminating, Server::Stopping, Fix::Keep),
            (true, Ready, Server::Stopping, Fix::Phase(Terminating)),
            (true, Ready, running, Fix::Stop),
        ];
        for (stopped, phase, server, fix) in table {
            assert_eq!(decide(stopped, phase, server), fix, "stopped={stopped} {phase:?} {server:?}");
        }
    }
}
