//! When a recurring run fires: a cron expression or a fixed interval,
//! between an optional start and end.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use croner::Cron;

use crate::{Error, Result};

/// How often a recurring run fires.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// A cron expression: five fields, or six with seconds first as KFP writes them.
    Cron(String),
    /// Every so many seconds from the start time.
    Every(u64),
}

/// A trigger with its window.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// How often.
    pub trigger: Trigger,
    /// Not before (and, for intervals, counted from) this time.
    pub start: Option<DateTime<Utc>>,
    /// Not after this time.
    pub end: Option<DateTime<Utc>>,
}

/// Shortest interval accepted, as KFP's (which counts in seconds too).
pub const MIN_INTERVAL_SECONDS: u64 = 1;

impl Schedule {
    /// Checks the trigger, naming what is wrong.
    pub fn check(&self) -> Result<()> {
        let invalid = |message: String| Error::InvalidRequest { message };
        match &self.trigger {
            Trigger::Cron(text) => {
                Cron::from_str(text).map_err(|e| invalid(format!("invalid cron_schedule.cron {text:?}: {e}")))?;
            }
            Trigger::Every(seconds) if *seconds < MIN_INTERVAL_SECONDS => {
                return Err(invalid("periodic_schedule.interval_second must be at least 1".to_owned()));
            }
            Trigger::Every(seconds) if *seconds > i64::MAX as u64 / 1000 => {
                return Err(invalid("periodic_schedule.interval_second is too large".to_owned()));
            }
            Trigger::Every(_) => {}
        }
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end < start
        {
            return Err(invalid("the trigger's end_time is before its start_time".to_owned()));
        }
        Ok(())
    }

    /// The first fire time after `after` (or from the start, or from
    /// `created`, when nothing fired yet), if one remains before the end.
    pub fn next(&self, after: Option<DateTime<Utc>>, created: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let anchor = self.start.unwrap_or(created);
        let next = match &self.trigger {
            Trigger::Cron(text) => {
                let cron = Cron::from_str(text).ok()?;
                match after {
                    Some(after) => cron.find_next_occurrence(&after.max(anchor), after < anchor).ok()?,
                    None => cron.find_next_occurrence(&anchor, self.start.is_some()).ok()?,
                }
            }
            Trigger::Every(seconds) => {
                let step = Duration::seconds(*seconds as i64);
                match after {
                    None => anchor + step,
                    Some(after) if after < anchor => anchor,
                    Some(after) => {
                        let steps = (after - anchor).num_seconds() / step.num_seconds() + 1;
                        anchor + step * steps as i32
                    }
                }
            }
        };
        match self.end {
            Some(end) if next > end => None,
            _ => Some(next),
        }
    }

    /// The newest fire time at or before `now`, after `after`: where a run
    /// that does not catch up resumes.
    pub fn latest_due(
        &self,
        after: Option<DateTime<Utc>>,
        created: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let first = self.next(after, created).filter(|t| *t <= now)?;
        let latest = match &self.trigger {
            Trigger::Every(seconds) => {
                let step = *seconds as i64;
                first + Duration::seconds((now - first).num_seconds() / step * step)
            }
            Trigger::Cron(text) => {
                let cron = Cron::from_str(text).ok()?;
                cron.find_previous_occurrence(&now, true).ok()?.max(first)
            }
        };
        Some(match self.end {
            Some(end) if latest > end => self.latest_before(end, first),
            _ => latest,
        })
    }

    fn latest_before(&self, end: DateTime<Utc>, first: DateTime<Utc>) -> DateTime<Utc> {
        match &self.trigger {
            Trigger::Every(seconds) => {
                let step = *seconds as i64;
                first + Duration::seconds((end - first).num_seconds() / step * step)
            }
            Trigger::Cron(text) => Cron::from_str(text)
                .ok()
                .and_then(|c| c.find_previous_occurrence(&end, true).ok())
                .map_or(first, |t| t.max(first)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn intervals_count_from_the_start() {
        let s = Schedule { trigger: Trigger::Every(60), start: Some(at("2026-01-01T00:00:00Z")), end: None };
        assert_eq!(s.next(None, at("2025-06-01T00:00:00Z")), Some(at("2026-01-01T00:01:00Z")));
        assert_eq!(
            s.next(Some(at("2026-01-01T00:01:00Z")), at("2025-06-01T00:00:00Z")),
            Some(at("2026-01-01T00:02:00Z"))
        );
        let latest =
            s.latest_due(Some(at("2026-01-01T00:01:00Z")), at("2025-06-01T00:00:00Z"), at("2026-01-01T00:10:30Z"));
        assert_eq!(latest, Some(at("2026-01-01T00:10:00Z")));
    }

    #[test]
    fn cron_with_seconds_and_an_end() {
        let s = Schedule {
            trigger: Trigger::Cron("0 */5 * * * *".into()),
            start: None,
            end: Some(at("2026-01-01T00:12:00Z")),
        };
        let created = at("2026-01-01T00:00:30Z");
        assert_eq!(s.next(None, created), Some(at("2026-01-01T00:05:00Z")));
        assert_eq!(s.next(Some(at("2026-01-01T00:10:00Z")), created), None);
        assert_eq!(s.latest_due(None, created, at("2026-01-01T01:00:00Z")), Some(at("2026-01-01T00:10:00Z")));
    }

    #[test]
    fn bad_triggers_are_named() {
        let bad = Schedule { trigger: Trigger::Cron("every tuesday".into()), start: None, end: None };
        assert!(bad.check().unwrap_err().to_string().contains("invalid cron_schedule.cron \"every tuesday\""));
        let zero = Schedule { trigger: Trigger::Every(0), start: None, end: None };
        assert!(zero.check().unwrap_err().to_string().contains("at least 1"));
    }
}
