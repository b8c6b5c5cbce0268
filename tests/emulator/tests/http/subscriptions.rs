use o365_emulator::{ContentType, DEFAULT_FOREIGN_TENANT_ID, SubscriptionStatus};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn start_list_stop() {
    let emulator = start(small_config()).await;
    let api = Api::new(&emulator).await;

    let (status, body) = api.get("/subscriptions/list").await.into_status_body();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body), json!([]));

    let (status, body) = api.start(ContentType::General).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json(&body),
        json!({"contentType": "Audit.General", "status": "enabled", "webhook": null})
    );

    let (status, body) = api.start(ContentType::General).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        json(&body),
        json!({"error": {"code": "AF20024", "message": "The subscription is already enabled. No property change."}})
    );

    let (status, body) = api.get("/subscriptions/list").await.into_status_body();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json(&body),
        json!([{"contentType": "Audit.General", "status": "enabled", "webhook": null}])
    );

    let (status, body) = api
        .post("/subscriptions/stop?contentType=Audit.General")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "");
    let (_, body) = api.get("/subscriptions/list").await.into_status_body();
    assert_eq!(json(&body)[0]["status"], "disabled");

    let (status, body) = api
        .post("/subscriptions/stop?contentType=Audit.General")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20022");
    let (status, body) = api
        .get("/subscriptions/content?contentType=Audit.General")
        .await
        .into_status_body();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20022");

    // Starting again works, through the /api/v1/ form of the root too.
    let url = format!(
        "{}/api/v1/{}/activity/feed/subscriptions/start?contentType=Audit.General",
        emulator.base_url(),
        emulator.tenant_id()
    );
    let response = api
        .client
        .post(url)
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        emulator.subscription_status(ContentType::General),
        Some(SubscriptionStatus::Enabled)
    );
}

#[tokio::test]
async fn webhook_is_echoed() {
    let emulator = start(small_config()).await;
    let api = Api::new(&emulator).await;
    let response = api
        .client
        .post(format!(
            "{}/subscriptions/start?contentType=Audit.Exchange",
            api.root
        ))
        .bearer_auth(&api.token)
        .json(&json!({"webhook": {"address": "https://hook.example/x", "authId": "a", "expiration": ""}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["webhook"]["address"], "https://hook.example/x");
    assert_eq!(body["webhook"]["status"], "enabled");
}

#[tokio::test]
async fn admin_disable_answers_af20023_until_restarted() {
    let emulator = start(small_config()).await;
    let api = Api::new(&emulator).await;
    api.start(ContentType::General).await;
    emulator.disable_subscription(ContentType::General);
    let (status, body) = api
        .get("/subscriptions/content?contentType=Audit.General")
        .await
        .into_status_body();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20023");
    let (_, body) = api.get("/subscriptions/list").await.into_status_body();
    assert_eq!(json(&body)[0]["status"], "disabled");

    let (status, _) = api.start(ContentType::General).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = api
        .get("/subscriptions/content?contentType=Audit.General")
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn checks_run_in_order() {
    let emulator = start(o365_emulator::EmulatorConfig {
        subscriptions_enabled: vec![ContentType::General],
        ..small_config()
    })
    .await;
    let api = Api::new(&emulator).await;
    let base = emulator.base_url();
    let tenant = emulator.tenant_id().to_string();
    let url = |tenant: &str, rest: &str| format!("{base}/api/v1.0/{tenant}/activity/feed{rest}");

    // No token, an unknown token: 401 with the ASP.NET message.
    let response = api
        .client
        .get(url(&tenant, "/subscriptions/list"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = api
        .client
        .get(url(&tenant, "/subscriptions/list"))
        .bearer_auth("made-up")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["Message"],
        "Authorization has been denied for this request."
    );

    let cases = [
        (
            url("not-a-guid", "/subscriptions/list"),
            StatusCode::BAD_REQUEST,
            "AF20013",
        ),
        (
            url(
                "12345678-1234-4234-8234-123456789abc",
                "/subscriptions/list",
            ),
            StatusCode::BAD_REQUEST,
            "AF20011",
        ),
        (
            url(DEFAULT_FOREIGN_TENANT_ID, "/subscriptions/list"),
            StatusCode::FORBIDDEN,
            "AF20010",
        ),
        (
            url(&tenant, "/subscriptions/content?contentType=Audit.Nope"),
            StatusCode::BAD_REQUEST,
            "AF20020",
        ),
        (
            url(&tenant, "/subscriptions/content?contentType=Audit.Exchange"),
            StatusCode::BAD_REQUEST,
            "AF20022",
        ),
        (
            url(&tenant, "/subscriptions/content"),
            StatusCode::BAD_REQUEST,
            "AF20001",
        ),
    ];
    for (url, status, code) in cases {
        let (got, _, body) = api.get_url(&url).await;
        assert_eq!(got, status, "{url}: {body}");
        assert_eq!(af_code(&body), code, "{url}");
    }

    emulator.set_permission(false);
    let (status, _, body) = api.get("/subscriptions/list").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(af_code(&body), "AF10001");
    assert!(
        json(&body)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ActivityFeed.Read")
    );

    // AF20012 comes before AF10001.
    emulator.set_audit_log_enabled(false);
    let (status, _, body) = api.get("/subscriptions/list").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(af_code(&body), "AF20012");

    // ...and the token check before everything.
    let response = api
        .client
        .get(url("not-a-guid", "/subscriptions/list"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    emulator.set_audit_log_enabled(true);
    emulator.set_permission(true);
    let (status, _, _) = api.get("/subscriptions/list").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn publisher_identifier_is_counted() {
    let emulator = start(o365_emulator::EmulatorConfig {
        subscriptions_enabled: vec![ContentType::General],
        ..small_config()
    })
    .await;
    let api = Api::new(&emulator).await;
    api.get("/subscriptions/list").await;
    api.get_url(&format!("{}/subscriptions/list", api.root))
        .await;
    let stats = emulator.stats();
    assert_eq!(stats.publisher_identifier.present, 1);
    assert_eq!(stats.publisher_identifier.missing, 1);
    assert_eq!(stats.requests_by_route["token_v1"], 1);
    assert_eq!(stats.requests_by_route["subscriptions_list"], 2);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[1].publisher_identifier.as_deref(),
        Some(emulator.tenant_id())
    );
    assert!(requests[2].publisher_identifier.is_none());
    assert!(requests[2].authorization_present);
}

/// Drops the headers of an `Api::get` answer.
trait StatusBody {
    fn into_status_body(self) -> (StatusCode, String);
}

impl StatusBody for (StatusCode, reqwest::header::HeaderMap, String) {
    fn into_status_body(self) -> (StatusCode, String) {
        (self.0, self.2)
    }
}
