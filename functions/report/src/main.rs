//! `audit-report`: launches, unique users and last launch per app over a range of days, from the
//! summaries the sync keeps. `{"from": "2026-11-01", "to": "2026-11-30"}`; `"format": "html"`
//! answers with the dashboard page, `"publish": true` puts it in the report bucket and answers
//! with a pre-signed link; `"view"` picks `environments`, `users`, `agents` or `flows` instead of
//! the apps, or `tenants` for every tenant's totals; `"tenant"` reports one registered tenant.
//! Outside Lambda, `--table` prints a table and `--html` the page.

use audit_core::config::ConfigError;
use audit_core::env::Env;
use audit_core::env::table::{STATE_TABLE, TABLE};
use audit_core::report::publish::{PublishConfig, Publisher};
use audit_core::report::{self, Format, Reply, ReportEvent, ReportRequest, View};
use audit_core::store::Store;
use audit_core::tenant::{self, ReadableTenants};
use audit_lambda::{ErrorReply, LambdaEvent};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::OnceCell;

struct App {
    events_table: String,
    state_table: String,
    /// `AUDIT_LOGS_REPORT_TENANTS`, read at cold start; its error answers every invocation.
    readable: Result<ReadableTenants, ConfigError>,
    aws: OnceCell<aws_config::SdkConfig>,
    store: OnceCell<Store>,
    publisher: OnceCell<Publisher>,
}

impl App {
    fn from_env() -> App {
        App {
            events_table: Env::process().text_or_default(&TABLE).unwrap_or_default(),
            state_table: Env::process()
                .text_or_default(&STATE_TABLE)
                .unwrap_or_default(),
            readable: ReadableTenants::read(&Env::process()),
            aws: OnceCell::new(),
            store: OnceCell::new(),
            publisher: OnceCell::new(),
        }
    }

    async fn aws(&self) -> &aws_config::SdkConfig {
        self.aws.get_or_init(audit_core::session::aws_config).await
    }

    async fn store(&self) -> &Store {
        self.store
            .get_or_init(|| async {
                // The report reads the events table, and the state table's tenant registry.
                Store::new(self.aws().await, &self.events_table, &self.state_table)
            })
            .await
    }

    /// Built on the first publication only: a report that is not published needs no bucket.
    async fn publisher(&self) -> Result<&Publisher, ErrorReply> {
        self.publisher
            .get_or_try_init(|| async {
                let config = PublishConfig::from_env()?;
                Ok::<_, ErrorReply>(Publisher::new(self.aws().await, config))
            })
            .await
    }
}

/// The reply, naming the tenant it is about.
#[derive(Debug, Serialize)]
struct TenantReply {
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    #[serde(flatten)]
    reply: Reply,
}

async fn handle(app: &App, event: LambdaEvent<ReportEvent>) -> Result<TenantReply, ErrorReply> {
    let mut request = request(event.payload)?;
    let readable = app.readable.clone()?;
    let process = Env::process();
    let store = app.store().await;
    let now = OffsetDateTime::now_utc();
    if request.view == View::Tenants {
        let tenants = tenant::every_tenant(store, &process, &readable).await?;
        let answer = report::tenants(&tenants, &request).await?;
        return Ok(TenantReply {
            tenant: None,
            reply: Reply::from(answer),
        });
    }
    let tenant =
        tenant::report_tenant(store, &process, &readable, request.tenant.as_deref()).await?;
    // The page names the tenant the report is about; a registered tenant's pages are
    // published in its own folder.
    request.tenant = tenant.tenant_id.clone();
    if tenant.source == tenant::TenantSource::Registry {
        request.tenant_folder = tenant.tenant_id.clone();
    }
    let store = &tenant.store;
    let reply = match request.format {
        Format::Json => Reply::from(report::answer(store, &request).await?),
        Format::Html => {
            let dashboard = report::dashboard(store, &request).await?;
            if request.publish {
                report::publish_reply(app.publisher().await?, &request, &dashboard, now).await?
            } else {
                report::html_reply(&request, &dashboard, now)
            }
        }
    };
    tracing::info!(
        request_id = %event.context.request_id,
        from = %request.from,
        to = %request.to,
        view = request.view.as_str(),
        environment_id = request.environment_id.as_deref().unwrap_or(""),
        format = ?request.format,
        publish = request.publish,
        tenant = request.tenant.as_deref().unwrap_or(""),
        "audit-report finished"
    );
    Ok(TenantReply {
        tenant: tenant.tenant_id,
        reply,
    })
}

/// The request, with `--html` on the command line asking for the page whatever the event says.
fn request(mut event: ReportEvent) -> Result<ReportRequest, ErrorReply> {
    if audit_lambda::cli_flag("--html") {
        event.format = Some("html".into());
    }
    Ok(ReportRequest::from_event(event, report::today())?)
}

/// `--table` prints the report as a table, `--html` the page itself.
fn text(reply: &TenantReply, flag: &str) -> Option<String> {
    let table = table(&reply.reply, flag)?;
    Some(match (&reply.tenant, flag) {
        (Some(tenant), "--table") => format!("Tenant {tenant}\n{table}"),
        _ => table,
    })
}

fn table(reply: &Reply, flag: &str) -> Option<String> {
    match (flag, reply) {
        ("--table", Reply::Report(report)) => Some(report::render_table(report)),
        ("--table", Reply::Environments(v)) => {
            Some(render(report::Answer::Environments(v.clone())))
        }
        ("--table", Reply::Users(v)) => Some(render(report::Answer::Users(v.clone()))),
        ("--table", Reply::UserApps(v)) => Some(render(report::Answer::UserApps(v.clone()))),
        ("--table", Reply::Agents(v)) => Some(render(report::Answer::Agents(v.clone()))),
        ("--table", Reply::Flows(v)) => Some(render(report::Answer::Flows(v.clone()))),
        ("--table", Reply::Tenants(v)) => Some(render(report::Answer::Tenants(v.clone()))),
        ("--html", Reply::Page(page)) => Some(page.html.clone()),
        _ => None,
    }
}

fn render(answer: report::Answer) -> String {
    report::render_answer_table(&answer)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    audit_lambda::logging::init();
    let app = App::from_env();
    audit_lambda::run_with_text(|event| handle(&app, event), text).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use audit_lambda::Context;
    use serde_json::json;

    async fn invoke(payload: serde_json::Value) -> ErrorReply {
        let app = App::from_env();
        match audit_lambda::decode::<ReportEvent>(payload) {
            Ok(event) => handle(&app, LambdaEvent::new(event, Context::default()))
                .await
                .expect_err("the event is refused before any read"),
            Err(err) => err.into(),
        }
    }

    #[tokio::test]
    async fn impossible_reports_are_input_errors() {
        for payload in [
            json!({"from": "2026-11-02", "to": "2026-11-01"}),
            json!({"from": "2025-01-01", "to": "2026-11-01"}),
            json!({"from": "yesterday"}),
            json!({"form": "2026-11-01"}),
            json!({"by_day": "yes"}),
            json!({"format": "pdf"}),
            json!({"format": "json", "publish": true}),
            json!({"top": 0}),
            json!({"view": "bots"}),
            json!({"user": "ana@contoso.com"}),
            json!([]),
        ] {
            let err = invoke(payload.clone()).await;
            assert_eq!(err.error_type, "InputError", "{payload}: {err}");
        }
    }
}
