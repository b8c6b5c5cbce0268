//! Applying one blob's contribution to the summaries, exactly once however often the blob is
//! processed:
//!
//! 1. the launch counts, each in a transaction with a marker `APPLIED#{content id}` /
//!    `{app}#{day}` that must not exist yet: a second attempt finds the marker (first by one
//!    Query of the blob's markers, and in any case by the condition) and adds nothing;
//! 2. the user items, plain puts (the same user twice is one item);
//! 3. the newest launch of each app-day and the per-app facts, "only if newer" updates.
//!
//! Steps 2 and 3 are idempotent by nature, so they need no marker, and any crash between any
//! two writes leaves a state the blob's next attempt completes (docs/data-model.md).

use std::collections::HashSet;
use std::time::Instant;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use futures::{StreamExt, TryStreamExt};
use time::OffsetDateTime;

use super::contribution::{AppFacts, Contribution, Written};
use super::usage::{AppDay, app_facts_key};
use super::{Item, Store, StoreError, is_conditional_failure, n, s};

/// App-days per transaction: two items each (marker and counter), DynamoDB's limit being 100.
const PAIRS_PER_TRANSACTION: usize = 50;
/// "Only if newer" updates in flight at once for one blob.
const MAX_UPDATES_IN_FLIGHT: usize = 8;

/// What applying a contribution did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// App-days whose launch counts this call added.
    pub counted: u64,
    /// App-days already counted by an earlier attempt of the same blob (the marker existed).
    pub already_counted: u64,
    /// Write requests sent: transactions, user batches, conditional updates.
    pub write_requests: u32,
}

impl Store {
    /// Applies `contribution` of the blob `content_id`; the markers expire at `expires` (after
    /// which the blob cannot be listed again, so no attempt can need them).
    pub async fn apply_contribution(
        &self,
        content_id: &str,
        expires: OffsetDateTime,
        contribution: &Contribution,
        written: &Written,
    ) -> Result<Applied, StoreError> {
        let mut applied = Applied::default();
        let mut pairs: Vec<(&AppDay, u64)> = contribution
            .days
            .iter()
            .filter(|(_, part)| !part.owned.is_empty())
            .map(|(day, part)| (day, part.owned.len() as u64))
            .collect();
        if !pairs.is_empty() {
            let marked = self.markers_of(content_id).await?;
            let before = pairs.len();
            pairs.retain(|(day, _)| !marked.contains(&day.marker_sk()));
            applied.already_counted = (before - pairs.len()) as u64;
        }
        for chunk in pairs.chunks(PAIRS_PER_TRANSACTION) {
            self.count_once(content_id, expires, chunk.to_vec(), &mut applied)
                .await?;
        }
        applied.write_requests += self.put_users(contribution, written).await?;
        applied.write_requests += self.raise_maxima(contribution, written).await?;
        Ok(applied)
    }

    /// The app-days an earlier attempt of the blob counted (none for a first attempt). Reading
    /// them first spares a re-run the cancelled transaction, billed like a write; the marker's
    /// condition stays what guarantees a single count.
    async fn markers_of(&self, content_id: &str) -> Result<HashSet<String>, StoreError> {
        let items = self
            .query_partition(
                &self.state_table,
                &format!("APPLIED#{content_id}"),
                None,
                Some("sk"),
            )
            .await?;
        Ok(items
            .iter()
            .filter_map(|item| super::get_s(item, "sk"))
            .map(str::to_string)
            .collect())
    }

    /// One transaction of markers and counts, retried without the pairs whose marker exists,
    /// and with backoff while DynamoDB reports conflicts or throttling.
    async fn count_once(
        &self,
        content_id: &str,
        expires: OffsetDateTime,
        mut pairs: Vec<(&AppDay, u64)>,
        applied: &mut Applied,
    ) -> Result<(), StoreError> {
        let started = Instant::now();
        let mut attempt = 0;
        while !pairs.is_empty() {
            attempt += 1;
            applied.write_requests += 1;
            let items = pairs
                .iter()
                .flat_map(|(day, launches)| {
                    [
                        self.marker_put(content_id, day, *launches, expires),
                        self.counter_add(day, *launches),
                    ]
                })
                .collect();
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            let codes = match result {
                Ok(_) => {
                    applied.counted += pairs.len() as u64;
                    return Ok(());
                }
                Err(err) => self.cancellation_codes(err)?,
            };
            let (left, already) =
                sort_out(pairs, &codes).map_err(|reason| StoreError::TransactionCancelled {
                    table: self.events_table.clone(),
                    reason,
                })?;
            tracing::info!(
                content_id,
                already,
                left = left.len(),
                ?codes,
                "summary transaction cancelled"
            );
            applied.already_counted += already;
            pairs = left;
            if already == 0 {
                self.back_off(attempt, started, pairs.len()).await?;
            }
        }
        Ok(())
    }

