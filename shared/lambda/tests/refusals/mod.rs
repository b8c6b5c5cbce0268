//! What each function answers an event with, short of doing the work: its request, or the
//! error reply that refuses it. Shared by the property test and the `events` fuzz target.

use audit_core::config::ContentType;
use audit_core::report::{ReportEvent, ReportRequest};
use audit_core::subscription::{Command, Request, RequestError, SubscriptionEvent};
use audit_core::sync::{Mode, SyncEvent};
use audit_lambda::{ErrorReply, decode};
use serde_json::Value;

/// The refusals of `event` by the subscription, sync and report functions, in that order.
pub fn refusals(event: &Value) -> Vec<ErrorReply> {
    let today = time::macros::date!(2026 - 11 - 24);
    [
        refusal(event, subscription),
        refusal(event, |e: SyncEvent| Mode::from_event(e)),
        refusal(event, |e: ReportEvent| ReportRequest::from_event(e, today)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The subscription function's checks before any tenant is looked up.
fn subscription(event: SubscriptionEvent) -> Result<(), RequestError> {
    match Command::from_event(event)? {
        Command::Subscriptions {
            operation,
            content_types,
            ..
        } => Request::new(operation, content_types.as_deref(), &[ContentType::GENERAL]).map(drop),
        _ => Ok(()),
    }
}

fn refusal<E, T, F>(event: &Value, request: impl FnOnce(E) -> Result<T, F>) -> Option<ErrorReply>
where
    E: serde::de::DeserializeOwned,
    ErrorReply: From<F>,
{
    match decode::<E>(event.clone()) {
        Ok(event) => request(event).err().map(ErrorReply::from),
        Err(err) => Some(err.into()),
    }
}
