//! Streaming a content blob: one JSON array of records, of any size, read element by
//! element so that memory stays flat.
//!
//! # How elements are cut out of the stream
//!
//! Deserializing each element as a `Box<RawValue>` would make serde_json buffer the
//! whole element before we could look at its size, so one hostile element of hundreds
//! of MB would be held in memory. Instead, each element is *skipped* with
//! [`IgnoredAny`] (serde_json validates it while keeping nothing, with no recursion),
//! and the reader under the deserializer copies the bytes serde_json consumes into a
//! buffer, at most `max_record_bytes` of them. When the element ends, the buffer is its
//! text; an element that outgrew the buffer is reported as
//! [`RejectionKind::TooLarge`] and the blob goes on.
//!
//! This relies on serde_json looking ahead by at most one byte (it takes an element's
//! first byte before handing the element to us, and the byte after a number to see
//! that the number ended). The reader hands out one byte per `read` call, so nothing
//! more can be read ahead; the property tests compare the cut elements with
//! serde_json's own parse of the array to keep the assumption honest.
//!
//! [`RejectionKind::TooLarge`]: crate::RejectionKind::TooLarge

mod capture;
mod error;
mod nesting;
mod tee;

use std::cell::RefCell;
use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::error::Category;
use serde_json::value::RawValue;

use crate::classify::{TimeBounds, classify_owned};
use crate::count::BlobCount;
use crate::filter::OperationFilter;
use crate::model::AuditEvent;
use crate::rejection::Rejection;

use capture::Capture;
use tee::TeeReader;

pub use error::BlobError;

/// A sensible `max_record_bytes`: real audit records are a few KiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Records nesting arrays/objects deeper than this are rejected
/// ([`RejectionKind::TooDeep`]): serde_json's default recursion limit, so every
/// record handed out can be parsed again with serde_json's defaults.
///
/// [`RejectionKind::TooDeep`]: crate::RejectionKind::TooDeep
pub const MAX_RECORD_DEPTH: usize = 128;

/// Reads a blob, handing each element of its top-level array to `on_record` as it is
/// read, and returns how many elements there were.
///
/// Elements that cannot be handed out as JSON text are passed as `Err`, and reading
/// goes on: larger than `max_record_bytes` ([`RejectionKind::TooLarge`]), not UTF-8
/// ([`RejectionKind::InvalidUtf8`]), or nested deeper than [`MAX_RECORD_DEPTH`]
/// ([`RejectionKind::TooDeep`]). Elements are not otherwise checked: pass them to
/// [`classify`](crate::classify()).
///
/// If `on_record` returns an error, reading stops with [`BlobError::Aborted`].
///
/// Memory use does not grow with the blob: a 64 KiB read buffer, the current
/// element's text (at most `max_record_bytes`), and while an oversized element is
/// skipped, serde_json's one byte per open nesting level (at most `max_record_bytes`
/// too, else [`BlobError::NestingTooDeep`]). A leading UTF-8 byte order mark is
/// skipped.
///
/// [`RejectionKind::TooLarge`]: crate::RejectionKind::TooLarge
/// [`RejectionKind::InvalidUtf8`]: crate::RejectionKind::InvalidUtf8
/// [`RejectionKind::TooDeep`]: crate::RejectionKind::TooDeep
pub fn read_blob<R, E, F>(
    reader: R,
    max_record_bytes: usize,
    mut on_record: F,
) -> Result<u64, BlobError<E>>
where
    R: Read,
    F: FnMut(Result<Box<RawValue>, Rejection>) -> Result<(), E>,
{
    let capture = RefCell::new(Capture::new(max_record_bytes));
    let mut progress = Progress {
        records: 0,
        started: false,
        refused: None,
    };
    let outcome = {
        let mut de = serde_json::Deserializer::from_reader(TeeReader::new(reader, &capture));
        let visitor = ArrayVisitor {
            capture: &capture,
            on_record: &mut on_record,
            progress: &mut progress,
        };
        (&mut de).deserialize_seq(visitor).and_then(|()| de.end())
    };
    match outcome {
        Ok(()) => Ok(progress.records),
        Err(error) => Err(progress.into_error(error, &capture.into_inner())),
    }
}

