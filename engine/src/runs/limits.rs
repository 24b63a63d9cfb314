//! Bounds on what one run may grow to, whatever its spec says: a run that
//! fans out or recurses without end is failed with the limit named, before
//! it can take the server's memory or stack.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

/// The bounds, set by the operator (`max_tasks_per_run` and friends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunLimits {
    /// Tasks started in one run, loop iterations and nested DAGs included.
    pub max_tasks: usize,
    /// DAGs nested inside each other (a recursive Argo template counts
    /// each level).
    pub max_depth: usize,
    /// Items one loop may fan out over.
    pub max_loop_items: usize,
    /// Seconds a run may take from its start; no bound when `None`.
    pub max_run_seconds: Option<u64>,
}

impl Default for RunLimits {
    fn default() -> Self {
        Self { max_tasks: 10_000, max_depth: 64, max_loop_items: 10_000, max_run_seconds: None }
    }
}

/// What a run has used of its limits so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Usage {
    tasks: Arc<AtomicUsize>,
}

impl RunLimits {
    /// Counts a task about to start at `path`; why it may not, if so.
    pub(crate) fn admit(&self, usage: &Usage, path: &str) -> Result<(), String> {
        // The root component is the first segment; each nested DAG adds one.
        let depth = path.split('/').count().saturating_sub(1);
        if depth > self.max_depth {
            return Err(format!(
                "the task is nested {depth} deep; the limit is {} (max_nesting_depth)",
                self.max_depth
            ));
        }
        let started = usage.tasks.fetch_add(1, Ordering::Relaxed) + 1;
        if started > self.max_tasks {
            return Err(format!("the run reached its limit of {} tasks (max_tasks_per_run)", self.max_tasks));
        }
        Ok(())
    }

    /// Why a loop over `count` items may not start, if so.
    pub(crate) fn admit_loop(&self, count: usize) -> Result<(), String> {
        if count > self.max_loop_items {
            return Err(format!("the loop has {count} items; the limit is {} (max_loop_items)", self.max_loop_items));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_depth_and_loops_are_bounded() {
        let limits = RunLimits { max_tasks: 3, max_depth: 2, max_loop_items: 5, max_run_seconds: None };
        let usage = Usage::default();
        for _ in 0..3 {
            limits.admit(&usage, "root/a").unwrap();
        }
        assert_eq!(
            limits.admit(&usage, "root/a").unwrap_err(),
            "the run reached its limit of 3 tasks (max_tasks_per_run)"
        );
        let fresh = Usage::default();
        assert!(limits.admit(&fresh, "root/a/b").is_ok());
        assert!(limits.admit(&fresh, "root/a/b/c").unwrap_err().contains("nested 3 deep; the limit is 2"));
        assert!(limits.admit_loop(5).is_ok());
        assert!(limits.admit_loop(6).unwrap_err().contains("max_loop_items"));
    }
}
