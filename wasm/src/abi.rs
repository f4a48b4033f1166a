//! The module's exports, as the package's JavaScript calls them: plain
//! functions of numbers. An object (a client, a breaker, ...) is a handle
//! ([`Handles`]), passed first; `<kind>_open` answers one (`0`: the options
//! were refused, the ERROR record says why) and `<kind>_free` drops it
//! (when its JavaScript wrapper was collected). A client is also freed by
//! `client_close`, at once: `close()` needs no collection to give its
//! memory back.
//!
//! What crosses is what WebAssembly carries: `i32` and `f64`. A `bool`
//! argument arrives as a `u32` (anything but `0` is true) and a `bool`
//! answer leaves as `0` / `1`, so no number the JavaScript passes can be an
//! invalid Rust value. Every other answer is the output tape's length
//! ([`crate::io`]), or says in its documentation what it is.
//!
//! Only in WebAssembly: native builds (the tests) call the Rust methods.

use crate::blocks::{self, WasmBreaker};
use crate::client::WasmClient;
use crate::global::Global;
use crate::handles::Handles;
use crate::io::{self, exchange};
use crate::standalone::{WasmLimiter, WasmMonitor, WasmRetry};

static CLIENTS: Global<Handles<WasmClient>> = Global::new(Handles::new());
static BREAKERS: Global<Handles<WasmBreaker>> = Global::new(Handles::new());
static LIMITERS: Global<Handles<WasmLimiter>> = Global::new(Handles::new());
static RETRIES: Global<Handles<WasmRetry>> = Global::new(Handles::new());
static MONITORS: Global<Handles<WasmMonitor>> = Global::new(Handles::new());

/// Runs `f` on the object under `h`; `none` when there is none.
fn on<T, R>(objects: &Global<Handles<T>>, h: u32, none: R, f: impl FnOnce(&mut T) -> R) -> R {
    objects
        .with(|o| o.get_mut(h).map(f))
        .flatten()
        .unwrap_or(none)
}

/// Keeps a new object: its handle, `0` for `None`.
fn keep<T>(objects: &Global<Handles<T>>, value: Option<T>) -> u32 {
    objects.with(|o| o.insert(value)).unwrap_or(0)
}

fn free<T>(objects: &Global<Handles<T>>, h: u32) {
    objects.with(|o| o.remove(h));
}

// ----- the areas and the tables ---------------------------------------------

/// [`io::io`].
#[no_mangle]
pub extern "C" fn io() -> u32 {
    io::io()
}

/// [`io::grow`].
#[no_mangle]
pub extern "C" fn grow(n: u32) {
    io::grow(n);
}

/// [`blocks::tables`].
#[no_mangle]
pub extern "C" fn tables() -> u32 {
    blocks::tables()
}

/// [`blocks::classify`].
#[no_mangle]
pub extern "C" fn classify(len: u32, wall: f64) -> u32 {
    blocks::classify(len, wall)
}

// ----- createClient ---------------------------------------------------------

/// [`WasmClient::open`].
#[no_mangle]
pub extern "C" fn client_open(len: u32, seed_hi: u32, seed_lo: u32, now: f64, wall: f64) -> u32 {
    keep(&CLIENTS, WasmClient::open(len, seed_hi, seed_lo, now, wall))
}

/// Drops the client under the handle (its JavaScript wrapper was collected
/// unclosed: a closed one was freed by `client_close`).
#[no_mangle]
pub extern "C" fn client_free(h: u32) {
    free(&CLIENTS, h);
}

/// [`WasmClient::start`]; a handle that names no client (`0`: the
/// JavaScript's closed client) is a closed client's call.
#[no_mangle]
pub extern "C" fn client_start(h: u32, len: u32, now: f64) -> u32 {
    CLIENTS
        .with(|o| WasmClient::start(o.get_mut(h), len, now))
        .unwrap_or(0)
}

/// [`WasmClient::response`].
#[no_mangle]
pub extern "C" fn client_response(
    h: u32,
    slot: u32,
    attempt: u32,
    status: f64,
    now: f64,
    wall: f64,
    len: u32,
) -> u32 {
    on(&CLIENTS, h, 0, |c| {
        c.response(slot, attempt, status, now, wall, len)
    })
}

/// [`WasmClient::failure`].
#[no_mangle]
pub extern "C" fn client_failure(h: u32, slot: u32, attempt: u32, now: f64, len: u32) -> u32 {
    on(&CLIENTS, h, 0, |c| c.failure(slot, attempt, now, len))
}

