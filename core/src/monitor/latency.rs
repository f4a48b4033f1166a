//! Latency percentiles in a fixed amount of memory: a log-linear histogram.
//!
//! Keeping every latency to sort would grow with traffic; a histogram of
//! [`BINS`] counters does not. Values below 16 ms each have a bin of their
//! own (exact); above, every power of two is cut into 8 equal bins, up to
//! 2^24 ms (4.6 hours), and anything longer shares a last bin. A percentile
//! is answered as the highest value of the bin its rank falls in, capped by
//! the largest value recorded (kept exactly), so it is never below the true
//! nearest-rank percentile and at most 1/8 (12.5 %) above it; below 16 ms,
//! and at the maximum, it is exact. The same rule as HdrHistogram's with 8
//! sub-buckets, written for a `no_std` core.

/// Values below this have a bin each.
const EXACT: u64 = 16;
/// Bins per power of two above [`EXACT`].
const PER_OCTAVE: u64 = 8;
/// The first power of two (as an exponent) past the last octave binned.
const TOP_EXPONENT: u32 = 24;
/// Every bin: the exact ones, 8 per octave from 2^4 to 2^24, and one for
/// anything longer.
pub const BINS: usize = (EXACT + PER_OCTAVE * (TOP_EXPONENT as u64 - 4) + 1) as usize;

/// The bin a latency of `ms` is counted in.
#[must_use]
#[allow(clippy::cast_possible_truncation)]
pub const fn bin_of(ms: u64) -> usize {
    if ms < EXACT {
        return ms as usize;
    }
    let exponent = 63 - ms.leading_zeros();
    if exponent >= TOP_EXPONENT {
        return BINS - 1;
    }
    let sub = (ms >> (exponent - 3)) & (PER_OCTAVE - 1);
    (EXACT + (exponent as u64 - 4) * PER_OCTAVE + sub) as usize
}

/// The highest latency counted in `bin` (`u64::MAX` for the last, open one).
#[must_use]
pub const fn bin_high(bin: usize) -> u64 {
    let b = bin as u64;
    if b < EXACT {
        return b;
    }
    if bin >= BINS - 1 {
        return u64::MAX;
    }
    let exponent = 4 + (b - EXACT) / PER_OCTAVE;
    let sub = (b - EXACT) % PER_OCTAVE;
    let width = 1u64 << (exponent - 3);
    (PER_OCTAVE + sub) * width + width - 1
}

/// Counts of latencies by bin, and the largest seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: [u32; BINS],
    total: u64,
    max: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            counts: [0; BINS],
            total: 0,
            max: 0,
        }
    }
}

impl LatencyHistogram {
    /// Counts one latency.
    pub fn record(&mut self, ms: u64) {
        if let Some(c) = self.counts.get_mut(bin_of(ms)) {
            *c = c.saturating_add(1);
        }
        self.total = self.total.saturating_add(1);
        self.max = self.max.max(ms);
    }

    /// Adds another histogram's counts into this one (to sum a window's
    /// segments).
    pub fn add(&mut self, other: &Self) {
        for (c, o) in self.counts.iter_mut().zip(other.counts.iter()) {
            *c = c.saturating_add(*o);
        }
        self.total = self.total.saturating_add(other.total);
        self.max = self.max.max(other.max);
    }

    /// Latencies counted.
    #[must_use]
    pub const fn total(&self) -> u64 {
        self.total
    }

    /// The largest latency counted (0 when none).
    #[must_use]
    pub const fn max(&self) -> u64 {
        self.max
    }

    /// The nearest-rank `q`-quantile (`q` in (0, 1]; 0.5 is the median), to
    /// the accuracy the module describes; `None` when nothing was counted.
    #[must_use]
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let q = if q.is_finite() {
            q.clamp(0.0, 1.0)
        } else {
            1.0
        };
        // The rank of the answer among the values in order, 1-based.
        let exact = q * self.total as f64;
        let floor = exact as u64;
        let ceil = if (floor as f64) < exact {
            floor + 1
        } else {
            floor
        };
        let rank = ceil.clamp(1, self.total);
        let mut seen = 0u64;
        for (bin, c) in self.counts.iter().enumerate() {
            seen += u64::from(*c);
            if seen >= rank {
                return Some(bin_high(bin).min(self.max));
            }
        }
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_every_value_in_order_without_gaps() {
        assert_eq!(BINS, 177);
        let mut previous = 0;
        for bin in 0..BINS - 1 {
            let high = bin_high(bin);
            assert_eq!(bin_of(high), bin, "bin {bin}");
            assert_eq!(bin_of(high + 1), bin + 1, "after bin {bin}");
            assert!(bin == 0 || high > previous);
            previous = high;
        }
        assert_eq!(bin_of(u64::MAX), BINS - 1);
        assert_eq!(bin_of(1 << 24), BINS - 1);
    }

    #[test]
    fn a_bin_is_never_wider_than_an_eighth_of_its_values() {
        for ms in [16u64, 17, 100, 999, 1_000, 12_345, 1 << 20, (1 << 24) - 1] {
            let high = bin_high(bin_of(ms));
            assert!(high >= ms);
            assert!((high - ms) * 8 <= ms, "{ms} answered as {high}");
        }
    }

    #[test]
    fn percentiles_of_a_known_distribution() {
        // 1..=100 ms once each: nearest-rank p50 = 50, p90 = 90, p99 = 99.
        let mut h = LatencyHistogram::default();
        for ms in 1..=100 {
            h.record(ms);
        }
        assert_eq!(h.total(), 100);
        assert_eq!(h.max(), 100);
        // 50 is in the bin 48..=51, 90 in 88..=95, 99 in 96..=103 (capped
        // by the maximum, 100).
        assert_eq!(h.quantile(0.5), Some(51));
        assert_eq!(h.quantile(0.9), Some(95));
        assert_eq!(h.quantile(0.99), Some(100));
        assert_eq!(h.quantile(1.0), Some(100));
    }

    #[test]
    fn small_latencies_are_exact() {
        let mut h = LatencyHistogram::default();
        for ms in [3, 3, 3, 3, 3, 3, 3, 3, 3, 7] {
            h.record(ms);
        }
        assert_eq!(h.quantile(0.5), Some(3));
        assert_eq!(h.quantile(0.9), Some(3));
        assert_eq!(h.quantile(0.99), Some(7));
    }

    #[test]
    fn empty_answers_none_and_sums_add_up() {
        let mut a = LatencyHistogram::default();
        assert_eq!(a.quantile(0.5), None);
        let mut b = LatencyHistogram::default();
        a.record(10);
        b.record(5_000);
        b.record(1 << 30);
        a.add(&b);
        assert_eq!(a.total(), 3);
        assert_eq!(a.max(), 1 << 30);
        assert_eq!(a.quantile(0.34), Some(bin_high(bin_of(5_000))));
        assert_eq!(a.quantile(1.0), Some(1 << 30));
    }
}
