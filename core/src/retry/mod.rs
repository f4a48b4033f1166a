//! Whether, and when, to try a failed call again.
//!
//! A [`RetryPolicy`] answers one question after each failed attempt: retry at
//! instant T, or give up and why. It combines
//!
//! * the outcome's [`Classification`] (is it retryable at all? did the server
//!   name a delay?),
//! * idempotency: a POST or PATCH is sent again only when the failed attempt
//!   certainly had no effect (connection refused, DNS, 429, 503) or it carries
//!   an idempotency key — never after a timeout or a 500 (seed defect 6);
//! * [`Backoff`] with jitter, floored by the server's delay;
//! * a cap on how long a server may make us wait (`maxRetryAfterMs`) and the
//!   call's overall deadline: a call never sleeps for hours, it gives up at
//!   once and reports when to come back;
//! * an optional shared [`RetryBudget`].
//!
//! ```
//! use steadfast_core::retry::{
//!     GiveUp, RequestFacts, RetryConfig, RetryDecision, RetryPolicy, RetryState,
//! };
//! use steadfast_core::{
//!     classify_failure, classify_response, Method, Millis, SplitMix64, TransportFailure,
//! };
//!
//! let policy = RetryPolicy::new(RetryConfig::default())?; // 3 retries, 1 s base, full jitter
//! let mut rng = SplitMix64::new(42); // a real host seeds it from real entropy
//! let get = RequestFacts::of(Method::Get, false);
//! let post = RequestFacts::of(Method::Post, false);
//!
//! // A 503 with `Retry-After: 2`: retry, and never sooner than the server asked.
//! let unavailable = classify_response(503, &[("Retry-After", "2")][..], None, None);
//! let mut call = RetryState::new(Millis(0));
//! let decision = policy.decide(&mut call, &unavailable, get, None, &mut rng, Millis(0));
//! assert!(matches!(decision, RetryDecision::RetryAt { delay_ms, .. } if delay_ms >= 2_000));
//!
//! // A POST whose connection reset mid-request may have been applied: sending it
//! // again could create a second listing. (With an `Idempotency-Key` it would go.)
//! let reset = classify_failure(TransportFailure::Reset);
//! let mut call = RetryState::new(Millis(0));
//! let decision = policy.decide(&mut call, &reset, post, None, &mut rng, Millis(0));
//! assert_eq!(decision, RetryDecision::GiveUp(GiveUp::WouldDuplicateWrite));
//! # Ok::<(), steadfast_core::ConfigError>(())
//! ```

mod backoff;
mod budget;

pub use backoff::{Backoff, BackoffConfig, Jitter};
pub use budget::{RetryBudget, RetryBudgetConfig, SavedBudget};

use crate::classify::{Classification, Effect};
use crate::error::{check_u64, ConfigError};
use crate::method::{may_repeat, Method};
use crate::rng::Rng;
use crate::time::Millis;

/// Retry settings. Defaults are the seed's (3 retries, 1 s base, ×2, 60 s cap)
/// with full jitter and a one-minute limit on server-requested waits.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct RetryConfig {
    /// Retries after the first attempt (so at most `max_retries + 1` attempts).
    pub max_retries: u32,
    /// The backoff schedule.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub backoff: BackoffConfig,
    /// The longest server-requested wait (`Retry-After`) a call will sit
    /// through; longer ones end the call at once, reporting the delay.
    pub max_retry_after_ms: u64,
    /// The whole call, every attempt and wait included, must end within this
    /// many milliseconds of its start. `None`: no overall deadline.
    pub deadline_ms: Option<u64>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 3,
            backoff: BackoffConfig::default(),
            max_retry_after_ms: 60_000,
            deadline_ms: None,
        }
    }
}

/// Why a call stops retrying.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "reason"))]
#[non_exhaustive]
pub enum GiveUp {
    /// The failure is not one a retry can fix (a 400, a 404, an auth error).
    NotRetryable,
    /// Every allowed retry was used.
    AttemptsExhausted,
    /// The request is not idempotent, has no idempotency key, and the failed
    /// attempt may have taken effect: sending it again could duplicate it.
    WouldDuplicateWrite,
    /// The server asked for a wait longer than `maxRetryAfterMs`.
    RetryAfterTooLong {
        /// How long the server asked to wait.
        retry_after_ms: u64,
    },
    /// The next attempt would start after the call's deadline.
    DeadlineExceeded {
        /// The wait the next attempt needed.
        retry_after_ms: u64,
    },
    /// The shared retry budget is spent.
    BudgetExhausted,
}

