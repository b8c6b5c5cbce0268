//! The sync's own settings and its input event.

use std::time::Duration;

use audit_records::{DEFAULT_MAX_RECORD_BYTES, OperationFilter};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;

use crate::api::parse_api_time;
use crate::config::ConfigError;
use crate::runtime::HandlerError;
use crate::store::{DEFAULT_STATE_TABLE, STATE_TABLE};

pub const OPERATIONS: &str = "AUDIT_LOGS_OPERATIONS";
pub const CONCURRENCY: &str = "AUDIT_LOGS_CONCURRENCY";
pub const INITIAL_LOOKBACK_HOURS: &str = "AUDIT_LOGS_INITIAL_LOOKBACK_HOURS";
pub const OVERLAP_MINUTES: &str = "AUDIT_LOGS_OVERLAP_MINUTES";
pub const MAX_RUN_SECONDS: &str = "AUDIT_LOGS_MAX_RUN_SECONDS";
pub const DEADLINE_MARGIN_SECONDS: &str = "AUDIT_LOGS_DEADLINE_MARGIN_SECONDS";
pub const LOCK_LEASE_SECONDS: &str = "AUDIT_LOGS_LOCK_LEASE_SECONDS";

#[derive(Debug, Clone)]
pub struct Settings {
    pub state_table: String,
    pub filter: OperationFilter,
    /// Blobs fetched and stored at once.
    pub concurrency: usize,
    /// Where the first run starts, before any watermark exists.
    pub initial_lookback: time::Duration,
    /// How far before the watermark every run lists again, for blobs that became visible late.
    pub overlap: time::Duration,
    /// Stop taking new blobs after this long (command-line runs; Lambda has its own deadline).
    pub max_run: Option<Duration>,
    /// Stop taking new blobs this long before Lambda's deadline.
    pub deadline_margin: Duration,
    /// The run lock's lease; renewed while the run lives, so a crashed run frees it this fast.
    pub lock_lease: Duration,
    pub max_record_bytes: usize,
}

impl Settings {
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let number =
            |var: &'static str, min: u64, max: u64, default: u64| -> Result<u64, ConfigError> {
                match get(var) {
                    None => Ok(default),
                    Some(value) => match value.parse::<u64>() {
                        Ok(n) if (min..=max).contains(&n) => Ok(n),
                        _ => Err(ConfigError::Invalid {
                            var,
                            value,
                            expected: format!("a whole number from {min} to {max}"),
                        }),
                    },
                }
            };
        let filter = match get(OPERATIONS) {
            None => OperationFilter::default(),
            Some(list) => OperationFilter::parse(&list).map_err(|err| ConfigError::Invalid {
                var: OPERATIONS,
                value: list.clone(),
                expected: format!(
                    "a comma-separated list of operations such as LaunchPowerApp,DeletePowerApp, or * for \
                     every record ({err})"
                ),
            })?,
        };
        Ok(Settings {
            state_table: get(STATE_TABLE).unwrap_or_else(|| DEFAULT_STATE_TABLE.to_string()),
            filter,
            concurrency: number(CONCURRENCY, 1, 256, 16)? as usize,
            initial_lookback: time::Duration::hours(
                number(INITIAL_LOOKBACK_HOURS, 1, 168, 24)? as i64
            ),
            overlap: time::Duration::minutes(number(OVERLAP_MINUTES, 0, 10_080, 720)? as i64),
            max_run: match number(MAX_RUN_SECONDS, 0, 86_400, 0)? {
                0 => None,
                secs => Some(Duration::from_secs(secs)),
            },
            deadline_margin: Duration::from_secs(number(DEADLINE_MARGIN_SECONDS, 0, 600, 60)?),
            lock_lease: Duration::from_secs(number(LOCK_LEASE_SECONDS, 2, 3_600, 60)?),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        })
    }
}

/// What a run does: the scheduled catch-up from the watermark, or a manual backfill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Scheduled,
    /// Exactly `[start, end)`, without touching the watermark.
    Backfill {
        start: OffsetDateTime,
        end: OffsetDateTime,
    },
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Scheduled => "scheduled",
            Mode::Backfill { .. } => "backfill",
        }
    }

    /// `{}` (what the schedule sends) or `{"start": "...", "end": "..."}`.
    pub fn parse(event: Value) -> Result<Mode, HandlerError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            start: Option<String>,
            end: Option<String>,
        }
        const EXPECTED: &str = r#"expected {} for a scheduled run or {"start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z"} for a backfill"#;
        let event = if event.is_null() {
            Value::Object(Default::default())
        } else {
            event
        };
        let raw: Raw = serde_json::from_value(event)
            .map_err(|err| HandlerError::input(format!("invalid event: {err}; {EXPECTED}")))?;
        let time = |name: &str, value: &str| {
            parse_api_time(value)
                .or_else(|| parse_api_time(&format!("{value}T00:00:00")))
                .ok_or_else(|| {
                    HandlerError::input(format!(
                        "\"{name}\" is {value:?}, not a UTC time; {EXPECTED}"
                    ))
                })
        };
        match (raw.start, raw.end) {
            (None, None) => Ok(Mode::Scheduled),
            (Some(start), Some(end)) => {
                let (start, end) = (time("start", &start)?, time("end", &end)?);
                if end <= start {
                    return Err(HandlerError::input("\"end\" must be after \"start\""));
                }
                Ok(Mode::Backfill { start, end })
            }
            _ => Err(HandlerError::input(format!(
                "give both \"start\" and \"end\", or neither; {EXPECTED}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::datetime;

    #[test]
    fn defaults() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(s.concurrency, 16);
        assert_eq!(s.initial_lookback, time::Duration::hours(24));
        assert!(s.overlap >= time::Duration::minutes(120));
        assert_eq!(s.state_table, "audit-log-state");
        assert_eq!(s.max_run, None);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            (INITIAL_LOOKBACK_HOURS, "169"),
            (CONCURRENCY, "0"),
            (OVERLAP_MINUTES, "ten"),
            (OPERATIONS, "Launch*"),
        ] {
            let err =
                Settings::from_lookup(|name| (name == var).then(|| value.to_string())).unwrap_err();
            assert!(err.to_string().starts_with(var), "{err}");
        }
    }

    #[test]
    fn events() {
        assert_eq!(Mode::parse(json!({})).unwrap(), Mode::Scheduled);
        assert_eq!(Mode::parse(Value::Null).unwrap(), Mode::Scheduled);
        assert_eq!(
            Mode::parse(json!({"start": "2026-11-20", "end": "2026-11-20T12:30:00Z"})).unwrap(),
            Mode::Backfill {
                start: datetime!(2026-11-20 00:00 UTC),
                end: datetime!(2026-11-20 12:30 UTC)
            }
        );
        for bad in [
            json!({"start": "2026-11-20"}),
            json!({"start": "x", "end": "y"}),
            json!({"start": "2026-11-21", "end": "2026-11-20"}),
            json!({"operation": "start"}),
            json!([1]),
        ] {
            assert_eq!(
                Mode::parse(bad.clone()).unwrap_err().error_type,
                "InputError",
                "{bad}"
            );
        }
    }
}
