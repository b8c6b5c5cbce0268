//! Striped locks over event keys: the existence check and the write of an event happen under its
//! stripe, so of two blobs in flight that hold the same record exactly one writes it and owns it.
//!
//! In-process serialisation is enough because runs never overlap (the run lock): every writer
//! of the events table at any moment is a task of this one process.

use tokio::sync::{Mutex, MutexGuard};

use super::EventKey;
use super::spread::fnv1a64;

/// Stripes: with 16 blobs in flight, each batch holding at most 25 stripes, two batches rarely
/// wait on each other unless they share a record.
pub const KEY_STRIPES: usize = 256;

/// The locks of one run, shared by its blob tasks.
pub struct KeyLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for KeyLocks {
    fn default() -> KeyLocks {
        KeyLocks {
            stripes: (0..KEY_STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }
}

impl std::fmt::Debug for KeyLocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLocks")
            .field("stripes", &self.stripes.len())
            .finish()
    }
}

impl KeyLocks {
    /// Locks the stripes of `keys`, each once and in ascending order, so two batches locking
    /// overlapping stripes can never wait on each other in a cycle.
    pub async fn lock<'a>(
        &'a self,
        keys: impl Iterator<Item = &'a EventKey>,
    ) -> Vec<MutexGuard<'a, ()>> {
        let mut guards = Vec::new();
        for stripe in stripes_of(keys) {
            guards.push(self.stripes[stripe].lock().await);
        }
        guards
    }
}

/// The distinct stripes of `keys`, ascending.
fn stripes_of<'a>(keys: impl Iterator<Item = &'a EventKey>) -> Vec<usize> {
    let mut stripes: Vec<usize> = keys.map(stripe_of).collect();
    stripes.sort_unstable();
    stripes.dedup();
    stripes
}

fn stripe_of(key: &EventKey) -> usize {
    (fnv1a64(&[&key.pk, &key.sk]) % KEY_STRIPES as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> EventKey {
        EventKey {
            pk: "APP#a#2026-11-24#0".into(),
            sk: format!("EV#{id}"),
        }
    }

    #[test]
    fn stripes_are_distinct_and_ascending() {
        let keys: Vec<EventKey> = (0..25)
            .map(|i| key(&i.to_string()))
            .chain([key("0")])
            .collect();
        let stripes = stripes_of(keys.iter());
        assert!(stripes.windows(2).all(|w| w[0] < w[1]));
        assert!(stripes.len() <= 25);
        assert!(stripes.iter().all(|&s| s < KEY_STRIPES));
    }

    #[tokio::test]
    async fn a_second_batch_with_a_shared_key_waits_for_the_first() {
        let locks = KeyLocks::default();
        let first = [key("1"), key("2")];
        let second = [key("2"), key("3")];
        let held = locks.lock(first.iter()).await;
        let waiting = tokio::time::timeout(
            std::time::Duration::from_millis(50),
            locks.lock(second.iter()),
        );
        assert!(waiting.await.is_err(), "the shared stripe is held");
        drop(held);
        assert!(!locks.lock(second.iter()).await.is_empty());
    }
}
