//! One logical call as a state machine, many calls sharing one limiter,
//! breaker and monitor.
//!
//! The host feeds inputs and drains outputs, in the sans-IO style of quinn
//! and str0m:
//!
//! ```text
//! start / handle_response / handle_failure / handle_timeout / cancel
//!     → drain poll_output() until None
//!     → arm one timer at poll_timeout()
//! ```
//!
//! A call goes: admitted by the breaker (fail fast while open) → a slot from
//! the limiter (now, or booked for later) → a permit from the breaker → *send*
//! → classify the outcome → feed limiter, breaker and monitor → retry
//! decision. Waits — a booked slot, a backoff, a server's pause, an open
//! circuit's half-open moment — are timers, never sleeps, and each is bounded
//! by the call's deadline, `maxRetryAfterMs` and its retries.
//!
//! Early or extra `handle_timeout` calls are harmless; an outcome for an
//! attempt that already timed out or was cancelled is ignored; every call
//! ends with exactly one [`Output::Done`].
//!
//! ```
//! use steadfast_core::engine::{Engine, EngineConfig, Output, RequestMeta, ResponseMeta};
//! use steadfast_core::{Method, Millis};
//!
//! let mut engine = Engine::new(EngineConfig::default(), Millis(0))?;
//! let call = engine.start(RequestMeta {
//!     method: Method::Get, endpoint: "/listings/1", idempotency_key: false,
//!     timeout_ms: None, deadline_ms: None,
//! }, Millis(0));
//! let Some(Output::Send { attempt, .. }) = engine.poll_output() else { unreachable!() };
//! // ... the host sends it, then reports what came back:
//! engine.handle_response(call, attempt, ResponseMeta { status: 200, headers: &[], body: None, wall: None }, Millis(40));
//! assert!(matches!(engine.poll_output(), Some(Output::Done { result: Ok(_), .. })));
//! # Ok::<(), steadfast_core::ConfigError>(())
//! ```

mod endpoint_cache;
mod slab;
mod types;

use alloc::collections::{BinaryHeap, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use core::cmp::Reverse;

use endpoint_cache::EndpointCache;
use slab::Slab;
use types::{check_engine_config, Secrets};
pub use types::{
    CallFailure, CallId, CallSuccess, EngineConfig, Event, FailureKind, Health, Output,
    RequestMeta, ResponseMeta, Snapshot,
};

use crate::breaker::{CircuitBreaker, Permit};
use crate::classify::{classify_failure, classify_response, Classification, TransportFailure};
use crate::error::ConfigError;
use crate::limiter::{Admission, LimiterFeedback, LimiterPermit, RateLimiter};
use crate::method::Method;
use crate::monitor::{EndpointId, ErrorMonitor, MonitorEvent, Outcome};
use crate::retry::{GiveUp, RequestFacts, RetryBudget, RetryDecision, RetryPolicy, RetryState};
use crate::rng::SplitMix64;
use crate::time::{Millis, MonotonicClamp};

/// Where one call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Asks for admission when its timer fires (start, after a backoff or a
    /// pause).
    Waiting,
    /// Holds a limiter slot booked for its timer's instant.
    Slotted { slot: LimiterPermit },
    /// An attempt is out; its timer is the attempt's timeout.
    InFlight {
        attempt: u32,
        slot: LimiterPermit,
        permit: Permit,
    },
}

/// What a failure report needs of the last attempt (not the whole
/// classification: calls are kept small).
#[derive(Clone, Debug)]
struct LastOutcome {
    category: Option<crate::classify::Category>,
    status: Option<u16>,
    /// The server's message, secrets already scrubbed.
    message: Option<String>,
}

#[derive(Clone, Debug)]
struct Call {
    method: Method,
    has_key: bool,
    endpoint: EndpointId,
    /// Shared with the endpoint cache: starting a call copies no string.
    endpoint_name: Arc<str>,
    timeout_ms: u64,
    deadline: Option<Millis>,
    retry: RetryState,
    attempts: u32,
    hold_waits: u32,
    phase: Phase,
    wake: Option<Millis>,
    /// The last attempt's outcome, for the error if a wait ends the call.
    last: Option<LastOutcome>,
}

