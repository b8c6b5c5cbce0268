//! What the function answers: the report as JSON, the page inside JSON, or a link to the page
//! once it is published.

use serde_json::Value;
use time::OffsetDateTime;

use super::{Report, ReportRequest, html, publish, utc_seconds};
use crate::runtime::HandlerError;

/// The JSON reply: the report itself.
pub fn json_reply(report: &Report) -> Value {
    serde_json::to_value(report).expect("the report is plain data")
}

/// The page for `request`, stamped with when it was made.
pub fn page(request: &ReportRequest, report: &Report, now: OffsetDateTime) -> String {
    html::render(
        report,
        &html::HtmlOptions {
            top: request.top,
            generated_at: Some(utc_seconds(now)),
        },
    )
}

/// The HTML reply: the page inside JSON (Lambda replies are JSON), with the totals beside it
/// so a caller can check the page without parsing it.
pub fn html_reply(request: &ReportRequest, report: &Report, now: OffsetDateTime) -> Value {
    serde_json::json!({
        "format": "html",
        "from": report.from,
        "to": report.to,
        "totals": report.totals,
        "html": page(request, report, now),
    })
}

/// Writes the page to the report bucket; the reply has the pre-signed link instead of the page.
pub async fn publish_reply(
    publisher: &publish::Publisher,
    request: &ReportRequest,
    report: &Report,
    now: OffsetDateTime,
) -> Result<Value, HandlerError> {
    let key = publisher
        .config
        .key(&report.from, &report.to, request.app_id.as_deref());
    let published = publisher
        .publish(&key, page(request, report, now), now)
        .await?;
    let mut reply = serde_json::json!({
        "format": "html",
        "from": report.from,
        "to": report.to,
        "totals": report.totals,
    });
    if let (Value::Object(reply), Value::Object(published)) = (
        &mut reply,
        serde_json::to_value(&published).expect("plain data"),
    ) {
        reply.extend(published);
    }
    Ok(reply)
}
