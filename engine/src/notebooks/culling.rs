//! Idle culling, as Kubeflow's notebook controller does it: a notebook
//! whose kernels are all idle and whose server saw no activity for the
//! configured time is stopped (its volumes stay). Activity comes from
//! Jupyter itself: `/api/status` (`last_activity`, which counts API use,
//! kernels and terminals) and `/api/kernels` (a busy kernel is never idle,
//! however long its cell has been quiet).
//!
//! GPUs weigh in when the notebook holds some: GPUs in use count as
//! activity (work started in the background keeps its notebook), and with
//! `gpu_idle_after` a notebook whose GPUs have sat idle that long is
//! stopped even while its tab keeps Jupyter's activity fresh, so expensive
//! GPUs go back to the pool.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::metrics::{Snapshot, owners::OwnerKind};

/// When and how notebooks are culled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CullPolicy {
    /// Stop a notebook idle this long; never when `None`.
    pub idle_after: Option<Duration>,
    /// Stop a notebook whose GPUs were idle this long, however recent its
    /// other activity (no busy kernel still); never when `None`.
    pub gpu_idle_after: Option<Duration>,
    /// How often activity is read.
    pub period: Duration,
}

impl Default for CullPolicy {
    fn default() -> Self {
        Self { idle_after: None, gpu_idle_after: None, period: Duration::from_secs(60) }
    }
}

/// What a Jupyter server says about its use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    /// The latest activity on the server, if it reported one.
    pub last_activity: Option<DateTime<Utc>>,
    /// Kernels running a cell now.
    pub busy_kernels: usize,
}

#[derive(Deserialize)]
struct Status {
    last_activity: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Kernel {
    execution_state: Option<String>,
    last_activity: Option<DateTime<Utc>>,
}

impl Activity {
    /// Reads the bodies of `/api/status` and `/api/kernels`; a body that
    /// cannot be read is an error naming it.
    pub fn from_jupyter(status: &str, kernels: &str) -> Result<Self, String> {
        let status: Status = serde_json::from_str(status).map_err(|e| format!("/api/status: {e}"))?;
        let kernels: Vec<Kernel> = serde_json::from_str(kernels).map_err(|e| format!("/api/kernels: {e}"))?;
        let busy_kernels = kernels.iter().filter(|k| k.execution_state.as_deref() == Some("busy")).count();
        let last_activity = kernels.iter().filter_map(|k| k.last_activity).chain(status.last_activity).max();
        Ok(Self { last_activity, busy_kernels })
    }
}

/// The GPUs a notebook holds, as the utilization samples see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldGpus {
    /// It holds none (or nothing was sampled yet).
    None,
    /// In use now.
    Busy,
    /// Below the idle threshold since then.
    IdleSince(DateTime<Utc>),
}

impl HeldGpus {
    /// The GPUs notebook `name` of `namespace` holds, as `sample` saw them.
    pub fn of(sample: Option<&Snapshot>, namespace: &str, name: &str) -> Self {
        let usage = sample.and_then(|s| s.usage_of(OwnerKind::Notebook, namespace, name).next());
        match usage {
            Some(u) if !u.allocation.gpus.is_empty() => u.gpus_idle_since.map_or(Self::Busy, Self::IdleSince),
            _ => Self::None,
        }
    }
}

