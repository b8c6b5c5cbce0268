//! One record: validation, filtering and extraction of the stored fields.
//!
//! A record is read once, into a probe that borrows its strings from the JSON text and
//! skips every other field with `IgnoredAny`; no `serde_json::Value` is built. The
//! `PropertyCollection` is only captured as raw text and read when the record is kept
//! (or when the filter needs it), since most of an `Audit.General` blob is other
//! workloads that the default filter drops.

mod ids;
mod kind;
mod object;
mod probe;
mod properties;
mod scalar;

use std::borrow::Cow;

use serde_json::value::RawValue;

use crate::filter::OperationFilter;
use crate::model::{AppKind, AuditEvent};
use crate::rejection::{Rejection, RejectionKind, quote};
use crate::timestamp::parse_timestamp;

use ids::{is_guid, normalize_id, path_segment_after};
use kind::app_kind;
use probe::Probe;
use properties::Properties;
use scalar::Scalar;

/// An `Id` longer than this is refused: it is the storage key (DynamoDB allows 2 KiB
/// per partition key) and real ones are GUIDs.
pub const MAX_ID_BYTES: usize = 512;

/// Validates one record and, if the filter keeps it, extracts the stored fields.
///
/// `Ok(None)`: a valid record the filter does not keep (the app/flow fields are not
/// worked out for it). `Err`: a malformed record, i.e. not a JSON object, or without a
/// usable `Id`, `CreationTime` or integer `RecordType`. Unknown fields and unknown
/// `RecordType` numbers are fine.
pub fn classify(raw: &RawValue, filter: &OperationFilter) -> Result<Option<AuditEvent>, Rejection> {
    Ok(extract(raw.get(), filter)?.map(|mut event| {
        event.raw = raw.get().to_owned();
        event
    }))
}

/// [`classify`], moving the JSON text into the event instead of copying it.
pub(crate) fn classify_owned(
    raw: Box<RawValue>,
    filter: &OperationFilter,
) -> Result<Option<AuditEvent>, Rejection> {
    Ok(extract(raw.get(), filter)?.map(|mut event| {
        event.raw = Box::<str>::from(raw).into_string();
        event
    }))
}

/// Everything but `raw`, which the callers fill in from what they own.
fn extract(text: &str, filter: &OperationFilter) -> Result<Option<AuditEvent>, Rejection> {
    let mut probe = Probe::read(text)?;

    let id = match probe.id.take() {
        None | Some(Scalar::Null) => return Err(Rejection::new(RejectionKind::MissingId)),
        Some(Scalar::Str(id)) if id.trim().is_empty() => {
            return Err(Rejection::new(RejectionKind::MissingId));
        }
        Some(Scalar::Str(id)) if id.len() > MAX_ID_BYTES => {
            return Err(Rejection::with_detail(
                RejectionKind::InvalidId,
                format!("{} bytes, at most {MAX_ID_BYTES} allowed", id.len()),
            ));
        }
        Some(Scalar::Str(id)) => id,
        Some(other) => {
            return Err(Rejection::with_detail(
                RejectionKind::InvalidId,
                format!("got {other}"),
            ));
        }
    };

    let creation_time = match &probe.creation_time {
        None | Some(Scalar::Null) => {
            return Err(Rejection::with_detail(
                RejectionKind::MissingCreationTime,
                format!("record {}", quote(&id)),
            ));
        }
        Some(Scalar::Str(text)) => parse_timestamp(text).ok_or_else(|| {
            Rejection::with_detail(
                RejectionKind::InvalidCreationTime,
                format!("record {}: got {}", quote(&id), quote(text)),
            )
        })?,
        Some(other) => {
            return Err(Rejection::with_detail(
                RejectionKind::InvalidCreationTime,
                format!("record {}: got {other}", quote(&id)),
            ));
        }
    };

    let record_type = match &probe.record_type {
        Some(Scalar::Int(n)) => *n,
        None | Some(Scalar::Null) => {
            return Err(Rejection::with_detail(
                RejectionKind::MissingRecordType,
                format!("record {}", quote(&id)),
            ));
        }
        Some(other) => {
            return Err(Rejection::with_detail(
                RejectionKind::InvalidRecordType,
                format!("record {}: got {other}", quote(&id)),
            ));
        }
    };

    let operation = probe.operation.as_deref().unwrap_or("");
    let workload = probe.workload.as_deref().unwrap_or("");
    let mut properties = None;
    let kept = filter.keeps(operation, workload, record_type, || {
        properties
            .get_or_insert_with(|| Properties::read(probe.property_collection))
            .about_app_or_flow()
    });
    if !kept {
        return Ok(None);
    }
    let props = properties.unwrap_or_else(|| Properties::read(probe.property_collection));

    let app_kind = app_kind(&probe, &props, record_type);
    let app_id = match app_kind {
        AppKind::PowerApp => non_empty(&props.app_id)
            .or_else(|| non_empty(&probe.app_name))
            .or_else(|| non_empty(&probe.object_id).filter(|id| is_guid(id))),
        AppKind::Flow => non_empty(&props.flow_id)
            .or_else(|| {
                probe
                    .flow_details_url
                    .as_deref()
                    .and_then(|url| path_segment_after(url, "/flows/"))
                    .filter(|id| is_guid(id))
            })
            .or_else(|| non_empty(&probe.object_id)),
        AppKind::Other => None,
    }
    .map(normalize_id);
    let app_display_name = match app_kind {
        AppKind::Flow => non_empty(&props.flow_display_name),
        _ => non_empty(&props.app_display_name),
    }
    .or_else(|| non_empty(&probe.app_display_name))
    .map(str::to_owned);
    let environment_id = non_empty(&props.environment_id)
        .or_else(|| non_empty(&probe.environment_id))
        .or_else(|| non_empty(&probe.environment_name))
        .or_else(|| {
            probe
                .flow_details_url
                .as_deref()
                .and_then(|url| path_segment_after(url, "/environments/"))
                .filter(|env| !env.is_empty())
        })
        .map(str::to_owned);
    let user_upn = non_empty(&probe.user_id)
        .or_else(|| non_empty(&props.principal_name))
        .map(str::to_owned);

    Ok(Some(AuditEvent {
        id: id.into_owned(),
        creation_time,
        operation: operation.to_owned(),
        workload: workload.to_owned(),
        record_type,
        app_id,
        app_kind,
        app_display_name,
        environment_id,
        user_upn,
        user_key: non_empty(&probe.user_key).map(str::to_owned),
        result_status: non_empty(&probe.result_status).map(str::to_owned),
        client_ip: non_empty(&probe.client_ip).map(str::to_owned),
        raw: String::new(),
    }))
}

fn non_empty<'s>(value: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}
