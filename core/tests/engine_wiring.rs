//! How the engine wires its machines together, through its public API only:
//! deadlines, pacing after a change of rate or a late timer, the daily
//! quota's recheck, late answers, shared pauses and their bound, permanent
//! server answers, snapshot and restore across a restarted clock, the
//! monitor's recovery as time passes, secrets, and breakers per endpoint.
//!
//! Each test drives a small host (below) the way the npm package does:
//! start calls, answer their sends, fire the one timer at `poll_timeout()`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use steadfast_core::breaker::{BreakerConfig, BreakerScope, CircuitState};
use steadfast_core::engine::{
    CallFailure, CallId, Engine, EngineConfig, Event, FailureKind, Output, RequestMeta,
    ResponseMeta, Snapshot,
};
use steadfast_core::limiter::LimiterConfig;
use steadfast_core::monitor::MonitorConfig;
use steadfast_core::retry::{BackoffConfig, GiveUp, Jitter, RetryConfig};
use steadfast_core::{Method, Millis, UnixMillis};

/// A host: the engine, a clock, and a record of what the engine asked for.
struct Host {
    engine: Engine,
    now: u64,
    /// (time, call, attempt) of every send.
    sends: Vec<(u64, CallId, u32)>,
    /// (time, call, result) of every call that ended.
    done: Vec<(u64, CallId, Result<u32, CallFailure>)>,
    events: Vec<Event>,
}

impl Host {
    fn new(config: EngineConfig) -> Self {
        Self::around(Engine::new(config, Millis(0)).unwrap(), 0)
    }

    fn around(engine: Engine, now: u64) -> Self {
        Self {
            engine,
            now,
            sends: Vec::new(),
            done: Vec::new(),
            events: Vec::new(),
        }
    }

    fn start(&mut self, request: RequestMeta<'_>) -> CallId {
        let id = self.engine.start(request, Millis(self.now));
        self.pump();
        id
    }

    fn pump(&mut self) {
        while let Some(o) = self.engine.poll_output() {
            match o {
                Output::Send { call, attempt, .. } => self.sends.push((self.now, call, attempt)),
                Output::Done { call, result } => {
                    self.done
                        .push((self.now, call, result.map(|s| u32::from(s.status))));
                }
                Output::Event(e) => self.events.push(e),
                _ => {}
            }
        }
    }

