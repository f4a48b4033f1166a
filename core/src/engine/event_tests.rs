//! The per-call events (attempt, success, failure) and `stats()`: what they
//! say, when, and that nothing is made while nobody listens.

use super::*;
use crate::classify::Category;
use crate::retry::{BackoffConfig, Jitter, RetryConfig};
use alloc::vec::Vec;

fn engine() -> Engine {
    let config = EngineConfig {
        retry: RetryConfig {
            backoff: BackoffConfig {
                jitter: Jitter::None,
                ..BackoffConfig::default()
            },
            ..RetryConfig::default()
        },
        budget: None,
        ..EngineConfig::default()
    };
    Engine::new(config, Millis(0)).unwrap()
}

const ALL: Listening = Listening {
    attempt: true,
    success: true,
    failure: true,
};

fn get(endpoint: &str) -> RequestMeta<'_> {
    RequestMeta {
        method: Method::Get,
        endpoint,
        idempotency_key: false,
        timeout_ms: Some(2_000),
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

fn events(outputs: &[Output]) -> Vec<Event> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Event(
                e @ (Event::Attempt { .. } | Event::Success { .. } | Event::Failure { .. }),
            ) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// A call answered 503 at 40 ms, retried after the 1 s backoff, then 200
/// 25 ms after its second send.
fn retried_then_ok(e: &mut Engine) -> (CallId, Vec<Output>) {
    let call = e.start(get("/listings/7"), Millis(0));
    let mut out = drain(e);
    e.handle_response(call, 1, status(503), Millis(40));
    out.extend(drain(e));
    e.handle_timeout(Millis(1_040));
    out.extend(drain(e));
    e.handle_response(call, 2, status(200), Millis(1_065));
    out.extend(drain(e));
    (call, out)
}

#[test]
fn each_attempt_then_the_outcome_is_told_with_its_latency() {
    let mut e = engine();
    e.listen(ALL);
    let (call, out) = retried_then_ok(&mut e);
    assert_eq!(
        events(&out),
        [
            Event::Attempt {
                call,
                attempt: 1,
                status: Some(503),
                category: Some(Category::Server),
                latency_ms: 40,
                will_retry: true,
            },
            Event::Attempt {
                call,
                attempt: 2,
                status: Some(200),
                category: None,
                latency_ms: 25,
                will_retry: false,
            },
            Event::Success {
                call,
                status: 200,
                attempts: 2,
                latency_ms: 1_065,
            },
        ]
    );
    // The outcome comes just before the call's end, the first attempt's
    // event before its retry.
    let n = out.len();
    assert!(matches!(out[n - 2], Output::Event(Event::Success { .. })));
    assert!(matches!(out[n - 1], Output::Done { .. }));
    let attempt = out
        .iter()
        .position(|o| matches!(o, Output::Event(Event::Attempt { attempt: 1, .. })));
    let retry = out
        .iter()
        .position(|o| matches!(o, Output::Event(Event::Retry { .. })));
    assert!(attempt < retry);
}

#[test]
fn nothing_is_made_for_events_nobody_listens_to() {
    let mut quiet = engine();
    let (_, out) = retried_then_ok(&mut quiet);
    assert!(events(&out).is_empty());
    let mut loud = engine();
    loud.listen(ALL);
    let (_, all) = retried_then_ok(&mut loud);
    assert_eq!(all.len(), out.len() + 3);
    // Only what is asked for.
    let mut some = engine();
    some.listen(Listening {
        success: true,
        ..Listening::default()
    });
    let (_, only) = retried_then_ok(&mut some);
    assert!(matches!(events(&only).as_slice(), [Event::Success { .. }]));
}

#[test]
fn a_timed_out_attempt_and_a_failed_call_are_told_once() {
    let mut e = engine();
    e.listen(ALL);
    let call = e.start(get("/listings/1"), Millis(0));
    let mut out = drain(&mut e);
    // Two attempts time out (2 s each), with 1 s and 2 s backoffs after;
    // the third, sent at 7 s, is answered 404, which is not retried.
    e.handle_timeout(Millis(2_000));
    e.handle_timeout(Millis(3_000));
    e.handle_timeout(Millis(5_000));
    e.handle_timeout(Millis(7_000));
    out.extend(drain(&mut e));
    e.handle_response(call, 3, status(404), Millis(7_500));
    out.extend(drain(&mut e));
    let told = events(&out);
    assert!(matches!(
        told[0],
        Event::Attempt {
            attempt: 1,
            status: None,
            category: Some(Category::Timeout),
            latency_ms: 2_000,
            will_retry: true,
            ..
        }
    ));
    assert!(matches!(
        told[2],
        Event::Attempt {
            attempt: 3,
            status: Some(404),
            latency_ms: 500,
            will_retry: false,
            ..
        }
    ));
    let failures: Vec<&Event> = told
        .iter()
        .filter(|e| matches!(e, Event::Failure { .. }))
        .collect();
    assert_eq!(failures.len(), 1, "{told:?}");
    match failures[0] {
        Event::Failure {
            kind,
            category,
            status,
            attempts,
            latency_ms,
            ..
        } => {
            assert!(matches!(kind, FailureKind::GaveUp { .. }));
            assert_eq!((*category, *status), ("not_found", Some(404)));
            assert_eq!((*attempts, *latency_ms), (3, 7_500));
        }
        _ => unreachable!(),
    }
}

#[test]
fn a_failure_with_no_attempt_names_the_category_its_error_shows() {
    let mut e = engine();
    e.listen(ALL);
    let call = e.start(get("/listings/1"), Millis(10));
    drain(&mut e);
    e.cancel(call, Millis(70));
    let told = events(&drain(&mut e));
    assert_eq!(
        told,
        [Event::Failure {
            call,
            kind: FailureKind::Cancelled,
            category: "unknown",
            status: None,
            attempts: 1,
            latency_ms: 60,
        }]
    );
}

#[test]
fn stats_count_outcomes_and_attempts_with_percentiles_from_the_host_clock() {
    let mut e = engine();
    let (_, _) = retried_then_ok(&mut e);
    // Ten calls of 10, 20, ... 100 ms, the last three answered 400.
    for i in 1..=10u64 {
        let start = Millis(2_000 + i * 1_000);
        let call = e.start(get("/shops/3"), start);
        drain(&mut e);
        let code = if i > 7 { 400 } else { 200 };
        e.handle_response(call, 1, status(code), start.plus(i * 10));
        drain(&mut e);
    }
    let s = e.stats(Millis(20_000));
    assert_eq!(s.window_ms, 300_000);
    assert_eq!((s.successes, s.failures()), (8, 3));
    assert_eq!(s.failures_by_kind[0], 3, "gave up");
    assert_eq!((s.attempts, s.failed_attempts()), (12, 4));
    assert_eq!(s.failed_attempts_by_category[Category::Server.index()], 1);
    assert_eq!(
        s.failed_attempts_by_category[Category::Validation.index()],
        3
    );
    // Latencies 10..=100 and 1065: the median is the 6th, 60 (in the bin
    // 60..=63), p90 the 10th, 100 (96..=103), p99 and max the slowest.
    let l = s.latency_ms.unwrap();
    assert_eq!((l.p50, l.p90, l.p99, l.max), (63, 103, 1_065, 1_065));
    // The window slides past them all.
    assert!(e.stats(Millis(400_000)).latency_ms.is_none());
}
