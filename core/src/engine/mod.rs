//! One logical call as a state machine, many calls sharing one limiter,
//! breaker and monitor.
//!
//! The host feeds inputs and drains outputs, in the sans-IO style of quinn
//! and str0m:
//!
//! ```text
//! start / handle_response / handle_failure / handle_timeout / cancel
//!     (/ handle_refreshed / handle_header_failure, with auth refresh)
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

mod breakers;
mod endpoint_cache;
mod report;
mod slab;
mod snapshot;
mod time_base;
mod types;

use alloc::collections::{BinaryHeap, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use core::cmp::Reverse;

use crate::secrets::Secrets;
use breakers::{BreakerRef, Breakers};
use endpoint_cache::EndpointCache;
pub use report::FailureReport;
use slab::Slab;
pub use snapshot::Snapshot;
use time_base::TimeBase;
use types::check_engine_config;
pub use types::{
    CallFailure, CallId, CallSuccess, CircuitHealth, EngineConfig, Event, FailureKind, Health,
    Listening, Output, RequestMeta, ResponseMeta,
};

use crate::auth::{asks_refresh, AuthConfig, AuthRefresh, AuthStep, RefreshEnd};
use crate::body::server_message_scrubbed;
use crate::breaker::Permit;
use crate::classify::{classify_failure, classify_response, Classification, TransportFailure};
use crate::error::ConfigError;
use crate::limiter::{Admission, Confirmation, LimiterFeedback, LimiterPermit, RateLimiter};
use crate::method::Method;
use crate::monitor::stats::{CallEnd, CallStats, Stats};
use crate::monitor::{EndpointId, ErrorMonitor, MonitorEvent, MonitorSummary, Outcome};
use crate::retry::{GiveUp, RequestFacts, RetryBudget, RetryDecision, RetryPolicy, RetryState};
use crate::rng::SplitMix64;
use crate::time::{Millis, MonotonicClamp, UnixMillis};

/// How far behind the latest instant a host's `now` may be and still be
/// taken as time standing still, rather than as the host's clock set back.
pub const SET_BACK_TOLERANCE_MS: u64 = 1_000;

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
        breaker: BreakerRef,
    },
    /// Refused with a 401, waits for the auth refresh out; its timer, if
    /// any, is its deadline.
    AwaitingAuth,
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
    /// Its place in the order calls started.
    order: u64,
    /// The last attempt's outcome, for the error if a wait ends the call.
    last: Option<LastOutcome>,
    /// When it started, for its latency.
    started_at: Millis,
    /// When its latest attempt was sent, for that attempt's latency.
    sent_at: Millis,
    /// The credentials' generation its latest attempt was sent with
    /// ([`AuthRefresh::generation`]).
    auth_generation: u32,
    /// A 401 already had it wait for new credentials (or retry with them):
    /// the next 401 fails it.
    auth_retried: bool,
}

