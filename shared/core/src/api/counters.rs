//! Counts of the client's calls, retries and token renewals, for the run summaries.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Counters the run summaries report.
#[derive(Debug, Default)]
pub struct ApiCounters {
    /// HTTP requests sent, retries and the request after a token renewal included.
    pub requests: AtomicU64,
    /// Retries after throttling, the service's own trouble or a network failure.
    pub retries: AtomicU64,
    /// Throttled answers (HTTP 429 or `AF429`), whether retried or not.
    pub throttled: AtomicU64,
    /// Tokens renewed because the API refused one with a 401.
    pub token_renewals: AtomicU64,
}

/// The counters at one moment; the run summary reports the difference between two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ApiCounts {
    /// HTTP requests sent.
    pub requests: u64,
    /// Retries after a transient failure.
    pub retries: u64,
    /// Throttled answers.
    pub throttled: u64,
    /// Tokens renewed after a 401.
    pub token_renewals: u64,
}

impl ApiCounters {
    /// The counts as they stand, to subtract from a later snapshot.
    pub fn snapshot(&self) -> ApiCounts {
        ApiCounts {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            token_renewals: self.token_renewals.load(Ordering::Relaxed),
        }
    }
}
