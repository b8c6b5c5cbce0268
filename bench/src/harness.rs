//! Runs one stage in a child process of its own and gathers, beside the child's own figures,
//! what the harness saw meanwhile: the emulator's requests, the DynamoDB endpoint's counts, and
//! the CPU the harness and moto spent.

use serde_json::Value;

use crate::BoxError;
use crate::dynamo::DynamoServer;
use crate::env::Env;
use crate::measure::{self, ChildRun};
use crate::results::StageRun;
use o365_emulator::Emulator;

/// What a stage runs against.
pub struct Harness<'a> {
    pub emulator: &'a Emulator,
    pub dynamo: Option<&'a DynamoServer>,
    /// moto_server, whose CPU time is counted apart (stage c).
    pub moto_pid: Option<u32>,
}

impl Harness<'_> {
    pub async fn run(&self, stage: &str, env: Env) -> Result<StageRun, BoxError> {
        self.emulator.reset_stats();
        if let Some(dynamo) = self.dynamo {
            dynamo.reset();
        }
        let harness_before = measure::process_cpu();
        let moto_before = self.moto_cpu_s();
        let (run, out) = run_child(stage, env).await?;
        let stats = self.emulator.stats();
        let moto_cpu_s = match (moto_before, self.moto_cpu_s()) {
            (Some(before), Some(after)) => Some(after - before),
            _ => None,
        };
        let mut usage = run.usage;
        if let Some(peak) = out.get("peak_rss_mib").and_then(Value::as_f64) {
            usage.max_rss_mib = peak;
        }
        let result = StageRun {
            out,
            usage,
            api_requests: stats.requests_total,
            blob_requests: stats
                .requests_by_route
                .get("audit_blob")
                .copied()
                .unwrap_or(0),
            dynamo: self.dynamo.map(DynamoServer::counts),
            harness_cpu_s: (measure::process_cpu() - harness_before).as_secs_f64(),
            moto_cpu_s,
        };
        log(stage, &result);
        Ok(result)
    }

    fn moto_cpu_s(&self) -> Option<f64> {
        self.moto_pid.and_then(measure::cpu_s_of)
    }
}

/// `audit-bench child STAGE` with nothing but `env` and `PATH`, and the JSON line it printed.
async fn run_child(stage: &str, env: Env) -> Result<(ChildRun, Value), BoxError> {
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command
        .arg("child")
        .arg(stage)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env);
    let run = tokio::task::spawn_blocking(move || measure::run_child(command)).await??;
    if !run.success {
        return Err(format!("stage {stage} failed (its error is above)").into());
    }
    let out: Value = serde_json::from_str(run.stdout.trim())
        .map_err(|err| format!("stage {stage} printed no JSON ({err}): {}", run.stdout))?;
    Ok((run, out))
}

fn log(stage: &str, result: &StageRun) {
    eprintln!(
        "   {stage:<12} wall {:>7.2} s  cpu {:>7.2} s  rss {:>7.1} MiB",
        result.usage.wall_s,
        result.usage.cpu_s(),
        result.usage.max_rss_mib
    );
}
