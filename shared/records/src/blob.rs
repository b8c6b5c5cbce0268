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

use std::cell::RefCell;
use std::convert::Infallible;
use std::fmt;
use std::io::{self, Read};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::error::Category;
use serde_json::value::RawValue;

use crate::classify::classify_owned;
use crate::count::BlobCount;
use crate::filter::OperationFilter;
use crate::model::AuditEvent;
use crate::rejection::{Rejection, RejectionKind};

/// A sensible `max_record_bytes`: real audit records are a few KiB.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 1024 * 1024;

/// Records nesting arrays/objects deeper than this are rejected
/// ([`RejectionKind::TooDeep`]): serde_json's default recursion limit, so every
/// record handed out can be parsed again with serde_json's defaults.
pub const MAX_RECORD_DEPTH: usize = 128;

/// How much of the body's beginning a [`BlobError::NotAnArray`] quotes.
const HEAD_BYTES: usize = 64;

/// A blob that could not be read to its end. Records handed out before the error
/// stand; `records` says how many elements were read completely (including the one a
/// refusing consumer was given).
#[derive(Debug, thiserror::Error)]
pub enum BlobError<E = Infallible> {
    /// The body is not a JSON array (empty, an error object, an HTML page...).
    #[error("the blob is not a JSON array of records ({source}); the body starts with {}", describe_head(.head))]
    NotAnArray {
        /// The body's first bytes (lossy UTF-8), to show what came instead.
        head: String,
        /// serde_json's complaint.
        source: serde_json::Error,
    },
    /// The body ends inside the array: typically a connection cut mid-transfer.
    #[error("the blob ends early, after {records} records (cut connection?): {source}")]
    Truncated {
        /// Elements read completely before the end.
        records: u64,
        /// serde_json's complaint, with the position.
        source: serde_json::Error,
    },
    /// The body stops being valid JSON between or inside elements, or has data after
    /// the array.
    #[error("the blob is not valid JSON after {records} records: {source}")]
    Syntax {
        /// Elements read completely before the fault.
        records: u64,
        /// serde_json's complaint, with the position.
        source: serde_json::Error,
    },
    /// An oversized element nests so deeply that skipping it would itself take more
    /// memory than `max_record_bytes` (serde_json keeps one byte per open level).
    #[error(
        "record {records} of the blob is larger than the size limit and nests more than \
         {limit} levels deep, so it cannot be skipped; the rest of the blob is unreadable"
    )]
    NestingTooDeep {
        /// Elements read completely before this one.
        records: u64,
        /// The nesting depth that was exceeded.
        limit: usize,
    },
    /// The underlying reader failed (network, decompression...).
    #[error("reading the blob failed after {records} records: {source}")]
    Read {
        /// Elements read completely before the failure.
        records: u64,
        /// The reader's error.
        source: io::Error,
    },
    /// The record callback returned an error, so reading stopped.
    #[error("reading stopped after {records} records because the consumer refused one: {source}")]
    Aborted {
        /// Elements read, including the refused one.
        records: u64,
        /// The callback's error.
        source: E,
    },
}

impl<E> BlobError<E> {
    /// How many elements were read completely before the error (0 for
    /// [`NotAnArray`](Self::NotAnArray)).
    pub fn records(&self) -> u64 {
        match self {
            BlobError::NotAnArray { .. } => 0,
            BlobError::Truncated { records, .. }
            | BlobError::Syntax { records, .. }
            | BlobError::NestingTooDeep { records, .. }
            | BlobError::Read { records, .. }
            | BlobError::Aborted { records, .. } => *records,
        }
    }
}

fn describe_head(head: &str) -> impl fmt::Display + '_ {
    struct Head<'a>(&'a str);
    impl fmt::Display for Head<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            if self.0.is_empty() {
                f.write_str("nothing (empty body)")
            } else {
                write!(f, "{:?}", self.0)
            }
        }
    }
    Head(head)
}