impl GiveUp {
    /// The reason's stable snake_case name (as serialised; a host's error
    /// field).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            GiveUp::NotRetryable => "not_retryable",
            GiveUp::AttemptsExhausted => "attempts_exhausted",
            GiveUp::WouldDuplicateWrite => "would_duplicate_write",
            GiveUp::RetryAfterTooLong { .. } => "retry_after_too_long",
            GiveUp::DeadlineExceeded { .. } => "deadline_exceeded",
            GiveUp::BudgetExhausted => "budget_exhausted",
        }
    }
}

/// The policy's answer after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum RetryDecision {
    /// Send the next attempt at `at` (after waiting `delay_ms`).
    RetryAt {
        /// When.
        at: Millis,
        /// The wait, `at - now`.
        delay_ms: u64,
    },
    /// Stop, for this reason.
    GiveUp(GiveUp),
}

/// What one call remembers between attempts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetryState {
    /// Retries already granted.
    pub retries: u32,
    /// The last delay granted (decorrelated jitter grows from it).
    pub previous_delay_ms: u64,
    /// When the call started (the configured deadline counts from here).
    pub started: Millis,
    /// The call's own deadline, if it has one; it replaces the configured
    /// `deadline_ms` for this call.
    #[cfg_attr(feature = "serde", serde(default))]
    pub deadline: Option<Millis>,
}

impl RetryState {
    /// A call starting at `now`, under the configured deadline (if any).
    #[must_use]
    pub const fn new(now: Millis) -> Self {
        Self {
            retries: 0,
            previous_delay_ms: 0,
            started: now,
            deadline: None,
        }
    }

    /// A call starting at `now` that must end by `deadline`.
    #[must_use]
    pub const fn with_deadline(now: Millis, deadline: Millis) -> Self {
        Self {
            deadline: Some(deadline),
            ..Self::new(now)
        }
    }
}

/// The facts about the request that retry rules depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestFacts {
    /// Whether sending it twice does no more than sending it once: its
    /// method is idempotent (GET, PUT, DELETE, ...) or it carries an
    /// `Idempotency-Key`. A building block over any function takes it as
    /// the caller says it.
    pub idempotent: bool,
}

impl RequestFacts {
    /// The facts of an HTTP request: idempotent by its method or its key.
    #[must_use]
    pub const fn of(method: Method, has_idempotency_key: bool) -> Self {
        Self {
            idempotent: may_repeat(method, has_idempotency_key),
        }
    }
}

/// A validated retry policy.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetryPolicy {
    config: RetryConfig,
    backoff: Backoff,
}

impl RetryPolicy {
    /// Validates `config`.
    ///
    /// # Errors
    /// Any backoff error, `retry.maxRetries` above 100, `maxRetryAfterMs`
    /// above one day, or a `deadlineMs` of 0.
    pub fn new(config: RetryConfig) -> Result<Self, ConfigError> {
        let backoff = Backoff::new(config.backoff)?;
        check_u64("retry.maxRetries", u64::from(config.max_retries), 0, 100)?;
        check_u64(
            "retry.maxRetryAfterMs",
            config.max_retry_after_ms,
            0,
            86_400_000,
        )?;
        if let Some(d) = config.deadline_ms {
            check_u64("retry.deadlineMs", d, 1, u64::MAX)?;
        }
        Ok(Self { config, backoff })
    }

    /// The settings in force.
    #[must_use]
    pub const fn config(&self) -> &RetryConfig {
        &self.config
    }

    /// The backoff schedule.
    #[must_use]
    pub const fn backoff(&self) -> &Backoff {
        &self.backoff
    }

    /// A call's state as it starts, at `now` if the host read the time:
    /// `None` when the time is needed and was not given. Only a configured
    /// deadline reads a call's start (it counts from there), so without one
    /// a host whose clock is dear to read need not read it for a call that
    /// succeeds at once.
    #[must_use]
    pub fn start(&self, now: Option<Millis>) -> Option<RetryState> {
        match (now, self.config.deadline_ms) {
            (Some(now), _) => Some(RetryState::new(now)),
            (None, None) => Some(RetryState::new(Millis(0))),
            (None, Some(_)) => None,
        }
    }

    /// The instant by which the call must end, if it has a deadline: its
    /// own, else the configured one from its start.
    #[must_use]
    pub fn deadline(&self, state: &RetryState) -> Option<Millis> {
        state
            .deadline
            .or_else(|| self.config.deadline_ms.map(|d| state.started.plus(d)))
    }