/// [`WasmClient::header_values`].
#[no_mangle]
pub extern "C" fn client_headers(h: u32, slot: u32, attempt: u32, now: f64, len: u32) -> u32 {
    on(&CLIENTS, h, 0, |c| c.header_values(slot, attempt, now, len))
}

/// [`WasmClient::refreshed`] (`ok`: anything but `0`).
#[no_mangle]
pub extern "C" fn client_refreshed(h: u32, generation: u32, ok: u32, now: f64, len: u32) -> u32 {
    on(&CLIENTS, h, 0, |c| {
        c.refreshed(generation, ok != 0, now, len)
    })
}

/// [`WasmClient::fire`].
#[no_mangle]
pub extern "C" fn client_fire(h: u32, now: f64) -> u32 {
    on(&CLIENTS, h, 0, |c| c.fire(now))
}

/// [`WasmClient::cancel`].
#[no_mangle]
pub extern "C" fn client_cancel(h: u32, slot: u32, now: f64) -> u32 {
    on(&CLIENTS, h, 0, |c| c.cancel(slot, now))
}

/// [`WasmClient::close`]: the client is taken out and freed; its handle
/// names none from here on (and may name the next client).
#[no_mangle]
pub extern "C" fn client_close(h: u32, now: f64, wall: f64) -> u32 {
    let client = CLIENTS.with(|o| o.take(h)).flatten();
    client.map_or(0, |c| c.close(now, wall))
}

/// [`WasmClient::health`].
#[no_mangle]
pub extern "C" fn client_health(h: u32, now: f64) -> u32 {
    on(&CLIENTS, h, 0, |c| c.health(now))
}

/// [`WasmClient::snapshot`].
#[no_mangle]
pub extern "C" fn client_snapshot(h: u32, now: f64, wall: f64) -> u32 {
    on(&CLIENTS, h, 0, |c| c.snapshot(now, wall))
}

/// [`WasmClient::events`].
#[no_mangle]
pub extern "C" fn client_events(h: u32, mask: u32) {
    on(&CLIENTS, h, (), |c| c.events(mask));
}

/// [`WasmClient::stats`].
#[no_mangle]
pub extern "C" fn client_stats(h: u32, now: f64) -> u32 {
    on(&CLIENTS, h, 0, |c| c.stats(now))
}

/// [`WasmClient::listen`] (no handle: the check is every client's).
#[no_mangle]
pub extern "C" fn client_listen(len: u32) -> u32 {
    WasmClient::listen(len)
}

// ----- new CircuitBreaker ---------------------------------------------------

/// [`WasmBreaker::open`].
#[no_mangle]
pub extern "C" fn breaker_open(len: u32) -> u32 {
    keep(&BREAKERS, WasmBreaker::open(len))
}

/// Drops the object under the handle (its JavaScript wrapper was collected).
#[no_mangle]
pub extern "C" fn breaker_free(h: u32) {
    free(&BREAKERS, h);
}

/// [`WasmBreaker::acquire`] (`NaN` for no such breaker: asked again, timed,
/// it stays `NaN`, which the JavaScript reads as "refused").
#[no_mangle]
pub extern "C" fn breaker_acquire(h: u32, timed: u32, now: f64) -> f64 {
    on(&BREAKERS, h, f64::NAN, |b| b.acquire(timed != 0, now))
}

/// [`WasmBreaker::settle`]: a [`blocks::Settled`] (`0` needs the time, `1`
/// settled, `2` settled and state changes wait).
#[no_mangle]
pub extern "C" fn breaker_settle(
    h: u32,
    permit: f64,
    end: u32,
    timed: u32,
    now: f64,
    wall: f64,
    len: u32,
) -> u32 {
    on(&BREAKERS, h, 1, |b| {
        b.settle(permit, end, timed != 0, now, wall, len) as u32
    })
}

/// [`WasmBreaker::listen`].
#[no_mangle]
pub extern "C" fn breaker_listen(h: u32, listening: u32) {
    on(&BREAKERS, h, (), |b| b.listen(listening != 0));
}

/// [`WasmBreaker::events`] (an empty array for no such breaker).
#[no_mangle]
pub extern "C" fn breaker_events(h: u32) -> u32 {
    on(&BREAKERS, h, None, |b| Some(b.events())).unwrap_or_else(|| {
        exchange(0, |_, w| {
            w.arr(0);
        })
    })
}

