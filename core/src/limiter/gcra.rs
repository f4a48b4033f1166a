//! Per-second pacing by the generic cell rate algorithm (GCRA).
//!
//! GCRA keeps one number, the *theoretical arrival time* (TAT) of the next
//! request if traffic flowed at exactly the configured rate. A request at
//! `now` conforms when `now >= TAT - tolerance`, where the tolerance
//! `(burst - 1) × interval` lets `burst` requests go back to back. Granting
//! moves TAT one interval on. In any interval of length t it admits at most
//! `burst + t / interval` requests, with O(1) state and no timers.
//!
//! Grants here are *reservations*: a caller who cannot go now is told the
//! instant its slot comes, and the slot is booked (TAT moves on), so callers
//! are served in the order they asked — nobody is starved by later arrivals.
//! Grant instants are whole milliseconds, rounded up from the exact
//! theoretical instant; arithmetic is in microseconds so that rates such as
//! 3/s lose nothing to rounding. Within any half-open interval `[x, x + t)`
//! at most `burst + t / interval` grants fall.

use crate::time::Millis;

const MICROS_PER_MS: u64 = 1000;

/// GCRA state: the theoretical arrival time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Gcra {
    tat_us: u64,
}

/// A booked slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    /// When the request may be sent.
    pub(crate) at: Millis,
    /// TAT before and after this booking (to undo it if it was the last).
    pub(crate) tat_before_us: u64,
    pub(crate) tat_after_us: u64,
}

impl Gcra {
    /// The earliest instant a request asking at `now` may go.
    pub(crate) fn earliest(&self, now: Millis, interval_us: u64, burst: u32) -> Millis {
        let tolerance = interval_us.saturating_mul(u64::from(burst.saturating_sub(1)));
        let allowed_us = self.tat_us.saturating_sub(tolerance);
        Millis(allowed_us.div_ceil(MICROS_PER_MS)).max(now)
    }

    /// Books the next slot for a request asking at `now`.
    pub(crate) fn book(&mut self, now: Millis, interval_us: u64, burst: u32) -> Slot {
        let at = self.earliest(now, interval_us, burst);
        let before = self.tat_us;
        // TAT moves on from the exact theoretical time, not the rounded-up
        // grant, so rounding never accumulates into drift.
        let now_us = now.as_u64().saturating_mul(MICROS_PER_MS);
        self.tat_us = self.tat_us.max(now_us).saturating_add(interval_us);
        Slot {
            at,
            tat_before_us: before,
            tat_after_us: self.tat_us,
        }
    }

    /// Books the next *send* for a request that may go at `now` at the
    /// earliest: the gate that actual sends pass, whatever was booked.
    ///
    /// Unlike [`Gcra::book`], TAT moves on from the grant instant less one
    /// millisecond's rounding (`at - 999 µs`), not from `now`: a send made at
    /// the rounded-up millisecond of its exact theoretical instant then costs
    /// nothing extra, so on-time sends never drift behind the schedule, while
    /// a late one (a timer that fired a minute late) paces the next ones from
    /// when it really went.
    pub(crate) fn book_send(&mut self, now: Millis, interval_us: u64, burst: u32) -> Slot {
        let at = self.earliest(now, interval_us, burst);
        let before = self.tat_us;
        let at_us = at.as_u64().saturating_mul(MICROS_PER_MS);
        self.tat_us = self
            .tat_us
            .max(at_us.saturating_sub(MICROS_PER_MS - 1))
            .saturating_add(interval_us);
        Slot {
            at,
            tat_before_us: before,
            tat_after_us: self.tat_us,
        }
    }

    /// Moves TAT up to `other`'s, if that is later (reservations made after
    /// a send that `other` counted stand behind it).
    pub(crate) fn raise_to(&mut self, other: &Gcra) {
        self.tat_us = self.tat_us.max(other.tat_us);
    }

    /// Gives back a booked slot when it was the last one booked (a later
    /// booking already stands on it, so then it is simply left unused).
    pub(crate) fn unbook(&mut self, slot: &Slot) {
        if self.tat_us == slot.tat_after_us {
            self.tat_us = slot.tat_before_us;
        }
    }

    /// The pace changed from `old_us` to `new_us` between requests at `now`:
    /// what is booked ahead of `now` is rescaled to the new interval, so it
    /// stands for the same number of requests. When the pace slows, the
    /// burst already spent stays spent (keeping TAT as it was would let the
    /// larger tolerance of the slower interval release a fresh burst right
    /// after the server pushed back). When it speeds up again, the bookings
    /// shrink back: were they kept, every slow-down that followed would
    /// stretch them again, and a pace that slows and recovers over and over
    /// (a 429 between successes) would push them out without end.
    pub(crate) fn stretch(&mut self, now: Millis, old_us: u64, new_us: u64) {
        if new_us == old_us || old_us == 0 {
            return;
        }
        let now_us = now.as_u64().saturating_mul(MICROS_PER_MS);
        let ahead = u128::from(self.tat_us.saturating_sub(now_us));
        let stretched = ahead * u128::from(new_us) / u128::from(old_us);
        let stretched = u64::try_from(stretched).unwrap_or(u64::MAX);
        self.tat_us = now_us.saturating_add(stretched);
    }

