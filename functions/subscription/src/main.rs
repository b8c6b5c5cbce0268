//! `audit-subscription`: starts, stops and lists a tenant's Management Activity API
//! subscriptions (`{"operation":"start"}`, or `stop`, `list`; `"tenant"` picks a registered
//! tenant), and manages the tenant registry (`add_tenant`, `remove_tenant`, `list_tenants`).

use std::sync::Arc;

use audit_core::api::ApiError;
use audit_core::config::{Config, ConfigError};
use audit_core::env::Env;
use audit_core::env::table::{STATE_TABLE, TENANT_ID};
use audit_core::session::ApiSession;
use audit_core::store::Store;
use audit_core::subscription::{self, Command, Request, SubscriptionEvent};
use audit_core::tenant::{self, TenantCache, TenantChange, TenantEntry};
use audit_lambda::{ErrorReply, LambdaEvent};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::OnceCell;

struct App {
    /// The variables' tenant, read at cold start; its error answers the invocations that
    /// need it, so whoever invokes the function reads what to fix.
    variables: Result<Config, ConfigError>,
    state_table: String,
    /// Built on first use and kept: one DynamoDB client (and its connections) per process.
    store: OnceCell<Store>,
    sessions: TenantCache<ApiSession>,
}

/// What the function answers: a subscriptions reply, a registry change, or the tenants.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Reply {
    Subscriptions(subscription::Reply),
    Change {
        operation: &'static str,
        #[serde(flatten)]
        change: TenantChange,
    },
    Tenants {
        operation: &'static str,
        tenants: Vec<TenantEntry>,
    },
}

impl App {
    fn from_env() -> App {
        // Unset is normal where every tenant is in the registry; set and wrong is not.
        let set = Env::process().text(&TENANT_ID).is_some();
        let variables = Config::from_env().inspect_err(|err| match set {
            true => tracing::error!(error = %err, "the variables' tenant is misconfigured"),
            false => tracing::info!("no variables' tenant: only registered tenants"),
        });
        App {
            variables,
            state_table: Env::process()
                .text_or_default(&STATE_TABLE)
                .unwrap_or_default(),
            store: OnceCell::new(),
            sessions: TenantCache::default(),
        }
    }

    /// The state table, where the registry is: reached only by the operations that need it,
    /// so the single-tenant `start` needs no AWS access at all.
    async fn store(&self) -> &Store {
        self.store
            .get_or_init(|| async {
                let aws = audit_core::session::aws_config().await;
                Store::new(&aws, "", &self.state_table)
            })
            .await
    }
}

async fn handle(app: &App, event: LambdaEvent<SubscriptionEvent>) -> Result<Reply, ErrorReply> {
    let process = Env::process();
    let now = OffsetDateTime::now_utc();
    let reply = match Command::from_event(event.payload)? {
        Command::Subscriptions {
            operation,
            tenant,
            content_types,
        } => {
            let tenant = match tenant {
                // Without "tenant", today's behaviour: the variables alone, no AWS call.
                None => app.variables.clone().map_err(ErrorReply::from)?,
                Some(id) => {
                    let store = app.store().await;
                    tenant::resolve(store, &app.variables, &process, Some(&id))
                        .await?
                        .config
                }
            };
            let request = Request::new(operation, content_types.as_deref(), &tenant.content_types)?;
            let session = session(app, tenant).await;
            let client = session.client().await?;
            let tenant_id = &session.config.tenant_id;
            match subscription::run(&client, tenant_id, &request).await {
                Ok(reply) => Reply::Subscriptions(reply),
                Err(err) => {
                    if let ApiError::Auth(_) = err {
                        // Read the credential again next time: it may have been rotated.
                        app.sessions.forget(tenant_id).await;
                    }
                    return Err(err.into());
                }
            }
        }
        Command::AddTenant(add) => Reply::Change {
            operation: "add_tenant",
            change: tenant::add_tenant(app.store().await, &process, add, now).await?,
        },
        Command::RemoveTenant(id) => Reply::Change {
            operation: "remove_tenant",
            change: tenant::remove_tenant(app.store().await, &process, id.as_deref()).await?,
        },
        Command::ListTenants => Reply::Tenants {
            operation: "list_tenants",
            tenants: tenant::list_tenants(app.store().await, &process, &app.variables).await?,
        },
    };
    tracing::info!(
        request_id = %event.context.request_id,
        reply = %serde_json::to_string(&reply).unwrap_or_default(),
        "audit-subscription finished"
    );
    Ok(reply)
}

/// The tenant's API session, kept while its configuration stays the same.
async fn session(app: &App, config: Config) -> Arc<ApiSession> {
    app.sessions
        .get_or_try_init(&config, || async {
            Ok::<_, std::convert::Infallible>(ApiSession::new(config.clone()))
        })
        .await
        .unwrap_or_else(|never| match never {})
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    audit_lambda::logging::init();
    let app = App::from_env();
    audit_lambda::run(|event| handle(&app, event)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use audit_lambda::Context;
    use serde_json::json;

    fn app(variables: Result<Config, ConfigError>) -> App {
        App {
            variables,
            state_table: "unused".into(),
            store: OnceCell::new(),
            sessions: TenantCache::default(),
        }
    }

    fn configured() -> App {
        app(Config::from_lookup(|name| match name {
            "AUDIT_LOGS_TENANT_ID" => Some("7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47".into()),
            "AUDIT_LOGS_CLIENT_ID" => Some("client".into()),
            "AUDIT_LOGS_CLIENT_SECRET" => Some("secret".into()),
            // Nothing listens here: a test that got as far as the API would fail loudly.
            "AUDIT_LOGS_AUTHORITY" | "AUDIT_LOGS_AUDIENCE" => Some("http://127.0.0.1:9".into()),
            _ => None,
        }))
    }

    async fn invoke(app: &App, payload: serde_json::Value) -> ErrorReply {
        let event = audit_lambda::decode(payload).map_err(ErrorReply::from);
        match event {
            Ok(event) => handle(app, LambdaEvent::new(event, Context::default()))
                .await
                .expect_err("the event is refused before any call"),
            Err(err) => err,
        }
    }

    #[tokio::test]
    async fn events_it_cannot_do_are_input_errors() {
        let app = configured();
        for payload in [
            json!({}),
            json!({"operation": "restart"}),
            json!({"operation": 7}),
            json!({"operation": "start", "content_types": ["Audit.Teams"]}),
            json!({"operation": "start", "extra": true}),
            json!({"operation": "start", "client_id": "c"}),
            json!({"operation": "remove_tenant"}),
            json!("start"),
        ] {
            let err = invoke(&app, payload.clone()).await;
            assert_eq!(err.error_type, "InputError", "{payload}: {err}");
        }
    }

    #[tokio::test]
    async fn a_configuration_error_answers_every_invocation() {
        let broken = app(Config::from_lookup(|_| None));
        let err = invoke(&broken, json!({"operation": "list"})).await;
        assert_eq!(err.error_type, "ConfigError");
        assert!(err.message.contains("AUDIT_LOGS_TENANT_ID"), "{err}");
    }
}
