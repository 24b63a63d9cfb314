//! A `CronWorkflow`'s schedule fields, checked and named when wrong.

use std::str::FromStr;

use super::workflow::CronSpec;
use crate::spec::{ConcurrencyPolicy, CronSchedule, SpecError};

/// The checked schedule of `spec`.
pub fn check(spec: &CronSpec) -> Result<CronSchedule, SpecError> {
    let shape = |path: &str, message: String| SpecError::Shape { path: format!("spec.{path}"), message };
    let crons: Vec<(String, String)> = spec
        .schedule
        .iter()
        .map(|s| ("schedule".to_owned(), s.clone()))
        .chain(spec.schedules.iter().enumerate().map(|(i, s)| (format!("schedules[{i}]"), s.clone())))
        .collect();
    if crons.is_empty() {
        return Err(shape("schedule", "a CronWorkflow needs schedule or schedules".into()));
    }
    for (path, cron) in &crons {
        if cron.split_whitespace().count() != 5 && !cron.trim_start().starts_with('@') {
            return Err(shape(path, format!("{cron:?} is not a cron schedule of five fields")));
        }
        croner::Cron::from_str(cron).map_err(|e| shape(path, format!("{cron:?} is not a cron schedule: {e}")))?;
    }
    let timezone = spec.timezone.clone().filter(|t| !t.is_empty());
    if let Some(zone) = &timezone {
        chrono_tz::Tz::from_str(zone).map_err(|_| shape("timezone", format!("{zone:?} is not an IANA time zone")))?;
    }
    let concurrency = match spec.concurrency_policy.as_deref() {
        None | Some("" | "Allow") => ConcurrencyPolicy::Allow,
        Some("Forbid") => ConcurrencyPolicy::Forbid,
        Some("Replace") => ConcurrencyPolicy::Replace,
        Some(other) => {
            return Err(shape("concurrencyPolicy", format!("{other:?} is not one of Allow, Forbid, Replace")));
        }
    };
    Ok(CronSchedule {
        crons: crons.into_iter().map(|(_, c)| c).collect(),
        timezone,
        concurrency,
        starting_deadline_seconds: spec.starting_deadline_seconds,
        suspend: spec.suspend,
        successful_history: spec.successful_jobs_history_limit.unwrap_or(3),
        failed_history: spec.failed_jobs_history_limit.unwrap_or(1),
    })
}
