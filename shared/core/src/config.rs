//! Configuration from environment variables, validated before any call is made.
//!
//! Every problem names the variable and what it expects, so a misconfigured function says
//! exactly what to fix on its first invocation.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use url::Url;

use crate::cloud::Cloud;
use crate::retry::RetryPolicy;
use crate::secret::{ClientSecret, SecretSource};

pub const TENANT_ID: &str = "AUDIT_LOGS_TENANT_ID";
pub const CLIENT_ID: &str = "AUDIT_LOGS_CLIENT_ID";
pub const CLIENT_SECRET_ARN: &str = "AUDIT_LOGS_CLIENT_SECRET_ARN";
pub const CLIENT_SECRET: &str = "AUDIT_LOGS_CLIENT_SECRET";
pub const CLOUD: &str = "AUDIT_LOGS_CLOUD";
pub const AUDIENCE: &str = "AUDIT_LOGS_AUDIENCE";
pub const AUTHORITY: &str = "AUDIT_LOGS_AUTHORITY";
pub const CONTENT_TYPES: &str = "AUDIT_LOGS_CONTENT_TYPES";
pub const PUBLISHER_ID: &str = "AUDIT_LOGS_PUBLISHER_ID";
pub const TABLE: &str = "AUDIT_LOGS_TABLE";
pub const TOKEN_VERSION: &str = "AUDIT_LOGS_TOKEN_VERSION";
pub const MAX_RETRIES: &str = "AUDIT_LOGS_MAX_RETRIES";
pub const RETRY_BASE_MS: &str = "AUDIT_LOGS_RETRY_BASE_MS";
pub const RETRY_MAX_SECONDS: &str = "AUDIT_LOGS_RETRY_MAX_SECONDS";
pub const REPORT_BUCKET: &str = "AUDIT_LOGS_REPORT_BUCKET";
pub const REPORT_PREFIX: &str = "AUDIT_LOGS_REPORT_PREFIX";
pub const REPORT_URL_SECONDS: &str = "AUDIT_LOGS_REPORT_URL_SECONDS";

pub const DEFAULT_TABLE: &str = "audit-log-events";

/// The content types the Management Activity API knows.
pub const CONTENT_TYPE_NAMES: [&str; 5] = [
    "Audit.AzureActiveDirectory",
    "Audit.Exchange",
    "Audit.SharePoint",
    "Audit.General",
    "DLP.All",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var} is not set: expected {expected}")]
    Missing {
        var: &'static str,
        expected: &'static str,
    },
    #[error("{var} is {value:?}: expected {expected}")]
    Invalid {
        var: &'static str,
        value: String,
        expected: String,
    },
    #[error(
        "no client secret configured: set {CLIENT_SECRET_ARN} to the name or ARN of a Secrets Manager \
         secret holding it (recommended), or {CLIENT_SECRET} to the secret itself"
    )]
    NoSecret,
}

/// Which Entra token endpoint to use. v1 (`resource=`) is what the CoE kit uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenVersion {
    #[default]
    V1,
    V2,
}

/// A content type the API accepts, in its canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentType(&'static str);

impl ContentType {
    pub const GENERAL: ContentType = ContentType("Audit.General");

