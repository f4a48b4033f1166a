//! The circuit breaker: stop sending while the service is down.
//!
//! *Closed*: calls go; outcomes are counted. When `failure_threshold`
//! consecutive failures arrive (the seed's rule), or — if configured — the
//! failure rate over a window of recent calls reaches a threshold with enough
//! volume, the circuit *opens*: calls are refused without being sent for
//! `open_ms` (optionally growing on repeated trips). Then it is *half-open*:
//! at most `half_open_max_probes` probe calls go; `success_threshold`
//! successes close it, one failure opens it again.
//!
//! What the seed got wrong, and this does not:
//!
//! * only service failures count (server, network, timeout by default; the
//!   set is configuration): a 400 or 404 is the caller's mistake and says the
//!   service is fine (seed defects 1 and 2);
//! * a success resets the consecutive-failure count (seed defect 3);
//! * half-open admits at most N probes, and reading the state never changes
//!   it (seed defect 4).
//!
//! Permits carry the epoch (one per state change) they were issued in; an
//! outcome from an earlier epoch — a call that started before the circuit
//! opened — changes nothing.
//!
//! ```
//! use steadfast_core::breaker::{BreakerConfig, BreakerOutcome, CircuitBreaker, CircuitState};
//! use steadfast_core::Millis;
//!
//! let config = BreakerConfig {
//!     failure_threshold: 3,
//!     success_threshold: 1,
//!     open_ms: 10_000,
//!     ..BreakerConfig::default()
//! };
//! let mut breaker = CircuitBreaker::new(config)?;
//! // Three failures in a row open the circuit.
//! for t in 0..3 {
//!     let permit = breaker.try_acquire(Millis(t)).expect("closed: calls go");
//!     breaker.record(permit, BreakerOutcome::Failure, Millis(t));
//! }
//! assert_eq!(breaker.state(Millis(2)), CircuitState::Open);
//! // Open: calls are refused without being sent, and told when to come back.
//! assert_eq!(breaker.try_acquire(Millis(5_000)).unwrap_err().retry_at, Some(Millis(10_002)));
//! // Then half-open: one probe goes, the others wait for its answer...
//! let probe = breaker.try_acquire(Millis(10_002)).expect("the probe");
//! assert!(probe.is_probe() && breaker.try_acquire(Millis(10_003)).is_err());
//! // ...and its success closes the circuit.
//! breaker.record(probe, BreakerOutcome::Success, Millis(10_050));
//! assert_eq!(breaker.state(Millis(10_050)), CircuitState::Closed);
//! # Ok::<(), steadfast_core::ConfigError>(())
//! ```

mod saved;
mod window;

use alloc::collections::VecDeque;

pub use saved::SavedCircuit;
use window::OutcomeWindow;
pub use window::{WindowError, WindowKind};

use crate::category_set::CategorySet;
use crate::classify::Classification;
use crate::error::{check_f64, check_u64, ConfigError};
use crate::time::{Millis, MonotonicClamp};

/// Events kept for the host to drain; older ones are dropped past this.
const MAX_QUEUED_EVENTS: usize = 64;

/// Failure-rate tripping, in addition to consecutive failures.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct FailureRateConfig {
    /// Open when failures / calls in the window reach this (0 < r <= 1).
    pub threshold: f64,
    /// ...and the window holds at least this many calls.
    pub minimum_calls: u32,
    /// Which calls form the window.
    pub window: WindowKind,
}

/// Breaker settings. Defaults are the seed's: 5 failures, 2 successes, 60 s.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// Half-open successes that close it.
    pub success_threshold: u32,
    /// How long it stays open before probing (the seed's `timeout`).
    pub open_ms: u64,
    /// Each consecutive trip multiplies the open time by this (1 = fixed).
    pub open_backoff: f64,
    /// The open time never grows beyond this.
    pub max_open_ms: u64,
    /// Probe calls allowed at once while half-open.
    pub half_open_max_probes: u32,
    /// Optional failure-rate rule.
    pub failure_rate: Option<FailureRateConfig>,
    /// Calls slower than this count as failures, whatever their outcome.
    pub slow_call_ms: Option<u64>,
    /// Which outcome categories count as failures.
    pub failure_categories: CategorySet,
    /// One breaker for the whole client, or one per normalised endpoint
    /// (read by the engine, which keeps the breakers).
    pub scope: BreakerScope,
    /// With [`BreakerScope::Endpoint`]: the most breakers kept; past it, the
    /// least recently used closed one is dropped.
    pub max_breakers: u32,
}

