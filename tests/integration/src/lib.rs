//! Test harness: starts moto's server and the Management API emulator on loopback, and runs the
//! function binaries the way a user or cron would (command-line mode) or through cargo-lambda.
//!
//! A missing tool is a loud failure, never a skipped test: `make test` installs everything.

pub mod aws_proxy;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the crate lives in tests/integration")
        .to_path_buf()
}

/// A tool from the project's virtualenv (`make deps` creates it).
pub fn venv_tool(name: &str) -> PathBuf {
    let path = repo_root().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `make deps` (or `make test`, which installs it) first",
        path.display()
    );
    path
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

async fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before listening on port {port}: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on port {port} within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// moto's server: real DynamoDB and Secrets Manager protocols on loopback.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub async fn start() -> Moto {
        let port = free_port();
        let mut child = Command::new(venv_tool("moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server starts");
        wait_for_port(port, "moto_server", &mut child).await;
        Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The variables that point the AWS SDK at this server, with throwaway credentials.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .load()
            .await
    }

    /// Creates a secret and returns its ARN.
    pub async fn create_secret(&self, name: &str, value: &str) -> String {
        let client = aws_sdk_secretsmanager::Client::new(&self.sdk_config().await);
        client
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .expect("moto creates the secret")
            .arn()
            .expect("a created secret has an ARN")
            .to_string()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// The variables that point a function at an emulated tenant.
pub fn tenant_env(emulator: &o365_emulator::Emulator) -> Vec<(String, String)> {
    vec![
        (
            "AUDIT_LOGS_TENANT_ID".into(),
            emulator.tenant_id().to_string(),
        ),
        (
            "AUDIT_LOGS_CLIENT_ID".into(),
            emulator.client_id().to_string(),
        ),
        (
            "AUDIT_LOGS_CLIENT_SECRET".into(),
            emulator.client_secret().to_string(),
        ),
        ("AUDIT_LOGS_AUDIENCE".into(), emulator.base_url()),
        ("AUDIT_LOGS_AUTHORITY".into(), emulator.base_url()),
        // Tests stay quick when a retry budget runs out on purpose.
        ("AUDIT_LOGS_RETRY_BASE_MS".into(), "20".into()),
    ]
}

/// Replaces or adds variables in an environment list.
pub fn with_vars(mut env: Vec<(String, String)>, vars: &[(&str, &str)]) -> Vec<(String, String)> {
    for (key, value) in vars {
        env.retain(|(k, _)| k != key);
        env.push((key.to_string(), value.to_string()));
    }
    env
}

pub fn without_vars(mut env: Vec<(String, String)>, keys: &[&str]) -> Vec<(String, String)> {
    env.retain(|(k, _)| !keys.contains(&k.as_str()));
    env
}

/// A function binary built by `cargo build` next to this test binary.
pub fn function_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binaries live in target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (`cargo build --workspace`, which `make test` does)",
        path.display()
    );
    path
}

/// What one command-line invocation of a function printed and returned.
#[derive(Debug)]
pub struct FunctionRun {
    pub status: ExitStatus,
    pub reply: Value,
    pub stdout: String,
    pub stderr: String,
}

impl FunctionRun {
    pub fn ok(&self) -> &Value {
        assert!(
            self.status.success(),
            "the function failed ({}): {}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        &self.reply
    }

    pub fn error_message(&self) -> String {
        assert!(
            !self.status.success(),
            "expected a failure, got {}",
            self.stdout
        );
        self.reply["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn error_type(&self) -> String {
        self.reply["errorType"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Runs a function binary once in command-line mode with exactly `env` (plus PATH), the event on
/// stdin, and returns its reply.
pub async fn invoke(binary: &str, env: &[(String, String)], event: &Value) -> FunctionRun {
    let mut child = Command::new(function_binary(binary))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the function binary starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    // A function refuses an oversized event without reading all of it: a broken pipe is fine.
    if let Err(err) = stdin.write_all(event.to_string().as_bytes()).await {
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::BrokenPipe,
            "event written: {err}"
        );
    }
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(300), child.wait_with_output())
        .await
        .expect("the function finishes within 5 minutes")
        .expect("the function's output is readable");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let reply = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!("stdout is not one JSON reply ({err}):\n{stdout}\nstderr:\n{stderr}")
    });
    FunctionRun {
        status: output.status,
        reply,
        stdout,
        stderr,
    }
}

/// `cargo lambda watch --only-lambda-apis`: the Lambda runtime API as cargo-lambda emulates it,
/// with a function binary connected to it as Lambda would start it.
pub struct CargoLambda {
    watch: Child,
    function: Child,
    port: u16,
}

impl CargoLambda {
    pub async fn start(binary: &str, env: &[(String, String)]) -> CargoLambda {
        let port = free_port();
        let mut watch = Command::new(venv_tool("cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "--invoke-address",
                "127.0.0.1",
            ])
            .args(["--invoke-port", &port.to_string()])
            .current_dir(repo_root())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("cargo lambda watch starts");
        wait_for_port(port, "cargo lambda watch", &mut watch).await;
        let function = Command::new(function_binary(binary))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                format!("http://127.0.0.1:{port}/.rt"),
            )
            .env("AWS_LAMBDA_FUNCTION_NAME", "_")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the function binary starts");
        CargoLambda {
            watch,
            function,
            port,
        }
    }

