//! The send gate: the generic cell rate algorithm (GCRA) over what was
//! really sent.
//!
//! GCRA keeps one number, the *theoretical arrival time* (TAT) of the next
//! request had traffic flowed at exactly the pace. A send at `now` conforms
//! when `now >= TAT - tolerance`; sending moves TAT one interval on from the
//! later of TAT and `now`. With a tolerance of `k` intervals, any window of
//! length `t` holds at most `1 + k + t / interval` conforming sends, with
//! O(1) state and no timers: that is the bound every send the limiter lets
//! go is checked against (module [`super::line`] decides the order; this
//! gate only refuses what would break the bound).
//!
//! Arithmetic is in microseconds so that rates such as 3/s lose nothing to
//! rounding, and instants are whole milliseconds, rounded up: a send made
//! at the rounded-up millisecond of its exact moment is credited the
//! rounding (TAT moves on from `now − 999 µs`) when the gate has no
//! tolerance, so on-time sends never drift behind the pace; with a
//! tolerance the rounding is absorbed by it and nothing is credited, so the
//! bound holds to the microsecond.

use crate::time::Millis;

pub(crate) const MICROS_PER_MS: u64 = 1000;

/// Microseconds of `at`.
#[inline]
pub(crate) const fn us(at: Millis) -> u64 {
    at.as_u64().saturating_mul(MICROS_PER_MS)
}

/// How many of the latest sends the gate remembers, to count them at a new
/// pace when it changes (module docs of [`super`]: the second that spans a
/// slow-down holds no more than the new limit allows).
pub(crate) const RECENT: usize = 32;

/// The gate's state: the theoretical arrival time, in microseconds, and the
/// instants of the latest sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Gcra {
    tat_us: u64,
    /// The latest sends' credited instants (µs), the newest at
    /// `(sends − 1) % RECENT`.
    #[cfg_attr(feature = "serde", serde(default))]
    recent: [u64; RECENT],
    /// Sends recorded since this gate was made.
    #[cfg_attr(feature = "serde", serde(default))]
    sends: u64,
}

impl Gcra {
    /// The earliest instant, at or after `now`, at which a send conforms.
    #[inline]
    pub(crate) fn earliest(&self, now: Millis, tolerance_us: u64) -> Millis {
        let allowed_us = self.tat_us.saturating_sub(tolerance_us);
        Millis(allowed_us.div_ceil(MICROS_PER_MS)).max(now)
    }

    /// Records a send at `now`; with `credit`, as made at the rounded-down
    /// start of its millisecond (see the module docs).
    #[inline]
    pub(crate) fn record(&mut self, now: Millis, interval_us: u64, credit: bool) {
        let credited = us(now).saturating_sub(if credit { MICROS_PER_MS - 1 } else { 0 });
        self.tat_us = self.tat_us.max(credited).saturating_add(interval_us);
        if let Some(slot) = self.recent.get_mut(self.sends as usize % RECENT) {
            *slot = credited;
        }
        self.sends = self.sends.saturating_add(1);
    }

    /// The pace changed from `old_us` to `new_us` at `now`. GCRA's TAT is
    /// the latest of `send + (sends since, that one included) × interval`
    /// over every past send; it is computed again at the new interval from
    /// the sends remembered, so that sends made at the old pace count at the
    /// new one: after a slow-down the next send waits until the last
    /// second's sends would have been paced at the new interval. Sends
    /// older than those remembered but within `window_us` of `now` are
    /// taken to have gone at the old pace (the most there can have been).
    /// Without a record (nothing sent yet) what stands ahead of `now` is
    /// rescaled instead ([`stretch_ahead`]).
    pub(crate) fn repace(&mut self, now: Millis, old_us: u64, new_us: u64, window_us: u64) {
        if new_us == old_us {
            return;
        }
        let kept = self.sends.min(RECENT as u64);
        if kept == 0 {
            self.tat_us = stretch_ahead(self.tat_us, now, old_us, new_us);
            return;
        }
        let mut tat = 0u64;
        let mut oldest = 0u64;
        for (back, at) in self.newest_first() {
            tat = tat.max(at.saturating_add((back + 1).saturating_mul(new_us)));
            oldest = at;
        }
        let since = us(now).saturating_sub(window_us);
        if self.sends > kept && new_us > old_us && old_us > 0 && oldest > since {
            // `m` more sends before the oldest remembered, at the old pace.
            let m = (oldest - since) / old_us;
            let at = oldest.saturating_sub(m.saturating_mul(old_us));
            tat = tat.max(at.saturating_add((kept + m + 1).saturating_mul(new_us)));
        }
        self.tat_us = tat;
    }

