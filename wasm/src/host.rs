//! The host loop: inputs into the engine, its outputs into `fetch`, one
//! timer, and promises.
//!
//! ```text
//! request() → engine.start ─┐
//! fetch settles → handle_response / handle_failure ─┤
//! timer fires → handle_timeout ─┤
//! signal aborts / close() → cancel ─┘→ pump: drain poll_output()
//!      Send → fetch   Abort → controller.abort()   Done → settle   Event → listeners
//!   → rearm: one timer at poll_timeout()
//! ```
//!
//! Re-entrancy: listeners, `fetch`, the clock and promise callbacks are user
//! code and may call back into the client. No `RefCell` borrow is ever held
//! across a call into JavaScript, and every borrow is a `try_borrow`, so a
//! re-entrant call sees a consistent state and nothing can panic.

use std::cell::RefCell;
use std::mem;
use std::rc::{Rc, Weak};

use crate::timeout::{keep_alive, HostTimeout};
use js_sys::{Array, Function, Promise, Reflect};
use steadfast_core::engine::{
    CallFailure, CallId, CallSuccess, Engine, Event, Health, Output, RequestMeta, ResponseMeta,
};
use steadfast_core::limiter::LimiterStatus;
use steadfast_core::monitor::{normalize_endpoint, MonitorSummary};
use steadfast_core::secrets::{call_secrets, Secrets};
use steadfast_core::{Method, Millis, UnixMillis};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::AbortController;

use crate::js::{self, Obj};
use crate::options::{self, ClientOptions, ClockOption, OptionError};
use crate::transport;

/// Most response header fields read (a bound on a hostile response).
const MAX_HEADERS: usize = 256;

/// What never changes after `createClient`.
struct Host {
    base_url: String,
    /// The client's header fields, names lower-cased.
    headers: Vec<(String, String)>,
    fetch: Function,
    /// `this` for `fetch`: the global object for the global fetch.
    fetch_this: JsValue,
    /// Whether `fetch` is the host's own (no `fetch` option given).
    global_fetch: bool,
    clock: Option<ClockOption>,
    json_parse: Option<Function>,
    url_ctor: Option<Function>,
    error_class: Function,
    on_alert: Option<Function>,
}

impl Host {
    /// Now, by the injected clock or `performance.now()`. A clock that
    /// throws or answers junk reads as 0; the core never lets time go back.
    fn now(&self) -> Millis {
        let t = match &self.clock {
            Some(c) => c.now.call0(&c.this).ok(),
            None => return millis(js::monotonic_now()),
        };
        millis(t.and_then(|v| v.as_f64()).unwrap_or(0.0))
    }

    /// The wall clock, by the injected clock's `wallNow()` or `Date.now()`:
    /// what snapshots are dated with and HTTP-date `Retry-After` is read
    /// against.
    fn wall(&self) -> UnixMillis {
        let t = match self.clock.as_ref().and_then(|c| c.wall_now.as_ref()) {
            Some(f) => f
                .call0(self.clock.as_ref().map_or(&JsValue::UNDEFINED, |c| &c.this))
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0),
            None => js_sys::Date::now(),
        };
        UnixMillis(millis(t).0)
    }

    /// Parsed JSON, else the text itself; `null` for an empty body.
    fn parse(&self, text: &JsValue) -> JsValue {
        if text.as_string().is_none_or(|t| t.is_empty()) {
            return JsValue::NULL;
        }
        self.json_parse
            .as_ref()
            .and_then(|p| p.call1(&JsValue::NULL, text).ok())
            .unwrap_or_else(|| text.clone())
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn millis(t: f64) -> Millis {
    if t.is_finite() && t > 0.0 {
        Millis(t as u64)
    } else {
        Millis(0)
    }
}

/// The attempt in flight.
struct Attempt {
    number: u32,
    controller: AbortController,
}

/// The last response a call got.
struct LastResponse {
    headers: JsValue,
    data: JsValue,
}

/// One call as the host keeps it: its promise, its request, its attempt.
struct HostCall {
    resolve: Function,
    reject: Function,
    method: Method,
    path: String,
    url: String,
    headers: JsValue,
    body: JsValue,
    signal: Option<JsValue>,
    on_abort: Option<Closure<dyn FnMut()>>,
    /// The caller's signal aborted the call: it rejects with this reason.
    cancel: Option<JsValue>,
    attempt: Option<Attempt>,
    last_response: Option<LastResponse>,
    last_cause: Option<JsValue>,
    /// This call's own secrets (its credential headers and query
    /// parameters, every form, as the core spots them): scrubbed from its
    /// error bodies with the client's, never kept past the call.
    secrets: Secrets,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventName {
    Retry,
    StateChange,
    RateLimited,
    Alert,
    Recovered,
}

impl EventName {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "retry" => Self::Retry,
            "stateChange" => Self::StateChange,
            "rateLimited" => Self::RateLimited,
            "alert" => Self::Alert,
            "recovered" => Self::Recovered,
            _ => return None,
        })
    }
}

struct Listener {
    id: u64,
    event: EventName,
    f: Function,
}

