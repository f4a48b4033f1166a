//! The seed's other building blocks on their own, over any async function:
//! `RateLimiter`, `RetryPolicy` and `ErrorMonitor`. Every decision is the
//! core's machine; the package's JavaScript only awaits the user's function
//! and sleeps for as long as these answer.

use crate::slots::Slots;

use js_sys::{Array, Function};
use steadfast_core::classify::{classify_response, Classification, FnOutcome};
use steadfast_core::engine::EngineConfig;
use steadfast_core::limiter::{
    Admission, Confirmation, LimiterFeedback, LimiterPermit, RateLimiter, Refusal,
};
use steadfast_core::monitor::{ErrorMonitor, MonitorEvent, Observation};
use steadfast_core::retry::{
    GiveUp, RequestFacts, RetryBudget, RetryDecision, RetryPolicy, RetryState,
};
use steadfast_core::{Category, Millis, SplitMix64, UnixMillis};
use wasm_bindgen::prelude::*;

use crate::blocks::{header_argument, header_fields};
use crate::js::{self, Obj};
use crate::options::{self, Block, OptionError};

/// `clock.now()` when a clock was given, else `performance.now()`.
pub(crate) fn clock_now(clock: Option<&(JsValue, Function)>) -> Millis {
    let t = match clock {
        Some((this, f)) => f.call0(this).ok(),
        None => return crate::host::millis(js::monotonic_now()),
    };
    crate::host::millis(t.and_then(|v| v.as_f64()).unwrap_or(0.0))
}

/// The wall clock, `Date.now()`: what HTTP-date `Retry-After`s are read
/// against.
pub(crate) fn wall() -> UnixMillis {
    UnixMillis(crate::host::millis(js_sys::Date::now()).0)
}

/// A status, as the core reads one from a number.
fn status_of(v: &JsValue) -> Option<u16> {
    v.as_f64()
        .and_then(steadfast_core::classify::status_from_number)
}

fn checked_status(v: &JsValue, name: &str) -> Result<Option<u16>, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    status_of(v).map(Some).ok_or_else(|| status_error(v, name))
}

/// A bad status: a `TypeError` if it is not a number, else a `RangeError`.
pub(crate) fn status_error(v: &JsValue, name: &str) -> JsValue {
    if v.as_f64().is_none() {
        return js_sys::TypeError::new(&format!("steadfast: `{name}` must be a number")).into();
    }
    js_sys::RangeError::new(&format!(
        "steadfast: `{name}` must be a whole number in 100..=999"
    ))
    .into()
}

fn ticket(id: f64) -> Option<u32> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    (id >= 0.0 && id.fract() == 0.0 && id <= f64::from(u32::MAX)).then_some(id as u32)
}

/// One step of `acquire`, for the package's JavaScript.
fn step(ticket: Option<u32>, wait_ms: u64, fail: Option<Refusal>) -> JsValue {
    let o = Obj::new();
    o.set("ticket", ticket.map_or(-1.0, f64::from))
        .set("waitMs", js::num_or_null(Some(wait_ms.max(1))))
        .set("done", ticket.is_none() && wait_ms == 0 && fail.is_none())
        .set("fail", js::str_or_null(fail.map(|r| r.kind)))
        .set("category", js::str_or_null(fail.map(|r| r.category)))
        .set("message", js::str_or_null(fail.map(|r| r.message)));
    o.build()
}

/// The rate limiter alone (`new RateLimiter(options)`): the package's
/// `acquire(signal)` loops over [`WasmLimiter::step`], sleeping as long as
/// each step says.
#[wasm_bindgen]
pub struct WasmLimiter {
    limiter: RateLimiter,
    permits: Slots<LimiterPermit>,
    next: u32,
    clock: Option<(JsValue, Function)>,
}

