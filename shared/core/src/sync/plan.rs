//! The range a run lists for one content type, decided from the mode, the stored watermark and
//! the API's 7-day retention. Pure, so every rule is tested without a server.

use time::OffsetDateTime;

use super::error::SyncError;
use super::mode::Mode;
use super::settings::Settings;
use super::summary::{Clamped, Summary};
use audit_records::{UtcStyle, format_utc};

use crate::api::{RETENTION, TimeWindow};

/// A window start this close to the 7-day limit could be refused by the time it arrives.
const RETENTION_MARGIN: time::Duration = time::Duration::minutes(5);

/// What one content type's run lists, and where its watermark stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Plan {
    /// `[from, to)` is listed.
    pub from: OffsetDateTime,
    pub to: OffsetDateTime,
    /// Scheduled runs only: the watermark before the run.
    pub before: Option<WatermarkBefore>,
    /// The range between an old watermark and the retention limit: content the API no longer
    /// keeps, so it is lost.
    pub lost: Option<(OffsetDateTime, OffsetDateTime)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WatermarkBefore {
    /// As stored; `None` before the first run.
    pub stored: Option<OffsetDateTime>,
    /// What the run counts from: the stored watermark, or the initial lookback on a first run.
    pub value: OffsetDateTime,
}

/// Plans one content type's run at `now`. `stored` is the stored watermark (scheduled runs).
pub(super) fn plan(
    mode: &Mode,
    stored: Option<OffsetDateTime>,
    now: OffsetDateTime,
    settings: &Settings,
) -> Result<Plan, SyncError> {
    let earliest = now - RETENTION + RETENTION_MARGIN;
    match mode {
        Mode::Scheduled => Ok(scheduled(stored, now, earliest, settings)),
        Mode::Sweep { since } => Ok(Plan {
            from: since.map_or(earliest, |since| since.max(earliest)),
            to: now,
            before: None,
            lost: None,
        }),
        Mode::Backfill { start, end } => backfill(*start, *end, now, earliest),
    }
}

/// From the watermark less the overlap (for blobs that became visible late) up to now, but not
/// further back than the API keeps.
fn scheduled(
    stored: Option<OffsetDateTime>,
    now: OffsetDateTime,
    earliest: OffsetDateTime,
    settings: &Settings,
) -> Plan {
    // A first run starts at the configured lookback, at most as far as the API keeps.
    let value = stored.unwrap_or((now - settings.initial_lookback).max(earliest));
    let lost = (value < earliest).then_some((value, earliest));
    Plan {
        from: (value.max(earliest) - settings.overlap).max(earliest),
        to: now,
        before: Some(WatermarkBefore { stored, value }),
        lost,
    }
}

/// Exactly the range asked for, up to now; a start beyond the retention is the caller's error.
fn backfill(
    start: OffsetDateTime,
    end: OffsetDateTime,
    now: OffsetDateTime,
    earliest: OffsetDateTime,
) -> Result<Plan, SyncError> {
    if start < earliest {
        return Err(SyncError::Input(format!(
            "a backfill can start at most 7 days back (the API's retention): \"start\" must be after {}",
            format_utc(earliest, UtcStyle::Seconds)
        )));
    }
    Ok(Plan {
        from: start,
        to: end.min(now),
        before: None,
        lost: None,
    })
}

impl Plan {
    /// The listing windows, oldest first.
    pub(super) fn windows(&self) -> Vec<TimeWindow> {
        TimeWindow::split(self.from, self.to)
    }