/// The pending calls by id, in id order: a deque sorted by key. Ids only
/// grow, so an insert is a push at the back; a lookup is a binary search;
/// calls mostly settle oldest first, so a removal is mostly a pop at the
/// front. (A `BTreeMap` cost about 9 KB of WebAssembly.)
#[derive(Default)]
struct CallMap(std::collections::VecDeque<(u64, HostCall)>);

impl CallMap {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, id: u64) -> Result<usize, usize> {
        self.0.binary_search_by_key(&id, |(k, _)| *k)
    }

    fn insert(&mut self, id: u64, call: HostCall) {
        match self.find(id) {
            Ok(i) => {
                if let Some(slot) = self.0.get_mut(i) {
                    slot.1 = call;
                }
            }
            Err(i) if i == self.0.len() => self.0.push_back((id, call)),
            Err(i) => self.0.insert(i, (id, call)),
        }
    }

    fn get(&self, id: &u64) -> Option<&HostCall> {
        self.find(*id)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, c)| c)
    }

    fn get_mut(&mut self, id: &u64) -> Option<&mut HostCall> {
        self.find(*id)
            .ok()
            .and_then(|i| self.0.get_mut(i))
            .map(|(_, c)| c)
    }

    fn remove(&mut self, id: &u64) -> Option<HostCall> {
        self.find(*id)
            .ok()
            .and_then(|i| self.0.remove(i))
            .map(|(_, c)| c)
    }
}

/// The one armed timer.
enum TimerHandle {
    None,
    /// A `setTimeout` (cleared when dropped).
    Timeout(HostTimeout),
    /// The injected clock's `sleep`, cancelled through its signal.
    Sleep(AbortController),
}

impl TimerHandle {
    /// The `setTimeout` handle, if this is one.
    fn host_handle(&self) -> Option<JsValue> {
        match self {
            TimerHandle::Timeout(t) => Some(t.handle()),
            _ => None,
        }
    }

    /// Clears it (outside any borrow: this calls JavaScript).
    fn cancel(self) {
        match self {
            TimerHandle::None => {}
            TimerHandle::Timeout(t) => drop(t),
            TimerHandle::Sleep(c) => c.abort(),
        }
    }
}

struct Timer {
    at: Option<Millis>,
    handle: TimerHandle,
    /// Bumped at every re-arm: a firing of an older one is ignored.
    generation: u64,
    /// The last fired `setTimeout`, dropped at the next firing rather than
    /// inside its own callback.
    retired: Option<HostTimeout>,
}

struct State {
    engine: Engine,
    calls: CallMap,
    listeners: Vec<Listener>,
    next_listener: u64,
    timer: Timer,
}

/// A client: shared by its JavaScript object, its timer and its requests in
/// flight (the last two only while calls are pending).
#[derive(Clone)]
pub(crate) struct Client {
    host: Rc<Host>,
    state: Rc<RefCell<State>>,
}

fn busy() -> JsValue {
    js::error("steadfast: the client was re-entered in a way it cannot handle")
}

/// A non-secret seed for jitter when none is given.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn random_seed() -> u64 {
    let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (hi << 32) | lo
}

impl Client {
    /// A client from decoded options.
    pub(crate) fn new(options: ClientOptions, error_class: Function) -> Result<Self, JsValue> {
        let global: JsValue = js_sys::global().into();
        let global_fetch = options.fetch.is_none();
        let (fetch, fetch_this) = match options.fetch {
            Some(f) => (f, JsValue::UNDEFINED),
            None => {
                let f = js::get_function(&global, "fetch").ok_or_else(|| {
                    js_sys::TypeError::new(
                        "steadfast: `fetch` was not given and globalThis.fetch is missing (Node 18 or later has it)",
                    )
                })?;
                (f, global.clone())
            }
        };
        let json_parse = js::get_function(&js::get(&global, "JSON"), "parse");
        let url_ctor = js::get_function(&global, "URL");
        if let (Some(ctor), false) = (&url_ctor, options.base_url.is_empty()) {
            let problem =
                match Reflect::construct(ctor, &Array::of1(&options.base_url.as_str().into())) {
                    Ok(url) => url_problem(&url),
                    Err(_) => Some("must be an absolute URL (https://host/prefix)"),
                };
            if let Some(problem) = problem {
                return Err(
                    js_sys::RangeError::new(&format!("steadfast: `baseUrl` {problem}")).into(),
                );
            }
        }

        let mut headers: Vec<(String, String)> = Vec::new();
        for (name, value) in options.headers {
            let name = name.to_ascii_lowercase();
            headers.retain(|(n, _)| *n != name);
            headers.push((name, value));
        }
        let mut config = options.config;
        if !options.seeded {
            config.seed = random_seed();
        }
        let host = Host {
            base_url: options.base_url,
            headers,
            fetch,
            fetch_this,
            global_fetch,
            clock: options.clock,
            json_parse,
            url_ctor,
            error_class,
            on_alert: options.on_alert,
        };
        let mut engine = match options.restore {
            None => Engine::new(config, host.now()),
            Some(saved) => Engine::restore(config, saved, host.now(), host.wall()),
        }
        .map_err(|e| OptionError::Config(e).into_js())?;
        for (name, value) in &host.headers {
            engine.add_credential(name, value);
        }
        Ok(Client {
            host: Rc::new(host),
            state: Rc::new(RefCell::new(State {
                engine,
                calls: CallMap::default(),
                listeners: Vec::new(),
                next_listener: 0,
                timer: Timer {
                    at: None,
                    handle: TimerHandle::None,
                    generation: 0,
                    retired: None,
                },
            })),
        })
    }

