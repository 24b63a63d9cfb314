//! Recurring runs made from Argo `CronWorkflow`s: when they fire (several
//! schedules, read in a time zone) and what a fire does, decided without
//! I/O: skip it past `startingDeadlineSeconds`, skip it while a run goes
//! (`Forbid`), stop the running ones first (`Replace`), or just start (`Allow`).

use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::Cron;

use crate::spec::{ConcurrencyPolicy, CronSchedule};

/// What a due fire does.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Start a run.
    Fire,
    /// Stop the runs going, then start one.
    Replace,
    /// Start nothing for this time, and say why.
    Skip(&'static str),
}

/// The first fire time after `after` (or after `created` when nothing fired yet).
pub fn next(policy: &CronSchedule, after: Option<DateTime<Utc>>, created: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let from = after.unwrap_or(created);
    let zone = policy.timezone.as_deref().and_then(|z| chrono_tz::Tz::from_str(z).ok()).unwrap_or(chrono_tz::UTC);
    policy
        .crons
        .iter()
        .filter_map(|text| Cron::from_str(text).ok())
        .filter_map(|cron| cron.find_next_occurrence(&from.with_timezone(&zone), false).ok())
        .map(|t| t.with_timezone(&Utc))
        .min()
}

/// What the fire due at `at` does at `now`, with `going` of its runs running.
pub fn decide(policy: &CronSchedule, at: DateTime<Utc>, now: DateTime<Utc>, going: i64) -> Decision {
    if let Some(deadline) = policy.starting_deadline_seconds
        && (now - at).num_seconds() > deadline as i64
    {
        return Decision::Skip("missed by more than startingDeadlineSeconds");
    }
    match (policy.concurrency, going) {
        (_, 0) | (ConcurrencyPolicy::Allow, _) => Decision::Fire,
        (ConcurrencyPolicy::Forbid, _) => Decision::Skip("concurrencyPolicy Forbid: a run is still going"),
        (ConcurrencyPolicy::Replace, _) => Decision::Replace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn policy(concurrency: ConcurrencyPolicy) -> CronSchedule {
        CronSchedule {
            crons: vec!["0 2 * * *".into(), "30 14 * * 1-5".into()],
            timezone: Some("Europe/Paris".into()),
            concurrency,
            starting_deadline_seconds: Some(300),
            suspend: false,
            successful_history: 3,
            failed_history: 1,
        }
    }

    #[test]
    fn the_earliest_of_the_schedules_in_their_time_zone() {
        let p = policy(ConcurrencyPolicy::Allow);
        // Thursday 3 Dec 2026 10:00 UTC = 11:00 in Paris: next is 14:30 Paris = 13:30 UTC.
        assert_eq!(
            next(&p, Some(at("2026-12-03T10:00:00Z")), at("2026-01-01T00:00:00Z")),
            Some(at("2026-12-03T13:30:00Z"))
        );
        // After that, 02:00 Paris on Friday = 01:00 UTC.
        assert_eq!(
            next(&p, Some(at("2026-12-03T13:30:00Z")), at("2026-01-01T00:00:00Z")),
            Some(at("2026-12-04T01:00:00Z"))
        );
        // Summer time: 02:00 Paris is 00:00 UTC.
        assert_eq!(
            next(&p, Some(at("2026-07-01T12:45:00Z")), at("2026-01-01T00:00:00Z")),
            Some(at("2026-07-02T00:00:00Z"))
        );
    }

    #[test]
    fn deadlines_and_concurrency_policies() {
        let due = at("2026-12-03T13:30:00Z");
        let soon = at("2026-12-03T13:32:00Z");
        let late = at("2026-12-03T13:40:00Z");
        assert_eq!(
            decide(&policy(ConcurrencyPolicy::Allow), due, late, 0),
            Decision::Skip("missed by more than startingDeadlineSeconds")
        );
        assert_eq!(decide(&policy(ConcurrencyPolicy::Allow), due, soon, 2), Decision::Fire);
        assert_eq!(decide(&policy(ConcurrencyPolicy::Forbid), due, soon, 0), Decision::Fire);
        assert!(matches!(decide(&policy(ConcurrencyPolicy::Forbid), due, soon, 1), Decision::Skip(_)));
        assert_eq!(decide(&policy(ConcurrencyPolicy::Replace), due, soon, 1), Decision::Replace);
    }
}
