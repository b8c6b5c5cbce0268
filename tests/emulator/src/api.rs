//! The Management Activity API: subscriptions, content listing, blob fetch.
//!
//! Served under `/api/v1.0/{tenant}/activity/feed` and, because the
//! `NextPageUri` the real service hands out uses it, `/api/v1/...` too.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Serialize;
use serde_json::{Value, json};
use time::Duration;

use crate::content_type::ContentType;
use crate::faults::{FaultKind, af_error, json_response};
use crate::rng::{SplitMix64, is_guid};
use crate::state::{State, SubscriptionStatus};
use crate::store::{BodySource, Cursor};
use crate::timefmt::{content_time, parse_query_time};

type AppState = AxumState<Arc<State>>;

/// RNG stream tag for listing shuffles.
const SHUFFLE_STREAM: u64 = 0x05_4ff1e;

/// Records per chunk when a lazily generated blob is streamed.
const STREAM_CHUNK_RECORDS: u32 = 256;

const WINDOW_RULE: &str = "Start time and end time must both be specified (or both omitted) \
     and must be less than or equal to 24 hours apart, with the start time no more than 7 days \
     in the past.";

/// Set by the fault layer for faults the handlers themselves must apply.
#[derive(Debug, Clone)]
pub(crate) struct InjectedFault(pub FaultKind);

pub(crate) fn routes() -> Router<Arc<State>> {
    let feed = "/api/{version}/{tenant}/activity/feed";
    Router::new()
        .route(&format!("{feed}/subscriptions/start"), post(start))
        .route(&format!("{feed}/subscriptions/stop"), post(stop))
        .route(&format!("{feed}/subscriptions/list"), get(list))
        .route(&format!("{feed}/subscriptions/content"), get(content))
        .route(&format!("{feed}/audit/{{content_id}}"), get(blob))
}

/// An API failure, answered the way the real service does.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// Missing, unknown or expired bearer token.
    Unauthorized,
    /// A path outside the API's versions.
    NotFound,
    Af {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
}

impl ApiError {
    fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Af {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unauthorized => {
                let mut response = json_response(
                    StatusCode::UNAUTHORIZED,
                    &json!({"Message": "Authorization has been denied for this request."}),
                );
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            ApiError::NotFound => StatusCode::NOT_FOUND.into_response(),
            ApiError::Af {
                status,
                code,
                message,
            } => af_error(status, code, &message),
        }
    }
}

