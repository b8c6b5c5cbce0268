//! Large tenants: a first run with a 168-hour lookback over a week of small blobs, at two
//! sizes a hundredfold apart, the steady hour of the larger one, and one app's hot day. Each
//! is one run of the real sync into the black-hole DynamoDB.

use o365_emulator::{ContentType, Emulator, EmulatorConfig, GeneratorConfig, HotAppDay};

use crate::BoxError;
use crate::dynamo::{DynamoServer, Mode};
use crate::env::{aws_env, tenant_env, with};
use crate::harness::Harness;
use crate::results::StageRun;
use crate::tenant::POWER_PLATFORM_OPERATIONS;

/// Hours of a catch-up's history: a week less the hour a first run's margin may cut.
const WEEK_HOURS: u32 = 167;

/// The sizes, from `BENCH_CATCHUP_BLOBS` (`3000,300000`), `BENCH_HOT_LAUNCHES` (1,000,000) and
/// `BENCH_HOT_USERS` (100,000); `BENCH_LARGE=0` skips the scenarios.
#[derive(Debug, Clone, PartialEq)]
pub struct LargeOptions {
    pub catch_up_blobs: Vec<u32>,
    pub hot_launches: u32,
    pub hot_users: u32,
}

/// One scenario's run and what the tenant held.
#[derive(Debug, Clone)]
pub struct LargeRun {
    pub name: String,
    pub blobs: u64,
    pub records: u64,
    pub power_platform_records: u64,
    pub run: StageRun,
}

pub async fn bench_large(options: &LargeOptions) -> Result<Vec<LargeRun>, BoxError> {
    let mut runs = Vec::new();
    for &blobs in &options.catch_up_blobs {
        let per_hour = (blobs / WEEK_HOURS).max(1);
        let name = format!(
            "catch-up, 168 h, {} blobs",
            crate::markdown::thousands(blobs.into())
        );
        runs.push(scenario(&name, week(per_hour, WEEK_HOURS), 168).await?);
    }
    if let Some(&largest) = options.catch_up_blobs.iter().max() {
        let per_hour = (largest / WEEK_HOURS).max(1);
        runs.push(scenario("steady hour of that tenant", week(per_hour, 1), 1).await?);
    }
    if options.hot_launches > 0 {
        let name = format!(
            "hot app-day, {} launches, {} users",
            crate::markdown::thousands(options.hot_launches.into()),
            crate::markdown::thousands(options.hot_users.into())
        );
        runs.push(scenario(&name, hot_day(options), 2).await?);
    }
    Ok(runs)
}

/// The emulator, the black hole and one run of the sync with `lookback_hours`.
async fn scenario(
    name: &str,
    config: EmulatorConfig,
    lookback_hours: u32,
) -> Result<LargeRun, BoxError> {
    eprintln!("== {name} ==");
    let emulator = Emulator::start(config).await?;
    let truth = emulator.truth_summary(true);
    let black_hole = DynamoServer::start(Mode::BlackHole).await?;
    let harness = Harness {
        emulator: &emulator,
        dynamo: Some(&black_hole),
        moto_pid: None,
    };
    let lookback = lookback_hours.to_string();
    let env = with(
        [
            tenant_env(&emulator),
            aws_env(&black_hole.endpoint(), "events", "state"),
        ]
        .concat(),
        &[
            ("AUDIT_LOGS_CONCURRENCY", "16"),
            ("AUDIT_LOGS_INITIAL_LOOKBACK_HOURS", &lookback),
        ],
    );
    let run = harness.run("sync", env).await?;
    emulator.shutdown().await;
    Ok(LargeRun {
        name: name.to_string(),
        blobs: truth.blobs_servable as u64,
        records: truth.records as u64,
        power_platform_records: POWER_PLATFORM_OPERATIONS
            .iter()
            .map(|op| truth.records_by_operation.get(*op).copied().unwrap_or(0) as u64)
            .sum(),
        run,
    })
}

/// `hours` of small blobs (1 to 20 records, 5% Power Platform) ending a minute ago, so that a
/// 168-hour lookback reaches the oldest; no late blobs, duplicates or malformed records, so
/// every kept record is one stored event.
fn week(blobs_per_hour: u32, hours: u32) -> EmulatorConfig {
    tenant(GeneratorConfig {
        hours_before: hours,
        blobs_per_hour,
        records_per_blob_min: 1,
        records_per_blob_max: 20,
        power_platform_fraction: 0.05,
        ..quiet()
    })
}

/// A quiet hour (20 blobs of 100 records) and the hot day's launches in blobs of 1,000, over
/// the hour before the anchor.
fn hot_day(options: &LargeOptions) -> EmulatorConfig {
    tenant(GeneratorConfig {
        hours_before: 1,
        blobs_per_hour: 20,
        records_per_blob_min: 100,
        records_per_blob_max: 100,
        hot_app: Some(HotAppDay {
            launches: options.hot_launches,
            users: options.hot_users,
            launches_per_blob: 1_000,
        }),
        ..quiet()
    })
}

fn quiet() -> GeneratorConfig {
    GeneratorConfig {
        anchor: Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)),
        content_types: vec![ContentType::General],
        apps: 500,
        users: 5_000,
        duplicate_rate: 0.0,
        late_rate: 0.0,
        malformed_rate: 0.0,
        lazy: true,
        ..GeneratorConfig::default()
    }
}

fn tenant(generator: GeneratorConfig) -> EmulatorConfig {
    EmulatorConfig {
        seed: 7,
        subscriptions_enabled: vec![ContentType::General],
        page_size: 100,
        generator,
        ..EmulatorConfig::default()
    }
}
