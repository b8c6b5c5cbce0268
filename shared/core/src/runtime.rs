//! One entry point for every function: the Lambda runtime when running in Lambda, otherwise a
//! single invocation from the command line (cron, containers, scripts and tests use that).

use std::future::Future;
use std::io::Read;
use std::time::SystemTime;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

/// The largest event read in command-line mode; real events are a few hundred bytes.
const MAX_EVENT_BYTES: u64 = 1024 * 1024;

/// What a handler knows about the invocation besides its event.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    /// When Lambda will stop the function; `None` outside Lambda unless one was configured.
    pub deadline: Option<SystemTime>,
}

/// An error as the caller sees it: a type (`ConfigError`, `ApiError`, ...) and a message that
/// says what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HandlerError {
    pub error_type: &'static str,
    pub message: String,
}

impl HandlerError {
    pub fn new(error_type: &'static str, message: impl Into<String>) -> HandlerError {
        HandlerError {
            error_type,
            message: message.into(),
        }
    }

    pub fn input(message: impl Into<String>) -> HandlerError {
        HandlerError::new("InputError", message)
    }

    pub fn to_json(&self) -> Value {
        serde_json::json!({ "errorType": self.error_type, "errorMessage": self.message })
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(err: HandlerError) -> Diagnostic {
        Diagnostic {
            error_type: err.error_type.to_string(),
            error_message: err.message,
        }
    }
}

impl From<crate::config::ConfigError> for HandlerError {
    fn from(err: crate::config::ConfigError) -> Self {
        HandlerError::new("ConfigError", err.to_string())
    }
}

impl From<crate::secret::SecretError> for HandlerError {
    fn from(err: crate::secret::SecretError) -> Self {
        HandlerError::new("SecretError", err.to_string())
    }
}

impl From<crate::auth::AuthError> for HandlerError {
    fn from(err: crate::auth::AuthError) -> Self {
        HandlerError::new("AuthError", err.to_string())
    }
}

impl From<crate::api::ApiError> for HandlerError {
    fn from(err: crate::api::ApiError) -> Self {
        match err {
            crate::api::ApiError::Auth(auth) => auth.into(),
            other => HandlerError::new("ApiError", other.to_string()),
        }
    }
}

impl From<crate::report::publish::PublishError> for HandlerError {
    fn from(err: crate::report::publish::PublishError) -> Self {
        HandlerError::new("PublishError", err.to_string())
    }
}

/// Is this process running inside Lambda (or `cargo lambda watch`)?
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

/// Serves `handler` from the Lambda runtime, or runs it once on the event given as the first
/// argument or on stdin, printing the reply (or the error) as JSON on stdout.
pub async fn run<H, F>(handler: H) -> Result<(), lambda_runtime::Error>
where
    H: Fn(Value, Invocation) -> F,
    F: Future<Output = Result<Value, HandlerError>>,
{
    run_with_text(handler, |_, _| None).await
}

/// Like [`run`]; in command-line mode a flag such as `--table` or `--html` prints
/// `text(reply, flag)` instead of JSON when that gives any text.
pub async fn run_with_text<H, F>(
    handler: H,
    text: fn(&Value, &str) -> Option<String>,
) -> Result<(), lambda_runtime::Error>
where
    H: Fn(Value, Invocation) -> F,
    F: Future<Output = Result<Value, HandlerError>>,
{
    if in_lambda() {
        let handler = &handler;
        return lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
            let invocation = Invocation {
                request_id: event.context.request_id.clone(),
                deadline: Some(event.context.deadline()),
            };
            handler(event.payload, invocation)
        }))
        .await;
    }

    let outcome = match read_cli_event() {
        Ok(event) => {
            let invocation = Invocation {
                request_id: format!("cli-{}", std::process::id()),
                deadline: None,
            };
            handler(event, invocation).await
        }
        Err(err) => Err(err),
    };
    match outcome {
        Ok(reply) => {
            let as_text = std::env::args()
                .skip(1)
                .filter(|arg| arg.starts_with("--"))
                .find_map(|flag| text(&reply, &flag));
            match as_text {
                Some(text) => print!("{text}"),
                None => println!(
                    "{}",
                    serde_json::to_string_pretty(&reply).unwrap_or_else(|_| reply.to_string())
                ),
            }
            Ok(())
        }
        Err(err) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&err.to_json()).unwrap_or_default()
            );
            tracing::error!(error_type = err.error_type, error = %err.message, "invocation failed");
            std::process::exit(1);
        }
    }
}

/// Whether the command line (never Lambda) carries `flag`, e.g. `--html`.
pub fn cli_flag(flag: &str) -> bool {
    !in_lambda() && std::env::args().skip(1).any(|arg| arg == flag)
}

fn read_cli_event() -> Result<Value, HandlerError> {
    // Flags such as --table and --html are not the event.
    let text = match std::env::args().skip(1).find(|arg| !arg.starts_with("--")) {
        Some(arg) if arg != "-" => arg,
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .take(MAX_EVENT_BYTES + 1)
                .read_to_string(&mut text)
                .map_err(|err| {
                    HandlerError::input(format!("could not read the event from stdin: {err}"))
                })?;
            text
        }
    };
    parse_event(&text)
}

/// An empty event means `{}`; anything else must be one JSON value of reasonable size.
pub fn parse_event(text: &str) -> Result<Value, HandlerError> {
    if text.len() as u64 > MAX_EVENT_BYTES {
        return Err(HandlerError::input(format!(
            "the event is larger than {MAX_EVENT_BYTES} bytes; events are small JSON objects"
        )));
    }
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(text)
        .map_err(|err| HandlerError::input(format!("the event is not valid JSON: {err}")))
}