    /// Runs `f` on the state, `None` if it is borrowed already (a re-entrant
    /// call in a place that cannot allow it).
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        let mut state = self.state.try_borrow_mut().ok()?;
        Some(f(&mut state))
    }

    fn weak(&self) -> (Weak<Host>, Weak<RefCell<State>>) {
        (Rc::downgrade(&self.host), Rc::downgrade(&self.state))
    }

    fn upgrade(weak: &(Weak<Host>, Weak<RefCell<State>>)) -> Option<Client> {
        Some(Client {
            host: weak.0.upgrade()?,
            state: weak.1.upgrade()?,
        })
    }

    // ----- calls ------------------------------------------------------------

    /// Starts a call; a bad argument rejects the promise.
    pub(crate) fn request(
        &self,
        method: &JsValue,
        path: &JsValue,
        init: &JsValue,
        json: &JsValue,
    ) -> Promise {
        match self.start(method, path, init, json) {
            Ok(p) => p,
            Err(e) => Promise::reject(&e),
        }
    }

    fn start(
        &self,
        method: &JsValue,
        path: &JsValue,
        init: &JsValue,
        json: &JsValue,
    ) -> Result<Promise, JsValue> {
        let method = options::decode_method(method).map_err(OptionError::into_js)?;
        if method == Method::Trace && self.host.global_fetch {
            return Err(js_sys::RangeError::new(
                "steadfast: `method` TRACE is refused by fetch (give `fetch` to send it your own way)",
            )
            .into());
        }
        let path = path
            .as_string()
            .ok_or_else(|| js_sys::TypeError::new("steadfast: `path` must be a string"))?;
        let call = options::decode_call(init, json, method).map_err(OptionError::into_js)?;
        let secrets = call_secrets(&call.headers, &path, &call.query);
        if let Some(sig) = &call.signal {
            if js::get(sig, "aborted").as_bool() == Some(true) {
                return Err(js::get(sig, "reason"));
            }
        }
        let url = transport::build_url(&self.host.base_url, &path, &call.query);
        if let Some(ctor) = &self.host.url_ctor {
            // Quoted without its query: that is where keys hide.
            let parsed =
                Reflect::construct(ctor, &Array::of1(&JsValue::from_str(&url))).map_err(|_| {
                    js_sys::TypeError::new(&format!(
                        "steadfast: `path` {} does not make a valid URL with `baseUrl` {}",
                        options::quote(transport::without_query(&path)),
                        options::quote(transport::without_query(&self.host.base_url))
                    ))
                })?;
            if let Some(problem) = url_problem(&parsed) {
                return Err(
                    js_sys::RangeError::new(&format!("steadfast: `path` {problem}")).into(),
                );
            }
        }

        // Header fields: the client's, then the call's (names lower-cased,
        // later ones win), then what the body and the key imply.
        let mut fields = self.host.headers.clone();
        for (name, value) in call.headers {
            let name = name.to_ascii_lowercase();
            fields.retain(|(n, _)| *n != name);
            fields.push((name, value));
        }
        if call.json && !fields.iter().any(|(n, _)| n == "content-type") {
            fields.push(("content-type".into(), "application/json".into()));
        }
        if let Some(key) = &call.idempotency_key {
            fields.retain(|(n, _)| n != "idempotency-key");
            fields.push(("idempotency-key".into(), key.clone()));
        }
        let headers = Obj::new();
        for (n, v) in &fields {
            headers.set(n, v.as_str());
        }

        let mut slots = None;
        let promise = Promise::new(&mut |resolve, reject| slots = Some((resolve, reject)));
        let (resolve, reject) = slots.ok_or_else(busy)?;

        let now = self.host.now();
        let signal = call.signal;
        let id = self
            .with(|s| {
                let id = s.engine.start(
                    RequestMeta {
                        method,
                        endpoint: &path,
                        idempotency_key: call.idempotency_key.is_some(),
                        timeout_ms: call.timeout_ms,
                        deadline_ms: call.deadline_ms,
                    },
                    now,
                );
                s.calls.insert(
                    id.0,
                    HostCall {
                        resolve,
                        reject,
                        method,
                        path,
                        url,
                        headers: headers.build(),
                        body: call.body.unwrap_or(JsValue::UNDEFINED),
                        signal: signal.clone(),
                        on_abort: None,
                        cancel: None,
                        attempt: None,
                        last_response: None,
                        last_cause: None,
                        secrets,
                    },
                );
                id
            })
            .ok_or_else(busy)?;

        if let Some(sig) = &signal {
            let weak = self.weak();
            let on_abort = Closure::<dyn FnMut()>::new(move || {
                if let Some(client) = Client::upgrade(&weak) {
                    client.cancel_by_signal(id);
                }
            });
            if let Some(add) = js::get_function(sig, "addEventListener") {
                let once = Obj::new();
                once.set("once", true);
                let _ = add.call3(
                    sig,
                    &JsValue::from_str("abort"),
                    on_abort.as_ref(),
                    &once.build(),
                );
            }
            // Kept with the call (dropped, and unhooked, when it settles).
            let _ = self.with(|s| {
                if let Some(c) = s.calls.get_mut(&id.0) {
                    c.on_abort = Some(on_abort);
                }
            });
        }
        self.pump();
        Ok(promise)
    }

    /// The caller's signal fired: the call ends with the signal's reason.
    fn cancel_by_signal(&self, id: CallId) {
        let Some(Some(signal)) = self.with(|s| s.calls.get(&id.0).and_then(|c| c.signal.clone()))
        else {
            return;
        };
        let reason = js::get(&signal, "reason");
        let now = self.host.now();
        let _ = self.with(|s| {
            if let Some(c) = s.calls.get_mut(&id.0) {
                c.cancel = Some(reason);
            }
            s.engine.cancel(id, now);
        });
        self.pump();
    }

    /// Rejects every pending call once, aborts what is in flight, clears the
    /// timer and the listeners.
    pub(crate) fn close(&self) {
        let now = self.host.now();
        let _ = self.with(|s| {
            if s.engine.is_closed() {
                return;
            }
            s.engine.close(now);
        });
        self.pump();
        let old = self.with(|s| {
            s.listeners.clear();
            s.timer.generation += 1;
            s.timer.at = None;
            (
                mem::replace(&mut s.timer.handle, TimerHandle::None),
                s.timer.retired.take(),
            )
        });
        if let Some((handle, retired)) = old {
            handle.cancel();
            drop(retired);
        }
    }

    // ----- the loop ---------------------------------------------------------

    /// Drains the engine's outputs, then re-arms the timer.
    fn pump(&self) {
        while let Some(Some(out)) = self.with(|s| s.engine.poll_output()) {
            match out {
                Output::Send { call, attempt, .. } => self.send(call, attempt),
                Output::Abort { call, attempt } => self.abort_attempt(call, attempt),
                Output::Done { call, result } => self.settle(call, result),
                Output::Event(event) => self.emit(event),
                _ => {}
            }
        }
        self.rearm();
    }

    /// `Output::Send`: one `fetch` with its own `AbortController`.
    fn send(&self, call: CallId, attempt: u32) {
        let now = self.host.now();
        let Ok(controller) = AbortController::new() else {
            let _ = self.with(|s| {
                s.engine.handle_failure(
                    call,
                    attempt,
                    steadfast_core::TransportFailure::Aborted,
                    now,
                );
            });
            return;
        };
        let signal = controller.signal();
        let prepared = self.with(|s| {
            s.calls.get_mut(&call.0).map(|c| {
                c.attempt = Some(Attempt {
                    number: attempt,
                    controller,
                });
                (c.url.clone(), c.method, c.headers.clone(), c.body.clone())
            })
        });
        let Some(Some((url, method, headers, body))) = prepared else {
            return;
        };
        let init = Obj::new();
        init.set("method", method.as_str())
            .set("headers", headers)
            .set("signal", signal);
        if !body.is_undefined() {
            init.set("body", body);
        }
        let promise = match self.host.fetch.call2(
            &self.host.fetch_this,
            &JsValue::from_str(&url),
            &init.build(),
        ) {
            Ok(v) => js::resolve(&v),
            Err(e) => Promise::reject(&e),
        };
        let client = self.clone();
        spawn_local(async move {
            let outcome = read_response(promise).await;
            client.on_outcome(call, attempt, outcome);
        });
    }

    /// `Output::Abort`: the attempt timed out or the call was cancelled.
    fn abort_attempt(&self, call: CallId, attempt: u32) {
        let controller = self.with(|s| {
            let c = s.calls.get_mut(&call.0)?;
            if c.attempt.as_ref().is_some_and(|a| a.number == attempt) {
                c.last_response = None;
                c.last_cause = None;
                c.attempt.take().map(|a| a.controller)
            } else {
                None
            }
        });
        if let Some(Some(controller)) = controller {
            controller.abort();
        }
    }

    /// A fetch settled: tell the engine.
    fn on_outcome(&self, call: CallId, attempt: u32, outcome: Fetched) {
        let now = self.host.now();
        match outcome {
            Fetched::Response {
                status,
                fields,
                headers,
                text,
            } => {
                let is_error = steadfast_core::classify::reads_body(status);
                // Error bodies are read in Rust (the engine wants the
                // server's message), and scrubbed of the client's and the
                // call's secrets before the engine or the user sees them.
                let (body, data) = match text.as_string().filter(|_| is_error) {
                    Some(raw) => {
                        let Some(scrubbed) = self.scrub_for(call, &raw) else {
                            return;
                        };
                        let data = self.host.parse(&JsValue::from_str(&scrubbed));
                        (Some(scrubbed), data)
                    }
                    None => (None, self.host.parse(&text)),
                };
                let refs: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let wall = self.host.wall();
                let _ = self.with(|s| {
                    if let Some(c) = s.calls.get_mut(&call.0) {
                        if c.attempt.as_ref().is_some_and(|a| a.number == attempt) {
                            c.attempt = None;
                            c.last_response = Some(LastResponse { headers, data });
                            c.last_cause = None;
                        }
                    }
                    s.engine.handle_response(
                        call,
                        attempt,
                        ResponseMeta {
                            status,
                            headers: &refs,
                            body: body.as_deref(),
                            wall: Some(wall),
                        },
                        now,
                    );
                });
            }
            Fetched::Failure(error) => {
                let kind = failure_kind(&error);
                let _ = self.with(|s| {
                    if let Some(c) = s.calls.get_mut(&call.0) {
                        if c.attempt.as_ref().is_some_and(|a| a.number == attempt) {
                            c.attempt = None;
                            c.last_response = None;
                            c.last_cause = Some(error);
                        }
                    }
                    s.engine.handle_failure(call, attempt, kind, now);
                });
            }
        }
        self.pump();
    }

    /// An error body scrubbed of the client's and call `id`'s secrets, as
    /// the core writes it ([`steadfast_core::secrets::scrub_error_body`]).
    fn scrub_for(&self, id: CallId, text: &str) -> Option<String> {
        self.with(|s| match s.calls.get(&id.0) {
            Some(c) => s.engine.scrub_error_body(text, &c.secrets),
            None => s.engine.scrub_error_body(text, &Secrets::default()),
        })
    }

    /// `Output::Done`: the call's one and only settlement.
    fn settle(&self, call: CallId, result: Result<CallSuccess, CallFailure>) {
        let Some(Some(hc)) = self.with(|s| s.calls.remove(&call.0)) else {
            return;
        };
        if let (Some(sig), Some(cb)) = (&hc.signal, &hc.on_abort) {
            if let Some(remove) = js::get_function(sig, "removeEventListener") {
                let _ = remove.call2(sig, &JsValue::from_str("abort"), cb.as_ref());
            }
        }
        match result {
            Ok(success) => {
                let (headers, data) = match &hc.last_response {
                    Some(r) => (r.headers.clone(), r.data.clone()),
                    None => (Obj::new().build(), JsValue::NULL),
                };
                let value = Obj::new();
                value
                    .set("status", success.status)
                    .set("headers", headers)
                    .set("data", data)
                    .set("attempts", success.attempts);
                let _ = hc.resolve.call1(&JsValue::UNDEFINED, &value.build());
            }
            Err(failure) => {
                let reason = match &hc.cancel {
                    Some(reason) => reason.clone(),
                    None => self.failure_error(&hc, &failure),
                };
                let _ = hc.reject.call1(&JsValue::UNDEFINED, &reason);
            }
        }
    }

    /// A `ResilienceError` for a failed call, as the core reports it.
    fn failure_error(&self, hc: &HostCall, f: &CallFailure) -> JsValue {
        let report = f.report();
        let fields = Obj::new();
        fields
            .set("category", report.category)
            .set("kind", report.kind)
            .set("reason", js::str_or_null(report.reason))
            .set("status", js::num_or_null(f.status.map(u64::from)))
            .set("retryAfterMs", js::num_or_null(f.retry_after_ms))
            .set("attempts", f.attempts)
            .set("isRetryable", report.retryable)
            .set("method", f.method.as_str())
            .set("endpoint", f.endpoint.as_str())
            .set("serverMessage", js::str_or_null(f.message.as_deref()))
            .set(
                "data",
                hc.last_response
                    .as_ref()
                    .map_or(JsValue::NULL, |r| r.data.clone()),
            );
        if let Some(cause) = &hc.last_cause {
            fields.set("cause", cause.clone());
        }
        self.make_error(&report.message, fields.build())
    }

    fn make_error(&self, message: &str, fields: JsValue) -> JsValue {
        Reflect::construct(
            &self.host.error_class,
            &Array::of2(&JsValue::from_str(message), &fields),
        )
        .unwrap_or_else(|_| js::error(message))
    }

    // ----- events -----------------------------------------------------------

    fn emit(&self, event: Event) {
        let now = self.host.now();
        let call_info = |call: CallId| {
            self.with(|s| {
                s.calls
                    .get(&call.0)
                    .map(|c| (c.method, normalize_endpoint(&c.path)))
            })
            .flatten()
        };
        let (name, payload) = match event {
            Event::Retry {
                call,
                attempt,
                delay_ms,
                category,
                status,
            } => {
                let p = Obj::new();
                p.set("attempt", attempt)
                    .set("delayMs", js::num_or_null(Some(delay_ms)))
                    .set("category", category.as_str())
                    .set("status", js::num_or_null(status.map(u64::from)));
                if let Some((method, endpoint)) = call_info(call) {
                    p.set("method", method.as_str()).set("endpoint", endpoint);
                }
                (EventName::Retry, p.build())
            }
            Event::RateLimited { call, until } => {
                let p = Obj::new();
                p.set("delayMs", js::num_or_null(Some(now.until(until))));
                if let Some((method, endpoint)) = call_info(call) {
                    p.set("method", method.as_str()).set("endpoint", endpoint);
                }
                (EventName::RateLimited, p.build())
            }
            Event::StateChange { change, endpoint } => {
                let p = Obj::new();
                p.set("from", change.from.as_str())
                    .set("to", change.to.as_str())
                    .set("at", js::num_or_null(Some(change.at.0)))
                    .set("endpoint", js::str_or_null(endpoint.as_deref()));
                (EventName::StateChange, p.build())
            }
            Event::Alert(summary) => (EventName::Alert, summary_value(&summary)),
            Event::Recovered(summary) => (EventName::Recovered, summary_value(&summary)),
            _ => return,
        };
        let listeners: Vec<Function> = self
            .with(|s| {
                s.listeners
                    .iter()
                    .filter(|l| l.event == name)
                    .map(|l| l.f.clone())
                    .collect()
            })
            .unwrap_or_default();
        if name == EventName::Alert {
            if let Some(f) = &self.host.on_alert {
                let _ = f.call1(&JsValue::UNDEFINED, &payload);
            }
        }
        // A listener that throws does not stop the others, nor the client.
        for f in listeners {
            let _ = f.call1(&JsValue::UNDEFINED, &payload);
        }
    }

    /// Subscribes a listener; answers its unsubscribe function.
    pub(crate) fn on(&self, event: &JsValue, listener: &JsValue) -> Result<Function, JsValue> {
        let name = event.as_string().and_then(|n| EventName::parse(&n)).ok_or_else(|| {
            js_sys::TypeError::new(
                "steadfast: `event` must be one of \"retry\", \"stateChange\", \"rateLimited\", \"alert\", \"recovered\"",
            )
        })?;
        let f = listener
            .clone()
            .dyn_into::<Function>()
            .map_err(|_| js_sys::TypeError::new("steadfast: `listener` must be a function"))?;
        let id = self
            .with(|s| {
                let id = s.next_listener;
                s.next_listener += 1;
                if !s.engine.is_closed() {
                    s.listeners.push(Listener { id, event: name, f });
                }
                id
            })
            .ok_or_else(busy)?;
        let weak = self.weak();
        let off = Closure::<dyn FnMut()>::new(move || {
            if let Some(client) = Client::upgrade(&weak) {
                let _ = client.with(|s| s.listeners.retain(|l| l.id != id));
            }
        });
        Ok(off.into_js_value().unchecked_into())
    }

    /// The engine's durable state as plain JSON-able data (see
    /// [`crate::snapshot`]).
    pub(crate) fn snapshot(&self) -> Result<JsValue, JsValue> {
        let (now, wall) = (self.host.now(), self.host.wall());
        let snapshot = self
            .with(|s| s.engine.snapshot(now, wall))
            .ok_or_else(busy)?;
        Ok(crate::snapshot::to_js(&snapshot))
    }

    /// Measured state now.
    pub(crate) fn health(&self) -> Result<JsValue, JsValue> {
        let now = self.host.now();
        let health = self.with(|s| s.engine.health(now)).ok_or_else(busy)?;
        Ok(health_value(&health))
    }

    // ----- the timer --------------------------------------------------------

    /// Keeps the one timer armed at the engine's next deadline.
    /// In Node, the timer keeps the process alive only while a call is
    /// pending (`timeout.rs`).
    fn rearm(&self) {
        let Some((want, armed, generation, pending, armed_timeout)) = self.with(|s| {
            (
                s.engine.poll_timeout(),
                s.timer.at,
                s.timer.generation,
                !s.calls.is_empty(),
                s.timer.handle.host_handle(),
            )
        }) else {
            return;
        };
        // An armed `setTimeout` that fires no later than needed is kept:
        // firing early costs one look at the engine (`handle_timeout` with
        // nothing due, then a re-arm), while clearing and setting a timer on
        // every call (each call's attempt deadline is a little later than
        // the last) cost more than the rest of the call's bookkeeping. An
        // injected clock's sleep is always exact: a fake clock that moves to
        // its next sleeper must not see stale ones.
        let real = armed_timeout.is_some();
        let early_enough = match (want, armed) {
            (Some(w), Some(a)) => a == w || (real && a <= w),
            (None, Some(_)) => real,
            (_, None) => want.is_none(),
        };
        if early_enough {
            if let Some(handle) = &armed_timeout {
                keep_alive(handle, pending);
            }
            return;
        }
        let generation = generation.wrapping_add(1);
        let old = self.with(|s| {
            s.timer.generation = generation;
            s.timer.at = want;
            mem::replace(&mut s.timer.handle, TimerHandle::None)
        });
        if let Some(old) = old {
            old.cancel();
        }
        let Some(at) = want else {
            return;
        };
        let delay = self.host.now().until(at).min(i32::MAX as u64);
        let delay = u32::try_from(delay).unwrap_or(u32::MAX >> 1);
        let handle = match &self.host.clock {
            None => self.real_timeout(generation, delay),
            Some(clock) => self.clock_sleep(clock, generation, delay),
        };
        let new_timeout = handle.host_handle();
        let stale = self.with(|s| {
            if s.timer.generation == generation {
                s.timer.handle = handle;
                None
            } else {
                Some(handle)
            }
        });
        match stale {
            Some(Some(stale)) => stale.cancel(),
            Some(None) => {
                if let Some(t) = &new_timeout {
                    keep_alive(t, pending);
                }
            }
            None => {}
        }
    }

    fn real_timeout(&self, generation: u64, delay: u32) -> TimerHandle {
        let client = self.clone();
        HostTimeout::new(delay, move || client.on_timer(generation))
            .map_or(TimerHandle::None, TimerHandle::Timeout)
    }

    /// Arms through the injected clock's `sleep(ms, signal)`; a sleep that
    /// fails without being cancelled falls back to a real timeout, so calls
    /// still end.
    fn clock_sleep(&self, clock: &ClockOption, generation: u64, delay: u32) -> TimerHandle {
        let Ok(controller) = AbortController::new() else {
            return self.real_timeout(generation, delay);
        };
        let slept = clock.sleep.call2(
            &clock.this,
            &JsValue::from_f64(f64::from(delay)),
            &controller.signal(),
        );
        let promise = match slept {
            Ok(v) => js::resolve(&v),
            Err(e) => Promise::reject(&e),
        };
        let client = self.clone();
        spawn_local(async move {
            let ok = JsFuture::from(promise).await.is_ok();
            if ok {
                client.on_timer(generation);
            } else if client.with(|s| s.timer.generation) == Some(generation) {
                // The sleep is abandoned: its signal says so (a clock whose
                // promise failed may still hold a timer of its own).
                let fallback = client.real_timeout(generation, delay);
                if let Some(old) = client.with(|s| mem::replace(&mut s.timer.handle, fallback)) {
                    old.cancel();
                }
            }
        });
        TimerHandle::Sleep(controller)
    }

    fn on_timer(&self, generation: u64) {
        let fired = self.with(|s| {
            if s.timer.generation != generation {
                return None;
            }
            s.timer.at = None;
            let handle = mem::replace(&mut s.timer.handle, TimerHandle::None);
            let previous = s.timer.retired.take();
            if let TimerHandle::Timeout(t) = handle {
                s.timer.retired = Some(t);
            }
            Some(previous)
        });
        let Some(Some(previous)) = fired else {
            return;
        };
        drop(previous);
        let now = self.host.now();
        let _ = self.with(|s| s.engine.handle_timeout(now));
        self.pump();
    }
}

