//! A registered tenant: what `add_tenant` stores, and the configuration it gives.
//!
//! A record is turned into a [`Config`] through the same reader as the variables, each field
//! standing in for its variable, so a tenant is checked by exactly the rules the single-tenant
//! deployment follows. The process-wide settings (retries, token version) still come from the
//! function's variables; nothing tenant-specific does.

use std::collections::HashMap;

use serde::Serialize;

use crate::config::{Config, ConfigError};
use crate::env::Env;
use crate::env::table::{self, Var};
use crate::secret::{SecretRef, SecretSource};

/// How a registered tenant proves it is the app: a Secrets Manager secret holding a client
/// secret, or one holding a certificate and its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantCredential {
    /// `client_secret_arn`.
    ClientSecretArn(String),
    /// `client_certificate_arn`.
    ClientCertificateArn(String),
}

impl TenantCredential {
    /// `secret` or `certificate`.
    pub fn kind(&self) -> &'static str {
        match self {
            TenantCredential::ClientSecretArn(_) => "secret",
            TenantCredential::ClientCertificateArn(_) => "certificate",
        }
    }

    /// The secret's name or ARN.
    pub fn arn(&self) -> &str {
        match self {
            TenantCredential::ClientSecretArn(arn)
            | TenantCredential::ClientCertificateArn(arn) => arn,
        }
    }
}

/// One tenant of the registry. Optional fields mean what their variables' defaults mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    /// The Directory ID, lower-cased.
    pub tenant_id: String,
    /// The app registration's client id in that tenant.
    pub client_id: String,
    /// Where its credential is.
    pub credential: TenantCredential,
    /// `commercial`, `gcc`, `gcchigh` or `dod`.
    pub cloud: Option<String>,
    /// The content types synced.
    pub content_types: Option<Vec<String>>,
    /// The `PublisherIdentifier`.
    pub publisher_id: Option<String>,
    /// The Management API root, when not the cloud's.
    pub audience: Option<String>,
    /// The Entra host, when not the cloud's.
    pub authority: Option<String>,
    /// When it was added (or last replaced), RFC 3339.
    pub added_at: String,
    /// When `remove_tenant` took it out: it is no longer synced, and its data stays readable.
    pub removed_at: Option<String>,
}

impl TenantRecord {
    /// The tenant's configuration, checked as the variables would be: a field that its
    /// variable would refuse is refused, named by its field.
    pub fn config(&self, process: &Env) -> Result<Config, ConfigError> {
        let fields = self.as_variables();
        let env = Env::new(|name| {
            if let Some(value) = fields.get(name) {
                return Some(value.clone());
            }
            // Only the process-wide settings fall through; another tenant's credentials or
            // cloud never do.
            PROCESS_WIDE
                .iter()
                .find(|var| var.name == name)
                .and_then(|var| process.text(var))
        });
        let mut config = Config::read(&env).map_err(|err| field_error(err, &self.tenant_id))?;
        config.secret = self.secret_source();
        Ok(config)
    }

    fn secret_source(&self) -> SecretSource {
        let named_by =
            |field: &str| format!("{field} of tenant {} in the registry", self.tenant_id);
        match &self.credential {
            TenantCredential::ClientSecretArn(arn) => {
                SecretSource::SecretsManager(SecretRef::new(arn, named_by("client_secret_arn")))
            }
            TenantCredential::ClientCertificateArn(arn) => {
                SecretSource::Certificate(SecretRef::new(arn, named_by("client_certificate_arn")))
            }
        }
    }

    fn as_variables(&self) -> HashMap<&'static str, String> {
        let mut vars = HashMap::from([
            (table::TENANT_ID.name, self.tenant_id.clone()),
            (table::CLIENT_ID.name, self.client_id.clone()),
            (
                match self.credential {
                    TenantCredential::ClientSecretArn(_) => table::CLIENT_SECRET_ARN.name,
                    TenantCredential::ClientCertificateArn(_) => table::CLIENT_CERTIFICATE_ARN.name,
                },
                self.credential.arn().to_string(),
            ),
        ]);
        let optional = [
            (table::CLOUD.name, self.cloud.clone()),
            (
                table::CONTENT_TYPES.name,
                self.content_types.as_ref().map(|t| t.join(",")),
            ),
            (table::PUBLISHER_ID.name, self.publisher_id.clone()),
            (table::AUDIENCE.name, self.audience.clone()),
            (table::AUTHORITY.name, self.authority.clone()),
        ];
        vars.extend(optional.into_iter().filter_map(|(k, v)| Some((k, v?))));
        vars
    }
}

