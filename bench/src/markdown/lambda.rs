//! Lambda memory sizes worked out from the measured CPU seconds: Lambda gives a function CPU in
//! proportion to its memory (one vCPU at 1,769 MB) and bills memory × time.

use std::fmt::Write;

use super::format::{secs, table};
use crate::large::LargeRun;
use crate::results::SizeResults;

/// arm64, us-east-1, per GB-second (the price list as of 2024, unchanged since 2022).
const ARM_PRICE_PER_GB_S: f64 = 0.000_013_333_4;
/// Memory at which a function has one full vCPU.
const ONE_VCPU_MB: f64 = 1_769.0;
/// The sync keeps this many cores busy in the measurement (two workers on this machine's two
/// cores); past that the estimate assumes no further speed-up.
const MEASURED_CORES: f64 = 2.0;
const SIZES_MB: [f64; 7] = [128.0, 256.0, 512.0, 1_024.0, 1_769.0, 3_008.0, 3_538.0];

pub fn sizing(out: &mut String, results: &[SizeResults], large: &[LargeRun]) {
    let hour = results.iter().find(|r| r.size.name == "1M");
    let week = large
        .iter()
        .filter(|l| l.name.starts_with("catch-up"))
        .max_by_key(|l| l.blobs);
    let mut loads: Vec<(String, f64, f64)> = Vec::new();
    if let Some(r) = hour {
        loads.push((
            "hourly run, 1M records (b)".into(),
            r.sync16.usage.cpu_s(),
            r.sync16.usage.max_rss_mib,
        ));
    }
    if let Some(l) = week {
        loads.push((
            format!("7-day catch-up, {} blobs", super::thousands(l.blobs)),
            l.run.usage.cpu_s(),
            l.run.usage.max_rss_mib,
        ));
    }
    if loads.is_empty() {
        return;
    }
    out.push_str("### Lambda memory size, from the CPU seconds measured above\n\n");
    let mut headers = vec!["work".to_string(), "CPU s".into(), "peak RSS MiB".into()];
    headers.extend(SIZES_MB.map(|mb| format!("{mb:.0} MB: s / $")));
    let rows: Vec<Vec<String>> = loads
        .iter()
        .map(|(name, cpu, rss)| {
            let mut row = vec![name.clone(), secs(*cpu), format!("{rss:.0}")];
            row.extend(SIZES_MB.map(|mb| {
                if mb < rss * 1.5 {
                    return "too small".into();
                }
                let (wall, cost) = estimate(*cpu, mb);
                format!("{} / {cost:.5}", secs(wall))
            }));
            row
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    table(out, &headers, &rows);
    let _ = writeln!(
        out,
        "CPU-bound time at each size: CPU s × {ONE_VCPU_MB:.0} / MB up to the {MEASURED_CORES:.0} \
         cores the measurement used, at arm64's ${ARM_PRICE_PER_GB_S} per GB-second. Below one \
         vCPU the CPU share shrinks with the memory, so the cost of CPU-bound work is the same \
         at every size and only the time changes; what makes a small size cheaper is the time \
         spent waiting on the API and DynamoDB, billed by memory. A size under 1.5× the peak \
         RSS is left out. Estimates from x86_64 CPU time, not measured on Lambda.\n"
    );
}

/// Wall seconds and dollars of `cpu` CPU-bound seconds at `mb`.
fn estimate(cpu: f64, mb: f64) -> (f64, f64) {
    let cores = (mb / ONE_VCPU_MB).min(MEASURED_CORES);
    let wall = cpu / cores;
    (wall, mb / 1024.0 * wall * ARM_PRICE_PER_GB_S)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_bound_cost_is_flat_below_one_vcpu_and_time_stops_falling_at_the_measured_cores() {
        let (slow, cheap) = estimate(10.0, 128.0);
        let (fast, same) = estimate(10.0, 1_769.0);
        assert!((slow / fast - 1_769.0 / 128.0).abs() < 1e-9);
        assert!((cheap - same).abs() < 1e-12);
        let (two, _) = estimate(10.0, 3_538.0);
        let (still_two, dearer) = estimate(10.0, 10_240.0);
        assert!((two - 5.0).abs() < 1e-9 && (still_two - 5.0).abs() < 1e-9);
        assert!(dearer > same);
    }
}
