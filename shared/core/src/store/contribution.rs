//! What one blob adds to the usage summaries, built from the events it owns as they are
//! stored: per subject-day (app, agent or flow) the events it counts and their users, per agent-
//! day the conversations, per subject the facts that only move one way.
//!
//! Only owned events contribute (an event counts for the one blob that first stored it), so
//! every count, user count and fact comes from exactly one blob: the one that owns the event.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;

use audit_records::{AppKind, AuditEvent, is_agent_authoring};

use super::events::day_of;
use super::subject::{DayKey, Kind};

/// One user's part of one subject-day.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UserPart {
    /// Their events of the subject-day that the counter counts (for flows: creations and edits).
    pub count: u64,
    /// The newest of them.
    pub last: Option<String>,
}

/// One blob's (or group's) part of one subject-day's summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DayPart {
    /// The record ids already added: a record repeated inside one blob counts once. Emptied
    /// when blobs merge ([`Contribution::absorb`]), since no record is owned by two blobs.
    pub seen: BTreeSet<String>,
    /// What the counter adds: launches, agent turns or flow edits.
    pub count: u64,
    /// The newest of those.
    pub last: Option<String>,
    /// By user (lower-cased UPN, else user key).
    pub users: BTreeMap<String, UserPart>,
    /// Agents: the conversations of the turns.
    pub conversations: BTreeSet<String>,
}

/// Per-subject facts that only move one way in time.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The newest use (launch, turn; for flows the newest creation or edit).
    pub last: Option<String>,
    /// The newest display name, with the time of the event that carried it.
    pub name: Option<(String, String)>,
    /// The newest environment, with the time of the event that named it.
    pub environment: Option<(String, String)>,
    /// The newest deletion.
    pub deleted_at: Option<String>,
    /// Flows: the oldest creation.
    pub created: Option<String>,
    /// Agents: the bot id their authoring records use.
    pub bot_id: Option<String>,
}

/// What one blob contributes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// By subject-day.
    pub days: BTreeMap<DayKey, DayPart>,
    /// By kind and subject id.
    pub facts: BTreeMap<(Kind, String), Facts>,
    /// Environment names by environment id, with the time of the event that carried them.
    pub environments: BTreeMap<String, (String, String)>,
}

impl Contribution {
    /// Adds one stored event; `owned` says whether this blob stored it first. Events owned by
    /// another blob add nothing here: their owner adds them.
    pub fn add(&mut self, event: &AuditEvent, owned: bool) {
        if !owned {
            return;
        }
        let Some(id) = event.app_id.as_deref().filter(|id| !id.is_empty()) else {
            return;
        };
        let time = event.creation_time_iso();
        if let (Some(env), Some(name)) = (&event.environment_id, &event.environment_name) {
            newer(
                self.environments.entry(env.clone()).or_default(),
                &time,
                name,
            );
        }
        let op = |name: &str| event.operation.eq_ignore_ascii_case(name);
        match event.app_kind {
            AppKind::PowerApp if op("LaunchPowerApp") => {
                self.count(Kind::App, id, event, &time, true);
                self.use_facts(Kind::App, id, event, &time);
            }
            AppKind::PowerApp if op("DeletePowerApp") => {
                raise(&mut self.facts_of(Kind::App, id).deleted_at, &time);
            }
            AppKind::Agent if event.is_agent_interaction() => {
                let part = self.count(Kind::Agent, id, event, &time, true);
                if let Some(conversation) = &event.conversation_id {
                    part.conversations.insert(conversation.clone());
                }
                self.use_facts(Kind::Agent, id, event, &time);
                if let Some(bot) = &event.bot_id {
                    self.facts_of(Kind::Agent, id).bot_id = Some(bot.clone());
                }
            }
            AppKind::Agent if is_agent_authoring(&event.operation) => {
                let bot = event.bot_id.as_deref().unwrap_or(id);
                let facts = self.facts_of(Kind::Bot, bot);
                if let Some(name) = &event.app_display_name {
                    newer(facts.name.get_or_insert_default(), &time, name);
                }
                if op("BotDelete") {
                    raise(&mut facts.deleted_at, &time);
                }
            }
            AppKind::Flow if op("CreateFlow") || op("EditFlow") => {
                self.count(Kind::Flow, id, event, &time, op("EditFlow"));
                self.use_facts(Kind::Flow, id, event, &time);
                if op("CreateFlow") {
                    lower(&mut self.facts_of(Kind::Flow, id).created, &time);
                }
            }
            AppKind::Flow if op("DeleteFlow") => {
                let facts = self.facts_of(Kind::Flow, id);
                raise(&mut facts.deleted_at, &time);
                set_environment(facts, event, &time);
            }
            _ => {}
        }
    }

