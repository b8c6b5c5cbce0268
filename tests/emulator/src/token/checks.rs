//! The token request's checks other than the credential: tenant, grant type,
//! client id, the resource asked for, and whether that resource is known.

use axum::http::{HeaderMap, header};

use super::Version;
use super::error::Rejection;
use crate::config::EmulatorConfig;
use crate::state::State;

/// The form fields of a token request.
pub(super) struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        Form(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value sent for `name`; Entra treats an empty one as missing.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }
}

/// Which directory a request names. The app is registered in the home
/// tenant only; the foreign tenant exists, so a request naming it gets past
/// the tenant check and fails on the client id instead.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Directory {
    Home,
    Foreign,
}

pub(super) fn tenant(config: &EmulatorConfig, tenant: &str) -> Result<Directory, Rejection> {
    if tenant.eq_ignore_ascii_case(&config.tenant_id)
        || tenant.eq_ignore_ascii_case(&config.tenant_domain)
    {
        return Ok(Directory::Home);
    }
    if tenant.eq_ignore_ascii_case(&config.foreign_tenant_id) {
        return Ok(Directory::Foreign);
    }
    Err(Rejection::bad_request(
        "invalid_request",
        90002,
        format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID \
             and are signing into the correct cloud. Check with your subscription \
             administrator, this may happen if there are no active subscriptions for the tenant."
        ),
    ))
}

pub(super) fn grant_type(form: &Form) -> Result<(), Rejection> {
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| Rejection::missing_parameter("grant_type"))?;
    if grant_type == "client_credentials" {
        return Ok(());
    }
    Err(Rejection::bad_request(
        "unsupported_grant_type",
        70003,
        format!("The app requested an unsupported grant type '{grant_type}'."),
    ))
}

pub(super) fn client_id<'f>(
    config: &EmulatorConfig,
    tenant: &str,
    directory: Directory,
    form: &'f Form,
) -> Result<&'f str, Rejection> {
    let client_id = form
        .get("client_id")
        .ok_or_else(|| Rejection::missing_parameter("client_id"))?;
    if directory == Directory::Home && client_id.eq_ignore_ascii_case(&config.client_id) {
        return Ok(client_id);
    }
    // Entra reports an unknown app this way, not as invalid_client.
    Err(Rejection::bad_request(
        "unauthorized_client",
        700016,
        format!(
            "Application with identifier '{client_id}' was not found in the directory \
             '{tenant}'. This can happen if the application has not been installed by the \
             administrator of the tenant or consented to by any user in the tenant. You may \
             have sent your authentication request to the wrong tenant."
        ),
    ))
}

/// The resource a token is asked for: `resource=` in v1, the prefix of
/// `scope=<resource>/.default` in v2.
pub(super) fn resource(version: Version, form: &Form) -> Result<String, Rejection> {
    match version {
        Version::V1 => form
            .get("resource")
            .map(str::to_string)
            .ok_or_else(|| Rejection::missing_parameter("resource")),
        Version::V2 => scope_resource(form),
    }
}

fn scope_resource(form: &Form) -> Result<String, Rejection> {
    let scope = form
        .get("scope")
        .ok_or_else(|| Rejection::missing_parameter("scope"))?;
    match scope.strip_suffix("/.default") {
        Some(resource) if !scope.contains(' ') => Ok(resource.to_string()),
        _ => Err(Rejection::bad_request(
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {scope} is not valid. Client \
                 credential flows must have a scope value with /.default suffixed \
                 to the resource identifier (application ID URI)."
            ),
        )),
    }
}

pub(super) fn audience(
    state: &State,
    headers: &HeaderMap,
    tenant: &str,
    resource: &str,
) -> Result<(), Rejection> {
    if known_audience(state, headers, resource) {
        return Ok(());
    }
    Err(Rejection::bad_request(
        "invalid_resource",
        500011,
        format!(
            "The resource principal named {resource} was not found in the tenant named \
             {tenant}. This can happen if the application has not been installed by the \
             administrator of the tenant or consented to by any user in the tenant. You \
             might have sent your authentication request to the wrong tenant."
        ),
    ))
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
