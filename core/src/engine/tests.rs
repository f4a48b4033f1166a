use super::*;
use crate::breaker::{BreakerConfig, CircuitState};
use crate::limiter::LimiterConfig;
use crate::retry::{BackoffConfig, Jitter, RetryConfig};
use alloc::vec;
use alloc::vec::Vec;

fn config() -> EngineConfig {
    EngineConfig {
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

fn engine(config: EngineConfig) -> Engine {
    Engine::new(config, Millis(0)).unwrap()
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

fn post(key: bool) -> RequestMeta<'static> {
    RequestMeta {
        method: Method::Post,
        endpoint: "/shops/1/listings",
        idempotency_key: key,
        timeout_ms: Some(5_000),
        deadline_ms: None,
    }
}

fn status(code: u16) -> ResponseMeta<'static> {
    ResponseMeta {
        status: code,
        headers: &[],
        body: None,
        wall: None,
    }
}

fn drain(e: &mut Engine) -> Vec<Output> {
    core::iter::from_fn(|| e.poll_output()).collect()
}

fn sends(outputs: &[Output]) -> Vec<u32> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect()
}

fn done(outputs: &[Output]) -> Vec<&Result<CallSuccess, CallFailure>> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Done { result, .. } => Some(result),
            _ => None,
        })
        .collect()
}

fn failure(outputs: &[Output]) -> &CallFailure {
    match done(outputs).as_slice() {
        [Err(f)] => f,
        other => panic!("expected one failure, got {other:?}"),
    }
}

/// Fires every timer up to `until`, answering each send with `answer`.
fn run(
    e: &mut Engine,
    until: u64,
    mut answer: impl FnMut(CallId, u32, Millis) -> Option<ResponseMeta<'static>>,
) -> Vec<(Millis, Output)> {
    let mut log = Vec::new();
    let mut now = Millis(0);
    loop {
        while let Some(o) = e.poll_output() {
            if let Output::Send { call, attempt, .. } = o {
                if let Some(r) = answer(call, attempt, now) {
                    e.handle_response(call, attempt, r, now);
                }
            }
            log.push((now, o));
        }
        match e.poll_timeout() {
            Some(t) if t.as_u64() <= until => {
                now = t;
                e.handle_timeout(now);
            }
            _ => return log,
        }
    }
}

#[test]
fn a_call_in_progress_is_named_by_its_endpoint_until_it_ends() {
    let mut e = engine(config());
    let call = e.start(get("https://h/v3/listings/7?x=1"), Millis(0));
    assert_eq!(e.endpoint_of(call).map(|n| &**n), Some("/v3/listings/{id}"));
    drain(&mut e);
    e.handle_response(call, 1, status(200), Millis(30));
    drain(&mut e);
    assert_eq!(e.endpoint_of(call), None);
    e.close(Millis(40));
    let late = e.start(get("/listings/8"), Millis(50));
    assert_eq!(
        e.endpoint_of(late),
        None,
        "a call on a closed engine ended at once"
    );
}

#[test]
fn a_success_needs_one_attempt() {
    let mut e = engine(config());
    let call = e.start(get("/listings/1"), Millis(0));
    assert_eq!(sends(&drain(&mut e)), [1]);
    e.handle_response(call, 1, status(200), Millis(30));
    let out = drain(&mut e);
    assert_eq!(
        done(&out),
        [&Ok(CallSuccess {
            status: 200,
            attempts: 1
        })]
    );
    assert_eq!(e.health(Millis(30)).active_calls, 0);
}

#[test]
fn a_server_error_is_retried_after_the_backoff_not_before() {
    let mut e = engine(config());
    e.start(get("/listings/1"), Millis(0));
    let log = run(&mut e, 100_000, |_, attempt, _| {
        Some(status(if attempt < 3 { 503 } else { 200 }))
    });
    let send_times: Vec<u64> = log
        .iter()
        .filter(|(_, o)| matches!(o, Output::Send { .. }))
        .map(|(t, _)| t.as_u64())
        .collect();
    assert_eq!(send_times, [0, 1000, 3000], "1 s then 2 s, no jitter");
    let retries = log
        .iter()
        .filter(|(_, o)| matches!(o, Output::Event(Event::Retry { .. })))
        .count();
    assert_eq!(retries, 2);
    let outs: Vec<Output> = log.into_iter().map(|(_, o)| o).collect();
    assert_eq!(
        done(&outs),
        [&Ok(CallSuccess {
            status: 200,
            attempts: 3
        })]
    );
}

