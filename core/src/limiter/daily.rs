//! The daily quota as a rolling window, counted in a fixed ring of buckets.
//!
//! Etsy's daily limit is a rolling 24-hour window, not a reset at midnight: a
//! request counts for exactly 24 hours after it was made. Keeping every
//! timestamp would cost memory that grows with traffic; a ring of
//! [`BUCKETS`] + 2 buckets costs a few kilobytes whatever the traffic, and
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
///
/// A running total is kept so that a decision costs O(1): buckets are
/// subtracted as they leave the window (amortised over the calls that move
/// time on), instead of summing the ring on every request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct RollingCount {
    width_ms: u64,
    ring: Vec<Bucket>,
    /// Sum of the buckets whose slot is `>= expired_below`.
    total: u64,
    /// Every bucket older than this has been subtracted from `total`.
    expired_below: u64,
    /// The instant `expire` last ran for, and its slot (saves a division
    /// per request when many requests share an instant or a bucket).
    expired_at: Millis,
    expired_at_slot: u64,
}

impl RollingCount {
    /// An empty count over a window of `window_ms` (validated, >= BUCKETS).
    pub(crate) fn new(window_ms: u64) -> Self {
        Self {
            width_ms: (window_ms / BUCKETS).max(1),
            // The window's BUCKETS + 1 slots, plus one for bookings made up
            // to one bucket ahead of now (see `max_lookahead_ms`).
            ring: vec![Bucket::default(); (BUCKETS + 2) as usize],
            total: 0,
            expired_below: 0,
            expired_at: Millis::ZERO,
            expired_at_slot: 0,
        }
    }

    fn slot(&self, at: Millis) -> u64 {
        // Never 0 in a ring this code made; a restored one may say anything.
        at.as_u64() / self.width_ms.max(1)
    }

    /// How far ahead of now a request may be counted: one bucket. Further
    /// ahead, its bucket would share a ring slot with one still counted.
    pub(crate) fn max_lookahead_ms(&self) -> u64 {
        self.width_ms
    }

    /// The oldest slot still counted at `now`.
    fn oldest(&self, now: Millis) -> u64 {
        self.slot(now).saturating_sub(BUCKETS)
    }

    fn bucket_mut(&mut self, slot: u64) -> Option<&mut Bucket> {
        let len = self.ring.len() as u64;
        self.ring.get_mut((slot % len.max(1)) as usize)
    }

    /// Counts of buckets that have left the window at `now` but are still in
    /// the running total. At most one ring's worth is looked at.
    fn stale(&self, now: Millis) -> impl Iterator<Item = &Bucket> {
        let oldest = self.oldest(now);
        let len = self.ring.len() as u64;
        let from = self.expired_below.max(oldest.saturating_sub(len));
        (from..oldest).filter_map(move |s| {
            self.ring
                .get((s % len.max(1)) as usize)
                .filter(|b| b.slot == s)
        })
    }

    /// Subtracts the buckets that have left the window at `now`.
    pub(crate) fn expire(&mut self, now: Millis) {
        if now == self.expired_at {
            return;
        }
        self.expired_at = now;
        self.expired_at_slot = self.slot(now);
        let oldest = self.expired_at_slot.saturating_sub(BUCKETS);
        if oldest <= self.expired_below {
            return;
        }
        let gone: u64 = self.stale(now).map(|b| u64::from(b.count)).sum();
        self.total = self.total.saturating_sub(gone);
        self.expired_below = oldest;
    }

    /// Counts one request made at `at`, at time `now`.
    pub(crate) fn add(&mut self, at: Millis, now: Millis) {
        self.add_n(at, now, 1);
    }

    /// Counts `n` requests made at `at`, at time `now`.
    fn add_n(&mut self, at: Millis, now: Millis, n: u32) {
        self.expire(now);
        let slot = if at == now {
            self.expired_at_slot
        } else {
            self.slot(at)
        };
        if slot < self.expired_below || slot > self.expired_at_slot.saturating_add(1) {
            // Outside the window, or too far ahead for the ring to hold.
            return;
        }
        if let Some(b) = self.bucket_mut(slot) {
            if b.slot != slot {
                // The old content left the window and was subtracted.
                *b = Bucket { slot, count: 0 };
            }
            b.count = b.count.saturating_add(n);
            self.total = self.total.saturating_add(u64::from(n));
        }
    }

