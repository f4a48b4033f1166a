//! Property tests of the core's promises, over random configurations and
//! random traffic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use proptest::prelude::*;
use steadfast_core::breaker::{BreakerConfig, BreakerOutcome, CircuitBreaker, Permit};
use steadfast_core::headers::{parse_http_date, parse_retry_after, RateLimitHeaders};
use steadfast_core::limiter::{Admission, Confirmation, LimiterConfig, LimiterPermit, RateLimiter};
use steadfast_core::monitor::{normalize_endpoint, ErrorMonitor, MonitorConfig, Observation};
use steadfast_core::retry::{Backoff, BackoffConfig, Jitter};
use steadfast_core::{body, Category, Millis, SplitMix64, UnixMillis};

fn jitter() -> impl Strategy<Value = Jitter> {
    prop_oneof![
        Just(Jitter::None),
        Just(Jitter::Full),
        Just(Jitter::Equal),
        Just(Jitter::Decorrelated)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every backoff delay lies in [server floor, cap], in every jitter mode;
    /// a floor above the cap is kept exactly (never shortened, never raised).
    #[test]
    fn backoff_delay_lies_between_floor_and_cap(
        jitter in jitter(),
        base in 0u64..10_000,
        extra in 1u64..120_000,
        multiplier in 1.0f64..10.0,
        seed: u64,
        floors in prop::collection::vec(prop::option::of(0u64..300_000), 1..30),
    ) {
        let cap = base + extra;
        let b = Backoff::new(BackoffConfig { base_delay_ms: base, max_delay_ms: cap, multiplier, jitter }).unwrap();
        let mut rng = SplitMix64::new(seed);
        let mut prev = 0;
        for (retry, floor) in floors.into_iter().enumerate() {
            let d = b.delay(retry as u32, prev, floor, &mut rng);
            let f = floor.unwrap_or(0);
            prop_assert!(d >= f, "delay {} below floor {}", d, f);
            prop_assert!(d <= cap.max(f), "delay {} above cap {} (floor {})", d, cap, f);
            if f > cap {
                prop_assert_eq!(d, f);
            }
            prev = d;
        }
    }

    /// Half-open never has more probes in flight than configured, whatever
    /// the interleaving of acquires, outcomes, cancellations and time.
    #[test]
    fn breaker_never_admits_more_half_open_probes_than_configured(
        max_probes in 1u32..5,
        ops in prop::collection::vec((0u8..4, 0u64..40_000), 1..300),
    ) {
        let mut b = CircuitBreaker::new(BreakerConfig {
            failure_threshold: 2,
            success_threshold: 3,
            open_ms: 10_000,
            half_open_max_probes: max_probes,
            ..BreakerConfig::default()
        }).unwrap();
        let mut now = 0u64;
        let mut held: Vec<Permit> = Vec::new();
        for (op, dt) in ops {
            now += dt % 7_000;
            match op {
                0 => if let Ok(p) = b.try_acquire(Millis(now)) { held.push(p) },
                1 => if let Some(p) = held.pop() { b.record(p, BreakerOutcome::Failure, Millis(now)) },
                2 => if let Some(p) = held.pop() { b.record(p, BreakerOutcome::Success, Millis(now)) },
                _ => if let Some(p) = held.pop() { b.release(p) },
            }
            prop_assert!(b.probes_in_flight() <= max_probes);
            let live_probes = held.iter().filter(|p| p.is_probe()).count() as u32;
            if b.probes_in_flight() > 0 {
                prop_assert!(b.probes_in_flight() <= live_probes);
            }
        }
    }

    /// In any interval [x, x + t) the limiter lets at most
    /// `burst + (t + slack) / interval` requests go (interval: a second and
    /// the slack over the rate), and in any quota window at most the daily
    /// quota minus the buffer — with random arrivals, cancellations, timer
    /// slack and host timers that fire late; and tickets go in the order
    /// they were handed out, but for the lateness of their own timers.
    #[test]
    fn limiter_never_exceeds_burst_plus_rate_nor_the_daily_allowance(
        per_second in 1.0f64..500.0,
        burst in 1u32..8,
        per_day in 5u64..200,
        buffer_ratio in 0.0f64..0.5,
        slack in 0u64..40,
        arrivals in prop::collection::vec((0u64..300, any::<bool>(), 0u64..30), 1..400),
    ) {
        let window = 14_400u64; // 10 ms buckets: a short "day" to exercise rollover
        let mut l = RateLimiter::new(LimiterConfig {
            per_second, burst, per_day: Some(per_day), buffer_ratio, day_window_ms: window,
            adaptive: false, timer_slack_ms: slack, ..LimiterConfig::default()
        }).unwrap();
        let allowance = per_day - (per_day as f64 * buffer_ratio) as u64;
        let mut now = 0u64;
        let mut sent: Vec<u64> = Vec::new();
        // (timer, order handed out, permit)
        let mut pending: Vec<(u64, usize, LimiterPermit)> = Vec::new();
        let mut order = 0usize;
        let mut went: Vec<(usize, u64)> = Vec::new();
        let fire = |l: &mut RateLimiter, pending: &mut Vec<(u64, usize, LimiterPermit)>, now: u64, late: u64, sent: &mut Vec<u64>, went: &mut Vec<(usize, u64)>| {
            // The host runs every timer due by now, earliest first.
            pending.sort_by_key(|(at, k, _)| (*at, *k));
            let mut left = Vec::new();
            for (at, k, mut p) in pending.drain(..) {
                if at > now {
                    left.push((at, k, p));
                    continue;
                }
                match l.confirm(&mut p, Millis(now)) {
                    Confirmation::Go => {
                        sent.push(now);
                        went.push((k, now));
                        l.complete(p, None, Millis(now));
                    }
                    Confirmation::NotBefore(t) => left.push((t.as_u64() + late, k, p)),
                    Confirmation::Held { until } => left.push((until.as_u64() + late, k, p)),
                }
            }
            *pending = left;
        };
        for (gap, cancel, late) in arrivals {
            // Every timer due before the next arrival fires at its instant.
            let target = now + gap;
            while let Some(next) = pending.iter().map(|(at, _, _)| *at).filter(|at| *at <= target).min() {
                now = now.max(next);
                fire(&mut l, &mut pending, now, late, &mut sent, &mut went);
            }
            now = target;
            fire(&mut l, &mut pending, now, late, &mut sent, &mut went);
            match l.reserve(Millis(now)) {
                Admission::Ready(p) => {
                    sent.push(now);
                    went.push((order, now));
                    l.complete(p, None, Millis(now));
                }
                Admission::Scheduled(p) if cancel => l.cancel(p, Millis(now)),
                Admission::Scheduled(p) => pending.push((p.at().as_u64() + late, order, p)),
                _ => {}
            }
            order += 1;
        }
        // Let every booked request go.
        for _ in 0..100_000 {
            let Some(next) = pending.iter().map(|(at, _, _)| *at).min() else { break };
            now = now.max(next);
            fire(&mut l, &mut pending, now, 0, &mut sent, &mut went);
        }
        prop_assert!(pending.is_empty(), "every booked request went");
        sent.sort_unstable();
        // The pace for a slack L in force: a second, L and (with slack) the
        // clock's millisecond. L grows from 0 up to `slack` as timers are
        // seen late; for a window t, (t + L) / T(L) is monotone in L ≥ 1,
        // so the bound for any L in force is the most of L = 0, 1, slack.
        let bound = |t: f64| {
            let with = |l: u64| {
                let interval_ms = (1000.0 + l as f64 + if l > 0 { 1.0 } else { 0.0 }) / per_second;
                (t + l as f64) / interval_ms
            };
            f64::from(burst) + with(0).max(with(1.min(slack))).max(with(slack))
        };
        for (i, &x) in sent.iter().enumerate() {
            for (j, &y) in sent.iter().enumerate().skip(i) {
                let n = (j - i + 1) as f64;
                // n sends within [x, y], i.e. within [x, x + t) for t = y - x + 1.
                let t = (y - x + 1) as f64;
                prop_assert!(n <= bound(t) + 1e-9,
                    "{} sends in {} ms (rate {}/s, burst {}, slack {})", n, t, per_second, burst, slack);
            }
            let in_window = sent[i..].iter().take_while(|&&y| y < x + window).count() as u64;
            prop_assert!(in_window <= allowance, "{} in one window, allowance {}", in_window, allowance);
        }
        // First come, first served, but for the host's late timers: while
        // an earlier ticket's timer is late (< 30 ms here), a caller who asks
        // meanwhile may find its own moment come and go first; the earlier
        // one then waits one interval at the gate (and the lateness of its
        // next timer, < 30): less than 60 ms and an interval (and the
        // millisecond the interval rounds to).
        // The longest interval: the one for the most slack.
        let interval_ms = (1000.0 + slack as f64 + if slack > 0 { 1.0 } else { 0.0 }) / per_second;
        let bound = 60 + interval_ms.ceil() as u64 + 1;
        went.sort_unstable();
        let mut latest = 0u64;
        for &(_, at) in &went {
            prop_assert!(at + bound > latest, "sent at {} after a later ticket at {} (bound {} ms)", at, latest, bound);
            latest = latest.max(at);
        }
    }

    /// The monitor's memory is fixed by its configuration: recording more
    /// events, over more endpoints, never adds counters past the capacity.
    #[test]
    fn monitor_memory_does_not_grow_with_events(
        max_endpoints in 0u32..10,
        events in prop::collection::vec((0u32..1000, 0u64..5000, any::<bool>()), 1..500),
    ) {
        let mut m = ErrorMonitor::new(MonitorConfig { max_endpoints, buckets: 10, window_ms: 10_000, ..MonitorConfig::default() }).unwrap();
        let mut now = 0;
        for (endpoint, dt, failed) in events {
            now += dt;
            let path = format!("/e{endpoint}/x");
            m.record(Observation {
                endpoint: &path,
                category: failed.then_some(Category::Server),
                status: None,
                message: None,
            }, Millis(now));
            prop_assert!(m.retained_counters() <= m.counter_capacity());
        }
        prop_assert!(m.summary(Millis(now)).by_endpoint.len() <= max_endpoints as usize + 1);
    }

    /// Hostile header values and bodies never panic.
    #[test]
    fn hostile_input_never_panics(value in ".{0,80}", wall: u64) {
        let _ = parse_retry_after(&value, Some(UnixMillis(wall)));
        let _ = parse_http_date(&value);
        let headers = vec![
            ("retry-after", value.as_str()), ("x-remaining-today", value.as_str()),
            ("RateLimit", value.as_str()), ("RateLimit-Policy", value.as_str()),
            ("X-RateLimit-Reset", value.as_str()), ("x-limit-per-second", value.as_str()),
        ];
        let _ = RateLimitHeaders::read(&headers, Some(UnixMillis(wall)));
        let _ = steadfast_core::classify_response(429, &headers, Some(&value), Some(UnixMillis(wall)));
        let _ = body::server_message(&value);
        let n = normalize_endpoint(&value);
        prop_assert!(n.len() <= steadfast_core::monitor::MAX_ENDPOINT_LEN);
    }
}