/// Which calls share a breaker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum BreakerScope {
    /// One breaker for every call of the client (the default): an outage
    /// anywhere stops every call.
    #[default]
    Client,
    /// One breaker per normalised endpoint (`/listings/{id}`): a failing
    /// `/listings` does not cut off a healthy `/shops` (the seed's registry
    /// of named breakers).
    Endpoint,
}

impl core::str::FromStr for BreakerScope {
    type Err = crate::UnknownName;

    /// `"client"` or `"endpoint"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "client" => Ok(Self::Client),
            "endpoint" => Ok(Self::Endpoint),
            _ => Err(crate::UnknownName {
                choices: "\"client\" or \"endpoint\"",
            }),
        }
    }
}

impl Default for FailureRateConfig {
    /// Half the calls failing, over the last 100 calls, once 10 are in.
    fn default() -> Self {
        Self {
            threshold: 0.5,
            minimum_calls: 10,
            window: WindowKind::Count { size: 100 },
        }
    }
}

impl BreakerConfig {
    /// Sets the open time and its growth cap as a user gives them: a long
    /// open time given alone raises the cap with it (`openMs: 900_000`
    /// without `maxOpenMs` stays open 15 minutes, not the default cap's 10).
    pub fn set_open_times(&mut self, open_ms: Option<u64>, max_open_ms: Option<u64>) {
        if let Some(max) = max_open_ms {
            self.max_open_ms = max;
        }
        if let Some(open) = open_ms {
            self.open_ms = open;
            if max_open_ms.is_none() {
                self.max_open_ms = self.max_open_ms.max(open);
            }
        }
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            success_threshold: 2,
            open_ms: 60_000,
            open_backoff: 1.0,
            max_open_ms: 600_000,
            half_open_max_probes: 1,
            failure_rate: None,
            slow_call_ms: None,
            failure_categories: CategorySet::SERVICE_FAILURES,
            scope: BreakerScope::Client,
            max_breakers: 64,
        }
    }
}

/// The circuit's state, as reported (never changed by being read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum CircuitState {
    #[default]
    /// Calls go.
    Closed,
    /// Calls are refused without being sent.
    Open,
    /// A few probe calls go to test recovery.
    HalfOpen,
}

impl CircuitState {
    /// The state's snake_case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }
}

/// A state change, queued for the host ([`CircuitBreaker::poll_event`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StateChange {
    /// The state left.
    pub from: CircuitState,
    /// The state entered.
    pub to: CircuitState,
    /// When.
    pub at: Millis,
}

/// Leave to send one call. Hand it back with [`CircuitBreaker::record`] or
/// [`CircuitBreaker::release`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[must_use]
pub struct Permit {
    epoch: u64,
    probe: bool,
    issued: Millis,
}

impl Permit {
    /// Whether this call is a half-open probe.
    #[must_use]
    pub const fn is_probe(&self) -> bool {
        self.probe
    }
}

/// A refusal: the circuit is open (or half-open with every probe slot taken).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// When a call may next be admitted: the end of the open period, or
    /// `None` while half-open probes are in flight (it depends on them).
    pub retry_at: Option<Millis>,
}

impl Rejected {
    /// The category of a refused call: the service's (`server`), since the
    /// circuit opened because the service failed.
    pub const CATEGORY: &'static str = "server";
}

/// A call's outcome as the breaker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerOutcome {
    /// The service answered in a way that says it is healthy.
    Success,
    /// The service failed.
    Failure,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "state"))]
enum Phase {
    Closed { consecutive_failures: u32 },
    Open { until: Millis },
    HalfOpen { in_flight: u32, successes: u32 },
}

/// The circuit breaker state machine. Shared by every call to one service.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CircuitBreaker {
    config: BreakerConfig,
    phase: Phase,
    epoch: u64,
    /// Trips since the circuit last closed (grows the open time).
    trips: u32,
    window: Option<OutcomeWindow>,
    events: VecDeque<StateChange>,
    clock: MonotonicClamp,
}

impl CircuitBreaker {
    /// A closed breaker.
    ///
    /// # Errors
    /// Thresholds of 0, an `open_ms` of 0 or above `max_open_ms`, a growth
    /// factor outside 1..=10, a failure rate outside (0, 1], a window of
    /// size 0, or more than 10 000 calls / buckets in it.
    pub fn new(config: BreakerConfig) -> Result<Self, ConfigError> {
        let window = check_config(&config)?;
        Ok(Self {
            config,
            phase: Phase::Closed {
                consecutive_failures: 0,
            },
            epoch: 0,
            trips: 0,
            window,
            events: VecDeque::new(),
            clock: MonotonicClamp::default(),
        })
    }

