//! `add_tenant`, `remove_tenant` and `list_tenants`: the registry as `audit-subscription`
//! manages it. Nothing here calls Microsoft: a tenant is checked by the same rules as the
//! variables, and its first `start` shows whether its credential works.

use serde::Serialize;
use time::OffsetDateTime;

use super::{TenantCredential, TenantError, TenantRecord, tenant_id, variables_tenant_id};
use crate::config::{Config, ConfigError};
use crate::env::Env;
use crate::store::Store;
use audit_records::{UtcStyle, format_utc};

/// Where a tenant is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TenantSource {
    /// The function's variables (the single-tenant deployment).
    Variables,
    /// The registry.
    Registry,
}

/// The fields of an `add_tenant` event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddTenant {
    /// The Directory ID.
    pub tenant_id: Option<String>,
    /// The app registration's client id.
    pub client_id: Option<String>,
    /// A Secrets Manager secret holding the client secret.
    pub client_secret_arn: Option<String>,
    /// A Secrets Manager secret holding the certificate and key.
    pub client_certificate_arn: Option<String>,
    /// The cloud.
    pub cloud: Option<String>,
    /// Content types.
    pub content_types: Option<Vec<String>>,
    /// The publisher id.
    pub publisher_id: Option<String>,
    /// The API root.
    pub audience: Option<String>,
    /// The Entra host.
    pub authority: Option<String>,
}

/// One tenant as `list_tenants` shows it: what the fan-out iterates over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantEntry {
    /// The Directory ID.
    pub tenant_id: String,
    /// Where it is configured.
    pub source: TenantSource,
    /// The app registration's client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `secret` or `certificate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<&'static str>,
    /// The cloud's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<&'static str>,
    /// The content types synced.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub content_types: Vec<String>,
    /// When it was added (registry tenants).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_at: Option<String>,
    /// Why its configuration cannot be used; its sync reports the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TenantEntry {
    /// The tenant, with nothing known of it yet.
    fn bare(tenant_id: String, source: TenantSource) -> Self {
        TenantEntry {
            tenant_id,
            source,
            client_id: None,
            credential: None,
            cloud: None,
            content_types: Vec::new(),
            added_at: None,
            error: None,
        }
    }

    fn new(tenant_id: String, source: TenantSource, config: Result<Config, ConfigError>) -> Self {
        let mut entry = TenantEntry::bare(tenant_id, source);
        match config {
            Ok(config) => {
                entry.client_id = Some(config.client_id.clone());
                entry.credential = Some(config.secret.kind());
                entry.cloud = Some(config.cloud.name());
                entry.content_types = config.content_types.iter().map(|t| t.to_string()).collect();
            }
            Err(err) => entry.error = Some(err.to_string()),
        }
        entry
    }
}

/// What `add_tenant` and `remove_tenant` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantChange {
    /// The tenant.
    pub tenant: TenantEntry,
    /// `add_tenant`: whether it replaced a record. `remove_tenant`: whether it was registered.
    pub existed: bool,
}

/// Checks and stores a tenant. Replacing a tenant's record (a new secret ARN, say) takes
/// effect on its next run; its watermark and data stay.
pub async fn add_tenant(
    store: &Store,
    process: &Env<'_>,
    add: AddTenant,
    now: OffsetDateTime,
) -> Result<TenantChange, TenantError> {
    let record = record_of(add, now)?;
    if variables_tenant_id(process).as_deref() == Some(record.tenant_id.as_str()) {
        return Err(TenantError::IsTheVariablesTenant(record.tenant_id));
    }
    let config = record.config(process)?;
    let existed = store.put_tenant(&record).await?;
    tracing::info!(tenant = %record.tenant_id, existed, "tenant registered");
    let mut entry = TenantEntry::new(record.tenant_id.clone(), TenantSource::Registry, Ok(config));
    entry.added_at = Some(record.added_at);
    Ok(TenantChange {
        tenant: entry,
        existed,
    })
}

/// Takes a tenant out of the registry: it is no longer synced; its items stay where they are,
/// and adding it again resumes from its watermark.
pub async fn remove_tenant(
    store: &Store,
    process: &Env<'_>,
    given: Option<&str>,
) -> Result<TenantChange, TenantError> {
    let given = given.ok_or_else(|| {
        TenantError::Input(
            "remove_tenant needs \"tenant_id\": the Directory ID of the tenant to remove".into(),
        )
    })?;
    let id = tenant_id("tenant_id", given)?;
    if variables_tenant_id(process).as_deref() == Some(id.as_str()) {
        return Err(TenantError::Input(format!(
            "tenant {id} is configured by this deployment's variables, not the registry: \
             unset AUDIT_LOGS_TENANT_ID to stop syncing it"
        )));
    }
    let now = format_utc(OffsetDateTime::now_utc(), UtcStyle::Seconds);
    let removed = store.remove_tenant(&id, &now).await?;
    tracing::info!(tenant = %id, existed = removed.is_some(), "tenant removed");
    let entry = TenantEntry {
        client_id: removed.as_ref().map(|r| r.client_id.clone()),
        credential: removed.as_ref().map(|r| r.credential.kind()),
        added_at: removed.as_ref().map(|r| r.added_at.clone()),
        ..TenantEntry::bare(id, TenantSource::Registry)
    };
    Ok(TenantChange {
        tenant: entry,
        existed: removed.is_some(),
    })
}

