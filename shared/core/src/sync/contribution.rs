//! A stored blob's contribution to the usage summaries, applied as soon as the blob is stored
//! (so the report keeps up during a long catch-up), and what the run shares for it: the locks
//! that make event ownership exact and the memory of writes that need not be repeated.

use std::sync::atomic::{AtomicU64, Ordering};

use time::OffsetDateTime;

use super::Syncer;
use super::summary::Summary;
use crate::api::{ContentBlob, RETENTION, parse_api_time};
use crate::store::{Contribution, KeyLocks, StoreError, Written};

/// How long a contribution marker outlives its blob's `contentExpiration`: past that the API
/// cannot list the blob again, so no later attempt can need the marker.
const MARKER_GRACE: time::Duration = time::Duration::days(1);

/// State shared by the blob tasks of one run.
#[derive(Default)]
pub(crate) struct RunShared {
    /// Serialise the existence check and write of each event key across blobs in flight.
    pub(crate) locks: KeyLocks,
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
    /// requests sent. On failure the blob stays out of the ledger, so the next run processes it
    /// again and applies whatever this attempt did not.
    pub(super) async fn apply_contribution(
        &self,
        blob: &ContentBlob,
        contribution: &Contribution,
        shared: &RunShared,
    ) -> Result<u32, StoreError> {
        if contribution.is_empty() {
            return Ok(0);
        }
        let expires = marker_expiry(blob);
        match self
            .store
            .apply_contribution(&blob.content_id, expires, contribution, &shared.written)
            .await
        {
            Ok(applied) => {
                shared.counted.fetch_add(applied.counted, Ordering::Relaxed);
                shared
                    .already_counted
                    .fetch_add(applied.already_counted, Ordering::Relaxed);
                Ok(applied.write_requests)
            }
            Err(err) => {
                shared.failed.fetch_add(1, Ordering::Relaxed);
                Err(err)
            }
        }
    }
}

/// A day after the blob's `contentExpiration` (without one, after the API's retention from its
/// `contentCreated`, or from now).
fn marker_expiry(blob: &ContentBlob) -> OffsetDateTime {
    let expiration = blob
        .content_expiration
        .as_deref()
        .and_then(parse_api_time)
        .or_else(|| parse_api_time(&blob.content_created).map(|created| created + RETENTION))
        .unwrap_or_else(|| OffsetDateTime::now_utc() + RETENTION);
    expiration + MARKER_GRACE
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn blob(expiration: Option<&str>) -> ContentBlob {
        ContentBlob {
            content_type: "Audit.General".into(),
            content_id: "blob-1".into(),
            content_uri: "https://manage.office.com/audit/blob-1".into(),
            content_created: "2026-11-24T10:00:00Z".into(),
            content_expiration: expiration.map(str::to_string),
        }
    }

    #[test]
    fn markers_outlive_the_blob_by_a_day() {
        assert_eq!(
            marker_expiry(&blob(Some("2026-12-01T10:00:00Z"))),
            datetime!(2026-12-02 10:00 UTC)
        );
        assert_eq!(marker_expiry(&blob(None)), datetime!(2026-12-02 10:00 UTC));
    }
}
