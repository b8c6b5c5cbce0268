//! `{"view": "users"}`: the people who launch most; with `"user"`, one person's apps. From the
//! apps' user items, which count each user's launches per app and day.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::KindReads;
use crate::report::ReportRequest;

/// One person's launches in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUsage {
    /// The lower-cased UPN (or user key, for launches without one).
    pub user: String,
    /// Their launches in the range.
    pub launches: u64,
    /// Distinct apps they launched in the range.
    pub apps: u64,
    /// Their newest launch in the range.
    pub last_launched: Option<String>,
}

/// The range's sums over every user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTotals {
    /// Distinct users with launches in the range (all of them, not only those listed).
    pub users: u64,
    /// Their launches.
    pub launches: u64,
}

/// The users view: the `top` users by launches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersReport {
    /// Always `users`.
    pub view: String,
    /// The first day, `YYYY-MM-DD` (UTC), included.
    pub from: String,
    /// The last day, included.
    pub to: String,
    /// Most launches first; the first `top`.
    pub users: Vec<UserUsage>,
    /// Sums over every user.
    pub totals: UserTotals,
}

/// One app of one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserApp {
    /// The app.
    pub app_id: String,
    /// Its newest display name.
    pub app_name: Option<String>,
    /// Its environment.
    pub environment_id: Option<String>,
    /// The person's launches of it in the range.
    pub launches: u64,
    /// Their newest launch of it in the range.
    pub last_launched: Option<String>,
}

/// `{"view": "users", "user": "<upn>"}`: that person's apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAppsReport {
    /// Always `users`.
    pub view: String,
    /// The first day, `YYYY-MM-DD` (UTC), included.
    pub from: String,
    /// The last day, included.
    pub to: String,
    /// The person, lower-cased.
    pub user: String,
    /// Their apps, most launches first.
    pub apps: Vec<UserApp>,
    /// Their launches over all of them.
    pub launches: u64,
}

#[derive(Default)]
struct Tally {
    launches: u64,
    last: Option<String>,
}

impl Tally {
    fn add(&mut self, count: u64, last: Option<&String>) {
        self.launches += count;
        if let Some(last) = last
            && self.last.as_ref().is_none_or(|mine| mine < last)
        {
            self.last = Some(last.clone());
        }
    }
}

/// The top users.
pub fn assemble(request: &ReportRequest, apps: &KindReads) -> UsersReport {
    let mut by_user: BTreeMap<&str, (Tally, BTreeSet<&str>)> = BTreeMap::new();
    for summary in apps.summaries(request) {
        for (user, day) in &summary.users {
            let (tally, seen) = by_user.entry(user).or_default();
            tally.add(day.count, day.last.as_ref());
            seen.insert(&summary.id);
        }
    }
    let totals = UserTotals {
        users: by_user.len() as u64,
        launches: by_user.values().map(|(t, _)| t.launches).sum(),
    };
    let mut users: Vec<UserUsage> = by_user
        .into_iter()
        .map(|(user, (tally, apps))| UserUsage {
            user: user.to_string(),
            launches: tally.launches,
            apps: apps.len() as u64,
            last_launched: tally.last,
        })
        .collect();
    users.sort_by(|a, b| {
        b.launches
            .cmp(&a.launches)
            .then_with(|| a.user.cmp(&b.user))
    });
    users.truncate(request.top);
    UsersReport {
        view: "users".into(),
        from: request.from.to_string(),
        to: request.to.to_string(),
        users,
        totals,
    }
}

/// One person's apps; `user` is lower-cased already.
pub fn assemble_one(request: &ReportRequest, apps: &KindReads, user: &str) -> UserAppsReport {
    let mut by_app: BTreeMap<&str, Tally> = BTreeMap::new();
    for summary in apps.summaries(request) {
        if let Some(day) = summary.users.get(user) {
            by_app
                .entry(&summary.id)
                .or_default()
                .add(day.count, day.last.as_ref());
        }
    }
    let mut rows: Vec<UserApp> = by_app
        .into_iter()
        .map(|(id, tally)| {
            let facts = apps.facts.get(id);
            UserApp {
                app_id: id.to_string(),
                app_name: facts.and_then(|f| f.name.clone()),
                environment_id: facts.and_then(|f| f.environment_id.clone()),
                launches: tally.launches,
                last_launched: tally.last,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.launches
            .cmp(&a.launches)
            .then_with(|| a.app_id.cmp(&b.app_id))
    });
    UserAppsReport {
        view: "users".into(),
        from: request.from.to_string(),
        to: request.to.to_string(),
        user: user.to_string(),
        launches: rows.iter().map(|r| r.launches).sum(),
        apps: rows,
    }
}
