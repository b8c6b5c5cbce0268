//! What the usage summaries are about, and where each of their items lives.
//!
//! Three kinds of subject are used and counted per UTC day: Power Apps (launches), Copilot
//! Studio agents (turns) and flows (edits). Each kind has the same three item families, under
//! its own key prefixes so a Query of one kind never reads another:
//!
//! * a **counter** per subject-day (`{day prefix}#{day}#{bucket}` / `{sort prefix}#{id}`): the
//!   count, the newest counted event, the `seq` of the last group that counted;
//! * a **user** item per subject-day and user (`{users prefix}#{day}#{bucket}` / `{id}#{user}`):
//!   that user's count and newest event that day;
//! * a **facts** item per subject (`{facts prefix}#{bucket}` / `{sort prefix}#{id}`): facts that
//!   only move one way (newest use, name, environment, deletion, creation).
//!
//! Agents also have a **conversation** item per agent-day and conversation, and the facts of
//! the bots their authoring records name; environments have a facts item holding their name.

use super::spread::{SUMMARY_BUCKETS, app_bucket, user_bucket};
use super::{Item, s};

/// What a summary item is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Kind {
    /// A Power App: counts launches.
    #[default]
    App,
    /// A Copilot Studio agent: counts turns (`CopilotInteraction` records).
    Agent,
    /// A flow: counts edits (`EditFlow`); its users are its makers.
    Flow,
    /// A Copilot Studio bot as its authoring records name it: facts only.
    Bot,
}

impl Kind {
    /// The kinds counted per day.
    pub const COUNTED: [Kind; 3] = [Kind::App, Kind::Agent, Kind::Flow];

    /// Counter partitions start with this.
    pub fn day_prefix(self) -> &'static str {
        match self {
            Kind::App => "DAY",
            Kind::Agent => "AGENTDAY",
            Kind::Flow => "FLOWDAY",
            Kind::Bot => "BOTDAY",
        }
    }

    /// User-item partitions start with this.
    pub fn users_prefix(self) -> &'static str {
        match self {
            Kind::App => "USERS",
            Kind::Agent => "AGENTUSERS",
            Kind::Flow => "FLOWUSERS",
            Kind::Bot => "BOTUSERS",
        }
    }

    /// Facts partitions start with this.
    pub fn facts_prefix(self) -> &'static str {
        match self {
            Kind::App => "APPS",
            Kind::Agent => "AGENTS",
            Kind::Flow => "FLOWS",
            Kind::Bot => "BOTS",
        }
    }

    /// Counter and facts sort keys start with this.
    pub fn sort_prefix(self) -> &'static str {
        match self {
            Kind::App => "APP",
            Kind::Agent => "AGENT",
            Kind::Flow => "FLOW",
            Kind::Bot => "BOT",
        }
    }

    /// The attribute holding the subject's id on every item of the kind.
    pub fn id_attr(self) -> &'static str {
        match self {
            Kind::App => "app_id",
            Kind::Agent => "agent_id",
            Kind::Flow => "flow_id",
            Kind::Bot => "bot_id",
        }
    }

    /// The counted number on counters and user items.
    pub fn count_attr(self) -> &'static str {
        match self {
            Kind::App => "launches",
            Kind::Agent => "interactions",
            Kind::Flow | Kind::Bot => "edits",
        }
    }

    /// The newest counted event on counters and user items.
    pub fn last_attr(self) -> &'static str {
        match self {
            Kind::App => "last_launch",
            Kind::Agent => "last_used",
            Kind::Flow | Kind::Bot => "last_edit",
        }
    }

    /// The newest use on the facts item (for flows: the newest creation or edit).
    pub fn facts_last_attr(self) -> &'static str {
        match self {
            Kind::App => "last_launched",
            Kind::Agent => "last_used",
            Kind::Flow | Kind::Bot => "last_modified",
        }
    }

    /// The display name on the facts item.
    pub fn name_attr(self) -> &'static str {
        match self {
            Kind::App => "app_name",
            Kind::Agent => "agent_name",
            Kind::Flow => "flow_name",
            Kind::Bot => "bot_name",
        }
    }
}

/// One subject on one UTC day: what a counter covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DayKey {
    /// What the subject is.
    pub kind: Kind,
    /// The app's, agent's or flow's id, from its audit records (GUIDs lower-cased).
    pub id: String,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
}

