//! The seed's policy, defects included: the baseline every scenario compares
//! Steadfast with.
//!
//! # The seed
//!
//! Steadfast grew from a Python client for Etsy's Open API v3 (the *seed*).
//! Every request went through a retry decorator, a circuit breaker and an
//! adaptive rate limiter before a `requests` call with a 30 s timeout;
//! failures were classified (authentication, rate limit, validation, not
//! found, server, network) and counted by an error monitor. This module
//! reproduces the three parts that decide *which requests are sent and when*
//! — retry, breaker, limiter — as the seed wrote them, so that the demo and
//! the scenario tests run both policies on the same traffic against the same
//! simulated server. The numbers below are the seed's defects as the README's
//! "The seed" section lists them; classification and monitoring change
//! nothing on the wire and are not reproduced here.
//!
//! ## Retry
//!
//! * At most 3 retries. The delay is the error's own `retry_after` when it
//!   has one — a 429's `Retry-After` (60 s when absent), 30 s for any 5xx,
//!   5 s for a connection error or timeout — else 1 s doubled per retry. It
//!   is capped at 60 s and *then* multiplied by a random 0.5–1.5: a delay can
//!   exceed the cap by half, and a server's `Retry-After` is shortened by up
//!   to half, so the retry can arrive before the server allows it (defect 5).
//! * The decorator is applied without arguments, so it always uses the
//!   default settings above; the client's own retry settings are ignored
//!   (defect 8).
//! * POST and PATCH are retried after timeouts, resets and 5xx exactly like
//!   GET, so a write can be applied twice (defect 6).
//! * `int(Retry-After)` raises on the HTTP-date form and on any other
//!   non-number; that error is not an API error, escapes the retry loop and
//!   ends the call (defect 12).
//! * An open circuit raises an error the retry loop does not retry: the call
//!   fails at once.
//!
//! ## Circuit breaker (5 failures open it for 60 s, 2 successes close it)
//!
//! * The client records a failure for an API error only when
//!   `category in ['server', 'network']` — an enum compared with strings,
//!   never true — so 5xx never reach the breaker; only connection errors and
//!   timeouts do (defect 1).
//! * A success does not reset the failure count: five failures spread over
//!   any length of time open the circuit (defect 3).
//! * The circuit is checked through its `state` getter, which *changes* an
//!   open circuit to half-open once 60 s have passed since the last
//!   failure; half-open then lets every caller through rather than a few
//!   probes (defect 4).
//!
//! ## Rate limiter (10 requests/s, 10 000/day with 10 % held back, adaptive)
//!
//! * `wait_if_needed` sleeps while holding the limiter's lock: callers are
//!   served one after another, each `1/10 s × multiplier` after the previous
//!   one (defect 9). Each 429 doubles the multiplier (up to ×10); each
//!   success multiplies it by 0.9 (down to ×1).
//! * The daily count never resets, and a spent daily quota waits until a
//!   reset time that stays 0 until headers set it: it waits `0 − now`
//!   seconds, that is not at all, so the quota is not enforced (defect 10).
//! * Limits are read from headers named `X-Limit-Daily-*`, which Etsy never
//!   sends (it sends `x-limit-per-second`, `x-remaining-this-second`,
//!   `x-limit-per-day`, `x-remaining-today`): the client never learns the
//!   server's real limits (defect 11).
//!
//! ## How it runs here
//!
//! Each call behaves like one Python thread running the client's request
//! method: the circuit check, then the limiter's lock (a queue in send
//! order), then the attempt with its 30 s timeout, then the retry decision
//! and its sleep. Its `quota_left` is the seed's own idea of its daily
//! requests left: 9 000 minus its never-reset count.

use std::collections::BTreeSet;

use crate::fast_hash::FastMap as HashMap;

use steadfast_core::breaker::CircuitState;
use steadfast_core::rng::Rng;
use steadfast_core::{Method, Millis, SplitMix64, TransportFailure};

use crate::client::{Action, CallSpec, Policy};
use crate::server::{Answer, Value};

const MAX_RETRIES: u32 = 3;
const REQUEST_TIMEOUT_MS: u64 = 30_000;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    /// Queued on the limiter's lock; sends at the timer.
    Pacing,
    /// Attempt out; the timer is the 30 s `requests` timeout.
    InFlight { attempt: u32 },
    /// `time.sleep(delay)` between attempts.
    Sleeping,
}

#[derive(Clone, Debug)]
struct SeedCall {
    method: Method,
    /// The retry loop's `attempt` (0-based).
    round: u32,
    sent: u32,
    stage: Stage,
    wake: Millis,
}

