//! The usage summaries as the report reads them (keys in [`super::subject`]). Every read is a
//! Query of a summary partition; none reads events.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;

use super::spread::{SUMMARY_BUCKETS, USER_BUCKETS};
use super::subject::{
    DayKey, ENVIRONMENTS_PK, Kind, all_facts_pks, conversations_pk, counter_pk, users_pk,
};
use super::{Item, Store, StoreError, get_n, get_s};

/// One user of a subject on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDay {
    /// Their counted events (launches, turns; for flows creations and edits). 0 on user items
    /// written before user counts were kept: the user is known, the count is not.
    pub count: u64,
    /// The newest of them, when known.
    pub last: Option<String>,
}

/// One subject (app, agent or flow) on one day, as the report reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DaySummary {
    /// What the subject is.
    pub kind: Kind,
    /// The subject's id.
    pub id: String,
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// What the counter counts: launches, agent turns, flow edits.
    pub count: u64,
    /// The newest of them, `YYYY-MM-DDTHH:MM:SSZ`.
    pub last: Option<String>,
    /// Distinct users (lower-cased UPNs, or user keys) with their counts.
    pub users: BTreeMap<String, UserDay>,
    /// Agents: distinct conversations.
    pub conversations: BTreeSet<String>,
}

/// What is known of a subject over all time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubjectFacts {
    /// What the subject is.
    pub kind: Kind,
    /// The subject's id.
    pub id: String,
    /// The newest display name.
    pub name: Option<String>,
    /// The newest use ever stored (for flows: creation or edit).
    pub last: Option<String>,
    /// The environment of its newest event that named one.
    pub environment_id: Option<String>,
    /// The newest deletion stored, whether or not a use came after it.
    pub deleted_at: Option<String>,
    /// Flows: the oldest creation stored.
    pub created: Option<String>,
    /// Agents: the bot id their authoring records use.
    pub bot_id: Option<String>,
}

impl Store {
    /// Every subject of `kind` on one day: its counter and user (and conversation) buckets,
    /// all at once.
    pub async fn day_summaries(
        &self,
        kind: Kind,
        day: &str,
    ) -> Result<Vec<DaySummary>, StoreError> {
        let counters =
            (0..SUMMARY_BUCKETS).map(|b| self.events_query(counter_pk(kind, day, b), None));
        let users = (0..USER_BUCKETS).map(|b| self.events_query(users_pk(kind, day, b), None));
        let conversations = (0..USER_BUCKETS)
            .filter(|_| kind == Kind::Agent)
            .map(|b| self.events_query(conversations_pk(day, b), None));
        let (counters, users, conversations) = futures::try_join!(
            try_join_all(counters),
            try_join_all(users),
            try_join_all(conversations)
        )?;
        Ok(merge(
            kind,
            day,
            &counters.concat(),
            &users.concat(),
            &conversations.concat(),
            None,
        ))
    }

    /// One subject on one day: its counter, and its users (and conversations) from each bucket
    /// (a sort-key range on the subject).
    pub async fn subject_day_summary(
        &self,
        kind: Kind,
        day: &str,
        id: &str,
    ) -> Result<Vec<DaySummary>, StoreError> {
        let key = DayKey::new(kind, id, day);
        let sk = format!("{}#{id}", kind.sort_prefix());
        let prefix = (format!("{id}#"), format!("{id}#\u{10FFFF}"));
        let counter = self.events_query(key.counter_pk(), Some((sk.clone(), sk)));
        let users = (0..USER_BUCKETS)
            .map(|b| self.events_query(users_pk(kind, day, b), Some(prefix.clone())));
        let conversations = (0..USER_BUCKETS)
            .filter(|_| kind == Kind::Agent)
            .map(|b| self.events_query(conversations_pk(day, b), Some(prefix.clone())));
        let (counter, users, conversations) =
            futures::try_join!(counter, try_join_all(users), try_join_all(conversations))?;
        Ok(merge(
            kind,
            day,
            &counter,
            &users.concat(),
            &conversations.concat(),
            Some(id),
        ))
    }

    /// Every subject of `kind` ever seen: one Query per facts bucket, at once.
    pub async fn facts(&self, kind: Kind) -> Result<Vec<SubjectFacts>, StoreError> {
        let buckets = all_facts_pks(kind).map(|pk| self.events_query(pk, None));
        let mut facts: Vec<SubjectFacts> = try_join_all(buckets)
            .await?
            .concat()
            .iter()
            .filter_map(|item| subject_facts(kind, item))
            .collect();
        facts.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(facts)
    }

    /// Every environment's newest name, by environment id: one Query.
    pub async fn environment_names(&self) -> Result<BTreeMap<String, String>, StoreError> {
        let items = self.events_query(ENVIRONMENTS_PK.to_string(), None).await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                let id = get_s(item, "environment_id")?;
                let name = get_s(item, "environment_name")?;
                Some((id.to_string(), name.to_string()))
            })
            .collect())
    }

    async fn events_query(
        &self,
        pk: String,
        sk_range: Option<(String, String)>,
    ) -> Result<Vec<Item>, StoreError> {
        let range = sk_range.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
        self.query_partition(&self.events_table, &pk, range, None)
            .await
    }
}

