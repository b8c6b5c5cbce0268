//! The API functions' configuration, validated before any call is made.
//!
//! Every problem names the variable and what it expects, so a misconfigured function says
//! exactly what to fix on its first invocation.

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::cloud::Cloud;
use crate::env::Env;
use crate::env::table::{
    AUDIENCE, AUTHORITY, CLIENT_CERTIFICATE_ARN, CLIENT_ID, CLIENT_SECRET, CLIENT_SECRET_ARN,
    CLOUD, CONTENT_TYPES, MAX_RETRIES, PUBLISHER_ID, RETRY_BASE_MS, RETRY_MAX_SECONDS, TENANT_ID,
    TOKEN_VERSION,
};
use crate::retry::RetryPolicy;
use crate::secret::{ClientSecret, SecretRef, SecretSource};

pub use crate::env::ConfigError;

/// The content types the Management Activity API knows.
pub const CONTENT_TYPE_NAMES: [&str; 5] = [
    "Audit.AzureActiveDirectory",
    "Audit.Exchange",
    "Audit.SharePoint",
    "Audit.General",
    "DLP.All",
];

/// Which Entra token endpoint to use. v1 (`resource=`) is what the CoE kit uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenVersion {
    /// `/{tenant}/oauth2/token` with `resource=`.
    #[default]
    V1,
    /// `/{tenant}/oauth2/v2.0/token` with `scope=.../.default`.
    V2,
}

/// A content type the API accepts, in its canonical spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentType(&'static str);

impl ContentType {
    /// `Audit.General`, where the Power Platform events are.
    pub const GENERAL: ContentType = ContentType("Audit.General");

    /// Accepts any letter case, since the API's own names are easy to mistype.
    pub fn parse(value: &str) -> Option<ContentType> {
        let value = value.trim();
        CONTENT_TYPE_NAMES
            .iter()
            .find(|name| name.eq_ignore_ascii_case(value))
            .map(|name| ContentType(name))
    }

    /// The canonical name.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Everything the API functions read from their environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The tenant's Directory ID, lower-cased.
    pub tenant_id: String,
    /// The app registration's client id.
    pub client_id: String,
    /// Where the app's credential (secret or certificate) comes from.
    pub secret: SecretSource,
    /// The Microsoft cloud.
    pub cloud: Cloud,
    /// The Management API root and the token's resource, e.g. `https://manage.office.com`.
    pub audience: Url,
    /// The Entra host, e.g. `https://login.windows.net`.
    pub authority: Url,
    /// Which token endpoint.
    pub token_version: TokenVersion,
    /// The content types subscribed to and synced.
    pub content_types: Vec<ContentType>,
    /// The `PublisherIdentifier` of every call.
    pub publisher_id: String,
    /// Retries of API calls.
    pub retry: RetryPolicy,
}

impl Config {
    /// From the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::read(&Env::process())
    }

    /// Builds the configuration from any variable source; tests pass a map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        Config::read(&Env::new(lookup))
    }

    /// Reads and checks every variable.
    pub fn read(env: &Env) -> Result<Config, ConfigError> {
        let tenant_id = env.guid(&TENANT_ID)?.ok_or(ConfigError::Missing {
            var: TENANT_ID.name,
            expected: "a GUID such as 7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47, or an event naming a \
                       registered \"tenant\"",
        })?;
        let cloud = env
            .parsed(&CLOUD, str::parse::<Cloud>, |_| {
                "one of commercial, gcc, gcchigh, dod".into()
            })?
            .unwrap_or_default();
        Ok(Config {
            client_id: env.required(
                &CLIENT_ID,
                "the application (client) id of the Entra app registration",
            )?,
            secret: secret(env)?,
            audience: env.endpoint(&AUDIENCE, cloud.audience())?,
            authority: env.endpoint(&AUTHORITY, cloud.authority())?,
            cloud,
            token_version: token_version(env)?,
            content_types: match env.text(&CONTENT_TYPES) {
                None => vec![ContentType::GENERAL],
                Some(list) => parse_content_types(&list)?,
            },
            publisher_id: env
                .guid(&PUBLISHER_ID)?
                .unwrap_or_else(|| tenant_id.clone()),
            retry: retry_policy(env)?,
            tenant_id,
        })
    }
}

