//! Event items: one per audit record `Id`, in one of a few partitions of its app and UTC day
//! (picked by a fixed hash of the `Id`), and the write that reports which of a blob's events
//! that blob owns.

use std::collections::{HashMap, HashSet};

#[cfg(test)]
use audit_records::AppKind;
use audit_records::AuditEvent;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::locks::KeyLocks;
use super::spread::event_bucket;
use super::{BATCH_GET_MAX, Item, Store, StoreError, get_n, get_s, n, s};
use crate::api::parse_api_time;

/// The sort-key prefix of event items, before the record's `Id`.
pub const EVENT_SK_PREFIX: &str = "EV#";
/// The app key of events that name no app or flow.
pub const NO_APP: &str = "-";
/// Raw records shorter than this are stored as they are: compression would not pay.
const COMPRESS_FROM_BYTES: usize = 600;
/// The sort-key prefix of the parts of a raw record too large for its event item.
pub const RAW_PART_SK_PREFIX: &str = "RAW#";
/// The most an event item may weigh with its raw record inline. DynamoDB's limit is 400 KB
/// (409,600 bytes, names and values); [`item_bytes`] counts a little high, and this leaves more.
pub const ITEM_BUDGET_BYTES: usize = 380_000;
/// The bytes of raw record each part item carries.
pub const RAW_PART_BYTES: usize = 350_000;
/// Extracted text fields are cut to this many bytes (at a character boundary), and named in the
/// item's `truncated`: the whole text is still in the raw record.
pub const FIELD_MAX_BYTES: usize = 2_048;

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

/// An event as stored: its item and, for a raw record too large to sit in it, the parts that
/// carry the raw text (written before the item, so a stored item always has all its parts).
#[derive(Debug, Clone, PartialEq)]
pub struct EventItems {
    /// The event item, under the event's key.
    pub main: Item,
    /// `RAW#{id}#{n}` items in the same partition; empty when the raw record is inline.
    pub parts: Vec<Item>,
}

impl EventItems {
    /// Sets the TTL of the item and its parts: `retention` after the event's `CreationTime`.
    pub fn expire_after(&mut self, retention: time::Duration) {
        let Some(created) = get_s(&self.main, "creation_time").and_then(parse_api_time) else {
            return;
        };
        let at = n((created + retention).unix_timestamp());
        self.main.insert("expires_at".into(), at.clone());
        for part in &mut self.parts {
            part.insert("expires_at".into(), at.clone());
        }
    }
}

/// The stored form of an event: the CoE `admin_auditlog` columns plus the original record,
/// inline (`raw`, or `raw_gz` when gzip saves a quarter) when the item stays within
/// [`ITEM_BUDGET_BYTES`], else in parts.
pub fn event_items(event: &AuditEvent, content_id: &str) -> EventItems {
    let key = event_key(event);
    let mut item = key.to_item();
    let mut truncated = Vec::new();
    let mut text = |name: &'static str, value: &str| {
        let (value, cut) = cut_to(value, FIELD_MAX_BYTES);
        if cut {
            truncated.push(name.to_string());
        }
        s(value)
    };
    item.insert("id".into(), s(&event.id));
    item.insert("creation_time".into(), s(event.creation_time_iso()));
    item.insert("operation".into(), text("operation", &event.operation));
    item.insert("workload".into(), text("workload", &event.workload));
    item.insert("record_type".into(), n(event.record_type));
    item.insert("app_kind".into(), s(event.app_kind.as_str()));
    item.insert("content_id".into(), s(content_id));
    let user_lower = event.user_upn_lower();
    let optional = [
        ("app_id", event.app_id.as_deref()),
        ("app_name", event.app_display_name.as_deref()),
        ("environment_id", event.environment_id.as_deref()),
        ("environment_name", event.environment_name.as_deref()),
        ("bot_id", event.bot_id.as_deref()),
        ("conversation_id", event.conversation_id.as_deref()),
        ("user_upn", event.user_upn.as_deref()),
        ("user_lower", user_lower.as_deref()),
        ("user_key", event.user_key.as_deref()),
        ("result_status", event.result_status.as_deref()),
        ("client_ip", event.client_ip.as_deref()),
    ];
    for (name, value) in optional {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            item.insert(name.into(), text(name, value));
        }
    }
    if !truncated.is_empty() {
        item.insert("truncated".into(), AttributeValue::Ss(truncated));
    }
    let parts = put_raw(&mut item, &key, &event.id, &event.raw);
    EventItems { main: item, parts }
}

