//! Fetching and storing the blobs concurrently, counting each outcome, and applying settled
//! blobs in groups as they complete (their summaries and their ledger entries).

use audit_records::BlobCount;
use futures::StreamExt;
use time::OffsetDateTime;

use super::Syncer;
use super::blob::{BlobResult, RunShared};
use super::group::Group;
use super::list::PlacedBlob;
use super::stop::StopSignal;
use super::summary::Summary;
use super::watermark::Unfinished;
use crate::api::{ContentBlob, parse_api_time};
use crate::store::{Contribution, LedgerEntry, LedgerStatus};

/// A blob this run settled: its ledger entry, and what it adds to the summaries.
pub(super) struct Settled {
    pub(super) entry: LedgerEntry,
    pub(super) contribution: Contribution,
}

/// What processing a batch of blobs left.
#[derive(Default)]
pub(super) struct Processed {
    /// The oldest blob neither settled nor recorded for retry: the watermark must not pass it.
    pub(super) unfinished: Unfinished,
    /// The blobs now in the ledger (`contentCreated`, `contentId`).
    pub(super) settled: Vec<(OffsetDateTime, String)>,
}

/// One blob's outcome, counted.
enum Tally {
    Settled(Settled),
    Failed(String),
    Deferred,
}

impl Syncer {
    /// Processes `blobs`, oldest first, a few at once. A blob that fails is recorded for retry
    /// (so the watermark may pass it); one deferred, or whose failure could not be recorded, is
    /// left unfinished.
    pub(super) async fn process_blobs(
        &self,
        content_type: &str,
        blobs: Vec<PlacedBlob>,
        stop: &StopSignal,
        shared: &RunShared,
        summary: &mut Summary,
    ) -> Processed {
        let mut processed = Processed::default();
        let mut unfinished = Unfinished::default();
        let mut failed: Vec<(PlacedBlob, String)> = Vec::new();
        let mut group = Group::default();
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
                Tally::Settled(settled) => group.add(settled.entry, settled.contribution),
                Tally::Failed(error) => failed.push(((created, blob), error)),
                Tally::Deferred => unfinished.include(created),
            }
            if group.is_full() {
                let recorded = self
                    .apply_group(&mut group, shared, &mut unfinished, summary)
                    .await;
                processed.settled.extend(recorded);
            }
        }
        drop(results);
        let recorded = self
            .apply_group(&mut group, shared, &mut unfinished, summary)
            .await;
        processed.settled.extend(recorded);
        for ((created, blob), error) in failed {
            self.record_failure(created, &blob, &error, &mut unfinished, summary)
                .await;
        }
        processed.unfinished = unfinished;
        processed
    }

    /// Records a failed blob for the next runs to retry. If even that fails, the blob holds the
    /// watermark, as a blob no run would otherwise come back to.
    async fn record_failure(
        &self,
        created: OffsetDateTime,
        blob: &ContentBlob,
        error: &str,
        unfinished: &mut Unfinished,
        summary: &mut Summary,
    ) {
        match self.store.record_failure(blob, created, error).await {
            Ok(attempts) => {
                summary.blobs_retrying += 1;
                summary.dynamodb_write_requests += 1;
                tracing::error!(content_id = %blob.content_id, attempts, error, "blob failed; recorded, and retried by every run until its content expires");
            }
            Err(err) => {
                tracing::error!(content_id = %blob.content_id, error = %err, "could not record a failed blob; it holds the watermark");
                summary.push_error(err.to_string());
                unfinished.include(created);
            }
        }
    }
}

/// Counts one blob's outcome. A settled blob (stored, or gone from the API) comes back as its
/// ledger entry; one that failed with its error, for the retry record.
fn tally(
    content_type: &str,
    created: OffsetDateTime,
    blob: &ContentBlob,
    result: BlobResult,
    summary: &mut Summary,
) -> Tally {
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
            contribution,
        } => {
            summary.add_blob(&count, &write);
            Tally::Settled(Settled {
                entry: entry(LedgerStatus::Done, &count),
                contribution: *contribution,
            })
        }
        BlobResult::Gone { error } => {
            summary.blobs_expired += 1;
            tracing::warn!(content_id = %blob.content_id, error = %error, "blob expired or missing; counted and skipped");
            Tally::Settled(Settled {
                entry: entry(LedgerStatus::Gone, &BlobCount::default()),
                contribution: Contribution::default(),
            })
        }
        BlobResult::Failed { error } => {
            summary.blobs_failed += 1;
            summary.push_error(format!("blob {}: {error}", blob.content_id));
            Tally::Failed(error)
        }
        BlobResult::Deferred => {
            summary.blobs_deferred += 1;
            summary.stopped_early = true;
            Tally::Deferred
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
        match tally("Audit.General", CREATED, &blob(), result, summary) {
            Tally::Settled(settled) => Some(settled.entry),
            Tally::Failed(_) | Tally::Deferred => None,
        }
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
            contribution: Box::default(),
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
