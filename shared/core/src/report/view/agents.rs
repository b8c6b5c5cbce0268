//! `{"view": "agents"}`: Copilot Studio agents by turns, with their conversations, users, last
//! use and deletion (from their bots' authoring records), and the agents not used in the range.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{KindReads, in_environment, live_deletion};
use crate::report::ReportRequest;
use crate::report::clock::day_part;
use crate::store::SubjectFacts;

/// One agent used in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentUsage {
    /// The agent, as its turns name it (`AgentId`, else its bot id).
    pub agent_id: String,
    /// Its newest name, from its turns or its bot's authoring records.
    pub agent_name: Option<String>,
    /// Its environment.
    pub environment_id: Option<String>,
    /// Distinct conversations in the range (a turn without a conversation id is one of its own).
    pub conversations: u64,
    /// Turns (`CopilotInteraction` records) in the range.
    pub interactions: u64,
    /// Distinct users over the range.
    pub unique_users: u64,
    /// Its newest turn ever stored, in the range or not.
    pub last_used: Option<String>,
    /// Whether its bot's deletion (`BotDelete`) is stored with no turn after it.
    pub deleted: bool,
    /// When, if so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

/// An agent used before the range and not in it, and not deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InactiveAgent {
    /// The agent.
    pub agent_id: String,
    /// Its newest name.
    pub agent_name: Option<String>,
    /// Its environment.
    pub environment_id: Option<String>,
    /// Its newest turn, before the range.
    pub last_used: String,
}

/// The range's sums over every agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentTotals {
    /// Agents used in the range.
    pub agents: u64,
    /// Turns.
    pub interactions: u64,
    /// Conversations (each belongs to one agent).
    pub conversations: u64,
    /// Distinct users over every agent and the whole range.
    pub unique_users: u64,
}

/// The agents view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentsReport {
    /// Always `agents`.
    pub view: String,
    /// The first day, `YYYY-MM-DD` (UTC), included.
    pub from: String,
    /// The last day, included.
    pub to: String,
    /// Most turns first.
    pub agents: Vec<AgentUsage>,
    /// Sums over all of them.
    pub totals: AgentTotals,
    /// Least recently used first.
    pub inactive_agents: Vec<InactiveAgent>,
}

#[derive(Default)]
struct Tally {
    interactions: u64,
    users: BTreeSet<String>,
    conversations: BTreeSet<String>,
}

/// The view from the agents' reads and their bots' facts.
pub fn assemble(
    request: &ReportRequest,
    agents: &KindReads,
    bots: &BTreeMap<String, SubjectFacts>,
) -> AgentsReport {
    let mut by_agent: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut all_users = BTreeSet::new();
    for summary in agents.summaries(request) {
        let tally = by_agent.entry(&summary.id).or_default();
        tally.interactions += summary.count;
        tally.users.extend(summary.users.keys().cloned());
        tally
            .conversations
            .extend(summary.conversations.iter().cloned());
        all_users.extend(summary.users.keys().cloned());
    }
    let describe = |id: &str| Described::of(agents.facts.get(id), bots);
    let mut rows: Vec<AgentUsage> = by_agent
        .into_iter()
        .filter(|(_, tally)| tally.interactions > 0)
        .map(|(id, tally)| {
            let about = describe(id);
            AgentUsage {
                agent_id: id.to_string(),
                agent_name: about.name,
                environment_id: about.environment_id,
                conversations: tally.conversations.len() as u64,
                interactions: tally.interactions,
                unique_users: tally.users.len() as u64,
                last_used: about.last_used,
                deleted: about.deleted_at.is_some(),
                deleted_at: about.deleted_at,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.interactions
            .cmp(&a.interactions)
            .then_with(|| a.agent_id.cmp(&b.agent_id))
    });
    let totals = AgentTotals {
        agents: rows.len() as u64,
        interactions: rows.iter().map(|a| a.interactions).sum(),
        conversations: rows.iter().map(|a| a.conversations).sum(),
        unique_users: all_users.len() as u64,
    };
    let inactive_agents = inactive(request, agents, &rows, bots);
    AgentsReport {
        view: "agents".into(),
        from: request.from.to_string(),
        to: request.to.to_string(),
        agents: rows,
        totals,
        inactive_agents,
    }
}

/// What the facts say of an agent: its own, and its bot's.
struct Described {
    name: Option<String>,
    environment_id: Option<String>,
    last_used: Option<String>,
    deleted_at: Option<String>,
}

impl Described {
    fn of(facts: Option<&SubjectFacts>, bots: &BTreeMap<String, SubjectFacts>) -> Described {
        let bot = facts
            .and_then(|f| f.bot_id.as_deref())
            .and_then(|b| bots.get(b))
            .or_else(|| facts.and_then(|f| bots.get(&f.id)));
        let last_used = facts.and_then(|f| f.last.clone());
        Described {
            name: facts
                .and_then(|f| f.name.clone())
                .or_else(|| bot.and_then(|b| b.name.clone())),
            environment_id: facts.and_then(|f| f.environment_id.clone()),
            deleted_at: live_deletion(
                bot.and_then(|b| b.deleted_at.as_deref()),
                last_used.as_deref(),
            ),
            last_used,
        }
    }
}

fn inactive(
    request: &ReportRequest,
    agents: &KindReads,
    active: &[AgentUsage],
    bots: &BTreeMap<String, SubjectFacts>,
) -> Vec<InactiveAgent> {
    let active: BTreeSet<&str> = active.iter().map(|a| a.agent_id.as_str()).collect();
    let from = request.from.to_string();
    let mut inactive: Vec<InactiveAgent> = agents
        .facts
        .values()
        .filter(|f| !active.contains(f.id.as_str()) && in_environment(request, Some(f)))
        .filter_map(|f| {
            let about = Described::of(Some(f), bots);
            let last = about.last_used?;
            (about.deleted_at.is_none() && day_part(&last) < from.as_str()).then(|| InactiveAgent {
                agent_id: f.id.clone(),
                agent_name: about.name,
                environment_id: about.environment_id,
                last_used: last,
            })
        })
        .collect();
    inactive.sort_by(|a, b| {
        a.last_used
            .cmp(&b.last_used)
            .then_with(|| a.agent_id.cmp(&b.agent_id))
    });
    inactive
}
