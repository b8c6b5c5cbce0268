//! `audit-report`: launches, unique users and last launch per app over a range of days, from the
//! summaries the sync keeps. `{"from": "2026-11-01", "to": "2026-11-30"}`; `"format": "html"`
//! answers with the dashboard page, `"publish": true` puts it in the report bucket and answers
//! with a pre-signed link; `"view"` picks `environments`, `users`, `agents` or `flows` instead of
//! the apps. Outside Lambda, `--table` prints a table and `--html` the page.

use audit_core::env::Env;
use audit_core::env::table::{STATE_TABLE, TABLE};
use audit_core::report::publish::{PublishConfig, Publisher};
use audit_core::report::{self, Format, Reply, ReportEvent, ReportRequest};
use audit_core::store::Store;
use audit_lambda::{ErrorReply, LambdaEvent};
use time::OffsetDateTime;
use tokio::sync::OnceCell;

struct App {
    events_table: String,
    aws: OnceCell<aws_config::SdkConfig>,
    store: OnceCell<Store>,
    publisher: OnceCell<Publisher>,
}

impl App {
    fn from_env() -> App {
        App {
            events_table: Env::process().text_or_default(&TABLE).unwrap_or_default(),
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
                // The report reads the events table only; the state table is the sync's.
                let state_table = STATE_TABLE.default.value().unwrap_or_default();
                Store::new(self.aws().await, &self.events_table, state_table)
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

async fn handle(app: &App, event: LambdaEvent<ReportEvent>) -> Result<Reply, ErrorReply> {
    let request = request(event.payload)?;
    let store = app.store().await;
    let now = OffsetDateTime::now_utc();
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
        "audit-report finished"
    );
    Ok(reply)
}

/// The request, with `--html` on the command line asking for the page whatever the event says.
fn request(mut event: ReportEvent) -> Result<ReportRequest, ErrorReply> {
    if audit_lambda::cli_flag("--html") {
        event.format = Some("html".into());
    }
    Ok(ReportRequest::from_event(event, report::today())?)
}

/// `--table` prints the report as a table, `--html` the page itself.
fn text(reply: &Reply, flag: &str) -> Option<String> {
    match (flag, reply) {
        ("--table", Reply::Report(report)) => Some(report::render_table(report)),
        ("--table", Reply::Environments(v)) => {
            Some(render(report::Answer::Environments(v.clone())))
        }
        ("--table", Reply::Users(v)) => Some(render(report::Answer::Users(v.clone()))),
        ("--table", Reply::UserApps(v)) => Some(render(report::Answer::UserApps(v.clone()))),
        ("--table", Reply::Agents(v)) => Some(render(report::Answer::Agents(v.clone()))),
        ("--table", Reply::Flows(v)) => Some(render(report::Answer::Flows(v.clone()))),
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
