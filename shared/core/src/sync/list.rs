//! One listing window at a time: its pages are read in order, and every page budget of blobs
//! is placed in time, checked against the ledger, fetched and stored before the next page is
//! read. Memory follows one budget of blobs in flight, whatever the backlog.

use std::collections::HashSet;

use time::OffsetDateTime;

use super::Syncer;
use super::blob::RunShared;
use super::error::SyncError;
use super::stop::StopSignal;
use super::summary::Summary;
use super::watermark::Unfinished;
use crate::api::{ApiError, ContentBlob, TimeWindow, parse_api_time};
use crate::config::ContentType;

/// Blobs listed before they are fetched: enough to keep every fetch slot busy across page
/// boundaries, few enough that a window of hundreds of thousands of blobs is never held.
const PAGE_BUDGET: usize = 512;

/// A listed blob with its `contentCreated` read.
pub(super) type PlacedBlob = (OffsetDateTime, ContentBlob);

/// How a window's listing ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WindowEnd {
    /// Every page was read (and every blob listed was taken in hand).
    Listed,
    /// The run must stop (deadline or lost lock) before the last page.
    Stopped,
    /// A page could not be read; the rest of the window waits for the next run.
    Failed,
}

/// One window's work, as the pages arrive.
pub(super) struct WindowRun<'a> {
    pub content_type: &'a ContentType,
    pub window: TimeWindow,
    pub stop: &'a StopSignal,
    pub shared: &'a RunShared,
    pub now: OffsetDateTime,
}

impl Syncer {
    /// Lists `run.window` page by page and processes each page budget of blobs before reading
    /// on. A listing failure (a missing or disabled subscription, an outage) ends the window and
    /// this content type's run, after the blobs already listed are processed; it is reported
    /// with the content type, and the other content types sync as usual.
    pub(super) async fn sync_window(
        &self,
        run: &WindowRun<'_>,
        summary: &mut Summary,
        unfinished: &mut Unfinished,
    ) -> Result<WindowEnd, SyncError> {
        let mut pages = self.api.content_pages(run.content_type, run.window);
        let mut batch = Vec::new();
        let end = loop {
            if run.stop.stop_requested() {
                summary.stopped_early = true;
                break WindowEnd::Stopped;
            }
            match pages.next_page().await {
                None => break WindowEnd::Listed,
                Some(Ok(page)) => {
                    summary.pages += 1;
                    note_unreadable(run.content_type.as_str(), &page.unreadable, summary);
                    batch.extend(page.blobs);
                    if batch.len() >= PAGE_BUDGET {
                        let blobs = std::mem::take(&mut batch);
                        self.work_batch(run, blobs, summary, unfinished).await?;
                    }
                }
                Some(Err(err)) => {
                    let ct = run.content_type.as_str();
                    if is_unsubscribed(&err) {
                        tracing::error!(content_type = ct, error = %err, "no enabled subscription; this content type waits until it is started");
                    } else {
                        tracing::error!(content_type = ct, error = %err, "listing failed; the rest waits for the next run");
                    }
                    if let crate::api::ApiError::Auth(auth) = &err {
                        summary.credentials_refused = Some(auth.to_string());
                    }
                    summary.push_error(format!("{ct}: {err}"));
                    break WindowEnd::Failed;
                }
            }
        };
        self.work_batch(run, batch, summary, unfinished).await?;
        if end == WindowEnd::Listed {
            summary.windows += 1;
        }
        Ok(end)
    }

    /// Places a batch of listed blobs in time, drops those the ledger has settled, and fetches
    /// and stores the rest.
    async fn work_batch(
        &self,
        run: &WindowRun<'_>,
        blobs: Vec<ContentBlob>,
        summary: &mut Summary,
        unfinished: &mut Unfinished,
    ) -> Result<(), SyncError> {
        let blobs = dedupe(blobs);
        if blobs.is_empty() {
            return Ok(());
        }
        summary.blobs_listed += blobs.len() as u64;
        let placed = place_in_time(blobs, run.window, run.now, summary, unfinished);
        let ct = run.content_type.as_str();
        let placed = self.skip_settled(ct, placed, summary).await?;
        let processed = self
            .process_blobs(ct, placed, run.stop, run.shared, summary)
            .await;
        unfinished.merge(processed.unfinished);
        Ok(())
    }
}

/// Keeps the first listing of each blob in a batch. A blob listed again in a later batch is
/// settled by then, so the ledger skips it; no set of every id listed is kept, so memory stays
/// with the batch however long the window.
fn dedupe(blobs: Vec<ContentBlob>) -> Vec<ContentBlob> {
    let mut seen = HashSet::new();
    blobs
        .into_iter()
        .filter(|b| seen.insert(b.content_id.clone()))
        .collect()
}

