//! A tour of the core's seven parts, one decision at a time, in plain
//! sentences: `make tour` (or `cargo run -p steadfast-core --example tour`).
//!
//! Every instant here is an argument (simulated milliseconds from 0): nothing
//! sleeps, nothing reads a clock, nothing touches the network.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use steadfast_core::breaker::{BreakerConfig, CircuitBreaker, CircuitState};
use steadfast_core::engine::{
    CallFailure, Engine, EngineConfig, Event, FailureKind, Output, RequestMeta, ResponseMeta,
};
use steadfast_core::headers::{parse_retry_after, RateLimitHeaders};
use steadfast_core::limiter::{Admission, LimiterConfig, RateLimiter};
use steadfast_core::monitor::{ErrorMonitor, MonitorConfig, MonitorEvent, Observation};
use steadfast_core::retry::{
    GiveUp, RequestFacts, RetryConfig, RetryDecision, RetryPolicy, RetryState,
};
use steadfast_core::{
    classify_failure, classify_response, Category, Classification, Effect, Method, Millis,
    SplitMix64, TransportFailure, UnixMillis,
};

/// No headers.
const NONE: &[(&str, &str)] = &[];

fn main() {
    println!("A tour of steadfast-core (simulated time; nothing here sleeps)");
    classify();
    headers();
    retry();
    breaker();
    limiter();
    monitor();
    engine();
}

fn part(n: u32, name: &str, what: &str) {
    println!("\n{n}. {name}: {what}");
}

/// `250 ms`, `1.5 s`, `60.3 s`, `5 min`, `1 year`.
fn duration(ms: u64) -> String {
    const YEAR: u64 = 365 * 86_400_000;
    if ms >= YEAR {
        let years = ms as f64 / YEAR as f64;
        return if (years - 1.0).abs() < 0.05 {
            "1 year".to_owned()
        } else {
            format!("{years:.1} years")
        };
    }
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=119_999 => trimmed(ms as f64 / 1000.0, "s"),
        120_000..=7_199_999 => trimmed(ms as f64 / 60_000.0, "min"),
        _ => trimmed(ms as f64 / 3_600_000.0, "h"),
    }
}

/// `1.5 s`, or `2 s` rather than `2.0 s`.
fn trimmed(value: f64, unit: &str) -> String {
    let text = format!("{value:.1}");
    format!("{} {unit}", text.trim_end_matches(".0"))
}

/// An instant, as a time since the start.
fn at(t: Millis) -> String {
    format!("at {}", duration(t.as_u64()))
}

/// A time column for the engine's log.
fn clock(t: Millis) -> String {
    format!("{:>7}", duration(t.as_u64()))
}

/// `10 000`.
fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// `1 call`, `3 calls`.
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

fn category(c: Option<Category>) -> &'static str {
    match c {
        None => "a success",
        Some(Category::Auth) => "an authentication error",
        Some(Category::RateLimit) => "a rate-limit refusal",
        Some(Category::Validation) => "a bad request",
        Some(Category::NotFound) => "not found",
        Some(Category::Conflict) => "a conflict",
        Some(Category::Server) => "a server error",
        Some(Category::Network) => "a network failure",
        Some(Category::Timeout) => "a timeout",
        Some(_) => "an unknown failure",
    }
}

fn effect(e: Effect) -> &'static str {
    match e {
        Effect::NotApplied => "the server certainly did nothing",
        Effect::Unknown => "the server may have acted",
        Effect::Applied => "the server acted",
    }
}

fn describe(c: &Classification) -> String {
    let mut s = format!(
        "{}, {}; {}",
        category(c.category),
        if c.retryable {
            "worth retrying"
        } else {
            "not worth retrying"
        },
        effect(c.effect)
    );
    if let Some(d) = c.server_delay_ms {
        s.push_str(&format!("; the server asks for {}", duration(d)));
    }
    if let Some(m) = &c.message {
        s.push_str(&format!("; its message: \"{m}\""));
    }
    s
}

fn give_up(g: GiveUp, max_wait_ms: u64) -> String {
    match g {
        GiveUp::NotRetryable => "give up: a retry cannot fix this".to_owned(),
        GiveUp::AttemptsExhausted => "give up: every retry is spent".to_owned(),
        GiveUp::WouldDuplicateWrite => {
            "give up: the write may have happened, and sending it again could do it twice"
                .to_owned()
        }
        GiveUp::RetryAfterTooLong { retry_after_ms } => format!(
            "give up at once: the server asks for {}, longer than the {} a call will wait; \
             the caller is told when to try again",
            duration(retry_after_ms),
            duration(max_wait_ms)
        ),
        GiveUp::DeadlineExceeded { retry_after_ms } => format!(
            "give up: waiting {} would pass the call's deadline",
            duration(retry_after_ms)
        ),
        GiveUp::BudgetExhausted => "give up: the shared retry budget is spent".to_owned(),
        _ => "give up".to_owned(),
    }
}

