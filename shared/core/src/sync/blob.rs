//! One blob: fetched, streamed through the parser, its kept events stored in batches.
//!
//! The body is never held whole: a blocking task parses it record by record from the network
//! stream and hands kept events over a small channel to the writer, so memory per blob is a
//! few batches whatever the blob's size.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use audit_records::{AuditEvent, BlobCount, classify_blob};
use futures::TryStreamExt;
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::Syncer;
use crate::api::ContentBlob;
use crate::store::{AppDay, BATCH_WRITE_MAX, StoreError, WriteOutcome, day_of, is_app_event};

/// Attempts for a blob whose body broke off (a cut connection, a truncated reply).
const BLOB_ATTEMPTS: u32 = 3;
/// Events waiting between the parser and the writer.
const CHANNEL_CAPACITY: usize = 4 * BATCH_WRITE_MAX;

#[derive(Debug)]
struct WriterStopped;

impl std::fmt::Display for WriterStopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the writer stopped")
    }
}

impl std::error::Error for WriterStopped {}

/// State shared by the blob tasks of one run.
#[derive(Default)]
pub(crate) struct RunShared {
    /// App-days marked dirty during this run (no need to mark them again).
    pub(crate) marked: Mutex<HashSet<AppDay>>,
}

pub(crate) enum BlobResult {
    Done {
        count: BlobCount,
        write: WriteOutcome,
    },
    /// AF20050/AF20051/AF20052.
    Gone {
        error: String,
    },
    Failed {
        error: String,
    },
    /// Not started: the run ran out of time.
    Deferred,
}

enum StreamFailure {
    /// The body could not be read or parsed; another attempt may succeed.
    Body(String),
    Store(StoreError),
}

impl Syncer {
    pub(crate) async fn process_blob(&self, blob: &ContentBlob, shared: &RunShared) -> BlobResult {
        let mut last_error = String::new();
        for attempt in 1..=BLOB_ATTEMPTS {
            let response = match self.api.fetch_blob(&blob.content_uri).await {
                Ok(response) => response,
                Err(err) if err.is_content_gone() => {
                    return BlobResult::Gone {
                        error: err.to_string(),
                    };
                }
                // The client already retried what is worth retrying.
                Err(err) => {
                    return BlobResult::Failed {
                        error: err.to_string(),
                    };
                }
            };
            match self.stream_blob(response, blob, shared).await {
                Ok((count, write)) => {
                    if count.rejected > 0 {
                        let samples: Vec<String> = count
                            .rejection_samples
                            .iter()
                            .map(|s| format!("#{}: {}", s.index, s.rejection))
                            .collect();
                        tracing::warn!(
                            content_id = %blob.content_id,
                            rejected = count.rejected,
                            reasons = %count.rejected_by_reason,
                            samples = ?samples,
                            "malformed records rejected; the rest of the blob was stored"
                        );
                    }
                    return BlobResult::Done { count, write };
                }
                Err(StreamFailure::Store(err)) => {
                    return BlobResult::Failed {
                        error: err.to_string(),
                    };
                }
                Err(StreamFailure::Body(err)) => {
                    tracing::warn!(content_id = %blob.content_id, attempt, error = %err, "blob body broke off");
                    last_error = err;
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                }
            }
        }
        BlobResult::Failed {
            error: format!("the body failed {BLOB_ATTEMPTS} times: {last_error}"),
        }
    }

    async fn stream_blob(
        &self,
        response: reqwest::Response,
        blob: &ContentBlob,
        shared: &RunShared,
    ) -> Result<(BlobCount, WriteOutcome), StreamFailure> {
        let body = response.bytes_stream().map_err(std::io::Error::other);
        let reader = SyncIoBridge::new(StreamReader::new(body));
        let (sender, mut receiver) = mpsc::channel::<AuditEvent>(CHANNEL_CAPACITY);
        let filter = self.settings.filter.clone();
        let max_record_bytes = self.settings.max_record_bytes;
        let parser = tokio::task::spawn_blocking(move || {
            let mut count = BlobCount::default();
            let result = classify_blob(reader, max_record_bytes, &filter, &mut count, |event| {
                // Only "the writer stopped" can go wrong; the event itself is not wanted back.
                sender.blocking_send(event).map_err(|_| WriterStopped)
            })
            .map_err(|err| err.to_string());
            (result, count)
        });

        let mut write = WriteOutcome::default();
        let mut batch = Vec::with_capacity(BATCH_WRITE_MAX);
        let mut store_error = None;
        while let Some(event) = receiver.recv().await {
            batch.push(event);
            if batch.len() == BATCH_WRITE_MAX
                && let Err(err) = self
                    .store_batch(&mut batch, &blob.content_id, shared, &mut write)
                    .await
            {
                store_error = Some(err);
                break;
            }
        }
        if store_error.is_none() && !batch.is_empty() {
            store_error = self
                .store_batch(&mut batch, &blob.content_id, shared, &mut write)
                .await
                .err();
        }
        // Closing the channel stops a parser still sending after a store failure.
        drop(receiver);
        let (parsed, count) = parser
            .await
            .map_err(|err| StreamFailure::Body(format!("the parser task failed: {err}")))?;
        if let Some(err) = store_error {
            return Err(StreamFailure::Store(err));
        }
        parsed.map_err(StreamFailure::Body)?;
        Ok((count, write))
    }

    /// Marks the batch's app-days dirty (first), then stores its new events.
    async fn store_batch(
        &self,
        batch: &mut Vec<AuditEvent>,
        content_id: &str,
        shared: &RunShared,
        write: &mut WriteOutcome,
    ) -> Result<(), StoreError> {
        let fresh: Vec<AppDay> = {
            let marked = shared.marked.lock().expect("not poisoned");
            let mut fresh: Vec<AppDay> = batch
                .iter()
                .filter(|e| is_app_event(e))
                .map(|e| AppDay {
                    app_id: e.app_id.clone().expect("app events have an id"),
                    day: day_of(e),
                })
                .filter(|ad| !marked.contains(ad))
                .collect();
            fresh.sort();
            fresh.dedup();
            fresh
        };
        if !fresh.is_empty() {
            write.write_requests += self.store.mark_dirty(&fresh).await?;
            shared.marked.lock().expect("not poisoned").extend(fresh);
        }
        let outcome = self.store.write_new_events(batch, content_id).await?;
        write.new += outcome.new;
        write.duplicates += outcome.duplicates;
        write.write_requests += outcome.write_requests;
        batch.clear();
        Ok(())
    }
}
