//! What the server says is left of its current second.
//!
//! Etsy counts requests per second and says, on every answer, how many its
//! current second still allows (`x-remaining-this-second`). Servers count
//! such a window one of two ways: a counter per wall-clock second, reset
//! all at once, or a token bucket, refilled a little at a time. The pace
//! alone (at most the stated limit in any second, see the limiter) is safe
//! under both; a *burst* is not: a client allowed ten back to back would put
//! the ten into a second whose counter is already half spent. So a burst
//! larger than one is spent only out of what the server last said is left,
//! less what was sent since:
//!
//! * under a counter per second, what it says is left is exactly what may
//!   still arrive this second;
//! * under a token bucket, tokens only accumulate until the next request,
//!   so what it said is a floor.
//!
//! Either way a report is used until one window after the first request of
//! its run was sent (the reports that follow it each saying no more than it
//! led to expect: the same second running down): by then that second has
//! ended (a counter was reset) or the bucket has refilled by a whole
//! second's limit. A report saying more starts a run of its own. With no
//! report in force, the configured burst applies.

use crate::time::Millis;

/// The length of the window Etsy's per-second headers describe.
pub(crate) const WINDOW_MS: u64 = 1_000;

/// The last report of the server's per-second window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct SecondReport {
    /// `x-remaining-this-second` as reported.
    remaining: u64,
    /// Requests sent since the reporting one was (or in flight at it).
    sent_since: u64,
    /// Until when the report holds: one window after its request was sent.
    until: Millis,
}

impl SecondReport {
    /// A report of `remaining` in the second of a request sent at `sent_at`,
    /// which the server may have counted before `uncounted` others of ours
    /// (those sent after it, and those unanswered when it went).
    ///
    /// `remaining` less those is no more than what any second from then on
    /// still allows: the report's second only runs down, a later one
    /// starts from the whole limit, and whatever arrives in either is
    /// ours, sent after the report's request or unanswered when it went.
    pub(crate) fn new(remaining: u64, uncounted: u64, sent_at: Millis) -> Self {
        Self {
            remaining,
            sent_since: uncounted,
            until: sent_at.plus(WINDOW_MS),
        }
    }

    /// A report as saved: what it left (`remaining`), holding until `until`.
    pub(crate) const fn held(remaining: u64, until: Millis) -> Self {
        Self {
            remaining,
            sent_since: 0,
            until,
        }
    }

    /// What it leaves, and until when: what is saved.
    pub(crate) fn saved(&self) -> (u64, Millis) {
        (self.left(), self.until)
    }

    /// One more request went.
    pub(crate) fn on_send(&mut self) {
        self.sent_since = self.sent_since.saturating_add(1);
    }

    /// A later answer's report (see [`SecondReport::new`]). If it leaves no
    /// more than this one, it is the same window running down (or a stale
    /// count, answered out of order): this one stands, its window ending
    /// one window after *its* request went. If it leaves more, the window
    /// was reset or refilled: the new report holds from its own request.
    /// A report for a request sent after this window ended starts anew.
    pub(crate) fn then(&self, remaining: u64, uncounted: u64, sent_at: Millis) -> Self {
        let next = Self::new(remaining, uncounted, sent_at);
        if next.left() <= self.left() && sent_at < self.until {
            *self
        } else {
            next
        }
    }

    /// What the report left, less what was sent since.
    fn left(&self) -> u64 {
        self.remaining.saturating_sub(self.sent_since)
    }

    /// The burst that may be spent at `now`: `configured`, or, while the
    /// report holds, no more than one plus what it left.
    pub(crate) fn burst(&self, configured: u32, now: Millis) -> u32 {
        if now >= self.until {
            return configured;
        }
        let allowed = u32::try_from(self.left().saturating_add(1)).unwrap_or(u32::MAX);
        configured.min(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_is_what_the_server_left_less_what_went_since() {
        let mut r = SecondReport::new(4, 1, Millis(100));
        assert_eq!(
            r.burst(10, Millis(150)),
            4,
            "one plus four left less one in flight"
        );
        r.on_send();
        r.on_send();
        assert_eq!(r.burst(10, Millis(150)), 2);
        // The same window running down keeps its end; one reset starts anew.
        let same = r.then(1, 0, Millis(400));
        assert_eq!(same.burst(10, Millis(1_099)), 2);
        assert_eq!(same.burst(10, Millis(1_100)), 10, "ends with the first");
        let reset = r.then(9, 0, Millis(400));
        assert_eq!(reset.burst(10, Millis(1_100)), 10);
        assert_eq!(reset.burst(10, Millis(1_399)), 10);
        let after = SecondReport::new(0, 0, Millis(100)).then(0, 0, Millis(1_200));
        assert_eq!(
            after.burst(10, Millis(2_100)),
            1,
            "a report after the end starts anew"
        );
        assert_eq!(r.burst(2, Millis(150)), 2, "never more than configured");
    }

    #[test]
    fn nothing_left_means_no_burst_and_one_window_later_the_configured_one() {
        let r = SecondReport::new(0, 3, Millis(100));
        assert_eq!(r.burst(10, Millis(100)), 1);
        assert_eq!(r.burst(10, Millis(1_099)), 1);
        assert_eq!(r.burst(10, Millis(1_100)), 10);
    }
}
