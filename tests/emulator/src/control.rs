//! The control API under `/_emulator/`, for tests driving the emulator from
//! another process. Every route mirrors a method of [`crate::Emulator`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use time::Duration;

use crate::content_type::ContentType;
use crate::faults::{FaultRule, RandomFaults};
use crate::state::State;
use crate::timefmt::{parse_flexible, rfc3339};

type AppState = AxumState<Arc<State>>;

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/_emulator/truth", get(truth))
        .route("/_emulator/truth/summary", get(truth_summary))
        .route("/_emulator/stats", get(stats).delete(reset_stats))
        .route("/_emulator/requests", get(requests))
        .route(
            "/_emulator/faults",
            get(faults).post(add_faults).delete(clear_faults),
        )
        .route("/_emulator/clock", get(clock).post(set_clock))
        .route(
            "/_emulator/subscriptions/disable",
            post(disable_subscription),
        )
        .route("/_emulator/subscriptions/enable", post(enable_subscription))
        .route("/_emulator/content", post(add_content))
        .route("/_emulator/tenant", get(tenant).post(set_tenant))
        .route(
            "/_emulator/client-certificates",
            get(certificates).post(set_certificates),
        )
}

/// A control request that makes no sense: 400 `{"error": "..."}`.
struct ControlError(String);

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({"error": self.0}))).into_response()
    }
}

/// Parses a JSON body whatever its Content-Type, so `curl -d` works too.
fn parse_body<T: serde::de::DeserializeOwned>(body: &Bytes, what: &str) -> Result<T, ControlError> {
    serde_json::from_slice(body).map_err(|e| ControlError(format!("invalid {what} request: {e}")))
}

fn content_type(text: &str) -> Result<ContentType, ControlError> {
    text.parse()
        .map_err(|e: crate::content_type::UnknownContentType| ControlError(e.to_string()))
}

fn time_field(name: &str, text: &str) -> Result<time::OffsetDateTime, ControlError> {
    parse_flexible(text).ok_or_else(|| ControlError(format!("cannot parse {name} {text:?}")))
}

async fn health(AxumState(state): AppState) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "now": rfc3339(state.now()),
        "base_url": state.base_url(),
        "tenant_id": state.config.tenant_id,
    }))
}

#[derive(Deserialize)]
struct TruthQuery {
    #[serde(default)]
    available_only: bool,
}