/// Every tenant to sync: the variables' tenant first (when `AUDIT_LOGS_TENANT_ID` is set),
/// then the registry's.
pub async fn list_tenants(
    store: &Store,
    process: &Env<'_>,
    variables: &Result<Config, ConfigError>,
) -> Result<Vec<TenantEntry>, TenantError> {
    let mut entries = Vec::new();
    if let Some(id) = variables_tenant_id(process) {
        let config = variables.clone();
        let id = config.as_ref().map_or(id, |c| c.tenant_id.clone());
        entries.push(TenantEntry::new(id, TenantSource::Variables, config));
    }
    for record in store.tenants().await? {
        let record = match record {
            Ok(record) => record,
            // Listed with its error: its sync reports the same, and the others run.
            Err((tenant_id, err)) => {
                entries.push(TenantEntry {
                    error: Some(err.to_string()),
                    ..TenantEntry::bare(tenant_id, TenantSource::Registry)
                });
                continue;
            }
        };
        if record.removed_at.is_some() {
            continue;
        }
        let mut entry = TenantEntry::new(
            record.tenant_id.clone(),
            TenantSource::Registry,
            record.config(process),
        );
        entry.added_at = Some(record.added_at.clone());
        entries.push(entry);
    }
    Ok(entries)
}

/// Longer than any real id, ARN or URL: a field past it is a mistake, refused before it can
/// make an item DynamoDB refuses.
const FIELD_MAX_CHARS: usize = 2048;

fn check_lengths(add: &AddTenant) -> Result<(), TenantError> {
    let fields = [
        ("tenant_id", &add.tenant_id),
        ("client_id", &add.client_id),
        ("client_secret_arn", &add.client_secret_arn),
        ("client_certificate_arn", &add.client_certificate_arn),
        ("cloud", &add.cloud),
        ("publisher_id", &add.publisher_id),
        ("audience", &add.audience),
        ("authority", &add.authority),
    ];
    let types = add
        .content_types
        .iter()
        .flatten()
        .map(|t| ("content_types", t));
    let long = fields
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.as_ref()?)))
        .chain(types)
        .find(|(_, value)| value.chars().count() > FIELD_MAX_CHARS);
    match long {
        Some((name, _)) => Err(TenantError::Input(format!(
            "\"{name}\" is longer than {FIELD_MAX_CHARS} characters: no id, ARN or URL is"
        ))),
        None if add.content_types.as_ref().is_some_and(|t| t.len() > 16) => Err(
            TenantError::Input("\"content_types\" names more than the API's 5 types".into()),
        ),
        None => Ok(()),
    }
}

fn record_of(add: AddTenant, now: OffsetDateTime) -> Result<TenantRecord, TenantError> {
    check_lengths(&add)?;
    let missing = |field: &str, what: &str| {
        TenantError::Input(format!("add_tenant needs \"{field}\": {what}"))
    };
    let tenant = add
        .tenant_id
        .ok_or_else(|| missing("tenant_id", "the tenant's Directory ID"))?;
    let client_id = add
        .client_id
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| {
            missing(
                "client_id",
                "the app registration's client id in that tenant",
            )
        })?;
    let credential = match (add.client_secret_arn, add.client_certificate_arn) {
        (Some(_), Some(_)) => {
            return Err(TenantError::Input(
                "add_tenant takes \"client_secret_arn\" or \"client_certificate_arn\", not both"
                    .into(),
            ));
        }
        (Some(arn), None) => TenantCredential::ClientSecretArn(arn.trim().to_string()),
        (None, Some(arn)) => TenantCredential::ClientCertificateArn(arn.trim().to_string()),
        (None, None) => {
            return Err(missing(
                "client_secret_arn\" or \"client_certificate_arn",
                "the Secrets Manager secret holding the tenant's client secret or certificate",
            ));
        }
    };
    if credential.arn().is_empty() {
        return Err(TenantError::Input(format!(
            "the {} credential's secret name or ARN is empty",
            credential.kind()
        )));
    }
    Ok(TenantRecord {
        tenant_id: tenant_id("tenant_id", &tenant)?,
        client_id: client_id.trim().to_string(),
        credential,
        cloud: add.cloud,
        content_types: add.content_types,
        publisher_id: add.publisher_id,
        audience: add.audience,
        authority: add.authority,
        added_at: format_utc(now, UtcStyle::Seconds),
        removed_at: None,
    })
}