/// What the seed's exception would be.
enum SeedError {
    /// `EtsyAPIError` with `is_retryable` and `retry_after` (seconds).
    Api {
        retryable: bool,
        retry_after_s: Option<f64>,
    },
    /// Anything else (ValueError from `int()`, CircuitOpenError): not retried.
    Crash(&'static str),
}

/// The seed's circuit breaker, with its defects.
#[derive(Debug)]
struct SeedBreaker {
    state: CircuitState,
    failures: u32,
    successes: u32,
    last_failure: Millis,
}

impl SeedBreaker {
    /// The `state` property: it *changes* the state when read.
    fn state(&mut self, now: Millis, out: &mut Vec<Action>) -> CircuitState {
        if self.state == CircuitState::Open && now.since(self.last_failure) > 60_000 {
            self.state = CircuitState::HalfOpen;
            self.failures = 0;
            out.push(Action::Circuit(CircuitState::HalfOpen));
        }
        self.state
    }

    fn record_success(&mut self, out: &mut Vec<Action>) {
        self.successes += 1;
        if self.state == CircuitState::HalfOpen && self.successes >= 2 {
            self.state = CircuitState::Closed;
            self.failures = 0;
            out.push(Action::Circuit(CircuitState::Closed));
        }
    }

    fn record_failure(&mut self, now: Millis, out: &mut Vec<Action>) {
        self.failures += 1;
        self.last_failure = now;
        self.successes = 0;
        let trips = match self.state {
            CircuitState::Closed => self.failures >= 5,
            CircuitState::HalfOpen => true,
            CircuitState::Open => false,
        };
        if trips {
            self.state = CircuitState::Open;
            out.push(Action::Circuit(CircuitState::Open));
        }
    }
}

/// The seed's `AdaptiveRateLimiter`.
#[derive(Debug)]
struct SeedLimiter {
    last_request_ms: f64,
    lock_free_at: Millis,
    daily_count: u64,
    consecutive_429: u32,
    multiplier: f64,
}

impl SeedLimiter {
    /// `wait_if_needed` for a thread arriving at `now`: when it sends.
    fn wait_if_needed(&mut self, now: Millis) -> Millis {
        let start = now.max(self.lock_free_at);
        // Daily check: `_daily_reset_time` is 0, so the wait is negative and
        // nothing waits even when the local quota is spent.
        let interval = 100.0 * self.multiplier;
        let earliest = self.last_request_ms + interval;
        let send = (start.as_u64() as f64).max(earliest).ceil() as u64;
        self.last_request_ms = send as f64;
        self.lock_free_at = Millis(send);
        self.daily_count += 1;
        Millis(send)
    }

    fn record_rate_limit(&mut self) {
        self.consecutive_429 += 1;
        self.multiplier = 2f64.powi(self.consecutive_429.min(30) as i32).min(10.0);
    }