/// Reads a blob and classifies every record: kept events go to `on_event`, the rest
/// is tallied in `count`.
///
/// `count` is updated as the blob is read, so it is accurate up to the point of an
/// error too. An event is counted as kept once `on_event` accepted it; if `on_event`
/// fails, reading stops with [`BlobError::Aborted`].
pub fn classify_blob<R, E>(
    reader: R,
    max_record_bytes: usize,
    filter: &OperationFilter,
    count: &mut BlobCount,
    mut on_event: impl FnMut(AuditEvent) -> Result<(), E>,
) -> Result<(), BlobError<E>>
where
    R: Read,
{
    // One clock reading per blob: every record of it is judged against the same bounds.
    let bounds = TimeBounds::around(time::OffsetDateTime::now_utc());
    read_blob(reader, max_record_bytes, |element| {
        match element.and_then(|raw| classify_owned(raw, filter, &bounds)) {
            Ok(Some(event)) => {
                on_event(event)?;
                count.count_kept();
            }
            Ok(None) => count.count_filtered(),
            Err(rejection) => count.count_rejected(rejection),
        }
        Ok(())
    })
    .map(|_| ())
}

/// Classifies every record of a blob and keeps only the tally: what a blob holds, without
/// storing it (dry runs and measurements).
pub fn count_blob<R: Read>(
    reader: R,
    max_record_bytes: usize,
    filter: &OperationFilter,
) -> Result<BlobCount, BlobError<std::convert::Infallible>> {
    let mut count = BlobCount::default();
    classify_blob(reader, max_record_bytes, filter, &mut count, |event| {
        // Opaque to the optimiser, so a measurement counts the event's construction too.
        std::hint::black_box(event);
        Ok(())
    })?;
    Ok(count)
}

/// How far reading got, kept outside the deserializer so that it is known after an
/// error too.
struct Progress<E> {
    /// Elements read completely.
    records: u64,
    /// Whether the body opened an array.
    started: bool,
    /// The consumer's error, if it refused an element.
    refused: Option<E>,
}

impl<E> Progress<E> {
    /// What a serde_json error means for the blob: the consumer's refusal and an
    /// unskippable element come through serde_json as errors of its own, so they are
    /// told apart first.
    fn into_error(self, error: serde_json::Error, capture: &Capture) -> BlobError<E> {
        let records = self.records;
        if let Some(source) = self.refused {
            return BlobError::Aborted { records, source };
        }
        if capture.unskippable {
            return BlobError::NestingTooDeep {
                records,
                limit: capture.skip_depth_limit(),
            };
        }
        match error.classify() {
            Category::Io => BlobError::Read {
                records,
                source: error.into(),
            },
            _ if !self.started => BlobError::NotAnArray {
                head: String::from_utf8_lossy(&capture.head).into_owned(),
                source: error,
            },
            Category::Eof => BlobError::Truncated {
                records,
                source: error,
            },
            Category::Syntax | Category::Data => BlobError::Syntax {
                records,
                source: error,
            },
        }
    }
}

struct ArrayVisitor<'a, F, E> {
    capture: &'a RefCell<Capture>,
    on_record: &'a mut F,
    progress: &'a mut Progress<E>,
}

impl<'de, F, E> Visitor<'de> for ArrayVisitor<'_, F, E>
where
    F: FnMut(Result<Box<RawValue>, Rejection>) -> Result<(), E>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of audit records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.progress.started = true;
        while let Some(element) = seq.next_element_seed(ElementSeed(self.capture))? {
            self.progress.records += 1;
            if let Err(refusal) = (self.on_record)(element) {
                // The callback's error type cannot travel through serde's; it is kept
                // aside and reported by `read_blob`.
                self.progress.refused = Some(refusal);
                return Err(de::Error::custom("the record consumer stopped reading"));
            }
        }
        Ok(())
    }
}

struct ElementSeed<'a>(&'a RefCell<Capture>);

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = Result<Box<RawValue>, Rejection>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        self.0.borrow_mut().begin();
        IgnoredAny::deserialize(deserializer)?;
        Ok(self.0.borrow_mut().finish())
    }
}
