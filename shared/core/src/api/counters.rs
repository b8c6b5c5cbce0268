//! Counts of the client's calls, retries and token renewals, for the run summaries.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

/// Counters the run summaries report.
#[derive(Debug, Default)]
pub struct ApiCounters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
    pub token_renewals: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ApiCounts {
    pub requests: u64,
    pub retries: u64,
    pub throttled: u64,
    pub token_renewals: u64,
}

impl ApiCounters {
    pub fn snapshot(&self) -> ApiCounts {
        ApiCounts {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            token_renewals: self.token_renewals.load(Ordering::Relaxed),
        }
    }
}
