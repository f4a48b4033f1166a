use super::*;
use crate::classify::{classify_failure, classify_response, Category, TransportFailure};
use alloc::vec;
use alloc::vec::Vec;

fn breaker(config: BreakerConfig) -> CircuitBreaker {
    CircuitBreaker::new(config).unwrap()
}

fn outcome(code: u16) -> Classification {
    classify_response(code, &Vec::<(&str, &str)>::new(), None, None)
}

/// Runs one call through the breaker at `now` with the given outcome.
fn call(b: &mut CircuitBreaker, c: &Classification, now: Millis) -> Result<(), Rejected> {
    let p = b.try_acquire(now)?;
    b.record_classified(p, c, now);
    Ok(())
}

#[test]
fn opens_after_consecutive_failures_then_probes_then_closes() {
    let mut b = breaker(BreakerConfig::default());
    for _ in 0..5 {
        call(&mut b, &outcome(500), Millis(0)).unwrap();
    }
    assert_eq!(b.state(Millis(0)), CircuitState::Open);
    assert_eq!(
        call(&mut b, &outcome(200), Millis(10)),
        Err(Rejected {
            retry_at: Some(Millis(60_000))
        })
    );
    // After open_ms: half-open, two successes close it.
    call(&mut b, &outcome(200), Millis(60_000)).unwrap();
    assert_eq!(b.state(Millis(60_000)), CircuitState::HalfOpen);
    call(&mut b, &outcome(200), Millis(60_001)).unwrap();
    assert_eq!(b.state(Millis(60_001)), CircuitState::Closed);
    assert!(b.has_events());
    let events: Vec<_> = core::iter::from_fn(|| b.poll_event())
        .map(|e| (e.from, e.to))
        .collect();
    assert_eq!(
        events,
        vec![
            (CircuitState::Closed, CircuitState::Open),
            (CircuitState::Open, CircuitState::HalfOpen),
            (CircuitState::HalfOpen, CircuitState::Closed),
        ]
    );
    assert!(!b.has_events(), "every change was polled");
}

#[test]
fn seed_defect_01_server_errors_reach_the_breaker() {
    // The seed compared the category enum with strings ('server'), so a run
    // of 500s never opened the circuit.
    let mut b = breaker(BreakerConfig::default());
    for _ in 0..5 {
        call(&mut b, &outcome(503), Millis(0)).unwrap();
    }
    assert_eq!(b.state(Millis(0)), CircuitState::Open);
    let mut b = breaker(BreakerConfig::default());
    for _ in 0..5 {
        call(
            &mut b,
            &classify_failure(TransportFailure::Reset),
            Millis(0),
        )
        .unwrap();
    }
    assert_eq!(b.state(Millis(0)), CircuitState::Open);
}

#[test]
fn seed_defect_02_caller_mistakes_do_not_open_the_circuit() {
    let mut b = breaker(BreakerConfig::default());
    for code in [400, 401, 403, 404, 409, 422, 400, 404, 404, 404, 404] {
        call(&mut b, &outcome(code), Millis(0)).unwrap();
    }
    assert_eq!(b.state(Millis(0)), CircuitState::Closed);
    // Rate limits do not count by default, and can be made to.
    for _ in 0..10 {
        call(&mut b, &outcome(429), Millis(0)).unwrap();
    }
    assert_eq!(b.state(Millis(0)), CircuitState::Closed);
    let mut strict = breaker(BreakerConfig {
        failure_categories: CategorySet::SERVICE_FAILURES.with(Category::RateLimit),
        ..BreakerConfig::default()
    });
    for _ in 0..5 {
        call(&mut strict, &outcome(429), Millis(0)).unwrap();
    }
    assert_eq!(strict.state(Millis(0)), CircuitState::Open);
}

#[test]
fn seed_defect_03_a_success_resets_the_failure_count() {
    // The seed never reset failures on success: 5 failures spread over a
    // day of otherwise healthy traffic opened the circuit.
    let mut b = breaker(BreakerConfig::default());
    for hour in 0..24u64 {
        let now = Millis(hour * 3_600_000);
        call(&mut b, &outcome(500), now).unwrap();
        for _ in 0..100 {
            call(&mut b, &outcome(200), now).unwrap();
        }
    }
    assert_eq!(b.state(Millis(86_400_000)), CircuitState::Closed);
}

