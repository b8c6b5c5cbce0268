//! `audit-bench`: how fast the hourly sync gets through a large tenant's hour, how much memory
//! and DynamoDB it needs, and how quickly the functions start. `make bench` runs it in release
//! mode; the results are kept in BENCHMARKS.md.
//!
//! The orchestrating process hosts the emulated tenant (`tests/emulator`) and a counting
//! DynamoDB endpoint (`dynamo.rs`); every measured stage runs in a child process of its own
//! (`stages.rs`), whose peak RSS and CPU time come from `wait4`.
//!
//! Environment:
//!
//! | variable | default | |
//! |---|---|---|
//! | `BENCH_SIZES` | `10k,100k,1M` | tenant sizes |
//! | `BENCH_MOTO_SIZES` | `10k,100k` | sizes also synced end to end into moto (stage c) |
//! | `BENCH_LATENCY_MS` | `100` | time to first byte added to each blob fetch for the latency comparison; 0 skips it |
//! | `BENCH_LATENCY_SIZES` | `10k,100k` | sizes the latency comparison runs at |
//! | `BENCH_COLD_RUNS` | `15` | cold starts per function |
//! | `BENCH_LAZY` | unset | `1`: the emulator renders blob bodies on demand instead of once at start |
//! | `BENCH_OUT` | `target/bench/results.md` | where the Markdown report is written (it is printed too) |

mod cold;
mod dynamo;
mod markdown;
mod measure;
mod stages;
mod tenant;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use o365_emulator::{
    ContentType, Emulator, EmulatorConfig, FaultKind, GeneratorConfig, RandomFault, RandomFaults,
};
use serde_json::{Value, json};

use dynamo::{Counts, DynamoServer, Mode};
use measure::Usage;
use tenant::TenantSize;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "\
usage: audit-bench          run the benchmark (see `make bench`); settings from BENCH_* variables:
  BENCH_SIZES=10k,100k,1M  BENCH_MOTO_SIZES=10k,100k (or none)  BENCH_LATENCY_MS=100
  BENCH_LATENCY_SIZES=10k,100k  BENCH_COLD_RUNS=15  BENCH_LAZY=1  BENCH_OUT=target/bench/results.md
       audit-bench child STAGE   (internal) one measured stage
";

/// The operations the generator's Power Platform records carry; the rest is other workloads.
const POWER_PLATFORM_OPERATIONS: [&str; 6] = [
    "LaunchPowerApp",
    "PowerAppPermissionEdited",
    "DeletePowerApp",
    "CreateFlow",
    "EditFlow",
    "DeleteFlow",
];

#[derive(Debug, Clone)]
pub struct Options {
    pub sizes: Vec<TenantSize>,
    pub moto_sizes: Vec<TenantSize>,
    pub latency_ms: u64,
    pub latency_sizes: Vec<TenantSize>,
    pub cold_runs: usize,
    pub lazy: bool,
    pub out: PathBuf,
}

impl Options {
    fn from_env() -> Result<Options, String> {
        let var = |name: &str| std::env::var(name).ok();
        let sizes = |name: &str, default: &str| {
            TenantSize::parse_list(&var(name).unwrap_or_else(|| default.to_string()))
        };
        let number = |name: &str, default: u64| match var(name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| format!("{name}={v:?} is not a whole number")),
        };
        Ok(Options {
            sizes: sizes("BENCH_SIZES", "10k,100k,1M")?,
            moto_sizes: sizes("BENCH_MOTO_SIZES", "10k,100k")?,
            latency_ms: number("BENCH_LATENCY_MS", 100)?,
            latency_sizes: sizes("BENCH_LATENCY_SIZES", "10k,100k")?,
            cold_runs: number("BENCH_COLD_RUNS", 15)?.max(1) as usize,
            lazy: var("BENCH_LAZY").is_some_and(|v| v == "1" || v == "true"),
            out: PathBuf::from(
                var("BENCH_OUT").unwrap_or_else(|| "target/bench/results.md".to_string()),
            ),
        })
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("child") => return stages::child_main(&args[1..]),
        Some("-h" | "--help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprint!("unknown argument {other:?}\n{USAGE}");
            return ExitCode::FAILURE;
        }
        None => {}
    }
    let options = match Options::from_env() {
        Ok(options) => options,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(options.clone())) {
        Ok(text) => {
            println!("{text}");
            if let Some(dir) = options.out.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            match std::fs::write(&options.out, &text) {
                Ok(()) => eprintln!("written to {}", options.out.display()),
                Err(err) => eprintln!("could not write {}: {err}", options.out.display()),
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("audit-bench failed: {err}");
            ExitCode::FAILURE
        }
    }
}

