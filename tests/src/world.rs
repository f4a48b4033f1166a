//! The simulated world: a clock, the server, a policy and the invariants.
//!
//! Time jumps from one event to the next (an arrival, an answer reaching the
//! client, the policy's timer); nothing sleeps. Every run is a function of
//! its seed: the same seed gives the same trace, whose hash is kept.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::fast_hash::{FastMap as HashMap, FastSet as HashSet};

use steadfast_core::breaker::CircuitState;
use steadfast_core::Millis;

use crate::client::{Action, CallSpec, Policy};
use crate::server::{Answer, Request, Server};

/// The most events at one instant before the run is declared livelocked.
const MAX_STEPS_AT_ONE_INSTANT: u64 = 200_000;

/// One second of the run, for the timeline picture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Second {
    /// Requests sent.
    pub sends: u32,
    /// Calls that ended in success.
    pub ok: u32,
    /// 429s the server answered.
    pub rate_limited: u32,
    /// Requests that reached the server during an outage.
    pub during_outage: u32,
    /// The circuit's state at the end of the second.
    pub circuit: Option<CircuitState>,
    /// The policy's idea of its daily requests left.
    pub quota_left: Option<u64>,
}

/// What one run measured, and every invariant's count of violations.
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    /// Calls in the workload.
    pub calls: u64,
    /// Calls that succeeded.
    pub successes: u64,
    /// Requests sent.
    pub sends: u64,
    /// 429s provoked.
    pub rate_limited: u64,
    /// Requests that reached the server during an outage.
    pub sent_during_outage: u64,
    /// Writes the server applied twice.
    pub duplicate_writes: u64,
    /// Requests that arrived with the server's daily quota spent.
    pub quota_overruns: u64,
    /// Requests sent before a server-given Retry-After had passed (or, for
    /// a policy that bounds shared pauses, before its bound had).
    pub early_sends: u64,
    /// Requests sent while the circuit was open.
    pub open_circuit_sends: u64,
    /// Times more probes were out than the half-open state allows.
    pub probe_violations: u64,
    /// The most requests sent in one half-open period.
    pub max_sends_per_half_open: u64,
    /// Calls that ended more than once.
    pub double_ends: u64,
    /// Calls that never ended.
    pub unended: u64,
    /// Times the simulated clock went backwards or stalled.
    pub time_violations: u64,
    /// Calls sent once, and sent later than the policy's fairness bound
    /// after a call sent once that started after them (first come, first
    /// served), in runs where the policy claims that order.
    pub unfair_sends: u64,
    /// The most a call sent once was sent after one that started later, in
    /// ms (0: never).
    pub worst_overtake_ms: u64,
    /// Call durations (arrival → end), in ms.
    pub latencies_ms: Vec<u64>,
    /// How calls ended, by word.
    pub endings: Vec<(&'static str, u64)>,
    /// First send and last success (for goodput).
    pub first_send: Option<Millis>,
    /// See `first_send`.
    pub last_success: Option<Millis>,
    /// The server's capacity, requests per second.
    pub capacity_per_s: f64,
    /// A hash of every send and ending with its instant (see `fnv`).
    pub trace_hash: u64,
    /// The simulated time the run ended at.
    pub end: Millis,
}

impl Metrics {
    /// Successes per second over the busy span, as a fraction of capacity.
    #[must_use]
    pub fn goodput(&self) -> f64 {
        match (self.first_send, self.last_success) {
            (Some(a), Some(b)) if b > a => {
                let span_s = b.since(a) as f64 / 1000.0;
                self.successes as f64 / span_s / self.capacity_per_s
            }
            _ => 0.0,
        }
    }

    /// Requests sent per success.
    #[must_use]
    pub fn attempts_per_success(&self) -> f64 {
        if self.successes == 0 {
            f64::INFINITY
        } else {
            self.sends as f64 / self.successes as f64
        }
    }

    /// The `q` quantile of call latency, in ms.
    #[must_use]
    pub fn latency_quantile(&self, q: f64) -> u64 {
        let mut v = self.latencies_ms.clone();
        v.sort_unstable();
        let i = ((v.len() as f64 - 1.0) * q).round() as usize;
        v.get(i).copied().unwrap_or(0)
    }

