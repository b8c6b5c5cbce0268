//! Copilot Studio agents: which records are about one, and what names the agent, its
//! environment and the conversation of a turn.
//!
//! A `CopilotInteraction` of an agent carries `AgentId`, `PlatformAgentId`
//! (`{environment}_{bot}`) and often `AppIdentity` (`Copilot.Studio.{environment}-{schema}`);
//! Microsoft 365 Copilot's own turns (in Word, Teams, …) carry none of them. Authoring records
//! name the agent by `BotId` only, which is why the bot id is kept beside the agent id.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess};

use super::ids::is_guid;
use super::object::{ObjectFields, deserialize_object};
use super::probe::Probe;
use super::scalar::next_text;

const APP_IDENTITY_PREFIX: &str = "Copilot.Studio.";

/// Whether a Copilot record is about a Copilot Studio agent rather than Microsoft 365 Copilot.
pub(super) fn about_agent(probe: &Probe<'_>) -> bool {
    text(&probe.agent_platform).is_some_and(|p| p.eq_ignore_ascii_case("CopilotStudio"))
        || platform_parts(probe).is_some()
        || app_identity_rest(probe).is_some()
}

/// The agent as the report names it: `AgentId`, else the bot id, else the `AppIdentity`.
pub(super) fn agent_id<'p>(probe: &'p Probe<'_>) -> Option<&'p str> {
    text(&probe.agent_id)
        .or_else(|| bot_id(probe))
        .or_else(|| text(&probe.app_identity))
}

/// `BotId`, else the bot part of `PlatformAgentId`.
pub(super) fn bot_id<'p>(probe: &'p Probe<'_>) -> Option<&'p str> {
    text(&probe.bot_id).or_else(|| platform_parts(probe).map(|(_, bot)| bot))
}

/// The environment part of `PlatformAgentId`, else of `AppIdentity`.
pub(super) fn environment<'p>(probe: &'p Probe<'_>) -> Option<&'p str> {
    platform_parts(probe)
        .map(|(environment, _)| environment)
        .or_else(|| app_identity_rest(probe).and_then(environment_prefix))
}

/// `CopilotEventData.ThreadId`, else its `ConversationId`, else a top-level `ConversationId`.
pub(super) fn conversation_id(probe: &Probe<'_>) -> Option<String> {
    let data: EventData<'_> = probe
        .copilot_event_data
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default();
    text(&data.thread_id)
        .or_else(|| text(&data.conversation_id))
        .or_else(|| text(&probe.conversation_id))
        .map(str::to_owned)
}

/// `{environment}_{bot}`: neither a GUID nor `Default-{GUID}` holds `_`, so the last one splits.
fn platform_parts<'p>(probe: &'p Probe<'_>) -> Option<(&'p str, &'p str)> {
    let (environment, bot) = text(&probe.platform_agent_id)?.rsplit_once('_')?;
    (!environment.trim().is_empty() && !bot.trim().is_empty()).then_some((environment, bot))
}

fn app_identity_rest<'p>(probe: &'p Probe<'_>) -> Option<&'p str> {
    let identity = text(&probe.app_identity)?;
    let head = identity.get(..APP_IDENTITY_PREFIX.len())?;
    head.eq_ignore_ascii_case(APP_IDENTITY_PREFIX)
        .then(|| &identity[APP_IDENTITY_PREFIX.len()..])
        .filter(|rest| !rest.is_empty())
}

/// The environment id at the start of `{environment}-{schema}`: a GUID or `Default-{GUID}`.
fn environment_prefix(rest: &str) -> Option<&str> {
    let default = "Default-";
    let skip = match rest.get(..default.len()) {
        Some(head) if head.eq_ignore_ascii_case(default) => default.len(),
        _ => 0,
    };
    let end = skip + 36;
    rest.get(skip..end)
        .filter(|id| is_guid(id))
        .map(|_| &rest[..end])
}

fn text<'p>(value: &'p Option<Cow<'_, str>>) -> Option<&'p str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// The part of `CopilotEventData` read: where the conversation is named.
#[derive(Default)]
struct EventData<'a> {
    thread_id: Option<Cow<'a, str>>,
    conversation_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(field_identifier)]
enum EventDataKey {
    ThreadId,
    ConversationId,
    #[serde(other)]
    Other,
}

impl<'de> ObjectFields<'de> for EventData<'de> {
    type Key = EventDataKey;

    const EXPECTING: &'static str = "a CopilotEventData object";

    fn read_value<A: MapAccess<'de>>(
        &mut self,
        key: EventDataKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            EventDataKey::ThreadId => self.thread_id = next_text(map)?,
            EventDataKey::ConversationId => self.conversation_id = next_text(map)?,
            EventDataKey::Other => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for EventData<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_object(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(json: &str) -> Probe<'_> {
        Probe::read(json).unwrap()
    }

    #[test]
    fn the_platform_agent_id_names_environment_and_bot() {
        let p = probe(
            r#"{"PlatformAgentId": "Default-72f988bf-86f1-41af-91ab-2d7cd011db47_0f4c6d3a-1b2c-4d5e-8f90-123456789abc"}"#,
        );
        assert!(about_agent(&p));
        assert_eq!(
            environment(&p),
            Some("Default-72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert_eq!(bot_id(&p), Some("0f4c6d3a-1b2c-4d5e-8f90-123456789abc"));
        assert_eq!(agent_id(&p), bot_id(&p), "no AgentId: the bot names it");
    }

    #[test]
    fn the_app_identity_names_the_environment_when_nothing_else_does() {
        let p = probe(
            r#"{"AgentId": "x", "AppIdentity": "copilot.studio.Default-72f988bf-86f1-41af-91ab-2d7cd011db47-cr3f1_helpdesk"}"#,
        );
        assert!(about_agent(&p));
        assert_eq!(
            environment(&p),
            Some("Default-72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        let p = probe(
            r#"{"AppIdentity": "Copilot.Studio.0f4c6d3a-1b2c-4d5e-8f90-123456789abc-cr3f1_x"}"#,
        );
        assert_eq!(
            environment(&p),
            Some("0f4c6d3a-1b2c-4d5e-8f90-123456789abc")
        );
        assert_eq!(
            environment(&probe(r#"{"AppIdentity": "Copilot.Studio.short"}"#)),
            None
        );
    }

    #[test]
    fn microsoft_365_copilot_is_no_agent() {
        let p = probe(
            r#"{"CopilotEventData": {"AppHost": "Word", "ThreadId": "t1"}, "AgentPlatform": ""}"#,
        );
        assert!(!about_agent(&p));
        assert_eq!(conversation_id(&p).as_deref(), Some("t1"));
        let p = probe(r#"{"AgentPlatform": "copilotstudio", "PlatformAgentId": "_"}"#);
        assert!(about_agent(&p), "the platform alone says so");
        assert_eq!(bot_id(&p), None);
    }

    #[test]
    fn conversations_come_from_the_thread_then_the_conversation_id() {
        let p = probe(r#"{"CopilotEventData": {"ConversationId": "c1"}, "ConversationId": "top"}"#);
        assert_eq!(conversation_id(&p).as_deref(), Some("c1"));
        let p = probe(r#"{"CopilotEventData": "not an object", "ConversationId": "top"}"#);
        assert_eq!(conversation_id(&p).as_deref(), Some("top"));
        assert_eq!(conversation_id(&probe("{}")), None);
    }
}
