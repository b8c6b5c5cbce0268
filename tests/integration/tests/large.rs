//! Large tenants: a first run over a week of tens of thousands of small blobs, and one app's
//! day of thousands of users, end with exactly the truth in the table and in the report, and
//! the sync's peak memory does not grow with the blobs it lists.
//!
//! Sizes are set so that moto (one Python process, tens of writes a second) does little: the
//! blobs are many but hold few records, and few of those are Power Platform events.
//! `LARGE_BLOBS_PER_HOUR` (default 150, over 167 hours) sets the catch-up's size; the
//! comparison run has a tenth of it.

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use common::{Fixture, comparable, expected_report};
use integration_tests::invoke_measured;
use o365_emulator::{ContentType, EmulatorConfig, GeneratorConfig, HotAppDay};
use serde_json::{Value, json};

/// The process's own size, whatever it syncs, on top of which 1.5× is allowed.
const RSS_FLOOR_MB: u64 = 16;
/// A catch-up that is not `complete` after this many runs is stuck, not slow.
const MAX_RUNS: usize = 12;

fn blobs_per_hour() -> u32 {
    std::env::var("LARGE_BLOBS_PER_HOUR")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

/// A week of small blobs (1 to 6 records, 3% Power Platform) with the generator's usual
/// duplicates and late blobs. Anchored a minute ago so that its oldest blob, 167 hours back,
/// lies inside what a first run with a 168-hour lookback lists.
fn week(blobs_per_hour: u32) -> EmulatorConfig {
    EmulatorConfig {
        subscriptions_enabled: vec![ContentType::General],
        page_size: 100,
        generator: GeneratorConfig {
            anchor: Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)),
            hours_before: 167,
            content_types: vec![ContentType::General],
            blobs_per_hour,
            records_per_blob_min: 1,
            records_per_blob_max: 6,
            power_platform_fraction: 0.03,
            lazy: true,
            ..GeneratorConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

/// Three hours of ordinary blobs and, in the last, one app launched 3,000 times by 2,000
/// users; duplicates (5%) re-deliver launches across blobs.
fn hot_day() -> EmulatorConfig {
    EmulatorConfig {
        subscriptions_enabled: vec![ContentType::General],
        generator: GeneratorConfig {
            anchor: Some(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)),
            hours_before: 3,
            content_types: vec![ContentType::General],
            blobs_per_hour: 12,
            records_per_blob_min: 5,
            records_per_blob_max: 15,
            power_platform_fraction: 0.1,
            duplicate_rate: 0.05,
            hot_app: Some(HotAppDay {
                launches: 3_000,
                users: 2_000,
                launches_per_blob: 250,
            }),
            lazy: true,
            ..GeneratorConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

/// What a catch-up took: runs, the largest peak RSS of them, events stored, wall time.
struct CatchUp {
    runs: usize,
    peak_mb: u64,
    stored: u64,
    seconds: f64,
}

/// Runs the sync until a run is `complete`, measuring each run's peak RSS.
async fn catch_up(fx: &Fixture) -> CatchUp {
    let started = Instant::now();
    let (mut peak_mb, mut stored) = (0, 0);
    for runs in 1..=MAX_RUNS {
        let (run, peak) = invoke_measured(common::FUNCTION, &fx.env, &json!({})).await;
        let summary = run.ok();
        peak_mb = peak_mb.max(peak);
        stored += common::n(summary, "events_new");
        if summary["complete"] == json!(true) {
            return CatchUp {
                runs,
                peak_mb,
                stored,
                seconds: started.elapsed().as_secs_f64(),
            };
        }
    }
    panic!("the catch-up was not complete after {MAX_RUNS} runs");
}

async fn report(fx: &Fixture, from: &str, to: &str) -> Value {
    let event = json!({"from": from, "to": to});
    invoke_measured("audit-report", &fx.env, &event)
        .await
        .0
        .ok()
        .clone()
}

/// One catch-up over a week at `blobs_per_hour`, checked against the truth.
async fn exact_week(blobs_per_hour: u32) -> CatchUp {
    let fx = Fixture::new(week(blobs_per_hour)).await;
    let blobs = fx.tenant.truth_summary(true).blobs_servable;
    let done = catch_up(&fx).await;
    fx.assert_exactly_the_truth().await;
    let (first, last) = common::day_range(&fx);
    let full = report(&fx, &first, &last).await;
    assert_eq!(comparable(&full), expected_report(&fx, &first, &last));
    eprintln!(
        "{blobs} blobs: {} runs, {} events stored, peak RSS {} MB, {:.1} s",
        done.runs, done.stored, done.peak_mb, done.seconds
    );
    done
}

#[tokio::test]
async fn a_week_of_small_blobs_catches_up_exactly_in_flat_memory() {
    let big = blobs_per_hour();
    let small = exact_week((big / 10).max(1)).await;
    let large = exact_week(big).await;
    assert!(
        large.peak_mb <= small.peak_mb * 3 / 2 + RSS_FLOOR_MB,
        "peak RSS {} MB over {big} blobs an hour, {} MB over a tenth of them",
        large.peak_mb,
        small.peak_mb
    );
}

#[tokio::test]
async fn a_hot_app_day_reports_exactly_its_launches_and_users() {
    let fx = Fixture::new(hot_day()).await;
    let done = catch_up(&fx).await;
    fx.assert_exactly_the_truth().await;
    let expected = fx.expected();
    let hot: Vec<_> = expected
        .values()
        .filter(|r| r.user_id_normalized().is_some_and(|u| u.starts_with("hot")))
        .collect();
    let users: BTreeSet<_> = hot.iter().map(|r| r.user_id_normalized()).collect();
    assert!(
        hot.len() > 2_500 && users.len() > 1_500,
        "{} {}",
        hot.len(),
        users.len()
    );
    assert!(
        hot.iter().any(|r| r.blobs.len() > 1),
        "duplicates across blobs"
    );

    let day = hot[0].creation_time[..10].to_string();
    let full = report(&fx, &day, &day).await;
    assert_eq!(comparable(&full), expected_report(&fx, &day, &day));
    let top = &full["apps"][0];
    let app_id = hot[0].app_id.as_deref().unwrap().to_lowercase();
    assert_eq!(top["app_id"], json!(app_id));
    assert!(common::n(top, "launches") >= hot.len() as u64);
    assert!(common::n(top, "unique_users") >= users.len() as u64);
    eprintln!(
        "hot app-day: {} launches by {} users in {} runs, peak RSS {} MB, {:.1} s",
        common::n(top, "launches"),
        common::n(top, "unique_users"),
        done.runs,
        done.peak_mb,
        done.seconds
    );
}
