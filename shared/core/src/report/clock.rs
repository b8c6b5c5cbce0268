//! UTC days as the report reads them.

use time::{Date, OffsetDateTime};

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

    #[test]
    fn the_day_of_a_stored_timestamp() {
        assert_eq!(day_part("2026-11-24T06:00:00Z"), "2026-11-24");
        assert_eq!(day_part("short"), "short");
    }
}