    /// Accepts any letter case, since the API's own names are easy to mistype.
    pub fn parse(value: &str) -> Option<ContentType> {
        let value = value.trim();
        CONTENT_TYPE_NAMES
            .iter()
            .find(|name| name.eq_ignore_ascii_case(value))
            .map(|name| ContentType(name))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Everything the functions read from their environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub tenant_id: String,
    pub client_id: String,
    pub secret: SecretSource,
    pub cloud: Cloud,
    /// The Management API root and the token's resource, e.g. `https://manage.office.com`.
    pub audience: Url,
    /// The Entra host, e.g. `https://login.windows.net`.
    pub authority: Url,
    pub token_version: TokenVersion,
    pub content_types: Vec<ContentType>,
    pub publisher_id: String,
    pub table: String,
    pub retry: RetryPolicy,
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from any variable source; tests pass a map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        // Unset and empty mean the same: templates often pass "" for an unused parameter.
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let tenant_id = required_guid(TENANT_ID, get(TENANT_ID))?;
        let client_id = get(CLIENT_ID).ok_or(ConfigError::Missing {
            var: CLIENT_ID,
            expected: "the application (client) id of the Entra app registration",
        })?;

        let secret = match (get(CLIENT_SECRET_ARN), lookup(CLIENT_SECRET)) {
            (Some(arn), _) => SecretSource::SecretsManager(arn),
            (None, Some(plain)) if !plain.trim().is_empty() => {
                SecretSource::Plain(ClientSecret::new(plain.trim()))
            }
            _ => return Err(ConfigError::NoSecret),
        };

        let cloud = match get(CLOUD) {
            None => Cloud::default(),
            Some(value) => value.parse().map_err(|_| ConfigError::Invalid {
                var: CLOUD,
                value,
                expected: "one of commercial, gcc, gcchigh, dod".into(),
            })?,
        };
        let audience = endpoint(AUDIENCE, get(AUDIENCE), cloud.audience())?;
        let authority = endpoint(AUTHORITY, get(AUTHORITY), cloud.authority())?;

        let token_version = match get(TOKEN_VERSION).as_deref() {
            None | Some("1") | Some("v1") => TokenVersion::V1,
            Some("2") | Some("v2") => TokenVersion::V2,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    var: TOKEN_VERSION,
                    value: other.into(),
                    expected: "v1 or v2".into(),
                });
            }
        };

        let content_types = match get(CONTENT_TYPES) {
            None => vec![ContentType::GENERAL],
            Some(list) => parse_content_types(&list)?,
        };

        let publisher_id = match get(PUBLISHER_ID) {
            None => tenant_id.clone(),
            Some(value) => required_guid(PUBLISHER_ID, Some(value))?,
        };

        let table = get(TABLE).unwrap_or_else(|| DEFAULT_TABLE.to_string());

        let defaults = RetryPolicy::default();
        let retry = RetryPolicy {
            max_attempts: number(MAX_RETRIES, get(MAX_RETRIES), 0, 50)?
                .map(|retries| retries as u32 + 1)
                .unwrap_or(defaults.max_attempts),
            base_delay: number(RETRY_BASE_MS, get(RETRY_BASE_MS), 1, 60_000)?
                .map(Duration::from_millis)
                .unwrap_or(defaults.base_delay),
            max_total: number(RETRY_MAX_SECONDS, get(RETRY_MAX_SECONDS), 1, 3_600)?
                .map(Duration::from_secs)
                .unwrap_or(defaults.max_total),
            ..defaults
        };

        Ok(Config {
            tenant_id,
            client_id,
            secret,
            cloud,
            audience,
            authority,
            token_version,
            content_types,
            publisher_id,
            table,
            retry,
        })
    }
}

pub fn parse_content_types(list: &str) -> Result<Vec<ContentType>, ConfigError> {
    let mut types = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parsed = ContentType::parse(item).ok_or_else(|| ConfigError::Invalid {
            var: CONTENT_TYPES,
            value: item.to_string(),
            expected: format!(
                "a comma-separated list of {}",
                CONTENT_TYPE_NAMES.join(", ")
            ),
        })?;
        if !types.contains(&parsed) {
            types.push(parsed);
        }
    }
    if types.is_empty() {
        return Err(ConfigError::Invalid {
            var: CONTENT_TYPES,
            value: list.to_string(),
            expected: "at least one content type, e.g. Audit.General".into(),
        });
    }
    Ok(types)
}

fn required_guid(var: &'static str, value: Option<String>) -> Result<String, ConfigError> {
    let value = value.ok_or(ConfigError::Missing {
        var,
        expected: "a GUID such as 7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47",
    })?;
    if is_guid(&value) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(ConfigError::Invalid {
            var,
            value,
            expected: "a GUID such as 7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47 (the tenant's \
                       Directory ID, not its domain name)"
                .into(),
        })
    }
}

pub(crate) fn number(
    var: &'static str,
    value: Option<String>,
    min: u64,
    max: u64,
) -> Result<Option<u64>, ConfigError> {
    let Some(value) = value else { return Ok(None) };
    match value.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(ConfigError::Invalid {
            var,
            value,
            expected: format!("a whole number from {min} to {max}"),
        }),
    }
}

