//! Why a run could not go on.

use crate::api::ApiError;
use crate::store::StoreError;

/// What ends a run before its summary: the function fails with this message, and what was done
/// so far stays recorded for the next run.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// A content type's subscription is missing or disabled (`AF20022`, `AF20023`): nothing can
    /// be listed until `audit-subscription` starts it, as the message says.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// DynamoDB failed on the watermark, the ledger read or the lock (a missing table, say).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another run still held the lock after waiting one lease for it: runs never overlap.
    #[error(
        "another audit-sync run holds the lock (lease {lease_secs} s); runs must not overlap. If no run \
         is active, the lock frees itself when its lease ends"
    )]
    Locked {
        /// The lease, in seconds (`AUDIT_LOGS_LOCK_LEASE_SECONDS`).
        lease_secs: u64,
    },
    /// Entra gave no token: the credentials are wrong, expired or unreadable, or Entra could
    /// not be reached. The run's summary (logged) has what else it did.
    #[error("{0}")]
    Credentials(String),
    /// The invocation asked for something impossible, such as a backfill starting more than 7
    /// days back; the message says what is allowed.
    #[error("{0}")]
    Input(String),
}
