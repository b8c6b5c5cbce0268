//! Cold start: each function binary started again and again against a minimal Lambda Runtime
//! API, an empty tenant and the black hole, and the size of its deploy zip.

mod runtime_api;

use std::path::{Path, PathBuf};
use std::time::Duration;

use o365_emulator::{ContentType, Emulator, EmulatorConfig, GeneratorConfig};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::BoxError;
use crate::dynamo::{DynamoServer, Mode};
use crate::env::{aws_env, tenant_env};
pub use runtime_api::{ColdStart, RuntimeApi};

/// The cold starts of one function, and its deploy zip.
#[derive(Debug, Clone)]
pub struct ColdResult {
    pub function: &'static str,
    pub invocation: String,
    pub runs: Vec<ColdStart>,
    pub zip_bytes: Option<u64>,
    pub zip_built: Option<OffsetDateTime>,
    /// Why the function was not started (its binary is not built).
    pub missing: Option<String>,
}

impl ColdResult {
    /// Spawn to the first `/next`, median and maximum in milliseconds.
    pub fn init_ms(&self) -> (f64, f64) {
        median_max_ms(self.runs.iter().map(|r| r.init))
    }

    /// Spawn to the reply to the first invocation, median and maximum in milliseconds.
    pub fn first_reply_ms(&self) -> (f64, f64) {
        median_max_ms(self.runs.iter().map(|r| r.first_reply))
    }
}

/// Median and maximum of a set of durations, in milliseconds.
fn median_max_ms(values: impl Iterator<Item = Duration>) -> (f64, f64) {
    let mut ms: Vec<f64> = values.map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mid = ms.len() / 2;
    let median = if ms.len().is_multiple_of(2) {
        (ms[mid - 1] + ms[mid]) / 2.0
    } else {
        ms[mid]
    };
    (median, *ms.last().expect("not empty"))
}

/// The functions and the first invocation each is started with.
fn functions() -> [(&'static str, Value); 3] {
    [
        ("audit-subscription", json!({"operation": "list"})),
        ("audit-sync", json!({})),
        ("audit-report", json!({})),
    ]
}

/// Cold starts of the three functions against an empty tenant and the black hole.
pub async fn cold_starts(runs: usize) -> Result<Vec<ColdResult>, BoxError> {
    let emulator = Emulator::start(EmulatorConfig {
        subscriptions_enabled: vec![ContentType::General],
        generator: GeneratorConfig {
            hours_before: 0,
            content_types: vec![ContentType::General],
            ..GeneratorConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await?;
    let black_hole = DynamoServer::start(Mode::BlackHole).await?;
    let starter = Starter {
        runtime_api: RuntimeApi::start().await?,
        env: [
            tenant_env(&emulator),
            aws_env(&black_hole.endpoint(), "events", "state"),
        ]
        .concat(),
        bin_dir: std::env::current_exe()?
            .parent()
            .expect("the binary lives in a directory")
            .to_path_buf(),
        runs,
    };
    let mut results = Vec::new();
    for (function, event) in functions() {
        results.push(starter.measure(function, event).await?);
    }
    emulator.shutdown().await;
    Ok(results)
}

/// Starts the function binaries built next to this one.
struct Starter {
    runtime_api: RuntimeApi,
    env: Vec<(String, String)>,
    bin_dir: PathBuf,
    runs: usize,
}

impl Starter {
    async fn measure(&self, function: &'static str, event: Value) -> Result<ColdResult, BoxError> {
        let (zip_bytes, zip_built) = deploy_zip(function);
        let mut result = ColdResult {
            function,
            invocation: event.to_string(),
            runs: Vec::new(),
            zip_bytes,
            zip_built,
            missing: None,
        };
        let binary = self.bin_dir.join(function);
        if !binary.exists() {
            result.missing = Some(format!(
                "{} is not built (`cargo build --release -p {function}`)",
                binary.display()
            ));
            return Ok(result);
        }
        // One unmeasured start first, so every measured one finds the binary in the page cache.
        let _ = self
            .runtime_api
            .cold_start(&binary, &self.env, &event)
            .await;
        for _ in 0..self.runs {
            let start = self.runtime_api.cold_start(&binary, &self.env, &event);
            result.runs.push(start.await?);
        }
        eprintln!(
            "   {function:<20} init median {:.1} ms; first reply ok: {}",
            result.init_ms().0,
            result.runs.iter().all(|r| r.ok)
        );
        Ok(result)
    }
}

/// The size of the function's arm64 zip from `make package`, and when it was built.
fn deploy_zip(function: &str) -> (Option<u64>, Option<OffsetDateTime>) {
    let zip = repo_root()
        .join("target/lambda-arm64")
        .join(function)
        .join("bootstrap.zip");
    let meta = std::fs::metadata(&zip).ok();
    let built = meta
        .as_ref()
        .and_then(|m| m.modified().ok())
        .map(OffsetDateTime::from);
    (meta.map(|m| m.len()), built)
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ lives in the repository")
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        let d = |ms| Duration::from_millis(ms);
        assert_eq!(median_max_ms([d(3), d(1), d(2)].into_iter()), (2.0, 3.0));
        assert_eq!(
            median_max_ms([d(4), d(1), d(2), d(3)].into_iter()),
            (2.5, 4.0)
        );
        assert!(median_max_ms(std::iter::empty()).0.is_nan());
    }
}
