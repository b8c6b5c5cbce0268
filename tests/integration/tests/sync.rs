//! `audit-sync` end to end: the binary against the emulated tenant and moto's DynamoDB, both
//! over HTTP, compared with the emulator's own truth.

mod common;

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use common::{FUNCTION, Fixture, n, small_tenant};
use integration_tests::{invoke, with_vars};
use o365_emulator::{
    ContentType, EmulatorConfig, FaultKind, FaultRule, GeneratorConfig, RandomFault, RandomFaults,
};
use serde_json::json;
use time::OffsetDateTime;

#[tokio::test]
async fn two_runs_store_every_event_exactly_once() {
    let fx = Fixture::new(small_tenant()).await;
    let first = fx.sync_ok().await;
    assert_eq!(first["complete"], json!(true), "{first}");
    assert!(n(&first, "events_new") > 0);
    assert!(n(&first, "records_filtered") > 0, "noise is filtered out");
    assert_eq!(
        n(&first, "records_kept"),
        n(&first, "events_new") + n(&first, "duplicates")
    );
    fx.assert_exactly_the_truth().await;
    let launches = fx.expected().values().filter(|r| r.is_app_launch()).count();
    assert!(launches > 10, "the tenant has launches in both shapes");

    // The service re-delivered some records in later blobs: those were duplicates, not new rows.
    let truth = fx.tenant.truth(false);
    let redelivered = truth.records.iter().filter(|r| r.blobs.len() > 1).count();
    assert!(redelivered > 0 && n(&first, "duplicates") > 0);

    let second = fx.sync_ok().await;
    assert_eq!(second["complete"], json!(true));
    assert_eq!(n(&second, "events_new"), 0, "{second}");
    assert_eq!(
        n(&second, "blobs_fetched"),
        0,
        "the ledger knows every blob: {second}"
    );
    assert!(n(&second, "blobs_already_processed") > 0);
    fx.assert_exactly_the_truth().await;
    assert!(
        second["watermark_after"]["Audit.General"].as_str()
            >= first["watermark_after"]["Audit.General"].as_str()
    );
}

#[tokio::test]
async fn duplicates_inside_and_across_blobs_collapse_and_malformed_records_are_counted() {
    let fx = Fixture::new(EmulatorConfig {
        generator: GeneratorConfig {
            hours_before: 2,
            ..small_tenant().generator
        },
        ..small_tenant()
    })
    .await;
    let now = fx.tenant.now();
    let launch = |id: &str, app: &str, user: &str| {
        json!({"Id": id, "RecordType": 45, "CreationTime": "2026-11-24T10:00:00", "Operation": "LaunchPowerApp",
               "Workload": "PowerApps", "UserId": user, "AppName": app, "AppDisplayName": "Dup App",
               "UserKey": "k", "ResultStatus": "Succeeded"})
    };
    let a = launch(
        "aaaaaaaa-0000-4000-8000-000000000001",
        "11111111-0000-4000-8000-00000000000a",
        "Ann@Contoso.com",
    );
    let b = launch(
        "aaaaaaaa-0000-4000-8000-000000000002",
        "11111111-0000-4000-8000-00000000000a",
        "ann@contoso.com",
    );
    fx.tenant.add_blob(
        ContentType::General,
        now - time::Duration::minutes(50),
        None,
        vec![
            a.clone(),
            a.clone(),
            json!("not an object"),
            json!({"RecordType": 256, "Operation": "LaunchPowerApp"}),
            json!({"Id": "bbbbbbbb-0000-4000-8000-000000000003", "RecordType": 45, "CreationTime": "yesterday",
                   "Operation": "LaunchPowerApp"}),
            b.clone(),
        ],
    );
    fx.tenant.add_blob(
        ContentType::General,
        now - time::Duration::minutes(40),
        None,
        vec![b.clone(), a.clone()],
    );

    let run = fx.sync_ok().await;
    assert_eq!(run["complete"], json!(true));
    assert_eq!(n(&run, "records_rejected"), 3, "{run}");
    let stored = fx.stored().await;
    for id in [
        "aaaaaaaa-0000-4000-8000-000000000001",
        "aaaaaaaa-0000-4000-8000-000000000002",
    ] {
        assert!(
            stored.contains_key(id),
            "{id} stored beside the malformed records"
        );
    }
    assert!(!stored.contains_key("bbbbbbbb-0000-4000-8000-000000000003"));
    let sync_log = fx.sync(json!({})).await;
    assert!(sync_log.ok()["events_new"] == json!(0));
    fx.assert_exactly_the_truth().await;
}

