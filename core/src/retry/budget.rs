//! A retry budget: retries may add at most a fraction of the traffic.
//!
//! Why a budget and not only max retries? With `maxRetries = 3`, a failing
//! backend sees four times the load exactly when it can least take it, and
//! every client layer multiplies that again. A budget caps retries at a
//! fraction of first attempts across all calls (as gRPC's retry throttling
//! and Finagle's `RetryBudget` do): each first attempt deposits `ratio` of a
//! token, each retry withdraws one. A small reserve, refilled with time at
//! `minRetriesPerSecond`, lets a quiet client still retry now and then.
//!
//! Tokens are kept in thousandths so that no floating-point error
//! accumulates over millions of calls.

use crate::error::{check_f64, ConfigError};
use crate::time::{Millis, MonotonicClamp};

const MILLI: u64 = 1000;

/// Retry-budget settings.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct RetryBudgetConfig {
    /// Retries allowed per first attempt (0.2: retries add at most 20 %).
    pub ratio: f64,
    /// Retries always allowed per second, whatever the traffic.
    pub min_retries_per_second: f64,
    /// The most deposited tokens kept, so a long quiet spell does not bank
    /// an unbounded burst of retries.
    pub max_tokens: f64,
}

impl Default for RetryBudgetConfig {
    fn default() -> Self {
        Self {
            ratio: 0.2,
            min_retries_per_second: 1.0,
            max_tokens: 20.0,
        }
    }
}

/// The shared token bucket that retries draw from.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetryBudget {
    config: RetryBudgetConfig,
    deposit_milli: u64,
    max_milli: u64,
    reserve_per_sec_milli: u64,
    /// Deposited tokens, in thousandths.
    balance_milli: u64,
    /// Reserve tokens, in thousandths (at most one second's worth).
    reserve_milli: u64,
    refilled_at: Millis,
    clock: MonotonicClamp,
}

impl RetryBudget {
    /// A budget that starts full (so the first failures can be retried).
    ///
    /// # Errors
    /// `retry.budget.ratio` outside 0..=10, `minRetriesPerSecond` outside
    /// 0..=10 000, `maxTokens` outside 0..=1 000 000, or any of them not finite.
    pub fn new(config: RetryBudgetConfig, now: Millis) -> Result<Self, ConfigError> {
        check_f64("retry.budget.ratio", config.ratio, 0.0, 10.0)?;
        check_f64(
            "retry.budget.minRetriesPerSecond",
            config.min_retries_per_second,
            0.0,
            10_000.0,
        )?;
        check_f64(
            "retry.budget.maxTokens",
            config.max_tokens,
            0.0,
            1_000_000.0,
        )?;
        let milli = |x: f64| (x * MILLI as f64) as u64;
        let mut clock = MonotonicClamp::default();
        clock.observe(now);
        Ok(Self {
            config,
            deposit_milli: milli(config.ratio),
            max_milli: milli(config.max_tokens),
            reserve_per_sec_milli: milli(config.min_retries_per_second),
            balance_milli: milli(config.max_tokens),
            reserve_milli: milli(config.min_retries_per_second),
            refilled_at: now,
            clock,
        })
    }

    /// Takes new settings, keeping the tokens saved so far (never more than
    /// the new `maxTokens`).
    ///
    /// # Errors
    /// As [`RetryBudget::new`]; on error nothing changes.
    pub fn reconfigure(
        &mut self,
        config: RetryBudgetConfig,
        now: Millis,
    ) -> Result<(), ConfigError> {
        let mut fresh = Self::new(config, now)?;
        fresh.balance_milli = self.balance_milli.min(fresh.max_milli);
        fresh.reserve_milli = self.reserve_milli.min(fresh.reserve_per_sec_milli);
        fresh.clock = self.clock;
        fresh.clock.observe(now);
        *self = fresh;
        Ok(())
    }

    /// The settings in force.
    #[must_use]
    pub const fn config(&self) -> &RetryBudgetConfig {
        &self.config
    }

    /// A first attempt was made: deposit `ratio` of a token.
    pub fn record_request(&mut self) {
        self.balance_milli = self
            .balance_milli
            .saturating_add(self.deposit_milli)
            .min(self.max_milli);
    }

    /// Asks to spend one retry. Answers whether it may go; spends on yes.
    pub fn try_withdraw(&mut self, now: Millis) -> bool {
        self.refill(now);
        if self.reserve_milli >= MILLI {
            self.reserve_milli -= MILLI;
            true
        } else if self.balance_milli >= MILLI {
            self.balance_milli -= MILLI;
            true
        } else {
            false
        }
    }

    /// Whole retries available now (reserve and deposits).
    #[must_use]
    pub fn available(&self) -> u64 {
        (self.balance_milli + self.reserve_milli) / MILLI
    }

