//! The real sync: stage (b) into the black hole, the DynamoDB requests it and stage (c) made,
//! and stage (c) end to end into moto.

use super::format::{rate, secs, table, thousands};
use crate::results::{SizeResults, StageRun};

/// The columns of a sync run; stage (c) replaces the last with moto's CPU and the check.
const SYNC_HEADERS: [&str; 13] = [
    "run",
    "wall s",
    "records/s",
    "CPU s",
    "CPU µs per record / per event",
    "peak RSS MiB",
    "API requests",
    "DynamoDB writes / reads",
    "events stored",
    "events per write request",
    "write units per event (events / all)",
    "writes of filtered records",
    "harness CPU s",
];

/// The operations counted one by one, after BatchWriteItem (which is split into events and
/// state).
const OPERATIONS: [&str; 6] = [
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchGetItem",
    "Query",
    "GetItem",
];

pub fn black_hole(out: &mut String, results: &[SizeResults]) {
    out.push_str(
        "### (b) Fetch + parse + filter + store into a black-hole DynamoDB (the real `Syncer`)\n\n",
    );
    let mut rows = Vec::new();
    for r in results {
        let name = r.size.name;
        rows.push(sync_row(&format!("{name} concurrency 16"), r, &r.sync16));
        rows.push(sync_row(&format!("{name} concurrency 1"), r, &r.sync1));
    }
    table(out, &SYNC_HEADERS, &rows);
    out.push_str(
        "wall s is the run itself (`Syncer::run`), CPU s and peak RSS the whole child process. \
         API requests are the emulator's count (token, listing pages, blobs). Writes are every \
         DynamoDB write request (events, user items, counters, facts, journals, ledger, watermark, \
         lock); reads \
         are BatchGetItem + Query + GetItem. Write units: 1 per started KiB of each item written \
         (events exactly; state items estimated). Harness CPU is the emulator's and the black \
         hole's, on the same two cores.\n\n",
    );
}

fn sync_row(name: &str, r: &SizeResults, run: &StageRun) -> Vec<String> {
    let d = run.counts();
    let run_s = run.f("/run_s");
    let stored = run.events();
    let reads: u64 = ["BatchGetItem", "Query", "GetItem"]
        .iter()
        .map(|op| d.requests_of(op))
        .sum();
    vec![
        name.to_string(),
        secs(run_s),
        rate(r.records as f64 / run_s),
        secs(run.usage.cpu_s()),
        format!(
            "{:.2} / {:.2}",
            run.usage.cpu_s() * 1e6 / r.records.max(1) as f64,
            run.usage.cpu_s() * 1e6 / stored.max(1) as f64
        ),
        format!("{:.0}", run.usage.max_rss_mib),
        format!(
            "{} ({} blobs)",
            thousands(run.api_requests),
            thousands(run.blob_requests)
        ),
        format!("{} / {}", thousands(d.write_requests), thousands(reads)),
        thousands(stored),
        format!("{:.1}", run.events_per_write()),
        format!(
            "{:.2} / {:.2}",
            d.event_write_units as f64 / stored.max(1) as f64,
            d.total_write_units() as f64 / stored.max(1) as f64
        ),
        format!("{}", run.filtered_writes()),
        secs(run.harness_cpu_s),
    ]
}

pub fn requests_by_operation(out: &mut String, results: &[SizeResults]) {
    out.push_str("DynamoDB requests by operation:\n\n");
    let mut rows = Vec::new();
    for r in results {
        let name = r.size.name;
        rows.push(operations_row(&format!("{name} (b) ×16"), &r.sync16));
        rows.push(operations_row(&format!("{name} (b) ×1"), &r.sync1));
        if let Some(moto) = &r.moto {
            rows.push(operations_row(&format!("{name} (c) moto"), moto));
        }
    }
    let mut headers = vec!["run", "BatchWriteItem events", "BatchWriteItem state"];
    headers.extend(OPERATIONS);
    headers.push("events per event batch");
    table(out, &headers, &rows);
}

fn operations_row(name: &str, run: &StageRun) -> Vec<String> {
    let d = run.counts();
    let mut row = vec![
        name.to_string(),
        thousands(d.event_write_requests),
        thousands(d.requests_of("BatchWriteItem") - d.event_write_requests),
    ];
    row.extend(OPERATIONS.map(|operation| thousands(d.requests_of(operation))));
    row.push(format!(
        "{:.1}",
        d.event_items as f64 / d.event_write_requests.max(1) as f64
    ));
    row
}

pub fn moto(out: &mut String, results: &[SizeResults]) {
    let rows: Vec<Vec<String>> = results
        .iter()
        .filter_map(|r| Some(moto_row(r, r.moto.as_ref()?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str("### (c) End to end into moto's DynamoDB (bounded by moto)\n\n");
    let mut headers = SYNC_HEADERS.to_vec();
    headers.pop();
    headers.push("moto CPU s");
    headers.push("stored = truth");
    table(out, &headers, &rows);
    out.push_str(
        "moto is a single Python process; its CPU time next to the wall time shows it is the \
         bottleneck. Requests pass through the counting endpoint on their way to moto.\n\n",
    );
}

fn moto_row(r: &SizeResults, run: &StageRun) -> Vec<String> {
    let mut row = sync_row(&format!("{} into moto", r.size.name), r, run);
    row.pop();
    row.push(run.moto_cpu_s.map_or("?".into(), secs));
    let complete = run.out.pointer("/summary/complete") == Some(&serde_json::Value::Bool(true));
    row.push(if run.events() == r.power_platform_records && complete {
        "complete ✓".into()
    } else {
        let errors = run.out.pointer("/summary/errors").cloned();
        format!("✗ {}", errors.unwrap_or_default())
    });
    row
}
