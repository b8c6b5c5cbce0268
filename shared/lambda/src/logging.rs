//! Structured JSON logs on stderr, one object per line, as CloudWatch and `jq` like them.

use audit_core::env::Env;
use audit_core::env::table::RUST_LOG;
use tracing_subscriber::EnvFilter;

/// Sets up logging once. `RUST_LOG` (or `AWS_LAMBDA_LOG_LEVEL`, which Lambda sets from the
/// function's logging configuration) picks the level; the default is `info`.
pub fn init() {
    // Lambda's own variable is set from the function's logging configuration, so it is not
    // one of the product's: it is read only as a fallback.
    let level = Env::process()
        .text(&RUST_LOG)
        .or_else(|| std::env::var("AWS_LAMBDA_LOG_LEVEL").ok())
        .or_else(|| RUST_LOG.default.value().map(str::to_string))
        .unwrap_or_default();
    let filter = EnvFilter::new(level.to_ascii_lowercase());
    // Stdout carries the reply in command-line mode, so logs never go there.
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