    /// Fires every timer up to `t` at the instant it asks for, then stands at `t`.
    fn advance_to(&mut self, t: u64) {
        for _ in 0..100_000 {
            match self.engine.poll_timeout() {
                Some(at) if at.as_u64() <= t => {
                    self.now = self.now.max(at.as_u64());
                    self.engine.handle_timeout(Millis(self.now));
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = self.now.max(t);
    }

    fn respond(&mut self, call: CallId, attempt: u32, status: u16, headers: &[(&str, &str)]) {
        self.respond_with(call, attempt, status, headers, None);
    }

    fn respond_with(
        &mut self,
        call: CallId,
        attempt: u32,
        status: u16,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) {
        let r = ResponseMeta {
            status,
            headers,
            body,
            wall: None,
        };
        self.engine
            .handle_response(call, attempt, r, Millis(self.now));
        self.pump();
    }

    /// Starts a call, lets time run until it is sent, and answers it there.
    fn call_answered(&mut self, request: RequestMeta<'_>, status: u16) -> CallId {
        let call = self.start(request);
        for _ in 0..1_000 {
            if let Some(&(_, _, attempt)) = self.sends.iter().rev().find(|(_, c, _)| *c == call) {
                self.respond(call, attempt, status, &[]);
                return call;
            }
            if self.result_of(call).is_some() {
                return call;
            }
            match self.engine.poll_timeout() {
                Some(at) => self.advance_to(at.as_u64()),
                None => break,
            }
        }
        call
    }

    fn sends_of(&self, call: CallId) -> Vec<u64> {
        self.sends
            .iter()
            .filter(|(_, c, _)| *c == call)
            .map(|(t, _, _)| *t)
            .collect()
    }

    fn result_of(&self, call: CallId) -> Option<&Result<u32, CallFailure>> {
        self.done
            .iter()
            .find(|(_, c, _)| *c == call)
            .map(|(_, _, r)| r)
    }

    fn failure_of(&self, call: CallId) -> &CallFailure {
        match self.result_of(call) {
            Some(Err(f)) => f,
            other => panic!("expected a failure of {call:?}, got {other:?}"),
        }
    }
}

/// The defaults, with no jitter, no retry budget and strict pacing (no
/// timer slack: the host here fires every timer on time, and the rules
/// below are pinned at whole intervals; the slack is tested on its own).
fn config() -> EngineConfig {
    EngineConfig {
        limiter: LimiterConfig {
            timer_slack_ms: 0,
            ..LimiterConfig::default()
        },
        retry: RetryConfig {
            backoff: BackoffConfig {
                jitter: Jitter::None,
                ..BackoffConfig::default()
            },
            ..RetryConfig::default()
        },
        budget: None,
        ..EngineConfig::default()
    }
}

fn get(endpoint: &str) -> RequestMeta<'_> {
    RequestMeta {
        method: Method::Get,
        endpoint,
        idempotency_key: false,
        timeout_ms: None,
        deadline_ms: None,
    }
}

fn get_by(endpoint: &str, deadline_ms: u64) -> RequestMeta<'_> {
    RequestMeta {
        deadline_ms: Some(deadline_ms),
        ..get(endpoint)
    }
}

/// The most requests sent in any window of `len` ms starting at or after `from`.
fn peak_in_window(sends: &[u64], from: u64, len: u64) -> usize {
    let after: Vec<u64> = sends.iter().copied().filter(|t| *t >= from).collect();
    after
        .iter()
        .map(|start| {
            after
                .iter()
                .filter(|t| **t >= *start && **t < start + len)
                .count()
        })
        .max()
        .unwrap_or(0)
}

// ----- deadlines ---------------------------------------------------------------

#[test]
fn a_calls_own_deadline_ends_it_at_once_when_retry_after_would_pass_it() {
    let mut h = Host::new(config());
    let call = h.start(get_by("/listings/1", 10_000));
    h.advance_to(100);
    h.respond(call, 1, 429, &[("Retry-After", "30")]);
    let f = h.failure_of(call).clone();
    assert_eq!(h.done[0].0, 100, "ended at once, not after 30 s");
    assert_eq!(f.retry_after_ms, Some(30_000));
    assert!(matches!(
        f.kind,
        FailureKind::GaveUp {
            reason: GiveUp::DeadlineExceeded { .. }
        }
    ));
}

#[test]
fn a_backoff_never_takes_a_call_past_its_deadline() {
    let mut h = Host::new(config());
    let call = h.start(get_by("/listings/1", 2_500));
    // Answer every attempt with a 503 as it is sent: backoffs of 1 s, then 2 s.
    for _ in 0..10 {
        let Some(&(_, _, attempt)) = h.sends.last() else {
            break;
        };
        h.respond(call, attempt, 503, &[]);
        match h.engine.poll_timeout() {
            Some(at) if h.result_of(call).is_none() => h.advance_to(at.as_u64()),
            _ => break,
        }
    }
    let sends = h.sends_of(call);
    assert_eq!(sends, [0, 1_000], "the 2 s backoff would end at 3 s");
    assert!(sends.iter().all(|t| *t < 2_500));
    assert_eq!(
        h.done[0].0, 1_000,
        "it gave up when the backoff was decided"
    );
}

#[test]
fn a_slot_booked_past_the_deadline_fails_the_call_at_booking_time() {
    let mut cfg = config();
    cfg.limiter.per_second = 1.0;
    let mut h = Host::new(cfg);
    let first = h.start(get("/a"));
    let second = h.start(get_by("/a", 1_500)); // its slot is at 1 000
    let third = h.start(get_by("/a", 1_500)); // its slot would be at 2 000
    assert_eq!(h.sends_of(first), [0]);
    assert_eq!(h.failure_of(third).kind, FailureKind::DeadlineExceeded);
    assert_eq!(
        h.done[0].0, 0,
        "refused when it asked, not when the slot came"
    );
    h.advance_to(5_000);
    assert_eq!(h.sends_of(second), [1_000]);
    assert!(h.sends_of(third).is_empty());
    // The configured deadline counts the same way.
    let mut cfg = config();
    cfg.limiter.per_second = 1.0;
    cfg.retry.deadline_ms = Some(1_500);
    let mut h = Host::new(cfg);
    let _ = h.start(get("/a"));
    let _ = h.start(get("/a"));
    let late = h.start(get("/a"));
    assert_eq!(h.failure_of(late).kind, FailureKind::DeadlineExceeded);
}

#[test]
fn a_slot_the_pace_pushes_past_the_deadline_is_freed_and_never_sent() {
    let mut cfg = config();
    cfg.limiter.per_second = 2.0;
    let mut h = Host::new(cfg);
    let first = h.start(get("/a"));
    let second = h.start(get("/a")); // slot at 500
    let third = h.start(get_by("/a", 1_500)); // slot at 1 000
    h.advance_to(100);
    // The server says 1 per second: the booked slots are spread out again.
    h.respond(first, 1, 200, &[("x-limit-per-second", "1")]);
    h.advance_to(5_000);
    // Booked for 500. At 100 the server states its limit: the first request
    // may have reached it as late as that, so the next goes a whole new
    // interval on, at 1 100, and the next not before 2 100.
    assert_eq!(h.sends_of(second), [1_100], "the pace stretched its slot");
    assert!(
        h.sends_of(third).is_empty(),
        "never sent at or after its deadline"
    );
    assert_eq!(h.failure_of(third).kind, FailureKind::DeadlineExceeded);
    let ended_at = h.done.iter().find(|(_, c, _)| *c == third).unwrap().0;
    assert_eq!(ended_at, 1_000, "told when its slot came due, not at 1 900");
    // The freed slot goes to the next caller.
    let fourth = h.start(get("/a"));
    h.advance_to(10_000);
    assert_eq!(h.sends_of(fourth), [5_000]);
}

// ----- pacing ------------------------------------------------------------------

#[test]
fn learning_a_lower_rate_releases_no_extra_burst() {
    let mut cfg = config();
    cfg.limiter.per_second = 10.0;
    cfg.limiter.burst = 4;
    let mut h = Host::new(cfg);
    let calls: Vec<CallId> = (0..40).map(|_| h.start(get("/a"))).collect();
    assert_eq!(h.sends.len(), 4, "a burst of 4 at once");
    h.advance_to(150);
    // The server pushes back: 2 per second.
    h.respond(calls[0], 1, 200, &[("x-limit-per-second", "2")]);
    h.advance_to(20_000);
    let after: Vec<u64> = h
        .sends
        .iter()
        .map(|(t, _, _)| *t)
        .filter(|t| *t >= 150)
        .collect();
    // In every window of t ms after the change: at most burst + 2 × t / 1000.
    for t in [1u64, 500, 1_000, 2_000, 5_000] {
        let bound = 4 + (2 * t).div_ceil(1000) as usize;
        let peak = peak_in_window(&after, 150, t);
        assert!(
            peak <= bound,
            "{peak} sends in {t} ms (bound {bound}): {after:?}"
        );
    }
    // Not just fewer: the burst already spent stays spent.
    assert!(peak_in_window(&after, 150, 1) <= 1, "{after:?}");
}

#[test]
fn a_timer_that_fires_late_paces_the_due_slots_from_then() {
    let mut cfg = config();
    cfg.limiter.per_second = 10.0;
    let mut h = Host::new(cfg);
    for _ in 0..20 {
        let _ = h.start(get("/a"));
    }
    assert_eq!(h.sends.len(), 1);
    // A background tab: the next timer fires a minute late.
    h.now = 60_000;
    h.engine.handle_timeout(Millis(60_000));
    h.pump();
    assert_eq!(
        h.sends.len(),
        2,
        "one slot at once, not the 19 that came due"
    );
    // The other 18 now hold reservations from 60 100 on, and the timer is
    // late again, by another minute: still one at a time, from then.
    h.now = 120_000;
    h.engine.handle_timeout(Millis(120_000));
    h.pump();
    assert_eq!(h.sends.len(), 3, "late reservations are paced again too");
    assert_eq!(
        h.engine.poll_timeout(),
        Some(Millis(120_100)),
        "the next one an interval on, in the order they were booked"
    );
    h.advance_to(130_000);
    let times: Vec<u64> = h.sends.iter().map(|(t, _, _)| *t).collect();
    assert_eq!(&times[1..5], &[60_000, 120_000, 120_100, 120_200]);
    let first_attempts = h.sends.iter().filter(|(_, _, a)| *a == 1).count();
    assert_eq!(first_attempts, 20, "every call still goes");
}

#[test]
fn after_zero_remaining_today_one_request_per_recheck_asks_again() {
    let mut h = Host::new(config());
    let call = h.start(get("/a"));
    h.advance_to(10);
    h.respond(
        call,
        1,
        200,
        &[("x-remaining-today", "0"), ("x-limit-per-day", "10000")],
    );
    let early = h.start(get("/a"));
    assert_eq!(h.failure_of(early).kind, FailureKind::QuotaExhausted);
    // After quotaRecheckMs, five callers at once: one asks, four are told to wait.
    h.advance_to(10 + LimiterConfig::default().quota_recheck_ms);
    let askers: Vec<CallId> = (0..5).map(|_| h.start(get("/a"))).collect();
    let sent: Vec<&CallId> = askers
        .iter()
        .filter(|c| !h.sends_of(**c).is_empty())
        .collect();
    assert_eq!(sent.len(), 1, "one request asks the server again");
    for c in askers.iter().filter(|c| h.sends_of(**c).is_empty()) {
        assert_eq!(h.failure_of(*c).kind, FailureKind::QuotaExhausted);
    }
    // The answer says there is quota again: everyone may go.
    let asker = *sent[0];
    h.respond(
        asker,
        1,
        200,
        &[("x-remaining-today", "5000"), ("x-limit-per-day", "10000")],
    );
    let later = h.start(get("/a"));
    h.advance_to(h.now + 1_000);
    assert_eq!(h.sends_of(later).len(), 1);
}

#[test]
fn an_answer_after_its_attempt_timed_out_still_teaches_the_limiter() {
    let mut h = Host::new(config());
    let call = h.start(RequestMeta {
        timeout_ms: Some(100),
        ..get("/a")
    });
    h.advance_to(100); // the attempt times out; a retry is scheduled
    assert!(h.result_of(call).is_none());
    h.advance_to(150);
    h.respond(call, 1, 429, &[("Retry-After", "5")]);
    assert!(
        h.result_of(call).is_none(),
        "the late answer does not end the call"
    );
    assert_eq!(
        h.engine.health(Millis(150)).limiter.held_until,
        Some(Millis(5_150))
    );
    let other = h.start(get("/b"));
    h.advance_to(6_000);
    let later: Vec<u64> = h.sends.iter().skip(1).map(|(t, _, _)| *t).collect();
    assert!(!later.is_empty());
    assert!(
        later.iter().all(|t| *t >= 5_150),
        "no one goes inside the server's pause: {later:?}"
    );
    assert_eq!(h.sends_of(other).len(), 1);
}

// ----- hostile or odd answers ----------------------------------------------------

#[test]
fn a_year_long_retry_after_stops_the_client_for_at_most_max_pause() {
    let mut h = Host::new(config());
    let max_pause = LimiterConfig::default().max_pause_ms;
    let call = h.start(get("/a"));
    h.advance_to(10);
    h.respond(call, 1, 429, &[("Retry-After", "31536000")]);
    let f = h.failure_of(call);
    assert_eq!(
        f.retry_after_ms,
        Some(31_536_000_000),
        "the call reports the full delay"
    );
    let health = h.engine.health(Millis(10)).limiter;
    assert_eq!(health.held_until, Some(Millis(10 + max_pause)));
    assert_eq!(health.pause_asked_until, Some(Millis(10 + 31_536_000_000)));
    let other = h.start(get("/b"));
    h.advance_to(10 + max_pause + 5_000);
    assert_eq!(h.sends_of(other), [10 + max_pause]);
    assert!(h
        .engine
        .health(Millis(h.now))
        .limiter
        .pause_asked_until
        .is_none());
}

#[test]
fn retry_after_pauses_everyone_only_on_429_and_503() {
    for (status, shared) in [
        (404, false),
        (400, false),
        (409, false),
        (429, true),
        (503, true),
    ] {
        let mut cfg = config();
        cfg.retry.max_retries = 0;
        cfg.limiter.per_second = 1000.0;
        let mut h = Host::new(cfg);
        let call = h.start(get("/a"));
        h.advance_to(10);
        h.respond(call, 1, status, &[("Retry-After", "30")]);
        let other = h.start(get("/b"));
        h.advance_to(40_000);
        let sent = h.sends_of(other);
        if shared {
            assert_eq!(sent, [30_010], "{status} pauses every call");
        } else {
            assert_eq!(sent, [10], "{status} is that request's own business");
        }
    }
}

#[test]
fn a_permanent_501_endpoint_does_not_cut_off_the_others() {
    let mut h = Host::new(config());
    for _ in 0..10 {
        let call = h.start(get("/v3/application/unimplemented"));
        h.advance_to(h.now + 200);
        h.respond(call, 1, 501, &[]);
        assert!(matches!(
            h.failure_of(call).kind,
            FailureKind::GaveUp {
                reason: GiveUp::NotRetryable
            }
        ));
    }
    assert_eq!(h.engine.health(Millis(h.now)).circuit, CircuitState::Closed);
    let shops = h.start(get("/v3/application/shops/1"));
    assert_eq!(h.sends_of(shops).len(), 1);
    // 505 is as permanent; a 500 is not.
    let call = h.start(get("/x"));
    h.respond(call, 1, 505, &[]);
    assert_eq!(h.engine.health(Millis(h.now)).circuit, CircuitState::Closed);
}

// ----- snapshot and restore --------------------------------------------------------

/// A client that ran for an hour and opened its circuit (openMs 60 s) at
/// host instant 3 600 000; its snapshot at that instant, wall clock 1.7e12.
fn an_hour_in_with_an_open_circuit() -> (EngineConfig, Snapshot) {
    let mut cfg = config();
    cfg.retry.max_retries = 0;
    let mut h = Host::new(cfg);
    h.advance_to(3_600_000);
    for _ in 0..5 {
        let _ = h.call_answered(get("/a"), 503);
    }
    assert_eq!(h.engine.health(Millis(h.now)).circuit, CircuitState::Open);
    let open_until = h.engine.health(Millis(h.now)).circuit_open_until.unwrap();
    assert_eq!(open_until.as_u64(), h.now + 60_000);
    (
        cfg,
        h.engine
            .snapshot(Millis(h.now), UnixMillis(1_700_000_000_000)),
    )
}

#[test]
fn a_restarted_clock_sees_exactly_the_wall_clock_time_that_passed() {
    let (cfg, saved) = an_hour_in_with_an_open_circuit();
    // A new process 30 s later whose monotonic clock starts again at 5.
    let e = Engine::restore(cfg, saved, Millis(5), UnixMillis(1_700_000_030_000)).unwrap();
    let mut h = Host::around(e, 5);
    let health = h.engine.health(Millis(5));
    assert_eq!(health.circuit, CircuitState::Open);
    assert_eq!(
        health.circuit_open_until,
        Some(Millis(30_005)),
        "30 s of 60 s left"
    );
    let early = h.start(get("/a"));
    assert!(h.sends_of(early).is_empty());
    assert_eq!(h.failure_of(early).kind, FailureKind::CircuitOpen);
    h.advance_to(30_005);
    let probe = h.start(get("/a"));
    assert_eq!(
        h.sends_of(probe),
        [30_005],
        "probes when the open time is up"
    );
    h.respond(probe, 1, 200, &[]);
    let _ = h.call_answered(get("/a"), 200);
    assert_eq!(h.engine.health(Millis(h.now)).circuit, CircuitState::Closed);
}

#[test]
fn a_restored_client_does_not_book_its_next_request_an_hour_ahead() {
    let mut cfg = config();
    cfg.limiter.per_second = 1.0;
    let mut h = Host::new(cfg);
    h.advance_to(3_600_000);
    for _ in 0..3 {
        let _ = h.start(get("/a"));
    }
    let saved = h
        .engine
        .snapshot(Millis(3_600_000), UnixMillis(1_700_000_000_000));
    let e = Engine::restore(cfg, saved, Millis(0), UnixMillis(1_700_000_010_000)).unwrap();
    let mut h = Host::around(e, 0);
    let call = h.start(get("/a"));
    assert_eq!(
        h.sends_of(call),
        [0],
        "ten seconds later, a slot is free at once"
    );
}

#[test]
fn slots_booked_by_a_dead_process_do_not_hold_up_the_new_one() {
    let mut cfg = config();
    cfg.limiter.per_second = 1.0;
    let mut h = Host::new(cfg);
    h.advance_to(3_600_000);
    for _ in 0..5 {
        let _ = h.start(get("/a")); // one sent, four booked for the next 4 s
    }
    let saved = h
        .engine
        .snapshot(Millis(3_600_000), UnixMillis(1_700_000_000_000));
    // Restored at once: the one request really sent still paces the next.
    let e = Engine::restore(cfg, saved, Millis(0), UnixMillis(1_700_000_000_000)).unwrap();
    let mut h = Host::around(e, 0);
    let call = h.start(get("/a"));
    h.advance_to(10_000);
    assert_eq!(h.sends_of(call), [1_000], "not behind the four that died");
}

#[test]
fn the_engines_own_settings_are_checked_by_name() {
    let mut cfg = config();
    cfg.attempt_timeout_ms = 0;
    let err = Engine::new(cfg, Millis(0)).unwrap_err();
    assert_eq!(err.option(), Some("attemptTimeoutMs"));
}

#[test]
fn a_wall_clock_that_went_backwards_counts_as_no_time_passed() {
    let (cfg, saved) = an_hour_in_with_an_open_circuit();
    let e = Engine::restore(cfg, saved, Millis(7), UnixMillis(1_600_000_000_000)).unwrap();
    assert_eq!(e.health(Millis(7)).circuit_open_until, Some(Millis(60_007)));
}

#[test]
fn a_probe_in_flight_at_snapshot_time_does_not_hold_its_slot_after_restore() {
    let (cfg, saved) = an_hour_in_with_an_open_circuit();
    let e = Engine::restore(cfg, saved, Millis(0), UnixMillis(1_700_000_060_000)).unwrap();
    let mut h = Host::around(e, 0);
    let probe = h.start(get("/a"));
    assert_eq!(h.sends_of(probe), [0]);
    // Killed with the probe out.
    let saved = h.engine.snapshot(Millis(0), UnixMillis(1_700_000_060_000));
    let e = Engine::restore(cfg, saved, Millis(0), UnixMillis(1_700_000_061_000)).unwrap();
    let mut h = Host::around(e, 0);
    assert_eq!(h.engine.health(Millis(0)).circuits[0].probes_in_flight, 0);
    let next = h.start(get("/a"));
    assert_eq!(
        h.sends_of(next),
        [0],
        "a new probe goes; the circuit is not wedged"
    );
}

#[test]
fn requests_in_flight_at_snapshot_time_are_not_in_flight_after_restore() {
    // A burst of 3: before any answer, at most a burst goes.
    let mut cfg = config();
    cfg.limiter.burst = 3;
    let mut h = Host::new(cfg);
    for _ in 0..3 {
        let _ = h.start(get("/a"));
        h.advance_to(h.now + 100);
    }
    assert_eq!(h.engine.health(Millis(h.now)).limiter.in_flight, 3);
    let saved = h
        .engine
        .snapshot(Millis(h.now), UnixMillis(1_700_000_000_000));
    let e = Engine::restore(cfg, saved, Millis(0), UnixMillis(1_700_000_001_000)).unwrap();
    let mut h = Host::around(e, 0);
    assert_eq!(h.engine.health(Millis(0)).limiter.in_flight, 0);
    let call = h.start(get("/a"));
    h.respond(
        call,
        1,
        200,
        &[("x-remaining-today", "100"), ("x-limit-per-day", "10000")],
    );
    assert_eq!(
        h.engine.health(Millis(0)).limiter.server_day_remaining,
        Some(100),
        "not read as 3 lower"
    );
    assert_eq!(
        h.engine.health(Millis(0)).limiter.day_used,
        4,
        "but they stay counted"
    );
}

#[test]
fn restore_applies_the_new_configuration_to_every_machine() {
    let mut h = Host::new(config());
    let _ = h.call_answered(get("/a"), 200);
    let saved = h.engine.snapshot(Millis(0), UnixMillis(1_700_000_000_000));
    let mut cfg = config();
    cfg.retry.max_retries = 0;
    cfg.breaker.failure_threshold = 1;
    cfg.limiter.per_second = 1.0;
    cfg.monitor.alert_threshold = 1;
    let e = Engine::restore(cfg, saved, Millis(0), UnixMillis(1_700_000_000_000)).unwrap();
    let mut h = Host::around(e, 0);
    let first = h.start(get("/a"));
    let second = h.start(get("/a"));
    h.advance_to(5_000);
    let (t1, t2) = (h.sends_of(first)[0], h.sends_of(second)[0]);
    assert!(t2 >= t1 + 1_000, "paced at the new 1/s: {t1} then {t2}");
    h.respond(first, 1, 503, &[]);
    let now = Millis(h.now);
    assert_eq!(
        h.engine.health(now).circuit,
        CircuitState::Open,
        "one failure opens"
    );
    assert!(
        h.events.iter().any(|e| matches!(e, Event::Alert(_))),
        "one error alerts"
    );
    let third = h.start(get("/a"));
    assert_eq!(
        h.failure_of(third).kind,
        FailureKind::CircuitOpen,
        "no retries now"
    );
    // A bad new configuration is refused by name.
    let mut bad = config();
    bad.limiter.max_pause_ms = u64::MAX;
    let saved = h.engine.snapshot(now, UnixMillis(1_700_000_005_000));
    let err = Engine::restore(bad, saved, Millis(0), UnixMillis(1_700_000_002_000)).unwrap_err();
    assert!(err.to_string().contains("limiter.maxPauseMs"), "{err}");
}

// ----- monitor and secrets ----------------------------------------------------------

#[test]
fn an_alert_recovers_as_its_window_drains_with_no_new_call() {
    let mut cfg = config();
    cfg.monitor = MonitorConfig {
        window_ms: 10_000,
        buckets: 10,
        alert_threshold: 2,
        ..MonitorConfig::default()
    };
    let mut h = Host::new(cfg);
    for _ in 0..2 {
        let _ = h.call_answered(get("/a"), 404);
    }
    assert!(h.events.iter().any(|e| matches!(e, Event::Alert(_))));
    assert!(h.engine.health(Millis(0)).monitor.alerting);
    assert!(h.engine.poll_timeout().is_some(), "a timer while alerting");
    h.advance_to(12_000);
    assert!(
        h.events.iter().any(|e| matches!(e, Event::Recovered(_))),
        "recovered without any new call"
    );
    assert!(!h.engine.health(Millis(h.now)).monitor.alerting);
    assert_eq!(h.engine.poll_timeout(), None, "no timer once recovered");
}

#[test]
fn a_secret_echoed_across_the_cut_leaves_no_prefix_behind() {
    let secret = "sk_live_0123456789abcdef";
    let mut h = Host::new(config());
    h.engine.add_secret(secret);
    let body = format!(
        "{{\"error\": \"{}{secret} is not valid\"}}",
        "x".repeat(steadfast_core::body::MAX_MESSAGE_CHARS - 8)
    );
    let call = h.start(get("/a"));
    h.respond_with(call, 1, 401, &[], Some(&body));
    let message = h.failure_of(call).message.clone().unwrap();
    assert!(!message.contains("sk_live"), "{message}");
    for k in 3..secret.len() {
        assert!(!message.ends_with(&secret[..k]), "prefix of {k} chars left");
    }
    let recent = h.engine.health(Millis(0)).monitor.most_recent.unwrap();
    assert!(!recent.message.unwrap().contains("sk_live"));
    // A host passing other server text on scrubs it the same way.
    assert_eq!(h.engine.scrub(&format!("key={secret}")), "key=[redacted]");
}

// ----- breakers per endpoint -------------------------------------------------------

#[test]
fn a_failing_endpoint_does_not_cut_off_a_healthy_one_with_endpoint_scope() {
    let mut cfg = config();
    cfg.retry.max_retries = 0;
    cfg.breaker = BreakerConfig {
        scope: BreakerScope::Endpoint,
        ..BreakerConfig::default()
    };
    let mut h = Host::new(cfg);
    for i in 0..5 {
        let path = format!("/listings/{}", 1000 + i);
        let _ = h.call_answered(get(&path), 503);
    }
    let listings = h.start(get("/listings/2000"));
    assert!(h.sends_of(listings).is_empty());
    assert_eq!(h.failure_of(listings).kind, FailureKind::CircuitOpen);
    let shops = h.start(get("/shops/7"));
    h.advance_to(h.now + 200);
    assert_eq!(h.sends_of(shops).len(), 1, "another endpoint still goes");
    let health = h.engine.health(Millis(0));
    assert_eq!(health.circuit, CircuitState::Open, "the worst circuit");
    let open: Vec<_> = health
        .circuits
        .iter()
        .filter(|c| c.state == CircuitState::Open)
        .map(|c| c.endpoint.clone())
        .collect();
    assert_eq!(open, [Some("/listings/{id}".to_owned())]);
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::StateChange { endpoint: Some(ep), change } if ep == "/listings/{id}" && change.to == CircuitState::Open
    )));
    let saved = h.engine.snapshot(Millis(0), UnixMillis(1_700_000_000_000));
    // Only the circuit that knows something: /shops/{id} is closed with
    // no failure counted.
    assert_eq!(saved.circuits.len(), 1);
    assert_eq!(
        saved.circuits[0].endpoint.as_deref(),
        Some("/listings/{id}")
    );
    let e = Engine::restore(cfg, saved, Millis(0), UnixMillis(1_700_000_000_000)).unwrap();
    let mut h = Host::around(e, 0);
    let again = h.start(get("/listings/3"));
    assert!(h.sends_of(again).is_empty(), "still open after restore");
}

