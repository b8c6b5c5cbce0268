//! The sync's bookkeeping in the state table: watermarks, the ledger of processed blobs, and the
//! lock that keeps runs from overlapping.

use std::collections::HashSet;

use time::OffsetDateTime;

use super::{Item, Store, StoreError, get_s, is_conditional_failure, n, s};
use audit_records::{UtcStyle, format_utc};

use crate::api::parse_api_time;

/// How long a ledger entry outlives its blob's `contentExpiration`: past that the API cannot
/// list the blob again, so the entry has nothing left to decide.
pub(crate) const LEDGER_GRACE: time::Duration = time::Duration::days(1);

/// How a blob was settled, as its ledger entry's `status` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LedgerStatus {
    /// Every record was stored.
    Done,
    /// The API said the blob is gone (AF20050/AF20051/AF20052): counted, never retried.
    Gone,
    /// The blob failed on every attempt until its content expired: its events are lost, and the
    /// run that found it so reported its content id.
    Lost,
}

impl LedgerStatus {
    fn as_str(self) -> &'static str {
        match self {
            LedgerStatus::Done => "done",
            LedgerStatus::Gone => "gone",
            LedgerStatus::Lost => "lost",
        }
    }
}

/// The sweep's bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepRecord {
    /// How far back automatic sweeps reach: where the sync began (the first scheduled run's
    /// start), so a sweep never fetches more than the initial lookback asked for.
    pub since: OffsetDateTime,
    /// When the record was first written: the first sweep is due a period after it.
    pub started: OffsetDateTime,
    /// When the last complete sweep began, if one completed.
    pub last: Option<OffsetDateTime>,
}

/// A settled blob, as recorded in the ledger (`LEDGER#{content type}`): later runs skip it when
/// it is listed again. The entry expires (TTL) a day after the blob's `contentExpiration`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LedgerEntry {
    /// The content type the blob was listed under.
    pub content_type: String,
    /// The blob's `contentId`.
    pub content_id: String,
    /// The blob's `contentCreated`: entries sort by it, so a window's entries are one range Query.
    pub content_created: OffsetDateTime,
    /// The blob's `contentExpiration`, when the listing gave one; the entry's TTL follows it
    /// (without it, 7 days from `contentCreated`).
    pub content_expiration: Option<OffsetDateTime>,
    /// Stored, or gone from the API.
    pub status: LedgerStatus,
    /// Records read from the blob (0 for a gone blob).
    pub records: u64,
    /// Records the operation filter kept.
    pub kept: u64,
    /// Malformed records skipped.
    pub rejected: u64,
}

/// Sort keys order by creation time, so the ledger reads in time order; the key is known from the
/// listing alone, so a blob's entry is read by its key.
pub(super) fn ledger_sk(created: OffsetDateTime, content_id: &str) -> String {
    format!("{}#{content_id}", format_utc(created, UtcStyle::Millis))
}

/// Holds the run lock until released; a crashed holder's lease simply runs out.
#[derive(Debug)]
pub struct Lock {
    /// The run that holds it: the invocation's request id.
    pub owner: String,
}

