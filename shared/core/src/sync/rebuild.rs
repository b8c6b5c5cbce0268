//! Rebuilding the usage summaries of every app-day marked dirty: this run's, and any a crashed
//! run left behind.

use std::collections::BTreeMap;

use futures::StreamExt;

use super::Syncer;
use super::stop::StopSignal;
use super::summary::Summary;
use crate::store::{AppDay, StoreError};

/// Apps rebuilt at once.
const REBUILD_CONCURRENCY: usize = 8;

/// One app's days, and what rebuilding them did: the write requests, or why it failed.
type Rebuilt = (String, Vec<String>, Result<u32, StoreError>);

impl Syncer {
    /// Rebuilds what is dirty and clears the markers of what was rebuilt; the rest stays
    /// dirty for the next run.
    pub(super) async fn rebuild_summaries(&self, stop: &StopSignal, summary: &mut Summary) {
        let dirty = match self.store.dirty_app_days().await {
            Ok(dirty) => dirty,
            Err(err) => {
                summary.push_error(err.to_string());
                return;
            }
        };
        let total = dirty.len();
        let outcomes = self.rebuild_apps(by_app(dirty), stop).await;
        let rebuilt = tally(outcomes, summary);
        self.clear_rebuilt(&rebuilt, total, summary).await;
    }

    /// Apps in parallel, each app's days in sequence (its per-app item gets one update); no
    /// app starts once the run must stop.
    async fn rebuild_apps(
        &self,
        by_app: BTreeMap<String, Vec<String>>,
        stop: &StopSignal,
    ) -> Vec<Rebuilt> {
        futures::stream::iter(by_app)
            .take_while(|_| std::future::ready(!stop.stop_requested()))
            .map(|(app_id, days)| async move {
                let result = self.store.rebuild_app(&app_id, &days).await;
                (app_id, days, result)
            })
            .buffer_unordered(REBUILD_CONCURRENCY)
            .collect()
            .await
    }

    async fn clear_rebuilt(&self, rebuilt: &[AppDay], total: usize, summary: &mut Summary) {
        match self.store.clear_dirty(rebuilt).await {
            Ok(requests) => {
                summary.dynamodb_write_requests += u64::from(requests);
                summary.summaries_rebuilt += rebuilt.len() as u64;
                summary.summaries_pending = (total - rebuilt.len()) as u64;
            }
            Err(err) => {
                summary.push_error(err.to_string());
                summary.summaries_pending = total as u64;
            }
        }
    }
}

fn by_app(dirty: Vec<AppDay>) -> BTreeMap<String, Vec<String>> {
    let mut by_app: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for app_day in dirty {
        by_app.entry(app_day.app_id).or_default().push(app_day.day);
    }
    by_app
}

/// Counts the rebuilds and returns the app-days that were rebuilt.
fn tally(outcomes: Vec<Rebuilt>, summary: &mut Summary) -> Vec<AppDay> {
    let mut rebuilt = Vec::new();
    for (app_id, days, result) in outcomes {
        match result {
            Ok(writes) => {
                summary.dynamodb_write_requests += u64::from(writes);
                rebuilt.extend(days.into_iter().map(|day| AppDay {
                    app_id: app_id.clone(),
                    day,
                }));
            }
            Err(err) => summary.push_error(err.to_string()),
        }
    }
    rebuilt
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app_day(app_id: &str, day: &str) -> AppDay {
        AppDay {
            app_id: app_id.into(),
            day: day.into(),
        }
    }

    #[test]
    fn days_are_grouped_by_app_in_their_order() {
        let grouped = by_app(vec![
            app_day("b", "2026-11-23"),
            app_day("a", "2026-11-24"),
            app_day("b", "2026-11-22"),
        ]);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped["a"], ["2026-11-24"]);
        assert_eq!(grouped["b"], ["2026-11-23", "2026-11-22"]);
    }

    #[test]
    fn only_rebuilt_days_are_returned() {
        let failure = || StoreError::Unprocessed {
            table: "audit-log-state".into(),
            left: 1,
            attempts: 8,
        };
        let mut outcomes: Vec<Rebuilt> = vec![(
            "a".into(),
            vec!["2026-11-23".into(), "2026-11-24".into()],
            Ok(3),
        )];
        outcomes
            .extend((0..12).map(|i| (format!("f{i}"), vec!["2026-11-24".into()], Err(failure()))));
        let mut summary = Summary::new("run", "scheduled");
        let rebuilt = tally(outcomes, &mut summary);
        assert_eq!(
            rebuilt,
            [app_day("a", "2026-11-23"), app_day("a", "2026-11-24")]
        );
        assert_eq!(summary.dynamodb_write_requests, 3);
        assert_eq!(summary.errors.len(), 10);
    }
}
