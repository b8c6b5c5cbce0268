//! Everything measured at one tenant size: parsing alone (a), the real sync into the black hole
//! at concurrency 16 and 1 (b), the one-at-a-time baseline, the same with latency before each
//! blob, and the sync end to end into moto (c).

use o365_emulator::{Emulator, FaultKind, RandomFault, RandomFaults, TruthSummary};

use crate::BoxError;
use crate::dynamo::{DynamoServer, Mode};
use crate::env::{Env, aws_env, tenant_env, with};
use crate::harness::Harness;
use crate::options::Options;
use crate::results::{SizeResults, StageRun};
use crate::tenant::{POWER_PLATFORM_OPERATIONS, TenantSize};

pub async fn bench_size(size: TenantSize, options: &Options) -> Result<SizeResults, BoxError> {
    let started = std::time::Instant::now();
    let emulator = Emulator::start(size.emulator_config(options.lazy)).await?;
    let emulator_start_s = started.elapsed().as_secs_f64();
    let truth = emulator.truth_summary(true);
    let power_platform_records = power_platform_records(&truth);
    eprintln!(
        "   emulator ready in {emulator_start_s:.1} s: {} records in {} blobs, {} Power Platform",
        truth.records, truth.blobs_servable, power_platform_records
    );
    let api = tenant_env(&emulator);
    let black_hole = DynamoServer::start(Mode::BlackHole).await?;
    let bench = BlackHole::new(&emulator, &black_hole, &api);
    let parse_only = Harness {
        emulator: &emulator,
        dynamo: None,
        moto_pid: None,
    };

    let parse_typed = parse_only.run("parse-typed", api.clone()).await?;
    let parse_value = parse_only.run("parse-value", api.clone()).await?;
    let sync16 = bench.run("sync", &[]).await?;
    let sync1 = bench
        .run("sync", &[("AUDIT_LOGS_CONCURRENCY", "1")])
        .await?;
    let naive = bench.run("naive", &[]).await?;
    let latency = if options.latency_ms > 0 && options.latency_sizes.contains(&size) {
        Some(with_latency(&bench, &emulator, options.latency_ms).await?)
    } else {
        None
    };
    let moto = if options.moto_sizes.contains(&size) {
        Some(moto_stage(&emulator, &api).await?)
    } else {
        None
    };

    emulator.shutdown().await;
    Ok(SizeResults {
        size,
        emulator_start_s,
        records: truth.records as u64,
        power_platform_records,
        blobs: truth.blobs_servable as u64,
        parse_typed,
        parse_value,
        sync16,
        sync1,
        naive,
        latency,
        moto,
    })
}

/// The records the sync should keep: the generator's Power Platform operations.
fn power_platform_records(truth: &TruthSummary) -> u64 {
    POWER_PLATFORM_OPERATIONS
        .iter()
        .map(|op| truth.records_by_operation.get(*op).copied().unwrap_or(0) as u64)
        .sum()
}

/// Stages that write to the black hole, at concurrency 16 unless told otherwise.
struct BlackHole<'a> {
    harness: Harness<'a>,
    env: Env,
}

impl<'a> BlackHole<'a> {
    fn new(emulator: &'a Emulator, black_hole: &'a DynamoServer, api: &[(String, String)]) -> Self {
        BlackHole {
            harness: Harness {
                emulator,
                dynamo: Some(black_hole),
                moto_pid: None,
            },
            env: with(
                [
                    api.to_vec(),
                    aws_env(&black_hole.endpoint(), "events", "state"),
                ]
                .concat(),
                &[("AUDIT_LOGS_CONCURRENCY", "16")],
            ),
        }
    }

    async fn run(&self, stage: &str, extra: &[(&str, &str)]) -> Result<StageRun, BoxError> {
        self.harness.run(stage, with(self.env.clone(), extra)).await
    }
}

/// The sync and the baseline with `ms` before each blob's body, as a remote API has.
async fn with_latency(
    bench: &BlackHole<'_>,
    emulator: &Emulator,
    ms: u64,
) -> Result<(StageRun, StageRun), BoxError> {
    eprintln!("   with {ms} ms before each blob's body:");
    emulator.set_random_faults(RandomFaults {
        seed: 1,
        path_contains: Some("/audit/".to_string()),
        faults: vec![RandomFault {
            fault: FaultKind::Delay { ms },
            probability: 1.0,
        }],
    });
    let sync = bench.run("sync", &[]).await;
    let naive = bench.run("naive", &[]).await;
    emulator.clear_faults();
    Ok((sync?, naive?))
}

/// Stage (c): the real sync into moto's DynamoDB, through the counting endpoint.
async fn moto_stage(emulator: &Emulator, api: &[(String, String)]) -> Result<StageRun, BoxError> {
    let moto = integration_tests::Moto::start().await;
    let tables = integration_tests::create_tables(&moto).await;
    let proxy = DynamoServer::start(Mode::Forward(moto.endpoint.clone())).await?;
    let env = with(
        [
            api.to_vec(),
            aws_env(&proxy.endpoint(), &tables.events, &tables.state),
        ]
        .concat(),
        &[("AUDIT_LOGS_CONCURRENCY", "16")],
    );
    let harness = Harness {
        emulator,
        dynamo: Some(&proxy),
        moto_pid: crate::measure::child_pid("moto_server"),
    };
    let run = harness.run("sync", env).await;
    drop(proxy);
    drop(moto);
    run
}
