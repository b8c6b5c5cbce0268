//! The paths where events could be lost or summaries poisoned, through the sync binary against
//! the emulator and moto: records no real tenant writes (dated before 2000 or days ahead, app
//! ids and users that cannot be keys) are counted and never reach a key or a summary, while the
//! valid records beside them are stored; a deletion is cleared by a later launch; a blob whose
//! content is not fetchable yet (AF20050) is retried, not written off.

mod common;

use common::{Fixture, n, small_tenant};
use integration_tests::invoke;
use o365_emulator::{ContentType, EmulatorConfig, FaultKind, FaultRule, GeneratorConfig};
use serde_json::{Value, json};

const APP: &str = "d1d1d1d1-0000-4000-8000-000000000001";

fn quiet_tenant() -> EmulatorConfig {
    EmulatorConfig {
        generator: GeneratorConfig {
            hours_before: 2,
            ..small_tenant().generator
        },
        ..small_tenant()
    }
}

fn record(id: &str, operation: &str, app: &str, user: &str, time: &str) -> Value {
    json!({"Id": id, "RecordType": 45, "CreationTime": time, "Operation": operation,
           "Workload": "PowerApps", "UserId": user, "AppName": app, "AppDisplayName": "Field App"})
}

fn at(fx: &Fixture, minutes_ago: i64) -> String {
    (fx.tenant.now() - time::Duration::minutes(minutes_ago))
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap()
}

async fn report_row(fx: &Fixture, app: &str) -> Value {
    let day = &at(fx, 0)[..10];
    let report = invoke(
        "audit-report",
        &fx.env,
        &json!({"from": "2026-01-01", "to": day, "app_id": app}),
    )
    .await;
    let apps = report.ok()["apps"].as_array().unwrap().clone();
    apps.into_iter()
        .find(|row| row["app_id"] == json!(app))
        .unwrap_or_else(|| panic!("{app} in the report"))
}

#[tokio::test]
async fn records_no_tenant_writes_are_counted_and_never_reach_a_summary() {
    let fx = Fixture::new(quiet_tenant()).await;
    let ahead = (fx.tenant.now() + time::Duration::days(400))
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap();
    let long_app = "a".repeat(300);
    let long_user = format!("{}@contoso.com", "u".repeat(600));
    let newest = at(&fx, 40);
    let good = [
        record(
            "good-1",
            "LaunchPowerApp",
            APP,
            "ana@contoso.com",
            &at(&fx, 50),
        ),
        record("good-2", "LaunchPowerApp", APP, "bo@contoso.com", &newest),
    ];
    let bad = [
        record("future", "LaunchPowerApp", APP, "eve@contoso.com", &ahead),
        record(
            "ancient",
            "LaunchPowerApp",
            APP,
            "eve@contoso.com",
            "1999-12-31T23:00:00",
        ),
        record(
            "long-app",
            "LaunchPowerApp",
            &long_app,
            "eve@contoso.com",
            &at(&fx, 45),
        ),
        record(
            "hash-app",
            "LaunchPowerApp",
            &format!("{APP}#x"),
            "eve@contoso.com",
            &at(&fx, 45),
        ),
        record("long-user", "LaunchPowerApp", APP, &long_user, &at(&fx, 45)),
    ];
    let records = bad.iter().chain(&good).cloned().collect();
    fx.tenant.add_blob(
        ContentType::General,
        fx.tenant.now() - time::Duration::minutes(30),
        None,
        records,
    );

    let reply = fx.sync_ok().await;
    assert_eq!(reply["complete"], json!(true), "{reply}");
    assert_eq!(n(&reply, "records_rejected"), bad.len() as u64, "{reply}");
    let stored = fx.stored().await;
    for id in ["good-1", "good-2"] {
        assert!(stored.contains_key(id), "{id} is stored");
    }
    for id in ["future", "ancient", "long-app", "hash-app", "long-user"] {
        assert!(!stored.contains_key(id), "{id} is not stored");
    }
    // The app's facts come from its valid launches only.
    let row = report_row(&fx, APP).await;
    assert_eq!(row["launches"], json!(2), "{row}");
    assert_eq!(row["unique_users"], json!(2), "{row}");
    assert_eq!(
        row["last_launched"],
        json!(format!("{newest}Z")),
        "the future launch did not set it: {row}"
    );
}

