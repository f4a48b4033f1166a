//! The policies the simulation drives: Steadfast's engine, and the seed's
//! policy as written. Both speak to the world through one trait.

use steadfast_core::breaker::CircuitState;
use steadfast_core::engine::{
    CallId, Engine, EngineConfig, Event, Output, RequestMeta, ResponseMeta,
};
use steadfast_core::{Method, Millis, UnixMillis};

use crate::fast_hash::FastMap as HashMap;
use crate::server::Answer;

/// One logical call of the workload.
#[derive(Clone, Debug)]
pub struct CallSpec {
    /// The operation's id (the server's write key; the idempotency key).
    pub op: u64,
    /// When the caller starts it.
    pub arrival: Millis,
    /// The method.
    pub method: Method,
    /// The path (shared: many calls go to the same few paths).
    pub endpoint: std::rc::Rc<str>,
    /// Whether it carries an idempotency key.
    pub idempotency_key: bool,
}

/// Something a policy asks of the world, or tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send attempt `attempt` of `op`.
    Send {
        /// The operation.
        op: u64,
        /// 1-based attempt.
        attempt: u32,
    },
    /// The call for `op` ended.
    Done {
        /// The operation.
        op: u64,
        /// Whether it succeeded.
        ok: bool,
        /// How it ended, in a word (for tables and traces).
        how: &'static str,
    },
    /// The circuit changed state.
    Circuit(CircuitState),
}

/// A client policy under simulation.
pub trait Policy {
    /// The policy's name in tables.
    fn name(&self) -> &'static str;
    /// A call arrives.
    fn start(&mut self, spec: &CallSpec, now: Millis);
    /// An answer to an attempt arrives.
    fn deliver(&mut self, op: u64, attempt: u32, answer: &Answer, now: Millis);
    /// Time reached the policy's timer.
    fn on_timer(&mut self, now: Millis);
    /// When the policy's next timer is due.
    fn next_timer(&self) -> Option<Millis>;
    /// Moves pending actions into `out`.
    fn drain(&mut self, out: &mut Vec<Action>);
    /// Daily requests the policy believes it has left (for the timeline).
    fn quota_left(&self, now: Millis) -> Option<u64>;
    /// Probes allowed at once while half-open (for the invariant).
    fn max_probes(&self) -> u32;
    /// The longest pause the policy lets one server answer impose on every
    /// call (for the invariant: no request before `min(Retry-After, this)`).
    /// By default a `Retry-After` is honoured in full.
    fn max_pause_ms(&self) -> u64 {
        u64::MAX
    }
    /// The time the policy's host can know has passed by world instant
    /// `now`: the world's own, plus the jumps forward of a host clock that
    /// jumps (no host can tell one from time that passed; one back it takes
    /// as no time). The pauses a server asked for are checked on it.
    fn clock(&self, now: Millis) -> Millis {
        now
    }
    /// How much later than a call that started after it a call sent once
    /// may be sent (the first-come-first-served invariant), where the
    /// policy claims the order at all: by default it does not.
    fn fairness_bound_ms(&self) -> Option<u64> {
        None
    }
}

/// Steadfast's engine, hosted as the npm package hosts it.
///
/// Two host behaviours can be simulated on top of the plain host:
///
/// * **restarts** — at given instants the process dies (an extension's
///   service worker killed after 30 s idle): its calls die with it, and a new
///   process restores the engine from a snapshot, with a monotonic clock that
///   starts again at zero and the wall clock to tell how long it was gone;
/// * **throttled timers** — the host's timer fires only on whole multiples of
///   a period (a background tab runs timers once a minute), while answers
///   still arrive on time; like a real host, each input also catches up on
///   timers that came due;
/// * **late timers** — each timer fires a seeded random 0 to `max` ms after
///   the instant it was armed for, as Node's and browsers' timers do under
///   load (the lateness is a function of the seed and the instant, so a run
///   is still replayed exactly).
pub struct Steadfast {
    engine: Engine,
    config: EngineConfig,
    /// The op running in each engine call slot (a `CallId`'s low 32 bits).
    ops: Vec<Option<(CallId, u64)>>,
    calls: HashMap<u64, CallId>,
    wall_epoch_ms: u64,
    /// When the current process started, on the world's clock: its own
    /// monotonic clock reads zero then.
    origin: Millis,
    /// When the process will be killed and restarted, soonest first.
    restarts: std::collections::VecDeque<Millis>,
    /// Calls that died with a process, to report as ended.
    killed: Vec<u64>,
    /// Every call that died with a process: answers to them reach no one.
    dead: crate::fast_hash::FastSet<u64>,
    timer_period_ms: Option<u64>,
    /// Late timers: the most a timer fires late, in ms, and the seed.
    timer_lateness: Option<(u64, u64)>,
    /// Whether the run claims first come, first served (its calls wait only
    /// for the limiter's pace).
    first_come_first_served: bool,
    /// Clock jumps still to come: (world instant, ms the host clock moves).
    jumps: std::collections::VecDeque<(Millis, i64)>,
    /// How far the host's clock is off the world's, in ms, after the jumps
    /// so far.
    skew: i64,
    /// The jumps forward so far, in ms.
    forward: u64,
    /// The latest world instant the host was given.
    last_now: Millis,
}

