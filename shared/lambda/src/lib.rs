//! The functions' edge. Each function is a handler from a typed event to a typed reply; this
//! crate serves it from the Lambda runtime, or runs it once from the command line (cron,
//! containers, scripts and tests use that), and turns every error into the one reply shape
//! callers see: `{"errorType": ..., "errorMessage": ...}`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cli;
mod context;
mod error;
mod event;
pub mod logging;

use std::future::Future;

use lambda_runtime::service_fn;
pub use lambda_runtime::{Context, LambdaEvent};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use cli::cli_flag;
pub use context::deadline;
pub use error::ErrorReply;
pub use event::{EventError, MAX_EVENT_BYTES, decode, parse_event};

/// Is this process running inside Lambda (or `cargo lambda watch`)?
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// Serves `handler` from the Lambda runtime, or runs it once on the event given as the first
/// argument or on stdin, printing the reply (or the error) as JSON on stdout.
pub async fn run<E, R, H, F>(handler: H) -> Result<(), lambda_runtime::Error>
where
    E: DeserializeOwned,
    R: Serialize,
    H: Fn(LambdaEvent<E>) -> F,
    F: Future<Output = Result<R, ErrorReply>>,
{
    run_with_text(handler, |_, _| None).await
}

/// Like [`run`]; in command-line mode a flag such as `--table` or `--html` prints
/// `text(reply, flag)` instead of JSON when that gives any text.
pub async fn run_with_text<E, R, H, F>(
    handler: H,
    text: fn(&R, &str) -> Option<String>,
) -> Result<(), lambda_runtime::Error>
where
    E: DeserializeOwned,
    R: Serialize,
    H: Fn(LambdaEvent<E>) -> F,
    F: Future<Output = Result<R, ErrorReply>>,
{
    if !in_lambda() {
        cli::run_once(&handler, text).await;
    }
    let handler = &handler;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let payload = decode(event.payload)?;
            handler(LambdaEvent::new(payload, event.context)).await
        },
    ))
    .await
}