#[tokio::test]
async fn a_launch_after_a_deletion_makes_the_app_live_again() {
    let fx = Fixture::new(quiet_tenant()).await;
    let created = fx.tenant.now() - time::Duration::minutes(30);
    let delete = json!({"Id": "delete-1", "RecordType": 45, "CreationTime": at(&fx, 50),
        "Operation": "DeletePowerApp", "Workload": "PowerApps", "UserId": "admin@contoso.com",
        "AppName": APP});
    fx.tenant.add_blob(
        ContentType::General,
        created,
        None,
        vec![
            record(
                "launch-1",
                "LaunchPowerApp",
                APP,
                "ana@contoso.com",
                &at(&fx, 55),
            ),
            delete,
        ],
    );
    fx.sync_ok().await;
    let deleted = report_row(&fx, APP).await;
    assert_eq!(deleted["deleted"], json!(true), "{deleted}");

    // Restored and launched again: the app is live.
    fx.tenant.add_blob(
        ContentType::General,
        created + time::Duration::minutes(5),
        None,
        vec![record(
            "launch-2",
            "LaunchPowerApp",
            APP,
            "bo@contoso.com",
            &at(&fx, 20),
        )],
    );
    fx.sync_ok().await;
    let live = report_row(&fx, APP).await;
    assert_eq!(live["deleted"], json!(false), "{live}");
    assert_eq!(live["launches"], json!(2), "{live}");
}

#[tokio::test]
async fn content_not_fetchable_yet_is_retried_not_written_off() {
    let fx = Fixture::new(quiet_tenant()).await;
    fx.tenant.add_blob(
        ContentType::General,
        fx.tenant.now() - time::Duration::minutes(30),
        None,
        vec![record(
            "late-1",
            "LaunchPowerApp",
            APP,
            "ana@contoso.com",
            &at(&fx, 35),
        )],
    );
    // Every blob fetch of the first run answers AF20050.
    fx.tenant
        .inject(FaultRule::new("/audit/", FaultKind::ContentMissing).times(1000));
    let first = fx.sync_ok().await;
    assert_eq!(first["complete"], json!(false), "{first}");
    assert!(n(&first, "blobs_failed") > 0, "{first}");
    assert_eq!(n(&first, "blobs_expired"), 0, "not written off: {first}");
    assert!(first["errors"].to_string().contains("AF20050"), "{first}");
    assert!(!fx.stored().await.contains_key("late-1"));

    fx.tenant.clear_faults();
    let second = fx.sync_ok().await;
    assert_eq!(second["complete"], json!(true), "{second}");
    fx.assert_exactly_the_truth().await;
    assert!(fx.stored().await.contains_key("late-1"));
}

/// Text gzip cannot shrink by a quarter: random printable characters (no quote or
/// backslash), about 6.5 bits each.
fn incompressible(bytes: usize, seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..bytes)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let c = b'#' + (x % 91) as u8;
            if c == b'\\' { '~' } else { c as char }
        })
        .collect()
}