#[wasm_bindgen]
impl WasmLimiter {
    /// Options as `createClient`'s `limiter` section, plus `clock`.
    ///
    /// # Errors
    /// A `TypeError` / `RangeError` naming the first bad option.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<WasmLimiter, JsValue> {
        let mut config = EngineConfig::default();
        let extras = options::decode_block_alone(&options, Block::Limiter, &mut config)
            .map_err(OptionError::into_js)?;
        let limiter = RateLimiter::new(config.limiter)
            .map_err(|e| OptionError::block(e, "limiter").into_js())?;
        Ok(WasmLimiter {
            limiter,
            permits: Slots::default(),
            next: 0,
            clock: extras.clock,
        })
    }

    /// One step of `acquire`. `ticket` −1 asks for a slot; a ticket answered
    /// earlier says its wait is over. Answers `{ done }` (the slot is the
    /// caller's: go), `{ ticket, waitMs }` (sleep, then step again with that
    /// ticket; −1: ask again), or `{ fail, message, waitMs }` (the core's
    /// [`Refusal`]: reject with that kind and message, come back in
    /// `waitMs`).
    pub fn step(&mut self, ticket_id: f64) -> JsValue {
        let now = clock_now(self.clock.as_ref());
        if let Some(id) = ticket(ticket_id) {
            if let Some(mut permit) = self.permits.remove(id) {
                match self.limiter.confirm(&mut permit, now) {
                    Confirmation::Go => {
                        self.limiter.complete(permit, None, now);
                        return step(None, 0, None);
                    }
                    Confirmation::NotBefore(at) => {
                        self.permits.insert(id, permit);
                        return step(Some(id), now.until(at), None);
                    }
                    Confirmation::Held { until } => {
                        // The ticket keeps its place for when the pause ends.
                        self.permits.insert(id, permit);
                        return step(Some(id), now.until(until), None);
                    }
                }
            }
        }
        match self.limiter.reserve(now) {
            Admission::Ready(permit) => {
                self.limiter.complete(permit, None, now);
                step(None, 0, None)
            }
            Admission::Scheduled(permit) => {
                let id = self.next;
                self.next = self.next.wrapping_add(1);
                let wait = now.until(permit.at());
                self.permits.insert(id, permit);
                step(Some(id), wait, None)
            }
            Admission::Held { until } => step(None, now.until(until), None),
            refused => match refused.refusal() {
                Some(r) => step(None, now.until(r.until), Some(r)),
                None => step(None, 1, None),
            },
        }
    }

    /// Gives back the slot of a ticket whose caller stopped waiting.
    pub fn cancel(&mut self, ticket_id: f64) {
        if let Some(permit) = ticket(ticket_id).and_then(|id| self.permits.remove(id)) {
            let now = clock_now(self.clock.as_ref());
            self.limiter.cancel(permit, now);
        }
    }

    /// Learns from a response's headers (Etsy's `x-limit-per-second`,
    /// `x-remaining-today`, ..., `Retry-After`, `RateLimit`) and its status
    /// (default 200; a 429 slows down and pauses).
    ///
    /// # Errors
    /// A `RangeError` for a status that is not a whole number in 100..=999.
    #[wasm_bindgen(js_name = updateFromHeaders)]
    pub fn update_from_headers(
        &mut self,
        headers: JsValue,
        status: JsValue,
    ) -> Result<(), JsValue> {
        let status = checked_status(&status, "status")?.unwrap_or(200);
        let fields = header_argument(&headers, "headers")?;
        let c = classify_response(status, &fields, None, Some(wall()));
        let now = clock_now(self.clock.as_ref());
        self.limiter.learn(
            LimiterFeedback {
                status,
                server_delay_ms: c.server_delay_ms,
                rate: &c.rate,
            },
            now,
        );
        Ok(())
    }

    /// The limiter's measured state (instants on the limiter's clock).
    pub fn status(&self) -> JsValue {
        crate::host::limiter_value(&self.limiter.status(clock_now(self.clock.as_ref())))
    }
}

/// A function's outcome, read from what it resolved or threw (a numeric
/// `status` or `response.status` and that object's `headers`; else the
/// error codes on it and its causes), judged by the core's one rule
/// ([`steadfast_core::classify_outcome`]): `None` for a success.
pub(crate) fn classify_outcome(ok: bool, value: &JsValue) -> Option<Classification> {
    let response = |v: JsValue| status_of(&js::get(&v, "status")).map(|s| (s, v));
    // `response.status` is looked for only on what was thrown: a resolved
    // value is read no further than its own `status`.
    let carrier = response(value.clone()).or_else(|| {
        if ok {
            None
        } else {
            response(js::get(value, "response"))
        }
    });
    let (status, fields) = match carrier {
        Some((status, v)) => (
            Some(status),
            // What the user's function threw or answered: unreadable
            // headers read as none.
            header_fields(&js::get(&v, "headers")).unwrap_or_default(),
        ),
        None => (None, Vec::new()),
    };
    let failure = if ok || status.is_some() {
        steadfast_core::TransportFailure::Reset
    } else {
        crate::host::failure_kind(value)
    };
    steadfast_core::classify_outcome(
        FnOutcome {
            threw: !ok,
            response: status.map(|s| (s, fields.as_slice())),
            failure,
        },
        Some(wall()),
    )
}

