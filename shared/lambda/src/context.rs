//! What a handler knows about its invocation besides the event.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::Context;

/// The context of a command-line invocation: a request id of its own and no deadline.
pub(crate) fn cli_context() -> Context {
    let mut context = Context::default();
    context.request_id = format!("cli-{}", std::process::id());
    context
}

/// When the function will be stopped, on this process's clock; `None` when there is no
/// deadline (the command line, or a context built in a test).
pub fn deadline(context: &Context) -> Option<Instant> {
    if context.deadline == 0 {
        return None;
    }
    let at = UNIX_EPOCH + Duration::from_millis(context.deadline);
    let left = at.duration_since(SystemTime::now()).unwrap_or_default();
    Some(Instant::now() + left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_deadline_outside_lambda() {
        assert_eq!(deadline(&cli_context()), None);
        assert!(cli_context().request_id.starts_with("cli-"));
    }

    #[test]
    fn a_deadline_ahead_is_kept() {
        let mut context = Context::default();
        let in_a_minute = SystemTime::now() + Duration::from_secs(60);
        context.deadline = in_a_minute.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
        let left = deadline(&context).unwrap() - Instant::now();
        assert!(left > Duration::from_secs(50) && left <= Duration::from_secs(60));
    }
}
