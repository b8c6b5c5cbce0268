//! Applying a group of blobs' contribution to the summaries, exactly once however often the
//! blobs are processed:
//!
//! 1. the sets and facts, idempotent by nature, applied first: conversation items as plain
//!    puts (the same conversation twice is one item), and "only if newer" (for a flow's
//!    creation, "only if older") updates of the facts items and environment names;
//! 2. the counts, from the group's journal ([`super::journal`]): per subject-day one UpdateItem
//!    of its counter and one of each user item that adds the group's count and sets the item's
//!    `seq` to the group's id, only if `seq` is not that id already, folding in the newest event
//!    when it is newer than the stored one. A replay of the journal fails the condition and adds
//!    nothing.
//!
//! A crash anywhere leaves a state the next run completes (docs/data-model.md).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use futures::{StreamExt, TryStreamExt};

use super::contribution::{Contribution, Facts, Written};
use super::journal::{Journal, JournalCount};
use super::subject::{DayKey, Kind, environment_key, facts_key};
use super::{Item, Store, StoreError, get_s, is_conditional_failure, n, s};

/// Updates in flight at once.
const MAX_UPDATES_IN_FLIGHT: usize = 8;

/// What applying a journal's counts did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Subject-days whose counts this call added.
    pub counted: u64,
    /// Subject-days an earlier attempt of the same group had already counted.
    pub already_counted: u64,
    /// Write requests sent.
    pub write_requests: u32,
}

/// One counted item: a counter, or a user item.
struct CountUpdate {
    key: Item,
    day: DayKey,
    count: u64,
    last: Option<String>,
    user: Option<String>,
}

impl Store {
    /// Applies the idempotent part of a contribution: conversation items and the facts.
    /// Returns the write requests sent.
    pub async fn apply_sets(
        &self,
        contribution: &Contribution,
        written: &Written,
    ) -> Result<u32, StoreError> {
        let conversations = self.put_conversations(contribution, written).await?;
        Ok(conversations + self.raise_maxima(contribution, written).await?)
    }

    /// Adds a journal's counts to their counters and user items, each once.
    pub async fn apply_counts(&self, journal: &Journal) -> Result<Applied, StoreError> {
        let updates = journal.counts.iter().flat_map(count_updates);
        let outcomes: Vec<(bool, bool)> = futures::stream::iter(updates)
            .map(|update| async move {
                let counter = update.user.is_none();
                Ok::<_, StoreError>((counter, self.count_once(&journal.id, &update).await?))
            })
            .buffer_unordered(MAX_UPDATES_IN_FLIGHT)
            .try_collect()
            .await?;
        let mut applied = Applied {
            write_requests: outcomes.len() as u32,
            ..Applied::default()
        };
        // Subject-days are reported by their counters; user items ride along.
        for (_, added) in outcomes.into_iter().filter(|(counter, _)| *counter) {
            if added {
                applied.counted += 1;
            } else {
                applied.already_counted += 1;
            }
        }
        Ok(applied)
    }

    /// Adds one item's count unless its `seq` names this group. The newest event rides along
    /// when it is newer than the stored one; when it is not, that condition fails and the count
    /// goes alone. Returns whether the count was added.
    async fn count_once(&self, group: &str, update: &CountUpdate) -> Result<bool, StoreError> {
        if let Some(last) = &update.last
            && self.add_count(group, update, Some(last)).await?
        {
            return Ok(true);
        }
        self.add_count(group, update, None).await
    }

    async fn add_count(
        &self,
        group: &str,
        update: &CountUpdate,
        last: Option<&str>,
    ) -> Result<bool, StoreError> {
        let kind = update.day.kind;
        let once = "(attribute_not_exists(seq) OR seq <> :g)";
        let mut set = "ADD #count :n SET #id = :id, #day = :day, seq = :g".to_string();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.events_table)
            .set_key(Some(self.scope_item(update.key.clone())))
            .expression_attribute_names("#count", kind.count_attr())
            .expression_attribute_names("#id", kind.id_attr())
            .expression_attribute_names("#day", "day")
            .expression_attribute_values(":n", n(update.count))
            .expression_attribute_values(":g", s(group))
            .expression_attribute_values(":id", s(&update.day.id))
            .expression_attribute_values(":day", s(&update.day.day));
        if let Some(user) = &update.user {
            set.push_str(", #user = :user");
            request = request
                .expression_attribute_names("#user", "user")
                .expression_attribute_values(":user", s(user));
        }
        request = match last {
            Some(last) => request
                .update_expression(format!("{set}, #last = :t"))
                .condition_expression(format!(
                    "{once} AND (attribute_not_exists(#last) OR #last < :t)"
                ))
                .expression_attribute_names("#last", kind.last_attr())
                .expression_attribute_values(":t", s(last)),
            None => request.update_expression(set).condition_expression(once),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(err) if is_conditional_failure(&err) => {
                if last.is_none() {
                    tracing::info!(group, id = %update.day.id, day = %update.day.day, user = ?update.user, "already counted by an earlier attempt of its group");
                }
                Ok(false)
            }
            Err(err) => Err(StoreError::from_sdk("UpdateItem", &self.events_table, err)),
        }
    }

    /// Puts the conversation items this run has not put yet. Returns the write requests sent.
    async fn put_conversations(
        &self,
        contribution: &Contribution,
        written: &Written,
    ) -> Result<u32, StoreError> {
        let fresh: Vec<(DayKey, String)> = contribution
            .days
            .iter()
            .flat_map(|(day, part)| part.conversations.iter().map(move |c| (day, c)))
            .filter(|(day, conversation)| !written.has_member(day, conversation))
            .map(|(day, conversation)| (day.clone(), conversation.clone()))
            .collect();
        if fresh.is_empty() {
            return Ok(0);
        }
        let items = fresh.iter().map(|(day, conversation)| {
            let mut item = day.conversation_key(conversation);
            item.insert("agent_id".into(), s(&day.id));
            item.insert("day".into(), s(&day.day));
            item.insert("conversation".into(), s(conversation));
            item
        });
        let requests = self.put_all(&self.events_table, items).await?;
        written.add_members(fresh);
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
        for ((kind, id), facts) in &contribution.facts {
            updates.extend(MaxUpdate::facts(*kind, id, facts));
        }
        for (env, (at, name)) in &contribution.environments {
            updates.push(MaxUpdate::environment_name(env, at, name));
        }
        updates.retain(|u| !written.has_max(&u.memo, &u.memo_value()));
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
        let (compare, memo) = (if update.older { ">" } else { "<" }, update.memo_value());
        let mut request = self
            .client
            .update_item()
            .table_name(&self.events_table)
            .set_key(Some(self.scope_item(update.key)))
            .update_expression(format!("SET {attr} = :t, {}", update.set))
            .condition_expression(format!(
                "attribute_not_exists({attr}) OR {attr} {compare} :t"
            ))
            .expression_attribute_values(":t", s(&update.time));
        for (name, value) in update.values {
            request = request.expression_attribute_values(name, value);
        }
        for (placeholder, name) in update.names {
            request = request.expression_attribute_names(placeholder, name);
        }
        match request.send().await {
            Ok(_) => {}
            // Already as new (or as old) or more: the answer, not an error.
            Err(err) if is_conditional_failure(&err) => {}
            Err(err) => return Err(StoreError::from_sdk("UpdateItem", &self.events_table, err)),
        }
        written.raise_max(&update.memo, &memo);
        Ok(1)
    }
}

