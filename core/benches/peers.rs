//! Our hot paths side by side with the crates people use today, in one run.
//!
//! Run with `make bench` (it prints a ratio table afterwards).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::VecDeque;
use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use steadfast_core::breaker::{BreakerConfig, BreakerOutcome, CircuitBreaker};
use steadfast_core::limiter::{Admission, LimiterConfig, RateLimiter};
use steadfast_core::monitor::{ErrorMonitor, MonitorConfig, Observation, Outcome};
use steadfast_core::retry::{Backoff, BackoffConfig, Jitter};
use steadfast_core::{Category, Millis, SplitMix64};

/// Limiter decision: is a request allowed now? Both limiters are set high
/// enough that every call is allowed, so the decision path is what is timed.
fn limiter(c: &mut Criterion) {
    let mut g = c.benchmark_group("limiter_decision");
    let mut ours = RateLimiter::new(LimiterConfig {
        per_second: 10_000.0,
        burst: 1_000,
        per_day: Some(4_000_000_000),
        ..LimiterConfig::default()
    })
    .unwrap();
    let mut now = 0u64;
    g.bench_function("steadfast", |b| {
        b.iter(|| {
            now += 1;
            match ours.reserve(Millis(now)) {
                Admission::Ready(p) | Admission::Scheduled(p) => {
                    ours.complete(p, None, Millis(now));
                    black_box(true)
                }
                _ => black_box(false),
            }
        })
    });
    let quota = governor::Quota::per_second(NonZeroU32::new(u32::MAX).unwrap());
    let theirs = governor::RateLimiter::direct(quota);
    g.bench_function("governor", |b| b.iter(|| black_box(theirs.check().is_ok())));
    g.finish();
}

/// Breaker: ask for a permit, then record a success.
fn breaker(c: &mut Criterion) {
    let mut g = c.benchmark_group("breaker_permit_record");
    let mut ours = CircuitBreaker::new(BreakerConfig::default()).unwrap();
    let mut now = 0u64;
    g.bench_function("steadfast", |b| {
        b.iter(|| {
            now += 1;
            if let Ok(p) = ours.try_acquire(Millis(now)) {
                ours.record(p, black_box(BreakerOutcome::Success), Millis(now));
            }
        })
    });
    use failsafe::CircuitBreaker as _;
    let theirs = failsafe::Config::new().build();
    g.bench_function("failsafe", |b| {
        b.iter(|| {
            if theirs.is_call_permitted() {
                let _ = black_box(theirs.call(|| Ok::<u32, ()>(1)));
            }
        })
    });
    g.finish();
}

/// Next backoff delay with jitter.
fn backoff(c: &mut Criterion) {
    let mut g = c.benchmark_group("backoff_next_delay");
    let ours = Backoff::new(BackoffConfig {
        jitter: Jitter::Full,
        ..BackoffConfig::default()
    })
    .unwrap();
    let mut rng = SplitMix64::new(1);
    let mut retry = 0u32;
    g.bench_function("steadfast", |b| {
        b.iter(|| {
            retry = (retry + 1) % 8;
            black_box(ours.delay(black_box(retry), 0, None, &mut rng))
        })
    });
    g.bench_function("backon", |b| {
        use backon::BackoffBuilder;
        let builder = backon::ExponentialBuilder::default()
            .with_jitter()
            .with_max_times(8)
            .with_max_delay(Duration::from_secs(60));
        let mut it = builder.build();
        b.iter(|| match it.next() {
            Some(d) => black_box(d),
            None => {
                it = builder.build();
                black_box(Duration::ZERO)
            }
        })
    });
    g.bench_function("backoff", |b| {
        use backoff::backoff::Backoff as _;
        let mut it = backoff::ExponentialBackoff {
            max_elapsed_time: None,
            ..backoff::ExponentialBackoff::default()
        };
        let mut n = 0;
        b.iter(|| {
            n += 1;
            if n % 8 == 0 {
                it.reset();
            }
            black_box(it.next_backoff())
        })
    });
    g.finish();
}

/// What people write today: every event of the window kept in a deque
/// (the seed's design), expired from the front as time moves on.
struct DequeWindow<E> {
    window_ms: u64,
    events: VecDeque<(u64, Category, E)>,
}

impl<E> DequeWindow<E> {
    fn new() -> Self {
        Self {
            window_ms: 300_000,
            events: VecDeque::new(),
        }
    }

    fn record(&mut self, at: u64, category: Category, endpoint: E) -> usize {
        self.events.push_back((at, category, endpoint));
        let cutoff = at.saturating_sub(self.window_ms);
        while self.events.front().is_some_and(|e| e.0 < cutoff) {
            self.events.pop_front();
        }
        self.events.len()
    }
}

