//! The apps report from what the store holds: each day's per-app summaries and every app's
//! facts, tallied into per-day totals, app rows, inactive apps and deleted apps.

use std::collections::{BTreeMap, BTreeSet};

use time::Date;

use super::clock::day_part;
use super::view::environments::name_of;
use super::view::{KindReads, in_environment, live_deletion};
use super::{AppUsage, DayUsage, DeletedApp, InactiveApp, Report, ReportRequest, Totals};
use crate::store::{DaySummary, SubjectFacts};

/// The CoE Starter Kit's production bar: an app launched this often in one month...
pub const PRODUCTION_LAUNCHES: u64 = 50;
/// ... or by this many distinct users in one month.
pub const PRODUCTION_USERS: u64 = 5;

/// The apps report from what was read: the apps' summaries of each day of the range, every
/// app's facts, and the environment names.
pub(super) fn assemble(
    request: &ReportRequest,
    reads: &KindReads,
    names: &BTreeMap<String, String>,
) -> Report {
    let days = request.days().zip(reads.days.iter().map(|day| {
        day.iter()
            .filter(|s| in_environment(request, reads.facts.get(&s.id)))
            .collect::<Vec<_>>()
    }));
    let tally = Tally::of(days);
    let apps = app_usage(tally.apps, &reads.facts, names, request.by_day);
    let totals = Totals {
        launches: apps.iter().map(|a| a.launches).sum(),
        unique_users: tally.users.len() as u64,
        apps: apps.len() as u64,
    };
    let (from, to) = (request.from.to_string(), request.to.to_string());
    let wanted: Vec<Meta> = reads
        .facts
        .values()
        .filter(|f| request.app_id.as_ref().is_none_or(|id| *id == f.id))
        .filter(|f| in_environment(request, Some(f)))
        .map(Meta::of)
        .collect();
    let inactive_apps = inactive_apps(&wanted, &apps, &from);
    let deleted_apps = deleted_apps(&wanted, &from, &to);
    Report {
        from,
        to,
        environment_id: request.environment_id.clone(),
        apps,
        totals,
        days: tally.days,
        inactive_apps,
        deleted_apps,
    }
}

/// An app's facts as the report uses them.
struct Meta<'a> {
    app_id: &'a str,
    app_name: Option<&'a String>,
    last_launched: Option<&'a String>,
    deleted_at: Option<String>,
}

impl<'a> Meta<'a> {
    fn of(facts: &'a SubjectFacts) -> Meta<'a> {
        Meta {
            app_id: &facts.id,
            app_name: facts.name.as_ref(),
            last_launched: facts.last.as_ref(),
            deleted_at: live_deletion(facts.deleted_at.as_deref(), facts.last.as_deref()),
        }
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
    /// By month (`YYYY-MM`): launches and distinct users, for the production bar.
    months: BTreeMap<String, (u64, BTreeSet<String>)>,
}

impl Tally {
    fn of<'a>(days: impl Iterator<Item = (Date, Vec<&'a DaySummary>)>) -> Tally {
        let mut tally = Tally::default();
        for (day, summaries) in days {
            tally.add_day(day, summaries);
        }
        tally
    }