/// Puts the raw record into `item` if it fits, else into part items, which it returns.
fn put_raw(item: &mut Item, key: &EventKey, id: &str, raw: &str) -> Vec<Item> {
    let gz = compress(raw);
    let inline_bytes = gz.as_ref().map_or(raw.len(), Vec::len);
    if item_bytes(item) + "raw_gz".len() + inline_bytes <= ITEM_BUDGET_BYTES {
        match gz {
            Some(gz) => item.insert("raw_gz".into(), AttributeValue::B(Blob::new(gz))),
            None => item.insert("raw".into(), s(raw)),
        };
        return Vec::new();
    }
    let (encoding, payload) = match gz {
        Some(gz) => ("gzip", gz),
        None => ("utf-8", raw.as_bytes().to_vec()),
    };
    let parts: Vec<Item> = payload
        .chunks(RAW_PART_BYTES)
        .enumerate()
        .map(|(i, chunk)| {
            let mut part = Item::from([
                ("pk".into(), s(&key.pk)),
                ("sk".into(), s(format!("{RAW_PART_SK_PREFIX}{id}#{i:03}"))),
            ]);
            part.insert("data".into(), AttributeValue::B(Blob::new(chunk.to_vec())));
            part
        })
        .collect();
    item.insert("raw_parts".into(), n(parts.len()));
    item.insert("raw_encoding".into(), s(encoding));
    item.insert("raw_bytes".into(), n(raw.len()));
    parts
}

/// What an item weighs as DynamoDB counts it, near enough and never less: the names and the
/// values' bytes (a number counted as its text).
pub fn item_bytes(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    AttributeValue::S(text) | AttributeValue::N(text) => text.len(),
                    AttributeValue::B(blob) => blob.as_ref().len(),
                    AttributeValue::Ss(set) => set.iter().map(|v| v.len() + 1).sum(),
                    _ => 64,
                }
        })
        .sum()
}

/// `value` cut to at most `max` bytes at a character boundary, and whether it was cut.
fn cut_to(value: &str, max: usize) -> (&str, bool) {
    if value.len() <= max {
        return (value, false);
    }
    let mut end = max;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    (&value[..end], true)
}

/// Gzip, when it saves at least a quarter of the bytes (write units are billed per KB).
fn compress(raw: &str) -> Option<Vec<u8>> {
    if raw.len() < COMPRESS_FROM_BYTES {
        return None;
    }
    super::gzip::gzip_within(raw.as_bytes(), raw.len() * 3 / 4)
}