/// What makes a parsed `URL` one that `fetch` cannot send over HTTP: a
/// scheme other than `http:` / `https:`, or credentials (`user:pass@`),
/// which `fetch` refuses. `None` when it is fine.
fn url_problem(url: &JsValue) -> Option<&'static str> {
    let protocol = js::get(url, "protocol").as_string().unwrap_or_default();
    if protocol != "http:" && protocol != "https:" {
        return Some("must be an http: or https: URL");
    }
    let credentials = ["username", "password"]
        .iter()
        .any(|k| js::get(url, k).as_string().is_some_and(|s| !s.is_empty()));
    credentials.then_some("must not carry credentials (user:password@): send them in `headers`")
}

/// A number for JavaScript (counts and instants stay far below 2^53).
#[allow(clippy::cast_precision_loss)]
fn n(value: u64) -> f64 {
    value as f64
}

/// `Some(instant)` as a number, `None` as `null`.
fn at_or_null(value: Option<Millis>) -> JsValue {
    js::num_or_null(value.map(|m| m.0))
}

/// [`Health`] as plain data, in the layout of `index.d.ts` (written by
/// hand: serde and serde-wasm-bindgen cost more bytes than this).
fn health_value(h: &Health) -> JsValue {
    let circuits: Array = h
        .circuits
        .iter()
        .map(|c| {
            let o = Obj::new();
            o.set("endpoint", js::str_or_null(c.endpoint.as_deref()))
                .set("state", c.state.as_str())
                .set("openUntil", at_or_null(c.open_until))
                .set("probesInFlight", c.probes_in_flight);
            o.build()
        })
        .collect();
    let o = Obj::new();
    o.set("circuit", h.circuit.as_str())
        .set("circuitOpenUntil", at_or_null(h.circuit_open_until))
        .set("circuits", circuits)
        .set("limiter", limiter_value(&h.limiter))
        .set("monitor", summary_value(&h.monitor))
        .set("activeCalls", n(h.active_calls as u64))
        .set("inFlight", n(h.in_flight as u64));
    o.build()
}

