//! The targets the figures are held to, each met or not (BENCHMARKS.md says why).

use super::format::{met, rate, secs, table};
use crate::cold::ColdResult;
use crate::results::{SizeResults, StageRun};

const PARSE_TARGET_PER_CORE: f64 = 1_000_000.0;
const SYNC_1M_TARGET_S: f64 = 60.0;
const RSS_TARGET_MIB: f64 = 64.0;
/// CPU µs per listed record of the whole sync (b), by share of records kept.
const SYNC_CPU_US_TARGET_20: f64 = 3.0;
const SYNC_CPU_US_TARGET_80: f64 = 8.0;
const COLD_START_TARGET_MS: f64 = 50.0;
const ZIP_TARGET_BYTES: u64 = 8 * 1024 * 1024;
const EVENTS_PER_WRITE_TARGET: f64 = 20.0;

type Row = Vec<String>;

pub fn targets(out: &mut String, results: &[SizeResults], cold: &[ColdResult]) {
    out.push_str("### Targets\n\n");
    let mut rows = Vec::new();
    rows.extend(parse(results));
    rows.extend(sync_cpu(results));
    rows.push(sync_1m(results));
    rows.push(flat_rss(results));
    rows.extend(cold_start(cold));
    rows.push(zips(cold));
    rows.extend(writes(results));
    table(out, &["target", "figure", ""], &rows);
}

fn row(target: &str, figure: String, verdict: &str) -> Row {
    vec![target.into(), figure, verdict.into()]
}

/// The slowest of the 20%-kept sizes, so the figure holds at every size.
fn parse(results: &[SizeResults]) -> Option<Row> {
    let (name, worst, value) = results
        .iter()
        .filter(|r| r.size.power_platform_fraction <= 0.2)
        .map(|r| {
            (
                r.size.name,
                r.parse_typed.records_per_cpu_s(),
                r.parse_value.records_per_cpu_s(),
            )
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(row(
        "parse + filter ≥ 1,000,000 records/s on one core (20% kept)",
        format!(
            "{} records/s (slowest size, {name}; {:.1}× the `Value` parse's {})",
            rate(worst),
            worst / value,
            rate(value)
        ),
        met(worst >= PARSE_TARGET_PER_CORE),
    ))
}

/// CPU per listed record of the whole sync at concurrency 16, at the worst size of each share.
fn sync_cpu(results: &[SizeResults]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (low, high, target, label) in [
        (0.0, 0.5, SYNC_CPU_US_TARGET_20, "20%"),
        (0.5, 1.0, SYNC_CPU_US_TARGET_80, "80%"),
    ] {
        let worst = results
            .iter()
            .filter(|r| {
                r.size.power_platform_fraction > low && r.size.power_platform_fraction <= high
            })
            .map(|r| (r.size.name, r.cpu_us_per_record(), r.cpu_us_per_event()))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let name = format!("whole sync (b) ≤ {target} µs CPU per listed record at {label} kept");
        rows.push(match worst {
            Some((size, per_record, per_event)) => row(
                &name,
                format!("{per_record:.2} µs per record, {per_event:.2} µs per kept event (worst size, {size})"),
                met(per_record <= target),
            ),
            None => row(&name, "not measured (BENCH_SIZES leaves it out)".into(), "–"),
        });
    }
    rows
}

fn sync_1m(results: &[SizeResults]) -> Row {
    let target = "1M records (b) in ≤ 60 s at concurrency 16, peak RSS < 64 MB";
    let Some(r) = results.iter().find(|r| r.size.name == "1M") else {
        return row(target, "not measured (BENCH_SIZES without 1M)".into(), "–");
    };
    let s = r.sync16.f("/run_s");
    let rss = r.sync16.usage.max_rss_mib;
    // The target is in MB, the figure in MiB.
    let ok = s <= SYNC_1M_TARGET_S && rss * 1.048_576 < RSS_TARGET_MIB;
    row(target, format!("{} s, {rss:.0} MiB", secs(s)), met(ok))
}

fn flat_rss(results: &[SizeResults]) -> Row {
    let rss = || results.iter().map(|r| r.sync16.usage.max_rss_mib);
    let figures: Vec<String> = results
        .iter()
        .map(|r| format!("{} {:.0}", r.size.name, r.sync16.usage.max_rss_mib))
        .collect();
    let max = rss().fold(0.0, f64::max);
    let min = rss().fold(f64::INFINITY, f64::min);
    row(
        "peak RSS does not grow with the records (b)",
        format!("{} MiB", figures.join(", ")),
        met(results.len() < 2 || max <= min * 1.5 + 8.0),
    )
}

/// The slowest function's median, where any was started.
fn cold_start(cold: &[ColdResult]) -> Option<Row> {
    let (function, init) = cold
        .iter()
        .filter(|c| !c.runs.is_empty())
        .map(|c| (c.function, c.init_ms().0))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(row(
        "cold start < 50 ms (start → ready for the first invocation)",
        format!("{init:.1} ms median to the first `/next`, slowest {function}"),
        met(init < COLD_START_TARGET_MS),
    ))
}

fn zips(cold: &[ColdResult]) -> Row {
    let target = "each zip < 8 MB";
    let zips: Vec<(&str, u64)> = cold
        .iter()
        .filter_map(|c| Some((c.function, c.zip_bytes?)))
        .collect();
    if zips.len() != cold.len() || zips.is_empty() {
        return row(target, "zips not built: `make package`".into(), "–");
    }
    let figures: Vec<String> = zips
        .iter()
        .map(|(f, b)| format!("{f} {:.2} MiB", *b as f64 / 1048576.0))
        .collect();
    row(
        target,
        figures.join(", "),
        met(zips.iter().all(|(_, b)| *b < ZIP_TARGET_BYTES)),
    )
}

/// Events per write request and writes of filtered records, over the runs that wrote: (b) at
/// concurrency 16 and (c).
fn writes(results: &[SizeResults]) -> Vec<Row> {
    let mut runs: Vec<(String, &StageRun)> = Vec::new();
    for r in results {
        runs.push((format!("{} (b)", r.size.name), &r.sync16));
        if let Some(m) = &r.moto {
            runs.push((format!("{} (c)", r.size.name), m));
        }
    }
    let Some((worst, worst_rate)) = runs
        .iter()
        .map(|(n, run)| (n, run.events_per_write()))
        .min_by(|a, b| a.1.total_cmp(&b.1))
    else {
        return Vec::new();
    };
    let figures: Vec<String> = runs
        .iter()
        .map(|(n, run)| format!("{n} {:.1}", run.events_per_write()))
        .collect();
    let filtered: u64 = runs.iter().map(|(_, run)| run.filtered_writes()).sum();
    vec![
        row(
            "≥ 20 stored events per DynamoDB write request",
            format!(
                "{} (worst {worst}); the usage summaries' writes (per group of blobs and app-day, per app, and per \
                 user) are counted",
                figures.join(", "),
            ),
            met(worst_rate >= EVENTS_PER_WRITE_TARGET),
        ),
        row(
            "no writes for filtered-out records",
            format!(
                "{filtered} event items written beyond the kept Power Platform events, in all runs"
            ),
            met(filtered == 0),
        ),
    ]
}
