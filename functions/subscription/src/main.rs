//! `audit-subscription`: starts, stops and lists the tenant's Management Activity API
//! subscriptions. Invoke with `{"operation":"start"}` (or `stop`, `list`).

use audit_core::config::{Config, ConfigError};
use audit_core::session::ApiSession;
use audit_core::subscription::{self, Reply, Request, SubscriptionEvent};
use audit_lambda::{ErrorReply, LambdaEvent};

async fn handle(
    session: &Result<ApiSession, ConfigError>,
    event: LambdaEvent<SubscriptionEvent>,
) -> Result<Reply, ErrorReply> {
    // A configuration error is the answer to every invocation, so whoever invokes the function
    // reads what to fix instead of a bare init failure.
    let session = session
        .as_ref()
        .map_err(|err| ErrorReply::from(err.clone()))?;
    let request = Request::from_event(event.payload, &session.config.content_types)?;
    let client = session.client().await?;
    let reply = subscription::run(&client, &request).await?;
    tracing::info!(
        request_id = %event.context.request_id,
        operation = ?reply.operation,
        all_enabled = reply.all_enabled,
        results = %serde_json::to_string(&reply.results).unwrap_or_default(),
        "audit-subscription finished"
    );
    Ok(reply)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    audit_lambda::logging::init();
    let session = Config::from_env()
        .map(ApiSession::new)
        .inspect_err(|err| tracing::error!(error = %err, "configuration error"));
    audit_lambda::run(|event| handle(&session, event)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use audit_lambda::Context;
    use serde_json::json;

    fn session() -> Result<ApiSession, ConfigError> {
        Config::from_lookup(|name| match name {
            "AUDIT_LOGS_TENANT_ID" => Some("7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47".into()),
            "AUDIT_LOGS_CLIENT_ID" => Some("client".into()),
            "AUDIT_LOGS_CLIENT_SECRET" => Some("secret".into()),
            // Nothing listens here: a test that got as far as the API would fail loudly.
            "AUDIT_LOGS_AUTHORITY" | "AUDIT_LOGS_AUDIENCE" => Some("http://127.0.0.1:9".into()),
            _ => None,
        })
        .map(ApiSession::new)
    }

    async fn invoke(
        session: &Result<ApiSession, ConfigError>,
        payload: serde_json::Value,
    ) -> ErrorReply {
        let event = audit_lambda::decode(payload).map_err(ErrorReply::from);
        match event {
            Ok(event) => handle(session, LambdaEvent::new(event, Context::default()))
                .await
                .expect_err("the event is refused before any call"),
            Err(err) => err,
        }
    }

    #[tokio::test]
    async fn events_it_cannot_do_are_input_errors() {
        let session = session();
        for payload in [
            json!({}),
            json!({"operation": "restart"}),
            json!({"operation": 7}),
            json!({"operation": "start", "content_types": ["Audit.Teams"]}),
            json!({"operation": "start", "extra": true}),
            json!("start"),
        ] {
            let err = invoke(&session, payload.clone()).await;
            assert_eq!(err.error_type, "InputError", "{payload}: {err}");
        }
    }

    #[tokio::test]
    async fn a_configuration_error_answers_every_invocation() {
        let broken: Result<ApiSession, ConfigError> =
            Config::from_lookup(|_| None).map(ApiSession::new);
        let err = invoke(&broken, json!({"operation": "list"})).await;
        assert_eq!(err.error_type, "ConfigError");
        assert!(err.message.contains("AUDIT_LOGS_TENANT_ID"), "{err}");
    }
}
