//! UTC days and timestamps as the report reads and writes them.

use time::{Date, OffsetDateTime};

/// `2026-11-24T06:00:00Z`: a UTC time as the stored timestamps are written.
pub fn utc_seconds(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Today's UTC date, the default end of a report.
pub fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// `YYYY-MM-DD` of a stored UTC timestamp (`YYYY-MM-DDTHH:MM:SSZ`).
pub(super) fn day_part(timestamp: &str) -> &str {
    timestamp.get(..10).unwrap_or(timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn times_are_written_in_utc_to_the_second() {
        assert_eq!(
            utc_seconds(datetime!(2026-11-24 07:00:00.75 +1)),
            "2026-11-24T06:00:00Z"
        );
        assert_eq!(day_part("2026-11-24T06:00:00Z"), "2026-11-24");
        assert_eq!(day_part("short"), "short");
    }
}