#[test]
fn breakers_per_endpoint_are_bounded_in_number() {
    let mut cfg = config();
    cfg.breaker = BreakerConfig {
        scope: BreakerScope::Endpoint,
        max_breakers: 3,
        ..BreakerConfig::default()
    };
    let mut h = Host::new(cfg);
    for i in 0..20 {
        let path = format!("/resource{i}/x");
        let _ = h.call_answered(get(&path), 200);
    }
    assert_eq!(h.engine.health(Millis(0)).circuits.len(), 3);
}

// ----- the waits, one rule at a time -------------------------------------------------
//
// Each test below pins one rule of how a call waits (for the circuit, in
// line, through a pause) or of what an input means; mutation testing
// (`make mutants`) found them unpinned.

/// A client whose circuit is open until 30 004 (five 503s by then; openMs
/// 30 s), standing at the instant it opened.
fn open_circuit(mut cfg: EngineConfig) -> Host {
    cfg.breaker.open_ms = 30_000;
    cfg.limiter.per_second = 1000.0;
    let mut h = Host::new(cfg);
    for i in 0..5 {
        // Each trip call's own deadline leaves no room for a retry.
        let _ = h.call_answered(get_by("/trip", 500), 503);
        assert_eq!(h.now, i);
    }
    let open_until = h.engine.health(Millis(4)).circuit_open_until;
    assert_eq!(open_until, Some(Millis(30_004)));
    h
}