/// `8-4-4-4-12` hexadecimal digits, the only form the API accepts for tenant ids.
pub fn is_guid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Parses an endpoint override, or the cloud's default. Plain http is allowed only for
/// loopback hosts, so a typo can never send the secret or a token over the network in clear.
fn endpoint(var: &'static str, value: Option<String>, default: &str) -> Result<Url, ConfigError> {
    let raw = value.unwrap_or_else(|| default.to_string());
    let invalid = |expected: &str| ConfigError::Invalid {
        var,
        value: raw.clone(),
        expected: expected.to_string(),
    };
    let mut url = Url::parse(&raw).map_err(|_| invalid("an absolute https:// URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(invalid(
                "an https:// URL (plain http:// is accepted only for loopback hosts)",
            ));
        }
        _ => return Err(invalid("an https:// URL")),
    }
    if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("an https:// URL without query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("an https:// URL without credentials in it"));
    }
    // The API and token paths are appended to this root.
    let trimmed = url.path().trim_end_matches('/').to_string();
    url.set_path(&trimmed);
    Ok(url)
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TENANT: &str = "7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47";

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    fn minimal() -> Vec<(&'static str, &'static str)> {
        vec![
            (TENANT_ID, TENANT),
            (CLIENT_ID, "11111111-2222-3333-4444-555555555555"),
            (CLIENT_SECRET, "plain-secret"),
        ]
    }

    #[test]
    fn defaults_are_commercial_general_and_tenant_as_publisher() {
        let c = config(&minimal()).unwrap();
        assert_eq!(c.cloud, Cloud::Commercial);
        assert_eq!(c.audience.as_str(), "https://manage.office.com/");
        assert_eq!(c.authority.as_str(), "https://login.windows.net/");
        assert_eq!(c.content_types, vec![ContentType::GENERAL]);
        assert_eq!(c.publisher_id, TENANT);
        assert_eq!(c.token_version, TokenVersion::V1);
        assert_eq!(
            c.secret,
            SecretSource::Plain(ClientSecret::new("plain-secret"))
        );
        assert_eq!(c.table, DEFAULT_TABLE);
    }

    #[test]
    fn each_cloud_sets_both_endpoints() {
        for cloud in Cloud::ALL {
            let mut vars = minimal();
            vars.push((CLOUD, cloud.name()));
            let c = config(&vars).unwrap();
            assert_eq!(c.audience.as_str().trim_end_matches('/'), cloud.audience());
            assert_eq!(
                c.authority.as_str().trim_end_matches('/'),
                cloud.authority()
            );
        }
    }

    #[test]
    fn the_secrets_manager_reference_wins_over_the_plain_secret() {
        let mut vars = minimal();
        vars.push((
            CLIENT_SECRET_ARN,
            "arn:aws:secretsmanager:eu-west-1:1:secret:x",
        ));
        let c = config(&vars).unwrap();
        assert_eq!(
            c.secret,
            SecretSource::SecretsManager("arn:aws:secretsmanager:eu-west-1:1:secret:x".into())
        );
    }

    #[test]
    fn missing_values_name_the_variable() {
        assert_eq!(
            config(&[]).unwrap_err(),
            ConfigError::Missing {
                var: TENANT_ID,
                expected: "a GUID such as 7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47"
            }
        );
        let err = config(&[(TENANT_ID, TENANT), (CLIENT_SECRET, "x")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("AUDIT_LOGS_CLIENT_ID is not set"),
            "{err}"
        );
        let err = config(&[(TENANT_ID, TENANT), (CLIENT_ID, "c")]).unwrap_err();
        assert_eq!(err, ConfigError::NoSecret);
        assert!(err.to_string().contains(CLIENT_SECRET_ARN));
    }

    #[test]
    fn malformed_values_are_explained() {
        let mut vars = minimal();
        vars[0] = (TENANT_ID, "contoso.onmicrosoft.com");
        let err = config(&vars).unwrap_err().to_string();
        assert!(err.contains(TENANT_ID) && err.contains("GUID"), "{err}");

        for (var, value) in [
            (CLOUD, "mooncake"),
            (CONTENT_TYPES, "Audit.General,Audit.Teams"),
            (PUBLISHER_ID, "not-a-guid"),
            (AUDIENCE, "http://manage.example.com"),
            (AUTHORITY, "ftp://login.example.com"),
            (TOKEN_VERSION, "v3"),
            (MAX_RETRIES, "-1"),
        ] {
            let mut vars = minimal();
            vars.push((var, value));
            let err = config(&vars).unwrap_err().to_string();
            assert!(err.starts_with(var), "{var}: {err}");
        }
    }

    #[test]
    fn plain_http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "http://127.5.6.7",
        ] {
            let mut vars = minimal();
            vars.push((AUDIENCE, ok));
            assert!(config(&vars).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1",
            "http://manage.office.com",
            "http://localhost.evil.com",
        ] {
            let mut vars = minimal();
            vars.push((AUTHORITY, bad));
            let err = config(&vars).unwrap_err().to_string();
            assert!(err.contains("loopback"), "{bad}: {err}");
        }
    }

    #[test]
    fn content_types_are_canonicalised_and_deduplicated() {
        let types = parse_content_types("audit.general, Audit.SharePoint,AUDIT.GENERAL").unwrap();
        assert_eq!(
            types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            ["Audit.General", "Audit.SharePoint"]
        );
    }

    #[test]
    fn guid_check() {
        assert!(is_guid(TENANT));
        assert!(is_guid("7D2B9F3E-1C4A-4F6B-9E2D-3A5C8B1F0E47"));
        assert!(!is_guid("7d2b9f3e1c4a4f6b9e2d3a5c8b1f0e47"));
        assert!(!is_guid("7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e4g"));
    }
}
