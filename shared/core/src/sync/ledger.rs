//! The ledger of settled blobs: skipping those an earlier run stored. This run's blobs are
//! recorded with their group (`group.rs`).

use std::collections::HashSet;

use time::OffsetDateTime;

use super::Syncer;
use super::error::SyncError;
use super::list::PlacedBlob;
use super::summary::Summary;

impl Syncer {
    /// Drops the blobs the ledger has as done or gone, and orders the rest oldest first.
    pub(super) async fn skip_settled(
        &self,
        content_type: &str,
        mut placed: Vec<PlacedBlob>,
        summary: &mut Summary,
    ) -> Result<Vec<PlacedBlob>, SyncError> {
        let keys: Vec<(OffsetDateTime, &str)> = placed
            .iter()
            .map(|(created, blob)| (*created, blob.content_id.as_str()))
            .collect();
        let settled = self.store.settled_among(content_type, &keys).await?;
        summary.blobs_already_processed += drop_settled(&mut placed, &settled);
        placed.sort_by_key(|(t, _)| *t);
        Ok(placed)
    }
}

/// Removes the blobs in `settled`, keeping the order of the rest; returns how many went.
fn drop_settled(blobs: &mut Vec<PlacedBlob>, settled: &HashSet<String>) -> u64 {
    let before = blobs.len();
    blobs.retain(|(_, b)| !settled.contains(&b.content_id));
    (before - blobs.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ContentBlob;
    use time::macros::datetime;

    fn placed(id: &str) -> PlacedBlob {
        let blob = ContentBlob {
            content_type: "Audit.General".into(),
            content_id: id.into(),
            content_uri: format!("https://manage.office.com/audit/{id}"),
            content_created: "2026-11-24T10:00:00Z".into(),
            content_expiration: None,
        };
        (datetime!(2026-11-24 10:00 UTC), blob)
    }

    #[test]
    fn settled_blobs_are_dropped_and_counted() {
        let mut blobs = vec![placed("a"), placed("b"), placed("c")];
        let settled: HashSet<String> = ["a".to_string(), "c".to_string(), "z".to_string()].into();
        assert_eq!(drop_settled(&mut blobs, &settled), 2);
        assert_eq!(blobs.len(), 1);
        assert_eq!(blobs[0].1.content_id, "b");
    }
}
