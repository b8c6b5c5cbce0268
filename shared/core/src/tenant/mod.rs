//! Many tenants from one deployment: which tenant an invocation is for, and where its
//! configuration and items are.
//!
//! The tenant the function's variables configure (if any) keeps today's layout: its items have
//! no prefix. A tenant of the registry (the state table's `TENANTS` partition, managed with
//! `add_tenant` / `remove_tenant`) has its own configuration there, and every one of its items
//! has a partition key beginning `T#{tenant}#` ([`Store::for_tenant`]).

mod admin;
mod cache;
mod record;

pub use admin::{
    AddTenant, TenantChange, TenantEntry, TenantSource, add_tenant, list_tenants, remove_tenant,
};
pub use cache::TenantCache;
pub use record::{TenantCredential, TenantRecord};

use crate::config::{Config, ConfigError};
use crate::env::Env;
use crate::env::is_guid;
use crate::store::{Store, StoreError};

/// Why an invocation's tenant cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// `"tenant"` is not a Directory ID.
    #[error("\"{field}\" is {value:?}: expected a tenant's Directory ID, a GUID")]
    NotAGuid {
        /// `tenant` or `tenant_id`.
        field: &'static str,
        /// As given.
        value: String,
    },
    /// Neither registered nor the variables' tenant.
    #[error(
        "tenant {0} is not registered: add it with {{\"operation\": \"add_tenant\", \"tenant_id\": \
         ..., \"client_id\": ..., \"client_secret_arn\" or \"client_certificate_arn\": ...}}, or see \
         the registered tenants with {{\"operation\": \"list_tenants\"}}"
    )]
    NotRegistered(String),
    /// Outside `AUDIT_LOGS_REPORT_TENANTS`.
    #[error(
        "this report function may not read tenant {0}: it reads only the tenants in \
         AUDIT_LOGS_REPORT_TENANTS"
    )]
    NotReadable(String),
    /// No `"tenant"`, from a limited function without a variables' tenant.
    #[error(
        "name the tenant to report on with \"tenant\": this report function reads only the \
         tenants in AUDIT_LOGS_REPORT_TENANTS"
    )]
    NameATenant,
    /// The all-tenants summary from a function limited to some tenants.
    #[error(
        "the all-tenants summary needs a report function that may read every tenant; this one \
         reads only the tenants in AUDIT_LOGS_REPORT_TENANTS"
    )]
    NotEveryTenant,
    /// Taken out with `remove_tenant`.
    #[error(
        "tenant {tenant_id} was removed at {at}: it is not synced; its data is kept and can be \
         reported on. Add it again with add_tenant to resume from where it stopped"
    )]
    Removed {
        /// The tenant.
        tenant_id: String,
        /// When.
        at: String,
    },
    /// `add_tenant` for the tenant the variables configure.
    #[error(
        "tenant {0} is the one this deployment's variables configure; it is synced already. \
         Change its settings through the variables"
    )]
    IsTheVariablesTenant(String),
    /// An `add_tenant` that is incomplete or contradictory.
    #[error("{0}")]
    Input(String),
    /// The tenant's configuration (from the variables or its record) is not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The registry could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An invocation's tenant: its configuration, and the store as that tenant sees it.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The Directory ID.
    pub tenant_id: String,
    /// Where it is configured.
    pub source: TenantSource,
    /// Its API configuration.
    pub config: Config,
    /// Both tables, scoped to it.
    pub store: Store,
}

/// A `"tenant"` as given, checked and lower-cased.
pub fn tenant_id(field: &'static str, value: &str) -> Result<String, TenantError> {
    let id = value.trim().to_ascii_lowercase();
    if is_guid(&id) {
        Ok(id)
    } else {
        Err(TenantError::NotAGuid {
            field,
            value: value.to_string(),
        })
    }
}

/// The tenant `tenant` names, or without it the variables' tenant. `variables` is the
/// variables' configuration as read at cold start; `store` is unscoped.
pub async fn resolve(
    store: &Store,
    variables: &Result<Config, ConfigError>,
    process: &Env<'_>,
    tenant: Option<&str>,
) -> Result<Tenant, TenantError> {
    let Some(given) = tenant else {
        return Ok(variables_tenant(store, variables.clone()?));
    };
    let id = tenant_id("tenant", given)?;
    match variables {
        Ok(config) if config.tenant_id == id => return Ok(variables_tenant(store, config.clone())),
        Err(err) if variables_tenant_id(process).as_deref() == Some(id.as_str()) => {
            return Err(err.clone().into());
        }
        _ => {}
    }
    let record = store
        .tenant(&id)
        .await?
        .ok_or_else(|| TenantError::NotRegistered(id.clone()))?;
    if let Some(at) = record.removed_at {
        return Err(TenantError::Removed { tenant_id: id, at });
    }
    Ok(Tenant {
        config: record.config(process)?,
        store: store.for_tenant(&id),
        source: TenantSource::Registry,
        tenant_id: id,
    })
}

