//! The fields every record must have, `Id`, `CreationTime` and an integer
//! `RecordType`, and the rejection when one is missing or unusable.

use std::borrow::Cow;

use time::OffsetDateTime;

use super::probe::Probe;
use super::scalar::Scalar;
use crate::rejection::{Rejection, RejectionKind, quote};
use crate::timestamp::parse_timestamp;

/// An `Id` longer than this is refused: it is the storage key (DynamoDB allows 2 KiB
/// per partition key) and real ones are GUIDs.
pub const MAX_ID_BYTES: usize = 512;

/// The `CreationTime`s a real record can have: from 2000 to a day after the reading clock
/// (room for clock skew, never for a record dated years ahead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBounds {
    /// The earliest accepted.
    pub earliest: OffsetDateTime,
    /// The latest accepted.
    pub latest: OffsetDateTime,
}

impl TimeBounds {
    /// The bounds for records read at `now`.
    pub fn around(now: OffsetDateTime) -> TimeBounds {
        TimeBounds {
            earliest: time::macros::datetime!(2000-01-01 00:00 UTC),
            latest: now + time::Duration::days(1),
        }
    }

    #[inline]
    fn check(&self, time: OffsetDateTime, id: &str, text: &str) -> Result<(), Rejection> {
        if time < self.earliest || time > self.latest {
            return Err(Rejection::with_detail(
                RejectionKind::ImplausibleCreationTime,
                format!("record {}: got {}", quote(id), quote(text)),
            ));
        }
        Ok(())
    }
}

/// A record's required fields, checked.
///
/// The checks are marked `#[inline]` because out of line their results travel through
/// memory, which costs about 1% on the records the filter drops, the common case.
pub(super) struct Required<'a> {
    pub(super) id: Cow<'a, str>,
    pub(super) creation_time: OffsetDateTime,
    pub(super) record_type: i64,
}

impl<'a> Required<'a> {
    /// Checked in this order, so a record with several faults is rejected for the
    /// first; the `Id` comes first because the other messages name it.
    #[inline]
    pub(super) fn take(probe: &mut Probe<'a>, bounds: &TimeBounds) -> Result<Self, Rejection> {
        let id = id(probe.id.take())?;
        let creation_time = creation_time(probe.creation_time.as_ref(), &id, bounds)?;
        let record_type = record_type(probe.record_type.as_ref(), &id)?;
        Ok(Required {
            id,
            creation_time,
            record_type,
        })
    }
}

#[inline]
fn id(value: Option<Scalar<'_>>) -> Result<Cow<'_, str>, Rejection> {
    match value {
        None | Some(Scalar::Null) => Err(Rejection::new(RejectionKind::MissingId)),
        Some(Scalar::Str(id)) if id.trim().is_empty() => {
            Err(Rejection::new(RejectionKind::MissingId))
        }
        Some(Scalar::Str(id)) if id.len() > MAX_ID_BYTES => Err(Rejection::with_detail(
            RejectionKind::InvalidId,
            format!("{} bytes, at most {MAX_ID_BYTES} allowed", id.len()),
        )),
        Some(Scalar::Str(id)) => Ok(id),
        Some(other) => Err(Rejection::with_detail(
            RejectionKind::InvalidId,
            format!("got {other}"),
        )),
    }
}

#[inline]
fn creation_time(
    value: Option<&Scalar<'_>>,
    id: &str,
    bounds: &TimeBounds,
) -> Result<OffsetDateTime, Rejection> {
    match value {
        None | Some(Scalar::Null) => Err(Rejection::with_detail(
            RejectionKind::MissingCreationTime,
            format!("record {}", quote(id)),
        )),
        Some(Scalar::Str(text)) => {
            let time = parse_timestamp(text).ok_or_else(|| {
                Rejection::with_detail(
                    RejectionKind::InvalidCreationTime,
                    format!("record {}: got {}", quote(id), quote(text)),
                )
            })?;
            bounds.check(time, id, text)?;
            Ok(time)
        }
        Some(other) => Err(Rejection::with_detail(
            RejectionKind::InvalidCreationTime,
            format!("record {}: got {other}", quote(id)),
        )),
    }
}

#[inline]
fn record_type(value: Option<&Scalar<'_>>, id: &str) -> Result<i64, Rejection> {
    match value {
        Some(Scalar::Int(n)) => Ok(*n),
        None | Some(Scalar::Null) => Err(Rejection::with_detail(
            RejectionKind::MissingRecordType,
            format!("record {}", quote(id)),
        )),
        Some(other) => Err(Rejection::with_detail(
            RejectionKind::InvalidRecordType,
            format!("record {}: got {other}", quote(id)),
        )),
    }
}