    /// Adds an owned event to its subject-day: to the counter when `counted`, to its user's
    /// count always.
    fn count(
        &mut self,
        kind: Kind,
        id: &str,
        event: &AuditEvent,
        time: &str,
        counted: bool,
    ) -> &mut DayPart {
        let part = self
            .days
            .entry(DayKey::new(kind, id, day_of(event)))
            .or_default();
        if part.seen.insert(event.id.clone()) {
            if counted {
                part.count += 1;
                raise(&mut part.last, time);
            }
            if let Some(user) = user_of(event) {
                let user = part.users.entry(user).or_default();
                user.count += 1;
                raise(&mut user.last, time);
            }
        }
        part
    }

    /// The facts an event of use carries: its time, name and environment.
    fn use_facts(&mut self, kind: Kind, id: &str, event: &AuditEvent, time: &str) {
        let facts = self.facts_of(kind, id);
        raise(&mut facts.last, time);
        if let Some(name) = event.app_display_name.as_ref().filter(|n| !n.is_empty()) {
            newer(facts.name.get_or_insert_default(), time, name);
        }
        set_environment(facts, event, time);
    }

    fn facts_of(&mut self, kind: Kind, id: &str) -> &mut Facts {
        self.facts.entry((kind, id.to_string())).or_default()
    }

    /// Nothing to apply: the blob owned no summarised events.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.facts.is_empty() && self.environments.is_empty()
    }

    /// Adds another blob's contribution into this one (a group of blobs applied together):
    /// counts add up, sets unite, facts keep the newest (the oldest creation).
    pub fn absorb(&mut self, other: Contribution) {
        for (day, part) in other.days {
            let mine = self.days.entry(day).or_default();
            mine.seen.clear();
            mine.count += part.count;
            if let Some(last) = &part.last {
                raise(&mut mine.last, last);
            }
            for (user, theirs) in part.users {
                let user = mine.users.entry(user).or_default();
                user.count += theirs.count;
                if let Some(last) = &theirs.last {
                    raise(&mut user.last, last);
                }
            }
            mine.conversations.extend(part.conversations);
        }
        for (subject, facts) in other.facts {
            let mine = self.facts.entry(subject).or_default();
            if let Some(last) = &facts.last {
                raise(&mut mine.last, last);
            }
            if let Some(at) = &facts.deleted_at {
                raise(&mut mine.deleted_at, at);
            }
            if let Some(at) = &facts.created {
                lower(&mut mine.created, at);
            }
            if let Some((at, name)) = &facts.name {
                newer(mine.name.get_or_insert_default(), at, name);
            }
            if let Some((at, env)) = &facts.environment {
                newer(mine.environment.get_or_insert_default(), at, env);
            }
            if facts.bot_id.is_some() {
                mine.bot_id = facts.bot_id;
            }
        }
        for (env, (at, name)) in other.environments {
            newer(self.environments.entry(env).or_default(), &at, &name);
        }
    }

    /// Users and conversations held, over all subject-days: what a group's memory (and its
    /// journal) grows with.
    pub fn users_held(&self) -> usize {
        self.days
            .values()
            .map(|part| part.users.len() + part.conversations.len())
            .sum()
    }
}

/// The user an event counts for: its lower-cased UPN, else its user key (a launch without a UPN
/// still has a user).
pub fn user_of(event: &AuditEvent) -> Option<String> {
    event
        .user_upn
        .as_deref()
        .filter(|u| !u.is_empty())
        .or(event.user_key.as_deref().filter(|u| !u.is_empty()))
        .map(str::to_lowercase)
}

