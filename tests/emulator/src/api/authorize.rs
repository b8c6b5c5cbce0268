//! The checks every API call goes through before its own, in this order:
//! token, tenant shape (AF20013), tenant existence (AF20011), tenant match
//! (AF20010), tenant configuration (AF20012), permission (AF10001).

use axum::http::{HeaderMap, StatusCode, header};

use super::error::ApiError;
use crate::config::EmulatorConfig;
use crate::rng::is_guid;
use crate::state::State;

pub(super) fn authorize(
    state: &State,
    headers: &HeaderMap,
    version: &str,
    tenant: &str,
) -> Result<(), ApiError> {
    if version != "v1.0" && version != "v1" {
        return Err(ApiError::NotFound);
    }
    let token = bearer_token(headers).ok_or(ApiError::Unauthorized)?;
    let token_tenant = state.token_tenant(token).ok_or(ApiError::Unauthorized)?;
    known_tenant(&state.config, tenant)?;
    same_tenant(tenant, &token_tenant)?;
    tenant_configured(state, tenant)
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
}

fn known_tenant(config: &EmulatorConfig, tenant: &str) -> Result<(), ApiError> {
    if !is_guid(tenant) {
        return Err(ApiError::bad_request(
            "AF20013",
            format!("The tenant ID passed in the URL ({tenant}) is not a valid GUID."),
        ));
    }
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
    Ok(())
}

fn same_tenant(tenant: &str, token_tenant: &str) -> Result<(), ApiError> {
    if tenant.eq_ignore_ascii_case(token_tenant) {
        return Ok(());
    }
    Err(ApiError::Af {
        status: StatusCode::FORBIDDEN,
        code: "AF20010",
        message: format!(
            "The tenant ID passed in the URL ({tenant}) does not match the tenant ID passed \
             in the access token ({token_tenant})."
        ),
    })
}

fn tenant_configured(state: &State, tenant: &str) -> Result<(), ApiError> {
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
