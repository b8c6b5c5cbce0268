//! The benchmark tenants: one hour of `Audit.General` content, generated deterministically by
//! the emulator, at 10 thousand, 100 thousand and 1 million records.

use o365_emulator::{ContentType, EmulatorConfig, GeneratorConfig};
use time::{Duration, OffsetDateTime, Time};

/// The operations the generator's Power Platform records carry; the rest is other workloads.
pub const POWER_PLATFORM_OPERATIONS: [&str; 6] = [
    "LaunchPowerApp",
    "PowerAppPermissionEdited",
    "DeletePowerApp",
    "CreateFlow",
    "EditFlow",
    "DeleteFlow",
];

/// The workloads of Power Platform records: what the sync keeps, and what the baseline and the
/// DynamoDB endpoint check for.
pub const POWER_PLATFORM_WORKLOADS: [&str; 4] = [
    "PowerPlatform",
    "PowerApps",
    "MicrosoftFlow",
    "PowerAutomate",
];

/// Records per ordinary blob: hundreds, uniformly drawn.
pub const RECORDS_PER_BLOB: (u32, u32) = (100, 900);

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TenantSize {
    pub name: &'static str,
    /// Blobs in the hour.
    pub blobs: u32,
    /// Of those, how many hold `large_records` records (tens of MB each).
    pub large_blobs: u32,
    pub large_records: u32,
    /// The share of records that are Power Platform events (what the sync keeps).
    pub power_platform_fraction: f64,
}

pub const SIZES: [TenantSize; 4] = [
    // 20 blobs of 100..900 records (a whole hour of this tenant is ~6 MB).
    TenantSize {
        name: "10k",
        blobs: 20,
        large_blobs: 0,
        large_records: 0,
        power_platform_fraction: 0.2,
    },
    // 120 ordinary blobs (~60k records) and 2 of 20,000 records (~12 MB each).
    TenantSize {
        name: "100k",
        blobs: 122,
        large_blobs: 2,
        large_records: 20_000,
        power_platform_fraction: 0.2,
    },
    // 1,440 ordinary blobs (~720k records) and 8 of 35,000 records (~21 MB each).
    TenantSize {
        name: "1M",
        blobs: 1_448,
        large_blobs: 8,
        large_records: 35_000,
        power_platform_fraction: 0.2,
    },
    // A Power Platform-heavy tenant: 600 blobs (~300k records), 80% of them kept.
    TenantSize {
        name: "300k-pp80",
        blobs: 600,
        large_blobs: 0,
        large_records: 0,
        power_platform_fraction: 0.8,
    },
];

impl TenantSize {
    pub fn parse(name: &str) -> Option<TenantSize> {
        SIZES
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
            .copied()
    }

    /// Parses `10k,100k,1M,300k-pp80`; an empty list means all of them, `none` none.
    pub fn parse_list(list: &str) -> Result<Vec<TenantSize>, String> {
        if list.trim().is_empty() {
            return Ok(SIZES.to_vec());
        }
        if list.trim().eq_ignore_ascii_case("none") {
            return Ok(Vec::new());
        }
        list.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                TenantSize::parse(s).ok_or_else(|| {
                    format!("unknown tenant size {s:?}: use 10k, 100k, 1M or 300k-pp80")
                })
            })
            .collect()
    }

    /// The emulator's tenant. Content lies in the hour before the anchor (see [`anchor`]), is
    /// all available (no late blobs), holds no duplicates or malformed records
    /// (so every kept record is one stored event), and `power_platform_fraction` of it is
    /// Power Platform events.
    /// Bodies are rendered once at start (`lazy: false`) unless `lazy`: rendering on demand
    /// would put the emulator's own JSON generation on the same two cores as the client
    /// being measured.
    pub fn emulator_config(&self, lazy: bool) -> EmulatorConfig {
        self.emulator_config_at(lazy, OffsetDateTime::now_utc())
    }

    pub fn emulator_config_at(&self, lazy: bool, now: OffsetDateTime) -> EmulatorConfig {
        EmulatorConfig {
            seed: 7,
            subscriptions_enabled: vec![ContentType::General],
            page_size: 100,
            generator: GeneratorConfig {
                anchor: Some(anchor(now)),
                hours_before: 1,
                hours_after: 0,
                content_types: vec![ContentType::General],
                apps: 500,
                users: 5_000,
                environments: 10,
                flows: 200,
                blobs_per_hour: self.blobs,
                records_per_blob_min: RECORDS_PER_BLOB.0,
                records_per_blob_max: RECORDS_PER_BLOB.1,
                large_blobs_per_hour: self.large_blobs,
                large_blob_records: self.large_records,
                power_platform_fraction: self.power_platform_fraction,
                duplicate_rate: 0.0,
                late_rate: 0.0,
                malformed_rate: 0.0,
                lazy,
                ..GeneratorConfig::default()
            },
            ..EmulatorConfig::default()
        }
    }
}

