//! The tenants, and stage (a): parsing and filtering alone, typed against `serde_json::Value`.

use super::format::{mb, rate, ratio, secs, table, thousands};
use crate::results::SizeResults;

pub fn tenants(out: &mut String, results: &[SizeResults]) {
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
        out,
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
}

pub fn parse_only(out: &mut String, results: &[SizeResults]) {
    out.push_str("### (a) Parse and filter only (one thread, blob bytes in memory)\n\n");
    let rows: Vec<Vec<String>> = results.iter().map(parse_row).collect();
    table(
        out,
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
}

fn parse_row(r: &SizeResults) -> Vec<String> {
    let (typed, value) = (&r.parse_typed, &r.parse_value);
    let truth = r.power_platform_records;
    let kept_truth = typed.u("/kept") == truth && value.u("/kept") == truth;
    vec![
        r.size.name.to_string(),
        rate(typed.records_per_cpu_s()),
        format!("{:.0}", typed.mb_per_cpu_s()),
        format!("{:.0}", typed.usage.max_rss_mib),
        rate(value.records_per_cpu_s()),
        format!("{:.0}", value.mb_per_cpu_s()),
        format!("{:.0}", value.usage.max_rss_mib),
        ratio(typed.records_per_cpu_s(), value.records_per_cpu_s()),
        format!(
            "{}{}",
            thousands(typed.u("/kept")),
            if kept_truth { " ✓" } else { " ✗" }
        ),
    ]
}
