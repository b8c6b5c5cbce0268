//! `audit-sync`: runs hourly on a schedule. Lists new audit content since the watermark, stores
//! the Power Platform events exactly once, and returns (and logs) a one-line run summary.
//! `{"start": "...", "end": "..."}` backfills exactly that range; `{"tenant": "<guid>"}` (what
//! the hourly fan-out sends) syncs that registered tenant.

use std::sync::Arc;

use audit_core::config::{Config, ConfigError};
use audit_core::env::Env;
use audit_core::session::ApiSession;
use audit_core::store::Store;
use audit_core::sync::{Mode, Settings, Summary, SyncError, SyncEvent, Syncer};
use audit_core::tenant::{self, TenantCache};
use audit_lambda::{ErrorReply, LambdaEvent};
use tokio::sync::OnceCell;

struct App {
    /// The variables' tenant, as read at cold start.
    variables: Result<Config, ConfigError>,
    settings: Settings,
    /// Built on first use and kept: one DynamoDB client (and its connections) per process.
    store: OnceCell<Store>,
    /// One syncer per tenant: its credential is read once per cold start.
    syncers: TenantCache<Syncer>,
}

impl App {
    fn from_env() -> Result<App, ConfigError> {
        Ok(App {
            variables: Config::from_env(),
            settings: Settings::from_env()?,
            store: OnceCell::new(),
            syncers: TenantCache::default(),
        })
    }

    async fn store(&self) -> &Store {
        self.store
            .get_or_init(|| async {
                let aws = audit_core::session::aws_config().await;
                Store::new(
                    &aws,
                    &self.settings.events_table,
                    &self.settings.state_table,
                )
            })
            .await
    }

    /// The tenant's syncer, built on its first invocation; a failure (a missing secret, say)
    /// is retried on the next.
    async fn syncer(&self, tenant: Option<&str>) -> Result<Arc<Syncer>, ErrorReply> {
        let store = self.store().await;
        let tenant = tenant::resolve(store, &self.variables, &Env::process(), tenant).await?;
        self.syncers
            .get_or_try_init(&tenant.config, || async {
                let session = ApiSession::new(tenant.config.clone());
                Syncer::connect_to(&session, tenant.store.clone(), self.settings.clone()).await
            })
            .await
            .map_err(ErrorReply::from)
    }
}

async fn handle(
    app: &Result<App, ConfigError>,
    event: LambdaEvent<SyncEvent>,
) -> Result<Summary, ErrorReply> {
    // A configuration error is the answer to every invocation, so whoever invokes the function
    // reads what to fix.
    let app = app.as_ref().map_err(|err| ErrorReply::from(err.clone()))?;
    let mut payload = event.payload;
    let tenant = payload.tenant.take();
    let mode = Mode::from_event(payload)?;
    let syncer = app.syncer(tenant.as_deref()).await?;
    let deadline = audit_lambda::deadline(&event.context);
    let result = syncer.run(mode, deadline, &event.context.request_id).await;
    if let Err(SyncError::Credentials(_)) = &result {
        // The next run reads the secret or certificate again: it may have been rotated.
        app.syncers.forget(&syncer.tenant_id).await;
    }
    let summary = result?;
    summary.log();
    Ok(summary)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    audit_lambda::logging::init();
    let app =
        App::from_env().inspect_err(|err| tracing::error!(error = %err, "configuration error"));
    audit_lambda::run(|event| handle(&app, event)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use audit_lambda::Context;
    use serde_json::json;

    fn app() -> Result<App, ConfigError> {
        let config = Config::from_lookup(|name| match name {
            "AUDIT_LOGS_TENANT_ID" => Some("7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47".into()),
            "AUDIT_LOGS_CLIENT_ID" => Some("client".into()),
            "AUDIT_LOGS_CLIENT_SECRET" => Some("secret".into()),
            _ => None,
        })?;
        Ok(App {
            variables: Ok(config),
            settings: Settings::from_lookup(|_| None)?,
            store: OnceCell::new(),
            syncers: TenantCache::default(),
        })
    }

    async fn invoke(app: &Result<App, ConfigError>, payload: serde_json::Value) -> ErrorReply {
        match audit_lambda::decode::<SyncEvent>(payload) {
            Ok(event) => handle(app, LambdaEvent::new(event, Context::default()))
                .await
                .expect_err("the event is refused before any call"),
            Err(err) => err.into(),
        }
    }

    #[tokio::test]
    async fn impossible_ranges_are_input_errors() {
        let app = app();
        for payload in [
            json!({"start": "2026-11-20"}),
            json!({"start": "x", "end": "y"}),
            json!({"start": "2026-11-21", "end": "2026-11-20"}),
            json!({"operation": "start"}),
            json!([1]),
        ] {
            let err = invoke(&app, payload.clone()).await;
            assert_eq!(err.error_type, "InputError", "{payload}: {err}");
        }
    }

    #[tokio::test]
    async fn a_configuration_error_answers_every_invocation() {
        let broken = Settings::from_lookup(|name| {
            (name == "AUDIT_LOGS_CONCURRENCY").then(|| "0".to_string())
        })
        .map(|_| unreachable!("0 blobs at once is refused"));
        let err = invoke(&broken, json!({})).await;
        assert_eq!(err.error_type, "ConfigError");
        assert!(err.message.contains("AUDIT_LOGS_CONCURRENCY"), "{err}");
    }
}
