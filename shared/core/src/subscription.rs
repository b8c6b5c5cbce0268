//! The `audit-subscription` operations: start, stop and list the tenant's subscriptions.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{ApiError, ManagementClient, StartOutcome, Subscription};
use crate::config::{CONTENT_TYPE_NAMES, ContentType};

/// What an invocation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// Start the subscriptions (AF20024, "already enabled", is success).
    Start,
    /// Stop them.
    Stop,
    /// Show their status.
    List,
}

/// What `audit-subscription` is invoked with: `{"operation": "start"}`, optionally with
/// `"content_types": [...]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"an object such as {"operation":"start"}; accepted operations are "start", "stop" and "list""#
)]
pub struct SubscriptionEvent {
    /// `start`, `stop` or `list`, in any letter case. Kept as JSON so that a number or a list
    /// is reported as such, with the accepted operations.
    pub operation: Option<Value>,
    /// The content types to act on instead of the configured ones.
    pub content_types: Option<Vec<String>>,
}

/// A checked invocation.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// What to do.
    pub operation: Operation,
    /// On which content types.
    pub content_types: Vec<ContentType>,
}

const ACCEPTED: &str =
    r#"accepted operations are "start", "stop" and "list", e.g. {"operation":"start"}"#;

/// An event that asks for something this function does not do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// No `operation`.
    #[error("the event has no \"operation\": {ACCEPTED}")]
    NoOperation,
    /// An `operation` that is not a string.
    #[error("\"operation\" must be a string, not {0}: {ACCEPTED}")]
    OperationNotText(String),
    /// An operation this function does not know.
    #[error("unknown operation {0:?}: {ACCEPTED}")]
    UnknownOperation(String),
    /// A content type the API does not know.
    #[error("unknown content type {name:?}: expected one of {known}", known = CONTENT_TYPE_NAMES.join(", "))]
    UnknownContentType {
        /// As the event spells it.
        name: String,
    },
    /// `"content_types": []`.
    #[error("\"content_types\" is empty: name at least one, or leave it out")]
    NoContentTypes,
}

impl Request {
    /// The request an event makes; `default_types` come from `AUDIT_LOGS_CONTENT_TYPES`.
    pub fn from_event(
        event: SubscriptionEvent,
        default_types: &[ContentType],
    ) -> Result<Request, RequestError> {
        Ok(Request {
            operation: operation(event.operation)?,
            content_types: match event.content_types {
                None => default_types.to_vec(),
                Some(names) => content_types(&names)?,
            },
        })
    }
}

fn operation(value: Option<Value>) -> Result<Operation, RequestError> {
    match value {
        Some(Value::String(op)) => match op.trim().to_ascii_lowercase().as_str() {
            "start" => Ok(Operation::Start),
            "stop" => Ok(Operation::Stop),
            "list" => Ok(Operation::List),
            _ => Err(RequestError::UnknownOperation(op)),
        },
        Some(other) => Err(RequestError::OperationNotText(other.to_string())),
        None => Err(RequestError::NoOperation),
    }
}

fn content_types(names: &[String]) -> Result<Vec<ContentType>, RequestError> {
    let mut types = Vec::new();
    for name in names {
        let parsed = ContentType::parse(name)
            .ok_or_else(|| RequestError::UnknownContentType { name: name.clone() })?;
        if !types.contains(&parsed) {
            types.push(parsed);
        }
    }
    if types.is_empty() {
        return Err(RequestError::NoContentTypes);
    }
    Ok(types)
}

/// One line of the reply, per content type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionStatus {
    /// The content type.
    pub content_type: String,
    /// `enabled`, `disabled`, `stopped` or `not_subscribed`.
    pub status: String,
    /// After `start`: whether it was on already.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub already_enabled: Option<bool>,
    /// The webhook, as the API reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Value>,
}

impl SubscriptionStatus {
    fn new(content_type: impl Into<String>, status: impl Into<String>) -> SubscriptionStatus {
        SubscriptionStatus {
            content_type: content_type.into(),
            status: status.into(),
            already_enabled: None,
            webhook: None,
        }
    }
}

/// What the function answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    /// The operation done.
    pub operation: Operation,
    /// One line per content type.
    pub results: Vec<SubscriptionStatus>,
    /// Whether every requested content type is enabled now (after the operation).
    pub all_enabled: bool,
}

/// Carries out the request.
pub async fn run(client: &ManagementClient, request: &Request) -> Result<Reply, ApiError> {
    let types = &request.content_types;
    let results = match request.operation {
        Operation::Start => start(client, types).await?,
        Operation::Stop => stop(client, types).await?,
        Operation::List => list(client, types).await?,
    };
    let all_enabled = types.iter().all(|t| {
        results
            .iter()
            .any(|r| r.content_type == t.as_str() && r.status == "enabled")
    });
    Ok(Reply {
        operation: request.operation,
        results,
        all_enabled,
    })
}

