//! The engine with auth refresh on: one refresh for every call a 401
//! refused, each call sent again once, and every way a refresh can end.

use super::*;
use crate::auth::AuthConfig;
use crate::limiter::LimiterConfig;
use alloc::vec::Vec;

fn engine() -> Engine {
    let config = EngineConfig {
        budget: None,
        limiter: LimiterConfig {
            per_second: 10_000.0,
            burst: 1_000,
            ..LimiterConfig::default()
        },
        ..EngineConfig::default()
    };
    let mut e = Engine::new(config, Millis(0)).unwrap();
    e.enable_auth_refresh(AuthConfig { timeout_ms: 1_000 })
        .unwrap();
    e
}

fn get(deadline_ms: Option<u64>) -> RequestMeta<'static> {
    RequestMeta {
        method: Method::Get,
        endpoint: "/listings/1",
        idempotency_key: false,
        timeout_ms: None,
        deadline_ms,
    }
}

fn status(code: u16, body: Option<&str>) -> ResponseMeta<'_> {
    ResponseMeta {
        status: code,
        headers: &[],
        body,
        wall: None,
    }
}

/// Drains the outputs, firing timers due up to `now` first.
fn step(e: &mut Engine, now: Millis) -> Vec<Output> {
    e.handle_timeout(now);
    core::iter::from_fn(|| e.poll_output()).collect()
}

fn sends(outputs: &[Output]) -> Vec<(CallId, u32)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send { call, attempt, .. } => Some((*call, *attempt)),
            _ => None,
        })
        .collect()
}

fn refreshes(outputs: &[Output]) -> Vec<u32> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Refresh { generation } => Some(*generation),
            _ => None,
        })
        .collect()
}

fn ends(outputs: &[Output]) -> Vec<(CallId, Result<CallSuccess, CallFailure>)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Done { call, result } => Some((*call, result.clone())),
            _ => None,
        })
        .collect()
}

fn kinds(outputs: &[Output]) -> Vec<(FailureKind, &'static str)> {
    ends(outputs)
        .into_iter()
        .filter_map(|(_, r)| r.err().map(|f| (f.kind, f.category_name())))
        .collect()
}

/// Starts `n` calls and answers each first attempt with a 401.
fn refused(e: &mut Engine, n: usize) -> Vec<Output> {
    let ids: Vec<CallId> = (0..n).map(|_| e.start(get(None), Millis(0))).collect();
    let sent = sends(&step(e, Millis(0)));
    assert_eq!(sent.len(), n);
    assert!(ids.iter().all(|id| sent.contains(&(*id, 1))));
    let mut out = Vec::new();
    for (call, attempt) in sent {
        e.handle_response(call, attempt, status(401, None), Millis(10));
        out.extend(step(e, Millis(10)));
    }
    out
}

#[test]
fn twenty_calls_refused_at_once_share_one_refresh_and_all_succeed() {
    let mut e = engine();
    let out = refused(&mut e, 20);
    assert_eq!(refreshes(&out), [1]);
    assert!(sends(&out).is_empty() && ends(&out).is_empty());
    assert_eq!(e.health(Millis(10)).active_calls, 20);
    e.handle_refreshed(1, true, Millis(20));
    let out = step(&mut e, Millis(20));
    let again = sends(&out);
    assert_eq!(again.len(), 20);
    assert!(again.iter().all(|(_, attempt)| *attempt == 2));
    let mut done = Vec::new();
    for (call, attempt) in again {
        e.handle_response(call, attempt, status(200, None), Millis(30));
        done.extend(step(&mut e, Millis(30)));
    }
    let ends = ends(&done);
    assert_eq!(ends.len(), 20);
    assert!(ends.iter().all(|(_, r)| matches!(
        r,
        Ok(CallSuccess {
            status: 200,
            attempts: 2
        })
    )));
    assert!(refreshes(&done).is_empty());
    // An expiry the refresh renewed is no error for the monitor: no alert.
    assert_eq!(e.health(Millis(30)).monitor.total_errors, 0);
    assert!(!done
        .iter()
        .any(|o| matches!(o, Output::Event(Event::Alert(_)))));
    assert_eq!(e.stats(Millis(30)).failed_attempts(), 20);
}