impl DayKey {
    /// A key of `kind`.
    pub fn new(kind: Kind, id: impl Into<String>, day: impl Into<String>) -> DayKey {
        DayKey {
            kind,
            id: id.into(),
            day: day.into(),
        }
    }

    /// The partition of this day's counters of the subject's bucket.
    pub(crate) fn counter_pk(&self) -> String {
        counter_pk(self.kind, &self.day, app_bucket(&self.id))
    }

    /// The key of this subject-day's counter item.
    pub(crate) fn counter_key(&self) -> Item {
        key(
            self.counter_pk(),
            format!("{}#{}", self.kind.sort_prefix(), self.id),
        )
    }

    /// The key of the item of `user` on this subject-day.
    pub(crate) fn user_key(&self, user: &str) -> Item {
        key(
            users_pk(self.kind, &self.day, user_bucket(&self.id, user)),
            format!("{}#{user}", self.id),
        )
    }

    /// The key of the item of conversation `conversation` of this agent-day.
    pub(crate) fn conversation_key(&self, conversation: &str) -> Item {
        key(
            conversations_pk(&self.day, user_bucket(&self.id, conversation)),
            format!("{}#{conversation}", self.id),
        )
    }
}

/// A counter partition.
pub(crate) fn counter_pk(kind: Kind, day: &str, bucket: u64) -> String {
    format!("{}#{day}#{bucket}", kind.day_prefix())
}

/// A user-item partition.
pub(crate) fn users_pk(kind: Kind, day: &str, bucket: u64) -> String {
    format!("{}#{day}#{bucket}", kind.users_prefix())
}

/// A conversation partition.
pub(crate) fn conversations_pk(day: &str, bucket: u64) -> String {
    format!("CONVS#{day}#{bucket}")
}

/// A facts partition.
pub(crate) fn facts_pk(kind: Kind, bucket: u64) -> String {
    format!("{}#{bucket}", kind.facts_prefix())
}

/// The key of a subject's facts item.
pub(crate) fn facts_key(kind: Kind, id: &str) -> Item {
    key(
        facts_pk(kind, app_bucket(id)),
        format!("{}#{id}", kind.sort_prefix()),
    )
}

/// Environment names: few enough for one partition.
pub(crate) const ENVIRONMENTS_PK: &str = "ENVS";

/// The key of an environment's item.
pub(crate) fn environment_key(environment_id: &str) -> Item {
    key(ENVIRONMENTS_PK.into(), format!("ENV#{environment_id}"))
}

/// The facts partitions of a kind, all of them.
pub(crate) fn all_facts_pks(kind: Kind) -> impl Iterator<Item = String> {
    (0..SUMMARY_BUCKETS).map(move |b| facts_pk(kind, b))
}

fn key(pk: String, sk: String) -> Item {
    Item::from([("pk".into(), s(pk)), ("sk".into(), s(sk))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::get_s;

    #[test]
    fn the_app_keys_are_those_of_earlier_releases() {
        let day = DayKey::new(Kind::App, "a", "2026-11-24");
        let counter = day.counter_key();
        assert!(
            get_s(&counter, "pk")
                .unwrap()
                .starts_with("DAY#2026-11-24#")
        );
        assert_eq!(get_s(&counter, "sk"), Some("APP#a"));
        let user = day.user_key("ana");
        assert!(get_s(&user, "pk").unwrap().starts_with("USERS#2026-11-24#"));
        assert_eq!(get_s(&user, "sk"), Some("a#ana"));
        assert_eq!(
            get_s(&facts_key(Kind::App, "a"), "sk"),
            Some("APP#a"),
            "the facts items of apps keep their keys"
        );
    }

    #[test]
    fn kinds_never_share_a_partition() {
        let pks: std::collections::BTreeSet<String> = Kind::COUNTED
            .iter()
            .flat_map(|&kind| {
                let day = DayKey::new(kind, "x", "2026-11-24");
                [
                    get_s(&day.counter_key(), "pk").unwrap().to_string(),
                    get_s(&day.user_key("u"), "pk").unwrap().to_string(),
                    get_s(&facts_key(kind, "x"), "pk").unwrap().to_string(),
                ]
            })
            .collect();
        assert_eq!(pks.len(), 9);
    }
}
