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
use tokio::task::JoinHandle;
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
    /// App-days marked dirty since the last rebuild (no need to mark them again).
    pub(crate) marked: Mutex<HashSet<AppDay>>,
}

impl RunShared {
    /// Forgets which app-days are marked: a rebuild is about to clear their markers.
    pub(crate) fn forget_marked(&self) {
        self.marked.lock().expect("not poisoned").clear();
    }
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
                    log_rejections(blob, &count);
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

    /// Streams the body through the parser and stores the kept events. A store failure stops
    /// the parser; a body failure is reported only once everything parsed is stored.
    async fn stream_blob(
        &self,
        response: reqwest::Response,
        blob: &ContentBlob,
        shared: &RunShared,
    ) -> Result<(BlobCount, WriteOutcome), StreamFailure> {
        let (parser, receiver) = self.spawn_parser(response);
        let (write, store_error) = self.store_events(receiver, blob, shared).await;
        let (parsed, count) = parser
            .await
            .map_err(|err| StreamFailure::Body(format!("the parser task failed: {err}")))?;
        if let Some(err) = store_error {
            return Err(StreamFailure::Store(err));
        }
        parsed.map_err(StreamFailure::Body)?;
        Ok((count, write))
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
    ) -> (WriteOutcome, Option<StoreError>) {
        let mut write = WriteOutcome::default();
        let mut batch = Vec::with_capacity(BATCH_WRITE_MAX);
        while let Some(event) = receiver.recv().await {
            batch.push(event);
            if batch.len() == BATCH_WRITE_MAX
                && let Err(err) = self
                    .store_batch(&mut batch, &blob.content_id, shared, &mut write)
                    .await
            {
                return (write, Some(err));
            }
        }
        let store_error = if batch.is_empty() {
            None
        } else {
            self.store_batch(&mut batch, &blob.content_id, shared, &mut write)
                .await
                .err()
        };
        (write, store_error)
    }

    /// Marks the batch's app-days dirty (first), then stores its new events.
    async fn store_batch(
        &self,
        batch: &mut Vec<AuditEvent>,
        content_id: &str,
        shared: &RunShared,
        write: &mut WriteOutcome,
    ) -> Result<(), StoreError> {
        let fresh = unmarked_app_days(batch, &shared.marked.lock().expect("not poisoned"));
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

/// The app-days of `batch`'s app events not yet marked dirty, each once.
fn unmarked_app_days(batch: &[AuditEvent], marked: &HashSet<AppDay>) -> Vec<AppDay> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use audit_records::AppKind;
    use time::macros::datetime;

    fn event(app_id: &str, kind: AppKind, time: time::OffsetDateTime) -> AuditEvent {
        AuditEvent {
            id: format!("{app_id}-{time}"),
            creation_time: time,
            operation: "LaunchPowerApp".into(),
            workload: "PowerApps".into(),
            record_type: 45,
            app_id: Some(app_id.into()),
            app_kind: kind,
            app_display_name: None,
            environment_id: None,
            user_upn: None,
            user_key: None,
            result_status: None,
            client_ip: None,
            raw: "{}".into(),
        }
    }

    fn app_day(app_id: &str, day: &str) -> AppDay {
        AppDay {
            app_id: app_id.into(),
            day: day.into(),
        }
    }

    #[test]
    fn only_app_days_not_yet_marked_are_marked_each_once() {
        let batch = [
            event("b", AppKind::PowerApp, datetime!(2026-11-24 10:00 UTC)),
            event("a", AppKind::PowerApp, datetime!(2026-11-24 11:00 UTC)),
            event("b", AppKind::PowerApp, datetime!(2026-11-24 12:00 UTC)),
            event("c", AppKind::PowerApp, datetime!(2026-11-23 23:59 UTC)),
            event("flow", AppKind::Flow, datetime!(2026-11-24 10:00 UTC)),
        ];
        let marked = HashSet::from([app_day("c", "2026-11-23")]);
        assert_eq!(
            unmarked_app_days(&batch, &marked),
            [app_day("a", "2026-11-24"), app_day("b", "2026-11-24")]
        );
    }
}
