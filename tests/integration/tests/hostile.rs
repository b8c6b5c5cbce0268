//! Hostile answers from the API side: huge blobs and records, deep nesting, invalid UTF-8,
//! looping or foreign paging links. Each is streamed, refused or rejected with a reason; nothing
//! crashes, memory stays bounded, and the watermark never passes what failed.

mod common;

use common::{Fixture, n, small_tenant};
use o365_emulator::{ContentType, EmulatorConfig, FaultKind, FaultRule, GeneratorConfig};
use serde_json::json;

fn quiet_tenant() -> EmulatorConfig {
    EmulatorConfig {
        generator: GeneratorConfig {
            hours_before: 1,
            ..small_tenant().generator
        },
        ..small_tenant()
    }
}

fn launch(id: &str) -> serde_json::Value {
    json!({"Id": id, "RecordType": 45, "CreationTime": "2026-11-24T10:00:00", "Operation": "LaunchPowerApp",
           "Workload": "PowerApps", "UserId": "h@contoso.com", "AppName": "44444444-0000-4000-8000-00000000000e"})
}

#[tokio::test]
async fn huge_deep_and_invalid_records_are_rejected_and_their_blobmates_stored() {
    let fx = Fixture::new(quiet_tenant()).await;
    let now = fx.tenant.now();
    let huge = format!(
        r#"{{"Id": "e0000000-0000-4000-8000-000000000001", "RecordType": 45, "CreationTime": "2026-11-24T10:00:00", "Operation": "LaunchPowerApp", "Pad": "{}"}}"#,
        "x".repeat(3 * 1024 * 1024)
    );
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let bad_utf8_record: &[u8] = b"{\"Id\": \"e0000000-0000-4000-8000-000000000003\", \"RecordType\": 45, \"CreationTime\": \"2026-11-24T10:00:00\", \"Operation\": \"Launch\xff\xfePowerApp\"}";
    let mut body = Vec::new();
    body.extend_from_slice(b"[");
    body.extend_from_slice(
        launch("e0000000-0000-4000-8000-00000000000a")
            .to_string()
            .as_bytes(),
    );
    body.extend_from_slice(b",");
    body.extend_from_slice(huge.as_bytes());
    body.extend_from_slice(b",");
    body.extend_from_slice(deep.as_bytes());
    body.extend_from_slice(b",");
    body.extend_from_slice(bad_utf8_record);
    body.extend_from_slice(b",");
    body.extend_from_slice(
        launch("e0000000-0000-4000-8000-00000000000b")
            .to_string()
            .as_bytes(),
    );
    body.extend_from_slice(b"]");
    fx.tenant.add_raw_blob(
        ContentType::General,
        now - time::Duration::minutes(30),
        None,
        body,
    );

    let run = fx.sync_ok().await;
    assert_eq!(run["complete"], json!(true), "{run}");
    assert_eq!(n(&run, "records_rejected"), 3, "{run}");
    let stored = fx.stored().await;
    assert!(stored.contains_key("e0000000-0000-4000-8000-00000000000a"));
    assert!(stored.contains_key("e0000000-0000-4000-8000-00000000000b"));
    assert!(!stored.contains_key("e0000000-0000-4000-8000-000000000001"));
}

#[tokio::test]
async fn a_blob_that_is_not_json_fails_and_is_recorded_for_retry() {
    let fx = Fixture::new(quiet_tenant()).await;
    let first = fx.sync_ok().await;
    let watermark = first["watermark_after"]["Audit.General"]
        .as_str()
        .unwrap()
        .to_string();
    let created = fx.tenant.now() - time::Duration::minutes(10);
    fx.tenant.add_raw_blob(
        ContentType::General,
        created,
        None,
        b"[{\"Id\": 1} \xff garbage".to_vec(),
    );
    let html = b"<!DOCTYPE html><html><body>Service Unavailable</body></html>".to_vec();
    fx.tenant
        .add_raw_blob(ContentType::General, created, None, html);

    let run = fx.sync_ok().await;
    assert_eq!(run["complete"], json!(false), "{run}");
    assert_eq!(n(&run, "blobs_failed"), 2, "{run}");
    assert_eq!(n(&run, "blobs_retrying"), 2, "{run}");
    let errors = run["errors"].to_string();
    assert!(errors.contains("failed 3 times"), "{errors}");
    // Recorded for retry, so the watermark need not wait for them.
    let after = run["watermark_after"]["Audit.General"].as_str().unwrap();
    assert!(after >= watermark.as_str(), "{run}");
    let retries = retry_records(&fx).await;
    assert_eq!(retries.len(), 2);
    assert!(
        retries
            .iter()
            .all(|r| r["last_error"].as_s().unwrap().contains("failed 3 times"))
    );

    // The next run lists them again (the overlap) and tries each once, from its listing: the
    // retry pass leaves what already failed in this run.
    let again = fx.sync_ok().await;
    assert_eq!(
        (n(&again, "blobs_failed"), n(&again, "blobs_retried")),
        (2, 0),
        "{again}"
    );
    let attempts: Vec<String> = retry_records(&fx)
        .await
        .into_iter()
        .map(|item| item["attempts"].as_n().unwrap().clone())
        .collect();
    assert_eq!(attempts, ["2", "2"]);
}

