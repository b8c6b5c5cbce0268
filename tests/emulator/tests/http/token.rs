use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use o365_emulator::{Emulator, EmulatorConfig, TestCertificate};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

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

// Certificate credentials: client assertions.

/// Making RSA keys takes a moment: the tests share two.
fn certificate(which: usize) -> &'static TestCertificate {
    static CERTIFICATES: OnceLock<[TestCertificate; 2]> = OnceLock::new();
    &CERTIFICATES.get_or_init(|| [TestCertificate::generate(), TestCertificate::generate()])[which]
}

async fn start_with(certificates: &[&TestCertificate]) -> Emulator {
    start(EmulatorConfig {
        client_certificates: certificates
            .iter()
            .map(|c| c.certificate_pem.clone())
            .collect(),
        ..small_config()
    })
    .await
}

/// Good claims for `url`, on the emulator's clock.
fn claims_for(emulator: &Emulator, url: &str) -> Value {
    assertion::claims(emulator.client_id(), url, emulator.now().unix_timestamp())
}

/// A token request with `jwt` as the client assertion, v1 or v2 after `url`.
async fn post_assertion(emulator: &Emulator, url: &str, jwt: &str) -> (StatusCode, Value) {
    let base = emulator.base_url();
    let scope = format!("{base}/.default");
    let (name, value) = if url.contains("/v2.0/") {
        ("scope", scope.as_str())
    } else {
        ("resource", base.as_str())
    };
    post_form(
        url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("client_assertion_type", assertion::TYPE),
            ("client_assertion", jwt),
            (name, value),
        ],
    )
    .await
}

/// A good assertion signed with `key`, naming `named` in its header.
fn good(emulator: &Emulator, url: &str, key: &TestCertificate, named: &TestCertificate) -> String {
    assertion::sign(key, &assertion::header(named), &claims_for(emulator, url))
}

/// The status, `error` and AADSTS code of a refusal.
type Expected<'a> = (StatusCode, &'a str, u64);

fn assert_code(status: StatusCode, body: &Value, expected: Expected) {
    let (expected_status, error, code) = expected;
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.starts_with(&format!("AADSTS{code}: ")),
        "{description}"
    );
}

const INVALID_CLIENT: StatusCode = StatusCode::UNAUTHORIZED;

