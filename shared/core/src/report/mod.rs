//! The usage report: launches, unique users and last launch per app over a range of UTC days,
//! read from the summaries the sync keeps (one Query per day, one for the app list; no Scan).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Date, OffsetDateTime};

use crate::runtime::HandlerError;
use crate::store::{AppMeta, DaySummary, Store, StoreError};

/// The longest range one report covers.
pub const MAX_DAYS: i64 = 366;
pub const DEFAULT_DAYS: i64 = 30;
/// Days read at once.
const DAY_CONCURRENCY: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    pub from: Date,
    pub to: Date,
    pub app_id: Option<String>,
    pub by_day: bool,
}

const EXPECTED: &str = r#"expected {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"} (UTC days, both included; optional "app_id", "by_day")"#;

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
        Ok(ReportRequest {
            from,
            to,
            app_id,
            by_day: raw.by_day,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub apps: Vec<AppUsage>,
    pub totals: Totals,
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

    let metas: BTreeMap<String, AppMeta> = store
        .apps()
        .await?
        .into_iter()
        .map(|m| (m.app_id.clone(), m))
        .collect();

    #[derive(Default)]
    struct Acc {
        launches: u64,
        users: BTreeSet<String>,
        by_day: Vec<DayUsage>,
    }
    let mut apps: BTreeMap<String, Acc> = BTreeMap::new();
    let mut all_users = BTreeSet::new();
    for summary in per_day.into_iter().flatten() {
        let acc = apps.entry(summary.app_id.clone()).or_default();
        acc.launches += summary.launches;
        acc.by_day.push(DayUsage {
            day: summary.day.clone(),
            launches: summary.launches,
            unique_users: summary.users.len() as u64,
        });
        all_users.extend(summary.users.iter().cloned());
        acc.users.extend(summary.users);
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
    Ok(Report {
        from: request.from.to_string(),
        to: request.to.to_string(),
        apps: usage,
        totals,
    })
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
        };
        let table = render_table(&report);
        assert!(table.contains("12 launches by 3 unique users across 1 apps"));
        assert!(table.contains("Expenses") && table.contains("(deleted)") && table.contains("a1"));
    }
}