/// A certificate wins over a secret: it is what security teams ask for, and while an app moves
/// from one to the other both may be set.
fn secret(env: &Env) -> Result<SecretSource, ConfigError> {
    if let Some(arn) = env.text(&CLIENT_CERTIFICATE_ARN) {
        return Ok(SecretSource::Certificate(SecretRef::new(
            arn,
            CLIENT_CERTIFICATE_ARN.name,
        )));
    }
    match (env.text(&CLIENT_SECRET_ARN), env.text(&CLIENT_SECRET)) {
        (Some(arn), _) => Ok(SecretSource::SecretsManager(SecretRef::new(
            arn,
            CLIENT_SECRET_ARN.name,
        ))),
        (None, Some(plain)) => Ok(SecretSource::Plain(ClientSecret::new(plain))),
        (None, None) => Err(ConfigError::NoSecret {
            arn: CLIENT_SECRET_ARN.name,
            plain: CLIENT_SECRET.name,
        }),
    }
}

fn token_version(env: &Env) -> Result<TokenVersion, ConfigError> {
    let version = env.parsed(
        &TOKEN_VERSION,
        |value| match value {
            "1" | "v1" => Ok(TokenVersion::V1),
            "2" | "v2" => Ok(TokenVersion::V2),
            _ => Err(()),
        },
        |()| "v1 or v2".into(),
    )?;
    Ok(version.unwrap_or_default())
}

fn retry_policy(env: &Env) -> Result<RetryPolicy, ConfigError> {
    Ok(RetryPolicy {
        max_attempts: env.number(&MAX_RETRIES, 0..=50)? as u32 + 1,
        base_delay: Duration::from_millis(env.number(&RETRY_BASE_MS, 1..=60_000)?),
        max_total: Duration::from_secs(env.number(&RETRY_MAX_SECONDS, 1..=3_600)?),
        ..RetryPolicy::default()
    })
}

/// Reads a comma-separated list of content types, canonicalised and without repeats.
pub fn parse_content_types(list: &str) -> Result<Vec<ContentType>, ConfigError> {
    let invalid = |value: &str, expected: String| ConfigError::Invalid {
        var: CONTENT_TYPES.name,
        value: value.to_string(),
        expected,
    };
    let mut types = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parsed = ContentType::parse(item).ok_or_else(|| {
            invalid(
                item,
                format!(
                    "a comma-separated list of {}",
                    CONTENT_TYPE_NAMES.join(", ")
                ),
            )
        })?;
        if !types.contains(&parsed) {
            types.push(parsed);
        }
    }
    if types.is_empty() {
        return Err(invalid(
            list,
            "at least one content type, e.g. Audit.General".into(),
        ));
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::table;
    use std::collections::HashMap;

    const TENANT_ID: &str = table::TENANT_ID.name;
    const CLIENT_ID: &str = table::CLIENT_ID.name;
    const CLIENT_SECRET: &str = table::CLIENT_SECRET.name;
    const CLIENT_SECRET_ARN: &str = table::CLIENT_SECRET_ARN.name;
    const CLOUD: &str = table::CLOUD.name;
    const CONTENT_TYPES: &str = table::CONTENT_TYPES.name;
    const PUBLISHER_ID: &str = table::PUBLISHER_ID.name;
    const AUDIENCE: &str = table::AUDIENCE.name;
    const AUTHORITY: &str = table::AUTHORITY.name;
    const TOKEN_VERSION: &str = table::TOKEN_VERSION.name;
    const MAX_RETRIES: &str = table::MAX_RETRIES.name;

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
        assert_eq!(c.retry, RetryPolicy::default());
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
            SecretSource::SecretsManager(SecretRef::new(
                "arn:aws:secretsmanager:eu-west-1:1:secret:x",
                CLIENT_SECRET_ARN
            ))
        );
    }

    #[test]
    fn missing_values_name_the_variable() {
        assert_eq!(
            config(&[]).unwrap_err(),
            ConfigError::Missing {
                var: TENANT_ID,
                expected: "a GUID such as 7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47, or an event naming a \
                           registered \"tenant\""
            }
        );
        let err = config(&[(TENANT_ID, TENANT), (CLIENT_SECRET, "x")]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("AUDIT_LOGS_CLIENT_ID is not set"),
            "{err}"
        );
        let err = config(&[(TENANT_ID, TENANT), (CLIENT_ID, "c")]).unwrap_err();
        assert!(matches!(err, ConfigError::NoSecret { .. }));
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
}
