//! Shared helpers: a small tenant, a token, and an API client over real HTTP.

use o365_emulator::{ContentType, Emulator, EmulatorConfig, GeneratorConfig};
use reqwest::header::HeaderMap;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use time::OffsetDateTime;

/// A tenant small enough to start in a blink, with a little of everything.
pub fn small_config() -> EmulatorConfig {
    EmulatorConfig {
        generator: GeneratorConfig {
            hours_before: 30,
            blobs_per_hour: 2,
            records_per_blob_min: 8,
            records_per_blob_max: 12,
            ..GeneratorConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

pub async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("emulator starts")
}

pub fn hour_anchor() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_time(time::Time::from_hms(now.hour(), 0, 0).unwrap())
}

pub struct Api {
    pub client: Client,
    pub root: String,
    pub token: String,
    pub publisher: String,
}

pub async fn v1_token(client: &Client, emulator: &Emulator) -> String {
    let response = client
        .post(emulator.token_url_v1())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", emulator.client_id()),
            ("client_secret", emulator.client_secret()),
            ("resource", &emulator.base_url()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

impl Api {
    /// A new token, as a client does after the emulator clock jumped past
    /// the old one's expiry.
    pub async fn refresh(&mut self, emulator: &Emulator) {
        self.token = v1_token(&self.client, emulator).await;
    }

    pub async fn new(emulator: &Emulator) -> Api {
        let client = Client::new();
        let token = v1_token(&client, emulator).await;
        Api {
            client,
            root: emulator.feed_root(),
            token,
            publisher: emulator.tenant_id().to_string(),
        }
    }

    /// GET an absolute URL with the bearer token.
    pub async fn get_url(&self, url: &str) -> (StatusCode, HeaderMap, String) {
        let response = self
            .client
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        (status, headers, response.text().await.unwrap())
    }

    /// GET `{root}{path}`, adding PublisherIdentifier.
    pub async fn get(&self, path: &str) -> (StatusCode, HeaderMap, String) {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = format!(
            "{}{path}{separator}PublisherIdentifier={}",
            self.root, self.publisher
        );
        self.get_url(&url).await
    }

    pub async fn post(&self, path: &str) -> (StatusCode, String) {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = format!(
            "{}{path}{separator}PublisherIdentifier={}",
            self.root, self.publisher
        );
        let response = self
            .client
            .post(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    pub async fn start(&self, content_type: ContentType) -> (StatusCode, String) {
        self.post(&format!("/subscriptions/start?contentType={content_type}"))
            .await
    }
}

/// The AF code of an error body.
pub fn af_code(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    value["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code: {body}"))
        .to_string()
}

pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"))
}

/// `2026-05-23T17:35:00` for a query string.
pub fn query_time(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Follows NextPageUri to the end; returns every item and the page count.
pub async fn list_all(api: &Api, first_path: &str) -> (Vec<Value>, usize) {
    let (status, mut headers, body) = api.get(first_path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut items: Vec<Value> = serde_json::from_str(&body).unwrap();
    let mut pages = 1;
    while let Some(next) = headers.get("NextPageUri") {
        let next = next.to_str().unwrap().to_string();
        assert!(next.contains("/api/v1/"), "{next}");
        let url = format!("{next}&PublisherIdentifier={}", api.publisher);
        let (status, h, body) = api.get_url(&url).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        items.extend(serde_json::from_str::<Vec<Value>>(&body).unwrap());
        headers = h;
        pages += 1;
        assert!(pages < 1000, "paging does not end");
    }
    (items, pages)
}

/// A client assertion's parts, signed by the test as the product would.
pub mod assertion {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaEncoding, RsaKeyPair};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use o365_emulator::TestCertificate;
    use serde_json::{Value, json};

    pub const TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// `{"alg":"PS256","typ":"JWT","x5t#S256":..}` naming `certificate`.
    pub fn header(certificate: &TestCertificate) -> Value {
        json!({"alg": "PS256", "typ": "JWT", "x5t#S256": certificate.sha256_thumbprint})
    }

    /// Claims valid for ten minutes from `now` (unix seconds), with a fresh `jti`.
    pub fn claims(client_id: &str, audience: &str, now: i64) -> Value {
        json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": format!("{:032x}", rand::random::<u128>()),
            "nbf": now,
            "iat": now,
            "exp": now + 600,
        })
    }

    /// A compact JWS over `header` and `claims` with `key`'s private key:
    /// RS256 when the header says so, PS256 otherwise.
    pub fn sign(key: &TestCertificate, header: &Value, claims: &Value) -> String {
        let encoding: &'static dyn RsaEncoding = match header["alg"].as_str() {
            Some("RS256") => &RSA_PKCS1_SHA256,
            _ => &RSA_PSS_SHA256,
        };
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let pair = RsaKeyPair::from_pkcs8(&key.private_key_der).expect("a PKCS#8 RSA key");
        let mut signature = vec![0; pair.public_modulus_len()];
        pair.sign(
            encoding,
            &SystemRandom::new(),
            signed.as_bytes(),
            &mut signature,
        )
        .expect("RSA signs");
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}