#[tokio::test]
async fn a_late_blob_is_picked_up_by_the_next_run() {
    let fx = Fixture::new(EmulatorConfig {
        generator: GeneratorConfig {
            hours_before: 3,
            late_rate: 0.0,
            ..small_tenant().generator
        },
        ..small_tenant()
    })
    .await;
    let now = fx.tenant.now();
    let late_id = "cccccccc-0000-4000-8000-00000000000c";
    fx.tenant.add_blob(
        ContentType::General,
        now - time::Duration::minutes(90),
        Some(now + time::Duration::minutes(30)),
        vec![json!({"Id": late_id, "RecordType": 256, "CreationTime": "2026-11-24T09:00:00",
                    "Operation": "LaunchPowerApp", "Workload": "PowerPlatform", "UserId": "late@contoso.com",
                    "PropertyCollection": [{"Name": "powerplatform.analytics.resource.power_app.id",
                                            "Value": "22222222-0000-4000-8000-00000000000b"}]})],
    );
    let first = fx.sync_ok().await;
    assert_eq!(first["complete"], json!(true));
    assert!(!fx.stored().await.contains_key(late_id), "not visible yet");

    fx.tenant.advance_clock(time::Duration::hours(1));
    let second = fx.sync_ok().await;
    assert_eq!(n(&second, "events_new"), 1, "{second}");
    let stored = fx.stored().await;
    assert_eq!(
        stored[late_id]["app_id"].as_s().unwrap(),
        "22222222-0000-4000-8000-00000000000b"
    );
    fx.assert_exactly_the_truth().await;
}

#[tokio::test]
async fn a_fault_storm_still_ends_with_exactly_the_truth() {
    let fx = Fixture::new(small_tenant()).await;
    let fault = |fault, probability| RandomFault { fault, probability };
    fx.tenant.set_random_faults(RandomFaults {
        seed: 7,
        path_contains: None,
        faults: vec![
            fault(FaultKind::Throttle429, 0.06),
            fault(FaultKind::Throttle403, 0.06),
            fault(FaultKind::Server500, 0.05),
            fault(FaultKind::Unavailable503, 0.05),
            fault(FaultKind::Timeout408, 0.03),
            fault(FaultKind::Cut { after_bytes: 200 }, 0.06),
            fault(FaultKind::ExpireTokens, 0.03),
            fault(FaultKind::Delay { ms: 50 }, 0.05),
        ],
    });
    let mut complete = false;
    for _ in 0..6 {
        let run = fx.sync(json!({})).await;
        if run.status.success() && run.reply["complete"] == json!(true) {
            complete = true;
            break;
        }
    }
    assert!(complete, "the storm was survived within six runs");
    let stats = fx.tenant.stats();
    for kind in [
        "throttle_429",
        "throttle_403",
        "server_500",
        "unavailable_503",
        "cut",
        "expire_tokens",
    ] {
        assert!(
            stats.faults_by_kind.get(kind).copied().unwrap_or(0) > 0,
            "{kind} was injected: {stats:?}"
        );
    }
    fx.tenant.clear_faults();
    fx.assert_exactly_the_truth().await;
}

#[tokio::test]
async fn a_run_stopped_by_its_deadline_or_killed_loses_nothing() {
    let fx = Fixture::new(small_tenant()).await;
    // Slow blobs and a one-second budget: the run stops taking blobs and says so.
    fx.tenant
        .inject(FaultRule::new("/audit/", FaultKind::Delay { ms: 400 }).times(1000));
    let env = with_vars(
        fx.env.clone(),
        &[
            ("AUDIT_LOGS_MAX_RUN_SECONDS", "1"),
            ("AUDIT_LOGS_CONCURRENCY", "2"),
        ],
    );
    let partial = invoke(FUNCTION, &env, &json!({})).await;
    let partial = partial.ok();
    assert_eq!(partial["complete"], json!(false), "{partial}");
    assert!(n(partial, "blobs_deferred") > 0);
    assert!(n(partial, "blobs_fetched") > 0);
    let wm_partial = partial["watermark_after"]["Audit.General"]
        .as_str()
        .unwrap()
        .to_string();

    // Killed outright in the middle of a run.
    let mut child = tokio::process::Command::new(integration_tests::function_binary(FUNCTION))
        .env_clear()
        .envs(fx.env.iter().map(|(k, v)| (k, v)))
        .arg("{}")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    child.start_kill().unwrap();
    child.wait().await.unwrap();

    fx.tenant.clear_faults();
    let rest = fx.sync_ok().await;
    assert_eq!(rest["complete"], json!(true), "{rest}");
    assert!(rest["watermark_after"]["Audit.General"].as_str().unwrap() > wm_partial.as_str());
    fx.assert_exactly_the_truth().await;
}

