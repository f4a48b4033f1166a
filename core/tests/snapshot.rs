//! State is data: every machine's state survives a JSON round trip, and the
//! restored machine decides exactly as the original would.
#![cfg(feature = "serde")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use steadfast_core::breaker::{BreakerConfig, BreakerOutcome, CircuitBreaker};
use steadfast_core::limiter::{Admission, LimiterConfig, RateLimiter};
use steadfast_core::monitor::{ErrorMonitor, MonitorConfig, Observation};
use steadfast_core::retry::{RetryBudget, RetryBudgetConfig, RetryConfig, RetryPolicy};
use steadfast_core::{Category, Millis, UnixMillis};

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    let json = serde_json::to_string(value).unwrap();
    serde_json::from_str(&json).unwrap()
}

#[test]
fn an_open_circuit_stays_open_across_a_restart() {
    let mut b = CircuitBreaker::new(BreakerConfig::default()).unwrap();
    for t in 0..5 {
        let p = b.try_acquire(Millis(t)).unwrap();
        b.record(p, BreakerOutcome::Failure, Millis(t));
    }
    let mut restored = round_trip(&b);
    assert_eq!(restored, b);
    assert!(restored.try_acquire(Millis(30_000)).is_err());
    assert!(restored.try_acquire(Millis(60_004)).is_ok());
}

#[test]
fn a_spent_quota_stays_spent_across_a_restart() {
    let mut l = RateLimiter::new(LimiterConfig {
        per_second: 1000.0,
        per_day: Some(10),
        buffer_ratio: 0.0,
        ..LimiterConfig::default()
    })
    .unwrap();
    for t in 0..10 {
        assert!(matches!(
            l.reserve(Millis(t)),
            Admission::Ready(_) | Admission::Scheduled(_)
        ));
    }
    let mut restored = round_trip(&l);
    assert_eq!(restored, l);
    assert!(matches!(
        restored.reserve(Millis(100)),
        Admission::Exhausted { .. }
    ));
}

#[test]
fn monitor_budget_and_policy_round_trip() {
    let mut m = ErrorMonitor::new(MonitorConfig::default()).unwrap();
    m.record(
        Observation {
            endpoint: "/a/1",
            category: Some(Category::Server),
            status: Some(500),
            message: Some("x"),
        },
        Millis(5),
    );
    let restored = round_trip(&m);
    assert_eq!(restored.summary(Millis(6)), m.summary(Millis(6)));
    let budget = RetryBudget::new(RetryBudgetConfig::default(), Millis(0)).unwrap();
    assert_eq!(round_trip(&budget), budget);
    let policy = RetryPolicy::new(RetryConfig::default()).unwrap();
    assert_eq!(round_trip(&policy), policy);
    // Configurations read camelCase JSON with defaults for what is left out.
    let cfg: RetryConfig = serde_json::from_str(r#"{"maxRetries": 5, "jitter": "equal"}"#).unwrap();
    assert_eq!(cfg.max_retries, 5);
    assert_eq!(cfg.backoff.base_delay_ms, 1000);
}

#[test]
fn an_engine_snapshot_survives_json_and_keeps_the_circuit_open() {
    use steadfast_core::engine::{
        Engine, EngineConfig, Output, RequestMeta, ResponseMeta, Snapshot,
    };
    use steadfast_core::Method;

    let cfg = EngineConfig {
        retry: RetryConfig {
            max_retries: 0,
            ..RetryConfig::default()
        },
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(cfg, Millis(0)).unwrap();
    let get = RequestMeta {
        method: Method::Get,
        endpoint: "/x",
        idempotency_key: false,
        timeout_ms: None,
        deadline_ms: None,
    };
    for i in 0..5u64 {
        let t = Millis(i * 103); // paced at 10 a second (102.1 ms apart)
        let call = engine.start(get, t);
        while let Some(o) = engine.poll_output() {
            if let Output::Send { attempt, .. } = o {
                engine.handle_response(
                    call,
                    attempt,
                    ResponseMeta {
                        status: 503,
                        headers: &[],
                        body: None,
                        wall: None,
                    },
                    t,
                );
            }
        }
    }
    let json = serde_json::to_string(&engine.snapshot(Millis(515), UnixMillis(1_700_000_000_000)))
        .unwrap();
    assert!(!json.contains("x-api-key"), "no request data in a snapshot");
    let saved: Snapshot = serde_json::from_str(&json).unwrap();
    // A new process: its clock starts again at 3; half a second has passed.
    let mut restored =
        Engine::restore(cfg, saved, Millis(3), UnixMillis(1_700_000_000_500)).unwrap();
    restored.start(get, Millis(3));
    let outputs: Vec<Output> = std::iter::from_fn(|| restored.poll_output()).collect();
    assert!(
        outputs.iter().all(|o| !matches!(o, Output::Send { .. })),
        "still open after the restart"
    );
    assert!(outputs
        .iter()
        .any(|o| matches!(o, Output::Done { result: Err(_), .. })));
}

#[test]
fn give_up_names_are_the_serialised_ones() {
    use steadfast_core::retry::GiveUp;
    for reason in [
        GiveUp::NotRetryable,
        GiveUp::AttemptsExhausted,
        GiveUp::WouldDuplicateWrite,
        GiveUp::RetryAfterTooLong { retry_after_ms: 1 },
        GiveUp::DeadlineExceeded { retry_after_ms: 1 },
        GiveUp::BudgetExhausted,
    ] {
        let json = serde_json::to_value(reason).unwrap();
        assert_eq!(json["reason"], reason.as_str(), "{reason:?}");
    }
}
