//! Applying a group of blobs' contribution to the summaries, exactly once however often the
//! blobs are processed:
//!
//! 1. the user items, plain puts (the same user twice is one item), and the per-app facts,
//!    "only if newer" updates: idempotent by nature, applied first;
//! 2. the launch counts, from the group's journal ([`super::journal`]): per app-day one
//!    UpdateItem that adds the group's launches and sets the counter's `seq` to the group's id,
//!    only if `seq` is not that id already, folding in the day's newest launch when it is newer
//!    than the stored one. A replay of the journal fails the condition and adds nothing.
//!
//! A crash anywhere leaves a state the next run completes (docs/data-model.md).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt};

use super::contribution::{AppFacts, Contribution, Written};
use super::journal::{Journal, JournalCount};
use super::usage::{AppDay, app_facts_key};
use super::{Item, Store, StoreError, get_s, is_conditional_failure, s};

/// Updates in flight at once.
const MAX_UPDATES_IN_FLIGHT: usize = 8;

/// What applying a journal's counts did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// App-days whose launch counts this call added.
    pub counted: u64,
    /// App-days an earlier attempt of the same group had already counted.
    pub already_counted: u64,
    /// Write requests sent.
    pub write_requests: u32,
}

impl Store {
    /// Applies the idempotent part of a contribution: user items and "only if newer" facts.
    /// Returns the write requests sent.
    pub async fn apply_sets(
        &self,
        contribution: &Contribution,
        written: &Written,
    ) -> Result<u32, StoreError> {
        let users = self.put_users(contribution, written).await?;
        Ok(users + self.raise_maxima(contribution, written).await?)
    }

    /// Adds a journal's launch counts to their counters, each once.
    pub async fn apply_counts(&self, journal: &Journal) -> Result<Applied, StoreError> {
        let outcomes: Vec<bool> = futures::stream::iter(&journal.counts)
            .map(|count| self.count_once(&journal.id, count))
            .buffer_unordered(MAX_UPDATES_IN_FLIGHT)
            .try_collect()
            .await?;
        let mut applied = Applied::default();
        for added in outcomes {
            if added {
                applied.counted += 1;
            } else {
                applied.already_counted += 1;
            }
        }
        applied.write_requests = journal.counts.len() as u32;
        Ok(applied)
    }

    /// Adds one app-day's launches unless its counter's `seq` names this group. The day's newest
    /// launch rides along when it is newer than the stored one; when it is not, that condition
    /// fails and the count goes alone. Returns whether the launches were added.
    async fn count_once(&self, group: &str, count: &JournalCount) -> Result<bool, StoreError> {
        let day = AppDay {
            app_id: count.app_id.clone(),
            day: count.day.clone(),
        };
        if let Some(last) = &count.last_launch
            && self
                .add_count(group, &day, count.launches, Some(last))
                .await?
        {
            return Ok(true);
        }
        self.add_count(group, &day, count.launches, None).await
    }

    async fn add_count(
        &self,
        group: &str,
        day: &AppDay,
        launches: u64,
        last_launch: Option<&str>,
    ) -> Result<bool, StoreError> {
        let once = "(attribute_not_exists(seq) OR seq <> :g)";
        let mut request = self
            .client
            .update_item()
            .table_name(&self.events_table)
            .set_key(Some(day.counter_key()))
            .expression_attribute_names("#day", "day")
            .expression_attribute_values(":n", super::n(launches))
            .expression_attribute_values(":g", s(group))
            .expression_attribute_values(":app", s(&day.app_id))
            .expression_attribute_values(":day", s(&day.day));
        let set = "ADD launches :n SET app_id = :app, #day = :day, seq = :g";
        request = match last_launch {
            Some(last) => request
                .update_expression(format!("{set}, last_launch = :t"))
                .condition_expression(format!(
                    "{once} AND (attribute_not_exists(last_launch) OR last_launch < :t)"
                ))
                .expression_attribute_values(":t", s(last)),
            None => request.update_expression(set).condition_expression(once),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(err) if is_conditional_failure(&err) => {
                if last_launch.is_none() {
                    tracing::info!(group, app_id = %day.app_id, day = %day.day, "app-day already counted by an earlier attempt of its group");
                }
                Ok(false)
            }
            Err(err) => Err(StoreError::from_sdk("UpdateItem", &self.events_table, err)),
        }
    }

    /// Puts the user items this run has not put yet. Returns the write requests sent.
    async fn put_users(
        &self,
        contribution: &Contribution,
        written: &Written,
    ) -> Result<u32, StoreError> {
        let fresh: Vec<(AppDay, String)> = contribution
            .days
            .iter()
            .flat_map(|(day, part)| part.users.iter().map(move |user| (day, user)))
            .filter(|(day, user)| !written.has_user(day, user))
            .map(|(day, user)| (day.clone(), user.clone()))
            .collect();
        if fresh.is_empty() {
            return Ok(0);
        }
        let items = fresh.iter().map(|(day, user)| {
            let mut item = day.user_key(user);
            item.insert("app_id".into(), s(&day.app_id));
            item.insert("day".into(), s(&day.day));
            item.insert("user".into(), s(user));
            item
        });
        let requests = self.put_all(&self.events_table, items).await?;
        written.add_users(fresh);
        Ok(requests)
    }

