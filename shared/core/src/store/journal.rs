//! The summary journal: what a group of stored blobs adds to the counters and user counts, and the
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

use std::collections::BTreeMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::gzip::gzip_within;
use super::subject::{DayKey, Kind};
use super::{Item, LedgerEntry, Store, StoreError, get_n, get_s, n, s};

const PARTITION: &str = "JOURNAL";
/// A journal item's compressed body stays well inside DynamoDB's 400 KB item limit; a larger
/// journal is written as several part items.
const MAX_BODY_BYTES: usize = 350 * 1024;
/// Between a journal's id and its part number in a part item's sort key.
const PART_MARK: &str = "#part";

/// One group of blobs, as journalled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// Unique per group: the counters' `seq` names it.
    pub id: String,
    /// The counts to add, per subject-day.
    pub counts: Vec<JournalCount>,
    /// The ledger entries of the group's blobs.
    pub ledger: Vec<LedgerEntry>,
}

/// A journal's items as read back: how many it was written as, and those found by part number.
#[derive(Default)]
struct Written {
    total: usize,
    parts: BTreeMap<usize, (String, Vec<u8>)>,
}

/// One subject-day's part of a group. The field names are those of the release that journalled
/// app launches only, so a journal it left behind is read as apps without user counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalCount {
    /// What the subject is.
    #[serde(default, skip_serializing_if = "is_app")]
    pub kind: Kind,
    /// The app, agent or flow.
    pub app_id: String,
    /// `YYYY-MM-DD`.
    pub day: String,
    /// What the counter adds (launches, turns, edits); 0 for a flow-day of creations only.
    pub launches: u64,
    /// The newest of them.
    pub last_launch: Option<String>,
    /// Per user: what their user item adds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<JournalUser>,
}

/// One user's count on a subject-day: `[user, count, newest]` in the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalUser(pub String, pub u64, pub Option<String>);

impl JournalCount {
    /// The subject-day counted.
    pub fn day_key(&self) -> DayKey {
        DayKey::new(self.kind, &self.app_id, &self.day)
    }
}

fn is_app(kind: &Kind) -> bool {
    *kind == Kind::App
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(match self {
            Kind::App => "app",
            Kind::Agent => "agent",
            Kind::Flow => "flow",
            Kind::Bot => "bot",
        })
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "app" => Ok(Kind::App),
            "agent" => Ok(Kind::Agent),
            "flow" => Ok(Kind::Flow),
            "bot" => Ok(Kind::Bot),
            other => Err(serde::de::Error::unknown_variant(
                other,
                &["app", "agent", "flow", "bot"],
            )),
        }
    }
}

impl Store {
    /// Writes the journal of a group: one item, or part items `{id}#part{i}` each naming how
    /// many parts there are. A journal is only acted on once all its parts are read back.
    pub async fn write_journal(&self, journal: &Journal) -> Result<usize, StoreError> {
        let body = serde_json::to_vec(journal).expect("a journal serializes");
        let gz = gzip_within(&body, usize::MAX).expect("unbounded output fits");
        if gz.len() <= MAX_BODY_BYTES {
            self.put_journal_item(journal.id.clone(), gz, None).await?;
            return Ok(1);
        }
        let parts: Vec<&[u8]> = gz.chunks(MAX_BODY_BYTES).collect();
        let total = parts.len();
        for (index, part) in parts.into_iter().enumerate() {
            let sk = format!("{}{PART_MARK}{index:04}", journal.id);
            self.put_journal_item(sk, part.to_vec(), Some((index, total)))
                .await?;
        }
        Ok(total)
    }

