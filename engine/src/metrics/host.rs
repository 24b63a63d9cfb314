//! This host's CPU and memory, and the use of each registered process
//! tree (a notebook's server and its kernels, a step and its children),
//! from one long-lived `sysinfo` instance (CPU use is measured between
//! two refreshes).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// The host at one moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostReading {
    /// Busy share of all cores, 0-100.
    pub cpu_percent: f64,
    /// Logical cores.
    pub cores: usize,
    /// Memory in use, bytes.
    pub memory_used: u64,
    /// Memory in all, bytes.
    pub memory_total: u64,
}

/// One process tree's use.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TreeUsage {
    /// CPU in cores (1.0 = one core busy).
    pub cores: f64,
    /// Resident memory, bytes.
    pub memory_bytes: u64,
    /// Its processes.
    pub pids: Vec<u32>,
}

/// Samples the host; keep one for the life of the server.
pub struct HostSampler {
    system: System,
}

impl std::fmt::Debug for HostSampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostSampler")
    }
}

impl Default for HostSampler {
    fn default() -> Self {
        Self::new()
    }
}

impl HostSampler {
    /// A sampler; its first CPU figures are from its creation on.
    pub fn new() -> Self {
        let mut system = System::new();
        system.refresh_cpu_usage();
        Self { system }
    }

    /// The host now, and the use of the process tree under each of `roots`.
    pub fn sample(&mut self, roots: &[u32]) -> (HostReading, HashMap<u32, TreeUsage>) {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        let host = HostReading {
            cpu_percent: f64::from(self.system.global_cpu_usage()),
            cores: self.system.cpus().len(),
            memory_used: self.system.used_memory(),
            memory_total: self.system.total_memory(),
        };
        if roots.is_empty() {
            return (host, HashMap::new());
        }
        let kind = ProcessRefreshKind::nothing().with_cpu().with_memory();
        self.system.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
        let mut children: HashMap<Pid, Vec<Pid>> = HashMap::new();
        for (pid, process) in self.system.processes() {
            if let Some(parent) = process.parent() {
                children.entry(parent).or_default().push(*pid);
            }
        }
        let trees = roots
            .iter()
            .map(|root| {
                let mut usage = TreeUsage::default();
                let mut stack = vec![Pid::from_u32(*root)];
                while let Some(pid) = stack.pop() {
                    if let Some(process) = self.system.process(pid) {
                        usage.cores += f64::from(process.cpu_usage()) / 100.0;
                        usage.memory_bytes += process.memory();
                        usage.pids.push(pid.as_u32());
                    }
                    stack.extend(children.get(&pid).into_iter().flatten().copied());
                }
                (*root, usage)
            })
            .collect();
        (host, trees)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_child_is_counted_in_its_parents_tree() {
        // A shell (the root) whose child burns CPU and holds memory.
        let mut root = std::process::Command::new("sh")
            .args([
                "-c",
                "python3 -c 'x = bytearray(64 << 20); import time; t = time.time()\nwhile time.time() - t < 30: pass'",
            ])
            .spawn()
            .unwrap();
        let mut sampler = HostSampler::new();
        let pid = root.id();
        let mut seen = TreeUsage::default();
        for _ in 0..50 {
            std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL.max(std::time::Duration::from_millis(200)));
            let (host, trees) = sampler.sample(&[pid]);
            assert!(host.memory_total > 0 && host.cores > 0);
            seen = trees[&pid].clone();
            if seen.cores > 0.5 && seen.memory_bytes > 64 << 20 {
                break;
            }
        }
        let _ = std::process::Command::new("pkill").args(["-P", &pid.to_string()]).status();
        root.kill().unwrap();
        root.wait().unwrap();
        assert!(seen.pids.len() >= 2, "the child is part of the tree: {seen:?}");
        assert!(seen.cores > 0.5, "the child's busy loop is counted: {seen:?}");
        assert!(seen.memory_bytes > 64 << 20, "the child's 64 MiB are counted: {seen:?}");
    }
}