#[tokio::test]
async fn a_blob_of_hundreds_of_megabytes_streams_in_bounded_memory() {
    let fx = Fixture::new(quiet_tenant()).await;
    // Records the filter drops, around two launches that it keeps: 64 MB by default, and as
    // many as HOSTILE_BLOB_MB says (`make soak` uses 300).
    let blob_mb: usize = std::env::var("HOSTILE_BLOB_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let filler = r#"{"Id": "ID", "RecordType": 6, "CreationTime": "2026-11-24T10:00:00", "Operation": "FileAccessed", "Workload": "SharePoint", "Pad": "PADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPADPAD"}"#;
    let count = blob_mb * 1024 * 1024 / filler.len();
    let mut body = Vec::with_capacity(count * (filler.len() + 1) + 1024);
    body.extend_from_slice(b"[");
    body.extend_from_slice(
        launch("f0000000-0000-4000-8000-000000000001")
            .to_string()
            .as_bytes(),
    );
    for i in 0..count {
        body.push(b',');
        body.extend_from_slice(
            filler
                .replace("\"ID\"", &format!("\"filler-{i}\""))
                .as_bytes(),
        );
    }
    body.push(b',');
    body.extend_from_slice(
        launch("f0000000-0000-4000-8000-000000000002")
            .to_string()
            .as_bytes(),
    );
    body.push(b']');
    let size_mb = body.len() / (1024 * 1024);
    fx.tenant.add_raw_blob(
        ContentType::General,
        fx.tenant.now() - time::Duration::minutes(30),
        None,
        body,
    );

    let (run, peak_mb) =
        integration_tests::invoke_measured(common::FUNCTION, &fx.env, &json!({})).await;
    let summary = run.ok();
    assert_eq!(summary["complete"], json!(true), "{summary}");
    assert!(n(summary, "records_seen") as usize >= count);
    let stored = fx.stored().await;
    assert!(
        stored.contains_key("f0000000-0000-4000-8000-000000000002"),
        "the record after the filler"
    );
    eprintln!("a {size_mb} MB blob synced with a peak RSS of {peak_mb} MB");
    // The process needs ~30 MB whatever it syncs; a blob held whole would add its own size.
    assert!(
        peak_mb < 96,
        "peak RSS {peak_mb} MB for a {size_mb} MB blob"
    );
}

#[tokio::test]
async fn looping_or_foreign_links_are_refused_and_retried_next_run() {
    let fx = Fixture::new(EmulatorConfig {
        page_size: 1,
        ..quiet_tenant()
    })
    .await;
    fx.tenant
        .inject(FaultRule::new("/subscriptions/content", FaultKind::ForeignContentUri).times(1000));
    let foreign = fx.sync_ok().await;
    assert_eq!(foreign["complete"], json!(false));
    assert!(n(&foreign, "blobs_failed") > 0);
    assert!(
        foreign["errors"]
            .to_string()
            .contains("refused to send the access token"),
        "{foreign}"
    );
    assert_eq!(n(&foreign, "events_new"), 0);

    fx.tenant.clear_faults();

    // Every second page points back at itself: the blobs listed before the loop are stored,
    // the rest of the window waits.
    fx.tenant
        .inject(FaultRule::new("/subscriptions/content", FaultKind::LoopNextPage).times(1000));
    let looped = fx.sync_ok().await;
    assert_eq!(looped["complete"], json!(false));
    assert!(
        looped["errors"]
            .to_string()
            .contains("points back at a page already read"),
        "{looped}"
    );
    assert_eq!(
        looped["watermark_after"], foreign["watermark_after"],
        "the watermark does not pass the broken window: {looped}"
    );
    fx.tenant.clear_faults();
    let clean = fx.sync_ok().await;
    assert_eq!(clean["complete"], json!(true), "{clean}");
    fx.assert_exactly_the_truth().await;
}

/// The failed blobs recorded for retry.
async fn retry_records(
    fx: &Fixture,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    integration_tests::scan_all(&fx.moto, &fx.tables.state)
        .await
        .into_iter()
        .filter(|item| {
            item["pk"]
                .as_s()
                .is_ok_and(|pk| pk == "RETRY#Audit.General")
        })
        .collect()
}