#[tokio::test]
async fn records_too_large_for_one_item_are_stored_whole_and_counted() {
    let fx = Fixture::new(quiet_tenant()).await;
    let big = |id: &str, payload: String, minutes: i64| {
        let mut r = record(
            id,
            "LaunchPowerApp",
            APP,
            &format!("{id}@contoso.com"),
            &at(&fx, minutes),
        );
        r["Payload"] = json!(payload);
        r
    };
    let records = vec![
        // Just under DynamoDB's 400 KB item, and well over it; compressible and not.
        big("under-400k-plain", incompressible(395_000, 1), 50),
        big("over-400k-plain", incompressible(1_000_000, 2), 49),
        // Escaped in the JSON text: 60,000 × 14 bytes, under the 1 MiB record limit.
        big("over-400k-gzip", "{\"k\": \"v\"} ".repeat(60_000), 48),
        big("under-400k-gzip", "abcdefgh".repeat(49_000), 47),
        record(
            "small",
            "LaunchPowerApp",
            APP,
            "ana@contoso.com",
            &at(&fx, 46),
        ),
    ];
    let raws: Vec<(String, String)> = records
        .iter()
        .map(|r| (r["Id"].as_str().unwrap().to_string(), r.to_string()))
        .collect();
    fx.tenant.add_blob(
        ContentType::General,
        fx.tenant.now() - time::Duration::minutes(30),
        None,
        records,
    );

    let reply = fx.sync_ok().await;
    assert_eq!(reply["complete"], json!(true), "{reply}");
    assert_eq!(n(&reply, "records_rejected"), 0, "{reply}");
    fx.assert_exactly_the_truth().await;

    // Every raw record reads back byte for byte, inline or from its parts.
    let store = audit_core::store::Store::new(
        &fx.moto.sdk_config().await,
        &fx.tables.events,
        &fx.tables.state,
    );
    let stored = fx.stored().await;
    for (id, raw) in &raws {
        let item = &stored[id];
        let back = store.raw_record(item).await.unwrap();
        assert_eq!(back.as_deref(), Some(raw.as_str()), "{id}");
    }
    assert!(stored["over-400k-plain"].contains_key("raw_parts"));
    assert!(!stored["small"].contains_key("raw_parts"));
    let row = report_row(&fx, APP).await;
    assert_eq!(row["launches"], json!(5), "{row}");
    assert_eq!(row["unique_users"], json!(5), "{row}");
}

/// A blob first listable 19 hours after its `contentCreated`, later than any scheduled run's
/// overlap (12 hours) reaches.
fn add_late_blob(fx: &Fixture, id: &str) {
    let now = fx.tenant.now();
    fx.tenant.add_blob(
        ContentType::General,
        now - time::Duration::hours(20),
        Some(now - time::Duration::minutes(50)),
        vec![record(
            id,
            "LaunchPowerApp",
            APP,
            "ana@contoso.com",
            &at(fx, 20 * 60 + 5),
        )],
    );
}

#[tokio::test]
async fn a_sweep_fetches_content_published_later_than_the_overlap() {
    let fx = Fixture::new(quiet_tenant()).await;
    let first = fx.sync_ok().await;
    assert_eq!(first["complete"], json!(true), "{first}");
    assert_eq!(
        first["swept"],
        json!(false),
        "the first run only starts the sweep's clock"
    );
    add_late_blob(&fx, "very-late");
    let scheduled = fx.sync_ok().await;
    assert!(!fx.stored().await.contains_key("very-late"), "{scheduled}");

    let sweep = fx.sync(json!({"sweep": true})).await.ok().clone();
    assert_eq!(sweep["mode"], json!("sweep"), "{sweep}");
    assert_eq!(
        (sweep["swept"].clone(), sweep["complete"].clone()),
        (json!(true), json!(true))
    );
    assert!(sweep["last_sweep"].is_string(), "{sweep}");
    assert_eq!(
        n(&sweep, "events_new"),
        1,
        "only what the ledger lacked: {sweep}"
    );
    assert!(n(&sweep, "blobs_already_processed") > 0, "{sweep}");
    assert_eq!(
        sweep["watermark_after"],
        json!({}),
        "the watermark is left alone: {sweep}"
    );
    fx.assert_exactly_the_truth().await;

    // Nothing new: a second sweep lists and fetches nothing.
    let again = fx.sync(json!({"sweep": true})).await.ok().clone();
    assert_eq!(
        (n(&again, "blobs_fetched"), n(&again, "events_new")),
        (0, 0),
        "{again}"
    );

    let bad = fx.sync(json!({"sweep": true, "start": "2026-11-20"})).await;
    assert!(!bad.status.success());
    let said = format!("{}{}", bad.stdout, bad.stderr);
    assert!(said.contains("a sweep lists the whole 7 days"), "{said}");
}

