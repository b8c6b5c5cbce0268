//! What the function answers: the report as JSON, the page inside JSON, or a link to the page
//! once it is published.

use audit_records::{UtcStyle, format_utc};
use serde::Serialize;
use time::OffsetDateTime;

use super::publish::{PublishError, Published, Publisher};
use super::{Report, ReportRequest, Totals, html};

/// The reply of `audit-report`, by the format asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Reply {
    /// `"format": "json"`: the report itself.
    Report(Report),
    /// `"format": "html"`: the page.
    Page(PageReply),
    /// `"publish": true`: where the page is and how to read it.
    Published(PublishedReply),
}

/// The page inside JSON (Lambda replies are JSON), with the totals beside it so a caller can
/// check the page without parsing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageReply {
    /// Always `html`.
    pub format: &'static str,
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// The report's totals.
    pub totals: Totals,
    /// The self-contained page.
    pub html: String,
}

/// A published page: the link instead of the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedReply {
    /// Always `html`.
    pub format: &'static str,
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// The report's totals.
    pub totals: Totals,
    /// Where the page is.
    #[serde(flatten)]
    pub published: Published,
}

/// The page for `request`, stamped with when it was made.
pub fn page(request: &ReportRequest, report: &Report, now: OffsetDateTime) -> String {
    html::render(
        report,
        &html::HtmlOptions {
            top: request.top,
            generated_at: Some(format_utc(now, UtcStyle::Seconds)),
        },
    )
}

/// The page reply.
pub fn html_reply(request: &ReportRequest, report: &Report, now: OffsetDateTime) -> Reply {
    Reply::Page(PageReply {
        format: "html",
        from: report.from.clone(),
        to: report.to.clone(),
        totals: report.totals.clone(),
        html: page(request, report, now),
    })
}

/// Writes the page to the report bucket and answers with the pre-signed link.
pub async fn publish_reply(
    publisher: &Publisher,
    request: &ReportRequest,
    report: &Report,
    now: OffsetDateTime,
) -> Result<Reply, PublishError> {
    let key = publisher
        .config
        .key(&report.from, &report.to, request.app_id.as_deref());
    let published = publisher
        .publish(&key, page(request, report, now), now)
        .await?;
    Ok(Reply::Published(PublishedReply {
        format: "html",
        from: report.from.clone(),
        to: report.to.clone(),
        totals: report.totals.clone(),
        published,
    }))
}
