//! Usage summaries, rebuilt from the stored events rather than incremented, so they are exact
//! however often an app-day is rebuilt:
//!
//! * `DAY#{day}` / `APP#{app}#{shard}`: launches and the distinct (lower-cased) users of one
//!   app on one UTC day; the users are split over shards of [`USERS_PER_SHARD`] to stay far
//!   below DynamoDB's 400 KB item limit.
//! * `APPS` / `APP#{app}`: per app, the last launch ever stored, the newest display name, and
//!   whether (and when) the app was deleted.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::types::AttributeValue;

use super::events::app_day_pk;
use super::{Item, Store, StoreError, get_n, get_s, is_conditional_failure, n, s};

/// Users per summary item: at most ~100 bytes each, so a shard stays under ~300 KB.
pub const USERS_PER_SHARD: usize = 3000;

/// One app on one UTC day: the unit a usage summary covers and a dirty marker names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppDay {
    /// The Power App's id, from its audit records (GUIDs lower-cased).
    pub app_id: String,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
}

impl AppDay {
    pub(crate) fn marker_sk(&self) -> String {
        format!("{}#{}", self.app_id, self.day)
    }
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

/// What the events of one app-day add up to.
#[derive(Debug, Default)]
struct Tally {
    launches: u64,
    users: BTreeSet<String>,
    last_launch: Option<String>,
    /// The display name of the newest launch that carries one, with that launch's time.
    name: Option<(String, String)>,
    deleted_at: Option<String>,
}

impl Tally {
    /// Keeps the newest of each per-app fact.
    fn merge_facts(&mut self, other: Tally) {
        if other.last_launch > self.last_launch {
            self.last_launch = other.last_launch;
        }
        if other.name.as_ref().map(|(t, _)| t) > self.name.as_ref().map(|(t, _)| t) {
            self.name = other.name;
        }
        if other.deleted_at > self.deleted_at {
            self.deleted_at = other.deleted_at;
        }
    }
}

fn tally(items: &[Item]) -> Tally {
    let mut t = Tally::default();
    for item in items {
        let operation = get_s(item, "operation").unwrap_or_default();
        let time = get_s(item, "creation_time").unwrap_or_default().to_string();
        if operation.eq_ignore_ascii_case("LaunchPowerApp") {
            t.launches += 1;
            // A launch without a UPN still has a user: fall back to the user key.
            if let Some(user) = get_s(item, "user_lower").or_else(|| get_s(item, "user_key")) {
                t.users.insert(user.to_lowercase());
            }
            if t.last_launch.as_ref().is_none_or(|last| *last < time) {
                t.last_launch = Some(time.clone());
            }
            if let Some(name) = get_s(item, "app_name")
                && t.name.as_ref().is_none_or(|(at, _)| *at < time)
            {
                t.name = Some((time, name.to_string()));
            }
        } else if operation.eq_ignore_ascii_case("DeletePowerApp")
            && t.deleted_at.as_ref().is_none_or(|d| *d < time)
        {
            t.deleted_at = Some(time);
        }
    }
    t
}

/// An update expression, its "only if newer" condition, and its values.
type MaxUpdate = (
    &'static str,
    &'static str,
    Vec<(&'static str, AttributeValue)>,
);

impl Store {
    /// Rebuilds the day summaries of one app from its events, then its per-app facts, once.
    /// One app's days are handled in sequence, so its `APPS` item is never updated by two
    /// requests at once. Returns the write requests made.
    pub async fn rebuild_app(&self, app_id: &str, days: &[String]) -> Result<u32, StoreError> {
        let mut facts = Tally::default();
        let mut writes = 0;
        for day in days {
            let app_day = AppDay {
                app_id: app_id.to_string(),
                day: day.clone(),
            };
            let (day_facts, day_writes) = self.rebuild_day_summary(&app_day).await?;
            facts.merge_facts(day_facts);
            writes += day_writes;
        }
        Ok(writes + self.update_app_facts(app_id, &facts).await?)
    }

    /// Writes the summary of one app-day from its events; returns what the day says about the
    /// app as a whole.
    async fn rebuild_day_summary(&self, app_day: &AppDay) -> Result<(Tally, u32), StoreError> {
        let table = &self.events_table;
        let items = self
            .query_partition(
                table,
                &app_day_pk(&app_day.app_id, &app_day.day),
                None,
                Some("operation, creation_time, user_lower, user_key, app_name"),
            )
            .await?;
        let t = tally(&items);
        let mut writes = 0;
        if t.launches > 0 {
            let users: Vec<&String> = t.users.iter().collect();
            let shards: Vec<&[&String]> = if users.is_empty() {
                vec![&[][..]]
            } else {
                users.chunks(USERS_PER_SHARD).collect()
            };
            for (index, shard) in shards.iter().enumerate() {
                let mut item = Item::from([
                    ("pk".into(), s(format!("DAY#{}", app_day.day))),
                    ("sk".into(), s(format!("APP#{}#{index:02}", app_day.app_id))),
                    ("app_id".into(), s(&app_day.app_id)),
                    ("day".into(), s(&app_day.day)),
                    // The launch count lives on shard 0 only, so summing shards stays right.
                    (
                        "launches".into(),
                        n(if index == 0 { t.launches } else { 0 }),
                    ),
                    ("user_count".into(), n(t.users.len())),
                ]);
                if !shard.is_empty() {
                    item.insert(
                        "users".into(),
                        AttributeValue::Ss(shard.iter().map(|u| u.to_string()).collect()),
                    );
                }
                if let Some(last) = &t.last_launch {
                    item.insert("last_launch".into(), s(last));
                }
                self.client
                    .put_item()
                    .table_name(table)
                    .set_item(Some(item))
                    .send()
                    .await
                    .map_err(|err| StoreError::from_sdk("PutItem", table, err))?;
                writes += 1;
            }
        }
        Ok((t, writes))
    }

    async fn update_app_facts(&self, app_id: &str, t: &Tally) -> Result<u32, StoreError> {
        let table = &self.events_table;
        let mut writes = 0;
        // Per-app facts only ever move forward in time, so each is a conditional "max" update:
        // applying one twice, or out of order, changes nothing.
        let pk = ("pk", s("APPS"));
        let sk = ("sk", s(format!("APP#{app_id}")));
        let updates: Vec<MaxUpdate> = [
            t.last_launch.as_ref().map(|last| {
                (
                    "SET app_id = :app, last_launched = :t",
                    "attribute_not_exists(last_launched) OR last_launched < :t",
                    vec![(":t", s(last))],
                )
            }),
            t.name.as_ref().map(|(at, name)| {
                (
                    "SET app_id = :app, app_name = :name, name_time = :t",
                    "attribute_not_exists(name_time) OR name_time < :t",
                    vec![(":t", s(at)), (":name", s(name))],
                )
            }),
            t.deleted_at.as_ref().map(|at| {
                (
                    "SET app_id = :app, deleted_at = :t",
                    "attribute_not_exists(deleted_at) OR deleted_at < :t",
                    vec![(":t", s(at))],
                )
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        for (expression, condition, values) in updates {
            let mut request = self
                .client
                .update_item()
                .table_name(table)
                .key(pk.0, pk.1.clone())
                .key(sk.0, sk.1.clone())
                .update_expression(expression)
                .condition_expression(condition)
                .expression_attribute_values(":app", s(app_id));
            for (name, value) in values {
                request = request.expression_attribute_values(name, value);
            }
            match request.send().await {
                Ok(_) => writes += 1,
                Err(err) if is_conditional_failure(&err) => writes += 1,
                Err(err) => return Err(StoreError::from_sdk("UpdateItem", table, err)),
            }
        }
        Ok(writes)
    }

    /// The summaries of every app on one day.
    pub async fn day_summaries(&self, day: &str) -> Result<Vec<DaySummary>, StoreError> {
        self.day_summaries_from(day, None).await
    }

    /// The summary of one app on one day.
    pub async fn app_day_summary(
        &self,
        day: &str,
        app_id: &str,
    ) -> Result<Vec<DaySummary>, StoreError> {
        self.day_summaries_from(day, Some(app_id)).await
    }

    async fn day_summaries_from(
        &self,
        day: &str,
        app_id: Option<&str>,
    ) -> Result<Vec<DaySummary>, StoreError> {
        let pk = format!("DAY#{day}");
        let range = app_id.map(|app| (format!("APP#{app}#"), format!("APP#{app}#\u{10FFFF}")));
        let items = self
            .query_partition(
                &self.events_table,
                &pk,
                range.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                None,
            )
            .await?;
        let mut summaries: Vec<DaySummary> = Vec::new();
        for item in items {
            let Some(app) = get_s(&item, "app_id") else {
                continue;
            };
            if summaries.last().is_none_or(|last| last.app_id != app) {
                summaries.push(DaySummary {
                    app_id: app.to_string(),
                    day: day.to_string(),
                    ..DaySummary::default()
                });
            }
            let summary = summaries.last_mut().expect("pushed above");
            summary.launches += get_n(&item, "launches").unwrap_or(0) as u64;
            if let Some(users) = item.get("users").and_then(|v| v.as_ss().ok()) {
                summary.users.extend(users.iter().cloned());
            }
            if let Some(last) = get_s(&item, "last_launch") {
                summary.last_launch = Some(last.to_string());
            }
        }
        Ok(summaries)
    }

    /// Every app ever launched or deleted.
    pub async fn apps(&self) -> Result<Vec<AppMeta>, StoreError> {
        let items = self
            .query_partition(&self.events_table, "APPS", None, None)
            .await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                Some(AppMeta {
                    app_id: get_s(item, "app_id")?.to_string(),
                    app_name: get_s(item, "app_name").map(str::to_string),
                    last_launched: get_s(item, "last_launched").map(str::to_string),
                    deleted_at: get_s(item, "deleted_at").map(str::to_string),
                })
            })
            .collect())
    }
}
