//! The hourly sync: list new content from the watermark, fetch the blobs concurrently, keep the
//! Power Platform events, store each exactly once, and move the watermark only past work that
//! is complete.

mod blob;
mod error;
mod lock;
mod rebuild;
mod settings;
mod stop;
mod summary;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use time::OffsetDateTime;

pub use error::SyncError;
pub use settings::{Mode, Settings};
pub use summary::{Clamped, Summary, Watermarks};

use crate::api::{
    ContentBlob, ManagementClient, RETENTION, TimeWindow, format_utc, parse_api_time,
};
use crate::config::ContentType;
use crate::runtime::HandlerError;
use crate::store::{LedgerEntry, LedgerStatus, Store};
use blob::{BlobResult, RunShared};
use stop::StopSignal;

/// A window start this close to the 7-day limit could be refused by the time it arrives.
const RETENTION_MARGIN: time::Duration = time::Duration::minutes(5);

impl From<SyncError> for HandlerError {
    fn from(err: SyncError) -> Self {
        match err {
            SyncError::Api(api) => api.into(),
            SyncError::Store(store) => HandlerError::new("StoreError", store.to_string()),
            SyncError::Locked { .. } => HandlerError::new("LockedError", err.to_string()),
            SyncError::Input(message) => HandlerError::input(message),
        }
    }
}

/// Everything a run needs; built once per cold start.
pub struct Syncer {
    pub api: Arc<ManagementClient>,
    pub store: Store,
    pub settings: Settings,
    pub content_types: Vec<ContentType>,
}

impl Syncer {
    /// One run. `deadline` is when the function will be stopped (Lambda's), if known.
    pub async fn run(
        &self,
        mode: Mode,
        deadline: Option<Instant>,
        run_id: &str,
    ) -> Result<Summary, SyncError> {
        let started = Instant::now();
        let stop = Arc::new(StopSignal::for_run(started, deadline, &self.settings));
        let lock = self.acquire_lock(run_id).await?;
        let heartbeat = self.spawn_heartbeat(&lock, stop.clone());
        let result = self.run_locked(&mode, &stop, run_id, started).await;
        heartbeat.abort();
        self.release_lock(lock).await;
        result
    }

    /// Every content type in turn, then the usage summaries of what changed.
    async fn run_locked(
        &self,
        mode: &Mode,
        stop: &StopSignal,
        run_id: &str,
        started: Instant,
    ) -> Result<Summary, SyncError> {
        let api_before = self.api.counters().snapshot();
        let mut summary = Summary::new(run_id, mode.name());
        let shared = RunShared::default();
        for content_type in &self.content_types {
            self.sync_content_type(content_type, mode, stop, &shared, &mut summary)
                .await?;
        }
        self.rebuild_summaries(stop, &mut summary).await;
        let api_after = self.api.counters().snapshot();
        summary.finish(&api_before, &api_after, started.elapsed());
        Ok(summary)
    }