    /// Uncounts one request previously added at `at` (a cancelled booking),
    /// if it is still counted.
    pub(crate) fn remove(&mut self, at: Millis, now: Millis) {
        self.expire(now);
        let slot = self.slot(at);
        if slot < self.expired_below {
            return;
        }
        if let Some(b) = self.bucket_mut(slot) {
            if b.slot == slot && b.count > 0 {
                b.count -= 1;
                self.total = self.total.saturating_sub(1);
            }
        }
    }

    /// Counts every request `old` still counts at `now` again here, each at
    /// the end of its old bucket (or `now`, if earlier): a request is never
    /// moved earlier, so the new count leaves the window no sooner than the
    /// server's.
    pub(crate) fn carry_over(&mut self, old: &RollingCount, now: Millis) {
        let oldest = old.oldest(now).max(old.expired_below);
        for b in old.ring.iter().filter(|b| b.slot >= oldest && b.count > 0) {
            let end = Millis(
                b.slot
                    .saturating_add(1)
                    .saturating_mul(old.width_ms)
                    .saturating_sub(1),
            );
            self.add_n(end.min(now), now, b.count);
        }
    }

    /// The buckets still counted at `now`, oldest first, each as its last
    /// instant through `wall` and its count: what a snapshot keeps.
    pub(crate) fn saved(&self, now: Millis, wall: impl Fn(Millis) -> Millis) -> Vec<[u64; 2]> {
        let oldest = self.oldest(now).max(self.expired_below);
        let newest = self.slot(now).saturating_add(1);
        let len = self.ring.len() as u64;
        // Slot by slot rather than sorted: the standard library's sort
        // weighs kilobytes in the WebAssembly module.
        let mut out = Vec::new();
        for s in oldest..=newest {
            if let Some(b) = self.ring.get((s % len.max(1)) as usize) {
                if b.slot == s && b.count > 0 {
                    let end = s.saturating_add(1).saturating_mul(self.width_ms);
                    out.push([
                        wall(Millis(end.saturating_sub(1))).as_u64(),
                        u64::from(b.count),
                    ]);
                }
            }
        }
        out
    }

    /// Counts saved buckets again at `now`, each in the bucket of its last
    /// instant: a request is never moved earlier. (One further ahead than
    /// the ring holds, which no real snapshot has, counts one bucket ahead.)
    pub(crate) fn load(&mut self, saved: &[[u64; 2]], now: Millis) {
        for &[end, count] in saved {
            let n = u32::try_from(count).unwrap_or(u32::MAX);
            self.add_n(Millis(end).min(now.plus(self.width_ms)), now, n);
        }
    }

    /// Requests counted as of the last [`RollingCount::expire`].
    pub(crate) fn used_as_expired(&self) -> u64 {
        self.total
    }

    /// Requests counted at `now` (including any booked for later).
    pub(crate) fn used(&self, now: Millis) -> u64 {
        let gone: u64 = self.stale(now).map(|b| u64::from(b.count)).sum();
        self.total.saturating_sub(gone)
    }

    /// The start of the newest bucket that counts a request (booked ones
    /// included), or `None` if nothing is counted.
    pub(crate) fn last_counted(&self, now: Millis) -> Option<Millis> {
        let oldest = self.oldest(now).max(self.expired_below);
        let newest = self.slot(now).saturating_add(1);
        let len = self.ring.len() as u64;
        (oldest..=newest)
            .rev()
            .find(|s| {
                self.ring
                    .get((s % len.max(1)) as usize)
                    .is_some_and(|b| b.slot == *s && b.count > 0)
            })
            .map(|s| Millis(s.saturating_mul(self.width_ms)))
    }

