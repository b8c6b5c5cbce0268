//! Why a run could not go on.

use crate::api::ApiError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "another audit-sync run holds the lock (lease {lease_secs} s); runs must not overlap. If no run \
         is active, the lock frees itself when its lease ends"
    )]
    Locked { lease_secs: u64 },
    #[error("{0}")]
    Input(String),
}
