//! Adaptive slow-down: pace slower after a 429, recover on success.
//!
//! The seed's rule is the baseline: each consecutive 429 doubles the interval
//! between requests (up to ×`max`), each success shrinks the multiplier by a
//! factor (0.9) back towards 1. That is multiplicative decrease of the rate
//! on congestion and gradual recovery, in the spirit of TCP's AIMD: a server
//! that starts rejecting is given room at once, and full speed returns only
//! after it has been answering again for a while.

/// The current slow-down multiplier on the pacing interval.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Slowdown {
    multiplier: f64,
    consecutive_rate_limits: u32,
}

impl Default for Slowdown {
    fn default() -> Self {
        Self {
            multiplier: 1.0,
            consecutive_rate_limits: 0,
        }
    }
}

impl Slowdown {
    /// A slow-down as saved: its multiplier (>= 1) and the 429s in a row.
    pub(crate) const fn restored(multiplier: f64, consecutive_rate_limits: u32) -> Self {
        Self {
            multiplier,
            consecutive_rate_limits,
        }
    }

    /// The 429s in a row so far.
    pub(crate) const fn rate_limits(&self) -> u32 {
        self.consecutive_rate_limits
    }

    /// The factor to multiply the pacing interval by (>= 1).
    pub(crate) fn multiplier(&self) -> f64 {
        self.multiplier
    }

    /// A 429 arrived: double the interval per consecutive 429, up to `max`.
    pub(crate) fn on_rate_limited(&mut self, max: f64) {
        self.consecutive_rate_limits = self.consecutive_rate_limits.saturating_add(1);
        let mut m = 1.0f64;
        for _ in 0..self.consecutive_rate_limits.min(64) {
            m *= 2.0;
            if m >= max {
                break;
            }
        }
        self.multiplier = m.min(max).max(1.0);
    }

    /// A success arrived: shrink the multiplier by `factor` towards 1.
    pub(crate) fn on_success(&mut self, factor: f64) {
        self.consecutive_rate_limits = 0;
        self.multiplier = (self.multiplier * factor).max(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_on_429_caps_and_recovers() {
        let mut s = Slowdown::default();
        s.on_rate_limited(10.0);
        assert_eq!(s.multiplier(), 2.0);
        s.on_rate_limited(10.0);
        s.on_rate_limited(10.0);
        assert_eq!(s.multiplier(), 8.0);
        s.on_rate_limited(10.0);
        assert_eq!(s.multiplier(), 10.0);
        for _ in 0..100 {
            s.on_success(0.9);
        }
        assert_eq!(s.multiplier(), 1.0);
    }
}
