//! The handful of time formats the real services use, each slightly different.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// `contentCreated` / `contentExpiration`: always milliseconds and `Z`
/// (`2015-05-23T17:35:00.000Z` in Microsoft's samples).
pub fn content_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A record's `CreationTime`: UTC but with no zone suffix and whole seconds,
/// which is the detail that trips naive RFC 3339 parsers.
pub fn creation_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Entra's `timestamp` field in error bodies: `2026-05-23 17:35:00Z`.
pub fn entra_timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The instants in Entra's error texts: `2026-05-23T17:35:00.0000000Z`.
pub fn entra_instant(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 100
    )
}

/// A key credential's dates as Entra's errors show them: `05/23/2026 17:35:00`.
pub fn key_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
        t.month() as u8,
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| content_time(t))
}

pub fn truncate_to_hour(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    t.replace_time(Time::from_hms(t.hour(), 0, 0).expect("valid hour"))
}

/// The forms `/subscriptions/content` accepts for `startTime`/`endTime`:
/// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DDTHH:MM:SS`, the last with an
/// optional fraction of any length (the CoE kit sends `.0000000`), each with
/// an optional trailing `Z`. Everything is UTC; explicit offsets are refused
/// because the documentation only describes UTC.
pub fn parse_query_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    let date = parse_date(s.get(..10)?)?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_utc());
    }
    let rest = rest.strip_prefix(['T', 't'])?;
    let time = parse_clock(rest, false)?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// A record's `CreationTime`: `YYYY-MM-DDTHH:MM:SS`, optionally with a
/// fraction and a `Z`. This is what "parsable" means for the truth's
/// malformed-record classification.
pub fn parse_creation_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    let date = parse_date(s.get(..10)?)?;
    let rest = s[10..].strip_prefix(['T', 't'])?;
    let time = parse_clock(rest, true)?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// For the control API: RFC 3339 with any offset, or any of the query forms.
pub fn parse_flexible(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| t.to_offset(UtcOffset::UTC))
        .or_else(|| parse_query_time(s))
}

fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(&s[0..4])? as i32;
    let month = Month::try_from(digits(&s[5..7])? as u8).ok()?;
    let day = digits(&s[8..10])? as u8;
    Date::from_calendar_date(year, month, day).ok()
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff...`; `need_seconds` refuses `HH:MM`.
fn parse_clock(s: &str, need_seconds: bool) -> Option<Time> {
    let b = s.as_bytes();
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let hour = digits(&s[0..2])? as u8;
    let minute = digits(&s[3..5])? as u8;
    if b.len() == 5 {
        return if need_seconds {
            None
        } else {
            Time::from_hms(hour, minute, 0).ok()
        };
    }
    if b.len() < 8 || b[5] != b':' {
        return None;
    }
    let second = digits(&s[6..8])? as u8;
    let nanos = match &s[8..] {
        "" => 0,
        frac => {
            let frac = frac.strip_prefix('.')?;
            if frac.is_empty() || !frac.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            // Only nanosecond precision is kept; extra digits are truncated.
            let mut padded: String = frac.chars().take(9).collect();
            while padded.len() < 9 {
                padded.push('0');
            }
            padded.parse::<u32>().ok()?
        }
    };
    Time::from_hms_nano(hour, minute, second, nanos).ok()
}

fn digits(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn query_forms() {
        let t = datetime!(2026-05-23 17:35:00 UTC);
        assert_eq!(
            parse_query_time("2026-05-23"),
            Some(datetime!(2026-05-23 0:00 UTC))
        );
        assert_eq!(parse_query_time("2026-05-23T17:35"), Some(t));
        assert_eq!(parse_query_time("2026-05-23T17:35Z"), Some(t));
        assert_eq!(parse_query_time("2026-05-23T17:35:00"), Some(t));
        assert_eq!(parse_query_time("2026-05-23T17:35:00.0000000Z"), Some(t));
        assert_eq!(
            parse_query_time("2026-05-23T17:35:00.5"),
            Some(datetime!(2026-05-23 17:35:00.5 UTC))
        );
        for bad in [
            "",
            "2026-5-23",
            "2026-05-23T",
            "2026-05-23T17",
            "2026-05-23T17:35:00.",
            "2026-05-23T17:35:00+01:00",
            "2026-02-30",
            "yesterday",
            "2026-05-23T25:00",
        ] {
            assert_eq!(parse_query_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn creation_time_forms() {
        let t = datetime!(2026-05-19 13:17:34 UTC);
        assert_eq!(creation_time(t), "2026-05-19T13:17:34");
        assert_eq!(parse_creation_time("2026-05-19T13:17:34"), Some(t));
        assert_eq!(parse_creation_time("2026-05-19T13:17:34Z"), Some(t));
        assert_eq!(parse_creation_time("2026-05-19T13:17"), None);
        assert_eq!(parse_creation_time("2026-05-19"), None);
    }

    #[test]
    fn output_forms() {
        let t = datetime!(2026-05-23 17:35:00.042 UTC);
        assert_eq!(content_time(t), "2026-05-23T17:35:00.042Z");
        assert_eq!(entra_timestamp(t), "2026-05-23 17:35:00Z");
        assert_eq!(truncate_to_hour(t), datetime!(2026-05-23 17:00 UTC));
        assert_eq!(parse_flexible(&rfc3339(t)), Some(t));
        assert_eq!(
            parse_flexible("2026-05-23T19:35:00+02:00"),
            Some(datetime!(2026-05-23 17:35 UTC))
        );
    }
}
