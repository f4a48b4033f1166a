//! `createClient`'s engine behind a narrow boundary: numbers in, records
//! out.
//!
//! The package's JavaScript driver runs `fetch`, the timer and the
//! `AbortController`s, and does what the records say. Each of its calls is
//! one export: a call starting ([`WasmClient::start`]), a response or a
//! failed fetch ([`WasmClient::response`], [`WasmClient::failure`]), the
//! timer firing, a caller's signal aborting, `close()`. Each answers with
//! the engine's outputs as records on the output tape ([`crate::io`]):
//!
//! ```text
//! [1, slot, attempt]               SEND   fetch attempt `attempt` of call `slot`
//! [2, slot, attempt]               ABORT  abort it; forget its response
//! [3, slot, status, attempts]      OK     resolve the call
//! [4, slot, fields]                FAIL   reject it with a ResilienceError of `fields`
//! [5, slot]                        CANCEL reject it with its signal's reason
//! [6, event, payload]              EVENT  tell the listeners of `event`
//! [7, slot, method, url, headers, body, signal, read]  STARTED  a call began (url: a
//!                                  string, or words and numbers to join; headers null: the
//!                                  client's; read: how a successful body is read, the index
//!                                  of `init.responseType` among its choices)
//! [8, isType, message]             ERROR  a bad argument: throw a TypeError / RangeError
//! [9, signal]                      ABORTED  the signal had aborted: reject with its reason
//! [10, url]                        CHECK  parse `url` with `URL`, then start again with its parts
//! [11, at, pending]                TIMER  (last) fire `timer` at `at` (-1: none); calls pending
//! [12, slot, body]                 BODY   the error body as scrubbed (null: as sent)
//! [13, value]                      VALUE  what was asked (health, snapshot)
//! [14, slot]                       ODD    `fetch` answered something that is not a Response
//! [15, generation]                 REFRESH run `auth.refresh`, then report with `refreshed`
//! ```
//!
//! A header field's value that is a function crosses as `null` (in READY,
//! as its reference): the driver evaluates it before each attempt and hands
//! the values in ([`WasmClient::header_values`]) before it sends.
//!
//! A one-attempt `client.get` crosses twice: `start` (answered STARTED,
//! SEND, TIMER) and `response` (OK, TIMER). Calls are named by their slot in
//! the engine, a number JavaScript holds exactly; the engine's full
//! [`CallId`] stays here.

use alloc::{string::String, sync::Arc, vec::Vec};
use steadfast_core::breaker::StateChange;
use steadfast_core::classify::{reads_body, status_from_number};
use steadfast_core::engine::{
    CallFailure, CallId, Engine, Event, FailureKind, Listening, Output, RequestMeta, ResponseMeta,
};
use steadfast_core::headers::request_fields;
use steadfast_core::monitor::normalize_endpoint;
use steadfast_core::secrets::{call_secrets, Secrets};
use steadfast_core::{Method, Millis, TransportFailure, UnixMillis};

use crate::io::exchange;
use crate::options::{
    self, BodyRef, CallOptions, ClientOptions, OptionError, QueryValue, FUNCTION,
};
use crate::tape::{self, Value, Writer};
use crate::text::{quote, Text};
use crate::transport;

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests;

/// Record opcodes (see the module's documentation).
pub(crate) mod op {
    pub(super) const SEND: f64 = 1.0;
    pub(super) const ABORT: f64 = 2.0;
    pub(super) const OK: f64 = 3.0;
    pub(super) const FAIL: f64 = 4.0;
    pub(super) const CANCEL: f64 = 5.0;
    pub(super) const EVENT: f64 = 6.0;
    pub(super) const STARTED: f64 = 7.0;
    pub(super) const ERROR: f64 = 8.0;
    pub(super) const ABORTED: f64 = 9.0;
    pub(super) const CHECK: f64 = 10.0;
    pub(super) const TIMER: f64 = 11.0;
    pub(super) const BODY: f64 = 12.0;
    pub(crate) const VALUE: f64 = 13.0;
    pub(super) const ODD: f64 = 14.0;
    pub(super) const REFRESH: f64 = 15.0;
}

