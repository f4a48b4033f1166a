//! Seedable randomness for jitter.
//!
//! Jitter must be random enough to spread retries of many clients apart, and
//! reproducible enough that a simulation run can be replayed from its seed.
//! The core therefore never asks the platform for entropy: the host owns a
//! [`Rng`] and seeds it (from `crypto.getRandomValues` in a browser, from a
//! test's seed in the simulation).

/// A source of uniformly distributed 64-bit values.
///
/// Implement it to plug in your own generator; [`SplitMix64`] is the default.
pub trait Rng {
    /// The next uniformly distributed value.
    fn next_u64(&mut self) -> u64;

    /// A uniformly distributed value in `0..=max`, without modulo bias worth
    /// speaking of (Lemire's multiply-shift reduction).
    fn below_inclusive(&mut self, max: u64) -> u64 {
        if max == u64::MAX {
            return self.next_u64();
        }
        let span = u128::from(max) + 1;
        let wide = u128::from(self.next_u64()) * span;
        // `wide >> 64` < span <= u64::MAX + 1, so it fits in u64.
        u64::try_from(wide >> 64).unwrap_or(max)
    }

    /// A uniformly distributed value in `lo..=hi` (`lo` when `hi < lo`).
    fn between_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo.saturating_add(self.below_inclusive(hi - lo))
    }

    /// A uniformly distributed fraction in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        // 53 random mantissa bits.
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// A small, fast, seedable generator (Steele, Lea & Flood's SplitMix64).
///
/// Not cryptographic: jitter needs spread, not secrecy. Its whole state is one
/// `u64`, so it snapshots trivially.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole output is fixed by `seed`.
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Its whole state: [`SplitMix64::new`] of it goes on where this one is.
    #[must_use]
    pub const fn state(&self) -> u64 {
        self.state
    }
}

impl Rng for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(SplitMix64::new(1).next_u64(), SplitMix64::new(2).next_u64());
    }

    #[test]
    fn bounded_draws_stay_in_range_and_cover_it() {
        let mut r = SplitMix64::new(42);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = r.between_inclusive(10, 14);
            assert!((10..=14).contains(&v));
            seen[(v - 10) as usize] = true;
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert!(seen.iter().all(|s| *s), "every value in range drawn");
        assert_eq!(r.between_inclusive(9, 3), 9);
        assert_eq!(r.below_inclusive(0), 0);
    }
}