/// [`LimiterStatus`] as plain data, in the layout of `index.d.ts`.
pub(crate) fn limiter_value(l: &LimiterStatus) -> JsValue {
    let limiter = Obj::new();
    limiter
        .set("effectivePerSecond", l.effective_per_second)
        .set("slowdown", l.slowdown)
        .set("dayUsed", n(l.day_used))
        .set("dayAllowance", js::num_or_null(l.day_allowance))
        .set(
            "serverDayRemaining",
            js::num_or_null(l.server_day_remaining),
        )
        .set("inFlight", n(l.in_flight))
        .set("heldUntil", at_or_null(l.held_until))
        .set("pauseAskedUntil", at_or_null(l.pause_asked_until))
        .set("exhaustedUntil", at_or_null(l.exhausted_until));
    limiter.build()
}

/// [`MonitorSummary`] as plain data, in the layout of `index.d.ts`.
pub(crate) fn summary_value(s: &MonitorSummary) -> JsValue {
    let by_category: Array = s
        .by_category
        .iter()
        .map(|(c, count)| JsValue::from(Array::of2(&c.as_str().into(), &n(*count).into())))
        .collect();
    let by_endpoint: Array = s
        .by_endpoint
        .iter()
        .map(|e| {
            let o = Obj::new();
            o.set("endpoint", e.endpoint.as_str())
                .set("calls", n(e.calls))
                .set("errors", n(e.errors));
            o.build()
        })
        .collect();
    let most_recent = s.most_recent.as_ref().map_or(JsValue::NULL, |r| {
        let o = Obj::new();
        o.set("category", r.category.as_str())
            .set("status", js::num_or_null(r.status.map(u64::from)))
            .set("endpoint", r.endpoint.as_str())
            .set("message", js::str_or_null(r.message.as_deref()))
            .set("at", n(r.at.0));
        o.build()
    });
    let o = Obj::new();
    o.set("windowMs", n(s.window_ms))
        .set("totalCalls", n(s.total_calls))
        .set("totalErrors", n(s.total_errors))
        .set("errorRate", s.error_rate)
        .set("byCategory", by_category)
        .set("byEndpoint", by_endpoint)
        .set("mostRecent", most_recent)
        .set("alerting", s.alerting);
    o.build()
}