#[test]
fn a_401_to_a_request_sent_before_the_refresh_ended_retries_without_another() {
    let mut e = engine();
    let a = e.start(get(None), Millis(0));
    let b = e.start(get(None), Millis(0));
    assert_eq!(sends(&step(&mut e, Millis(0))).len(), 2);
    e.handle_response(a, 1, status(401, None), Millis(5));
    assert_eq!(refreshes(&step(&mut e, Millis(5))), [1]);
    e.handle_refreshed(1, true, Millis(6));
    assert_eq!(sends(&step(&mut e, Millis(6))), [(a, 2)]);
    // b was sent with the old token: it sends again at once.
    e.handle_response(b, 1, status(401, None), Millis(7));
    let out = step(&mut e, Millis(7));
    assert!(refreshes(&out).is_empty());
    assert_eq!(sends(&out), [(b, 2)]);
}

#[test]
fn a_second_401_after_the_refresh_fails_the_call_with_category_auth() {
    let mut e = engine();
    let _ = refused(&mut e, 1);
    e.handle_refreshed(1, true, Millis(20));
    let (call, attempt) = sends(&step(&mut e, Millis(20)))[0];
    e.handle_response(call, attempt, status(401, None), Millis(30));
    let out = step(&mut e, Millis(30));
    assert!(refreshes(&out).is_empty() && sends(&out).is_empty());
    let ends = ends(&out);
    let failure = ends[0].1.as_ref().unwrap_err();
    assert_eq!(failure.category_name(), "auth");
    assert_eq!(failure.kind.as_str(), "gave_up");
    assert_eq!((failure.status, failure.attempts), (Some(401), 2));
    assert_eq!(e.health(Millis(30)).active_calls, 0);
}

#[test]
fn a_refresh_that_fails_fails_every_waiting_call_once() {
    let mut e = engine();
    let _ = refused(&mut e, 3);
    e.handle_refreshed(1, false, Millis(20));
    let out = step(&mut e, Millis(20));
    assert_eq!(
        kinds(&out),
        [(FailureKind::AuthRefreshFailed, "auth"); 3].to_vec()
    );
    assert!(sends(&out).is_empty());
    // Each call's 401 now stands: the monitor counts it.
    assert_eq!(e.health(Millis(20)).monitor.total_errors, 3);
    // Told again, it changes nothing.
    e.handle_refreshed(1, false, Millis(21));
    assert!(step(&mut e, Millis(21)).is_empty());
    // The next 401 starts a new refresh.
    let out = refused(&mut e, 1);
    assert_eq!(refreshes(&out), [1]);
}

#[test]
fn a_refresh_that_hangs_times_out_and_its_late_end_is_ignored() {
    let mut e = engine();
    let _ = refused(&mut e, 2);
    assert_eq!(e.poll_timeout(), Some(Millis(1_010)));
    assert!(ends(&step(&mut e, Millis(1_009))).is_empty());
    let out = step(&mut e, Millis(1_010));
    assert_eq!(
        kinds(&out),
        [(FailureKind::AuthRefreshTimeout, "auth"); 2].to_vec()
    );
    assert_eq!(e.poll_timeout(), None);
    e.handle_refreshed(1, true, Millis(2_000));
    assert!(step(&mut e, Millis(2_000)).is_empty());
}

#[test]
fn close_during_a_refresh_ends_every_call_once() {
    let mut e = engine();
    let _ = refused(&mut e, 4);
    e.close(Millis(20));
    let out: Vec<Output> = core::iter::from_fn(|| e.poll_output()).collect();
    assert_eq!(kinds(&out), [(FailureKind::Closed, "auth"); 4].to_vec());
    e.handle_refreshed(1, true, Millis(30));
    let out = step(&mut e, Millis(30));
    assert!(ends(&out).is_empty() && sends(&out).is_empty());
}

