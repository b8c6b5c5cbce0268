//! The report from what the store holds: each day's per-app summaries and every app's facts,
//! tallied into per-day totals, app rows, inactive apps and deleted apps.

use std::collections::{BTreeMap, BTreeSet};

use time::Date;

use super::clock::day_part;
use super::{AppUsage, DayUsage, DeletedApp, InactiveApp, Report, ReportRequest, Totals};
use crate::store::{AppMeta, DaySummary};

/// The report from what was read: the summaries of each day of the range, in order, and every
/// app's facts.
pub(super) fn assemble(
    request: &ReportRequest,
    per_day: Vec<Vec<DaySummary>>,
    metas: Vec<AppMeta>,
) -> Report {
    let metas: BTreeMap<String, AppMeta> =
        metas.into_iter().map(|m| (m.app_id.clone(), m)).collect();
    let tally = Tally::of(request.days().zip(per_day));
    let apps = app_usage(tally.apps, &metas, request.by_day);
    let totals = Totals {
        launches: apps.iter().map(|a| a.launches).sum(),
        unique_users: tally.users.len() as u64,
        apps: apps.len() as u64,
    };
    let (from, to) = (request.from.to_string(), request.to.to_string());
    let wanted: Vec<&AppMeta> = metas
        .values()
        .filter(|meta| request.app_id.as_ref().is_none_or(|id| *id == meta.app_id))
        .collect();
    let inactive_apps = inactive_apps(&wanted, &apps, &from);
    let deleted_apps = deleted_apps(&wanted, &from, &to);
    Report {
        from,
        to,
        apps,
        totals,
        days: tally.days,
        inactive_apps,
        deleted_apps,
    }
}

/// What the range's summaries add up to.
#[derive(Default)]
struct Tally {
    apps: BTreeMap<String, AppTally>,
    /// Every day of the range, over all apps.
    days: Vec<DayUsage>,
    /// Distinct over all apps and days.
    users: BTreeSet<String>,
}

#[derive(Default)]
struct AppTally {
    launches: u64,
    users: BTreeSet<String>,
    by_day: Vec<DayUsage>,
}

impl Tally {
    fn of(days: impl Iterator<Item = (Date, Vec<DaySummary>)>) -> Tally {
        let mut tally = Tally::default();
        for (day, summaries) in days {
            tally.add_day(day, summaries);
        }
        tally
    }

    /// A day with no summaries still gets its row of zeros, so charts show the gap.
    fn add_day(&mut self, day: Date, summaries: Vec<DaySummary>) {
        let mut launches = 0;
        let mut users = BTreeSet::new();
        for summary in summaries {
            launches += summary.launches;
            users.extend(summary.users.iter().cloned());
            self.apps
                .entry(summary.app_id.clone())
                .or_default()
                .add(summary);
        }
        self.days.push(DayUsage {
            day: day.to_string(),
            launches,
            unique_users: users.len() as u64,
        });
        self.users.extend(users);
    }
}

impl AppTally {
    fn add(&mut self, summary: DaySummary) {
        self.launches += summary.launches;
        self.by_day.push(DayUsage {
            day: summary.day,
            launches: summary.launches,
            unique_users: summary.users.len() as u64,
        });
        self.users.extend(summary.users);
    }
}

/// A row per app launched in the range, most launches first.
fn app_usage(
    apps: BTreeMap<String, AppTally>,
    metas: &BTreeMap<String, AppMeta>,
    by_day: bool,
) -> Vec<AppUsage> {
    let mut usage: Vec<AppUsage> = apps
        .into_iter()
        .filter(|(_, tally)| tally.launches > 0)
        .map(|(app_id, tally)| {
            let meta = metas.get(&app_id);
            AppUsage {
                app_name: meta.and_then(|m| m.app_name.clone()),
                last_launched: meta.and_then(|m| m.last_launched.clone()),
                deleted: meta.is_some_and(|m| m.deleted_at.is_some()),
                deleted_at: meta.and_then(|m| m.deleted_at.clone()),
                launches: tally.launches,
                unique_users: tally.users.len() as u64,
                by_day: by_day.then_some(tally.by_day),
                app_id,
            }
        })
        .collect();
    usage.sort_by(|a, b| {
        b.launches
            .cmp(&a.launches)
            .then_with(|| a.app_id.cmp(&b.app_id))
    });
    usage
}

/// Apps launched before `from` and not since, oldest last launch first.
///
/// Deleted apps are already cleaned up, so they are not clean-up candidates. An app whose last
/// launch is after the range may or may not have been launched before it: not listed.
fn inactive_apps(metas: &[&AppMeta], active: &[AppUsage], from: &str) -> Vec<InactiveApp> {
    let active: BTreeSet<&str> = active.iter().map(|a| a.app_id.as_str()).collect();
    let mut inactive: Vec<InactiveApp> = metas
        .iter()
        .filter(|m| m.deleted_at.is_none() && !active.contains(m.app_id.as_str()))
        .filter_map(|m| {
            let last = m.last_launched.as_ref()?;
            (day_part(last) < from).then(|| InactiveApp {
                app_id: m.app_id.clone(),
                app_name: m.app_name.clone(),
                last_launched: last.clone(),
            })
        })
        .collect();
    inactive.sort_by(|a, b| {
        a.last_launched
            .cmp(&b.last_launched)
            .then_with(|| a.app_id.cmp(&b.app_id))
    });
    inactive
}

/// Apps deleted on a day from `from` to `to`, newest deletion first.
fn deleted_apps(metas: &[&AppMeta], from: &str, to: &str) -> Vec<DeletedApp> {
    let mut deleted: Vec<DeletedApp> = metas
        .iter()
        .filter_map(|m| {
            let at = m.deleted_at.as_ref()?;
            let day = day_part(at);
            (from <= day && day <= to).then(|| DeletedApp {
                app_id: m.app_id.clone(),
                app_name: m.app_name.clone(),
                deleted_at: at.clone(),
                last_launched: m.last_launched.clone(),
            })
        })
        .collect();
    deleted.sort_by(|a, b| {
        b.deleted_at
            .cmp(&a.deleted_at)
            .then_with(|| a.app_id.cmp(&b.app_id))
    });
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{ReportEvent, Totals};
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 24);

    fn asking(from: Option<&str>, to: Option<&str>, app_id: Option<&str>) -> ReportRequest {
        let event = ReportEvent {
            from: from.map(str::to_string),
            to: to.map(str::to_string),
            app_id: app_id.map(str::to_string),
            ..ReportEvent::default()
        };
        ReportRequest::from_event(event, TODAY).unwrap()
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
        let request = asking(Some("2026-11-10"), Some("2026-11-12"), None);
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
        let one = asking(Some("2026-11-10"), Some("2026-11-12"), Some("old"));
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
}
