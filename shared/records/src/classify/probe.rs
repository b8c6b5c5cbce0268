//! The top-level fields of a record that classification looks at, read in one pass
//! that borrows strings from the JSON text and skips everything else unparsed.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess};
use serde_json::value::RawValue;

use super::object::{ObjectFields, deserialize_object};
use super::scalar::{Scalar, next_text};
use crate::rejection::{Rejection, RejectionKind};

/// The fields of a record that classification looks at.
#[derive(Default)]
pub(super) struct Probe<'a> {
    pub(super) id: Option<Scalar<'a>>,
    pub(super) creation_time: Option<Scalar<'a>>,
    pub(super) record_type: Option<Scalar<'a>>,
    pub(super) operation: Option<Cow<'a, str>>,
    pub(super) workload: Option<Cow<'a, str>>,
    pub(super) user_id: Option<Cow<'a, str>>,
    pub(super) user_key: Option<Cow<'a, str>>,
    pub(super) result_status: Option<Cow<'a, str>>,
    pub(super) client_ip: Option<Cow<'a, str>>,
    pub(super) object_id: Option<Cow<'a, str>>,
    pub(super) app_name: Option<Cow<'a, str>>,
    pub(super) app_display_name: Option<Cow<'a, str>>,
    pub(super) environment_id: Option<Cow<'a, str>>,
    pub(super) environment_name: Option<Cow<'a, str>>,
    pub(super) flow_details_url: Option<Cow<'a, str>>,
    pub(super) property_collection: Option<&'a RawValue>,
    pub(super) agent_id: Option<Cow<'a, str>>,
    pub(super) agent_name: Option<Cow<'a, str>>,
    pub(super) agent_platform: Option<Cow<'a, str>>,
    pub(super) platform_agent_id: Option<Cow<'a, str>>,
    pub(super) app_identity: Option<Cow<'a, str>>,
    pub(super) bot_id: Option<Cow<'a, str>>,
    pub(super) bot_name: Option<Cow<'a, str>>,
    pub(super) conversation_id: Option<Cow<'a, str>>,
    pub(super) copilot_event_data: Option<&'a RawValue>,
}

impl<'a> Probe<'a> {
    // Inlined, so that the probe (a few hundred bytes) is built in the caller's frame
    // rather than copied out of this one.
    #[inline]
    pub(super) fn read(text: &'a str) -> Result<Self, Rejection> {
        let text = text.trim_start_matches([' ', '\t', '\n', '\r']);
        let what = match text.as_bytes().first() {
            Some(b'{') => None,
            Some(b'[') => Some("an array"),
            Some(b'"') => Some("a string"),
            Some(b't' | b'f') => Some("a boolean"),
            Some(b'n') => Some("null"),
            Some(_) => Some("a number"),
            None => Some("nothing"),
        };
        if let Some(what) = what {
            return Err(Rejection::with_detail(
                RejectionKind::NotAnObject,
                format!("got {what}"),
            ));
        }
        let mut de = serde_json::Deserializer::from_str(text);
        Probe::deserialize(&mut de)
            .map_err(|e| Rejection::with_detail(RejectionKind::InvalidJson, e.to_string()))
    }
}

/// Top-level keys we read; everything else is skipped unparsed.
#[derive(Deserialize)]
#[serde(field_identifier)]
pub(super) enum Field {
    Id,
    CreationTime,
    RecordType,
    Operation,
    Workload,
    UserId,
    UserKey,
    ResultStatus,
    #[serde(rename = "ClientIP")]
    ClientIp,
    ObjectId,
    AppName,
    AppDisplayName,
    EnvironmentId,
    EnvironmentName,
    FlowDetailsUrl,
    PropertyCollection,
    AgentId,
    AgentName,
    AgentPlatform,
    PlatformAgentId,
    AppIdentity,
    BotId,
    BotName,
    ConversationId,
    CopilotEventData,
    #[serde(other)]
    Other,
}

impl<'de> ObjectFields<'de> for Probe<'de> {
    type Key = Field;

    const EXPECTING: &'static str = "an audit record object";

    #[inline]
    fn read_value<A: MapAccess<'de>>(&mut self, key: Field, map: &mut A) -> Result<(), A::Error> {
        match key {
            Field::Id => self.id = Some(map.next_value()?),
            Field::CreationTime => self.creation_time = Some(map.next_value()?),
            Field::RecordType => self.record_type = Some(map.next_value()?),
            Field::PropertyCollection => self.property_collection = Some(map.next_value()?),
            Field::Operation => self.operation = next_text(map)?,
            Field::Workload => self.workload = next_text(map)?,
            Field::UserId => self.user_id = next_text(map)?,
            Field::UserKey => self.user_key = next_text(map)?,
            Field::ResultStatus => self.result_status = next_text(map)?,
            Field::ClientIp => self.client_ip = next_text(map)?,
            Field::ObjectId => self.object_id = next_text(map)?,
            Field::AppName => self.app_name = next_text(map)?,
            Field::AppDisplayName => self.app_display_name = next_text(map)?,
            Field::EnvironmentId => self.environment_id = next_text(map)?,
            Field::EnvironmentName => self.environment_name = next_text(map)?,
            Field::FlowDetailsUrl => self.flow_details_url = next_text(map)?,
            Field::AgentId => self.agent_id = next_text(map)?,
            Field::AgentName => self.agent_name = next_text(map)?,
            Field::AgentPlatform => self.agent_platform = next_text(map)?,
            Field::PlatformAgentId => self.platform_agent_id = next_text(map)?,
            Field::AppIdentity => self.app_identity = next_text(map)?,
            Field::BotId => self.bot_id = next_text(map)?,
            Field::BotName => self.bot_name = next_text(map)?,
            Field::ConversationId => self.conversation_id = next_text(map)?,
            Field::CopilotEventData => self.copilot_event_data = Some(map.next_value()?),
            Field::Other => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Probe<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_object(deserializer)
    }
}
