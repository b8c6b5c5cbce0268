//! Subscriptions: start, stop and list, and the check a content listing
//! makes that its content type is subscribed to.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

use super::AppState;
use super::authorize::authorize;
use super::error::ApiError;
use super::query::{QueryParams, content_type_param};
use crate::content_type::ContentType;
use crate::faults::json_response;
use crate::state::{State, SubscriptionStatus};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionView {
    content_type: ContentType,
    status: &'static str,
    webhook: Option<Value>,
}

fn webhook_view(webhook: &Option<Value>, status: &'static str) -> Option<Value> {
    webhook.as_ref().map(|w| {
        let mut w = w.clone();
        if let Some(object) = w.as_object_mut() {
            object.insert("status".to_string(), json!(status));
        }
        w
    })
}

pub(super) async fn start(
    AxumState(state): AppState,
    Path((version, tenant)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, &version, &tenant)?;
    let content_type = content_type_param(&QueryParams::parse(raw.as_deref()))?;
    let webhook = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b.get("webhook").cloned())
        .filter(|w| w.is_object());
    let mut t = state.tenant();
    if t.subscriptions
        .get(&content_type)
        .is_some_and(|s| s.status == SubscriptionStatus::Enabled)
    {
        return Err(ApiError::bad_request(
            "AF20024",
            "The subscription is already enabled. No property change.",
        ));
    }
    t.enable(content_type, webhook.clone());
    let view = SubscriptionView {
        content_type,
        status: "enabled",
        webhook: webhook_view(&webhook, "enabled"),
    };
    Ok(json_response(StatusCode::OK, &view))
}

pub(super) async fn stop(
    AxumState(state): AppState,
    Path((version, tenant)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, &version, &tenant)?;
    let content_type = content_type_param(&QueryParams::parse(raw.as_deref()))?;
    let mut t = state.tenant();
    match t.subscriptions.get(&content_type).map(|s| s.status) {
        Some(SubscriptionStatus::Enabled | SubscriptionStatus::DisabledByAdmin) => {
            t.set_status(content_type, SubscriptionStatus::Stopped);
            Ok(StatusCode::OK.into_response())
        }
        _ => Err(no_subscription()),
    }
}

pub(super) async fn list(
    AxumState(state): AppState,
    Path((version, tenant)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, &version, &tenant)?;
    let t = state.tenant();
    let views: Vec<SubscriptionView> = t
        .subscriptions
        .iter()
        .map(|(&content_type, s)| {
            let status = if s.status == SubscriptionStatus::Enabled {
                "enabled"
            } else {
                "disabled"
            };
            SubscriptionView {
                content_type,
                status,
                webhook: webhook_view(&s.webhook, status),
            }
        })
        .collect();
    Ok(json_response(StatusCode::OK, &views))
}

/// Content is listed only for an enabled subscription.
pub(super) fn require_enabled(state: &State, content_type: ContentType) -> Result<(), ApiError> {
    match state
        .tenant()
        .subscriptions
        .get(&content_type)
        .map(|s| s.status)
    {
        Some(SubscriptionStatus::Enabled) => Ok(()),
        Some(SubscriptionStatus::DisabledByAdmin) => Err(ApiError::bad_request(
            "AF20023",
            "The subscription was disabled by a tenant admin.",
        )),
        Some(SubscriptionStatus::Stopped) | None => Err(no_subscription()),
    }
}

fn no_subscription() -> ApiError {
    ApiError::bad_request(
        "AF20022",
        "No subscription found for the specified content type.",
    )
}
