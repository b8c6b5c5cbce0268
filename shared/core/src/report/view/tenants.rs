//! `{"view": "tenants"}`: every tenant's totals over the range, for whoever may read every
//! tenant. Each tenant is read through its own scoped store, one after another, so the sums
//! never mix two tenants' summaries.

use serde::Serialize;

use crate::report::{Report, ReportRequest, Totals, build};
use crate::store::StoreError;
use crate::tenant::{ReportTenant, TenantSource};

/// One tenant's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantUsage {
    /// Its Directory ID (`null` for a deployment whose variables name none).
    pub tenant_id: Option<String>,
    /// `variables` or `registry`.
    pub source: TenantSource,
    /// When it was removed from the registry, if it was: its data is still counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<String>,
    /// Its launches, unique users and apps in the range.
    pub totals: Totals,
    /// Its newest launch in the range.
    pub last_launched: Option<String>,
}

/// The all-tenants summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantsReport {
    /// Always `tenants`.
    pub view: &'static str,
    /// The first day.
    pub from: String,
    /// The last day.
    pub to: String,
    /// One row per tenant, most launches first.
    pub tenants: Vec<TenantUsage>,
    /// The sums over the tenants (users of two tenants are different people).
    pub totals: Totals,
}

/// Reads each tenant's apps report and keeps its totals.
pub async fn read(
    tenants: &[ReportTenant],
    request: &ReportRequest,
) -> Result<TenantsReport, StoreError> {
    let mut rows = Vec::with_capacity(tenants.len());
    for tenant in tenants {
        let report = build(&tenant.store, request).await?;
        rows.push(row(tenant, &report));
    }
    rows.sort_by(|a, b| {
        b.totals
            .launches
            .cmp(&a.totals.launches)
            .then_with(|| a.tenant_id.cmp(&b.tenant_id))
    });
    let totals = Totals {
        launches: rows.iter().map(|r| r.totals.launches).sum(),
        unique_users: rows.iter().map(|r| r.totals.unique_users).sum(),
        apps: rows.iter().map(|r| r.totals.apps).sum(),
    };
    Ok(TenantsReport {
        view: "tenants",
        from: request.from.to_string(),
        to: request.to.to_string(),
        tenants: rows,
        totals,
    })
}

fn row(tenant: &ReportTenant, report: &Report) -> TenantUsage {
    TenantUsage {
        tenant_id: tenant.tenant_id.clone(),
        source: tenant.source,
        removed_at: tenant.removed_at.clone(),
        totals: report.totals.clone(),
        last_launched: report
            .apps
            .iter()
            .filter_map(|a| a.last_launched.clone())
            .max(),
    }
}
