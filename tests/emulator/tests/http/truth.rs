use std::collections::{HashMap, HashSet};

use o365_emulator::{ContentType, EmulatorConfig, MalformedReason, Truth};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

fn seeded(seed: u64, lazy: bool) -> EmulatorConfig {
    let mut config = small_config();
    config.seed = seed;
    config.generator.anchor = Some(hour_anchor());
    config.generator.lazy = lazy;
    config.generator.malformed_rate = 0.02;
    config.generator.duplicate_rate = 0.1;
    config.subscriptions_enabled = ContentType::ALL.to_vec();
    config.page_size = 0;
    config
}

/// Every available blob's body, by content id, fetched over HTTP.
async fn all_bodies(api: &Api) -> HashMap<String, Vec<u8>> {
    let mut bodies = HashMap::new();
    // Two adjacent 24-hour windows cover the whole (30-hour) history.
    let now = time::OffsetDateTime::now_utc() + time::Duration::minutes(1);
    let cuts = [
        now - time::Duration::hours(48),
        now - time::Duration::hours(24),
        now,
    ];
    for content_type in ContentType::ALL {
        let mut items = Vec::new();
        for window in cuts.windows(2) {
            let path = format!(
                "/subscriptions/content?contentType={content_type}&startTime={}&endTime={}",
                query_time(window[0]),
                query_time(window[1])
            );
            items.extend(list_all(api, &path).await.0);
        }
        for item in items {
            let uri = item["contentUri"].as_str().unwrap();
            let response = api
                .client
                .get(uri)
                .bearer_auth(&api.token)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let bytes = response.bytes().await.unwrap().to_vec();
            bodies.insert(item["contentId"].as_str().unwrap().to_string(), bytes);
        }
    }
    bodies
}

fn same_content(a: &Truth, b: &Truth) -> bool {
    a.records == b.records && a.blobs == b.blobs && a.malformed == b.malformed
}

#[tokio::test]
async fn same_seed_same_bytes_lazy_or_not() {
    let eager = start(seeded(9, false)).await;
    let lazy = start(seeded(9, true)).await;
    let other = start(seeded(10, false)).await;
    assert!(same_content(&eager.truth(false), &lazy.truth(false)));
    assert!(!same_content(&eager.truth(false), &other.truth(false)));

    let eager_bodies = all_bodies(&Api::new(&eager).await).await;
    let lazy_bodies = all_bodies(&Api::new(&lazy).await).await;
    assert!(!eager_bodies.is_empty());
    assert_eq!(eager_bodies, lazy_bodies);
}

