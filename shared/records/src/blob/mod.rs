//! Streaming a content blob: one JSON array of records, of any size, read element by
//! element so that memory stays flat.
//!
//! # How elements are cut out of the stream
//!
//! The [splitter](split) scans the body chunk by chunk, knowing only strings and bracket
//! depth, and hands out each element's text, borrowed from the chunk when the element lies
//! in it. It checks the array's own syntax, but not the elements': those are parsed by
//! whoever keeps them, so one broken record costs only itself. An element past
//! `max_record_bytes` is no longer copied, only scanned to its end, and is reported as
//! [`RejectionKind::TooLarge`]; memory is the read buffer plus one element.
//!
//! [`classify_blob`] skims each element's `RecordType`, `Workload` and `Operation` from the
//! splitter's key positions and parses only the records the filter might keep.
//!
//! [`RejectionKind::TooLarge`]: crate::RejectionKind::TooLarge

mod classifier;
mod error;
mod split;

use std::io::{self, Read};

use serde_json::value::RawValue;

use crate::count::BlobCount;
use crate::filter::OperationFilter;
use crate::model::AuditEvent;
use crate::rejection::{Rejection, RejectionKind};

use split::{Element, SplitFault, Splitter};

pub use classifier::BlobClassifier;
pub use error::BlobError;

/// A sensible `max_record_bytes`: real audit records are a few KiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Records nesting arrays/objects deeper than this are rejected
/// ([`RejectionKind::TooDeep`]): serde_json's default recursion limit, so every
/// record handed out can be parsed again with serde_json's defaults.
///
/// [`RejectionKind::TooDeep`]: crate::RejectionKind::TooDeep
pub const MAX_RECORD_DEPTH: usize = 128;

/// How much is read from a `Read` at a time.
const READ_CHUNK: usize = 64 * 1024;

/// Reads a blob, handing each element of its top-level array to `on_record` as it is
/// read, and returns how many elements there were.
///
/// Elements that are not valid JSON text are passed as `Err`, and reading goes on:
/// larger than `max_record_bytes` ([`RejectionKind::TooLarge`]), not UTF-8
/// ([`RejectionKind::InvalidUtf8`]), nested deeper than [`MAX_RECORD_DEPTH`]
/// ([`RejectionKind::TooDeep`]) or otherwise broken ([`RejectionKind::InvalidJson`]).
/// Elements are not otherwise checked: pass them to [`classify`](crate::classify()).
///
/// If `on_record` returns an error, reading stops with [`BlobError::Aborted`].
///
/// Memory use does not grow with the blob: a 64 KiB read buffer and the current element's
/// text (at most `max_record_bytes`). A leading UTF-8 byte order mark is skipped.
pub fn read_blob<R, E, F>(
    mut reader: R,
    max_record_bytes: usize,
    mut on_record: F,
) -> Result<u64, BlobError<E>>
where
    R: Read,
    F: FnMut(Result<Box<RawValue>, Rejection>) -> Result<(), E>,
{
    let mut splitter = Splitter::new(max_record_bytes);
    let mut on_element = |element: Element<'_>| on_record(json_value(&element, max_record_bytes));
    pump(&mut reader, &mut splitter, &mut on_element)?;
    Ok(splitter.records)
}

/// Reads a blob and classifies every record: kept events go to `on_event`, the rest
/// is tallied in `count`.
///
/// `count` is updated as the blob is read, so it is accurate up to the point of an
/// error too. An event is counted as kept once `on_event` accepted it; if `on_event`
/// fails, reading stops with [`BlobError::Aborted`]. [`BlobClassifier`] does the same for
/// a body that arrives in chunks.
pub fn classify_blob<R, E>(
    mut reader: R,
    max_record_bytes: usize,
    filter: &OperationFilter,
    count: &mut BlobCount,
    mut on_event: impl FnMut(AuditEvent) -> Result<(), E>,
) -> Result<(), BlobError<E>>
where
    R: Read,
{
    let mut classifier = BlobClassifier::new(max_record_bytes, filter);
    let mut buf = vec![0; READ_CHUNK];
    let result = loop {
        match read_some(&mut reader, &mut buf) {
            Ok(0) => break classifier.finish().map_err(BlobError::never_aborted),
            Ok(n) => {
                if let Err(err) = classifier.feed(&buf[..n], &mut on_event) {
                    break Err(err);
                }
            }
            Err(source) => {
                break Err(BlobError::Read {
                    records: classifier.count().records,
                    source,
                });
            }
        }
    };
    count.merge(classifier.count());
    result
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

/// Feeds a `Read` through the splitter to its end.
fn pump<R: Read, E>(
    reader: &mut R,
    splitter: &mut Splitter,
    on_element: &mut impl FnMut(Element<'_>) -> Result<(), E>,
) -> Result<(), BlobError<E>> {
    let mut buf = vec![0; READ_CHUNK];
    loop {
        let n = read_some(reader, &mut buf).map_err(|source| BlobError::Read {
            records: splitter.records,
            source,
        })?;
        if n == 0 {
            return splitter
                .finish()
                .map_err(|fault| fault_error(splitter, fault));
        }
        splitter
            .feed(&buf[..n], on_element)
            .map_err(|stop| stop_error(splitter, stop))?;
    }
}

fn read_some<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// Why the splitter stopped, as a [`BlobError`].
fn stop_error<E>(splitter: &Splitter, stop: Result<E, SplitFault>) -> BlobError<E> {
    match stop {
        Ok(source) => BlobError::Aborted {
            records: splitter.records,
            source,
        },
        Err(fault) => fault_error(splitter, fault),
    }
}

fn fault_error<E>(splitter: &Splitter, fault: SplitFault) -> BlobError<E> {
    let records = splitter.records;
    match fault {
        SplitFault::NotAnArray => BlobError::NotAnArray {
            head: String::from_utf8_lossy(splitter.head()).into_owned(),
        },
        SplitFault::Truncated { offset } => BlobError::Truncated { records, offset },
        SplitFault::Unexpected {
            offset,
            byte,
            expected,
        } => BlobError::Syntax {
            records,
            offset,
            found: byte,
            expected,
        },
    }
}

/// The checks every element gets, whoever reads it: size and depth.
fn bounded<'a>(element: &Element<'a>, max_record_bytes: usize) -> Result<&'a [u8], Rejection> {
    if element.len > max_record_bytes {
        return Err(Rejection::with_detail(
            RejectionKind::TooLarge,
            format!("{} bytes, at most {max_record_bytes} allowed", element.len),
        ));
    }
    if element.max_depth > MAX_RECORD_DEPTH {
        return Err(Rejection::with_detail(
            RejectionKind::TooDeep,
            format!(
                "{} levels, at most {MAX_RECORD_DEPTH} allowed",
                element.max_depth
            ),
        ));
    }
    Ok(element.text)
}

fn utf8(text: &[u8]) -> Result<&str, Rejection> {
    std::str::from_utf8(text).map_err(|e| {
        Rejection::with_detail(
            RejectionKind::InvalidUtf8,
            format!("at byte {}", e.valid_up_to()),
        )
    })
}

/// An element as validated JSON text.
fn json_value(element: &Element<'_>, max_record_bytes: usize) -> Result<Box<RawValue>, Rejection> {
    let text = utf8(bounded(element, max_record_bytes)?)?;
    RawValue::from_string(text.to_owned())
        .map_err(|e| Rejection::with_detail(RejectionKind::InvalidJson, e.to_string()))
}
