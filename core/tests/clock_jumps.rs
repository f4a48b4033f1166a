//! Every machine fed instants that jump: forward by seconds or hours, back
//! by seconds or a day, to zero, to the last instants a `u64` can hold.
//! Nothing panics or overflows, every machine's invariants hold at each
//! step, every wait it answers is bounded from the latest instant it saw,
//! and once time runs forward again each recovers: the breaker closes,
//! every engine call ends.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use steadfast_core::breaker::{
    BreakerConfig, BreakerOutcome, BreakerScope, CircuitBreaker, CircuitState, Permit,
};
use steadfast_core::engine::{CallId, Engine, EngineConfig, Output, RequestMeta, ResponseMeta};
use steadfast_core::headers::{RateLimitHeaders, WindowReading};
use steadfast_core::limiter::{
    Admission, Confirmation, LimiterConfig, LimiterFeedback, LimiterPermit, RateLimiter,
};
use steadfast_core::monitor::{ErrorMonitor, MonitorConfig, MonitorEvent, Observation};
use steadfast_core::retry::{
    RequestFacts, RetryBudget, RetryBudgetConfig, RetryConfig, RetryDecision, RetryPolicy,
    RetryState,
};
use steadfast_core::{
    classify_failure, classify_response, Category, Method, Millis, SplitMix64, TransportFailure,
    UnixMillis,
};

/// How the host's clock moves before the next input.
#[derive(Clone, Copy, Debug)]
enum Jump {
    Forward(u64),
    Back(u64),
    To(u64),
}

fn jump() -> impl Strategy<Value = Jump> {
    prop_oneof![
        6 => (0u64..2_000).prop_map(Jump::Forward),
        1 => (0u64..10_000_000).prop_map(Jump::Forward),
        2 => (0u64..60_000).prop_map(Jump::Back),
        1 => (0u64..100_000_000).prop_map(Jump::Back),
        1 => Just(Jump::To(0)),
        1 => (0u64..1_000).prop_map(|d| Jump::To(u64::MAX - d)),
    ]
}

/// The host's clock: where it reads now, and the latest it ever read.
#[derive(Default)]
struct Clock {
    now: u64,
    latest: u64,
}

impl Clock {
    fn apply(&mut self, j: Jump) -> Millis {
        self.now = match j {
            Jump::Forward(d) => self.now.saturating_add(d),
            Jump::Back(d) => self.now.saturating_sub(d),
            Jump::To(t) => t,
        };
        self.latest = self.latest.max(self.now);
        Millis(self.now)
    }

    /// Room left before the end of time for `ms` more.
    fn has_room(&self, ms: u64) -> bool {
        self.latest.checked_add(ms.saturating_mul(4)).is_some()
    }
}

