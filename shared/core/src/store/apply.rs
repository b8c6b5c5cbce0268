//! Applying one blob's contribution to the summaries, exactly once however often the blob is
//! processed:
//!
//! 1. the launch counts: per app-day, one conditional UpdateItem that adds the blob's launches
//!    and its content id to the counter's `applied` set, only if the set does not hold the id
//!    yet. A second attempt fails the condition and adds nothing. Once the blob is in the
//!    ledger no attempt can come, and [`Store::clear_markers`] takes the id out again, so the
//!    set only ever holds the blobs in flight;
//! 2. the user items, plain puts (the same user twice is one item);
//! 3. the newest launch of each app-day and the per-app facts, "only if newer" updates.
//!
//! The marker lives in the counter item itself, so the count and its marker change in one
//! single-item write: atomic on its own, with no transaction. Steps 2 and 3 are idempotent by
//! nature, so they need no marker, and any crash between any two writes leaves a state the
//! blob's next attempt completes (docs/data-model.md).

use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt};

use super::contribution::{AppFacts, Contribution, Written};
use super::usage::{AppDay, app_facts_key};
use super::{EventKey, Item, KeyLocks, Store, StoreError, get_s, is_conditional_failure, s};

/// Updates in flight at once for one blob.
const MAX_UPDATES_IN_FLIGHT: usize = 8;

/// What applying a contribution did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// App-days whose launch counts this call added.
    pub counted: u64,
    /// App-days already counted by an earlier attempt of the same blob (the marker existed).
    pub already_counted: u64,
    /// Write requests sent: counter updates, user batches, conditional updates.
    pub write_requests: u32,
    /// The app-days whose counter now holds this blob's marker, for [`Store::clear_markers`]
    /// once the blob is in the ledger.
    pub marked: Vec<AppDay>,
}

impl Store {
    /// Applies `contribution` of the blob `content_id`. `locks` are the run's key locks: a
    /// counter takes one write at a time from this process.
    pub async fn apply_contribution(
        &self,
        content_id: &str,
        contribution: &Contribution,
        written: &Written,
        locks: &KeyLocks,
    ) -> Result<Applied, StoreError> {
        let counts: Vec<(&AppDay, u64)> = contribution
            .days
            .iter()
            .filter(|(_, part)| !part.owned.is_empty())
            .map(|(day, part)| (day, part.owned.len() as u64))
            .collect();
        let outcomes: Vec<(AppDay, bool)> = futures::stream::iter(counts)
            .map(|(day, launches)| async move {
                let added = self.count_once(content_id, day, launches, locks).await?;
                Ok::<_, StoreError>((day.clone(), added))
            })
            .buffer_unordered(MAX_UPDATES_IN_FLIGHT)
            .try_collect()
            .await?;
        let mut applied = Applied::default();
        for (day, added) in outcomes {
            applied.write_requests += 1;
            if added {
                applied.counted += 1;
            } else {
                applied.already_counted += 1;
            }
            applied.marked.push(day);
        }
        applied.write_requests += self.put_users(contribution, written).await?;
        applied.write_requests += self.raise_maxima(contribution, written).await?;
        Ok(applied)
    }

    /// Adds `launches` to the app-day's counter unless the counter holds the blob's marker.
    /// Returns whether it added them.
    async fn count_once(
        &self,
        content_id: &str,
        day: &AppDay,
        launches: u64,
        locks: &KeyLocks,
    ) -> Result<bool, StoreError> {
        let key = day.counter_key();
        let lock_key = lock_key(&key);
        let _held = locks.lock(std::iter::once(&lock_key)).await;
        let result = self
            .client
            .update_item()
            .table_name(&self.events_table)
            .set_key(Some(key))
            .update_expression("ADD launches :n, applied :me SET app_id = :app, #day = :day")
            .condition_expression("NOT contains(applied, :id)")
            .expression_attribute_names("#day", "day")
            .expression_attribute_values(":n", super::n(launches))
            .expression_attribute_values(":me", AttributeValue::Ss(vec![content_id.to_string()]))
            .expression_attribute_values(":id", s(content_id))
            .expression_attribute_values(":app", s(&day.app_id))
            .expression_attribute_values(":day", s(&day.day))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err) if is_conditional_failure(&err) => {
                tracing::info!(content_id, app_id = %day.app_id, day = %day.day, "app-day already counted by an earlier attempt");
                Ok(false)
            }
            Err(err) => Err(StoreError::from_sdk("UpdateItem", &self.events_table, err)),
        }
    }

    /// Takes the blob's marker out of the counters it counted, once the blob is in the ledger
    /// (so no attempt can need it). Returns the write requests sent. A marker left behind by a
    /// failure here costs only its bytes: the ledger already stops a second count.
    pub async fn clear_markers(
        &self,
        content_id: &str,
        days: &[AppDay],
        locks: &KeyLocks,
    ) -> Result<u32, StoreError> {
        let mut requests = 0;
        for day in days {
            let key = day.counter_key();
            let lock_key = lock_key(&key);
            let _held = locks.lock(std::iter::once(&lock_key)).await;
            self.client
                .update_item()
                .table_name(&self.events_table)
                .set_key(Some(key))
                .update_expression("DELETE applied :me")
                .expression_attribute_values(
                    ":me",
                    AttributeValue::Ss(vec![content_id.to_string()]),
                )
                .send()
                .await
                .map_err(|err| StoreError::from_sdk("UpdateItem", &self.events_table, err))?;
            requests += 1;
        }
        Ok(requests)
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
        for (day, part) in &contribution.days {
            if let Some(last) = &part.last_launch {
                updates.push(MaxUpdate::day_last_launch(day, last));
            }
        }
        for (app_id, facts) in &contribution.apps {
            updates.extend(MaxUpdate::app_facts(app_id, facts));
        }
        updates.retain(|u| !written.has_max(&u.memo, &u.time));
        futures::stream::iter(updates)
            .map(|update| self.raise_max(update, written))
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

/// A counter's key as a lock key: the stripes that serialise event keys serialise counters too.
fn lock_key(key: &Item) -> EventKey {
    EventKey {
        pk: get_s(key, "pk").unwrap_or_default().to_string(),
        sk: get_s(key, "sk").unwrap_or_default().to_string(),
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