    async fn put_journal_item(
        &self,
        sk: String,
        body: Vec<u8>,
        part: Option<(usize, usize)>,
    ) -> Result<(), StoreError> {
        let mut request = self
            .client
            .put_item()
            .table_name(&self.state_table)
            .item("pk", s(self.scoped(PARTITION)))
            .item("sk", s(sk))
            .item("body_gz", AttributeValue::B(Blob::new(body)));
        if let Some((index, total)) = part {
            request = request.item("part", n(index)).item("parts", n(total));
        }
        request
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("PutItem", &self.state_table, err))?;
        Ok(())
    }

    /// The journals left by runs that stopped before finishing a group, each with its number of
    /// items (for [`delete_journal`](Self::delete_journal)). Part items of a journal whose
    /// writing was cut off are deleted instead: nothing of that group was counted, and its blobs,
    /// not in the ledger, are processed again.
    pub async fn unfinished_journals(&self) -> Result<Vec<(Journal, usize)>, StoreError> {
        let items = self
            .query_partition(&self.state_table, PARTITION, None, None)
            .await?;
        let mut found: BTreeMap<String, Written> = BTreeMap::new();
        for item in &items {
            let sk = get_s(item, "sk").unwrap_or_default().to_string();
            let body = self.body_of(item)?;
            let number = |name| get_n(item, name).map_or(0, |v| v.max(0) as usize);
            let (id, index, total) = match sk.rsplit_once(PART_MARK) {
                Some((id, _)) if item.contains_key("parts") => {
                    (id.to_string(), number("part"), number("parts"))
                }
                _ => (sk.clone(), 0, 1),
            };
            let entry = found.entry(id).or_default();
            entry.total = total;
            entry.parts.insert(index, (sk, body));
        }
        let mut journals = Vec::new();
        for (id, written) in found {
            let whole = written.parts.len() == written.total
                && written.parts.keys().copied().eq(0..written.total);
            if !whole {
                tracing::warn!(group = %id, parts = written.parts.len(), of = written.total, "deleting a journal whose writing was cut off; its blobs are processed again");
                for (sk, _) in written.parts.into_values() {
                    self.delete_journal_item(sk).await?;
                }
                continue;
            }
            let gz: Vec<u8> = written.parts.into_values().flat_map(|(_, b)| b).collect();
            journals.push((self.read_journal(&id, &gz)?, written.total));
        }
        Ok(journals)
    }

    fn body_of(&self, item: &Item) -> Result<Vec<u8>, StoreError> {
        item.get("body_gz")
            .and_then(|v| v.as_b().ok())
            .map(|b| b.as_ref().to_vec())
            .ok_or_else(|| StoreError::Corrupt {
                table: self.state_table.clone(),
                key: format!("{PARTITION}/{}", get_s(item, "sk").unwrap_or("?")),
                detail: "no body_gz".into(),
            })
    }

    fn read_journal(&self, id: &str, gz: &[u8]) -> Result<Journal, StoreError> {
        let corrupt = |detail: String| StoreError::Corrupt {
            table: self.state_table.clone(),
            key: format!("{PARTITION}/{id}"),
            detail,
        };
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut body)
            .map_err(|err| corrupt(format!("the body does not decompress: {err}")))?;
        serde_json::from_slice(&body)
            .map_err(|err| corrupt(format!("the body does not parse: {err}")))
    }

    /// Deletes a finished group's journal of `parts` items (as [`write_journal`] returned).
    ///
    /// [`write_journal`]: Self::write_journal
    pub async fn delete_journal(&self, id: &str, parts: usize) -> Result<(), StoreError> {
        if parts <= 1 {
            return self.delete_journal_item(id.to_string()).await;
        }
        for index in 0..parts {
            self.delete_journal_item(format!("{id}{PART_MARK}{index:04}"))
                .await?;
        }
        Ok(())
    }

    async fn delete_journal_item(&self, sk: String) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.state_table)
            .key("pk", s(self.scoped(PARTITION)))
            .key("sk", s(sk))
            .send()
            .await
            .map_err(|err| StoreError::from_sdk("DeleteItem", &self.state_table, err))?;
        Ok(())
    }
}