impl Steadfast {
    /// A host around an engine built from `config`.
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn new(
        config: EngineConfig,
        wall_epoch_ms: u64,
    ) -> Result<Self, steadfast_core::ConfigError> {
        Ok(Self {
            engine: Engine::new(config, Millis::ZERO)?,
            config,
            ops: Vec::new(),
            calls: HashMap::default(),
            wall_epoch_ms,
            origin: Millis::ZERO,
            restarts: std::collections::VecDeque::new(),
            killed: Vec::new(),
            dead: crate::fast_hash::FastSet::default(),
            timer_period_ms: None,
            timer_lateness: None,
            first_come_first_served: false,
            jumps: std::collections::VecDeque::new(),
            skew: 0,
            forward: 0,
            last_now: Millis::ZERO,
        })
    }

    /// Moves the host's clock by `delta` ms at each world instant `at`.
    #[must_use]
    pub fn with_clock_jumps(mut self, jumps: &[(Millis, i64)]) -> Self {
        let mut jumps = jumps.to_vec();
        jumps.sort();
        self.jumps = jumps.into();
        self
    }

    /// Kills and restarts the process at each of `at` (world instants).
    #[must_use]
    pub fn with_restarts(mut self, at: &[Millis]) -> Self {
        let mut at = at.to_vec();
        at.sort();
        self.restarts = at.into();
        self
    }

    /// Fires the host's timer only on whole multiples of `period_ms`.
    #[must_use]
    pub fn with_timer_period(mut self, period_ms: Option<u64>) -> Self {
        self.timer_period_ms = period_ms.filter(|p| *p > 0);
        self
    }

    /// Fires each timer a seeded random 0 to `max_ms` ms late.
    #[must_use]
    pub fn with_timer_lateness(mut self, max_ms: Option<u64>, seed: u64) -> Self {
        self.timer_lateness = max_ms.filter(|m| *m > 0).map(|m| (m, seed));
        self
    }

    /// Claims first come, first served for this run (see
    /// [`Policy::fairness_bound_ms`]).
    #[must_use]
    pub fn with_fairness(mut self, claimed: bool) -> Self {
        self.first_come_first_served = claimed;
        self
    }

    /// Starts another run on the same engine (the long soak): forgets the
    /// ops of the last run (the next one numbers its own from 1), and takes
    /// this run's host shape, on the world's clock.
    pub fn begin_run(
        &mut self,
        restarts: &[Millis],
        timer_period_ms: Option<u64>,
        clock_jumps: &[(Millis, i64)],
        timer_lateness: Option<(u64, u64)>,
        first_come_first_served: bool,
    ) {
        self.timer_lateness = timer_lateness.filter(|(m, _)| *m > 0);
        self.first_come_first_served = first_come_first_served;
        self.calls.clear();
        self.ops.iter_mut().for_each(|o| *o = None);
        self.killed.clear();
        self.dead.clear();
        let mut at = restarts.to_vec();
        at.sort();
        self.restarts = at.into();
        self.timer_period_ms = timer_period_ms.filter(|p| *p > 0);
        let mut jumps = clock_jumps.to_vec();
        jumps.sort();
        self.jumps = jumps.into();
    }

    /// The engine (for health in the demo).
    #[must_use]
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The process's own clock at world instant `now`: monotonic but for
    /// the jumps (never before its origin).
    fn local(&self, now: Millis) -> Millis {
        let since = i64::try_from(now.since(self.origin)).unwrap_or(i64::MAX);
        Millis(u64::try_from(since.saturating_add(self.skew)).unwrap_or(0))
    }