/// The events a listener may subscribe to, in the order of their numbers in
/// EVENT records.
pub(crate) const EVENTS: [&str; 8] = [
    "retry",
    "stateChange",
    "rateLimited",
    "alert",
    "recovered",
    "attempt",
    "success",
    "failure",
];

/// Time from the JavaScript (`performance.now()` or the injected clock):
/// junk (a clock answering `NaN`, a negative number) reads as 0; the core
/// never lets time go back.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub(crate) fn millis(t: f64) -> Millis {
    if t.is_finite() && t > 0.0 {
        Millis(t as u64)
    } else {
        Millis(0)
    }
}

/// Writes an ERROR record: a bad argument or option.
pub(crate) fn write_error(w: &mut Writer, e: &OptionError) {
    w.arr(3).num(op::ERROR).bool(e.is_type());
    e.message().write(w);
}

fn write_type_error(w: &mut Writer, message: &str) {
    w.arr(3).num(op::ERROR).bool(true);
    Text::of(message).write(w);
}

/// What the Rust side keeps of a call.
struct Call {
    id: CallId,
    method: Method,
    /// The endpoint as events name it (the engine's own name for it).
    endpoint: Arc<str>,
    secrets: Secrets,
}

/// One client: its engine and its calls.
pub struct WasmClient {
    engine: Engine,
    calls: Vec<Option<Call>>,
    /// How many of `calls` are `Some`: the TIMER record's count, kept here
    /// rather than counted (a scan of every slot per answer would cost in
    /// proportion to the calls in flight).
    pending: usize,
    base_url: String,
    /// The client's header fields, names lower-cased (a function's value:
    /// [`FUNCTION`]).
    headers: Vec<(String, String)>,
    /// Whether `fetch` is the host's own (no `fetch` option given).
    global_fetch: bool,
}

/// A circuit's state change as events tell it: an object of `members`
/// whose first three are `from`, `to` and `at` (the client's adds its
/// `endpoint`; a standalone breaker's has none).
pub(crate) fn state_change<'w>(w: &'w mut Writer, members: u32, c: &StateChange) -> &'w mut Writer {
    w.obj(members)
        .key("from")
        .str(c.from.as_str())
        .key("to")
        .str(c.to.as_str())
        .key("at")
        .int(c.at.0)
}

/// The slot of a call id: the number the JavaScript names it by.
#[allow(clippy::cast_possible_truncation)]
fn slot_of(id: CallId) -> u32 {
    id.0 as u32
}

/// Facts the JavaScript learned by parsing a URL with `URL`: `Unreadable`
/// when it threw.
fn url_problem(facts: &Value) -> Option<&'static str> {
    match facts {
        Value::Undefined => None,
        Value::Obj(o) => {
            let protocol = o.get("protocol").as_str().unwrap_or_default();
            if protocol != "http:" && protocol != "https:" {
                return Some("must be an http: or https: URL");
            }
            let credentials = ["username", "password"]
                .iter()
                .any(|k| o.get(k).as_str().is_some_and(|s| !s.is_empty()));
            credentials
                .then_some("must not carry credentials (user:password@): send them in `headers`")
        }
        _ => Some("must be an absolute URL (https://host/prefix)"),
    }
}

/// A call's tape `[method, path, init, json]` (then the URL's parts, when a
/// CHECK asked for them), checked as every call's is: its method, path,
/// options and those parts. `global_fetch`: TRACE is refused (the host's
/// `fetch` refuses it).
fn call_parts<'t>(
    tape: &'t Value<'t>,
    global_fetch: bool,
) -> Result<(Method, &'t str, CallOptions, Option<&'t Value<'t>>), OptionError> {
    let Value::Arr(_, parts) = tape else {
        return Err(OptionError::type_of("init", "readable"));
    };
    let (method, path, init, json, facts) = match parts.as_slice() {
        [m, p, i, j] => (m, p, i, j, None),
        [m, p, i, j, f] => (m, p, i, j, Some(f)),
        _ => return Err(OptionError::type_of("init", "readable")),
    };
    let method = options::decode_method(method)?;
    if method == Method::Trace && global_fetch {
        return Err(OptionError::range(
            "method",
            Text::of("TRACE is refused by fetch (give `fetch` to send it your own way)"),
        ));
    }
    let path = path
        .as_str()
        .ok_or_else(|| OptionError::type_of("path", "a string"))?;
    let call = options::decode_call(init, json, method)?;
    Ok((method, path, call, facts))
}