fn state(s: CircuitState) -> &'static str {
    match s {
        CircuitState::Closed => "closed",
        CircuitState::Open => "open",
        CircuitState::HalfOpen => "half-open",
    }
}

fn classify() {
    part(
        1,
        "classify",
        "what an outcome means, and whether a retry could help",
    );
    let cases: [(&str, Classification); 5] = [
        (
            "a 429 with Retry-After: 30",
            classify_response(429, &[("Retry-After", "30")][..], None, None),
        ),
        ("a 503", classify_response(503, NONE, None, None)),
        (
            "a 404 with a JSON body",
            classify_response(
                404,
                NONE,
                Some(r#"{"error":"Listing 123 not found"}"#),
                None,
            ),
        ),
        (
            "a connection refused",
            classify_failure(TransportFailure::ConnectRefused),
        ),
        (
            "no answer before the timeout",
            classify_failure(TransportFailure::Timeout),
        ),
    ];
    for (what, c) in &cases {
        println!("   {what}: {}.", describe(c));
    }
}

fn headers() {
    part(
        2,
        "headers",
        "what Retry-After and the rate-limit headers say",
    );
    // 21 Oct 2015 07:28:00 GMT, in Unix milliseconds: the wall clock that an
    // HTTP-date is compared with.
    let wall = UnixMillis(1_445_412_480_000);
    for value in ["120", "Wed, 21 Oct 2015 07:28:30 GMT", "soon"] {
        match parse_retry_after(value, Some(wall)) {
            Ok(ms) => println!("   Retry-After: {value} means wait {}.", duration(ms)),
            Err(e) => println!("   Retry-After: {value} is ignored ({e})."),
        }
    }
    let etsy = [
        ("x-limit-per-second", "10"),
        ("x-remaining-this-second", "9"),
        ("x-limit-per-day", "10000"),
        ("x-remaining-today", "4200"),
    ];
    let rate = RateLimitHeaders::read(&etsy[..], None);
    let n = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), count);
    println!(
        "   Etsy's rate headers say: {} requests a second allowed, {} left this second; \
         {} of {} left today.",
        n(rate.per_second.limit),
        n(rate.per_second.remaining),
        n(rate.per_day.remaining),
        n(rate.per_day.limit)
    );
}

fn retry() {
    part(
        3,
        "retry",
        "whether and when to try again (defaults: 3 retries, 1 s doubling, 60 s cap, full jitter)",
    );
    let policy = RetryPolicy::new(RetryConfig::default()).unwrap();
    let mut rng = SplitMix64::new(42);
    let now = Millis(30_000);
    let timeout = classify_failure(TransportFailure::Timeout);
    let refused = classify_failure(TransportFailure::ConnectRefused);
    let slow_down = classify_response(429, &[("Retry-After", "30")][..], None, None);
    let a_year = classify_response(429, &[("Retry-After", "31536000")][..], None, None);
    let cases: [(&str, Method, bool, &Classification); 6] = [
        ("a GET after a timeout", Method::Get, false, &timeout),
        ("a POST after a timeout", Method::Post, false, &timeout),
        (
            "a POST with an idempotency key after a timeout",
            Method::Post,
            true,
            &timeout,
        ),
        (
            "a POST whose connection was refused",
            Method::Post,
            false,
            &refused,
        ),
        (
            "a GET after a 429 with Retry-After: 30",
            Method::Get,
            false,
            &slow_down,
        ),
        (
            "a GET after a 429 asking for a year",
            Method::Get,
            false,
            &a_year,
        ),
    ];
    for (what, method, key, outcome) in cases {
        let mut call = RetryState::new(Millis(0));
        let facts = RequestFacts::of(method, key);
        let decision = policy.decide(&mut call, outcome, facts, None, &mut rng, now);
        let shown = match decision {
            RetryDecision::RetryAt { delay_ms, .. } => format!("retry in {}", duration(delay_ms)),
            RetryDecision::GiveUp(why) => give_up(why, policy.config().max_retry_after_ms),
        };
        println!("   {what}: {shown}.");
    }
    let mut call = RetryState::new(Millis(0));
    let facts = RequestFacts::of(Method::Get, false);
    let mut waits = Vec::new();
    let mut t = Millis(0);
    loop {
        let retry = call.retries;
        match policy.decide(&mut call, &timeout, facts, None, &mut rng, t) {
            RetryDecision::RetryAt { delay_ms, at } => {
                waits.push(format!(
                    "{} (at most {})",
                    duration(delay_ms),
                    duration(policy.backoff().ceiling(retry))
                ));
                t = at;
            }
            RetryDecision::GiveUp(why) => {
                println!(
                    "   A GET that keeps timing out waits {} between its attempts; then {}.",
                    waits.join(", then "),
                    give_up(why, policy.config().max_retry_after_ms)
                );
                break;
            }
        }
    }
}