    /// When the oldest counted request leaves the window (so one more may
    /// go), or `None` if nothing is counted.
    ///
    /// Walks the slots from the oldest counted one forward and stops at the
    /// first that holds a request: usually a few steps, at most the ring.
    pub(crate) fn next_release(&self, now: Millis) -> Option<Millis> {
        let oldest = self.oldest(now).max(self.expired_below);
        let newest = self.slot(now).saturating_add(1);
        let len = self.ring.len() as u64;
        (oldest..=newest)
            .find(|s| {
                self.ring
                    .get((s % len.max(1)) as usize)
                    .is_some_and(|b| b.slot == *s && b.count > 0)
            })
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
            c.add(Millis(i * 1000), Millis(i * 1000));
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
    fn carrying_over_to_another_width_keeps_every_count_no_earlier() {
        let mut old = RollingCount::new(DAY);
        for i in 0..100 {
            old.add(Millis(i * 30_000), Millis(i * 30_000));
        }
        let now = Millis(100 * 30_000);
        let mut new = RollingCount::new(DAY / 2);
        new.carry_over(&old, now);
        assert_eq!(new.used(now), 100);
        // The first request (t=0) is still counted half a day later.
        assert_eq!(new.used(Millis(DAY / 2 - 1)), 100);
    }

    #[test]
    fn a_booking_in_the_next_bucket_is_counted_there() {
        let mut c = RollingCount::new(DAY);
        c.add(Millis(60_500), Millis(59_900));
        // Bucket 0 leaves the window at (0 + 1441) min; bucket 1 a minute later.
        assert_eq!(c.used(Millis(1441 * 60_000 + 1)), 1);
        assert_eq!(c.used(Millis(1442 * 60_000 + 1)), 0);
    }

    #[test]
    fn requests_outside_what_the_ring_can_hold_are_not_counted() {
        let mut c = RollingCount::new(DAY);
        c.add(Millis(3 * 60_000), Millis(0)); // three buckets ahead
        assert_eq!(c.used(Millis(0)), 0);
        let later = Millis(3 * DAY);
        c.add(Millis(10), later); // long gone
        assert_eq!(c.used(later), 0);
    }

    #[test]
    fn removal_touches_only_the_booking_it_undoes() {
        let mut c = RollingCount::new(DAY);
        c.add(Millis(120_000), Millis(120_000));
        c.remove(Millis(120_000), Millis(120_000));
        c.remove(Millis(120_000), Millis(120_000)); // nothing left to remove
        assert_eq!(c.used(Millis(120_000)), 0);
        // A bucket reused a ring's length later is another bucket.
        let ring = (BUCKETS + 2) * 60_000;
        c.add(Millis(ring), Millis(ring));
        c.remove(Millis(0), Millis(ring));
        assert_eq!(c.used(Millis(ring)), 1);
    }

    #[test]
    fn the_next_release_is_found_in_any_bucket() {
        let mut c = RollingCount::new(DAY);
        let two_hours = 7_200_000;
        c.add(Millis(two_hours), Millis(two_hours));
        let release = c.next_release(Millis(two_hours)).unwrap();
        assert_eq!(release.as_u64(), (120 + BUCKETS + 1) * 60_000);
    }

    #[test]
    fn removal_undoes_a_booking() {
        let mut c = RollingCount::new(DAY);
        c.add(Millis(5), Millis(0));
        c.add(Millis(5), Millis(0));
        c.remove(Millis(5), Millis(1));
        assert_eq!(c.used(Millis(5)), 1);
        // A removal after the window has passed changes nothing.
        c.remove(Millis(5), Millis(5 + 2 * DAY));
        assert_eq!(c.used(Millis(5 + 2 * DAY)), 0);
    }

    #[test]
    fn running_total_matches_a_full_recount_through_long_gaps() {
        let mut c = RollingCount::new(DAY);
        let mut now = 0u64;
        for step in 0..5000u64 {
            now += (step * 7919) % 3_000_000; // irregular gaps, some over a bucket
            c.add(Millis(now), Millis(now));
            let recount: u64 = c
                .ring
                .iter()
                .filter(|b| b.slot >= c.oldest(Millis(now)))
                .map(|b| u64::from(b.count))
                .sum();
            assert_eq!(c.used(Millis(now)), recount, "step {step}");
        }
    }
}
