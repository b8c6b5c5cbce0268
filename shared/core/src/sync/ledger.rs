//! The ledger of settled blobs: skipping those an earlier run stored, and recording the ones
//! this run settles.

use std::collections::HashSet;

use time::OffsetDateTime;

use super::Syncer;
use super::blob::RunShared;
use super::error::SyncError;
use super::list::PlacedBlob;
use super::process::Settled;
use super::summary::Summary;
use super::watermark::Unfinished;
use crate::store::LedgerEntry;

impl Syncer {
    /// Drops the blobs the ledger has as done or gone, and orders the rest oldest first.
    pub(super) async fn skip_settled(
        &self,
        content_type: &str,
        mut placed: Vec<PlacedBlob>,
        summary: &mut Summary,
    ) -> Result<Vec<PlacedBlob>, SyncError> {
        let keys: Vec<(OffsetDateTime, &str)> = placed
            .iter()
            .map(|(created, blob)| (*created, blob.content_id.as_str()))
            .collect();
        let settled = self.store.settled_among(content_type, &keys).await?;
        summary.blobs_already_processed += drop_settled(&mut placed, &settled);
        placed.sort_by_key(|(t, _)| *t);
        Ok(placed)
    }

    /// Records `ledger` and empties it, then takes the recorded blobs' markers out of their
    /// counters. Blobs that could not be recorded are stored but not marked: they will be
    /// fetched again (harmlessly, their markers stop a second count), so the watermark must not
    /// pass them.
    /// Returns the blobs recorded (`contentCreated`, `contentId`).
    pub(super) async fn flush_ledger(
        &self,
        ledger: &mut Vec<Settled>,
        shared: &RunShared,
        unfinished: &mut Unfinished,
        summary: &mut Summary,
    ) -> Vec<(OffsetDateTime, String)> {
        if ledger.is_empty() {
            return Vec::new();
        }
        let entries: Vec<LedgerEntry> = ledger.iter().map(|s| s.entry.clone()).collect();
        let mut recorded = Vec::new();
        match self.store.record_ledger(&entries).await {
            Ok(requests) => {
                summary.dynamodb_write_requests += u64::from(requests);
                self.clear_markers(ledger, shared);
                recorded.extend(
                    entries
                        .into_iter()
                        .map(|e| (e.content_created, e.content_id)),
                );
            }
            Err(err) => {
                tracing::error!(error = %err, "could not record processed blobs");
                summary.push_error(err.to_string());
                for entry in &entries {
                    unfinished.include(entry.content_created);
                }
            }
        }
        ledger.clear();
        recorded
    }

    /// Starts clearing the recorded blobs' markers, each blob in its own task (see
    /// [`RunShared::clearing`]); [`Syncer::finish_clearing`] waits for them.
    fn clear_markers(&self, settled: &[Settled], shared: &RunShared) {
        let mut clearing = shared.clearing.lock().expect("not poisoned");
        for blob in settled.iter().filter(|s| !s.marked.is_empty()) {
            let (store, locks) = (self.store.clone(), shared.locks.clone());
            let (id, days) = (blob.entry.content_id.clone(), blob.marked.clone());
            clearing.spawn(async move {
                match store.clear_markers(&id, &days, &locks).await {
                    Ok(requests) => requests,
                    // The marker stays in its counter, costing only its bytes: the ledger entry
                    // already stops a second count. So this is logged, not lost work.
                    Err(err) => {
                        tracing::warn!(content_id = %id, error = %err, "could not clear a blob's summary markers; they stay in its counters");
                        0
                    }
                }
            });
        }
    }

    /// Waits for the marker clearings started so far and counts their writes.
    pub(super) async fn finish_clearing(&self, shared: &RunShared, summary: &mut Summary) {
        let mut clearing = std::mem::take(&mut *shared.clearing.lock().expect("not poisoned"));
        while let Some(done) = clearing.join_next().await {
            summary.dynamodb_write_requests += u64::from(done.unwrap_or(0));
        }
    }
}

/// Removes the blobs in `settled`, keeping the order of the rest; returns how many went.
fn drop_settled(blobs: &mut Vec<PlacedBlob>, settled: &HashSet<String>) -> u64 {
    let before = blobs.len();
    blobs.retain(|(_, b)| !settled.contains(&b.content_id));
    (before - blobs.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ContentBlob;
    use time::macros::datetime;

    fn placed(id: &str) -> PlacedBlob {
        let blob = ContentBlob {
            content_type: "Audit.General".into(),
            content_id: id.into(),
            content_uri: format!("https://manage.office.com/audit/{id}"),
            content_created: "2026-11-24T10:00:00Z".into(),
            content_expiration: None,
        };
        (datetime!(2026-11-24 10:00 UTC), blob)
    }

    #[test]
    fn settled_blobs_are_dropped_and_counted() {
        let mut blobs = vec![placed("a"), placed("b"), placed("c")];
        let settled: HashSet<String> = ["a".to_string(), "c".to_string(), "z".to_string()].into();
        assert_eq!(drop_settled(&mut blobs, &settled), 2);
        assert_eq!(blobs.len(), 1);
        assert_eq!(blobs[0].1.content_id, "b");
    }
}