#[test]
fn a_transport_failure_is_classified_and_retried_at_once() {
    let mut h = Host::new(config());
    let call = h.start(get("/a"));
    h.advance_to(50);
    h.engine.handle_failure(
        call,
        1,
        steadfast_core::TransportFailure::ConnectRefused,
        Millis(50),
    );
    h.pump();
    assert!(h.events.iter().any(|e| matches!(
        e,
        Event::Retry {
            attempt: 1,
            delay_ms: 1_000,
            category: steadfast_core::Category::Network,
            status: None,
            ..
        }
    )));
    h.advance_to(1_050);
    assert_eq!(
        h.sends_of(call),
        [0, 1_050],
        "retried after the backoff, not the timeout"
    );
}

#[test]
fn an_earlier_attempts_late_answer_does_not_settle_the_current_one() {
    let mut h = Host::new(config());
    let call = h.start(RequestMeta {
        timeout_ms: Some(100),
        ..get("/a")
    });
    h.advance_to(1_100); // attempt 1 timed out at 100; attempt 2 went at 1 100
    assert_eq!(h.sends_of(call), [0, 1_100]);
    h.respond(call, 1, 200, &[]);
    assert!(
        h.result_of(call).is_none(),
        "attempt 1's answer is not attempt 2's"
    );
    h.respond(call, 2, 200, &[]);
    assert!(matches!(h.result_of(call), Some(Ok(200))));
}