    fn refill(&mut self, now: Millis) {
        let now = self.clock.observe(now);
        let elapsed = now.since(self.refilled_at);
        self.refilled_at = now;
        let add = elapsed.saturating_mul(self.reserve_per_sec_milli) / 1000;
        self.reserve_milli = self
            .reserve_milli
            .saturating_add(add)
            .min(self.reserve_per_sec_milli);
    }
}

/// The budget as saved: its tokens, in thousandths, and when the reserve
/// last refilled (wall-clock ms).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SavedBudget {
    /// Deposited tokens, in thousandths.
    pub balance_milli: u64,
    /// Reserve tokens, in thousandths.
    pub reserve_milli: u64,
    /// When the reserve last refilled.
    pub refilled_at: Millis,
}

impl RetryBudget {
    /// Its saved part, the instant through `wall`; `None` while it is full
    /// (as a fresh budget starts: nothing to keep).
    pub(crate) fn save(&self, wall: impl Fn(Millis) -> Millis) -> Option<SavedBudget> {
        let full = self.balance_milli >= self.max_milli
            && self.reserve_milli >= self.reserve_per_sec_milli;
        (!full).then(|| SavedBudget {
            balance_milli: self.balance_milli,
            reserve_milli: self.reserve_milli,
            refilled_at: wall(self.refilled_at),
        })
    }

    /// Takes a saved part (its instant on the engine's time line), capped
    /// by this budget's settings.
    pub(crate) fn load(&mut self, s: &SavedBudget) {
        self.balance_milli = s.balance_milli.min(self.max_milli);
        self.reserve_milli = s.reserve_milli.min(self.reserve_per_sec_milli);
        self.refilled_at = s.refilled_at.min(self.refilled_at);
    }
}

impl SavedBudget {
    /// Writes it as an object.
    pub(crate) fn write(&self, o: &mut crate::codec::Out) {
        o.open('{')
            .key("balanceMilli")
            .num(self.balance_milli)
            .key("reserveMilli")
            .num(self.reserve_milli)
            .key("refilledAt")
            .num(self.refilled_at.as_u64())
            .close('}');
    }

    /// Reads one back, every field checked.
    pub(crate) fn read(mut f: crate::codec::Fields) -> Result<Self, crate::codec::SnapshotError> {
        let max = crate::codec::MAX_NUMBER;
        let s = Self {
            balance_milli: f.num_or_0("balanceMilli", max)?,
            reserve_milli: f.num_or_0("reserveMilli", max)?,
            refilled_at: Millis(f.num_or_0("refilledAt", max)?),
        };
        f.done()?;
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_a_fraction_of_requests() {
        let cfg = RetryBudgetConfig {
            ratio: 0.1,
            min_retries_per_second: 0.0,
            max_tokens: 0.0,
        };
        let mut b = RetryBudget::new(cfg, Millis(0)).unwrap();
        assert!(!b.try_withdraw(Millis(0)), "empty budget refuses");
        for _ in 0..100 {
            b.record_request();
        }
        // max_tokens 0 caps deposits at 0: nothing banked.
        assert_eq!(b.available(), 0);

        let cfg = RetryBudgetConfig {
            max_tokens: 1000.0,
            ..cfg
        };
        let mut b = RetryBudget::new(cfg, Millis(0)).unwrap();
        while b.try_withdraw(Millis(0)) {}
        for _ in 0..100 {
            b.record_request();
        }
        let granted = (0..100).filter(|_| b.try_withdraw(Millis(0))).count();
        assert_eq!(granted, 10);
    }

    #[test]
    fn reserve_refills_with_time_only() {
        let cfg = RetryBudgetConfig {
            ratio: 0.0,
            min_retries_per_second: 2.0,
            max_tokens: 0.0,
        };
        let mut b = RetryBudget::new(cfg, Millis(0)).unwrap();
        assert!(b.try_withdraw(Millis(0)));
        assert!(b.try_withdraw(Millis(0)));
        assert!(!b.try_withdraw(Millis(0)));
        assert!(!b.try_withdraw(Millis(400)));
        assert!(b.try_withdraw(Millis(500)));
        // Time going backwards changes nothing.
        assert!(!b.try_withdraw(Millis(100)));
        // A long pause refills one second's worth, no more.
        assert!(b.try_withdraw(Millis(100_000)));
        assert!(b.try_withdraw(Millis(100_000)));
        assert!(!b.try_withdraw(Millis(100_000)));
    }

    #[test]
    fn rejects_bad_settings() {
        let bad = RetryBudgetConfig {
            ratio: -0.5,
            ..RetryBudgetConfig::default()
        };
        assert!(RetryBudget::new(bad, Millis(0)).is_err());
        let nan = RetryBudgetConfig {
            max_tokens: f64::INFINITY,
            ..RetryBudgetConfig::default()
        };
        assert!(RetryBudget::new(nan, Millis(0)).is_err());
    }
}
