//! The usage report: launches, unique users and last launch per app over a range of UTC days,
//! read from the summaries the sync keeps (one Query per day, one for the app list; no Scan).
//! [`html`] draws the same report as a self-contained page; [`publish`] puts that page in S3.

pub mod html;
pub mod publish;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};

use crate::store::{AppMeta, DaySummary, Store, StoreError};

/// The longest range one report covers.
pub const MAX_DAYS: i64 = 366;
pub const DEFAULT_DAYS: i64 = 30;
/// Apps listed on the page by default; the rest are summed up in one line.
pub const DEFAULT_TOP: usize = 50;
/// Beyond this a table stops being something a person reads; the JSON has everything.
pub const MAX_TOP: usize = 1000;
/// Days read at once.
const DAY_CONCURRENCY: usize = 8;

/// What the caller gets back: the report as JSON, or the page drawn from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Json,
    Html,
}

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

/// What `audit-report` is invoked with; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"an object such as {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} (UTC days, both included; optional "app_id", "by_day", "format": "json"|"html", "publish", "top")"#
)]
pub struct ReportEvent {
    /// The first day, `YYYY-MM-DD`; default 30 days before `to`.
    pub from: Option<String>,
    /// The last day, included; default today (UTC).
    pub to: Option<String>,
    /// One app only.
    pub app_id: Option<String>,
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
        Ok(ReportRequest {
            from,
            to,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayUsage {
    pub day: String,
    pub launches: u64,
    pub unique_users: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUsage {
    pub app_id: String,
    pub app_name: Option<String>,
    pub launches: u64,
    pub unique_users: u64,
    /// The newest launch ever stored, in or out of the range.
    pub last_launched: Option<String>,
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_day: Option<Vec<DayUsage>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub launches: u64,
    /// Distinct over all apps and the whole range.
    pub unique_users: u64,
    pub apps: u64,
}

/// An app launched before the range and not in it: a candidate for clean-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InactiveApp {
    pub app_id: String,
    pub app_name: Option<String>,
    pub last_launched: String,
}

/// An app deleted on a day of the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedApp {
    pub app_id: String,
    pub app_name: Option<String>,
    pub deleted_at: String,
    pub last_launched: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub apps: Vec<AppUsage>,
    pub totals: Totals,
    /// Every day of the range, over all apps; `unique_users` is distinct across apps.
    #[serde(default)]
    pub days: Vec<DayUsage>,
    /// Oldest last launch first: the likeliest to be unused.
    #[serde(default)]
    pub inactive_apps: Vec<InactiveApp>,
    /// Newest deletion first.
    #[serde(default)]
    pub deleted_apps: Vec<DeletedApp>,
}

pub async fn build(store: &Store, request: &ReportRequest) -> Result<Report, StoreError> {
    let days: Vec<Date> = request.days().collect();
    let per_day: Vec<Vec<DaySummary>> = futures::stream::iter(days.iter().map(|day| {
        let day = day.to_string();
        async move {
            match &request.app_id {
                Some(app) => store.app_day_summary(&day, app).await,
                None => store.day_summaries(&day).await,
            }
        }
    }))
    .buffered(DAY_CONCURRENCY)
    .try_collect()
    .await?;
    Ok(assemble(request, per_day, store.apps().await?))
}

/// The report from what was read: the summaries of each day of the range, in order, and every
/// app's facts.
fn assemble(request: &ReportRequest, per_day: Vec<Vec<DaySummary>>, metas: Vec<AppMeta>) -> Report {
    let days: Vec<Date> = request.days().collect();
    let metas: BTreeMap<String, AppMeta> =
        metas.into_iter().map(|m| (m.app_id.clone(), m)).collect();

    #[derive(Default)]
    struct Acc {
        launches: u64,
        users: BTreeSet<String>,
        by_day: Vec<DayUsage>,
    }
    let mut apps: BTreeMap<String, Acc> = BTreeMap::new();
    let mut all_users = BTreeSet::new();
    let mut day_totals = Vec::with_capacity(days.len());
    for (day, summaries) in days.iter().zip(per_day) {
        let mut day_launches = 0;
        let mut day_users = BTreeSet::new();
        for summary in summaries {
            day_launches += summary.launches;
            day_users.extend(summary.users.iter().cloned());
            let acc = apps.entry(summary.app_id.clone()).or_default();
            acc.launches += summary.launches;
            acc.by_day.push(DayUsage {
                day: summary.day.clone(),
                launches: summary.launches,
                unique_users: summary.users.len() as u64,
            });
            acc.users.extend(summary.users);
        }
        day_totals.push(DayUsage {
            day: day.to_string(),
            launches: day_launches,
            unique_users: day_users.len() as u64,
        });
        all_users.extend(day_users);
    }

    let mut usage: Vec<AppUsage> = apps
        .into_iter()
        .filter(|(_, acc)| acc.launches > 0)
        .map(|(app_id, acc)| {
            let meta = metas.get(&app_id);
            AppUsage {
                app_name: meta.and_then(|m| m.app_name.clone()),
                last_launched: meta.and_then(|m| m.last_launched.clone()),
                deleted: meta.is_some_and(|m| m.deleted_at.is_some()),
                deleted_at: meta.and_then(|m| m.deleted_at.clone()),
                launches: acc.launches,
                unique_users: acc.users.len() as u64,
                by_day: request.by_day.then_some(acc.by_day),
                app_id,
            }
        })
        .collect();
    usage.sort_by(|a, b| {
        b.launches
            .cmp(&a.launches)
            .then_with(|| a.app_id.cmp(&b.app_id))
    });
    let totals = Totals {
        launches: usage.iter().map(|a| a.launches).sum(),
        unique_users: all_users.len() as u64,
        apps: usage.len() as u64,
    };
    let (from, to) = (request.from.to_string(), request.to.to_string());
    let wanted = |meta: &&AppMeta| request.app_id.as_ref().is_none_or(|id| *id == meta.app_id);
    let active: BTreeSet<&str> = usage.iter().map(|a| a.app_id.as_str()).collect();

    // Deleted apps are already cleaned up, so they are not clean-up candidates. An app whose
    // last launch is after the range may or may not have been launched before it: not listed.
    let mut inactive_apps: Vec<InactiveApp> = metas
        .values()
        .filter(wanted)
        .filter(|m| m.deleted_at.is_none() && !active.contains(m.app_id.as_str()))
        .filter_map(|m| {
            let last = m.last_launched.as_ref()?;
            (day_part(last) < from.as_str()).then(|| InactiveApp {
                app_id: m.app_id.clone(),
                app_name: m.app_name.clone(),
                last_launched: last.clone(),
            })
        })
        .collect();
    inactive_apps.sort_by(|a, b| {
        a.last_launched
            .cmp(&b.last_launched)
            .then_with(|| a.app_id.cmp(&b.app_id))
    });

    let mut deleted_apps: Vec<DeletedApp> = metas
        .values()
        .filter(wanted)
        .filter_map(|m| {
            let at = m.deleted_at.as_ref()?;
            let day = day_part(at);
            (from.as_str() <= day && day <= to.as_str()).then(|| DeletedApp {
                app_id: m.app_id.clone(),
                app_name: m.app_name.clone(),
                deleted_at: at.clone(),
                last_launched: m.last_launched.clone(),
            })
        })
        .collect();
    deleted_apps.sort_by(|a, b| {
        b.deleted_at
            .cmp(&a.deleted_at)
            .then_with(|| a.app_id.cmp(&b.app_id))
    });

    Report {
        from,
        to,
        apps: usage,
        totals,
        days: day_totals,
        inactive_apps,
        deleted_apps,
    }
}

/// `YYYY-MM-DD` of a stored UTC timestamp (`YYYY-MM-DDTHH:MM:SSZ`).
fn day_part(timestamp: &str) -> &str {
    timestamp.get(..10).unwrap_or(timestamp)
}

/// The report as a plain-text table for terminals.
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Power Apps usage, {} to {} (UTC)",
        report.from, report.to
    );
    let _ = writeln!(
        out,
        "{} launches by {} unique users across {} apps",
        report.totals.launches, report.totals.unique_users, report.totals.apps
    );
    if report.apps.is_empty() {
        let _ = writeln!(out, "\nNo launches in this range.");
        return out;
    }
    let name_width = report
        .apps
        .iter()
        .map(|a| display_name(a).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, 40);
    let _ = writeln!(
        out,
        "\n{:<name_width$}  {:>8}  {:>12}  {:<20}  App id",
        "App", "Launches", "Unique users", "Last launched"
    );
    let _ = writeln!(out, "{}", "-".repeat(name_width + 82));
    for app in &report.apps {
        let name: String = display_name(app).chars().take(name_width).collect();
        let _ = writeln!(
            out,
            "{:<name_width$}  {:>8}  {:>12}  {:<20}  {}{}",
            name,
            app.launches,
            app.unique_users,
            app.last_launched.as_deref().unwrap_or("-"),
            app.app_id,
            if app.deleted { "  (deleted)" } else { "" }
        );
    }
    out
}