    /// Takes new settings, keeping the state (an open circuit stays open
    /// until its time is up, but never longer than the new `maxOpenMs` from
    /// `now`). A failure-rate window of another shape starts empty.
    ///
    /// # Errors
    /// As [`CircuitBreaker::new`]; on error nothing changes.
    pub fn reconfigure(&mut self, config: BreakerConfig, now: Millis) -> Result<(), ConfigError> {
        let window = check_config(&config)?;
        let now = self.clock.observe(now);
        let same_window =
            self.config.failure_rate.map(|r| r.window) == config.failure_rate.map(|r| r.window);
        if !same_window {
            self.window = window;
        }
        if let Phase::Open { until } = &mut self.phase {
            *until = (*until).min(now.plus(config.max_open_ms));
        }
        self.config = config;
        Ok(())
    }

    /// Forgets the half-open probes in flight: they belonged to a process
    /// that is gone (a host restoring a snapshot) and will never report, so
    /// they must not hold the probe slots.
    pub fn forget_probes(&mut self) {
        if let Phase::HalfOpen { in_flight, .. } = &mut self.phase {
            *in_flight = 0;
        }
    }

    /// The settings in force.
    #[must_use]
    pub const fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// The state at `now`. Pure: an open circuit whose time is up reads as
    /// half-open, but nothing changes until a call asks for a permit.
    #[must_use]
    pub fn state(&self, now: Millis) -> CircuitState {
        match self.phase {
            Phase::Closed { .. } => CircuitState::Closed,
            Phase::Open { until } if now < until => CircuitState::Open,
            Phase::Open { .. } | Phase::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }

    /// Whether the circuit is closed (it then holds nothing a restart or an
    /// eviction would lose but failure counts).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed { .. })
    }

    /// Whether a call asking now would be admitted. Pure.
    #[must_use]
    pub fn is_available(&self, now: Millis) -> bool {
        match self.phase {
            Phase::Closed { .. } => true,
            Phase::Open { until } => now >= until,
            Phase::HalfOpen { in_flight, .. } => in_flight < self.config.half_open_max_probes,
        }
    }

    /// When the circuit is open: the instant it starts admitting probes.
    #[must_use]
    pub fn open_until(&self) -> Option<Millis> {
        match self.phase {
            Phase::Open { until } => Some(until),
            _ => None,
        }
    }

    /// Probe calls in flight while half-open.
    #[must_use]
    pub fn probes_in_flight(&self) -> u32 {
        match self.phase {
            Phase::HalfOpen { in_flight, .. } => in_flight,
            _ => 0,
        }
    }

    /// Asks leave to send one call at `now`.
    ///
    /// # Errors
    /// [`Rejected`] while open, or half-open with every probe slot taken.
    pub fn try_acquire(&mut self, now: Millis) -> Result<Permit, Rejected> {
        let now = self.clock.observe(now);
        if let Phase::Open { until } = self.phase {
            if now < until {
                return Err(Rejected {
                    retry_at: Some(until),
                });
            }
            self.enter(
                Phase::HalfOpen {
                    in_flight: 0,
                    successes: 0,
                },
                now,
            );
        }
        match &mut self.phase {
            Phase::Closed { .. } => Ok(Permit {
                epoch: self.epoch,
                probe: false,
                issued: now,
            }),
            Phase::HalfOpen { in_flight, .. } if *in_flight < self.config.half_open_max_probes => {
                *in_flight += 1;
                Ok(Permit {
                    epoch: self.epoch,
                    probe: true,
                    issued: now,
                })
            }
            Phase::HalfOpen { .. } | Phase::Open { .. } => Err(Rejected { retry_at: None }),
        }
    }

    /// [`CircuitBreaker::try_acquire`] without the time, for a host whose
    /// clock is dear to read (a clock read costs more than this whole
    /// decision in some JavaScript engines): `None` when the answer depends
    /// on the time — the circuit is not closed (an open period may have
    /// ended), or a slow-call limit needs the call's start — and the host
    /// must ask [`CircuitBreaker::try_acquire`] with it. A closed circuit
    /// admits every call at any time, so that answer needs no clock.
    ///
    /// The permit is answered as a number (its epoch: such a permit carries
    /// nothing else), so a host need keep nothing per call; hand it back to
    /// [`CircuitBreaker::record_end_untimed`], or turn it into the permit
    /// with [`CircuitBreaker::untimed_permit`].
    #[must_use]
    pub const fn try_acquire_untimed(&self) -> Option<u64> {
        match self.phase {
            Phase::Closed { .. } if self.config.slow_call_ms.is_none() => Some(self.epoch),
            _ => None,
        }
    }