#[test]
fn a_waiting_call_can_be_cancelled_and_the_others_go_on() {
    let mut e = engine();
    let _ = refused(&mut e, 2);
    let ids: Vec<CallId> = e.calls.keys().collect();
    let (gone, kept) = (ids[0], ids[1]);
    e.cancel(gone, Millis(15));
    let out = step(&mut e, Millis(15));
    assert_eq!(ends(&out).len(), 1);
    assert_eq!(kinds(&out)[0].0, FailureKind::Cancelled);
    e.handle_refreshed(1, true, Millis(20));
    assert_eq!(sends(&step(&mut e, Millis(20))), [(kept, 2)]);
}

#[test]
fn a_waiting_call_still_ends_at_its_deadline() {
    let mut e = engine();
    let id = e.start(get(Some(500)), Millis(0));
    let _ = step(&mut e, Millis(0));
    e.handle_response(id, 1, status(401, None), Millis(10));
    assert_eq!(refreshes(&step(&mut e, Millis(10))), [1]);
    assert_eq!(e.poll_timeout(), Some(Millis(500)));
    let out = step(&mut e, Millis(500));
    assert_eq!(kinds(&out)[0].0, FailureKind::DeadlineExceeded);
}

#[test]
fn a_header_failure_ends_the_call_unsent_and_gives_its_slot_back() {
    let mut e = engine();
    let id = e.start(get(None), Millis(0));
    assert_eq!(sends(&step(&mut e, Millis(0))), [(id, 1)]);
    assert_eq!(e.health(Millis(0)).limiter.in_flight, 1);
    // A stale attempt number changes nothing.
    e.handle_header_failure(id, 2, Millis(1));
    assert!(step(&mut e, Millis(1)).is_empty());
    e.handle_header_failure(id, 1, Millis(1));
    let out = step(&mut e, Millis(1));
    let ends = ends(&out);
    let failure = ends[0].1.as_ref().unwrap_err();
    assert_eq!(
        (failure.kind, failure.category_name(), failure.attempts),
        (FailureKind::HeaderFailed, "auth", 0)
    );
    assert!(!failure.retryable);
    assert_eq!(e.health(Millis(1)).limiter.in_flight, 0);
    assert_eq!(e.stats(Millis(1)).failures_by_kind[7], 1);
}

#[test]
fn without_auth_refresh_a_401_fails_at_once() {
    let mut e = Engine::new(EngineConfig::default(), Millis(0)).unwrap();
    let id = e.start(get(None), Millis(0));
    let _ = step(&mut e, Millis(0));
    e.handle_response(id, 1, status(401, None), Millis(10));
    let out = step(&mut e, Millis(10));
    assert!(refreshes(&out).is_empty());
    assert_eq!(
        kinds(&out),
        [(
            FailureKind::GaveUp {
                reason: crate::retry::GiveUp::NotRetryable
            },
            "auth"
        )]
        .to_vec()
    );
}

#[test]
fn a_403_is_not_a_reason_to_refresh() {
    let mut e = engine();
    let id = e.start(get(None), Millis(0));
    let _ = step(&mut e, Millis(0));
    e.handle_response(id, 1, status(403, None), Millis(10));
    let out = step(&mut e, Millis(10));
    assert!(refreshes(&out).is_empty());
    assert_eq!(ends(&out).len(), 1);
}

#[test]
fn values_registered_as_secrets_are_scrubbed_from_server_messages() {
    let mut e = engine();
    e.add_secret_value("Bearer tok_OLD_123456");
    let id = e.start(get(None), Millis(0));
    let _ = step(&mut e, Millis(0));
    let body = r#"{"error":"token tok_OLD_123456 expired"}"#;
    e.handle_response(id, 1, status(401, Some(body)), Millis(10));
    let _ = step(&mut e, Millis(10));
    e.handle_refreshed(1, false, Millis(11));
    let out = step(&mut e, Millis(11));
    let ends = ends(&out);
    let failure = ends[0].1.as_ref().unwrap_err();
    let message = failure.report().message;
    assert!(!message.contains("tok_OLD_123456"), "{message}");
    assert!(message.contains("[redacted]"), "{message}");
}
