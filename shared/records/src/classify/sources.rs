//! Where each stored field comes from: the sources of the crate documentation's table,
//! tried in order, an empty string counting as absent.

use std::borrow::Cow;

use super::agent;
use super::ids::{is_guid, normalize_id, path_segment_after};
use super::kind::app_kind;
use super::probe::Probe;
use super::properties::Properties;
use super::required::Required;
use crate::model::{AppKind, AuditEvent, is_agent_authoring};

/// The event of a kept record, without `raw`, which the callers fill in from what
/// they own.
pub(super) fn event(
    required: Required<'_>,
    probe: &Probe<'_>,
    props: &Properties<'_>,
) -> AuditEvent {
    let app_kind = app_kind(probe, props, required.record_type);
    let agent = app_kind == AppKind::Agent;
    let environment_id = environment_id(probe, props);
    AuditEvent {
        id: required.id.into_owned(),
        creation_time: required.creation_time,
        operation: probe.operation.as_deref().unwrap_or("").to_owned(),
        workload: probe.workload.as_deref().unwrap_or("").to_owned(),
        record_type: required.record_type,
        app_id: app_id(app_kind, probe, props),
        app_kind,
        app_display_name: app_display_name(app_kind, probe, props),
        environment_name: environment_name(probe, props, environment_id.as_deref()),
        environment_id,
        bot_id: agent
            .then(|| agent::bot_id(probe).map(normalize_id))
            .flatten(),
        conversation_id: agent.then(|| agent::conversation_id(probe)).flatten(),
        user_upn: user_upn(probe, props),
        user_key: owned(&probe.user_key),
        result_status: owned(&probe.result_status),
        client_ip: owned(&probe.client_ip),
        raw: String::new(),
    }
}

fn app_id(kind: AppKind, probe: &Probe<'_>, props: &Properties<'_>) -> Option<String> {
    match kind {
        AppKind::PowerApp => non_empty(&props.app_id)
            .or_else(|| non_empty(&probe.app_name))
            .or_else(|| non_empty(&probe.object_id).filter(|id| is_guid(id))),
        AppKind::Flow => non_empty(&props.flow_id)
            .or_else(|| flow_url_segment(probe, "/flows/").filter(|id| is_guid(id)))
            .or_else(|| non_empty(&probe.object_id)),
        AppKind::Agent if is_agent_authoring(probe.operation.as_deref().unwrap_or("")) => {
            non_empty(&probe.bot_id).or_else(|| agent::agent_id(probe))
        }
        AppKind::Agent => agent::agent_id(probe),
        AppKind::Other => None,
    }
    .map(normalize_id)
}

fn app_display_name(kind: AppKind, probe: &Probe<'_>, props: &Properties<'_>) -> Option<String> {
    match kind {
        AppKind::Flow => non_empty(&props.flow_display_name),
        AppKind::Agent => non_empty(&probe.agent_name).or_else(|| non_empty(&probe.bot_name)),
        _ => non_empty(&props.app_display_name),
    }
    .or_else(|| non_empty(&probe.app_display_name))
    .map(str::to_owned)
}

fn environment_id(probe: &Probe<'_>, props: &Properties<'_>) -> Option<String> {
    non_empty(&props.environment_id)
        .or_else(|| non_empty(&probe.environment_id))
        .or_else(|| non_empty(&probe.environment_name))
        .or_else(|| flow_url_segment(probe, "/environments/").filter(|env| !env.is_empty()))
        .or_else(|| agent::environment(probe))
        .map(normalize_id)
}

/// PC `environment.name`; else `EnvironmentName` when it is a display name beside an id given
/// elsewhere (the older launch shape puts the environment's id there).
fn environment_name(
    probe: &Probe<'_>,
    props: &Properties<'_>,
    environment_id: Option<&str>,
) -> Option<String> {
    non_empty(&props.environment_name)
        .or_else(|| {
            non_empty(&probe.environment_name)
                .filter(|name| environment_id.is_some_and(|id| !id.eq_ignore_ascii_case(name)))
        })
        .map(str::to_owned)
}

fn user_upn(probe: &Probe<'_>, props: &Properties<'_>) -> Option<String> {
    non_empty(&probe.user_id)
        .or_else(|| non_empty(&props.principal_name))
        .map(str::to_owned)
}

/// The segment after `marker` in the record's `FlowDetailsUrl`.
fn flow_url_segment<'p>(probe: &'p Probe<'_>, marker: &str) -> Option<&'p str> {
    probe
        .flow_details_url
        .as_deref()
        .and_then(|url| path_segment_after(url, marker))
}

fn owned(value: &Option<Cow<'_, str>>) -> Option<String> {
    non_empty(value).map(str::to_owned)
}

fn non_empty<'s>(value: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}