#[tokio::test]
async fn the_hourly_run_sweeps_once_the_last_sweep_is_a_day_old() {
    let fx = Fixture::new(quiet_tenant()).await;
    fx.sync_ok().await;
    // As if the sync had been deployed two days ago and never swept.
    let client = aws_sdk_dynamodb::Client::new(&fx.moto.sdk_config().await);
    let day = |days: i64| {
        audit_records::format_utc(
            fx.tenant.now() - time::Duration::days(days),
            audit_records::UtcStyle::Seconds,
        )
    };
    client
        .put_item()
        .table_name(&fx.tables.state)
        .item(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("SWEEP".into()),
        )
        .item(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("audit-sync".into()),
        )
        .item("since", aws_sdk_dynamodb::types::AttributeValue::S(day(6)))
        .item(
            "started",
            aws_sdk_dynamodb::types::AttributeValue::S(day(2)),
        )
        .send()
        .await
        .unwrap();
    add_late_blob(&fx, "late-auto");

    let swept = fx.sync_ok().await;
    assert_eq!(swept["mode"], json!("scheduled"), "{swept}");
    assert_eq!(swept["swept"], json!(true), "{swept}");
    assert!(fx.stored().await.contains_key("late-auto"));
    fx.assert_exactly_the_truth().await;
    let last = swept["last_sweep"].as_str().unwrap().to_string();

    // Swept a moment ago: the next hourly run does not sweep.
    let next = fx.sync_ok().await;
    assert_eq!(next["swept"], json!(false), "{next}");
    assert_eq!(next["last_sweep"], json!(last), "{next}");
}

/// Every item of the state table under `pk`.
async fn state_items(fx: &Fixture, pk: &str) -> Vec<common::Item> {
    integration_tests::scan_all(&fx.moto, &fx.tables.state)
        .await
        .into_iter()
        .filter(|item| item["pk"].as_s().is_ok_and(|p| p == pk))
        .collect()
}

#[tokio::test]
async fn a_blob_that_keeps_failing_does_not_hold_the_sync_and_is_stored_once_it_can_be() {
    let fx = Fixture::new(quiet_tenant()).await;
    // No overlap: the failing blob is never listed again, only its retry record brings it back.
    let env = integration_tests::with_vars(fx.env.clone(), &[("AUDIT_LOGS_OVERLAP_MINUTES", "0")]);
    let sync = || async {
        invoke(common::FUNCTION, &env, &json!({}))
            .await
            .ok()
            .clone()
    };
    let stuck = fx.tenant.add_blob(
        ContentType::General,
        fx.tenant.now() - time::Duration::minutes(30),
        None,
        vec![record(
            "stuck-1",
            "LaunchPowerApp",
            APP,
            "ana@contoso.com",
            &at(&fx, 35),
        )],
    );
    fx.tenant
        .inject(FaultRule::new(stuck.as_str(), FaultKind::ContentMissing).times(100_000));

    let first = sync().await;
    assert_eq!(
        (n(&first, "blobs_failed"), n(&first, "blobs_retrying")),
        (1, 1),
        "{first}"
    );
    assert_eq!(first["complete"], json!(false));
    let watermark = first["watermark_after"]["Audit.General"]
        .as_str()
        .unwrap()
        .to_string();
    let created = fx.tenant.now() - time::Duration::minutes(30);
    assert!(
        watermark > audit_records::format_utc(created, audit_records::UtcStyle::Seconds),
        "the watermark passed the recorded blob: {first}"
    );

    // Later content (published after the watermark) syncs while the blob still fails, and the
    // blob is tried again.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    fx.tenant.add_blob(
        ContentType::General,
        fx.tenant.now() - time::Duration::seconds(1),
        None,
        vec![record(
            "after-1",
            "LaunchPowerApp",
            APP,
            "bo@contoso.com",
            &at(&fx, 2),
        )],
    );
    let second = sync().await;
    assert_eq!(
        (n(&second, "blobs_retried"), n(&second, "blobs_retrying")),
        (1, 1),
        "{second}"
    );
    assert!(fx.stored().await.contains_key("after-1"));
    let retries = state_items(&fx, "RETRY#Audit.General").await;
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0]["attempts"].as_n().unwrap(), "2");
    assert!(retries[0]["last_error"].as_s().unwrap().contains("AF20050"));

    fx.tenant.clear_faults();
    let third = sync().await;
    assert_eq!(third["complete"], json!(true), "{third}");
    assert_eq!(n(&third, "blobs_retried"), 1, "{third}");
    assert!(fx.stored().await.contains_key("stuck-1"));
    assert!(state_items(&fx, "RETRY#Audit.General").await.is_empty());
    fx.assert_exactly_the_truth().await;
}

