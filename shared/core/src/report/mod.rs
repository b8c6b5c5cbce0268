//! The usage report: launches, unique users and last launch per app over a range of UTC days,
//! read from the summaries the sync keeps (one Query per day, one for the app list; no Scan).
//! [`html`] draws the same report as a self-contained page; [`publish`] puts that page in S3.

mod aggregate;
mod clock;
pub mod html;
mod model;
pub mod publish;
mod reply;
mod request;
mod table;

use futures::{StreamExt, TryStreamExt};
use time::Date;

use crate::store::{DaySummary, Store, StoreError};

pub use clock::today;
pub use model::{AppUsage, DayUsage, DeletedApp, InactiveApp, Report, Totals};
pub use reply::{PageReply, PublishedReply, Reply, html_reply, page, publish_reply};
pub use request::{
    DEFAULT_DAYS, DEFAULT_TOP, Format, MAX_DAYS, MAX_TOP, ReportEvent, ReportRequest, RequestError,
};
pub use table::render_table;

/// Days read at once. Each is 48 Queries at once (16 counter and 32 user buckets), so this
/// keeps a report to about a hundred requests in flight.
const DAY_CONCURRENCY: usize = 2;

/// Reads the range's summaries, a few days at a time, and the app list, and tallies them.
pub async fn build(store: &Store, request: &ReportRequest) -> Result<Report, StoreError> {
    let days: Vec<Date> = request.days().collect();
    let per_day: Vec<Vec<DaySummary>> = futures::stream::iter(days.iter().map(|day| {
        let day = day.to_string();
        async move {
            match &request.app_id {
                Some(app) => store.app_day_summary(&day, app).await,
                None => store.day_summaries(&day).await,
            }
        }
    }))
    .buffered(DAY_CONCURRENCY)
    .try_collect()
    .await?;
    Ok(aggregate::assemble(request, per_day, store.apps().await?))
}
