//! The deterministic tenant: who its users and apps are, which blobs exist,
//! and what every record in them says.
//!
//! Everything is a pure function of the seed, the anchor and the config.
//! Each blob has a `key` derived from (seed, content type, hour offset, slot)
//! and each record draws from its own stream derived from (key, index), so:
//! - a blob body can be produced on demand, in chunks, without storing it;
//! - a duplicate can be regenerated from the blob it first appeared in;
//! - the blobs of one hour keep their ids, times and sizes when more history
//!   is asked for (which earlier record a duplicate repeats may change).

mod copilot;
mod directory;
mod plan;
mod power_platform;
mod workloads;

use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::config::GeneratorConfig;
use crate::content_type::ContentType;
use crate::records::*;
use crate::rng::SplitMix64;
use crate::timefmt::creation_time;

use directory::{App, Directory, User};
use plan::{PlannedBlob, plan_blobs};

// Stream tags: each purpose gets its own RNG stream.
const DIRECTORY: u64 = 1;
const PLAN: u64 = 2;
const SLOT: u64 = 3;
const RECORD: u64 = 4;
const MALFORMED: u64 = 5;
const HOT_DAY: u64 = 6;
const HOT_USER: u64 = 7;
const CONVERSATION: u64 = 8;

/// How far back a duplicate may reach for its original, in blobs of the same type.
const DUPLICATE_REACH_HOURS: usize = 48;

/// One element of a blob's JSON array.
// Items live one at a time between generation and serialization, so the
// size difference between variants costs nothing worth a Box per record.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Record(Record),
    Malformed {
        value: Value,
        reason: MalformedReason,
    },
}

impl Item {
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let result = match self {
            Item::Record(record) => serde_json::to_writer(&mut *out, record),
            Item::Malformed { value, .. } => serde_json::to_writer(&mut *out, value),
        };
        result.expect("serializing to a Vec cannot fail");
    }
}

enum Slot {
    Primary,
    Malformed,
    Duplicate { blob: usize, index: u32 },
}

pub(crate) struct Generator {
    tenant_id: String,
    /// The tenant id without dashes, as content ids carry it.
    tenant_hex: String,
    domain: String,
    seed: u64,
    config: GeneratorConfig,
    directory: Directory,
    blobs: Vec<PlannedBlob>,
    /// Per content type ordinal: indices into `blobs`, chronological.
    by_type: [Vec<usize>; 5],
}

impl Generator {
    pub fn new(
        seed: u64,
        tenant_id: &str,
        domain: &str,
        config: GeneratorConfig,
        anchor: OffsetDateTime,
    ) -> Self {
        let directory = Directory::generate(seed, tenant_id, domain, &config);
        let mut blobs = plan_blobs(seed, &config, anchor);
        blobs.sort_by(|a, b| {
            (a.created, a.content_type, a.key).cmp(&(b.created, b.content_type, b.key))
        });
        let mut by_type: [Vec<usize>; 5] = Default::default();
        for (index, blob) in blobs.iter_mut().enumerate() {
            let list = &mut by_type[blob.content_type.ordinal() as usize];
            blob.type_position = list.len();
            list.push(index);
        }
        Generator {
            tenant_id: tenant_id.to_string(),
            tenant_hex: tenant_id.chars().filter(|c| *c != '-').collect(),
            domain: domain.to_lowercase(),
            seed,
            config,
            directory,
            blobs,
            by_type,
        }
    }

    pub fn blobs(&self) -> &[PlannedBlob] {
        &self.blobs
    }

    pub fn content_id(&self, blob: usize) -> String {
        self.blobs[blob].content_id(&self.tenant_hex)
    }

    /// Writes items `range` of blob `blob` as comma-separated JSON, with a
    /// leading comma unless the range starts at 0; the caller adds brackets.
    pub fn write_items(&self, blob: usize, range: std::ops::Range<u32>, out: &mut Vec<u8>) {
        for index in range {
            if index > 0 {
                out.push(b',');
            }
            self.item(blob, index).write_json(out);
        }
    }