/// One measured child process.
#[derive(Debug, Clone)]
pub struct StageRun {
    pub out: Value,
    pub usage: Usage,
    /// Token and API requests the emulator served.
    pub api_requests: u64,
    pub blob_requests: u64,
    pub dynamo: Option<Counts>,
    /// CPU this (orchestrating) process spent meanwhile: the emulator and the DynamoDB endpoint.
    pub harness_cpu_s: f64,
    /// moto's CPU time meanwhile (stage c).
    pub moto_cpu_s: Option<f64>,
}

impl StageRun {
    pub fn f(&self, pointer: &str) -> f64 {
        self.out
            .pointer(pointer)
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN)
    }

    pub fn u(&self, pointer: &str) -> u64 {
        self.out
            .pointer(pointer)
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }
}

/// Everything measured for one tenant size.
#[derive(Debug, Clone)]
pub struct SizeResults {
    pub size: TenantSize,
    pub emulator_start_s: f64,
    pub records: u64,
    pub power_platform_records: u64,
    pub blobs: u64,
    pub parse_typed: StageRun,
    pub parse_value: StageRun,
    pub sync16: StageRun,
    pub sync1: StageRun,
    pub naive: StageRun,
    pub latency: Option<(StageRun, StageRun)>,
    pub moto: Option<StageRun>,
}

#[derive(Debug, Clone)]
pub struct ColdResult {
    pub function: &'static str,
    pub invocation: String,
    pub runs: Vec<cold::ColdStart>,
    pub zip_bytes: Option<u64>,
    pub zip_built: Option<time::OffsetDateTime>,
    pub missing: Option<String>,
}

pub struct Context {
    pub started: time::OffsetDateTime,
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
    pub wall: Duration,
}

async fn run(options: Options) -> Result<String, BoxError> {
    let started = Instant::now();
    let context_started = time::OffsetDateTime::now_utc();
    let load_before = measure::load_average();
    let mut results = Vec::new();
    for size in &options.sizes {
        eprintln!("== tenant {} ==", size.name);
        results.push(bench_size(*size, &options).await?);
    }
    eprintln!("== cold start ==");
    let cold = cold_starts(options.cold_runs).await?;
    let context = Context {
        started: context_started,
        load_before,
        load_after: measure::load_average(),
        wall: started.elapsed(),
    };
    Ok(markdown::render(&options, &context, &results, &cold))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ lives in the repository")
        .to_path_buf()
}

