//! DynamoDB storage. Two tables, both defined once in `infra/template.yaml`:
//!
//! * the **events table** (`AUDIT_LOGS_TABLE`) holds the events and the usage summaries;
//! * the **state table** (`AUDIT_LOGS_STATE_TABLE`) holds the sync's own bookkeeping:
//!   watermarks, the ledger of processed blobs (expiring with TTL) and the run lock.
//!
//! The key layout is described in docs/data-model.md.

mod apply;
mod contribution;
mod events;
mod gzip;
mod journal;
mod locks;
mod retry;
mod spread;
mod state;
mod subject;
mod tenants;
mod usage;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use futures::{StreamExt, TryStreamExt};

pub use apply::Applied;
pub use contribution::{Contribution, DayPart, Facts, UserPart, Written, user_of};
pub use events::{
    EVENT_SK_PREFIX, EventItems, EventKey, FIELD_MAX_BYTES, ITEM_BUDGET_BYTES, NO_APP,
    RAW_PART_BYTES, RAW_PART_SK_PREFIX, StoredBatch, WriteOutcome, day_of, event_items, event_key,
    item_bytes, raw_record,
};
pub use journal::{Journal, JournalCount, JournalUser};
pub use locks::{KEY_STRIPES, KeyLocks};
pub use retry::{RETRIES_PER_RUN, RetryEntry};
pub use spread::{
    EVENT_BUCKETS, SUMMARY_BUCKETS, USER_BUCKETS, app_bucket, event_bucket, fnv1a64, user_bucket,
};
pub use state::{LedgerEntry, LedgerStatus, Lock, SweepRecord};
pub use subject::{DayKey, Kind};
pub use tenants::TENANTS_PK;
pub use usage::{DaySummary, SubjectFacts, UserDay};

use crate::retry::RetryPolicy;

/// DynamoDB takes at most 25 writes per BatchWriteItem and 100 keys per BatchGetItem.
pub const BATCH_WRITE_MAX: usize = 25;
/// The most keys one BatchGetItem reads.
pub const BATCH_GET_MAX: usize = 100;
/// BatchWriteItem requests of one call in flight at once.
const WRITES_IN_FLIGHT: usize = 4;

/// A DynamoDB item or key: attribute names and their values.
pub type Item = HashMap<String, AttributeValue>;

/// Why a DynamoDB call failed; every message names the table.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The table does not exist in the function's account and region: the stack is not deployed
    /// there, or `AUDIT_LOGS_TABLE` / `AUDIT_LOGS_STATE_TABLE` names another.
    #[error(
        "the DynamoDB table {table:?} does not exist: deploy infra/template.yaml, or create it with \
         `make tables`, or fix the table variable"
    )]
    MissingTable {
        /// The table's name.
        table: String,
    },
    /// Any other DynamoDB failure, after the SDK's own retries: throttling that outlasted 8
    /// attempts, missing permissions in the function's role, no network.
    #[error("DynamoDB {operation} on {table:?} failed: {detail}")]
    Dynamo {
        /// The DynamoDB operation, e.g. `BatchWriteItem` or `Query`.
        operation: &'static str,
        /// The table's name.
        table: String,
        /// What the SDK reported, with the service's error code.
        detail: String,
    },
    /// DynamoDB left writes or key reads unprocessed (throttling) through every retry of the
    /// store's own backoff (10 attempts, 120 s at most); the next run tries again.
    #[error(
        "DynamoDB kept {left} of the writes to {table:?} unprocessed after {attempts} attempts (throttled)"
    )]
    Unprocessed {
        /// The table's name.
        table: String,
        /// Writes or keys still unprocessed at the end.
        left: usize,
        /// Batch requests sent, the first one included.
        attempts: u32,
    },
    /// A group of stored blobs could not be finished earlier in this run: no other may be
    /// applied until the next run finishes it (from its journal).
    #[error(
        "an earlier group of stored blobs in this run could not be finished; the next run \
         finishes it first, and these blobs are processed again then"
    )]
    GroupUnfinished,
    /// A stored item cannot be read back, e.g. a watermark that is not a time: something other
    /// than this product wrote it. Fix the item named, or delete it (without its watermark, a
    /// content type starts again from the initial lookback).
    #[error("the stored item {key} in {table:?} is not in the expected shape: {detail}")]
    Corrupt {
        /// The table's name.
        table: String,
        /// The item's key, e.g. `WATERMARK/Audit.General`.
        key: String,
        /// What is wrong with it.
        detail: String,
    },
}