    /// The sends of the last `window_us` (those remembered, and as many
    /// more at the old pace `old_us` as can have gone before the oldest
    /// remembered) counted as if made at `now`, at `new_us` apart: for a
    /// limit the server has just stated, which they may have reached it
    /// as late as (a cold connection holds the first requests back, then
    /// delivers them together).
    pub(crate) fn count_recent_from(
        &mut self,
        now: Millis,
        old_us: u64,
        new_us: u64,
        window_us: u64,
    ) {
        let now_us = us(now);
        let since = now_us.saturating_sub(window_us);
        let kept = self.sends.min(RECENT as u64);
        let mut within = 0u64;
        let mut oldest = None;
        for (_, at) in self.newest_first().take_while(|&(_, at)| at >= since) {
            within += 1;
            oldest = Some(at);
        }
        if let Some(oldest) = oldest.filter(|_| within == kept && self.sends > kept && old_us > 0) {
            within = within.saturating_add((oldest - since) / old_us);
        }
        let held = now_us.saturating_sub(MICROS_PER_MS - 1);
        self.tat_us = self
            .tat_us
            .max(held.saturating_add(within.saturating_mul(new_us)));
    }

    /// The remembered sends' instants, newest first, each with how many
    /// sends came after it.
    fn newest_first(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        let kept = self.sends.min(RECENT as u64);
        (0..kept).map(move |back| {
            let i = (self.sends - 1 - back) as usize % RECENT;
            (back, self.recent.get(i).copied().unwrap_or(0))
        })
    }

    /// Sends recorded since this gate was made.
    #[inline]
    pub(crate) fn sends(&self) -> u64 {
        self.sends
    }

    /// The credited instant (µs) of the first send recorded, while the
    /// record still holds it.
    #[inline]
    pub(crate) fn first_send_us(&self) -> Option<u64> {
        (self.sends > 0 && self.sends <= RECENT as u64).then(|| self.recent[0])
    }

    /// A gate whose next send conforms from `tat_us` on (a restored pace:
    /// the old process's sends are not remembered one by one).
    pub(crate) fn starting_at(tat_us: u64) -> Self {
        Self {
            tat_us,
            ..Self::default()
        }
    }

    /// The theoretical arrival time, in microseconds.
    pub(crate) const fn tat_us(&self) -> u64 {
        self.tat_us
    }

    /// Caps what stands ahead at `limit` (sends of a process that is gone).
    pub(crate) fn cap(&mut self, limit: Millis) {
        self.tat_us = self.tat_us.min(us(limit));
    }
}