/// The retry policy alone (`new RetryPolicy(options)`): the package's
/// `execute(fn, signal)` runs `fn`, asks [`WasmRetry::decide`], sleeps.
#[wasm_bindgen]
pub struct WasmRetry {
    policy: RetryPolicy,
    budget: Option<RetryBudget>,
    rng: SplitMix64,
    calls: Slots<RetryState>,
    next: u32,
    idempotent: bool,
    clock: Option<(JsValue, Function)>,
}

#[wasm_bindgen]
impl WasmRetry {
    /// Options as `createClient`'s `retry` section, plus `idempotent`
    /// (default `true`: the function may run twice), `seed` and `clock`.
    ///
    /// # Errors
    /// A `TypeError` / `RangeError` naming the first bad option.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<WasmRetry, JsValue> {
        let mut config = EngineConfig::default();
        let extras = options::decode_block_alone(&options, Block::Retry, &mut config)
            .map_err(OptionError::into_js)?;
        let policy =
            RetryPolicy::new(config.retry).map_err(|e| OptionError::block(e, "retry").into_js())?;
        let now = clock_now(extras.clock.as_ref());
        let budget = config
            .budget
            .map(|b| RetryBudget::new(b, now))
            .transpose()
            .map_err(|e| OptionError::block(e, "retry").into_js())?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let seed = extras.seed.unwrap_or_else(|| {
            let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
            let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
            (hi << 32) | lo
        });
        Ok(WasmRetry {
            policy,
            budget,
            rng: SplitMix64::new(seed),
            calls: Slots::default(),
            next: 0,
            idempotent: extras.idempotent,
            clock: extras.clock,
        })
    }

    /// Starts one execution; answers its number.
    pub fn start(&mut self) -> f64 {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        let now = clock_now(self.clock.as_ref());
        self.calls.insert(id, RetryState::new(now));
        if let Some(b) = &mut self.budget {
            b.record_request();
        }
        f64::from(id)
    }

    /// After an attempt of execution `id`: `ok` when the function resolved
    /// (with `value`), else it threw `value`. Answers `undefined` (a
    /// success), `{ retry: true, delayMs, ... }` or `{ retry: false,
    /// reason, category, status, retryAfterMs, isRetryable }`.
    pub fn decide(&mut self, id: f64, ok: bool, value: JsValue) -> JsValue {
        // A success is the common case: answered with no object built.
        let Some(c) = classify_outcome(ok, &value) else {
            return JsValue::UNDEFINED;
        };
        let o = Obj::new();
        let now = clock_now(self.clock.as_ref());
        let request = RequestFacts {
            idempotent: self.idempotent,
        };
        let decision = match ticket(id).and_then(|id| self.calls.get_mut(id)) {
            Some(state) => {
                self.policy
                    .decide(state, &c, request, self.budget.as_mut(), &mut self.rng, now)
            }
            None => RetryDecision::GiveUp(GiveUp::AttemptsExhausted),
        };
        o.set("done", false)
            .set("category", js::str_or_null(c.category.map(|c| c.as_str())))
            .set("status", js::num_or_null(c.status.map(u64::from)))
            .set("isRetryable", c.retryable);
        match decision {
            RetryDecision::RetryAt { delay_ms, .. } => {
                o.set("retry", true)
                    .set("delayMs", js::num_or_null(Some(delay_ms)))
                    .set("retryAfterMs", js::num_or_null(c.server_delay_ms));
            }
            RetryDecision::GiveUp(reason) => {
                let after = match reason {
                    GiveUp::RetryAfterTooLong { retry_after_ms }
                    | GiveUp::DeadlineExceeded { retry_after_ms } => Some(retry_after_ms),
                    _ => c.server_delay_ms,
                };
                o.set("retry", false)
                    .set("reason", reason.as_str())
                    .set("retryAfterMs", js::num_or_null(after));
            }
        }
        o.build()
    }

    /// Ends execution `id`.
    pub fn finish(&mut self, id: f64) {
        if let Some(id) = ticket(id) {
            self.calls.remove(id);
        }
    }
}

