//! The Markdown tables `make bench` prints and BENCHMARKS.md keeps.

use std::fmt::Write;

mod format;

use crate::cold::ColdResult;
use crate::options::Options;
use crate::results::{Context, SizeResults, StageRun};
use format::{mb, met, rate, ratio, secs, table, thousands};

/// Targets from issue 7.
const PARSE_TARGET_PER_CORE: f64 = 200_000.0;
const SYNC_1M_TARGET_S: f64 = 60.0;
const RSS_TARGET_MIB: f64 = 128.0;
const COLD_START_TARGET_MS: f64 = 50.0;
const ZIP_TARGET_BYTES: u64 = 8 * 1024 * 1024;
const EVENTS_PER_WRITE_TARGET: f64 = 20.0;

/// Events stored by a sync run (new ones; the black hole never has any already).
fn events(run: &StageRun) -> u64 {
    run.u("/summary/events_new")
}

/// Every DynamoDB write request the run made, as the endpoint counted them.
fn write_requests(run: &StageRun) -> u64 {
    run.dynamo.as_ref().map_or(0, |d| d.write_requests)
}

fn events_per_write(run: &StageRun) -> f64 {
    events(run) as f64 / write_requests(run).max(1) as f64
}

fn sync_row(name: &str, r: &SizeResults, run: &StageRun) -> Vec<String> {
    let d = run.dynamo.clone().unwrap_or_default();
    let run_s = run.f("/run_s");
    let stored = events(run);
    let reads = d.requests.get("BatchGetItem").copied().unwrap_or(0)
        + d.requests.get("Query").copied().unwrap_or(0)
        + d.requests.get("GetItem").copied().unwrap_or(0);
    vec![
        name.to_string(),
        secs(run_s),
        rate(r.records as f64 / run_s),
        secs(run.usage.cpu_s()),
        format!("{:.0}", run.usage.max_rss_mib),
        format!(
            "{} ({} blobs)",
            thousands(run.api_requests),
            thousands(run.blob_requests)
        ),
        format!("{} / {}", thousands(d.write_requests), thousands(reads)),
        thousands(stored),
        format!("{:.1}", events_per_write(run)),
        format!(
            "{:.2} / {:.2}",
            d.event_write_units as f64 / stored.max(1) as f64,
            d.total_write_units() as f64 / stored.max(1) as f64
        ),
        format!(
            "{}",
            d.event_items_not_power_platform + d.event_items.saturating_sub(stored)
        ),
        secs(run.harness_cpu_s),
    ]
}

fn dynamo_row(name: &str, run: &StageRun) -> Vec<String> {
    let d = run.dynamo.clone().unwrap_or_default();
    let op = |name: &str| d.requests.get(name).copied().unwrap_or(0);
    vec![
        name.to_string(),
        thousands(d.event_write_requests),
        thousands(op("BatchWriteItem") - d.event_write_requests),
        thousands(op("PutItem")),
        thousands(op("UpdateItem")),
        thousands(op("DeleteItem")),
        thousands(op("BatchGetItem")),
        thousands(op("Query")),
        thousands(op("GetItem")),
        format!(
            "{:.1}",
            d.event_items as f64 / d.event_write_requests.max(1) as f64
        ),
    ]
}