impl StoreError {
    fn from_sdk<E, R>(operation: &'static str, table: &str, err: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        if let SdkError::ServiceError(service) = &err
            && service.err().code() == Some("ResourceNotFoundException")
        {
            return StoreError::MissingTable {
                table: table.to_string(),
            };
        }
        StoreError::Dynamo {
            operation,
            table: table.to_string(),
            detail: DisplayErrorContext(&err).to_string(),
        }
    }
}

/// Both tables and the client that reaches them.
#[derive(Debug, Clone)]
pub struct Store {
    client: Client,
    events_table: String,
    state_table: String,
    retry: RetryPolicy,
    /// Event items expire this long after their `CreationTime` (TTL); `None`: kept for good.
    event_retention: Option<time::Duration>,
    /// Put before every partition key this store reads or writes: empty for the tenant the
    /// variables configure (the single-tenant layout), `T#{tenant}#` for a registered one.
    scope: String,
}

impl Store {
    /// The same store, writing event items that expire `retention` after their
    /// `CreationTime` (`AUDIT_LOGS_EVENT_RETENTION_DAYS`); `None` keeps them for good.
    pub fn with_event_retention(mut self, retention: Option<time::Duration>) -> Store {
        self.event_retention = retention;
        self
    }

    /// The store over `events_table` and `state_table`, with a client from `sdk` that retries
    /// throttling itself (8 attempts).
    pub fn new(sdk: &aws_config::SdkConfig, events_table: &str, state_table: &str) -> Store {
        // The SDK retries throttling itself; a few more attempts than its default of three
        // ride out the bursts an on-demand table shows while it scales.
        let config = aws_sdk_dynamodb::config::Builder::from(sdk)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(8))
            .build();
        Store {
            client: Client::from_conf(config),
            events_table: events_table.to_string(),
            state_table: state_table.to_string(),
            retry: RetryPolicy {
                max_attempts: 10,
                base_delay: Duration::from_millis(50),
                max_delay: Duration::from_secs(5),
                max_total: Duration::from_secs(120),
            },
            event_retention: None,
            scope: String::new(),
        }
    }

    /// The same tables, seen as one registered tenant's: every partition key it reads or
    /// writes begins `T#{tenant}#`, so no read of one tenant can meet another's items.
    pub fn for_tenant(&self, tenant_id: &str) -> Store {
        Store {
            scope: tenant_scope(tenant_id),
            ..self.clone()
        }
    }

    /// The prefix of this store's partition keys; empty for the variables' tenant.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// `pk` as stored: with this store's tenant prefix.
    pub(crate) fn scoped(&self, pk: &str) -> String {
        format!("{}{pk}", self.scope)
    }

    /// An item or key with its `pk` given this store's tenant prefix.
    pub(crate) fn scope_item(&self, mut item: Item) -> Item {
        if !self.scope.is_empty()
            && let Some(AttributeValue::S(pk)) = item.get_mut("pk")
        {
            pk.insert_str(0, &self.scope);
        }
        item
    }

    /// An item read back, its `pk` as the rest of the store builds it (without the prefix).
    fn unscope_item(&self, mut item: Item) -> Item {
        if !self.scope.is_empty()
            && let Some(AttributeValue::S(pk)) = item.get_mut("pk")
            && pk.starts_with(&self.scope)
        {
            pk.drain(..self.scope.len());
        }
        item
    }

    fn scope_write(&self, write: WriteRequest) -> WriteRequest {
        if self.scope.is_empty() {
            return write;
        }
        let (put, delete) = (write.put_request, write.delete_request);
        let mut scoped = WriteRequest::builder();
        if let Some(put) = put {
            let item = self.scope_item(put.item);
            scoped = scoped.put_request(
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .expect("the item is set"),
            );
        }
        if let Some(delete) = delete {
            let key = self.scope_item(delete.key);
            scoped = scoped.delete_request(
                DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .expect("the key is set"),
            );
        }
        scoped.build()
    }

    /// The events table's name (`AUDIT_LOGS_TABLE`).
    pub fn events_table(&self) -> &str {
        &self.events_table
    }

    /// The state table's name (`AUDIT_LOGS_STATE_TABLE`).
    pub fn state_table(&self) -> &str {
        &self.state_table
    }

    /// The DynamoDB client both tables are reached with.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Writes up to 25 requests with BatchWriteItem, retrying `UnprocessedItems` with backoff.
    /// Returns the number of requests sent.
    async fn batch_write(
        &self,
        table: &str,
        mut requests: Vec<WriteRequest>,
    ) -> Result<u32, StoreError> {
        debug_assert!(requests.len() <= BATCH_WRITE_MAX);
        let started = std::time::Instant::now();
        let mut sent = 0;
        let mut attempt = 0;
        while !requests.is_empty() {
            attempt += 1;
            sent += 1;
            let output = self
                .client
                .batch_write_item()
                .request_items(table, requests)
                .send()
                .await
                .map_err(|err| StoreError::from_sdk("BatchWriteItem", table, err))?;
            requests = output
                .unprocessed_items
                .and_then(|mut left| left.remove(table))
                .unwrap_or_default();
            if requests.is_empty() {
                break;
            }
            match self.retry.next_delay(attempt, started.elapsed(), None) {
                Some(delay) => {
                    tracing::debug!(
                        left = requests.len(),
                        ?delay,
                        table,
                        "unprocessed writes, retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
                None => {
                    return Err(StoreError::Unprocessed {
                        table: table.to_string(),
                        left: requests.len(),
                        attempts: attempt,
                    });
                }
            }
        }
        Ok(sent)
    }

    /// Puts any number of items, 25 per BatchWriteItem. Returns the requests sent.
    async fn put_all(
        &self,
        table: &str,
        items: impl IntoIterator<Item = Item>,
    ) -> Result<u32, StoreError> {
        let writes = items.into_iter().map(|item| {
            let put = PutRequest::builder()
                .set_item(Some(item))
                .build()
                .expect("the item is set");
            WriteRequest::builder().put_request(put).build()
        });
        self.write_all(table, writes).await
    }

    /// Sends the writes 25 to a request, a few requests at once. The writes are drawn from the
    /// iterator as requests go out, so a group's thousands of user items are never all built
    /// at once.
    async fn write_all(
        &self,
        table: &str,
        writes: impl Iterator<Item = WriteRequest>,
    ) -> Result<u32, StoreError> {
        let mut writes = writes.map(|write| self.scope_write(write));
        let batches = std::iter::from_fn(move || {
            let batch: Vec<WriteRequest> = writes.by_ref().take(BATCH_WRITE_MAX).collect();
            (!batch.is_empty()).then_some(batch)
        });
        futures::stream::iter(batches)
            .map(|batch| self.batch_write(table, batch))
            .buffer_unordered(WRITES_IN_FLIGHT)
            .try_fold(0, |sum, sent| async move { Ok(sum + sent) })
            .await
    }

    /// Reads up to 100 keys with BatchGetItem (only the attributes of `projection`), retrying
    /// `UnprocessedKeys`. Returns the items that exist.
    async fn batch_get(
        &self,
        table: &str,
        keys: Vec<Item>,
        projection: &str,
    ) -> Result<Vec<Item>, StoreError> {
        debug_assert!(keys.len() <= BATCH_GET_MAX);
        let started = std::time::Instant::now();
        let mut found = Vec::new();
        let mut pending: Vec<Item> = keys.into_iter().map(|k| self.scope_item(k)).collect();
        let mut attempt = 0;
        while !pending.is_empty() {
            attempt += 1;
            let request = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .projection_expression(projection)
                .consistent_read(true)
                .build()
                .expect("keys are set");
            let output = self
                .client
                .batch_get_item()
                .request_items(table, request)
                .send()
                .await
                .map_err(|err| StoreError::from_sdk("BatchGetItem", table, err))?;
            if let Some(mut responses) = output.responses {
                let items = responses.remove(table).unwrap_or_default();
                found.extend(items.into_iter().map(|item| self.unscope_item(item)));
            }
            pending = output
                .unprocessed_keys
                .and_then(|mut left| left.remove(table))
                .map(|k| k.keys)
                .unwrap_or_default();
            if pending.is_empty() {
                break;
            }
            match self.retry.next_delay(attempt, started.elapsed(), None) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => {
                    return Err(StoreError::Unprocessed {
                        table: table.to_string(),
                        left: pending.len(),
                        attempts: attempt,
                    });
                }
            }
        }
        Ok(found)
    }

    /// All items of one partition (optionally a sort-key range), strongly consistent.
    async fn query_partition(
        &self,
        table: &str,
        pk: &str,
        sk_range: Option<(&str, &str)>,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(table)
            .consistent_read(true)
            .expression_attribute_values(":pk", AttributeValue::S(self.scoped(pk)));
        query = match sk_range {
            Some((from, to)) => query
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":from", AttributeValue::S(from.to_string()))
                .expression_attribute_values(":to", AttributeValue::S(to.to_string())),
            None => query.key_condition_expression("pk = :pk"),
        };
        if let Some(projection) = projection {
            query = query.projection_expression(projection);
        }
        let mut pages = query.into_paginator().items().send();
        let mut items = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|err| StoreError::from_sdk("Query", table, err))?;
            items.push(self.unscope_item(item));
        }
        Ok(items)
    }
}

