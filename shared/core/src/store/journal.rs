//! The summary journal: what a group of stored blobs adds to the launch counters, and the
//! ledger entries that settle them, written before either is applied.
//!
//! A group's counts go to many counters, one UpdateItem each, and then its blobs go to the
//! ledger. A crash between those writes must neither lose nor repeat a count. So the group is
//! first written as one journal item (state table, `JOURNAL` / group id), then each counter is
//! updated with the group's id as its `seq`, only if its `seq` is not that id already, then the
//! ledger is written, and the journal item is deleted last. A run that finds a journal item
//! finishes it first (the `seq` check skips counters already done), before it lists anything,
//! and no new group starts while one is unfinished: so a counter's `seq` names the only group
//! that could still be applied to it, and a replay adds each count once.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::gzip::gzip_within;
use super::{Item, LedgerEntry, Store, StoreError, get_s, s};

const PARTITION: &str = "JOURNAL";
/// A journal item's compressed body stays well inside DynamoDB's 400 KB item limit.
const MAX_BODY_BYTES: usize = 350 * 1024;

/// One group of blobs, as journalled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Unique per group: the counters' `seq` names it.
    pub id: String,
    /// The launch counts to add, per app-day.
    pub counts: Vec<JournalCount>,
    /// The ledger entries of the group's blobs.
    pub ledger: Vec<LedgerEntry>,
}

/// One app-day's part of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalCount {
    /// The app.
    pub app_id: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Launches to add.
    pub launches: u64,
    /// The newest of them.
    pub last_launch: Option<String>,
}

impl Store {
    /// Writes the journal item of a group.
    pub async fn write_journal(&self, journal: &Journal) -> Result<(), StoreError> {
        let body = serde_json::to_vec(journal).expect("a journal serializes");
        let gz = gzip_within(&body, MAX_BODY_BYTES).ok_or_else(|| StoreError::Corrupt {
            table: self.state_table.clone(),
            key: format!("{PARTITION}/{}", journal.id),
            detail: format!(
                "the group's journal does not fit in one item ({} bytes before compression)",
                body.len()
            ),
        })?;
        self.client
            .put_item()
            .table_name(&self.state_table)
            .item("pk", s(PARTITION))
            .item("sk", s(&journal.id))
            .item("body_gz", AttributeValue::B(Blob::new(gz)))
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("PutItem", &self.state_table, err))?;
        Ok(())
    }

    /// The journal items left by runs that stopped before finishing a group.
    pub async fn unfinished_journals(&self) -> Result<Vec<Journal>, StoreError> {
        let items = self
            .query_partition(&self.state_table, PARTITION, None, None)
            .await?;
        items.iter().map(|item| self.read_journal(item)).collect()
    }

    fn read_journal(&self, item: &Item) -> Result<Journal, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt {
            table: self.state_table.clone(),
            key: format!("{PARTITION}/{}", get_s(item, "sk").unwrap_or("?")),
            detail,
        };
        let gz = item
            .get("body_gz")
            .and_then(|v| v.as_b().ok())
            .ok_or_else(|| corrupt("no body_gz".into()))?;
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_ref()), &mut body)
            .map_err(|err| corrupt(format!("the body does not decompress: {err}")))?;
        serde_json::from_slice(&body)
            .map_err(|err| corrupt(format!("the body does not parse: {err}")))
    }

    /// Deletes a finished group's journal item.
    pub async fn delete_journal(&self, id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.state_table)
            .key("pk", s(PARTITION))
            .key("sk", s(id))
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("DeleteItem", &self.state_table, err))?;
        Ok(())
    }
}