#[test]
fn seed_defect_06_a_post_that_timed_out_is_not_sent_again() {
    let mut e = engine(config());
    e.start(post(false), Millis(0));
    let log = run(&mut e, 600_000, |_, _, _| None); // never answered: times out
    let outs: Vec<Output> = log.into_iter().map(|(_, o)| o).collect();
    assert_eq!(sends(&outs), [1], "sent once, never repeated");
    assert!(outs
        .iter()
        .any(|o| matches!(o, Output::Abort { attempt: 1, .. })));
    let f = failure(&outs);
    assert_eq!(
        f.kind,
        FailureKind::GaveUp {
            reason: GiveUp::WouldDuplicateWrite
        }
    );
    assert_eq!(f.category, Some(crate::Category::Timeout));
    assert!(!f.retryable);

    // With an idempotency key the server deduplicates: retried.
    let mut e = engine(config());
    e.start(post(true), Millis(0));
    let outs: Vec<Output> = run(&mut e, 600_000, |_, _, _| None)
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    assert_eq!(sends(&outs), [1, 2, 3, 4]);
}

#[test]
fn seed_defect_08_the_retry_configuration_given_is_the_one_used() {
    // The seed's @retry() built a fresh default RetryConfig and ignored the
    // client's own.
    let mut cfg = config();
    cfg.retry.max_retries = 1;
    let mut e = engine(cfg);
    e.start(get("/x"), Millis(0));
    let outs: Vec<Output> = run(&mut e, 600_000, |_, _, _| Some(status(500)))
        .into_iter()
        .map(|(_, o)| o)
        .collect();
    assert_eq!(sends(&outs), [1, 2]);
    assert_eq!(
        failure(&outs).kind,
        FailureKind::GaveUp {
            reason: GiveUp::AttemptsExhausted
        }
    );
}

#[test]
fn an_open_circuit_fails_fast_without_sending() {
    let mut cfg = config();
    cfg.retry.max_retries = 0;
    let mut e = engine(cfg);
    for i in 0..5 {
        let t = Millis(i * 103); // the limiter paces at 10 a second (102.1 ms apart)
        let c = e.start(get("/x"), t);
        let out = drain(&mut e);
        assert_eq!(sends(&out), [1]);
        e.handle_response(c, 1, status(503), t);
        drain(&mut e);
    }
    assert_eq!(e.health(Millis(413)).circuit, CircuitState::Open);
    e.start(get("/x"), Millis(413));
    let out = drain(&mut e);
    assert!(sends(&out).is_empty());
    let f = failure(&out);
    assert_eq!(f.kind, FailureKind::CircuitOpen);
    assert_eq!(f.retry_after_ms, Some(59_999));
}

#[test]
fn a_call_with_retries_waits_for_the_half_open_moment_and_probes() {
    let mut cfg = config();
    cfg.breaker = BreakerConfig {
        failure_threshold: 1,
        open_ms: 5_000,
        success_threshold: 1,
        ..BreakerConfig::default()
    };
    let mut e = engine(cfg);
    e.start(get("/x"), Millis(0));
    // First attempt 503: opens. The retry (1 s backoff) finds it open and
    // waits until 5 s, then probes and succeeds.
    let log = run(&mut e, 100_000, |_, attempt, _| {
        Some(status(if attempt == 1 { 503 } else { 200 }))
    });
    let send_times: Vec<u64> = log
        .iter()
        .filter(|(_, o)| matches!(o, Output::Send { .. }))
        .map(|(t, _)| t.as_u64())
        .collect();
    assert_eq!(send_times, [0, 5_000]);
    assert_eq!(e.health(Millis(5_000)).circuit, CircuitState::Closed);
}

#[test]
fn late_answers_and_cancellation_end_a_call_exactly_once() {
    let mut e = engine(config());
    let call = e.start(get("/x"), Millis(0));
    drain(&mut e);
    e.cancel(call, Millis(10));
    let out = drain(&mut e);
    assert!(
        matches!(out.as_slice(), [Output::Abort { attempt: 1, .. }, Output::Done { result: Err(f), .. }] if f.kind == FailureKind::Cancelled)
    );
    e.handle_response(call, 1, status(200), Millis(20));
    e.cancel(call, Millis(30));
    assert!(drain(&mut e).is_empty(), "nothing after the end");
    assert_eq!(e.health(Millis(30)).in_flight, 0);
    assert_eq!(e.health(Millis(30)).limiter.in_flight, 0);
}

