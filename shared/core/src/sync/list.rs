//! Listing a content type's windows, and placing the blobs listed in time.

use std::collections::HashSet;

use time::OffsetDateTime;

use super::Syncer;
use super::error::SyncError;
use super::stop::StopSignal;
use super::summary::Summary;
use crate::api::{ApiError, ContentBlob, TimeWindow, parse_api_time};
use crate::config::ContentType;

/// A listed blob with its `contentCreated` read.
pub(super) type PlacedBlob = (OffsetDateTime, ContentBlob);

/// What listing found.
#[derive(Debug)]
pub(super) struct Listed {
    /// Each blob once, in listing order.
    pub blobs: Vec<ContentBlob>,
    /// The end of the last window listed whole; the range's start if none was.
    pub to: OffsetDateTime,
}

/// Listed blobs placed in time.
#[derive(Debug)]
pub(super) struct Placed {
    pub blobs: Vec<PlacedBlob>,
    /// How far the watermark may go as far as the listing goes.
    pub to: OffsetDateTime,
}

impl Syncer {
    /// Lists `windows` in order, starting at `from`. A missing or disabled subscription ends
    /// the run; any other failure ends this content type's listing, and later windows wait for
    /// the next run.
    pub(super) async fn list_windows(
        &self,
        content_type: &ContentType,
        windows: Vec<TimeWindow>,
        from: OffsetDateTime,
        stop: &StopSignal,
        summary: &mut Summary,
    ) -> Result<Listed, SyncError> {
        let mut listed = Listed {
            blobs: Vec::new(),
            to: from,
        };
        for window in windows {
            if stop.stop_requested() {
                summary.stopped_early = true;
                break;
            }
            match self.api.list_content(content_type, window).await {
                Ok(listing) => {
                    summary.windows += 1;
                    summary.pages += u64::from(listing.pages);
                    listed.blobs.extend(listing.blobs);
                    listed.to = window.end();
                }
                Err(err) if ends_the_run(&err) => return Err(err.into()),
                Err(err) => {
                    tracing::error!(content_type = content_type.as_str(), error = %err, "listing failed; later windows wait for the next run");
                    summary.errors.push(err.to_string());
                    break;
                }
            }
        }
        dedupe(&mut listed.blobs);
        summary.blobs_listed += listed.blobs.len() as u64;
        Ok(listed)
    }
}

/// No subscription, or one an admin disabled: nothing can be listed until it is started.
fn ends_the_run(err: &ApiError) -> bool {
    matches!(err.code(), Some("AF20022" | "AF20023"))
}

/// Keeps the first listing of each blob, so a blob listed twice is fetched once.
fn dedupe(blobs: &mut Vec<ContentBlob>) {
    let mut seen = HashSet::new();
    blobs.retain(|b| seen.insert(b.content_id.clone()));
}

/// Reads each blob's `contentCreated` and notes the lag of the newest. A blob that cannot be
/// placed in time holds the watermark at `from`, since it may lie anywhere in the range.
pub(super) fn place_in_time(
    listed: Listed,
    from: OffsetDateTime,
    now: OffsetDateTime,
    summary: &mut Summary,
) -> Placed {
    let mut placed = Placed {
        blobs: Vec::with_capacity(listed.blobs.len()),
        to: listed.to,
    };
    for blob in listed.blobs {
        match parse_api_time(&blob.content_created) {
            Some(created) => placed.blobs.push((created, blob)),
            None => {
                summary.errors.push(format!(
                    "blob {} has an unreadable contentCreated {:?}",
                    blob.content_id, blob.content_created
                ));
                placed.to = placed.to.min(from);
            }
        }
    }
    if let Some(newest) = placed.blobs.iter().map(|(t, _)| *t).max() {
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
    fn a_blob_listed_twice_is_kept_once() {
        let mut blobs = vec![
            blob("a", "2026-11-24T10:00:00Z"),
            blob("b", "2026-11-24T11:00:00Z"),
            blob("a", "2026-11-24T10:00:00.5Z"),
        ];
        dedupe(&mut blobs);
        let ids: Vec<&str> = blobs.iter().map(|b| b.content_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(blobs[0].content_created, "2026-11-24T10:00:00Z");
    }

    #[test]
    fn blobs_are_placed_and_the_newest_gives_the_lag() {
        let listed = Listed {
            blobs: vec![
                blob("a", "2026-11-24T10:00:00.000Z"),
                blob("b", "2026-11-24T12:00:00"),
            ],
            to: TO,
        };
        let mut summary = Summary::new("run", "scheduled");
        summary.lag_seconds = Some(60);
        let placed = place_in_time(listed, FROM, NOW, &mut summary);
        assert_eq!(placed.to, TO);
        assert_eq!(placed.blobs.len(), 2);
        assert_eq!(placed.blobs[1].0, datetime!(2026-11-24 12:00 UTC));
        assert_eq!(summary.lag_seconds, Some(30 * 60));
        assert!(summary.errors.is_empty());
    }

    #[test]
    fn an_unreadable_time_holds_the_watermark_at_the_start() {
        let listed = Listed {
            blobs: vec![blob("a", "yesterday"), blob("b", "2026-11-24T10:00:00Z")],
            to: TO,
        };
        let mut summary = Summary::new("run", "scheduled");
        let placed = place_in_time(listed, FROM, NOW, &mut summary);
        assert_eq!(placed.to, FROM);
        assert_eq!(placed.blobs.len(), 1);
        assert_eq!(summary.errors.len(), 1);
        assert!(summary.errors[0].contains("blob a"), "{:?}", summary.errors);
    }

    #[test]
    fn a_blob_from_the_future_counts_as_no_lag() {
        let created = NOW + Duration::minutes(1);
        let listed = Listed {
            blobs: vec![blob(
                "a",
                &audit_records::format_utc(created, audit_records::UtcStyle::Millis),
            )],
            to: TO,
        };
        let mut summary = Summary::new("run", "scheduled");
        place_in_time(listed, FROM, NOW, &mut summary);
        assert_eq!(summary.lag_seconds, Some(0));
    }
}
