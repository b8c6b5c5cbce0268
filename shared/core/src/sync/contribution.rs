//! A stored blob's contribution to the usage summaries, applied as soon as the blob is stored
//! (so the report keeps up during a long catch-up), and what the run shares for it: the locks
//! that make event ownership exact and the memory of writes that need not be repeated.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::task::JoinSet;

use super::Syncer;
use super::summary::Summary;
use crate::api::ContentBlob;
use crate::store::{AppDay, Contribution, KeyLocks, StoreError, Written};

/// State shared by the blob tasks of one run.
#[derive(Default)]
pub(crate) struct RunShared {
    /// Serialise the existence check and write of each event key, and the writes of each
    /// counter, across blobs in flight.
    pub(crate) locks: Arc<KeyLocks>,
    /// Marker clearings under way. They run as their own tasks because the blob tasks they may
    /// wait on for a counter's lock are only polled while the ledger is not being written.
    pub(crate) clearing: Mutex<JoinSet<u32>>,
    /// User items and maxima this run has written.
    pub(crate) written: Written,
    /// App-day counts added.
    counted: AtomicU64,
    /// App-day counts found added by an earlier attempt of the same blob.
    already_counted: AtomicU64,
    /// Blobs stored whole whose contribution failed: applied when the blob is processed again.
    failed: AtomicU64,
}

impl RunShared {
    /// Copies the run's contribution counts into its summary.
    pub(crate) fn note(&self, summary: &mut Summary) {
        summary.summaries_rebuilt = self.counted.load(Ordering::Relaxed);
        summary.summaries_already_applied = self.already_counted.load(Ordering::Relaxed);
        summary.summaries_pending = self.failed.load(Ordering::Relaxed);
    }
}

impl Syncer {
    /// Applies the contribution of a blob whose events are all stored. Returns the write
    /// requests sent and the app-days whose counter holds the blob's marker. On failure the blob stays out of the ledger, so the next run processes it
    /// again and applies whatever this attempt did not.
    pub(super) async fn apply_contribution(
        &self,
        blob: &ContentBlob,
        contribution: &Contribution,
        shared: &RunShared,
    ) -> Result<(u32, Vec<AppDay>), StoreError> {
        if contribution.is_empty() {
            return Ok((0, Vec::new()));
        }
        match self
            .store
            .apply_contribution(
                &blob.content_id,
                contribution,
                &shared.written,
                &shared.locks,
            )
            .await
        {
            Ok(applied) => {
                shared.counted.fetch_add(applied.counted, Ordering::Relaxed);
                shared
                    .already_counted
                    .fetch_add(applied.already_counted, Ordering::Relaxed);
                Ok((applied.write_requests, applied.marked))
            }
            Err(err) => {
                shared.failed.fetch_add(1, Ordering::Relaxed);
                Err(err)
            }
        }
    }
}