    /// Every "only if newer" update of the contribution not already known to be stored, a few
    /// at once. Returns the write requests sent.
    async fn raise_maxima(
        &self,
        contribution: &Contribution,
        written: &Written,
    ) -> Result<u32, StoreError> {
        let mut updates: Vec<MaxUpdate> = Vec::new();
        // A day with launches to count gets its newest launch with the count.
        for (day, part) in contribution.days.iter().filter(|(_, p)| p.launches() == 0) {
            if let Some(last) = &part.last_launch {
                updates.push(MaxUpdate::day_last_launch(day, last));
            }
        }
        for (app_id, facts) in &contribution.apps {
            updates.extend(MaxUpdate::app_facts(app_id, facts));
        }
        updates.retain(|u| !written.has_max(&u.memo, &u.time));
        // One item's updates go one after another: they are separate conditional writes of
        // the same item, and a store that applies concurrent updates by read-and-write-back
        // (moto does) would lose one.
        let mut by_item: BTreeMap<(String, String), Vec<MaxUpdate>> = BTreeMap::new();
        for update in updates {
            let key = (
                get_s(&update.key, "pk").unwrap_or_default().to_string(),
                get_s(&update.key, "sk").unwrap_or_default().to_string(),
            );
            by_item.entry(key).or_default().push(update);
        }
        futures::stream::iter(by_item.into_values())
            .map(|updates| async move {
                let mut sent = 0;
                for update in updates {
                    sent += self.raise_max(update, written).await?;
                }
                Ok::<_, StoreError>(sent)
            })
            .buffer_unordered(MAX_UPDATES_IN_FLIGHT)
            .try_fold(0, |sum, sent| async move { Ok(sum + sent) })
            .await
    }

    async fn raise_max(&self, update: MaxUpdate, written: &Written) -> Result<u32, StoreError> {
        let attr = update.time_attr;
        let mut request = self
            .client
            .update_item()
            .table_name(&self.events_table)
            .set_key(Some(update.key))
            .update_expression(format!("SET {attr} = :t, {}", update.set))
            .condition_expression(format!("attribute_not_exists({attr}) OR {attr} < :t"))
            .expression_attribute_values(":t", s(&update.time));
        for (name, value) in update.values {
            request = request.expression_attribute_values(name, value);
        }
        for (placeholder, name) in update.names {
            request = request.expression_attribute_names(placeholder, name);
        }
        match request.send().await {
            Ok(_) => {}
            // Already as new or newer: the answer, not an error.
            Err(err) if is_conditional_failure(&err) => {}
            Err(err) => return Err(StoreError::from_sdk("UpdateItem", &self.events_table, err)),
        }
        written.raise_max(&update.memo, &update.time);
        Ok(1)
    }
}

/// One "only if newer" update: `SET {time_attr} = :t, {set}` when the stored time is older.
struct MaxUpdate {
    key: Item,
    time_attr: &'static str,
    time: String,
    set: &'static str,
    values: Vec<(&'static str, AttributeValue)>,
    names: Vec<(&'static str, &'static str)>,
    /// Names the maximum in [`Written`].
    memo: String,
}

impl MaxUpdate {
    fn day_last_launch(day: &AppDay, last: &str) -> MaxUpdate {
        MaxUpdate {
            key: day.counter_key(),
            time_attr: "last_launch",
            time: last.to_string(),
            set: "app_id = :app, #day = :day",
            values: vec![(":app", s(&day.app_id)), (":day", s(&day.day))],
            names: vec![("#day", "day")],
            memo: format!("DAY#{}#{}", day.day, day.app_id),
        }
    }

    fn app_facts(app_id: &str, facts: &AppFacts) -> Vec<MaxUpdate> {
        let update = |time_attr, time: &str, set, extra: Option<(&'static str, AttributeValue)>| {
            let mut values = vec![(":app", s(app_id))];
            values.extend(extra);
            MaxUpdate {
                key: app_facts_key(app_id),
                time_attr,
                time: time.to_string(),
                set,
                values,
                names: Vec::new(),
                memo: format!("APP#{app_id}#{time_attr}"),
            }
        };
        let mut updates = Vec::new();
        if let Some(last) = &facts.last_launch {
            updates.push(update("last_launched", last, "app_id = :app", None));
        }
        if let Some((at, name)) = &facts.name {
            let set = "app_id = :app, app_name = :name";
            updates.push(update("name_time", at, set, Some((":name", s(name)))));
        }
        if let Some(at) = &facts.deleted_at {
            updates.push(update("deleted_at", at, "app_id = :app", None));
        }
        updates
    }
}
