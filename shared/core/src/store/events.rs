//! Event items: one per audit record `Id`, in one of a few partitions of its app and UTC day
//! (picked by a fixed hash of the `Id`), and the write that reports which of a blob's events
//! that blob owns.

use std::collections::{HashMap, HashSet};
use std::io::Write;

use audit_records::{AppKind, AuditEvent};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::locks::KeyLocks;
use super::spread::event_bucket;
use super::{BATCH_WRITE_MAX, Item, Store, StoreError, get_s, n, s};

/// The sort-key prefix of event items, before the record's `Id`.
pub const EVENT_SK_PREFIX: &str = "EV#";
/// The app key of events that name no app or flow.
pub const NO_APP: &str = "-";
/// Raw records shorter than this are stored as they are: compression would not pay.
const COMPRESS_FROM_BYTES: usize = 600;

/// Where an event is stored in the events table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventKey {
    /// The partition, `APP#{app id}#{YYYY-MM-DD}#{bucket}`: an eighth of one app's events of one
    /// UTC day ([`NO_APP`] for events that name none), the bucket a fixed hash of the `Id`.
    pub pk: String,
    /// The sort key, `EV#{record id}`.
    pub sk: String,
}

impl EventKey {
    /// The key alone as an item: what BatchGetItem looks up, and what an event item starts from.
    pub fn to_item(&self) -> Item {
        Item::from([("pk".into(), s(&self.pk)), ("sk".into(), s(&self.sk))])
    }
}

/// `APP#{app id}#{YYYY-MM-DD}#{bucket}` / `EV#{record id}`. Every part comes from the record
/// itself, so a re-delivered record always lands on the same key.
pub fn event_key(event: &AuditEvent) -> EventKey {
    let app_id = event.app_id.as_deref().unwrap_or(NO_APP);
    EventKey {
        pk: format!("APP#{app_id}#{}#{}", day_of(event), event_bucket(&event.id)),
        sk: format!("{EVENT_SK_PREFIX}{}", event.id),
    }
}

/// The UTC day of the event, `YYYY-MM-DD`.
pub fn day_of(event: &AuditEvent) -> String {
    event.creation_time_iso()[..10].to_string()
}

/// The stored form of an event: the CoE `admin_auditlog` columns plus the original record.
pub fn event_item(event: &AuditEvent, content_id: &str) -> Item {
    let key = event_key(event);
    let mut item = key.to_item();
    item.insert("id".into(), s(&event.id));
    item.insert("creation_time".into(), s(event.creation_time_iso()));
    item.insert("operation".into(), s(&event.operation));
    item.insert("workload".into(), s(&event.workload));
    item.insert("record_type".into(), n(event.record_type));
    item.insert("app_kind".into(), s(event.app_kind.as_str()));
    item.insert("content_id".into(), s(content_id));
    let optional = [
        ("app_id", event.app_id.clone()),
        ("app_name", event.app_display_name.clone()),
        ("environment_id", event.environment_id.clone()),
        ("user_upn", event.user_upn.clone()),
        ("user_lower", event.user_upn_lower()),
        ("user_key", event.user_key.clone()),
        ("result_status", event.result_status.clone()),
        ("client_ip", event.client_ip.clone()),
    ];
    for (name, value) in optional {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            item.insert(name.into(), s(value));
        }
    }
    match compress(&event.raw) {
        Some(gz) => item.insert("raw_gz".into(), AttributeValue::B(Blob::new(gz))),
        None => item.insert("raw".into(), s(&event.raw)),
    };
    item
}

/// Gzip, when it saves at least a quarter of the bytes (write units are billed per KB).
fn compress(raw: &str) -> Option<Vec<u8>> {
    if raw.len() < COMPRESS_FROM_BYTES {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(raw.as_bytes()).ok()?;
    let gz = encoder.finish().ok()?;
    (gz.len() * 4 <= raw.len() * 3).then_some(gz)
}

/// Reads the original record back from an item.
pub fn raw_record(item: &Item) -> Option<String> {
    if let Some(raw) = super::get_s(item, "raw") {
        return Some(raw.to_string());
    }
    let gz = item.get("raw_gz")?.as_b().ok()?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz.as_ref()), &mut text)
        .ok()?;
    Some(text)
}

/// What writing a batch of events did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WriteOutcome {
    /// Events that were not in the table and are now.
    pub new: u64,
    /// Events already stored (an overlap, a retry, or the service re-delivering a record).
    pub duplicates: u64,
    /// BatchWriteItem requests sent, retries of unprocessed items included: the write cost.
    pub write_requests: u32,
}

impl WriteOutcome {
    /// Adds another batch's counts.
    pub fn add(&mut self, other: WriteOutcome) {
        self.new += other.new;
        self.duplicates += other.duplicates;
        self.write_requests += other.write_requests;
    }
}

/// A stored batch: its counts, and for each event (in the batch's order) whether the blob
/// storing it owns it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StoredBatch {
    /// The counts.
    pub outcome: WriteOutcome,
    /// `owned[i]`: event `i` was written by this call, or was already stored with this blob's
    /// `content_id` (an earlier attempt of the same blob).
    pub owned: Vec<bool>,
}