#[tokio::test]
async fn a_thirty_hour_gap_is_listed_in_24_hour_windows_and_an_old_watermark_is_clamped() {
    let fx = Fixture::new(small_tenant()).await;
    let env = with_vars(
        fx.env.clone(),
        &[
            ("AUDIT_LOGS_INITIAL_LOOKBACK_HOURS", "30"),
            ("AUDIT_LOGS_OVERLAP_MINUTES", "0"),
        ],
    );
    let run = invoke(FUNCTION, &env, &json!({})).await;
    let run = run.ok();
    assert_eq!(n(run, "windows"), 2, "{run}");
    assert!(run["clamped"].as_array().unwrap().is_empty());

    // A watermark eight days old: the first day of it is beyond the API's retention.
    let client = aws_sdk_dynamodb::Client::new(&fx.moto.sdk_config().await);
    let old = OffsetDateTime::now_utc() - time::Duration::days(8);
    client
        .put_item()
        .table_name(&fx.tables.state)
        .item("pk", AttributeValue::S("WATERMARK".into()))
        .item("sk", AttributeValue::S("Audit.General".into()))
        .item(
            "watermark",
            AttributeValue::S(audit_core::records::format_utc(
                old,
                audit_core::records::UtcStyle::Millis,
            )),
        )
        .send()
        .await
        .unwrap();
    let run = invoke(FUNCTION, &env, &json!({})).await;
    let run = run.ok();
    let clamped = run["clamped"].as_array().unwrap();
    assert_eq!(clamped.len(), 1, "{run}");
    assert_eq!(clamped[0]["content_type"], "Audit.General");
    assert_eq!(n(run, "windows"), 7, "seven days in 24-hour windows: {run}");
    assert!(run["watermark_after"]["Audit.General"].as_str().unwrap() > "2026");
}

