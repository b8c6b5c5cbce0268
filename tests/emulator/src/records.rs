//! Audit record shapes, and the facts the truth reports about a record.
//!
//! Generated records are typed structs rather than `serde_json::Value`s so
//! that the field order matches Microsoft's output (and the samples in
//! `shared/records/tests/fixtures/sample-records.json`) whatever features of
//! `serde_json` another crate in the workspace turns on.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::rng::is_guid;
use crate::timefmt::parse_creation_time;

pub const PROP_APP_ID: &str = "powerplatform.analytics.resource.power_app.id";
pub const PROP_APP_DISPLAY_NAME: &str = "powerplatform.analytics.resource.power_app.display_name";
pub const PROP_ENVIRONMENT_ID: &str = "powerplatform.analytics.resource.environment.id";
pub const PROP_ENVIRONMENT_NAME: &str = "powerplatform.analytics.resource.environment.name";
pub const PROP_RESOURCE_TYPE: &str = "powerplatform.analytics.resource.type";
pub const PROP_ACTIVITY_NAME: &str = "powerplatform.analytics.activity.name";
pub const PROP_TENANT_ID: &str = "powerplatform.analytics.resource.tenant.id";
pub const PROP_PRINCIPAL_NAME: &str = "enduser.principal_name";
pub const PROP_ENDUSER_ID: &str = "enduser.id";
pub const PROP_ENDUSER_ROLE: &str = "enduser.role";

#[derive(Debug, Clone, Serialize)]
pub struct NameValue {
    #[serde(rename = "Name")]
    pub name: &'static str,
    #[serde(rename = "Value")]
    pub value: String,
}

/// A Power Apps launch in the current shape (RecordType 256).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PowerPlatformLaunch {
    pub property_collection: Vec<NameValue>,
    pub environment_id: String,
    pub user_id: String,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub id: String,
    pub record_type: i64,
    pub creation_time: String,
    pub operation: &'static str,
    pub organization_id: String,
    pub user_type: i64,
    pub user_key: String,
    pub workload: &'static str,
    pub result_status: &'static str,
    pub version: i64,
    pub requires_customer_key_encryption: bool,
}

/// Other RecordType 256 app events (DeletePowerApp, PowerAppPermissionEdited).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PowerPlatformAppEvent {
    pub id: String,
    pub creation_time: String,
    pub organization_id: String,
    pub user_type: i64,
    pub user_key: String,
    pub user_id: String,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub result_status: &'static str,
    pub record_type: i64,
    pub workload: &'static str,
    pub operation: &'static str,
    pub property_collection: Vec<NameValue>,
}

/// A Power Apps launch in the older shape (RecordType 45).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LegacyLaunch {
    pub id: String,
    pub record_type: i64,
    pub creation_time: String,
    pub operation: &'static str,
    pub organization_id: String,
    pub user_type: i64,
    pub user_key: String,
    pub workload: &'static str,
    pub result_status: &'static str,
    pub object_id: String,
    pub user_id: String,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub app_name: String,
    pub environment_name: String,
    pub app_session_id: String,
    pub app_display_name: String,
}

/// A Power Automate event (RecordType 30).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlowEvent {
    pub id: String,
    pub creation_time: String,
    pub organization_id: String,
    pub user_type: i64,
    pub user_key: String,
    pub user_id: String,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub result_status: &'static str,
    pub record_type: i64,
    pub workload: &'static str,
    pub operation: &'static str,
    pub flow_details_url: String,
}

/// A Copilot interaction (RecordType 261): with a Copilot Studio agent, or with Microsoft 365
/// Copilot in an app (then without the agent's fields). Common fields in the order of
/// Microsoft's samples; no `ResultStatus`, as in those.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CopilotInteraction {
    pub creation_time: String,
    pub id: String,
    pub operation: &'static str,
    pub organization_id: String,
    pub record_type: i64,
    pub user_key: String,
    pub user_type: i64,
    pub version: i64,
    pub workload: &'static str,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub user_id: String,
    #[serde(flatten)]
    pub agent: Option<AgentFields>,
    pub copilot_event_data: CopilotEventData,
}