#[tokio::test]
async fn truth_matches_what_is_served() {
    let emulator = start(seeded(3, false)).await;
    let api = Api::new(&emulator).await;
    let bodies = all_bodies(&api).await;
    let truth = emulator.truth(true);
    assert_eq!(bodies.len(), truth.blobs.len());

    // Record ids per blob, as served; malformed items as served.
    let mut served: HashMap<String, HashSet<String>> = HashMap::new();
    let mut malformed_served = 0;
    for (content_id, bytes) in &bodies {
        let items: Vec<Value> = serde_json::from_slice(bytes).unwrap();
        assert_eq!(items.len(), truth.blob(content_id).unwrap().item_count);
        for item in items {
            let id = item.get("Id").and_then(Value::as_str);
            let creation = item.get("CreationTime").and_then(Value::as_str);
            let valid = id.is_some()
                && creation.is_some_and(|c| {
                    c.len() == 19
                        && time::OffsetDateTime::parse(
                            &format!("{c}Z"),
                            &time::format_description::well_known::Rfc3339,
                        )
                        .is_ok()
                });
            if valid {
                served
                    .entry(id.unwrap().to_string())
                    .or_default()
                    .insert(content_id.clone());
            } else {
                malformed_served += 1;
            }
        }
    }
    assert_eq!(served.len(), truth.records.len());
    for record in &truth.records {
        let blobs: HashSet<String> = record.blobs.iter().map(|b| b.content_id.clone()).collect();
        assert_eq!(served[&record.id], blobs, "{}", record.id);
        assert!(record.blobs.iter().all(|b| b.available && !b.expired));
    }
    assert_eq!(malformed_served, truth.malformed.len());
    assert!(!truth.malformed.is_empty());
    let reasons: HashSet<MalformedReason> = truth.malformed.iter().map(|m| m.reason).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");

    // The traps a collector must handle are all there.
    assert!(
        truth.records.iter().any(|r| r.blobs.len() > 1),
        "duplicates"
    );
    let launches: Vec<_> = truth.records.iter().filter(|r| r.is_app_launch()).collect();
    assert!(launches.iter().any(|r| r.record_type == Some(256)));
    assert!(launches.iter().any(|r| r.record_type == Some(45)));
    assert!(launches.iter().all(|r| r.app_id.is_some()));
    let apps: HashSet<&str> = launches
        .iter()
        .map(|r| r.app_id.as_deref().unwrap())
        .collect();
    assert!(apps.len() <= 20);
    let mut spellings: HashMap<String, HashSet<String>> = HashMap::new();
    for record in &truth.records {
        if let (Some(raw), Some(normal)) = (record.user_id.clone(), record.user_id_normalized()) {
            spellings.entry(normal).or_default().insert(raw);
        }
    }
    assert!(
        spellings.values().any(|s| s.len() > 1),
        "user id case variants"
    );
    for operation in [
        "DeletePowerApp",
        "CreateFlow",
        "EditFlow",
        "PowerAppPermissionEdited",
    ] {
        assert!(
            truth
                .records
                .iter()
                .any(|r| r.operation.as_deref() == Some(operation)),
            "{operation}"
        );
    }
    assert!(
        truth.records.iter().any(|r| r.record_type == Some(20)),
        "Power BI noise"
    );
    let flows = truth.records.iter().filter(|r| r.record_type == Some(30));
    assert!(flows.clone().count() > 0);
    assert!(
        flows
            .into_iter()
            .all(|r| r.flow_id.is_some() && r.environment_id.is_some())
    );
    let interactions = truth
        .records
        .iter()
        .filter(|r| r.operation.as_deref() == Some("CopilotInteraction"));
    assert!(interactions.clone().all(|r| r.conversation_id.is_some()));
    assert!(
        interactions
            .clone()
            .any(|r| r.agent_id.is_some() && r.bot_id.is_some())
    );
    assert!(
        interactions.clone().any(|r| r.agent_id.is_none()),
        "Microsoft 365 Copilot"
    );
    assert!(
        truth.records.iter().any(|r| r.environment_name.is_some()),
        "environment names"
    );
}

