//! Who holds each process: the notebook or run attempt that launched it,
//! with what it asked for. The backend registers a process when it starts
//! and forgets it when it ends; samplers attribute usage by process tree.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use serde::{Deserialize, Serialize};

/// What holds a process.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Owner {
    /// Its namespace.
    pub namespace: String,
    /// `notebook` or `run`.
    pub kind: OwnerKind,
    /// The notebook's name, or the run's id.
    pub name: String,
    /// For a run: the task attempt.
    pub detail: String,
}

/// The kind of thing holding resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnerKind {
    /// A notebook server.
    Notebook,
    /// A pipeline run's task attempt.
    Run,
}

impl OwnerKind {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Notebook => "notebook",
            OwnerKind::Run => "run",
        }
    }
}

/// What an owner asked of the ledger.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// CPU in thousandths of a core.
    pub cpu_milli: u64,
    /// Memory in bytes.
    pub memory_bytes: u64,
    /// GPU indices handed to it.
    pub gpus: Vec<u32>,
}

/// A process's owner and allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    /// Who.
    pub owner: Owner,
    /// What it was given.
    pub allocation: Allocation,
}

/// The registry, shared by the backend (writes) and the samplers (reads).
#[derive(Clone, Debug, Default)]
pub struct ProcessOwners {
    by_pid: Arc<Mutex<HashMap<u32, Holding>>>,
}

impl ProcessOwners {
    /// Records that `pid` (the root of a process tree) belongs to `holding`.
    pub fn register(&self, pid: u32, holding: Holding) {
        self.by_pid.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(pid, holding);
    }

    /// Forgets `pid`.
    pub fn forget(&self, pid: u32) {
        self.by_pid.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&pid);
    }

    /// The registered roots now.
    pub fn snapshot(&self) -> Vec<(u32, Holding)> {
        let by_pid = self.by_pid.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        by_pid.iter().map(|(pid, h)| (*pid, h.clone())).collect()
    }
}