/// Whether a notebook with `activity` and `gpus` is to be culled at `now`,
/// and why.
pub fn cull_reason(policy: &CullPolicy, activity: &Activity, gpus: HeldGpus, now: DateTime<Utc>) -> Option<String> {
    if activity.busy_kernels > 0 {
        return None;
    }
    if let (Some(limit), HeldGpus::IdleSince(since)) = (policy.gpu_idle_after, gpus) {
        let idle = (now - since).to_std().unwrap_or_default();
        if idle >= limit {
            return Some(format!("stopped after {} s holding idle GPUs (GPU idle culling)", idle.as_secs()));
        }
    }
    let idle_after = policy.idle_after?;
    if gpus == HeldGpus::Busy {
        return None;
    }
    let idle = (now - activity.last_activity?).to_std().ok()?;
    (idle >= idle_after).then(|| format!("stopped after {} s without activity (idle culling)", idle.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn policy(minutes: u64) -> CullPolicy {
        CullPolicy {
            idle_after: Some(Duration::from_secs(minutes * 60)),
            gpu_idle_after: None,
            period: Duration::from_secs(60),
        }
    }

    #[test]
    fn the_latest_of_server_and_kernel_activity_counts() {
        let activity = Activity::from_jupyter(
            r#"{"started":"2026-11-30T10:00:00Z","last_activity":"2026-11-30T10:05:00Z","connections":0,"kernels":2}"#,
            r#"[{"id":"a","execution_state":"idle","last_activity":"2026-11-30T10:20:00.123Z"},
                {"id":"b","execution_state":"busy","last_activity":"2026-11-30T10:10:00Z"}]"#,
        )
        .unwrap();
        assert_eq!(activity, Activity { last_activity: Some(at("2026-11-30T10:20:00.123Z")), busy_kernels: 1 });
    }

    #[test]
    fn idle_past_the_limit_is_culled_with_the_reason() {
        let activity = Activity { last_activity: Some(at("2026-11-30T10:00:00Z")), busy_kernels: 0 };
        assert_eq!(cull_reason(&policy(30), &activity, HeldGpus::None, at("2026-11-30T10:29:59Z")), None);
        let reason = cull_reason(&policy(30), &activity, HeldGpus::None, at("2026-11-30T10:30:00Z")).unwrap();
        assert!(reason.contains("1800 s without activity"), "{reason}");
    }

    #[test]
    fn a_busy_kernel_is_never_idle() {
        let activity = Activity { last_activity: Some(at("2026-11-01T00:00:00Z")), busy_kernels: 1 };
        assert_eq!(cull_reason(&policy(30), &activity, HeldGpus::None, at("2026-11-30T10:00:00Z")), None);
    }

    #[test]
    fn culling_off_or_no_activity_reported_culls_nothing() {
        let old = Activity { last_activity: Some(at("2026-11-01T00:00:00Z")), busy_kernels: 0 };
        assert_eq!(cull_reason(&CullPolicy::default(), &old, HeldGpus::None, at("2026-11-30T10:00:00Z")), None);
        let unknown = Activity { last_activity: None, busy_kernels: 0 };
        assert_eq!(cull_reason(&policy(1), &unknown, HeldGpus::None, at("2026-11-30T10:00:00Z")), None);
    }

    #[test]
    fn unreadable_answers_name_the_endpoint() {
        assert!(Activity::from_jupyter("{}", "nope").unwrap_err().starts_with("/api/kernels"));
        assert!(Activity::from_jupyter("[", "[]").unwrap_err().starts_with("/api/status"));
    }

    #[test]
    fn gpus_in_use_count_as_activity() {
        let quiet = Activity { last_activity: Some(at("2026-11-30T08:00:00Z")), busy_kernels: 0 };
        let now = at("2026-11-30T10:00:00Z");
        assert_eq!(cull_reason(&policy(30), &quiet, HeldGpus::Busy, now), None, "background GPU work keeps it");
        assert!(cull_reason(&policy(30), &quiet, HeldGpus::IdleSince(at("2026-11-30T09:59:00Z")), now).is_some());
    }

    #[test]
    fn gpus_idle_past_their_limit_are_freed_even_with_fresh_activity() {
        let gpu_policy = CullPolicy { gpu_idle_after: Some(Duration::from_secs(600)), ..CullPolicy::default() };
        let fresh = Activity { last_activity: Some(at("2026-11-30T09:59:59Z")), busy_kernels: 0 };
        let now = at("2026-11-30T10:00:00Z");
        assert_eq!(cull_reason(&gpu_policy, &fresh, HeldGpus::IdleSince(at("2026-11-30T09:50:01Z")), now), None);
        let reason = cull_reason(&gpu_policy, &fresh, HeldGpus::IdleSince(at("2026-11-30T09:50:00Z")), now).unwrap();
        assert!(reason.contains("600 s holding idle GPUs"), "{reason}");
        assert_eq!(cull_reason(&gpu_policy, &fresh, HeldGpus::None, now), None, "no GPUs held: only idle culling");
        let busy_kernel = Activity { busy_kernels: 1, ..fresh };
        let old_idle = HeldGpus::IdleSince(at("2026-11-29T00:00:00Z"));
        assert_eq!(cull_reason(&gpu_policy, &busy_kernel, old_idle, now), None, "a running cell is never stopped");
    }

    #[test]
    fn held_gpus_are_read_from_the_notebooks_latest_usage() {
        use crate::metrics::{
            OwnerUsage,
            owners::{Allocation, Owner},
        };
        let since = at("2026-11-30T09:00:00Z");
        let usage = |name: &str, gpus: Vec<u32>, idle: Option<DateTime<Utc>>| OwnerUsage {
            owner: Owner {
                namespace: "team".into(),
                kind: OwnerKind::Notebook,
                name: name.into(),
                detail: String::new(),
            },
            allocation: Allocation { cpu_milli: 500, memory_bytes: 1 << 30, gpus },
            cores: 0.1,
            memory_bytes: 1 << 28,
            gpu_memory_bytes: 0,
            gpu_util_percent: 0.0,
            gpus_idle_since: idle,
        };
        let sample = Snapshot {
            owners: vec![usage("idle", vec![0], Some(since)), usage("busy", vec![1], None), usage("cpu", vec![], None)],
            ..Snapshot::default()
        };
        assert_eq!(HeldGpus::of(Some(&sample), "team", "idle"), HeldGpus::IdleSince(since));
        assert_eq!(HeldGpus::of(Some(&sample), "team", "busy"), HeldGpus::Busy);
        assert_eq!(HeldGpus::of(Some(&sample), "team", "cpu"), HeldGpus::None);
        assert_eq!(HeldGpus::of(Some(&sample), "other", "idle"), HeldGpus::None, "namespaces kept apart");
        assert_eq!(HeldGpus::of(None, "team", "idle"), HeldGpus::None, "nothing sampled yet");
    }
}
