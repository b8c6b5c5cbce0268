//! The sweep: every content type's whole 7-day retention listed again, fetching only what the
//! ledger lacks. It is what brings in content the API publishes later than the scheduled run's
//! overlap reaches. Asked for with `{"sweep": true}`, and run by a scheduled run when the last
//! complete sweep is `AUDIT_LOGS_SWEEP_HOURS` old. For content already stored it costs only the
//! listing calls and one ledger read per 100 blobs listed.

use time::OffsetDateTime;

use super::Syncer;
use super::blob::RunShared;
use super::error::SyncError;
use super::mode::Mode;
use super::stop::StopSignal;
use super::summary::Summary;
use audit_records::{UtcStyle, format_utc};

/// What the summary counts that a complete sweep must leave unchanged.
#[derive(PartialEq, Eq)]
struct Leftovers {
    errors: u64,
    failed: u64,
    deferred: u64,
    stopped: bool,
}

impl Leftovers {
    fn of(summary: &Summary) -> Leftovers {
        Leftovers {
            errors: summary.errors_total,
            failed: summary.blobs_failed,
            deferred: summary.blobs_deferred,
            stopped: summary.stopped_early,
        }
    }
}

impl Syncer {
    /// A scheduled run's sweep, when one is due and the run has time and nothing left undone.
    /// The first scheduled run only starts the record: where the sync begins (its initial
    /// lookback), which no automatic sweep reaches past, and when the first sweep is due.
    pub(super) async fn sweep_if_due(
        &self,
        stop: &StopSignal,
        shared: &RunShared,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let now = OffsetDateTime::now_utc();
        let Some(record) = self.store.sweep_record().await? else {
            let since = now - self.settings.initial_lookback;
            self.store.record_sweep(since, now, None).await?;
            return Ok(());
        };
        summary.last_sweep = record.last.map(|at| format_utc(at, UtcStyle::Seconds));
        let Some(every) = self.settings.sweep_every else {
            return Ok(());
        };
        let due = now - record.last.unwrap_or(record.started) >= every;
        if !due || summary.stopped_early || stop.stop_requested() {
            return Ok(());
        }
        tracing::info!(last_sweep = ?summary.last_sweep, "sweeping the API's retention");
        self.sweep(Some(record.since), stop, shared, summary).await
    }

    /// Lists every content type's retention (from `since`, if given); records the sweep once it
    /// completed with nothing left over, so an interrupted sweep is tried again by the next run.
    pub(super) async fn sweep(
        &self,
        since: Option<OffsetDateTime>,
        stop: &StopSignal,
        shared: &RunShared,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let began = OffsetDateTime::now_utc();
        let before = Leftovers::of(summary);
        summary.swept = true;
        let mode = Mode::Sweep { since };
        for content_type in &self.content_types {
            self.sync_content_type(content_type, &mode, stop, shared, summary)
                .await?;
        }
        if Leftovers::of(summary) == before {
            let origin = since.unwrap_or(began - crate::api::RETENTION);
            self.store.record_sweep(origin, began, Some(began)).await?;
            summary.last_sweep = Some(format_utc(began, UtcStyle::Seconds));
        }
        Ok(())
    }
}
