//! Tallies of what became of a blob's records.

use std::fmt;

use crate::rejection::{Rejection, RejectionCounts};

/// What became of a blob's records (or, merged, of a run's).
///
/// `records == kept + filtered + rejected` always holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobCount {
    /// Elements read.
    pub records: u64,
    /// Events handed to the consumer.
    pub kept: u64,
    /// Valid records the filter dropped.
    pub filtered: u64,
    /// Malformed records.
    pub rejected: u64,
    /// `rejected`, by reason.
    pub rejected_by_reason: RejectionCounts,
    /// The first few rejections, for a log line; at most [`BlobCount::MAX_SAMPLES`].
    pub rejection_samples: Vec<RejectionSample>,
}

/// One rejected record, kept to show in logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectionSample {
    /// 0-based position of the record in its blob.
    pub index: u64,
    /// What was wrong with it.
    pub rejection: Rejection,
}

impl BlobCount {
    /// How many rejections are kept as samples.
    pub const MAX_SAMPLES: usize = 3;

    /// Notes a record handed to the consumer.
    pub fn count_kept(&mut self) {
        self.records += 1;
        self.kept += 1;
    }

    /// Notes a valid record that the filter dropped.
    pub fn count_filtered(&mut self) {
        self.records += 1;
        self.filtered += 1;
    }

    /// Notes a malformed record, keeping it as a sample if there is room.
    pub fn count_rejected(&mut self, rejection: Rejection) {
        self.rejected_by_reason.add(rejection.kind());
        if self.rejection_samples.len() < Self::MAX_SAMPLES {
            self.rejection_samples.push(RejectionSample {
                index: self.records,
                rejection,
            });
        }
        self.records += 1;
        self.rejected += 1;
    }

    /// Adds another count into this one, e.g. a blob's into a run's total. Samples
    /// are appended while there is room; their indexes stay relative to their blobs.
    pub fn merge(&mut self, other: &BlobCount) {
        self.records += other.records;
        self.kept += other.kept;
        self.filtered += other.filtered;
        self.rejected += other.rejected;
        self.rejected_by_reason.merge(&other.rejected_by_reason);
        let room = Self::MAX_SAMPLES.saturating_sub(self.rejection_samples.len());
        self.rejection_samples
            .extend(other.rejection_samples.iter().take(room).cloned());
    }
}

impl fmt::Display for BlobCount {
    /// `120 records: 100 kept, 15 filtered out, 5 rejected (3 missing_id, 2 too_large)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} records: {} kept, {} filtered out, {} rejected",
            self.records, self.kept, self.filtered, self.rejected
        )?;
        if self.rejected > 0 {
            write!(f, " ({})", self.rejected_by_reason)?;
        }
        Ok(())
    }
}

impl fmt::Display for RejectionSample {
    /// `record 17: record has no Id`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}: {}", self.index, self.rejection)
    }
}
