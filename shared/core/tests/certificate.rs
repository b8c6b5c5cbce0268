//! Certificate credentials: the stored PEM is checked as it is read, and the token provider's
//! client assertions are accepted by the emulated Entra, which verifies them as Entra does.

use std::sync::Arc;

use audit_core::auth::TokenProvider;
use audit_core::certificate::{CertificateError, ClientCertificate};
use audit_core::config::Config;
use audit_core::http::http_client;
use audit_core::secret::ClientCredential;
use o365_emulator::{Emulator, EmulatorConfig, TestCertificate};
use time::{Duration, OffsetDateTime};

fn config_for(tenant: &Emulator, version: &str) -> Config {
    let vars = [
        ("AUDIT_LOGS_TENANT_ID", tenant.tenant_id().to_string()),
        ("AUDIT_LOGS_CLIENT_ID", tenant.client_id().to_string()),
        (
            "AUDIT_LOGS_CLIENT_CERTIFICATE_ARN",
            "audit-log-sync/cert".to_string(),
        ),
        ("AUDIT_LOGS_AUDIENCE", tenant.base_url()),
        ("AUDIT_LOGS_AUTHORITY", tenant.base_url()),
        ("AUDIT_LOGS_TOKEN_VERSION", version.to_string()),
        ("AUDIT_LOGS_MAX_RETRIES", "0".to_string()),
    ];
    Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap()
}

fn both(cert: &TestCertificate) -> String {
    format!("{}\n{}", cert.certificate_pem, cert.private_key_pem)
}

fn read(cert: &TestCertificate) -> Arc<ClientCertificate> {
    Arc::new(ClientCertificate::from_text(&both(cert), OffsetDateTime::now_utc()).unwrap())
}