fn breaker() {
    part(
        4,
        "breaker",
        "whether to send at all while the service is failing (defaults: 5 failures open it for 60 s)",
    );
    let mut breaker = CircuitBreaker::new(BreakerConfig::default()).unwrap();
    let not_found = classify_response(404, NONE, None, None);
    let unavailable = classify_response(503, NONE, None, None);
    let ok = classify_response(200, NONE, None, None);
    for t in 0..5 {
        let permit = breaker.try_acquire(Millis(t)).unwrap();
        breaker.record_classified(permit, &not_found, Millis(t));
    }
    println!(
        "   Five 404s: the circuit is still {} (the caller's mistakes say nothing about the service).",
        state(breaker.state(Millis(5)))
    );
    for t in 10..15 {
        let permit = breaker.try_acquire(Millis(t)).unwrap();
        breaker.record_classified(permit, &unavailable, Millis(t));
    }
    let open_until = breaker.open_until().unwrap_or(Millis(0));
    println!(
        "   Five 503s in a row: the circuit is {}; calls fail at once until {}.",
        state(breaker.state(Millis(20))),
        duration(open_until.as_u64())
    );
    match breaker.try_acquire(Millis(1_000)) {
        Ok(_) => println!("   A call at 1 s is let through (unexpected)."),
        Err(_) => println!("   A call at 1 s is refused without being sent."),
    }
    let probe_at = open_until;
    let probe = breaker.try_acquire(probe_at).unwrap();
    let second = breaker.try_acquire(probe_at);
    println!(
        "   At {}: the circuit is {}; one probe goes, a second call {}.",
        duration(probe_at.as_u64()),
        state(breaker.state(probe_at)),
        if second.is_err() {
            "waits for its verdict"
        } else {
            "goes too"
        }
    );
    breaker.record_classified(probe, &ok, probe_at.plus(120));
    let probe = breaker.try_acquire(probe_at.plus(200)).unwrap();
    breaker.record_classified(probe, &ok, probe_at.plus(320));
    println!(
        "   Two probes succeed: the circuit is {} again.",
        state(breaker.state(probe_at.plus(320)))
    );
    print!("   Its events:");
    let mut first = true;
    while let Some(e) = breaker.poll_event() {
        print!(
            "{} {} → {} {}",
            if first { "" } else { ";" },
            state(e.from),
            state(e.to),
            at(e.at)
        );
        first = false;
    }
    println!(".");
}

fn limiter() {
    part(
        5,
        "limiter",
        "when the next request may go (defaults: 10 per second, 10 000 a day with 10 % held back)",
    );
    let mut limiter = RateLimiter::new(LimiterConfig::default()).unwrap();
    let now = Millis(0);
    let mut slots = Vec::new();
    let mut permits = Vec::new();
    for _ in 0..5 {
        match limiter.reserve(now) {
            Admission::Ready(p) => {
                slots.push("now".to_owned());
                permits.push(p);
            }
            Admission::Scheduled(p) => {
                slots.push(duration(p.at().as_u64()));
                permits.push(p);
            }
            Admission::Held { until } => slots.push(format!("paused until {}", duration(until.0))),
            Admission::Exhausted { until } => {
                slots.push(format!("quota spent until {}", duration(until.0)));
            }
            Admission::Backlogged { until } => {
                slots.push(format!("ask again {}", at(until)));
            }
        }
    }
    println!(
        "   Five callers ask at once; they get slots in the order they asked: {}.",
        slots.join(", ")
    );
    println!("   The limiter never sleeps: the host waits until each slot, then sends.");
    let status = limiter.status(now);
    println!(
        "   Each booked slot counts against the day: {} of {} usable requests are used \
         (10 000 less the 10 % held back).",
        count(status.day_used),
        status
            .day_allowance
            .map_or_else(|| "unlimited".to_owned(), count)
    );
    for p in permits {
        limiter.complete(p, None, Millis(500));
    }
}

