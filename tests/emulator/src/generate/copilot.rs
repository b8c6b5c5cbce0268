//! Copilot's records: interactions with Copilot Studio agents and with Microsoft 365 Copilot
//! (RecordType 261), and the agents' authoring and lifecycle events (RecordType 384).

use time::OffsetDateTime;

use super::directory::Agent;
use super::power_platform::{AGENT_INTERACTION_SHARE, Actor, M365_COPILOT_SHARE};
use super::{CONVERSATION, Generator, RecordContext};
use crate::records::*;
use crate::rng::SplitMix64;

pub(super) const AGENT_HOSTS: &[&str] = &["Copilot Studio", "Teams", "WebChat"];
const M365_HOSTS: &[&str] = &["Word", "Teams", "Outlook", "Excel"];

// Real interaction records are uneven: many lack the agent's name, some its app identity,
// and some name the conversation `ConversationId` rather than `ThreadId`.
const AGENT_NAME_RATE: f64 = 0.6;
const APP_IDENTITY_RATE: f64 = 0.8;
const CONVERSATION_ID_RATE: f64 = 0.25;

/// Interactions per conversation, on average: an hour holds as many conversations as its
/// expected interactions allow, whatever the tenant's volume.
const TURNS_PER_CONVERSATION: f64 = 3.0;

/// Whom one conversation is with; each kind draws its conversations on its own branch, so
/// that agents change no Microsoft 365 Copilot conversation.
#[derive(Clone, Copy)]
enum Assistant {
    Agent = 0,
    App = 1,
}

/// One of an hour's conversations.
struct Conversation {
    id: String,
    /// The agent's index, or the app host's.
    assistant: usize,
    user: usize,
}

impl Generator {
    pub(super) fn agent_interaction(
        &self,
        rng: &mut SplitMix64,
        ctx: RecordContext,
        actor: Actor,
    ) -> Record {
        let agents = self.directory.agents.len();
        let conversation = self.conversation(rng, Assistant::Agent, agents, ctx.at);
        let agent = &self.directory.agents[conversation.assistant];
        let actor = self.in_conversation(rng, actor, &conversation);
        let host = *rng.pick(AGENT_HOSTS);
        let fields = agent_fields(rng, agent);
        let data = event_data(rng, host, conversation.id, ctx.at);
        interaction(ctx, actor, Some(fields), data)
    }

    /// Microsoft 365 Copilot in an Office app: no agent at all.
    pub(super) fn m365_copilot(
        &self,
        rng: &mut SplitMix64,
        ctx: RecordContext,
        actor: Actor,
    ) -> Record {
        let conversation = self.conversation(rng, Assistant::App, M365_HOSTS.len(), ctx.at);
        let actor = self.in_conversation(rng, actor, &conversation);
        let host = M365_HOSTS[conversation.assistant];
        let data = event_data(rng, host, conversation.id, ctx.at);
        interaction(ctx, actor, None, data)
    }

    /// Authoring and lifecycle. Exactly one agent is ever deleted: the directory's last.
    pub(super) fn bot_event(
        &self,
        rng: &mut SplitMix64,
        ctx: RecordContext,
        actor: Actor,
    ) -> Record {
        let agents = &self.directory.agents;
        let index = rng.index(agents.len());
        let agent = &agents[index];
        let kinds = if index + 1 == agents.len() { 6 } else { 5 };
        let operation = match rng.below(kinds) {
            0 => "BotCreate",
            1..=3 => "BotUpdateOperation-BotPublish",
            4 => "BotUpdateOperation-BotNameUpdate",
            _ => "BotDelete",
        };
        let named = matches!(operation, "BotCreate" | "BotUpdateOperation-BotNameUpdate");
        Record::Bot(BotEvent {
            creation_time: ctx.creation_time,
            id: ctx.id,
            operation,
            organization_id: ctx.organization_id,
            record_type: 384,
            result_status: "Succeeded",
            user_key: actor.user.key.clone(),
            user_type: 0,
            version: 1,
            workload: "PowerPlatform",
            client_ip: actor.ip,
            user_id: actor.upn,
            bot_id: agent.bot_id.clone(),
            bot_schema_name: agent.schema_name.clone(),
            environment_id: agent.environment.id.clone(),
            bot_name: named.then(|| agent.display_name.clone()),
        })
    }

