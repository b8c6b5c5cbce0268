//! The time window of a content listing, under the API's rules: startTime
//! and endTime both given or both left out, at most 24 hours apart, the
//! start no more than 7 days back (AF20055); each a datetime (AF20002).

use time::{Duration, OffsetDateTime};

use super::error::ApiError;
use super::query::QueryParams;
use crate::timefmt::{content_time, parse_query_time};

const WINDOW_RULE: &str = "Start time and end time must both be specified (or both omitted) \
     and must be less than or equal to 24 hours apart, with the start time no more than 7 days \
     in the past.";

/// The validated time window, with the strings to repeat in `NextPageUri`.
pub(super) struct Window {
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    pub start_text: String,
    pub end_text: String,
}

pub(super) fn window(query: &QueryParams, now: OffsetDateTime) -> Result<Window, ApiError> {
    let (start_text, end_text) = match (query.get("startTime"), query.get("endTime")) {
        (None, None) => return Ok(default_window(now)),
        (Some(start), Some(end)) => (start, end),
        _ => return Err(broken("only one of startTime and endTime")),
    };
    let start = parse("startTime", start_text)?;
    let end = parse("endTime", end_text)?;
    if end <= start {
        return Err(broken("endTime is not after startTime"));
    }
    if end - start > Duration::hours(24) {
        return Err(broken("more than 24 hours apart"));
    }
    if start < now - Duration::days(7) {
        return Err(broken("startTime more than 7 days in the past"));
    }
    Ok(Window {
        start,
        end,
        start_text: start_text.to_string(),
        end_text: end_text.to_string(),
    })
}

/// The documented default; NextPageUri then names it explicitly.
fn default_window(now: OffsetDateTime) -> Window {
    let start = now - Duration::hours(24);
    Window {
        start,
        end: now,
        start_text: content_time(start),
        end_text: content_time(now),
    }
}

/// The real service gives one message for every broken window rule; the
/// log says which rule it was.
fn broken(why: &str) -> ApiError {
    tracing::debug!("AF20055: {why}");
    ApiError::bad_request("AF20055", WINDOW_RULE)
}

fn parse(name: &str, text: &str) -> Result<OffsetDateTime, ApiError> {
    parse_query_time(text).ok_or_else(|| {
        ApiError::bad_request(
            "AF20002",
            format!("Invalid parameter type: {name}. Expected type: datetime"),
        )
    })
}
