//! What a caller asks for: the range of UTC days, one app or all, the format, publishing, and
//! how many apps the page lists; read from the invocation event and checked against the limits.

use serde::Deserialize;
use time::Date;

/// The longest range one report covers.
pub const MAX_DAYS: i64 = 366;
/// The range when the event names none: the last 30 days.
pub const DEFAULT_DAYS: i64 = 30;
/// Apps listed on the page by default; the rest are summed up in one line.
pub const DEFAULT_TOP: usize = 50;
/// Beyond this a table stops being something a person reads; the JSON has everything.
pub const MAX_TOP: usize = 1000;

/// What the caller gets back: the report as JSON, or the page drawn from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The report itself.
    #[default]
    Json,
    /// The dashboard page.
    Html,
}

/// Which question the report answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// Launches and unique users per app (the default).
    #[default]
    Apps,
    /// Launches, unique users and active apps per environment.
    Environments,
    /// The people who launch most, or one person's apps.
    Users,
    /// Copilot Studio agents: turns, conversations, users.
    Agents,
    /// Flow lifecycle: created, edited, deleted, by whom.
    Flows,
    /// Every tenant's totals, for a report function that may read every tenant.
    Tenants,
}

impl View {
    /// The name callers use.
    pub fn as_str(self) -> &'static str {
        match self {
            View::Apps => "apps",
            View::Environments => "environments",
            View::Users => "users",
            View::Agents => "agents",
            View::Flows => "flows",
            View::Tenants => "tenants",
        }
    }

    const ALL: [View; 6] = [
        View::Apps,
        View::Environments,
        View::Users,
        View::Agents,
        View::Flows,
        View::Tenants,
    ];
}

/// A checked request: the range is ordered and within [`MAX_DAYS`], `app_id` is lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// The first day.
    pub from: Date,
    /// The last day, included.
    pub to: Date,
    /// One app only, lower-cased.
    pub app_id: Option<String>,
    /// The view asked for.
    pub view: View,
    /// The users view: this person's apps (lower-cased UPN).
    pub user: Option<String>,
    /// One environment only (compared without letter case).
    pub environment_id: Option<String>,
    /// Each app's days too.
    pub by_day: bool,
    /// JSON or the page.
    pub format: Format,
    /// Write the page to the report bucket and answer with a pre-signed URL.
    pub publish: bool,
    /// Apps (and inactive or deleted apps) listed one by one on the page.
    pub top: usize,
    /// The tenant reported on (lower-cased Directory ID); without it, the variables' tenant.
    pub tenant: Option<String>,
    /// A registered tenant's published pages go in a folder of their own; the variables'
    /// tenant's stay where a single-tenant deployment puts them.
    pub tenant_folder: Option<String>,
}

const EXPECTED: &str = r#"expected {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} (UTC days, both included; optional "view": "apps"|"environments"|"users"|"agents"|"flows", "environment_id", "user", "app_id", "by_day", "format": "json"|"html", "publish", "top", "tenant")"#;

/// What `audit-report` is invoked with; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"an object such as {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} (UTC days, both included; optional "view": "apps"|"environments"|"users"|"agents"|"flows", "environment_id", "user", "app_id", "by_day", "format": "json"|"html", "publish", "top", "tenant")"#
)]
pub struct ReportEvent {
    /// The first day, `YYYY-MM-DD`; default 30 days before `to`.
    pub from: Option<String>,
    /// The last day, included; default today (UTC).
    pub to: Option<String>,
    /// One app only.
    pub app_id: Option<String>,
    /// `apps` (default), `environments`, `users`, `agents` or `flows`.
    pub view: Option<String>,
    /// With `"view": "users"`: that person's apps.
    pub user: Option<String>,
    /// One environment only, in any view.
    pub environment_id: Option<String>,
    /// Each app's days too.
    #[serde(default)]
    pub by_day: bool,
    /// `json` (default) or `html`.
    pub format: Option<String>,
    /// Put the page in the report bucket and answer with a link.
    #[serde(default)]
    pub publish: bool,
    /// Apps listed on the page.
    pub top: Option<u64>,
    /// The tenant to report on (a registered one, or the variables'); without it, the
    /// variables' tenant.
    pub tenant: Option<String>,
}

/// An event that asks for a report this function cannot give; the message says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RequestError(String);

impl ReportRequest {
    /// The request an event makes; `today` (UTC) anchors the default range, the last 30 days.
    pub fn from_event(event: ReportEvent, today: Date) -> Result<ReportRequest, RequestError> {
        let (from, to) = range(event.from.as_deref(), event.to.as_deref(), today)?;
        let format = format(event.format.as_deref(), event.publish)?;
        let top = match event.top {
            None => DEFAULT_TOP,
            Some(top) if (1..=MAX_TOP as u64).contains(&top) => top as usize,
            Some(top) => {
                return Err(RequestError(format!(
                    "\"top\" is {top}: expected 1 to {MAX_TOP} apps listed on the page"
                )));
            }
        };
        let view = view(event.view.as_deref())?;
        let trimmed = |value: Option<String>| {
            value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let user = trimmed(event.user).map(|u| u.to_lowercase());
        if user.is_some() && view != View::Users {
            return Err(RequestError(format!(
                "\"user\" picks one person's apps in the users view: add \"view\": \"users\" \
                 (the view asked for is \"{}\")",
                view.as_str()
            )));
        }
        if user.is_some() && format == Format::Html {
            return Err(RequestError(
                "\"user\" is answered as JSON or --table; the page shows the whole dashboard"
                    .into(),
            ));
        }
        let tenant = trimmed(event.tenant).map(|t| t.to_lowercase());
        if view == View::Tenants && (tenant.is_some() || format == Format::Html) {
            return Err(RequestError(
                "\"view\": \"tenants\" sums every tenant, as JSON or --table: leave out \
                 \"tenant\" and \"format\""
                    .into(),
            ));
        }
        Ok(ReportRequest {
            from,
            to,
            view,
            tenant,
            tenant_folder: None,
            user,
            environment_id: trimmed(event.environment_id).map(|e| e.to_lowercase()),
            app_id: event
                .app_id
                .map(|id| id.trim().to_lowercase())
                .filter(|id| !id.is_empty()),
            by_day: event.by_day,
            format,
            publish: event.publish,
            top,
        })
    }

    /// Every day of the range, `from` to `to`, oldest first.
    pub fn days(&self) -> impl Iterator<Item = Date> + '_ {
        let mut day = Some(self.from);
        std::iter::from_fn(move || {
            let current = day.filter(|d| *d <= self.to)?;
            day = current.next_day();
            Some(current)
        })
    }
}

