//! The `audit-subscription` operations: start, stop and list the tenant's subscriptions.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{ManagementClient, StartOutcome};
use crate::config::{CONTENT_TYPE_NAMES, ContentType};
use crate::runtime::HandlerError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Start,
    Stop,
    List,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub operation: Operation,
    pub content_types: Vec<ContentType>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    operation: Option<Value>,
    content_types: Option<Vec<String>>,
}

const ACCEPTED: &str =
    r#"accepted operations are "start", "stop" and "list", e.g. {"operation":"start"}"#;

impl Request {
    /// Reads the event; `default_types` come from `AUDIT_LOGS_CONTENT_TYPES`.
    pub fn parse(event: Value, default_types: &[ContentType]) -> Result<Request, HandlerError> {
        let raw: RawRequest = serde_json::from_value(event)
            .map_err(|err| HandlerError::input(format!("invalid event: {err}; {ACCEPTED}")))?;
        let operation = match raw.operation {
            Some(Value::String(op)) => match op.trim().to_ascii_lowercase().as_str() {
                "start" => Operation::Start,
                "stop" => Operation::Stop,
                "list" => Operation::List,
                _ => {
                    return Err(HandlerError::input(format!(
                        "unknown operation {op:?}: {ACCEPTED}"
                    )));
                }
            },
            Some(other) => {
                return Err(HandlerError::input(format!(
                    "\"operation\" must be a string, not {other}: {ACCEPTED}"
                )));
            }
            None => {
                return Err(HandlerError::input(format!(
                    "the event has no \"operation\": {ACCEPTED}"
                )));
            }
        };
        let content_types = match raw.content_types {
            None => default_types.to_vec(),
            Some(names) => {
                let mut types = Vec::new();
                for name in &names {
                    let parsed = ContentType::parse(name).ok_or_else(|| {
                        HandlerError::input(format!(
                            "unknown content type {name:?}: expected one of {}",
                            CONTENT_TYPE_NAMES.join(", ")
                        ))
                    })?;
                    if !types.contains(&parsed) {
                        types.push(parsed);
                    }
                }
                if types.is_empty() {
                    return Err(HandlerError::input(
                        "\"content_types\" is empty: name at least one, or leave it out",
                    ));
                }
                types
            }
        };
        Ok(Request {
            operation,
            content_types,
        })
    }
}

/// One line of the reply, per content type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionStatus {
    pub content_type: String,
    /// `enabled`, `disabled`, `stopped` or `not_subscribed`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub already_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub operation: Operation,
    pub results: Vec<SubscriptionStatus>,
    /// Whether every requested content type is enabled now (after the operation).
    pub all_enabled: bool,
}

pub async fn run(client: &ManagementClient, request: &Request) -> Result<Reply, HandlerError> {
    let mut results = Vec::new();
    match request.operation {
        Operation::Start => {
            for content_type in &request.content_types {
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
                    content_type: content_type.to_string(),
                    status: "enabled".into(),
                    already_enabled: Some(already),
                    webhook,
                });
            }
        }
        Operation::Stop => {
            for content_type in &request.content_types {
                let status = match client.stop_subscription(content_type).await {
                    Ok(()) => "stopped",
                    // Stopping what is not there leaves the admin where they wanted to be.
                    Err(err) if err.code() == Some("AF20022") => "not_subscribed",
                    Err(err) => return Err(err.into()),
                };
                tracing::info!(
                    content_type = content_type.as_str(),
                    status,
                    "subscription stopped"
                );
                results.push(SubscriptionStatus {
                    content_type: content_type.to_string(),
                    status: status.into(),
                    already_enabled: None,
                    webhook: None,
                });
            }
        }
        Operation::List => {
            let listed = client.list_subscriptions().await?;
            for content_type in &request.content_types {
                let found = listed
                    .iter()
                    .find(|s| s.content_type.eq_ignore_ascii_case(content_type.as_str()));
                results.push(SubscriptionStatus {
                    content_type: content_type.to_string(),
                    status: found
                        .map_or("not_subscribed".into(), |s| s.status.to_ascii_lowercase()),
                    already_enabled: None,
                    webhook: found.and_then(|s| s.webhook.clone()),
                });
            }
            // Subscriptions the tenant has beyond the ones asked about are shown too.
            for other in listed.iter().filter(|s| {
                !request
                    .content_types
                    .iter()
                    .any(|t| s.content_type.eq_ignore_ascii_case(t.as_str()))
            }) {
                results.push(SubscriptionStatus {
                    content_type: other.content_type.clone(),
                    status: other.status.to_ascii_lowercase(),
                    already_enabled: None,
                    webhook: other.webhook.clone(),
                });
            }
        }
    }
    let all_enabled = request.content_types.iter().all(|t| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(event: Value) -> Result<Request, HandlerError> {
        Request::parse(event, &[ContentType::GENERAL])
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
            json!({"operation": "start", "extra": true}),
            json!("start"),
        ] {
            let err = parse(event.clone()).unwrap_err();
            assert_eq!(err.error_type, "InputError");
            assert!(
                err.message.contains(r#""start", "stop" and "list""#),
                "{event}: {}",
                err.message
            );
        }
        let err =
            parse(json!({"operation": "start", "content_types": ["Audit.Teams"]})).unwrap_err();
        assert!(err.message.contains("Audit.Teams") && err.message.contains("Audit.General"));
    }
}