pub fn render(
    options: &Options,
    context: &Context,
    results: &[SizeResults],
    cold: &[ColdResult],
) -> String {
    let mut out = String::new();
    let sizes: Vec<&str> = options.sizes.iter().map(|s| s.name).collect();
    let _ = writeln!(
        out,
        "Measured {} on {} ({} cores), load average {} before and {} after; {} in all.\n",
        context
            .started
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        crate::measure::cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        context
            .load_before
            .map_or("?".into(), |l| format!("{l:.2}")),
        context.load_after.map_or("?".into(), |l| format!("{l:.2}")),
        secs(context.wall.as_secs_f64()) + " s",
    );
    let _ = writeln!(
        out,
        "Sizes {}; moto at {}; latency comparison at {} with {} ms per blob; emulator bodies {}.\n",
        sizes.join(", "),
        names(&options.moto_sizes),
        names(&options.latency_sizes),
        options.latency_ms,
        if options.lazy {
            "rendered on demand"
        } else {
            "rendered once at start"
        }
    );

    out.push_str("### Tenants\n\n");
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            vec![
                r.size.name.to_string(),
                thousands(r.records),
                thousands(r.power_platform_records),
                thousands(r.blobs),
                mb(r.parse_typed.f("/bytes")),
                mb(r.parse_typed.f("/largest_blob_bytes")),
                secs(r.emulator_start_s),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "tenant",
            "records",
            "Power Platform",
            "blobs",
            "MB",
            "largest blob MB",
            "emulator start s",
        ],
        &rows,
    );

    out.push_str("### (a) Parse and filter only (one thread, blob bytes in memory)\n\n");
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            let typed = &r.parse_typed;
            let value = &r.parse_value;
            let typed_rate = typed.f("/records") / typed.f("/parse_cpu_s");
            let value_rate = value.f("/records") / value.f("/parse_cpu_s");
            vec![
                r.size.name.to_string(),
                rate(typed_rate),
                format!("{:.0}", typed.f("/bytes") / typed.f("/parse_cpu_s") / 1e6),
                format!("{:.0}", typed.usage.max_rss_mib),
                rate(value_rate),
                format!("{:.0}", value.f("/bytes") / value.f("/parse_cpu_s") / 1e6),
                format!("{:.0}", value.usage.max_rss_mib),
                ratio(typed_rate, value_rate),
                format!(
                    "{}{}",
                    thousands(typed.u("/kept")),
                    if typed.u("/kept") == r.power_platform_records
                        && value.u("/kept") == r.power_platform_records
                    {
                        " ✓"
                    } else {
                        " ✗"
                    }
                ),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "tenant",
            "typed records/s per core",
            "typed MB/s",
            "typed peak RSS MiB",
            "`Value` records/s",
            "`Value` MB/s",
            "`Value` peak RSS MiB",
            "typed / `Value`",
            "kept (✓ = truth)",
        ],
        &rows,
    );
    out.push_str(
        "Rates are records (or bytes) over the parsing thread's CPU time; peak RSS is the whole \
         child process, which also holds the blob being parsed.\n\n",
    );

    out.push_str(
        "### (b) Fetch + parse + filter + store into a black-hole DynamoDB (the real `Syncer`)\n\n",
    );
    let headers = [
        "run",
        "wall s",
        "records/s",
        "CPU s",
        "peak RSS MiB",
        "API requests",
        "DynamoDB writes / reads",
        "events stored",
        "events per write request",
        "write units per event (events / all)",
        "writes of filtered records",
        "harness CPU s",
    ];
    let mut rows = Vec::new();
    for r in results {
        rows.push(sync_row(
            &format!("{} concurrency 16", r.size.name),
            r,
            &r.sync16,
        ));
        rows.push(sync_row(
            &format!("{} concurrency 1", r.size.name),
            r,
            &r.sync1,
        ));
    }
    table(&mut out, &headers, &rows);
    out.push_str(
        "wall s is the run itself (`Syncer::run`), CPU s and peak RSS the whole child process. \
         API requests are the emulator's count (token, listing pages, blobs). Writes are every \
         DynamoDB write request (events, ledger, dirty markers, summaries, watermark, lock); reads \
         are BatchGetItem + Query + GetItem. Write units: 1 per started KiB of each item written \
         (events exactly; state items estimated). Harness CPU is the emulator's and the black \
         hole's, on the same two cores.\n\n",
    );

    out.push_str("DynamoDB requests by operation:\n\n");
    let mut rows = Vec::new();
    for r in results {
        rows.push(dynamo_row(&format!("{} (b) ×16", r.size.name), &r.sync16));
        rows.push(dynamo_row(&format!("{} (b) ×1", r.size.name), &r.sync1));
        if let Some(moto) = &r.moto {
            rows.push(dynamo_row(&format!("{} (c) moto", r.size.name), moto));
        }
    }
    table(
        &mut out,
        &[
            "run",
            "BatchWriteItem events",
            "BatchWriteItem state",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "BatchGetItem",
            "Query",
            "GetItem",
            "events per event batch",
        ],
        &rows,
    );

    out.push_str("### Baseline: blobs one at a time, parsed into `serde_json::Value`\n\n");
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            let s16 = r.sync16.f("/run_s");
            let s1 = r.sync1.f("/run_s");
            let naive = r.naive.f("/run_s");
            vec![
                r.size.name.to_string(),
                secs(s16),
                secs(s1),
                secs(naive),
                ratio(naive, s16),
                ratio(s1, s16),
                format!(
                    "{} / {}",
                    secs(r.naive.usage.cpu_s()),
                    secs(r.sync16.usage.cpu_s())
                ),
                format!(
                    "{:.0} / {:.0}",
                    r.naive.usage.max_rss_mib, r.sync16.usage.max_rss_mib
                ),
                format!(
                    "{} / {}",
                    thousands(r.naive.u("/write_requests")),
                    thousands(write_requests(&r.sync16))
                ),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "tenant",
            "sync ×16 s",
            "sync ×1 s",
            "baseline s",
            "baseline / sync ×16",
            "sync ×1 / sync ×16",
            "CPU s baseline / sync",
            "peak RSS MiB baseline / sync",
            "write requests baseline / sync",
        ],
        &rows,
    );
    let latency_rows: Vec<Vec<String>> = results
        .iter()
        .filter_map(|r| {
            let (sync, naive) = r.latency.as_ref()?;
            let s = sync.f("/run_s");
            let n = naive.f("/run_s");
            Some(vec![
                r.size.name.to_string(),
                thousands(r.blobs),
                secs(s),
                secs(n),
                ratio(n, s),
                format!(
                    "{:.0} / {:.0}",
                    naive.usage.max_rss_mib, sync.usage.max_rss_mib
                ),
            ])
        })
        .collect();
    if !latency_rows.is_empty() {
        let _ = writeln!(
            out,
            "With {} ms before each blob's body (the emulator's `delay` fault on every blob \
             fetch), as a remote API has:\n",
            options.latency_ms
        );
        table(
            &mut out,
            &[
                "tenant",
                "blobs",
                "sync ×16 s",
                "baseline s",
                "baseline / sync",
                "peak RSS MiB baseline / sync",
            ],
            &latency_rows,
        );
    }

    let moto_rows: Vec<Vec<String>> = results
        .iter()
        .filter_map(|r| {
            let run = r.moto.as_ref()?;
            let mut row = sync_row(&format!("{} into moto", r.size.name), r, run);
            row.pop();
            row.push(run.moto_cpu_s.map_or("?".into(), secs));
            row.push(
                if run.u("/summary/events_new") == r.power_platform_records
                    && run.out.pointer("/summary/complete") == Some(&serde_json::Value::Bool(true))
                {
                    "complete ✓".into()
                } else {
                    format!(
                        "✗ {}",
                        run.out
                            .pointer("/summary/errors")
                            .cloned()
                            .unwrap_or_default()
                    )
                },
            );
            Some(row)
        })
        .collect();
    if !moto_rows.is_empty() {
        out.push_str("### (c) End to end into moto's DynamoDB (bounded by moto)\n\n");
        let mut headers = headers.to_vec();
        headers.pop();
        headers.push("moto CPU s");
        headers.push("stored = truth");
        table(&mut out, &headers, &moto_rows);
        out.push_str(
            "moto is a single Python process; its CPU time next to the wall time shows it is the \
             bottleneck. Requests pass through the counting endpoint on their way to moto.\n\n",
        );
    }

    out.push_str("### Cold start and deploy size\n\n");
    let rows: Vec<Vec<String>> = cold
        .iter()
        .map(|c| {
            let zip = c
                .zip_bytes
                .map_or("not built (`make package`)".into(), |b| {
                    format!("{:.2}", b as f64 / 1024.0 / 1024.0)
                });
            if let Some(missing) = &c.missing {
                return vec![
                    c.function.into(),
                    missing.clone(),
                    "–".into(),
                    "–".into(),
                    zip,
                ];
            }
            let (init_med, init_max) = c.init_ms();
            let (reply_med, reply_max) = c.first_reply_ms();
            let ok = c.runs.iter().all(|r| r.ok);
            vec![
                format!("{} `{}`", c.function, c.invocation),
                format!("{init_med:.1} / {init_max:.1}"),
                format!("{reply_med:.1} / {reply_max:.1}"),
                if ok {
                    "ok".into()
                } else {
                    format!(
                        "error: {}",
                        c.runs
                            .iter()
                            .find(|r| !r.ok)
                            .map(|r| r.reply.chars().take(120).collect::<String>())
                            .unwrap_or_default()
                    )
                },
                zip,
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "function, first invocation",
            "start → first `/next` ms (median / max)",
            "start → first reply ms (median / max)",
            "reply",
            "arm64 zip MiB",
        ],
        &rows,
    );
    let built = cold
        .iter()
        .filter_map(|c| c.zip_built)
        .min()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .map_or(String::new(), |t| format!(", built {t}"));
    let _ = writeln!(
        out,
        "{} cold starts each of the x86_64 release binary against a minimal Lambda Runtime API on \
         loopback, plain secret, emulator and black-hole DynamoDB on loopback. Zip sizes are \
         those of `target/lambda-arm64/*/bootstrap.zip` from `make package`{built}.\n",
        options.cold_runs
    );

    out.push_str("### Targets\n\n");
    let rows = targets(results, cold);
    table(&mut out, &["target", "figure", ""], &rows);
    out
}