    async fn sync_content_type(
        &self,
        content_type: &ContentType,
        mode: &Mode,
        stop: &StopSignal,
        shared: &RunShared,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let ct = content_type.as_str();
        let now = OffsetDateTime::now_utc();
        let earliest = now - RETENTION + RETENTION_MARGIN;

        let (list_from, list_to, watermark_before) = match mode {
            Mode::Scheduled => {
                let stored = self.store.watermark(ct).await?;
                // A first run starts at the configured lookback, at most as far as the API keeps.
                let watermark =
                    stored.unwrap_or((now - self.settings.initial_lookback).max(earliest));
                let mut effective = watermark;
                if watermark < earliest {
                    // The API keeps content for 7 days; what lay beyond cannot be listed any more.
                    tracing::error!(
                        content_type = ct,
                        watermark = %format_utc(watermark),
                        "the watermark is older than the API's 7-day retention; content between it and the \
                         limit is lost"
                    );
                    summary.clamped.push(Clamped {
                        content_type: ct.to_string(),
                        from: format_utc(watermark),
                        to: format_utc(earliest),
                    });
                    effective = earliest;
                }
                summary
                    .watermark_before
                    .insert(ct.to_string(), stored.map(format_utc));
                (
                    (effective - self.settings.overlap).max(earliest),
                    now,
                    Some(watermark),
                )
            }
            Mode::Backfill { start, end } => {
                if *start < earliest {
                    return Err(SyncError::Input(format!(
                        "a backfill can start at most 7 days back (the API's retention): \"start\" must be after {}",
                        format_utc(earliest)
                    )));
                }
                (*start, (*end).min(now), None)
            }
        };

        // List every window first: listings are small, and knowing all blobs up front lets the
        // fetches run at full concurrency across windows.
        let mut listed: Vec<ContentBlob> = Vec::new();
        let mut listed_to = list_from;
        for window in TimeWindow::split(list_from, list_to) {
            if stop.stop_requested() {
                summary.stopped_early = true;
                break;
            }
            match self.api.list_content(content_type, window).await {
                Ok(listing) => {
                    summary.windows += 1;
                    summary.pages += u64::from(listing.pages);
                    listed.extend(listing.blobs);
                    listed_to = window.end();
                }
                // No subscription, or one an admin disabled: nothing can be listed until it is started.
                Err(err) if matches!(err.code(), Some("AF20022" | "AF20023")) => {
                    return Err(err.into());
                }
                Err(err) => {
                    tracing::error!(content_type = ct, error = %err, "listing failed; later windows wait for the next run");
                    summary.errors.push(err.to_string());
                    break;
                }
            }
        }
        let mut seen = HashSet::new();
        listed.retain(|b| seen.insert(b.content_id.clone()));
        summary.blobs_listed += listed.len() as u64;

        let mut blobs: Vec<(OffsetDateTime, ContentBlob)> = Vec::with_capacity(listed.len());
        for blob in listed {
            match parse_api_time(&blob.content_created) {
                Some(created) => blobs.push((created, blob)),
                None => {
                    summary.errors.push(format!(
                        "blob {} has an unreadable contentCreated {:?}",
                        blob.content_id, blob.content_created
                    ));
                    // Cannot place it in time, so the watermark cannot pass anything.
                    listed_to = listed_to.min(list_from);
                }
            }
        }
        if let Some(newest) = blobs.iter().map(|(t, _)| *t).max() {
            let lag = (now - newest).whole_seconds().max(0) as u64;
            summary.lag_seconds = Some(summary.lag_seconds.map_or(lag, |l: u64| l.max(lag)));
        }

        let settled = self
            .store
            .ledger_ids(ct, list_from - time::Duration::seconds(1), listed_to)
            .await?;
        blobs.retain(|(_, b)| {
            let done = settled.contains(&b.content_id);
            if done {
                summary.blobs_already_processed += 1;
            }
            !done
        });
        blobs.sort_by_key(|(t, _)| *t);

        // Fetch and store concurrently; the ledger is written in batches as blobs complete.
        let mut oldest_unfinished: Option<OffsetDateTime> = None;
        let mut ledger: Vec<LedgerEntry> = Vec::new();
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
            let expiration = blob.content_expiration.as_deref().and_then(parse_api_time);
            let entry = |status, records, kept, rejected| LedgerEntry {
                content_type: ct.to_string(),
                content_id: blob.content_id.clone(),
                content_created: created,
                content_expiration: expiration,
                status,
                records,
                kept,
                rejected,
            };
            match result {
                BlobResult::Done { count, write } => {
                    summary.add_blob(&count, &write);
                    ledger.push(entry(
                        LedgerStatus::Done,
                        count.records,
                        count.kept,
                        count.rejected,
                    ));
                }
                BlobResult::Gone { error } => {
                    summary.blobs_expired += 1;
                    tracing::warn!(content_id = %blob.content_id, error = %error, "blob expired or missing; counted and skipped");
                    ledger.push(entry(LedgerStatus::Gone, 0, 0, 0));
                }
                BlobResult::Failed { error } => {
                    summary.blobs_failed += 1;
                    tracing::error!(content_id = %blob.content_id, error = %error, "blob failed; the next run retries it");
                    if summary.errors.len() < 10 {
                        summary
                            .errors
                            .push(format!("blob {}: {error}", blob.content_id));
                    }
                    oldest_unfinished = Some(oldest_unfinished.map_or(created, |o| o.min(created)));
                }
                BlobResult::Deferred => {
                    summary.blobs_deferred += 1;
                    summary.stopped_early = true;
                    oldest_unfinished = Some(oldest_unfinished.map_or(created, |o| o.min(created)));
                }
            }
            if ledger.len() >= crate::store::BATCH_WRITE_MAX {
                self.flush_ledger(&mut ledger, &mut oldest_unfinished, summary)
                    .await;
            }
        }
        drop(results);
        self.flush_ledger(&mut ledger, &mut oldest_unfinished, summary)
            .await;

        // The watermark may pass only what is complete: the listed range, up to the oldest
        // blob that failed or was left for the next run.
        let reached = oldest_unfinished.map_or(listed_to, |oldest| oldest.min(listed_to));
        if let (Mode::Scheduled, Some(before)) = (mode, watermark_before) {
            let after = reached.max(before);
            if after > before {
                self.store.advance_watermark(ct, after).await?;
            }
            summary
                .watermark_after
                .insert(ct.to_string(), Some(format_utc(after)));
        }
        Ok(())
    }

    async fn flush_ledger(
        &self,
        ledger: &mut Vec<LedgerEntry>,
        oldest_unfinished: &mut Option<OffsetDateTime>,
        summary: &mut Summary,
    ) {
        if ledger.is_empty() {
            return;
        }
        match self.store.record_ledger(ledger).await {
            Ok(requests) => summary.dynamodb_write_requests += u64::from(requests),
            Err(err) => {
                // The blobs are stored but not marked: they will be fetched again (harmlessly), so
                // the watermark must not pass them.
                tracing::error!(error = %err, "could not record processed blobs");
                summary.errors.push(err.to_string());
                for entry in ledger.iter() {
                    *oldest_unfinished = Some(
                        oldest_unfinished
                            .map_or(entry.content_created, |o| o.min(entry.content_created)),
                    );
                }
            }
        }
        ledger.clear();
    }
}
