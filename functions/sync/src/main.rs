//! `audit-sync`: runs hourly on a schedule. Lists new audit content since the watermark, stores
//! the Power Platform events exactly once, and returns (and logs) a one-line run summary.
//! `{"start": "...", "end": "..."}` backfills exactly that range.

use std::time::{Instant, SystemTime};

use audit_core::config::Config;
use audit_core::runtime::{self, HandlerError, Invocation};
use audit_core::session::ApiSession;
use audit_core::store::Store;
use audit_core::sync::{Mode, Settings, Syncer};
use serde_json::Value;
use tokio::sync::OnceCell;

struct App {
    session: ApiSession,
    settings: Settings,
    syncer: OnceCell<Syncer>,
}

impl App {
    async fn syncer(&self) -> Result<&Syncer, HandlerError> {
        self.syncer
            .get_or_try_init(|| async {
                let api = self.session.client().await?;
                let config = &self.session.config;
                let store = Store::new(
                    self.session.aws().await,
                    &config.table,
                    &self.settings.state_table,
                );
                Ok::<_, HandlerError>(Syncer {
                    api,
                    store,
                    settings: self.settings.clone(),
                    content_types: config.content_types.clone(),
                })
            })
            .await
    }
}

async fn handle(app: &App, event: Value, invocation: Invocation) -> Result<Value, HandlerError> {
    let mode = Mode::parse(event)?;
    let syncer = app.syncer().await?;
    let deadline = invocation.deadline.map(|at| {
        let left = at.duration_since(SystemTime::now()).unwrap_or_default();
        Instant::now() + left
    });
    let summary = syncer.run(mode, deadline, &invocation.request_id).await?;
    summary.log();
    Ok(serde_json::to_value(&summary).expect("the summary is plain data"))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    audit_core::logging::init();
    // A configuration error is the answer to every invocation, so whoever invokes the function
    // reads what to fix.
    let app = Config::from_env()
        .and_then(|config| {
            Ok(App {
                session: ApiSession::new(config),
                settings: Settings::from_env()?,
                syncer: OnceCell::new(),
            })
        })
        .map_err(HandlerError::from)
        .inspect_err(|err| tracing::error!(error = %err, "configuration error"));
    runtime::run(|event, invocation| async {
        let app = app.as_ref().map_err(Clone::clone)?;
        handle(app, event, invocation).await
    })
    .await
}
