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
    #[error("the blob is not a JSON array of records; the body starts with {}", describe_head(.head))]
    NotAnArray {
        /// The body's first bytes (lossy UTF-8), to show what came instead.
        head: String,
    },
    /// The body ends inside the array: typically a connection cut mid-transfer.
    #[error("the blob ends early, after {records} records (cut connection?), at byte {offset}")]
    Truncated {
        /// Elements read completely before the end.
        records: u64,
        /// The body's length.
        offset: u64,
    },
    /// The array's own syntax is broken (a missing or trailing comma, data after the
    /// array), so where the next record starts cannot be known.
    #[error(
        "the blob is not valid JSON after {records} records: expected {expected} at byte \
         {offset}, found {}", describe_byte(*.found)
    )]
    Syntax {
        /// Elements read completely before the fault.
        records: u64,
        /// Where in the body.
        offset: u64,
        /// The byte found there.
        found: u8,
        /// What could have been there.
        expected: &'static str,
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

fn describe_byte(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("`{}`", byte as char)
    } else {
        format!("byte 0x{byte:02x}")
    }
}