    /// Invariant violations, named, that must all be zero for Steadfast.
    #[must_use]
    pub fn violations(&self) -> Vec<(&'static str, u64)> {
        [
            ("quota overrun", self.quota_overruns),
            ("sent before Retry-After", self.early_sends),
            ("sent through an open circuit", self.open_circuit_sends),
            ("too many half-open probes", self.probe_violations),
            ("duplicate write", self.duplicate_writes),
            ("call ended twice", self.double_ends),
            ("call never ended", self.unended),
            ("time did not advance", self.time_violations),
            ("sent after a later caller", self.unfair_sends),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

/// One run's results.
#[derive(Clone, Debug)]
pub struct RunResult {
    /// What was measured.
    pub metrics: Metrics,
    /// Per-second timeline.
    pub timeline: Vec<Second>,
}

/// An answer on its way to the client: op, attempt, the answer, and the
/// delay the server asked for.
type InFlight = (u64, u32, Answer, Option<u64>);

/// Folds `values` into the trace hash, a word at a time (FNV-1a's
/// xor-multiply over 64-bit words, then a rotation to spread high bits).
fn fnv(hash: &mut u64, values: &[u64]) {
    for v in values {
        *hash = (*hash ^ v).wrapping_mul(0x0100_0000_01b3).rotate_left(29);
    }
}

/// Runs `calls` through `policy` against `server` until every call ended
/// (or `horizon` passed).
pub fn run(
    policy: &mut dyn Policy,
    server: &mut Server,
    calls: &[CallSpec],
    horizon: Millis,
) -> RunResult {
    run_from(policy, server, calls, Millis::ZERO, horizon)
}

/// [`run`] for a world whose clock reads `start` when it begins (the
/// calls' arrivals are on the same clock): a policy that already ran, for
/// the long soak. The timeline's seconds count from `start`.
pub fn run_from(
    policy: &mut dyn Policy,
    server: &mut Server,
    calls: &[CallSpec],
    start: Millis,
    horizon: Millis,
) -> RunResult {
    let mut m = Metrics {
        latencies_ms: Vec::with_capacity(calls.len()),
        calls: calls.len() as u64,
        capacity_per_s: f64::from(server.config().per_second),
        trace_hash: 0xcbf2_9ce4_8422_2325,
        ..Metrics::default()
    };
    let last_arrival_s = calls.last().map_or(0, |c| c.arrival.since(start) / 1000) as usize;
    let mut timeline: Vec<Second> = Vec::with_capacity(last_arrival_s * 2 + 64);
    // Ops are numbered 1..=n in arrival order.
    let spec_of = |op: u64| {
        calls
            .get((op as usize).wrapping_sub(1))
            .filter(|c| c.op == op)
    };
    let mut ended: HashSet<u64> = HashSet::default();
    let mut endings: HashMap<&'static str, u64> = HashMap::default();
    // Deliveries: (time, seq) → (op, attempt, answer, server delay).
    let mut queue: BinaryHeap<Reverse<(Millis, u64, usize)>> = BinaryHeap::with_capacity(64);
    let mut payload: Vec<Option<InFlight>> = Vec::with_capacity(64);
    let mut free_slots: Vec<usize> = Vec::new();
    let mut seq = 0u64;
    let mut next_arrival = 0usize;
    let mut now = start;
    let mut steps_here = 0u64;
    let mut not_before = Millis::ZERO;
    let mut frame = policy.clock(start);
    let mut circuit = CircuitState::Closed;
    let mut probes: HashSet<(u64, u32)> = HashSet::default();
    let mut half_open_sends = 0u64;
    let max_probes = policy.max_probes();
    let max_pause_ms = policy.max_pause_ms();
    let fairness_bound_ms = policy.fairness_bound_ms();
    // Per op (1-based, in arrival order): its first send, and its sends.
    let mut first_sends: Vec<(Millis, u32)> = vec![(Millis::MAX, 0); calls.len() + 1];
    let mut actions = Vec::new();

    loop {
        let arrival = calls.get(next_arrival).map(|c| c.arrival);
        let delivery = queue.peek().map(|r| r.0 .0);
        let timer = policy.next_timer();
        let Some(t) = [arrival, delivery, timer].into_iter().flatten().min() else {
            break;
        };
        if t > horizon {
            break;
        }
        if t < now {
            m.time_violations += 1;
        }
        if t == now {
            steps_here += 1;
            if steps_here > MAX_STEPS_AT_ONE_INSTANT {
                m.time_violations += 1;
                break;
            }
        } else {
            steps_here = 0;
        }
        now = now.max(t);
        // The time the policy's host can know has passed: the pauses a
        // server asked for are checked on it.
        frame = frame.max(policy.clock(now));

        if delivery == Some(t) {
            if let Some(Reverse((_, _, slot))) = queue.pop() {
                free_slots.push(slot);
                if let Some((op, attempt, answer, delay)) =
                    payload.get_mut(slot).and_then(Option::take)
                {
                    if let Some(d) = delay {
                        not_before = not_before.max(frame.plus(d.min(max_pause_ms)));
                    }
                    probes.remove(&(op, attempt));
                    policy.deliver(op, attempt, &answer, now);
                }
            }
        } else if arrival == Some(t) {
            if let Some(spec) = calls.get(next_arrival) {
                policy.start(spec, now);
            }
            next_arrival += 1;
        } else {
            policy.on_timer(now);
        }

        policy.drain(&mut actions);
        // A jump the policy's clock made at this instant counts for what
        // it sends now.
        frame = frame.max(policy.clock(now));
        let second = (now.since(start) / 1000) as usize;
        if timeline.len() <= second {
            timeline.resize(second + 1, Second::default());
        }
        for action in actions.drain(..) {
            match action {
                Action::Send { op, attempt } => {
                    m.sends += 1;
                    m.first_send.get_or_insert(now);
                    fnv(
                        &mut m.trace_hash,
                        &[now.as_u64(), 1, op, u64::from(attempt)],
                    );
                    if frame < not_before {
                        m.early_sends += 1;
                    }
                    match circuit {
                        CircuitState::Open => m.open_circuit_sends += 1,
                        CircuitState::HalfOpen => {
                            half_open_sends += 1;
                            m.max_sends_per_half_open =
                                m.max_sends_per_half_open.max(half_open_sends);
                            probes.insert((op, attempt));
                            if probes.len() as u64 > u64::from(max_probes) {
                                m.probe_violations += 1;
                            }
                        }
                        CircuitState::Closed => {}
                    }
                    if let Some(entry) = first_sends.get_mut(op as usize) {
                        entry.0 = entry.0.min(now);
                        entry.1 += 1;
                    }
                    let Some(spec) = spec_of(op) else { continue };
                    let req = Request {
                        op,
                        endpoint: &spec.endpoint,
                        method: spec.method,
                        idempotency_key: spec.idempotency_key,
                    };
                    let handled = server.handle(req, now);
                    let sec = &mut timeline[second];
                    sec.sends += 1;
                    if handled.rate_limited {
                        m.rate_limited += 1;
                        sec.rate_limited += 1;
                    }
                    if handled.during_outage {
                        m.sent_during_outage += 1;
                        sec.during_outage += 1;
                    }
                    m.quota_overruns += u64::from(handled.quota_overrun);
                    seq += 1;
                    let entry = Some((op, attempt, handled.answer, handled.server_delay_ms));
                    let slot = match free_slots.pop() {
                        Some(i) => {
                            payload[i] = entry;
                            i
                        }
                        None => {
                            payload.push(entry);
                            payload.len() - 1
                        }
                    };
                    queue.push(Reverse((now.plus(handled.latency_ms), seq, slot)));
                }
                Action::Done { op, ok, how } => {
                    fnv(&mut m.trace_hash, &[now.as_u64(), 2, op, u64::from(ok)]);
                    if !ended.insert(op) {
                        m.double_ends += 1;
                        continue;
                    }
                    if !probes.is_empty() {
                        probes.retain(|(o, _)| *o != op);
                    }
                    *endings.entry(how).or_insert(0) += 1;
                    if let Some(spec) = spec_of(op) {
                        m.latencies_ms.push(now.since(spec.arrival));
                    }
                    if ok {
                        m.successes += 1;
                        m.last_success = Some(now);
                        timeline[second].ok += 1;
                    }
                }
                Action::Circuit(state) => {
                    circuit = state;
                    probes.clear();
                    half_open_sends = 0;
                }
            }
        }
        let sec = &mut timeline[second];
        sec.circuit = Some(circuit);
        if sec.quota_left.is_none() {
            sec.quota_left = policy.quota_left(now);
        }
    }
    // First come, first served: walking the calls in the order they
    // started, no call sent once goes more than the bound after the latest
    // send of the calls before it.
    let mut latest = Millis::ZERO;
    for &(at, sends) in first_sends.iter().skip(1) {
        if sends != 1 {
            continue;
        }
        let overtaken_by = latest.since(at);
        m.worst_overtake_ms = m.worst_overtake_ms.max(overtaken_by);
        if fairness_bound_ms.is_some_and(|bound| overtaken_by > bound) {
            m.unfair_sends += 1;
        }
        latest = latest.max(at);
    }
    m.duplicate_writes = server.duplicate_writes();
    m.unended = calls
        .iter()
        .filter(|c| c.arrival <= horizon && !ended.contains(&c.op))
        .count() as u64;
    let mut endings: Vec<_> = endings.into_iter().collect();
    endings.sort();
    m.endings = endings;
    m.end = now;
    // Fill the circuit state forward through quiet seconds.
    let mut last = CircuitState::Closed;
    let mut left = None;
    for s in &mut timeline {
        last = s.circuit.unwrap_or(last);
        s.circuit = Some(last);
        left = s.quota_left.or(left);
        s.quota_left = left;
    }
    RunResult {
        metrics: m,
        timeline,
    }
}
