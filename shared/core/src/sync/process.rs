//! Fetching and storing the blobs concurrently, counting each outcome, and recording settled
//! blobs in the ledger in batches as they complete.

use audit_records::BlobCount;
use futures::StreamExt;
use time::OffsetDateTime;

use super::Syncer;
use super::blob::{BlobResult, RunShared};
use super::list::PlacedBlob;
use super::stop::StopSignal;
use super::summary::Summary;
use super::watermark::Unfinished;
use crate::api::{ContentBlob, parse_api_time};
use crate::store::{AppDay, BATCH_WRITE_MAX, LedgerEntry, LedgerStatus};

/// A blob this run settled: its ledger entry, and the counters holding its marker until the
/// entry is written.
pub(super) struct Settled {
    pub(super) entry: LedgerEntry,
    pub(super) marked: Vec<AppDay>,
}

impl Syncer {
    /// Processes `blobs`, oldest first, a few at once. Returns the oldest blob left unfinished,
    /// which the watermark must not pass.
    pub(super) async fn process_blobs(
        &self,
        content_type: &str,
        blobs: Vec<PlacedBlob>,
        stop: &StopSignal,
        shared: &RunShared,
        summary: &mut Summary,
    ) -> Unfinished {
        let mut unfinished = Unfinished::default();
        let mut ledger: Vec<Settled> = Vec::new();
        let mut results =
            futures::stream::iter(blobs.into_iter().map(|(created, blob)| async move {
                if stop.stop_requested() {
                    return (created, blob, BlobResult::Deferred);
                }
                let result = self.process_blob(&blob, shared).await;
                (created, blob, result)
            }))
            .buffer_unordered(self.settings.concurrency);

        while let Some((created, blob, result)) = results.next().await {
            match tally(content_type, created, &blob, result, summary) {
                Some(entry) => ledger.push(entry),
                None => unfinished.include(created),
            }
            if ledger.len() >= BATCH_WRITE_MAX {
                self.flush_ledger(&mut ledger, shared, &mut unfinished, summary)
                    .await;
            }
        }
        drop(results);
        self.flush_ledger(&mut ledger, shared, &mut unfinished, summary)
            .await;
        self.finish_clearing(shared, summary).await;
        unfinished
    }
}

/// Counts one blob's outcome. A settled blob (stored, or gone from the API) comes back as its
/// ledger entry; one that failed or was deferred comes back as `None`, for the next run.
fn tally(
    content_type: &str,
    created: OffsetDateTime,
    blob: &ContentBlob,
    result: BlobResult,
    summary: &mut Summary,
) -> Option<Settled> {
    let entry = |status, count: &BlobCount| LedgerEntry {
        content_type: content_type.to_string(),
        content_id: blob.content_id.clone(),
        content_created: created,
        content_expiration: blob.content_expiration.as_deref().and_then(parse_api_time),
        status,
        records: count.records,
        kept: count.kept,
        rejected: count.rejected,
    };
    match result {
        BlobResult::Done {
            count,
            write,
            marked,
        } => {
            summary.add_blob(&count, &write);
            Some(Settled {
                entry: entry(LedgerStatus::Done, &count),
                marked,
            })
        }
        BlobResult::Gone { error } => {
            summary.blobs_expired += 1;
            tracing::warn!(content_id = %blob.content_id, error = %error, "blob expired or missing; counted and skipped");
            Some(Settled {
                entry: entry(LedgerStatus::Gone, &BlobCount::default()),
                marked: Vec::new(),
            })
        }
        BlobResult::Failed { error } => {
            summary.blobs_failed += 1;
            tracing::error!(content_id = %blob.content_id, error = %error, "blob failed; the next run retries it");
            summary.push_error(format!("blob {}: {error}", blob.content_id));
            None
        }
        BlobResult::Deferred => {
            summary.blobs_deferred += 1;
            summary.stopped_early = true;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::WriteOutcome;
    use time::macros::datetime;

    const CREATED: OffsetDateTime = datetime!(2026-11-24 10:00 UTC);

    fn blob() -> ContentBlob {
        ContentBlob {
            content_type: "Audit.General".into(),
            content_id: "blob-1".into(),
            content_uri: "https://manage.office.com/audit/blob-1".into(),
            content_created: "2026-11-24T10:00:00Z".into(),
            content_expiration: Some("2026-12-01T10:00:00Z".into()),
        }
    }

    fn tally_one(result: BlobResult, summary: &mut Summary) -> Option<LedgerEntry> {
        tally("Audit.General", CREATED, &blob(), result, summary).map(|settled| settled.entry)
    }

    #[test]
    fn a_stored_blob_is_counted_and_recorded_done() {
        let mut summary = Summary::new("run", "scheduled");
        let count = BlobCount {
            records: 5,
            kept: 3,
            rejected: 1,
            ..BlobCount::default()
        };
        let write = WriteOutcome {
            new: 2,
            duplicates: 1,
            write_requests: 4,
        };
        let done = BlobResult::Done {
            count,
            write,
            marked: Vec::new(),
        };
        let entry = tally_one(done, &mut summary).unwrap();
        assert_eq!(entry.status, LedgerStatus::Done);
        assert_eq!((entry.records, entry.kept, entry.rejected), (5, 3, 1));
        assert_eq!(entry.content_created, CREATED);
        assert_eq!(
            entry.content_expiration,
            Some(datetime!(2026-12-01 10:00 UTC))
        );
        assert_eq!((summary.blobs_fetched, summary.events_new), (1, 2));
        assert_eq!(summary.dynamodb_write_requests, 4);
    }

    #[test]
    fn a_gone_blob_is_recorded_with_no_records() {
        let mut summary = Summary::new("run", "scheduled");
        let gone = BlobResult::Gone {
            error: "AF20051".into(),
        };
        let entry = tally_one(gone, &mut summary).unwrap();
        assert_eq!(entry.status, LedgerStatus::Gone);
        assert_eq!((entry.records, entry.kept, entry.rejected), (0, 0, 0));
        assert_eq!(summary.blobs_expired, 1);
        assert!(summary.errors.is_empty());
    }

    #[test]
    fn failures_are_left_unrecorded_and_their_errors_capped() {
        let mut summary = Summary::new("run", "scheduled");
        for _ in 0..12 {
            let failed = BlobResult::Failed {
                error: "HTTP 500".into(),
            };
            assert_eq!(tally_one(failed, &mut summary), None);
        }
        assert_eq!(summary.blobs_failed, 12);
        assert_eq!(summary.errors.len(), 10);
        assert_eq!(summary.errors[0], "blob blob-1: HTTP 500");
    }

    #[test]
    fn a_deferred_blob_stops_the_run_early() {
        let mut summary = Summary::new("run", "scheduled");
        assert_eq!(tally_one(BlobResult::Deferred, &mut summary), None);
        assert_eq!(summary.blobs_deferred, 1);
        assert!(summary.stopped_early);
    }
}