/// The engine for one API: every call to it, and the machines they share.
///
/// # Time
///
/// Every `now` a host passes is its own monotonic clock in milliseconds (in
/// JavaScript, `performance.now()`), and every instant the engine hands back
/// (`poll_timeout`, events, `health`) is on that same clock. Time should not
/// go backwards. If it does by up to [`SET_BACK_TOLERANCE_MS`], the engine
/// treats it as standing still; further, as the host's clock set back (a
/// wall clock corrected, a `now` of `Date.now`): no time passed across the
/// jump, and every wait keeps its length on the new clock. A clock that
/// jumps forward cannot be told from time that passed: waits it jumps over
/// end.
///
/// # Restarts
///
/// A host that may be killed (an extension's service worker after 30 s idle)
/// saves [`Engine::snapshot`] with the wall clock (`Date.now()`), and on wake
/// calls [`Engine::restore`] with its new monotonic `now` and the wall clock
/// again. The rule: the restored engine behaves as if exactly the wall-clock
/// time between the two had passed — an open circuit that had 40 s left
/// 30 s ago has 10 s left — however the new process's monotonic clock
/// started. A wall clock that went backwards counts as no time passed.
/// Nothing that was in flight in the old process (requests, half-open
/// probes) is in flight after restore.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    policy: RetryPolicy,
    breakers: Breakers,
    limiter: RateLimiter,
    monitor: ErrorMonitor,
    budget: Option<RetryBudget>,
    rng: SplitMix64,
    calls: Slab<Call>,
    /// Wake-ups, earliest first, and among those due at one instant in the
    /// order the calls started (so that callers waiting for the same moment
    /// — a pause's end, a circuit's half-open moment — ask the limiter in
    /// the order they came). An entry whose call no longer wakes at that
    /// instant (it moved on, or ended) is stale and skipped: cheaper than
    /// removing it from the middle of the heap.
    timers: BinaryHeap<Reverse<(Millis, u64, CallId)>>,
    /// Calls started so far: the next call's place in the start order.
    started: u64,
    outputs: VecDeque<Output>,
    secrets: Secrets,
    /// [`Engine::close`] was called.
    closed: bool,
    endpoints: EndpointCache,
    clock: MonotonicClamp,
    base: TimeBase,
    /// Calls and attempts over the monitor's window, for [`Engine::stats`].
    stats: CallStats,
    /// The per-call events the host wants.
    listening: Listening,
    /// The shared auth refresh, once enabled.
    auth: Option<AuthRefresh>,
    /// Calls that began waiting for the refresh, in the order their 401s
    /// came (ones that ended meanwhile are skipped when it ends).
    auth_waiting: alloc::vec::Vec<CallId>,
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
            breakers: Breakers::new(config.breaker)?,
            limiter: RateLimiter::new(config.limiter)?,
            monitor: ErrorMonitor::new(config.monitor)?,
            budget,
            rng: SplitMix64::new(config.seed),
            calls: Slab::new(),
            timers: BinaryHeap::new(),
            started: 0,
            outputs: VecDeque::new(),
            secrets: Secrets::default(),
            closed: false,
            endpoints: EndpointCache::default(),
            clock,
            base: TimeBase::default(),
            stats: CallStats::new(config.monitor.window_ms),
            listening: Listening::default(),
            auth: None,
            auth_waiting: alloc::vec::Vec::new(),
        })
    }

    /// An engine resuming from a [`Snapshot`], at host instant `now` and
    /// wall-clock time `wall` (see *Restarts* above): an open circuit stays
    /// open for what is left of its open time, a spent quota stays spent,
    /// a server's pause runs out when it would have.
    ///
    /// `config` applies to every machine at once (their state is kept, their
    /// settings are the new ones, validated). Requests and half-open probes
    /// in flight when the snapshot was taken are forgotten: they belonged
    /// to the old process and will never report.
    ///
    /// # Errors
    /// As [`Engine::new`].
    pub fn restore(
        config: EngineConfig,
        snapshot: Snapshot,
        now: Millis,
        wall: UnixMillis,
    ) -> Result<Self, ConfigError> {
        let mut engine = Self::new(config, now)?;
        // The restored engine's time line is the wall clock's: every saved
        // instant is on it already. A wall clock that went back since the
        // snapshot counts as no time passed.
        let saved_at = Millis(snapshot.saved_at.0);
        let resumed = Millis(wall.0).max(saved_at);
        engine.base = TimeBase::aligning(now, resumed);
        engine.clock = MonotonicClamp::default();
        engine.clock.observe(resumed);
        engine.breakers = Breakers::restore(config.breaker, &snapshot.circuits, resumed)?;
        engine.limiter.load(&snapshot.limiter, resumed);
        engine.limiter.reconfigure(config.limiter, resumed)?;
        engine.limiter.forget_in_flight(saved_at);
        engine.monitor.load(&snapshot.monitor, resumed);
        engine.monitor.reconfigure(config.monitor, resumed)?;
        engine.budget = match config.budget {
            Some(c) => {
                let mut budget = RetryBudget::new(c, resumed)?;
                if let Some(saved) = &snapshot.budget {
                    budget.load(saved);
                }
                Some(budget)
            }
            None => None,
        };
        engine.rng = SplitMix64::new(snapshot.rng);
        // Events of the old process (an alert it already reported) are not
        // told again.
        engine.breakers.drain_events(|_, _| {});
        while engine.monitor.poll_event().is_some() {}
        Ok(engine)
    }

    /// The durable state at host instant `now` and wall-clock time `wall`,
    /// to save and later [`Engine::restore`].
    #[must_use]
    pub fn snapshot(&self, now: Millis, wall: UnixMillis) -> Snapshot {
        let taken_at = self.base.inward(now).max(self.clock_latest());
        // Engine instants to wall-clock ones: `t + wall − taken_at`.
        let to_wall = TimeBase::aligning(taken_at, Millis(wall.0));
        let at = |t: Millis| to_wall.inward(t);
        Snapshot {
            saved_at: wall,
            circuits: self.breakers.save(at),
            limiter: self.limiter.save(taken_at, at),
            monitor: self.monitor.save(taken_at, at),
            budget: self.budget.as_ref().and_then(|b| b.save(at)),
            rng: self.rng.state(),
        }
    }

    /// The settings in force.
    #[must_use]
    pub const fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Registers a secret (an API key, a token) that must never appear in a
    /// message the engine passes on; servers sometimes echo them. Values
    /// shorter than 6 characters are ignored (they would scrub ordinary
    /// words).
    pub fn add_secret(&mut self, value: &str) {
        self.secrets.add(value);
    }

    /// Registers `value` as a secret in every form and part
    /// ([`Secrets::add_value`]), whatever header it is sent in: what the
    /// host's header functions and auth refresh hook return.
    pub fn add_secret_value(&mut self, value: &str) {
        self.secrets.add_value(value);
    }

    /// Turns on the shared auth refresh ([`crate::auth`]): from now on a
    /// 401 asks the host for new credentials ([`Output::Refresh`]) and the
    /// calls it refused send again once they came, each once.
    ///
    /// # Errors
    /// As [`AuthConfig::check`].
    pub fn enable_auth_refresh(&mut self, config: AuthConfig) -> Result<(), ConfigError> {
        self.auth = Some(AuthRefresh::new(config)?);
        Ok(())
    }

    /// Registers a client-wide header field's value as a secret, in every
    /// form, if its name says it is a credential
    /// ([`crate::secrets::is_secret_name`]); answers whether it was one.
    pub fn add_credential(&mut self, name: &str, value: &str) -> bool {
        self.secrets.add_credential(name, value)
    }

    /// `text` with every registered secret replaced by `[redacted]`: for a
    /// host that passes other server text on (an error body's data).
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        self.secrets.scrub(text)
    }

    /// An error body as it may reach users and
    /// [`Engine::handle_response`]: scrubbed of the client's secrets and of
    /// `call`'s own ([`crate::secrets::scrub_error_body`]).
    #[must_use]
    pub fn scrub_error_body(&self, body: &str, call: &Secrets) -> String {
        crate::secrets::scrub_error_body(body, &self.secrets, call)
    }

    /// The endpoint a call in progress is counted under: its path
    /// normalised (`/listings/{id}`), as its events and failures name it.
    /// `None` once the call has ended.
    #[must_use]
    pub fn endpoint_of(&self, id: CallId) -> Option<&Arc<str>> {
        self.calls.get(&id).map(|c| &c.endpoint_name)
    }

    /// Starts a call at `now`; its first output follows at once or at a timer.
    pub fn start(&mut self, request: RequestMeta<'_>, now: Millis) -> CallId {
        let now = self.observe(now);
        let endpoint_name = self.endpoints.normalize(request.endpoint);
        let endpoint = self.monitor.intern(&endpoint_name, now);
        let deadline = request
            .deadline_ms
            .or(self.config.retry.deadline_ms)
            .map(|d| now.plus(d));
        let call = Call {
            method: request.method,
            has_key: request.idempotency_key,
            endpoint,
            endpoint_name,
            timeout_ms: request
                .timeout_ms
                .unwrap_or(self.config.attempt_timeout_ms)
                .max(1),
            deadline,
            retry: match deadline {
                Some(d) => RetryState::with_deadline(now, d),
                None => RetryState::new(now),
            },
            attempts: 0,
            hold_waits: 0,
            phase: Phase::Waiting,
            wake: None,
            order: self.started,
            last: None,
            started_at: now,
            sent_at: now,
            auth_generation: 0,
            auth_retried: false,
        };
        self.started = self.started.wrapping_add(1);
        let id = self.calls.insert(call);
        if self.closed {
            self.fail(id, FailureKind::Closed, None, false);
            return id;
        }
        self.admit(id, now);
        self.drain_machine_events();
        id
    }

    /// Attempt `attempt` of `call` got a response at `now`.
    ///
    /// A response to an attempt that already timed out or was cancelled (or
    /// of a call that ended) changes nothing for its call, but what it says
    /// about rate — a 429, a `Retry-After`, rate-limit headers — still
    /// teaches the limiter.
    pub fn handle_response(
        &mut self,
        call: CallId,
        attempt: u32,
        response: ResponseMeta<'_>,
        now: Millis,
    ) {
        let now = self.observe(now);
        let mut c = classify_response(response.status, response.headers, None, response.wall);
        if c.category.is_some() {
            c.message = response.body.and_then(|body| {
                if self.secrets.is_empty() {
                    crate::body::server_message(body)
                } else {
                    server_message_scrubbed(body, self.secrets.longest(), |m| self.secrets.scrub(m))
                }
            });
        }
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
        let now = self.observe(now);
        self.on_outcome(call, attempt, classify_failure(failure), now);
        self.drain_machine_events();
    }

    /// Time passed: fire every timer due at `now`. Early or extra calls are
    /// no-ops; a late one (a throttled background tab) is safe: slots that
    /// came due meanwhile are paced again from `now`, not sent together.
    pub fn handle_timeout(&mut self, now: Millis) {
        let now = self.observe(now);
        if let Some(end) = self.auth.as_mut().and_then(|a| a.handle_timeout(now)) {
            self.end_refresh(end, now);
        }
        while let Some(&Reverse((at, _, id))) = self.timers.peek() {
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
                Phase::AwaitingAuth => self.fail(id, FailureKind::DeadlineExceeded, None, true),
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
        let now = self.observe(now);
        self.end(call, FailureKind::Cancelled, now);
        self.drain_machine_events();
    }

    /// The host's auth refresh `generation` ([`Output::Refresh`]) ended at
    /// `now`, `ok` or not: the calls waiting on it send again, or fail
    /// with [`FailureKind::AuthRefreshFailed`]. The end of a refresh that
    /// already timed out, or that no output asked for, is ignored.
    pub fn handle_refreshed(&mut self, generation: u32, ok: bool, now: Millis) {
        let now = self.observe(now);
        if let Some(end) = self.auth.as_mut().and_then(|a| a.finish(generation, ok)) {
            self.end_refresh(end, now);
        }
        self.drain_machine_events();
    }

    /// Attempt `attempt` of `call` could not be sent: a header function
    /// threw or gave no valid value. The call ends now with
    /// [`FailureKind::HeaderFailed`]; the attempt is not counted (its slot
    /// and permit are given back: nothing reached the server). Any other
    /// attempt or call is ignored.
    pub fn handle_header_failure(&mut self, call: CallId, attempt: u32, now: Millis) {
        let now = self.observe(now);
        if let Some(c) = self.calls.get_mut(&call) {
            if let Phase::InFlight {
                attempt: current,
                slot,
                permit,
                breaker,
            } = c.phase
            {
                if current == attempt {
                    c.attempts = c.attempts.saturating_sub(1);
                    self.limiter.cancel(slot, now);
                    if let Some(b) = self.breakers.get_mut(breaker) {
                        b.release(permit);
                    }
                    self.fail(call, FailureKind::HeaderFailed, None, false);
                }
            }
        }
        self.drain_machine_events();
    }

    /// A refresh ended: every call waiting on it, in the order their 401s
    /// came, asks to send again or fails.
    fn end_refresh(&mut self, end: RefreshEnd, now: Millis) {
        for id in core::mem::take(&mut self.auth_waiting) {
            if !self
                .calls
                .get(&id)
                .is_some_and(|c| matches!(c.phase, Phase::AwaitingAuth))
            {
                continue;
            }
            let kind = match end {
                RefreshEnd::Refreshed => {
                    self.admit(id, now);
                    continue;
                }
                RefreshEnd::Failed => FailureKind::AuthRefreshFailed,
                RefreshEnd::TimedOut => FailureKind::AuthRefreshTimeout,
            };
            // The 401 the monitor was not told of, now that it stands.
            if let Some(c) = self.calls.get(&id) {
                let last = c.last.as_ref();
                self.monitor.record_outcome(
                    c.endpoint,
                    Outcome {
                        category: last.and_then(|l| l.category),
                        status: last.and_then(|l| l.status),
                        message: last.and_then(|l| l.message.as_deref()),
                    },
                    now,
                );
            }
            self.fail(id, kind, None, kind == FailureKind::AuthRefreshTimeout);
        }
    }

    /// The host is shutting the client down: every call ends now with
    /// [`FailureKind::Closed`] (attempts in flight are aborted), and every
    /// call started later ends at once the same way.
    pub fn close(&mut self, now: Millis) {
        let now = self.observe(now);
        self.closed = true;
        let ids: alloc::vec::Vec<CallId> = self.calls.keys().collect();
        for id in ids {
            self.end(id, FailureKind::Closed, now);
        }
        self.drain_machine_events();
    }

    /// Whether [`Engine::close`] was called.
    #[must_use]
    pub const fn is_closed(&self) -> bool {
        self.closed
    }

    /// Ends `call` now with `kind`, giving back what it holds.
    fn end(&mut self, call: CallId, kind: FailureKind, now: Millis) {
        let Some(c) = self.calls.get(&call) else {
            return;
        };
        match c.phase {
            Phase::Waiting | Phase::AwaitingAuth => {}
            Phase::Slotted { slot } => self.limiter.cancel(slot, now),
            Phase::InFlight {
                attempt,
                slot,
                permit,
                breaker,
            } => {
                // The request may have reached the server: it stays counted.
                self.limiter.complete(slot, None, now);
                if let Some(b) = self.breakers.get_mut(breaker) {
                    b.release(permit);
                }
                self.outputs.push_back(Output::Abort { call, attempt });
            }
        }
        self.fail(call, kind, None, false);
    }

    /// The next thing the host must do, oldest first.
    #[must_use]
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When the host should next call [`Engine::handle_timeout`], on its
    /// clock: the earliest wake-up of a call, or, while the monitor is
    /// alerting, the moment its window slides (so `Recovered` comes even if
    /// no call does), or an auth refresh's deadline.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Millis> {
        let call = self.timers.peek().map(|Reverse((at, _, _))| *at);
        let monitor = self.monitor.poll_timeout();
        let auth = self.auth.as_ref().and_then(AuthRefresh::poll_timeout);
        let earliest = |a: Option<Millis>, b: Option<Millis>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let at = earliest(earliest(call, monitor), auth);
        at.map(|t| self.base.outward(t))
    }

    /// Which per-call events ([`Event::Attempt`], [`Event::Success`],
    /// [`Event::Failure`]) to make from now on; none by default.
    pub fn listen(&mut self, listening: Listening) {
        self.listening = listening;
    }

    /// Calls by outcome, attempts by category and call latency percentiles
    /// over the monitor's window, at host instant `now`
    /// ([`crate::monitor::stats`]: its accuracy). Counted whether or not
    /// anyone listens to events. Pure.
    #[must_use]
    pub fn stats(&self, now: Millis) -> Stats {
        let now = self.base.inward(now).max(self.clock_latest());
        self.stats.stats(now)
    }

    /// Measured state at host instant `now`. Pure.
    #[must_use]
    pub fn health(&self, now: Millis) -> Health {
        let now = self.base.inward(now).max(self.clock_latest());
        let out = |t: Millis| self.base.outward(t);
        let circuits: alloc::vec::Vec<CircuitHealth> = self
            .breakers
            .iter()
            .map(|(endpoint, b)| CircuitHealth {
                endpoint: endpoint.map(|e| String::from(&**e)),
                state: b.state(now),
                open_until: b.open_until().filter(|t| *t > now).map(out),
                probes_in_flight: b.probes_in_flight(),
            })
            .collect();
        let mut limiter = self.limiter.status(now);
        limiter.held_until = limiter.held_until.map(out);
        limiter.pause_asked_until = limiter.pause_asked_until.map(out);
        limiter.exhausted_until = limiter.exhausted_until.map(out);
        Health {
            circuit: self.breakers.worst_state(now),
            circuit_open_until: circuits.iter().filter_map(|c| c.open_until).max(),
            circuits,
            limiter,
            monitor: self.summary_outward(self.monitor.summary(now)),
            active_calls: self.calls.len(),
            in_flight: self
                .calls
                .values()
                .filter(|c| matches!(c.phase, Phase::InFlight { .. }))
                .count(),
        }
    }

    // ----- time ----------------------------------------------------------------

    /// A host instant on the engine's time line, never before one seen.
    ///
    /// An instant up to [`SET_BACK_TOLERANCE_MS`] behind the latest is
    /// taken as time standing still (a stale reading: mapping it as a jump
    /// would move every later instant on, and end a server's pause early).
    /// One further behind means the host's clock was set back: from here on
    /// the host's clock maps onto the engine's time line where it left off,
    /// as if no time passed across the jump, so that timers keep their real
    /// length instead of waiting for the clock to catch up.
    fn observe(&mut self, host: Millis) -> Millis {
        let latest = self.clock.latest();
        if latest.since(self.base.inward(host)) > SET_BACK_TOLERANCE_MS {
            self.base = TimeBase::aligning(host, latest);
        }
        self.clock.observe(self.base.inward(host))
    }

    fn clock_latest(&self) -> Millis {
        self.clock.latest()
    }

    fn summary_outward(&self, mut s: MonitorSummary) -> MonitorSummary {
        if let Some(r) = &mut s.most_recent {
            r.at = self.base.outward(r.at);
        }
        s
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
        let deadline = call.deadline;
        let name = call.endpoint_name.clone();
        let r = self.breakers.find(&name);
        if let Some(b) = self.breakers.get(r) {
            if !b.is_available(now) {
                let retry_at = b.open_until();
                self.wait_for_circuit(id, retry_at, now);
                return;
            }
        }
        match self.limiter.reserve(now) {
            Admission::Ready(slot) => self.send(id, slot, now),
            Admission::Scheduled(slot) => {
                // A slot the call cannot use before its deadline is given
                // back at once, rather than sent too late.
                if deadline.is_some_and(|d| slot.at() >= d) {
                    self.limiter.cancel(slot, now);
                    self.fail(
                        id,
                        FailureKind::DeadlineExceeded,
                        Some(now.until(slot.at())),
                        true,
                    );
                } else {
                    self.set_phase(id, Phase::Slotted { slot }, Some(slot.at()));
                }
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
            Admission::Backlogged { until } => {
                self.fail(id, FailureKind::RateLimited, Some(now.until(until)), true);
            }
        }
    }

    /// A booked slot's time came: send if the pace still allows it and the
    /// server asked for no pause meanwhile.
    fn on_slot(&mut self, id: CallId, mut slot: LimiterPermit, now: Millis) {
        let deadline = self.calls.get(&id).and_then(|c| c.deadline);
        match self.limiter.confirm(&mut slot, now) {
            Confirmation::Go => self.send(id, slot, now),
            Confirmation::NotBefore(at) => {
                if deadline.is_some_and(|d| at >= d) {
                    self.limiter.cancel(slot, now);
                    self.fail(id, FailureKind::DeadlineExceeded, None, true);
                } else {
                    self.set_phase(id, Phase::Slotted { slot }, Some(at));
                }
            }
            Confirmation::Held { until } => self.hold_slot(id, slot, until, now),
        }
    }

    fn send(&mut self, id: CallId, slot: LimiterPermit, now: Millis) {
        let Some(call) = self.calls.get(&id) else {
            self.limiter.cancel(slot, now);
            return;
        };
        // Never send at or after the deadline.
        if call.deadline.is_some_and(|d| now >= d) {
            self.limiter.cancel(slot, now);
            self.fail(id, FailureKind::DeadlineExceeded, None, true);
            return;
        }
        let name = call.endpoint_name.clone();
        let r = self.breakers.find(&name);
        let acquired = match self.breakers.get_mut(r) {
            Some(b) => b.try_acquire(now),
            None => {
                self.limiter.cancel(slot, now);
                self.fail(id, FailureKind::CircuitOpen, None, true);
                return;
            }
        };
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
            if let Some(b) = self.breakers.get_mut(r) {
                b.release(permit);
            }
            return;
        };
        call.attempts += 1;
        call.sent_at = now;
        call.auth_generation = self.auth.as_ref().map_or(0, AuthRefresh::generation);
        let attempt = call.attempts;
        let timeout_ms = match call.deadline {
            Some(d) => call.timeout_ms.min(now.until(d)),
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
                breaker: r,
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
        let feedback = c.status.map(|status| LimiterFeedback {
            status,
            server_delay_ms: c.server_delay_ms,
            rate: &c.rate,
        });
        let current = self.calls.get(&id).and_then(|call| match call.phase {
            Phase::InFlight {
                attempt: current,
                slot,
                permit,
                breaker,
            } if current == attempt => Some((slot, permit, breaker, call)),
            _ => None,
        });
        let Some((slot, permit, breaker, call)) = current else {
            // A late answer (its attempt timed out or was cancelled, or its
            // call ended): the call's outcome is settled, but what the server
            // said about rate still holds for every other call.
            if let Some(f) = feedback {
                self.limiter.learn(f, now);
            }
            return;
        };
        let endpoint = call.endpoint;
        let latency_ms = now.since(call.sent_at);
        let facts = RequestFacts::of(call.method, call.has_key);
        // Expired credentials the refresh will renew: the call goes on, so
        // the monitor is not told (an hourly expiry must not raise an
        // alert); it is if the refresh fails ([`Engine::end_refresh`]).
        let refreshes = self.auth.is_some() && asks_refresh(c.status) && !call.auth_retried;
        self.limiter.complete(slot, feedback, now);
        if let Some(b) = self.breakers.get_mut(breaker) {
            b.record_classified(permit, &c, now);
        }
        if !refreshes {
            self.monitor.record_outcome(
                endpoint,
                Outcome {
                    category: c.category,
                    status: c.status,
                    message: c.message.as_deref(),
                },
                now,
            );
        }
        self.stats.record_attempt(c.category, now);
        let Some(category) = c.category else {
            self.attempt_event(id, attempt, (c.status, None), latency_ms, false);
            self.finish(
                id,
                CallSuccess {
                    status: c.status.unwrap_or(200),
                    attempts: attempt,
                },
            );
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(auth) = self.auth.as_mut().filter(|_| refreshes) {
            // Expired credentials: refreshed once for every call refused,
            // then this call sends again, once.
            let step = auth.on_unauthorized(call.auth_generation, now);
            call.auth_retried = true;
            let status = c.status;
            call.last = Some(LastOutcome {
                category: c.category,
                status,
                message: c.message,
            });
            let deadline = call.deadline;
            self.attempt_event(id, attempt, (status, Some(category)), latency_ms, true);
            if step == AuthStep::Retry {
                self.admit(id, now);
                return;
            }
            self.set_phase(id, Phase::AwaitingAuth, deadline);
            self.auth_waiting.push(id);
            if let AuthStep::Refresh { generation } = step {
                self.outputs.push_back(Output::Refresh { generation });
            }
            return;
        }
        let decision = self.policy.decide(
            &mut call.retry,
            &c,
            facts,
            self.budget.as_mut(),
            &mut self.rng,
            now,
        );
        let status = c.status;
        let retry_after = c.server_delay_ms;
        // Kept already scrubbed: a failure report moves it out as it is.
        call.last = Some(LastOutcome {
            category: c.category,
            status: c.status,
            message: c.message,
        });
        let will_retry = matches!(decision, RetryDecision::RetryAt { .. });
        self.attempt_event(
            id,
            attempt,
            (status, Some(category)),
            latency_ms,
            will_retry,
        );
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

    /// The server asked everyone to pause until `until` (never longer than
    /// `maxPauseMs` from when it asked): wait, unless that passes the
    /// deadline, a bounded number of times.
    fn wait_for_pause(&mut self, id: CallId, until: Millis, now: Millis) {
        let max_waits = self.policy.config().max_retries.saturating_add(1);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let fits = call.hold_waits < max_waits && call.deadline.is_none_or(|d| until < d);
        if fits {
            call.hold_waits += 1;
            self.set_phase(id, Phase::Waiting, Some(until));
            self.outputs.push_back(Output::Event(Event::RateLimited {
                call: id,
                until: self.base.outward(until),
            }));
        } else {
            self.fail(id, FailureKind::RateLimited, Some(now.until(until)), true);
        }
    }

    /// The server asked everyone to pause until `until` while the call held
    /// a ticket: it keeps its place in the line for when the pause ends
    /// (a bounded number of times, as [`Engine::wait_for_pause`]).
    fn hold_slot(&mut self, id: CallId, slot: LimiterPermit, until: Millis, now: Millis) {
        let max_waits = self.policy.config().max_retries.saturating_add(1);
        let Some(call) = self.calls.get_mut(&id) else {
            self.limiter.cancel(slot, now);
            return;
        };
        if call.hold_waits < max_waits && call.deadline.is_none_or(|d| until < d) {
            call.hold_waits += 1;
            self.set_phase(id, Phase::Slotted { slot }, Some(until));
            self.outputs.push_back(Output::Event(Event::RateLimited {
                call: id,
                until: self.base.outward(until),
            }));
        } else {
            self.limiter.cancel(slot, now);
            self.fail(id, FailureKind::RateLimited, Some(now.until(until)), true);
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
            self.timers.push(Reverse((at, call.order, id)));
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
        let now = self.clock.latest();
        let latency_ms = now.since(call.started_at);
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
        self.stats
            .record_call(CallEnd::Failure(kind.index()), latency_ms, now);
        if self.listening.failure {
            self.outputs.push_back(Output::Event(Event::Failure {
                call: id,
                kind,
                category: failure.category_name(),
                status,
                attempts: call.attempts,
                latency_ms,
            }));
        }
        self.outputs.push_back(Output::Done {
            call: id,
            result: Err(failure),
        });
    }

    fn finish(&mut self, id: CallId, success: CallSuccess) {
        let Some(call) = self.calls.remove(&id) else {
            return;
        };
        let now = self.clock.latest();
        let latency_ms = now.since(call.started_at);
        self.stats.record_call(CallEnd::Success, latency_ms, now);
        if self.listening.success {
            self.outputs.push_back(Output::Event(Event::Success {
                call: id,
                status: success.status,
                attempts: success.attempts,
                latency_ms,
            }));
        }
        self.outputs.push_back(Output::Done {
            call: id,
            result: Ok(success),
        });
    }

    /// Tells the host about attempt `attempt` of `id`, if it listens.
    fn attempt_event(
        &mut self,
        id: CallId,
        attempt: u32,
        (status, category): (Option<u16>, Option<crate::classify::Category>),
        latency_ms: u64,
        will_retry: bool,
    ) {
        if self.listening.attempt {
            self.outputs.push_back(Output::Event(Event::Attempt {
                call: id,
                attempt,
                status,
                category,
                latency_ms,
                will_retry,
            }));
        }
    }

    /// Drops stale wake-ups from the top of the heap, so that
    /// [`Engine::poll_timeout`] names a real one.
    fn prune_timers(&mut self) {
        while let Some(&Reverse((at, _, id))) = self.timers.peek() {
            if self.calls.get(&id).is_some_and(|c| c.wake == Some(at)) {
                return;
            }
            self.timers.pop();
        }
    }

    /// Moves the shared machines' own events into the output queue (with
    /// their instants on the host's clock), and tidies the timer heap (this
    /// ends every input handler).
    fn drain_machine_events(&mut self) {
        self.prune_timers();
        let base = self.base;
        let outputs = &mut self.outputs;
        self.breakers.drain_events(|mut change, endpoint| {
            change.at = base.outward(change.at);
            outputs.push_back(Output::Event(Event::StateChange {
                change,
                endpoint: endpoint.map(|e| String::from(&**e)),
            }));
        });
        while let Some(e) = self.monitor.poll_event() {
            let event = match e {
                MonitorEvent::Alert(s) => {
                    Event::Alert(alloc::boxed::Box::new(self.summary_outward(s)))
                }
                MonitorEvent::Recovered(s) => {
                    Event::Recovered(alloc::boxed::Box::new(self.summary_outward(s)))
                }
            };
            self.outputs.push_back(Output::Event(event));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod auth_tests;
#[cfg(test)]
mod event_tests;
#[cfg(test)]
mod tests;