    /// The world instant at which the host's clock reads `local`.
    fn world(&self, local: Millis) -> Millis {
        let at = i64::try_from(local.as_u64().saturating_add(self.origin.as_u64()))
            .unwrap_or(i64::MAX)
            .saturating_sub(self.skew);
        Millis(u64::try_from(at).unwrap_or(0))
    }

    /// Notes the world instant of an input, and makes the clock jumps due
    /// by then.
    fn arrive(&mut self, now: Millis) {
        self.last_now = self.last_now.max(now);
        while let Some(&(at, delta)) = self.jumps.front() {
            if at > now {
                break;
            }
            self.jumps.pop_front();
            self.skew = self.skew.saturating_add(delta);
            self.forward = self
                .forward
                .saturating_add(u64::try_from(delta).unwrap_or(0));
        }
        self.restart_if_due(now);
    }

    fn wall(&self, now: Millis) -> UnixMillis {
        UnixMillis(self.wall_epoch_ms + now.as_u64())
    }

    /// Restarts the process if one is due by `now`.
    fn restart_if_due(&mut self, now: Millis) {
        while self.restarts.front().is_some_and(|at| *at <= now) {
            let at = self.restarts.pop_front().unwrap_or(now);
            let saved = self.engine.snapshot(self.local(at), self.wall(at));
            // Everything the old process was doing dies with it.
            let mut dead: Vec<u64> = self.calls.keys().copied().collect();
            dead.sort_unstable();
            self.dead.extend(dead.iter().copied());
            self.killed.extend(dead);
            self.calls.clear();
            self.ops.clear();
            self.origin = at;
            match Engine::restore(self.config, saved, self.local(at), self.wall(at)) {
                Ok(engine) => self.engine = engine,
                // The configuration restored is the one that built the
                // engine: it is valid. Were it not, start afresh.
                Err(_) => {
                    if let Ok(engine) = Engine::new(self.config, self.local(at)) {
                        self.engine = engine;
                    }
                }
            }
        }
    }

    /// With throttled timers, an input also runs whatever came due.
    fn catch_up(&mut self, now: Millis) {
        if self.timer_period_ms.is_some() {
            self.engine.handle_timeout(self.local(now));
        }
    }
}

