//! One blob: fetched, streamed through the parser, its kept events stored in batches, and its
//! contribution to the usage summaries handed back to be applied with its group.
//!
//! The body is never held whole: each chunk from the network goes through the classifier as it
//! arrives, in the blob's own task, and the kept events are stored in batches, so memory per
//! blob is a chunk and a few batches whatever the blob's size (plus its contribution: the ids
//! of the launches it owns and its distinct users). Parsing a chunk takes tens of
//! microseconds, too little to be worth a hand-off to a blocking thread.

use std::time::Duration;

use audit_records::{AuditEvent, BlobClassifier, BlobCount};
use futures::StreamExt;

use super::Syncer;
pub(crate) use super::group::RunShared;
use crate::api::{ContentBlob, RETENTION, parse_api_time};
use crate::store::{BATCH_GET_MAX, Contribution, StoreError, WriteOutcome};

/// How much of a body chunk is classified before its kept events are stored.
const PIECE_BYTES: usize = 32 * 1024;
/// Attempts for a blob whose body broke off (a cut connection, a truncated reply).
const BLOB_ATTEMPTS: u32 = 3;
pub(crate) enum BlobResult {
    Done {
        count: BlobCount,
        write: WriteOutcome,
        /// What the blob adds to the usage summaries, applied with its group.
        contribution: Box<Contribution>,
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
                // AF20050 can mean "not fetchable yet": a blob is sometimes listed before its
                // content is there. Until its expiration it is retried, like any failure.
                Err(err)
                    if err.is_content_gone()
                        && !(err.code() == Some("AF20050") && unexpired(blob)) =>
                {
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
                Ok((count, write, contribution)) => {
                    log_rejections(blob, &count);
                    return BlobResult::Done {
                        count,
                        write,
                        contribution: Box::new(contribution),
                    };
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

    /// Streams the body through the classifier and stores the kept events. A store failure
    /// stops reading; a body failure is reported only once everything parsed is stored.
    async fn stream_blob(
        &self,
        response: reqwest::Response,
        blob: &ContentBlob,
        shared: &RunShared,
    ) -> Result<(BlobCount, WriteOutcome, Contribution), StreamFailure> {
        let mut contribution = Contribution::default();
        let mut write = WriteOutcome::default();
        let (parsed, count) = self
            .store_body(response, blob, shared, &mut write, &mut contribution)
            .await
            .map_err(StreamFailure::Store)?;
        // Only a blob stored whole contributes: a partial attempt's counts would be too low.
        parsed.map_err(StreamFailure::Body)?;
        Ok((count, write, contribution))
    }

    /// Reads the body chunk by chunk, storing kept events a batch at a time. Returns how the
    /// body parsed and what it counted, or the store's error.
    async fn store_body(
        &self,
        response: reqwest::Response,
        blob: &ContentBlob,
        shared: &RunShared,
        write: &mut WriteOutcome,
        contribution: &mut Contribution,
    ) -> Result<(Result<(), String>, BlobCount), StoreError> {
        let mut classifier =
            BlobClassifier::new(self.settings.max_record_bytes, &self.settings.filter);
        let mut batch = Vec::with_capacity(BATCH_GET_MAX);
        let mut body = response.bytes_stream();
        let parsed = 'body: loop {
            let chunk = match body.next().await {
                Some(Ok(chunk)) => chunk,
                Some(Err(err)) => break Err(format!("reading the body failed: {err}")),
                None => break classifier.finish().map_err(|err| err.to_string()),
            };
            // A piece at a time, so that the events waiting to be stored stay a batch or two
            // whatever size of chunk the connection hands over.
            for piece in chunk.chunks(PIECE_BYTES) {
                let fed = classifier.feed(piece, &mut |event: AuditEvent| {
                    batch.push(event);
                    Ok::<_, std::convert::Infallible>(())
                });
                // Whole batches only (one existence check of 100 keys, four writes of 25): the
                // rest waits for the next piece, so requests stay full.
                while batch.len() >= BATCH_GET_MAX {
                    let rest = batch.split_off(BATCH_GET_MAX);
                    self.store_batch(&mut batch, blob, shared, write, contribution)
                        .await?;
                    batch = rest;
                }
                if let Err(err) = fed {
                    break 'body Err(err.to_string());
                }
            }
        };
        if !batch.is_empty() {
            self.store_batch(&mut batch, blob, shared, write, contribution)
                .await?;
        }
        Ok((parsed, classifier.count().clone()))
    }

    /// Stores the batch's new events and adds the batch to the blob's contribution.
    async fn store_batch(
        &self,
        batch: &mut Vec<AuditEvent>,
        blob: &ContentBlob,
        shared: &RunShared,
        write: &mut WriteOutcome,
        contribution: &mut Contribution,
    ) -> Result<(), StoreError> {
        let stored = self
            .store
            .write_new_events(batch, &blob.content_id, &shared.locks)
            .await?;
        write.add(stored.outcome);
        for (event, owned) in batch.iter().zip(stored.owned) {
            contribution.add(event, owned);
        }
        batch.clear();
        Ok(())
    }
}

/// Whether the blob's `contentExpiration` (or, without one, its `contentCreated` plus the API's
/// retention) is still ahead.
fn unexpired(blob: &ContentBlob) -> bool {
    let expiration = blob
        .content_expiration
        .as_deref()
        .and_then(parse_api_time)
        .or_else(|| parse_api_time(&blob.content_created).map(|created| created + RETENTION));
    expiration.is_some_and(|at| at > time::OffsetDateTime::now_utc())
}

/// Malformed records are stored around, not failed on; the log says which and why.
fn log_rejections(blob: &ContentBlob, count: &BlobCount) {
    if count.rejected == 0 {
        return;
    }
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
