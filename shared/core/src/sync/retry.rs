//! The retry pass: after listing, each scheduled run takes the blobs recorded as failing (oldest
//! first, a bounded number) and tries them again. It comes after the listing so that a blob
//! listed again is fetched from its fresh listing entry, and then only forgotten here. One whose
//! content expired is recorded `lost` in the ledger and reported with its content id; one that
//! already failed in this run is left for the next; the rest are fetched like any listed blob,
//! and a failure records one more attempt.

use time::OffsetDateTime;

use super::Syncer;
use super::blob::RunShared;
use super::error::SyncError;
use super::list::PlacedBlob;
use super::stop::StopSignal;
use super::summary::Summary;
use crate::store::{LedgerEntry, LedgerStatus, RetryEntry};

/// Lost content ids listed in the summary; the log has every one.
const LOST_IDS_LISTED: usize = 10;

impl Syncer {
    /// Retries `content_type`'s recorded failing blobs, but not those that failed since
    /// `run_started`.
    pub(super) async fn retry_failed(
        &self,
        content_type: &str,
        run_started: OffsetDateTime,
        stop: &StopSignal,
        shared: &RunShared,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let entries = self.store.retries(content_type).await?;
        if entries.is_empty() {
            return Ok(());
        }
        let keys: Vec<(OffsetDateTime, &str)> = entries
            .iter()
            .map(|e| (e.created, e.blob.content_id.as_str()))
            .collect();
        let settled = self.store.settled_among(content_type, &keys).await?;
        let now = OffsetDateTime::now_utc();
        let mut forget: Vec<(OffsetDateTime, String)> = Vec::new();
        let mut lost: Vec<RetryEntry> = Vec::new();
        let mut again: Vec<PlacedBlob> = Vec::new();
        for entry in entries {
            if settled.contains(&entry.blob.content_id) {
                forget.push((entry.created, entry.blob.content_id));
            } else if entry.expires() <= now {
                lost.push(entry);
            } else if entry.last_failed.is_some_and(|at| at >= run_started) {
                continue;
            } else {
                again.push((entry.created, entry.blob));
            }
        }
        forget.extend(self.record_lost(content_type, lost, summary).await);
        summary.blobs_retried += again.len() as u64;
        let processed = self
            .process_blobs(content_type, again, stop, shared, summary)
            .await;
        forget.extend(processed.settled);
        if !forget.is_empty() {
            match self.store.clear_retries(content_type, &forget).await {
                Ok(requests) => summary.dynamodb_write_requests += u64::from(requests),
                // The items stay; the next run finds their blobs settled and forgets them then.
                Err(err) => tracing::warn!(error = %err, "could not forget settled retries"),
            }
        }
        Ok(())
    }

    /// Records blobs whose content expired before any attempt succeeded as `lost`, and reports
    /// them. Returns those recorded, which need no retry item any more.
    async fn record_lost(
        &self,
        content_type: &str,
        lost: Vec<RetryEntry>,
        summary: &mut Summary,
    ) -> Vec<(OffsetDateTime, String)> {
        if lost.is_empty() {
            return Vec::new();
        }
        for entry in &lost {
            let id = &entry.blob.content_id;
            tracing::error!(content_id = %id, attempts = entry.attempts, last_error = %entry.last_error, "blob lost: it failed on every attempt until the API expired its content");
            summary.blobs_lost += 1;
            if summary.lost_content_ids.len() < LOST_IDS_LISTED {
                summary.lost_content_ids.push(id.clone());
            }
            summary.push_error(format!(
                "blob {id} lost: its content expired after {} failed attempts ({})",
                entry.attempts, entry.last_error
            ));
        }
        let ledger: Vec<LedgerEntry> = lost
            .iter()
            .map(|entry| LedgerEntry {
                content_type: content_type.to_string(),
                content_id: entry.blob.content_id.clone(),
                content_created: entry.created,
                content_expiration: Some(entry.expires()),
                status: LedgerStatus::Lost,
                records: 0,
                kept: 0,
                rejected: 0,
            })
            .collect();
        match self.store.record_ledger(&ledger).await {
            Ok(requests) => {
                summary.dynamodb_write_requests += u64::from(requests);
                lost.into_iter()
                    .map(|e| (e.created, e.blob.content_id))
                    .collect()
            }
            Err(err) => {
                summary.push_error(err.to_string());
                Vec::new()
            }
        }
    }
}
