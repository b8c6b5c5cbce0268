//! The `audit-subscription` operations: start, stop and list a tenant's subscriptions, and
//! manage the tenant registry (`add_tenant`, `remove_tenant`, `list_tenants`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::{ApiError, ManagementClient, StartOutcome, Subscription};
use crate::config::{CONTENT_TYPE_NAMES, ContentType};
use crate::tenant::AddTenant;

/// What an invocation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Start the subscriptions (AF20024, "already enabled", is success).
    Start,
    /// Stop them.
    Stop,
    /// Show their status.
    List,
    /// Register a tenant, or replace its record.
    AddTenant,
    /// Take a tenant out of the registry (its data stays).
    RemoveTenant,
    /// Every tenant the deployment syncs.
    ListTenants,
}

/// What `audit-subscription` is invoked with: `{"operation": "start"}`, optionally with
/// `"content_types": [...]` and `"tenant": "<guid>"`; or a registry operation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = r#"an object such as {"operation":"start"}; accepted operations are "start", "stop", "list", "add_tenant", "remove_tenant" and "list_tenants""#
)]
pub struct SubscriptionEvent {
    /// The operation, in any letter case. Kept as JSON so that a number or a list is reported
    /// as such, with the accepted operations.
    pub operation: Option<Value>,
    /// The content types to act on instead of the configured ones (or, for `add_tenant`, the
    /// tenant's content types).
    pub content_types: Option<Vec<String>>,
    /// `start`, `stop`, `list`: the tenant to act on; without it, the variables' tenant.
    pub tenant: Option<String>,
    /// `add_tenant`, `remove_tenant`: the tenant's Directory ID.
    pub tenant_id: Option<String>,
    /// `add_tenant`: the app registration's client id in that tenant.
    pub client_id: Option<String>,
    /// `add_tenant`: the Secrets Manager secret holding the client secret.
    pub client_secret_arn: Option<String>,
    /// `add_tenant`: the Secrets Manager secret holding the certificate and key.
    pub client_certificate_arn: Option<String>,
    /// `add_tenant`: `commercial` (default), `gcc`, `gcchigh` or `dod`.
    pub cloud: Option<String>,
    /// `add_tenant`: the `PublisherIdentifier` (default: the tenant id).
    pub publisher_id: Option<String>,
    /// `add_tenant`: the Management API root, when not the cloud's.
    pub audience: Option<String>,
    /// `add_tenant`: the Entra host, when not the cloud's.
    pub authority: Option<String>,
}

/// What an event asks for, before any tenant is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `start`, `stop` or `list` on one tenant's subscriptions.
    Subscriptions {
        /// What to do.
        operation: Operation,
        /// `"tenant"`, if given.
        tenant: Option<String>,
        /// `"content_types"`, if given.
        content_types: Option<Vec<String>>,
    },
    /// `add_tenant`.
    AddTenant(AddTenant),
    /// `remove_tenant` with its `tenant_id`.
    RemoveTenant(Option<String>),
    /// `list_tenants`.
    ListTenants,
}

impl Command {
    /// The command an event makes; a field that the operation does not take is refused, so
    /// a typo never passes for a default.
    pub fn from_event(event: SubscriptionEvent) -> Result<Command, RequestError> {
        let operation = operation(event.operation.clone())?;
        let given = given_fields(&event);
        let allowed: &[&str] = match operation {
            Operation::Start | Operation::Stop | Operation::List => &["tenant", "content_types"],
            Operation::AddTenant => &[
                "tenant_id",
                "client_id",
                "client_secret_arn",
                "client_certificate_arn",
                "cloud",
                "content_types",
                "publisher_id",
                "audience",
                "authority",
            ],
            Operation::RemoveTenant => &["tenant_id"],
            Operation::ListTenants => &[],
        };
        if let Some(field) = given.iter().find(|f| !allowed.contains(f)) {
            return Err(RequestError::NotForOperation {
                field,
                operation: operation_name(operation),
            });
        }
        Ok(match operation {
            Operation::AddTenant => Command::AddTenant(AddTenant {
                tenant_id: event.tenant_id,
                client_id: event.client_id,
                client_secret_arn: event.client_secret_arn,
                client_certificate_arn: event.client_certificate_arn,
                cloud: event.cloud,
                content_types: event.content_types,
                publisher_id: event.publisher_id,
                audience: event.audience,
                authority: event.authority,
            }),
            Operation::RemoveTenant => Command::RemoveTenant(event.tenant_id),
            Operation::ListTenants => Command::ListTenants,
            operation => Command::Subscriptions {
                operation,
                tenant: event.tenant,
                content_types: event.content_types,
            },
        })
    }
}

