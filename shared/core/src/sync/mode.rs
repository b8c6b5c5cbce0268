//! The sync's invocation event and what it asks for: the scheduled catch-up, a backfill of
//! exactly one range, or a sweep of the API's whole retention.

use serde::Deserialize;
use time::OffsetDateTime;

use crate::api::parse_api_time;

const EXPECTED: &str = r#"expected {} for a scheduled run, {"sweep": true} for a sweep, or {"start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z"} for a backfill"#;

/// What `audit-sync` is invoked with: `{}` (what the schedule sends) or
/// `{"start": "...", "end": "..."}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"an object: {} for a scheduled run, {"sweep": true} for a sweep, or {"start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z"} for a backfill; each may name a "tenant""#
)]
pub struct SyncEvent {
    /// The tenant to sync (what the fan-out sends); without it, the variables' tenant.
    pub tenant: Option<String>,
    /// A backfill's start, a UTC time or day.
    pub start: Option<String>,
    /// A backfill's end (excluded), a UTC time or day.
    pub end: Option<String>,
    /// `true`: list the API's whole retention and fetch only what the ledger lacks.
    pub sweep: Option<bool>,
}

/// An event that names an impossible backfill.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModeError {
    /// `start` or `end` is not a time.
    #[error("\"{field}\" is {value:?}, not a UTC time; {EXPECTED}")]
    NotATime {
        /// `start` or `end`.
        field: &'static str,
        /// What the event holds.
        value: String,
    },
    /// The range is empty or backwards.
    #[error("\"end\" must be after \"start\"")]
    EndNotAfterStart,
    /// Only one end of the range is given.
    #[error("give both \"start\" and \"end\", or neither; {EXPECTED}")]
    HalfRange,
    /// A sweep covers the whole retention; it takes no range.
    #[error("a sweep lists the whole 7 days: give \"sweep\": true without \"start\" or \"end\"")]
    SweepWithRange,
}

/// What a run does: the scheduled catch-up from the watermark, or a manual backfill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// From the watermark (less the overlap) to now.
    Scheduled,
    /// The API's whole retention (7 days) for every content type, fetching only what the
    /// ledger lacks, without touching the watermark: what brings in content published later
    /// than the overlap reaches.
    Sweep {
        /// Not before this (an automatic sweep reaches back only to where the sync began);
        /// `None`: the whole retention.
        since: Option<OffsetDateTime>,
    },
    /// Exactly `[start, end)`, without touching the watermark.
    Backfill {
        /// The first instant listed.
        start: OffsetDateTime,
        /// The end, excluded.
        end: OffsetDateTime,
    },
}

impl Mode {
    /// `scheduled`, `sweep` or `backfill`, as the run summary names it.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Scheduled => "scheduled",
            Mode::Sweep { .. } => "sweep",
            Mode::Backfill { .. } => "backfill",
        }
    }

    /// The run the event asks for.
    pub fn from_event(event: SyncEvent) -> Result<Mode, ModeError> {
        if event.sweep == Some(true) {
            if event.start.is_some() || event.end.is_some() {
                return Err(ModeError::SweepWithRange);
            }
            return Ok(Mode::Sweep { since: None });
        }
        match (event.start, event.end) {
            (None, None) => Ok(Mode::Scheduled),
            (Some(start), Some(end)) => {
                let (start, end) = (utc("start", &start)?, utc("end", &end)?);
                if end <= start {
                    return Err(ModeError::EndNotAfterStart);
                }
                Ok(Mode::Backfill { start, end })
            }
            _ => Err(ModeError::HalfRange),
        }
    }
}

/// A time as the API writes them, or a bare day meaning its midnight.
fn utc(field: &'static str, value: &str) -> Result<OffsetDateTime, ModeError> {
    parse_api_time(value)
        .or_else(|| parse_api_time(&format!("{value}T00:00:00")))
        .ok_or_else(|| ModeError::NotATime {
            field,
            value: value.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn event(start: Option<&str>, end: Option<&str>) -> SyncEvent {
        SyncEvent {
            tenant: None,
            start: start.map(str::to_string),
            end: end.map(str::to_string),
            sweep: None,
        }
    }

    #[test]
    fn a_sweep_is_asked_for_alone() {
        let sweep = |start: Option<&str>| SyncEvent {
            sweep: Some(true),
            ..event(start, None)
        };
        assert_eq!(
            Mode::from_event(sweep(None)).unwrap(),
            Mode::Sweep { since: None }
        );
        assert_eq!(
            Mode::from_event(sweep(Some("2026-11-20"))).unwrap_err(),
            ModeError::SweepWithRange
        );
        let not = SyncEvent {
            sweep: Some(false),
            ..SyncEvent::default()
        };
        assert_eq!(Mode::from_event(not).unwrap(), Mode::Scheduled);
    }

    #[test]
    fn an_empty_event_is_the_scheduled_run() {
        assert_eq!(
            Mode::from_event(SyncEvent::default()).unwrap(),
            Mode::Scheduled
        );
    }

    #[test]
    fn a_range_is_a_backfill_and_days_mean_midnight() {
        assert_eq!(
            Mode::from_event(event(Some("2026-11-20"), Some("2026-11-20T12:30:00Z"))).unwrap(),
            Mode::Backfill {
                start: datetime!(2026-11-20 00:00 UTC),
                end: datetime!(2026-11-20 12:30 UTC)
            }
        );
    }

    #[test]
    fn impossible_ranges_say_what_is_wrong() {
        assert_eq!(
            Mode::from_event(event(Some("2026-11-20"), None)),
            Err(ModeError::HalfRange)
        );
        assert_eq!(
            Mode::from_event(event(Some("x"), Some("y"))),
            Err(ModeError::NotATime {
                field: "start",
                value: "x".into()
            })
        );
        assert_eq!(
            Mode::from_event(event(Some("2026-11-21"), Some("2026-11-20"))),
            Err(ModeError::EndNotAfterStart)
        );
        let message = ModeError::HalfRange.to_string();
        assert!(
            message.contains(r#""start": "2026-11-20T00:00:00Z""#),
            "{message}"
        );
    }
}