#[test]
fn a_timed_out_attempt_is_aborted_and_its_late_answer_ignored() {
    let mut e = engine(config());
    let call = e.start(get("/x"), Millis(0));
    drain(&mut e);
    e.handle_timeout(Millis(30_000));
    let out = drain(&mut e);
    assert!(matches!(out[0], Output::Abort { attempt: 1, .. }));
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Event(Event::Retry {
            category: crate::Category::Timeout,
            ..
        })
    )));
    e.handle_response(call, 1, status(200), Millis(30_500));
    assert!(
        drain(&mut e).is_empty(),
        "attempt 1's late answer is ignored"
    );
}

#[test]
fn hostile_retry_after_ends_the_call_and_pauses_the_client_for_at_most_max_pause() {
    let mut e = engine(config());
    let call = e.start(get("/x"), Millis(0));
    drain(&mut e);
    let year = [("Retry-After", "31536000")];
    e.handle_response(
        call,
        1,
        ResponseMeta {
            status: 429,
            headers: &year,
            body: Some("<html>"),
            wall: None,
        },
        Millis(10),
    );
    let out = drain(&mut e);
    let f = failure(&out);
    assert_eq!(f.retry_after_ms, Some(31_536_000_000));
    assert!(matches!(
        f.kind,
        FailureKind::GaveUp {
            reason: GiveUp::RetryAfterTooLong { .. }
        }
    ));
    // The next call waits out the pause, clamped to `maxPauseMs`, then goes.
    let pause_end = Millis(10 + LimiterConfig::default().max_pause_ms);
    e.start(get("/y"), Millis(20));
    let out = drain(&mut e);
    assert!(sends(&out).is_empty());
    assert!(out.iter().any(
        |o| matches!(o, Output::Event(Event::RateLimited { until, .. }) if *until == pause_end)
    ));
    let h = e.health(Millis(20)).limiter;
    assert_eq!(h.held_until, Some(pause_end));
    assert_eq!(h.pause_asked_until, Some(Millis(10 + 31_536_000_000)));
    e.handle_timeout(pause_end);
    assert_eq!(sends(&drain(&mut e)), [1]);
}

#[test]
fn a_spent_quota_fails_fast_with_when_to_come_back() {
    let mut cfg = config();
    cfg.limiter = LimiterConfig {
        per_day: Some(2),
        buffer_ratio: 0.0,
        ..LimiterConfig::default()
    };
    let mut e = engine(cfg);
    for t in [0, 200] {
        let c = e.start(get("/x"), Millis(t));
        let _ = drain(&mut e);
        e.handle_timeout(Millis(t + 100));
        for o in drain(&mut e) {
            if let Output::Send { attempt, .. } = o {
                e.handle_response(c, attempt, status(200), Millis(t + 100));
            }
        }
        drain(&mut e);
    }
    e.start(get("/x"), Millis(1000));
    let out = drain(&mut e);
    let f = failure(&out);
    assert_eq!(f.kind, FailureKind::QuotaExhausted);
    assert!(f.retry_after_ms.unwrap() > 86_000_000);
}

#[test]
fn the_deadline_bounds_every_wait() {
    let mut cfg = config();
    cfg.retry.deadline_ms = Some(2_500);
    let mut e = engine(cfg);
    e.start(get("/x"), Millis(0));
    let log = run(&mut e, 100_000, |_, _, _| Some(status(503)));
    let last_send = log
        .iter()
        .filter(|(_, o)| matches!(o, Output::Send { .. }))
        .map(|(t, _)| *t)
        .max();
    assert_eq!(
        last_send,
        Some(Millis(1000)),
        "the 2 s backoff at 1 s would pass the deadline"
    );
    let outs: Vec<Output> = log.into_iter().map(|(_, o)| o).collect();
    assert!(matches!(
        failure(&outs).kind,
        FailureKind::GaveUp {
            reason: GiveUp::DeadlineExceeded { .. }
        }
    ));
}

