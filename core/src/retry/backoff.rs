//! How long to wait before the next attempt.
//!
//! Exponential backoff spreads a client's retries out; jitter spreads *many*
//! clients' retries apart so they do not hit a recovering server in lockstep
//! (see the AWS Architecture Blog's "Exponential Backoff and Jitter"). Two
//! rules the seed broke (seed defect 5) hold here for every jitter mode:
//!
//! * the jittered delay never exceeds the cap (`max_ms`): jitter is drawn
//!   *inside* the capped range, not applied after the cap;
//! * a server-given delay (`Retry-After`) is a floor, never shortened: the
//!   retry is never sent before the server allows it.

use crate::error::{check_f64, check_u64, ConfigError};
use crate::rng::Rng;

/// How a delay is randomised inside its exponential ceiling `c`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Jitter {
    /// Exactly `c`: predictable, but clients retry in lockstep.
    None,
    /// Uniform in `[0, c]`: the widest spread, the least total load.
    #[default]
    Full,
    /// Uniform in `[c/2, c]`: never retries almost at once.
    Equal,
    /// Uniform in `[base, 3 × previous delay]`, capped: grows from the last
    /// delay actually drawn rather than from the attempt number.
    Decorrelated,
}

impl core::str::FromStr for Jitter {
    type Err = crate::UnknownName;

    /// `"none"`, `"full"`, `"equal"` or `"decorrelated"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "none" => Self::None,
            "full" => Self::Full,
            "equal" => Self::Equal,
            "decorrelated" => Self::Decorrelated,
            _ => {
                return Err(crate::UnknownName {
                    choices: "one of \"none\", \"full\", \"equal\", \"decorrelated\"",
                })
            }
        })
    }
}

/// Backoff settings. The defaults are the seed's: 1 s base, doubling, 60 s cap.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct BackoffConfig {
    /// The first retry's ceiling, in milliseconds.
    pub base_delay_ms: u64,
    /// No backoff delay exceeds this, in milliseconds.
    pub max_delay_ms: u64,
    /// Growth factor per retry (the seed's `exponential_base`).
    pub multiplier: f64,
    /// How the delay is randomised.
    pub jitter: Jitter,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            base_delay_ms: 1000,
            max_delay_ms: 60_000,
            multiplier: 2.0,
            jitter: Jitter::Full,
        }
    }
}

/// The longest backoff cap accepted: one day.
const MAX_CAP_MS: u64 = 86_400_000;

/// A validated backoff schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Backoff {
    config: BackoffConfig,
}

impl Backoff {
    /// Validates `config`.
    ///
    /// # Errors
    /// `retry.maxDelayMs` outside 1 ms..1 day, `retry.baseDelayMs` above it,
    /// or `retry.multiplier` not finite or outside 1..=100.
    pub fn new(config: BackoffConfig) -> Result<Self, ConfigError> {
        check_u64("retry.maxDelayMs", config.max_delay_ms, 1, MAX_CAP_MS)?;
        check_u64("retry.baseDelayMs", config.base_delay_ms, 0, MAX_CAP_MS)?;
        if config.base_delay_ms > config.max_delay_ms {
            return Err(ConfigError::Inconsistent {
                option: "retry.baseDelayMs",
                other: "retry.maxDelayMs",
            });
        }
        check_f64("retry.multiplier", config.multiplier, 1.0, 100.0)?;
        Ok(Self { config })
    }

    /// The settings in force.
    #[must_use]
    pub const fn config(&self) -> &BackoffConfig {
        &self.config
    }

    /// The un-jittered delay before retry number `retry` (0 = first retry):
    /// `min(max, base × multiplier^retry)`.
    #[must_use]
    pub fn ceiling(&self, retry: u32) -> u64 {
        let cap = self.config.max_delay_ms;
        let mut delay = self.config.base_delay_ms as f64;
        for _ in 0..retry {
            delay *= self.config.multiplier;
            if delay >= cap as f64 {
                return cap;
            }
        }
        // `as` saturates for floats; delay is finite and non-negative here.
        (delay as u64).min(cap)
    }