fn tenant_env(emulator: &Emulator) -> Vec<(String, String)> {
    let base = emulator.base_url();
    [
        ("AUDIT_LOGS_TENANT_ID", emulator.tenant_id()),
        ("AUDIT_LOGS_CLIENT_ID", emulator.client_id()),
        ("AUDIT_LOGS_CLIENT_SECRET", emulator.client_secret()),
        ("AUDIT_LOGS_AUDIENCE", base.as_str()),
        ("AUDIT_LOGS_AUTHORITY", base.as_str()),
        ("AUDIT_LOGS_CONTENT_TYPES", "Audit.General"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn aws_env(endpoint: &str, events: &str, state: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AUDIT_LOGS_TABLE", events),
        ("AUDIT_LOGS_STATE_TABLE", state),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn with(mut env: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in extra {
        env.retain(|(key, _)| key != k);
        env.push((k.to_string(), v.to_string()));
    }
    env
}

/// Runs one stage in a child process and gathers what the harness saw meanwhile.
async fn run_stage(
    stage: &str,
    env: Vec<(String, String)>,
    emulator: &Emulator,
    dynamo: Option<&DynamoServer>,
    moto_pid: Option<u32>,
) -> Result<StageRun, BoxError> {
    emulator.reset_stats();
    if let Some(dynamo) = dynamo {
        dynamo.reset();
    }
    let harness_before = measure::process_cpu();
    let moto_before = moto_pid.and_then(proc_cpu);
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command
        .arg("child")
        .arg(stage)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env);
    let run = tokio::task::spawn_blocking(move || measure::run_child(command)).await??;
    if !run.success {
        return Err(format!("stage {stage} failed (its error is above)").into());
    }
    let out: Value = serde_json::from_str(run.stdout.trim())
        .map_err(|err| format!("stage {stage} printed no JSON ({err}): {}", run.stdout))?;
    let stats = emulator.stats();
    let moto_cpu_s = match (moto_before, moto_pid.and_then(proc_cpu)) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    let mut usage = run.usage;
    if let Some(peak) = out.get("peak_rss_mib").and_then(Value::as_f64) {
        usage.max_rss_mib = peak;
    }
    let result = StageRun {
        out,
        usage,
        api_requests: stats.requests_total,
        blob_requests: stats
            .requests_by_route
            .get("audit_blob")
            .copied()
            .unwrap_or(0),
        dynamo: dynamo.map(DynamoServer::counts),
        harness_cpu_s: (measure::process_cpu() - harness_before).as_secs_f64(),
        moto_cpu_s,
    };
    eprintln!(
        "   {stage:<12} wall {:>7.2} s  cpu {:>7.2} s  rss {:>7.1} MiB",
        result.usage.wall_s,
        result.usage.cpu_s(),
        result.usage.max_rss_mib
    );
    Ok(result)
}

async fn bench_size(size: TenantSize, options: &Options) -> Result<SizeResults, BoxError> {
    let started = Instant::now();
    let emulator = Emulator::start(size.emulator_config(options.lazy)).await?;
    let emulator_start_s = started.elapsed().as_secs_f64();
    let truth = emulator.truth_summary(true);
    let power_platform_records: u64 = POWER_PLATFORM_OPERATIONS
        .iter()
        .map(|op| truth.records_by_operation.get(*op).copied().unwrap_or(0) as u64)
        .sum();
    eprintln!(
        "   emulator ready in {emulator_start_s:.1} s: {} records in {} blobs, {} Power Platform",
        truth.records, truth.blobs_servable, power_platform_records
    );
    let api = tenant_env(&emulator);
    let black_hole = DynamoServer::start(Mode::BlackHole).await?;
    let black_hole_env = with(
        [
            api.clone(),
            aws_env(&black_hole.endpoint(), "events", "state"),
        ]
        .concat(),
        &[("AUDIT_LOGS_CONCURRENCY", "16")],
    );

    let parse_typed = run_stage("parse-typed", api.clone(), &emulator, None, None).await?;
    let parse_value = run_stage("parse-value", api.clone(), &emulator, None, None).await?;
    let sync16 = run_stage(
        "sync",
        black_hole_env.clone(),
        &emulator,
        Some(&black_hole),
        None,
    )
    .await?;
    let sync1 = run_stage(
        "sync",
        with(black_hole_env.clone(), &[("AUDIT_LOGS_CONCURRENCY", "1")]),
        &emulator,
        Some(&black_hole),
        None,
    )
    .await?;
    let naive = run_stage(
        "naive",
        black_hole_env.clone(),
        &emulator,
        Some(&black_hole),
        None,
    )
    .await?;

    let latency = if options.latency_ms > 0 && options.latency_sizes.contains(&size) {
        eprintln!("   with {} ms before each blob's body:", options.latency_ms);
        emulator.set_random_faults(RandomFaults {
            seed: 1,
            path_contains: Some("/audit/".to_string()),
            faults: vec![RandomFault {
                fault: FaultKind::Delay {
                    ms: options.latency_ms,
                },
                probability: 1.0,
            }],
        });
        let sync = run_stage(
            "sync",
            black_hole_env.clone(),
            &emulator,
            Some(&black_hole),
            None,
        )
        .await;
        let naive = run_stage(
            "naive",
            black_hole_env.clone(),
            &emulator,
            Some(&black_hole),
            None,
        )
        .await;
        emulator.clear_faults();
        Some((sync?, naive?))
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
    let pid = moto_pid();
    let run = run_stage("sync", env, emulator, Some(&proxy), pid).await;
    drop(proxy);
    drop(moto);
    run
}

/// moto_server, a child of this process.
fn moto_pid() -> Option<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let after_name = stat.rsplit_once(')')?.1;
        let ppid: u32 = after_name.split_whitespace().nth(1)?.parse().ok()?;
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).ok()?;
        (ppid == me && cmdline.contains("moto_server")).then_some(pid)
    })
}