/// The variables every tenant shares: how calls are retried and which token endpoint.
const PROCESS_WIDE: [Var; 4] = [
    table::TOKEN_VERSION,
    table::MAX_RETRIES,
    table::RETRY_BASE_MS,
    table::RETRY_MAX_SECONDS,
];

/// The registry field a variable stands for.
fn field_of(var: &str) -> &'static str {
    match var {
        "AUDIT_LOGS_TENANT_ID" => "tenant_id",
        "AUDIT_LOGS_CLIENT_ID" => "client_id",
        "AUDIT_LOGS_CLIENT_SECRET_ARN" => "client_secret_arn",
        "AUDIT_LOGS_CLIENT_CERTIFICATE_ARN" => "client_certificate_arn",
        "AUDIT_LOGS_CLOUD" => "cloud",
        "AUDIT_LOGS_CONTENT_TYPES" => "content_types",
        "AUDIT_LOGS_PUBLISHER_ID" => "publisher_id",
        "AUDIT_LOGS_AUDIENCE" => "audience",
        "AUDIT_LOGS_AUTHORITY" => "authority",
        _ => "",
    }
}

/// A variable's error restated in terms of the tenant's field, when it is about one.
fn field_error(err: ConfigError, tenant_id: &str) -> ConfigError {
    match err {
        ConfigError::Invalid {
            var,
            value,
            expected,
        } if !field_of(var).is_empty() => ConfigError::TenantField {
            tenant_id: tenant_id.to_string(),
            field: field_of(var),
            value,
            expected,
        },
        ConfigError::Missing { var, expected } if !field_of(var).is_empty() => {
            ConfigError::TenantField {
                tenant_id: tenant_id.to_string(),
                field: field_of(var),
                value: String::new(),
                expected: expected.to_string(),
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;

    fn record() -> TenantRecord {
        TenantRecord {
            tenant_id: "0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            credential: TenantCredential::ClientCertificateArn("audit-log-sync/fabrikam".into()),
            cloud: Some("gcc".into()),
            content_types: Some(vec!["audit.general".into(), "Audit.SharePoint".into()]),
            publisher_id: None,
            audience: None,
            authority: None,
            added_at: "2026-12-01T00:00:00Z".into(),
            removed_at: None,
        }
    }

    #[test]
    fn a_record_reads_like_its_variables() {
        let process = Env::new(|name| match name {
            // Neither of these may leak into a registered tenant.
            "AUDIT_LOGS_CLIENT_SECRET" => Some("the variables' tenant's secret".into()),
            "AUDIT_LOGS_AUDIENCE" => Some("https://other.example.com".into()),
            "AUDIT_LOGS_MAX_RETRIES" => Some("2".into()),
            _ => None,
        });
        let config = record().config(&process).unwrap();
        assert_eq!(config.cloud, Cloud::Gcc);
        assert_eq!(config.audience.as_str(), "https://manage-gcc.office.com/");
        assert_eq!(config.publisher_id, record().tenant_id);
        assert_eq!(config.retry.max_attempts, 3);
        assert_eq!(config.content_types.len(), 2);
        match config.secret {
            SecretSource::Certificate(secret) => {
                assert_eq!(secret.id, "audit-log-sync/fabrikam");
                assert!(
                    secret.named_by.contains("client_certificate_arn"),
                    "{secret}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_field_is_named_as_the_field() {
        let mut bad = record();
        bad.cloud = Some("mooncake".into());
        let err = bad.config(&Env::new(|_| None)).unwrap_err().to_string();
        assert!(err.starts_with("\"cloud\" of tenant 0b5d3e7a"), "{err}");
        let mut bad = record();
        bad.authority = Some("http://login.example.com".into());
        let err = bad.config(&Env::new(|_| None)).unwrap_err().to_string();
        assert!(
            err.contains("\"authority\"") && err.contains("loopback"),
            "{err}"
        );
    }
}
