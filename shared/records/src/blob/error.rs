//! Why a blob could not be read to its end.

use std::convert::Infallible;
use std::fmt;
use std::io;

/// How much of the body's beginning a [`BlobError::NotAnArray`] quotes.
pub(super) const HEAD_BYTES: usize = 64;

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
