//! A function binary behind cargo-lambda's emulation of the Lambda runtime API, invoked through
//! `cargo lambda invoke`.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::process::{Child, Command};

use crate::{free_port, function_binary, repo_root, venv_tool, wait_for_port};

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