    /// Caps what is booked ahead at `limit`: bookings of requests that were
    /// never sent (they belonged to a process that is gone) are forgotten.
    pub(crate) fn cap(&mut self, limit: Millis) {
        let limit_us = limit.as_u64().saturating_mul(MICROS_PER_MS);
        self.tat_us = self.tat_us.min(limit_us);
    }
}

crate::codec::codec_struct!(Gcra { tat_us });

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn burst_then_paced() {
        let mut g = Gcra::default();
        let at: alloc::vec::Vec<u64> = (0..5)
            .map(|_| g.book(Millis(1000), 100_000, 3).at.as_u64())
            .collect();
        assert_eq!(at, [1000, 1000, 1000, 1100, 1200]);
    }

    #[test]
    fn fractional_intervals_do_not_drift() {
        // 3 per second: 333.33 ms apart; 30 requests take 10 s, not 9.99 s.
        let mut g = Gcra::default();
        let last = (0..31)
            .map(|_| g.book(Millis(0), 333_334, 1).at)
            .last()
            .unwrap();
        assert!((10_000..=10_001).contains(&last.as_u64()), "{last}");
    }

    #[test]
    fn on_time_sends_keep_the_exact_schedule() {
        // 3 per second, each send at the rounded-up millisecond of its slot.
        let mut g = Gcra::default();
        let mut at = Vec::new();
        let mut now = Millis(0);
        for _ in 0..31 {
            let s = g.book_send(now, 333_334, 1);
            at.push(s.at.as_u64());
            now = s.at;
        }
        assert_eq!(&at[..4], &[0, 334, 667, 1001]);
        assert!((10_000..=10_001).contains(&at[30]), "{at:?}");
    }

    #[test]
    fn late_sends_pace_again_from_now() {
        let mut g = Gcra::default();
        for _ in 0..3 {
            let _ = g.book_send(Millis(0), 100_000, 1);
        }
        // A minute late: the next ones go one interval apart from then.
        let at: Vec<u64> = (0..3)
            .map(|_| g.book_send(Millis(60_000), 100_000, 1).at.as_u64())
            .collect();
        assert_eq!(at, [60_000, 60_100, 60_200]);
    }

    #[test]
    fn stretching_keeps_the_spent_burst_spent() {
        let mut g = Gcra::default();
        for _ in 0..3 {
            let _ = g.book(Millis(0), 100_000, 3);
        }
        // Burst of 3 spent at 10/s; the pace halves to 5/s.
        g.stretch(Millis(0), 100_000, 200_000);
        assert_eq!(g.book(Millis(0), 200_000, 3).at, Millis(200));
        // Without the stretch, the wider tolerance would let it go at once.
        let mut h = Gcra::default();
        for _ in 0..3 {
            let _ = h.book(Millis(0), 100_000, 3);
        }
        assert_eq!(h.book(Millis(0), 200_000, 3).at, Millis(0));
    }

    #[test]
    fn speeding_up_shrinks_what_is_booked_ahead_in_proportion() {
        let mut g = Gcra::default();
        let _ = g.book(Millis(0), 200_000, 1);
        let _ = g.book(Millis(0), 200_000, 1);
        g.stretch(Millis(100), 200_000, 100_000);
        // 300 ms ahead of now at 200 ms apart is 150 ms at 100 ms apart.
        assert_eq!(g.tat_us, 250_000);
    }

    #[test]
    fn slowing_and_recovering_leaves_the_bookings_where_they_were() {
        let mut g = Gcra::default();
        for _ in 0..5 {
            let _ = g.book(Millis(0), 100_000, 1);
        }
        for _ in 0..40 {
            g.stretch(Millis(0), 100_000, 200_000);
            g.stretch(Millis(0), 200_000, 100_000);
        }
        assert_eq!(g.tat_us, 500_000);
    }

    #[test]
    fn unbooking_the_last_slot_returns_it() {
        let mut g = Gcra::default();
        let a = g.book(Millis(0), 100_000, 1);
        let b = g.book(Millis(0), 100_000, 1);
        g.unbook(&a); // not the last: stays booked
        g.unbook(&b);
        assert_eq!(g.book(Millis(0), 100_000, 1).at, Millis(100));
    }
}
