//! Exponential backoff with full jitter, bounded by attempts and by total time.
//!
//! The Management API documents no Retry-After for throttling, so the client backs off on its
//! own; when a Retry-After does come, it is honoured if it fits the remaining budget.

use std::time::Duration;

use rand::RngExt;

/// How a client retries. The API client and the token provider take theirs from
/// `AUDIT_LOGS_MAX_RETRIES`, `AUDIT_LOGS_RETRY_BASE_MS` and `AUDIT_LOGS_RETRY_MAX_SECONDS`; the
/// store has its own for unprocessed DynamoDB items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// The first wait's cap; each retry doubles it, up to `max_delay`.
    pub base_delay: Duration,
    /// The longest single wait.
    pub max_delay: Duration,
    /// No retry starts once this much time has passed since the first attempt.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 9,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_total: Duration::from_secs(180),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry), or `None` when the budget
    /// is spent. `elapsed` is the time since the first attempt; `retry_after` is the server's
    /// own hint, if it gave one.
    pub fn next_delay(
        &self,
        retry: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if retry >= self.max_attempts {
            return None;
        }
        let delay = match retry_after {
            Some(hint) => hint.min(self.max_delay),
            None => {
                let exp = self
                    .base_delay
                    .saturating_mul(1u32 << retry.saturating_sub(1).min(16));
                let cap = exp.min(self.max_delay);
                // Full jitter: spreads out clients that were throttled together.
                let millis = rand::rng().random_range(0..=cap.as_millis() as u64);
                Duration::from_millis(millis.max(cap.as_millis() as u64 / 4))
            }
        };
        (elapsed + delay <= self.max_total).then_some(delay)
    }
}

/// The `Retry-After` of a response, if it has one in seconds.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// Reads a `Retry-After` header given in seconds. The HTTP-date form is not used by Microsoft's
/// services for this API, and a wrong guess would only cost one backoff step.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_capped() {
        let policy = RetryPolicy {
            max_attempts: 20,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_total: Duration::from_secs(3600),
        };
        for retry in 1..20 {
            let d = policy.next_delay(retry, Duration::ZERO, None).unwrap();
            let cap =
                Duration::from_millis(100 * (1u64 << (retry - 1).min(16))).min(policy.max_delay);
            assert!(
                d <= cap && d >= cap / 4,
                "retry {retry}: {d:?} vs cap {cap:?}"
            );
        }
    }

    #[test]
    fn budget_ends_retries() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        assert!(policy.next_delay(2, Duration::ZERO, None).is_some());
        assert!(policy.next_delay(3, Duration::ZERO, None).is_none());
        let short = RetryPolicy {
            max_total: Duration::from_secs(5),
            ..RetryPolicy::default()
        };
        assert!(short.next_delay(1, Duration::from_secs(10), None).is_none());
    }

    #[test]
    fn retry_after_is_honoured_within_the_caps() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.next_delay(1, Duration::ZERO, Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            policy.next_delay(1, Duration::ZERO, Some(Duration::from_secs(600))),
            Some(policy.max_delay)
        );
        assert_eq!(parse_retry_after(" 12 "), Some(Duration::from_secs(12)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