    /// The permit [`CircuitBreaker::try_acquire_untimed`] answered as
    /// `token`, to record with the time ([`CircuitBreaker::record_end`]).
    pub const fn untimed_permit(&self, token: u64) -> Permit {
        Permit {
            epoch: token,
            probe: false,
            issued: self.clock.latest(),
        }
    }

    /// [`CircuitBreaker::record_end`] without the time: answers whether it
    /// was recorded. It is when the outcome needs no clock: a cancelled call
    /// or a permit from an earlier epoch (nothing is counted), or a success
    /// while closed with neither a slow-call limit nor a failure-rate window
    /// (it only resets the count of consecutive failures). Otherwise nothing
    /// changes and the host asks [`CircuitBreaker::record_end`] with the
    /// time: a failure may open the circuit, and when it opens is the time.
    pub fn record_end_untimed(
        &mut self,
        permit: Permit,
        cancelled: bool,
        outcome: Option<&Classification>,
    ) -> bool {
        if cancelled {
            self.release(permit);
            return true;
        }
        if permit.epoch != self.epoch {
            return true;
        }
        let success = outcome.is_none_or(|c| self.judge(c) == BreakerOutcome::Success);
        let timeless = self.config.slow_call_ms.is_none() && self.window.is_none();
        match &mut self.phase {
            Phase::Closed {
                consecutive_failures,
            } if success && timeless => {
                *consecutive_failures = 0;
                true
            }
            _ => false,
        }
    }

    /// Records how the call of `permit` ended, as a building block over any
    /// function sees it: a call its caller cancelled says nothing about the
    /// service (the permit is [released](Self::release), nothing counted);
    /// otherwise `outcome` is [`crate::classify_outcome`]'s verdict (`None`:
    /// a success).
    pub fn record_end(
        &mut self,
        permit: Permit,
        cancelled: bool,
        outcome: Option<&Classification>,
        now: Millis,
    ) {
        match (cancelled, outcome) {
            (true, _) => self.release(permit),
            (false, None) => self.record(permit, BreakerOutcome::Success, now),
            (false, Some(c)) => self.record_classified(permit, c, now),
        }
    }

    /// Hands back a permit whose call ended without an outcome (cancelled
    /// before an answer): a probe slot is freed, nothing is counted.
    pub fn release(&mut self, permit: Permit) {
        if permit.epoch != self.epoch {
            return;
        }
        if let Phase::HalfOpen { in_flight, .. } = &mut self.phase {
            if permit.probe {
                *in_flight = in_flight.saturating_sub(1);
            }
        }
    }

    /// Whether a classified outcome counts as a failure for this breaker.
    ///
    /// A permanent answer (501 Not Implemented, 505) is a server error, but
    /// it says that one endpoint cannot work, not that the service is down:
    /// it is a sign of life, never a failure.
    #[must_use]
    pub fn judge(&self, outcome: &Classification) -> BreakerOutcome {
        if outcome.status.is_some_and(is_permanent) {
            return BreakerOutcome::Success;
        }
        match outcome.category {
            Some(c) if self.config.failure_categories.contains(c) => BreakerOutcome::Failure,
            _ => BreakerOutcome::Success,
        }
    }

    /// Records a classified outcome (see [`CircuitBreaker::judge`]).
    pub fn record_classified(&mut self, permit: Permit, outcome: &Classification, now: Millis) {
        let verdict = self.judge(outcome);
        self.record(permit, verdict, now);
    }

    /// Records the outcome of a call admitted by `permit`, at `now`.
    pub fn record(&mut self, permit: Permit, outcome: BreakerOutcome, now: Millis) {
        let now = self.clock.observe(now);
        if permit.epoch != self.epoch {
            return; // The circuit has moved on since this call started.
        }
        let slow = self
            .config
            .slow_call_ms
            .is_some_and(|limit| now.since(permit.issued) >= limit);
        let failed = outcome == BreakerOutcome::Failure || slow;
        match &mut self.phase {
            Phase::Closed {
                consecutive_failures,
            } => {
                *consecutive_failures = if failed { *consecutive_failures + 1 } else { 0 };
                let consecutive = *consecutive_failures >= self.config.failure_threshold;
                let by_rate = self.push_to_window(failed, now);
                if consecutive || by_rate {
                    self.trip(now);
                }
            }
            Phase::HalfOpen {
                in_flight,
                successes,
            } => {
                if permit.probe {
                    *in_flight = in_flight.saturating_sub(1);
                }
                if failed {
                    self.trip(now);
                } else {
                    *successes += 1;
                    if *successes >= self.config.success_threshold {
                        self.trips = 0;
                        if let Some(w) = &mut self.window {
                            w.clear();
                        }
                        self.enter(
                            Phase::Closed {
                                consecutive_failures: 0,
                            },
                            now,
                        );
                    }
                }
            }
            Phase::Open { .. } => {}
        }
    }

