//! Why a record was refused, in a form that can be both counted and logged.

use std::fmt;

/// The reason a record was rejected as malformed; stable labels for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectionKind {
    /// The element's JSON text is longer than the blob reader's `max_record_bytes`.
    TooLarge,
    /// The element contains bytes that are not UTF-8.
    InvalidUtf8,
    /// The element nests arrays/objects deeper than [`MAX_RECORD_DEPTH`](crate::MAX_RECORD_DEPTH).
    TooDeep,
    /// The element is not valid JSON.
    InvalidJson,
    /// The element is valid JSON but not an object.
    NotAnObject,
    /// `Id` is absent, `null` or blank.
    MissingId,
    /// `Id` is present but not a string, or too long to be a key.
    InvalidId,
    /// `CreationTime` is absent or `null`.
    MissingCreationTime,
    /// `CreationTime` is not a timestamp we can read.
    InvalidCreationTime,
    /// `RecordType` is absent or `null`.
    MissingRecordType,
    /// `RecordType` is not an integer.
    InvalidRecordType,
    /// `CreationTime` is before 2000, or more than a day after the reading clock: a record from
    /// no real tenant, which would otherwise hold an app's "last launched" for good.
    ImplausibleCreationTime,
    /// The app or flow id cannot be part of a key: too long, a control character, or `#`
    /// (the key delimiter).
    InvalidAppId,
    /// The user cannot be part of a key: too long, or a control character.
    InvalidUser,
}

impl RejectionKind {
    /// Every kind, in declaration order (the order of [`RejectionCounts`]).
    pub const ALL: [RejectionKind; 14] = [
        RejectionKind::TooLarge,
        RejectionKind::InvalidUtf8,
        RejectionKind::TooDeep,
        RejectionKind::InvalidJson,
        RejectionKind::NotAnObject,
        RejectionKind::MissingId,
        RejectionKind::InvalidId,
        RejectionKind::MissingCreationTime,
        RejectionKind::InvalidCreationTime,
        RejectionKind::MissingRecordType,
        RejectionKind::InvalidRecordType,
        RejectionKind::ImplausibleCreationTime,
        RejectionKind::InvalidAppId,
        RejectionKind::InvalidUser,
    ];

    /// A short `snake_case` label, suitable as a metric dimension or log field.
    pub const fn as_str(self) -> &'static str {
        match self {
            RejectionKind::TooLarge => "too_large",
            RejectionKind::InvalidUtf8 => "invalid_utf8",
            RejectionKind::TooDeep => "too_deep",
            RejectionKind::InvalidJson => "invalid_json",
            RejectionKind::NotAnObject => "not_an_object",
            RejectionKind::MissingId => "missing_id",
            RejectionKind::InvalidId => "invalid_id",
            RejectionKind::MissingCreationTime => "missing_creation_time",
            RejectionKind::InvalidCreationTime => "invalid_creation_time",
            RejectionKind::MissingRecordType => "missing_record_type",
            RejectionKind::InvalidRecordType => "invalid_record_type",
            RejectionKind::ImplausibleCreationTime => "implausible_creation_time",
            RejectionKind::InvalidAppId => "invalid_app_id",
            RejectionKind::InvalidUser => "invalid_user",
        }
    }

    const fn description(self) -> &'static str {
        match self {
            RejectionKind::TooLarge => "record is larger than the size limit",
            RejectionKind::InvalidUtf8 => "record is not valid UTF-8",
            RejectionKind::TooDeep => "record nests arrays/objects too deeply",
            RejectionKind::InvalidJson => "record is not valid JSON",
            RejectionKind::NotAnObject => "record is not a JSON object",
            RejectionKind::MissingId => "record has no Id",
            RejectionKind::InvalidId => "record Id is not a usable string",
            RejectionKind::MissingCreationTime => "record has no CreationTime",
            RejectionKind::InvalidCreationTime => {
                "record CreationTime is not a UTC timestamp like 2026-05-19T13:17:34"
            }
            RejectionKind::MissingRecordType => "record has no RecordType",
            RejectionKind::InvalidRecordType => "record RecordType is not an integer",
            RejectionKind::ImplausibleCreationTime => {
                "record CreationTime is before 2000 or more than a day ahead of the clock"
            }
            RejectionKind::InvalidAppId => {
                "record app, flow, agent, environment or conversation id cannot be a storage key"
            }
            RejectionKind::InvalidUser => "record user cannot be a storage key",
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for RejectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A malformed record: what was wrong ([`kind`](Self::kind)) and, where it helps a
/// reader of the logs, the offending value or the record's `Id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    kind: RejectionKind,
    detail: Option<Box<str>>,
}

impl Rejection {
    pub(crate) fn new(kind: RejectionKind) -> Self {
        Rejection { kind, detail: None }
    }

    pub(crate) fn with_detail(kind: RejectionKind, detail: impl Into<String>) -> Self {
        Rejection {
            kind,
            detail: Some(detail.into().into_boxed_str()),
        }
    }

    /// The reason, for counting.
    pub fn kind(&self) -> RejectionKind {
        self.kind
    }

    /// Extra context (the bad value, the record `Id`, a size), if any.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.description())?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejection {}

/// Values copied from a record into a rejection message are cut to this many
/// characters, so one hostile record cannot flood the logs.
const MAX_QUOTED_CHARS: usize = 64;

/// `value` quoted and escaped for a log line, cut to a readable length.
pub(crate) fn quote(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
        None => format!("{value:?}"),
    }
}

/// Rejections tallied by [`RejectionKind`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RejectionCounts {
    counts: [u64; RejectionKind::ALL.len()],
}

impl RejectionCounts {
    /// How many rejections of this kind.
    pub fn get(&self, kind: RejectionKind) -> u64 {
        self.counts[kind.index()]
    }

    /// Adds one rejection of this kind.
    pub fn add(&mut self, kind: RejectionKind) {
        self.counts[kind.index()] += 1;
    }

    /// The sum over all kinds.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The kinds seen at least once, with their counts, in [`RejectionKind::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (RejectionKind, u64)> + '_ {
        RejectionKind::ALL
            .iter()
            .map(|&kind| (kind, self.get(kind)))
            .filter(|&(_, n)| n > 0)
    }

    /// Adds another tally into this one (e.g. summing blobs into a run total).
    pub fn merge(&mut self, other: &RejectionCounts) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
    }
}

impl fmt::Display for RejectionCounts {
    /// `2 missing_id, 1 invalid_creation_time`, or `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut any = false;
        for (kind, n) in self.iter() {
            if any {
                f.write_str(", ")?;
            }
            write!(f, "{n} {kind}")?;
            any = true;
        }
        if !any {
            f.write_str("none")?;
        }
        Ok(())
    }
}