async fn tenant_trusting(certs: &[&TestCertificate]) -> Emulator {
    Emulator::start(EmulatorConfig {
        client_certificates: certs.iter().map(|c| c.certificate_pem.clone()).collect(),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn provider(tenant: &Emulator, version: &str, cert: Arc<ClientCertificate>) -> TokenProvider {
    let config = config_for(tenant, version);
    TokenProvider::new(http_client(), &config, ClientCredential::Certificate(cert))
}

#[tokio::test]
async fn a_registered_certificate_gets_tokens_from_both_endpoints() {
    let cert = TestCertificate::generate();
    let tenant = tenant_trusting(&[&cert]).await;
    for version in ["v1", "v2"] {
        let tokens = provider(&tenant, version, read(&cert));
        let token = tokens.token().await.unwrap();
        assert!(tenant.issued_tokens().contains(&token.expose().to_string()));
        // A new token means a new assertion: the emulator refuses a jti it has seen.
        tokens.invalidate(&token).await;
        tokens.token().await.unwrap();
    }
}

#[tokio::test]
async fn an_unregistered_certificate_says_to_register_it() {
    let registered = TestCertificate::generate();
    let other = TestCertificate::generate();
    let tenant = tenant_trusting(&[&registered]).await;
    let err = provider(&tenant, "v1", read(&other))
        .token()
        .await
        .unwrap_err();
    assert_eq!(err.aadsts_code(), Some("AADSTS700027"), "{err}");
    assert!(
        err.to_string().contains("register this certificate"),
        "{err}"
    );
}

#[tokio::test]
async fn rotation_works_while_both_certificates_are_registered() {
    let old = TestCertificate::generate();
    let new = TestCertificate::generate();
    let tenant = tenant_trusting(&[&old]).await;
    provider(&tenant, "v2", read(&old)).token().await.unwrap();
    // Step 1: register the new one beside the old; both work.
    tenant
        .set_client_certificates(vec![
            old.certificate_pem.clone(),
            new.certificate_pem.clone(),
        ])
        .unwrap();
    provider(&tenant, "v2", read(&old)).token().await.unwrap();
    provider(&tenant, "v2", read(&new)).token().await.unwrap();
    // Step 2: the secret now holds the new one; the old one is removed from the app.
    tenant
        .set_client_certificates(vec![new.certificate_pem.clone()])
        .unwrap();
    provider(&tenant, "v2", read(&new)).token().await.unwrap();
    let err = provider(&tenant, "v2", read(&old))
        .token()
        .await
        .unwrap_err();
    assert_eq!(err.aadsts_code(), Some("AADSTS700027"), "{err}");
}

#[tokio::test]
async fn an_assertion_outside_its_time_says_to_check_the_clock() {
    let cert = TestCertificate::generate();
    let tenant = tenant_trusting(&[&cert]).await;
    // Entra's clock ahead of ours by more than the assertion's life and the skew allowed.
    tenant.advance_clock(Duration::minutes(30));
    let err = provider(&tenant, "v1", read(&cert))
        .token()
        .await
        .unwrap_err();
    assert_eq!(err.aadsts_code(), Some("AADSTS700024"), "{err}");
    assert!(err.to_string().contains("clock"), "{err}");
}

#[test]
fn the_json_form_and_either_block_order_are_read() {
    let cert = TestCertificate::generate();
    let now = OffsetDateTime::now_utc();
    let json = serde_json::json!({
        "certificate": cert.certificate_pem,
        "private_key": cert.private_key_pem,
    })
    .to_string();
    let from_json = ClientCertificate::from_text(&json, now).unwrap();
    assert_eq!(from_json.thumbprint(), cert.sha256_thumbprint);
    let key_first = format!("{}\n{}", cert.private_key_pem, cert.certificate_pem);
    assert!(ClientCertificate::from_text(&key_first, now).is_ok());
    // As Windows tools write it: CRLF line ends, a blank line between the blocks.
    let crlf =
        format!("{}\n\n{}", cert.certificate_pem, cert.private_key_pem).replace('\n', "\r\n");
    assert!(ClientCertificate::from_text(&crlf, now).is_ok());
}

#[test]
fn bad_pem_says_what_is_wrong_and_never_shows_the_key() {
    let cert = TestCertificate::generate();
    let other = TestCertificate::generate();
    let now = OffsetDateTime::now_utc();
    let read = |text: &str| ClientCertificate::from_text(text, now).unwrap_err();
    assert_eq!(read("not a certificate"), CertificateError::NotPem);
    assert_eq!(
        read(&cert.certificate_pem),
        CertificateError::Missing("PRIVATE KEY")
    );
    assert_eq!(
        read(&cert.private_key_pem),
        CertificateError::Missing("CERTIFICATE")
    );
    let mismatched = format!("{}\n{}", cert.certificate_pem, other.private_key_pem);
    assert_eq!(read(&mismatched), CertificateError::Mismatch);
    let two = format!("{}\n{}", both(&cert), other.certificate_pem);
    assert!(matches!(
        read(&two),
        CertificateError::Several { count: 2, .. }
    ));
    let encrypted =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert_eq!(
        read(&format!("{}\n{encrypted}", cert.certificate_pem)),
        CertificateError::EncryptedKey
    );
    let expired =
        TestCertificate::generate_valid(now - Duration::days(400), now - Duration::days(1));
    assert!(matches!(
        read(&both(&expired)),
        CertificateError::Expired(_)
    ));

    let good = ClientCertificate::from_text(&both(&cert), now).unwrap();
    let debug = format!("{good:?}");
    let key_body = cert.private_key_pem.lines().nth(1).unwrap();
    assert!(!debug.contains(key_body), "{debug}");
    assert!(debug.contains(&cert.sha256_thumbprint), "{debug}");
}

#[test]
fn the_assertion_carries_what_entra_checks() {
    use base64::Engine as _;
    let cert = TestCertificate::generate();
    let now = OffsetDateTime::now_utc();
    let signer = ClientCertificate::from_text(&both(&cert), now).unwrap();
    let url = "https://login.windows.net/t/oauth2/v2.0/token";
    let jwt = signer.assertion("client-1", url, now);
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |part: &str| -> serde_json::Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    let (header, claims) = (decode(parts[0]), decode(parts[1]));
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["x5t#S256"], cert.sha256_thumbprint.as_str());
    assert_eq!(claims["aud"], url);
    assert_eq!(claims["iss"], "client-1");
    assert_eq!(claims["sub"], "client-1");
    let (nbf, exp) = (
        claims["nbf"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(nbf, now.unix_timestamp());
    assert!(exp > nbf && exp - nbf <= 600, "{claims}");
    let other = signer.assertion("client-1", url, now);
    assert_ne!(
        decode(other.split('.').nth(1).unwrap())["jti"],
        claims["jti"]
    );
}