#[test]
fn seed_defect_16_health_reports_only_measured_state() {
    // The seed reported `session_active: True` whatever happened.
    let mut e = engine(config());
    let idle = e.health(Millis(0));
    assert_eq!(
        (idle.active_calls, idle.in_flight, idle.monitor.total_calls),
        (0, 0, 0)
    );
    let call = e.start(get("/x"), Millis(0));
    drain(&mut e);
    let busy = e.health(Millis(1));
    assert_eq!(
        (busy.active_calls, busy.in_flight, busy.limiter.in_flight),
        (1, 1, 1)
    );
    e.handle_response(call, 1, status(404), Millis(2));
    drain(&mut e);
    let after = e.health(Millis(3));
    assert_eq!(
        (
            after.active_calls,
            after.in_flight,
            after.monitor.total_errors
        ),
        (0, 0, 1)
    );
    assert_eq!(
        after.circuit,
        CircuitState::Closed,
        "a 404 is not the service failing"
    );
}

#[test]
fn secrets_never_reach_errors_or_the_monitor() {
    let mut e = engine(config());
    e.add_secret("sk_live_ABCDEF123456");
    let call = e.start(get("/x"), Millis(0));
    drain(&mut e);
    let body = r#"{"error": "invalid api key sk_live_ABCDEF123456 for shop"}"#;
    e.handle_response(
        call,
        1,
        ResponseMeta {
            status: 403,
            headers: &[],
            body: Some(body),
            wall: None,
        },
        Millis(5),
    );
    let out = drain(&mut e);
    let f = failure(&out);
    assert_eq!(
        f.message.as_deref(),
        Some("invalid api key [redacted] for shop")
    );
    let recent = e.health(Millis(6)).monitor.most_recent.unwrap();
    assert!(!recent.message.unwrap().contains("sk_live"));
}

#[test]
fn a_snapshot_carries_an_open_circuit_across_a_restart() {
    let mut cfg = config();
    cfg.retry.max_retries = 0;
    let mut e = engine(cfg);
    let r = e.breakers.find(&Arc::from("/x"));
    e.breakers.get_mut(r).unwrap().force_open(Millis(0));
    let saved = e.snapshot(Millis(0), UnixMillis(1_000_000));
    let mut restored = Engine::restore(cfg, saved, Millis(100), UnixMillis(1_000_100)).unwrap();
    restored.start(get("/x"), Millis(100));
    let out = drain(&mut restored);
    assert!(sends(&out).is_empty());
    assert_eq!(failure(&out).kind, FailureKind::CircuitOpen);
    let _ = vec![0u8];
}

#[test]
fn the_engine_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Engine>();
    assert_send::<Output>();
}

#[test]
fn a_host_clock_set_back_an_hour_does_not_hold_calls_for_an_hour() {
    // A host whose clock is the wall clock (a `now` option of `Date.now`)
    // sees it set back by an hour. Treating the earlier instant as "time
    // stands still" would keep every timer waiting until the clock caught
    // up: the attempt below would time out an hour and 30 s later.
    let hour = 3_600_000;
    let mut e = Engine::new(config(), Millis(hour)).unwrap();
    let call = e.start(get("/x"), Millis(hour));
    assert_eq!(sends(&drain(&mut e)), [1]);
    assert_eq!(e.poll_timeout(), Some(Millis(hour + 30_000)));
    // The next reading of the clock is an hour less (10 000 instead of
    // 3 610 000): no time passed across the jump, as far as anyone can tell.
    e.handle_timeout(Millis(10_000));
    assert!(drain(&mut e).is_empty());
    // The attempt times out 30 s after it was sent, on the new clock.
    assert_eq!(e.poll_timeout(), Some(Millis(40_000)));
    e.handle_timeout(Millis(40_000));
    let out = drain(&mut e);
    assert!(
        matches!(out[0], Output::Abort { attempt: 1, .. }),
        "{out:?}"
    );
    // Its retry follows the backoff on the new clock, and the call ends.
    let log = run(&mut e, u64::MAX, |_, _, _| Some(status(200)));
    let ended: Vec<_> = log
        .iter()
        .filter_map(|(at, o)| match o {
            Output::Done { call: c, result } if *c == call => Some((*at, result.is_ok())),
            _ => None,
        })
        .collect();
    assert_eq!(ended, [(Millis(41_000), true)]);
    assert_eq!(e.health(Millis(41_000)).active_calls, 0);
}