#[test]
fn the_open_time_ends_exactly_at_circuit_open_until() {
    let h = open_circuit(config());
    let until = h.engine.health(Millis(4)).circuit_open_until.unwrap();
    assert_eq!(until, Millis(30_004));
    let at_end = h.engine.health(until);
    assert_eq!(at_end.circuit, CircuitState::HalfOpen);
    assert_eq!(
        at_end.circuit_open_until, None,
        "no open time left at its end"
    );
    assert_eq!(
        h.engine.health(Millis(30_003)).circuit_open_until,
        Some(Millis(30_004))
    );
}

#[test]
fn a_call_with_retries_left_waits_for_the_half_open_moment_and_spends_a_retry() {
    let mut cfg = config();
    cfg.retry.max_retries = 1;
    let mut h = open_circuit(cfg);
    let call = h.start(get("/a"));
    assert!(
        h.result_of(call).is_none(),
        "it waits, within the 60 s backoff cap"
    );
    h.advance_to(30_004);
    assert_eq!(h.sends_of(call), [30_004], "sent as the probe");
    h.respond(call, 1, 503, &[]);
    // The wait for the circuit spent its one retry: the probe's failure ends it.
    assert!(matches!(
        h.failure_of(call).kind,
        FailureKind::GaveUp {
            reason: GiveUp::AttemptsExhausted
        }
    ));
}