fn names(sizes: &[crate::tenant::TenantSize]) -> String {
    if sizes.is_empty() {
        return "none".into();
    }
    sizes.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

fn targets(results: &[SizeResults], cold: &[ColdResult]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    // Parse: the slowest size, so the figure holds at every size.
    if let Some((name, worst)) = results
        .iter()
        .map(|r| {
            (
                r.size.name,
                r.parse_typed.f("/records") / r.parse_typed.f("/parse_cpu_s"),
            )
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
    {
        rows.push(vec![
            "parse + filter ≥ 200,000 records/s on one core".into(),
            format!("{} records/s (slowest size, {name})", rate(worst)),
            met(worst >= PARSE_TARGET_PER_CORE).into(),
        ]);
    }
    match results.iter().find(|r| r.size.name == "1M") {
        Some(r) => {
            let s = r.sync16.f("/run_s");
            let rss = r.sync16.usage.max_rss_mib;
            rows.push(vec![
                "1M records (b) in ≤ 60 s at concurrency 16, peak RSS < 128 MB".into(),
                format!("{} s, {rss:.0} MiB", secs(s)),
                met(s <= SYNC_1M_TARGET_S && rss * 1.048_576 < RSS_TARGET_MIB).into(),
            ]);
        }
        None => rows.push(vec![
            "1M records (b) in ≤ 60 s at concurrency 16, peak RSS < 128 MB".into(),
            "not measured (BENCH_SIZES without 1M)".into(),
            "–".into(),
        ]),
    }
    let rss: Vec<String> = results
        .iter()
        .map(|r| format!("{} {:.0}", r.size.name, r.sync16.usage.max_rss_mib))
        .collect();
    let max_rss = results
        .iter()
        .map(|r| r.sync16.usage.max_rss_mib)
        .fold(0.0, f64::max);
    let min_rss = results
        .iter()
        .map(|r| r.sync16.usage.max_rss_mib)
        .fold(f64::INFINITY, f64::min);
    rows.push(vec![
        "peak RSS does not grow with the records (b)".into(),
        format!("{} MiB", rss.join(", ")),
        met(results.len() < 2 || max_rss <= min_rss * 1.5 + 8.0).into(),
    ]);
    let measured: Vec<&ColdResult> = cold.iter().filter(|c| !c.runs.is_empty()).collect();
    if !measured.is_empty() {
        let worst_init = measured
            .iter()
            .map(|c| (c.function, c.init_ms().0))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("not empty");
        rows.push(vec![
            "cold start < 50 ms (start → ready for the first invocation)".into(),
            format!(
                "{:.1} ms median to the first `/next`, slowest {}",
                worst_init.1, worst_init.0
            ),
            met(worst_init.1 < COLD_START_TARGET_MS).into(),
        ]);
    }
    let zips: Vec<(&str, u64)> = cold
        .iter()
        .filter_map(|c| Some((c.function, c.zip_bytes?)))
        .collect();
    if zips.len() == cold.len() && !zips.is_empty() {
        rows.push(vec![
            "each zip < 8 MB".into(),
            zips.iter()
                .map(|(f, b)| format!("{f} {:.2} MiB", *b as f64 / 1048576.0))
                .collect::<Vec<_>>()
                .join(", "),
            met(zips.iter().all(|(_, b)| *b < ZIP_TARGET_BYTES)).into(),
        ]);
    } else {
        rows.push(vec![
            "each zip < 8 MB".into(),
            "zips not built: `make package`".into(),
            "–".into(),
        ]);
    }
    let mut runs: Vec<(String, &StageRun)> = Vec::new();
    for r in results {
        runs.push((format!("{} (b)", r.size.name), &r.sync16));
        if let Some(m) = &r.moto {
            runs.push((format!("{} (c)", r.size.name), m));
        }
    }
    if !runs.is_empty() {
        let worst = runs
            .iter()
            .map(|(n, run)| (n.clone(), events_per_write(run)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("not empty");
        let figures: Vec<String> = runs
            .iter()
            .map(|(n, run)| format!("{n} {:.1}", events_per_write(run)))
            .collect();
        rows.push(vec![
            "≥ 20 stored events per DynamoDB write request".into(),
            format!(
                "{} (worst {}); (b) leaves out the summary rebuild's writes, since the black \
                 hole holds no events to rebuild from",
                figures.join(", "),
                worst.0
            ),
            met(worst.1 >= EVENTS_PER_WRITE_TARGET).into(),
        ]);
        let filtered: u64 = runs
            .iter()
            .map(|(_, run)| {
                let d = run.dynamo.clone().unwrap_or_default();
                d.event_items_not_power_platform + d.event_items.saturating_sub(events(run))
            })
            .sum();
        rows.push(vec![
            "no writes for filtered-out records".into(),
            format!(
                "{filtered} event items written beyond the kept Power Platform events, in all runs"
            ),
            met(filtered == 0).into(),
        ]);
    }
    rows
}