fn monitor() {
    part(
        6,
        "monitor",
        "how the error rate looks, and when to alert (here: 3 errors in 5 minutes)",
    );
    let config = MonitorConfig {
        alert_threshold: 3,
        ..MonitorConfig::default()
    };
    let mut monitor = ErrorMonitor::new(config).unwrap();
    let outcomes: [(&str, Option<Category>, Option<u16>); 6] = [
        ("/v3/application/listings/123", None, Some(200)),
        (
            "/v3/application/listings/456",
            Some(Category::Server),
            Some(502),
        ),
        ("/v3/application/shops/42", None, Some(200)),
        (
            "/v3/application/listings/789",
            Some(Category::Server),
            Some(503),
        ),
        (
            "/v3/application/listings/123",
            Some(Category::Timeout),
            None,
        ),
        (
            "/v3/application/listings/456",
            Some(Category::Server),
            Some(500),
        ),
    ];
    for (i, (endpoint, category, status)) in outcomes.into_iter().enumerate() {
        let now = Millis(i as u64 * 10_000);
        monitor.record(
            Observation {
                endpoint,
                category,
                status,
                message: None,
            },
            now,
        );
        while let Some(event) = monitor.poll_event() {
            match event {
                MonitorEvent::Alert(s) => println!(
                    "   At {}: alert — {} in {} in the last {}.",
                    duration(now.as_u64()),
                    plural(s.total_errors, "error", "errors"),
                    plural(s.total_calls, "call", "calls"),
                    duration(s.window_ms)
                ),
                MonitorEvent::Recovered(_) => {
                    println!("   At {}: recovered.", duration(now.as_u64()));
                }
            }
        }
    }
    let summary = monitor.summary(Millis(60_000));
    println!(
        "   One alert per crossing: the fourth error raised none. By endpoint, ids folded: {}.",
        summary
            .by_endpoint
            .iter()
            .map(|e| {
                format!(
                    "{} has {} in {}",
                    e.endpoint,
                    plural(e.errors, "error", "errors"),
                    plural(e.calls, "call", "calls")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    );
}

fn engine() {
    part(
        7,
        "engine",
        "one call from start to result, composing all of the above",
    );
    println!(
        "   A minimal host: it starts a GET, does what the engine's outputs say, and when\n   \
         nothing is left to send arms one timer at poll_timeout(). The server answers\n   \
         after 80 ms, first 503, then 200."
    );
    let mut engine = Engine::new(EngineConfig::default(), Millis(0)).unwrap();
    let mut now = Millis(0);
    let call = engine.start(
        RequestMeta {
            method: Method::Get,
            endpoint: "/v3/application/listings/123",
            idempotency_key: false,
            timeout_ms: None,
            deadline_ms: None,
        },
        now,
    );
    println!("   {}  host: start the call.", clock(now));
    let mut answers = [503u16, 200].into_iter();
    let mut to_answer = Vec::new();
    let mut done = false;
    while !done {
        while let Some(output) = engine.poll_output() {
            match output {
                Output::Send { attempt, .. } => {
                    println!("   {}  engine: send attempt {attempt}.", clock(now));
                    to_answer.push(attempt);
                }
                Output::Event(Event::Retry {
                    attempt,
                    delay_ms,
                    status,
                    ..
                }) => println!(
                    "   {}  engine: attempt {attempt} got {}; retry in {}.",
                    clock(now),
                    status.map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
                    duration(delay_ms)
                ),
                Output::Done { result, .. } => {
                    done = true;
                    match result {
                        Ok(ok) => println!(
                            "   {}  engine: done, the call succeeded with {} after {}.",
                            clock(now),
                            ok.status,
                            plural(ok.attempts.into(), "attempt", "attempts")
                        ),
                        Err(CallFailure { kind, attempts, .. }) => println!(
                            "   {}  engine: done, the call failed ({}) after {}.",
                            clock(now),
                            match kind {
                                FailureKind::CircuitOpen => "the circuit is open",
                                FailureKind::RateLimited => "rate limited",
                                _ => "gave up",
                            },
                            plural(attempts.into(), "attempt", "attempts")
                        ),
                    }
                }
                _ => {}
            }
        }
        if done {
            break;
        }
        if let Some(attempt) = to_answer.pop() {
            now = now.plus(80);
            let status = answers.next().unwrap_or(200);
            println!("   {}  server: {status}.", clock(now));
            let response = ResponseMeta {
                status,
                headers: &[],
                body: None,
                wall: None,
            };
            engine.handle_response(call, attempt, response, now);
        } else if let Some(wake) = engine.poll_timeout() {
            println!(
                "   {}  host: nothing to send; a timer for {}.",
                clock(now),
                duration(wake.as_u64())
            );
            now = wake;
            engine.handle_timeout(now);
        } else {
            println!("   {}  host: nothing left to do.", clock(now));
            break;
        }
    }
}