impl Store {
    /// The stored watermark of `content_type` (`WATERMARK` / the content type in the state table),
    /// or `None` before its first scheduled run.
    pub async fn watermark(
        &self,
        content_type: &str,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let Some(item) = self.state_item("WATERMARK", content_type).await? else {
            return Ok(None);
        };
        let text = get_s(&item, "watermark").unwrap_or_default();
        parse_api_time(text)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt {
                table: self.state_table.clone(),
                key: format!("WATERMARK/{content_type}"),
                detail: format!("watermark {text:?} is not a time"),
            })
    }

    /// One state item, read strongly consistent.
    async fn state_item(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.state_table)
            .key("pk", s(self.scoped(pk)))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("GetItem", &self.state_table, err))?;
        Ok(output.item)
    }

    /// The sweep's record (`SWEEP` / `audit-sync`), if a scheduled run or a sweep wrote one.
    pub async fn sweep_record(&self) -> Result<Option<SweepRecord>, StoreError> {
        let Some(item) = self.state_item("SWEEP", "audit-sync").await? else {
            return Ok(None);
        };
        let time = |name: &str| -> Result<Option<OffsetDateTime>, StoreError> {
            let Some(text) = get_s(&item, name) else {
                return Ok(None);
            };
            parse_api_time(text)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt {
                    table: self.state_table.clone(),
                    key: "SWEEP/audit-sync".into(),
                    detail: format!("{name} {text:?} is not a time"),
                })
        };
        let (since, started) = (time("since")?, time("started")?);
        let (Some(since), Some(started)) = (since, started) else {
            return Err(StoreError::Corrupt {
                table: self.state_table.clone(),
                key: "SWEEP/audit-sync".into(),
                detail: "since or started is missing".into(),
            });
        };
        Ok(Some(SweepRecord {
            since,
            started,
            last: time("at")?,
        }))
    }

    /// Writes the sweep's record: `since` and `started` only if there are none yet, and `last`
    /// (a sweep that completed, begun then), if given.
    pub async fn record_sweep(
        &self,
        since: OffsetDateTime,
        started: OffsetDateTime,
        last: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let mut expression =
            "SET since = if_not_exists(since, :since), started = if_not_exists(started, :started)"
                .to_string();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.state_table)
            .key("pk", s(self.scoped("SWEEP")))
            .key("sk", s("audit-sync"))
            .expression_attribute_values(":since", s(format_utc(since, UtcStyle::Seconds)))
            .expression_attribute_values(":started", s(format_utc(started, UtcStyle::Seconds)));
        if let Some(last) = last {
            expression.push_str(", #at = :at");
            request = request
                .expression_attribute_names("#at", "at")
                .expression_attribute_values(":at", s(format_utc(last, UtcStyle::Seconds)));
        }
        request
            .update_expression(expression)
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("UpdateItem", &self.state_table, err))?;
        Ok(())
    }

    /// Moves the watermark forward; a value older than the stored one is ignored, so a
    /// watermark never goes back.
    pub async fn advance_watermark(
        &self,
        content_type: &str,
        to: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.state_table)
            .item("pk", s(self.scoped("WATERMARK")))
            .item("sk", s(content_type))
            .item("watermark", s(format_utc(to, UtcStyle::Millis)))
            .item(
                "updated_at",
                s(format_utc(OffsetDateTime::now_utc(), UtcStyle::Seconds)),
            )
            .condition_expression("attribute_not_exists(watermark) OR watermark <= :to")
            .expression_attribute_values(":to", s(format_utc(to, UtcStyle::Millis)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_conditional_failure(&err) => Ok(()),
            Err(err) => Err(StoreError::from_sdk("PutItem", &self.state_table, err)),
        }
    }

    /// Which of `blobs` (`contentCreated`, `contentId`) the ledger has as settled (done or
    /// gone): one BatchGetItem per 100, so the cost follows the blobs asked about, never the
    /// ledger's size.
    pub async fn settled_among(
        &self,
        content_type: &str,
        blobs: &[(OffsetDateTime, &str)],
    ) -> Result<HashSet<String>, StoreError> {
        let pk = format!("LEDGER#{content_type}");
        let mut settled = HashSet::new();
        for chunk in blobs.chunks(super::BATCH_GET_MAX) {
            let keys = chunk
                .iter()
                .map(|(created, id)| {
                    Item::from([
                        ("pk".into(), s(&pk)),
                        ("sk".into(), s(ledger_sk(*created, id))),
                    ])
                })
                .collect();
            let found = self.batch_get(&self.state_table, keys, "sk").await?;
            settled.extend(
                found
                    .iter()
                    .filter_map(|item| get_s(item, "sk")?.split_once('#'))
                    .map(|(_, id)| id.to_string()),
            );
        }
        Ok(settled)
    }

    /// Records settled blobs in the ledger, 25 per BatchWriteItem; returns the write requests sent.
    pub async fn record_ledger(&self, entries: &[LedgerEntry]) -> Result<u32, StoreError> {
        let items = entries.iter().map(|entry| {
            let expires = entry
                .content_expiration
                .unwrap_or(entry.content_created + crate::api::RETENTION)
                + LEDGER_GRACE;
            Item::from([
                ("pk".into(), s(format!("LEDGER#{}", entry.content_type))),
                (
                    "sk".into(),
                    s(ledger_sk(entry.content_created, &entry.content_id)),
                ),
                ("content_id".into(), s(&entry.content_id)),
                (
                    "content_created".into(),
                    s(format_utc(entry.content_created, UtcStyle::Millis)),
                ),
                ("status".into(), s(entry.status.as_str())),
                ("records".into(), n(entry.records)),
                ("kept".into(), n(entry.kept)),
                ("rejected".into(), n(entry.rejected)),
                (
                    "processed_at".into(),
                    s(format_utc(OffsetDateTime::now_utc(), UtcStyle::Seconds)),
                ),
                ("expires_at".into(), n(expires.unix_timestamp())),
            ])
        });
        self.put_all(&self.state_table, items).await
    }

    /// Takes the run lock for `lease`, unless another live run holds it. Returns `None` when it
    /// is held; the same owner taking it again renews its lease.
    pub async fn try_lock(
        &self,
        owner: &str,
        lease: std::time::Duration,
    ) -> Result<Option<Lock>, StoreError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let result = self
            .client
            .put_item()
            .table_name(&self.state_table)
            .item("pk", s(self.scoped("LOCK")))
            .item("sk", s("audit-sync"))
            .item("owner", s(owner))
            .item("expires_at", n(now + lease.as_secs() as i64))
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at < :now OR #owner = :owner",
            )
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some(Lock {
                owner: owner.to_string(),
            })),
            Err(err) if is_conditional_failure(&err) => Ok(None),
            Err(err) => Err(StoreError::from_sdk("PutItem", &self.state_table, err)),
        }
    }

    /// Extends a held lock (a heartbeat); false if it was lost.
    pub async fn renew_lock(
        &self,
        lock: &Lock,
        lease: std::time::Duration,
    ) -> Result<bool, StoreError> {
        Ok(self.try_lock(&lock.owner, lease).await?.is_some())
    }

    /// Gives the lock up, unless another run has taken it since; a lock not released frees itself
    /// when its lease ends.
    pub async fn release_lock(&self, lock: Lock) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.state_table)
            .key("pk", s(self.scoped("LOCK")))
            .key("sk", s("audit-sync"))
            .condition_expression("#owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(&lock.owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_conditional_failure(&err) => Ok(()),
            Err(err) => Err(StoreError::from_sdk("DeleteItem", &self.state_table, err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn ledger_keys_sort_in_time_order() {
        let a = ledger_sk(datetime!(2026-11-24 09:59:59.999 UTC), "zzz");
        let b = ledger_sk(datetime!(2026-11-24 10:00:00 UTC), "aaa");
        assert!(a < b, "{a} {b}");
        assert_eq!(
            format_utc(datetime!(2026-01-02 03:04:05.006 UTC), UtcStyle::Millis),
            "2026-01-02T03:04:05.006Z"
        );
    }
}
