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

/// Content the API no longer had when the run got to it. Times are UTC, `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clamped {
    /// The content type, e.g. `Audit.General`.
    pub content_type: String,
    /// The first instant that could not be listed: the stored watermark.
    pub from: String,
    /// Where listing could start: 5 minutes short of 7 days ago, the API's retention. Content
    /// created in between is lost.
    pub to: String,
}

/// What one `audit-sync` run did: the function's JSON reply and its last log line
/// (`"message":"audit-sync finished"`), from which the template's metrics and alarms are read.
/// Counts cover every content type of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The Lambda request id of the invocation (`bench` in the bench); also the run lock's owner.
    pub run_id: String,
    /// The tenant synced (its Directory ID).
    pub tenant: String,
    /// `scheduled` (from the watermark to now) or `backfill` (a range given in the event).
    pub mode: String,
    /// Listing windows (up to 24 hours each) listed to their last page; a window whose listing
    /// failed is not counted.
    pub windows: u64,
    /// Pages of content listings read, following `NextPageUri`.
    pub pages: u64,
    /// Distinct blobs the listings named.
    pub blobs_listed: u64,
    /// Listed blobs skipped because the ledger has them as stored or gone from an earlier run.
    pub blobs_already_processed: u64,
    /// Blobs fetched whose kept events are all stored.
    pub blobs_fetched: u64,
    /// Blobs that failed this run (fetch, body or store); the next run retries them, and the
    /// watermark waits for them.
    pub blobs_failed: u64,
    /// Expired or missing blobs (AF20050/AF20051/AF20052): counted, not retried.
    pub blobs_expired: u64,
    /// Left for the next run because time ran out.
    pub blobs_deferred: u64,
    /// Records read from the blobs stored this run.
    pub records_seen: u64,
    /// Records the operation filter (`AUDIT_LOGS_OPERATIONS`) kept: the events to store, new or
    /// already stored.
    pub records_kept: u64,
    /// Valid records the operation filter dropped.
    pub records_filtered: u64,
    /// Malformed records skipped and logged; the rest of their blob is stored.
    pub records_rejected: u64,
    /// Kept events written to the events table for the first time.
    pub events_new: u64,
    /// Kept events already stored (the overlap, a retried blob, or the service re-delivering a
    /// record), not written again.
    pub duplicates: u64,
    /// App-day launch counts added to the usage summaries: one per app-day of each group of
    /// blobs that stored launches it owns.
    pub summaries_rebuilt: u64,
    /// App-day launch counts found already added by an earlier attempt of the same group (a
    /// run stopped between a group's journal and its last write), and not added again.
    pub summaries_already_applied: u64,
    /// Blobs whose events are stored but whose group could not be applied; they are left out
    /// of the ledger and the next run processes them again.
    pub summaries_pending: u64,
    /// HTTP requests sent to the Management Activity API, listings and blob fetches, retries
    /// included (Entra token requests are not).
    pub api_requests: u64,
    /// Throttled answers (HTTP 429 or `AF429`) from the Management Activity API; the client backs
    /// off and retries them while its retry budget lasts.
    pub throttled_retries: u64,
    /// Tokens renewed because the API refused one with a 401 (renewals before expiry are not
    /// counted).
    pub token_renewals: u64,
    /// DynamoDB write requests for events, ledger entries and summaries, retries
    /// of unprocessed items included: the run's write cost (the watermark and the lock are not
    /// counted).
    pub dynamodb_write_requests: u64,
    /// Per content type, the stored watermark when the run began (`null` before the first run).
    /// Scheduled runs only; a backfill leaves it empty.
    pub watermark_before: Watermarks,
    /// Per content type, the watermark after the run: as far as the listing got, but never past
    /// the oldest blob left unfinished, and never back. Scheduled runs only.
    pub watermark_after: Watermarks,
    /// Now minus the newest `contentCreated` listed.
    pub lag_seconds: Option<u64>,
    /// Listing entries that could not be read (no usable `contentId` or `contentUri`): skipped,
    /// so the rest of the page syncs, and reported in `errors`.
    pub listing_entries_skipped: u64,
    /// Blobs that failed in this run and are recorded for retry: every run retries them first,
    /// until they are stored or their content expires. The watermark does not wait for them.
    pub blobs_retrying: u64,
    /// Recorded failing blobs this run retried.
    pub blobs_retried: u64,
    /// Recorded failing blobs whose content expired before any attempt succeeded: their events
    /// are lost. Named in `lost_content_ids`, in the log and by the data-loss alarm.
    pub blobs_lost: u64,
    /// The content ids of lost blobs: the first 10.
    pub lost_content_ids: Vec<String>,
    /// Entra refused (or could not be asked for) a token: what it said. The run then fails
    /// as an `AuthError`, after its summary is logged, since no retry fixes credentials.
    #[serde(skip)]
    pub credentials_refused: Option<String>,
    /// This run swept the API's whole retention (asked for, or due by `AUDIT_LOGS_SWEEP_HOURS`).
    pub swept: bool,
    /// When the last complete sweep began (`null` before the first).
    pub last_sweep: Option<String>,
    /// Ranges older than the API's retention that could not be listed: lost content.
    pub clamped: Vec<Clamped>,
    /// The run stopped listing or taking new blobs or summaries early: Lambda's deadline came near,
    /// `AUDIT_LOGS_MAX_RUN_SECONDS` passed, or another run took the lock. The next run continues.
    pub stopped_early: bool,
    /// What went wrong, one message each: the first 10 (the log has every one).
    pub errors: Vec<String>,
    /// Errors in all, listed in `errors` or not.
    pub errors_total: u64,
    /// How long the run took, in milliseconds.
    pub duration_ms: u64,
    /// Nothing is left for the next run: no errors, no failed or deferred blobs, no pending
    /// summaries, and the run did not stop early.
    pub complete: bool,
}

impl Summary {
    /// An empty summary for the run `run_id` in `mode` (`scheduled` or `backfill`).
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

    /// Counts an error, and lists it unless [`REPEATED_ERRORS_LISTED`] are listed already: one
    /// cause can repeat for every blob or app, and the summary must stay one readable line.
    pub(crate) fn push_error(&mut self, error: String) {
        self.errors_total += 1;
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
        self.complete = self.errors_total == 0
            && self.blobs_failed == 0
            && self.blobs_deferred == 0
            && self.summaries_pending == 0
            && !self.stopped_early;
    }

    /// The one-line log of the run, with every count as a number so metric filters can read it.
    pub fn log(&self) {
        tracing::info!(
            run_id = %self.run_id,
            tenant = %self.tenant,
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
            summaries_already_applied = self.summaries_already_applied,
            summaries_pending = self.summaries_pending,
            api_requests = self.api_requests,
            throttled_retries = self.throttled_retries,
            token_renewals = self.token_renewals,
            dynamodb_write_requests = self.dynamodb_write_requests,
            lag_seconds = self.lag_seconds.unwrap_or(0),
            clamped_ranges = self.clamped.len() as u64,
            watermark_before = %serde_json::to_string(&self.watermark_before).unwrap_or_default(),
            watermark_after = %serde_json::to_string(&self.watermark_after).unwrap_or_default(),
            errors = self.errors_total,
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
            |s| s.push_error("x".into()),
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
            summary.push_error(format!("error {i}"));
        }
        assert_eq!(summary.errors.len(), REPEATED_ERRORS_LISTED);
        assert_eq!(summary.errors_total, 15, "every error is counted");
        assert_eq!(summary.errors[0], "error 0", "the first ones are listed");
    }
}