/// User + system CPU seconds of a process, from /proc.
fn proc_cpu(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based) of the full line.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some((utime + stime) / ticks)
}

/// Cold starts of the three functions against an empty tenant and the black hole.
async fn cold_starts(runs: usize) -> Result<Vec<ColdResult>, BoxError> {
    let emulator = Emulator::start(EmulatorConfig {
        subscriptions_enabled: vec![ContentType::General],
        generator: GeneratorConfig {
            hours_before: 0,
            content_types: vec![ContentType::General],
            ..GeneratorConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await?;
    let black_hole = DynamoServer::start(Mode::BlackHole).await?;
    let runtime_api = cold::RuntimeApi::start().await?;
    let env = [
        tenant_env(&emulator),
        aws_env(&black_hole.endpoint(), "events", "state"),
    ]
    .concat();
    let bin_dir = std::env::current_exe()?
        .parent()
        .expect("the binary lives in a directory")
        .to_path_buf();
    let functions: [(&str, Value); 3] = [
        ("audit-subscription", json!({"operation": "list"})),
        ("audit-sync", json!({})),
        ("audit-report", json!({})),
    ];
    let mut results = Vec::new();
    for (function, event) in functions {
        let binary = bin_dir.join(function);
        let zip = repo_root()
            .join("target/lambda-arm64")
            .join(function)
            .join("bootstrap.zip");
        let zip_meta = std::fs::metadata(&zip).ok();
        let zip_bytes = zip_meta.as_ref().map(|m| m.len());
        let zip_built = zip_meta
            .and_then(|m| m.modified().ok())
            .map(time::OffsetDateTime::from);
        let mut result = ColdResult {
            function,
            invocation: event.to_string(),
            runs: Vec::new(),
            zip_bytes,
            zip_built,
            missing: None,
        };
        if !binary.exists() {
            result.missing = Some(format!(
                "{} is not built (`cargo build --release -p {function}`)",
                binary.display()
            ));
            results.push(result);
            continue;
        }
        // One unmeasured start first, so every measured one finds the binary in the page cache.
        let _ = runtime_api.cold_start(&binary, &env, &event).await;
        for _ in 0..runs {
            result
                .runs
                .push(runtime_api.cold_start(&binary, &env, &event).await?);
        }
        let (init, _) =
            cold::median_max_ms(&result.runs.iter().map(|r| r.init).collect::<Vec<_>>());
        eprintln!(
            "   {function:<20} init median {init:.1} ms; first reply ok: {}",
            result.runs.iter().all(|r| r.ok)
        );
        results.push(result);
    }
    emulator.shutdown().await;
    Ok(results)
}
