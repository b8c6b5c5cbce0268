//! The Entra ID (Azure AD) token endpoint, client-credentials grant only.
//!
//! v1 (`/{tenant}/oauth2/token`, `resource=`) answers numbers as strings;
//! v2 (`/{tenant}/oauth2/v2.0/token`, `scope=<resource>/.default`) as
//! numbers. Errors carry Entra's AADSTS codes and field layout.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use serde::Serialize;
use time::Duration;

use crate::faults::json_response;
use crate::rng::SplitMix64;
use crate::state::State;
use crate::timefmt::entra_timestamp;

pub(crate) fn routes() -> Router<Arc<State>> {
    Router::new()
        .route("/{tenant}/oauth2/token", post(token_v1))
        .route("/{tenant}/oauth2/v2.0/token", post(token_v2))
}

/// Non-reproducible ids (tokens, trace ids): these are not tenant content,
/// so they come from the OS-seeded generator rather than the tenant seed.
fn random_guid() -> String {
    SplitMix64::new(rand::random()).guid()
}

fn random_token() -> String {
    let mut rng = SplitMix64::new(rand::random());
    format!("emu.{}", rng.hex(64))
}

/// An Entra error body, fields in Entra's order.
#[derive(Serialize)]
struct EntraError {
    error: String,
    /// Ends with the trace lines Entra appends.
    error_description: String,
    error_codes: [u32; 1],
    timestamp: String,
    trace_id: String,
    correlation_id: String,
    error_uri: String,
}

pub(crate) fn entra_error(status: StatusCode, error: &str, code: u32, text: &str) -> Response {
    let trace_id = random_guid();
    let correlation_id = random_guid();
    let timestamp = entra_timestamp(time::OffsetDateTime::now_utc());
    let body = EntraError {
        error: error.to_string(),
        error_description: format!(
            "AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
        ),
        error_codes: [code],
        timestamp,
        trace_id,
        correlation_id,
        error_uri: format!("https://login.microsoftonline.com/error?code={code}"),
    };
    json_response(status, &body)
}

/// v1 answers every number as a string.
#[derive(Serialize)]
struct TokenV1 {
    token_type: &'static str,
    expires_in: String,
    ext_expires_in: String,
    expires_on: String,
    not_before: String,
    resource: String,
    access_token: String,
}

#[derive(Serialize)]
struct TokenV2 {
    token_type: &'static str,
    expires_in: u64,
    ext_expires_in: u64,
    access_token: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

async fn token_v1(
    state: AxumState<Arc<State>>,
    tenant: Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    issue(state, tenant, headers, body, Version::V1)
}

async fn token_v2(
    state: AxumState<Arc<State>>,
    tenant: Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    issue(state, tenant, headers, body, Version::V2)
}

fn missing_parameter(name: &str) -> Response {
    entra_error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{name}'."),
    )
}

fn issue(
    AxumState(state): AxumState<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
    version: Version,
) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let param = |name: &str| {
        form.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    };
    let config = &state.config;

    let home = tenant.eq_ignore_ascii_case(&config.tenant_id)
        || tenant.eq_ignore_ascii_case(&config.tenant_domain);
    if !home && !tenant.eq_ignore_ascii_case(&config.foreign_tenant_id) {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID \
                 and are signing into the correct cloud. Check with your subscription \
                 administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        );
    }

    let Some(grant_type) = param("grant_type") else {
        return missing_parameter("grant_type");
    };
    if grant_type != "client_credentials" {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{grant_type}'."),
        );
    }

    let Some(client_id) = param("client_id") else {
        return missing_parameter("client_id");
    };
    if !home || !client_id.eq_ignore_ascii_case(&config.client_id) {
        // Entra reports an unknown app this way, not as invalid_client.
        return entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "Application with identifier '{client_id}' was not found in the directory \
                 '{tenant}'. This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant. You may \
                 have sent your authentication request to the wrong tenant."
            ),
        );
    }

    match param("client_secret") {
        Some(secret) if secret == config.client_secret => {}
        Some(_) => {
            return entra_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000215,
                &format!(
                    "Invalid client secret provided. Ensure the secret being sent in the request \
                     is the client secret value, not the client secret ID, for a secret added to \
                     app '{client_id}'."
                ),
            );
        }
        None if param("client_assertion").is_some() => {
            // Certificates are not emulated: say so in Entra's terms.
            return entra_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700027,
                "Client assertion failed signature validation. (The emulator accepts client \
                 secrets only.)",
            );
        }
        None => {
            return entra_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or \
                 'client_secret'.",
            );
        }
    }

    let resource = match version {
        Version::V1 => match param("resource") {
            Some(resource) => resource.to_string(),
            None => return missing_parameter("resource"),
        },
        Version::V2 => {
            let Some(scope) = param("scope") else {
                return missing_parameter("scope");
            };
            match scope.strip_suffix("/.default") {
                Some(resource) if !scope.contains(' ') => resource.to_string(),
                _ => {
                    return entra_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        1002012,
                        &format!(
                            "The provided value for scope {scope} is not valid. Client \
                             credential flows must have a scope value with /.default suffixed \
                             to the resource identifier (application ID URI)."
                        ),
                    );
                }
            }
        }
    };
    if !known_audience(&state, &headers, &resource) {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            &format!(
                "The resource principal named {resource} was not found in the tenant named \
                 {tenant}. This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant. You \
                 might have sent your authentication request to the wrong tenant."
            ),
        );
    }

    let access_token = random_token();
    let now = state.now();
    let expires_at = state.issue_token(access_token.clone());
    let lifetime = config.token_lifetime_secs;
    match version {
        Version::V1 => json_response(
            StatusCode::OK,
            &TokenV1 {
                token_type: "Bearer",
                expires_in: lifetime.to_string(),
                ext_expires_in: lifetime.to_string(),
                expires_on: expires_at.unix_timestamp().to_string(),
                not_before: (now - Duration::minutes(5)).unix_timestamp().to_string(),
                resource,
                access_token,
            },
        ),
        Version::V2 => json_response(
            StatusCode::OK,
            &TokenV2 {
                token_type: "Bearer",
                expires_in: lifetime,
                ext_expires_in: lifetime,
                access_token,
            },
        ),
    }
}

/// The API's own address as the client reached it, the bound address, or
/// one of the configured extras (`https://manage.office.com` by default).
fn known_audience(state: &State, headers: &HeaderMap, resource: &str) -> bool {
    let resource = resource.trim_end_matches('/');
    let via_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| format!("http://{host}"));
    resource.eq_ignore_ascii_case(&state.base_url())
        || via_host.is_some_and(|url| resource.eq_ignore_ascii_case(&url))
        || state
            .config
            .extra_audiences
            .iter()
            .any(|a| resource.eq_ignore_ascii_case(a.trim_end_matches('/')))
}