#[test]
fn seed_defect_04_half_open_admits_at_most_n_probes_and_reading_state_is_pure() {
    let mut b = breaker(BreakerConfig {
        half_open_max_probes: 2,
        ..BreakerConfig::default()
    });
    b.force_open(Millis(0));
    let _ = b.poll_event();
    // Reading the state after the open period changes nothing (the seed's
    // `state` getter moved the circuit to half-open and cleared failures).
    for _ in 0..3 {
        assert_eq!(b.state(Millis(70_000)), CircuitState::HalfOpen);
    }
    assert_eq!(b.poll_event(), None, "reading emitted no event");
    let p1 = b.try_acquire(Millis(70_000)).unwrap();
    let p2 = b.try_acquire(Millis(70_000)).unwrap();
    assert!(p1.is_probe() && p2.is_probe());
    assert_eq!(
        b.try_acquire(Millis(70_001)),
        Err(Rejected { retry_at: None })
    );
    assert!(!b.is_available(Millis(70_001)));
    // A cancelled probe frees its slot.
    b.release(p1);
    let p3 = b.try_acquire(Millis(70_002)).unwrap();
    b.record(p2, BreakerOutcome::Success, Millis(70_010));
    b.record(p3, BreakerOutcome::Success, Millis(70_010));
    assert_eq!(b.state(Millis(70_010)), CircuitState::Closed);
}

#[test]
fn a_failed_probe_reopens_and_the_open_time_can_grow() {
    let mut b = breaker(BreakerConfig {
        open_backoff: 2.0,
        max_open_ms: 150_000,
        ..BreakerConfig::default()
    });
    b.force_open(Millis(0));
    assert_eq!(b.open_until(), Some(Millis(60_000)));
    call(&mut b, &outcome(502), Millis(60_000)).unwrap();
    assert_eq!(b.open_until(), Some(Millis(180_000)));
    call(&mut b, &outcome(502), Millis(180_000)).unwrap();
    assert_eq!(
        b.open_until(),
        Some(Millis(330_000)),
        "capped at max_open_ms"
    );
    // Closing resets the growth.
    call(&mut b, &outcome(200), Millis(330_000)).unwrap();
    call(&mut b, &outcome(200), Millis(330_000)).unwrap();
    b.force_open(Millis(400_000));
    assert_eq!(b.open_until(), Some(Millis(460_000)));
}

#[test]
fn outcomes_from_before_a_trip_are_ignored() {
    let mut b = breaker(BreakerConfig::default());
    let early = b.try_acquire(Millis(0)).unwrap();
    b.force_open(Millis(1));
    let mut after = b.clone();
    after.record(early, BreakerOutcome::Success, Millis(2));
    assert_eq!(
        (after.phase, after.epoch, after.trips),
        (b.phase, b.epoch, b.trips)
    );
}

#[test]
fn failure_rate_over_a_count_window() {
    let mut b = breaker(BreakerConfig {
        failure_threshold: 1000,
        failure_rate: Some(FailureRateConfig {
            threshold: 0.5,
            minimum_calls: 10,
            window: WindowKind::Count { size: 10 },
        }),
        ..BreakerConfig::default()
    });
    // Alternating success/failure: 50 % once 10 calls are in.
    for i in 0..9 {
        let c = if i % 2 == 1 {
            outcome(500)
        } else {
            outcome(200)
        };
        call(&mut b, &c, Millis(0)).unwrap();
    }
    assert_eq!(
        b.state(Millis(0)),
        CircuitState::Closed,
        "below minimum volume"
    );
    call(&mut b, &outcome(200), Millis(0)).unwrap();
    assert_eq!(b.state(Millis(0)), CircuitState::Closed, "4/10 failures");
    call(&mut b, &outcome(500), Millis(0)).unwrap();
    assert_eq!(b.state(Millis(0)), CircuitState::Open, "5/10 failures");
}

#[test]
fn failure_rate_over_a_time_window_forgets_old_failures() {
    let mut b = breaker(BreakerConfig {
        failure_threshold: 1000,
        failure_rate: Some(FailureRateConfig {
            threshold: 0.5,
            minimum_calls: 4,
            window: WindowKind::Time {
                window_ms: 10_000,
                buckets: 10,
            },
        }),
        ..BreakerConfig::default()
    });
    for _ in 0..3 {
        call(&mut b, &outcome(500), Millis(0)).unwrap();
    }
    // Long after, the old failures have left the window.
    for _ in 0..3 {
        call(&mut b, &outcome(200), Millis(60_000)).unwrap();
    }
    call(&mut b, &outcome(500), Millis(60_000)).unwrap();
    assert_eq!(b.state(Millis(60_000)), CircuitState::Closed);
}

