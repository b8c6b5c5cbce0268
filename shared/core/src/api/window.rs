//! Listing windows and the API's time formats.

use audit_records::{UtcStyle, format_utc};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The longest window one listing call may ask for.
pub const MAX_WINDOW: Duration = Duration::hours(24);
/// How far back a listing may start.
pub const RETENTION: Duration = Duration::days(7);

/// A `[start, end)` range of `contentCreated`, in whole seconds (the API's finest unit in
/// query strings), at most 24 hours long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    start: OffsetDateTime,
    end: OffsetDateTime,
}

impl TimeWindow {
    /// Truncates both ends to whole seconds: consecutive windows keep sharing their boundary,
    /// and a start rounded down only lists a little more.
    pub fn new(start: OffsetDateTime, end: OffsetDateTime) -> Result<TimeWindow, String> {
        let start = truncate_to_second(start.to_offset(UtcOffset::UTC));
        let end = truncate_to_second(end.to_offset(UtcOffset::UTC));
        if end <= start {
            return Err(format!(
                "end {} is not after start {}",
                format_utc(end, UtcStyle::Query),
                format_utc(start, UtcStyle::Query)
            ));
        }
        if end - start > MAX_WINDOW {
            return Err(format!(
                "{} to {} is longer than 24 hours",
                format_utc(start, UtcStyle::Query),
                format_utc(end, UtcStyle::Query)
            ));
        }
        Ok(TimeWindow { start, end })
    }

    /// The first second listed: the query's `startTime`, UTC.
    pub fn start(&self) -> OffsetDateTime {
        self.start
    }

    /// The end, excluded: the query's `endTime`, UTC.
    pub fn end(&self) -> OffsetDateTime {
        self.end
    }

    /// Cuts `[start, end)` into windows the API accepts, oldest first.
    pub fn split(start: OffsetDateTime, end: OffsetDateTime) -> Vec<TimeWindow> {
        let mut windows = Vec::new();
        let mut cursor = truncate_to_second(start);
        let end = truncate_to_second(end);
        while cursor < end {
            let next = (cursor + MAX_WINDOW).min(end);
            windows.push(TimeWindow {
                start: cursor,
                end: next,
            });
            cursor = next;
        }
        windows
    }
}

fn truncate_to_second(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0)
        .expect("zero nanoseconds is always valid")
}

/// Reads a `contentCreated`/`contentExpiration` value. The API sends `2026-05-23T17:35:00.000Z`,
/// but zone-less and fraction-less forms occur in the wild; both are UTC.
pub fn parse_api_time(value: &str) -> Option<OffsetDateTime> {
    let value = value.trim();
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Some(t.to_offset(UtcOffset::UTC));
    }
    let bare = value.trim_end_matches(['Z', 'z']);
    let with_fraction =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");
    let without = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(bare, with_fraction)
        .or_else(|_| PrimitiveDateTime::parse(bare, without))
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn windows_are_checked() {
        let t = datetime!(2026-11-24 10:00:00.750 UTC);
        let w = TimeWindow::new(t, t + Duration::hours(24)).unwrap();
        assert_eq!(
            format_utc(w.start(), UtcStyle::Query),
            "2026-11-24T10:00:00"
        );
        assert!(TimeWindow::new(t, t + Duration::hours(25)).is_err());
        assert!(TimeWindow::new(t, t).is_err());
        assert!(TimeWindow::new(t, t - Duration::minutes(1)).is_err());
    }

    #[test]
    fn splitting_covers_the_range_without_gaps() {
        let start = datetime!(2026-11-20 06:30:00 UTC);
        let end = datetime!(2026-11-21 12:30:00 UTC);
        let windows = TimeWindow::split(start, end);
        assert_eq!(windows.len(), 2);
        assert_eq!(windows[0].start(), start);
        assert_eq!(windows[0].end(), windows[1].start());
        assert_eq!(windows[1].end(), end);
        assert!(windows.iter().all(|w| w.end() - w.start() <= MAX_WINDOW));
        assert!(TimeWindow::split(end, start).is_empty());
    }

    #[test]
    fn api_times_in_every_form() {
        let expected = datetime!(2026-05-23 17:35:00 UTC);
        for text in [
            "2026-05-23T17:35:00.000Z",
            "2026-05-23T17:35:00Z",
            "2026-05-23T17:35:00",
            "2026-05-23T17:35:00.0000000Z",
        ] {
            assert_eq!(parse_api_time(text), Some(expected), "{text}");
        }
        assert_eq!(parse_api_time("yesterday"), None);
        assert_eq!(
            format_utc(expected, UtcStyle::Seconds),
            "2026-05-23T17:35:00Z"
        );
    }
}