/// How far before its blob a record's `CreationTime` may lie (the generator's default).
const MAX_EVENT_LAG: Duration = Duration::hours(2);

/// The end of the tenant's hour: the last full hour before `now`, unless its records (the hour
/// plus their lag) would reach into the previous day; then midnight. So every run sees one UTC
/// day per app, and the DynamoDB figures do not depend on the time of day the benchmark runs.
/// Either way it lies at most three hours back, well inside what a first sync run lists.
pub fn anchor(now: OffsetDateTime) -> OffsetDateTime {
    let hour = now.replace_time(Time::from_hms(now.hour(), 0, 0).expect("a valid hour"));
    let midnight = now.replace_time(Time::MIDNIGHT);
    if hour - Duration::hours(1) - MAX_EVENT_LAG < midnight {
        midnight
    } else {
        hour
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(TenantSize::parse_list("").unwrap().len(), 4);
        let two = TenantSize::parse_list("10k, 100K").unwrap();
        assert_eq!(
            two.iter().map(|s| s.name).collect::<Vec<_>>(),
            ["10k", "100k"]
        );
        assert!(TenantSize::parse_list("10k,2M").is_err());
        assert!(TenantSize::parse_list("none").unwrap().is_empty());
    }

    #[test]
    fn the_hour_and_its_records_stay_in_one_day() {
        use time::macros::datetime;
        assert_eq!(
            anchor(datetime!(2026-11-25 14:37 UTC)),
            datetime!(2026-11-25 14:00 UTC)
        );
        assert_eq!(
            anchor(datetime!(2026-11-25 03:10 UTC)),
            datetime!(2026-11-25 03:00 UTC)
        );
        for early in [
            datetime!(2026-11-25 00:05 UTC),
            datetime!(2026-11-25 01:59 UTC),
            datetime!(2026-11-25 02:30 UTC),
        ] {
            assert_eq!(anchor(early), datetime!(2026-11-25 00:00 UTC));
        }
        let config = SIZES[0].emulator_config_at(false, datetime!(2026-11-25 01:30 UTC));
        assert_eq!(
            config.generator.anchor,
            Some(datetime!(2026-11-25 00:00 UTC))
        );
        assert_eq!(
            config.generator.max_event_lag_secs,
            MAX_EVENT_LAG.whole_seconds() as u64
        );
    }

    #[test]
    fn sizes_aim_at_their_record_counts() {
        let mean = u64::from(RECORDS_PER_BLOB.0 + RECORDS_PER_BLOB.1) / 2;
        for (size, target) in SIZES.iter().zip([10_000u64, 100_000, 1_000_000, 300_000]) {
            let ordinary = u64::from(size.blobs - size.large_blobs) * mean;
            let large = u64::from(size.large_blobs) * u64::from(size.large_records);
            let expected = ordinary + large;
            assert!(
                expected.abs_diff(target) * 20 <= target,
                "{}: {expected}",
                size.name
            );
        }
    }
}
