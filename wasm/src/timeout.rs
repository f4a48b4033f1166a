//! The host's `setTimeout`, with Node's `ref`/`unref`.
//!
//! The client keeps one timer armed at the engine's next deadline. While a
//! call is pending, that timer must keep a Node process alive (else a
//! script awaiting a call in backoff would exit with the call unsettled).
//! With no call pending, the timer is only housekeeping — the monitor's
//! next bucket boundary, so that `recovered` can fire with no new call —
//! and must not hold the process open after the user's last call settled.
//! Node's timer handles have `ref()` and `unref()` for exactly this;
//! browsers' numeric handles have neither, and need nothing.

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::js;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout(handler: &Function, ms: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = clearTimeout, catch)]
    fn clear_timeout(handle: &JsValue) -> Result<(), JsValue>;
}

/// An armed `setTimeout`; cleared when dropped.
pub(crate) struct HostTimeout {
    handle: JsValue,
    /// Kept alive until the timeout is dropped: the host holds only a
    /// reference to it.
    _callback: Closure<dyn FnMut()>,
}

impl HostTimeout {
    /// Calls `f` once after `ms` milliseconds; `None` if the host has no
    /// working `setTimeout`.
    pub(crate) fn new(ms: u32, f: impl FnOnce() + 'static) -> Option<Self> {
        let callback = Closure::once(f);
        let handle = set_timeout(callback.as_ref().unchecked_ref(), ms).ok()?;
        Some(Self {
            handle,
            _callback: callback,
        })
    }

    /// The handle, for [`keep_alive`] outside any borrow.
    pub(crate) fn handle(&self) -> JsValue {
        self.handle.clone()
    }
}

impl Drop for HostTimeout {
    fn drop(&mut self) {
        let _ = clear_timeout(&self.handle);
    }
}

/// Whether the timer of `handle` alone keeps a Node process alive: `ref()`
/// or `unref()` where the handle has them (Node, Deno, Bun), nothing where
/// it is a number (browsers, workers).
pub(crate) fn keep_alive(handle: &JsValue, yes: bool) {
    if let Some(f) = js::get_function(handle, if yes { "ref" } else { "unref" }) {
        let _ = f.call0(handle);
    }
}
