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