/// Reads a blob, handing each element of its top-level array to `on_record` as it is
/// read, and returns how many elements there were.
///
/// Elements that cannot be handed out as JSON text are passed as `Err`, and reading
/// goes on: larger than `max_record_bytes` ([`RejectionKind::TooLarge`]), not UTF-8
/// ([`RejectionKind::InvalidUtf8`]), or nested deeper than [`MAX_RECORD_DEPTH`]
/// ([`RejectionKind::TooDeep`]). Elements are not otherwise checked: pass them to
/// [`classify`](crate::classify).
///
/// If `on_record` returns an error, reading stops with [`BlobError::Aborted`].
///
/// Memory use does not grow with the blob: a 64 KiB read buffer, the current
/// element's text (at most `max_record_bytes`), and while an oversized element is
/// skipped, serde_json's one byte per open nesting level (at most `max_record_bytes`
/// too, else [`BlobError::NestingTooDeep`]). A leading UTF-8 byte order mark is
/// skipped.
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
    let mut records = 0u64;
    let mut started = false;
    let mut refused = None;
    let outcome = {
        let mut de = serde_json::Deserializer::from_reader(TeeReader::new(reader, &capture));
        let visitor = ArrayVisitor {
            capture: &capture,
            on_record: &mut on_record,
            records: &mut records,
            started: &mut started,
            refused: &mut refused,
        };
        (&mut de).deserialize_seq(visitor).and_then(|()| de.end())
    };
    let Err(error) = outcome else {
        return Ok(records);
    };
    let capture = capture.into_inner();
    if let Some(source) = refused {
        return Err(BlobError::Aborted { records, source });
    }
    if capture.unskippable {
        return Err(BlobError::NestingTooDeep {
            records,
            limit: capture.skip_depth_limit(),
        });
    }
    Err(match error.classify() {
        Category::Io => BlobError::Read {
            records,
            source: error.into(),
        },
        _ if !started => BlobError::NotAnArray {
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
    })
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
    read_blob(reader, max_record_bytes, |element| {
        match element.and_then(|raw| classify_owned(raw, filter)) {
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

/// What the reader has seen of the body: the start (for error messages) and the
/// current element's bytes.
struct Capture {
    max_bytes: usize,
    active: bool,
    text: Vec<u8>,
    len: usize,
    /// Set once the element outgrows `max_bytes` and is only being skipped.
    skipping: Option<Nesting>,
    last: u8,
    head: Vec<u8>,
    unskippable: bool,
}

impl Capture {
    fn new(max_bytes: usize) -> Self {
        Capture {
            max_bytes,
            active: false,
            text: Vec::new(),
            len: 0,
            skipping: None,
            last: 0,
            head: Vec::new(),
            unskippable: false,
        }
    }

    /// While skipping an oversized element serde_json holds one byte per open level,
    /// so depth is what bounds memory once the text is no longer kept.
    fn skip_depth_limit(&self) -> usize {
        self.max_bytes.max(MAX_RECORD_DEPTH)
    }

    /// Returns `false` when the element can no longer be skipped within the limits.
    #[inline]
    fn observe(&mut self, byte: u8) -> bool {
        self.last = byte;
        if !self.active {
            return true;
        }
        self.len += 1;
        if self.len <= self.max_bytes {
            self.text.push(byte);
            return true;
        }
        self.observe_skipped(byte)
    }

    #[cold]
    #[inline(never)]
    fn observe_skipped(&mut self, byte: u8) -> bool {
        let limit = self.skip_depth_limit();
        let nesting = self.skipping.get_or_insert_with(|| Nesting::of(&self.text));
        nesting.feed(byte);
        if nesting.depth > limit {
            self.unskippable = true;
            return false;
        }
        true
    }

    /// Called when serde_json is about to read an element, whose first byte it has
    /// already taken from the reader (to decide that an element follows).
    fn begin(&mut self) {
        self.active = true;
        self.text.clear();
        self.len = 0;
        self.skipping = None;
        let first = self.last;
        self.observe(first);
    }

    fn finish(&mut self) -> Result<Box<RawValue>, Rejection> {
        self.active = false;
        if self.len > self.max_bytes {
            return Err(Rejection::with_detail(
                RejectionKind::TooLarge,
                format!("{} bytes, at most {} allowed", self.len, self.max_bytes),
            ));
        }
        let mut text = self.text.as_slice();
        // serde_json knows a number has ended only by reading the byte after it.
        if matches!(text.first(), Some(b'-' | b'0'..=b'9')) {
            while let [rest @ .., b' ' | b'\t' | b'\n' | b'\r' | b',' | b']'] = text {
                text = rest;
            }
        }
        // Counting brackets is much cheaper than lexing, and settles nearly every record.
        let brackets = text.iter().filter(|&&b| b == b'[' || b == b'{').count();
        if brackets > MAX_RECORD_DEPTH {
            let depth = Nesting::of(text).max_depth;
            if depth > MAX_RECORD_DEPTH {
                return Err(Rejection::with_detail(
                    RejectionKind::TooDeep,
                    format!("{depth} levels, at most {MAX_RECORD_DEPTH} allowed"),
                ));
            }
        }
        let text = std::str::from_utf8(text).map_err(|e| {
            Rejection::with_detail(
                RejectionKind::InvalidUtf8,
                format!("at byte {}", e.valid_up_to()),
            )
        })?;
        RawValue::from_string(text.to_owned())
            .map_err(|e| Rejection::with_detail(RejectionKind::InvalidJson, e.to_string()))
    }
}

/// Just enough JSON lexing to know how deeply a text nests: brackets outside strings.
#[derive(Default)]
struct Nesting {
    depth: usize,
    max_depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Nesting {
    fn of(text: &[u8]) -> Self {
        let mut nesting = Nesting::default();
        for &byte in text {
            nesting.feed(byte);
        }
        nesting
    }

    #[inline]
    fn feed(&mut self, byte: u8) {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if byte == b'\\' {
                self.escaped = true;
            } else if byte == b'"' {
                self.in_string = false;
            }
        } else {
            match byte {
                b'"' => self.in_string = true,
                b'[' | b'{' => {
                    self.depth += 1;
                    self.max_depth = self.max_depth.max(self.depth);
                }
                b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
    }
}

/// The body as serde_json reads it, with every byte also shown to [`Capture`].
///
/// serde_json asks for one byte per `read` call, so this keeps its own buffer and
/// serves single bytes directly rather than through `BufReader`'s general path.
struct TeeReader<'c, R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    capture: &'c RefCell<Capture>,
    at_start: bool,
}

impl<'c, R: Read> TeeReader<'c, R> {
    fn new(inner: R, capture: &'c RefCell<Capture>) -> Self {
        TeeReader {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            pos: 0,
            filled: 0,
            capture,
            at_start: true,
        }
    }

    /// Kept out of line so that the per-byte path stays small. Returns `false` at the
    /// end of the body.
    #[cold]
    #[inline(never)]
    fn next_chunk(&mut self) -> io::Result<bool> {
        if self.at_start {
            self.at_start = false;
            self.look_at_start()?;
            if self.pos < self.filled {
                return Ok(true);
            }
        }
        self.refill()
    }

    /// Returns `false` at the end of the body.
    fn refill(&mut self) -> io::Result<bool> {
        loop {
            match self.inner.read(&mut self.buf) {
                Ok(n) => {
                    self.pos = 0;
                    self.filled = n.min(self.buf.len());
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Skips a byte order mark, and keeps the body's first bytes to quote if it turns
    /// out not to be an array (serde_json stops at the first unexpected byte).
    fn look_at_start(&mut self) -> io::Result<()> {
        self.refill()?;
        if self.buf[..self.filled].starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        let start = &self.buf[self.pos..self.filled];
        self.capture.borrow_mut().head = start[..start.len().min(HEAD_BYTES)].to_vec();
        Ok(())
    }
}

impl<R: Read> Read for TeeReader<'_, R> {
    /// Hands out one byte per call: serde_json never asks for more, and it keeps
    /// the copy free of a `memcpy` call.
    #[inline]
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.filled && !self.next_chunk()? {
            return Ok(0);
        }
        let Some(slot) = out.first_mut() else {
            return Ok(0);
        };
        let byte = self.buf[self.pos];
        self.pos += 1;
        *slot = byte;
        if !self.capture.borrow_mut().observe(byte) {
            return Err(too_deep_to_skip());
        }
        Ok(1)
    }
}

#[cold]
fn too_deep_to_skip() -> io::Error {
    io::Error::other("record nests too deeply to be skipped")
}

struct ArrayVisitor<'a, F, E> {
    capture: &'a RefCell<Capture>,
    on_record: &'a mut F,
    records: &'a mut u64,
    started: &'a mut bool,
    refused: &'a mut Option<E>,
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
        *self.started = true;
        while let Some(element) = seq.next_element_seed(ElementSeed(self.capture))? {
            *self.records += 1;
            if let Err(refusal) = (self.on_record)(element) {
                // The callback's error type cannot travel through serde's; it is kept
                // aside and reported by `read_blob`.
                *self.refused = Some(refusal);
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
