use std::collections::HashSet;

use o365_emulator::{ContentType, EmulatorConfig, GeneratorConfig, NextPageHeader};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::Duration;

use crate::common::*;

fn general_only() -> EmulatorConfig {
    let mut config = small_config();
    config.generator.content_types = vec![ContentType::General];
    config.subscriptions_enabled = ContentType::ALL.to_vec();
    config
}

#[tokio::test]
async fn window_rules() {
    let emulator = start(general_only()).await;
    let api = Api::new(&emulator).await;
    let now = emulator.now();
    let at = |d: Duration| query_time(now + d);
    let list = |start: Option<String>, end: Option<String>| {
        let mut path = "/subscriptions/content?contentType=Audit.General".to_string();
        if let Some(s) = start {
            path.push_str(&format!("&startTime={s}"));
        }
        if let Some(e) = end {
            path.push_str(&format!("&endTime={e}"));
        }
        path
    };
    let broken = [
        (Some(at(Duration::hours(-25))), Some(at(Duration::ZERO))),
        (Some(at(Duration::hours(-2))), None),
        (None, Some(at(Duration::ZERO))),
        (Some(at(Duration::ZERO)), Some(at(Duration::ZERO))),
        (Some(at(Duration::ZERO)), Some(at(Duration::hours(-1)))),
        (
            Some(at(Duration::days(-8))),
            Some(at(Duration::days(-8) + Duration::hours(1))),
        ),
    ];
    for (start_time, end_time) in broken {
        let path = list(start_time, end_time);
        let (status, _, body) = api.get(&path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(af_code(&body), "AF20055", "{path}");
    }
    let (status, _, body) = api
        .get(&list(Some("yesterday".into()), Some(at(Duration::ZERO))))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20002");

    let day = |d: Duration| {
        let t = now + d;
        format!("{:04}-{:02}-{:02}", t.year(), t.month() as u8, t.day())
    };
    let fine = [
        (at(Duration::hours(-24)), at(Duration::ZERO)),
        (day(Duration::days(-1)), day(Duration::ZERO)),
        (
            at(Duration::hours(-3))[..16].to_string(),
            at(Duration::ZERO)[..16].to_string(),
        ),
        (
            format!("{}.0000000Z", at(Duration::hours(-3))),
            format!("{}.0000000Z", at(Duration::ZERO)),
        ),
        (
            at(Duration::days(2)),
            at(Duration::days(2) + Duration::hours(1)),
        ),
    ];
    for (start_time, end_time) in fine {
        let path = list(Some(start_time), Some(end_time));
        let (status, _, body) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}

#[tokio::test]
async fn start_is_inclusive_and_end_exclusive() {
    let emulator = start(general_only()).await;
    let api = Api::new(&emulator).await;
    let t = hour_anchor() - Duration::hours(3);
    let at_start = emulator.add_blob(
        ContentType::Exchange,
        t,
        None,
        vec![json!({"Id": "a", "CreationTime": "2026-01-01T00:00:00"})],
    );
    let _before = emulator.add_blob(
        ContentType::Exchange,
        t - Duration::milliseconds(1),
        None,
        vec![],
    );
    let _at_end = emulator.add_blob(ContentType::Exchange, t + Duration::hours(1), None, vec![]);
    let inside = emulator.add_blob(
        ContentType::Exchange,
        t + Duration::minutes(59),
        None,
        vec![],
    );

    let path = format!(
        "/subscriptions/content?contentType=Audit.Exchange&startTime={}&endTime={}",
        query_time(t),
        query_time(t + Duration::hours(1))
    );
    let (status, headers, body) = api.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers.get("NextPageUri").is_none());
    assert!(
        body.starts_with(r#"[{"contentType":"Audit.Exchange","contentId":"#),
        "fields in Microsoft's order: {body}"
    );
    let items: Vec<Value> = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = items
        .iter()
        .map(|i| i["contentId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![at_start.as_str(), inside.as_str()]);

    let first = &items[0];
    assert_eq!(first["contentType"], "Audit.Exchange");
    assert_eq!(first["contentUri"], emulator.content_uri(&at_start));
    let created = first["contentCreated"].as_str().unwrap();
    assert!(created.ends_with(":00.000Z"), "{created}");
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5);
    let expiration = time::OffsetDateTime::parse(
        first["contentExpiration"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expiration, t + Duration::days(7));

    // The custom blob's records come back as given.
    let (status, _, body) = api.get_url(first["contentUri"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json(&body),
        json!([{"Id": "a", "CreationTime": "2026-01-01T00:00:00"}])
    );
}

#[tokio::test]
async fn paging_follows_next_page_uri() {
    let emulator = start(EmulatorConfig {
        page_size: 5,
        ..general_only()
    })
    .await;
    let api = Api::new(&emulator).await;
    let now = emulator.now();
    let start_time = now - Duration::hours(24);
    let path = format!(
        "/subscriptions/content?contentType=Audit.General&startTime={}&endTime={}",
        query_time(start_time),
        query_time(now)
    );
    let (items, pages) = list_all(&api, &path).await;
    let listed: Vec<String> = items
        .iter()
        .map(|i| i["contentId"].as_str().unwrap().to_string())
        .collect();
    let unique: HashSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "an item was listed twice");

    let truth = emulator.truth(true);
    let window_start = time::OffsetDateTime::parse(
        &format!("{}Z", query_time(start_time)),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expected: HashSet<String> = truth
        .blobs
        .iter()
        .filter(|b| b.content_type == ContentType::General)
        .filter(|b| {
            let created = time::OffsetDateTime::parse(
                &b.content_created,
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap();
            created >= window_start && created < now.replace_millisecond(0).unwrap()
        })
        .map(|b| b.content_id.clone())
        .collect();
    assert_eq!(unique.len(), expected.len());
    assert!(listed.iter().all(|id| expected.contains(id)));
    assert!(expected.len() > 20, "{}", expected.len());
    assert_eq!(pages, expected.len().div_ceil(5));
    // Listing order is contentCreated order.
    let created: Vec<&str> = items
        .iter()
        .map(|i| i["contentCreated"].as_str().unwrap())
        .collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]));

    let (status, _, body) = api.get(&format!("{path}&nextPage=bogus")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20031");
}

#[tokio::test]
async fn default_window_and_header_name() {
    let emulator = start(EmulatorConfig {
        page_size: 3,
        next_page_header: NextPageHeader::NextPageUrl,
        ..general_only()
    })
    .await;
    let api = Api::new(&emulator).await;
    let (status, headers, body) = api
        .get("/subscriptions/content?contentType=Audit.General")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers.get("NextPageUri").is_none());
    let next = headers["NextPageUrl"].to_str().unwrap();
    assert!(
        next.starts_with(&format!(
            "{}/api/v1/{}/activity/feed/subscriptions/content?contentType=Audit.General&startTime=",
            emulator.base_url(),
            emulator.tenant_id()
        )),
        "{next}"
    );
    assert!(
        next.contains("&endTime=") && next.contains("&nextPage="),
        "{next}"
    );
    let (status, _, body) = api.get_url(next).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn blobs_fetch_and_expire() {
    let emulator = start(general_only()).await;
    let mut api = Api::new(&emulator).await;
    let (items, _) = list_all(&api, "/subscriptions/content?contentType=Audit.General").await;
    let item = &items[0];
    let uri = item["contentUri"].as_str().unwrap();
    let (status, headers, body) = api
        .get_url(&format!("{uri}?PublisherIdentifier={}", api.publisher))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let records: Vec<Value> = serde_json::from_str(&body).unwrap();
    let truth = emulator.truth(false);
    let blob = truth.blob(item["contentId"].as_str().unwrap()).unwrap();
    assert_eq!(records.len(), blob.item_count);
    for record in &records {
        let creation = record["CreationTime"].as_str().unwrap();
        assert_eq!(creation.len(), 19, "no zone suffix: {creation}");
    }

    let unknown = "111111111111$111111111111$abcdef$0123456789abcdef0123456789abcdef$04";
    let (status, _, body) = api.get(&format!("/audit/{unknown}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20050");
    let (status, _, body) = api.get("/audit/not-a-content-id").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20052");

    emulator.advance_clock(Duration::days(8));
    api.refresh(&emulator).await;
    let (status, _, body) = api.get_url(uri).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20051");
    assert!(
        json(&body)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("has already expired")
    );
}

#[tokio::test]
async fn old_history_is_already_expired() {
    let mut config = general_only();
    config.generator = GeneratorConfig {
        hours_before: 8 * 24,
        blobs_per_hour: 1,
        records_per_blob_min: 2,
        records_per_blob_max: 2,
        content_types: vec![ContentType::General],
        ..GeneratorConfig::default()
    };
    let emulator = start(config).await;
    let api = Api::new(&emulator).await;
    let truth = emulator.truth(false);
    let expired = truth
        .blobs
        .iter()
        .find(|b| b.expired)
        .expect("an expired blob");
    let (status, _, body) = api.get(&format!("/audit/{}", expired.content_id)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20051");
    let available = emulator.truth(true);
    assert!(available.blobs.iter().all(|b| !b.expired && b.available));
    assert!(available.blobs.len() < truth.blobs.len());
}

#[tokio::test]
async fn late_blobs_appear_only_when_available() {
    let mut config = general_only();
    // Every generated blob is late: some of the last hours' are certainly not
    // available yet.
    config.generator.late_rate = 1.0;
    let emulator = start(config).await;
    let mut api = Api::new(&emulator).await;

    let now = emulator.now();
    let created = now - Duration::hours(1);
    let custom = emulator.add_blob(
        ContentType::General,
        created,
        Some(now + Duration::hours(2)),
        vec![json!({"Id": "late-1", "CreationTime": "2026-01-01T00:00:00"})],
    );
    let truth = emulator.truth(false);
    let late: Vec<_> = truth.blobs.iter().filter(|b| !b.available).collect();
    assert!(
        late.iter().any(|b| b.content_id != custom),
        "expected generated late blobs too"
    );
    assert!(emulator.truth(true).record("late-1").is_none());

    let listed = |items: &[Value]| -> HashSet<String> {
        items
            .iter()
            .map(|i| i["contentId"].as_str().unwrap().to_string())
            .collect()
    };
    let window = format!(
        "/subscriptions/content?contentType=Audit.General&startTime={}&endTime={}",
        query_time(now - Duration::hours(12)),
        query_time(now + Duration::hours(1)),
    );
    let (items, _) = list_all(&api, &window).await;
    let before = listed(&items);
    for blob in &late {
        assert!(!before.contains(&blob.content_id));
    }
    let (status, _, body) = api.get(&format!("/audit/{custom}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20050");

    emulator.advance_clock(Duration::hours(2) + Duration::seconds(1));
    api.refresh(&emulator).await;
    let (items, _) = list_all(&api, &window).await;
    let after = listed(&items);
    assert!(after.contains(&custom));
    assert!(after.len() > before.len());
    let (status, _, _) = api.get(&format!("/audit/{custom}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(emulator.truth(true).record("late-1").is_some());
}

#[tokio::test]
async fn shuffled_pages_hold_the_same_blobs() {
    // One anchor for both, so they generate the same tenant.
    let mut config = general_only();
    config.generator.anchor = Some(hour_anchor());
    config.page_size = 0;
    let ordered = start(config.clone()).await;
    let shuffled = start(EmulatorConfig {
        shuffle_listing: true,
        ..config
    })
    .await;
    let ids = |items: Vec<Value>| -> Vec<String> {
        items
            .iter()
            .map(|i| i["contentId"].as_str().unwrap().to_string())
            .collect()
    };
    let path = "/subscriptions/content?contentType=Audit.General";
    let a = ids(list_all(&Api::new(&ordered).await, path).await.0);
    let b = ids(list_all(&Api::new(&shuffled).await, path).await.0);
    assert_ne!(a, b);
    let (mut a_sorted, mut b_sorted) = (a.clone(), b.clone());
    a_sorted.sort();
    b_sorted.sort();
    assert_eq!(a_sorted, b_sorted);
}