fn set_environment(facts: &mut Facts, event: &AuditEvent, time: &str) {
    if let Some(env) = &event.environment_id {
        newer(facts.environment.get_or_insert_default(), time, env);
    }
}

fn raise(slot: &mut Option<String>, time: &str) {
    if slot.as_deref().is_none_or(|current| current < time) {
        *slot = Some(time.to_string());
    }
}

fn lower(slot: &mut Option<String>, time: &str) {
    if slot.as_deref().is_none_or(|current| current > time) {
        *slot = Some(time.to_string());
    }
}

/// A `(time, value)` pair that takes `value` when `time` is newer (an empty pair is oldest).
fn newer(slot: &mut (String, String), time: &str, value: &str) {
    if slot.0.is_empty() || slot.0.as_str() < time {
        *slot = (time.to_string(), value.to_string());
    }
}

/// Entries [`Written`] keeps of each kind before it forgets them all: a week's catch-up may
/// see millions of agent-day conversations, and memory must not follow them. Forgetting costs only
/// writes that change nothing (about 4 MB at the cap).
pub const WRITTEN_CAP: usize = 20_000;

/// What this run has already written and DynamoDB confirmed, so later blobs skip writes that
/// cannot change anything: a conversation item already put, a maximum already at least as new. Skipping
/// is safe because a set item is never removed and a maximum never goes back, and forgetting
/// (at [`WRITTEN_CAP`]) is safe because the writes it no longer skips are idempotent.
#[derive(Debug, Default)]
pub struct Written {
    users: Mutex<HashSet<(DayKey, String)>>,
    maxima: Mutex<std::collections::HashMap<String, String>>,
}

impl Written {
    /// Whether the set item of `member` (a conversation) on `day` is known to be stored.
    pub fn has_member(&self, day: &DayKey, member: &str) -> bool {
        let users = self.users.lock().expect("not poisoned");
        users.contains(&(day.clone(), member.to_string()))
    }

    /// Records set items as stored, once their write succeeded.
    pub fn add_members(&self, stored: impl IntoIterator<Item = (DayKey, String)>) {
        let mut users = self.users.lock().expect("not poisoned");
        users.extend(stored);
        if users.len() > WRITTEN_CAP {
            users.clear();
        }
    }

    /// Whether the maximum named `key` is known to be at least `value` already.
    pub fn has_max(&self, key: &str, value: &str) -> bool {
        let maxima = self.maxima.lock().expect("not poisoned");
        maxima
            .get(key)
            .is_some_and(|stored| stored.as_str() >= value)
    }