    /// A day with no summaries still gets its row of zeros, so charts show the gap.
    fn add_day(&mut self, day: Date, summaries: Vec<&DaySummary>) {
        let mut launches = 0;
        let mut users = BTreeSet::new();
        for summary in summaries {
            launches += summary.count;
            users.extend(summary.users.keys().cloned());
            self.apps
                .entry(summary.id.clone())
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
    fn add(&mut self, summary: &DaySummary) {
        self.launches += summary.count;
        self.by_day.push(DayUsage {
            day: summary.day.clone(),
            launches: summary.count,
            unique_users: summary.users.len() as u64,
        });
        self.users.extend(summary.users.keys().cloned());
        let month = self
            .months
            .entry(summary.day.get(..7).unwrap_or_default().to_string())
            .or_default();
        month.0 += summary.count;
        month.1.extend(summary.users.keys().cloned());
    }

    /// The CoE's bar: 50 launches or 5 distinct users in one calendar month (UTC), counting the
    /// days of the month that the range covers.
    fn production(&self) -> bool {
        self.months.values().any(|(launches, users)| {
            *launches >= PRODUCTION_LAUNCHES || users.len() as u64 >= PRODUCTION_USERS
        })
    }
}

/// A row per app launched in the range, most launches first.
fn app_usage(
    apps: BTreeMap<String, AppTally>,
    facts: &BTreeMap<String, SubjectFacts>,
    names: &BTreeMap<String, String>,
    by_day: bool,
) -> Vec<AppUsage> {
    let mut usage: Vec<AppUsage> = apps
        .into_iter()
        .filter(|(_, tally)| tally.launches > 0)
        .map(|(app_id, tally)| {
            let facts = facts.get(&app_id);
            let deleted_at =
                facts.and_then(|f| live_deletion(f.deleted_at.as_deref(), f.last.as_deref()));
            let environment_id = facts.and_then(|f| f.environment_id.clone());
            AppUsage {
                app_name: facts.and_then(|f| f.name.clone()),
                last_launched: facts.and_then(|f| f.last.clone()),
                deleted: deleted_at.is_some(),
                deleted_at,
                environment_name: environment_id.as_deref().and_then(|e| name_of(names, e)),
                environment_id,
                production: tally.production(),
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
fn inactive_apps(metas: &[Meta], active: &[AppUsage], from: &str) -> Vec<InactiveApp> {
    let active: BTreeSet<&str> = active.iter().map(|a| a.app_id.as_str()).collect();
    let mut inactive: Vec<InactiveApp> = metas
        .iter()
        .filter(|m| m.deleted_at.is_none() && !active.contains(m.app_id))
        .filter_map(|m| {
            let last = m.last_launched?;
            (day_part(last) < from).then(|| InactiveApp {
                app_id: m.app_id.to_string(),
                app_name: m.app_name.cloned(),
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
fn deleted_apps(metas: &[Meta], from: &str, to: &str) -> Vec<DeletedApp> {
    let mut deleted: Vec<DeletedApp> = metas
        .iter()
        .filter_map(|m| {
            let at = m.deleted_at.as_ref()?;
            let day = day_part(at);
            (from <= day && day <= to).then(|| DeletedApp {
                app_id: m.app_id.to_string(),
                app_name: m.app_name.cloned(),
                deleted_at: at.clone(),
                last_launched: m.last_launched.cloned(),
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
    use crate::store::{Kind, UserDay};
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
            kind: Kind::App,
            id: app.into(),
            day: day.into(),
            count: launches,
            users: users
                .iter()
                .map(|u| (u.to_string(), UserDay::default()))
                .collect(),
            ..DaySummary::default()
        }
    }

    fn meta(app: &str, last: Option<&str>, deleted: Option<&str>) -> SubjectFacts {
        SubjectFacts {
            kind: Kind::App,
            id: app.into(),
            name: Some(format!("{app} name")),
            last: last.map(str::to_string),
            deleted_at: deleted.map(str::to_string),
            ..SubjectFacts::default()
        }
    }

    fn reads(days: Vec<Vec<DaySummary>>, facts: Vec<SubjectFacts>) -> KindReads {
        KindReads {
            days,
            facts: facts.into_iter().map(|f| (f.id.clone(), f)).collect(),
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
        let report = assemble(&request, &reads(per_day, metas), &BTreeMap::new());
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
            &reads(
                vec![vec![], vec![], vec![]],
                vec![
                    meta("old", Some("2026-10-01T00:00:00Z"), None),
                    meta("b", None, Some("2026-11-11T00:00:00Z")),
                ],
            ),
            &BTreeMap::new(),
        );
        assert_eq!(report.inactive_apps.len(), 1);
        assert!(report.deleted_apps.is_empty());
    }
}