fn display_name(app: &AppUsage) -> &str {
    app.app_name.as_deref().unwrap_or("(no name)")
}

/// The JSON reply: the report itself.
pub fn json_reply(report: &Report) -> Value {
    serde_json::to_value(report).expect("the report is plain data")
}

/// The page for `request`, stamped with when it was made.
pub fn page(request: &ReportRequest, report: &Report, now: OffsetDateTime) -> String {
    html::render(
        report,
        &html::HtmlOptions {
            top: request.top,
            generated_at: Some(utc_seconds(now)),
        },
    )
}

/// The HTML reply: the page inside JSON (Lambda replies are JSON), with the totals beside it
/// so a caller can check the page without parsing it.
pub fn html_reply(request: &ReportRequest, report: &Report, now: OffsetDateTime) -> Value {
    serde_json::json!({
        "format": "html",
        "from": report.from,
        "to": report.to,
        "totals": report.totals,
        "html": page(request, report, now),
    })
}

/// Writes the page to the report bucket; the reply has the pre-signed link instead of the page.
pub async fn publish_reply(
    publisher: &publish::Publisher,
    request: &ReportRequest,
    report: &Report,
    now: OffsetDateTime,
) -> Result<Value, publish::PublishError> {
    let key = publisher
        .config
        .key(&report.from, &report.to, request.app_id.as_deref());
    let published = publisher
        .publish(&key, page(request, report, now), now)
        .await?;
    let mut reply = serde_json::json!({
        "format": "html",
        "from": report.from,
        "to": report.to,
        "totals": report.totals,
    });
    if let (Value::Object(reply), Value::Object(published)) = (
        &mut reply,
        serde_json::to_value(&published).expect("plain data"),
    ) {
        reply.extend(published);
    }
    Ok(reply)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
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
        ] {
            assert!(parse(bad.clone()).is_err(), "{bad}");
        }
        assert!(parse(json!({"from": "2025-11-24", "to": "2026-11-24"})).is_ok());
        assert!(parse(json!({"from": "2025-11-23", "to": "2026-11-24"})).is_err());
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

    fn summary(app: &str, day: &str, launches: u64, users: &[&str]) -> DaySummary {
        DaySummary {
            app_id: app.into(),
            day: day.into(),
            launches,
            users: users.iter().map(|u| u.to_string()).collect(),
            last_launch: None,
        }
    }

    fn meta(app: &str, last: Option<&str>, deleted: Option<&str>) -> AppMeta {
        AppMeta {
            app_id: app.into(),
            app_name: Some(format!("{app} name")),
            last_launched: last.map(str::to_string),
            deleted_at: deleted.map(str::to_string),
        }
    }

    #[test]
    fn days_inactive_and_deleted_apps_come_from_the_same_reads() {
        let request = parse(json!({"from": "2026-11-10", "to": "2026-11-12"})).unwrap();
        let per_day = vec![
            vec![
                summary("a", "2026-11-10", 3, &["u1", "u2"]),
                summary("b", "2026-11-10", 2, &["u2", "u3"]),
            ],
            vec![],
            vec![summary("a", "2026-11-12", 1, &["u1"])],
        ];
        let metas = vec![
            meta("a", Some("2026-11-12T08:00:00Z"), None),
            meta(
                "b",
                Some("2026-11-10T09:00:00Z"),
                Some("2026-11-11T10:00:00Z"),
            ),
            // Launched before the range only: inactive, oldest first.
            meta("old", Some("2026-10-01T00:00:00Z"), None),
            meta("older", Some("2026-09-01T00:00:00Z"), None),
            // Deleted before the range: neither inactive nor deleted in the range.
            meta(
                "gone",
                Some("2026-09-05T00:00:00Z"),
                Some("2026-10-01T00:00:00Z"),
            ),
            // Launched after the range only: not known to be launched before it.
            meta("later", Some("2026-11-20T00:00:00Z"), None),
            // Deleted after the range.
            meta(
                "gone-later",
                Some("2026-11-01T00:00:00Z"),
                Some("2026-11-13T00:00:00Z"),
            ),
            // Never launched (a deletion seen, nothing else), deleted in the range.
            meta("never", None, Some("2026-11-12T23:59:59Z")),
        ];
        let report = assemble(&request, per_day, metas);
        assert_eq!(
            report.days,
            vec![
                DayUsage {
                    day: "2026-11-10".into(),
                    launches: 5,
                    unique_users: 3
                },
                DayUsage {
                    day: "2026-11-11".into(),
                    launches: 0,
                    unique_users: 0
                },
                DayUsage {
                    day: "2026-11-12".into(),
                    launches: 1,
                    unique_users: 1
                },
            ]
        );
        assert_eq!(
            report.totals,
            Totals {
                launches: 6,
                unique_users: 3,
                apps: 2
            }
        );
        let inactive: Vec<&str> = report
            .inactive_apps
            .iter()
            .map(|a| a.app_id.as_str())
            .collect();
        assert_eq!(
            inactive,
            ["older", "old"],
            "deleted apps are cleaned up already"
        );
        let deleted: Vec<&str> = report
            .deleted_apps
            .iter()
            .map(|a| a.app_id.as_str())
            .collect();
        assert_eq!(deleted, ["never", "b"]);
        assert_eq!(
            report.deleted_apps[1].last_launched.as_deref(),
            Some("2026-11-10T09:00:00Z")
        );

        // Narrowed to one app, every list is about that app only.
        let one =
            parse(json!({"from": "2026-11-10", "to": "2026-11-12", "app_id": "old"})).unwrap();
        let report = assemble(
            &one,
            vec![vec![], vec![], vec![]],
            vec![
                meta("old", Some("2026-10-01T00:00:00Z"), None),
                meta("b", None, Some("2026-11-11T00:00:00Z")),
            ],
        );
        assert_eq!(report.inactive_apps.len(), 1);
        assert!(report.deleted_apps.is_empty());
    }

    #[test]
    fn the_table_names_every_app() {
        let report = Report {
            from: "2026-11-01".into(),
            to: "2026-11-02".into(),
            apps: vec![AppUsage {
                app_id: "a1".into(),
                app_name: Some("Expenses".into()),
                launches: 12,
                unique_users: 3,
                last_launched: Some("2026-11-02T10:00:00Z".into()),
                deleted: true,
                deleted_at: Some("2026-11-02T11:00:00Z".into()),
                by_day: None,
            }],
            totals: Totals {
                launches: 12,
                unique_users: 3,
                apps: 1,
            },
            days: vec![],
            inactive_apps: vec![],
            deleted_apps: vec![],
        };
        let table = render_table(&report);
        assert!(table.contains("12 launches by 3 unique users across 1 apps"));
        assert!(table.contains("Expenses") && table.contains("(deleted)") && table.contains("a1"));
    }
}