#[tokio::test]
async fn certificate_assertions_get_tokens_on_v1_and_v2() {
    let emulator = start_with(&[certificate(0)]).await;
    let v1 = emulator.token_url_v1();
    let (status, body) = post_assertion(
        &emulator,
        &v1,
        &good(&emulator, &v1, certificate(0), certificate(0)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["expires_in"], "3599");

    // v2, RS256 and the SHA-1 `x5t`, the tenant named by its domain.
    let v2 = format!(
        "{}/contoso.onmicrosoft.com/oauth2/v2.0/token",
        emulator.base_url()
    );
    let header = json!({"alg": "RS256", "typ": "JWT", "x5t": certificate(0).sha1_thumbprint});
    let jwt = assertion::sign(
        certificate(0),
        &header,
        &claims_for(&emulator, &emulator.token_url_v2()),
    );
    let (status, body) = post_assertion(&emulator, &v2, &jwt).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["expires_in"], 3599);
    let response = Client::new()
        .get(format!("{}/subscriptions/list", emulator.feed_root()))
        .bearer_auth(body["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(emulator.stats().tokens_issued, 2);

    // The secret still works beside the certificate.
    let (status, _) = post_form(
        &v1,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("client_secret", emulator.client_secret()),
            ("resource", &emulator.base_url()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn assertion_type_must_be_jwt_bearer() {
    let emulator = start_with(&[certificate(0)]).await;
    let url = emulator.token_url_v1();
    let jwt = good(&emulator, &url, certificate(0), certificate(0));
    let base = emulator.base_url();
    for (kind, expected) in [
        (None, (StatusCode::BAD_REQUEST, "invalid_request", 900144)),
        (
            Some("urn:ietf:params:oauth:client-assertion-type:saml2-bearer"),
            (StatusCode::BAD_REQUEST, "invalid_request", 90011),
        ),
    ] {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("client_assertion", jwt.as_str()),
            ("resource", base.as_str()),
        ];
        form.extend(kind.map(|kind| ("client_assertion_type", kind)));
        let (status, body) = post_form(&url, &form).await;
        assert_code(status, &body, expected);
    }
}

/// Each broken assertion, built from good claims by `edit`, gets its code.
#[tokio::test]
async fn broken_assertions_get_entra_codes() {
    let emulator = start_with(&[certificate(0)]).await;
    let v1 = emulator.token_url_v1();
    let v2 = emulator.token_url_v2();
    let now = emulator.now().unix_timestamp();
    let registered = certificate(0);
    let other = certificate(1);
    let header = assertion::header(registered);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut claims = claims_for(&emulator, &v1);
        edit(&mut claims);
        assertion::sign(registered, &header, &claims)
    };
    let with_header = |edit: &dyn Fn(&mut Value)| {
        let mut header = assertion::header(registered);
        edit(&mut header);
        assertion::sign(registered, &header, &claims_for(&emulator, &v1))
    };
    let malformed = (INVALID_CLIENT, "invalid_client", 50027);
    // What is broken, the assertion, the status, error and code, a text the description holds.
    type Case<'a> = (&'a str, String, Expected<'a>, &'a str);
    let cases: Vec<Case> = vec![
        ("not a JWT", "not-a-jwt".to_string(), malformed, "malformed"),
        (
            "no typ",
            with_header(&|h| {
                h.as_object_mut().unwrap().remove("typ");
            }),
            malformed,
            "malformed",
        ),
        (
            "HS256",
            with_header(&|h| h["alg"] = json!("HS256")),
            (INVALID_CLIENT, "invalid_client", 5002730),
            "Unsupported key",
        ),
        (
            "unknown thumbprint",
            good(&emulator, &v1, other, other),
            (INVALID_CLIENT, "invalid_client", 700027),
            "is not registered on application",
        ),
        (
            "no thumbprint",
            with_header(&|h| {
                h.as_object_mut().unwrap().remove("x5t#S256");
            }),
            (INVALID_CLIENT, "invalid_client", 700027),
            "is not registered on application",
        ),
        (
            "signed by another key",
            good(&emulator, &v1, other, registered),
            (INVALID_CLIENT, "invalid_client", 700027),
            "Client assertion contains an invalid signature",
        ),
        (
            "sub differs from iss",
            with(&|c| c["sub"] = json!("someone-else")),
            (INVALID_CLIENT, "invalid_client", 50048),
            "Subject must match the issuer",
        ),
        (
            "another app",
            with(&|c| {
                c["iss"] = json!("11111111-1111-4111-8111-111111111111");
                c["sub"] = c["iss"].clone();
            }),
            (INVALID_CLIENT, "invalid_client", 700021),
            "doesn't match 'client_id'",
        ),
        (
            "aud of the v2 endpoint",
            with(&|c| c["aud"] = json!(v2)),
            (INVALID_CLIENT, "invalid_client", 700023),
            "does not match Realm issuer",
        ),
        (
            "aud of Entra",
            with(&|c| {
                c["aud"] = json!(format!(
                    "https://login.microsoftonline.com/{}/oauth2/token",
                    emulator.tenant_id()
                ))
            }),
            (INVALID_CLIENT, "invalid_client", 700023),
            "Realm issuer",
        ),
        (
            "aud of another tenant",
            with(&|c| {
                c["aud"] = json!(format!(
                    "{}/{}/oauth2/token",
                    emulator.base_url(),
                    o365_emulator::DEFAULT_FOREIGN_TENANT_ID
                ))
            }),
            (INVALID_CLIENT, "invalid_client", 700023),
            "Realm issuer",
        ),
        (
            "aud array",
            with(&|c| c["aud"] = json!([v1])),
            malformed,
            "malformed",
        ),
        (
            "expired",
            with(&|c| c["exp"] = json!(now - 360)),
            (INVALID_CLIENT, "invalid_client", 700024),
            "Client assertion is not within its valid time range. Current time: ",
        ),
        (
            "not yet valid",
            with(&|c| c["nbf"] = json!(now + 360)),
            (INVALID_CLIENT, "invalid_client", 700024),
            "assertion valid from ",
        ),
        (
            "no exp",
            with(&|c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
            malformed,
            "malformed",
        ),
        (
            "no jti",
            with(&|c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
            malformed,
            "'jti'",
        ),
    ];
    for (what, jwt, expected, text) in cases {
        let (status, body) = post_assertion(&emulator, &v1, &jwt).await;
        assert_code(status, &body, expected);
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(text), "{what}: {description}");
    }
    assert_eq!(emulator.stats().tokens_issued, 0);

    // The unknown thumbprint is shown as Entra shows it: hex of the SHA-256.
    let (_, body) = post_assertion(&emulator, &v1, &good(&emulator, &v1, other, other)).await;
    let hex: String = URL_SAFE_NO_PAD
        .decode(&other.sha256_thumbprint)
        .unwrap()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains(&format!("Thumbprint of key used by client: '{hex}'")),
        "{description}"
    );
    assert!(description.contains(emulator.client_id()), "{description}");
}

#[tokio::test]
async fn clock_skew_of_five_minutes_is_allowed() {
    let emulator = start_with(&[certificate(0)]).await;
    let url = emulator.token_url_v2();
    let now = emulator.now().unix_timestamp();
    for (exp, nbf) in [(now - 240, now - 600), (now + 600, now + 240)] {
        let mut claims = claims_for(&emulator, &url);
        claims["exp"] = json!(exp);
        claims["nbf"] = json!(nbf);
        let jwt = assertion::sign(certificate(0), &assertion::header(certificate(0)), &claims);
        let (status, body) = post_assertion(&emulator, &url, &jwt).await;
        assert_eq!(status, StatusCode::OK, "exp {exp} nbf {nbf}: {body}");
    }
}

#[tokio::test]
async fn two_registered_certificates_both_work_and_rotate() {
    let (old, new) = (certificate(0), certificate(1));
    let emulator = start_with(&[old, new]).await;
    let url = emulator.token_url_v1();
    assert_eq!(
        emulator.client_certificate_thumbprints(),
        [old.sha256_thumbprint.clone(), new.sha256_thumbprint.clone()]
    );
    for certificate in [old, new] {
        let (status, body) = post_assertion(
            &emulator,
            &url,
            &good(&emulator, &url, certificate, certificate),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    // The old one is removed from the app: only the new one still works.
    emulator
        .set_client_certificates(vec![new.certificate_pem.clone()])
        .unwrap();
    let (status, body) = post_assertion(&emulator, &url, &good(&emulator, &url, old, old)).await;
    assert_code(status, &body, (INVALID_CLIENT, "invalid_client", 700027));
    let (status, body) = post_assertion(&emulator, &url, &good(&emulator, &url, new, new)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A text that is no certificate changes nothing.
    assert!(
        emulator
            .set_client_certificates(vec!["not PEM".to_string()])
            .is_err()
    );
    assert_eq!(
        emulator.client_certificate_thumbprints(),
        std::slice::from_ref(&new.sha256_thumbprint)
    );
}

#[tokio::test]
async fn the_control_api_replaces_the_certificates() {
    let emulator = start_with(&[]).await;
    let url = format!("{}/_emulator/client-certificates", emulator.base_url());
    let client = Client::new();
    let body = json!({"certificates": [certificate(1).certificate_pem]});
    let response = client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer["sha256_thumbprints"],
        json!([certificate(1).sha256_thumbprint])
    );
    let token_url = emulator.token_url_v1();
    let jwt = good(&emulator, &token_url, certificate(1), certificate(1));
    assert_eq!(
        post_assertion(&emulator, &token_url, &jwt).await.0,
        StatusCode::OK
    );
    let bad =
        json!({"certificates": ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]});
    let response = client.post(&url).json(&bad).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_certificate_that_does_not_parse_stops_the_start() {
    let config = EmulatorConfig {
        client_certificates: vec![certificate(0).private_key_pem.clone()],
        ..small_config()
    };
    let error = Emulator::start(config).await.err().expect("no start");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_replayed_jti_is_refused() {
    let emulator = start_with(&[certificate(0)]).await;
    let url = emulator.token_url_v2();
    let jwt = good(&emulator, &url, certificate(0), certificate(0));
    assert_eq!(
        post_assertion(&emulator, &url, &jwt).await.0,
        StatusCode::OK
    );
    let (status, body) = post_assertion(&emulator, &url, &jwt).await;
    assert_code(status, &body, (INVALID_CLIENT, "invalid_client", 50013));
    // The same jti in a new assertion is a replay too.
    let mut claims: Value = claims_for(&emulator, &url);
    claims["jti"] = json!("fixed-jti");
    let first = assertion::sign(certificate(0), &assertion::header(certificate(0)), &claims);
    claims["iat"] = json!(emulator.now().unix_timestamp() + 1);
    let second = assertion::sign(certificate(0), &assertion::header(certificate(0)), &claims);
    assert_eq!(
        post_assertion(&emulator, &url, &first).await.0,
        StatusCode::OK
    );
    assert_eq!(
        post_assertion(&emulator, &url, &second).await.0,
        INVALID_CLIENT
    );
    assert_eq!(emulator.stats().tokens_issued, 2);
}

#[tokio::test]
async fn replays_pass_when_allowed_as_entra_does() {
    let emulator = start(EmulatorConfig {
        client_certificates: vec![certificate(0).certificate_pem.clone()],
        reject_assertion_replay: false,
        ..small_config()
    })
    .await;
    let url = emulator.token_url_v1();
    let mut claims = claims_for(&emulator, &url);
    claims.as_object_mut().unwrap().remove("jti");
    let jwt = assertion::sign(certificate(0), &assertion::header(certificate(0)), &claims);
    for _ in 0..2 {
        let (status, body) = post_assertion(&emulator, &url, &jwt).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}

#[tokio::test]
async fn assertions_expire_on_the_emulator_clock() {
    let emulator = start_with(&[certificate(0)]).await;
    let url = emulator.token_url_v1();
    // Two assertions valid for one minute.
    let signed = || {
        let mut claims = claims_for(&emulator, &url);
        claims["exp"] = json!(emulator.now().unix_timestamp() + 60);
        assertion::sign(certificate(0), &assertion::header(certificate(0)), &claims)
    };
    let (early, late) = (signed(), signed());
    // Past exp but within the skew: still taken.
    emulator.advance_clock(time::Duration::minutes(3));
    assert_eq!(
        post_assertion(&emulator, &url, &early).await.0,
        StatusCode::OK
    );
    emulator.advance_clock(time::Duration::minutes(4));
    let (status, body) = post_assertion(&emulator, &url, &late).await;
    assert_code(status, &body, (INVALID_CLIENT, "invalid_client", 700024));
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("expiry time of assertion "),
        "{description}"
    );
}

#[tokio::test]
async fn an_expired_certificate_no_longer_signs() {
    let emulator = start_with(&[certificate(0)]).await;
    let url = emulator.token_url_v1();
    // The test certificate is valid for a year.
    emulator.advance_clock(time::Duration::days(400));
    let (status, body) = post_assertion(
        &emulator,
        &url,
        &good(&emulator, &url, certificate(0), certificate(0)),
    )
    .await;
    assert_code(status, &body, (INVALID_CLIENT, "invalid_client", 700027));
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains("The key used is expired."),
        "{description}"
    );
}
