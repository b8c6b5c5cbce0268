//! Test harness: starts moto's server and the Management API emulator on loopback, and runs the
//! function binaries the way a user or cron would (command-line mode) or through cargo-lambda.
//!
//! A missing tool is a loud failure, never a skipped test: `make test` installs everything.

pub mod aws_proxy;
mod cargo_lambda;
mod environment;
mod function;
mod moto;
pub mod states;
mod tables;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::process::Child;

pub use cargo_lambda::CargoLambda;
pub use environment::{tenant_env, with_vars, without_vars};
pub use function::{FunctionRun, function_binary, invoke, invoke_measured, kill_after};
pub use moto::Moto;
pub use tables::{Tables, create_tables, scan_all};

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
