//! The sync's own settings, read once per cold start.

use std::time::Duration;

use audit_records::{DEFAULT_MAX_RECORD_BYTES, OperationFilter};

use crate::env::table::{
    CONCURRENCY, DEADLINE_MARGIN_SECONDS, EVENT_RETENTION_DAYS, INITIAL_LOOKBACK_HOURS,
    LOCK_LEASE_SECONDS, MAX_RUN_SECONDS, OPERATIONS, OVERLAP_MINUTES, STATE_TABLE, SWEEP_HOURS,
    TABLE,
};
use crate::env::{ConfigError, Env};

/// How the sync runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The events table's name.
    pub events_table: String,
    /// The state table's name.
    pub state_table: String,
    /// The operations kept.
    pub filter: OperationFilter,
    /// Blobs fetched and stored at once.
    pub concurrency: usize,
    /// Where the first run starts, before any watermark exists.
    pub initial_lookback: time::Duration,
    /// How far before the watermark every run lists again, for blobs that became visible late.
    pub overlap: time::Duration,
    /// How long event items are kept after their `CreationTime`; `None`: for good.
    pub event_retention: Option<time::Duration>,
    /// A scheduled run also sweeps when the last sweep is this old; `None`: never.
    pub sweep_every: Option<time::Duration>,
    /// Stop taking new blobs after this long (command-line runs; Lambda has its own deadline).
    pub max_run: Option<Duration>,
    /// Stop taking new blobs this long before Lambda's deadline.
    pub deadline_margin: Duration,
    /// The run lock's lease; renewed while the run lives, so a crashed run frees it this fast.
    pub lock_lease: Duration,
    /// Records larger than this are rejected, not buffered.
    pub max_record_bytes: usize,
}

impl Settings {
    /// From the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::read(&Env::process())
    }

    /// From any variable source; tests pass a map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        Settings::read(&Env::new(lookup))
    }

    /// Reads and checks the sync's variables.
    pub fn read(env: &Env) -> Result<Settings, ConfigError> {
        let filter = env.parsed(&OPERATIONS, OperationFilter::parse, |err| {
            format!(
                "a comma-separated list of operations such as LaunchPowerApp,DeletePowerApp, or * \
                 for every record ({err})"
            )
        })?;
        let seconds = |secs: u64| Duration::from_secs(secs);
        Ok(Settings {
            events_table: env.text_or_default(&TABLE).unwrap_or_default(),
            state_table: env.text_or_default(&STATE_TABLE).unwrap_or_default(),
            filter: filter.unwrap_or_default(),
            concurrency: env.number(&CONCURRENCY, 1..=256)? as usize,
            initial_lookback: time::Duration::hours(
                env.number(&INITIAL_LOOKBACK_HOURS, 1..=168)? as i64
            ),
            overlap: time::Duration::minutes(env.number(&OVERLAP_MINUTES, 0..=10_080)? as i64),
            event_retention: match env.number(&EVENT_RETENTION_DAYS, 0..=3_650)? {
                0 => None,
                days => Some(time::Duration::days(days as i64)),
            },
            sweep_every: match env.number(&SWEEP_HOURS, 0..=168)? {
                0 => None,
                hours => Some(time::Duration::hours(hours as i64)),
            },
            max_run: match env.number(&MAX_RUN_SECONDS, 0..=86_400)? {
                0 => None,
                secs => Some(seconds(secs)),
            },
            deadline_margin: seconds(env.number(&DEADLINE_MARGIN_SECONDS, 0..=600)?),
            lock_lease: seconds(env.number(&LOCK_LEASE_SECONDS, 2..=3_600)?),
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let s = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(s.concurrency, 16);
        assert_eq!(s.initial_lookback, time::Duration::hours(24));
        assert!(s.overlap >= time::Duration::minutes(120));
        assert_eq!(s.events_table, "audit-log-events");
        assert_eq!(s.state_table, "audit-log-state");
        assert_eq!(s.max_run, None);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            (INITIAL_LOOKBACK_HOURS.name, "169"),
            (CONCURRENCY.name, "0"),
            (OVERLAP_MINUTES.name, "ten"),
            (OPERATIONS.name, "Launch*"),
        ] {
            let err =
                Settings::from_lookup(|name| (name == var).then(|| value.to_string())).unwrap_err();
            assert!(err.to_string().starts_with(var), "{err}");
        }
    }
}
