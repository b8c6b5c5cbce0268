//! What one blob adds to the usage summaries, built from its events as they are stored: per
//! app-day the launches it owns and the users of all its launches, per app the newest facts.
//!
//! Only the launch count needs ownership (an event counts for the one blob that first stored
//! it); users and facts are sets and maxima, true whichever blob reports them and however often.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;

use audit_records::AuditEvent;

use super::events::{day_of, is_app_event};
use super::usage::AppDay;

/// One blob's part of one app-day's summary.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DayPart {
    /// The record ids of the launches this blob owns: a set, so a record repeated inside one
    /// blob counts once.
    pub owned: BTreeSet<String>,
    /// The users of all the blob's launches that day, lower-cased.
    pub users: BTreeSet<String>,
    /// The newest of those launches.
    pub last_launch: Option<String>,
    /// Launches owned by blobs merged in with [`Contribution::absorb`]: their ids are no
    /// longer needed, since no record is owned by two blobs.
    pub merged_launches: u64,
}

impl DayPart {
    /// The launches this part counts.
    pub fn launches(&self) -> u64 {
        self.merged_launches + self.owned.len() as u64
    }
}

/// Per-app facts that only move forward in time.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AppFacts {
    /// The newest launch.
    pub last_launch: Option<String>,
    /// The display name of the newest launch that carries one, with that launch's time.
    pub name: Option<(String, String)>,
    /// The newest `DeletePowerApp`.
    pub deleted_at: Option<String>,
}

/// What one blob contributes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// By app-day.
    pub days: BTreeMap<AppDay, DayPart>,
    /// By app id.
    pub apps: BTreeMap<String, AppFacts>,
}

impl Contribution {
    /// Adds one stored event; `owned` says whether this blob stored it first.
    pub fn add(&mut self, event: &AuditEvent, owned: bool) {
        if !is_app_event(event) {
            return;
        }
        let app_id = event.app_id.clone().expect("app events have an id");
        let time = event.creation_time_iso();
        if event.operation.eq_ignore_ascii_case("LaunchPowerApp") {
            let facts = self.apps.entry(app_id.clone()).or_default();
            raise(&mut facts.last_launch, &time);
            if let Some(name) = event.app_display_name.as_ref().filter(|n| !n.is_empty())
                && facts.name.as_ref().is_none_or(|(at, _)| *at < time)
            {
                facts.name = Some((time.clone(), name.clone()));
            }
            let day = AppDay {
                app_id,
                day: day_of(event),
            };
            let part = self.days.entry(day).or_default();
            if owned {
                part.owned.insert(event.id.clone());
            }
            if let Some(user) = user_of(event) {
                part.users.insert(user);
            }
            raise(&mut part.last_launch, &time);
        } else if event.operation.eq_ignore_ascii_case("DeletePowerApp") {
            raise(&mut self.apps.entry(app_id).or_default().deleted_at, &time);
        }
    }

    /// Nothing to apply: the blob held no app events.
    pub fn is_empty(&self) -> bool {
        self.days.is_empty() && self.apps.is_empty()
    }

    /// Adds another blob's contribution into this one (a group of blobs applied together):
    /// launch counts add up, users unite, facts keep the newest.
    pub fn absorb(&mut self, other: Contribution) {
        for (day, part) in other.days {
            let mine = self.days.entry(day).or_default();
            mine.merged_launches += part.launches();
            mine.users.extend(part.users);
            if let Some(last) = &part.last_launch {
                raise(&mut mine.last_launch, last);
            }
        }
        for (app, facts) in other.apps {
            let mine = self.apps.entry(app).or_default();
            if let Some(last) = &facts.last_launch {
                raise(&mut mine.last_launch, last);
            }
            if let Some(at) = &facts.deleted_at {
                raise(&mut mine.deleted_at, at);
            }
            if let Some((at, name)) = facts.name
                && mine.name.as_ref().is_none_or(|(mine_at, _)| *mine_at < at)
            {
                mine.name = Some((at, name));
            }
        }
    }

    /// Users held, over all app-days: what a group's memory grows with.
    pub fn users_held(&self) -> usize {
        self.days.values().map(|part| part.users.len()).sum()
    }
}

/// The user a launch counts for: its lower-cased UPN, else its user key (a launch without a UPN
/// still has a user).
pub fn user_of(event: &AuditEvent) -> Option<String> {
    event
        .user_upn
        .as_deref()
        .filter(|u| !u.is_empty())
        .or(event.user_key.as_deref().filter(|u| !u.is_empty()))
        .map(str::to_lowercase)
}

fn raise(slot: &mut Option<String>, time: &str) {
    if slot.as_deref().is_none_or(|current| current < time) {
        *slot = Some(time.to_string());
    }
}

/// Entries [`Written`] keeps of each kind before it forgets them all: a week's catch-up may
/// see millions of app-day users, and memory must not follow them. Forgetting costs only
/// writes that change nothing (about 4 MB at the cap).
pub const WRITTEN_CAP: usize = 20_000;

/// What this run has already written and DynamoDB confirmed, so later blobs skip writes that
/// cannot change anything: a user item already put, a maximum already at least as new. Skipping
/// is safe because a user item is never removed and a maximum never goes back, and forgetting
/// (at [`WRITTEN_CAP`]) is safe because the writes it no longer skips are idempotent.
#[derive(Debug, Default)]
pub struct Written {
    users: Mutex<HashSet<(AppDay, String)>>,
    maxima: Mutex<std::collections::HashMap<String, String>>,
}

impl Written {
    /// Whether the user item of `user` on `day` is known to be stored.
    pub fn has_user(&self, day: &AppDay, user: &str) -> bool {
        let users = self.users.lock().expect("not poisoned");
        users.contains(&(day.clone(), user.to_string()))
    }

