//! The baseline a user would otherwise write (blobs one at a time into `serde_json::Value`)
//! against the sync, without and with latency before each blob.

use std::fmt::Write;

use super::format::{ratio, secs, table, thousands};
use crate::results::SizeResults;

pub fn baseline(out: &mut String, results: &[SizeResults]) {
    out.push_str("### Baseline: blobs one at a time, parsed into `serde_json::Value`\n\n");
    let rows: Vec<Vec<String>> = results.iter().map(baseline_row).collect();
    table(
        out,
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
}

fn baseline_row(r: &SizeResults) -> Vec<String> {
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
            thousands(r.sync16.write_requests())
        ),
    ]
}

/// The same comparison with `latency_ms` before each blob's body, at the sizes it ran at.
pub fn latency(out: &mut String, results: &[SizeResults], latency_ms: u64) {
    let rows: Vec<Vec<String>> = results.iter().filter_map(latency_row).collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "With {latency_ms} ms before each blob's body (the emulator's `delay` fault on every blob \
         fetch), as a remote API has:\n",
    );
    table(
        out,
        &[
            "tenant",
            "blobs",
            "sync ×16 s",
            "baseline s",
            "baseline / sync",
            "peak RSS MiB baseline / sync",
        ],
        &rows,
    );
}

fn latency_row(r: &SizeResults) -> Option<Vec<String>> {
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
}