/// 256 cases, or `PROPTEST_CASES` (`make fuzz` runs more).
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// The breaker: never more probes out than allowed, state changes chain,
    /// and after the chaos it opens no longer than `maxOpenMs` and closes on
    /// successful probes.
    #[test]
    fn breaker_survives_a_jumping_clock_and_still_recovers(
        failure_threshold in 1u32..5,
        success_threshold in 1u32..4,
        open_ms in 1u64..60_000,
        extra_open in 0u64..240_000,
        open_backoff in 1.0f64..3.0,
        max_probes in 1u32..4,
        ops in prop::collection::vec((0u8..5, jump()), 1..200),
    ) {
        let config = BreakerConfig {
            failure_threshold,
            success_threshold,
            open_ms,
            open_backoff,
            max_open_ms: open_ms + extra_open,
            half_open_max_probes: max_probes,
            ..BreakerConfig::default()
        };
        let mut b = CircuitBreaker::new(config).unwrap();
        let mut clock = Clock::default();
        let mut held: Vec<Permit> = Vec::new();
        let mut last: Option<CircuitState> = None;
        for (op, j) in ops {
            let now = clock.apply(j);
            match op {
                0 => if let Ok(p) = b.try_acquire(now) { held.push(p) },
                1 => if let Some(p) = held.pop() { b.record(p, BreakerOutcome::Failure, now) },
                2 => if let Some(p) = held.pop() { b.record(p, BreakerOutcome::Success, now) },
                3 => if let Some(p) = held.pop() { b.release(p) },
                _ => { let _ = (b.state(now), b.is_available(now), b.open_until()); }
            }
            prop_assert!(b.probes_in_flight() <= max_probes);
            let live = held.iter().filter(|p| p.is_probe()).count() as u32;
            prop_assert!(b.probes_in_flight() <= live);
            while let Some(change) = b.poll_event() {
                prop_assert_ne!(change.from, change.to);
                if let Some(prev) = last {
                    prop_assert_eq!(prev, change.from, "state changes chain");
                }
                last = Some(change.to);
            }
        }
        for p in held.drain(..) {
            b.release(p);
        }
        if !clock.has_room(config.max_open_ms) {
            return Ok(());
        }
        // Time runs forward again: within the longest open time the
        // circuit lets a probe through, and successes close it.
        let mut t = Millis(clock.latest);
        if let Some(until) = b.open_until() {
            prop_assert!(until.as_u64() <= clock.latest + config.max_open_ms,
                "open until {} with {} the latest instant seen", until, clock.latest);
            t = t.max(until);
        }
        for _ in 0..=success_threshold {
            if b.state(t) == CircuitState::Closed {
                break;
            }
            let p = b.try_acquire(t);
            prop_assert!(p.is_ok(), "no probe at {}: {:?}", t, b.state(t));
            b.record(p.unwrap(), BreakerOutcome::Success, t);
            t = t.plus(1);
        }
        prop_assert_eq!(b.state(t), CircuitState::Closed);
    }

    /// The limiter: every wait it answers is bounded from the latest instant
    /// it saw — a booked slot by `maxQueueMs`, a pause by `maxPauseMs`, the
    /// send gate by what was booked — whatever the clock and the server say.
    #[test]
    fn limiter_waits_stay_bounded_on_a_jumping_clock(
        per_second in 1.0f64..50.0,
        burst in 1u32..5,
        per_day in prop::option::of(5u64..5_000),
        ops in prop::collection::vec((0u8..6, jump(), 0usize..6, 0usize..6, 0usize..4), 1..200),
    ) {
        let config = LimiterConfig { per_second, burst, per_day, ..LimiterConfig::default() };
        let mut l = RateLimiter::new(config).unwrap();
        let mut clock = Clock::default();
        let mut held: Vec<LimiterPermit> = Vec::new();
        let statuses = [200u16, 200, 429, 503, 404, 429];
        let delays = [None, Some(0), Some(1_000), Some(31_536_000_000), Some(u64::MAX), None];
        let limits = [None, Some(0), Some(1), Some(5), Some(1_000), Some(u64::MAX)];
        let remaining = [None, Some(0), Some(3), Some(u64::MAX)];
        // The slowest pace a server can impose: 1/s, slowed ×maxSlowdown.
        let slowest_ms = (1_000.0 * config.max_slowdown) as u64;
        for (i, (op, j, s, d, r)) in ops.into_iter().enumerate() {
            let now = clock.apply(j);
            let latest = clock.latest;
            let gate_bound = latest
                .saturating_add(config.max_queue_ms)
                .saturating_add(config.max_pause_ms)
                .saturating_add((i as u64 + 1).saturating_mul(slowest_ms));
            match op {
                0 | 1 => match l.reserve(now) {
                    Admission::Ready(p) => held.push(p),
                    Admission::Scheduled(p) => {
                        prop_assert!(p.at().as_u64() <= latest.saturating_add(config.max_queue_ms),
                            "booked at {} from {}", p.at(), latest);
                        held.push(p);
                    }
                    Admission::Held { until } => prop_assert!(
                        until.as_u64() <= latest.saturating_add(config.max_pause_ms)),
                    // The day's ring frees a slot at most a window and two
                    // of its 1-minute buckets on; the server's word is
                    // asked again after `quotaRecheckMs`.
                    Admission::Exhausted { until } => prop_assert!(
                        until.as_u64() <= latest
                            .saturating_add(config.day_window_ms + 120_000)
                            .saturating_add(config.quota_recheck_ms)),
                    _ => {}
                },
                2 => if let Some(mut p) = held.pop() {
                    match l.confirm(&mut p, now) {
                        Confirmation::NotBefore(at) => {
                            prop_assert!(at.as_u64() <= gate_bound,
                                "the gate booked a send at {} from {}", at, latest);
                            held.insert(0, p);
                        }
                        Confirmation::Held { until } => prop_assert!(
                            until.as_u64() <= latest.saturating_add(config.max_pause_ms)),
                        _ => l.complete(p, None, now),
                    }
                },
                3 => if let Some(p) = held.pop() { l.cancel(p, now) },
                _ => {
                    let mut rate = RateLimitHeaders {
                        per_second: WindowReading { limit: limits[s], remaining: remaining[r], ..WindowReading::default() },
                        per_day: WindowReading { limit: limits[d], remaining: remaining[r], ..WindowReading::default() },
                        ..RateLimitHeaders::default()
                    };
                    rate.general.remaining = remaining[r];
                    rate.general.reset_ms = delays[d];
                    let feedback = LimiterFeedback { status: statuses[s], server_delay_ms: delays[d], rate: &rate };
                    match held.pop() {
                        Some(p) if op == 4 => l.complete(p, Some(feedback), now),
                        _ => l.learn(feedback, now),
                    }
                }
            }
            let status = l.status(now);
            prop_assert!(status.in_flight <= held.len() as u64 + 200);
            if let Some(until) = status.held_until {
                prop_assert!(until.as_u64() <= latest.saturating_add(config.max_pause_ms));
            }
            prop_assert!(status.effective_per_second > 0.0 && status.effective_per_second.is_finite());
        }
    }

    /// The monitor: memory stays fixed, counts stay consistent, alerts and
    /// recoveries alternate.
    #[test]
    fn monitor_counts_and_alerts_stay_consistent_on_a_jumping_clock(
        ops in prop::collection::vec((0u8..4, jump(), 0usize..10, 0u32..50), 1..300),
    ) {
        let config = MonitorConfig {
            window_ms: 10_000,
            buckets: 10,
            alert_threshold: 5,
            max_endpoints: 4,
            ..MonitorConfig::default()
        };
        let mut m = ErrorMonitor::new(config).unwrap();
        let mut clock = Clock::default();
        let mut alerting = false;
        for (op, j, category, endpoint) in ops {
            let now = clock.apply(j);
            match op {
                0 | 1 => {
                    let path = format!("/e{endpoint}/x");
                    m.record(Observation {
                        endpoint: &path,
                        category: Category::ALL.get(category).copied(),
                        status: None,
                        message: Some("down"),
                    }, now);
                }
                2 => m.handle_timeout(now),
                _ => {
                    let s = m.summary(now);
                    prop_assert!(s.total_errors <= s.total_calls);
                    prop_assert!((0.0..=1.0).contains(&s.error_rate));
                    let (calls, errors) = m.totals(now);
                    prop_assert!(errors <= calls);
                }
            }
            prop_assert!(m.retained_counters() <= m.counter_capacity());
            while let Some(e) = m.poll_event() {
                match e {
                    MonitorEvent::Alert(_) => { prop_assert!(!alerting, "two alerts in a row"); alerting = true; }
                    MonitorEvent::Recovered(_) => { prop_assert!(alerting, "recovered without an alert"); alerting = false; }
                }
            }
            if let Some(t) = m.poll_timeout() {
                prop_assert!(alerting, "a wake-up only while alerting, at {}", t);
            }
        }
    }

    /// Retry decisions: a retry is at `now + delay`, never before the
    /// server's delay, never more than `maxRetries`; the budget never goes
    /// negative, whatever the clock does.
    #[test]
    fn retry_decisions_stay_within_bounds_on_a_jumping_clock(
        seed: u64,
        ops in prop::collection::vec((jump(), 0usize..8, any::<bool>()), 1..100),
    ) {
        let config = RetryConfig::default();
        let policy = RetryPolicy::new(config).unwrap();
        let mut budget = RetryBudget::new(RetryBudgetConfig::default(), Millis(0)).unwrap();
        let mut rng = SplitMix64::new(seed);
        let mut clock = Clock::default();
        let mut state = RetryState::new(Millis(0));
        let headers: [&[(&str, &str)]; 3] = [&[], &[("Retry-After", "2")], &[("Retry-After", "99999999999999999999")]];
        for (j, outcome, new_call) in ops {
            let now = clock.apply(j);
            if new_call {
                state = RetryState::with_deadline(now, now.plus(60_000));
            }
            let c = match outcome {
                0 => classify_failure(TransportFailure::Reset),
                1 => classify_failure(TransportFailure::Timeout),
                2 => classify_failure(TransportFailure::ConnectRefused),
                3 => classify_response(503, headers[1], None, None),
                4 => classify_response(429, headers[2], None, None),
                5 => classify_response(500, headers[0], None, None),
                6 => classify_response(404, headers[0], None, None),
                _ => classify_response(429, headers[1], None, Some(UnixMillis(u64::MAX))),
            };
            let before = state.retries;
            budget.record_request();
            let facts = RequestFacts::of(Method::Get, false);
            match policy.decide(&mut state, &c, facts, Some(&mut budget), &mut rng, now) {
                RetryDecision::RetryAt { at, delay_ms } => {
                    prop_assert_eq!(at, now.plus(delay_ms));
                    prop_assert!(delay_ms >= c.server_delay_ms.unwrap_or(0));
                    prop_assert_eq!(state.retries, before + 1);
                    prop_assert!(state.retries <= config.max_retries);
                }
                RetryDecision::GiveUp(_) => prop_assert_eq!(state.retries, before),
            }
        }
    }

    /// The engine: any inputs on a clock that jumps anywhere — hours
    /// forward, a day back, the end of time — never panic; no call is sent
    /// after it ended; once time runs forward, every call ends exactly once.
    #[test]
    fn every_engine_call_ends_exactly_once_on_a_jumping_clock(
        per_endpoint: bool,
        steps in prop::collection::vec((0u8..5, jump(), 0usize..8, 0usize..6), 1..150),
    ) {
        let mut config = EngineConfig::default();
        if per_endpoint {
            config.breaker.scope = BreakerScope::Endpoint;
        }
        let mut engine = Engine::new(config, Millis(0)).unwrap();
        let mut clock = Clock::default();
        let mut started: Vec<CallId> = Vec::new();
        let mut attempts: HashMap<CallId, u32> = HashMap::new();
        let mut done: HashSet<CallId> = HashSet::new();
        let statuses = [200u16, 201, 404, 429, 500, 503];
        let headers: [&[(&str, &str)]; 6] = [
            &[],
            &[("Retry-After", "2")],
            &[("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")],
            &[("Retry-After", "99999999999999999999"), ("x-remaining-today", "0")],
            &[("x-limit-per-second", "1"), ("x-limit-per-day", "99999999999999999999")],
            &[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "99999999999999999999")],
        ];
        let drain = |engine: &mut Engine, attempts: &mut HashMap<CallId, u32>, done: &mut HashSet<CallId>| -> Result<(), TestCaseError> {
            while let Some(o) = engine.poll_output() {
                match o {
                    Output::Send { call, attempt, .. } => {
                        prop_assert!(!done.contains(&call), "sent after it ended");
                        attempts.insert(call, attempt);
                    }
                    Output::Done { call, .. } => prop_assert!(done.insert(call), "ended twice"),
                    _ => {}
                }
            }
            Ok(())
        };
        for (op, j, pick, h) in steps {
            let now = clock.apply(j);
            match op {
                0 => {
                    let endpoint = ["/listings/1", "/shops/2", "/users/3"][pick % 3];
                    started.push(engine.start(RequestMeta {
                        method: if pick == 7 { Method::Post } else { Method::Get },
                        endpoint,
                        idempotency_key: pick == 6,
                        timeout_ms: None,
                        deadline_ms: (pick == 5).then_some(10_000),
                    }, now));
                }
                1 => if let Some(&id) = started.get(pick % started.len().max(1)) {
                    let attempt = attempts.get(&id).copied().unwrap_or(1);
                    engine.handle_response(id, attempt, ResponseMeta {
                        status: statuses[h],
                        headers: headers[(pick + h) % 6],
                        body: Some("{\"error\": \"x\"}"),
                        wall: Some(UnixMillis(now.as_u64())),
                    }, now);
                },
                2 => if let Some(&id) = started.get(pick % started.len().max(1)) {
                    let attempt = attempts.get(&id).copied().unwrap_or(1);
                    engine.handle_failure(id, attempt, TransportFailure::Reset, now);
                },
                3 => if let Some(&id) = started.get(pick % started.len().max(1)) {
                    engine.cancel(id, now);
                },
                _ => engine.handle_timeout(now),
            }
            drain(&mut engine, &mut attempts, &mut done)?;
            let health = engine.health(now);
            prop_assert_eq!(health.active_calls, started.len() - done.len());
        }
        // Time runs forward from where the clock now reads; nothing answers.
        let mut now = clock.now;
        for _ in 0..10_000 {
            let Some(t) = engine.poll_timeout() else { break };
            now = now.max(t.as_u64());
            engine.handle_timeout(Millis(now));
            drain(&mut engine, &mut attempts, &mut done)?;
        }
        for id in &started {
            prop_assert!(done.contains(id), "call {:?} never ended", id);
        }
        prop_assert_eq!(engine.health(Millis(now)).active_calls, 0);
    }
}