    /// Whether a state change is queued ([`CircuitBreaker::poll_event`]).
    #[must_use]
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The next queued state change, oldest first.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<StateChange> {
        self.events.pop_front()
    }

    /// Opens the circuit at once (an operator's kill switch, or a host
    /// restoring knowledge that the service is down).
    pub fn force_open(&mut self, now: Millis) {
        let now = self.clock.observe(now);
        self.trip(now);
    }

    /// Adds the outcome to the rate window; answers whether the rate rule trips.
    fn push_to_window(&mut self, failed: bool, now: Millis) -> bool {
        let (Some(window), Some(rule)) = (&mut self.window, self.config.failure_rate) else {
            return false;
        };
        window.push(failed, now);
        let t = window.tally(now);
        t.calls >= u64::from(rule.minimum_calls)
            && t.calls > 0
            && (t.failures as f64) >= rule.threshold * t.calls as f64
    }

    fn trip(&mut self, now: Millis) {
        let mut open = self.config.open_ms as f64;
        for _ in 0..self.trips.min(64) {
            open *= self.config.open_backoff;
        }
        let open = (open as u64).min(self.config.max_open_ms);
        self.trips = self.trips.saturating_add(1);
        self.enter(
            Phase::Open {
                until: now.plus(open),
            },
            now,
        );
    }

    fn enter(&mut self, phase: Phase, now: Millis) {
        let from = phase_state(self.phase);
        self.phase = phase;
        self.epoch += 1;
        if self.events.len() >= MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(StateChange {
            from,
            to: phase_state(phase),
            at: now,
        });
    }
}

/// Checks every breaker setting, naming the first bad one; answers the
/// failure-rate window the settings ask for.
fn check_config(config: &BreakerConfig) -> Result<Option<OutcomeWindow>, ConfigError> {
    check_u64(
        "breaker.failureThreshold",
        config.failure_threshold.into(),
        1,
        1_000_000,
    )?;
    check_u64(
        "breaker.successThreshold",
        config.success_threshold.into(),
        1,
        1_000_000,
    )?;
    check_u64(
        "breaker.halfOpenMaxProbes",
        config.half_open_max_probes.into(),
        1,
        1_000_000,
    )?;
    check_u64("breaker.maxOpenMs", config.max_open_ms, 1, 7 * 86_400_000)?;
    check_u64("breaker.maxBreakers", config.max_breakers.into(), 1, 10_000)?;
    check_u64("breaker.openMs", config.open_ms, 1, config.max_open_ms)?;
    check_f64("breaker.openBackoff", config.open_backoff, 1.0, 10.0)?;
    if let Some(ms) = config.slow_call_ms {
        check_u64("breaker.slowCallMs", ms, 1, u64::MAX)?;
    }
    let window = match config.failure_rate {
        None => None,
        Some(rate) => {
            check_f64(
                "breaker.failureRate.threshold",
                rate.threshold,
                f64::MIN_POSITIVE,
                1.0,
            )?;
            check_u64(
                "breaker.failureRate.minimumCalls",
                rate.minimum_calls.into(),
                1,
                1_000_000,
            )?;
            match rate.window {
                WindowKind::Count { size } => {
                    check_u64("breaker.failureRate.window.size", size.into(), 1, 10_000)?;
                }
                WindowKind::Time { window_ms, buckets } => {
                    check_u64(
                        "breaker.failureRate.window.buckets",
                        buckets.into(),
                        1,
                        10_000,
                    )?;
                    check_u64(
                        "breaker.failureRate.window.windowMs",
                        window_ms,
                        u64::from(buckets),
                        u64::MAX,
                    )?;
                }
            }
            Some(OutcomeWindow::new(rate.window))
        }
    };
    Ok(window)
}

/// A server answer that will never change: the endpoint does not exist or
/// the server will not speak this protocol version.
const fn is_permanent(status: u16) -> bool {
    matches!(status, 501 | 505)
}

const fn phase_state(phase: Phase) -> CircuitState {
    match phase {
        Phase::Closed { .. } => CircuitState::Closed,
        Phase::Open { .. } => CircuitState::Open,
        Phase::HalfOpen { .. } => CircuitState::HalfOpen,
    }
}

#[cfg(test)]
mod tests;
