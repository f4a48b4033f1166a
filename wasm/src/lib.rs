//! # steadfast-wasm
//!
//! The WebAssembly host of [`steadfast_core`]: the Rust side of the npm
//! package `steadfast`. The host loop lives here, not in JavaScript:
//!
//! * one [`steadfast_core::engine::Engine`] per client;
//! * each call is a JavaScript `Promise`, settled exactly once by the
//!   engine's `Output::Done`;
//! * `Output::Send` becomes a `fetch` (the injected one, else
//!   `globalThis.fetch`) with its own `AbortController`; `Output::Abort`
//!   aborts it (the engine times attempts out itself, on its timer);
//! * one timer, armed at `engine.poll_timeout()` (a `setTimeout`, or the
//!   injected clock's `sleep(ms, signal)`); time comes from the injected
//!   `clock.now()`, else `performance.now()`.
//!
//! The JavaScript in `pkg-template/` only wraps [`WasmClient`] into the
//! public API (`createClient`, `get`/`post`/...) and defines the
//! `ResilienceError` class. No retry, breaker, limiter or classification
//! decision is made outside the core.
//!
//! Nothing a caller passes may trap the module: options are decoded and
//! checked here (wrong type, NaN, negative, out of range, unknown name →
//! `TypeError` / `RangeError` naming the option), user functions are called
//! through `Function.prototype.call` (exceptions come back as values), and no
//! `RefCell` borrow is held across a call into JavaScript.

mod blocks;
mod host;
mod js;
mod options;
mod slots;
mod snapshot;
mod standalone;
mod timeout;
mod transport;

pub use blocks::{classify_error, WasmBreaker};
use js_sys::{Function, Promise};
pub use standalone::{WasmLimiter, WasmMonitor, WasmRetry};
use wasm_bindgen::prelude::*;

/// One API client: an engine, its calls, its timer. The npm package's
/// `createClient` wraps it.
#[wasm_bindgen]
pub struct WasmClient {
    client: host::Client,
}

#[wasm_bindgen]
impl WasmClient {
    /// Builds a client from the user's options (validated here).
    /// `error_class` is the package's `ResilienceError` constructor, called
    /// as `new error_class(message, fields)` for every failed call.
    ///
    /// # Errors
    /// A `TypeError` or `RangeError` naming the first bad option.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue, error_class: JsValue) -> Result<WasmClient, JsValue> {
        let error_class = error_class
            .dyn_into::<Function>()
            .map_err(|_| js_sys::TypeError::new("steadfast: error class must be a function"))?;
        let options = options::decode_client(&options).map_err(options::OptionError::into_js)?;
        let client = host::Client::new(options, error_class)?;
        Ok(WasmClient { client })
    }

    /// Starts a call. `json`, when not `undefined`, is the body to send as
    /// JSON (the `post(path, json, init)` form). Always answers a promise: a
    /// bad argument rejects it with a `TypeError`/`RangeError`.
    pub fn request(&self, method: JsValue, path: JsValue, init: JsValue, json: JsValue) -> Promise {
        self.client.request(&method, &path, &init, &json)
    }

    /// The circuit's state, the limiter's status and the monitor's summary,
    /// as plain data.
    ///
    /// # Errors
    /// Only if the state could not be converted (never expected).
    pub fn health(&self) -> Result<JsValue, JsValue> {
        self.client.health()
    }

    /// The engine's durable state — open circuits, the quota spent, the
    /// limiter's and monitor's counts — as plain JSON-able data with no
    /// secret in it, for `createClient({ restore })` in a later process.
    ///
    /// # Errors
    /// Only if the state could not be converted (never expected).
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        self.client.snapshot()
    }

    /// Subscribes `listener` to `event` (`retry`, `stateChange`,
    /// `rateLimited`, `alert`, `recovered`); answers the function that
    /// unsubscribes it.
    ///
    /// # Errors
    /// A `TypeError` for an unknown event or a listener that is not a
    /// function.
    pub fn on(&self, event: JsValue, listener: JsValue) -> Result<Function, JsValue> {
        self.client.on(&event, &listener)
    }

    /// Rejects every pending call once, aborts every request in flight and
    /// clears the timer. Later calls reject at once.
    pub fn close(&self) {
        self.client.close();
    }
}