async fn start(
    client: &ManagementClient,
    types: &[ContentType],
) -> Result<Vec<SubscriptionStatus>, ApiError> {
    let mut results = Vec::new();
    for content_type in types {
        let (already, webhook) = match client.start_subscription(content_type).await? {
            StartOutcome::Started(sub) => (false, sub.webhook),
            StartOutcome::AlreadyEnabled => (true, None),
        };
        tracing::info!(
            content_type = content_type.as_str(),
            already_enabled = already,
            "subscription enabled"
        );
        results.push(SubscriptionStatus {
            already_enabled: Some(already),
            webhook,
            ..SubscriptionStatus::new(content_type.as_str(), "enabled")
        });
    }
    Ok(results)
}

async fn stop(
    client: &ManagementClient,
    types: &[ContentType],
) -> Result<Vec<SubscriptionStatus>, ApiError> {
    let mut results = Vec::new();
    for content_type in types {
        let status = match client.stop_subscription(content_type).await {
            Ok(()) => "stopped",
            // Stopping what is not there leaves the admin where they wanted to be.
            Err(err) if err.code() == Some("AF20022") => "not_subscribed",
            Err(err) => return Err(err),
        };
        tracing::info!(
            content_type = content_type.as_str(),
            status,
            "subscription stopped"
        );
        results.push(SubscriptionStatus::new(content_type.as_str(), status));
    }
    Ok(results)
}

async fn list(
    client: &ManagementClient,
    types: &[ContentType],
) -> Result<Vec<SubscriptionStatus>, ApiError> {
    let listed = client.list_subscriptions().await?;
    let status = |sub: &Subscription| SubscriptionStatus {
        webhook: sub.webhook.clone(),
        ..SubscriptionStatus::new(sub.content_type.clone(), sub.status.to_ascii_lowercase())
    };
    let is =
        |sub: &Subscription, t: &ContentType| sub.content_type.eq_ignore_ascii_case(t.as_str());
    let mut results: Vec<SubscriptionStatus> = types
        .iter()
        .map(|t| match listed.iter().find(|sub| is(sub, t)) {
            Some(sub) => SubscriptionStatus {
                content_type: t.to_string(),
                ..status(sub)
            },
            None => SubscriptionStatus::new(t.as_str(), "not_subscribed"),
        })
        .collect();
    // Subscriptions the tenant has beyond the ones asked about are shown too.
    results.extend(
        listed
            .iter()
            .filter(|sub| !types.iter().any(|t| is(sub, t)))
            .map(status),
    );
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(event: Value) -> Result<Request, RequestError> {
        let event: SubscriptionEvent = serde_json::from_value(event).unwrap();
        Request::from_event(event, &[ContentType::GENERAL])
    }

    #[test]
    fn operations_are_case_insensitive() {
        assert_eq!(
            parse(json!({"operation": "START"})).unwrap().operation,
            Operation::Start
        );
        assert_eq!(
            parse(json!({"operation": " Stop "})).unwrap().operation,
            Operation::Stop
        );
        let list =
            parse(json!({"operation": "list", "content_types": ["audit.sharepoint"]})).unwrap();
        assert_eq!(
            list.content_types,
            vec![ContentType::parse("Audit.SharePoint").unwrap()]
        );
    }

    #[test]
    fn bad_events_list_the_accepted_operations() {
        for event in [
            json!({}),
            json!({"operation": "restart"}),
            json!({"operation": 1}),
            json!({"operation": ["start"]}),
        ] {
            let err = parse(event.clone()).unwrap_err();
            assert!(
                err.to_string().contains(r#""start", "stop" and "list""#),
                "{event}: {err}"
            );
        }
        let err =
            parse(json!({"operation": "start", "content_types": ["Audit.Teams"]})).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("Audit.Teams") && message.contains("Audit.General"));
        assert_eq!(
            parse(json!({"operation": "start", "content_types": []})),
            Err(RequestError::NoContentTypes)
        );
    }

    #[test]
    fn the_event_shape_is_checked_before_the_request() {
        for (event, says) in [
            (json!({"operation": "start", "extra": true}), "extra"),
            (json!("start"), r#""start", "stop" and "list""#),
        ] {
            let err = serde_json::from_value::<SubscriptionEvent>(event.clone()).unwrap_err();
            assert!(err.to_string().contains(says), "{event}: {err}");
        }
    }
}
