//! Event items: one per audit record `Id`, in the partition of its app and UTC day, so that a
//! day's launches of one app are a single strongly consistent Query.

use std::collections::HashSet;
use std::io::Write;

use audit_records::{AppKind, AuditEvent};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use super::{BATCH_WRITE_MAX, Item, Store, StoreError, n, s};

/// The sort-key prefix of event items, before the record's `Id`.
pub const EVENT_SK_PREFIX: &str = "EV#";
/// The app key of events that name no app or flow.
pub const NO_APP: &str = "-";
/// Raw records shorter than this are stored as they are: compression would not pay.
const COMPRESS_FROM_BYTES: usize = 600;

/// Where an event is stored in the events table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EventKey {
    /// The partition, `APP#{app id}#{YYYY-MM-DD}`: one app's events of one UTC day ([`NO_APP`]
    /// for events that name none).
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

/// `APP#{app id}#{YYYY-MM-DD}` / `EV#{record id}`. Both parts come from the record itself, so a
/// re-delivered record always lands on the same key.
pub fn event_key(event: &AuditEvent) -> EventKey {
    EventKey {
        pk: app_day_pk(event.app_id.as_deref().unwrap_or(NO_APP), &day_of(event)),
        sk: format!("{EVENT_SK_PREFIX}{}", event.id),
    }
}

pub(crate) fn app_day_pk(app_id: &str, day: &str) -> String {
    format!("APP#{app_id}#{day}")
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

impl Store {
    /// Stores the events that are not stored yet. Existence is read first (a read costs less
    /// than a write, and re-deliveries are common), then only the missing ones are written:
    /// an event is never written twice except in a race between two blobs holding it, where
    /// the second write is an identical overwrite.
    pub async fn write_new_events(
        &self,
        events: &[AuditEvent],
        content_id: &str,
    ) -> Result<WriteOutcome, StoreError> {
        let mut outcome = WriteOutcome::default();
        for chunk in events.chunks(BATCH_WRITE_MAX) {
            let mut seen = HashSet::new();
            let mut unique = Vec::with_capacity(chunk.len());
            for event in chunk {
                if seen.insert(event_key(event)) {
                    unique.push(event);
                } else {
                    outcome.duplicates += 1;
                }
            }
            let keys: Vec<Item> = unique.iter().map(|e| event_key(e).to_item()).collect();
            let existing: HashSet<(String, String)> = self
                .batch_existing(&self.events_table, keys)
                .await?
                .iter()
                .filter_map(|item| {
                    Some((
                        super::get_s(item, "pk")?.to_string(),
                        super::get_s(item, "sk")?.to_string(),
                    ))
                })
                .collect();
            let mut items = Vec::new();
            for event in unique {
                let key = event_key(event);
                if existing.contains(&(key.pk, key.sk)) {
                    outcome.duplicates += 1;
                } else {
                    items.push(event_item(event, content_id));
                }
            }
            let written = items.len() as u64;
            if !items.is_empty() {
                outcome.write_requests += self.put_all(&self.events_table, items).await?;
            }
            outcome.new += written;
        }
        Ok(outcome)
    }
}

/// Whether an event feeds the usage summaries (a Power App with an id).
pub fn is_app_event(event: &AuditEvent) -> bool {
    event.app_kind == AppKind::PowerApp && event.app_id.is_some()
}
