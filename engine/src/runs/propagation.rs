//! Whether a task runs once its upstream tasks ended: KFP's trigger policy
//! and Argo's `dependencies`/`depends` rules, as pure decisions.
//!
//! Argo names two ways of not running: *Skipped* (its `when` was false),
//! which counts as done for the tasks after it, and *Omitted* (its
//! dependencies did not allow it), which does not. KFP runs a task only
//! after its upstream succeeded, unless its trigger policy is
//! `ALL_UPSTREAM_TASKS_COMPLETED` (exit handlers).

use std::collections::BTreeMap;

use super::{State, conditions};
use crate::spec::{Condition, Trigger};

/// How an upstream task ended, as the tasks after it see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Succeeded or reused a cached result.
    Succeeded,
    /// Failed (or its attempt was lost).
    Failed,
    /// Stopped with the run.
    Canceled,
    /// Not run because its own condition was false.
    Skipped,
    /// Not run because what came before it did not allow it.
    Omitted,
}

impl Ended {
    /// From a task's final state; `omitted` tells the two kinds of skipping apart.
    pub fn of(state: State, omitted: bool) -> Self {
        match state {
            State::Succeeded | State::Cached => Self::Succeeded,
            State::Canceled => Self::Canceled,
            State::Skipped if omitted => Self::Omitted,
            State::Skipped => Self::Skipped,
            State::Failed | State::Lost | State::Pending | State::Running => Self::Failed,
        }
    }
}

/// What the task does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Its own conditions decide next.
    Run,
    /// It is not run, for this reason; tasks after it see it as omitted.
    Omit(String),
}

/// Decides from the trigger and the upstream results alone.
pub fn decide(trigger: &Trigger, upstream: &BTreeMap<String, Ended>) -> Result<Decision, String> {
    let depends: Vec<&str> = trigger
        .conditions
        .iter()
        .filter_map(|c| match c {
            Condition::ArgoDepends(expression) => Some(expression.as_str()),
            _ => None,
        })
        .collect();
    if !depends.is_empty() {
        for expression in depends {
            if !conditions::depends(expression, upstream)? {
                return Ok(Decision::Omit(format!("depends {expression:?} was false")));
            }
        }
        return Ok(Decision::Run);
    }
    if trigger.after_failures {
        return Ok(Decision::Run);
    }
    let blocking = upstream.iter().find(|(_, e)| matches!(e, Ended::Failed | Ended::Canceled | Ended::Omitted));
    Ok(match blocking {
        Some((name, Ended::Omitted)) => Decision::Omit(format!("upstream task {name} did not run")),
        Some((name, _)) => Decision::Omit(format!("upstream task {name} did not succeed")),
        None => Decision::Run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(after_failures: bool, depends: Option<&str>) -> Trigger {
        Trigger {
            after_failures,
            conditions: depends.map(|d| Condition::ArgoDepends(d.to_owned())).into_iter().collect(),
        }
    }

    /// Every upstream outcome against every kind of trigger: `true` = runs.
    #[test]
    fn propagation_table() {
        use Ended::*;
        let outcomes = [Succeeded, Failed, Canceled, Skipped, Omitted];
        // (trigger, runs after each outcome in the order above)
        let table: [(&str, Trigger, [bool; 5]); 9] = [
            ("KFP/Argo dependencies", trigger(false, None), [true, false, false, true, false]),
            ("KFP ALL_UPSTREAM_TASKS_COMPLETED", trigger(true, None), [true, true, true, true, true]),
            ("depends: a", trigger(false, Some("a")), [true, false, false, true, false]),
            ("depends: a.Succeeded", trigger(false, Some("a.Succeeded")), [true, false, false, false, false]),
            ("depends: a.Failed", trigger(false, Some("a.Failed")), [false, true, false, false, false]),
            ("depends: a.Skipped", trigger(false, Some("a.Skipped")), [false, false, false, true, false]),
            ("depends: a.Omitted", trigger(false, Some("a.Omitted")), [false, false, false, false, true]),
            (
                "depends: a.Succeeded || a.Failed",
                trigger(false, Some("a.Succeeded || a.Failed")),
                [true, true, false, false, false],
            ),
            ("depends: !a.Failed", trigger(false, Some("!a.Failed")), [true, false, true, true, true]),
        ];
        for (what, trigger, expected) in table {
            for (outcome, runs) in outcomes.iter().zip(expected) {
                let upstream = [("a".to_owned(), *outcome)].into();
                let decision = decide(&trigger, &upstream).unwrap();
                assert_eq!(decision == Decision::Run, runs, "{what} after a {outcome:?}: {decision:?}");
            }
        }
    }

    #[test]
    fn the_first_blocking_upstream_is_named() {
        let upstream = [("a".to_owned(), Ended::Succeeded), ("b".to_owned(), Ended::Omitted)].into();
        assert_eq!(decide(&trigger(false, None), &upstream), Ok(Decision::Omit("upstream task b did not run".into())));
        let unknown = decide(&trigger(false, Some("z")), &upstream);
        assert!(unknown.unwrap_err().contains("unknown task \"z\""));
    }

    #[test]
    fn states_map_to_what_dependants_see() {
        assert_eq!(Ended::of(State::Cached, false), Ended::Succeeded);
        assert_eq!(Ended::of(State::Skipped, false), Ended::Skipped);
        assert_eq!(Ended::of(State::Skipped, true), Ended::Omitted);
        assert_eq!(Ended::of(State::Lost, false), Ended::Failed);
    }
}
