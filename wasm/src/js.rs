//! Small JavaScript helpers that never throw through Rust frames: every
//! access that could run user code (a getter, a proxy) goes through
//! `Reflect`, whose bindings catch.

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now, catch)]
    fn performance_now() -> Result<f64, JsValue>;
}

/// The host's monotonic clock, `performance.now()` (one call, no lookup:
/// the building blocks read it on every `execute`), else `Date.now()`
/// where a host has no `performance`.
pub(crate) fn monotonic_now() -> f64 {
    performance_now().unwrap_or_else(|_| js_sys::Date::now())
}

/// `target[key]`, or `undefined` if reading it threw.
pub(crate) fn get(target: &JsValue, key: &str) -> JsValue {
    if !target.is_object() && !target.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `target[key]` if it is a function.
pub(crate) fn get_function(target: &JsValue, key: &str) -> Option<Function> {
    get(target, key).dyn_into::<Function>().ok()
}

/// A plain object built key by key.
pub(crate) struct Obj(Object);

impl Obj {
    /// `{}`.
    pub(crate) fn new() -> Self {
        Obj(Object::new())
    }

    /// Sets `key` (an own data property of a fresh plain object: cannot
    /// throw, and an error would only leave the key out).
    pub(crate) fn set(&self, key: &str, value: impl Into<JsValue>) -> &Self {
        let _ = Reflect::set(&self.0, &JsValue::from_str(key), &value.into());
        self
    }

    /// The object.
    pub(crate) fn build(self) -> JsValue {
        self.0.into()
    }
}

/// `Some(n)` as a number, `None` as `null`.
pub(crate) fn num_or_null(value: Option<u64>) -> JsValue {
    match value {
        // Millisecond counts stay far below 2^53; larger ones lose precision,
        // which is harmless for a number shown to a user.
        #[allow(clippy::cast_precision_loss)]
        Some(n) => JsValue::from_f64(n as f64),
        None => JsValue::NULL,
    }
}

/// `Some(s)` as a string, `None` as `null`.
pub(crate) fn str_or_null(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// A JS `Error` with `message` (for the few failures that are not the
/// caller's fault, and not a `ResilienceError`).
pub(crate) fn error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}