const FILLS: [u64; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// Monitor record with the window already holding N events, the endpoint
/// interned once beforehand on both sides (ours: `EndpointId`; the deque:
/// a `u32`).
fn monitor(c: &mut Criterion) {
    let mut g = c.benchmark_group("monitor_record");
    g.sample_size(30);
    for fill in FILLS {
        // N events spread over the 5-minute window.
        let spacing_us = 300_000_000 / fill;
        let mut ours = ErrorMonitor::new(MonitorConfig::default()).unwrap();
        let id = ours.endpoint("/listings/123", Millis(0));
        let mut theirs = DequeWindow::<u32>::new();
        for i in 0..fill {
            let at = i * spacing_us / 1000;
            ours.record_outcome(id, SERVER_ERROR, Millis(at));
            theirs.record(at, Category::Server, 7);
        }
        let mut i = fill;
        g.bench_with_input(BenchmarkId::new("steadfast", fill), &fill, |b, _| {
            b.iter(|| {
                i += 1;
                ours.record_outcome(id, black_box(SERVER_ERROR), Millis(i * spacing_us / 1000));
            })
        });
        let mut j = fill;
        g.bench_with_input(BenchmarkId::new("vecdeque", fill), &fill, |b, _| {
            b.iter(|| {
                j += 1;
                black_box(theirs.record(j * spacing_us / 1000, Category::Server, 7))
            })
        });
    }
    g.finish();
}

/// Monitor record from a raw path (`/listings/<id>`, 1000 distinct ids):
/// ours normalises it to `/listings/{id}` without allocating; the deque
/// stores the path as a `String`, as the seed stores it.
fn monitor_from_path(c: &mut Criterion) {
    let mut g = c.benchmark_group("monitor_record_path");
    g.sample_size(30);
    let paths: Vec<String> = (0..1000)
        .map(|i| format!("/listings/{}", 100_000 + i))
        .collect();
    let fill = 100_000u64;
    let spacing_us = 300_000_000 / fill;
    let mut ours = ErrorMonitor::new(MonitorConfig::default()).unwrap();
    let mut theirs = DequeWindow::<String>::new();
    for i in 0..fill {
        let at = i * spacing_us / 1000;
        let path = &paths[(i % 1000) as usize];
        ours.record(observation(path), Millis(at));
        theirs.record(at, Category::Server, path.clone());
    }
    let mut i = fill;
    g.bench_function("steadfast", |b| {
        b.iter(|| {
            i += 1;
            let path = &paths[(i % 1000) as usize];
            ours.record(observation(black_box(path)), Millis(i * spacing_us / 1000));
        })
    });
    let mut j = fill;
    g.bench_function("vecdeque", |b| {
        b.iter(|| {
            j += 1;
            let path = &paths[(j % 1000) as usize];
            black_box(theirs.record(
                j * spacing_us / 1000,
                Category::Server,
                black_box(path).clone(),
            ))
        })
    });
    g.finish();
}

/// A summary of the window (errors by category and endpoint) with N events
/// in it: the seed computed it by walking the deque.
fn monitor_summary(c: &mut Criterion) {
    let mut g = c.benchmark_group("monitor_summary");
    g.sample_size(20);
    for fill in FILLS {
        let spacing_us = 300_000_000 / fill;
        let mut ours = ErrorMonitor::new(MonitorConfig::default()).unwrap();
        let mut theirs = DequeWindow::<u32>::new();
        let ids: Vec<_> = (0..8)
            .map(|e| ours.endpoint(&format!("/e{e}"), Millis(0)))
            .collect();
        for i in 0..fill {
            let at = i * spacing_us / 1000;
            ours.record_outcome(ids[(i % 8) as usize], SERVER_ERROR, Millis(at));
            theirs.record(at, Category::Server, (i % 8) as u32);
        }
        let now = Millis((fill - 1) * spacing_us / 1000);
        g.bench_with_input(BenchmarkId::new("steadfast", fill), &fill, |b, _| {
            b.iter(|| black_box(ours.summary(now)))
        });
        g.bench_with_input(BenchmarkId::new("vecdeque", fill), &fill, |b, _| {
            b.iter(|| {
                let mut by_category = std::collections::HashMap::new();
                let mut by_endpoint = std::collections::HashMap::new();
                for (_, category, endpoint) in &theirs.events {
                    *by_category.entry(*category).or_insert(0u64) += 1;
                    *by_endpoint.entry(*endpoint).or_insert(0u64) += 1;
                }
                black_box((theirs.events.len(), by_category, by_endpoint))
            })
        });
    }
    g.finish();
}

const SERVER_ERROR: Outcome<'static> = Outcome {
    category: Some(Category::Server),
    status: Some(500),
    message: None,
};

fn observation(endpoint: &str) -> Observation<'_> {
    Observation {
        endpoint,
        category: Some(Category::Server),
        status: Some(500),
        message: None,
    }
}

criterion_group! {
    name = peers;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = limiter, breaker, backoff, monitor, monitor_from_path, monitor_summary
}
criterion_main!(peers);
