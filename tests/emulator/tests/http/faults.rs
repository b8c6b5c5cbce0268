use std::time::Instant;

use o365_emulator::{ContentType, EmulatorConfig, FaultKind, FaultRule, RandomFault, RandomFaults};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;

const CONTENT: &str = "/subscriptions/content?contentType=Audit.General";

async fn setup(page_size: usize) -> (o365_emulator::Emulator, Api) {
    let emulator = start(EmulatorConfig {
        subscriptions_enabled: vec![ContentType::General],
        page_size,
        ..small_config()
    })
    .await;
    let api = Api::new(&emulator).await;
    (emulator, api)
}

async fn first_blob_uri(api: &Api) -> String {
    let (_, _, body) = api.get(CONTENT).await;
    let items: Vec<Value> = serde_json::from_str(&body).unwrap();
    items[0]["contentUri"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn throttling_answers() {
    let (emulator, api) = setup(100).await;
    for (fault, status) in [
        (FaultKind::Throttle429, StatusCode::TOO_MANY_REQUESTS),
        (FaultKind::Throttle403, StatusCode::FORBIDDEN),
    ] {
        emulator.inject(FaultRule::new("/subscriptions/content", fault));
        let (got, _, body) = api.get(CONTENT).await;
        assert_eq!(got, status);
        assert_eq!(
            json(&body),
            json!({"error": {"code": "AF429", "message": format!(
                "Too many requests. Method=ListContent, PublisherId={}", api.publisher
            )}})
        );
        let (got, _, _) = api.get(CONTENT).await;
        assert_eq!(got, StatusCode::OK, "a rule fires once by default");
    }

    let uri = first_blob_uri(&api).await;
    emulator.inject(FaultRule::new(
        "/audit/",
        FaultKind::RetryAfter { seconds: 2 },
    ));
    let (status, headers, body) = api.get_url(&uri).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "2");
    // No PublisherIdentifier: the shared, all-zero quota.
    assert_eq!(
        json(&body)["error"]["message"],
        "Too many requests. Method=GetBlob, PublisherId=00000000-0000-0000-0000-000000000000"
    );

    let stats = emulator.stats();
    assert_eq!(stats.faults_by_kind["throttle_429"], 1);
    assert_eq!(stats.faults_by_kind["throttle_403"], 1);
    assert_eq!(stats.faults_by_kind["retry_after"], 1);
    assert_eq!(stats.responses_by_status[&429], 2);
}

#[tokio::test]
async fn service_trouble_answers() {
    let (emulator, api) = setup(100).await;
    emulator.inject(FaultRule::new("/subscriptions/", FaultKind::Server500));
    emulator.inject(FaultRule::new("/subscriptions/", FaultKind::Unavailable503));
    emulator.inject(FaultRule::new("/subscriptions/", FaultKind::Timeout408));
    emulator.inject(FaultRule::new("/subscriptions/", FaultKind::BadBody));

    let (status, _, body) = api.get(CONTENT).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(af_code(&body), "AF50000");
    // Rules queue up: each one fires in turn.
    let (status, headers, body) = api.get(CONTENT).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["content-type"], "text/html");
    assert!(serde_json::from_str::<Value>(&body).is_err());
    let (status, _, _) = api.get(CONTENT).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    let (status, _, body) = api.get(CONTENT).await;
    assert_eq!(status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");
    let (status, _, body) = api.get(CONTENT).await;
    assert_eq!(status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&body).is_ok());
    assert!(emulator.faults().rules.is_empty());
}

#[tokio::test]
async fn delay_cut_and_skip() {
    let (emulator, api) = setup(100).await;
    let uri = first_blob_uri(&api).await;

    emulator.inject(FaultRule::new("/audit/", FaultKind::Delay { ms: 300 }));
    let started = Instant::now();
    let (status, _, _) = api.get_url(&uri).await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed().as_millis() >= 300);

    // The first matching request passes, the second is cut.
    emulator.inject(FaultRule::new("/audit/", FaultKind::Cut { after_bytes: 40 }).skip(1));
    let (status, _, _) = api.get_url(&uri).await;
    assert_eq!(status, StatusCode::OK);
    let response = api
        .client
        .get(&uri)
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "status and headers arrive"
    );
    assert!(response.bytes().await.is_err(), "the body must break off");
    let (status, _, _) = api.get_url(&uri).await;
    assert_eq!(status, StatusCode::OK, "the server goes on serving");
    assert_eq!(emulator.stats().faults_by_kind["cut"], 1);
}