/// Reads the original record back from an item that holds it inline (see
/// [`Store::raw_record`] for one in parts).
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
        // One existence check reads up to 100 keys; their writes go 25 to a request.
        for chunk in events.chunks(BATCH_GET_MAX) {
            let keys: Vec<EventKey> = chunk.iter().map(event_key).collect();
            let _held = locks.lock(keys.iter()).await;
            let owners = self.stored_owners(&keys).await?;
            let (mut items, outcome, owned) = plan_writes(chunk, &keys, &owners, content_id);
            if let Some(retention) = self.event_retention {
                items.iter_mut().for_each(|i| i.expire_after(retention));
            }
            stored.outcome.add(outcome);
            // Parts first: an event item is only ever stored once all its parts are.
            let (mains, parts): (Vec<Item>, Vec<Vec<Item>>) =
                items.into_iter().map(|i| (i.main, i.parts)).unzip();
            let parts: Vec<Item> = parts.into_iter().flatten().collect();
            if !parts.is_empty() {
                stored.outcome.write_requests += self.put_all(&self.events_table, parts).await?;
            }
            if !mains.is_empty() {
                stored.outcome.write_requests += self.put_all(&self.events_table, mains).await?;
            }
            stored.owned.extend(owned);
        }
        Ok(stored)
    }

    /// The original record of a stored event item, inline or from its parts (one Query of
    /// the parts' sort-key range). `None` when the item holds no raw record, or a part is
    /// missing or unreadable.
    pub async fn raw_record(&self, item: &Item) -> Result<Option<String>, StoreError> {
        let Some(parts) = get_n(item, "raw_parts") else {
            return Ok(raw_record(item));
        };
        let (Some(pk), Some(id)) = (get_s(item, "pk"), get_s(item, "id")) else {
            return Ok(None);
        };
        let prefix = format!("{RAW_PART_SK_PREFIX}{id}#");
        let range = (prefix.clone(), format!("{prefix}\u{10FFFF}"));
        let found = self
            .query_partition(&self.events_table, pk, Some((&range.0, &range.1)), None)
            .await?;
        if i64::try_from(found.len()).ok() != Some(parts) {
            return Ok(None);
        }
        let mut payload = Vec::new();
        for part in &found {
            let Some(data) = part.get("data").and_then(|v| v.as_b().ok()) else {
                return Ok(None);
            };
            payload.extend_from_slice(data.as_ref());
        }
        let text = match get_s(item, "raw_encoding") {
            Some("gzip") => {
                let mut text = String::new();
                let decoder = flate2::read::GzDecoder::new(payload.as_slice());
                std::io::Read::read_to_string(&mut std::io::BufReader::new(decoder), &mut text)
                    .ok()
                    .map(|_| text)
            }
            _ => String::from_utf8(payload).ok(),
        };
        Ok(text)
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
) -> (Vec<EventItems>, WriteOutcome, Vec<bool>) {
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
                items.push(event_items(event, content_id));
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
            environment_name: None,
            bot_id: None,
            conversation_id: None,
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
            format!("APP#a#2026-11-24#{}", 0x8594_4171_f739_67e8_u64 % 32)
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
        assert_eq!(get_s(&items[0].main, "content_id"), Some("blob-a"));
        assert_eq!((outcome.new, outcome.duplicates), (1, 3));
        assert_eq!(owned, [true, true, false, true]);
    }

    /// Text gzip cannot shrink by a quarter: random printable characters (no quote or
    /// backslash), about 6.5 bits each.
    fn incompressible(bytes: usize) -> String {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..bytes)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let c = b'#' + (x % 91) as u8;
                if c == b'\\' { '~' } else { c as char }
            })
            .collect()
    }

    fn with_raw(raw: String) -> AuditEvent {
        AuditEvent {
            raw,
            ..event("big")
        }
    }

    #[test]
    fn a_record_that_fits_stays_inline_and_one_that_does_not_goes_into_parts() {
        let under = with_raw(incompressible(ITEM_BUDGET_BYTES - 1_000));
        let items = event_items(&under, "blob-a");
        assert!(items.parts.is_empty());
        assert_eq!(raw_record(&items.main).as_deref(), Some(under.raw.as_str()));
        assert!(item_bytes(&items.main) <= ITEM_BUDGET_BYTES);

        let over = with_raw(incompressible(900_000));
        let items = event_items(&over, "blob-a");
        assert_eq!(items.parts.len(), 3);
        assert_eq!(get_s(&items.main, "raw_encoding"), Some("utf-8"));
        assert_eq!(get_n(&items.main, "raw_parts"), Some(3));
        assert!(raw_record(&items.main).is_none(), "not inline");
        let mut joined = Vec::new();
        for (i, part) in items.parts.iter().enumerate() {
            assert!(item_bytes(part) <= ITEM_BUDGET_BYTES);
            assert_eq!(get_s(part, "pk"), get_s(&items.main, "pk"));
            assert_eq!(get_s(part, "sk"), Some(format!("RAW#big#{i:03}").as_str()));
            joined.extend_from_slice(part["data"].as_b().unwrap().as_ref());
        }
        assert_eq!(joined, over.raw.as_bytes());

        // Compressible and large: gzip brings it inline.
        let repetitive = with_raw("{\"a\":1}".repeat(100_000));
        let items = event_items(&repetitive, "blob-a");
        assert!(items.parts.is_empty());
        assert_eq!(
            raw_record(&items.main).as_deref(),
            Some(repetitive.raw.as_str())
        );
    }

    #[test]
    fn long_fields_are_cut_at_a_character_and_named() {
        let mut long = event("long");
        long.app_display_name = Some("é".repeat(FIELD_MAX_BYTES));
        let items = event_items(&long, "blob-a");
        let name = get_s(&items.main, "app_name").unwrap();
        assert!(name.len() <= FIELD_MAX_BYTES && name.chars().all(|c| c == 'é'));
        assert_eq!(
            items.main["truncated"].as_ss().unwrap(),
            &["app_name".to_string()]
        );
        assert!(
            !event_items(&event("short"), "blob-a")
                .main
                .contains_key("truncated")
        );
    }

    #[test]
    fn retention_expires_an_event_and_its_parts_after_its_creation_time() {
        let mut items = event_items(&with_raw(incompressible(900_000)), "blob-a");
        items.expire_after(time::Duration::days(30));
        let at = datetime!(2026-12-24 10:00 UTC).unix_timestamp();
        assert_eq!(get_n(&items.main, "expires_at"), Some(at));
        assert!(
            items
                .parts
                .iter()
                .all(|p| get_n(p, "expires_at") == Some(at))
        );
        assert!(
            !event_items(&event("kept"), "blob-a")
                .main
                .contains_key("expires_at")
        );
    }
}
