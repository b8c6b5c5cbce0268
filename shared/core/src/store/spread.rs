//! Where write-heavy items land: a fixed hash of the ids an item is keyed by picks one of a few
//! partition keys, so one hot app-day's writes spread over several partitions.
//!
//! The hash is FNV-1a 64 over the UTF-8 bytes, fixed here for good: a key must come out the same
//! in every release, or a re-delivered record would land on a new key and be stored twice.
//! (`std`'s `DefaultHasher` may change between Rust releases, so it is never used for keys.)

/// Partition keys a day's app counters, and the app items, spread over: a few writes per blob
/// and app, never one per event.
pub const SUMMARY_BUCKETS: u64 = 16;
/// Partition keys a day's users spread over. A hot app-day writes about one user item per
/// launch (its blobs' users are mostly new to each blob), as fast as its events.
pub const USER_BUCKETS: u64 = 32;
/// Partition keys one app-day's events spread over. At the sync's fastest (about 11,000 events
/// a second on two cores, about 2 write units each) that is under 700 write units a second per
/// key, within DynamoDB's 1,000 per partition.
pub const EVENT_BUCKETS: u64 = 32;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// FNV-1a 64 of `parts` joined by `#`, so `("a", "b#c")` and `("a#b", "c")` collide only where
/// the joined key would too.
pub fn fnv1a64(parts: &[&str]) -> u64 {
    let mut hash = FNV_OFFSET;
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            hash = step(hash, b'#');
        }
        for byte in part.bytes() {
            hash = step(hash, byte);
        }
    }
    hash
}

fn step(hash: u64, byte: u8) -> u64 {
    (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME)
}

/// The bucket of an app's counter and facts.
pub fn app_bucket(app_id: &str) -> u64 {
    fnv1a64(&[app_id]) % SUMMARY_BUCKETS
}

/// The bucket of one user of one app.
pub fn user_bucket(app_id: &str, user: &str) -> u64 {
    fnv1a64(&[app_id, user]) % USER_BUCKETS
}

/// The bucket of one event within its app-day, from the record's `Id` alone.
pub fn event_bucket(record_id: &str) -> u64 {
    fnv1a64(&[record_id]) % EVENT_BUCKETS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_64() {
        // The published FNV-1a 64 test vectors.
        assert_eq!(fnv1a64(&[""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(&["a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(&["foobar"]), 0x8594_4171_f739_67e8);
        assert_eq!(fnv1a64(&["a", "b"]), fnv1a64(&["a#b"]));
    }

    #[test]
    fn buckets_are_fixed_for_good() {
        // Changing any of these moves stored items: a re-delivery would be stored twice.
        let app = "a1a1a1a1-0000-4000-8000-000000000001";
        assert_eq!(app_bucket(app), fnv1a64(&[app]) % 16);
        assert_eq!(
            (app_bucket("app"), user_bucket("app", "ana@contoso.com")),
            (
                fnv1a64(&["app"]) % 16,
                fnv1a64(&["app#ana@contoso.com"]) % 32
            )
        );
        assert_eq!(event_bucket("foobar"), 0x8594_4171_f739_67e8 % 32);
    }

    #[test]
    fn a_hot_apps_users_and_events_spread_over_every_bucket() {
        let mut users = [0u32; USER_BUCKETS as usize];
        let mut events = [0u32; EVENT_BUCKETS as usize];
        for i in 0..100_000 {
            users[user_bucket("hot", &format!("user{i}@contoso.com")) as usize] += 1;
            events[event_bucket(&format!("50a50a50-0000-4000-8000-{i:012}")) as usize] += 1;
        }
        // Even to within 10%: no bucket takes much more than its share.
        let even = |counts: &[u32]| {
            let share = 100_000 / counts.len() as u32;
            counts
                .iter()
                .all(|&n| (share * 9 / 10..=share * 11 / 10).contains(&n))
        };
        assert!(even(&users), "{users:?}");
        assert!(even(&events), "{events:?}");
    }
}
