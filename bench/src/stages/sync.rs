//! Stages (b) and (c): one scheduled run of the real `Syncer`, into the black hole or into moto
//! depending on what `AWS_ENDPOINT_URL` points at.

use std::time::Instant;

use audit_core::sync::{Mode, Settings, Syncer};
use serde_json::{Value, json};

use super::session;
use crate::BoxError;

/// Stages (b) and (c): one scheduled run of the real sync, configured from the environment
/// exactly as `audit-sync` is.
pub(super) async fn sync() -> Result<Value, BoxError> {
    let started = Instant::now();
    let session = session()?;
    let settings = Settings::from_env()?;
    let syncer = Syncer::connect(&session, settings).await?;
    let run_started = Instant::now();
    let summary = syncer.run(Mode::Scheduled, None, "bench").await?;
    Ok(json!({
        "run_s": run_started.elapsed().as_secs_f64(),
        "total_s": started.elapsed().as_secs_f64(),
        "summary": serde_json::to_value(&summary)?,
    }))
}