fn given_fields(event: &SubscriptionEvent) -> Vec<&'static str> {
    [
        ("tenant", event.tenant.is_some()),
        ("content_types", event.content_types.is_some()),
        ("tenant_id", event.tenant_id.is_some()),
        ("client_id", event.client_id.is_some()),
        ("client_secret_arn", event.client_secret_arn.is_some()),
        (
            "client_certificate_arn",
            event.client_certificate_arn.is_some(),
        ),
        ("cloud", event.cloud.is_some()),
        ("publisher_id", event.publisher_id.is_some()),
        ("audience", event.audience.is_some()),
        ("authority", event.authority.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, set)| set.then_some(name))
    .collect()
}

fn operation_name(operation: Operation) -> &'static str {
    match operation {
        Operation::Start => "start",
        Operation::Stop => "stop",
        Operation::List => "list",
        Operation::AddTenant => "add_tenant",
        Operation::RemoveTenant => "remove_tenant",
        Operation::ListTenants => "list_tenants",
    }
}

/// A checked invocation.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// What to do.
    pub operation: Operation,
    /// On which content types.
    pub content_types: Vec<ContentType>,
}

const ACCEPTED: &str = r#"accepted operations are "start", "stop", "list", "add_tenant", "remove_tenant" and "list_tenants", e.g. {"operation":"start"}"#;

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
    /// A field the operation does not take.
    #[error("\"{field}\" is not a field of {operation}; see the README's operations table")]
    NotForOperation {
        /// The field.
        field: &'static str,
        /// The operation.
        operation: &'static str,
    },
}

impl Request {
    /// The request on a tenant's subscriptions; `default_types` are the tenant's content types.
    pub fn new(
        operation: Operation,
        names: Option<&[String]>,
        default_types: &[ContentType],
    ) -> Result<Request, RequestError> {
        Ok(Request {
            operation,
            content_types: match names {
                None => default_types.to_vec(),
                Some(names) => content_types(names)?,
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
            "add_tenant" => Ok(Operation::AddTenant),
            "remove_tenant" => Ok(Operation::RemoveTenant),
            "list_tenants" => Ok(Operation::ListTenants),
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

/// What `start`, `stop` and `list` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    /// The operation done.
    pub operation: Operation,
    /// The tenant it was done for.
    pub tenant: String,
    /// One line per content type.
    pub results: Vec<SubscriptionStatus>,
    /// Whether every requested content type is enabled now (after the operation).
    pub all_enabled: bool,
}

/// Carries out the request.
pub async fn run(
    client: &ManagementClient,
    tenant: &str,
    request: &Request,
) -> Result<Reply, ApiError> {
    let types = &request.content_types;
    let results = match request.operation {
        Operation::Start => start(client, types).await?,
        Operation::Stop => stop(client, types).await?,
        Operation::List => list(client, types).await?,
        other => unreachable!("{other:?} is a registry operation, not an API one"),
    };
    let all_enabled = types.iter().all(|t| {
        results
            .iter()
            .any(|r| r.content_type == t.as_str() && r.status == "enabled")
    });
    Ok(Reply {
        operation: request.operation,
        tenant: tenant.to_string(),
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
        match Command::from_event(event)? {
            Command::Subscriptions {
                operation,
                content_types,
                ..
            } => Request::new(operation, content_types.as_deref(), &[ContentType::GENERAL]),
            other => panic!("not a subscriptions command: {other:?}"),
        }
    }

    fn command(event: Value) -> Result<Command, RequestError> {
        Command::from_event(serde_json::from_value(event).unwrap())
    }

    #[test]
    fn registry_operations_take_their_own_fields_only() {
        let add = command(json!({
            "operation": "add_tenant", "tenant_id": "t", "client_id": "c",
            "client_certificate_arn": "a", "cloud": "gcc"
        }))
        .unwrap();
        assert!(matches!(add, Command::AddTenant(ref a) if a.cloud.as_deref() == Some("gcc")));
        assert_eq!(
            command(json!({"operation": "List_Tenants"})).unwrap(),
            Command::ListTenants
        );
        assert_eq!(
            command(json!({"operation": "start", "tenant": "x"})).unwrap(),
            Command::Subscriptions {
                operation: Operation::Start,
                tenant: Some("x".into()),
                content_types: None
            }
        );
        for (event, field) in [
            (json!({"operation": "start", "client_id": "c"}), "client_id"),
            (
                json!({"operation": "remove_tenant", "tenant": "x"}),
                "tenant",
            ),
            (
                json!({"operation": "list_tenants", "cloud": "gcc"}),
                "cloud",
            ),
            (json!({"operation": "add_tenant", "tenant": "x"}), "tenant"),
        ] {
            let err = command(event.clone()).unwrap_err().to_string();
            assert!(err.contains(&format!("\"{field}\"")), "{event}: {err}");
        }
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
                err.to_string()
                    .contains(r#""start", "stop", "list", "add_tenant""#),
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
            (json!("start"), r#""remove_tenant" and "list_tenants""#),
        ] {
            let err = serde_json::from_value::<SubscriptionEvent>(event.clone()).unwrap_err();
            assert!(err.to_string().contains(says), "{event}: {err}");
        }
    }
}
