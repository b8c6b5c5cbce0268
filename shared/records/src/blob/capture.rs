//! The current element's text, copied from the bytes serde_json consumes, up to the
//! size limit; past it, only how deeply the element nests.

use serde_json::value::RawValue;

use super::MAX_RECORD_DEPTH;
use super::nesting::Nesting;
use crate::rejection::{Rejection, RejectionKind};

/// What the reader has seen of the body: the start (for error messages) and the
/// current element's bytes.
pub(super) struct Capture {
    max_bytes: usize,
    active: bool,
    text: Vec<u8>,
    len: usize,
    /// Set once the element outgrows `max_bytes` and is only being skipped.
    skipping: Option<Nesting>,
    last: u8,
    pub(super) head: Vec<u8>,
    pub(super) unskippable: bool,
}

impl Capture {
    pub(super) fn new(max_bytes: usize) -> Self {
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
    pub(super) fn skip_depth_limit(&self) -> usize {
        self.max_bytes.max(MAX_RECORD_DEPTH)
    }

    /// Returns `false` when the element can no longer be skipped within the limits.
    #[inline]
    pub(super) fn observe(&mut self, byte: u8) -> bool {
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
    pub(super) fn begin(&mut self) {
        self.active = true;
        self.text.clear();
        self.len = 0;
        self.skipping = None;
        let first = self.last;
        self.observe(first);
    }

    pub(super) fn finish(&mut self) -> Result<Box<RawValue>, Rejection> {
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
