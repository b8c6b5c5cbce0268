//! Structured JSON logs on stderr, one object per line, as CloudWatch and `jq` like them.

use tracing_subscriber::EnvFilter;

/// Sets up logging once. `RUST_LOG` (or `AWS_LAMBDA_LOG_LEVEL`, which Lambda sets from the
/// function's logging configuration) picks the level; the default is `info`.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .or_else(|| std::env::var("AWS_LAMBDA_LOG_LEVEL").ok())
        .map(|level| EnvFilter::new(level.to_ascii_lowercase()))
        .unwrap_or_else(|| EnvFilter::new("info"));
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