    /// Records user items as stored, once their write succeeded.
    pub fn add_users(&self, stored: impl IntoIterator<Item = (AppDay, String)>) {
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
    use audit_records::AppKind;
    use time::macros::datetime;

    fn launch(id: &str, app: &str, user: &str, time: time::OffsetDateTime) -> AuditEvent {
        AuditEvent {
            id: id.into(),
            creation_time: time,
            operation: "LaunchPowerApp".into(),
            workload: "PowerApps".into(),
            record_type: 45,
            app_id: Some(app.into()),
            app_kind: AppKind::PowerApp,
            app_display_name: Some(format!("{app} at {time}")),
            environment_id: None,
            user_upn: Some(user.into()),
            user_key: None,
            result_status: None,
            client_ip: None,
            raw: "{}".into(),
        }
    }

    fn day(app: &str, day: &str) -> AppDay {
        AppDay {
            app_id: app.into(),
            day: day.into(),
        }
    }

    #[test]
    fn only_owned_launches_count_and_each_record_once() {
        let mut c = Contribution::default();
        let t = datetime!(2026-11-24 10:00 UTC);
        c.add(&launch("1", "a", "Ana@Contoso.com", t), true);
        c.add(&launch("1", "a", "Ana@Contoso.com", t), true);
        c.add(&launch("2", "a", "ben@contoso.com", t), false);
        let part = &c.days[&day("a", "2026-11-24")];
        assert_eq!(part.owned.len(), 1);
        let users: Vec<&str> = part.users.iter().map(String::as_str).collect();
        assert_eq!(users, ["ana@contoso.com", "ben@contoso.com"]);
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
        assert_eq!(c.days[&day("a", "2026-11-24")].owned.len(), 2);
        assert_eq!(
            c.days[&day("a", "2026-11-24")].last_launch.as_deref(),
            Some("2026-11-24T23:59:00Z")
        );
        let facts = &c.apps["a"];
        assert_eq!(facts.last_launch.as_deref(), Some("2026-11-25T00:01:00Z"));
        assert_eq!(facts.name.as_ref().unwrap().0, "2026-11-25T00:01:00Z");
        assert_eq!(facts.deleted_at.as_deref(), Some("2026-11-20T08:00:00Z"));
    }

    #[test]
    fn absorbed_blobs_add_their_launches_and_keep_the_newest_facts() {
        let t = datetime!(2026-11-24 10:00 UTC);
        let mut group = Contribution::default();
        let mut first = Contribution::default();
        first.add(&launch("1", "a", "ana", t), true);
        first.add(&launch("2", "a", "ben", t + time::Duration::hours(1)), true);
        let mut second = Contribution::default();
        second.add(&launch("3", "a", "ana", t - time::Duration::hours(1)), true);
        second.add(&launch("1", "a", "ana", t), false);
        group.absorb(first);
        group.absorb(second);
        let part = &group.days[&day("a", "2026-11-24")];
        assert_eq!(part.launches(), 3);
        assert!(part.owned.is_empty());
        assert_eq!(group.users_held(), 2);
        assert_eq!(part.last_launch.as_deref(), Some("2026-11-24T11:00:00Z"));
        assert_eq!(
            group.apps["a"].name.as_ref().unwrap().0,
            "2026-11-24T11:00:00Z"
        );
    }

    #[test]
    fn a_launch_without_a_upn_counts_its_user_key_and_flows_count_nothing() {
        let mut c = Contribution::default();
        let mut keyed = launch("1", "a", "", datetime!(2026-11-24 10:00 UTC));
        keyed.user_key = Some("10032001ABCDEF".into());
        c.add(&keyed, true);
        let mut flow = launch("2", "f", "x", datetime!(2026-11-24 10:00 UTC));
        flow.app_kind = AppKind::Flow;
        c.add(&flow, true);
        let users = &c.days[&day("a", "2026-11-24")].users;
        assert!(users.contains("10032001abcdef"));
        assert!(!c.apps.contains_key("f"));
    }

    #[test]
    fn what_was_written_is_only_ever_skipped_when_not_newer() {
        let written = Written::default();
        assert!(!written.has_max("k", "2026-11-24T10:00:00Z"));
        written.raise_max("k", "2026-11-24T10:00:00Z");
        written.raise_max("k", "2026-11-24T09:00:00Z");
        assert!(written.has_max("k", "2026-11-24T10:00:00Z"));
        assert!(!written.has_max("k", "2026-11-24T10:00:01Z"));
        written.add_users([(day("a", "2026-11-24"), "ana".to_string())]);
        assert!(written.has_user(&day("a", "2026-11-24"), "ana"));
        assert!(!written.has_user(&day("a", "2026-11-25"), "ana"));
    }

    #[test]
    fn the_memory_of_writes_forgets_at_its_cap_instead_of_growing() {
        let written = Written::default();
        let users = (0..=WRITTEN_CAP).map(|i| (day("a", "2026-11-24"), format!("u{i}")));
        written.add_users(users);
        assert!(!written.has_user(&day("a", "2026-11-24"), "u0"));
        written.add_users([(day("a", "2026-11-24"), "ana".to_string())]);
        assert!(written.has_user(&day("a", "2026-11-24"), "ana"));
        for i in 0..WRITTEN_CAP {
            written.raise_max(&format!("k{i}"), "2026-11-24T10:00:00Z");
        }
        written.raise_max("last", "2026-11-24T10:00:00Z");
        assert!(!written.has_max("k0", "2026-11-24T10:00:00Z"));
        assert!(written.has_max("last", "2026-11-24T10:00:00Z"));
    }
}
