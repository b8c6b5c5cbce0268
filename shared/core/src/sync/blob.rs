//! One blob: fetched, streamed through the parser, its kept events stored in batches, then its
//! contribution to the usage summaries applied.
//!
//! The body is never held whole: a blocking task parses it record by record from the network
//! stream and hands kept events over a small channel to the writer, so memory per blob is a
//! few batches whatever the blob's size (plus its contribution: the ids of the launches it
//! owns and its distinct users).

use std::time::Duration;

use audit_records::{AuditEvent, BlobCount, classify_blob};
use futures::TryStreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::Syncer;
pub(crate) use super::contribution::RunShared;
use crate::api::{ContentBlob, RETENTION, parse_api_time};
use crate::store::{AppDay, BATCH_WRITE_MAX, Contribution, StoreError, WriteOutcome};

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

pub(crate) enum BlobResult {
    Done {
        count: BlobCount,
        write: WriteOutcome,
        /// The counters holding the blob's marker, cleared once the blob is in the ledger.
        marked: Vec<AppDay>,
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

/// What the parser task gives back: how the body parsed, and what it counted.
type Parsed = (Result<(), String>, BlobCount);

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
                Ok((count, write, marked)) => {
                    log_rejections(blob, &count);
                    return BlobResult::Done {
                        count,
                        write,
                        marked,
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

    /// Streams the body through the parser and stores the kept events. A store failure stops
    /// the parser; a body failure is reported only once everything parsed is stored.
    async fn stream_blob(
        &self,
        response: reqwest::Response,
        blob: &ContentBlob,
        shared: &RunShared,
    ) -> Result<(BlobCount, WriteOutcome, Vec<AppDay>), StreamFailure> {
        let (parser, receiver) = self.spawn_parser(response);
        let mut contribution = Contribution::default();
        let (mut write, store_error) = self
            .store_events(receiver, blob, shared, &mut contribution)
            .await;
        let (parsed, count) = parser
            .await
            .map_err(|err| StreamFailure::Body(format!("the parser task failed: {err}")))?;
        if let Some(err) = store_error {
            return Err(StreamFailure::Store(err));
        }
        parsed.map_err(StreamFailure::Body)?;
        // Only a blob stored whole contributes: a partial attempt's counts would be too low.
        let (requests, marked) = self
            .apply_contribution(blob, &contribution, shared)
            .await
            .map_err(StreamFailure::Store)?;
        write.write_requests += requests;
        Ok((count, write, marked))
    }

    /// Parses the body on a blocking thread, sending kept events over a small channel.
    fn spawn_parser(
        &self,
        response: reqwest::Response,
    ) -> (JoinHandle<Parsed>, mpsc::Receiver<AuditEvent>) {
        let body = response.bytes_stream().map_err(std::io::Error::other);
        let reader = SyncIoBridge::new(StreamReader::new(body));
        let (sender, receiver) = mpsc::channel::<AuditEvent>(CHANNEL_CAPACITY);
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
        (parser, receiver)
    }

    /// Stores the events the parser sends, in batches, until it is done or a store fails.
    /// Consuming `receiver` closes the channel on return, which stops a parser still sending.
    async fn store_events(
        &self,
        mut receiver: mpsc::Receiver<AuditEvent>,
        blob: &ContentBlob,
        shared: &RunShared,
        contribution: &mut Contribution,
    ) -> (WriteOutcome, Option<StoreError>) {
        let mut write = WriteOutcome::default();
        let mut batch = Vec::with_capacity(BATCH_WRITE_MAX);
        while let Some(event) = receiver.recv().await {
            batch.push(event);
            if batch.len() == BATCH_WRITE_MAX
                && let Err(err) = self
                    .store_batch(&mut batch, blob, shared, &mut write, contribution)
                    .await
            {
                return (write, Some(err));
            }
        }
        let store_error = if batch.is_empty() {
            None
        } else {
            self.store_batch(&mut batch, blob, shared, &mut write, contribution)
                .await
                .err()
        };
        (write, store_error)
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
