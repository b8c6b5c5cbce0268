use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

#[tokio::test]
async fn binary_prints_its_address_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_o365-emulator"))
        .args([
            "--port",
            "0",
            "--seed",
            "5",
            "--hours",
            "2",
            "--subscribe",
            "Audit.General",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).expect("one JSON line");
    let base_url = ready["base_url"].as_str().unwrap();
    assert!(base_url.starts_with("http://127.0.0.1:"));
    assert_eq!(ready["tenant_id"], o365_emulator::DEFAULT_TENANT_ID);
    assert_eq!(ready["client_id"], o365_emulator::DEFAULT_CLIENT_ID);
    assert_eq!(ready["client_secret"], o365_emulator::DEFAULT_CLIENT_SECRET);

    let client = reqwest::Client::new();
    let token: Value = client
        .post(format!(
            "{base_url}/{}/oauth2/token",
            ready["tenant_id"].as_str().unwrap()
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ready["client_id"].as_str().unwrap()),
            ("client_secret", ready["client_secret"].as_str().unwrap()),
            ("resource", base_url),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list: Value = client
        .get(format!(
            "{base_url}/api/v1.0/{}/activity/feed/subscriptions/list",
            ready["tenant_id"].as_str().unwrap()
        ))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["contentType"], "Audit.General");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}

/// `--make-certificate DIR` writes a certificate and key a script can use;
/// `--client-certificate` registers it on a served app.
#[tokio::test]
async fn binary_makes_and_registers_a_certificate() {
    let dir = std::env::temp_dir().join(format!("o365-emulator-cert-{}", std::process::id()));
    let made = Command::new(env!("CARGO_BIN_EXE_o365-emulator"))
        .arg("--make-certificate")
        .arg(&dir)
        .output()
        .expect("the binary runs");
    assert!(made.status.success(), "{made:?}");
    let made: Value = serde_json::from_slice(&made.stdout).expect("one JSON line");
    let cert_path = made["certificate"].as_str().unwrap();
    let key_pem = std::fs::read_to_string(made["private_key"].as_str().unwrap()).unwrap();
    assert!(
        key_pem.starts_with("-----BEGIN PRIVATE KEY-----"),
        "{key_pem}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(made["private_key"].as_str().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    let cert_pem = std::fs::read_to_string(cert_path).unwrap();
    let key_der = pem::parse(&key_pem).unwrap().contents().to_vec();
    let cert_der = pem::parse(&cert_pem).unwrap().contents().to_vec();
    let certificate = o365_emulator::TestCertificate {
        certificate_pem: cert_pem,
        private_key_pem: key_pem,
        sha256_thumbprint: made["sha256_thumbprint"].as_str().unwrap().to_string(),
        sha1_thumbprint: made["sha1_thumbprint"].as_str().unwrap().to_string(),
        certificate_der: cert_der,
        private_key_der: key_der,
    };
    assert_eq!(
        o365_emulator::certificate::sha256_thumbprint(&certificate.certificate_der),
        certificate.sha256_thumbprint
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_o365-emulator"))
        .args([
            "--port",
            "0",
            "--hours",
            "1",
            "--client-certificate",
            cert_path,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).expect("one JSON line");
    let base_url = ready["base_url"].as_str().unwrap();
    let token_url = format!(
        "{base_url}/{}/oauth2/v2.0/token",
        ready["tenant_id"].as_str().unwrap()
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims =
        crate::common::assertion::claims(ready["client_id"].as_str().unwrap(), &token_url, now);
    let jwt = crate::common::assertion::sign(
        &certificate,
        &crate::common::assertion::header(&certificate),
        &claims,
    );
    let scope = format!("{base_url}/.default");
    let response = reqwest::Client::new()
        .post(&token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ready["client_id"].as_str().unwrap()),
            ("client_assertion_type", crate::common::assertion::TYPE),
            ("client_assertion", &jwt),
            ("scope", &scope),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap();
    assert_eq!(status, reqwest::StatusCode::OK, "{answer}");

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    std::fs::remove_dir_all(dir).unwrap();
}