/// Query parameters, looked up case-insensitively as ASP.NET does.
pub(crate) struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        QueryParams(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// The checks every API call goes through, in this order: token, tenant
/// shape (AF20013), tenant existence (AF20011), tenant match (AF20010),
/// tenant configuration (AF20012), permission (AF10001).
fn authorize(
    state: &State,
    headers: &HeaderMap,
    version: &str,
    tenant: &str,
) -> Result<(), ApiError> {
    if version != "v1.0" && version != "v1" {
        return Err(ApiError::NotFound);
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .ok_or(ApiError::Unauthorized)?;
    let token_tenant = state.token_tenant(token).ok_or(ApiError::Unauthorized)?;
    if !is_guid(tenant) {
        return Err(ApiError::bad_request(
            "AF20013",
            format!("The tenant ID passed in the URL ({tenant}) is not a valid GUID."),
        ));
    }
    let config = &state.config;
    if !tenant.eq_ignore_ascii_case(&config.tenant_id)
        && !tenant.eq_ignore_ascii_case(&config.foreign_tenant_id)
    {
        return Err(ApiError::bad_request(
            "AF20011",
            format!(
                "Specified tenant ID ({tenant}) does not exist in the system or has been deleted."
            ),
        ));
    }
    if !tenant.eq_ignore_ascii_case(&token_tenant) {
        return Err(ApiError::Af {
            status: StatusCode::FORBIDDEN,
            code: "AF20010",
            message: format!(
                "The tenant ID passed in the URL ({tenant}) does not match the tenant ID passed \
                 in the access token ({token_tenant})."
            ),
        });
    }
    let (audit_log_enabled, has_permission) = {
        let t = state.tenant();
        (t.audit_log_enabled, t.has_permission)
    };
    if !audit_log_enabled {
        return Err(ApiError::bad_request(
            "AF20012",
            format!(
                "Specified tenant ID ({tenant}) is incorrectly configured in the system: \
                 unified audit logging is not enabled."
            ),
        ));
    }
    if !has_permission {
        return Err(ApiError::Af {
            status: StatusCode::UNAUTHORIZED,
            code: "AF10001",
            message: "The permission set (ServiceHealth.Read) sent in the request does not \
                      include the expected permission ActivityFeed.Read."
                .to_string(),
        });
    }
    Ok(())
}

fn content_type_param(query: &QueryParams) -> Result<ContentType, ApiError> {
    let raw = query
        .get("contentType")
        .ok_or_else(|| ApiError::bad_request("AF20001", "Missing parameter: contentType."))?;
    raw.parse()
        .map_err(|_| ApiError::bad_request("AF20020", "The specified content type is not valid."))
}

/// `http://<Host header>`: URLs handed out point wherever the client came from.
fn base_url(state: &State, headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_else(|| state.base_url())
}

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

async fn start(
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

async fn stop(
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

fn no_subscription() -> ApiError {
    ApiError::bad_request(
        "AF20022",
        "No subscription found for the specified content type.",
    )
}

async fn list(
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContentItem {
    content_type: ContentType,
    content_id: String,
    content_uri: String,
    content_created: String,
    content_expiration: String,
}

/// The validated time window, with the strings to repeat in `NextPageUri`.
struct Window {
    start: time::OffsetDateTime,
    end: time::OffsetDateTime,
    start_text: String,
    end_text: String,
}

fn window(query: &QueryParams, now: time::OffsetDateTime) -> Result<Window, ApiError> {
    let broken = |why: &str| {
        tracing::debug!("AF20055: {why}");
        ApiError::bad_request("AF20055", WINDOW_RULE)
    };
    let (start_text, end_text) = match (query.get("startTime"), query.get("endTime")) {
        (None, None) => {
            // The documented default; NextPageUri then names it explicitly.
            let start = now - Duration::hours(24);
            return Ok(Window {
                start,
                end: now,
                start_text: content_time(start),
                end_text: content_time(now),
            });
        }
        (Some(start), Some(end)) => (start, end),
        _ => return Err(broken("only one of startTime and endTime")),
    };
    let parse = |name: &str, text: &str| {
        parse_query_time(text).ok_or_else(|| {
            ApiError::bad_request(
                "AF20002",
                format!("Invalid parameter type: {name}. Expected type: datetime"),
            )
        })
    };
    let start = parse("startTime", start_text)?;
    let end = parse("endTime", end_text)?;
    if end <= start {
        return Err(broken("endTime is not after startTime"));
    }
    if end - start > Duration::hours(24) {
        return Err(broken("more than 24 hours apart"));
    }
    if start < now - Duration::days(7) {
        return Err(broken("startTime more than 7 days in the past"));
    }
    Ok(Window {
        start,
        end,
        start_text: start_text.to_string(),
        end_text: end_text.to_string(),
    })
}

/// Percent-encodes a query value, leaving `:` readable as the real service does.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

async fn content(
    AxumState(state): AppState,
    Path((version, tenant)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    fault: Option<Extension<InjectedFault>>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, &version, &tenant)?;
    let query = QueryParams::parse(raw.as_deref());
    let content_type = content_type_param(&query)?;
    match state
        .tenant()
        .subscriptions
        .get(&content_type)
        .map(|s| s.status)
    {
        Some(SubscriptionStatus::Enabled) => {}
        Some(SubscriptionStatus::DisabledByAdmin) => {
            return Err(ApiError::bad_request(
                "AF20023",
                "The subscription was disabled by a tenant admin.",
            ));
        }
        Some(SubscriptionStatus::Stopped) | None => return Err(no_subscription()),
    }
    let now = state.now();
    let window = window(&query, now)?;
    let cursor = match query.get("nextPage") {
        None => None,
        Some(token) => Some(Cursor::decode(token).ok_or_else(|| {
            ApiError::bad_request("AF20031", format!("Invalid nextPage Input: {token}."))
        })?),
    };
    let fault = fault.map(|Extension(InjectedFault(kind))| kind);
    let own_base = base_url(&state, &headers);
    let foreign_base = format!("http://{}", state.config.foreign_host);
    let content_base = if fault == Some(FaultKind::ForeignContentUri) {
        &foreign_base
    } else {
        &own_base
    };

    let store = state.store();
    let (mut page, next) = store.list(
        content_type,
        window.start,
        window.end,
        cursor,
        state.config.page_size,
        now,
    );
    if state.config.shuffle_listing {
        // Seeded by the page position, so a given page always comes out the same.
        let position = cursor.map_or(0, |c| c.index as u64);
        let mut rng = SplitMix64::derived(state.config.seed, &[SHUFFLE_STREAM, position]);
        for i in (1..page.len()).rev() {
            page.swap(i, rng.index(i + 1));
        }
    }
    let items: Vec<ContentItem> = page
        .iter()
        .map(|&index| {
            let blob = &store.blobs()[index];
            ContentItem {
                content_type: blob.content_type,
                content_id: blob.content_id.clone(),
                content_uri: format!(
                    "{content_base}/api/v1.0/{tenant}/activity/feed/audit/{}",
                    blob.content_id
                ),
                content_created: content_time(blob.created),
                content_expiration: content_time(blob.expires),
            }
        })
        .collect();
    drop(store);

    // A looping listing sends the client back to the page it just read.
    let looped = (fault == Some(FaultKind::LoopNextPage))
        .then(|| query.get("nextPage").map(str::to_string))
        .flatten();
    let next_page_base = if fault == Some(FaultKind::ForeignNextPage) {
        Some(&foreign_base)
    } else {
        (next.is_some() || looped.is_some()).then_some(&own_base)
    };
    let mut response = json_response(StatusCode::OK, &items);
    if let Some(base) = next_page_base {
        // A foreign page on a last page still needs some token to point at.
        let token = looped
            .clone()
            .or_else(|| next.map(|c| c.encode()))
            .unwrap_or_else(|| {
                Cursor {
                    created: window.end,
                    index: 0,
                }
                .encode()
            });
        let url = format!(
            "{base}/api/v1/{tenant}/activity/feed/subscriptions/content?contentType={}&startTime={}&endTime={}&nextPage={token}",
            content_type.as_str(),
            encode_query_value(&window.start_text),
            encode_query_value(&window.end_text),
        );
        response.headers_mut().insert(
            state.config.next_page_header.as_str(),
            HeaderValue::from_str(&url).expect("URL is valid header text"),
        );
    }
    state.stats().content_page_served();
    Ok(response)
}

/// Microsoft's ids are `$`-separated alphanumeric parts; anything else is
/// "invalid" (AF20052) rather than merely "unknown" (AF20050).
fn is_well_formed_content_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('$').collect();
    parts.len() == 5
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

async fn blob(
    AxumState(state): AppState,
    Path((version, tenant, content_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, &version, &tenant)?;
    if !is_well_formed_content_id(&content_id) {
        return Err(ApiError::bad_request(
            "AF20052",
            format!("Content ID {content_id} in the URL is invalid."),
        ));
    }
    let now = state.now();
    let store = state.store();
    let missing = || {
        ApiError::bad_request(
            "AF20050",
            format!("The specified content ({content_id}) does not exist."),
        )
    };
    // Content that is not available yet is as unknown as content that never was.
    let blob = store
        .get(&content_id)
        .filter(|b| b.is_available(now))
        .ok_or_else(missing)?;
    if blob.is_expired(now) {
        return Err(ApiError::bad_request(
            "AF20051",
            format!(
                "Content requested with the key {content_id} has already expired. Content older \
                 than 7 days cannot be retrieved."
            ),
        ));
    }
    let body = match blob.body {
        BodySource::Stored(ref bytes) => Body::from(bytes.clone()),
        BodySource::Generated(plan_index) => {
            let generator = store.generator().clone();
            let count = generator.blobs()[plan_index].record_count;
            Body::from_stream(futures::stream::unfold(Some(0u32), move |from| {
                let generator = generator.clone();
                async move {
                    let from = from?;
                    let to = from.saturating_add(STREAM_CHUNK_RECORDS).min(count);
                    let mut chunk = Vec::with_capacity((to - from) as usize * 700 + 2);
                    if from == 0 {
                        chunk.push(b'[');
                    }
                    generator.write_items(plan_index, from..to, &mut chunk);
                    let next = if to >= count {
                        chunk.push(b']');
                        None
                    } else {
                        Some(to)
                    };
                    Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), next))
                }
            }))
        }
    };
    drop(store);
    state.stats().blob_served();
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_id_shapes() {
        assert!(is_well_formed_content_id(
            "492638008028$492638008028$f28ab78ad40140608012736e373933ebspo2015043022$4a81a7c326fc4aed89c62e6039ab833b$04"
        ));
        assert!(!is_well_formed_content_id("abc"));
        assert!(!is_well_formed_content_id("1$2$3$4$"));
        assert!(!is_well_formed_content_id("1$2$3$4$5$6"));
        assert!(!is_well_formed_content_id("1$2$3-3$4$5"));
    }

    #[test]
    fn query_values_keep_colons() {
        assert_eq!(
            encode_query_value("2026-05-23T17:35:00.000Z"),
            "2026-05-23T17:35:00.000Z"
        );
        assert_eq!(encode_query_value("a b+c"), "a%20b%2Bc");
    }
}