/// What an agent's interaction says about the agent; real records leave out some of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentFields {
    pub agent_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    pub agent_platform: &'static str,
    /// `{environment id}_{bot id}`.
    pub platform_agent_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_identity: Option<String>,
}

/// `CopilotEventData`: the conversation is a `ThreadId` or, in some records, a `ConversationId`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CopilotEventData {
    pub app_host: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    pub messages: Vec<CopilotMessage>,
    pub accessed_resources: Vec<Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CopilotMessage {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "isPrompt")]
    pub is_prompt: bool,
}

/// A Copilot Studio agent's authoring or lifecycle event (RecordType 384).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BotEvent {
    pub creation_time: String,
    pub id: String,
    pub operation: &'static str,
    pub organization_id: String,
    pub record_type: i64,
    pub result_status: &'static str,
    pub user_key: String,
    pub user_type: i64,
    pub version: i64,
    pub workload: &'static str,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub user_id: String,
    pub bot_id: String,
    pub bot_schema_name: String,
    pub environment_id: String,
    /// Only where the name is set: on creation and renaming.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_name: Option<String>,
}

/// Any other workload, in the common-schema order of Microsoft's own
/// samples, followed by workload-specific properties.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OtherRecord {
    pub creation_time: String,
    pub id: String,
    pub operation: &'static str,
    pub organization_id: String,
    pub record_type: i64,
    pub result_status: &'static str,
    pub user_key: String,
    pub user_type: i64,
    pub version: i64,
    pub workload: &'static str,
    #[serde(rename = "ClientIP")]
    pub client_ip: String,
    pub object_id: String,
    pub user_id: String,
    #[serde(flatten)]
    pub details: Properties,
}

/// Extra properties in a fixed order (a `Map` would sort them).
#[derive(Debug, Clone, Default)]
pub struct Properties(pub Vec<(&'static str, Value)>);

impl Serialize for Properties {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Record {
    PowerPlatformLaunch(PowerPlatformLaunch),
    PowerPlatformAppEvent(PowerPlatformAppEvent),
    LegacyLaunch(LegacyLaunch),
    Flow(FlowEvent),
    Copilot(CopilotInteraction),
    Bot(BotEvent),
    Other(OtherRecord),
}

/// What the truth says about one valid record. Everything but `id` and
/// `creation_time` is optional because custom blobs may hold any JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFacts {
    pub id: String,
    /// Exactly as written in the record.
    pub creation_time: String,
    pub operation: Option<String>,
    pub record_type: Option<i64>,
    pub workload: Option<String>,
    pub user_id: Option<String>,
    /// The Power App's id: `PropertyCollection` `...power_app.id`, else `AppName`.
    pub app_id: Option<String>,
    pub app_display_name: Option<String>,
    /// `EnvironmentId`, else `PropertyCollection` `...environment.id`, else `EnvironmentName`,
    /// else the segment after `/environments/` in `FlowDetailsUrl`, else the part of
    /// `PlatformAgentId` before its last `_`.
    pub environment_id: Option<String>,
    /// `PropertyCollection` `...environment.name`.
    pub environment_name: Option<String>,
    /// The flow's id, taken from `FlowDetailsUrl`.
    pub flow_id: Option<String>,
    pub agent_id: Option<String>,
    /// `AgentName`, else `BotName`.
    pub agent_name: Option<String>,
    pub agent_platform: Option<String>,
    pub platform_agent_id: Option<String>,
    /// `BotId`, else the part of `PlatformAgentId` after its last `_`.
    pub bot_id: Option<String>,
    /// `CopilotEventData.AppHost`.
    pub app_host: Option<String>,
    /// `CopilotEventData.ThreadId`, else `CopilotEventData.ConversationId`.
    pub conversation_id: Option<String>,
}

fn property<'a>(props: &'a [NameValue], name: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_string)
}