#[test]
fn an_instant_slightly_behind_never_shortens_a_servers_pause() {
    // Out-of-order instants within a second (a host that read its clock
    // before a lock) are taken as time standing still: were they read as
    // the clock set back, every later instant would map further on, and a
    // server's pause would end early.
    let mut e = engine(config());
    let call = e.start(get("/x"), Millis(10_000));
    drain(&mut e);
    let retry_after = ResponseMeta {
        status: 503,
        headers: &[("Retry-After", "2")],
        body: None,
        wall: None,
    };
    e.handle_response(call, 1, retry_after, Millis(10_000));
    drain(&mut e);
    assert_eq!(
        e.health(Millis(10_000)).limiter.held_until,
        Some(Millis(12_000))
    );
    e.handle_timeout(Millis(9_200));
    assert_eq!(e.poll_timeout(), Some(Millis(12_000)));
    assert_eq!(
        e.health(Millis(10_000)).limiter.held_until,
        Some(Millis(12_000))
    );
}

#[test]
fn a_closed_failure_without_an_engine_is_the_closed_engines_own() {
    let mut e = engine(config());
    e.close(Millis(0));
    for (method, path) in [
        (
            Method::Post,
            "https://h/v3/shops/12/listings?api_key=sk_live_123456",
        ),
        (Method::Delete, "/listings/0f8e2d1c9b7a6e5d4c3b2a19"),
        (Method::Get, ""),
    ] {
        e.start(
            RequestMeta {
                method,
                ..get(path)
            },
            Millis(1),
        );
        let out = drain(&mut e);
        let [Output::Done {
            result: Err(failure),
            ..
        }] = out.as_slice()
        else {
            panic!("{out:?}");
        };
        let alone = CallFailure::closed(method, path);
        assert_eq!(*failure, alone, "{path}");
        assert_eq!(failure.report(), alone.report(), "{path}");
        assert!(
            !alone.endpoint.contains("sk_live"),
            "no query: {}",
            alone.endpoint
        );
    }
}

#[test]
fn closing_ends_every_call_once_and_every_later_one_at_once() {
    let mut e = engine(config());
    let sent = e.start(get("/a"), Millis(0));
    let waiting = e.start(get("/b"), Millis(0));
    let out = drain(&mut e);
    assert!(matches!(out.first(), Some(Output::Send { call, .. }) if *call == sent));
    e.close(Millis(5));
    assert!(e.is_closed());
    let out = drain(&mut e);
    // The attempt out is aborted; both calls end, each once, as closed.
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Abort { call, .. } if *call == sent)));
    let ended: Vec<(CallId, FailureKind)> = out
        .iter()
        .filter_map(|o| match o {
            Output::Done {
                call,
                result: Err(f),
            } => Some((*call, f.kind)),
            _ => None,
        })
        .collect();
    assert_eq!(ended.len(), 2);
    for id in [sent, waiting] {
        assert!(ended.contains(&(id, FailureKind::Closed)), "{id:?}");
    }
    // A call started after close ends at once, unsent.
    let late = e.start(get("/c"), Millis(6));
    let out = drain(&mut e);
    assert_eq!(out.len(), 1);
    match out.first() {
        Some(Output::Done {
            call,
            result: Err(f),
        }) => {
            assert_eq!((*call, f.kind, f.attempts), (late, FailureKind::Closed, 0));
            assert!(!f.report().retryable);
            assert_eq!(
                *f,
                CallFailure::closed(Method::Get, "/c"),
                "a host with no engine left answers the same failure"
            );
        }
        other => panic!("{other:?}"),
    }
    // A response to the aborted attempt changes nothing.
    e.handle_response(sent, 1, status(200), Millis(7));
    assert!(drain(&mut e).is_empty());
    assert_eq!(e.health(Millis(7)).active_calls, 0);
}

#[test]
fn a_call_s_own_limits_are_checked() {
    assert_eq!(RequestMeta::check_limits(None, None), Ok(()));
    assert_eq!(RequestMeta::check_limits(Some(1), Some(1)), Ok(()));
    assert_eq!(RequestMeta::check_limits(Some(86_400_000), None), Ok(()));
    for (t, d, option) in [
        (Some(0), None, "init.timeoutMs"),
        (Some(86_400_001), None, "init.timeoutMs"),
        (None, Some(0), "init.deadlineMs"),
    ] {
        let e = RequestMeta::check_limits(t, d).unwrap_err();
        assert_eq!(e.option(), Some(option));
    }
}
