//! Small JavaScript helpers that never throw through Rust frames: every
//! access that could run user code (a getter, a proxy) goes through
//! `Reflect`, whose bindings catch, or through the catching bindings below.
//!
//! An exception thrown through Rust frames skips their cleanup: a
//! `&mut self` method of an exported object would stay borrowed, and every
//! later call would fail with "recursive use of an object". So `js_sys`'s
//! non-catching `Array.isArray` (a revoked proxy throws), `Object.entries`
//! (getters and proxy traps run), array indexing and iterator-result getters
//! are not used on values a user handed us.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now, catch)]
    fn performance_now() -> Result<f64, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = entries)]
    fn object_entries(value: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Promise, js_name = resolve)]
    fn promise_resolve(value: &JsValue) -> Result<Promise, JsValue>;
}

/// `Array.isArray(value)`; `false` if it threw (a revoked proxy).
pub(crate) fn is_array(value: &JsValue) -> bool {
    array_is_array(value).unwrap_or(false)
}

/// `Object.entries(value)`; `Err` if a getter or a proxy trap threw.
pub(crate) fn entries(value: &JsValue) -> Result<Array, JsValue> {
    object_entries(value)
}

/// `Promise.resolve(value)`, or a promise rejected with what it threw (a
/// promise whose `constructor` getter throws).
pub(crate) fn resolve(value: &JsValue) -> Promise {
    promise_resolve(value).unwrap_or_else(|e| Promise::reject(&e))
}

/// Why [`array_items`] could not read an array.
pub(crate) enum ItemsError {
    /// Its length or an item could not be read (a getter or a proxy trap
    /// threw).
    Unreadable,
    /// It has more items than allowed.
    TooMany,
}

/// The items of an array (or an array proxy), read through `Reflect`; at
/// most `max` of them.
pub(crate) fn array_items(value: &JsValue, max: u32) -> Result<Vec<JsValue>, ItemsError> {
    let len = Reflect::get(value, &JsValue::from_str("length"))
        .map_err(|_| ItemsError::Unreadable)?
        .as_f64()
        .unwrap_or(0.0);
    if len > f64::from(max) {
        return Err(ItemsError::TooMany);
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let len = len.max(0.0) as u32;
    (0..len)
        .map(|i| Reflect::get_u32(value, i).map_err(|_| ItemsError::Unreadable))
        .collect()
}

/// Whether `value` is an instance of the global class `name` (`Blob`,
/// `FormData`, ...) of this realm; `false` when the host has no such class.
pub(crate) fn instance_of_global(value: &JsValue, name: &str) -> bool {
    let proto = get(&get(&js_sys::global(), name), "prototype");
    get_function(&proto, "isPrototypeOf")
        .and_then(|f| f.call1(&proto, value).ok())
        .and_then(|r| r.as_bool())
        .unwrap_or(false)
}

/// `ArrayBuffer.isView(value)`: a typed array, a `DataView`, a `Buffer`.
pub(crate) fn is_buffer_view(value: &JsValue) -> bool {
    let ctor = get(&js_sys::global(), "ArrayBuffer");
    get_function(&ctor, "isView")
        .and_then(|f| f.call1(&ctor, value).ok())
        .and_then(|r| r.as_bool())
        .unwrap_or(false)
}

/// Up to `max` values of an iterable (a `Headers`, a `Map`'s entries, an
/// array), every step read through `Reflect`; stops at the first step that
/// throws or answers junk. Answers `None` when `value` is not iterable.
pub(crate) fn iterate(value: &JsValue, max: usize) -> Option<Vec<JsValue>> {
    let symbol = js_sys::Symbol::iterator();
    let make = Reflect::get(value, &symbol)
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let iterator = make.call0(value).ok()?;
    let next = get_function(&iterator, "next")?;
    let mut out = Vec::new();
    while out.len() < max {
        let Ok(step) = next.call0(&iterator) else {
            break;
        };
        if !step.is_object() || get(&step, "done").is_truthy() {
            break;
        }
        out.push(get(&step, "value"));
    }
    Some(out)
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