    /// Whether the outcome allows another attempt in principle (retryable,
    /// safe to repeat, retries left), before delays, deadline and budget.
    pub fn check_eligible(
        &self,
        state: &RetryState,
        outcome: &Classification,
        request: RequestFacts,
    ) -> Result<(), GiveUp> {
        if !outcome.retryable {
            return Err(GiveUp::NotRetryable);
        }
        let nothing_happened = outcome.effect == Effect::NotApplied;
        if !nothing_happened && !request.idempotent {
            return Err(GiveUp::WouldDuplicateWrite);
        }
        if state.retries >= self.config.max_retries {
            return Err(GiveUp::AttemptsExhausted);
        }
        Ok(())
    }

    /// Decides what follows a failed attempt, at `now`.
    ///
    /// On [`RetryDecision::RetryAt`] the retry is counted in `state` and a
    /// token is taken from `budget`.
    pub fn decide<R: Rng + ?Sized>(
        &self,
        state: &mut RetryState,
        outcome: &Classification,
        request: RequestFacts,
        budget: Option<&mut RetryBudget>,
        rng: &mut R,
        now: Millis,
    ) -> RetryDecision {
        if let Err(reason) = self.check_eligible(state, outcome, request) {
            return RetryDecision::GiveUp(reason);
        }
        let floor = outcome.server_delay_ms;
        if let Some(wait) = floor.filter(|w| *w > self.config.max_retry_after_ms) {
            return RetryDecision::GiveUp(GiveUp::RetryAfterTooLong {
                retry_after_ms: wait,
            });
        }
        if let (Some(wait), Some(d)) = (floor, self.deadline(state)) {
            if now.plus(wait) >= d {
                return RetryDecision::GiveUp(GiveUp::DeadlineExceeded {
                    retry_after_ms: wait,
                });
            }
        }
        let delay_ms = self
            .backoff
            .delay(state.retries, state.previous_delay_ms, floor, rng);
        let at = now.plus(delay_ms);
        if self.deadline(state).is_some_and(|d| at >= d) {
            return RetryDecision::GiveUp(GiveUp::DeadlineExceeded {
                retry_after_ms: delay_ms,
            });
        }
        if let Some(budget) = budget {
            if !budget.try_withdraw(now) {
                return RetryDecision::GiveUp(GiveUp::BudgetExhausted);
            }
        }
        state.retries += 1;
        state.previous_delay_ms = delay_ms;
        RetryDecision::RetryAt { at, delay_ms }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{classify_failure, classify_response, TransportFailure};
    use crate::rng::SplitMix64;
    use alloc::vec;

    const GET: RequestFacts = RequestFacts::of(Method::Get, false);
    const POST: RequestFacts = RequestFacts::of(Method::Post, false);

    fn policy(config: RetryConfig) -> RetryPolicy {
        RetryPolicy::new(config).unwrap()
    }

    fn status(code: u16) -> Classification {
        classify_response(code, &vec![("a", "b")], None, None)
    }

    #[test]
    fn retries_until_exhausted_then_gives_up() {
        let p = policy(RetryConfig::default());
        let mut s = RetryState::new(Millis(0));
        let mut rng = SplitMix64::new(1);
        for _ in 0..3 {
            let d = p.decide(&mut s, &status(503), GET, None, &mut rng, Millis(0));
            assert!(matches!(d, RetryDecision::RetryAt { .. }));
        }
        let d = p.decide(&mut s, &status(503), GET, None, &mut rng, Millis(0));
        assert_eq!(d, RetryDecision::GiveUp(GiveUp::AttemptsExhausted));
        assert_eq!(s.retries, 3);
    }

    #[test]
    fn client_errors_are_not_retried() {
        let p = policy(RetryConfig::default());
        let mut rng = SplitMix64::new(1);
        for code in [400, 401, 403, 404, 409, 422] {
            let mut s = RetryState::new(Millis(0));
            let d = p.decide(&mut s, &status(code), GET, None, &mut rng, Millis(0));
            assert_eq!(d, RetryDecision::GiveUp(GiveUp::NotRetryable), "{code}");
        }
    }

    #[test]
    fn seed_defect_06_post_is_not_resent_when_it_may_have_taken_effect() {
        let p = policy(RetryConfig::default());
        let mut rng = SplitMix64::new(1);
        let maybe_applied = [
            classify_failure(TransportFailure::Timeout),
            classify_failure(TransportFailure::Reset),
            status(500),
            status(502),
            status(504),
        ];
        for outcome in &maybe_applied {
            let mut s = RetryState::new(Millis(0));
            let d = p.decide(&mut s, outcome, POST, None, &mut rng, Millis(0));
            assert_eq!(
                d,
                RetryDecision::GiveUp(GiveUp::WouldDuplicateWrite),
                "{outcome:?}"
            );
            // The same outcome is retried for a GET, and for a keyed POST.
            let keyed = RequestFacts::of(Method::Post, true);
            for facts in [GET, keyed] {
                let mut s = RetryState::new(Millis(0));
                let d = p.decide(&mut s, outcome, facts, None, &mut rng, Millis(0));
                assert!(matches!(d, RetryDecision::RetryAt { .. }));
            }
        }
        // Certainly not applied: safe to resend even without a key.
        for outcome in [
            classify_failure(TransportFailure::ConnectRefused),
            status(429),
            status(503),
        ] {
            let mut s = RetryState::new(Millis(0));
            let d = p.decide(&mut s, &outcome, POST, None, &mut rng, Millis(0));
            assert!(matches!(d, RetryDecision::RetryAt { .. }), "{outcome:?}");
        }
    }

    #[test]
    fn hostile_retry_after_ends_the_call_at_once() {
        let p = policy(RetryConfig::default());
        let mut rng = SplitMix64::new(1);
        let mut s = RetryState::new(Millis(0));
        let year = classify_response(429, &vec![("Retry-After", "31536000")], None, None);
        let d = p.decide(&mut s, &year, GET, None, &mut rng, Millis(0));
        assert_eq!(
            d,
            RetryDecision::GiveUp(GiveUp::RetryAfterTooLong {
                retry_after_ms: 31_536_000_000
            })
        );
    }

    #[test]
    fn a_start_needs_the_time_only_under_a_deadline() {
        let plain = policy(RetryConfig::default());
        assert_eq!(plain.start(None), Some(RetryState::new(Millis(0))));
        assert_eq!(
            plain.start(Some(Millis(7))),
            Some(RetryState::new(Millis(7)))
        );
        let timed = policy(RetryConfig {
            deadline_ms: Some(5000),
            ..RetryConfig::default()
        });
        assert_eq!(timed.start(None), None);
        let s = timed.start(Some(Millis(100))).unwrap();
        assert_eq!(timed.deadline(&s), Some(Millis(5100)));
    }

    #[test]
    fn the_deadline_is_honoured() {
        let p = policy(RetryConfig {
            deadline_ms: Some(5000),
            backoff: BackoffConfig {
                jitter: Jitter::None,
                ..BackoffConfig::default()
            },
            ..RetryConfig::default()
        });
        let mut rng = SplitMix64::new(1);
        let mut s = RetryState::new(Millis(0));
        // 1 s backoff at t=3.5 s ends at 4.5 s: allowed.
        let d = p.decide(&mut s, &status(500), GET, None, &mut rng, Millis(3500));
        assert_eq!(
            d,
            RetryDecision::RetryAt {
                at: Millis(4500),
                delay_ms: 1000
            }
        );
        // 2 s backoff at t=4.6 s would end at 6.6 s: refused.
        let d = p.decide(&mut s, &status(500), GET, None, &mut rng, Millis(4600));
        assert_eq!(
            d,
            RetryDecision::GiveUp(GiveUp::DeadlineExceeded {
                retry_after_ms: 2000
            })
        );
    }

    #[test]
    fn budget_limits_retries_across_calls() {
        let p = policy(RetryConfig::default());
        let mut rng = SplitMix64::new(1);
        let cfg = RetryBudgetConfig {
            ratio: 0.0,
            min_retries_per_second: 0.0,
            max_tokens: 2.0,
        };
        let mut budget = RetryBudget::new(cfg, Millis(0)).unwrap();
        let mut granted = 0;
        for _ in 0..5 {
            let mut s = RetryState::new(Millis(0));
            match p.decide(
                &mut s,
                &status(503),
                GET,
                Some(&mut budget),
                &mut rng,
                Millis(0),
            ) {
                RetryDecision::RetryAt { .. } => granted += 1,
                RetryDecision::GiveUp(g) => assert_eq!(g, GiveUp::BudgetExhausted),
            }
        }
        assert_eq!(granted, 2);
    }

    #[test]
    fn rejects_bad_settings() {
        let e = RetryPolicy::new(RetryConfig {
            max_retries: 1000,
            ..RetryConfig::default()
        });
        assert!(matches!(
            e,
            Err(ConfigError::OutOfRange {
                option: "retry.maxRetries",
                ..
            })
        ));
        let e = RetryPolicy::new(RetryConfig {
            deadline_ms: Some(0),
            ..RetryConfig::default()
        });
        assert!(e.is_err());
    }
}
