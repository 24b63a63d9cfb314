//! The recurring part of the create-run form: what it sends turned into
//! the engine's schedule, and cron expressions described in words.

#[cfg(feature = "ssr")]
use super::api::ScheduleForm;
#[cfg(feature = "ssr")]
use crate::error::AppError;

/// Most runs of one recurring run going at once, as KFP allows.
pub const MAX_CONCURRENCY: u32 = 10;

/// A cron expression in words, e.g. `0 0 9 * * 1-5` as "At 09:00, Monday
/// through Friday (UTC)". Takes five fields, or six with seconds first as
/// KFP writes them; the error says what is wrong with the expression.
pub fn describe_cron(expression: &str) -> Result<String, String> {
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let options = cronspeak::Options::new().time_format(cronspeak::TimeFormat::H24);
    let (seconds, rest) = match fields.len() {
        6 => (Some(fields[0]), fields[1..].join(" ")),
        5 => (None, fields.join(" ")),
        n => {
            return Err(format!(
                "a schedule has 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds \
                 first; this one has {n}"
            ));
        }
    };
    let words = cronspeak::describe_with(&rest, &options).map_err(|e| e.to_string())?;
    Ok(match seconds {
        None | Some("0") => format!("{words} (UTC)"),
        // Every minute of every hour adds nothing to "every 2 seconds".
        Some(s) if rest == "* * * * *" => format!("{} (UTC)", describe_seconds(s)?),
        Some(s) => format!("{}; {} (UTC)", describe_seconds(s)?, lower_first(&words)),
    })
}

/// The seconds field of a six-field expression in words.
fn describe_seconds(field: &str) -> Result<String, String> {
    let second = |text: &str| text.parse::<u8>().ok().filter(|s| *s < 60);
    if field == "*" {
        return Ok("Every second".to_owned());
    }
    if let Some(step) = field.strip_prefix("*/").and_then(second) {
        return Ok(format!("Every {step} seconds"));
    }
    if field.split(',').all(|part| second(part).is_some()) {
        return Ok(format!("At second {field}"));
    }
    Err(format!("seconds field {field:?} is not *, */N or a list of seconds"))
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// An interval in words, e.g. 7200 seconds as "Every 2 hours".
#[cfg(feature = "ssr")]
pub fn describe_interval(seconds: u64) -> String {
    let (n, unit) = match seconds {
        s if s % 86_400 == 0 => (s / 86_400, "day"),
        s if s % 3_600 == 0 => (s / 3_600, "hour"),
        s if s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    if n == 1 { format!("Every {unit}") } else { format!("Every {n} {unit}s") }
}

/// The engine's schedule from the form, naming the field that is wrong.
#[cfg(feature = "ssr")]
pub fn parse(form: &ScheduleForm) -> Result<engine::recurring::Schedule, AppError> {
    use engine::recurring::{Schedule, Trigger};
    let trigger = match form.kind.as_str() {
        "cron" => {
            describe_cron(&form.cron).map_err(|e| AppError::Invalid(format!("cron {:?}: {e}", form.cron)))?;
            Trigger::Cron(form.cron.trim().to_owned())
        }
        "interval" => {
            let n: u64 = form.interval.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                AppError::Invalid(format!("interval {:?} is not a whole number above 0", form.interval))
            })?;
            let unit = match form.interval_unit.as_str() {
                "minutes" => 60,
                "hours" => 3_600,
                "days" => 86_400,
                other => {
                    return Err(AppError::Invalid(format!("interval unit {other:?} is not minutes, hours or days")));
                }
            };
            Trigger::Every(n.checked_mul(unit).ok_or_else(|| AppError::Invalid("interval is too large".to_owned()))?)
        }
        other => return Err(AppError::Invalid(format!("trigger {other:?} is not cron or interval"))),
    };
    let schedule = Schedule { trigger, start: time("start", &form.start)?, end: time("end", &form.end)? };
    schedule.check()?;
    Ok(schedule)
}

/// A `datetime-local` value read as UTC; empty is none.
#[cfg(feature = "ssr")]
fn time(field: &str, text: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    if text.is_empty() {
        return Ok(None);
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| AppError::Invalid(format!("{field} {text:?} is not a date and time (YYYY-MM-DDTHH:MM)")))
}

/// The form's max concurrency, 1 to [`MAX_CONCURRENCY`].
#[cfg(feature = "ssr")]
pub fn max_concurrency(text: &str) -> Result<i64, AppError> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=MAX_CONCURRENCY).contains(&n) => Ok(n.into()),
        _ => Err(AppError::Invalid(format!("max concurrency {text:?} is not a number from 1 to {MAX_CONCURRENCY}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_is_described_in_words_with_or_without_seconds() {
        assert_eq!(describe_cron("0 9 * * 1-5").unwrap(), "At 09:00, Monday through Friday (UTC)");
        assert_eq!(describe_cron("0 0 9 * * 1-5").unwrap(), "At 09:00, Monday through Friday (UTC)");
        assert_eq!(describe_cron("*/15 * * * *").unwrap(), "Every 15 minutes (UTC)");
        assert!(describe_cron("30 */15 * * * *").unwrap().starts_with("At second 30; every 15 minutes"));
        assert_eq!(describe_cron("*/5 * * * * *").unwrap(), "Every 5 seconds (UTC)");
    }

    #[test]
    fn bad_cron_is_refused_with_a_reason() {
        assert!(describe_cron("").is_err());
        let four = describe_cron("0 9 * *").unwrap_err();
        assert!(four.contains("5 fields") && four.contains("or 6 with seconds") && four.contains("has 4"), "{four}");
        assert!(describe_cron("0 0 0 9 * * 1").unwrap_err().contains("has 7"));
        assert!(describe_cron("61 * * * *").is_err());
        assert!(describe_cron("a b c").is_err());
        assert!(describe_cron("70 * * * * *").is_err());
    }

    #[test]
    #[cfg(feature = "ssr")]
    fn intervals_use_the_largest_whole_unit() {
        assert_eq!(describe_interval(60), "Every minute");
        assert_eq!(describe_interval(7_200), "Every 2 hours");
        assert_eq!(describe_interval(86_400 * 3), "Every 3 days");
        assert_eq!(describe_interval(90), "Every 90 seconds");
    }
}