/// The partition-key prefix of a registered tenant's items.
pub fn tenant_scope(tenant_id: &str) -> String {
    format!("T#{tenant_id}#")
}

/// A conditional write that found its condition false: for "only if newer" writes and locks,
/// an answer, not an error.
pub(crate) fn is_conditional_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.as_service_error().and_then(|e| e.code()) == Some("ConditionalCheckFailedException")
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

pub(crate) fn get_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod scope_tests {
    use super::*;

    fn store() -> Store {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        Store::new(&sdk, "events", "state")
    }

    fn key(pk: &str) -> Item {
        Item::from([("pk".into(), s(pk)), ("sk".into(), s("x"))])
    }

    #[test]
    fn a_tenants_keys_carry_its_prefix_and_read_back_without_it() {
        let single = store();
        assert_eq!(single.scoped("LOCK"), "LOCK");
        assert_eq!(single.scope_item(key("DAY#1")), key("DAY#1"));

        let tenant = single.for_tenant("0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e");
        let stored = tenant.scope_item(key("DAY#1"));
        assert_eq!(
            get_s(&stored, "pk"),
            Some("T#0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e#DAY#1")
        );
        assert_eq!(get_s(&stored, "sk"), Some("x"), "only the partition key");
        assert_eq!(tenant.unscope_item(stored), key("DAY#1"));

        let put = WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(key("EV#1")))
                    .build()
                    .unwrap(),
            )
            .build();
        let delete = WriteRequest::builder()
            .delete_request(
                DeleteRequest::builder()
                    .set_key(Some(key("RETRY#1")))
                    .build()
                    .unwrap(),
            )
            .build();
        let put = tenant.scope_write(put).put_request.unwrap().item;
        let delete = tenant.scope_write(delete).delete_request.unwrap().key;
        assert!(get_s(&put, "pk").unwrap().starts_with("T#0b5d3e7a"));
        assert!(get_s(&delete, "pk").unwrap().starts_with("T#0b5d3e7a"));
    }
}
