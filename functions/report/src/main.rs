//! `audit-report`: launches, unique users and last launch per app over a range of days, from the
//! summaries the sync keeps. `{"from": "2026-11-01", "to": "2026-11-30"}`; outside Lambda,
//! `--table` prints a table instead of JSON.

use audit_core::config::{DEFAULT_TABLE, TABLE};
use audit_core::report::{self, Report, ReportRequest};
use audit_core::runtime::{self, HandlerError, Invocation};
use audit_core::store::{DEFAULT_STATE_TABLE, Store};
use serde_json::Value;
use tokio::sync::OnceCell;

struct App {
    events_table: String,
    store: OnceCell<Store>,
}

async fn handle(app: &App, event: Value, invocation: Invocation) -> Result<Value, HandlerError> {
    let request = ReportRequest::parse(event, report::today())?;
    let store = app
        .store
        .get_or_init(|| async {
            // The report reads the events table only; the state table is the sync's.
            Store::new(
                &audit_core::session::aws_config().await,
                &app.events_table,
                DEFAULT_STATE_TABLE,
            )
        })
        .await;
    let report = report::build(store, &request)
        .await
        .map_err(|err| HandlerError::new("StoreError", err.to_string()))?;
    tracing::info!(
        request_id = %invocation.request_id,
        from = %report.from,
        to = %report.to,
        apps = report.totals.apps,
        launches = report.totals.launches,
        unique_users = report.totals.unique_users,
        "audit-report finished"
    );
    Ok(serde_json::to_value(&report).expect("the report is plain data"))
}

fn table(reply: &Value) -> Option<String> {
    let report: Report = serde_json::from_value(reply.clone()).ok()?;
    Some(report::render_table(&report))
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
        store: OnceCell::new(),
    };
    runtime::run_with_text(|event, invocation| handle(&app, event, invocation), table).await
}