#[test]
fn a_call_without_retries_fails_fast_on_an_open_circuit() {
    let mut cfg = config();
    cfg.retry.max_retries = 0;
    let mut h = open_circuit(cfg);
    let call = h.start(get("/a"));
    let f = h.failure_of(call);
    assert_eq!(f.kind, FailureKind::CircuitOpen);
    assert_eq!(f.retry_after_ms, Some(30_000));
}

#[test]
fn the_half_open_moment_must_fall_before_the_deadline_and_within_the_backoff_cap() {
    let mut h = open_circuit(config());
    let due_then = h.start(get_by("/a", 30_000)); // the moment is its deadline
    assert_eq!(h.failure_of(due_then).kind, FailureKind::CircuitOpen);
    let before = h.start(get_by("/a", 30_001));
    assert!(h.result_of(before).is_none());
    let mut cfg = config();
    cfg.retry.backoff.max_delay_ms = 30_000;
    let mut h = open_circuit(cfg);
    let at_cap = h.start(get("/a"));
    assert!(
        h.result_of(at_cap).is_none(),
        "a wait of exactly the cap is within it"
    );
    let mut cfg = config();
    cfg.retry.backoff.max_delay_ms = 29_999;
    let mut h = open_circuit(cfg);
    let beyond_cap = h.start(get("/a"));
    assert_eq!(h.failure_of(beyond_cap).kind, FailureKind::CircuitOpen);
}