    /// One of the conversations of the record's hour. They are drawn from the seed, the
    /// hour and a slot, not from the record's own stream, so that records of one hour, in
    /// any blob, are turns of the same few conversations; each is one person's with one
    /// assistant (a few people and assistants get most of the use).
    fn conversation(
        &self,
        rng: &mut SplitMix64,
        kind: Assistant,
        assistants: usize,
        at: OffsetDateTime,
    ) -> Conversation {
        let hour = at.unix_timestamp().div_euclid(3600) as u64;
        let slot = rng.below(self.conversations_per_hour(kind));
        let mut stream = SplitMix64::derived(self.seed, &[CONVERSATION, kind as u64, hour, slot]);
        let mut skewed = |n: usize| stream.below(n as u64).min(stream.below(n as u64)) as usize;
        let assistant = skewed(assistants);
        let user = skewed(self.directory.users.len());
        Conversation {
            id: stream.guid(),
            assistant,
            user,
        }
    }

    /// The expected interactions of an hour of `Audit.General`, over the turns of one
    /// conversation.
    fn conversations_per_hour(&self, kind: Assistant) -> u64 {
        let c = &self.config;
        let share = match kind {
            Assistant::Agent => AGENT_INTERACTION_SHARE,
            Assistant::App => M365_COPILOT_SHARE,
        };
        let per_blob =
            f64::from(c.records_per_blob_min) / 2.0 + f64::from(c.records_per_blob_max) / 2.0;
        let interactions =
            f64::from(c.blobs_per_hour) * per_blob * c.power_platform_fraction * share;
        (interactions / TURNS_PER_CONVERSATION).round().max(1.0) as u64
    }

    /// The record's actor becomes the conversation's person; the address stays as drawn.
    fn in_conversation<'g>(
        &'g self,
        rng: &mut SplitMix64,
        actor: Actor<'g>,
        conversation: &Conversation,
    ) -> Actor<'g> {
        let user = &self.directory.users[conversation.user];
        Actor {
            user,
            upn: self.spelled(&user.upn, rng),
            ip: actor.ip,
        }
    }
}

fn agent_fields(rng: &mut SplitMix64, agent: &Agent) -> AgentFields {
    let environment = &agent.environment.id;
    AgentFields {
        agent_id: agent.agent_id.clone(),
        agent_name: rng
            .chance(AGENT_NAME_RATE)
            .then(|| agent.display_name.clone()),
        agent_platform: "CopilotStudio",
        platform_agent_id: format!("{environment}_{}", agent.bot_id),
        app_identity: rng
            .chance(APP_IDENTITY_RATE)
            .then(|| format!("Copilot.Studio.{environment}-{}", agent.schema_name)),
    }
}

fn event_data(
    rng: &mut SplitMix64,
    app_host: &'static str,
    conversation: String,
    at: OffsetDateTime,
) -> CopilotEventData {
    let as_conversation_id = rng.chance(CONVERSATION_ID_RATE);
    // Message ids are epoch milliseconds: the prompt's, then the answer's a little later.
    let prompt = at.unix_timestamp() * 1000 + rng.below(1000) as i64;
    let answer = prompt + rng.between(800, 20_000) as i64;
    CopilotEventData {
        app_host,
        thread_id: (!as_conversation_id).then(|| conversation.clone()),
        conversation_id: as_conversation_id.then_some(conversation),
        messages: vec![
            CopilotMessage {
                id: prompt.to_string(),
                is_prompt: true,
            },
            CopilotMessage {
                id: answer.to_string(),
                is_prompt: false,
            },
        ],
        accessed_resources: Vec::new(),
    }
}

fn interaction(
    ctx: RecordContext,
    actor: Actor,
    agent: Option<AgentFields>,
    copilot_event_data: CopilotEventData,
) -> Record {
    Record::Copilot(CopilotInteraction {
        creation_time: ctx.creation_time,
        id: ctx.id,
        operation: "CopilotInteraction",
        organization_id: ctx.organization_id,
        record_type: 261,
        user_key: actor.user.key.clone(),
        user_type: 0,
        version: 1,
        workload: "Copilot",
        client_ip: actor.ip,
        user_id: actor.upn,
        agent,
        copilot_event_data,
    })
}
