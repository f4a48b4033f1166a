//! Counts of calls by outcome and attempts by category, with call latency
//! percentiles, over a sliding window: what `client.stats()` shows.
//!
//! The window (the monitor's `window_ms`) is kept in [`SEGMENTS`] segments
//! of a tenth of it each, every one with its own counters and
//! [`LatencyHistogram`]; memory is set at construction (about 7 KB) and
//! never grows with traffic. A segment is cleared when time comes round to
//! it again, so the window a view covers is the last nine tenths of the
//! window plus the current tenth: outcomes leave it up to a tenth of the
//! window early. Latencies are exact below 16 ms and at most 12.5 % high
//! above (see [`super::latency`]).
//!
//! The counters are not part of a snapshot: a restored client's view starts
//! empty.

use alloc::vec;
use alloc::vec::Vec;

use super::latency::LatencyHistogram;
use crate::classify::Category;
use crate::time::Millis;

/// Segments the window is kept in.
pub const SEGMENTS: usize = 10;
/// Ways a call can fail, in the order of [`Stats::failures_by_kind`]
/// (`crate::engine::FailureKind::index`).
pub const FAILURE_KINDS: usize = 10;
const CATEGORIES: usize = Category::ALL.len();

#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Segment {
    slot: u64,
    successes: u32,
    failures: [u32; FAILURE_KINDS],
    attempts: u32,
    failed_attempts: [u32; CATEGORIES],
    latency: LatencyHistogram,
}

/// How one call ended, for [`CallStats::record_call`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallEnd {
    /// It succeeded.
    Success,
    /// It failed, of the kind at this index of `FailureKind::NAMES`.
    Failure(usize),
}

/// The windowed counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallStats {
    window_ms: u64,
    width_ms: u64,
    segments: Vec<Segment>,
}

/// Call latency percentiles over the window, in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyPercentiles {
    /// The median.
    pub p50: u64,
    /// The 90th percentile.
    pub p90: u64,
    /// The 99th percentile.
    pub p99: u64,
    /// The slowest call (exact).
    pub max: u64,
}

/// What the window holds at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// The window's length.
    pub window_ms: u64,
    /// Calls that ended with a success.
    pub successes: u64,
    /// Calls that ended without one, by kind (`FailureKind::NAMES` order).
    pub failures_by_kind: [u64; FAILURE_KINDS],
    /// Attempts answered or timed out (an attempt a cancel or `close`
    /// aborted is not counted).
    pub attempts: u64,
    /// Attempts that failed, by category ([`Category::ALL`] order).
    pub failed_attempts_by_category: [u64; CATEGORIES],
    /// Latency of the calls that ended, from start to settle; `None` when
    /// none did.
    pub latency_ms: Option<LatencyPercentiles>,
}

impl Stats {
    /// Calls that failed, of every kind.
    #[must_use]
    pub fn failures(&self) -> u64 {
        self.failures_by_kind.iter().sum()
    }

    /// Attempts that failed, of every category.
    #[must_use]
    pub fn failed_attempts(&self) -> u64 {
        self.failed_attempts_by_category.iter().sum()
    }
}

impl CallStats {
    /// Empty counters over a window of `window_ms` (at least 1).
    #[must_use]
    pub fn new(window_ms: u64) -> Self {
        let window_ms = window_ms.max(1);
        Self {
            window_ms,
            width_ms: window_ms.div_ceil(SEGMENTS as u64),
            segments: vec![Segment::default(); SEGMENTS],
        }
    }

    fn slot(&self, now: Millis) -> u64 {
        now.as_u64() / self.width_ms.max(1)
    }

    /// The segment for `now`, cleared first if it held an older tenth.
    #[allow(clippy::cast_possible_truncation)]
    fn current(&mut self, now: Millis) -> Option<&mut Segment> {
        let slot = self.slot(now);
        let seg = self.segments.get_mut((slot % SEGMENTS as u64) as usize)?;
        if seg.slot != slot {
            *seg = Segment {
                slot,
                ..Segment::default()
            };
        }
        Some(seg)
    }

    /// Counts one attempt that was answered or timed out: `category` is
    /// `None` for a success.
    pub fn record_attempt(&mut self, category: Option<Category>, now: Millis) {
        if let Some(seg) = self.current(now) {
            seg.attempts = seg.attempts.saturating_add(1);
            if let Some(c) = category.and_then(|c| seg.failed_attempts.get_mut(c.index())) {
                *c = c.saturating_add(1);
            }
        }
    }