    fn record_success(&mut self) {
        self.consecutive_429 = 0;
        self.multiplier = (self.multiplier * 0.9).max(1.0);
    }
}

/// The seed's `ResilientEtsyClient`, one thread per call.
pub struct SeedPolicy {
    rng: SplitMix64,
    calls: HashMap<u64, SeedCall>,
    timers: BTreeSet<(Millis, u64)>,
    breaker: SeedBreaker,
    limiter: SeedLimiter,
    out: Vec<Action>,
}

impl SeedPolicy {
    /// The seed's client with its default settings.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SplitMix64::new(seed ^ 0x00DE_FEC7),
            calls: HashMap::default(),
            timers: BTreeSet::new(),
            breaker: SeedBreaker {
                state: CircuitState::Closed,
                failures: 0,
                successes: 0,
                last_failure: Millis::ZERO,
            },
            limiter: SeedLimiter {
                last_request_ms: 0.0,
                lock_free_at: Millis::ZERO,
                daily_count: 0,
                consecutive_429: 0,
                multiplier: 1.0,
            },
            out: Vec::new(),
        }
    }

    fn set_timer(&mut self, op: u64, stage: Stage, at: Millis) {
        if let Some(call) = self.calls.get_mut(&op) {
            self.timers.remove(&(call.wake, op));
            call.stage = stage;
            call.wake = at;
            self.timers.insert((at, op));
        }
    }

    /// One pass of `_make_request`: circuit check, then the limiter's lock.
    fn begin_attempt(&mut self, op: u64, now: Millis) {
        if self.breaker.state(now, &mut self.out) == CircuitState::Open {
            self.end(op, false, "circuit_open");
            return;
        }
        let send_at = self.limiter.wait_if_needed(now);
        self.set_timer(op, Stage::Pacing, send_at);
    }

    fn end(&mut self, op: u64, ok: bool, how: &'static str) {
        if let Some(call) = self.calls.remove(&op) {
            self.timers.remove(&(call.wake, op));
            self.out.push(Action::Done { op, ok, how });
        }
    }

    /// The `@retry` wrapper's `except` branches.
    fn after_error(&mut self, op: u64, err: SeedError, now: Millis) {
        let (retryable, retry_after_s) = match err {
            SeedError::Crash(how) => {
                self.end(op, false, how);
                return;
            }
            SeedError::Api {
                retryable,
                retry_after_s,
            } => (retryable, retry_after_s),
        };
        let Some(call) = self.calls.get_mut(&op) else {
            return;
        };
        if !retryable || call.round >= MAX_RETRIES {
            self.end(op, false, "gave_up");
            return;
        }
        // get_delay: retry_after if truthy, else exponential; cap; then jitter.
        let mut delay = match retry_after_s {
            Some(s) if s > 0.0 => s,
            _ => 2f64.powi(call.round as i32),
        };
        delay = delay.min(60.0);
        delay *= 0.5 + self.rng.unit();
        call.round += 1;
        let at = now.plus((delay * 1000.0) as u64);
        self.set_timer(op, Stage::Sleeping, at);
    }

    fn on_answer(&mut self, op: u64, answer: &Answer, now: Millis) {
        let err = match answer {
            Answer::Failure(TransportFailure::Timeout) | Answer::Failure(_) => {
                // requests.ConnectionError / Timeout: the one path that
                // reaches record_failure.
                self.breaker.record_failure(now, &mut self.out);
                SeedError::Api {
                    retryable: true,
                    retry_after_s: Some(5.0),
                }
            }
            Answer::Response {
                status, headers, ..
            } => {
                let status = *status;
                if (200..300).contains(&status) {
                    self.limiter.record_success();
                    self.breaker.record_success(&mut self.out);
                    self.end(op, true, "ok");
                    return;
                }
                if status == 429 {
                    self.limiter.record_rate_limit();
                    let value = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                        .map(|(_, v)| *v);
                    // int(value): only a plain number survives.
                    match value {
                        None => SeedError::Api {
                            retryable: true,
                            retry_after_s: Some(60.0),
                        },
                        Some(Value::Num(s)) => SeedError::Api {
                            retryable: true,
                            retry_after_s: Some(s as f64),
                        },
                        Some(Value::Text(_) | Value::HttpDate(_)) => SeedError::Crash("crashed"),
                    }
                } else {
                    // classify_error; the circuit never hears of it (defect 1).
                    match status {
                        500..=599 => SeedError::Api {
                            retryable: true,
                            retry_after_s: Some(30.0),
                        },
                        _ => SeedError::Api {
                            retryable: false,
                            retry_after_s: None,
                        },
                    }
                }
            }
        };
        self.after_error(op, err, now);
    }
}

impl Policy for SeedPolicy {
    fn name(&self) -> &'static str {
        "seed"
    }

    fn start(&mut self, spec: &CallSpec, now: Millis) {
        self.calls.insert(
            spec.op,
            SeedCall {
                method: spec.method,
                round: 0,
                sent: 0,
                stage: Stage::Sleeping,
                wake: now,
            },
        );
        self.begin_attempt(spec.op, now);
    }

    fn deliver(&mut self, op: u64, attempt: u32, answer: &Answer, now: Millis) {
        let current = self.calls.get(&op).map(|c| c.stage);
        if current != Some(Stage::InFlight { attempt }) {
            return; // Timed out already: requests gave up on it.
        }
        self.on_answer(op, answer, now);
    }

    fn on_timer(&mut self, now: Millis) {
        while let Some(&(at, op)) = self.timers.first() {
            if at > now {
                break;
            }
            self.timers.remove(&(at, op));
            let Some(call) = self.calls.get_mut(&op) else {
                continue;
            };
            match call.stage {
                Stage::Pacing => {
                    call.sent += 1;
                    let attempt = call.sent;
                    let _ = call.method; // POST and PATCH are retried like GET.
                    self.out.push(Action::Send { op, attempt });
                    self.set_timer(
                        op,
                        Stage::InFlight { attempt },
                        now.plus(REQUEST_TIMEOUT_MS),
                    );
                }
                Stage::InFlight { .. } => {
                    self.on_answer(op, &Answer::Failure(TransportFailure::Timeout), now);
                }
                Stage::Sleeping => self.begin_attempt(op, now),
            }
        }
    }

    fn next_timer(&self) -> Option<Millis> {
        self.timers.first().map(|(at, _)| *at)
    }

    fn drain(&mut self, out: &mut Vec<Action>) {
        out.append(&mut self.out);
    }

    fn quota_left(&self, _now: Millis) -> Option<u64> {
        Some(9_000u64.saturating_sub(self.limiter.daily_count))
    }

    fn max_probes(&self) -> u32 {
        u32::MAX
    }
}
