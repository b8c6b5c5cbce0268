//! A small deterministic PRNG.
//!
//! The emulator promises byte-identical content for the same seed, across
//! builds and dependency upgrades. `rand`'s `StdRng` explicitly does not
//! promise a stable stream between versions, so content generation uses this
//! SplitMix64 instead. It is also cheap to seed, which matters because every
//! record gets its own generator (see `generate.rs`): that is what lets a blob
//! body be produced lazily, and a duplicate be regenerated from its origin.

/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state, one add and a mix.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The SplitMix64 output function, also usable as a hash to derive seeds.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Derives an independent seed from a root seed and a path of integers, so
/// that each purpose (directory, plan, record N of blob M...) draws from its
/// own stream and adding draws to one never shifts another.
pub fn derive_seed(root: u64, path: &[u64]) -> u64 {
    path.iter().fold(mix64(root ^ GOLDEN_GAMMA), |acc, &part| {
        mix64(acc ^ mix64(part.wrapping_add(GOLDEN_GAMMA)))
    })
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub fn derived(root: u64, path: &[u64]) -> Self {
        Self::new(derive_seed(root, path))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix64(self.state)
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[0, n)`; `n` must be non-zero. The modulo bias is below
    /// 2^-40 for every `n` used here, which is irrelevant for test data.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        self.next_u64() % n
    }

    /// Uniform in `[lo, hi]` (inclusive).
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below(hi - lo + 1)
        }
    }

    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    pub fn chance(&mut self, probability: f64) -> bool {
        probability > 0.0 && self.next_f64() < probability
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    /// A random (version 4 style) GUID in the lowercase 8-4-4-4-12 form that
    /// Microsoft uses for record ids, tenants, apps and environments.
    pub fn guid(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let hi = (hi & !0xf000) | 0x4000;
        let lo = (lo & !(0xc << 60)) | (0x8 << 60);
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xffff,
            lo >> 48,
            lo & 0xffff_ffff_ffff
        )
    }

    /// `len` lowercase hex digits.
    pub fn hex(&mut self, len: usize) -> String {
        let mut out = String::with_capacity(len + 16);
        while out.len() < len {
            out.push_str(&format!("{:016x}", self.next_u64()));
        }
        out.truncate(len);
        out
    }
}

/// True for the lowercase or uppercase 8-4-4-4-12 GUID form.
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = SplitMix64::derived(42, &[1, 2]);
        let mut b = SplitMix64::derived(42, &[1, 2]);
        let mut c = SplitMix64::derived(42, &[2, 1]);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn guids_are_well_formed() {
        let mut rng = SplitMix64::new(7);
        for _ in 0..1000 {
            let g = rng.guid();
            assert!(is_guid(&g), "{g}");
            assert_eq!(g, g.to_lowercase());
            assert_eq!(&g[14..15], "4");
            assert!(matches!(&g[19..20], "8" | "9" | "a" | "b"), "{g}");
        }
        assert!(!is_guid("not-a-guid"));
        assert!(!is_guid("0000000-0000-0000-0000-000000000000"));
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut rng = SplitMix64::new(1);
        for _ in 0..1000 {
            let v = rng.between(3, 5);
            assert!((3..=5).contains(&v));
            let f = rng.next_f64();
            assert!((0.0..1.0).contains(&f));
        }
        assert_eq!(rng.between(9, 9), 9);
        assert_eq!(rng.hex(37).len(), 37);
    }
}