#[test]
fn while_the_probe_is_out_others_look_again_a_bounded_number_of_times() {
    let mut cfg = config();
    cfg.retry.max_retries = 2;
    let mut h = open_circuit(cfg);
    h.advance_to(30_004);
    let probe = h.start(get("/a"));
    assert_eq!(h.sends_of(probe), [30_004]);
    let other = h.start(get("/b"));
    // It looks again every base delay (1 s), spending no retry, at most
    // max_retries + 1 = 3 times; the fourth refusal ends it.
    h.advance_to(32_500);
    assert!(h.result_of(other).is_none());
    h.advance_to(33_004);
    let f = h.failure_of(other);
    assert_eq!(f.kind, FailureKind::CircuitOpen);
    assert_eq!(h.done.last().unwrap().0, 33_004);
    assert!(h.sends_of(other).is_empty());
}

#[test]
fn a_long_line_comes_back_later_and_everyone_goes_in_order() {
    let mut cfg = config();
    cfg.limiter.per_second = 1.0;
    let mut h = Host::new(cfg);
    // More than a minute of line (the daily quota's window counts in
    // one-minute buckets): everyone is booked at once, in order.
    let patient = RequestMeta {
        timeout_ms: Some(3_600_000),
        ..get("/a")
    };
    let calls: Vec<CallId> = (0..90).map(|_| h.start(patient)).collect();
    h.advance_to(200_000);
    let firsts: Vec<u64> = calls.iter().map(|c| h.sends_of(*c)[0]).collect();
    assert!(
        firsts.windows(2).all(|w| w[0] < w[1]),
        "in order: {firsts:?}"
    );
    assert_eq!(firsts[89], 89_000);
    // One whose deadline comes before its turn is told at once.
    let mut h = Host::new(cfg);
    for _ in 0..90 {
        let _ = h.start(patient);
    }
    // The 91st caller's turn is at 90 s.
    let late = h.start(RequestMeta {
        deadline_ms: Some(90_000),
        ..patient
    });
    assert_eq!(h.failure_of(late).kind, FailureKind::DeadlineExceeded);
    assert_eq!(h.done.last().unwrap().0, 0);
    let in_time = h.start(RequestMeta {
        deadline_ms: Some(90_001),
        ..patient
    });
    assert!(
        h.result_of(in_time).is_none(),
        "it takes the turn given back, before its deadline"
    );
    h.advance_to(100_000);
    assert_eq!(h.sends_of(in_time), [90_000]);
}