#[tokio::test]
async fn a_blob_that_failed_until_its_content_expired_is_reported_lost_by_id() {
    let fx = Fixture::new(quiet_tenant()).await;
    fx.sync_ok().await;
    // As a blob that failed on every run for a week leaves its record.
    let s = |v: &str| aws_sdk_dynamodb::types::AttributeValue::S(v.into());
    let client = aws_sdk_dynamodb::Client::new(&fx.moto.sdk_config().await);
    let created = fx.tenant.now() - time::Duration::days(7) - time::Duration::hours(1);
    let created = audit_records::format_utc(created, audit_records::UtcStyle::Millis);
    let expired = audit_records::format_utc(
        fx.tenant.now() - time::Duration::hours(1),
        audit_records::UtcStyle::Millis,
    );
    let id = "20261124000000000000000000000000000000lost$20261124000000000000000000000000000000lost$audit_general$Audit_General$na";
    client
        .put_item()
        .table_name(&fx.tables.state)
        .item("pk", s("RETRY#Audit.General"))
        .item("sk", s(&format!("{created}#{id}")))
        .item("content_id", s(id))
        .item(
            "content_uri",
            s(&format!(
                "https://manage.office.com/api/v1.0/x/activity/feed/audit/{id}"
            )),
        )
        .item("content_created", s(&created))
        .item("content_expiration", s(&expired))
        .item(
            "attempts",
            aws_sdk_dynamodb::types::AttributeValue::N("168".into()),
        )
        .item("last_error", s("HTTP 500 AF50000"))
        .send()
        .await
        .unwrap();

    let run = fx.sync_ok().await;
    assert_eq!(n(&run, "blobs_lost"), 1, "{run}");
    assert_eq!(run["lost_content_ids"], json!([id]), "{run}");
    assert_eq!(run["complete"], json!(false), "{run}");
    assert!(
        run["errors"].to_string().contains("168 failed attempts"),
        "{run}"
    );
    assert!(state_items(&fx, "RETRY#Audit.General").await.is_empty());
    let ledger = state_items(&fx, "LEDGER#Audit.General").await;
    let entry = ledger
        .iter()
        .find(|item| item["content_id"].as_s().unwrap() == id)
        .expect("the lost blob is in the ledger");
    assert_eq!(entry["status"].as_s().unwrap(), "lost");

    let next = fx.sync_ok().await;
    assert_eq!(
        (n(&next, "blobs_lost"), next["complete"].clone()),
        (0, json!(true)),
        "{next}"
    );
}

#[tokio::test]
async fn an_unreadable_listing_entry_is_skipped_and_the_rest_of_the_page_syncs() {
    let fx = Fixture::new(quiet_tenant()).await;
    fx.tenant.inject(
        FaultRule::new("/subscriptions/content", FaultKind::BrokenListingEntry).times(1000),
    );
    let run = fx.sync_ok().await;
    assert!(n(&run, "listing_entries_skipped") >= 1, "{run}");
    assert_eq!(run["complete"], json!(false), "{run}");
    assert!(
        run["errors"].to_string().contains("listing entry skipped"),
        "{run}"
    );
    fx.assert_exactly_the_truth().await;
}

#[tokio::test]
async fn a_listing_page_past_32_mib_is_refused_unread_and_the_window_waits() {
    let fx = Fixture::new(quiet_tenant()).await;
    let huge = FaultKind::HugePage {
        bytes: 40 * 1024 * 1024,
    };
    fx.tenant
        .inject(FaultRule::new("/subscriptions/content", huge).times(1));
    let (run, peak_mb) =
        integration_tests::invoke_measured(common::FUNCTION, &fx.env, &json!({})).await;
    let first = run.ok().clone();
    assert_eq!(first["complete"], json!(false), "{first}");
    assert!(
        first["errors"].to_string().contains("larger than 32 MiB"),
        "{first}"
    );
    // The page is not buffered past the limit.
    assert!(peak_mb < 128, "peak RSS {peak_mb} MB");

    let second = fx.sync_ok().await;
    assert_eq!(second["complete"], json!(true), "{second}");
    fx.assert_exactly_the_truth().await;
}
