//! The seed's building blocks on their own, over any async function:
//! `classifyError` and `CircuitBreaker`. The decisions are the core's
//! machines; the package's JavaScript only awaits the user's function.

use crate::slots::Slots;

use js_sys::{Function, Reflect};
use steadfast_core::breaker::CircuitBreaker;
use steadfast_core::classify::{classify_response, status_from_number, Classification};
use steadfast_core::engine::EngineConfig;
use steadfast_core::headers::WindowReading;
use steadfast_core::Millis;
use wasm_bindgen::prelude::*;

use crate::js::{self, Obj};
use crate::options::{self, OptionError};

/// Header fields from a `Headers`, a `Map`, an array of pairs or a plain
/// object (at most 256; names lower-cased; pairs that are not two strings
/// left out); `undefined` and `null` are none. `Err(())` for anything else
/// (a number, a string, a function) and for headers that could not be read
/// (a getter or a proxy trap threw).
pub(crate) fn header_fields(v: &JsValue) -> Result<Vec<(String, String)>, ()> {
    const MAX: usize = 256;
    let mut out = Vec::new();
    if v.is_undefined() || v.is_null() {
        return Ok(out);
    }
    if !v.is_object() {
        return Err(());
    }
    let pairs = if js::is_array(v) {
        js::iterate(v, MAX)
    } else if let Some(f) = js::get_function(v, "entries") {
        f.call0(v).ok().and_then(|e| js::iterate(&e, MAX))
    } else {
        js::entries(v).ok().and_then(|e| js::iterate(&e, MAX))
    };
    for entry in pairs.ok_or(())? {
        let k = Reflect::get_u32(&entry, 0).ok().and_then(|k| k.as_string());
        let v = Reflect::get_u32(&entry, 1).ok().and_then(|v| v.as_string());
        if let (Some(k), Some(v)) = (k, v) {
            out.push((k.to_ascii_lowercase(), v));
        }
    }
    Ok(out)
}

/// [`header_fields`] of a user's argument: a `TypeError` naming it when
/// they are not headers or cannot be read.
pub(crate) fn header_argument(v: &JsValue, name: &str) -> Result<Vec<(String, String)>, JsValue> {
    header_fields(v).map_err(|()| {
        js_sys::TypeError::new(&format!(
            "steadfast: `{name}` must be a Headers, a Map, an array of pairs or a plain object (readable)"
        ))
        .into()
    })
}

fn window(w: &WindowReading) -> JsValue {
    let o = Obj::new();
    o.set("limit", js::num_or_null(w.limit))
        .set("remaining", js::num_or_null(w.remaining))
        .set("resetMs", js::num_or_null(w.reset_ms));
    o.build()
}

/// A classification as the user sees it.
fn classification_value(c: &Classification) -> JsValue {
    let rate = Obj::new();
    rate.set("perSecond", window(&c.rate.per_second))
        .set("perDay", window(&c.rate.per_day))
        .set("general", window(&c.rate.general));
    let o = Obj::new();
    o.set("category", js::str_or_null(c.category.map(|c| c.as_str())))
        .set("status", js::num_or_null(c.status.map(u64::from)))
        .set("isRetryable", c.retryable)
        .set("retryAfterMs", js::num_or_null(c.server_delay_ms))
        .set(
            "effect",
            match c.effect {
                steadfast_core::Effect::NotApplied => "not_applied",
                steadfast_core::Effect::Applied => "applied",
                _ => "unknown",
            },
        )
        .set("message", js::str_or_null(c.message.as_deref()))
        .set("rate", rate.build());
    o.build()
}

/// `classifyError(status, body, headers)`: the core's verdict on one HTTP
/// answer — category (`null` for a success), retryability, the server's
/// delay (`Retry-After` in both forms, or an exhausted window's reset), the
/// rate-limit headers, the server's message.
///
/// # Errors
/// A `RangeError` for a status that is not a whole number in 100..=999.
#[wasm_bindgen(js_name = classifyError)]
pub fn classify_error(
    status: JsValue,
    body: JsValue,
    headers: JsValue,
) -> Result<JsValue, JsValue> {
    let status = status
        .as_f64()
        .and_then(status_from_number)
        .ok_or_else(|| crate::standalone::status_error(&status, "status"))?;
    let fields = header_argument(&headers, "headers")?;
    let body = match body.as_string() {
        Some(s) => Some(s),
        None if body.is_undefined() || body.is_null() => None,
        None => js_sys::JSON::stringify(&body)
            .ok()
            .and_then(|s| s.as_string()),
    };
    let wall = crate::standalone::wall();
    let c = classify_response(status, &fields, body.as_deref(), Some(wall));
    Ok(classification_value(&c))
}