impl WasmClient {
    /// A client from the options tape `[options, host]` (`host`: `{ fetch,
    /// URL }`, whether the global ones exist; then the base URL's parts,
    /// when a CHECK asked for them). `seed` is the host's random draw,
    /// used unless `seed` was given. `None` with an ERROR or CHECK record;
    /// else a READY record:
    /// `[fetch, clock, wallNow, onAlert, headers, refresh]` (the client's
    /// header fields, names lower-cased, a function's value as its
    /// reference; `auth.refresh`'s reference).
    #[must_use]
    pub fn open(len: u32, seed_hi: u32, seed_lo: u32, now: f64, wall: f64) -> Option<WasmClient> {
        let mut client = None;
        exchange(len, |input, w| {
            client = match Self::build(input, seed_hi, seed_lo, now, wall, w) {
                Ok(c) => c,
                Err(e) => {
                    write_error(w, &e);
                    None
                }
            };
        });
        client
    }

    fn build(
        input: &[u8],
        seed_hi: u32,
        seed_lo: u32,
        now: f64,
        wall: f64,
        w: &mut Writer,
    ) -> Result<Option<WasmClient>, OptionError> {
        let tape = tape::read(input).map_err(|_| OptionError::type_of("options", "readable"))?;
        let Value::Arr(_, parts) = &tape else {
            return Err(OptionError::type_of("options", "readable"));
        };
        let (options, host, base_facts) = match parts.as_slice() {
            [o, h] => (o, h, None),
            [o, h, f] => (o, h, Some(f)),
            _ => return Err(OptionError::type_of("options", "readable")),
        };
        let ClientOptions {
            mut config,
            base_url,
            headers: given,
            fetch,
            clock,
            on_alert,
            seeded,
            restore,
            auth,
            header_functions,
        } = options::decode_client(options)?;
        if fetch.is_none() && !matches!(host.get("fetch"), Value::Bool(true)) {
            return Err(OptionError::type_of(
                "fetch",
                "given: globalThis.fetch is missing (Node 18 or later has it)",
            ));
        }
        if !base_url.is_empty() && matches!(host.get("URL"), Value::Bool(true)) {
            match base_facts {
                None if !transport::is_plain_url(&base_url) => {
                    w.arr(2).num(op::CHECK).str(&base_url);
                    return Ok(None);
                }
                Some(facts) => {
                    if let Some(problem) = url_problem(facts) {
                        return Err(OptionError::range("baseUrl", Text::of(problem)));
                    }
                }
                None => {}
            }
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        for (name, value) in given {
            let name = name.to_ascii_lowercase();
            headers.retain(|(n, _)| *n != name);
            headers.push((name, value));
        }
        if !seeded {
            config.seed = (u64::from(seed_hi) << 32) | u64::from(seed_lo);
        }
        let mut engine = match restore {
            None => Engine::new(config, millis(now)),
            Some(saved) => Engine::restore(config, saved, millis(now), UnixMillis(millis(wall).0)),
        }?;
        for (name, value) in &headers {
            engine.add_credential(name, value);
        }
        if let Some((config, _)) = auth {
            engine.enable_auth_refresh(config)?;
        }
        // READY: what the driver needs, once.
        w.arr(6)
            .reference(fetch)
            .reference(clock.map(|c| c.reference))
            .bool(clock.is_some_and(|c| c.wall_now))
            .reference(on_alert);
        let strings = headers.iter().filter(|(_, v)| v != FUNCTION);
        // A function's field: its reference (the last of a name wins), unless
        // a string given later for the name took its place.
        let functions = header_functions.iter().filter(|(n, _)| {
            headers
                .iter()
                .any(|(h, v)| v == FUNCTION && h.eq_ignore_ascii_case(n))
        });
        w.arr(u32::try_from(strings.clone().count() + functions.clone().count()).unwrap_or(0));
        for (n, v) in strings {
            w.arr(2).str(n).str(v);
        }
        for (n, r) in functions {
            w.arr(2).str(&n.to_ascii_lowercase()).int(u64::from(*r));
        }
        w.reference(auth.map(|(_, r)| r));
        Ok(Some(WasmClient {
            engine,
            calls: Vec::new(),
            pending: 0,
            base_url,
            headers,
            global_fetch: fetch.is_none(),
        }))
    }

    /// A call on `client`: the input tape is `[method, path, init, json]`
    /// (then the URL's parts, when a CHECK asked for them). Answers STARTED
    /// and the engine's outputs, or ERROR / ABORTED / CHECK.
    ///
    /// `None` is a client that `close()` freed: the call's method, path and
    /// `init` are checked as an open client checks them (ERROR, or ABORTED
    /// for a signal that had aborted); then it ends at once, unsent, in a
    /// FAIL record (slot 0) of [`CallFailure::closed`], what a closed engine
    /// answers. No URL is built: there is no base URL left to build it
    /// with, and nothing is sent.
    pub fn start(client: Option<&mut Self>, len: u32, now: f64) -> u32 {
        exchange(len, |input, w| match client {
            Some(c) => {
                if let Err(e) = c.start_call(input, now, w) {
                    w.clear();
                    write_error(w, &e);
                }
                c.timer(w);
            }
            None => {
                if let Err(e) = Self::closed_call(input, w) {
                    w.clear();
                    write_error(w, &e);
                }
            }
        })
    }

    fn closed_call(input: &[u8], w: &mut Writer) -> Result<(), OptionError> {
        let tape = tape::read(input).map_err(|_| OptionError::type_of("init", "readable"))?;
        let (method, path, call, _) = call_parts(&tape, false)?;
        if let Some(signal) = call.signal.filter(|s| s.aborted) {
            w.arr(2).num(op::ABORTED).reference(Some(signal.reference));
            return Ok(());
        }
        w.arr(3).num(op::FAIL).int(0);
        crate::report::failure(w, &CallFailure::closed(method, path));
        Ok(())
    }

    fn start_call(&mut self, input: &[u8], now: f64, w: &mut Writer) -> Result<(), OptionError> {
        let tape = tape::read(input).map_err(|_| OptionError::type_of("init", "readable"))?;
        let (method, path, call, facts) = call_parts(&tape, self.global_fetch)?;
        if let Some(signal) = call.signal.filter(|s| s.aborted) {
            w.arr(2).num(op::ABORTED).reference(Some(signal.reference));
            return Ok(());
        }
        let texts: Vec<(String, String)> = call
            .query
            .iter()
            .filter_map(|(k, v)| match v {
                QueryValue::Text(t) => Some((k.clone(), t.clone())),
                QueryValue::Num(_) => None,
            })
            .collect();
        let url = transport::build_url(&self.base_url, path, &call.query);
        match facts {
            None if !url.as_words().is_some_and(transport::is_plain_url) => {
                w.arr(2).num(op::CHECK);
                url.write(w);
                return Ok(());
            }
            Some(Value::Unreadable) => {
                return Err(OptionError::Message {
                    type_error: true,
                    text: Text::of("`path` ")
                        .s(&quote(transport::without_query(path)))
                        .s(" does not make a valid URL with `baseUrl` ")
                        .s(&quote(transport::without_query(&self.base_url))),
                });
            }
            Some(f) => {
                if let Some(problem) = url_problem(f) {
                    return Err(OptionError::range("path", Text::of(problem)));
                }
            }
            None => {}
        }
        let secrets = call_secrets(&call.headers, path, &texts);

        // Header fields: the client's, then the call's (names lower-cased,
        // later ones win), then what the body and the key imply.
        let json = matches!(call.body, Some(BodyRef::Json(_)));
        let own = !call.headers.is_empty() || json || call.idempotency_key.is_some();
        let fields = own.then(|| {
            request_fields(
                &self.headers,
                &call.headers,
                json,
                call.idempotency_key.as_deref(),
            )
        });

        let id = self.engine.start(
            RequestMeta {
                method,
                endpoint: path,
                idempotency_key: call.idempotency_key.is_some(),
                timeout_ms: call.timeout_ms,
                deadline_ms: call.deadline_ms,
            },
            millis(now),
        );
        let slot = slot_of(id);
        w.arr(8)
            .num(op::STARTED)
            .int(u64::from(slot))
            .str(method.as_str());
        // The URL as a string, unless JavaScript must write a number of it.
        match url.as_words() {
            Some(words) => {
                w.str(words);
            }
            None => url.write(w),
        }
        match &fields {
            None => {
                w.null();
            }
            Some(fields) => {
                w.arr(u32::try_from(fields.len()).unwrap_or(0));
                for (n, v) in fields {
                    // A function's field crosses with no value: the
                    // driver's function fills it.
                    w.arr(2).str(n);
                    if v == FUNCTION {
                        w.null();
                    } else {
                        w.str(v);
                    }
                }
            }
        }
        w.reference(call.body.map(BodyRef::reference))
            .reference(call.signal.map(|s| s.reference))
            .int(call.response_type.code());
        let index = slot as usize;
        if self.calls.len() <= index {
            self.calls.resize_with(index + 1, || None);
        }
        if let Some(entry) = self.calls.get_mut(index) {
            if entry.is_none() {
                self.pending = self.pending.saturating_add(1);
            }
            *entry = Some(Call {
                id,
                method,
                endpoint: self
                    .engine
                    .endpoint_of(id)
                    .cloned()
                    .unwrap_or_else(|| Arc::from(normalize_endpoint(path))),
                secrets,
            });
        }
        self.drain(w, millis(now));
        Ok(())
    }

    fn id(&self, slot: u32) -> Option<CallId> {
        self.calls
            .get(slot as usize)
            .and_then(Option::as_ref)
            .map(|c| c.id)
    }

    /// Attempt `attempt` of call `slot` answered `status`. The input tape is
    /// `[fields, body]`: the header fields the core reads (`readFields`),
    /// and the body's text when the core reads it (`readsBody`). Answers
    /// BODY (for an error body) and the engine's outputs.
    pub fn response(
        &mut self,
        slot: u32,
        attempt: u32,
        status: f64,
        now: f64,
        wall: f64,
        len: u32,
    ) -> u32 {
        exchange(len, |input, w| {
            let Some(id) = self.id(slot) else {
                return self.timer(w);
            };
            let Some(status) = status_from_number(status) else {
                // Not a Response: a failed fetch, typed as a `TypeError`.
                w.arr(2).num(op::ODD).int(u64::from(slot));
                let kind = TransportFailure::from_error([], ["TypeError"]);
                self.engine.handle_failure(id, attempt, kind, millis(now));
                self.drain(w, millis(now));
                return self.timer(w);
            };
            if let Ok(Value::Arr(_, parts)) = tape::read(input) {
                let fields = parts.first().map(Value::pairs).unwrap_or_default();
                let body = match parts.get(1) {
                    Some(Value::Str(raw)) if reads_body(status) => {
                        let secrets = self
                            .calls
                            .get(slot as usize)
                            .and_then(Option::as_ref)
                            .map(|c| &c.secrets);
                        let scrubbed = self
                            .engine
                            .scrub_error_body(raw, secrets.unwrap_or(&Secrets::default()));
                        w.arr(3).num(op::BODY).int(u64::from(slot));
                        if scrubbed == *raw {
                            w.null();
                        } else {
                            w.str(&scrubbed);
                        }
                        Some(scrubbed)
                    }
                    _ => None,
                };
                self.engine.handle_response(
                    id,
                    attempt,
                    ResponseMeta {
                        status,
                        headers: &fields,
                        body: body.as_deref(),
                        wall: Some(UnixMillis(millis(wall).0)),
                    },
                    millis(now),
                );
                self.drain(w, millis(now));
            }
            self.timer(w);
        })
    }

    /// Attempt `attempt` of call `slot` failed before a response. The input
    /// tape is `[codes, names]`: the error's and its causes' `code`s and
    /// `name`s, typed by the core ([`TransportFailure::from_error`]). A
    /// `fetch` that answered something that is not a `Response` sends none.
    pub fn failure(&mut self, slot: u32, attempt: u32, now: f64, len: u32) -> u32 {
        exchange(len, |input, w| {
            if let Some(id) = self.id(slot) {
                let tape = tape::read(input).unwrap_or(Value::Undefined);
                let kind =
                    TransportFailure::from_error(tape.item(0).strings(), tape.item(1).strings());
                self.engine.handle_failure(id, attempt, kind, millis(now));
                self.drain(w, millis(now));
            }
            self.timer(w);
        })
    }

    /// What the header functions of attempt `attempt` of call `slot` gave,
    /// before it is sent. The input tape is the array of their values; a value
    /// that is not a string (the driver writes a function that threw as
    /// unreadable) or that `fetch` would refuse ends the call, unsent
    /// ([`Engine::handle_header_failure`]: a FAIL of kind `header_failed`).
    /// Else every value is a secret from now on, and nothing but TIMER is
    /// answered: the driver sends.
    pub fn header_values(&mut self, slot: u32, attempt: u32, now: f64, len: u32) -> u32 {
        exchange(len, |input, w| {
            if let Some(id) = self.id(slot) {
                let tape = tape::read(input).unwrap_or(Value::Undefined);
                let values = match &tape {
                    Value::Arr(_, items) => items.as_slice(),
                    _ => &[],
                };
                // What fetch would refuse in a value (the names were
                // checked with the client's options).
                let fine = |v: &Value| matches!(v, Value::Str(s) if options::field_problem("x", s).is_none());
                if matches!(tape, Value::Arr(..)) && values.iter().all(fine) {
                    // The client keeps the recent ones; the call keeps its
                    // own as long as it lives, so that what it sent is
                    // scrubbed from its answer however many other values
                    // came since.
                    let call = self.calls.get_mut(slot as usize).and_then(Option::as_mut);
                    let mut own = call.map(|c| &mut c.secrets);
                    for v in values {
                        if let Value::Str(s) = v {
                            self.engine.add_secret_value(s);
                            if let Some(own) = own.as_deref_mut() {
                                own.add_value(s);
                            }
                        }
                    }
                } else {
                    self.engine.handle_header_failure(id, attempt, millis(now));
                    self.drain(w, millis(now));
                }
            }
            self.timer(w);
        })
    }

    /// Auth refresh `generation` (a REFRESH record) ended, `ok` or not. The
    /// input tape is what the hook resolved: a string is a secret from now
    /// on (a token it hands back). Answers the engine's outputs: the
    /// waiting calls' SENDs, or their FAILs.
    pub fn refreshed(&mut self, generation: u32, ok: bool, now: f64, len: u32) -> u32 {
        exchange(len, |input, w| {
            if let Ok(Value::Str(token)) = tape::read(input) {
                self.engine.add_secret_value(token);
            }
            self.engine.handle_refreshed(generation, ok, millis(now));
            self.drain(w, millis(now));
            self.timer(w);
        })
    }

    /// The timer fired.
    pub fn fire(&mut self, now: f64) -> u32 {
        exchange(0, |_, w| {
            self.engine.handle_timeout(millis(now));
            self.drain(w, millis(now));
            self.timer(w);
        })
    }

    /// Call `slot`'s signal aborted: it ends, rejected with the signal's
    /// reason (a CANCEL record).
    pub fn cancel(&mut self, slot: u32, now: f64) -> u32 {
        exchange(0, |_, w| {
            if let Some(id) = self.id(slot) {
                self.engine.cancel(id, millis(now));
                self.drain_with(w, millis(now), Some(slot));
            }
            self.timer(w);
        })
    }

    /// `close()`: every pending call ends once ([`Engine::close`]: FAIL
    /// records of kind `closed`, ABORT for the attempts in flight), then a
    /// TIMER with none, then the client's last `health()` and `snapshot()`
    /// (two VALUE records: what the driver answers for them from then on).
    /// Takes the client: it is dropped here, with its engine, breakers,
    /// queues and strings, so its memory is free for the next client at
    /// once rather than when the JavaScript's wrapper is collected.
    pub fn close(mut self, now: f64, wall: f64) -> u32 {
        exchange(0, |_, w| {
            self.engine.close(millis(now));
            self.drain(w, millis(now));
            w.arr(3).num(op::TIMER).num(-1.0).int(0);
            w.arr(2).num(op::VALUE);
            crate::report::health(w, &self.engine.health(millis(now)));
            w.arr(2).num(op::VALUE);
            let s = self
                .engine
                .snapshot(millis(now), UnixMillis(millis(wall).0));
            crate::snapshot::write(&s, w);
        })
    }

    /// Which events have listeners: bit `i` for [`EVENTS`]`[i]`. The engine
    /// makes the per-call ones (attempt, success, failure) only while
    /// their bit is set, so a call nobody listens to costs nothing more.
    pub fn events(&mut self, mask: u32) {
        let on = |name: &str| {
            EVENTS
                .iter()
                .position(|e| *e == name)
                .is_some_and(|i| mask & (1 << i) != 0)
        };
        self.engine.listen(Listening {
            attempt: on("attempt"),
            success: on("success"),
            failure: on("failure"),
        });
    }

    /// A VALUE record of `stats()` (the driver asks once more just before
    /// `close()`, and answers that from then on).
    pub fn stats(&mut self, now: f64) -> u32 {
        exchange(0, |_, w| {
            w.arr(2).num(op::VALUE);
            crate::report::stats(w, &self.engine.stats(millis(now)));
        })
    }

    /// A VALUE record of `health()`.
    pub fn health(&mut self, now: f64) -> u32 {
        exchange(0, |_, w| {
            w.arr(2).num(op::VALUE);
            crate::report::health(w, &self.engine.health(millis(now)));
        })
    }

    /// A VALUE record of `snapshot()`.
    pub fn snapshot(&mut self, now: f64, wall: f64) -> u32 {
        exchange(0, |_, w| {
            w.arr(2).num(op::VALUE);
            let s = self
                .engine
                .snapshot(millis(now), UnixMillis(millis(wall).0));
            crate::snapshot::write(&s, w);
        })
    }

    /// `on(event, listener)`'s check: an ERROR record unless `event` (the
    /// input tape) is an event's name and `listener` a function. The same
    /// for an open client and a closed one (which keeps no listener).
    pub fn listen(len: u32) -> u32 {
        exchange(len, |input, w| {
            let ok = match tape::read(input) {
                Ok(Value::Arr(_, parts)) => match parts.as_slice() {
                    [Value::Str(e), l] if EVENTS.contains(e) => {
                        if matches!(l, Value::Func(_)) {
                            true
                        } else {
                            write_type_error(w, "steadfast: `listener` must be a function");
                            return;
                        }
                    }
                    _ => false,
                },
                _ => false,
            };
            if !ok {
                write_type_error(
                    w,
                    "steadfast: `event` must be one of \"retry\", \"stateChange\", \"rateLimited\", \"alert\", \"recovered\", \"attempt\", \"success\", \"failure\"",
                );
            }
        })
    }

    fn timer(&self, w: &mut Writer) {
        #[allow(clippy::cast_precision_loss)]
        let at = self.engine.poll_timeout().map_or(-1.0, |t| t.0 as f64);
        w.arr(3).num(op::TIMER).num(at).int(self.pending as u64);
    }

    fn drain(&mut self, w: &mut Writer, now: Millis) {
        self.drain_with(w, now, None);
    }

    /// The engine's outputs as records; `cancelled` is the call whose
    /// signal aborted (its end is a CANCEL).
    fn drain_with(&mut self, w: &mut Writer, now: Millis, cancelled: Option<u32>) {
        while let Some(out) = self.engine.poll_output() {
            match out {
                Output::Send { call, attempt, .. } => {
                    w.arr(3)
                        .num(op::SEND)
                        .int(u64::from(slot_of(call)))
                        .int(u64::from(attempt));
                }
                Output::Abort { call, attempt } => {
                    w.arr(3)
                        .num(op::ABORT)
                        .int(u64::from(slot_of(call)))
                        .int(u64::from(attempt));
                }
                Output::Done { call, result } => {
                    let slot = slot_of(call);
                    self.settle(w, slot, cancelled, result);
                }
                Output::Event(e) => self.event(w, e, now),
                Output::Refresh { generation } => {
                    w.arr(2).num(op::REFRESH).int(u64::from(generation));
                }
                _ => {}
            }
        }
    }

    fn settle(
        &mut self,
        w: &mut Writer,
        slot: u32,
        cancelled: Option<u32>,
        result: Result<steadfast_core::engine::CallSuccess, CallFailure>,
    ) {
        if let Some(entry) = self.calls.get_mut(slot as usize) {
            if entry.take().is_some() {
                self.pending = self.pending.saturating_sub(1);
            }
        }
        while self.calls.last().is_some_and(Option::is_none) {
            self.calls.pop();
        }
        match result {
            Ok(s) => {
                w.arr(4)
                    .num(op::OK)
                    .int(u64::from(slot))
                    .int(u64::from(s.status))
                    .int(u64::from(s.attempts));
            }
            Err(f) if f.kind == FailureKind::Cancelled && cancelled == Some(slot) => {
                w.arr(2).num(op::CANCEL).int(u64::from(slot));
            }
            Err(f) => {
                w.arr(3).num(op::FAIL).int(u64::from(slot));
                crate::report::failure(w, &f);
            }
        }
    }

    fn call_info(&self, id: CallId) -> Option<(&'static str, &str)> {
        self.calls
            .get(slot_of(id) as usize)
            .and_then(Option::as_ref)
            .filter(|c| c.id == id)
            .map(|c| (c.method.as_str(), &*c.endpoint))
    }

    fn event(&self, w: &mut Writer, event: Event, now: Millis) {
        let with_call = |w: &mut Writer, n: u32, call: CallId| {
            let info = self.call_info(call);
            w.obj(n + if info.is_some() { 2 } else { 0 });
            if let Some((method, endpoint)) = info {
                w.key("method").str(method).key("endpoint").str(endpoint);
            }
        };
        match event {
            Event::Retry {
                call,
                attempt,
                delay_ms,
                category,
                status,
            } => {
                w.arr(3).num(op::EVENT).int(0);
                with_call(w, 4, call);
                w.key("attempt")
                    .int(u64::from(attempt))
                    .key("delayMs")
                    .int(delay_ms)
                    .key("category")
                    .str(category.as_str())
                    .key("status")
                    .opt_int(status.map(u64::from));
            }
            Event::StateChange { change, endpoint } => {
                w.arr(3).num(op::EVENT).int(1);
                state_change(w, 4, &change)
                    .key("endpoint")
                    .opt_str(endpoint.as_deref());
            }
            Event::RateLimited { call, until } => {
                w.arr(3).num(op::EVENT).int(2);
                with_call(w, 1, call);
                w.key("delayMs").int(now.until(until));
            }
            Event::Alert(summary) => {
                w.arr(3).num(op::EVENT).int(3);
                crate::report::summary(w, &summary);
            }
            Event::Recovered(summary) => {
                w.arr(3).num(op::EVENT).int(4);
                crate::report::summary(w, &summary);
            }
            Event::Attempt {
                call,
                attempt,
                status,
                category,
                latency_ms,
                will_retry,
            } => {
                w.arr(3).num(op::EVENT).int(5);
                with_call(w, 5, call);
                w.key("attempt")
                    .int(u64::from(attempt))
                    .key("status")
                    .opt_int(status.map(u64::from))
                    .key("category")
                    .opt_str(category.map(|c| c.as_str()))
                    .key("latencyMs")
                    .int(latency_ms)
                    .key("willRetry")
                    .bool(will_retry);
            }
            Event::Success {
                call,
                status,
                attempts,
                latency_ms,
            } => {
                w.arr(3).num(op::EVENT).int(6);
                with_call(w, 3, call);
                w.key("status")
                    .int(u64::from(status))
                    .key("attempts")
                    .int(u64::from(attempts))
                    .key("latencyMs")
                    .int(latency_ms);
            }
            Event::Failure {
                call,
                kind,
                category,
                status,
                attempts,
                latency_ms,
            } => {
                w.arr(3).num(op::EVENT).int(7);
                with_call(w, 5, call);
                w.key("kind")
                    .str(kind.as_str())
                    .key("category")
                    .str(category)
                    .key("status")
                    .opt_int(status.map(u64::from))
                    .key("attempts")
                    .int(u64::from(attempts))
                    .key("latencyMs")
                    .int(latency_ms);
            }
            _ => {}
        }
    }
}
