//! Measures the emulator itself on a large tenant: the memory of its plan, how fast a 24-hour
//! window lists through `NextPageUri` paging, and how long the truth takes and what it costs.
//!
//! `cargo run --release -p o365-emulator --example scale` (SCALE_BLOBS_PER_HOUR=1800,
//! SCALE_HOURS=168 by default: about 300,000 blobs of 1 to 20 records).

use std::time::Instant;

// The HTTP tests' token helper: the example asks for a token the same way.
#[path = "../tests/http/common.rs"]
#[allow(dead_code)]
mod common;

use o365_emulator::{ContentType, Emulator, EmulatorConfig, GeneratorConfig};
use serde_json::Value;

fn env_or(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// This process's resident and peak resident memory, in MiB.
fn rss_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Fixed, so that runs before and after a change serve the same blobs.
const ANCHOR: time::OffsetDateTime = time::macros::datetime!(2026-05-23 12:00 UTC);

fn config(blobs_per_hour: u32, hours: u32) -> EmulatorConfig {
    EmulatorConfig {
        subscriptions_enabled: vec![ContentType::General],
        page_size: 100,
        generator: GeneratorConfig {
            hours_before: hours,
            content_types: vec![ContentType::General],
            blobs_per_hour,
            records_per_blob_min: 1,
            records_per_blob_max: 20,
            power_platform_fraction: 0.05,
            anchor: Some(ANCHOR),
            lazy: true,
            ..GeneratorConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

/// Lists the last 24 hours page by page; returns the blobs and pages seen, and the first id.
async fn list_day(emulator: &Emulator) -> (usize, usize, String) {
    let client = reqwest::Client::new();
    let bearer = format!("Bearer {}", common::v1_token(&client, emulator).await);
    let end = emulator.now();
    let start = end - time::Duration::hours(24);
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let mut url = format!(
        "{}/subscriptions/content?contentType=Audit.General&startTime={}&endTime={}",
        emulator.feed_root(),
        start.format(format).expect("a time"),
        end.format(format).expect("a time"),
    );
    let (mut blobs, mut pages, mut first) = (0, 0, String::new());
    loop {
        let response = client
            .get(&url)
            .header("Authorization", &bearer)
            .send()
            .await
            .expect("the listing answers");
        let next = response
            .headers()
            .get("NextPageUri")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let page: Vec<Value> = response.json().await.expect("a JSON page");
        if first.is_empty() {
            first = page
                .first()
                .map(|b| b["contentId"].to_string())
                .unwrap_or_default();
        }
        blobs += page.len();
        pages += 1;
        match next {
            Some(next) => url = next,
            None => return (blobs, pages, first),
        }
    }
}

#[tokio::main]
async fn main() {
    let (per_hour, hours) = (
        env_or("SCALE_BLOBS_PER_HOUR", 1_800),
        env_or("SCALE_HOURS", 168),
    );
    let (before, _) = rss_mib();
    let started = Instant::now();
    let emulator = Emulator::start(config(per_hour, hours))
        .await
        .expect("the emulator starts");
    emulator.set_clock(ANCHOR);
    let (after, peak) = rss_mib();
    println!(
        "{} blobs planned in {:.2} s; RSS {before} -> {after} MiB (peak {peak})",
        per_hour * hours,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let (blobs, pages, first) = list_day(&emulator).await;
    let (now, peak) = rss_mib();
    println!(
        "24 h listed: {blobs} blobs in {pages} pages, {:.2} s; RSS {now} MiB (peak {peak}); first {first}",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let summary = emulator.truth_summary(true);
    let (now, peak) = rss_mib();
    println!(
        "truth summary: {} records, {} malformed, {} re-delivered, {:.2} s; RSS {now} MiB (peak {peak})",
        summary.records,
        summary.malformed,
        summary.redelivered_records,
        started.elapsed().as_secs_f64()
    );
    emulator.shutdown().await;
}