    /// Counts one call that ended at `now` after `latency_ms`.
    pub fn record_call(&mut self, end: CallEnd, latency_ms: u64, now: Millis) {
        if let Some(seg) = self.current(now) {
            match end {
                CallEnd::Success => seg.successes = seg.successes.saturating_add(1),
                CallEnd::Failure(kind) => {
                    if let Some(c) = seg.failures.get_mut(kind) {
                        *c = c.saturating_add(1);
                    }
                }
            }
            seg.latency.record(latency_ms);
        }
    }

    /// The window's counts and percentiles at `now`. Pure; sums the live
    /// segments (no allocation).
    #[must_use]
    pub fn stats(&self, now: Millis) -> Stats {
        let current = self.slot(now);
        let oldest = current.saturating_sub(SEGMENTS as u64 - 1);
        let mut s = Stats {
            window_ms: self.window_ms,
            successes: 0,
            failures_by_kind: [0; FAILURE_KINDS],
            attempts: 0,
            failed_attempts_by_category: [0; CATEGORIES],
            latency_ms: None,
        };
        let mut latency = LatencyHistogram::default();
        for seg in self
            .segments
            .iter()
            .filter(|g| g.slot >= oldest && g.slot <= current)
        {
            s.successes += u64::from(seg.successes);
            for (t, c) in s.failures_by_kind.iter_mut().zip(seg.failures) {
                *t += u64::from(c);
            }
            s.attempts += u64::from(seg.attempts);
            for (t, c) in s
                .failed_attempts_by_category
                .iter_mut()
                .zip(seg.failed_attempts)
            {
                *t += u64::from(c);
            }
            latency.add(&seg.latency);
        }
        s.latency_ms = match (
            latency.quantile(0.5),
            latency.quantile(0.9),
            latency.quantile(0.99),
        ) {
            (Some(p50), Some(p90), Some(p99)) => Some(LatencyPercentiles {
                p50,
                p90,
                p99,
                max: latency.max(),
            }),
            _ => None,
        };
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_outcome_and_category_with_exact_percentiles() {
        let mut stats = CallStats::new(10_000);
        // 100 calls of 1..=100 ms: 90 successes, 10 gave up.
        for ms in 1..=100u64 {
            let end = if ms > 90 {
                CallEnd::Failure(0)
            } else {
                CallEnd::Success
            };
            stats.record_call(end, ms, Millis(ms));
        }
        stats.record_attempt(None, Millis(1));
        stats.record_attempt(Some(Category::Server), Millis(2));
        stats.record_attempt(Some(Category::Server), Millis(3));
        stats.record_attempt(Some(Category::Timeout), Millis(4));
        let s = stats.stats(Millis(100));
        assert_eq!(s.window_ms, 10_000);
        assert_eq!((s.successes, s.failures()), (90, 10));
        assert_eq!(s.failures_by_kind, [10, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!((s.attempts, s.failed_attempts()), (4, 3));
        assert_eq!(s.failed_attempts_by_category[Category::Server.index()], 2);
        assert_eq!(s.failed_attempts_by_category[Category::Timeout.index()], 1);
        assert_eq!(
            s.latency_ms,
            Some(LatencyPercentiles {
                p50: 51,
                p90: 95,
                p99: 100,
                max: 100
            })
        );
    }

    #[test]
    fn outcomes_leave_the_window_as_it_slides() {
        let mut stats = CallStats::new(1_000);
        stats.record_call(CallEnd::Success, 5, Millis(0));
        stats.record_call(CallEnd::Failure(3), 900, Millis(550));
        let s = stats.stats(Millis(999));
        assert_eq!((s.successes, s.failures()), (1, 1));
        // At 1000 the first tenth (0..100) is out; the one from 550 stays.
        let s = stats.stats(Millis(1_000));
        assert_eq!((s.successes, s.failures_by_kind[3]), (0, 1));
        assert_eq!(s.latency_ms.map(|l| (l.p50, l.max)), Some((900, 900)));
        // A whole window later nothing is left, and a segment reused for a
        // later tenth starts from zero.
        assert!(stats.stats(Millis(1_600)).latency_ms.is_none());
        stats.record_call(CallEnd::Success, 7, Millis(2_050));
        let s = stats.stats(Millis(2_050));
        assert_eq!((s.successes, s.failures()), (1, 0));
        assert_eq!(s.latency_ms.map(|l| l.max), Some(7));
    }

    #[test]
    fn memory_is_fixed() {
        let mut stats = CallStats::new(300_000);
        for t in 0..20_000u64 {
            stats.record_call(CallEnd::Success, t % 5_000, Millis(t * 97));
        }
        assert_eq!(stats.segments.len(), SEGMENTS);
        assert_eq!(stats.segments.capacity(), SEGMENTS);
    }
}
