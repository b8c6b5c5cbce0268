//! What a caller asks for: the range of UTC days, one app or all, the format, publishing, and
//! how many apps the page lists; read from the invocation event and checked against the limits.

use serde::Deserialize;
use serde_json::Value;
use time::Date;

use crate::runtime::HandlerError;

/// The longest range one report covers.
pub const MAX_DAYS: i64 = 366;
pub const DEFAULT_DAYS: i64 = 30;
/// Apps listed on the page by default; the rest are summed up in one line.
pub const DEFAULT_TOP: usize = 50;
/// Beyond this a table stops being something a person reads; the JSON has everything.
pub const MAX_TOP: usize = 1000;

/// What the caller gets back: the report as JSON, or the page drawn from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Html,
}

/// A checked request: the range is ordered and within [`MAX_DAYS`], `app_id` is lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    pub from: Date,
    pub to: Date,
    pub app_id: Option<String>,
    pub by_day: bool,
    pub format: Format,
    /// Write the page to the report bucket and answer with a pre-signed URL.
    pub publish: bool,
    /// Apps (and inactive or deleted apps) listed one by one on the page.
    pub top: usize,
}

const EXPECTED: &str = r#"expected {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} (UTC days, both included; optional "app_id", "by_day", "format": "json"|"html", "publish", "top")"#;

impl ReportRequest {
    /// Reads the event; `today` (UTC) anchors the default range, the last 30 days.
    pub fn parse(event: Value, today: Date) -> Result<ReportRequest, HandlerError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            from: Option<String>,
            to: Option<String>,
            app_id: Option<String>,
            #[serde(default)]
            by_day: bool,
            format: Option<String>,
            #[serde(default)]
            publish: bool,
            top: Option<u64>,
        }
        let event = if event.is_null() {
            Value::Object(Default::default())
        } else {
            event
        };
        let raw: Raw = serde_json::from_value(event)
            .map_err(|err| HandlerError::input(format!("invalid event: {err}; {EXPECTED}")))?;
        let day = |name: &str, value: &str| {
            Date::parse(
                value.trim(),
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|_| {
                HandlerError::input(format!("\"{name}\" is {value:?}, not a date; {EXPECTED}"))
            })
        };
        let to = raw
            .to
            .as_deref()
            .map(|v| day("to", v))
            .transpose()?
            .unwrap_or(today);
        let from = match raw.from.as_deref() {
            Some(value) => day("from", value)?,
            None => to - time::Duration::days(DEFAULT_DAYS - 1),
        };
        if from > to {
            return Err(HandlerError::input(format!(
                "\"from\" ({from}) is after \"to\" ({to})"
            )));
        }
        let days = (to - from).whole_days() + 1;
        if days > MAX_DAYS {
            return Err(HandlerError::input(format!(
                "the range covers {days} days; a report covers at most {MAX_DAYS}"
            )));
        }
        let app_id = raw
            .app_id
            .map(|id| id.trim().to_lowercase())
            .filter(|id| !id.is_empty());
        let format = match raw.format.as_deref().map(str::trim) {
            None => {
                // Only a page is published, so asking to publish is asking for the page.
                if raw.publish {
                    Format::Html
                } else {
                    Format::Json
                }
            }
            Some(f) if f.eq_ignore_ascii_case("json") => Format::Json,
            Some(f) if f.eq_ignore_ascii_case("html") => Format::Html,
            Some(other) => {
                return Err(HandlerError::input(format!(
                    "\"format\" is {other:?}: expected \"json\" or \"html\""
                )));
            }
        };
        if raw.publish && format != Format::Html {
            return Err(HandlerError::input(
                "\"publish\" writes the HTML page: use it with \"format\": \"html\" (or leave \"format\" out)",
            ));
        }
        let top = match raw.top {
            None => DEFAULT_TOP,
            Some(top) if (1..=MAX_TOP as u64).contains(&top) => top as usize,
            Some(top) => {
                return Err(HandlerError::input(format!(
                    "\"top\" is {top}: expected 1 to {MAX_TOP} apps listed on the page"
                )));
            }
        };
        Ok(ReportRequest {
            from,
            to,
            app_id,
            by_day: raw.by_day,
            format,
            publish: raw.publish,
            top,
        })
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = Date> + '_ {
        let mut day = Some(self.from);
        std::iter::from_fn(move || {
            let current = day.filter(|d| *d <= self.to)?;
            day = current.next_day();
            Some(current)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 24);

    #[test]
    fn default_is_the_last_thirty_days() {
        let r = ReportRequest::parse(json!({}), TODAY).unwrap();
        assert_eq!((r.from, r.to), (date!(2026 - 10 - 26), TODAY));
        assert_eq!(r.days().count(), 30);
    }

    #[test]
    fn ranges_are_checked() {
        let r = ReportRequest::parse(
            json!({"from": "2026-11-01", "to": "2026-11-01", "app_id": " ABC "}),
            TODAY,
        )
        .unwrap();
        assert_eq!(r.days().count(), 1);
        assert_eq!(r.app_id.as_deref(), Some("abc"));
        for bad in [
            json!({"from": "2026-11-02", "to": "2026-11-01"}),
            json!({"from": "2025-01-01", "to": "2026-11-01"}),
            json!({"from": "yesterday"}),
            json!({"from": "2026-13-01"}),
            json!({"form": "2026-11-01"}),
            json!({"by_day": "yes"}),
            json!({"format": "pdf"}),
            json!({"format": "json", "publish": true}),
            json!({"top": 0}),
            json!({"top": 1001}),
        ] {
            let err = ReportRequest::parse(bad.clone(), TODAY).unwrap_err();
            assert_eq!(err.error_type, "InputError", "{bad}");
        }
        assert!(
            ReportRequest::parse(json!({"from": "2025-11-24", "to": "2026-11-24"}), TODAY).is_ok()
        );
        assert!(
            ReportRequest::parse(json!({"from": "2025-11-23", "to": "2026-11-24"}), TODAY).is_err()
        );
    }

    #[test]
    fn the_page_is_asked_for_by_format_or_by_publishing() {
        let parse = |event| ReportRequest::parse(event, TODAY).unwrap();
        let r = parse(json!({}));
        assert_eq!(
            (r.format, r.publish, r.top),
            (Format::Json, false, DEFAULT_TOP)
        );
        let r = parse(json!({"format": " HTML ", "top": 10}));
        assert_eq!((r.format, r.publish, r.top), (Format::Html, false, 10));
        let r = parse(json!({"publish": true}));
        assert_eq!((r.format, r.publish), (Format::Html, true));
        let r = parse(json!({"format": "html", "publish": true}));
        assert_eq!((r.format, r.publish), (Format::Html, true));
        let err = ReportRequest::parse(json!({"format": "pdf"}), TODAY).unwrap_err();
        assert!(err.message.contains("\"html\""), "{}", err.message);
    }
}
