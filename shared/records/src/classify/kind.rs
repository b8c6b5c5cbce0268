//! Whether a record is about a Power App, a flow or something else.

use super::agent::about_agent;
use super::probe::Probe;
use super::properties::Properties;
use crate::model::{AppKind, is_agent_authoring, record_type};

/// In the order of the crate documentation: the `PropertyCollection`, then agent authoring
/// and agent turns, then the `RecordType`, then the `Workload`.
pub(super) fn app_kind(probe: &Probe<'_>, props: &Properties<'_>, record_type: i64) -> AppKind {
    let resource_type = props.resource_type.as_deref().unwrap_or("");
    if props.app_id.is_some() || resource_type.eq_ignore_ascii_case("PowerApp") {
        return AppKind::PowerApp;
    }
    if props.flow_id.is_some() || is_flow_resource_type(resource_type) {
        return AppKind::Flow;
    }
    if is_agent_authoring(probe.operation.as_deref().unwrap_or("")) || about_agent(probe) {
        return AppKind::Agent;
    }
    match record_type {
        record_type::POWER_APPS_APP
        | record_type::POWER_APPS_PLAN
        | record_type::POWER_APPS_RESOURCE => return AppKind::PowerApp,
        record_type::MICROSOFT_FLOW => return AppKind::Flow,
        _ => {}
    }
    let workload = probe.workload.as_deref().unwrap_or("");
    if workload.eq_ignore_ascii_case("PowerApps") {
        AppKind::PowerApp
    } else if workload.eq_ignore_ascii_case("MicrosoftFlow")
        || workload.eq_ignore_ascii_case("PowerAutomate")
    {
        AppKind::Flow
    } else {
        AppKind::Other
    }
}

pub(super) fn is_flow_resource_type(resource_type: &str) -> bool {
    resource_type.eq_ignore_ascii_case("CloudFlow") || resource_type.eq_ignore_ascii_case("Flow")
}
