//! The hourly sync: list new content from the watermark, fetch the blobs concurrently, keep the
//! Power Platform events, store each exactly once, and move the watermark only past work that
//! is complete.
//!
//! This file is the run's outline; each step lives in the file that names it.

mod blob;
mod error;
mod group;
mod ledger;
mod list;
mod lock;
mod mode;
mod plan;
mod process;
mod retry;
mod settings;
mod stop;
mod summary;
mod sweep;
mod watermark;

use std::sync::Arc;
use std::time::Instant;

use time::OffsetDateTime;

pub use error::SyncError;
pub use mode::{Mode, ModeError, SyncEvent};
pub use settings::Settings;
pub use summary::{Clamped, Summary, Watermarks};

use crate::api::ManagementClient;
use crate::config::ContentType;
use crate::secret::SecretError;
use crate::session::ApiSession;
use crate::store::Store;
use blob::RunShared;
use list::{WindowEnd, WindowRun};
use stop::StopSignal;
use watermark::Unfinished;

/// Everything a run needs; built once per cold start.
pub struct Syncer {
    /// The Management API client.
    pub api: Arc<ManagementClient>,
    /// Both tables.
    pub store: Store,
    /// How the sync runs.
    pub settings: Settings,
    /// The content types synced, in order.
    pub content_types: Vec<ContentType>,
    /// The tenant synced.
    pub tenant_id: String,
}

impl Syncer {
    /// The syncer of a configured session: its API client (the secret is read here) and the
    /// tables the settings name.
    pub async fn connect(session: &ApiSession, settings: Settings) -> Result<Syncer, SecretError> {
        let store = Store::new(
            session.aws().await,
            &settings.events_table,
            &settings.state_table,
        );
        Syncer::connect_to(session, store, settings).await
    }

    /// The syncer of a session over `store`, which may be scoped to a registered tenant.
    pub async fn connect_to(
        session: &ApiSession,
        store: Store,
        settings: Settings,
    ) -> Result<Syncer, SecretError> {
        let api = session.client().await?;
        Ok(Syncer {
            api,
            store: store.with_event_retention(settings.event_retention),
            settings,
            content_types: session.config.content_types.clone(),
            tenant_id: session.config.tenant_id.clone(),
        })
    }

    /// One run. `deadline` is when the function will be stopped (Lambda's), if known.
    pub async fn run(
        &self,
        mode: Mode,
        deadline: Option<Instant>,
        run_id: &str,
    ) -> Result<Summary, SyncError> {
        let started = Instant::now();
        let stop = Arc::new(StopSignal::for_run(started, deadline, &self.settings));
        let lock = self.acquire_lock(run_id).await?;
        let heartbeat = self.spawn_heartbeat(&lock, stop.clone());
        let result = self.run_locked(&mode, &stop, run_id, started).await;
        heartbeat.abort();
        self.release_lock(lock).await;
        let mut summary = result?;
        // Bad credentials fail the invocation, so the schedule's and the round's error
        // handling see them; what the run did is in its logged summary.
        if let Some(refused) = summary.credentials_refused.take() {
            summary.log();
            return Err(SyncError::Credentials(refused));
        }
        Ok(summary)
    }

    /// Every content type in turn; each blob updates the usage summaries as it completes.
    async fn run_locked(
        &self,
        mode: &Mode,
        stop: &StopSignal,
        run_id: &str,
        started: Instant,
    ) -> Result<Summary, SyncError> {
        let api_before = self.api.counters().snapshot();
        let mut summary = Summary::new(run_id, mode.name());
        summary.tenant = self.tenant_id.clone();
        let shared = RunShared::default();
        // Before anything is listed: a group left unfinished must be finished first.
        self.finish_unfinished_groups(&shared, &mut summary).await?;
        match mode {
            Mode::Sweep { since } => {
                let since = *since;
                self.sweep(since, stop, &shared, &mut summary).await?
            }
            _ => {
                for content_type in &self.content_types {
                    self.sync_content_type(content_type, mode, stop, &shared, &mut summary)
                        .await?;
                }
            }
        }
        if *mode == Mode::Scheduled {
            self.sweep_if_due(stop, &shared, &mut summary).await?;
        }
        shared.note(&mut summary);
        let api_after = self.api.counters().snapshot();
        summary.finish(&api_before, &api_after, started.elapsed());
        Ok(summary)
    }

    /// One content type, a listing window at a time: list it, skip what the ledger has
    /// settled, fetch and store the rest, and move the watermark past what is complete before
    /// listing the next window, so a run stopped or killed anywhere resumes where it stopped.
    async fn sync_content_type(
        &self,
        content_type: &ContentType,
        mode: &Mode,
        stop: &StopSignal,
        shared: &RunShared,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let ct = content_type.as_str();
        let now = OffsetDateTime::now_utc();
        let stored = self.stored_watermark(ct, mode).await?;
        let plan = plan::plan(mode, stored, now, &self.settings)?;
        plan.note(ct, summary);

        let mut watermark = plan.before.map(|before| before.value);
        let mut unfinished = Unfinished::default();
        for window in plan.windows() {
            if stop.stop_requested() {
                summary.stopped_early = true;
                break;
            }
            let run = WindowRun {
                content_type,
                window,
                stop,
                shared,
                now,
            };
            let end = self.sync_window(&run, summary, &mut unfinished).await?;
            let listed_to = match end {
                WindowEnd::Listed => window.end(),
                WindowEnd::Stopped | WindowEnd::Failed => window.start(),
            };
            if let Some(current) = watermark {
                let after = watermark::settle(listed_to, unfinished, current);
                self.store_watermark(ct, current, after).await?;
                watermark = Some(after);
            }
            if end != WindowEnd::Listed {
                break;
            }
        }
        if let Some(current) = watermark {
            summary.note_watermark(ct, current);
        }
        // Recorded failures after the listing, so a blob listed again was fetched from its
        // fresh entry (scheduled runs: a backfill is exactly its range, and a sweep lists every
        // blob of the retention anyway).
        if *mode == Mode::Scheduled && !stop.stop_requested() {
            self.retry_failed(ct, now, stop, shared, summary).await?;
        }
        Ok(())
    }
}
