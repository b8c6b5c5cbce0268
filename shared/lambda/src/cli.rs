//! Command-line mode: one invocation on the event given as the first argument (or on stdin),
//! the reply on stdout, logs on stderr, and exit code 1 on an error.

use std::future::Future;
use std::io::{Read, Write};

use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::context::cli_context;
use crate::error::ErrorReply;
use crate::event::{EventError, MAX_EVENT_BYTES, decode, parse_event};

/// Whether the command line (never Lambda) carries `flag`, e.g. `--html`.
pub fn cli_flag(flag: &str) -> bool {
    !crate::in_lambda() && std::env::args().skip(1).any(|arg| arg == flag)
}

/// Runs the handler once and ends the process.
pub(crate) async fn run_once<E, R, H, F>(handler: &H, text: fn(&R, &str) -> Option<String>) -> !
where
    E: DeserializeOwned,
    R: Serialize,
    H: Fn(LambdaEvent<E>) -> F,
    F: Future<Output = Result<R, ErrorReply>>,
{
    let outcome = match read_event().and_then(decode::<E>) {
        Ok(event) => handler(LambdaEvent::new(event, cli_context())).await,
        Err(err) => Err(err.into()),
    };
    match outcome {
        Ok(reply) => {
            print_reply(&reply, text);
            let _ = std::io::stdout().flush();
            std::process::exit(0)
        }
        Err(err) => {
            println!("{}", pretty(&err.to_json()));
            let _ = std::io::stdout().flush();
            tracing::error!(error_type = err.error_type, error = %err.message, "invocation failed");
            std::process::exit(1)
        }
    }
}

fn print_reply<R: Serialize>(reply: &R, text: fn(&R, &str) -> Option<String>) {
    let as_text = std::env::args()
        .skip(1)
        .filter(|arg| arg.starts_with("--"))
        .find_map(|flag| text(reply, &flag));
    match as_text {
        Some(text) => print!("{text}"),
        None => println!("{}", pretty(reply)),
    }
}

fn pretty<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"))
}

fn read_event() -> Result<Value, EventError> {
    // Flags such as --table and --html are not the event.
    let text = match std::env::args().skip(1).find(|arg| !arg.starts_with("--")) {
        Some(arg) if arg != "-" => arg,
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_EVENT_BYTES + 1)
                .read_to_string(&mut text)
                .map_err(EventError::Stdin)?;
            text
        }
    };
    parse_event(&text)
}