/// `tat_us` after the pace changed from `old_us` to `new_us` at `now`: its
/// distance from `now` scaled by `new_us / old_us`, so that what was booked
/// or spent ahead stands for the same number of requests.
///
/// When the pace slows, a burst already spent stays spent (keeping TAT
/// where it was would let the wider tolerance of the slower interval
/// release a fresh burst right after the server pushed back). When it speeds
/// up again, what stands ahead shrinks back: were it kept, each slow-down
/// that followed would stretch it again, and a pace that slows and recovers
/// over and over (a 429 between successes) would push it out without end.
/// Instants already past are scaled the same way, away from `now`.
pub(crate) fn stretch_ahead(tat_us: u64, now: Millis, old_us: u64, new_us: u64) -> u64 {
    if new_us == old_us || old_us == 0 {
        return tat_us;
    }
    let now_us = us(now);
    let scale = |d: u64| {
        let d = u128::from(d) * u128::from(new_us) / u128::from(old_us);
        u64::try_from(d).unwrap_or(u64::MAX)
    };
    if tat_us >= now_us {
        now_us.saturating_add(scale(tat_us - now_us))
    } else {
        now_us.saturating_sub(scale(now_us - tat_us))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// Sends as soon as the gate allows, each `late` ms after that.
    fn sends(g: &mut Gcra, n: usize, interval_us: u64, tolerance_us: u64, late: u64) -> Vec<u64> {
        let mut now = Millis(0);
        (0..n)
            .map(|_| {
                now = g.earliest(now, tolerance_us).plus(late);
                g.record(now, interval_us, tolerance_us == 0);
                now.as_u64()
            })
            .collect()
    }

    #[test]
    fn a_tolerance_of_k_intervals_lets_k_plus_one_go_together() {
        let at = sends(&mut Gcra::default(), 5, 100_000, 200_000, 0);
        assert_eq!(at, [0, 0, 0, 100, 200]);
    }

    #[test]
    fn on_time_sends_keep_the_exact_schedule() {
        // 3 per second, each sent at the rounded-up millisecond of its slot:
        // 30 intervals take 10 s, not 10 s plus 30 roundings.
        let at = sends(&mut Gcra::default(), 31, 333_334, 0, 0);
        assert_eq!(&at[..4], &[0, 334, 667, 1001]);
        assert!((10_000..=10_001).contains(&at[30]), "{at:?}");
    }

    #[test]
    fn lateness_within_the_tolerance_is_not_lost() {
        // 20/s with 20 ms of tolerance, every send 7 ms late: the pace holds.
        let at = sends(&mut Gcra::default(), 101, 50_000, 20_000, 7);
        assert!(at[100] <= 5_000 + 7, "{}", at[100]);
        // Without tolerance each lateness is lost.
        let strict = sends(&mut Gcra::default(), 101, 50_000, 0, 7);
        assert!(strict[100] >= 5_600, "{}", strict[100]);
    }

    #[test]
    fn a_send_a_minute_late_paces_the_next_from_when_it_went() {
        let mut g = Gcra::default();
        g.record(Millis(0), 100_000, true);
        g.record(Millis(60_000), 100_000, true);
        assert_eq!(g.earliest(Millis(60_000), 0), Millis(60_100));
    }

    #[test]
    fn a_slower_pace_counts_the_sends_already_made_at_the_new_one() {
        // Four sends 20 ms apart (50/s); then the server says 20/s (50 ms
        // apart). The next may go when four sends at 50 ms apart would have
        // allowed a fifth: four intervals after the first, at 200.
        let mut g = Gcra::default();
        for t in [0, 20, 40, 60] {
            g.record(Millis(t), 20_000, true);
        }
        g.repace(Millis(61), 20_000, 50_000, 1_020_000);
        assert_eq!(g.earliest(Millis(61), 0), Millis(200));
        // Back to 50/s: the same sends at 20 ms allow one at 80 again.
        g.repace(Millis(61), 50_000, 20_000, 1_020_000);
        assert_eq!(g.earliest(Millis(61), 0), Millis(80));
    }

    #[test]
    fn sends_older_than_those_remembered_count_at_the_old_pace_within_the_window() {
        // 100 sends 10 ms apart (100/s) up to 990 ms; then 10/s. Within the
        // last second all 100 count: the next waits until 100 intervals of
        // 100 ms after the first of them would have passed.
        let mut g = Gcra::default();
        for i in 0..100 {
            g.record(Millis(i * 10), 10_000, true);
        }
        g.repace(Millis(1_000), 10_000, 100_000, 1_000_000);
        let next = g.earliest(Millis(1_000), 0).as_u64();
        assert!((9_900..=10_010).contains(&next), "{next}");
    }

    #[test]
    fn a_limit_just_stated_counts_the_last_seconds_sends_from_now() {
        let mut g = Gcra::default();
        for t in [0, 20, 40] {
            g.record(Millis(t), 20_000, true);
        }
        // Learnt at 75: the three may all have arrived just now.
        g.count_recent_from(Millis(75), 20_000, 51_000, 1_020_000);
        assert_eq!(g.earliest(Millis(75), 0), Millis(75 + 3 * 51));
        // Sends older than the window do not count.
        let mut old = Gcra::default();
        old.record(Millis(0), 20_000, true);
        old.count_recent_from(Millis(5_000), 20_000, 51_000, 1_020_000);
        assert_eq!(old.earliest(Millis(5_000), 0), Millis(5_000));
        // More sends than remembered, all within the window: the rest are
        // counted at the old pace back to the window's start.
        let mut busy = Gcra::default();
        for i in 0..50 {
            busy.record(Millis(i * 20), 20_000, true);
        }
        busy.count_recent_from(Millis(1_000), 20_000, 51_000, 1_020_000);
        let next = busy.earliest(Millis(1_000), 0).as_u64();
        assert!(
            (1_000 + 49 * 51..=1_000 + 51 * 51).contains(&next),
            "{next}"
        );
    }

    #[test]
    fn a_gate_without_a_record_rescales_what_stands_ahead() {
        let mut g = Gcra {
            tat_us: 300_000,
            ..Gcra::default()
        };
        g.repace(Millis(0), 100_000, 200_000, 1_000_000);
        assert_eq!(g.tat_us, 600_000);
    }

    #[test]
    fn instants_already_past_are_scaled_away_from_now() {
        assert_eq!(stretch_ahead(900_000, Millis(1_000), 100, 200), 800_000);
        assert_eq!(stretch_ahead(1_100_000, Millis(1_000), 100, 200), 1_200_000);
        assert_eq!(stretch_ahead(5, Millis(1_000), 0, 200), 5);
        assert_eq!(stretch_ahead(0, Millis(1_000), 1, u64::MAX), 0);
    }

    #[test]
    fn capping_forgets_what_stands_beyond() {
        let mut g = Gcra::default();
        for _ in 0..100 {
            g.record(Millis(0), 100_000, true);
        }
        g.cap(Millis(500));
        assert_eq!(g.earliest(Millis(0), 0), Millis(500));
    }
}
