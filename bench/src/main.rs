//! `audit-bench`: how fast the hourly sync gets through a large tenant's hour, how much memory
//! and DynamoDB it needs, and how quickly the functions start. `make bench` runs it in release
//! mode; the results are kept in BENCHMARKS.md.
//!
//! The orchestrating process hosts the emulated tenant (`tests/emulator`) and a counting
//! DynamoDB endpoint (`dynamo/`); every measured stage runs in a child process of its own
//! (`stages/`), whose peak RSS and CPU time come from `wait4`.
//!
//! Environment:
//!
//! | variable | default | |
//! |---|---|---|
//! | `BENCH_SIZES` | `10k,100k,1M,300k-pp80` | tenant sizes (`300k-pp80`: 80% Power Platform) |
//! | `BENCH_MOTO_SIZES` | `10k,100k` | sizes also synced end to end into moto (stage c) |
//! | `BENCH_LATENCY_MS` | `100` | time to first byte added to each blob fetch for the latency comparison; 0 skips it |
//! | `BENCH_LATENCY_SIZES` | `10k,100k` | sizes the latency comparison runs at |
//! | `BENCH_COLD_RUNS` | `15` | cold starts per function |
//! | `BENCH_LAZY` | unset | `1`: the emulator renders blob bodies on demand instead of once at start |
//! | `BENCH_LARGE` | unset | `0`: skip the large-tenant scenarios (a week's catch-up, its steady hour, a hot app-day) |
//! | `BENCH_CATCHUP_BLOBS` | `3000,300000` | blobs of each week's catch-up (168-hour lookback) |
//! | `BENCH_HOT_LAUNCHES` | `1000000` | launches of the hot app-day (0 skips it) |
//! | `BENCH_HOT_USERS` | `100000` | distinct users of the hot app-day |
//! | `BENCH_OUT` | `target/bench/results.md` | where the Markdown report is written (it is printed too) |

mod cold;
mod dynamo;
mod env;
mod harness;
mod large;
mod markdown;
mod measure;
mod options;
mod results;
mod sizes;
mod stages;
mod tenant;

use std::process::ExitCode;
use std::time::Instant;

use options::Options;
use results::Context;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const USAGE: &str = "\
usage: audit-bench          run the benchmark (see `make bench`); settings from BENCH_* variables:
  BENCH_SIZES=10k,100k,1M,300k-pp80  BENCH_MOTO_SIZES=10k,100k (or none)  BENCH_LATENCY_MS=100
  BENCH_LATENCY_SIZES=10k,100k  BENCH_COLD_RUNS=15  BENCH_LAZY=1  BENCH_OUT=target/bench/results.md
  BENCH_LARGE=0  BENCH_CATCHUP_BLOBS=3000,300000  BENCH_HOT_LAUNCHES=1000000  BENCH_HOT_USERS=100000
       audit-bench child STAGE   (internal) one measured stage
";

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
            keep(&options, &text);
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("audit-bench failed: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the results and writes them to `BENCH_OUT`; a file that cannot be written is said,
/// not fatal, since the results were printed.
fn keep(options: &Options, text: &str) {
    println!("{text}");
    if let Some(dir) = options.out.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(&options.out, text) {
        Ok(()) => eprintln!("written to {}", options.out.display()),
        Err(err) => eprintln!("could not write {}: {err}", options.out.display()),
    }
}

async fn run(options: Options) -> Result<String, BoxError> {
    let started = Instant::now();
    let context_started = time::OffsetDateTime::now_utc();
    let load_before = measure::load_average();
    let mut results = Vec::new();
    for size in &options.sizes {
        eprintln!("== tenant {} ==", size.name);
        results.push(sizes::bench_size(*size, &options).await?);
    }
    let large = match &options.large {
        Some(large) => large::bench_large(large).await?,
        None => Vec::new(),
    };
    eprintln!("== cold start ==");
    let cold = cold::cold_starts(options.cold_runs).await?;
    let context = Context {
        started: context_started,
        load_before,
        load_after: measure::load_average(),
        wall: started.elapsed(),
    };
    Ok(markdown::render(
        &options, &context, &results, &large, &cold,
    ))
}
