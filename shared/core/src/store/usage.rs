//! The usage summaries as the report reads them, and their keys. They are kept incrementally
//! (`apply.rs`), each blob adding what it owns, and spread over [`SUMMARY_BUCKETS`] partition
//! keys per day so no single key takes a hot app's writes:
//!
//! * `DAY#{day}#{bucket of app}` / `APP#{app}`: an app's launches that day and its newest launch;
//! * `USERS#{day}#{bucket of app and user}` / `{app}#{user}`: one distinct (lower-cased) user of
//!   an app that day;
//! * `APPS#{bucket of app}` / `APP#{app}`: per app, the last launch ever stored, the newest
//!   display name, and whether (and when) the app was deleted.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;

use super::spread::{SUMMARY_BUCKETS, USER_BUCKETS, app_bucket, user_bucket};
use super::{Item, Store, StoreError, get_n, get_s};

/// One app on one UTC day: the unit a counter covers and a contribution marker names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppDay {
    /// The Power App's id, from its audit records (GUIDs lower-cased).
    pub app_id: String,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
}

impl AppDay {
    /// The key of this app-day's counter item.
    pub(crate) fn counter_key(&self) -> Item {
        key(
            format!("DAY#{}#{}", self.day, app_bucket(&self.app_id)),
            format!("APP#{}", self.app_id),
        )
    }

    /// The key of the item saying `user` launched this app this day.
    pub(crate) fn user_key(&self, user: &str) -> Item {
        key(
            format!("USERS#{}#{}", self.day, user_bucket(&self.app_id, user)),
            format!("{}#{user}", self.app_id),
        )
    }
}

/// The key of an app's facts item.
pub(crate) fn app_facts_key(app_id: &str) -> Item {
    key(
        format!("APPS#{}", app_bucket(app_id)),
        format!("APP#{app_id}"),
    )
}

fn key(pk: String, sk: String) -> Item {
    Item::from([("pk".into(), super::s(pk)), ("sk".into(), super::s(sk))])
}

/// One app on one day, as the report reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DaySummary {
    /// The app's id.
    pub app_id: String,
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// `LaunchPowerApp` events stored for the app that day.
    pub launches: u64,
    /// Distinct users who launched it that day: lower-cased UPNs, or user keys for launches
    /// without one.
    pub users: BTreeSet<String>,
    /// The newest launch that day, `YYYY-MM-DDTHH:MM:SSZ`.
    pub last_launch: Option<String>,
}

/// What is known of an app over all time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppMeta {
    /// The app's id.
    pub app_id: String,
    /// The display name of the newest launch that carried one.
    pub app_name: Option<String>,
    /// The newest launch ever stored, `YYYY-MM-DDTHH:MM:SSZ`.
    pub last_launched: Option<String>,
    /// The newest `DeletePowerApp` event stored for the app, if any.
    pub deleted_at: Option<String>,
}

impl Store {
    /// The summaries of every app on one day, by app id: 16 counter and 16 user Queries, at once.
    pub async fn day_summaries(&self, day: &str) -> Result<Vec<DaySummary>, StoreError> {
        let counters =
            (0..SUMMARY_BUCKETS).map(|b| self.events_query(format!("DAY#{day}#{b}"), None));
        let users = (0..USER_BUCKETS).map(|b| self.events_query(format!("USERS#{day}#{b}"), None));
        let (counters, users) = futures::try_join!(try_join_all(counters), try_join_all(users))?;
        Ok(merge(day, counters.concat(), users.concat(), None))
    }

    /// The summary of one app on one day: its counter, and its users from each user bucket
    /// (a sort-key range on the app).
    pub async fn app_day_summary(
        &self,
        day: &str,
        app_id: &str,
    ) -> Result<Vec<DaySummary>, StoreError> {
        let app_day = AppDay {
            app_id: app_id.to_string(),
            day: day.to_string(),
        };
        let counter_key = app_day.counter_key();
        let counter_pk = get_s(&counter_key, "pk").unwrap_or_default().to_string();
        let sk = format!("APP#{app_id}");
        let prefix = (format!("{app_id}#"), format!("{app_id}#\u{10FFFF}"));
        let counter = self.events_query(counter_pk, Some((sk.clone(), sk)));
        let users = (0..USER_BUCKETS)
            .map(|b| self.events_query(format!("USERS#{day}#{b}"), Some(prefix.clone())));
        let (counter, users) = futures::try_join!(counter, try_join_all(users))?;
        Ok(merge(day, counter, users.concat(), Some(app_id)))
    }

    /// Every app ever launched or deleted: one Query per facts bucket, at once.
    pub async fn apps(&self) -> Result<Vec<AppMeta>, StoreError> {
        let buckets = (0..SUMMARY_BUCKETS).map(|b| self.events_query(format!("APPS#{b}"), None));
        let mut apps: Vec<AppMeta> = try_join_all(buckets)
            .await?
            .concat()
            .iter()
            .filter_map(app_meta)
            .collect();
        apps.sort_by(|a, b| a.app_id.cmp(&b.app_id));
        Ok(apps)
    }