/// `AUDIT_LOGS_TENANT_ID` as set, lower-cased, even when the rest of the variables are wrong.
fn variables_tenant_id(process: &Env<'_>) -> Option<String> {
    process
        .text(&crate::env::table::TENANT_ID)
        .map(|id| id.trim().to_ascii_lowercase())
}

fn variables_tenant(store: &Store, config: Config) -> Tenant {
    Tenant {
        tenant_id: config.tenant_id.clone(),
        source: TenantSource::Variables,
        store: store.clone(),
        config,
    }
}

/// The tenants a report may read: `AUDIT_LOGS_REPORT_TENANTS`, or every tenant when unset.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ReadableTenants {
    /// Every tenant: the all-tenants summary is allowed.
    #[default]
    All,
    /// Only these Directory IDs.
    Only(Vec<String>),
}

impl ReadableTenants {
    /// From `AUDIT_LOGS_REPORT_TENANTS` (comma-separated Directory IDs).
    pub fn read(env: &Env<'_>) -> Result<ReadableTenants, ConfigError> {
        let var = &crate::env::table::REPORT_TENANTS;
        let Some(list) = env.text(var) else {
            return Ok(ReadableTenants::All);
        };
        let mut ids = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let id = tenant_id("tenant", item).map_err(|_| ConfigError::Invalid {
                var: var.name,
                value: item.to_string(),
                expected: "a comma-separated list of tenant Directory IDs (GUIDs)".into(),
            })?;
            ids.push(id);
        }
        Ok(ReadableTenants::Only(ids))
    }

    fn allows(&self, tenant_id: &str) -> bool {
        match self {
            ReadableTenants::All => true,
            ReadableTenants::Only(ids) => ids.iter().any(|id| id == tenant_id),
        }
    }
}

/// The tenant a report reads, and the store scoped to it.
#[derive(Debug, Clone)]
pub struct ReportTenant {
    /// Its Directory ID, when known (the variables may not name one).
    pub tenant_id: Option<String>,
    /// Where it is configured.
    pub source: TenantSource,
    /// When it was removed from the registry, if it was.
    pub removed_at: Option<String>,
    /// The events table, scoped to it.
    pub store: Store,
}

/// The tenant a report is for: `tenant`, or the variables' tenant. A removed tenant can still
/// be reported on, since its data is kept.
pub async fn report_tenant(
    store: &Store,
    process: &Env<'_>,
    readable: &ReadableTenants,
    tenant: Option<&str>,
) -> Result<ReportTenant, TenantError> {
    let variables = variables_tenant_id(process);
    let Some(given) = tenant else {
        match &variables {
            Some(id) if !readable.allows(id) => return Err(TenantError::NotReadable(id.clone())),
            // Unprefixed items with no variables' tenant belong to no tenant this function
            // may read.
            None if *readable != ReadableTenants::All => return Err(TenantError::NameATenant),
            _ => {}
        }
        return Ok(ReportTenant {
            tenant_id: variables,
            source: TenantSource::Variables,
            removed_at: None,
            store: store.clone(),
        });
    };
    let id = tenant_id("tenant", given)?;
    if !readable.allows(&id) {
        return Err(TenantError::NotReadable(id));
    }
    if variables.as_deref() == Some(id.as_str()) {
        return Ok(ReportTenant {
            tenant_id: Some(id),
            source: TenantSource::Variables,
            removed_at: None,
            store: store.clone(),
        });
    }
    let record = store
        .tenant(&id)
        .await?
        .ok_or_else(|| TenantError::NotRegistered(id.clone()))?;
    Ok(ReportTenant {
        store: store.for_tenant(&id),
        tenant_id: Some(id),
        source: TenantSource::Registry,
        removed_at: record.removed_at,
    })
}

/// Every tenant with data a report can read: the variables' tenant (if set) and every
/// registry record, removed ones included. Only for a report that may read every tenant.
pub async fn every_tenant(
    store: &Store,
    process: &Env<'_>,
    readable: &ReadableTenants,
) -> Result<Vec<ReportTenant>, TenantError> {
    if *readable != ReadableTenants::All {
        return Err(TenantError::NotEveryTenant);
    }
    let mut tenants = Vec::new();
    if let Some(id) = variables_tenant_id(process) {
        tenants.push(ReportTenant {
            tenant_id: Some(id),
            source: TenantSource::Variables,
            removed_at: None,
            store: store.clone(),
        });
    }
    for record in store.tenants().await? {
        // A broken registry item names no tenant whose data could be read.
        let Ok(record) = record else { continue };
        tenants.push(ReportTenant {
            store: store.for_tenant(&record.tenant_id),
            tenant_id: Some(record.tenant_id),
            source: TenantSource::Registry,
            removed_at: record.removed_at,
        });
    }
    Ok(tenants)
}
