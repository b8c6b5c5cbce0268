//! One record: validation, filtering and extraction of the stored fields.
//!
//! A record is read once, into a probe that borrows its strings from the JSON text and
//! skips every other field with `IgnoredAny`; no `serde_json::Value` is built. The
//! `PropertyCollection` is only captured as raw text and read when the record is kept
//! (or when the filter needs it), since most of an `Audit.General` blob is other
//! workloads that the default filter drops.

mod agent;
mod ids;
mod keys;
mod kind;
mod object;
mod probe;
mod properties;
mod required;
mod scalar;
mod skim;
mod sources;

use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::filter::OperationFilter;
use crate::model::AuditEvent;
use crate::rejection::Rejection;

use probe::Probe;
use properties::Properties;
use required::Required;

pub use keys::{MAX_APP_ID_BYTES, MAX_USER_BYTES};
pub use required::{MAX_ID_BYTES, TimeBounds};
pub(crate) use skim::worth_parsing;

/// Validates one record and, if the filter keeps it, extracts the stored fields.
///
/// `Ok(None)`: a valid record the filter does not keep (the app/flow fields are not
/// worked out for it). `Err`: a malformed record, i.e. not a JSON object, or without a
/// usable `Id`, `CreationTime` or integer `RecordType`. Unknown fields and unknown
/// `RecordType` numbers are fine.
pub fn classify(raw: &RawValue, filter: &OperationFilter) -> Result<Option<AuditEvent>, Rejection> {
    let bounds = TimeBounds::around(OffsetDateTime::now_utc());
    Ok(extract(raw.get(), filter, &bounds)?.map(|mut event| {
        event.raw = raw.get().to_owned();
        event
    }))
}

/// [`classify`] on text the caller owns elsewhere: it is copied into the event only if kept.
pub(crate) fn classify_text(
    text: &str,
    filter: &OperationFilter,
    bounds: &TimeBounds,
) -> Result<Option<AuditEvent>, Rejection> {
    Ok(extract(text, filter, bounds)?.map(|mut event| {
        event.raw = text.to_owned();
        event
    }))
}

/// Everything but `raw`, which the callers fill in from what they own.
fn extract(
    text: &str,
    filter: &OperationFilter,
    bounds: &TimeBounds,
) -> Result<Option<AuditEvent>, Rejection> {
    let mut probe = Probe::read(text)?;
    let required = Required::take(&mut probe, bounds)?;
    let Some(props) = kept(&probe, required.record_type, filter) else {
        return Ok(None);
    };
    let event = sources::event(required, &probe, &props);
    keys::check(&event)?;
    Ok(Some(event))
}

/// Asks the filter; for a kept record, its `PropertyCollection`. That is parsed at
/// most once, and for a dropped record only if the filter needed it.
fn kept<'a>(
    probe: &Probe<'a>,
    record_type: i64,
    filter: &OperationFilter,
) -> Option<Properties<'a>> {
    let operation = probe.operation.as_deref().unwrap_or("");
    let workload = probe.workload.as_deref().unwrap_or("");
    let mut properties = None;
    let keeps = filter.keeps(
        operation,
        workload,
        record_type,
        || {
            properties
                .get_or_insert_with(|| Properties::read(probe.property_collection))
                .about_app_or_flow()
        },
        || agent::about_agent(probe),
    );
    if !keeps {
        return None;
    }
    Some(properties.unwrap_or_else(|| Properties::read(probe.property_collection)))
}
