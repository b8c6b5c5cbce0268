//! The blob plan: which blobs exist, when they are created and become
//! available, how many records each holds, and their content ids.

use time::{Duration, OffsetDateTime};

use super::{HOT_DAY, PLAN};
use crate::config::{GeneratorConfig, HotAppDay};
use crate::content_type::ContentType;
use crate::rng::{SplitMix64, derive_seed};

/// A generated blob's metadata; its body comes from [`super::Generator::write_items`]. Kept
/// small and fixed-size (the content id is rendered when asked for), because a large tenant
/// has hundreds of thousands of these and nothing else per blob.
#[derive(Debug, Clone)]
pub(crate) struct PlannedBlob {
    pub key: u64,
    /// The content id's random parts: its number and its 32 hex digits.
    pub id_number: u64,
    pub id_hex: u128,
    pub content_type: ContentType,
    pub created: OffsetDateTime,
    pub available_at: OffsetDateTime,
    pub record_count: u32,
    /// Chronological position among the blobs of its content type.
    pub type_position: usize,
    /// A blob of the hot app-day: the ordinal of its first launch among that day's launches.
    pub hot_first: Option<u32>,
}

impl PlannedBlob {
    /// Shaped like Microsoft's: `{n}${n}${tenant}{tag}{YYYYMMDDHH}${32 hex}$04`.
    pub fn content_id(&self, tenant_hex: &str) -> String {
        let (number, created) = (self.id_number, self.created);
        format!(
            "{number}${number}${tenant_hex}{}{:04}{:02}{:02}{:02}${:032x}$04",
            self.content_type.id_tag(),
            created.year(),
            created.month() as u8,
            created.day(),
            created.hour(),
            self.id_hex,
        )
    }
}

/// The content id's random parts, drawn last from the blob's stream.
fn id_parts(rng: &mut SplitMix64) -> (u64, u128) {
    let number = rng.between(100_000_000_000, 999_999_999_999);
    // Two 64-bit draws, high first: the same digits as `SplitMix64::hex(32)`.
    let hex = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    (number, hex)
}

pub(super) fn plan_blobs(
    seed: u64,
    config: &GeneratorConfig,
    anchor: OffsetDateTime,
) -> Vec<PlannedBlob> {
    let per_hour = config.blobs_per_hour.max(1);
    let slot_millis = 3_600_000 / i64::from(per_hour);
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
                let (id_number, id_hex) = id_parts(&mut rng);
                blobs.push(PlannedBlob {
                    key,
                    id_number,
                    id_hex,
                    content_type,
                    created,
                    available_at,
                    record_count,
                    type_position: 0,
                    hot_first: None,
                });
            }
        }
    }
    if let Some(hot) = &config.hot_app {
        blobs.extend(plan_hot_day(seed, hot, anchor));
    }
    blobs
}

/// The hot app-day's blobs: `launches` launches in blobs of `launches_per_blob`, spread evenly
/// over the hour before the anchor, always available on time.
fn plan_hot_day(seed: u64, hot: &HotAppDay, anchor: OffsetDateTime) -> Vec<PlannedBlob> {
    let per_blob = hot.launches_per_blob.max(1);
    let count = hot.launches.div_ceil(per_blob);
    let hour_start = anchor - Duration::hours(1);
    let step_millis = 3_600_000 / i64::from(count.max(1));
    (0..count)
        .map(|i| {
            let key = derive_seed(seed, &[PLAN, HOT_DAY, u64::from(i)]);
            let mut rng = SplitMix64::new(key);
            let offset = i64::from(i) * step_millis + rng.below(step_millis.max(1) as u64) as i64;
            let created = hour_start + Duration::milliseconds(offset);
            let first = i * per_blob;
            let (id_number, id_hex) = id_parts(&mut rng);
            PlannedBlob {
                key,
                id_number,
                id_hex,
                content_type: ContentType::General,
                created,
                available_at: created,
                record_count: per_blob.min(hot.launches - first),
                type_position: 0,
                hot_first: Some(first),
            }
        })
        .collect()
}

/// Whether `slot` is one of the `large` slots spread evenly over `per_hour`: the slots where
/// `slot * large / per_hour` steps up, so exactly `min(large, per_hour)` of them.
pub(super) fn is_large_slot(slot: u32, per_hour: u32, large: u32) -> bool {
    let (slot, per_hour, large) = (u64::from(slot), u64::from(per_hour), u64::from(large));
    (slot + 1) * large / per_hour > slot * large / per_hour
}