/// The error monitor alone (`new ErrorMonitor(options)`).
#[wasm_bindgen]
pub struct WasmMonitor {
    monitor: ErrorMonitor,
    clock: Option<(JsValue, Function)>,
}

#[wasm_bindgen]
impl WasmMonitor {
    /// Options as `createClient`'s `monitor` section, plus `clock`.
    ///
    /// # Errors
    /// A `TypeError` / `RangeError` naming the first bad option.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<WasmMonitor, JsValue> {
        let mut config = EngineConfig::default();
        let extras = options::decode_block_alone(&options, Block::Monitor, &mut config)
            .map_err(OptionError::into_js)?;
        let monitor = ErrorMonitor::new(config.monitor)
            .map_err(|e| OptionError::block(e, "monitor").into_js())?;
        Ok(WasmMonitor {
            monitor,
            clock: extras.clock,
        })
    }

    /// Records one call: an error when it has a `category` or an error
    /// `status` (judged as `createClient` judges it), else a success.
    ///
    /// # Errors
    /// A `TypeError` for an entry that is not an object or fields of the
    /// wrong type, a `RangeError` for an unknown category or a bad status.
    pub fn record(&mut self, entry: JsValue) -> Result<(), JsValue> {
        if !entry.is_object() || js::is_array(&entry) {
            return Err(js_sys::TypeError::new("steadfast: `entry` must be an object").into());
        }
        // A field whose getter throws is a bad entry, not a success.
        let field = |key: &str| -> Result<JsValue, JsValue> {
            js_sys::Reflect::get(&entry, &JsValue::from_str(key)).map_err(|_| {
                js_sys::TypeError::new(&format!("steadfast: `entry.{key}` must be readable")).into()
            })
        };
        let status = checked_status(&field("status")?, "entry.status")?;
        let category = field("category")?;
        let category = if category.is_undefined() || category.is_null() {
            status.and_then(|s| classify_response(s, &[] as &[(&str, &str)], None, None).category)
        } else {
            let name = category.as_string().ok_or_else(|| {
                js_sys::TypeError::new("steadfast: `entry.category` must be a category name")
            })?;
            Some(
                Category::ALL
                    .into_iter()
                    .find(|c| c.as_str() == name)
                    .ok_or_else(|| {
                        js_sys::RangeError::new(&format!(
                            "steadfast: `entry.category` is not a category (auth, rate_limit, validation, not_found, conflict, server, network, timeout, unknown), got {}",
                            options::quote(&name)
                        ))
                    })?,
            )
        };
        let text = |key: &str| -> Result<Option<String>, JsValue> {
            let v = field(key)?;
            if v.is_undefined() || v.is_null() {
                return Ok(None);
            }
            v.as_string().map(Some).ok_or_else(|| {
                js_sys::TypeError::new(&format!("steadfast: `entry.{key}` must be a string")).into()
            })
        };
        let endpoint = text("endpoint")?.unwrap_or_else(|| "/".into());
        let message = text("message")?;
        let message = message
            .as_deref()
            .map(|m| m.get(..m.len().min(200)).unwrap_or(m));
        let now = clock_now(self.clock.as_ref());
        self.monitor.record(
            Observation {
                endpoint: &endpoint,
                category,
                status,
                message,
            },
            now,
        );
        Ok(())
    }

    /// Alerts and recoveries due, oldest first: `[{ type, summary }]`.
    #[wasm_bindgen(js_name = takeEvents)]
    pub fn take_events(&mut self) -> Array {
        let now = clock_now(self.clock.as_ref());
        self.monitor.handle_timeout(now);
        let out = Array::new();
        while let Some(e) = self.monitor.poll_event() {
            let (kind, summary) = match &e {
                MonitorEvent::Alert(s) => ("alert", s),
                MonitorEvent::Recovered(s) => ("recovered", s),
            };
            let o = Obj::new();
            o.set("type", kind)
                .set("summary", crate::host::summary_value(summary));
            out.push(&o.build());
        }
        out
    }

    /// The window now: totals, error rate, counts by category and endpoint,
    /// the most recent error, whether an alert is active.
    pub fn summary(&mut self) -> JsValue {
        let now = clock_now(self.clock.as_ref());
        self.monitor.handle_timeout(now);
        crate::host::summary_value(&self.monitor.summary(now))
    }
}