#[tokio::test]
async fn an_expired_blob_is_counted_and_skipped() {
    let fx = Fixture::new(EmulatorConfig {
        generator: GeneratorConfig {
            hours_before: 2,
            ..small_tenant().generator
        },
        ..small_tenant()
    })
    .await;
    // The blob expires between the listing and the fetch.
    let created = fx.tenant.now() - time::Duration::days(7) + time::Duration::minutes(20);
    let id = fx.tenant.add_blob(
        ContentType::General,
        created,
        None,
        vec![json!({"Id": "x"})],
    );
    fx.tenant.inject(FaultRule::new(
        format!("/audit/{id}"),
        FaultKind::Delay { ms: 1500 },
    ));
    let env = with_vars(
        fx.env.clone(),
        &[("AUDIT_LOGS_INITIAL_LOOKBACK_HOURS", "168")],
    );
    let running = tokio::spawn({
        let env = env.clone();
        async move { invoke(FUNCTION, &env, &json!({})).await }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    fx.tenant.advance_clock(time::Duration::minutes(30));
    let run = running.await.unwrap();
    let run = run.ok();
    assert_eq!(n(run, "blobs_expired"), 1, "{run}");
    assert_eq!(run["complete"], json!(true));
    let again = invoke(FUNCTION, &env, &json!({})).await;
    assert_eq!(
        n(again.ok(), "blobs_expired"),
        0,
        "an expired blob is not retried forever"
    );
}

#[tokio::test]
async fn a_backfill_syncs_its_range_without_moving_the_watermark_back() {
    let fx = Fixture::new(small_tenant()).await;
    let first = fx.sync(json!({})).await;
    let wm = first.ok()["watermark_after"]["Audit.General"]
        .as_str()
        .unwrap()
        .to_string();
    let now = OffsetDateTime::now_utc();
    let start = audit_core::records::format_utc(
        now - time::Duration::hours(20),
        audit_core::records::UtcStyle::Seconds,
    );
    let end = audit_core::records::format_utc(
        now - time::Duration::hours(10),
        audit_core::records::UtcStyle::Seconds,
    );
    let backfill = fx.sync(json!({"start": start, "end": end})).await;
    let backfill = backfill.ok();
    assert_eq!(backfill["mode"], "backfill");
    assert_eq!(n(backfill, "events_new"), 0, "already stored");
    assert!(
        backfill["watermark_after"].as_object().unwrap().is_empty(),
        "{backfill}"
    );
    let after = fx.sync_ok().await;
    assert!(after["watermark_after"]["Audit.General"].as_str().unwrap() >= wm.as_str());
}

#[tokio::test]
async fn a_missing_subscription_names_the_fix() {
    let fx = Fixture::new(EmulatorConfig {
        subscriptions_enabled: vec![],
        ..small_tenant()
    })
    .await;
    let run = fx.sync_ok().await;
    assert_eq!(run["complete"], json!(false), "{run}");
    let errors = run["errors"].to_string();
    assert!(
        errors.contains("Audit.General") && errors.contains("AF20022"),
        "{run}"
    );
    assert!(errors.contains(r#"{\"operation\":\"start\"}"#), "{run}");
    assert!(run["watermark_after"]["Audit.General"].is_string(), "{run}");
    fx.tenant.disable_subscription(ContentType::General);
    let bad = fx.sync(json!({"unexpected": 1})).await;
    assert_eq!(bad.error_type(), "InputError");
}

#[tokio::test]
async fn one_content_type_without_a_subscription_leaves_the_others_to_sync() {
    let fx = Fixture::new(small_tenant()).await;
    let env = with_vars(
        fx.env.clone(),
        &[("AUDIT_LOGS_CONTENT_TYPES", "Audit.SharePoint,Audit.General")],
    );
    let run = invoke(FUNCTION, &env, &json!({})).await;
    let run = run.ok();
    assert_eq!(run["complete"], json!(false), "{run}");
    let errors = run["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{run}");
    let error = errors[0].as_str().unwrap();
    assert!(
        error.starts_with("Audit.SharePoint: ") && error.contains("AF20022"),
        "{error}"
    );
    assert!(error.contains(r#"{"operation":"start"}"#), "{error}");
    assert!(n(run, "events_new") > 0, "Audit.General synced: {run}");
    fx.assert_exactly_the_truth().await;
}

#[tokio::test]
async fn the_sync_runs_through_cargo_lambda_within_its_deadline() {
    let fx = Fixture::new(small_tenant()).await;
    let lambda = integration_tests::CargoLambda::start(FUNCTION, &fx.env).await;
    let summary = lambda.invoke(&json!({})).await.unwrap();
    assert_eq!(summary["complete"], json!(true), "{summary}");
    assert!(n(&summary, "events_new") > 0);
    fx.assert_exactly_the_truth().await;
}

#[tokio::test]
async fn a_catch_up_settles_each_window_before_listing_the_next() {
    // Three days of history, a 168-hour first run: eight windows. Slow blobs and a two-second
    // budget stop the first run early.
    let fx = Fixture::new(EmulatorConfig {
        generator: GeneratorConfig {
            hours_before: 72,
            blobs_per_hour: 1,
            records_per_blob_min: 5,
            records_per_blob_max: 10,
            content_types: vec![ContentType::General],
            ..small_tenant().generator
        },
        ..small_tenant()
    })
    .await;
    fx.tenant
        .inject(FaultRule::new("/audit/", FaultKind::Delay { ms: 300 }).times(10_000));
    let env = with_vars(
        fx.env.clone(),
        &[
            ("AUDIT_LOGS_MAX_RUN_SECONDS", "2"),
            ("AUDIT_LOGS_CONCURRENCY", "2"),
        ],
    );
    let first = invoke(FUNCTION, &env, &json!({})).await;
    let first = first.ok();
    assert_eq!(first["stopped_early"], json!(true), "{first}");
    // The run listed only as far as it worked: not every window up front.
    assert!(n(first, "windows") < 8, "{first}");
    assert!(n(first, "blobs_fetched") > 0, "{first}");
    let after_first = first["watermark_after"]["Audit.General"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        first["watermark_before"]["Audit.General"].is_null(),
        "a first run: {first}"
    );

    // The next runs resume where the last one stopped and never fetch a settled blob again.
    let mut fetched = n(first, "blobs_fetched");
    let mut last = after_first.clone();
    for _ in 0..40 {
        let run = invoke(FUNCTION, &env, &json!({})).await;
        let run = run.ok();
        fetched += n(run, "blobs_fetched");
        let now = run["watermark_after"]["Audit.General"].as_str().unwrap();
        assert!(now >= last.as_str(), "the watermark never goes back: {run}");
        last = now.to_string();
        if run["complete"] == json!(true) {
            break;
        }
    }
    fx.tenant.clear_faults();
    let done = fx.sync_ok().await;
    assert_eq!(done["complete"], json!(true), "{done}");
    fetched += n(&done, "blobs_fetched");
    let blobs = fx.tenant.truth(true).blobs.len() as u64;
    assert_eq!(
        fetched, blobs,
        "each blob fetched once, across the stopped runs"
    );
    fx.assert_exactly_the_truth().await;
}
