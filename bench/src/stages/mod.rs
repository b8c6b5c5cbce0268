//! The stages, each run in a child process of its own (`audit-bench child STAGE`) so that its
//! peak RSS and CPU time are its own. The child reads the same environment a function does
//! (`AUDIT_LOGS_*`, `AWS_*`) and prints one JSON line.
//!
//! * `parse-typed`: fetches each blob whole (not timed), then times `classify_blob` on its
//!   bytes on this thread: stage (a).
//! * `parse-value`: the same bytes parsed into `serde_json::Value`s and filtered: what a
//!   hand-written client would do.
//! * `sync`: one scheduled run of the real `Syncer` (listing, ledger, concurrent streamed
//!   blobs, existence check, batch writes, usage summaries): stages (b) and (c), depending on
//!   what `AWS_ENDPOINT_URL` points at.
//! * `naive`: the baseline a user would otherwise write: blobs fetched one at a time, each
//!   read whole and parsed into `serde_json::Value`s, Power Platform records written with
//!   BatchWriteItem, 25 at a time.

mod baseline;
mod parse;
mod sync;

use audit_core::api::{ContentBlob, ManagementClient, TimeWindow};
use audit_core::config::Config;
use audit_core::session::ApiSession;
use serde_json::json;
use time::OffsetDateTime;

use crate::BoxError;

pub fn child_main(args: &[String]) -> std::process::ExitCode {
    let stage = args.first().map(String::as_str).unwrap_or("");
    // The parse stages time one thread; the sync gets the multi-threaded runtime a Lambda
    // function has (two workers here, as on this machine's two cores).
    let runtime = match stage {
        "parse-typed" | "parse-value" | "naive" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    }
    .expect("a tokio runtime");
    let result = runtime.block_on(async {
        match stage {
            "parse-typed" => parse::parse(false).await,
            "parse-value" => parse::parse(true).await,
            "sync" => sync::sync().await,
            "naive" => baseline::naive().await,
            other => Err(format!("unknown stage {other:?}").into()),
        }
    });
    match result {
        Ok(mut out) => {
            if let (Some(object), Some(peak)) =
                (out.as_object_mut(), crate::measure::own_peak_rss_mib())
            {
                object.insert("peak_rss_mib".into(), json!(peak));
            }
            println!("{out}");
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("stage {stage} failed: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

pub(super) fn session() -> Result<ApiSession, BoxError> {
    Ok(ApiSession::new(Config::from_env()?))
}

/// Every blob of the configured content types in the last three hours (the tenant's hour).
pub(super) async fn list_blobs(
    api: &ManagementClient,
    config: &Config,
) -> Result<Vec<ContentBlob>, BoxError> {
    let now = OffsetDateTime::now_utc();
    let mut blobs = Vec::new();
    for content_type in &config.content_types {
        for window in TimeWindow::split(now - time::Duration::hours(3), now) {
            blobs.extend(api.list_content(content_type, window).await?.blobs);
        }
    }
    Ok(blobs)
}
