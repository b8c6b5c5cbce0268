//! The views beyond the app list, each assembled from the same kind of reads: per day of the
//! range the summaries of one kind of subject, and the facts of every subject of that kind.

pub mod agents;
pub mod environments;
pub mod flows;
pub mod tenants;
pub mod users;

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};

use super::ReportRequest;
use crate::store::{DaySummary, Kind, Store, StoreError, SubjectFacts};

/// Days read at once. Each is up to 80 Queries at once (16 counter, 32 user and, for agents, 32
/// conversation buckets), so this keeps a report to about a hundred requests in flight.
const DAY_CONCURRENCY: usize = 2;

/// What one kind of subject's summaries hold over the range.
#[derive(Debug, Clone, Default)]
pub struct KindReads {
    /// Per day of the range, oldest first.
    pub days: Vec<Vec<DaySummary>>,
    /// Every subject of the kind ever seen, by id.
    pub facts: BTreeMap<String, SubjectFacts>,
}

impl KindReads {
    /// Reads the range's summaries of `kind` (only `only`'s, when given) and the kind's facts.
    pub async fn read(
        store: &Store,
        request: &ReportRequest,
        kind: Kind,
        only: Option<&str>,
    ) -> Result<KindReads, StoreError> {
        let days: Vec<String> = request.days().map(|d| d.to_string()).collect();
        let days = futures::stream::iter(days.iter().map(|day| async move {
            match only {
                Some(id) => store.subject_day_summary(kind, day, id).await,
                None => store.day_summaries(kind, day).await,
            }
        }))
        .buffered(DAY_CONCURRENCY)
        .try_collect()
        .await?;
        let facts = store.facts(kind).await?;
        Ok(KindReads {
            days,
            facts: facts.into_iter().map(|f| (f.id.clone(), f)).collect(),
        })
    }

    /// The range's summaries of subjects in the environment asked for (all without one).
    pub fn summaries<'a>(
        &'a self,
        request: &'a ReportRequest,
    ) -> impl Iterator<Item = &'a DaySummary> + 'a {
        self.days
            .iter()
            .flatten()
            .filter(move |s| in_environment(request, self.facts.get(&s.id)))
    }
}

/// Whether a subject is in the environment the request narrows to (any, without one).
pub fn in_environment(request: &ReportRequest, facts: Option<&SubjectFacts>) -> bool {
    request.environment_id.as_deref().is_none_or(|wanted| {
        facts
            .and_then(|f| f.environment_id.as_deref())
            .is_some_and(|env| env.eq_ignore_ascii_case(wanted))
    })
}

/// A deletion counts while no later use is stored: a subject restored and used again is live.
pub fn live_deletion(deleted_at: Option<&str>, last: Option<&str>) -> Option<String> {
    deleted_at
        .filter(|deleted| last.is_none_or(|last| *deleted >= last))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_after_a_deletion_makes_it_live_again() {
        let t = |h: u8| format!("2026-11-24T{h:02}:00:00Z");
        assert_eq!(live_deletion(Some(&t(11)), Some(&t(10))), Some(t(11)));
        assert_eq!(live_deletion(Some(&t(11)), Some(&t(12))), None);
        assert_eq!(
            live_deletion(Some(&t(11)), Some(&t(11))),
            Some(t(11)),
            "a deletion wins a tie"
        );
        assert_eq!(live_deletion(Some(&t(11)), None), Some(t(11)));
        assert_eq!(live_deletion(None, Some(&t(11))), None);
    }
}