fn subject_facts(kind: Kind, item: &Item) -> Option<SubjectFacts> {
    let text = |name: &str| get_s(item, name).map(str::to_string);
    Some(SubjectFacts {
        kind,
        id: text(kind.id_attr())?,
        name: text(kind.name_attr()),
        last: text(kind.facts_last_attr()),
        environment_id: text("environment_id"),
        deleted_at: text("deleted_at"),
        created: text("created"),
        bot_id: text("bot_id").filter(|_| kind == Kind::Agent),
    })
}

/// One day's items as summaries, by subject id. The subject is read from the items' id
/// attribute, never parsed from a key, so an id holding `#` cannot be mistaken for another.
fn merge(
    kind: Kind,
    day: &str,
    counters: &[Item],
    users: &[Item],
    conversations: &[Item],
    only: Option<&str>,
) -> Vec<DaySummary> {
    let mut by_id: BTreeMap<String, DaySummary> = BTreeMap::new();
    let id_attr = kind.id_attr();
    fn entry<'m>(
        by_id: &'m mut BTreeMap<String, DaySummary>,
        (kind, day, only): (Kind, &str, Option<&str>),
        item: &Item,
        attr: &str,
    ) -> Option<&'m mut DaySummary> {
        let id = get_s(item, attr).filter(|id| only.is_none_or(|o| o == *id))?;
        Some(by_id.entry(id.to_string()).or_insert_with(|| DaySummary {
            kind,
            id: id.to_string(),
            day: day.to_string(),
            ..DaySummary::default()
        }))
    }
    let at = (kind, day, only);
    let number = |item: &Item, name: &str| get_n(item, name).unwrap_or(0).max(0) as u64;
    let last = |item: &Item| get_s(item, kind.last_attr()).map(str::to_string);
    for item in counters {
        if let Some(summary) = entry(&mut by_id, at, item, id_attr) {
            summary.count += number(item, kind.count_attr());
            summary.last = last(item);
        }
    }
    for item in users {
        if let (Some(user), Some(summary)) =
            (get_s(item, "user"), entry(&mut by_id, at, item, id_attr))
        {
            let counted = UserDay {
                count: number(item, kind.count_attr()),
                last: last(item),
            };
            summary.users.insert(user.to_string(), counted);
        }
    }
    for item in conversations {
        if let (Some(conversation), Some(summary)) = (
            get_s(item, "conversation"),
            entry(&mut by_id, at, item, "agent_id"),
        ) {
            summary.conversations.insert(conversation.to_string());
        }
    }
    by_id.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{n, s};

    fn item(pairs: &[(&str, aws_sdk_dynamodb::types::AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn counters_and_users_merge_by_subject_and_a_lookalike_is_not_mixed_in() {
        let counters = vec![
            item(&[
                ("app_id", s("a")),
                ("launches", n(3)),
                ("last_launch", s("2026-11-24T10:00:00Z")),
            ]),
            item(&[("app_id", s("a#b")), ("launches", n(1))]),
        ];
        let users = vec![
            item(&[("app_id", s("a")), ("user", s("ana")), ("launches", n(2))]),
            // Put by a release that kept no user counts.
            item(&[("app_id", s("a")), ("user", s("ben"))]),
            item(&[("app_id", s("a#b")), ("user", s("cho"))]),
        ];
        let all = merge(Kind::App, "2026-11-24", &counters, &users, &[], None);
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].count, all[0].users.len()), (3, 2));
        assert_eq!(all[0].users["ana"].count, 2);
        assert_eq!(all[0].users["ben"].count, 0);
        let one = merge(Kind::App, "2026-11-24", &counters, &users, &[], Some("a"));
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].last.as_deref(), Some("2026-11-24T10:00:00Z"));
        assert!(!one[0].users.contains_key("cho"));
    }

    #[test]
    fn agent_days_read_their_own_attributes_and_conversations() {
        let counters = vec![item(&[
            ("agent_id", s("x")),
            ("interactions", n(5)),
            ("last_used", s("2026-11-24T10:00:00Z")),
        ])];
        let conversations = vec![
            item(&[("agent_id", s("x")), ("conversation", s("c1"))]),
            item(&[("agent_id", s("x")), ("conversation", s("c2"))]),
        ];
        let days = merge(
            Kind::Agent,
            "2026-11-24",
            &counters,
            &[],
            &conversations,
            None,
        );
        assert_eq!(days[0].count, 5);
        assert_eq!(days[0].conversations.len(), 2);
        assert_eq!(days[0].last.as_deref(), Some("2026-11-24T10:00:00Z"));
    }

    #[test]
    fn a_day_spreads_over_its_buckets() {
        let day = DayKey::new(Kind::App, "hot", "2026-11-24");
        let pks: BTreeSet<String> = (0..1000)
            .map(|i| {
                get_s(&day.user_key(&format!("u{i}")), "pk")
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(pks.len(), USER_BUCKETS as usize);
        assert!(pks.iter().all(|pk| pk.starts_with("USERS#2026-11-24#")));
    }
}