/// How late a timer armed for host instant `at` fires: 0 to `max` ms, a
/// function of the run's seed and the instant (SplitMix64's finaliser), so
/// that the same timer asked for again fires at the same moment.
fn lateness(seed: u64, at: u64, max: u64) -> u64 {
    let mut z = (seed ^ 0x7133_7E1A_7E00_0000).wrapping_add(at.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    z % (max + 1)
}

/// The engine's slot of a call (ids are slot index + generation).
fn slot_of(id: CallId) -> usize {
    (id.0 & 0xFFFF_FFFF) as usize
}

impl Steadfast {
    fn op_of(&self, id: CallId) -> Option<u64> {
        match self.ops.get(slot_of(id)) {
            Some(Some((owner, op))) if *owner == id => Some(*op),
            _ => None,
        }
    }
}

impl Policy for Steadfast {
    fn name(&self) -> &'static str {
        "steadfast"
    }

    fn start(&mut self, spec: &CallSpec, now: Millis) {
        self.arrive(now);
        self.catch_up(now);
        let id = self.engine.start(
            RequestMeta {
                method: spec.method,
                endpoint: &spec.endpoint,
                idempotency_key: spec.idempotency_key,
                timeout_ms: None,
                deadline_ms: None,
            },
            self.local(now),
        );
        let slot = slot_of(id);
        if self.ops.len() <= slot {
            self.ops.resize(slot + 1, None);
        }
        self.ops[slot] = Some((id, spec.op));
        self.calls.insert(spec.op, id);
    }

    fn deliver(&mut self, op: u64, attempt: u32, answer: &Answer, now: Millis) {
        self.arrive(now);
        self.catch_up(now);
        // An answer for a call that ended still reaches the engine (as the
        // npm package's fetch would): it may teach the limiter. One for a
        // call of a dead process has nowhere to go.
        if self.dead.contains(&op) {
            return;
        }
        let id = match self.calls.get(&op) {
            Some(&id) => id,
            None => CallId(u64::MAX),
        };
        let local = self.local(now);
        match answer {
            Answer::Response {
                status,
                headers,
                body,
            } => {
                // Rendered on the stack: no allocation per response.
                let mut buffers = [[0u8; 40]; crate::server::MAX_FIELDS];
                let mut pairs = [("", ""); crate::server::MAX_FIELDS];
                for ((slot, buf), (k, v)) in
                    pairs.iter_mut().zip(buffers.iter_mut()).zip(headers.iter())
                {
                    *slot = (*k, v.render(buf));
                }
                let n = headers.len().min(pairs.len());
                let response = ResponseMeta {
                    status: *status,
                    headers: &pairs[..n],
                    body: Some(body),
                    wall: Some(self.wall(now)),
                };
                self.engine.handle_response(id, attempt, response, local);
            }
            Answer::Failure(kind) => self.engine.handle_failure(id, attempt, *kind, local),
        }
    }

    fn on_timer(&mut self, now: Millis) {
        self.arrive(now);
        self.engine.handle_timeout(self.local(now));
    }

    fn next_timer(&self) -> Option<Millis> {
        let engine = self.engine.poll_timeout().map(|t| {
            // A timer the host's clock says is due fires at once.
            let mut world = self.world(t);
            if let Some((max, seed)) = self.timer_lateness {
                world = world.plus(lateness(seed, t.as_u64(), max));
            }
            let world = world.max(self.last_now);
            match self.timer_period_ms {
                Some(p) => Millis(world.as_u64().div_ceil(p).saturating_mul(p)),
                None => world,
            }
        });
        let restart = self.restarts.front().copied();
        let jump = self.jumps.front().map(|(at, _)| *at);
        [engine, restart, jump].into_iter().flatten().min()
    }

    fn clock(&self, now: Millis) -> Millis {
        // Restarts keep the world's time line (the engine is restored by
        // the wall clock). A jump forward looks like time that passed; one
        // back, like none (the engine cannot tell either from the truth).
        now.plus(self.forward)
    }

    fn drain(&mut self, out: &mut Vec<Action>) {
        for op in self.killed.drain(..) {
            out.push(Action::Done {
                op,
                ok: false,
                how: "killed",
            });
        }
        while let Some(o) = self.engine.poll_output() {
            match o {
                Output::Send { call, attempt, .. } => {
                    if let Some(op) = self.op_of(call) {
                        out.push(Action::Send { op, attempt });
                    }
                }
                Output::Done { call, result } => {
                    if let Some(op) = self.op_of(call) {
                        self.ops[slot_of(call)] = None;
                        self.calls.remove(&op);
                        let how = match &result {
                            Ok(_) => "ok",
                            Err(f) => failure_word(f.kind),
                        };
                        out.push(Action::Done {
                            op,
                            ok: result.is_ok(),
                            how,
                        });
                    }
                }
                Output::Event(Event::StateChange { change, .. }) => {
                    out.push(Action::Circuit(change.to));
                }
                Output::Abort { .. } | Output::Event(_) => {}
                _ => {}
            }
        }
    }

    fn quota_left(&self, now: Millis) -> Option<u64> {
        let s = self.engine.health(self.local(now)).limiter;
        s.day_allowance.map(|a| a.saturating_sub(s.day_used))
    }

    fn max_probes(&self) -> u32 {
        self.engine.config().breaker.half_open_max_probes
    }

    fn max_pause_ms(&self) -> u64 {
        self.engine.config().limiter.max_pause_ms
    }

    /// Where the run's calls wait only for the limiter's pace, Steadfast
    /// serves them in the order they came. A host whose timers fire late
    /// by up to `max` may run an earlier caller's timer that much after a
    /// later caller's input is handled: that is the bound. A throttled host
    /// (timers on multiples of a period) runs an earlier caller's timer up
    /// to a period late, and one whose turn the send gate moved on (the
    /// server's second had no room left) waits for the host's next wake-up,
    /// while a caller arriving meanwhile is handled at once, and room the
    /// server's next answer opens may go to it: we state three periods
    /// (the worst measured over a thousand seeds of background_tab is 2.2
    /// of its 1 s periods).
    fn fairness_bound_ms(&self) -> Option<u64> {
        self.first_come_first_served.then(|| {
            self.timer_lateness.map_or(0, |(max, _)| max) + 3 * self.timer_period_ms.unwrap_or(0)
        })
    }
}

fn failure_word(kind: steadfast_core::engine::FailureKind) -> &'static str {
    use steadfast_core::engine::FailureKind as K;
    match kind {
        K::GaveUp { .. } => "gave_up",
        K::CircuitOpen => "circuit_open",
        K::RateLimited => "rate_limited",
        K::QuotaExhausted => "quota_exhausted",
        K::DeadlineExceeded => "deadline",
        K::Cancelled => "cancelled",
        _ => "other",
    }
}
