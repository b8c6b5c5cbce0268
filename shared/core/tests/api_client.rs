//! The Management API client against the emulated tenant over HTTP: paging, blobs, errors and
//! the rule that the token only goes to the configured host.

use std::sync::Arc;

use audit_core::api::{ApiError, ManagementClient, TimeWindow, http_client};
use audit_core::auth::TokenProvider;
use audit_core::config::{Config, ContentType};
use audit_core::secret::{ClientCredential, ClientSecret};
use o365_emulator::{Emulator, EmulatorConfig, FaultKind, FaultRule, NextPageHeader};
use time::Duration;

fn config_for(tenant: &Emulator) -> Config {
    let vars = [
        ("AUDIT_LOGS_TENANT_ID", tenant.tenant_id().to_string()),
        ("AUDIT_LOGS_CLIENT_ID", tenant.client_id().to_string()),
        (
            "AUDIT_LOGS_CLIENT_SECRET",
            tenant.client_secret().to_string(),
        ),
        ("AUDIT_LOGS_AUDIENCE", tenant.base_url()),
        ("AUDIT_LOGS_AUTHORITY", tenant.base_url()),
        ("AUDIT_LOGS_RETRY_BASE_MS", "10".to_string()),
    ];
    Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
}

fn client_for(tenant: &Emulator) -> ManagementClient {
    let config = config_for(tenant);
    let http = http_client();
    let secret = ClientCredential::Secret(ClientSecret::new(tenant.client_secret()));
    let tokens = Arc::new(TokenProvider::new(http.clone(), &config, secret));
    ManagementClient::new(http, &config, tokens)
}

async fn tenant_with(page_size: usize, header: NextPageHeader) -> Emulator {
    let config = EmulatorConfig {
        page_size,
        next_page_header: header,
        subscriptions_enabled: vec![o365_emulator::ContentType::General],
        ..EmulatorConfig::default()
    };
    Emulator::start(config).await.unwrap()
}

fn last_day(tenant: &Emulator) -> TimeWindow {
    let now = tenant.now();
    TimeWindow::new(now - Duration::hours(24), now).unwrap()
}

/// What the emulator says is listable in the window, by contentId.
fn expected_ids(tenant: &Emulator, window: TimeWindow) -> Vec<String> {
    let mut ids: Vec<String> = tenant
        .truth(true)
        .blobs
        .iter()
        .filter(|b| {
            b.content_type == o365_emulator::ContentType::General && b.available && !b.expired
        })
        .filter(|b| {
            let created = audit_core::api::parse_api_time(&b.content_created).unwrap();
            created >= window.start() && created < window.end()
        })
        .map(|b| b.content_id.clone())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn listing_follows_every_page_under_both_header_names() {
    for header in [NextPageHeader::NextPageUri, NextPageHeader::NextPageUrl] {
        let tenant = tenant_with(7, header).await;
        let client = client_for(&tenant);
        let window = last_day(&tenant);
        let listing = client
            .list_content(&ContentType::GENERAL, window)
            .await
            .unwrap();
        let mut ids: Vec<String> = listing.blobs.iter().map(|b| b.content_id.clone()).collect();
        ids.sort();
        let expected = expected_ids(&tenant, window);
        assert!(
            expected.len() > 14,
            "the tenant has several pages of content"
        );
        assert_eq!(ids, expected, "{header:?}");
        assert_eq!(
            listing.pages as usize,
            expected.len().div_ceil(7),
            "{header:?}"
        );
        assert_eq!(tenant.stats().publisher_identifier.missing, 0);
    }
}

#[tokio::test]
async fn blobs_are_fetched_and_gone_content_is_recognised() {
    let tenant = tenant_with(0, NextPageHeader::NextPageUri).await;
    let client = client_for(&tenant);
    let listing = client
        .list_content(&ContentType::GENERAL, last_day(&tenant))
        .await
        .unwrap();
    let blob = &listing.blobs[0];
    let body = client
        .fetch_blob(&blob.content_uri)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let records: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    let truth = tenant.truth(false);
    let item_count = truth.blob(&blob.content_id).unwrap().item_count;
    assert_eq!(records.len(), item_count);

    // Eight days later the blob has expired: AF20051, recognised as gone.
    tenant.advance_clock(Duration::days(8));
    let err = client.fetch_blob(&blob.content_uri).await.unwrap_err();
    assert!(err.is_content_gone(), "{err}");
    assert_eq!(err.code(), Some("AF20051"));
}

#[tokio::test]
async fn the_token_never_goes_to_another_host() {
    let tenant = tenant_with(3, NextPageHeader::NextPageUri).await;
    let client = client_for(&tenant);

    tenant.inject(FaultRule::new(
        "/subscriptions/content",
        FaultKind::ForeignNextPage,
    ));
    let err = client
        .list_content(&ContentType::GENERAL, last_day(&tenant))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::ForeignHost { .. }), "{err}");
    assert!(err.to_string().contains("refused to send the access token"));

    tenant
        .inject(FaultRule::new("/subscriptions/content", FaultKind::ForeignContentUri).times(100));
    let listing = client
        .list_content(&ContentType::GENERAL, last_day(&tenant))
        .await
        .unwrap();
    let foreign = &listing.blobs[0].content_uri;
    assert!(!foreign.contains("127.0.0.1"), "{foreign}");
    let before = tenant.stats().requests_total;
    let err = client.fetch_blob(foreign).await.unwrap_err();
    assert!(matches!(err, ApiError::ForeignHost { .. }), "{err}");
    assert_eq!(tenant.stats().requests_total, before, "nothing was sent");

    // Same host, other scheme or port: refused too.
    let base = tenant.base_url();
    let port = tenant.local_addr().port();
    let other_port = format!("http://127.0.0.1:{}", port.wrapping_add(1).max(1));
    for uri in [other_port, base.replace("http://", "https://")] {
        let err = client
            .fetch_blob(&format!("{uri}/api/v1.0/x/activity/feed/audit/1"))
            .await
            .unwrap_err();
        assert!(matches!(err, ApiError::ForeignHost { .. }), "{uri}: {err}");
    }
}

#[tokio::test]
async fn service_errors_keep_their_code_and_message() {
    let tenant = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = client_for(&tenant);
    // No subscription yet: AF20022 with the fix in words.
    let err = client
        .list_content(&ContentType::GENERAL, last_day(&tenant))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("AF20022"));
    assert!(
        err.to_string().contains(r#"{"operation":"start"}"#),
        "{err}"
    );

    tenant.enable_subscription(o365_emulator::ContentType::General);
    tenant.inject(FaultRule::new("/subscriptions/content", FaultKind::BadBody));
    let err = client
        .list_content(&ContentType::GENERAL, last_day(&tenant))
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("the body began"), "{err}");
}
