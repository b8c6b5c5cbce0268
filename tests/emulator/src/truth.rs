//! The truth: every distinct record the tenant's blobs hold, for tests to
//! compare a collector's output against.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::content_type::ContentType;
use crate::records::{MalformedReason, RecordFacts};
use crate::store::{Blob, ContentStore, ItemFacts};
use crate::timefmt::{content_time, rfc3339};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// Emulator time the availability flags refer to (RFC 3339).
    pub now: String,
    /// Whether only content that is listable right now was included.
    pub available_only: bool,
    /// Distinct valid records (by `Id`), in order of first delivery.
    pub records: Vec<TruthRecord>,
    /// Items that are not valid records, one entry per occurrence.
    pub malformed: Vec<TruthMalformed>,
    /// Every blob, in `contentCreated` order.
    pub blobs: Vec<TruthBlob>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthRecord {
    pub id: String,
    /// Exactly as in the record: `2026-05-19T13:17:34`, no zone.
    pub creation_time: String,
    pub operation: Option<String>,
    pub record_type: Option<i64>,
    pub workload: Option<String>,
    /// Content type of the first blob holding the record.
    pub content_type: ContentType,
    /// As written in the first delivery; letter case varies for one person.
    pub user_id: Option<String>,
    /// For Power Apps events: `PropertyCollection` `...power_app.id`, else `AppName`.
    pub app_id: Option<String>,
    pub app_display_name: Option<String>,
    /// `EnvironmentId`, else `PropertyCollection` `...environment.id`, else `EnvironmentName`,
    /// else the segment after `/environments/` in `FlowDetailsUrl`, else the part of
    /// `PlatformAgentId` before its last `_`.
    pub environment_id: Option<String>,
    /// For flow events: the GUID in `FlowDetailsUrl`.
    pub flow_id: Option<String>,
    /// Every blob holding the record; more than one for a re-delivery.
    pub blobs: Vec<TruthBlobRef>,
    // The fields below came later: absent in an older emulator's truth (hence `default`),
    // and left out when empty so that a big tenant's truth does not grow by their nulls.
    /// `PropertyCollection` `...environment.name`: the environment's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_name: Option<String>,
    /// Top-level `AgentId` (a Copilot agent's own id, not its bot's GUID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// `AgentName`, else `BotName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// `AgentPlatform`, e.g. `CopilotStudio`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_platform: Option<String>,
    /// `PlatformAgentId`: `{environment id}_{bot id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_agent_id: Option<String>,
    /// `BotId`, else the part of `PlatformAgentId` after its last `_`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<String>,
    /// `CopilotEventData.AppHost`: `Copilot Studio`, `Teams`, `Word`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_host: Option<String>,
    /// `CopilotEventData.ThreadId`, else `CopilotEventData.ConversationId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
}

impl TruthRecord {
    pub fn is_app_launch(&self) -> bool {
        self.operation.as_deref() == Some("LaunchPowerApp")
    }