#[test]
fn slow_calls_count_as_failures() {
    let mut b = breaker(BreakerConfig {
        failure_threshold: 2,
        slow_call_ms: Some(5_000),
        ..BreakerConfig::default()
    });
    for start in [0, 10_000] {
        let p = b.try_acquire(Millis(start)).unwrap();
        b.record(p, BreakerOutcome::Success, Millis(start + 6_000));
    }
    assert_eq!(b.state(Millis(16_000)), CircuitState::Open);
}

#[test]
fn rejects_bad_settings_by_name() {
    let e = CircuitBreaker::new(BreakerConfig {
        failure_threshold: 0,
        ..BreakerConfig::default()
    })
    .unwrap_err();
    assert!(matches!(
        e,
        ConfigError::OutOfRange {
            option: "breaker.failureThreshold",
            ..
        }
    ));
    let e = CircuitBreaker::new(BreakerConfig {
        open_backoff: f64::NAN,
        ..BreakerConfig::default()
    })
    .unwrap_err();
    assert!(matches!(
        e,
        ConfigError::NotFinite {
            option: "breaker.openBackoff"
        }
    ));
    let e = CircuitBreaker::new(BreakerConfig {
        failure_rate: Some(FailureRateConfig {
            threshold: 0.0,
            minimum_calls: 1,
            window: WindowKind::Count { size: 5 },
        }),
        ..BreakerConfig::default()
    })
    .unwrap_err();
    assert!(matches!(
        e,
        ConfigError::OutOfRange {
            option: "breaker.failureRate.threshold",
            ..
        }
    ));
}

#[test]
fn a_long_open_time_given_alone_raises_the_cap_with_it() {
    let mut c = BreakerConfig::default();
    c.set_open_times(Some(900_000), None);
    assert_eq!((c.open_ms, c.max_open_ms), (900_000, 900_000));
    let mut c = BreakerConfig::default();
    c.set_open_times(Some(1_000), None);
    assert_eq!(
        (c.open_ms, c.max_open_ms),
        (1_000, 600_000),
        "a short one leaves it"
    );
    let mut c = BreakerConfig::default();
    c.set_open_times(Some(900_000), Some(700_000));
    assert_eq!(
        (c.open_ms, c.max_open_ms),
        (900_000, 700_000),
        "a cap given is kept"
    );
    let mut c = BreakerConfig::default();
    c.set_open_times(None, Some(5_000));
    assert_eq!((c.open_ms, c.max_open_ms), (60_000, 5_000));
}

#[test]
fn a_window_is_read_from_the_options_given() {
    use super::window::WindowError;
    let w = WindowKind::from_options;
    assert_eq!(
        w(None, None, None, None),
        Ok(WindowKind::Count { size: 100 })
    );
    assert_eq!(
        w(None, Some(20), None, None),
        Ok(WindowKind::Count { size: 20 })
    );
    assert_eq!(
        w(None, None, Some(5_000), None),
        Ok(WindowKind::Time {
            window_ms: 5_000,
            buckets: 60
        })
    );
    assert_eq!(
        w(Some("time"), None, None, Some(10)),
        Ok(WindowKind::Time {
            window_ms: 60_000,
            buckets: 10
        })
    );
    assert_eq!(
        w(Some("hours"), None, None, None),
        Err(WindowError::UnknownKind)
    );
    assert_eq!(
        w(Some("time"), Some(3), None, None),
        Err(WindowError::OtherKind {
            option: "size",
            applies_to: "count"
        })
    );
    assert_eq!(
        w(Some("count"), None, None, Some(3)),
        Err(WindowError::OtherKind {
            option: "buckets",
            applies_to: "time"
        })
    );
    let d = FailureRateConfig::default();
    assert_eq!(
        (d.threshold, d.minimum_calls, d.window),
        (0.5, 10, WindowKind::Count { size: 100 })
    );
}

#[test]
fn option_names_parse_into_their_choices() {
    use crate::retry::Jitter;
    use crate::Category;
    assert_eq!(
        "endpoint".parse::<BreakerScope>(),
        Ok(BreakerScope::Endpoint)
    );
    assert_eq!("client".parse::<BreakerScope>(), Ok(BreakerScope::Client));
    assert!("Client".parse::<BreakerScope>().is_err());
    for (name, j) in [
        ("none", Jitter::None),
        ("full", Jitter::Full),
        ("equal", Jitter::Equal),
        ("decorrelated", Jitter::Decorrelated),
    ] {
        assert_eq!(name.parse::<Jitter>(), Ok(j));
    }
    let e = "fast".parse::<Jitter>().unwrap_err();
    assert_eq!(
        alloc::string::ToString::to_string(&e),
        r#"must be one of "none", "full", "equal", "decorrelated""#
    );
    for c in Category::ALL {
        assert_eq!(c.as_str().parse::<Category>(), Ok(c));
    }
    assert!("servers".parse::<Category>().is_err());
}