    /// The delay before retry number `retry`.
    ///
    /// `previous_ms` is the last delay drawn for this call (used by
    /// [`Jitter::Decorrelated`]; pass 0 before the first retry).
    /// `server_floor_ms` is the server's `Retry-After`: the answer is never
    /// below it. Without a floor, the answer never exceeds `max_delay_ms`;
    /// with a floor above the cap, the answer is the floor itself (whether to
    /// wait that long is the retry policy's call, see `maxRetryAfterMs`).
    pub fn delay<R: Rng + ?Sized>(
        &self,
        retry: u32,
        previous_ms: u64,
        server_floor_ms: Option<u64>,
        rng: &mut R,
    ) -> u64 {
        let cap = self.config.max_delay_ms;
        let ceiling = self.ceiling(retry);
        let drawn = match self.config.jitter {
            Jitter::None => ceiling,
            Jitter::Full => rng.below_inclusive(ceiling),
            Jitter::Equal => {
                let half = ceiling / 2;
                rng.between_inclusive(ceiling - half, ceiling)
            }
            Jitter::Decorrelated => {
                let base = self.config.base_delay_ms;
                let from = previous_ms.max(base);
                rng.between_inclusive(base, from.saturating_mul(3)).min(cap)
            }
        };
        drawn.min(cap).max(server_floor_ms.unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    fn backoff(jitter: Jitter) -> Backoff {
        Backoff::new(BackoffConfig {
            jitter,
            ..BackoffConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn ceiling_doubles_then_caps() {
        let b = backoff(Jitter::None);
        let got: alloc::vec::Vec<u64> = (0..9).map(|r| b.ceiling(r)).collect();
        assert_eq!(
            got,
            [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]
        );
        assert_eq!(b.ceiling(u32::MAX), 60_000);
    }

    #[test]
    fn seed_defect_05_jitter_never_exceeds_the_cap() {
        // The seed computed min(delay, max_delay) * (0.5 + random()): up to
        // 90 s for a 60 s cap. Here the cap holds for every mode and draw.
        let mut rng = SplitMix64::new(5);
        for jitter in [
            Jitter::None,
            Jitter::Full,
            Jitter::Equal,
            Jitter::Decorrelated,
        ] {
            let b = backoff(jitter);
            let mut prev = 0;
            for retry in 0..40 {
                let d = b.delay(retry, prev, None, &mut rng);
                assert!(d <= 60_000, "{jitter:?} retry {retry}: {d}");
                prev = d;
            }
        }
    }

    #[test]
    fn seed_defect_05_retry_after_is_a_floor_never_jittered_down() {
        // The seed multiplied a Retry-After of 30 s by 0.5..1.5, retrying as
        // early as 15 s, before the server allowed it.
        let mut rng = SplitMix64::new(9);
        for jitter in [
            Jitter::None,
            Jitter::Full,
            Jitter::Equal,
            Jitter::Decorrelated,
        ] {
            let b = backoff(jitter);
            for _ in 0..200 {
                assert!(b.delay(0, 0, Some(30_000), &mut rng) >= 30_000);
            }
            // A floor above the cap is kept whole (the policy decides if the
            // call may wait that long).
            assert_eq!(b.delay(0, 0, Some(90_000), &mut rng), 90_000);
        }
    }

    #[test]
    fn equal_jitter_keeps_half_the_ceiling() {
        let b = backoff(Jitter::Equal);
        let mut rng = SplitMix64::new(1);
        for _ in 0..200 {
            let d = b.delay(2, 0, None, &mut rng);
            assert!((2000..=4000).contains(&d), "{d}");
        }
    }

    #[test]
    fn decorrelated_grows_from_the_previous_delay() {
        let b = backoff(Jitter::Decorrelated);
        let mut rng = SplitMix64::new(3);
        for _ in 0..200 {
            let d = b.delay(5, 2000, None, &mut rng);
            assert!((1000..=6000).contains(&d), "{d}");
        }
    }

    #[test]
    fn bad_settings_are_typed_errors() {
        let bad = |c: BackoffConfig| Backoff::new(c).unwrap_err();
        let d = BackoffConfig::default();
        assert!(matches!(
            bad(BackoffConfig {
                multiplier: f64::NAN,
                ..d
            }),
            ConfigError::NotFinite {
                option: "retry.multiplier"
            }
        ));
        assert!(matches!(
            bad(BackoffConfig {
                multiplier: 0.5,
                ..d
            }),
            ConfigError::OutOfRange {
                option: "retry.multiplier",
                ..
            }
        ));
        assert!(matches!(
            bad(BackoffConfig {
                base_delay_ms: 70_000,
                ..d
            }),
            ConfigError::Inconsistent { .. }
        ));
        assert!(matches!(
            bad(BackoffConfig {
                max_delay_ms: 0,
                base_delay_ms: 0,
                ..d
            }),
            ConfigError::OutOfRange {
                option: "retry.maxDelayMs",
                ..
            }
        ));
    }
}