    /// The reason codes of a cancelled transaction, one per item; any other failure is an error.
    fn cancellation_codes<R: std::fmt::Debug>(
        &self,
        err: SdkError<TransactWriteItemsError, R>,
    ) -> Result<Vec<Option<String>>, StoreError> {
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            err.as_service_error()
        {
            return Ok(cancelled
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().map(str::to_string))
                .collect());
        }
        Err(StoreError::from_sdk(
            "TransactWriteItems",
            &self.events_table,
            err,
        ))
    }

    async fn back_off(
        &self,
        attempt: u32,
        started: Instant,
        left: usize,
    ) -> Result<(), StoreError> {
        match self.retry.next_delay(attempt, started.elapsed(), None) {
            Some(delay) => {
                tokio::time::sleep(delay).await;
                Ok(())
            }
            None => Err(StoreError::Unprocessed {
                table: self.events_table.clone(),
                left,
                attempts: attempt,
            }),
        }
    }

    fn marker_put(
        &self,
        content_id: &str,
        day: &AppDay,
        launches: u64,
        expires: OffsetDateTime,
    ) -> TransactWriteItem {
        let put = Put::builder()
            .table_name(&self.state_table)
            .item("pk", s(format!("APPLIED#{content_id}")))
            .item("sk", s(day.marker_sk()))
            .item("launches", n(launches))
            .item("expires_at", n(expires.unix_timestamp()))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .expect("table and item are set");
        TransactWriteItem::builder().put(put).build()
    }

    fn counter_add(&self, day: &AppDay, launches: u64) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(&self.events_table)
            .set_key(Some(day.counter_key()))
            .update_expression("ADD launches :n SET app_id = :app, #day = :day")
            .expression_attribute_names("#day", "day")
            .expression_attribute_values(":n", n(launches))
            .expression_attribute_values(":app", s(&day.app_id))
            .expression_attribute_values(":day", s(&day.day))
            .build()
            .expect("table, key and expression are set");
        TransactWriteItem::builder().update(update).build()
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

/// Reason codes that only say "try again".
const TRANSIENT: [&str; 4] = [
    "TransactionConflict",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
    "RequestLimitExceeded",
];

/// Splits the pairs of a cancelled transaction: those whose marker already exists are done
/// (counted by an earlier attempt); the rest are to be sent again. `codes` has one entry per
/// item, marker then counter for each pair. Any code other than "none", an existing marker or a
/// transient one is returned as the error.
fn sort_out<T>(pairs: Vec<T>, codes: &[Option<String>]) -> Result<(Vec<T>, u64), String> {
    if codes.len() != pairs.len() * 2 {
        return Err(format!(
            "{} cancellation reasons for {} items",
            codes.len(),
            pairs.len() * 2
        ));
    }
    if let Some(odd) = codes.iter().enumerate().find_map(|(i, code)| {
        let code = code.as_deref().unwrap_or("None");
        let expected = code == "None"
            || TRANSIENT.contains(&code)
            || (i % 2 == 0 && code == "ConditionalCheckFailed");
        (!expected).then(|| code.to_string())
    }) {
        return Err(odd);
    }
    let mut left = Vec::new();
    let mut already = 0;
    for (i, pair) in pairs.into_iter().enumerate() {
        if codes[2 * i].as_deref() == Some("ConditionalCheckFailed") {
            already += 1;
        } else {
            left.push(pair);
        }
    }
    Ok((left, already))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(list: &[&str]) -> Vec<Option<String>> {
        list.iter().map(|c| Some(c.to_string())).collect()
    }

    #[test]
    fn pairs_with_a_marker_are_dropped_and_the_rest_sent_again() {
        let (left, already) = sort_out(
            vec!["a", "b", "c"],
            &codes(&[
                "None",
                "None",
                "ConditionalCheckFailed",
                "None",
                "None",
                "None",
            ]),
        )
        .unwrap();
        assert_eq!((left, already), (vec!["a", "c"], 1));
    }

    #[test]
    fn a_conflict_keeps_every_pair_for_a_retry() {
        let (left, already) =
            sort_out(vec!["a"], &[None, Some("TransactionConflict".into())]).unwrap();
        assert_eq!((left, already), (vec!["a"], 0));
    }

    #[test]
    fn anything_else_is_an_error() {
        assert_eq!(
            sort_out(vec!["a"], &codes(&["None", "ValidationError"])).unwrap_err(),
            "ValidationError"
        );
        // The counter has no condition: a failed one is not an existing marker.
        assert!(sort_out(vec!["a"], &codes(&["None", "ConditionalCheckFailed"])).is_err());
        assert!(sort_out(vec!["a"], &codes(&["None"])).is_err());
    }
}
