//! A sample's workloads added up per namespace: what each namespace uses
//! against what it was given, for the admin's view across namespaces.

use std::collections::BTreeMap;

use super::{OwnerUsage, Snapshot};

/// One namespace's running workloads, added up.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NamespaceUsage {
    /// Notebooks and run attempts running.
    pub workloads: usize,
    /// CPU used, in cores.
    pub cores: f64,
    /// CPU requested, in thousandths of a core.
    pub cpu_milli: u64,
    /// Memory used, bytes.
    pub memory_bytes: u64,
    /// Memory requested, bytes.
    pub memory_requested: u64,
    /// GPUs held.
    pub gpus: usize,
    /// Of those, GPUs held by workloads whose GPUs are idle.
    pub idle_gpus: usize,
}

impl NamespaceUsage {
    fn add(&mut self, usage: &OwnerUsage) {
        self.workloads += 1;
        self.cores += usage.cores;
        self.cpu_milli += usage.allocation.cpu_milli;
        self.memory_bytes += usage.memory_bytes;
        self.memory_requested += usage.allocation.memory_bytes;
        self.gpus += usage.allocation.gpus.len();
        if usage.gpus_idle_since.is_some() {
            self.idle_gpus += usage.allocation.gpus.len();
        }
    }
}

impl Snapshot {
    /// Each namespace with running workloads, by name.
    pub fn by_namespace(&self) -> BTreeMap<&str, NamespaceUsage> {
        let mut totals: BTreeMap<&str, NamespaceUsage> = BTreeMap::new();
        for usage in &self.owners {
            totals.entry(usage.owner.namespace.as_str()).or_default().add(usage);
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::owners::{Allocation, Owner, OwnerKind};

    fn usage(namespace: &str, name: &str, cores: f64, gpus: Vec<u32>, idle: bool) -> OwnerUsage {
        OwnerUsage {
            owner: Owner {
                namespace: namespace.into(),
                kind: OwnerKind::Run,
                name: name.into(),
                detail: String::new(),
            },
            allocation: Allocation { cpu_milli: 1_000, memory_bytes: 1 << 30, gpus },
            cores,
            memory_bytes: 512 << 20,
            gpu_memory_bytes: 0,
            gpu_util_percent: 0.0,
            gpus_idle_since: idle.then(chrono::Utc::now),
        }
    }

    #[test]
    fn workloads_add_up_per_namespace_with_idle_gpus_counted() {
        let snapshot = Snapshot {
            owners: vec![
                usage("team-a", "r1", 0.5, vec![0, 1], true),
                usage("team-a", "r2", 0.25, vec![2], false),
                usage("team-b", "r3", 1.0, vec![], false),
            ],
            ..Snapshot::default()
        };
        let totals = snapshot.by_namespace();
        assert_eq!(totals.keys().copied().collect::<Vec<_>>(), vec!["team-a", "team-b"]);
        let a = &totals["team-a"];
        assert_eq!((a.workloads, a.cores, a.cpu_milli), (2, 0.75, 2_000));
        assert_eq!((a.memory_bytes, a.memory_requested), (1 << 30, 2 << 30));
        assert_eq!((a.gpus, a.idle_gpus), (3, 2), "only the idle holder's GPUs are idle");
        assert_eq!(totals["team-b"].gpus, 0);
    }
}