    /// The UPN in lowercase: how to tell that two spellings are one user.
    pub fn user_id_normalized(&self) -> Option<String> {
        self.user_id.as_deref().map(str::to_lowercase)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthBlobRef {
    pub content_id: String,
    /// `available_at <= now`: the blob is listed (unless expired).
    pub available: bool,
    pub expired: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthMalformed {
    pub content_id: String,
    /// Position in the blob's JSON array.
    pub index: usize,
    pub reason: MalformedReason,
    /// The `Id` if the item has a string one.
    pub id: Option<String>,
    pub value: Value,
    pub available: bool,
    pub expired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthBlob {
    pub content_id: String,
    pub content_type: ContentType,
    /// Same format as the listing's `contentCreated`.
    pub content_created: String,
    pub available_at: String,
    pub content_expiration: String,
    pub available: bool,
    pub expired: bool,
    /// Items in the blob, malformed ones and duplicates included.
    pub item_count: usize,
}

/// Counts only, for tenants too big to ship the whole truth around.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthSummary {
    pub now: String,
    pub available_only: bool,
    pub records: usize,
    /// Records held by more than one blob.
    pub redelivered_records: usize,
    pub malformed: usize,
    pub blobs: usize,
    /// Listable now: available and not expired.
    pub blobs_servable: usize,
    pub blobs_not_yet_available: usize,
    pub blobs_expired: usize,
    pub records_by_operation: BTreeMap<String, usize>,
    pub records_by_content_type: BTreeMap<ContentType, usize>,
}

impl Truth {
    pub fn summary(&self) -> TruthSummary {
        let mut summary = TruthSummary {
            now: self.now.clone(),
            available_only: self.available_only,
            records: self.records.len(),
            malformed: self.malformed.len(),
            blobs: self.blobs.len(),
            ..TruthSummary::default()
        };
        for record in &self.records {
            if record.blobs.len() > 1 {
                summary.redelivered_records += 1;
            }
            let operation = record.operation.clone().unwrap_or_default();
            *summary.records_by_operation.entry(operation).or_default() += 1;
            *summary
                .records_by_content_type
                .entry(record.content_type)
                .or_default() += 1;
        }
        for blob in &self.blobs {
            match (blob.available, blob.expired) {
                (_, true) => summary.blobs_expired += 1,
                (false, false) => summary.blobs_not_yet_available += 1,
                (true, false) => summary.blobs_servable += 1,
            }
        }
        summary
    }

    pub fn record(&self, id: &str) -> Option<&TruthRecord> {
        self.records.iter().find(|r| r.id == id)
    }

    pub fn by_id(&self) -> HashMap<&str, &TruthRecord> {
        self.records.iter().map(|r| (r.id.as_str(), r)).collect()
    }

    pub fn blob(&self, content_id: &str) -> Option<&TruthBlob> {
        self.blobs.iter().find(|b| b.content_id == content_id)
    }
}

/// Calls `visit` with each blob (servable ones only, with `available_only`) in delivery order,
/// its index and its items' facts, one blob at a time: generated facts are rendered for the
/// call and dropped after it.
fn each_blob(
    store: &ContentStore,
    now: OffsetDateTime,
    available_only: bool,
    mut visit: impl FnMut(&Blob, usize, &[ItemFacts]),
) {
    for index in store.all_ordered() {
        let blob = &store.blobs()[index];
        if available_only && !blob.is_servable(now) {
            continue;
        }
        visit(blob, index, &store.facts(index));
    }
}

pub(crate) fn compute(store: &ContentStore, now: OffsetDateTime, available_only: bool) -> Truth {
    let mut gathered = Gathered::default();
    each_blob(store, now, available_only, |blob, index, facts| {
        gathered.add_blob(blob, store.content_id(index), facts, now)
    });
    Truth {
        now: rfc3339(now),
        available_only,
        records: gathered.records,
        malformed: gathered.malformed,
        blobs: gathered.blobs,
    }
}

/// The truth as it is gathered, blob by blob in delivery order.
#[derive(Default)]
struct Gathered {
    records: Vec<TruthRecord>,
    /// Where each record id sits in `records`.
    positions: HashMap<String, usize>,
    malformed: Vec<TruthMalformed>,
    blobs: Vec<TruthBlob>,
}

impl Gathered {
    fn add_blob(
        &mut self,
        blob: &Blob,
        content_id: String,
        facts: &[ItemFacts],
        now: OffsetDateTime,
    ) {
        let available = blob.is_available(now);
        let expired = blob.is_expired(now);
        self.blobs.push(TruthBlob {
            content_id: content_id.clone(),
            content_type: blob.content_type,
            content_created: content_time(blob.created),
            available_at: content_time(blob.available_at),
            content_expiration: content_time(blob.expires()),
            available,
            expired,
            item_count: facts.len(),
        });
        let reference = TruthBlobRef {
            content_id: content_id.clone(),
            available,
            expired,
        };
        for (item_index, item) in facts.iter().enumerate() {
            match item {
                ItemFacts::Record(f) => self.add_record(f, blob.content_type, &reference),
                ItemFacts::Malformed { reason, id, value } => self.malformed.push(TruthMalformed {
                    content_id: content_id.clone(),
                    index: item_index,
                    reason: *reason,
                    id: id.clone(),
                    value: value.clone(),
                    available,
                    expired,
                }),
            }
        }
    }

    /// A record seen before gains a blob, unless it repeats within one blob.
    fn add_record(&mut self, f: &RecordFacts, content_type: ContentType, reference: &TruthBlobRef) {
        if let Some(&at) = self.positions.get(&f.id) {
            let refs = &mut self.records[at].blobs;
            if refs.last() != Some(reference) {
                refs.push(reference.clone());
            }
            return;
        }
        self.positions.insert(f.id.clone(), self.records.len());
        self.records.push(TruthRecord {
            id: f.id.clone(),
            creation_time: f.creation_time.clone(),
            operation: f.operation.clone(),
            record_type: f.record_type,
            workload: f.workload.clone(),
            content_type,
            user_id: f.user_id.clone(),
            app_id: f.app_id.clone(),
            app_display_name: f.app_display_name.clone(),
            environment_id: f.environment_id.clone(),
            flow_id: f.flow_id.clone(),
            blobs: vec![reference.clone()],
            environment_name: f.environment_name.clone(),
            agent_id: f.agent_id.clone(),
            agent_name: f.agent_name.clone(),
            agent_platform: f.agent_platform.clone(),
            platform_agent_id: f.platform_agent_id.clone(),
            bot_id: f.bot_id.clone(),
            app_host: f.app_host.clone(),
            conversation_id: f.conversation_id.clone(),
        });
    }
}

/// [`Truth::summary`] without building the truth: one pass over the blobs that keeps, per
/// distinct record, 128 bits of its id and where it was last seen, so a tenant of millions of
/// records is summarized in tens of MB.
pub(crate) fn summarize(
    store: &ContentStore,
    now: OffsetDateTime,
    available_only: bool,
) -> TruthSummary {
    let mut summary = TruthSummary {
        now: rfc3339(now),
        available_only,
        ..TruthSummary::default()
    };
    // Per record: the last blob holding it, and whether an earlier blob did too.
    let mut seen: HashMap<u128, (usize, bool)> = HashMap::new();
    each_blob(store, now, available_only, |blob, index, facts| {
        summary.blobs += 1;
        match (blob.is_available(now), blob.is_expired(now)) {
            (_, true) => summary.blobs_expired += 1,
            (false, false) => summary.blobs_not_yet_available += 1,
            (true, false) => summary.blobs_servable += 1,
        }
        for item in facts {
            let ItemFacts::Record(f) = item else {
                summary.malformed += 1;
                continue;
            };
            match seen.entry(id_hash(&f.id)) {
                Entry::Occupied(mut entry) => {
                    let (last, again) = entry.get_mut();
                    if *last != index {
                        *last = index;
                        if !*again {
                            *again = true;
                            summary.redelivered_records += 1;
                        }
                    }
                }
                Entry::Vacant(entry) => {
                    entry.insert((index, false));
                    summary.records += 1;
                    let operation = f.operation.clone().unwrap_or_default();
                    *summary.records_by_operation.entry(operation).or_default() += 1;
                    *summary
                        .records_by_content_type
                        .entry(blob.content_type)
                        .or_default() += 1;
                }
            }
        }
    });
    summary
}

/// Two 64-bit hashes of a record id: no collision is expected among billions of ids.
fn id_hash(id: &str) -> u128 {
    let half = |salt: u8| {
        let mut hasher = std::hash::DefaultHasher::new();
        hasher.write_u8(salt);
        id.hash(&mut hasher);
        hasher.finish()
    };
    (u128::from(half(0)) << 64) | u128::from(half(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_truth_record_still_reads_and_empty_new_fields_stay_out() {
        let older = serde_json::json!({
            "id": "a", "creation_time": "2026-05-19T13:17:34", "operation": "EditFlow",
            "record_type": 30, "workload": "MicrosoftFlow", "content_type": "Audit.General",
            "user_id": null, "app_id": null, "app_display_name": null, "environment_id": null,
            "flow_id": null, "blobs": [],
        });
        let record: TruthRecord = serde_json::from_value(older.clone()).unwrap();
        assert_eq!(
            (
                record.agent_id.as_deref(),
                record.conversation_id.as_deref()
            ),
            (None, None)
        );
        assert_eq!(serde_json::to_value(&record).unwrap(), older);
        let agent = TruthRecord {
            agent_id: Some("CopilotStudio.Custom.cr3f1_helpdeskAgent".to_string()),
            ..record
        };
        let value = serde_json::to_value(&agent).unwrap();
        assert_eq!(
            value["agent_id"],
            "CopilotStudio.Custom.cr3f1_helpdeskAgent"
        );
        assert_eq!(serde_json::from_value::<TruthRecord>(value).unwrap(), agent);
    }
}
