//! `audit-report`: launches, unique users and last launch per app over a range of days, from the
//! summaries the sync keeps. `{"from": "2026-11-01", "to": "2026-11-30"}`; `"format": "html"`
//! answers with the dashboard page, `"publish": true` puts it in the report bucket and answers
//! with a pre-signed link. Outside Lambda, `--table` prints a table and `--html` the page.

use audit_core::config::{DEFAULT_TABLE, TABLE};
use audit_core::report::publish::{PublishConfig, Publisher};
use audit_core::report::{self, Format, Report, ReportRequest};
use audit_core::runtime::{self, HandlerError, Invocation};
use audit_core::store::{DEFAULT_STATE_TABLE, Store};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::OnceCell;

struct App {
    events_table: String,
    aws: OnceCell<aws_config::SdkConfig>,
    store: OnceCell<Store>,
    publisher: OnceCell<Publisher>,
}

impl App {
    async fn aws(&self) -> &aws_config::SdkConfig {
        self.aws.get_or_init(audit_core::session::aws_config).await
    }

    async fn store(&self) -> &Store {
        self.store
            .get_or_init(|| async {
                // The report reads the events table only; the state table is the sync's.
                Store::new(self.aws().await, &self.events_table, DEFAULT_STATE_TABLE)
            })
            .await
    }

    /// Built on the first publication only: a report that is not published needs no bucket.
    async fn publisher(&self) -> Result<&Publisher, HandlerError> {
        self.publisher
            .get_or_try_init(|| async {
                let config = PublishConfig::from_env()?;
                Ok::<_, HandlerError>(Publisher::new(self.aws().await, config))
            })
            .await
    }
}

async fn handle(app: &App, event: Value, invocation: Invocation) -> Result<Value, HandlerError> {
    let request = ReportRequest::parse(with_cli_format(event), report::today())?;
    let report = report::build(app.store().await, &request)
        .await
        .map_err(|err| HandlerError::new("StoreError", err.to_string()))?;
    tracing::info!(
        request_id = %invocation.request_id,
        from = %report.from,
        to = %report.to,
        apps = report.totals.apps,
        launches = report.totals.launches,
        unique_users = report.totals.unique_users,
        format = ?request.format,
        publish = request.publish,
        "audit-report finished"
    );
    let now = OffsetDateTime::now_utc();
    match request.format {
        Format::Json => Ok(report::json_reply(&report)),
        Format::Html if request.publish => {
            report::publish_reply(app.publisher().await?, &request, &report, now).await
        }
        Format::Html => Ok(report::html_reply(&request, &report, now)),
    }
}

/// `--html` on the command line asks for the page whatever the event says about the format.
fn with_cli_format(mut event: Value) -> Value {
    if runtime::cli_flag("--html") {
        if event.is_null() {
            event = Value::Object(Default::default());
        }
        if let Value::Object(fields) = &mut event {
            fields.insert("format".into(), "html".into());
        }
    }
    event
}

fn text(reply: &Value, flag: &str) -> Option<String> {
    match flag {
        "--table" => {
            let report: Report = serde_json::from_value(reply.clone()).ok()?;
            Some(report::render_table(&report))
        }
        "--html" => reply["html"].as_str().map(str::to_string),
        _ => None,
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    audit_core::logging::init();
    let events_table = std::env::var(TABLE)
        .ok()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_TABLE.to_string());
    let app = App {
        events_table,
        aws: OnceCell::new(),
        store: OnceCell::new(),
        publisher: OnceCell::new(),
    };
    runtime::run_with_text(|event, invocation| handle(&app, event, invocation), text).await
}