/// An unreadable listing entry names no blob that could be fetched: it is skipped, counted and
/// reported (the run is not complete), and the page's other entries go on.
fn note_unreadable(content_type: &str, unreadable: &[String], summary: &mut Summary) {
    for entry in unreadable {
        tracing::error!(content_type, entry = %entry, "listing entry skipped: it cannot be read");
        summary.listing_entries_skipped += 1;
        summary.push_error(format!("{content_type}: listing entry skipped: {entry}"));
    }
}

/// No subscription, or one an admin disabled: nothing can be listed until it is started.
fn is_unsubscribed(err: &ApiError) -> bool {
    matches!(err.code(), Some("AF20022" | "AF20023"))
}

/// Reads each blob's `contentCreated` and notes the lag of the newest. A blob that cannot be
/// placed in time was still listed in `window`, so it holds the watermark at the window's start.
pub(super) fn place_in_time(
    blobs: Vec<ContentBlob>,
    window: TimeWindow,
    now: OffsetDateTime,
    summary: &mut Summary,
    unfinished: &mut Unfinished,
) -> Vec<PlacedBlob> {
    let mut placed = Vec::with_capacity(blobs.len());
    for blob in blobs {
        match parse_api_time(&blob.content_created) {
            Some(created) => placed.push((created, blob)),
            None => {
                summary.push_error(format!(
                    "blob {} has an unreadable contentCreated {:?}",
                    blob.content_id, blob.content_created
                ));
                unfinished.include(window.start());
            }
        }
    }
    if let Some(newest) = placed.iter().map(|(t, _)| *t).max() {
        let lag = (now - newest).whole_seconds().max(0) as u64;
        summary.lag_seconds = Some(summary.lag_seconds.map_or(lag, |l| l.max(lag)));
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    const FROM: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);
    const TO: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);
    const NOW: OffsetDateTime = datetime!(2026-11-24 12:30 UTC);

    fn window() -> TimeWindow {
        TimeWindow::new(FROM, TO).unwrap()
    }

    fn blob(id: &str, created: &str) -> ContentBlob {
        ContentBlob {
            content_type: "Audit.General".into(),
            content_id: id.into(),
            content_uri: format!("https://manage.office.com/audit/{id}"),
            content_created: created.into(),
            content_expiration: None,
        }
    }

    #[test]
    fn a_blob_listed_twice_in_a_batch_is_kept_once() {
        let blobs = dedupe(vec![
            blob("a", "2026-11-24T10:00:00Z"),
            blob("b", "2026-11-24T11:00:00Z"),
            blob("a", "2026-11-24T10:00:00.5Z"),
        ]);
        let ids: Vec<&str> = blobs.iter().map(|b| b.content_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(blobs[0].content_created, "2026-11-24T10:00:00Z");
    }

    #[test]
    fn blobs_are_placed_and_the_newest_gives_the_lag() {
        let blobs = vec![
            blob("a", "2026-11-24T10:00:00.000Z"),
            blob("b", "2026-11-24T12:00:00"),
        ];
        let mut summary = Summary::new("run", "scheduled");
        summary.lag_seconds = Some(60);
        let mut unfinished = Unfinished::default();
        let placed = place_in_time(blobs, window(), NOW, &mut summary, &mut unfinished);
        assert_eq!(unfinished, Unfinished::default());
        assert_eq!(placed.len(), 2);
        assert_eq!(placed[1].0, datetime!(2026-11-24 12:00 UTC));
        assert_eq!(summary.lag_seconds, Some(30 * 60));
        assert!(summary.errors.is_empty());
    }

    #[test]
    fn an_unreadable_time_holds_the_watermark_at_the_window_start() {
        let blobs = vec![blob("a", "yesterday"), blob("b", "2026-11-24T10:00:00Z")];
        let mut summary = Summary::new("run", "scheduled");
        let mut unfinished = Unfinished::default();
        let placed = place_in_time(blobs, window(), NOW, &mut summary, &mut unfinished);
        let mut expected = Unfinished::default();
        expected.include(FROM);
        assert_eq!(unfinished, expected);
        assert_eq!(placed.len(), 1);
        assert_eq!(summary.errors.len(), 1);
        assert!(summary.errors[0].contains("blob a"), "{:?}", summary.errors);
    }

    #[test]
    fn a_blob_from_the_future_counts_as_no_lag() {
        let created = NOW + Duration::minutes(1);
        let blobs = vec![blob(
            "a",
            &audit_records::format_utc(created, audit_records::UtcStyle::Millis),
        )];
        let mut summary = Summary::new("run", "scheduled");
        place_in_time(
            blobs,
            window(),
            NOW,
            &mut summary,
            &mut Unfinished::default(),
        );
        assert_eq!(summary.lag_seconds, Some(0));
    }
}
