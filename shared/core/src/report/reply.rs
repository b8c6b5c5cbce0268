//! What the function answers: the report as JSON, the page inside JSON, or a link to the page
//! once it is published.

use audit_records::{UtcStyle, format_utc};
use serde::Serialize;
use time::OffsetDateTime;

use super::Report;
use super::publish::{PublishError, Published, Publisher};
use super::{
    AgentsReport, Answer, Dashboard, EnvironmentsReport, FlowsReport, ReportRequest, TenantsReport,
    Totals, UserAppsReport, UsersReport, html,
};

/// The reply of `audit-report`, by the format asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Reply {
    /// `"format": "json"`: the apps report itself.
    Report(Report),
    /// `"view": "environments"`.
    Environments(EnvironmentsReport),
    /// `"view": "users"`.
    Users(UsersReport),
    /// `"view": "users"` with `"user"`.
    UserApps(UserAppsReport),
    /// `"view": "agents"`.
    Agents(AgentsReport),
    /// `"view": "flows"`.
    Flows(FlowsReport),
    /// `"view": "tenants"`.
    Tenants(TenantsReport),
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

impl From<Answer> for Reply {
    fn from(answer: Answer) -> Reply {
        match answer {
            Answer::Apps(report) => Reply::Report(report),
            Answer::Environments(view) => Reply::Environments(view),
            Answer::Users(view) => Reply::Users(view),
            Answer::UserApps(view) => Reply::UserApps(view),
            Answer::Agents(view) => Reply::Agents(view),
            Answer::Flows(view) => Reply::Flows(view),
            Answer::Tenants(view) => Reply::Tenants(view),
        }
    }
}

/// The page for `request`, stamped with when it was made.
pub fn page(request: &ReportRequest, dashboard: &Dashboard, now: OffsetDateTime) -> String {
    html::render(
        dashboard,
        &html::HtmlOptions {
            top: request.top,
            generated_at: Some(format_utc(now, UtcStyle::Seconds)),
            tenant: request.tenant.clone(),
        },
    )
}

/// The page reply.
pub fn html_reply(request: &ReportRequest, dashboard: &Dashboard, now: OffsetDateTime) -> Reply {
    let report = &dashboard.apps;
    Reply::Page(PageReply {
        format: "html",
        from: report.from.clone(),
        to: report.to.clone(),
        totals: report.totals.clone(),
        html: page(request, dashboard, now),
    })
}

/// Writes the page to the report bucket and answers with the pre-signed link.
pub async fn publish_reply(
    publisher: &Publisher,
    request: &ReportRequest,
    dashboard: &Dashboard,
    now: OffsetDateTime,
) -> Result<Reply, PublishError> {
    let report = &dashboard.apps;
    let key = publisher.config.key(
        request.tenant_folder.as_deref(),
        &report.from,
        &report.to,
        request.app_id.as_deref(),
    );
    let published = publisher
        .publish(&key, page(request, dashboard, now), now)
        .await?;
    Ok(Reply::Published(PublishedReply {
        format: "html",
        from: report.from.clone(),
        to: report.to.clone(),
        totals: report.totals.clone(),
        published,
    }))
}