    /// Records that the maximum named `key` is at least `value` (written, or found newer).
    pub fn raise_max(&self, key: &str, value: &str) {
        let mut maxima = self.maxima.lock().expect("not poisoned");
        if maxima.len() >= WRITTEN_CAP {
            maxima.clear();
        }
        let slot = maxima.entry(key.to_string()).or_default();
        if slot.as_str() < value {
            *slot = value.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn event(
        id: &str,
        kind: AppKind,
        op: &str,
        subject: &str,
        user: &str,
        time: time::OffsetDateTime,
    ) -> AuditEvent {
        AuditEvent {
            id: id.into(),
            creation_time: time,
            operation: op.into(),
            workload: "PowerApps".into(),
            record_type: 45,
            app_id: Some(subject.into()),
            app_kind: kind,
            app_display_name: Some(format!("{subject} at {time}")),
            environment_id: Some("env".into()),
            environment_name: None,
            bot_id: None,
            conversation_id: None,
            user_upn: Some(user.into()),
            user_key: None,
            result_status: None,
            client_ip: None,
            raw: "{}".into(),
        }
    }

    fn launch(id: &str, app: &str, user: &str, time: time::OffsetDateTime) -> AuditEvent {
        event(id, AppKind::PowerApp, "LaunchPowerApp", app, user, time)
    }

    fn app_day(app: &str, day: &str) -> DayKey {
        DayKey::new(Kind::App, app, day)
    }

    #[test]
    fn only_owned_launches_count_each_record_once_and_per_user() {
        let mut c = Contribution::default();
        let t = datetime!(2026-11-24 10:00 UTC);
        c.add(&launch("1", "a", "Ana@Contoso.com", t), true);
        c.add(&launch("1", "a", "Ana@Contoso.com", t), true);
        c.add(
            &launch("3", "a", "ANA@contoso.com", t + time::Duration::hours(1)),
            true,
        );
        c.add(&launch("2", "a", "ben@contoso.com", t), false);
        let part = &c.days[&app_day("a", "2026-11-24")];
        assert_eq!(part.count, 2);
        let users: Vec<(&str, u64)> = part
            .users
            .iter()
            .map(|(u, p)| (u.as_str(), p.count))
            .collect();
        assert_eq!(
            users,
            [("ana@contoso.com", 2)],
            "ben's launch is its owner's to count"
        );
        assert_eq!(
            part.users["ana@contoso.com"].last.as_deref(),
            Some("2026-11-24T11:00:00Z")
        );
    }

    #[test]
    fn facts_keep_the_newest_and_days_split_at_midnight_utc() {
        let mut c = Contribution::default();
        c.add(
            &launch("1", "a", "x", datetime!(2026-11-24 23:59 UTC)),
            true,
        );
        c.add(
            &launch("2", "a", "x", datetime!(2026-11-25 00:01 UTC)),
            true,
        );
        c.add(
            &launch("3", "a", "x", datetime!(2026-11-24 08:00 UTC)),
            true,
        );
        let mut delete = launch("4", "a", "x", datetime!(2026-11-20 08:00 UTC));
        delete.operation = "DeletePowerApp".into();
        c.add(&delete, true);
        assert_eq!(c.days.len(), 2);
        assert_eq!(c.days[&app_day("a", "2026-11-24")].count, 2);
        assert_eq!(
            c.days[&app_day("a", "2026-11-24")].last.as_deref(),
            Some("2026-11-24T23:59:00Z")
        );
        let facts = &c.facts[&(Kind::App, "a".to_string())];
        assert_eq!(facts.last.as_deref(), Some("2026-11-25T00:01:00Z"));
        assert_eq!(facts.name.as_ref().unwrap().0, "2026-11-25T00:01:00Z");
        assert_eq!(facts.deleted_at.as_deref(), Some("2026-11-20T08:00:00Z"));
        assert_eq!(facts.environment.as_ref().unwrap().1, "env");
    }

    #[test]
    fn absorbed_blobs_add_their_counts_and_keep_the_newest_facts() {
        let t = datetime!(2026-11-24 10:00 UTC);
        let mut group = Contribution::default();
        let mut first = Contribution::default();
        first.add(&launch("1", "a", "ana", t), true);
        first.add(&launch("2", "a", "ben", t + time::Duration::hours(1)), true);
        let mut second = Contribution::default();
        second.add(&launch("3", "a", "ana", t - time::Duration::hours(1)), true);
        group.absorb(first);
        group.absorb(second);
        let part = &group.days[&app_day("a", "2026-11-24")];
        assert_eq!(part.count, 3);
        assert!(part.seen.is_empty());
        assert_eq!(part.users["ana"].count, 2);
        assert_eq!(
            part.users["ana"].last.as_deref(),
            Some("2026-11-24T10:00:00Z")
        );
        assert_eq!(group.users_held(), 2);
        assert_eq!(part.last.as_deref(), Some("2026-11-24T11:00:00Z"));
    }

    #[test]
    fn agents_count_turns_and_conversations_and_bots_their_deletion() {
        let t = datetime!(2026-11-24 10:00 UTC);
        let mut c = Contribution::default();
        for (id, conversation) in [("1", "c1"), ("2", "c1"), ("3", "c2")] {
            let mut turn = event(id, AppKind::Agent, "CopilotInteraction", "agent", "ana", t);
            turn.conversation_id = Some(conversation.into());
            turn.bot_id = Some("bot".into());
            c.add(&turn, true);
        }
        let part = &c.days[&DayKey::new(Kind::Agent, "agent", "2026-11-24")];
        assert_eq!((part.count, part.conversations.len()), (3, 2));
        assert_eq!(
            c.facts[&(Kind::Agent, "agent".to_string())]
                .bot_id
                .as_deref(),
            Some("bot")
        );
        let mut delete = event("4", AppKind::Agent, "BotDelete", "bot", "ana", t);
        delete.bot_id = Some("bot".into());
        c.add(&delete, true);
        assert_eq!(
            c.facts[&(Kind::Bot, "bot".to_string())]
                .deleted_at
                .as_deref(),
            Some("2026-11-24T10:00:00Z")
        );
    }

    #[test]
    fn flows_count_edits_and_keep_makers_creation_and_deletion() {
        let t = datetime!(2026-11-24 10:00 UTC);
        let mut c = Contribution::default();
        c.add(
            &event("1", AppKind::Flow, "CreateFlow", "f", "ana", t),
            true,
        );
        c.add(
            &event(
                "2",
                AppKind::Flow,
                "EditFlow",
                "f",
                "ben",
                t + time::Duration::hours(1),
            ),
            true,
        );
        c.add(
            &event(
                "3",
                AppKind::Flow,
                "DeleteFlow",
                "f",
                "cho",
                t + time::Duration::hours(2),
            ),
            true,
        );
        let part = &c.days[&DayKey::new(Kind::Flow, "f", "2026-11-24")];
        assert_eq!(part.count, 1, "edits only");
        let makers: Vec<&str> = part.users.keys().map(String::as_str).collect();
        assert_eq!(makers, ["ana", "ben"]);
        let facts = &c.facts[&(Kind::Flow, "f".to_string())];
        assert_eq!(facts.created.as_deref(), Some("2026-11-24T10:00:00Z"));
        assert_eq!(facts.last.as_deref(), Some("2026-11-24T11:00:00Z"));
        assert_eq!(facts.deleted_at.as_deref(), Some("2026-11-24T12:00:00Z"));
    }

    #[test]
    fn a_launch_without_a_upn_counts_its_user_key_and_environment_names_keep_the_newest() {
        let mut c = Contribution::default();
        let mut keyed = launch("1", "a", "", datetime!(2026-11-24 10:00 UTC));
        keyed.user_key = Some("10032001ABCDEF".into());
        keyed.environment_name = Some("Old name".into());
        c.add(&keyed, true);
        let mut renamed = launch("2", "a", "x", datetime!(2026-11-24 11:00 UTC));
        renamed.environment_name = Some("New name".into());
        c.add(&renamed, true);
        assert!(
            c.days[&app_day("a", "2026-11-24")]
                .users
                .contains_key("10032001abcdef")
        );
        assert_eq!(c.environments["env"].1, "New name");
    }

    #[test]
    fn what_was_written_is_only_ever_skipped_when_not_newer() {
        let written = Written::default();
        assert!(!written.has_max("k", "2026-11-24T10:00:00Z"));
        written.raise_max("k", "2026-11-24T10:00:00Z");
        written.raise_max("k", "2026-11-24T09:00:00Z");
        assert!(written.has_max("k", "2026-11-24T10:00:00Z"));
        assert!(!written.has_max("k", "2026-11-24T10:00:01Z"));
        written.add_members([(app_day("a", "2026-11-24"), "c1".to_string())]);
        assert!(written.has_member(&app_day("a", "2026-11-24"), "c1"));
        assert!(!written.has_member(&app_day("a", "2026-11-25"), "c1"));
    }

    #[test]
    fn the_memory_of_writes_forgets_at_its_cap_instead_of_growing() {
        let written = Written::default();
        let members = (0..=WRITTEN_CAP).map(|i| (app_day("a", "2026-11-24"), format!("u{i}")));
        written.add_members(members);
        assert!(!written.has_member(&app_day("a", "2026-11-24"), "u0"));
        written.add_members([(app_day("a", "2026-11-24"), "c".to_string())]);
        assert!(written.has_member(&app_day("a", "2026-11-24"), "c"));
        for i in 0..WRITTEN_CAP {
            written.raise_max(&format!("k{i}"), "2026-11-24T10:00:00Z");
        }
        written.raise_max("last", "2026-11-24T10:00:00Z");
        assert!(!written.has_max("k0", "2026-11-24T10:00:00Z"));
        assert!(written.has_max("last", "2026-11-24T10:00:00Z"));
    }
}
