//! The run summary: returned by the function and logged as one JSON line.

use std::collections::BTreeMap;
use std::time::Duration;

use audit_records::BlobCount;
use serde::Serialize;

use crate::api::ApiCounts;
use crate::store::WriteOutcome;

/// Errors a summary lists before it stops adding those that repeat per blob or per app: one
/// cause failing everything would otherwise flood it.
const REPEATED_ERRORS_LISTED: usize = 10;

/// The per-content-type watermarks, for summaries.
pub type Watermarks = BTreeMap<String, Option<String>>;

/// Content the API no longer had when the run got to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clamped {
    pub content_type: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub run_id: String,
    pub mode: String,
    pub windows: u64,
    pub pages: u64,
    pub blobs_listed: u64,
    pub blobs_already_processed: u64,
    pub blobs_fetched: u64,
    pub blobs_failed: u64,
    /// Expired or missing blobs (AF20050/AF20051/AF20052): counted, not retried.
    pub blobs_expired: u64,
    /// Left for the next run because time ran out.
    pub blobs_deferred: u64,
    pub records_seen: u64,
    pub records_kept: u64,
    pub records_filtered: u64,
    pub records_rejected: u64,
    pub events_new: u64,
    pub duplicates: u64,
    pub summaries_rebuilt: u64,
    pub summaries_pending: u64,
    pub api_requests: u64,
    pub throttled_retries: u64,
    pub token_renewals: u64,
    pub dynamodb_write_requests: u64,
    pub watermark_before: Watermarks,
    pub watermark_after: Watermarks,
    /// Now minus the newest `contentCreated` listed.
    pub lag_seconds: Option<u64>,
    /// Ranges older than the API's retention that could not be listed: lost content.
    pub clamped: Vec<Clamped>,
    pub stopped_early: bool,
    pub errors: Vec<String>,
    pub duration_ms: u64,
    pub complete: bool,
}

impl Summary {
    pub fn new(run_id: &str, mode: &str) -> Summary {
        Summary {
            run_id: run_id.to_string(),
            mode: mode.to_string(),
            ..Summary::default()
        }
    }

    pub(crate) fn add_blob(&mut self, count: &BlobCount, write: &WriteOutcome) {
        self.blobs_fetched += 1;
        self.records_seen += count.records;
        self.records_kept += count.kept;
        self.records_filtered += count.filtered;
        self.records_rejected += count.rejected;
        self.events_new += write.new;
        self.duplicates += write.duplicates;
        self.dynamodb_write_requests += u64::from(write.write_requests);
    }

    /// Adds an error of a kind that can repeat for every blob or app, unless the summary lists
    /// [`REPEATED_ERRORS_LISTED`] errors already.
    pub(crate) fn push_repeated_error(&mut self, error: String) {
        if self.errors.len() < REPEATED_ERRORS_LISTED {
            self.errors.push(error);
        }
    }

    /// Completes the summary at the end of a run: the API's counts during it, its duration,
    /// and whether it left anything for the next run.
    pub(crate) fn finish(&mut self, api_before: &ApiCounts, api_after: &ApiCounts, took: Duration) {
        self.api_requests = api_after.requests - api_before.requests;
        self.throttled_retries = api_after.throttled - api_before.throttled;
        self.token_renewals = api_after.token_renewals - api_before.token_renewals;
        self.duration_ms = took.as_millis() as u64;
        self.complete = self.errors.is_empty()
            && self.blobs_failed == 0
            && self.blobs_deferred == 0
            && self.summaries_pending == 0
            && !self.stopped_early;
    }

    /// The one-line log of the run, with every count as a number so metric filters can read it.
    pub fn log(&self) {
        tracing::info!(
            run_id = %self.run_id,
            mode = %self.mode,
            windows = self.windows,
            pages = self.pages,
            blobs_listed = self.blobs_listed,
            blobs_already_processed = self.blobs_already_processed,
            blobs_fetched = self.blobs_fetched,
            blobs_failed = self.blobs_failed,
            blobs_expired = self.blobs_expired,
            blobs_deferred = self.blobs_deferred,
            records_seen = self.records_seen,
            records_kept = self.records_kept,
            records_filtered = self.records_filtered,
            records_rejected = self.records_rejected,
            events_new = self.events_new,
            duplicates = self.duplicates,
            summaries_rebuilt = self.summaries_rebuilt,
            summaries_pending = self.summaries_pending,
            api_requests = self.api_requests,
            throttled_retries = self.throttled_retries,
            token_renewals = self.token_renewals,
            dynamodb_write_requests = self.dynamodb_write_requests,
            lag_seconds = self.lag_seconds.unwrap_or(0),
            clamped_ranges = self.clamped.len() as u64,
            watermark_before = %serde_json::to_string(&self.watermark_before).unwrap_or_default(),
            watermark_after = %serde_json::to_string(&self.watermark_after).unwrap_or_default(),
            errors = self.errors.len() as u64,
            duration_ms = self.duration_ms,
            complete = self.complete,
            "audit-sync finished"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(change: impl FnOnce(&mut Summary)) -> Summary {
        let mut summary = Summary::new("run", "scheduled");
        change(&mut summary);
        let before = ApiCounts {
            requests: 10,
            retries: 1,
            throttled: 1,
            token_renewals: 0,
        };
        let after = ApiCounts {
            requests: 25,
            retries: 4,
            throttled: 3,
            token_renewals: 1,
        };
        summary.finish(&before, &after, Duration::from_millis(1500));
        summary
    }

    #[test]
    fn a_run_with_nothing_left_is_complete() {
        let summary = finished(|_| {});
        assert!(summary.complete);
        assert_eq!(summary.api_requests, 15);
        assert_eq!(summary.throttled_retries, 2);
        assert_eq!(summary.token_renewals, 1);
        assert_eq!(summary.duration_ms, 1500);
    }

    #[test]
    fn anything_left_for_the_next_run_makes_it_incomplete() {
        let changes: [fn(&mut Summary); 5] = [
            |s| s.errors.push("x".into()),
            |s| s.blobs_failed = 1,
            |s| s.blobs_deferred = 1,
            |s| s.summaries_pending = 1,
            |s| s.stopped_early = true,
        ];
        for change in changes {
            assert!(!finished(change).complete);
        }
    }

    #[test]
    fn repeated_errors_stop_at_the_cap() {
        let mut summary = Summary::new("run", "scheduled");
        for i in 0..15 {
            summary.push_repeated_error(format!("error {i}"));
        }
        assert_eq!(summary.errors.len(), REPEATED_ERRORS_LISTED);
    }
}