/// The counter update of a journal count (when it counts anything) and one per user.
fn count_updates(count: &JournalCount) -> impl Iterator<Item = CountUpdate> + '_ {
    let day = count.day_key();
    let counter = (count.launches > 0).then(|| CountUpdate {
        key: day.counter_key(),
        day: day.clone(),
        count: count.launches,
        last: count.last_launch.clone(),
        user: None,
    });
    let users = count.users.iter().map(move |user| CountUpdate {
        key: day.user_key(&user.0),
        day: day.clone(),
        count: user.1,
        last: user.2.clone(),
        user: Some(user.0.clone()),
    });
    counter.into_iter().chain(users)
}

/// One "only if newer" update: `SET {time_attr} = :t, {set}` when the stored time is older (or,
/// with `older`, when it is newer: the oldest creation).
struct MaxUpdate {
    key: Item,
    time_attr: &'static str,
    time: String,
    older: bool,
    set: &'static str,
    values: Vec<(&'static str, AttributeValue)>,
    names: Vec<(&'static str, &'static str)>,
    /// Names the maximum in [`Written`].
    memo: String,
}

impl MaxUpdate {
    /// What [`Written`] remembers: a maximum, so an "only if older" time is kept with each byte
    /// mirrored (timestamps are one length, so the mirror sorts in reverse).
    fn memo_value(&self) -> String {
        if self.older {
            self.time
                .bytes()
                .map(|b| char::from(b'~' - b.min(b'~')))
                .collect()
        } else {
            self.time.clone()
        }
    }

    fn facts(kind: Kind, id: &str, facts: &Facts) -> Vec<MaxUpdate> {
        let update = |time_attr, time: &str, set, extra: Vec<(&'static str, AttributeValue)>| {
            let mut values = vec![(":id", s(id))];
            values.extend(extra);
            let mut names = vec![("#id", kind.id_attr())];
            if set_names_the_name(set) {
                names.push(("#name", kind.name_attr()));
            }
            MaxUpdate {
                key: facts_key(kind, id),
                time_attr,
                time: time.to_string(),
                older: false,
                set,
                values,
                names,
                memo: format!("{}#{id}#{time_attr}", kind.sort_prefix()),
            }
        };
        let mut updates = Vec::new();
        if let Some(last) = &facts.last {
            let (set, extra) = match &facts.bot_id {
                Some(bot) => ("#id = :id, bot_id = :bot", vec![(":bot", s(bot))]),
                None => ("#id = :id", Vec::new()),
            };
            updates.push(update(kind.facts_last_attr(), last, set, extra));
        }
        if let Some((at, name)) = &facts.name {
            let set = "#id = :id, #name = :name";
            updates.push(update("name_time", at, set, vec![(":name", s(name))]));
        }
        if let Some((at, env)) = &facts.environment {
            let set = "#id = :id, environment_id = :env";
            updates.push(update("environment_time", at, set, vec![(":env", s(env))]));
        }
        if let Some(at) = &facts.deleted_at {
            updates.push(update("deleted_at", at, "#id = :id", Vec::new()));
        }
        if let Some(at) = &facts.created {
            let mut created = update("created", at, "#id = :id", Vec::new());
            created.older = true;
            updates.push(created);
        }
        updates
    }

    fn environment_name(env: &str, at: &str, name: &str) -> MaxUpdate {
        MaxUpdate {
            key: environment_key(env),
            time_attr: "name_time",
            time: at.to_string(),
            older: false,
            set: "environment_id = :env, environment_name = :name",
            values: vec![(":env", s(env)), (":name", s(name))],
            names: Vec::new(),
            memo: format!("ENV#{env}"),
        }
    }
}

fn set_names_the_name(set: &str) -> bool {
    set.contains("#name")
}
