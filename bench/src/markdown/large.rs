//! The large-tenant tables: memory, CPU and DynamoDB per run of each scenario, and its cost
//! per million stored events at DynamoDB's on-demand prices.

use std::fmt::Write;

use super::format::{rate, secs, table, thousands};
use crate::dynamo::Counts;
use crate::large::LargeRun;

/// us-east-1 on-demand list prices, in $ per million request units, as of the November 2024
/// price cut.
pub const WRITE_PRICE: f64 = 0.625;
pub const READ_PRICE: f64 = 0.125;

/// Read request units: the black hole finds nothing, so each key a BatchGetItem asks for and
/// each Query or GetItem costs the minimum, counted as one unit (strongly consistent).
fn read_units(c: &Counts) -> u64 {
    c.keys_read + c.requests_of("Query") + c.requests_of("GetItem")
}

fn read_requests(c: &Counts) -> u64 {
    c.requests_of("BatchGetItem") + c.requests_of("Query") + c.requests_of("GetItem")
}

/// Dollars per million events stored, at the prices above.
fn cost_per_million(c: &Counts) -> f64 {
    let dollars = c.total_write_units() as f64 * WRITE_PRICE + read_units(c) as f64 * READ_PRICE;
    dollars / c.event_items.max(1) as f64
}

pub fn large(out: &mut String, runs: &[LargeRun]) {
    if runs.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "### Large tenants: one run of the real sync into the black-hole DynamoDB\n"
    );
    let rows: Vec<Vec<String>> = runs.iter().map(row).collect();
    table(
        out,
        &[
            "scenario",
            "blobs",
            "records",
            "events stored (✓ = truth)",
            "wall s",
            "CPU s",
            "peak RSS MiB",
            "API requests",
            "DynamoDB write / read requests",
            "write / read units",
            "$ per million events",
            "complete",
        ],
        &rows,
    );
    flatness(out, runs);
    let _ = writeln!(
        out,
        "Catch-ups: `AUDIT_LOGS_INITIAL_LOOKBACK_HOURS=168` over 167 hours of blobs of 1–20 records \
         (5% Power Platform); the steady hour is the same tenant's last hour with a 1-hour lookback. \
         The hot app-day adds one app's launches, in blobs of 1,000, to a quiet hour. Read units: one \
         per key asked for and per Query or GetItem (the black hole finds nothing, so each costs the \
         minimum); write units as in (b). The black hole answers every existence check \"missing\" \
         and every conditional update \"applied\", so each event is new and owned and each blob's \
         contribution to the summaries is written and counted here. $ per million events stored: (write units × ${WRITE_PRICE} + \
         read units × ${READ_PRICE}) per million, DynamoDB on-demand prices in us-east-1: list prices as \
         of the November 2024 price cut.\n"
    );
}

fn row(r: &LargeRun) -> Vec<String> {
    let c = r.run.counts();
    let stored = r.run.events();
    let check = if stored == r.power_platform_records {
        " ✓"
    } else {
        " ✗"
    };
    let complete = r.run.out.pointer("/summary/complete") == Some(&serde_json::json!(true));
    vec![
        r.name.clone(),
        thousands(r.blobs),
        thousands(r.records),
        format!("{}{check}", thousands(stored)),
        secs(r.run.f("/run_s")),
        secs(r.run.usage.cpu_s()),
        format!("{:.0}", r.run.usage.max_rss_mib),
        thousands(r.run.api_requests),
        format!(
            "{} / {}",
            thousands(c.write_requests),
            thousands(read_requests(&c))
        ),
        format!(
            "{} / {}",
            thousands(c.total_write_units()),
            thousands(read_units(&c))
        ),
        format!("{:.2}", cost_per_million(&c)),
        if complete { "yes" } else { "no" }.to_string(),
    ]
}

/// Peak RSS of the largest catch-up against the smallest, the figure that must stay flat.
fn flatness(out: &mut String, runs: &[LargeRun]) {
    let catch_ups: Vec<&LargeRun> = runs
        .iter()
        .filter(|r| r.name.starts_with("catch-up"))
        .collect();
    let (Some(small), Some(big)) = (catch_ups.first(), catch_ups.last()) else {
        return;
    };
    if catch_ups.len() < 2 {
        return;
    }
    let (a, b) = (small.run.usage.max_rss_mib, big.run.usage.max_rss_mib);
    let _ = writeln!(
        out,
        "Peak RSS over {} blobs is {:.2}× that over {} blobs ({b:.0} / {a:.0} MiB; flat means ≤ 1.5×); \
         largest peak of all: {} MiB (target < 128 MB).\n",
        rate(big.blobs as f64),
        b / a,
        rate(small.blobs as f64),
        runs.iter()
            .map(|r| r.run.usage.max_rss_mib)
            .fold(0.0, f64::max)
            .round(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_counts_both_kinds_of_unit() {
        let counts = Counts {
            event_items: 1_000_000,
            event_write_units: 2_000_000,
            keys_read: 1_000_000,
            ..Counts::default()
        };
        assert!((cost_per_million(&counts) - (2.0 * 0.625 + 0.125)).abs() < 1e-9);
    }
}
