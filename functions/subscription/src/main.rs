//! `audit-subscription`: starts, stops and lists the tenant's Management Activity API
//! subscriptions. Invoke with `{"operation":"start"}` (or `stop`, `list`).

use audit_core::config::Config;
use audit_core::runtime::{self, HandlerError, Invocation};
use audit_core::session::ApiSession;
use audit_core::subscription::{self, Request};
use serde_json::Value;

async fn handle(
    session: &ApiSession,
    event: Value,
    invocation: Invocation,
) -> Result<Value, HandlerError> {
    let request = Request::parse(event, &session.config.content_types)?;
    let client = session.client().await?;
    let reply = subscription::run(&client, &request).await?;
    let reply = serde_json::to_value(reply).expect("the reply is plain data");
    tracing::info!(request_id = %invocation.request_id, reply = %reply, "audit-subscription finished");
    Ok(reply)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    audit_core::logging::init();
    // A configuration error is the answer to every invocation, so whoever invokes the function
    // reads what to fix instead of a bare init failure.
    let session = Config::from_env()
        .map(ApiSession::new)
        .map_err(HandlerError::from)
        .inspect_err(|err| tracing::error!(error = %err, "configuration error"));
    runtime::run(|event, invocation| async {
        let session = session.as_ref().map_err(Clone::clone)?;
        handle(session, event, invocation).await
    })
    .await
}