/// The engine for one API: every call to it, and the machines they share.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    policy: RetryPolicy,
    breaker: CircuitBreaker,
    limiter: RateLimiter,
    monitor: ErrorMonitor,
    budget: Option<RetryBudget>,
    rng: SplitMix64,
    calls: Slab<Call>,
    /// Wake-ups, earliest first. An entry whose call no longer wakes at that
    /// instant (it moved on, or ended) is stale and skipped: cheaper than
    /// removing it from the middle of the heap.
    timers: BinaryHeap<Reverse<(Millis, CallId)>>,
    outputs: VecDeque<Output>,
    secrets: Secrets,
    endpoints: EndpointCache,
    clock: MonotonicClamp,
}

impl Engine {
    /// An engine with nothing counted yet.
    ///
    /// # Errors
    /// The first invalid option of any part, named.
    pub fn new(config: EngineConfig, now: Millis) -> Result<Self, ConfigError> {
        check_engine_config(&config)?;
        let budget = match config.budget {
            Some(b) => Some(RetryBudget::new(b, now)?),
            None => None,
        };
        let mut clock = MonotonicClamp::default();
        clock.observe(now);
        Ok(Self {
            config,
            policy: RetryPolicy::new(config.retry)?,
            breaker: CircuitBreaker::new(config.breaker)?,
            limiter: RateLimiter::new(config.limiter)?,
            monitor: ErrorMonitor::new(config.monitor)?,
            budget,
            rng: SplitMix64::new(config.seed),
            calls: Slab::new(),
            timers: BinaryHeap::new(),
            outputs: VecDeque::new(),
            secrets: Secrets::default(),
            endpoints: EndpointCache::default(),
            clock,
        })
    }

    /// An engine resuming from a [`Snapshot`] (an open circuit stays open, a
    /// spent quota stays spent). The configuration applies to new calls.
    ///
    /// # Errors
    /// As [`Engine::new`].
    pub fn restore(
        config: EngineConfig,
        snapshot: Snapshot,
        now: Millis,
    ) -> Result<Self, ConfigError> {
        let mut engine = Self::new(config, now)?;
        engine.breaker = snapshot.breaker;
        engine.limiter = snapshot.limiter;
        engine.monitor = snapshot.monitor;
        engine.budget = snapshot.budget.or(engine.budget);
        engine.rng = snapshot.rng;
        Ok(engine)
    }

