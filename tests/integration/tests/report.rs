//! `audit-report` end to end: after real syncs of an emulated tenant into moto, the report equals
//! what the emulator says happened.

mod common;

use common::{Fixture, comparable, day_range, expected_report, small_tenant};
use integration_tests::invoke;
use o365_emulator::{ContentType, FaultKind, RandomFault, RandomFaults};
use serde_json::{Value, json};

const REPORT: &str = "audit-report";

async fn report(fx: &Fixture, event: Value) -> Value {
    invoke(REPORT, &fx.env, &event).await.ok().clone()
}

#[tokio::test]
async fn the_report_equals_the_truth_after_overlapping_syncs_and_for_sub_ranges() {
    let fx = Fixture::new(small_tenant()).await;
    fx.sync_ok().await;
    fx.sync_ok().await;
    let (first, last) = day_range(&fx);
    let full = report(&fx, json!({"from": first, "to": last})).await;
    assert!(full["totals"]["launches"].as_u64().unwrap() > 10, "{full}");
    assert_eq!(comparable(&full), expected_report(&fx, &first, &last));

    // A single day, and one app over the whole range.
    let one_day = report(&fx, json!({"from": last, "to": last})).await;
    assert_eq!(comparable(&one_day), expected_report(&fx, &last, &last));
    let top = full["apps"][0]["app_id"].as_str().unwrap();
    let one_app = report(
        &fx,
        json!({"from": first, "to": last, "app_id": top, "by_day": true}),
    )
    .await;
    assert_eq!(one_app["apps"].as_array().unwrap().len(), 1);
    assert_eq!(one_app["apps"][0]["launches"], full["apps"][0]["launches"]);
    let by_day = one_app["apps"][0]["by_day"].as_array().unwrap();
    let sum: u64 = by_day.iter().map(|d| d["launches"].as_u64().unwrap()).sum();
    assert_eq!(sum, full["apps"][0]["launches"].as_u64().unwrap());
    // Unique users over the range are not the sum of the days'.
    let max_day = by_day
        .iter()
        .map(|d| d["unique_users"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(full["apps"][0]["unique_users"].as_u64().unwrap() >= max_day);
}

#[tokio::test]
async fn the_report_is_exact_after_a_fault_storm() {
    let fx = Fixture::new(small_tenant()).await;
    let fault = |fault, probability| RandomFault { fault, probability };
    fx.tenant.set_random_faults(RandomFaults {
        seed: 11,
        path_contains: None,
        faults: vec![
            fault(FaultKind::Throttle429, 0.08),
            fault(FaultKind::Server500, 0.08),
            fault(FaultKind::Cut { after_bytes: 300 }, 0.08),
            fault(FaultKind::ExpireTokens, 0.04),
        ],
    });
    for _ in 0..6 {
        let run = fx.sync(json!({})).await;
        if run.status.success() && run.reply["complete"] == json!(true) {
            break;
        }
    }
    fx.tenant.clear_faults();
    let (first, last) = day_range(&fx);
    let full = report(&fx, json!({"from": first, "to": last})).await;
    assert_eq!(comparable(&full), expected_report(&fx, &first, &last));
}

#[tokio::test]
async fn case_variants_count_once_a_late_launch_moves_its_day_and_deletions_are_flagged() {
    let fx = Fixture::new(o365_emulator::EmulatorConfig {
        generator: o365_emulator::GeneratorConfig {
            hours_before: 1,
            power_platform_fraction: 0.0,
            ..small_tenant().generator
        },
        ..small_tenant()
    })
    .await;
    let now = fx.tenant.now();
    let app = "33333333-0000-4000-8000-00000000000d";
    let launch = |id: &str, user: &str, time: &str| {
        json!({"Id": id, "RecordType": 256, "CreationTime": time, "Operation": "LaunchPowerApp",
               "Workload": "PowerPlatform", "UserId": user,
               "PropertyCollection": [{"Name": "powerplatform.analytics.resource.power_app.id", "Value": app},
                                      {"Name": "powerplatform.analytics.resource.power_app.display_name", "Value": "Case App"}]})
    };
    let day = now.date().to_string();
    let t = |hh: &str| format!("{day}T{hh}");
    fx.tenant.add_blob(
        ContentType::General,
        now - time::Duration::minutes(30),
        None,
        vec![
            launch(
                "d0000000-0000-4000-8000-000000000001",
                "Pat@Contoso.com",
                &t("00:10:00"),
            ),
            launch(
                "d0000000-0000-4000-8000-000000000002",
                "pat@contoso.com",
                &t("00:20:00"),
            ),
            launch(
                "d0000000-0000-4000-8000-000000000003",
                "PAT@CONTOSO.COM",
                &t("00:30:00"),
            ),
        ],
    );
    fx.sync_ok().await;
    let before = report(&fx, json!({"from": day, "to": day, "app_id": app})).await;
    assert_eq!(before["apps"][0]["launches"], json!(3));
    assert_eq!(before["apps"][0]["unique_users"], json!(1), "{before}");
    assert_eq!(before["apps"][0]["app_name"], json!("Case App"));

    // A launch of this morning arrives in a blob that only becomes visible later.
    fx.tenant.add_blob(
        ContentType::General,
        now - time::Duration::minutes(20),
        Some(now + time::Duration::minutes(10)),
        vec![
            launch("d0000000-0000-4000-8000-000000000004", "sam@contoso.com", &t("00:05:00")),
            json!({"Id": "d0000000-0000-4000-8000-000000000005", "RecordType": 256, "CreationTime": t("00:40:00"),
                   "Operation": "DeletePowerApp", "Workload": "PowerPlatform", "UserId": "admin@contoso.com",
                   "PropertyCollection": [{"Name": "powerplatform.analytics.resource.power_app.id", "Value": app},
                                          {"Name": "powerplatform.analytics.resource.type", "Value": "PowerApp"}]}),
        ],
    );
    fx.tenant.advance_clock(time::Duration::minutes(15));
    fx.sync_ok().await;
    let after = report(&fx, json!({"from": day, "to": day, "app_id": app})).await;
    assert_eq!(after["apps"][0]["launches"], json!(4), "{after}");
    assert_eq!(after["apps"][0]["unique_users"], json!(2));
    assert_eq!(
        after["apps"][0]["last_launched"],
        json!(t("00:30:00") + "Z"),
        "the late launch is older"
    );
    assert_eq!(after["apps"][0]["deleted"], json!(true));
    assert_eq!(after["apps"][0]["deleted_at"], json!(t("00:40:00") + "Z"));
}

#[tokio::test]
async fn bad_report_requests_are_explained() {
    let fx = Fixture::new(small_tenant()).await;
    for (event, words) in [
        (json!({"from": "2026-11-02", "to": "2026-11-01"}), "after"),
        (
            json!({"from": "2024-01-01", "to": "2026-11-01"}),
            "at most 366",
        ),
        (json!({"from": "Monday"}), "not a date"),
        (json!({"formt": "html"}), "unknown field"),
        (json!({"format": "pdf"}), r#"expected "json" or "html""#),
        (json!({"format": "json", "publish": true}), "\"publish\""),
        (json!({"top": 0}), "\"top\""),
    ] {
        let run = invoke(REPORT, &fx.env, &event).await;
        assert_eq!(run.error_type(), "InputError", "{event}");
        assert!(
            run.error_message().contains(words),
            "{event}: {}",
            run.error_message()
        );
    }
    // An empty table is an empty report, not an error.
    let empty = invoke(REPORT, &fx.env, &json!({})).await;
    assert_eq!(
        empty.ok()["totals"],
        json!({"launches": 0, "unique_users": 0, "apps": 0})
    );
}

#[tokio::test]
async fn the_report_outlives_the_raw_events_when_they_expire() {
    let fx = Fixture::new(small_tenant()).await;
    let env =
        integration_tests::with_vars(fx.env.clone(), &[("AUDIT_LOGS_EVENT_RETENTION_DAYS", "30")]);
    integration_tests::invoke(common::FUNCTION, &env, &json!({}))
        .await
        .ok();
    let (first, last) = day_range(&fx);
    let before = report(&fx, json!({"from": first, "to": last})).await;

    // Event items expire 30 days after their CreationTime; the summaries never do.
    let items = integration_tests::scan_all(&fx.moto, &fx.tables.events).await;
    let mut events = 0;
    for item in &items {
        let sk = item["sk"].as_s().unwrap();
        if sk.starts_with("EV#") {
            events += 1;
            let created = time::OffsetDateTime::parse(
                item["creation_time"].as_s().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap();
            let expires: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
            assert_eq!(
                expires,
                (created + time::Duration::days(30)).unix_timestamp()
            );
        } else {
            assert!(
                !item.contains_key("expires_at"),
                "a summary item expires: {item:?}"
            );
        }
    }
    assert!(events > 10);

    // As DynamoDB's TTL would: every event item gone. The report does not read them.
    let client = aws_sdk_dynamodb::Client::new(&fx.moto.sdk_config().await);
    for item in items
        .iter()
        .filter(|i| i["sk"].as_s().unwrap().starts_with("EV#"))
    {
        client
            .delete_item()
            .table_name(&fx.tables.events)
            .key("pk", item["pk"].clone())
            .key("sk", item["sk"].clone())
            .send()
            .await
            .unwrap();
    }
    let after = report(&fx, json!({"from": first, "to": last})).await;
    assert_eq!(after, before);
    assert_eq!(comparable(&after), expected_report(&fx, &first, &last));
}