impl Store {
    /// Stores the events that are not stored yet and reports which the blob `content_id` owns.
    /// Existence (with the storing blob) is read first, then only the missing are written, both
    /// under the events' stripes of `locks`: of two blobs in flight holding one record, exactly
    /// one finds it missing.
    pub async fn write_new_events(
        &self,
        events: &[AuditEvent],
        content_id: &str,
        locks: &KeyLocks,
    ) -> Result<StoredBatch, StoreError> {
        let mut stored = StoredBatch::default();
        for chunk in events.chunks(BATCH_WRITE_MAX) {
            let keys: Vec<EventKey> = chunk.iter().map(event_key).collect();
            let _held = locks.lock(keys.iter()).await;
            let owners = self.stored_owners(&keys).await?;
            let (items, outcome, owned) = plan_writes(chunk, &keys, &owners, content_id);
            stored.outcome.add(outcome);
            if !items.is_empty() {
                stored.outcome.write_requests += self.put_all(&self.events_table, items).await?;
            }
            stored.owned.extend(owned);
        }
        Ok(stored)
    }

    /// The blob that stored each of `keys` that is stored, by key.
    async fn stored_owners(
        &self,
        keys: &[EventKey],
    ) -> Result<HashMap<EventKey, String>, StoreError> {
        let mut distinct: Vec<&EventKey> = keys.iter().collect();
        distinct.sort_by(|a, b| (&a.pk, &a.sk).cmp(&(&b.pk, &b.sk)));
        distinct.dedup();
        let lookup = distinct.iter().map(|k| k.to_item()).collect();
        let found = self
            .batch_get(&self.events_table, lookup, "pk, sk, content_id")
            .await?;
        Ok(found
            .iter()
            .filter_map(|item| {
                let key = EventKey {
                    pk: get_s(item, "pk")?.to_string(),
                    sk: get_s(item, "sk")?.to_string(),
                };
                Some((
                    key,
                    get_s(item, "content_id").unwrap_or_default().to_string(),
                ))
            })
            .collect())
    }
}

/// Which events of a chunk to write and which the blob owns. A record repeated in the chunk is
/// written once; every copy is owned alike (the contribution counts record ids, not copies).
fn plan_writes(
    chunk: &[AuditEvent],
    keys: &[EventKey],
    owners: &HashMap<EventKey, String>,
    content_id: &str,
) -> (Vec<Item>, WriteOutcome, Vec<bool>) {
    let mut outcome = WriteOutcome::default();
    let mut written: HashSet<&EventKey> = HashSet::new();
    let mut items = Vec::new();
    let mut owned = Vec::with_capacity(chunk.len());
    for (event, key) in chunk.iter().zip(keys) {
        match owners.get(key) {
            Some(owner) => {
                outcome.duplicates += 1;
                owned.push(owner == content_id);
            }
            None if written.insert(key) => {
                outcome.new += 1;
                items.push(event_item(event, content_id));
                owned.push(true);
            }
            None => {
                outcome.duplicates += 1;
                owned.push(true);
            }
        }
    }
    (items, outcome, owned)
}

/// Whether an event feeds the usage summaries (a Power App with an id).
pub fn is_app_event(event: &AuditEvent) -> bool {
    event.app_kind == AppKind::PowerApp && event.app_id.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn event(id: &str) -> AuditEvent {
        AuditEvent {
            id: id.into(),
            creation_time: datetime!(2026-11-24 10:00 UTC),
            operation: "LaunchPowerApp".into(),
            workload: "PowerApps".into(),
            record_type: 45,
            app_id: Some("a".into()),
            app_kind: AppKind::PowerApp,
            app_display_name: None,
            environment_id: None,
            user_upn: Some("ana@contoso.com".into()),
            user_key: None,
            result_status: None,
            client_ip: None,
            raw: "{}".into(),
        }
    }

    #[test]
    fn the_key_comes_from_the_record_alone() {
        let key = event_key(&event("foobar"));
        assert_eq!(
            key.pk,
            format!("APP#a#2026-11-24#{}", 0x8594_4171_f739_67e8_u64 % 8)
        );
        assert_eq!(key.sk, "EV#foobar");
    }

    #[test]
    fn a_blob_owns_what_it_writes_and_what_it_wrote_before_but_not_another_blobs() {
        let chunk = [event("new"), event("mine"), event("theirs"), event("new")];
        let keys: Vec<EventKey> = chunk.iter().map(event_key).collect();
        let owners = HashMap::from([
            (keys[1].clone(), "blob-a".to_string()),
            (keys[2].clone(), "blob-b".to_string()),
        ]);
        let (items, outcome, owned) = plan_writes(&chunk, &keys, &owners, "blob-a");
        assert_eq!(items.len(), 1);
        assert_eq!(get_s(&items[0], "content_id"), Some("blob-a"));
        assert_eq!((outcome.new, outcome.duplicates), (1, 3));
        assert_eq!(owned, [true, true, false, true]);
    }
}
