//! The blob plan: which blobs exist, when they are created and become
//! available, how many records each holds, and their content ids.

use time::{Duration, OffsetDateTime};

use super::PLAN;
use crate::config::GeneratorConfig;
use crate::content_type::ContentType;
use crate::rng::{SplitMix64, derive_seed};

/// A generated blob's metadata; its body comes from [`super::Generator::write_items`].
#[derive(Debug, Clone)]
pub(crate) struct PlannedBlob {
    pub key: u64,
    pub content_id: String,
    pub content_type: ContentType,
    pub created: OffsetDateTime,
    pub available_at: OffsetDateTime,
    pub record_count: u32,
    /// Chronological position among the blobs of its content type.
    pub type_position: usize,
}

pub(super) fn plan_blobs(
    seed: u64,
    tenant_id: &str,
    config: &GeneratorConfig,
    anchor: OffsetDateTime,
) -> Vec<PlannedBlob> {
    let per_hour = config.blobs_per_hour.max(1);
    let slot_millis = 3_600_000 / i64::from(per_hour);
    let tenant_hex: String = tenant_id.chars().filter(|c| *c != '-').collect();
    let (min_records, max_records) = (
        config.records_per_blob_min,
        config.records_per_blob_max.max(config.records_per_blob_min),
    );
    let mut blobs = Vec::new();
    for hour in -i64::from(config.hours_before)..i64::from(config.hours_after) {
        let hour_start = anchor + Duration::hours(hour);
        for &content_type in &config.content_types {
            for slot in 0..per_hour {
                let key = derive_seed(
                    seed,
                    &[PLAN, content_type.ordinal(), hour as u64, u64::from(slot)],
                );
                let mut rng = SplitMix64::new(key);
                let offset = i64::from(slot) * slot_millis + rng.below(slot_millis as u64) as i64;
                let created = hour_start + Duration::milliseconds(offset);
                let available_at = if rng.chance(config.late_rate) {
                    let min_delay = config.max_late_secs.min(3600);
                    created + Duration::seconds(rng.between(min_delay, config.max_late_secs) as i64)
                } else {
                    created
                };
                let drawn = rng.between(u64::from(min_records), u64::from(max_records)) as u32;
                // Drawn either way, so that a large blob changes nothing else of the plan.
                let record_count = if is_large_slot(slot, per_hour, config.large_blobs_per_hour) {
                    config.large_blob_records
                } else {
                    drawn
                };
                let number = rng.between(100_000_000_000, 999_999_999_999);
                let content_id = format!(
                    "{number}${number}${tenant_hex}{}{:04}{:02}{:02}{:02}${}$04",
                    content_type.id_tag(),
                    created.year(),
                    created.month() as u8,
                    created.day(),
                    created.hour(),
                    rng.hex(32),
                );
                blobs.push(PlannedBlob {
                    key,
                    content_id,
                    content_type,
                    created,
                    available_at,
                    record_count,
                    type_position: 0,
                });
            }
        }
    }
    blobs
}

/// Whether `slot` is one of the `large` slots spread evenly over `per_hour`: the slots where
/// `slot * large / per_hour` steps up, so exactly `min(large, per_hour)` of them.
pub(super) fn is_large_slot(slot: u32, per_hour: u32, large: u32) -> bool {
    let (slot, per_hour, large) = (u64::from(slot), u64::from(per_hour), u64::from(large));
    (slot + 1) * large / per_hour > slot * large / per_hour
}