    /// The whole body of a generated blob.
    pub fn body(&self, blob: usize) -> Vec<u8> {
        let count = self.blobs[blob].record_count;
        let mut out = Vec::with_capacity(count as usize * 700 + 2);
        out.push(b'[');
        self.write_items(blob, 0..count, &mut out);
        out.push(b']');
        out
    }

    pub fn item(&self, blob: usize, index: u32) -> Item {
        match self.slot(blob, index) {
            Slot::Primary => Item::Record(self.primary_record(blob, index)),
            Slot::Duplicate { blob, index } => Item::Record(self.primary_record(blob, index)),
            Slot::Malformed => self.malformed(blob, index),
        }
    }

    /// First draw of the slot stream: which kind of item sits at this index.
    fn slot_draw(&self, blob: usize, index: u32) -> (f64, SplitMix64) {
        let mut rng = SplitMix64::derived(self.blobs[blob].key, &[SLOT, u64::from(index)]);
        (rng.next_f64(), rng)
    }

    fn slot(&self, blob: usize, index: u32) -> Slot {
        let (draw, mut rng) = self.slot_draw(blob, index);
        let malformed = self.config.malformed_rate;
        if draw < malformed {
            return Slot::Malformed;
        }
        if draw < malformed + self.config.duplicate_rate {
            let meta = &self.blobs[blob];
            let reach = (DUPLICATE_REACH_HOURS * self.config.blobs_per_hour as usize)
                .min(meta.type_position);
            if reach > 0 {
                let back = rng.between(1, reach as u64) as usize;
                let source =
                    self.by_type[meta.content_type.ordinal() as usize][meta.type_position - back];
                let source_index = rng.below(u64::from(self.blobs[source].record_count)) as u32;
                // Only re-deliver records that really were delivered first,
                // so that there are no chains of duplicates.
                let (source_draw, _) = self.slot_draw(source, source_index);
                if source_draw >= malformed + self.config.duplicate_rate {
                    return Slot::Duplicate {
                        blob: source,
                        index: source_index,
                    };
                }
            }
        }
        Slot::Primary
    }

    fn primary_record(&self, blob: usize, index: u32) -> Record {
        let meta = &self.blobs[blob];
        let mut rng = SplitMix64::derived(meta.key, &[RECORD, u64::from(index)]);
        let lag = rng.between(0, self.config.max_event_lag_secs) as i64;
        let mut at = meta.created - Duration::seconds(lag);
        if meta.hot_first.is_some() {
            // The hot app-day stays on its day however far back the lag reaches.
            at = at.max(meta.created.replace_time(time::Time::MIDNIGHT));
        }
        let ctx = RecordContext {
            id: rng.guid(),
            at,
            creation_time: creation_time(at),
            organization_id: self.tenant_id.clone(),
        };
        if let Some(first) = meta.hot_first {
            return self.hot_launch(&mut rng, ctx, first + index);
        }
        match meta.content_type {
            ContentType::General => {
                if rng.chance(self.config.power_platform_fraction) {
                    self.power_platform_record(&mut rng, ctx)
                } else {
                    self.general_noise(&mut rng, ctx)
                }
            }
            ContentType::SharePoint => self.sharepoint_record(&mut rng, ctx),
            ContentType::Exchange => self.exchange_record(&mut rng, ctx),
            ContentType::AzureActiveDirectory => self.aad_record(&mut rng, ctx),
            ContentType::DlpAll => self.dlp_record(&mut rng, ctx),
        }
    }

