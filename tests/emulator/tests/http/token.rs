use reqwest::{Client, StatusCode};
use serde_json::Value;

use crate::common::*;

async fn post_form(url: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = Client::new().post(url).form(form).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn v1_answers_numbers_as_strings() {
    let emulator = start(small_config()).await;
    let resource = emulator.base_url();
    let (status, body) = post_form(
        &emulator.token_url_v1(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("client_secret", emulator.client_secret()),
            ("resource", &resource),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], "3599");
    assert_eq!(body["ext_expires_in"], "3599");
    assert_eq!(body["resource"], resource.as_str());
    let expires_on: i64 = body["expires_on"].as_str().unwrap().parse().unwrap();
    let not_before: i64 = body["not_before"].as_str().unwrap().parse().unwrap();
    let now = emulator.now().unix_timestamp();
    assert!((expires_on - now - 3599).abs() <= 2);
    assert!(not_before <= now);
    assert!(!body["access_token"].as_str().unwrap().is_empty());
    assert_eq!(emulator.stats().tokens_issued, 1);
}

#[tokio::test]
async fn v2_answers_numbers_and_accepts_the_tenant_domain() {
    let emulator = start(small_config()).await;
    let url = format!(
        "{}/contoso.onmicrosoft.com/oauth2/v2.0/token",
        emulator.base_url()
    );
    let scope = format!("{}/.default", emulator.base_url());
    let (status, body) = post_form(
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("client_secret", emulator.client_secret()),
            ("scope", &scope),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["ext_expires_in"], 3599);
    assert!(body.get("resource").is_none());

    // The token works on the API.
    let client = Client::new();
    let response = client
        .get(format!("{}/subscriptions/list", emulator.feed_root()))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn errors_look_like_entra() {
    let emulator = start(small_config()).await;
    let base = emulator.base_url();
    let id = emulator.client_id().to_string();
    let secret = emulator.client_secret().to_string();
    let v1 = emulator.token_url_v1();
    let v2 = emulator.token_url_v2();
    let scope = format!("{base}/.default");
    // URL, form, expected status, error and AADSTS code.
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, StatusCode, &'a str, u64);
    let cases: Vec<Case> = vec![
        (
            v1.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", "wrong"),
                ("resource", &base),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
        ),
        (
            v1.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("resource", &base),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
        ),
        (
            v1.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "11111111-1111-4111-8111-111111111111"),
                ("client_secret", &secret),
                ("resource", &base),
            ],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
        ),
        (
            format!("{base}/22222222-2222-4222-8222-222222222222/oauth2/token"),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("resource", &base),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
        ),
        (
            v1.clone(),
            vec![
                ("grant_type", "password"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("resource", &base),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
        ),
        (
            v1.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
        ),
        (
            v1.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("resource", "https://graph.microsoft.com"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
        ),
        (
            v2.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("scope", &base),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
        ),
        (
            v2.clone(),
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
        ),
        (
            v2,
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", "nope"),
                ("scope", &scope),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
        ),
    ];
    for (url, form, status, error, code) in cases {
        let (got_status, body) = post_form(&url, &form).await;
        assert_eq!(got_status, status, "{form:?}: {body}");
        assert_eq!(body["error"], error, "{form:?}: {body}");
        assert_eq!(body["error_codes"][0], code, "{form:?}: {body}");
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with(&format!("AADSTS{code}: ")),
            "{description}"
        );
        assert!(description.contains("\r\nTrace ID: "), "{description}");
        for field in ["timestamp", "trace_id", "correlation_id"] {
            assert!(body[field].is_string(), "{field} in {body}");
        }
    }
    let (_, body) = post_form(
        &emulator.token_url_v1(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", "wrong"),
            ("resource", &base),
        ],
    )
    .await;
    assert!(body["error_description"].as_str().unwrap().contains(&format!(
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{id}'."
    )));
    assert_eq!(emulator.stats().tokens_issued, 0);
}

#[tokio::test]
async fn tokens_expire_on_the_emulator_clock() {
    let emulator = start(o365_emulator::EmulatorConfig {
        token_lifetime_secs: 60,
        ..small_config()
    })
    .await;
    let api = Api::new(&emulator).await;
    let (status, _, _) = api.get("/subscriptions/list").await;
    assert_eq!(status, StatusCode::OK);
    emulator.advance_clock(time::Duration::seconds(61));
    let (status, headers, body) = api.get("/subscriptions/list").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        json(&body)["Message"],
        "Authorization has been denied for this request."
    );
    assert_eq!(headers["www-authenticate"], "Bearer");
}