    async fn events_query(
        &self,
        pk: String,
        sk_range: Option<(String, String)>,
    ) -> Result<Vec<Item>, StoreError> {
        let range = sk_range.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
        self.query_partition(&self.events_table, &pk, range, None)
            .await
    }
}

/// An app item as facts. A deletion counts only while no launch is newer: an app restored and
/// launched again is live again. (The item keeps both times, each only ever moving forward, so
/// the answer never depends on the order blobs arrive in.)
fn app_meta(item: &Item) -> Option<AppMeta> {
    let last_launched = get_s(item, "last_launched").map(str::to_string);
    let deleted_at = get_s(item, "deleted_at")
        .filter(|deleted| last_launched.as_deref().is_none_or(|last| *deleted >= last))
        .map(str::to_string);
    Some(AppMeta {
        app_id: get_s(item, "app_id")?.to_string(),
        app_name: get_s(item, "app_name").map(str::to_string),
        last_launched,
        deleted_at,
    })
}

/// One day's counters and user items as summaries, by app id. The app is read from the items'
/// `app_id`, never parsed from a key, so an app id holding `#` cannot be mistaken for another.
fn merge(day: &str, counters: Vec<Item>, users: Vec<Item>, only: Option<&str>) -> Vec<DaySummary> {
    let mut by_app: BTreeMap<String, DaySummary> = BTreeMap::new();
    let mut entry = |app: &str| {
        by_app.entry(app.to_string()).or_insert_with(|| DaySummary {
            app_id: app.to_string(),
            day: day.to_string(),
            ..DaySummary::default()
        });
    };
    fn wanted<'a>(item: &'a Item, only: Option<&str>) -> Option<&'a str> {
        get_s(item, "app_id").filter(|app| only.is_none_or(|o| o == *app))
    }
    for item in counters.iter().chain(&users) {
        if let Some(app) = wanted(item, only) {
            entry(app);
        }
    }
    for item in &counters {
        if let Some(summary) = wanted(item, only).and_then(|app| by_app.get_mut(app)) {
            summary.launches += get_n(item, "launches").unwrap_or(0).max(0) as u64;
            summary.last_launch = get_s(item, "last_launch").map(str::to_string);
        }
    }
    for item in &users {
        if let (Some(summary), Some(user)) = (
            wanted(item, only).and_then(|app| by_app.get_mut(app)),
            get_s(item, "user"),
        ) {
            summary.users.insert(user.to_string());
        }
    }
    by_app.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{n, s};

    fn item(pairs: &[(&str, aws_sdk_dynamodb::types::AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn a_launch_after_a_deletion_makes_the_app_live_again() {
        let item = |last: &str, deleted: &str| {
            Item::from([
                ("app_id".into(), s("a")),
                ("last_launched".into(), s(last)),
                ("deleted_at".into(), s(deleted)),
            ])
        };
        let deleted = app_meta(&item("2026-11-24T10:00:00Z", "2026-11-24T11:00:00Z")).unwrap();
        assert_eq!(deleted.deleted_at.as_deref(), Some("2026-11-24T11:00:00Z"));
        let restored = app_meta(&item("2026-11-24T12:00:00Z", "2026-11-24T11:00:00Z")).unwrap();
        assert_eq!(restored.deleted_at, None);
        let same_second = app_meta(&item("2026-11-24T11:00:00Z", "2026-11-24T11:00:00Z")).unwrap();
        assert!(same_second.deleted_at.is_some(), "a deletion wins a tie");
        let never_launched = Item::from([
            ("app_id".into(), s("a")),
            ("deleted_at".into(), s("2026-11-24T11:00:00Z")),
        ]);
        assert!(app_meta(&never_launched).unwrap().deleted_at.is_some());
    }

    #[test]
    fn counters_and_users_merge_by_app_and_a_lookalike_app_is_not_mixed_in() {
        let counters = vec![
            item(&[
                ("app_id", s("a")),
                ("launches", n(3)),
                ("last_launch", s("2026-11-24T10:00:00Z")),
            ]),
            item(&[("app_id", s("a#b")), ("launches", n(1))]),
        ];
        let users = vec![
            item(&[("app_id", s("a")), ("user", s("ana"))]),
            item(&[("app_id", s("a")), ("user", s("ben"))]),
            item(&[("app_id", s("a#b")), ("user", s("cho"))]),
        ];
        let all = merge("2026-11-24", counters.clone(), users.clone(), None);
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].launches, all[0].users.len()), (3, 2));
        let one = merge("2026-11-24", counters, users, Some("a"));
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].last_launch.as_deref(), Some("2026-11-24T10:00:00Z"));
        assert!(!one[0].users.contains("cho"));
    }

    #[test]
    fn a_day_spreads_over_its_buckets() {
        let day = |app: &str| AppDay {
            app_id: app.into(),
            day: "2026-11-24".into(),
        };
        let pks: BTreeSet<String> = (0..1000)
            .map(|i| {
                get_s(&day("hot").user_key(&format!("u{i}")), "pk")
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(pks.len(), USER_BUCKETS as usize);
        assert!(pks.iter().all(|pk| pk.starts_with("USERS#2026-11-24#")));
    }
}
