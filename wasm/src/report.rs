//! The core's state as plain data on the output tape, in the layouts
//! `index.d.ts` gives: `client.health()`, a limiter's `status()`, a
//! monitor's summary, a failed call's fields. Written by hand: serde and
//! serde-wasm-bindgen cost more bytes than this.

use steadfast_core::engine::{CallFailure, FailureKind, Health};
use steadfast_core::limiter::LimiterStatus;
use steadfast_core::monitor::stats::Stats;
use steadfast_core::monitor::MonitorSummary;
use steadfast_core::Category;
use steadfast_core::Millis;

use crate::tape::Writer;

fn at(w: &mut Writer, t: Option<Millis>) {
    w.opt_int(t.map(|m| m.0));
}

fn len(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// [`Health`]: `{ circuit, circuitOpenUntil, circuits, limiter, monitor,
/// activeCalls, inFlight }`.
pub(crate) fn health(w: &mut Writer, h: &Health) {
    w.obj(7).key("circuit").str(h.circuit.as_str());
    w.key("circuitOpenUntil");
    at(w, h.circuit_open_until);
    w.key("circuits").arr(len(h.circuits.len()));
    for c in &h.circuits {
        w.obj(4)
            .key("endpoint")
            .opt_str(c.endpoint.as_deref())
            .key("state")
            .str(c.state.as_str())
            .key("openUntil");
        at(w, c.open_until);
        w.key("probesInFlight").int(u64::from(c.probes_in_flight));
    }
    w.key("limiter");
    limiter(w, &h.limiter);
    w.key("monitor");
    summary(w, &h.monitor);
    w.key("activeCalls").int(h.active_calls as u64);
    w.key("inFlight").int(h.in_flight as u64);
}

/// [`LimiterStatus`].
pub(crate) fn limiter(w: &mut Writer, l: &LimiterStatus) {
    w.obj(9)
        .key("effectivePerSecond")
        .num(l.effective_per_second)
        .key("slowdown")
        .num(l.slowdown)
        .key("dayUsed")
        .int(l.day_used)
        .key("dayAllowance")
        .opt_int(l.day_allowance)
        .key("serverDayRemaining")
        .opt_int(l.server_day_remaining)
        .key("inFlight")
        .int(l.in_flight)
        .key("heldUntil");
    at(w, l.held_until);
    w.key("pauseAskedUntil");
    at(w, l.pause_asked_until);
    w.key("exhaustedUntil");
    at(w, l.exhausted_until);
}

/// [`MonitorSummary`].
pub(crate) fn summary(w: &mut Writer, s: &MonitorSummary) {
    w.obj(8)
        .key("windowMs")
        .int(s.window_ms)
        .key("totalCalls")
        .int(s.total_calls)
        .key("totalErrors")
        .int(s.total_errors)
        .key("errorRate")
        .num(s.error_rate)
        .key("byCategory")
        .arr(len(s.by_category.len()));
    for (c, n) in &s.by_category {
        w.arr(2).str(c.as_str()).int(*n);
    }
    w.key("byEndpoint").arr(len(s.by_endpoint.len()));
    for e in &s.by_endpoint {
        w.obj(3)
            .key("endpoint")
            .str(&e.endpoint)
            .key("calls")
            .int(e.calls)
            .key("errors")
            .int(e.errors);
    }
    w.key("mostRecent");
    match &s.most_recent {
        None => {
            w.null();
        }
        Some(r) => {
            w.obj(5)
                .key("category")
                .str(r.category.as_str())
                .key("status")
                .opt_int(r.status.map(u64::from))
                .key("endpoint")
                .str(&r.endpoint)
                .key("message")
                .opt_str(r.message.as_deref())
                .key("at")
                .int(r.at.0);
        }
    }
    w.key("alerting").bool(s.alerting);
}

/// A failed call's `ResilienceError`: `{ message, category, kind, reason,
/// status, retryAfterMs, attempts, isRetryable, method, endpoint,
/// serverMessage }`, as the core reports it ([`CallFailure::report`]).
pub(crate) fn failure(w: &mut Writer, f: &CallFailure) {
    let r = f.report();
    w.obj(11)
        .key("message")
        .str(&r.message)
        .key("category")
        .str(r.category)
        .key("kind")
        .str(r.kind)
        .key("reason")
        .opt_str(r.reason)
        .key("status")
        .opt_int(f.status.map(u64::from))
        .key("retryAfterMs")
        .opt_int(f.retry_after_ms)
        .key("attempts")
        .int(u64::from(f.attempts))
        .key("isRetryable")
        .bool(r.retryable)
        .key("method")
        .str(f.method.as_str())
        .key("endpoint")
        .str(&f.endpoint)
        .key("serverMessage")
        .opt_str(f.message.as_deref());
}

/// [`Stats`]: `{ windowMs, calls: { total, success, failure, byKind },
/// attempts: { total, failed, byCategory }, latencyMs: { p50, p90, p99,
/// max } }`: every kind and category named, zeros included, so the shape
/// never changes; the latencies `null` while no call ended in the window.
pub(crate) fn stats(w: &mut Writer, s: &Stats) {
    w.obj(4).key("windowMs").int(s.window_ms);
    let failures = s.failures();
    w.key("calls")
        .obj(4)
        .key("total")
        .int(s.successes + failures)
        .key("success")
        .int(s.successes)
        .key("failure")
        .int(failures)
        .key("byKind")
        .obj(len(FailureKind::NAMES.len()));
    for (name, n) in FailureKind::NAMES.iter().zip(s.failures_by_kind) {
        w.key(name).int(n);
    }
    w.key("attempts")
        .obj(3)
        .key("total")
        .int(s.attempts)
        .key("failed")
        .int(s.failed_attempts())
        .key("byCategory")
        .obj(len(Category::ALL.len()));
    for (c, n) in Category::ALL.iter().zip(s.failed_attempts_by_category) {
        w.key(c.as_str()).int(n);
    }
    let l = s.latency_ms;
    w.key("latencyMs")
        .obj(4)
        .key("p50")
        .opt_int(l.map(|l| l.p50))
        .key("p90")
        .opt_int(l.map(|l| l.p90))
        .key("p99")
        .opt_int(l.map(|l| l.p99))
        .key("max")
        .opt_int(l.map(|l| l.max));
}
