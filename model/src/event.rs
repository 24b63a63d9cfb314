//! Events: every committed state change, as the browser receives it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ResourceName;

/// A committed state change, numbered in commit order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the activity log; strictly increasing. SSE clients resume
    /// from it with `Last-Event-ID`.
    pub id: i64,
    /// Namespace the change happened in.
    pub namespace: ResourceName,
    /// When it was committed (UTC).
    pub at: DateTime<Utc>,
    /// Who made the change.
    pub actor: String,
    /// What changed.
    pub kind: EventKind,
}

/// What changed. New kinds are added as features land; the browser ignores
/// kinds it does not know (see [`EventKind::Unknown`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A namespace was created. Published in the new namespace and seen by
    /// everyone who may list namespaces, so namespace selectors update live.
    NamespaceCreated,
    /// A pipeline was uploaded.
    PipelineCreated {
        /// Its id.
        pipeline_id: String,
        /// Its display name.
        name: String,
    },
    /// A pipeline run started.
    RunStarted {
        /// The run's id.
        run_id: String,
        /// The run's name.
        name: String,
    },
    /// A pipeline run ended.
    RunFinished {
        /// The run's id.
        run_id: String,
        /// The run's name.
        name: String,
        /// Its final state, as KFP names it (`SUCCEEDED`, `FAILED`, ...).
        state: String,
    },
    /// A task of a run changed state. Transient: published live (with id 0)
    /// but not kept in the activity log, so a run of thousands of tasks does
    /// not flood it; a page that reconnects reloads the run instead.
    TaskUpdated {
        /// The run's id.
        run_id: String,
        /// The task's path in the run, e.g. `root/for-loop-2[0]/square`.
        path: String,
        /// Its new state (`RUNNING`, `SUCCEEDED`, `CACHED`, ...).
        state: String,
    },
    /// A notebook server was created, changed phase, or was deleted
    /// (`deleted`).
    NotebookChanged {
        /// The notebook's name.
        name: String,
        /// Its phase as Kubeflow's Jupyter web app names it (`ready`,
        /// `waiting`, `stopped`, `error`, ...), or `deleted`.
        phase: String,
    },
    /// A running attempt wrote more output. Transient like
    /// [`EventKind::TaskUpdated`]: a page showing that attempt's log reads
    /// on from where it was.
    LogGrew {
        /// The run's id; empty for a notebook server's log.
        run_id: String,
        /// The attempt's name, which names its logs.
        attempt: String,
    },
    /// Utilization was sampled (transient, for every namespace): charts
    /// read on.
    MetricsSampled,
    /// A kind this build does not know, sent by a newer server.
    #[serde(other)]
    Unknown,
}

impl Event {
    /// One line a person can read in an activity feed.
    pub fn summary(&self) -> String {
        match &self.kind {
            EventKind::NamespaceCreated => format!("Namespace {} created", self.namespace),
            EventKind::PipelineCreated { name, .. } => format!("Pipeline {name} uploaded"),
            EventKind::RunStarted { name, .. } => format!("Run {name} started"),
            EventKind::RunFinished { name, state, .. } => {
                format!("Run {name} finished: {}", state.to_lowercase())
            }
            EventKind::TaskUpdated { path, state, .. } => format!("Task {path}: {}", state.to_lowercase()),
            EventKind::LogGrew { attempt, .. } => format!("New output from {attempt}"),
            EventKind::NotebookChanged { name, phase } => format!("Notebook {name}: {phase}"),
            EventKind::MetricsSampled => "Utilization sampled".to_owned(),
            EventKind::Unknown => "Unrecognised change".to_owned(),
        }
    }

    /// Whether the event is live only: not in the activity log, not replayed.
    pub fn is_transient(&self) -> bool {
        self.id == 0
    }

    /// Whether subscribers watching other namespaces need this event too:
    /// changes to the set of namespaces concern every namespace selector,
    /// and utilization samples every chart.
    pub fn is_cluster_wide(&self) -> bool {
        matches!(self.kind, EventKind::NamespaceCreated | EventKind::MetricsSampled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kinds_from_a_newer_server_still_parse() {
        let json = r#"{"id":7,"namespace":"default","at":"2026-11-29T18:00:00Z","actor":"a","kind":{"type":"notebook_exploded"}}"#;
        let event: Event = serde_json::from_str(json).unwrap();
        assert_eq!(event.kind, EventKind::Unknown);
        assert_eq!(event.id, 7);
    }

    #[test]
    fn wire_format_is_tagged() {
        let event = Event {
            id: 1,
            namespace: ResourceName::parse("team-a").unwrap(),
            at: "2026-11-29T18:00:00Z".parse().unwrap(),
            actor: "local-user".into(),
            kind: EventKind::NamespaceCreated,
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["kind"]["type"], "namespace_created");
        assert_eq!(event.summary(), "Namespace team-a created");
        assert!(event.is_cluster_wide());
    }
}