#[tokio::test]
async fn control_routes() {
    let emulator = start(small_config()).await;
    let api = Api::new(&emulator).await;
    let control = |path: &str| format!("{}/_emulator/{path}", emulator.base_url());
    let client = &api.client;

    let health: Value = client
        .get(control("health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");

    let truth: Truth = client
        .get(control("truth?available_only=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(truth.available_only);
    assert!(same_content(&truth, &emulator.truth(true)));
    let summary: o365_emulator::TruthSummary = client
        .get(control("truth/summary?available_only=true"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary.records, truth.records.len());
    assert_eq!(summary.blobs_servable, truth.blobs.len());
    assert_eq!(
        summary.records_by_operation.values().sum::<usize>(),
        summary.records
    );

    let before = emulator.now();
    let clock: Value = client
        .post(control("clock"))
        .json(&json!({"advance_seconds": 3600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(clock["offset_seconds"].as_f64().unwrap() >= 3600.0);
    assert!(emulator.now() - before >= time::Duration::hours(1));
    let response = client
        .post(control("clock"))
        .json(&json!({"set": "2030-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(emulator.now().year(), 2030);
    client
        .post(control("clock"))
        .json(&json!({"set": time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap()}))
        .send()
        .await
        .unwrap();
    let response = client
        .post(control("clock"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let api = Api::new(&emulator).await; // the old token died in 2030
    let created = emulator.now() - time::Duration::minutes(30);
    let added: Value = client
        .post(control("content"))
        .json(&json!({
            "content_type": "Audit.General",
            "content_created": created.format(&time::format_description::well_known::Rfc3339).unwrap(),
            "records": [{"Id": "custom-1", "CreationTime": "2026-05-19T13:17:34", "Operation": "LaunchPowerApp", "RecordType": 45, "AppName": "app-guid"}, 7]
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let content_uri = added["content_uri"].as_str().unwrap();
    let truth = emulator.truth(true);
    let record = truth.record("custom-1").unwrap();
    assert_eq!(record.app_id.as_deref(), Some("app-guid"));
    assert_eq!(
        record.blobs[0].content_id,
        added["content_id"].as_str().unwrap()
    );
    assert!(
        truth
            .malformed
            .iter()
            .any(|m| m.reason == MalformedReason::NotObject && m.value == json!(7))
    );
    let (status, _, body) = api.get_url(content_uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)[1], 7);

    let response = client
        .post(control("tenant"))
        .json(&json!({"has_permission": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap()["has_permission"],
        false
    );
    let (_, _, body) = api.get("/subscriptions/list").await;
    assert_eq!(af_code(&body), "AF10001");
    client
        .post(control("tenant"))
        .json(&json!({"has_permission": true, "audit_log_enabled": false}))
        .send()
        .await
        .unwrap();
    let (_, _, body) = api.get("/subscriptions/list").await;
    assert_eq!(af_code(&body), "AF20012");
    client
        .post(control("tenant"))
        .json(&json!({"audit_log_enabled": true}))
        .send()
        .await
        .unwrap();

    api.start(ContentType::General).await;
    let response = client
        .post(control("subscriptions/disable"))
        .json(&json!({"content_type": "Audit.General"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, _, body) = api
        .get("/subscriptions/content?contentType=Audit.General")
        .await;
    assert_eq!(af_code(&body), "AF20023");

    let requests: Vec<Value> = client
        .get(control("requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| !r["path"].as_str().unwrap().starts_with("/_emulator"))
    );
}

#[tokio::test]
async fn the_streamed_summary_equals_the_summary_of_the_truth() {
    let mut config = seeded(11, true);
    config.generator.late_rate = 0.3;
    let emulator = start(config).await;
    let now = emulator.now();
    let repeated = json!({"Id": "5a000000-0000-4000-8000-000000000001", "CreationTime": "2026-05-23T10:00:00", "Operation": "LaunchPowerApp"});
    for _ in 0..2 {
        emulator.add_blob(
            ContentType::General,
            now - time::Duration::minutes(5),
            None,
            vec![repeated.clone(), repeated.clone(), json!(7)],
        );
    }
    emulator.add_raw_blob(ContentType::General, now, None, b"[{".to_vec());
    for available_only in [false, true] {
        let summary = emulator.truth_summary(available_only);
        let mut whole = emulator.truth(available_only).summary();
        // The clock moved on between the two.
        whole.now = summary.now.clone();
        assert_eq!(summary, whole);
        assert!(summary.redelivered_records > 0 && summary.malformed > 0);
        assert!(summary.blobs_not_yet_available > 0 || available_only);
    }
}

fn hot_day(launches: u32, users: u32) -> EmulatorConfig {
    let mut config = seeded(5, true);
    config.generator.duplicate_rate = 0.0;
    config.generator.malformed_rate = 0.0;
    config.generator.hot_app = Some(o365_emulator::HotAppDay {
        launches,
        users,
        launches_per_blob: 300,
    });
    config
}

#[tokio::test]
async fn a_hot_app_day_holds_its_launches_by_its_users_on_one_day() {
    let plain = start(hot_day(0, 0)).await;
    let hot = start(hot_day(2_000, 700)).await;
    let (plain, truth) = (plain.truth(false), hot.truth(false));
    // The rest of the tenant is untouched; the day adds 7 blobs of at most 300 launches.
    assert_eq!(truth.blobs.len(), plain.blobs.len() + 7);
    let launches: Vec<_> = truth
        .records
        .iter()
        .filter(|r| r.user_id_normalized().is_some_and(|u| u.starts_with("hot")))
        .collect();
    assert_eq!(launches.len(), 2_000);
    let users: HashSet<_> = launches.iter().map(|r| r.user_id_normalized()).collect();
    assert_eq!(users.len(), 700);
    let apps: HashSet<_> = launches.iter().map(|r| r.app_id.clone()).collect();
    let days: HashSet<_> = launches.iter().map(|r| &r.creation_time[..10]).collect();
    assert_eq!((apps.len(), days.len()), (1, 1), "{apps:?} {days:?}");
    assert!(launches.iter().all(|r| r.is_app_launch()));
}

#[tokio::test]
async fn duplicates_re_deliver_hot_launches_too() {
    let mut config = hot_day(3_000, 1_000);
    config.generator.duplicate_rate = 0.3;
    let truth = start(config).await.truth(false);
    let redelivered = truth
        .records
        .iter()
        .filter(|r| r.user_id_normalized().is_some_and(|u| u.starts_with("hot")))
        .filter(|r| r.blobs.len() > 1)
        .count();
    assert!(redelivered > 0);
}