    /// The durable state, to save and later [`Engine::restore`].
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            breaker: self.breaker.clone(),
            limiter: self.limiter.clone(),
            monitor: self.monitor.clone(),
            budget: self.budget.clone(),
            rng: self.rng.clone(),
        }
    }

    /// The settings in force.
    #[must_use]
    pub const fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Registers a secret (an API key, a token) that must never appear in a
    /// message the engine passes on; servers sometimes echo them.
    pub fn add_secret(&mut self, value: &str) {
        self.secrets.add(value);
    }

    /// Starts a call at `now`; its first output follows at once or at a timer.
    pub fn start(&mut self, request: RequestMeta<'_>, now: Millis) -> CallId {
        let now = self.clock.observe(now);
        let endpoint_name = self.endpoints.normalize(request.endpoint);
        let endpoint = self.monitor.intern(&endpoint_name, now);
        let deadline_ms = request.deadline_ms.or(self.config.retry.deadline_ms);
        let call = Call {
            method: request.method,
            has_key: request.idempotency_key,
            endpoint,
            endpoint_name,
            timeout_ms: request
                .timeout_ms
                .unwrap_or(self.config.attempt_timeout_ms)
                .max(1),
            deadline: deadline_ms.map(|d| now.plus(d)),
            retry: RetryState::new(now),
            attempts: 0,
            hold_waits: 0,
            phase: Phase::Waiting,
            wake: None,
            last: None,
        };
        let id = self.calls.insert(call);
        self.admit(id, now);
        self.drain_machine_events();
        id
    }

    /// Attempt `attempt` of `call` got a response at `now`.
    pub fn handle_response(
        &mut self,
        call: CallId,
        attempt: u32,
        response: ResponseMeta<'_>,
        now: Millis,
    ) {
        let now = self.clock.observe(now);
        let c = classify_response(
            response.status,
            response.headers,
            response.body,
            response.wall,
        );
        self.on_outcome(call, attempt, c, now);
        self.drain_machine_events();
    }

    /// Attempt `attempt` of `call` failed below HTTP at `now`.
    pub fn handle_failure(
        &mut self,
        call: CallId,
        attempt: u32,
        failure: TransportFailure,
        now: Millis,
    ) {
        let now = self.clock.observe(now);
        self.on_outcome(call, attempt, classify_failure(failure), now);
        self.drain_machine_events();
    }

    /// Time passed: fire every timer due at `now`. Early or extra calls are
    /// no-ops.
    pub fn handle_timeout(&mut self, now: Millis) {
        let now = self.clock.observe(now);
        while let Some(&Reverse((at, id))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(call) = self.calls.get_mut(&id).filter(|c| c.wake == Some(at)) else {
                continue; // Stale: the call moved on or ended.
            };
            call.wake = None;
            match call.phase {
                Phase::Waiting => self.admit(id, now),
                Phase::Slotted { slot } => self.on_slot(id, slot, now),
                Phase::InFlight { attempt, .. } => {
                    self.outputs.push_back(Output::Abort { call: id, attempt });
                    self.on_outcome(
                        id,
                        attempt,
                        classify_failure(TransportFailure::Timeout),
                        now,
                    );
                }
            }
        }
        self.monitor.handle_timeout(now);
        self.drain_machine_events();
    }

    /// The caller gave up on `call`: it ends now with [`FailureKind::Cancelled`].
    /// Unknown or finished calls are ignored.
    pub fn cancel(&mut self, call: CallId, now: Millis) {
        let now = self.clock.observe(now);
        let Some(c) = self.calls.get(&call) else {
            return;
        };
        match c.phase {
            Phase::Waiting => {}
            Phase::Slotted { slot } => self.limiter.cancel(slot, now),
            Phase::InFlight {
                attempt,
                slot,
                permit,
            } => {
                // The request may have reached the server: it stays counted.
                self.limiter.complete(slot, None, now);
                self.breaker.release(permit);
                self.outputs.push_back(Output::Abort { call, attempt });
            }
        }
        self.fail(call, FailureKind::Cancelled, None, false);
        self.drain_machine_events();
    }

    /// The next thing the host must do, oldest first.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the host should next call [`Engine::handle_timeout`].
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    /// Measured state at `now`. Pure.
    #[must_use]
    pub fn health(&self, now: Millis) -> Health {
        Health {
            circuit: self.breaker.state(now),
            circuit_open_until: self.breaker.open_until(),
            limiter: self.limiter.status(now),
            monitor: self.monitor.summary(now),
            active_calls: self.calls.len(),
            in_flight: self
                .calls
                .values()
                .filter(|c| matches!(c.phase, Phase::InFlight { .. }))
                .count(),
        }
    }

    /// The shared breaker (read-only).
    #[must_use]
    pub const fn breaker(&self) -> &CircuitBreaker {
        &self.breaker
    }

    /// The shared limiter (read-only).
    #[must_use]
    pub const fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    // ----- the call's steps -------------------------------------------------

    /// Asks the breaker, then the limiter, whether the call may go.
    fn admit(&mut self, id: CallId, now: Millis) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.deadline.is_some_and(|d| now >= d) {
            self.fail(id, FailureKind::DeadlineExceeded, None, true);
            return;
        }
        if !self.breaker.is_available(now) {
            let retry_at = self.breaker.open_until();
            self.wait_for_circuit(id, retry_at, now);
            return;
        }
        match self.limiter.reserve(now) {
            Admission::Ready(slot) => self.send(id, slot, now),
            Admission::Scheduled(slot) => {
                self.set_phase(id, Phase::Slotted { slot }, Some(slot.at()));
            }
            Admission::Held { until } => self.wait_for_pause(id, until, now),
            Admission::Exhausted { until } => {
                self.fail(
                    id,
                    FailureKind::QuotaExhausted,
                    Some(now.until(until)),
                    true,
                );
            }
            Admission::Queued { until } => self.wait_in_line(id, until),
            Admission::Backlogged { until } => {
                self.fail(id, FailureKind::RateLimited, Some(now.until(until)), true);
            }
        }
    }

    /// A booked slot's time came: send, unless the server asked for a pause
    /// meanwhile.
    fn on_slot(&mut self, id: CallId, slot: LimiterPermit, now: Millis) {
        if let Some(until) = self.limiter.held_until(now) {
            self.limiter.cancel(slot, now);
            self.wait_for_pause(id, until, now);
            return;
        }
        self.send(id, slot, now);
    }

    fn send(&mut self, id: CallId, slot: LimiterPermit, now: Millis) {
        let acquired = self.breaker.try_acquire(now);
        // A state change the permit caused (open → half-open) is told before
        // the send it allows.
        self.drain_machine_events();
        let permit = match acquired {
            Ok(p) => p,
            Err(rejected) => {
                self.limiter.cancel(slot, now);
                self.wait_for_circuit(id, rejected.retry_at, now);
                return;
            }
        };
        let Some(call) = self.calls.get_mut(&id) else {
            self.limiter.cancel(slot, now);
            self.breaker.release(permit);
            return;
        };
        call.attempts += 1;
        let attempt = call.attempts;
        let timeout_ms = match call.deadline {
            Some(d) => call.timeout_ms.min(now.until(d).max(1)),
            None => call.timeout_ms,
        };
        if attempt == 1 {
            if let Some(b) = &mut self.budget {
                b.record_request();
            }
        }
        self.set_phase(
            id,
            Phase::InFlight {
                attempt,
                slot,
                permit,
            },
            Some(now.plus(timeout_ms)),
        );
        self.outputs.push_back(Output::Send {
            call: id,
            attempt,
            timeout_ms,
        });
    }

    fn on_outcome(&mut self, id: CallId, attempt: u32, c: Classification, now: Millis) {
        let Some(call) = self.calls.get(&id) else {
            return; // Finished already (cancelled, timed out): ignore.
        };
        let Phase::InFlight {
            attempt: current,
            slot,
            permit,
        } = call.phase
        else {
            return;
        };
        if current != attempt {
            return; // An earlier attempt's late answer.
        }
        let endpoint = call.endpoint;
        let facts = RequestFacts {
            method: call.method,
            has_idempotency_key: call.has_key,
        };
        let feedback = c.status.map(|status| LimiterFeedback {
            rate_limited: status == 429,
            server_delay_ms: c.server_delay_ms,
            rate: &c.rate,
        });
        self.limiter.complete(slot, feedback, now);
        self.breaker.record_classified(permit, &c, now);
        let message = c.message.as_deref().map(|m| self.secrets.scrub(m));
        self.monitor.record_outcome(
            endpoint,
            Outcome {
                category: c.category,
                status: c.status,
                message: message.as_deref(),
            },
            now,
        );
        let Some(category) = c.category else {
            self.finish(
                id,
                Ok(CallSuccess {
                    status: c.status.unwrap_or(200),
                    attempts: attempt,
                }),
            );
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let decision = self.policy.decide(
            &mut call.retry,
            &c,
            facts,
            self.budget.as_mut(),
            &mut self.rng,
            now,
        );
        // Kept already scrubbed: a failure report moves it out as it is.
        call.last = Some(LastOutcome {
            category: c.category,
            status: c.status,
            message,
        });
        let status = c.status;
        let retry_after = c.server_delay_ms;
        match decision {
            RetryDecision::RetryAt { at, delay_ms } => {
                self.set_phase(id, Phase::Waiting, Some(at));
                self.outputs.push_back(Output::Event(Event::Retry {
                    call: id,
                    attempt,
                    delay_ms,
                    category,
                    status,
                }));
            }
            RetryDecision::GiveUp(reason) => {
                let (after, retryable) = match reason {
                    GiveUp::RetryAfterTooLong { retry_after_ms }
                    | GiveUp::DeadlineExceeded { retry_after_ms } => (Some(retry_after_ms), true),
                    GiveUp::AttemptsExhausted | GiveUp::BudgetExhausted => (retry_after, true),
                    GiveUp::NotRetryable | GiveUp::WouldDuplicateWrite => (retry_after, false),
                };
                self.fail(id, FailureKind::GaveUp { reason }, after, retryable);
            }
        }
    }

    /// The circuit refused: wait for its half-open moment if the call has a
    /// retry left and the moment falls within the backoff cap and deadline;
    /// else fail fast.
    fn wait_for_circuit(&mut self, id: CallId, retry_at: Option<Millis>, now: Millis) {
        let backoff = *self.policy.backoff().config();
        let max_retries = self.policy.config().max_retries;
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let (at, fits) = match retry_at {
            // Open: waiting for the half-open moment spends a retry.
            Some(at) => (
                at,
                call.retry.retries < max_retries && now.until(at) <= backoff.max_delay_ms,
            ),
            // Half-open with every probe out: the probe's answer decides, so
            // look again after the base delay; that spends no retry, but
            // counts as a wait like a server's pause.
            None => (
                now.plus(backoff.base_delay_ms.max(1)),
                call.hold_waits < max_retries.saturating_add(1),
            ),
        };
        let fits = fits && call.deadline.is_none_or(|d| at < d);
        if !fits {
            self.fail(id, FailureKind::CircuitOpen, Some(now.until(at)), true);
            return;
        }
        match retry_at {
            Some(_) => call.retry.retries += 1,
            None => call.hold_waits += 1,
        }
        self.set_phase(id, Phase::Waiting, Some(at));
    }

    /// Many callers are ahead: come back at `until` (bounded by the
    /// limiter's `max_queue_ms`), unless that passes the deadline.
    fn wait_in_line(&mut self, id: CallId, until: Millis) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        if call.deadline.is_some_and(|d| until >= d) {
            self.fail(id, FailureKind::DeadlineExceeded, None, true);
        } else {
            self.set_phase(id, Phase::Waiting, Some(until));
        }
    }

    /// The server asked everyone to pause until `until`: wait if that is
    /// within `maxRetryAfterMs` and the deadline, a bounded number of times.
    fn wait_for_pause(&mut self, id: CallId, until: Millis, now: Millis) {
        let max_wait = self.policy.config().max_retry_after_ms;
        let max_waits = self.policy.config().max_retries.saturating_add(1);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let wait = now.until(until);
        let fits = call.hold_waits < max_waits
            && wait <= max_wait
            && call.deadline.is_none_or(|d| until < d);
        if fits {
            call.hold_waits += 1;
            self.set_phase(id, Phase::Waiting, Some(until));
            self.outputs
                .push_back(Output::Event(Event::RateLimited { call: id, until }));
        } else {
            self.fail(id, FailureKind::RateLimited, Some(wait), true);
        }
    }

    fn set_phase(&mut self, id: CallId, phase: Phase, wake: Option<Millis>) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // The old wake-up, if any, goes stale in the heap.
        call.phase = phase;
        call.wake = wake;
        if let Some(at) = wake {
            self.timers.push(Reverse((at, id)));
        }
    }

    fn fail(
        &mut self,
        id: CallId,
        kind: FailureKind,
        retry_after_ms: Option<u64>,
        retryable: bool,
    ) {
        // The call ends here: its strings move into the failure.
        let Some(call) = self.calls.remove(&id) else {
            return;
        };
        let (category, status, message) = match call.last {
            Some(last) => (last.category, last.status, last.message),
            None => (None, None, None),
        };
        let failure = CallFailure {
            kind,
            category,
            status,
            retry_after_ms,
            attempts: call.attempts,
            retryable,
            method: call.method,
            endpoint: String::from(&*call.endpoint_name),
            message,
        };
        self.outputs.push_back(Output::Done {
            call: id,
            result: Err(failure),
        });
    }

    fn finish(&mut self, id: CallId, result: Result<CallSuccess, CallFailure>) {
        if self.calls.remove(&id).is_some() {
            self.outputs.push_back(Output::Done { call: id, result });
        }
    }

    /// Drops stale wake-ups from the top of the heap, so that
    /// [`Engine::poll_timeout`] names a real one.
    fn prune_timers(&mut self) {
        while let Some(&Reverse((at, id))) = self.timers.peek() {
            if self.calls.get(&id).is_some_and(|c| c.wake == Some(at)) {
                return;
            }
            self.timers.pop();
        }
    }

    /// Moves the shared machines' own events into the output queue, and
    /// tidies the timer heap (this ends every input handler).
    fn drain_machine_events(&mut self) {
        self.prune_timers();
        while let Some(change) = self.breaker.poll_event() {
            self.outputs
                .push_back(Output::Event(Event::StateChange(change)));
        }
        while let Some(e) = self.monitor.poll_event() {
            self.outputs.push_back(Output::Event(match e {
                MonitorEvent::Alert(s) => Event::Alert(alloc::boxed::Box::new(s)),
                MonitorEvent::Recovered(s) => Event::Recovered(alloc::boxed::Box::new(s)),
            }));
        }
    }
}

#[cfg(test)]
mod tests;
