//! A function binary run once in command-line mode, as a user or cron runs it, and what it
//! printed and returned.

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

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
    let child = spawn(binary, env, event).await;
    collect(child).await
}

/// [`invoke`], and the child's peak RSS in MiB: its own `VmHWM`, read until it exits
/// (`wait4`'s `ru_maxrss` would count the test process it was forked from).
pub async fn invoke_measured(
    binary: &str,
    env: &[(String, String)],
    event: &Value,
) -> (FunctionRun, u64) {
    let child = spawn(binary, env, event).await;
    let pid = child.id().expect("a running child has a pid");
    let peak = tokio::spawn(peak_rss_kib(pid));
    let run = collect(child).await;
    let peak_kib = peak.await.expect("the RSS reader does not panic");
    (run, peak_kib / 1024)
}

async fn peak_rss_kib(pid: u32) -> u64 {
    let mut peak_kib = 0u64;
    while let Ok(status) = tokio::fs::read_to_string(format!("/proc/{pid}/status")).await {
        let high_water = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok());
        peak_kib = peak_kib.max(high_water.unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    peak_kib
}

async fn spawn(binary: &str, env: &[(String, String)], event: &Value) -> Child {
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
    child
}

async fn collect(child: Child) -> FunctionRun {
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

/// Starts a function binary with `{}` and kills it outright after `after`, wherever it is.
pub async fn kill_after(binary: &str, env: &[(String, String)], after: Duration) {
    let mut child = Command::new(function_binary(binary))
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("{}")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the function binary starts");
    tokio::time::sleep(after).await;
    child.start_kill().expect("the child can be killed");
    child.wait().await.expect("the killed child is reaped");
}
