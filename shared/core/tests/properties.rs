//! Properties of the parsers that read what the network and the callers send: whatever comes
//! in, the answer is a value or a clear error, never a panic.

use audit_core::api::{ServiceError, TimeWindow, parse_api_time};
use audit_core::records::{UtcStyle, format_utc};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

fn utc_time() -> impl Strategy<Value = OffsetDateTime> {
    // 2020 to 2035, to the nanosecond.
    (1_577_836_800i64..2_082_758_400i64, 0u32..1_000_000_000u32).prop_map(|(secs, nanos)| {
        OffsetDateTime::from_unix_timestamp(secs).unwrap() + Duration::nanoseconds(nanos as i64)
    })
}

proptest! {
    #[test]
    fn error_bodies_of_any_shape_become_bounded_errors(body in prop::collection::vec(any::<u8>(), 0..2048), status in 100u16..600) {
        let error = ServiceError::from_body(status, &body);
        let shown = error.to_string();
        prop_assert!(shown.len() <= 2 * body.len() + 1024, "{} bytes shown for {} bytes", shown.len(), body.len());
        prop_assert_eq!(error.status, status);
    }

    #[test]
    fn error_envelopes_keep_code_and_message(code in "[A-Z]{2}[0-9]{3,5}", message in "[ -~]{0,80}") {
        let body = serde_json::json!({"error": {"code": code, "message": message}}).to_string();
        let error = ServiceError::from_body(400, body.as_bytes());
        prop_assert_eq!(error.code.as_deref(), Some(code.as_str()));
        prop_assert_eq!(error.message, message);
    }

    #[test]
    fn api_times_round_trip(t in utc_time()) {
        let to_the_milli = t.replace_nanosecond(t.millisecond() as u32 * 1_000_000).unwrap();
        prop_assert_eq!(parse_api_time(&format_utc(t, UtcStyle::Millis)), Some(to_the_milli));
    }

    #[test]
    fn any_text_is_a_time_or_none(text in "\\PC{0,40}") {
        let _ = parse_api_time(&text);
    }

    #[test]
    fn windows_cover_the_range_without_gaps(start in utc_time(), minutes in 0i64..(10 * 24 * 60)) {
        let end = start + Duration::minutes(minutes);
        let windows = TimeWindow::split(start, end);
        let start_s = start.replace_nanosecond(0).unwrap();
        let end_s = end.replace_nanosecond(0).unwrap();
        if start_s < end_s {
            prop_assert_eq!(windows.first().unwrap().start(), start_s);
            prop_assert_eq!(windows.last().unwrap().end(), end_s);
        } else {
            prop_assert!(windows.is_empty());
        }
        for pair in windows.windows(2) {
            prop_assert_eq!(pair[0].end(), pair[1].start());
        }
        for w in &windows {
            prop_assert!(w.end() > w.start() && w.end() - w.start() <= Duration::hours(24));
        }
    }
}
