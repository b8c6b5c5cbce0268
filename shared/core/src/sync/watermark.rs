//! The watermark: read before a scheduled run, settled after it so that it passes only complete
//! work, and stored.

use time::OffsetDateTime;

use super::Syncer;
use super::error::SyncError;
use super::mode::Mode;
use super::summary::Summary;
use audit_records::{UtcStyle, format_utc};

/// The oldest blob the watermark must wait for: one that failed, was left for the next run,
/// or was stored but not recorded in the ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Unfinished(Option<OffsetDateTime>);

impl Unfinished {
    pub(super) fn include(&mut self, created: OffsetDateTime) {
        self.0 = Some(self.0.map_or(created, |oldest| oldest.min(created)));
    }

    /// Takes in what another part of the run left unfinished.
    pub(super) fn merge(&mut self, other: Unfinished) {
        if let Some(created) = other.0 {
            self.include(created);
        }
    }
}

/// Where the watermark goes: as far as the listing got, but not past the oldest unfinished
/// blob, and never back.
pub(super) fn settle(
    listed_to: OffsetDateTime,
    unfinished: Unfinished,
    before: OffsetDateTime,
) -> OffsetDateTime {
    let reached = unfinished
        .0
        .map_or(listed_to, |oldest| oldest.min(listed_to));
    reached.max(before)
}

impl Syncer {
    /// The stored watermark, which only a scheduled run uses.
    pub(super) async fn stored_watermark(
        &self,
        content_type: &str,
        mode: &Mode,
    ) -> Result<Option<OffsetDateTime>, SyncError> {
        match mode {
            Mode::Scheduled => Ok(self.store.watermark(content_type).await?),
            Mode::Backfill { .. } | Mode::Sweep { .. } => Ok(None),
        }
    }

    /// Stores the settled watermark if it moved.
    pub(super) async fn store_watermark(
        &self,
        content_type: &str,
        before: OffsetDateTime,
        after: OffsetDateTime,
    ) -> Result<(), SyncError> {
        if after > before {
            self.store.advance_watermark(content_type, after).await?;
        }
        Ok(())
    }
}

impl Summary {
    /// Reports where a content type's watermark stands after the run.
    pub(super) fn note_watermark(&mut self, content_type: &str, at: OffsetDateTime) {
        self.watermark_after.insert(
            content_type.to_string(),
            Some(format_utc(at, UtcStyle::Seconds)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    const BEFORE: OffsetDateTime = datetime!(2026-11-24 10:00 UTC);
    const LISTED_TO: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

    fn unfinished(times: &[OffsetDateTime]) -> Unfinished {
        let mut unfinished = Unfinished::default();
        for t in times {
            unfinished.include(*t);
        }
        unfinished
    }

    #[test]
    fn complete_work_moves_it_to_the_end_of_the_listing() {
        assert_eq!(settle(LISTED_TO, Unfinished::default(), BEFORE), LISTED_TO);
    }

    #[test]
    fn it_stops_at_the_oldest_unfinished_blob() {
        let older = BEFORE + Duration::minutes(30);
        let newer = BEFORE + Duration::minutes(90);
        assert_eq!(
            settle(LISTED_TO, unfinished(&[newer, older]), BEFORE),
            older
        );
    }

    #[test]
    fn an_unfinished_blob_past_the_listing_does_not_carry_it_further() {
        let later = LISTED_TO + Duration::minutes(5);
        assert_eq!(settle(LISTED_TO, unfinished(&[later]), BEFORE), LISTED_TO);
    }

    #[test]
    fn it_never_goes_back() {
        // A listing that failed at once reached only the overlap's start, before the watermark.
        let overlap_start = BEFORE - Duration::hours(12);
        assert_eq!(settle(overlap_start, Unfinished::default(), BEFORE), BEFORE);
        let old_failure = BEFORE - Duration::hours(1);
        assert_eq!(
            settle(LISTED_TO, unfinished(&[old_failure]), BEFORE),
            BEFORE
        );
    }
}
