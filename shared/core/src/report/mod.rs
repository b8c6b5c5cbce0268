//! The usage report: launches, unique users and last launch per app over a range of UTC days,
//! and the views beyond it (environments, users, Copilot Studio agents, flows), read from the
//! summaries the sync keeps (Queries of summary partitions only; no Scan, no event read).
//! [`html`] draws them as one self-contained page; [`publish`] puts that page in S3.

mod aggregate;
mod clock;
pub mod html;
mod model;
pub mod publish;
mod reply;
mod request;
mod table;
pub mod view;

use std::collections::BTreeMap;

use crate::store::{Kind, Store, StoreError};

pub use aggregate::{PRODUCTION_LAUNCHES, PRODUCTION_USERS};
pub use clock::today;
pub use model::{AppUsage, DayUsage, DeletedApp, InactiveApp, Report, Totals};
pub use reply::{PageReply, PublishedReply, Reply, html_reply, page, publish_reply};
pub use request::{
    DEFAULT_DAYS, DEFAULT_TOP, Format, MAX_DAYS, MAX_TOP, ReportEvent, ReportRequest, RequestError,
    View,
};
pub use table::{render_answer_table, render_table};
use view::KindReads;
pub use view::agents::AgentsReport;
pub use view::environments::EnvironmentsReport;
pub use view::flows::FlowsReport;
pub use view::tenants::{TenantUsage, TenantsReport};
pub use view::users::{UserAppsReport, UsersReport};

/// Every view of one range: what the page draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// Apps.
    pub apps: Report,
    /// Environments.
    pub environments: EnvironmentsReport,
    /// Top launchers.
    pub users: UsersReport,
    /// Copilot Studio agents.
    pub agents: AgentsReport,
    /// Flows.
    pub flows: FlowsReport,
}

impl Dashboard {
    /// A page of the apps alone, the other sections empty: for drawing a report built
    /// elsewhere.
    pub fn apps_only(apps: Report) -> Dashboard {
        let (from, to) = (apps.from.clone(), apps.to.clone());
        let request = ReportRequest::from_event(
            ReportEvent {
                from: Some(from),
                to: Some(to),
                ..ReportEvent::default()
            },
            today(),
        )
        .expect("a report's own range is a valid request");
        let none = KindReads::default();
        Dashboard {
            environments: view::environments::assemble(&request, &none, &BTreeMap::new()),
            users: view::users::assemble(&request, &none),
            agents: view::agents::assemble(&request, &none, &BTreeMap::new()),
            flows: view::flows::assemble(&request, &none),
            apps,
        }
    }
}

/// The answer to one request, by view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `"view": "apps"` (the default).
    Apps(Report),
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
}

/// The apps report: reads the range's app summaries, a few days at a time, and the app list.
pub async fn build(store: &Store, request: &ReportRequest) -> Result<Report, StoreError> {
    let (apps, names) = futures::try_join!(
        KindReads::read(store, request, Kind::App, request.app_id.as_deref()),
        store.environment_names()
    )?;
    Ok(aggregate::assemble(request, &apps, &names))
}

/// The view the request asks for, reading only what it needs.
pub async fn answer(store: &Store, request: &ReportRequest) -> Result<Answer, StoreError> {
    let apps = || KindReads::read(store, request, Kind::App, None);
    Ok(match request.view {
        View::Apps => Answer::Apps(build(store, request).await?),
        View::Environments => {
            let (apps, names) = futures::try_join!(apps(), store.environment_names())?;
            Answer::Environments(view::environments::assemble(request, &apps, &names))
        }
        View::Users => {
            let apps = apps().await?;
            match &request.user {
                Some(user) => Answer::UserApps(view::users::assemble_one(request, &apps, user)),
                None => Answer::Users(view::users::assemble(request, &apps)),
            }
        }
        View::Agents => Answer::Agents(agents(store, request).await?),
        View::Flows => {
            let flows = KindReads::read(store, request, Kind::Flow, None).await?;
            Answer::Flows(view::flows::assemble(request, &flows))
        }
        // The store's own tenant alone; the function asks [`tenants`] for every tenant.
        View::Tenants => {
            let only = crate::tenant::ReportTenant {
                tenant_id: None,
                source: crate::tenant::TenantSource::Variables,
                removed_at: None,
                store: store.clone(),
            };
            Answer::Tenants(view::tenants::read(&[only], request).await?)
        }
    })
}

/// The all-tenants summary: each tenant's totals, read through its own scoped store.
pub async fn tenants(
    tenants: &[crate::tenant::ReportTenant],
    request: &ReportRequest,
) -> Result<Answer, StoreError> {
    Ok(Answer::Tenants(
        view::tenants::read(tenants, request).await?,
    ))
}

/// Every view, for the page: the app summaries are read once for the views built on them.
/// One kind is read after another: each read already has about a hundred Queries in flight.
pub async fn dashboard(store: &Store, request: &ReportRequest) -> Result<Dashboard, StoreError> {
    let apps = KindReads::read(store, request, Kind::App, request.app_id.as_deref()).await?;
    let names = store.environment_names().await?;
    let agents = agents(store, request).await?;
    let flows = KindReads::read(store, request, Kind::Flow, None).await?;
    Ok(Dashboard {
        environments: view::environments::assemble(request, &apps, &names),
        users: view::users::assemble(request, &apps),
        apps: aggregate::assemble(request, &apps, &names),
        agents,
        flows: view::flows::assemble(request, &flows),
    })
}

async fn agents(store: &Store, request: &ReportRequest) -> Result<AgentsReport, StoreError> {
    let agents = KindReads::read(store, request, Kind::Agent, None).await?;
    let bots = store.facts(Kind::Bot).await?;
    let bots: BTreeMap<_, _> = bots.into_iter().map(|b| (b.id.clone(), b)).collect();
    Ok(view::agents::assemble(request, &agents, &bots))
}