#[test]
fn a_call_its_caller_cancelled_counts_for_nothing() {
    let mut b = breaker(BreakerConfig {
        failure_threshold: 1,
        ..BreakerConfig::default()
    });
    let p = b.try_acquire(Millis(0)).unwrap();
    b.record_end(p, true, Some(&outcome(503)), Millis(1));
    assert_eq!(
        b.state(Millis(1)),
        CircuitState::Closed,
        "cancelled: not a failure"
    );
    let p = b.try_acquire(Millis(2)).unwrap();
    b.record_end(p, false, None, Millis(3));
    assert_eq!(b.state(Millis(3)), CircuitState::Closed);
    let p = b.try_acquire(Millis(4)).unwrap();
    b.record_end(p, false, Some(&outcome(503)), Millis(5));
    assert_eq!(b.state(Millis(5)), CircuitState::Open);
}

#[test]
fn a_closed_circuit_admits_and_counts_a_success_without_the_time() {
    let mut b = breaker(BreakerConfig::default());
    // Four failures, then a success recorded without the time: the count of
    // consecutive failures starts again, so four more do not open it.
    for _ in 0..4 {
        call(&mut b, &outcome(500), Millis(10)).unwrap();
    }
    let token = b.try_acquire_untimed().unwrap();
    let p = b.untimed_permit(token);
    assert!(!p.is_probe());
    assert!(b.record_end_untimed(p, false, None));
    let ok = outcome(200);
    let p = b.untimed_permit(b.try_acquire_untimed().unwrap());
    assert!(b.record_end_untimed(p, false, Some(&ok)));
    for _ in 0..4 {
        call(&mut b, &outcome(500), Millis(20)).unwrap();
    }
    assert_eq!(b.state(Millis(20)), CircuitState::Closed);
    // A failure needs the time (it may open the circuit): nothing changes
    // until it is recorded with it.
    let p = b.untimed_permit(b.try_acquire_untimed().unwrap());
    let failed = outcome(503);
    assert!(!b.record_end_untimed(p, false, Some(&failed)));
    assert_eq!(b.state(Millis(20)), CircuitState::Closed);
    b.record_end(p, false, Some(&failed), Millis(30));
    assert_eq!(b.state(Millis(30)), CircuitState::Open);
    // Open: admitting depends on the time.
    assert_eq!(b.try_acquire_untimed(), None);
    assert!(b.try_acquire(Millis(31)).is_err());
}

#[test]
fn the_time_is_asked_for_whenever_a_rule_reads_it() {
    // A slow-call limit needs each call's start and end.
    let mut slow = breaker(BreakerConfig {
        slow_call_ms: Some(100),
        ..BreakerConfig::default()
    });
    assert_eq!(slow.try_acquire_untimed(), None);
    let p = slow.try_acquire(Millis(0)).unwrap();
    assert!(!slow.record_end_untimed(p, false, None));
    slow.record_end(p, false, None, Millis(500));
    // A failure-rate window counts successes at their time.
    let mut rate = breaker(BreakerConfig {
        failure_rate: Some(FailureRateConfig::default()),
        ..BreakerConfig::default()
    });
    let p = rate.untimed_permit(rate.try_acquire_untimed().unwrap());
    assert!(!rate.record_end_untimed(p, false, None));
    // Half-open: a success may close the circuit, at its time.
    let mut b = breaker(BreakerConfig::default());
    for _ in 0..5 {
        call(&mut b, &outcome(500), Millis(0)).unwrap();
    }
    let probe = b.try_acquire(Millis(60_000)).unwrap();
    assert!(probe.is_probe());
    assert_eq!(b.try_acquire_untimed(), None);
    assert!(!b.record_end_untimed(probe, false, None));
    // A cancelled probe frees its slot without the time; so is a permit of
    // an earlier epoch ignored.
    assert!(b.record_end_untimed(probe, true, None));
    let again = b.try_acquire(Millis(60_001)).unwrap();
    assert!(again.is_probe());
    let stale = b.untimed_permit(0);
    assert!(b.record_end_untimed(stale, false, Some(&outcome(500))));
    assert_eq!(b.state(Millis(60_001)), CircuitState::HalfOpen);
}