    /// `cargo lambda invoke`; returns its JSON output, or the error text it printed.
    pub async fn invoke(&self, event: &Value) -> Result<Value, String> {
        let output = Command::new(venv_tool("cargo-lambda"))
            .args(["lambda", "invoke", "_", "--invoke-address", "127.0.0.1"])
            .args([
                "--invoke-port",
                &self.port.to_string(),
                "--output-format",
                "json",
            ])
            .args(["--data-ascii", &event.to_string()])
            .current_dir(repo_root())
            .output();
        let output = tokio::time::timeout(Duration::from_secs(120), output)
            .await
            .expect("cargo lambda invoke answers within 2 minutes")
            .expect("cargo lambda invoke runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            serde_json::from_str(&stdout).map_err(|err| format!("not JSON ({err}): {stdout}"))
        } else {
            Err(format!(
                "{stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

impl Drop for CargoLambda {
    fn drop(&mut self) {
        let _ = self.function.start_kill();
        let _ = self.watch.start_kill();
    }
}

/// Table names for one test: unique, so tests may share nothing by accident.
#[derive(Debug, Clone)]
pub struct Tables {
    pub events: String,
    pub state: String,
}

impl Tables {
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AUDIT_LOGS_TABLE".into(), self.events.clone()),
            ("AUDIT_LOGS_STATE_TABLE".into(), self.state.clone()),
        ]
    }
}

/// Creates the tables exactly as `infra/template.yaml` defines them (read through
/// `scripts/tables.py describe`, the same definition `make tables` uses), in moto.
pub async fn create_tables(moto: &Moto) -> Tables {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        TimeToLiveSpecification,
    };
    let output = std::process::Command::new(venv_tool("python"))
        .arg(repo_root().join("scripts/tables.py"))
        .arg("describe")
        .output()
        .expect("scripts/tables.py runs");
    assert!(
        output.status.success(),
        "scripts/tables.py describe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let described: Value =
        serde_json::from_slice(&output.stdout).expect("tables.py describe prints JSON");
    let suffix = format!("{}-{}", std::process::id(), free_port());
    let tables = Tables {
        events: format!("events-{suffix}"),
        state: format!("state-{suffix}"),
    };
    let client = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    let definitions = described.as_array().expect("a list of tables");
    assert_eq!(
        definitions.len(),
        2,
        "the template defines the events and the state table"
    );
    for table in definitions {
        let name = match table["env_var"].as_str() {
            Some("AUDIT_LOGS_TABLE") => &tables.events,
            Some("AUDIT_LOGS_STATE_TABLE") => &tables.state,
            other => panic!("unexpected table variable {other:?}"),
        };
        let mut create = client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest);
        for key in table["key_schema"].as_array().expect("key_schema") {
            create = create.key_schema(
                KeySchemaElement::builder()
                    .attribute_name(key["AttributeName"].as_str().unwrap())
                    .key_type(KeyType::from(key["KeyType"].as_str().unwrap()))
                    .build()
                    .unwrap(),
            );
        }
        for attribute in table["attribute_definitions"]
            .as_array()
            .expect("attribute_definitions")
        {
            create = create.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attribute["AttributeName"].as_str().unwrap())
                    .attribute_type(ScalarAttributeType::from(
                        attribute["AttributeType"].as_str().unwrap(),
                    ))
                    .build()
                    .unwrap(),
            );
        }
        create.send().await.expect("moto creates the table");
        if let Some(ttl) = table["ttl_attribute"].as_str() {
            client
                .update_time_to_live()
                .table_name(name)
                .time_to_live_specification(
                    TimeToLiveSpecification::builder()
                        .attribute_name(ttl)
                        .enabled(true)
                        .build()
                        .unwrap(),
                )
                .send()
                .await
                .expect("moto sets the TTL");
        }
    }
    tables
}

/// Every item of a table (a Scan: only tests look at a whole table).
pub async fn scan_all(
    moto: &Moto,
    table: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let client = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    let mut pages = client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send();
    let mut items = Vec::new();
    while let Some(item) = pages.next().await {
        items.push(item.expect("scan works"));
    }
    items
}