/// The last GUID-shaped path segment of a flow URL.
fn flow_id_from_url(url: &str) -> Option<String> {
    url.split(['/', '?', '#'])
        .rev()
        .find(|segment| is_guid(segment))
        .map(str::to_string)
}

/// The segment after `/environments/` in a flow URL.
fn environment_from_url(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("/environments/")?;
    let segment = rest.split(['/', '?', '#']).next()?;
    non_empty(segment)
}

/// `PlatformAgentId` is `{environment id}_{bot id}`; environment ids (GUIDs or
/// `Default-{tenant}`) hold no `_`, bot ids neither.
fn split_platform_agent_id(id: &str) -> (Option<String>, Option<String>) {
    match id.rsplit_once('_') {
        Some((environment, bot)) => (non_empty(environment), non_empty(bot)),
        None => (None, None),
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl RecordFacts {
    /// The common fields; everything else empty.
    fn common(
        id: &str,
        creation_time: &str,
        operation: &str,
        record_type: i64,
        workload: &str,
        user_id: &str,
    ) -> Self {
        RecordFacts {
            id: id.to_string(),
            creation_time: creation_time.to_string(),
            operation: Some(operation.to_string()),
            record_type: Some(record_type),
            workload: Some(workload.to_string()),
            user_id: Some(user_id.to_string()),
            ..RecordFacts::default()
        }
    }
}

impl Record {
    /// Must agree with [`facts_from_value`] on the serialized record; a test
    /// checks that for every generated record.
    pub fn facts(&self) -> RecordFacts {
        match self {
            Record::PowerPlatformLaunch(r) => RecordFacts {
                app_id: owned(property(&r.property_collection, PROP_APP_ID)),
                app_display_name: owned(property(&r.property_collection, PROP_APP_DISPLAY_NAME)),
                environment_id: Some(r.environment_id.clone()),
                environment_name: owned(property(&r.property_collection, PROP_ENVIRONMENT_NAME)),
                ..RecordFacts::common(
                    &r.id,
                    &r.creation_time,
                    r.operation,
                    r.record_type,
                    r.workload,
                    &r.user_id,
                )
            },
            Record::PowerPlatformAppEvent(r) => RecordFacts {
                app_id: owned(property(&r.property_collection, PROP_APP_ID)),
                app_display_name: owned(property(&r.property_collection, PROP_APP_DISPLAY_NAME)),
                environment_id: owned(property(&r.property_collection, PROP_ENVIRONMENT_ID)),
                environment_name: owned(property(&r.property_collection, PROP_ENVIRONMENT_NAME)),
                ..RecordFacts::common(
                    &r.id,
                    &r.creation_time,
                    r.operation,
                    r.record_type,
                    r.workload,
                    &r.user_id,
                )
            },
            Record::LegacyLaunch(r) => RecordFacts {
                app_id: Some(r.app_name.clone()),
                app_display_name: Some(r.app_display_name.clone()),
                environment_id: Some(r.environment_name.clone()),
                ..RecordFacts::common(
                    &r.id,
                    &r.creation_time,
                    r.operation,
                    r.record_type,
                    r.workload,
                    &r.user_id,
                )
            },
            Record::Flow(r) => RecordFacts {
                environment_id: environment_from_url(&r.flow_details_url),
                flow_id: flow_id_from_url(&r.flow_details_url),
                ..RecordFacts::common(
                    &r.id,
                    &r.creation_time,
                    r.operation,
                    r.record_type,
                    r.workload,
                    &r.user_id,
                )
            },
            Record::Copilot(r) => r.facts(),
            Record::Bot(r) => RecordFacts {
                environment_id: Some(r.environment_id.clone()),
                agent_name: r.bot_name.clone(),
                bot_id: Some(r.bot_id.clone()),
                ..RecordFacts::common(
                    &r.id,
                    &r.creation_time,
                    r.operation,
                    r.record_type,
                    r.workload,
                    &r.user_id,
                )
            },
            Record::Other(r) => RecordFacts::common(
                &r.id,
                &r.creation_time,
                r.operation,
                r.record_type,
                r.workload,
                &r.user_id,
            ),
        }
    }
}

impl CopilotInteraction {
    fn facts(&self) -> RecordFacts {
        let data = &self.copilot_event_data;
        let mut facts = RecordFacts {
            app_host: Some(data.app_host.to_string()),
            conversation_id: data
                .thread_id
                .clone()
                .or_else(|| data.conversation_id.clone()),
            ..RecordFacts::common(
                &self.id,
                &self.creation_time,
                self.operation,
                self.record_type,
                self.workload,
                &self.user_id,
            )
        };
        if let Some(agent) = &self.agent {
            (facts.environment_id, facts.bot_id) =
                split_platform_agent_id(&agent.platform_agent_id);
            facts.agent_id = Some(agent.agent_id.clone());
            facts.agent_name = agent.agent_name.clone();
            facts.agent_platform = Some(agent.agent_platform.to_string());
            facts.platform_agent_id = Some(agent.platform_agent_id.clone());
        }
        facts
    }
}

/// Why an item of a blob is not a valid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MalformedReason {
    NotObject,
    MissingId,
    BadCreationTime,
}

/// Classifies any JSON item the way the truth does: an object with a string
/// `Id` and a `CreationTime` in the record format is a record, anything else
/// is malformed.
pub fn facts_from_value(value: &Value) -> Result<RecordFacts, MalformedReason> {
    let object = value.as_object().ok_or(MalformedReason::NotObject)?;
    let id = object
        .get("Id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or(MalformedReason::MissingId)?;
    let creation_time = object
        .get("CreationTime")
        .and_then(Value::as_str)
        .filter(|t| parse_creation_time(t).is_some())
        .ok_or(MalformedReason::BadCreationTime)?;
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
    let from_properties = |name: &str| {
        object
            .get("PropertyCollection")
            .and_then(Value::as_array)
            .and_then(|props| {
                props
                    .iter()
                    .find(|p| p.get("Name").and_then(Value::as_str) == Some(name))
            })
            .and_then(|p| p.get("Value"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let event_data = |key: &str| {
        object
            .get("CopilotEventData")
            .and_then(|data| data.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let platform_agent_id = text("PlatformAgentId");
    let (platform_environment, platform_bot) = platform_agent_id
        .as_deref()
        .map_or((None, None), split_platform_agent_id);
    let flow_url = text("FlowDetailsUrl");
    Ok(RecordFacts {
        id: id.to_string(),
        creation_time: creation_time.to_string(),
        operation: text("Operation"),
        record_type: object.get("RecordType").and_then(Value::as_i64),
        workload: text("Workload"),
        user_id: text("UserId"),
        app_id: from_properties(PROP_APP_ID).or_else(|| text("AppName")),
        app_display_name: from_properties(PROP_APP_DISPLAY_NAME).or_else(|| text("AppDisplayName")),
        environment_id: text("EnvironmentId")
            .or_else(|| from_properties(PROP_ENVIRONMENT_ID))
            .or_else(|| text("EnvironmentName"))
            .or_else(|| flow_url.as_deref().and_then(environment_from_url))
            .or(platform_environment),
        environment_name: from_properties(PROP_ENVIRONMENT_NAME),
        flow_id: flow_url.as_deref().and_then(flow_id_from_url),
        agent_id: text("AgentId"),
        agent_name: text("AgentName").or_else(|| text("BotName")),
        agent_platform: text("AgentPlatform"),
        platform_agent_id,
        bot_id: text("BotId").or(platform_bot),
        app_host: event_data("AppHost"),
        conversation_id: event_data("ThreadId").or_else(|| event_data("ConversationId")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The samples the records crate is tested with, so that the emulator reads the
    /// same shapes; compiled in, so that without the file the test cannot pass.
    const SAMPLES: &str =
        include_str!("../../../shared/records/tests/fixtures/sample-records.json");

    #[test]
    fn samples_classify_like_the_reference() {
        let samples: Value = serde_json::from_str(SAMPLES).expect("sample-records.json is JSON");
        let samples = samples.as_object().expect("an object of named samples");
        for (name, sample) in samples {
            let result = facts_from_value(sample);
            if name.starts_with("malformed") {
                assert_eq!(result, Err(MalformedReason::MissingId), "{name}");
            } else {
                let facts = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                if name.starts_with("launch") || name.starts_with("app deleted") {
                    assert!(facts.app_id.is_some(), "{name}");
                }
                if name.starts_with("flow") {
                    assert_eq!(
                        facts.flow_id.as_deref(),
                        Some("cafdd23a-bba6-4b36-b1a0-161891166863")
                    );
                }
            }
        }
    }

    #[test]
    fn agent_and_environment_facts_fall_back_in_order() {
        let facts = |value: Value| facts_from_value(&value).unwrap();
        let interaction = facts(serde_json::json!({
            "Id": "a", "CreationTime": "2026-05-19T13:17:34", "AgentId": "CopilotStudio.Custom.cr3f1_x",
            "AgentPlatform": "CopilotStudio", "PlatformAgentId": "Default-7d2b_5b1e-bot",
            "CopilotEventData": {"AppHost": "Teams", "ConversationId": "c-1"},
        }));
        assert_eq!(interaction.environment_id.as_deref(), Some("Default-7d2b"));
        assert_eq!(interaction.bot_id.as_deref(), Some("5b1e-bot"));
        assert_eq!(interaction.conversation_id.as_deref(), Some("c-1"));
        assert_eq!(interaction.app_host.as_deref(), Some("Teams"));
        assert_eq!(interaction.agent_name, None);
        let thread = facts(serde_json::json!({
            "Id": "a", "CreationTime": "2026-05-19T13:17:34", "AgentName": "Agent", "BotName": "Bot",
            "PlatformAgentId": "no-underscore", "BotId": "b",
            "CopilotEventData": {"ThreadId": "t-1", "ConversationId": "c-1"},
        }));
        assert_eq!(thread.conversation_id.as_deref(), Some("t-1"));
        assert_eq!(thread.agent_name.as_deref(), Some("Agent"));
        assert_eq!(
            (thread.environment_id, thread.bot_id.as_deref()),
            (None, Some("b"))
        );
        let bot = facts(serde_json::json!({
            "Id": "a", "CreationTime": "2026-05-19T13:17:34", "BotName": "Bot",
            "PlatformAgentId": "env_bot", "EnvironmentId": "env-top",
        }));
        assert_eq!(bot.agent_name.as_deref(), Some("Bot"));
        assert_eq!(bot.environment_id.as_deref(), Some("env-top"));
        let flow = facts(serde_json::json!({
            "Id": "a", "CreationTime": "2026-05-19T13:17:34",
            "FlowDetailsUrl": "https://make.powerautomate.com/environments/Default-7d2b/flows/cafdd23a-bba6-4b36-b1a0-161891166863/details",
        }));
        assert_eq!(flow.environment_id.as_deref(), Some("Default-7d2b"));
        assert_eq!(
            flow.flow_id.as_deref(),
            Some("cafdd23a-bba6-4b36-b1a0-161891166863")
        );
        let named = facts(serde_json::json!({
            "Id": "a", "CreationTime": "2026-05-19T13:17:34",
            "PropertyCollection": [{"Name": PROP_ENVIRONMENT_NAME, "Value": "HR \"Prod\""}],
        }));
        assert_eq!(named.environment_name.as_deref(), Some("HR \"Prod\""));
    }

    #[test]
    fn non_objects_and_bad_times_are_malformed() {
        assert_eq!(
            facts_from_value(&serde_json::json!("x")),
            Err(MalformedReason::NotObject)
        );
        assert_eq!(
            facts_from_value(&serde_json::json!({"Id": "a", "CreationTime": "soon"})),
            Err(MalformedReason::BadCreationTime)
        );
        assert_eq!(
            facts_from_value(&serde_json::json!({"Id": 5, "CreationTime": "2026-01-01T00:00:00"})),
            Err(MalformedReason::MissingId)
        );
    }
}
