//! Blobs settle in groups: their contributions to the usage summaries are merged and applied
//! together, and their ledger entries written with them, so a counter takes one write per
//! group rather than one per blob (the journal in `store::journal` keeps that exact).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use time::OffsetDateTime;

use super::Syncer;
use super::summary::Summary;
use super::watermark::Unfinished;
use crate::store::{
    Contribution, Journal, JournalCount, JournalUser, KeyLocks, LedgerEntry, StoreError, Written,
};

/// A group is applied once it holds this many blobs...
const GROUP_MAX_BLOBS: usize = 400;
/// ... or this many subject-days to count...
const GROUP_MAX_DAYS: usize = 2_000;
/// ... or this many user counts and conversations, which is what its memory and its journal
/// (a few items at most) grow with.
const GROUP_MAX_USERS: usize = 20_000;

/// State shared by the blob tasks of one run.
#[derive(Default)]
pub(crate) struct RunShared {
    /// Serialise the existence check and write of each event key across blobs in flight.
    pub(crate) locks: KeyLocks,
    /// Conversation items and maxima this run has written.
    pub(crate) written: Written,
    /// One group is applied at a time: a counter's `seq` may only ever name the one group that
    /// could be unfinished.
    applying: tokio::sync::Mutex<()>,
    /// A group's journal is written but could not be finished: no other group may be applied
    /// in this run (the next run finishes it first).
    stuck: AtomicBool,
    /// Distinguishes this run's groups.
    groups: AtomicU64,
    /// App-day counts added.
    counted: AtomicU64,
    /// App-day counts found added by an earlier attempt of the same group.
    already_counted: AtomicU64,
    /// Blobs stored whole whose group could not be applied: processed again by the next run.
    failed: AtomicU64,
}

impl RunShared {
    /// Copies the run's contribution counts into its summary.
    pub(crate) fn note(&self, summary: &mut Summary) {
        summary.summaries_rebuilt = self.counted.load(Ordering::Relaxed);
        summary.summaries_already_applied = self.already_counted.load(Ordering::Relaxed);
        summary.summaries_pending = self.failed.load(Ordering::Relaxed);
    }
}

/// Settled blobs waiting to be applied together.
#[derive(Default)]
pub(super) struct Group {
    contribution: Contribution,
    ledger: Vec<LedgerEntry>,
}

impl Group {
    pub(super) fn add(&mut self, entry: LedgerEntry, contribution: Contribution) {
        self.ledger.push(entry);
        self.contribution.absorb(contribution);
    }

    pub(super) fn is_full(&self) -> bool {
        self.ledger.len() >= GROUP_MAX_BLOBS
            || self.contribution.days.len() >= GROUP_MAX_DAYS
            || self.contribution.users_held() >= GROUP_MAX_USERS
    }

    fn counts(&self) -> Vec<JournalCount> {
        self.contribution
            .days
            .iter()
            .filter(|(_, part)| part.count > 0 || !part.users.is_empty())
            .map(|(day, part)| JournalCount {
                kind: day.kind,
                app_id: day.id.clone(),
                day: day.day.clone(),
                launches: part.count,
                last_launch: part.last.clone(),
                users: part
                    .users
                    .iter()
                    .map(|(user, p)| JournalUser(user.clone(), p.count, p.last.clone()))
                    .collect(),
            })
            .collect()
    }
}

impl Syncer {
    /// Applies the group and records its blobs in the ledger, then empties it. Returns the
    /// blobs recorded (`contentCreated`, `contentId`); those not recorded are left unfinished,
    /// so the watermark does not pass them and the next run processes them again.
    pub(super) async fn apply_group(
        &self,
        group: &mut Group,
        shared: &RunShared,
        unfinished: &mut Unfinished,
        summary: &mut Summary,
    ) -> Vec<(OffsetDateTime, String)> {
        let group = std::mem::take(group);
        if group.ledger.is_empty() {
            return Vec::new();
        }
        let _one_at_a_time = shared.applying.lock().await;
        let blobs = group.ledger.len() as u64;
        match self.try_apply_group(&group, shared, summary).await {
            Ok(()) => group
                .ledger
                .into_iter()
                .map(|e| (e.content_created, e.content_id))
                .collect(),
            Err(err) => {
                tracing::error!(error = %err, blobs, "could not apply a group of stored blobs; the next run finishes it");
                summary.push_error(err.to_string());
                shared.failed.fetch_add(blobs, Ordering::Relaxed);
                for entry in &group.ledger {
                    unfinished.include(entry.content_created);
                }
                Vec::new()
            }
        }
    }

    async fn try_apply_group(
        &self,
        group: &Group,
        shared: &RunShared,
        summary: &mut Summary,
    ) -> Result<(), StoreError> {
        if shared.stuck.load(Ordering::Relaxed) {
            return Err(StoreError::GroupUnfinished);
        }
        let requests = self
            .store
            .apply_sets(&group.contribution, &shared.written)
            .await?;
        summary.dynamodb_write_requests += u64::from(requests);
        let journal = Journal {
            id: group_id(shared),
            counts: group.counts(),
            ledger: group.ledger.clone(),
        };
        let parts = self.store.write_journal(&journal).await?;
        summary.dynamodb_write_requests += parts as u64;
        let finished = self.finish_journal(&journal, parts, shared, summary).await;
        if finished.is_err() {
            shared.stuck.store(true, Ordering::Relaxed);
        }
        finished
    }

    /// Adds a journal's counts, records its ledger entries and deletes it: the rest of a group
    /// once its journal is written, and what a run does first with one left unfinished.
    async fn finish_journal(
        &self,
        journal: &Journal,
        parts: usize,
        shared: &RunShared,
        summary: &mut Summary,
    ) -> Result<(), StoreError> {
        let applied = self.store.apply_counts(journal).await?;
        shared.counted.fetch_add(applied.counted, Ordering::Relaxed);
        shared
            .already_counted
            .fetch_add(applied.already_counted, Ordering::Relaxed);
        let ledger = self.store.record_ledger(&journal.ledger).await?;
        self.store.delete_journal(&journal.id, parts).await?;
        summary.dynamodb_write_requests +=
            u64::from(applied.write_requests + ledger) + parts as u64;
        Ok(())
    }

    /// Finishes the groups a stopped run left journalled. Until that succeeds nothing else may
    /// be applied, so an error here ends the run.
    pub(super) async fn finish_unfinished_groups(
        &self,
        shared: &RunShared,
        summary: &mut Summary,
    ) -> Result<(), StoreError> {
        for (journal, parts) in self.store.unfinished_journals().await? {
            tracing::warn!(group = %journal.id, blobs = journal.ledger.len(), "finishing a group an earlier run left unfinished");
            self.finish_journal(&journal, parts, shared, summary)
                .await?;
        }
        Ok(())
    }
}

/// Unique across runs: the clock in nanoseconds, and a counter within the run.
fn group_id(shared: &RunShared) -> String {
    let n = shared.groups.fetch_add(1, Ordering::Relaxed);
    format!("{}-{n}", OffsetDateTime::now_utc().unix_timestamp_nanos())
}