fn range(from: Option<&str>, to: Option<&str>, today: Date) -> Result<(Date, Date), RequestError> {
    let day = |name: &str, value: &str| {
        Date::parse(
            value.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|_| RequestError(format!("\"{name}\" is {value:?}, not a date; {EXPECTED}")))
    };
    let to = to.map(|v| day("to", v)).transpose()?.unwrap_or(today);
    let from = match from {
        Some(value) => day("from", value)?,
        None => to - time::Duration::days(DEFAULT_DAYS - 1),
    };
    if from > to {
        return Err(RequestError(format!(
            "\"from\" ({from}) is after \"to\" ({to})"
        )));
    }
    let days = (to - from).whole_days() + 1;
    if days > MAX_DAYS {
        return Err(RequestError(format!(
            "the range covers {days} days; a report covers at most {MAX_DAYS}"
        )));
    }
    Ok((from, to))
}

fn view(name: Option<&str>) -> Result<View, RequestError> {
    let Some(name) = name.map(str::trim) else {
        return Ok(View::Apps);
    };
    View::ALL
        .into_iter()
        .find(|v| v.as_str().eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            RequestError(format!(
                "\"view\" is {name:?}: expected \"apps\", \"environments\", \"users\", \
                 \"agents\", \"flows\" or \"tenants\""
            ))
        })
}

fn format(format: Option<&str>, publish: bool) -> Result<Format, RequestError> {
    let format = match format.map(str::trim) {
        // Only a page is published, so asking to publish is asking for the page.
        None if publish => Format::Html,
        None => Format::Json,
        Some(f) if f.eq_ignore_ascii_case("json") => Format::Json,
        Some(f) if f.eq_ignore_ascii_case("html") => Format::Html,
        Some(other) => {
            return Err(RequestError(format!(
                "\"format\" is {other:?}: expected \"json\" or \"html\""
            )));
        }
    };
    if publish && format != Format::Html {
        return Err(RequestError(
            "\"publish\" writes the HTML page: use it with \"format\": \"html\" (or leave \"format\" out)"
                .into(),
        ));
    }
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 24);

    /// As the function sees an event: its shape first, then what it asks for.
    fn parse(event: Value) -> Result<ReportRequest, String> {
        let event: ReportEvent = serde_json::from_value(event).map_err(|err| err.to_string())?;
        ReportRequest::from_event(event, TODAY).map_err(|err| err.to_string())
    }

    #[test]
    fn default_is_the_last_thirty_days() {
        let r = parse(json!({})).unwrap();
        assert_eq!((r.from, r.to), (date!(2026 - 10 - 26), TODAY));
        assert_eq!(r.days().count(), 30);
    }

    #[test]
    fn ranges_are_checked() {
        let r =
            parse(json!({"from": "2026-11-01", "to": "2026-11-01", "app_id": " ABC "})).unwrap();
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
            json!({"view": "people"}),
            json!({"user": "ana@contoso.com"}),
            json!({"view": "users", "user": "ana", "format": "html"}),
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad}");
        }
        assert!(parse(json!({"from": "2025-11-24", "to": "2026-11-24"})).is_ok());
        assert!(parse(json!({"from": "2025-11-23", "to": "2026-11-24"})).is_err());
    }

    #[test]
    fn views_environments_and_users_are_read_as_given_without_case() {
        let r = parse(json!({"view": " Users ", "user": " Ana@Contoso.COM ", "environment_id": "Default-ABC"})).unwrap();
        assert_eq!(r.view, View::Users);
        assert_eq!(r.user.as_deref(), Some("ana@contoso.com"));
        assert_eq!(r.environment_id.as_deref(), Some("default-abc"));
        assert_eq!(parse(json!({})).unwrap().view, View::Apps);
        let err = parse(json!({"view": "bots"})).unwrap_err();
        assert!(err.contains("\"agents\""), "{err}");
    }

    #[test]
    fn the_page_is_asked_for_by_format_or_by_publishing() {
        let ok = |event| parse(event).unwrap();
        let r = ok(json!({}));
        assert_eq!(
            (r.format, r.publish, r.top),
            (Format::Json, false, DEFAULT_TOP)
        );
        let r = ok(json!({"format": " HTML ", "top": 10}));
        assert_eq!((r.format, r.publish, r.top), (Format::Html, false, 10));
        let r = ok(json!({"publish": true}));
        assert_eq!((r.format, r.publish), (Format::Html, true));
        let r = ok(json!({"format": "html", "publish": true}));
        assert_eq!((r.format, r.publish), (Format::Html, true));
        let err = parse(json!({"format": "pdf"})).unwrap_err();
        assert!(err.contains("\"html\""), "{err}");
    }
}