#[tokio::test]
async fn expire_tokens() {
    let (emulator, api) = setup(100).await;
    emulator.inject(FaultRule::new(
        "/subscriptions/list",
        FaultKind::ExpireTokens,
    ));
    let (status, _, _) = api.get("/subscriptions/list").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = api.get("/subscriptions/list").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old token stays expired"
    );
    let fresh = Api::new(&emulator).await;
    let (status, _, _) = fresh.get("/subscriptions/list").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn foreign_hosts() {
    let (emulator, api) = setup(2).await;
    emulator.inject(FaultRule::new(
        "/subscriptions/content",
        FaultKind::ForeignNextPage,
    ));
    let (status, headers, _) = api.get(CONTENT).await;
    assert_eq!(status, StatusCode::OK);
    let next = headers["NextPageUri"].to_str().unwrap();
    assert!(
        next.starts_with("http://evil.example.com/api/v1/"),
        "{next}"
    );

    emulator.inject(FaultRule::new(
        "/subscriptions/content",
        FaultKind::ForeignContentUri,
    ));
    let (_, headers, body) = api.get(CONTENT).await;
    let items: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert!(!items.is_empty());
    for item in &items {
        let uri = item["contentUri"].as_str().unwrap();
        assert!(
            uri.starts_with("http://evil.example.com/api/v1.0/"),
            "{uri}"
        );
    }
    let next = headers["NextPageUri"].to_str().unwrap();
    assert!(
        next.starts_with(&emulator.base_url()),
        "only contentUri is foreign"
    );
}

#[tokio::test]
async fn token_endpoint_faults() {
    let (emulator, api) = setup(100).await;
    emulator.inject(FaultRule::new("/oauth2/", FaultKind::Throttle429));
    let response = api
        .client
        .post(emulator.token_url_v2())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("client_secret", emulator.client_secret()),
            ("scope", &format!("{}/.default", emulator.base_url())),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string(), "Entra-style error: {body}");
    // The next one works.
    Api::new(&emulator).await;
}

#[tokio::test]
async fn random_faults_and_control_routes() {
    let (emulator, api) = setup(100).await;
    emulator.set_random_faults(RandomFaults {
        seed: 1,
        path_contains: Some("/subscriptions/list".into()),
        faults: vec![RandomFault {
            fault: FaultKind::Server500,
            probability: 1.0,
        }],
    });
    for _ in 0..3 {
        let (status, _, _) = api.get("/subscriptions/list").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    }
    let (status, _, _) = api.get(CONTENT).await;
    assert_eq!(status, StatusCode::OK, "other paths are spared");
    emulator.clear_faults();
    let (status, _, _) = api.get("/subscriptions/list").await;
    assert_eq!(status, StatusCode::OK);

    // The same through the control API.
    let control = format!("{}/_emulator/faults", emulator.base_url());
    let response = api
        .client
        .post(&control)
        .json(&json!({
            "rules": [{"path_contains": "/subscriptions/list", "count": 2, "fault": {"kind": "timeout_408"}}],
            "random": {"seed": 5, "faults": [{"fault": {"kind": "throttle_429"}, "probability": 0.5}]}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let view: Value = response.json().await.unwrap();
    assert_eq!(view["rules"][0]["count"], 2);
    assert_eq!(view["random"]["seed"], 5);
    for _ in 0..2 {
        let (status, _, _) = api.get("/subscriptions/list").await;
        assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    }
    let mut throttled = 0;
    for _ in 0..40 {
        let (status, _, _) = api.get("/subscriptions/list").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            throttled += 1;
        } else {
            assert_eq!(status, StatusCode::OK);
        }
    }
    assert!((5..=35).contains(&throttled), "{throttled}");
    let response = api.client.delete(&control).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _, _) = api.get("/subscriptions/list").await;
    assert_eq!(status, StatusCode::OK);

    let stats: Value = api
        .client
        .get(format!("{}/_emulator/stats", emulator.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["faults_by_kind"]["server_500"], 3);
    assert_eq!(stats["faults_by_kind"]["timeout_408"], 2);
    assert_eq!(stats["faults_by_kind"]["throttle_429"], throttled);
}