    fn malformed(&self, blob: usize, index: u32) -> Item {
        let mut rng = SplitMix64::derived(self.blobs[blob].key, &[MALFORMED, u64::from(index)]);
        match rng.below(3) {
            0 => {
                let value = match rng.below(4) {
                    0 => json!("corrupted record"),
                    1 => json!(42),
                    2 => Value::Null,
                    _ => json!(["LaunchPowerApp"]),
                };
                Item::Malformed {
                    value,
                    reason: MalformedReason::NotObject,
                }
            }
            1 => {
                // The reference's own malformed sample: no Id, no CreationTime.
                let mut value = json!({
                    "RecordType": 256,
                    "Operation": "LaunchPowerApp",
                    "Workload": "PowerPlatform",
                });
                if rng.chance(0.5) {
                    value["CreationTime"] = json!(creation_time(self.blobs[blob].created));
                }
                Item::Malformed {
                    value,
                    reason: MalformedReason::MissingId,
                }
            }
            _ => {
                let record = self.primary_record(blob, index);
                let mut value = serde_json::to_value(&record).expect("records serialize");
                let bad = *rng.pick(&["2026-13-45T25:61:00", "not a date", "", "1716200000"]);
                value["CreationTime"] = json!(bad);
                Item::Malformed {
                    value,
                    reason: MalformedReason::BadCreationTime,
                }
            }
        }
    }

    fn user(&self, rng: &mut SplitMix64) -> (&User, String) {
        // Skewed towards low numbers: a few users do most of the work.
        let n = self.directory.users.len() as u64;
        let user = &self.directory.users[rng.below(n).min(rng.below(n)) as usize];
        (user, self.spelled(&user.upn, rng))
    }

    /// The UPN as one record spells it: now and then in another letter case.
    fn spelled(&self, upn: &str, rng: &mut SplitMix64) -> String {
        if rng.chance(self.config.user_case_variation_rate) {
            vary_case(upn, rng.chance(0.5))
        } else {
            upn.to_string()
        }
    }

    fn app(&self, rng: &mut SplitMix64) -> &App {
        let n = self.directory.apps.len() as u64;
        &self.directory.apps[rng.below(n).min(rng.below(n)) as usize]
    }
}

struct RecordContext {
    id: String,
    at: OffsetDateTime,
    creation_time: String,
    organization_id: String,
}

/// Addresses from the documentation ranges (RFC 5737).
fn client_ip(rng: &mut SplitMix64) -> String {
    let prefix = *rng.pick(&["192.0.2", "198.51.100", "203.0.113"]);
    format!("{prefix}.{}", rng.between(1, 254))
}

