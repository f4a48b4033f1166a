//! A short tour of the core's decisions, on simulated time.
//!
//! Every instant here is an argument: nothing sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use steadfast_core::breaker::{BreakerConfig, CircuitBreaker};
use steadfast_core::limiter::{Admission, LimiterConfig, RateLimiter};
use steadfast_core::retry::{RequestFacts, RetryConfig, RetryDecision, RetryPolicy, RetryState};
use steadfast_core::{
    classify_failure, classify_response, Method, Millis, SplitMix64, TransportFailure,
};

fn main() {
    println!("steadfast-core tour (simulated time)\n");

    // 1. Pacing: 10/s with a daily quota of 10 000 (9 000 usable).
    let mut limiter = RateLimiter::new(LimiterConfig::default()).unwrap();
    print!("limiter: 5 callers at t=0 get slots at");
    for _ in 0..5 {
        match limiter.reserve(Millis(0)) {
            Admission::Ready(p) | Admission::Scheduled(p) => print!(" {}", p.at()),
            other => print!(" {other:?}"),
        }
    }
    println!();

    // 2. Classification of what servers send.
    let etsy_429 = vec![
        ("x-remaining-this-second", "0"),
        ("x-limit-per-day", "10000"),
        ("x-remaining-today", "4200"),
    ];
    let c = classify_response(
        429,
        &etsy_429,
        Some(r#"{"error":"Too many requests"}"#),
        None,
    );
    println!(
        "classify: 429 without Retry-After -> {:?}, retry after {:?} ms, {:?} left today, message {:?}",
        c.category, c.server_delay_ms, c.rate.per_day.remaining, c.message
    );

    // 3. Retry decisions: a GET after a timeout is retried; a POST is not.
    let policy = RetryPolicy::new(RetryConfig::default()).unwrap();
    let mut rng = SplitMix64::new(42);
    let timeout = classify_failure(TransportFailure::Timeout);
    for (method, key) in [
        (Method::Get, false),
        (Method::Post, false),
        (Method::Post, true),
    ] {
        let mut state = RetryState::new(Millis(0));
        let facts = RequestFacts {
            method,
            has_idempotency_key: key,
        };
        let d = policy.decide(&mut state, &timeout, facts, None, &mut rng, Millis(30_000));
        let shown = match d {
            RetryDecision::RetryAt { delay_ms, .. } => format!("retry in {delay_ms} ms"),
            RetryDecision::GiveUp(why) => format!("give up: {why:?}"),
        };
        println!("retry: {method} (idempotency key: {key}) after a timeout -> {shown}");
    }

    // 4. The breaker: five 503s open it; it probes after 60 s.
    let mut breaker = CircuitBreaker::new(BreakerConfig::default()).unwrap();
    let unavailable = classify_response(503, &Vec::<(&str, &str)>::new(), None, None);
    for t in 0..5 {
        let p = breaker.try_acquire(Millis(t)).unwrap();
        breaker.record_classified(p, &unavailable, Millis(t));
    }
    println!(
        "breaker: after five 503s it is {:?} until {:?}; at 60 s it is {:?}",
        breaker.state(Millis(10)),
        breaker.open_until(),
        breaker.state(Millis(60_004))
    );
    while let Some(e) = breaker.poll_event() {
        println!("  event: {:?} -> {:?} at {}", e.from, e.to, e.at);
    }
}