#[test]
fn a_pause_that_ends_at_or_after_the_deadline_fails_the_call_at_once() {
    for (deadline, waits) in [(30_010u64, false), (30_011, true)] {
        let mut cfg = config();
        cfg.limiter.per_second = 1000.0;
        cfg.retry.max_retries = 0;
        let mut h = Host::new(cfg);
        let first = h.start(get("/a"));
        h.advance_to(10);
        h.respond(first, 1, 429, &[("Retry-After", "30")]); // pause until 30 010
        let call = h.start(get_by("/b", deadline - 10));
        if waits {
            assert!(h.result_of(call).is_none());
            h.advance_to(30_010);
            assert_eq!(h.sends_of(call), [30_010]);
        } else {
            let f = h.failure_of(call);
            assert_eq!(f.kind, FailureKind::RateLimited);
            assert_eq!(f.retry_after_ms, Some(30_000));
        }
    }
}

#[test]
fn a_call_waits_through_at_most_max_retries_plus_one_pauses() {
    let mut cfg = config();
    cfg.retry.max_retries = 1; // so at most 2 pauses
    cfg.limiter.per_second = 1000.0;
    cfg.limiter.burst = 3; // before any answer, at most a burst goes
    let mut h = Host::new(cfg);
    // Three requests in flight, whose 429s will pause everyone in turn.
    let others: Vec<CallId> = (0..3).map(|_| h.start(get("/o"))).collect();
    h.advance_to(10);
    assert!(others.iter().all(|c| h.sends_of(*c).len() == 1));
    h.respond(others[0], 1, 429, &[("Retry-After", "5")]); // pause until 5 010
    h.advance_to(100);
    let waiter = h.start(get("/w"));
    h.advance_to(5_000);
    h.respond(others[1], 1, 429, &[("Retry-After", "5")]); // until 10 000
    h.advance_to(9_990);
    h.respond(others[2], 1, 429, &[("Retry-After", "5")]); // until 14 990
    h.advance_to(10_000);
    let waits = h
        .events
        .iter()
        .filter(|e| matches!(e, Event::RateLimited { call, .. } if *call == waiter))
        .count();
    assert_eq!(waits, 2);
    let f = h.failure_of(waiter);
    assert_eq!(f.kind, FailureKind::RateLimited);
    assert_eq!(f.retry_after_ms, Some(4_990));
    assert_eq!(
        h.done.iter().find(|(_, c, _)| *c == waiter).unwrap().0,
        10_000
    );
}

#[test]
fn a_budget_refills_from_first_attempts_only() {
    let mut cfg = config();
    cfg.budget = Some(steadfast_core::retry::RetryBudgetConfig {
        ratio: 1.0,
        min_retries_per_second: 0.0,
        max_tokens: 1.0,
    });
    let mut h = Host::new(cfg);
    let call = h.start(get("/a"));
    h.respond(call, 1, 503, &[]); // the one token pays for a retry
    h.advance_to(1_000);
    assert_eq!(h.sends_of(call), [0, 1_000]);
    h.respond(call, 2, 503, &[]); // a retry deposits nothing
    assert!(matches!(
        h.failure_of(call).kind,
        FailureKind::GaveUp {
            reason: GiveUp::BudgetExhausted
        }
    ));
}

#[test]
fn a_snapshot_taken_with_a_stale_now_is_taken_at_the_latest_instant_seen() {
    let (cfg, _) = an_hour_in_with_an_open_circuit();
    let mut h = Host::new(cfg);
    h.advance_to(3_600_000);
    for _ in 0..5 {
        let _ = h.call_answered(get("/a"), 503);
    }
    let opened = h.now;
    // The host passes an old `now` (it read its clock before the last event).
    let saved = h.engine.snapshot(Millis(0), UnixMillis(1_700_000_000_000));
    let e = Engine::restore(cfg, saved, Millis(0), UnixMillis(1_700_000_000_000)).unwrap();
    assert_eq!(
        e.health(Millis(0)).circuit_open_until,
        Some(Millis(60_000)),
        "the full open time left, not an hour more"
    );
    assert_eq!(
        h.engine.health(Millis(opened)).circuit_open_until,
        Some(Millis(opened + 60_000))
    );
}

#[test]
fn every_secret_is_scrubbed_and_short_values_are_not_secrets() {
    let mut h = Host::new(config());
    h.engine.add_secret("sk_live_first_one");
    h.engine.add_secret("Bearer second-token");
    h.engine.add_secret("sk_live_first_one"); // registered once
    h.engine.add_secret("key"); // too short: it would scrub ordinary words
    let body = r#"{"error": "the key sk_live_first_one and Bearer second-token were refused"}"#;
    let call = h.start(get("/a"));
    h.respond_with(call, 1, 401, &[], Some(body));
    assert_eq!(
        h.failure_of(call).message.as_deref(),
        Some("the key [redacted] and [redacted] were refused")
    );
}