/// What a `fetch` came to.
enum Fetched {
    Response {
        status: u16,
        /// Header fields for the engine.
        fields: Vec<(String, String)>,
        /// The same, as a plain object for the user.
        headers: JsValue,
        /// The body text.
        text: JsValue,
    },
    Failure(JsValue),
}

/// Awaits the response, its header fields and its body text.
async fn read_response(promise: Promise) -> Fetched {
    let response = match JsFuture::from(promise).await {
        Ok(r) => r,
        Err(e) => return Fetched::Failure(e),
    };
    let status = js::get(&response, "status")
        .as_f64()
        .and_then(steadfast_core::classify::status_from_number);
    let Some(status) = status else {
        return Fetched::Failure(
            js_sys::TypeError::new("steadfast: fetch answered something that is not a Response")
                .into(),
        );
    };
    let mut fields = Vec::new();
    let headers = Obj::new();
    // Read through `Reflect` step by step: a user's `fetch` may answer
    // headers whose iterator or entries throw.
    if let Some(entries) = js::iterate(&js::get(&response, "headers"), MAX_HEADERS) {
        for entry in entries {
            let (Some(k), Some(v)) = (
                Reflect::get_u32(&entry, 0).ok().and_then(|k| k.as_string()),
                Reflect::get_u32(&entry, 1).ok().and_then(|v| v.as_string()),
            ) else {
                continue;
            };
            let k = k.to_ascii_lowercase();
            headers.set(&k, v.as_str());
            fields.push((k, v));
        }
    }
    let text = match js::get_function(&response, "text").map(|f| f.call0(&response)) {
        Some(Ok(p)) => match JsFuture::from(js::resolve(&p)).await {
            Ok(t) if t.is_string() => t,
            Ok(_) => JsValue::from_str(""),
            Err(e) => return Fetched::Failure(e),
        },
        Some(Err(e)) => return Fetched::Failure(e),
        None => JsValue::from_str(""),
    };
    Fetched::Response {
        status,
        fields,
        headers: headers.build(),
        text,
    }
}

/// The codes and names on a failed fetch's error and its causes (Node's
/// undici puts the socket's code on `cause`, or on each of `cause.errors`
/// when several addresses were tried), typed by the core
/// ([`steadfast_core::TransportFailure::from_error`]).
pub(crate) fn failure_kind(error: &JsValue) -> steadfast_core::TransportFailure {
    let mut codes = Vec::new();
    let mut names = Vec::new();
    let cause = js::get(error, "cause");
    for e in [error, &cause] {
        if let Some(c) = js::get(e, "code").as_string() {
            codes.push(c);
        }
        if let Some(n) = js::get(e, "name").as_string() {
            names.push(n);
        }
    }
    let errors = js::get(&cause, "errors");
    if js::is_array(&errors) {
        for i in 0..8 {
            let e = Reflect::get_u32(&errors, i).unwrap_or(JsValue::UNDEFINED);
            if let Some(c) = js::get(&e, "code").as_string() {
                codes.push(c);
            }
        }
    }
    steadfast_core::TransportFailure::from_error(
        codes.iter().map(String::as_str),
        names.iter().map(String::as_str),
    )
}