/// [`WasmBreaker::state`], as the one string on the output tape.
#[no_mangle]
pub extern "C" fn breaker_state(h: u32, now: f64) -> u32 {
    let state = on(&BREAKERS, h, None, |b| Some(b.state(now)));
    exchange(0, |_, w| {
        w.opt_str(state.as_deref());
    })
}

/// [`WasmBreaker::is_available`]: `1` or `0`.
#[no_mangle]
pub extern "C" fn breaker_is_available(h: u32, now: f64) -> u32 {
    on(&BREAKERS, h, 0, |b| u32::from(b.is_available(now)))
}

// ----- new RateLimiter ------------------------------------------------------

/// [`WasmLimiter::open`].
#[no_mangle]
pub extern "C" fn limiter_open(len: u32) -> u32 {
    keep(&LIMITERS, WasmLimiter::open(len))
}

/// Drops the object under the handle (its JavaScript wrapper was collected).
#[no_mangle]
pub extern "C" fn limiter_free(h: u32) {
    free(&LIMITERS, h);
}

/// [`WasmLimiter::step`].
#[no_mangle]
pub extern "C" fn limiter_step(h: u32, ticket: f64, now: f64) -> u32 {
    on(&LIMITERS, h, 0, |l| l.step(ticket, now))
}

/// [`WasmLimiter::cancel`].
#[no_mangle]
pub extern "C" fn limiter_cancel(h: u32, ticket: f64, now: f64) {
    on(&LIMITERS, h, (), |l| l.cancel(ticket, now));
}

/// [`WasmLimiter::update_from_headers`].
#[no_mangle]
pub extern "C" fn limiter_update(h: u32, len: u32, now: f64, wall: f64) -> u32 {
    on(&LIMITERS, h, 0, |l| l.update_from_headers(len, now, wall))
}

/// [`WasmLimiter::status`].
#[no_mangle]
pub extern "C" fn limiter_status(h: u32, now: f64) -> u32 {
    on(&LIMITERS, h, 0, |l| l.status(now))
}

// ----- new RetryPolicy ------------------------------------------------------

/// [`WasmRetry::open`].
#[no_mangle]
pub extern "C" fn retry_open(len: u32, seed_hi: u32, seed_lo: u32, now: f64) -> u32 {
    keep(&RETRIES, WasmRetry::open(len, seed_hi, seed_lo, now))
}

/// Drops the object under the handle (its JavaScript wrapper was collected).
#[no_mangle]
pub extern "C" fn retry_free(h: u32) {
    free(&RETRIES, h);
}

/// [`WasmRetry::decide`]; its `NEEDS_TIME` leaves as `-1` (WebAssembly's
/// `i32`).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn retry_decide(
    h: u32,
    run: f64,
    started: f64,
    ok: u32,
    timed: u32,
    now: f64,
    wall: f64,
    len: u32,
) -> u32 {
    on(&RETRIES, h, 0, |r| {
        r.decide(run, started, ok != 0, timed != 0, now, wall, len)
    })
}

/// [`WasmRetry::finish`].
#[no_mangle]
pub extern "C" fn retry_finish(h: u32, run: f64) {
    on(&RETRIES, h, (), |r| r.finish(run));
}

// ----- new ErrorMonitor -----------------------------------------------------

/// [`WasmMonitor::open`].
#[no_mangle]
pub extern "C" fn monitor_open(len: u32) -> u32 {
    keep(&MONITORS, WasmMonitor::open(len))
}

/// Drops the object under the handle (its JavaScript wrapper was collected).
#[no_mangle]
pub extern "C" fn monitor_free(h: u32) {
    free(&MONITORS, h);
}

/// [`WasmMonitor::record`].
#[no_mangle]
pub extern "C" fn monitor_record(h: u32, len: u32, now: f64) -> u32 {
    on(&MONITORS, h, 0, |m| m.record(len, now))
}

/// [`WasmMonitor::take_events`].
#[no_mangle]
pub extern "C" fn monitor_events(h: u32, now: f64) -> u32 {
    on(&MONITORS, h, 0, |m| m.take_events(now))
}

/// [`WasmMonitor::summary`].
#[no_mangle]
pub extern "C" fn monitor_summary(h: u32, now: f64) -> u32 {
    on(&MONITORS, h, 0, |m| m.summary(now))
}
