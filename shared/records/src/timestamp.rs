//! The audit API's timestamps.
//!
//! Written by hand rather than with `time`'s format descriptions: it runs once per
//! record, and the accepted shapes are few and fixed.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Reads a `CreationTime`-style UTC timestamp.
///
/// The API sends `2026-05-19T13:17:34` (UTC with no zone suffix), sometimes with a
/// fraction of a second (`.1234567`, of any length; digits past nanoseconds are
/// dropped). A trailing `Z` is accepted, and so is a numeric offset (`+02:00`), which
/// is converted to UTC. Returns `None` for anything else, including impossible dates
/// and results outside the years 0000-9999.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    let b = text.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = Month::try_from(digits(&b[5..7])? as u8).ok()?;
    let day = digits(&b[8..10])? as u8;
    let hour = digits(&b[11..13])? as u8;
    let minute = digits(&b[14..16])? as u8;
    let second = digits(&b[17..19])? as u8;

    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let [b'.', tail @ ..] = rest {
        let len = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        for (i, &c) in tail[..len].iter().enumerate().take(9) {
            nanos += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
        }
        rest = &tail[len..];
    }
    let offset = match rest {
        [] | [b'Z' | b'z'] => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let hours = digits(&[*h1, *h2])? as i8;
            let minutes = digits(&[*m1, *m2])? as i8;
            let (hours, minutes) = if *sign == b'-' {
                (-hours, -minutes)
            } else {
                (hours, minutes)
            };
            UtcOffset::from_hms(hours, minutes, 0).ok()?
        }
        _ => return None,
    };

    let date = Date::from_calendar_date(year as i32, month, day).ok()?;
    let time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    let utc = PrimitiveDateTime::new(date, time)
        .assume_offset(offset)
        .checked_to_offset(UtcOffset::UTC)?;
    (0..=9999).contains(&utc.year()).then_some(utc)
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// How a UTC time is written. Every form is fixed width, so strings of one form sort in time
/// order (a `...34.5Z` would sort before `...34Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UtcStyle {
    /// `2026-05-19T13:17:34Z`: stored event times, summaries and the page.
    Seconds,
    /// `2026-05-19T13:17:34.250Z`: sort keys and watermarks, which must order blobs created
    /// within one second.
    Millis,
    /// `2026-05-19T13:17:34`: the Management API's `startTime`/`endTime`, the one form every page
    /// of Microsoft's reference accepts.
    Query,
}

/// Writes `at` in UTC (a value in another offset is converted), cut to the style's precision.
pub fn format_utc(at: OffsetDateTime, style: UtcStyle) -> String {
    let at = at.checked_to_offset(UtcOffset::UTC).unwrap_or(at);
    let seconds = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    match style {
        UtcStyle::Seconds => seconds + "Z",
        UtcStyle::Millis => format!("{seconds}.{:03}Z", at.millisecond()),
        UtcStyle::Query => seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn reads_the_api_shape_without_zone() {
        assert_eq!(
            parse_timestamp("2026-05-19T13:17:34"),
            Some(datetime!(2026-05-19 13:17:34 UTC))
        );
    }

    #[test]
    fn reads_fractions_and_zulu() {
        assert_eq!(
            parse_timestamp("2026-05-19T13:17:34.1234567Z"),
            Some(datetime!(2026-05-19 13:17:34.1234567 UTC))
        );
        assert_eq!(
            parse_timestamp("2026-05-19T13:17:34.5"),
            Some(datetime!(2026-05-19 13:17:34.5 UTC))
        );
        assert_eq!(
            parse_timestamp("2026-05-19T13:17:34.123456789999"),
            Some(datetime!(2026-05-19 13:17:34.123456789 UTC))
        );
    }

    #[test]
    fn converts_offsets_to_utc() {
        assert_eq!(
            parse_timestamp("2026-05-19T15:17:34+02:00"),
            Some(datetime!(2026-05-19 13:17:34 UTC))
        );
        assert_eq!(
            parse_timestamp("2026-05-19T00:17:34-01:30"),
            Some(datetime!(2026-05-19 01:47:34 UTC))
        );
    }

    #[test]
    fn refuses_what_is_not_a_timestamp() {
        for bad in [
            "",
            "2026-05-19",
            "2026-05-19 13:17:34",
            "2026-13-19T13:17:34",
            "2026-02-30T13:17:34",
            "2026-05-19T24:00:00",
            "2026-05-19T13:17:60",
            "2026-05-19T13:17:34.",
            "2026-05-19T13:17:34ZZ",
            "2026-05-19T13:17:34+2:00",
            "+2026-05-19T13:17:34",
            "2026-05-19T13:17:3４",
            "9999-12-31T23:59:59-01:00",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn each_style_is_fixed_width_utc() {
        let at = datetime!(2026-05-19 15:17:34.987654 +02:00);
        assert_eq!(format_utc(at, UtcStyle::Seconds), "2026-05-19T13:17:34Z");
        assert_eq!(format_utc(at, UtcStyle::Millis), "2026-05-19T13:17:34.987Z");
        assert_eq!(format_utc(at, UtcStyle::Query), "2026-05-19T13:17:34");
        let early = datetime!(0042-01-02 03:04:05.006 UTC);
        assert_eq!(
            format_utc(early, UtcStyle::Millis),
            "0042-01-02T03:04:05.006Z"
        );
    }
}