    /// Reports the plan in the summary: the watermark before the run, and any lost range.
    pub(super) fn note(&self, content_type: &str, summary: &mut Summary) {
        if let Some((from, to)) = self.lost {
            tracing::error!(
                content_type,
                watermark = %format_utc(from, UtcStyle::Seconds),
                "the watermark is older than the API's 7-day retention; content between it and the \
                 limit is lost"
            );
            summary.clamped.push(Clamped {
                content_type: content_type.to_string(),
                from: format_utc(from, UtcStyle::Seconds),
                to: format_utc(to, UtcStyle::Seconds),
            });
        }
        if let Some(before) = self.before {
            summary.watermark_before.insert(
                content_type.to_string(),
                before.stored.map(|t| format_utc(t, UtcStyle::Seconds)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-24 12:00:00.250 UTC);

    fn settings() -> Settings {
        Settings::from_lookup(|_| None).unwrap()
    }

    fn earliest() -> OffsetDateTime {
        NOW - RETENTION + RETENTION_MARGIN
    }

    #[test]
    fn a_first_run_starts_at_the_lookback_less_the_overlap() {
        let s = settings();
        let plan = plan(&Mode::Scheduled, None, NOW, &s).unwrap();
        let start = NOW - s.initial_lookback;
        assert_eq!(plan.from, start - s.overlap);
        assert_eq!(plan.to, NOW);
        assert_eq!(
            plan.before,
            Some(WatermarkBefore {
                stored: None,
                value: start
            })
        );
        assert_eq!(plan.lost, None);
    }

    #[test]
    fn a_stored_watermark_is_listed_again_from_the_overlap() {
        let s = settings();
        let stored = NOW - Duration::hours(1);
        let plan = plan(&Mode::Scheduled, Some(stored), NOW, &s).unwrap();
        assert_eq!(plan.from, stored - s.overlap);
        assert_eq!(plan.before.unwrap().value, stored);
        assert_eq!(plan.before.unwrap().stored, Some(stored));
    }

    #[test]
    fn the_overlap_stops_at_the_retention_limit() {
        let s = settings();
        let stored = earliest() + Duration::minutes(1);
        let plan = plan(&Mode::Scheduled, Some(stored), NOW, &s).unwrap();
        assert_eq!(plan.from, earliest());
        assert_eq!(plan.lost, None);
    }

    #[test]
    fn a_watermark_beyond_the_retention_is_clamped_and_the_gap_reported() {
        let stored = NOW - Duration::days(9);
        let plan = plan(&Mode::Scheduled, Some(stored), NOW, &settings()).unwrap();
        assert_eq!(plan.from, earliest());
        assert_eq!(plan.lost, Some((stored, earliest())));
        // The watermark is settled against what was stored, not the clamped start.
        assert_eq!(plan.before.unwrap().value, stored);

        let mut summary = Summary::new("run", "scheduled");
        plan.note("Audit.General", &mut summary);
        assert_eq!(summary.clamped.len(), 1);
        assert_eq!(
            summary.clamped[0].from,
            format_utc(stored, UtcStyle::Seconds)
        );
        assert_eq!(
            summary.watermark_before["Audit.General"],
            Some(format_utc(stored, UtcStyle::Seconds))
        );
    }

    #[test]
    fn a_first_run_reports_no_watermark_before() {
        let plan = plan(&Mode::Scheduled, None, NOW, &settings()).unwrap();
        let mut summary = Summary::new("run", "scheduled");
        plan.note("Audit.General", &mut summary);
        assert_eq!(summary.watermark_before["Audit.General"], None);
        assert!(summary.clamped.is_empty());
    }

    #[test]
    fn a_backfill_lists_its_range_up_to_now_and_leaves_the_watermark() {
        let start = NOW - Duration::days(2);
        let mode = Mode::Backfill {
            start,
            end: NOW + Duration::days(1),
        };
        let plan = plan(&mode, Some(NOW), NOW, &settings()).unwrap();
        assert_eq!((plan.from, plan.to), (start, NOW));
        assert_eq!(plan.before, None);
        let mut summary = Summary::new("run", "backfill");
        plan.note("Audit.General", &mut summary);
        assert!(summary.watermark_before.is_empty());
    }

    #[test]
    fn a_sweep_lists_the_retention_back_to_its_start_and_leaves_the_watermark() {
        let earliest = NOW - RETENTION + RETENTION_MARGIN;
        let whole = plan(&Mode::Sweep { since: None }, Some(NOW), NOW, &settings()).unwrap();
        assert_eq!((whole.from, whole.to, whole.before), (earliest, NOW, None));
        let since = NOW - Duration::days(2);
        let recent = plan(&Mode::Sweep { since: Some(since) }, None, NOW, &settings()).unwrap();
        assert_eq!(recent.from, since);
        let old = Mode::Sweep {
            since: Some(NOW - Duration::days(30)),
        };
        assert_eq!(plan(&old, None, NOW, &settings()).unwrap().from, earliest);
        assert_eq!(whole.windows().len(), 7);
    }

    #[test]
    fn a_backfill_beyond_the_retention_is_an_input_error() {
        let mode = Mode::Backfill {
            start: NOW - Duration::days(7),
            end: NOW,
        };
        let err = plan(&mode, None, NOW, &settings()).unwrap_err();
        assert!(matches!(&err, SyncError::Input(m) if m.contains("at most 7 days back")));
    }

    #[test]
    fn windows_cover_the_range() {
        let plan = plan(&Mode::Scheduled, None, NOW, &settings()).unwrap();
        let windows = plan.windows();
        let whole = |t: OffsetDateTime| t.replace_nanosecond(0).unwrap();
        assert_eq!(windows.first().unwrap().start(), whole(plan.from));
        assert_eq!(windows.last().unwrap().end(), whole(NOW));
        assert_eq!(windows.len(), 2);
    }
}
