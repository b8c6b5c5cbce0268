//! The Entra ID (Azure AD) token endpoint, client-credentials grant only.
//!
//! v1 (`/{tenant}/oauth2/token`, `resource=`) answers numbers as strings;
//! v2 (`/{tenant}/oauth2/v2.0/token`, `scope=<resource>/.default`) as
//! numbers. Errors carry Entra's AADSTS codes and field layout.

mod assertion;
mod checks;
mod credential;
mod error;

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

use assertion::Endpoint;
use checks::Form;
use error::Rejection;
pub(crate) use error::entra_error;

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
) -> Result<Response, Rejection> {
    issue(state, tenant, headers, body, Version::V1)
}

async fn token_v2(
    state: AxumState<Arc<State>>,
    tenant: Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Rejection> {
    issue(state, tenant, headers, body, Version::V2)
}

/// The request's checks, in order: the first that fails is the error the
/// client sees.
fn issue(
    AxumState(state): AxumState<Arc<State>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
    version: Version,
) -> Result<Response, Rejection> {
    let form = Form::parse(&body);
    let config = &state.config;
    let directory = checks::tenant(config, &tenant)?;
    checks::grant_type(&form)?;
    let client_id = checks::client_id(config, &tenant, directory, &form)?;
    let endpoint = Endpoint {
        host: headers.get(header::HOST).and_then(|h| h.to_str().ok()),
        version,
    };
    credential::check(&state, &endpoint, client_id, &form)?;
    let resource = checks::resource(version, &form)?;
    checks::audience(&state, &headers, &tenant, &resource)?;
    Ok(reply(&state, version, resource))
}

fn reply(state: &State, version: Version, resource: String) -> Response {
    let access_token = random_token();
    let now = state.now();
    let expires_at = state.issue_token(access_token.clone());
    let lifetime = state.config.token_lifetime_secs;
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
