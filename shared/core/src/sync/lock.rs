//! The run lock that keeps runs from overlapping: taken with a lease, renewed by a heartbeat
//! while the run lives, released at its end. A crashed run's lease simply runs out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::Syncer;
use super::error::SyncError;
use super::stop::StopSignal;
use crate::store::Lock;

impl Syncer {
    /// Takes the lock, waiting up to one lease for a run that holds it.
    pub(super) async fn acquire_lock(&self, run_id: &str) -> Result<Lock, SyncError> {
        let lease = self.settings.lock_lease;
        // A crashed run's lease runs out within `lease`: wait that long before giving up.
        let give_up = Instant::now() + lease + Duration::from_secs(2);
        loop {
            if let Some(lock) = self.store.try_lock(run_id, lease).await? {
                return Ok(lock);
            }
            if Instant::now() >= give_up {
                return Err(SyncError::Locked {
                    lease_secs: lease.as_secs(),
                });
            }
            tracing::info!("another run holds the lock, waiting");
            tokio::time::sleep(Duration::from_secs(1).min(lease / 2)).await;
        }
    }

    /// Renews the lease three times per lease; if another run took the lock, signals the run
    /// to stop.
    pub(super) fn spawn_heartbeat(&self, lock: &Lock, stop: Arc<StopSignal>) -> JoinHandle<()> {
        let store = self.store.clone();
        let lease = self.settings.lock_lease;
        let lock = Lock {
            owner: lock.owner.clone(),
        };
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                match store.renew_lock(&lock, lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::error!("the run lock was taken by another run; stopping early");
                        stop.lock_lost();
                        return;
                    }
                    Err(err) => tracing::warn!(error = %err, "could not renew the run lock"),
                }
            }
        })
    }

    pub(super) async fn release_lock(&self, lock: Lock) {
        if let Err(err) = self.store.release_lock(lock).await {
            tracing::warn!(error = %err, "could not release the run lock; it frees itself when its lease ends");
        }
    }
}
