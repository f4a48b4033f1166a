//! The daily quota as a rolling window, counted in a fixed ring of buckets.
//!
//! Etsy's daily limit is a rolling 24-hour window, not a reset at midnight: a
//! request counts for exactly 24 hours after it was made. Keeping every
//! timestamp would cost memory that grows with traffic; a ring of
//! [`BUCKETS`] + 1 buckets costs a few kilobytes whatever the traffic, and
//! keeps each request counted *at least* a full window (it leaves the count
//! up to one bucket late, never early) — so the count never undercounts what
//! the server counts.
//!
//! The seed counted requests forever and had no reset time until a header
//! arrived, so a locally spent quota was never enforced (seed defect 10).

use alloc::vec;
use alloc::vec::Vec;

use crate::time::Millis;

/// Buckets per window (one-minute resolution for a 24-hour window).
pub(crate) const BUCKETS: u64 = 1440;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Bucket {
    slot: u64,
    count: u32,
}

/// Requests counted over the last window.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct RollingCount {
    width_ms: u64,
    ring: Vec<Bucket>,
}

impl RollingCount {
    /// An empty count over a window of `window_ms` (validated, >= BUCKETS).
    pub(crate) fn new(window_ms: u64) -> Self {
        Self {
            width_ms: (window_ms / BUCKETS).max(1),
            ring: vec![Bucket::default(); (BUCKETS + 1) as usize],
        }
    }

    fn slot(&self, at: Millis) -> u64 {
        at.as_u64() / self.width_ms
    }

    /// The oldest slot still counted at `now`.
    fn oldest(&self, now: Millis) -> u64 {
        self.slot(now).saturating_sub(BUCKETS)
    }

    /// Counts one request made at `at`.
    pub(crate) fn add(&mut self, at: Millis) {
        let slot = self.slot(at);
        let len = self.ring.len() as u64;
        if let Some(b) = self.ring.get_mut((slot % len) as usize) {
            if b.slot != slot {
                *b = Bucket { slot, count: 0 };
            }
            b.count = b.count.saturating_add(1);
        }
    }

    /// Uncounts one request previously added at `at` (a cancelled booking),
    /// if its bucket is still held.
    pub(crate) fn remove(&mut self, at: Millis) {
        let slot = self.slot(at);
        let len = self.ring.len() as u64;
        if let Some(b) = self.ring.get_mut((slot % len) as usize) {
            if b.slot == slot {
                b.count = b.count.saturating_sub(1);
            }
        }
    }

    /// Requests counted at `now` (including any booked for later).
    pub(crate) fn used(&self, now: Millis) -> u64 {
        let oldest = self.oldest(now);
        self.ring
            .iter()
            .filter(|b| b.count > 0 && b.slot >= oldest)
            .map(|b| u64::from(b.count))
            .sum()
    }

    /// When the oldest counted request leaves the window (so one more may
    /// go), or `None` if nothing is counted.
    pub(crate) fn next_release(&self, now: Millis) -> Option<Millis> {
        let oldest = self.oldest(now);
        self.ring
            .iter()
            .filter(|b| b.count > 0 && b.slot >= oldest)
            .map(|b| b.slot)
            .min()
            .map(|s| Millis(s.saturating_add(BUCKETS + 1).saturating_mul(self.width_ms)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000;

    #[test]
    fn seed_defect_10_the_count_rolls_over_and_always_has_a_release_time() {
        let mut c = RollingCount::new(DAY);
        assert_eq!(c.next_release(Millis(0)), None);
        for i in 0..10 {
            c.add(Millis(i * 1000));
        }
        assert_eq!(c.used(Millis(10_000)), 10);
        let release = c.next_release(Millis(10_000)).unwrap();
        // Never before a full day after the first request, at most one bucket later.
        assert!(
            release.as_u64() >= DAY && release.as_u64() <= DAY + 60_000 + 1000,
            "{release}"
        );
        assert_eq!(c.used(Millis(DAY - 1)), 10);
        assert_eq!(c.used(release), 0, "the window rolled over");
    }

    #[test]
    fn removal_undoes_a_booking() {
        let mut c = RollingCount::new(DAY);
        c.add(Millis(5));
        c.add(Millis(5));
        c.remove(Millis(5));
        assert_eq!(c.used(Millis(5)), 1);
        // A stale removal (bucket reused since) changes nothing.
        c.remove(Millis(5 + 2 * DAY));
        assert_eq!(c.used(Millis(5)), 1);
    }
}