async fn truth(AxumState(state): AppState, Query(query): Query<TruthQuery>) -> Response {
    // Rendering every record of a big tenant is CPU work: keep it off the
    // threads that serve the API.
    match tokio::task::spawn_blocking(move || state.truth(query.available_only)).await {
        Ok(truth) => Json(truth).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn truth_summary(AxumState(state): AppState, Query(query): Query<TruthQuery>) -> Response {
    match tokio::task::spawn_blocking(move || state.truth_summary(query.available_only)).await {
        Ok(summary) => Json(summary).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn stats(AxumState(state): AppState) -> Response {
    Json(state.stats().snapshot()).into_response()
}

async fn reset_stats(AxumState(state): AppState) -> StatusCode {
    state.stats().reset();
    StatusCode::NO_CONTENT
}

async fn requests(AxumState(state): AppState) -> Response {
    Json(state.stats().requests()).into_response()
}

async fn faults(AxumState(state): AppState) -> Response {
    Json(state.faults().view()).into_response()
}

/// `{"rules": [FaultRule...], "random": RandomFaults | null}`: rules are
/// appended; `random`, when the key is present, replaces the random setup.
#[derive(Deserialize)]
struct FaultsRequest {
    #[serde(default)]
    rules: Vec<FaultRule>,
    #[serde(default, deserialize_with = "present")]
    random: Option<Option<RandomFaults>>,
}

/// Tells `"random": null` (switch off) from an absent key (leave alone).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

async fn add_faults(AxumState(state): AppState, body: Bytes) -> Result<Response, ControlError> {
    let request: FaultsRequest = parse_body(&body, "faults")?;
    let mut engine = state.faults();
    for rule in request.rules {
        engine.add_rule(rule);
    }
    if let Some(random) = request.random {
        engine.set_random(random);
    }
    Ok(Json(engine.view()).into_response())
}

async fn clear_faults(AxumState(state): AppState) -> StatusCode {
    state.faults().clear();
    StatusCode::NO_CONTENT
}

fn clock_view(state: &State) -> Json<Value> {
    Json(json!({
        "now": rfc3339(state.now()),
        "offset_seconds": state.clock.offset().as_seconds_f64(),
    }))
}

async fn clock(AxumState(state): AppState) -> Json<Value> {
    clock_view(&state)
}

/// `{"advance_seconds": N}` (may be negative or fractional) or `{"set": "RFC 3339"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    advance_seconds: Option<f64>,
    set: Option<String>,
}

async fn set_clock(AxumState(state): AppState, body: Bytes) -> Result<Response, ControlError> {
    let request: ClockRequest = parse_body(&body, "clock")?;
    match (request.advance_seconds, request.set) {
        (Some(seconds), None) => state.clock.advance(Duration::seconds_f64(seconds)),
        (None, Some(text)) => state.clock.set(time_field("set", &text)?),
        _ => {
            return Err(ControlError(
                "give exactly one of advance_seconds and set".to_string(),
            ));
        }
    }
    Ok(clock_view(&state).into_response())
}

#[derive(Deserialize)]
struct SubscriptionRequest {
    content_type: String,
}

async fn disable_subscription(
    AxumState(state): AppState,
    body: Bytes,
) -> Result<StatusCode, ControlError> {
    let request: SubscriptionRequest = parse_body(&body, "subscription")?;
    state.disable_subscription(content_type(&request.content_type)?);
    Ok(StatusCode::NO_CONTENT)
}

async fn enable_subscription(
    AxumState(state): AppState,
    body: Bytes,
) -> Result<StatusCode, ControlError> {
    let request: SubscriptionRequest = parse_body(&body, "subscription")?;
    state.enable_subscription(content_type(&request.content_type)?);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ContentRequest {
    content_type: String,
    content_created: String,
    available_at: Option<String>,
    records: Vec<Value>,
}

async fn add_content(AxumState(state): AppState, body: Bytes) -> Result<Response, ControlError> {
    let request: ContentRequest = parse_body(&body, "content")?;
    let ct = content_type(&request.content_type)?;
    let created = time_field("content_created", &request.content_created)?;
    let available_at = match request.available_at.as_deref() {
        Some(text) => Some(time_field("available_at", text)?),
        None => None,
    };
    let content_id = state.add_blob(ct, created, available_at, request.records);
    Ok(Json(json!({
        "content_id": content_id,
        "content_uri": state.content_uri(&content_id),
    }))
    .into_response())
}

fn tenant_view(state: &State) -> Json<Value> {
    let t = state.tenant();
    Json(json!({
        "audit_log_enabled": t.audit_log_enabled,
        "has_permission": t.has_permission,
    }))
}

async fn tenant(AxumState(state): AppState) -> Json<Value> {
    tenant_view(&state)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantRequest {
    audit_log_enabled: Option<bool>,
    has_permission: Option<bool>,
}

async fn set_tenant(AxumState(state): AppState, body: Bytes) -> Result<Response, ControlError> {
    let request: TenantRequest = parse_body(&body, "tenant")?;
    if let Some(enabled) = request.audit_log_enabled {
        state.set_audit_log_enabled(enabled);
    }
    if let Some(granted) = request.has_permission {
        state.set_permission(granted);
    }
    Ok(tenant_view(&state).into_response())
}

#[derive(Deserialize)]
struct CertificatesRequest {
    certificates: Vec<String>,
}

fn certificates_view(state: &State) -> Json<Value> {
    Json(json!({"sha256_thumbprints": state.certificate_thumbprints()}))
}

async fn certificates(AxumState(state): AppState) -> Json<Value> {
    certificates_view(&state)
}

/// Replaces the app's certificates (PEM texts), as `set_client_certificates`.
async fn set_certificates(
    AxumState(state): AppState,
    body: Bytes,
) -> Result<Json<Value>, ControlError> {
    let request: CertificatesRequest = parse_body(&body, "client-certificates")?;
    let certificates = crate::certificate::parse_all(&request.certificates)
        .map_err(|e| ControlError(e.to_string()))?;
    state.set_certificates(certificates);
    Ok(certificates_view(&state))
}