const BREAKER_TOP: &[&str] = &[
    "failureThreshold",
    "successThreshold",
    "openMs",
    "openBackoff",
    "maxOpenMs",
    "halfOpenMaxProbes",
    "failureRate",
    "slowCallMs",
    "failureCategories",
    "clock",
];

/// The circuit breaker alone (`new CircuitBreaker(options)`): the package
/// wraps `execute(fn, signal)` around [`WasmBreaker::acquire`] and
/// [`WasmBreaker::record`].
#[wasm_bindgen]
pub struct WasmBreaker {
    breaker: CircuitBreaker,
    permits: Slots<steadfast_core::breaker::Permit>,
    next: u32,
    now: Option<(JsValue, Function)>,
}

#[wasm_bindgen]
impl WasmBreaker {
    /// Options as `createClient`'s `breaker` section, plus `clock`
    /// (`{ now() }`).
    ///
    /// # Errors
    /// A `TypeError` / `RangeError` naming the first bad option.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<WasmBreaker, JsValue> {
        let mut config = EngineConfig::default();
        let now = options::decode_breaker_alone(&options, BREAKER_TOP, &mut config)
            .map_err(OptionError::into_js)?;
        let breaker = CircuitBreaker::new(config.breaker)
            .map_err(|e| OptionError::block(e, "breaker").into_js())?;
        Ok(WasmBreaker {
            breaker,
            permits: Slots::default(),
            next: 0,
            now,
        })
    }

    fn now(&self) -> Millis {
        crate::standalone::clock_now(self.now.as_ref())
    }

    /// Asks leave for one call: a permit number (≥ 0), or, refused, minus
    /// one minus the milliseconds until the circuit probes again (`-1`
    /// when that depends on probes in flight).
    pub fn acquire(&mut self) -> f64 {
        let now = self.now();
        match self.breaker.try_acquire(now) {
            Ok(permit) => {
                let id = self.next;
                self.next = self.next.wrapping_add(1);
                self.permits.insert(id, permit);
                f64::from(id)
            }
            #[allow(clippy::cast_precision_loss)]
            Err(r) => -1.0 - r.retry_at.map_or(0.0, |t| now.until(t) as f64),
        }
    }

    /// How a refused call fails, as the core reports it: `{ message,
    /// category, kind, isRetryable }` for the package's `ResilienceError`.
    pub fn refusal(&self) -> JsValue {
        let r = steadfast_core::breaker::Rejected { retry_at: None }.report();
        let o = Obj::new();
        o.set("message", r.message.as_str())
            .set("category", r.category)
            .set("kind", r.kind)
            .set("isRetryable", r.retryable);
        o.build()
    }

    /// Reports how the call of `permit` ended: `end` 0 when `fn` resolved
    /// `value`, 1 when it threw `value`, 2 when the caller's signal aborted
    /// it. The core judges it ([`CircuitBreaker::record_end`], with the one
    /// outcome rule the retry policy uses too,
    /// [`crate::standalone::classify_outcome`]): a resolved error response
    /// is a failure, a cancelled call counts for nothing.
    pub fn settle(&mut self, permit: f64, end: u32, value: JsValue) {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let Some(permit) = self.permits.remove(permit as u32) else {
            return;
        };
        let now = self.now();
        let cancelled = end == 2;
        let outcome = if cancelled {
            None
        } else {
            crate::standalone::classify_outcome(end == 0, &value)
        };
        self.breaker
            .record_end(permit, cancelled, outcome.as_ref(), now);
        while self.breaker.poll_event().is_some() {}
    }

    /// `"closed"`, `"open"` or `"half_open"`.
    pub fn state(&self) -> String {
        self.breaker.state(self.now()).as_str().into()
    }

    /// Whether a call asking now would be admitted.
    #[wasm_bindgen(js_name = isAvailable)]
    pub fn is_available(&self) -> bool {
        self.breaker.is_available(self.now())
    }
}