/// `User003@Contoso.onmicrosoft.com` or `USER003@CONTOSO.ONMICROSOFT.COM`:
/// the same person as `user003@contoso.onmicrosoft.com`.
fn vary_case(upn: &str, shout: bool) -> String {
    if shout {
        return upn.to_uppercase();
    }
    let (local, domain) = upn.split_once('@').unwrap_or((upn, ""));
    format!("{}@{}", capitalize(local), capitalize(domain))
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::plan::is_large_slot;
    use super::*;
    use crate::records::facts_from_value;
    use std::collections::{HashMap, HashSet};
    use time::macros::datetime;

    fn generator(config: GeneratorConfig) -> Generator {
        Generator::new(
            7,
            crate::config::DEFAULT_TENANT_ID,
            "contoso.onmicrosoft.com",
            config,
            datetime!(2026-05-23 12:00 UTC),
        )
    }

    fn small() -> GeneratorConfig {
        GeneratorConfig {
            hours_before: 4,
            duplicate_rate: 0.2,
            malformed_rate: 0.05,
            ..GeneratorConfig::default()
        }
    }

    #[test]
    fn plan_covers_every_hour_type_and_slot() {
        let g = generator(small());
        assert_eq!(g.blobs().len(), 4 * 5 * 6);
        assert!(g.blobs().windows(2).all(|w| w[0].created <= w[1].created));
        for blob in g.blobs() {
            assert!(blob.created >= datetime!(2026-05-23 08:00 UTC));
            assert!(blob.created < datetime!(2026-05-23 12:00 UTC));
            assert!(blob.available_at >= blob.created);
        }
    }

    #[test]
    fn typed_facts_agree_with_the_json() {
        let g = generator(small());
        // Every record shape is checked: the tenant holds all seven.
        let mut shapes = HashSet::new();
        for blob in 0..g.blobs().len() {
            let body: Vec<Value> = serde_json::from_slice(&g.body(blob)).unwrap();
            assert_eq!(body.len() as u32, g.blobs()[blob].record_count);
            for (index, value) in body.iter().enumerate() {
                match g.item(blob, index as u32) {
                    Item::Record(record) => {
                        shapes.insert(std::mem::discriminant(&record));
                        assert_eq!(facts_from_value(value), Ok(record.facts()));
                        let at = crate::timefmt::parse_creation_time(&record.facts().creation_time)
                            .unwrap();
                        assert!(at <= g.blobs()[blob].created);
                    }
                    Item::Malformed { reason, .. } => {
                        assert_eq!(facts_from_value(value), Err(reason));
                    }
                }
            }
        }
        assert_eq!(shapes.len(), 7);
    }

    #[test]
    fn history_length_does_not_change_an_hour() {
        let short = generator(small());
        let long = generator(GeneratorConfig {
            hours_before: 8,
            ..small()
        });
        assert_eq!(
            short.content_id(short.blobs().len() - 1),
            long.content_id(long.blobs().len() - 1)
        );
    }

    #[test]
    fn large_blobs_are_spread_over_the_hour_and_change_nothing_else() {
        let plain = generator(small());
        let config = GeneratorConfig {
            blobs_per_hour: 6,
            large_blobs_per_hour: 2,
            large_blob_records: 5_000,
            ..small()
        };
        let large = generator(config);
        assert_eq!(plain.blobs().len(), large.blobs().len());
        for (i, (a, b)) in plain.blobs().iter().zip(large.blobs()).enumerate() {
            assert_eq!(plain.content_id(i), large.content_id(i));
            assert_eq!(a.created, b.created);
            assert!(b.record_count == a.record_count || b.record_count == 5_000);
        }
        // Two per hour and content type: 4 hours of 5 types.
        let big = large
            .blobs()
            .iter()
            .filter(|b| b.record_count == 5_000)
            .count();
        assert_eq!(big, 4 * 5 * 2);
        let slots: Vec<u32> = (0..6).filter(|&s| is_large_slot(s, 6, 2)).collect();
        assert_eq!(slots, [2, 5]);
        assert_eq!((0..7).filter(|&s| is_large_slot(s, 7, 0)).count(), 0);
        assert_eq!((0..3).filter(|&s| is_large_slot(s, 3, 9)).count(), 3);
    }

    /// Every valid record, typed facts and JSON, of a tenant of Power Platform and Copilot.
    fn power_platform_tenant() -> (Generator, Vec<(RecordFacts, Value)>) {
        let g = generator(GeneratorConfig {
            hours_before: 8,
            content_types: vec![ContentType::General],
            power_platform_fraction: 1.0,
            records_per_blob_min: 100,
            records_per_blob_max: 100,
            ..GeneratorConfig::default()
        });
        let mut records = Vec::new();
        for blob in 0..g.blobs().len() {
            for index in 0..g.blobs()[blob].record_count {
                if let Item::Record(record) = g.item(blob, index) {
                    records.push((record.facts(), serde_json::to_value(&record).unwrap()));
                }
            }
        }
        (g, records)
    }

    fn operation<'r>(
        records: &'r [(RecordFacts, Value)],
        name: &str,
    ) -> impl Iterator<Item = &'r (RecordFacts, Value)> {
        records
            .iter()
            .filter(move |(f, _)| f.operation.as_deref() == Some(name))
    }

    fn share(part: usize, whole: usize) -> f64 {
        part as f64 / whole as f64
    }

    #[test]
    fn agent_interactions_are_conversations_of_several_agents() {
        let (g, records) = power_platform_tenant();
        let interactions: Vec<_> = operation(&records, "CopilotInteraction")
            .filter(|(f, _)| f.agent_id.is_some())
            .collect();
        let mut turns: HashMap<&str, Vec<&RecordFacts>> = HashMap::new();
        for (f, value) in &interactions {
            let agent = g
                .directory
                .agents
                .iter()
                .find(|a| Some(&a.agent_id) == f.agent_id.as_ref())
                .unwrap();
            let env = &agent.environment.id;
            assert_eq!(f.platform_agent_id, Some(format!("{env}_{}", agent.bot_id)));
            assert_eq!(
                (f.environment_id.as_ref(), f.bot_id.as_ref()),
                (Some(env), Some(&agent.bot_id))
            );
            assert_eq!(
                (f.record_type, f.workload.as_deref()),
                (Some(261), Some("Copilot"))
            );
            assert_eq!(f.agent_platform.as_deref(), Some("CopilotStudio"));
            assert!(copilot::AGENT_HOSTS.contains(&f.app_host.as_deref().unwrap()));
            if let Some(identity) = value.get("AppIdentity") {
                assert_eq!(
                    identity,
                    &json!(format!("Copilot.Studio.{env}-{}", agent.schema_name))
                );
            }
            let data = &value["CopilotEventData"];
            assert!(data.get("ThreadId").is_some() != data.get("ConversationId").is_some());
            assert_eq!(data["Messages"][0]["isPrompt"], json!(true));
            turns
                .entry(f.conversation_id.as_deref().unwrap())
                .or_default()
                .push(f);
        }
        let agents: HashSet<_> = interactions.iter().map(|(f, _)| &f.agent_id).collect();
        assert_eq!(agents.len(), g.directory.agents.len());
        assert!(
            interactions.iter().any(|(f, _)| f
                .environment_id
                .as_ref()
                .unwrap()
                .starts_with("Default-"))
        );
        // A conversation belongs to one agent and one person, and most have several turns.
        for turns in turns.values() {
            assert_eq!(
                turns
                    .iter()
                    .map(|f| &f.agent_id)
                    .collect::<HashSet<_>>()
                    .len(),
                1
            );
            let people: HashSet<_> = turns
                .iter()
                .map(|f| f.user_id.as_ref().unwrap().to_lowercase())
                .collect();
            assert_eq!(people.len(), 1);
        }
        let several = turns.values().filter(|t| t.len() > 1).count();
        assert!(several * 2 > turns.len(), "{several} of {}", turns.len());
        assert!(interactions.len() > 2 * turns.len());
        let uneven = |key: &str| {
            share(
                interactions
                    .iter()
                    .filter(|(_, v)| v.get(key).is_some())
                    .count(),
                interactions.len(),
            )
        };
        assert!(
            (0.5..0.7).contains(&uneven("AgentName")),
            "{}",
            uneven("AgentName")
        );
        assert!(
            (0.7..0.9).contains(&uneven("AppIdentity")),
            "{}",
            uneven("AppIdentity")
        );
        let by_conversation_id = interactions
            .iter()
            .filter(|(_, v)| v["CopilotEventData"].get("ConversationId").is_some());
        assert!((0.15..0.35).contains(&share(by_conversation_id.count(), interactions.len())));
    }

    #[test]
    fn microsoft_365_copilot_records_name_no_agent() {
        let (_, records) = power_platform_tenant();
        let m365: Vec<_> = operation(&records, "CopilotInteraction")
            .filter(|(f, _)| f.agent_id.is_none())
            .collect();
        assert!(share(m365.len(), records.len()) > 0.03);
        for (f, value) in &m365 {
            assert!(
                ["Word", "Teams", "Outlook", "Excel"].contains(&f.app_host.as_deref().unwrap())
            );
            assert!(f.conversation_id.is_some());
            for key in [
                "AgentId",
                "AgentPlatform",
                "PlatformAgentId",
                "AppIdentity",
                "AgentName",
            ] {
                assert!(value.get(key).is_none(), "{key}");
            }
            assert_eq!(
                (&f.bot_id, &f.environment_id, &f.agent_name),
                (&None, &None, &None)
            );
        }
    }

    #[test]
    fn only_the_last_agent_is_ever_deleted() {
        let (g, records) = power_platform_tenant();
        let last = g.directory.agents.last().unwrap();
        let deleted: HashSet<_> = operation(&records, "BotDelete")
            .map(|(f, _)| f.bot_id.as_ref().unwrap())
            .collect();
        assert_eq!(deleted, HashSet::from([&last.bot_id]));
        for name in [
            "BotCreate",
            "BotUpdateOperation-BotPublish",
            "BotUpdateOperation-BotNameUpdate",
        ] {
            assert!(operation(&records, name).count() > 0, "{name}");
        }
        let lifecycle = records.iter().filter(|(f, _)| f.record_type == Some(384));
        for (f, value) in lifecycle {
            let agent = g
                .directory
                .agents
                .iter()
                .find(|a| Some(&a.bot_id) == f.bot_id.as_ref())
                .unwrap();
            assert_eq!(f.environment_id.as_ref(), Some(&agent.environment.id));
            assert_eq!(value["BotSchemaName"], json!(agent.schema_name));
            let named = matches!(
                f.operation.as_deref(),
                Some("BotCreate" | "BotUpdateOperation-BotNameUpdate")
            );
            assert_eq!(f.agent_name.as_ref(), named.then_some(&agent.display_name));
            assert_eq!(f.agent_id, None);
        }
    }

    #[test]
    fn launches_name_their_environments_now_and_then() {
        let (_, records) = power_platform_tenant();
        let launches: Vec<_> = operation(&records, "LaunchPowerApp")
            .map(|(f, _)| f)
            .collect();
        let mut names: HashMap<&str, HashSet<Option<&str>>> = HashMap::new();
        for f in launches.iter().filter(|f| f.record_type == Some(256)) {
            names
                .entry(f.environment_id.as_deref().unwrap())
                .or_default()
                .insert(f.environment_name.as_deref());
        }
        let default = format!("Default-{}", crate::config::DEFAULT_TENANT_ID);
        assert_eq!(
            names[default.as_str()],
            HashSet::from([Some("Contoso (default)"), None])
        );
        assert_eq!(names.len(), 3);
        // One name per environment, and some launches without it.
        assert!(
            names
                .values()
                .all(|n| n.iter().flatten().count() == 1 && n.contains(&None))
        );
        let unnamed = launches
            .iter()
            .filter(|f| f.record_type == Some(256) && f.environment_name.is_none());
        let current = launches.iter().filter(|f| f.record_type == Some(256));
        assert!((0.05..0.15).contains(&share(unnamed.count(), current.count())));
        for f in launches.iter().filter(|f| f.record_type == Some(45)) {
            assert_eq!(f.environment_name, None);
            assert!(names.contains_key(f.environment_id.as_deref().unwrap()));
        }
    }

    #[test]
    fn flows_sit_in_environments() {
        let (g, records) = power_platform_tenant();
        let flows: Vec<_> = records
            .iter()
            .filter(|(f, _)| f.record_type == Some(30))
            .collect();
        for (f, value) in &flows {
            let flow = g
                .directory
                .flows
                .iter()
                .find(|d| Some(&d.id) == f.flow_id.as_ref())
                .unwrap();
            assert_eq!(f.environment_id.as_ref(), Some(&flow.environment.id));
            let url = format!(
                "https://make.powerautomate.com/environments/{}/flows/{}/details",
                flow.environment.id, flow.id
            );
            assert_eq!(value["FlowDetailsUrl"], json!(url));
        }
        let environments: HashSet<_> = flows.iter().map(|(f, _)| &f.environment_id).collect();
        assert!(environments.len() > 1);
        for name in [
            "CreateFlow",
            "EditFlow",
            "PutPermissions",
            "DeletePermissions",
        ] {
            assert!(operation(&records, name).count() > 0, "{name}");
        }
        let deletions = share(operation(&records, "DeleteFlow").count(), flows.len());
        assert!((0.05..0.12).contains(&deletions), "{deletions}");
    }

    #[test]
    fn case_variants_name_the_same_user() {
        assert_eq!(
            vary_case("user003@contoso.onmicrosoft.com", false),
            "User003@Contoso.onmicrosoft.com"
        );
        assert_eq!(
            vary_case("user003@contoso.onmicrosoft.com", true),
            "USER003@CONTOSO.ONMICROSOFT.COM"
        );
    }
}
