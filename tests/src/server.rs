//! A simulated Etsy-like API server.
//!
//! It enforces a per-second limit (a token bucket with a burst) and a daily
//! quota over a rolling 24-hour window, sends Etsy's four rate headers on
//! every response, answers 429 with `Retry-After` in either RFC 9110 form,
//! goes down for outage windows (503), and injects random 5xx, connection
//! resets before and after it acted, and responses slower than the client's
//! timeout. It remembers which writes it applied, so a duplicated POST is
//! detected. A hostile mode sends year-long `Retry-After`s and garbage
//! headers; a hostile-headers mode goes further (see [`hostile`]):
//! `Retry-After`s of years, negative, non-ASCII or dates long past and far
//! off, rate headers with non-ASCII bytes, huge or negative numbers, quota
//! fields that contradict each other or jump up and down, and error bodies
//! of 4 MB.
//!
//! The server is the simulation's reference: it counts what actually reached
//! it, independently of what the client believes.

use std::collections::VecDeque;

use crate::fast_hash::FastMap;

use steadfast_core::rng::Rng;
use steadfast_core::{Method, Millis, SplitMix64, TransportFailure};

/// How a 429 names its delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfterForm {
    /// No `Retry-After` at all (Etsy often sends none).
    Absent,
    /// `Retry-After: <seconds>`.
    Seconds,
    /// `Retry-After: <HTTP-date>`.
    HttpDate,
    /// Either, at random.
    Mixed,
}

/// How the server counts its per-second limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondWindow {
    /// A token bucket of `burst`, refilled at `per_second` (tokens only
    /// accumulate: a client paced at the rate never meets an empty one).
    TokenBucket,
    /// A counter per wall-clock second, reset all at once on the second:
    /// `per_second` requests a second, however close together (so a client
    /// that is late with one request and on time with the next can put one
    /// too many into a second).
    WallSecond,
}

/// The server's behaviour.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Requests per second the server allows.
    pub per_second: u32,
    /// The token bucket's size (with [`SecondWindow::TokenBucket`]).
    pub burst: u32,
    /// How the per-second limit is counted.
    pub window: SecondWindow,
    /// The per-second limit the server *advertises* in `x-limit-per-second`.
    pub advertised_per_second: u32,
    /// Requests per rolling window.
    pub daily_quota: u64,
    /// The quota's window.
    pub day_window_ms: u64,
    /// `[start, end)` windows during which every request gets 503.
    pub outages: Vec<(Millis, Millis)>,
    /// Retry-After on 503s during outages, in seconds.
    pub outage_retry_after_s: Option<u64>,
    /// How 429s name their delay.
    pub retry_after: RetryAfterForm,
    /// Probability of a 500/502/504 after the request was accepted.
    pub p_server_error: f64,
    /// Probability of a connection reset before the server acted.
    pub p_reset_before: f64,
    /// Probability of a connection reset after the server acted.
    pub p_reset_after: f64,
    /// Probability of a response slower than any sane client timeout.
    pub p_slow: f64,
    /// Normal latency range, in ms.
    pub latency_ms: (u64, u64),
    /// Latency of slow responses, in ms.
    pub slow_latency_ms: u64,
    /// Send hostile headers: year-long Retry-After, garbage rate headers.
    pub hostile: bool,
    /// Send the hostile headers and bodies of [`hostile`] (on half the
    /// responses' rate headers, most `Retry-After`s and a third of the
    /// error bodies).
    pub hostile_headers: bool,
    /// Paths ending so are not implemented: they answer 501, always.
    pub unimplemented_suffix: Option<&'static str>,
    /// Wall-clock time (Unix ms) at simulated instant 0.
    pub wall_epoch_ms: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            per_second: 10,
            burst: 10,
            window: SecondWindow::TokenBucket,
            advertised_per_second: 10,
            daily_quota: 10_000,
            day_window_ms: 86_400_000,
            outages: Vec::new(),
            outage_retry_after_s: None,
            retry_after: RetryAfterForm::Seconds,
            p_server_error: 0.0,
            p_reset_before: 0.0,
            p_reset_after: 0.0,
            p_slow: 0.0,
            latency_ms: (20, 120),
            slow_latency_ms: 45_000,
            hostile: false,
            hostile_headers: false,
            unimplemented_suffix: None,
            wall_epoch_ms: 1_795_000_000_000,
        }
    }
}

/// A request as the server sees it.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The logical operation (one per call; the same on every attempt).
    pub op: u64,
    /// The path.
    pub endpoint: &'a str,
    /// The method.
    pub method: Method,
    /// Whether it carries an `Idempotency-Key` (= `op`).
    pub idempotency_key: bool,
}

/// A header value, kept unrendered so that answering allocates nothing
/// (the client renders it into a stack buffer, as bytes off a socket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    /// A decimal number.
    Num(u64),
    /// Literal text.
    Text(&'static str),
    /// An IMF-fixdate of these Unix seconds.
    HttpDate(u64),
}

impl Value {
    /// Writes the value's text into `buf`; the text.
    pub fn render<'a>(&self, buf: &'a mut [u8; 40]) -> &'a str {
        match *self {
            Value::Text(t) => t,
            Value::Num(mut n) => {
                let mut i = buf.len();
                loop {
                    i -= 1;
                    buf[i] = b'0' + (n % 10) as u8;
                    n /= 10;
                    if n == 0 {
                        break;
                    }
                }
                std::str::from_utf8(&buf[i..]).unwrap_or("")
            }
            Value::HttpDate(s) => {
                let text = http_date(s);
                let n = text.len().min(buf.len());
                buf[..n].copy_from_slice(&text.as_bytes()[..n]);
                std::str::from_utf8(&buf[..n]).unwrap_or("")
            }
        }
    }
}

/// The most header fields one response has.
pub const MAX_FIELDS: usize = 8;

/// The few header fields of one response, without a heap allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Headers {
    items: [(&'static str, Value); MAX_FIELDS],
    len: usize,
}

impl Default for Headers {
    fn default() -> Self {
        Self {
            items: [("", Value::Text("")); MAX_FIELDS],
            len: 0,
        }
    }
}

impl Headers {
    /// Adds a field (past [`MAX_FIELDS`], it is dropped).
    pub fn push(&mut self, name: &'static str, value: Value) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = (name, value);
            self.len += 1;
        }
    }

    /// The fields, in order.
    pub fn iter(&self) -> impl Iterator<Item = &(&'static str, Value)> {
        self.items.iter().take(self.len)
    }

    /// How many fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// What comes back to the client.
// Kept inline on purpose: boxing the large variant would allocate per answer.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// An HTTP response.
    Response {
        /// Status.
        status: u16,
        /// Headers.
        headers: Headers,
        /// Body.
        body: &'static str,
    },
    /// No response: the connection failed.
    Failure(TransportFailure),
}

/// The server's verdict on one request, with what the simulation measures.
#[derive(Clone, Debug)]
pub struct Handled {
    /// The answer.
    pub answer: Answer,
    /// When it reaches the client, from the request's arrival.
    pub latency_ms: u64,
    /// The request arrived while the daily quota was spent.
    pub quota_overrun: bool,
    /// The request arrived during an outage.
    pub during_outage: bool,
    /// The server refused it for rate (429).
    pub rate_limited: bool,
    /// A delay the server asked for, in ms from the answer's delivery.
    pub server_delay_ms: Option<u64>,
}

/// The simulated server.
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    rng: SplitMix64,
    tokens_milli: u64,
    refilled_at: Millis,
    /// With [`SecondWindow::WallSecond`]: the wall-clock second counted,
    /// and its requests so far.
    wall_second: (u64, u32),
    accepted: VecDeque<Millis>,
    applied: FastMap<u64, u32>,
    duplicate_writes: u64,
    /// The world instant at which the server's own clock reads zero.
    origin: Millis,
}

impl Server {
    /// A fresh server whose randomness comes from `seed`.
    #[must_use]
    pub fn new(config: ServerConfig, seed: u64) -> Self {
        let tokens_milli = u64::from(config.burst) * 1000;
        Self {
            config,
            rng: SplitMix64::new(seed ^ 0x5E_4E_E4),
            tokens_milli,
            refilled_at: Millis::ZERO,
            wall_second: (0, 0),
            accepted: VecDeque::new(),
            applied: FastMap::default(),
            duplicate_writes: 0,
            origin: Millis::ZERO,
        }
    }

    /// The same server, started at world instant `origin`: its outages,
    /// buckets and quota count from there, and its wall clock reads
    /// `wall_epoch_ms` then (for the long soak, where one client meets
    /// server after server).
    #[must_use]
    pub fn starting_at(mut self, origin: Millis) -> Self {
        self.origin = origin;
        self.refilled_at = Millis::ZERO;
        self
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Writes applied more than once (a non-idempotent POST sent twice).
    #[must_use]
    pub fn duplicate_writes(&self) -> u64 {
        self.duplicate_writes
    }

    /// Whether `now` falls in an outage.
    #[must_use]
    pub fn in_outage(&self, now: Millis) -> bool {
        self.config
            .outages
            .iter()
            .any(|(a, b)| now >= *a && now < *b)
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.unit() < p
    }

    fn latency(&mut self) -> u64 {
        let (lo, hi) = self.config.latency_ms;
        self.rng.between_inclusive(lo, hi)
    }

    /// Whether a request arriving at `now` fits the per-second limit; if
    /// it does, it is counted.
    fn take_one(&mut self, now: Millis) -> bool {
        match self.config.window {
            SecondWindow::TokenBucket => {
                self.refill(now);
                if self.tokens_milli < 1000 {
                    return false;
                }
                self.tokens_milli -= 1000;
                true
            }
            SecondWindow::WallSecond => {
                let second = (self.config.wall_epoch_ms + now.as_u64()) / 1000;
                if self.wall_second.0 != second {
                    self.wall_second = (second, 0);
                }
                if self.wall_second.1 >= self.config.per_second {
                    return false;
                }
                self.wall_second.1 += 1;
                true
            }
        }
    }

    /// What the per-second window has left, for `x-remaining-this-second`.
    fn left_this_second(&self, now: Millis) -> u64 {
        match self.config.window {
            SecondWindow::TokenBucket => self.tokens_milli / 1000,
            SecondWindow::WallSecond => {
                let second = (self.config.wall_epoch_ms + now.as_u64()) / 1000;
                let used = if self.wall_second.0 == second {
                    self.wall_second.1
                } else {
                    0
                };
                u64::from(self.config.per_second.saturating_sub(used))
            }
        }
    }

    fn refill(&mut self, now: Millis) {
        let elapsed = now.since(self.refilled_at);
        self.refilled_at = now;
        let cap = u64::from(self.config.burst) * 1000;
        let add = elapsed.saturating_mul(u64::from(self.config.per_second));
        self.tokens_milli = self.tokens_milli.saturating_add(add).min(cap);
    }

    fn quota_used(&mut self, now: Millis) -> u64 {
        let window = self.config.day_window_ms;
        while self
            .accepted
            .front()
            .is_some_and(|t| now.since(*t) >= window)
        {
            self.accepted.pop_front();
        }
        self.accepted.len() as u64
    }

    fn rate_headers(&mut self, now: Millis) -> Headers {
        let mut h = Headers::default();
        if self.config.hostile_headers && self.chance(0.5) {
            let used = self.quota_used(now);
            let left = self.config.daily_quota.saturating_sub(used);
            let mut pick = self.rng.below_inclusive(hostile::RATE_HEADER_SETS - 1);
            if pick == hostile::PAUSING_SET && !self.chance(0.02) {
                // Rarer: each one stops every call for `maxPauseMs`.
                pick = hostile::WOBBLING_SET;
            }
            let wobble = self.rng.between_inclusive(2_000, 20_000);
            hostile::rate_headers(&mut h, pick, left, wobble);
            return h;
        }
        if self.config.hostile && self.chance(0.5) {
            h.push("x-limit-per-second", Value::Text("ten"));
            h.push("x-remaining-today", Value::Text("lots"));
            h.push("RateLimit", Value::Text("\"broken;r="));
            h.push("X-RateLimit-Reset", Value::Text("-1"));
            return h;
        }
        let used = self.quota_used(now);
        let advertised = u64::from(self.config.advertised_per_second);
        h.push("x-limit-per-second", Value::Num(advertised));
        h.push(
            "x-remaining-this-second",
            Value::Num(self.left_this_second(now)),
        );
        h.push("x-limit-per-day", Value::Num(self.config.daily_quota));
        let left = self.config.daily_quota.saturating_sub(used);
        h.push("x-remaining-today", Value::Num(left));
        h
    }

    /// Handles a request arriving at `now`.
    pub fn handle(&mut self, req: Request<'_>, now: Millis) -> Handled {
        let now = Millis(now.since(self.origin));
        let mut handled = Handled {
            answer: Answer::Failure(TransportFailure::Reset),
            latency_ms: self.latency(),
            quota_overrun: false,
            during_outage: false,
            rate_limited: false,
            server_delay_ms: None,
        };
        if self.chance(self.config.p_reset_before) {
            return handled; // Nothing reached the application.
        }
        if self.in_outage(now) {
            handled.during_outage = true;
            let mut headers = Headers::default();
            if let Some(s) = self.config.outage_retry_after_s {
                if !(self.config.hostile_headers
                    && self.hostile_retry_after(&mut headers, &mut handled, now))
                {
                    headers.push("Retry-After", Value::Num(s));
                    handled.server_delay_ms = Some(s * 1000);
                }
            }
            let body = self.error_body("<html>503 Service Unavailable</html>");
            handled.answer = response(503, headers, body);
            return handled;
        }
        let quota_spent = self.quota_used(now) >= self.config.daily_quota;
        if quota_spent || !self.take_one(now) {
            handled.quota_overrun = quota_spent;
            handled.rate_limited = true;
            let mut headers = self.rate_headers(now);
            let delay_s = if quota_spent { 3600 } else { 1 };
            self.add_retry_after(&mut headers, &mut handled, delay_s, now);
            let body = self.error_body(r#"{"error":"Too Many Requests"}"#);
            handled.answer = response(429, headers, body);
            return handled;
        }
        self.accepted.push_back(now);
        if let Some(suffix) = self.config.unimplemented_suffix {
            if req.endpoint.ends_with(suffix) {
                let headers = self.rate_headers(now);
                handled.answer = response(501, headers, r#"{"error":"Not Implemented"}"#);
                return handled;
            }
        }
        if self.chance(self.config.p_server_error) {
            // Half the 5xx come after the application acted.
            if self.chance(0.5) {
                self.apply(req);
            }
            let status = [500, 502, 504][self.rng.below_inclusive(2) as usize % 3];
            let headers = self.rate_headers(now);
            let body = self.error_body(r#"{"error":"Internal error"}"#);
            handled.answer = response(status, headers, body);
            return handled;
        }
        self.apply(req);
        if self.chance(self.config.p_reset_after) {
            handled.answer = Answer::Failure(TransportFailure::Reset);
            return handled;
        }
        if self.chance(self.config.p_slow) {
            handled.latency_ms = self.config.slow_latency_ms;
        }
        let status = if req.method == Method::Post { 201 } else { 200 };
        handled.answer = response(status, self.rate_headers(now), r#"{"results":[]}"#);
        handled
    }

    fn add_retry_after(
        &mut self,
        headers: &mut Headers,
        handled: &mut Handled,
        delay_s: u64,
        now: Millis,
    ) {
        if self.config.hostile && self.chance(0.1) {
            headers.push("Retry-After", Value::Num(31_536_000));
            handled.server_delay_ms = Some(31_536_000_000);
            return;
        }
        if self.config.hostile && self.chance(0.3) {
            headers.push("Retry-After", Value::Text("soon"));
            return;
        }
        if self.config.hostile_headers && self.hostile_retry_after(headers, handled, now) {
            return;
        }
        let configured = self.config.retry_after;
        let coin = self.chance(0.5);
        let form = match configured {
            RetryAfterForm::Mixed if coin => RetryAfterForm::HttpDate,
            RetryAfterForm::Mixed => RetryAfterForm::Seconds,
            f => f,
        };
        match form {
            RetryAfterForm::Absent | RetryAfterForm::Mixed => {}
            RetryAfterForm::Seconds => {
                headers.push("Retry-After", Value::Num(delay_s));
                handled.server_delay_ms = Some(delay_s * 1000);
            }
            RetryAfterForm::HttpDate => {
                // A date has whole seconds: the next whole second at least
                // `delay_s` away.
                let wall = self.config.wall_epoch_ms + now.as_u64();
                let at_s = (wall + delay_s * 1000).div_ceil(1000);
                headers.push("Retry-After", Value::HttpDate(at_s));
                // A date is absolute: from the answer's delivery, the wait is
                // shorter by the latency.
                handled.server_delay_ms =
                    Some((at_s * 1000 - wall).saturating_sub(handled.latency_ms));
            }
        }
    }

    /// Most of the time, a hostile `Retry-After` (and what it asks, for
    /// the invariant); `false` when this answer gets an honest one.
    fn hostile_retry_after(
        &mut self,
        headers: &mut Headers,
        handled: &mut Handled,
        now: Millis,
    ) -> bool {
        if !self.chance(0.7) {
            return false;
        }
        let wall_ms = self.config.wall_epoch_ms + now.as_u64();
        let pick = self.rng.below_inclusive(hostile::RETRY_AFTERS - 1);
        if hostile::PAUSING_RETRY_AFTERS.contains(&pick) && !self.chance(0.1) {
            // Rarer: each one stops every call for `maxPauseMs`.
            return false;
        }
        let (value, delay_ms) = hostile::retry_after(pick, wall_ms);
        headers.push("Retry-After", value);
        handled.server_delay_ms = delay_ms;
        true
    }

    /// An error response's body: now and then one of 4 MB.
    fn error_body(&mut self, usual: &'static str) -> &'static str {
        if self.config.hostile_headers && self.chance(0.3) {
            let pick = self.rng.below_inclusive(hostile::BIG_BODIES - 1);
            return hostile::big_body(pick);
        }
        usual
    }

    fn apply(&mut self, req: Request) {
        if req.method != Method::Post && req.method != Method::Patch {
            return;
        }
        let count = self.applied.entry(req.op).or_insert(0);
        if req.idempotency_key && *count > 0 {
            return; // Deduplicated by key.
        }
        *count += 1;
        if *count > 1 {
            self.duplicate_writes += 1;
        }
    }
}

fn response(status: u16, headers: Headers, body: &'static str) -> Answer {
    Answer::Response {
        status,
        headers,
        body,
    }
}

/// What the hostile-headers mode sends.
pub mod hostile {
    use std::sync::OnceLock;

    use super::{Headers, Value};

    /// How many `Retry-After` values [`retry_after`] picks from.
    pub const RETRY_AFTERS: u64 = 12;
    /// The picks that ask for longer than any client waits.
    pub const PAUSING_RETRY_AFTERS: [u64; 3] = [0, 2, 8];

    /// `Retry-After` number `pick`, at wall-clock `wall_ms`, and the delay
    /// it asks in ms as a client that reads it correctly must honour
    /// (`None`: it is not a delay in either RFC 9110 form).
    #[must_use]
    pub fn retry_after(pick: u64, wall_ms: u64) -> (Value, Option<u64>) {
        const YEAR_S: u64 = 31_536_000;
        // 9999-12-31T23:59:59Z, the last instant an HTTP-date can name.
        const LAST_DATE_S: u64 = 253_402_300_799;
        match pick {
            0 => (Value::Num(3 * YEAR_S), Some(3 * YEAR_S * 1000)),
            1 => (Value::Text("-5"), None),
            2 => (Value::Text("99999999999999999999999"), Some(u64::MAX)),
            3 => (Value::Text("1e3"), None),
            // Arabic-Indic and full-width digits: numbers to a person, not to RFC 9110.
            4 => (Value::Text("\u{663}\u{660}"), None),
            5 => (Value::Text("\u{ff13}\u{ff10}"), None),
            // A day ago, and a date of the last century: "now".
            6 => (Value::HttpDate(wall_ms / 1000 - 86_400), Some(0)),
            7 => (Value::Text("Sun, 06 Nov 1994 08:49:37 GMT"), Some(0)),
            8 => (
                Value::Text("Fri, 31 Dec 9999 23:59:59 GMT"),
                Some((LAST_DATE_S * 1000).saturating_sub(wall_ms)),
            ),
            9 => (Value::Text("Sun, 06 N\u{f6}v 2094 08:49:37 GMT"), None),
            10 => (Value::Text("\u{feff}120"), None),
            _ => (Value::Num(0), Some(0)),
        }
    }

    /// How many sets of rate headers [`rate_headers`] picks from.
    pub const RATE_HEADER_SETS: u64 = 9;
    /// The set whose quota left goes up and down.
    pub const WOBBLING_SET: u64 = 5;
    /// The set that says a window is spent for billions of years.
    pub const PAUSING_SET: u64 = 8;

    /// Lying rate headers, set number `pick`; `left` is the day's real
    /// remainder, `wobble` a random number in 2 000..=20 000.
    pub fn rate_headers(h: &mut Headers, pick: u64, left: u64, wobble: u64) {
        let fields: &[(&'static str, Value)] = match pick {
            // Non-ASCII bytes in values and a name.
            0 => &[
                ("x-limit-per-second", Value::Text("\u{ff11}\u{ff10}")),
                ("x-remaining-this-second", Value::Text("\u{663}")),
                ("x-limit-per-day", Value::Text("10000\u{a0}")),
                ("x-remaining-today", Value::Text("9\u{301}999")),
                ("x-l\u{ed}mit-per-second", Value::Text("1")),
            ],
            // Numbers past u64.
            1 => &[
                ("x-limit-per-second", Value::Text("99999999999999999999")),
                (
                    "x-remaining-this-second",
                    Value::Text("18446744073709551616"),
                ),
                ("x-limit-per-day", Value::Text("99999999999999999999")),
                ("x-remaining-today", Value::Text("99999999999999999999")),
            ],
            // Floats, negatives, NaN.
            2 => &[
                ("x-limit-per-second", Value::Text("1e308")),
                ("x-remaining-this-second", Value::Text("-3")),
                ("x-limit-per-day", Value::Text("-1")),
                ("x-remaining-today", Value::Text("NaN")),
            ],
            // Zero limits.
            3 => &[
                ("x-limit-per-second", Value::Text("0")),
                ("x-limit-per-day", Value::Text("0")),
            ],
            // More left than the limit allows, and a daily limit that changes.
            4 => &[
                ("x-limit-per-second", Value::Num(10)),
                ("x-remaining-this-second", Value::Num(50)),
                ("x-limit-per-day", Value::Num(20_000)),
                ("x-remaining-today", Value::Num(50_000)),
            ],
            // The same field twice, saying different things.
            6 => &[
                ("x-remaining-today", Value::Num(9_000)),
                ("X-Remaining-Today", Value::Num(1)),
                ("x-limit-per-day", Value::Num(10_000)),
            ],
            // IETF fields with huge, negative and zero numbers.
            7 => &[
                (
                    "RateLimit",
                    Value::Text("\"p\";r=99999999999999999999;t=-1, \"q\";r=-3"),
                ),
                ("RateLimit-Policy", Value::Text("\"p\";q=0;w=0")),
                ("X-RateLimit-Limit", Value::Text("1e308")),
            ],
            // An exhausted window that resets in three billion years.
            8 => &[
                ("X-RateLimit-Remaining", Value::Num(0)),
                ("X-RateLimit-Reset", Value::Text("99999999999999999999")),
            ],
            _ => &[],
        };
        for (name, value) in fields {
            h.push(name, *value);
        }
        if pick == WOBBLING_SET {
            // The quota left going up and down between responses.
            h.push("x-limit-per-second", Value::Num(10));
            h.push("x-limit-per-day", Value::Num(10_000));
            h.push("x-remaining-today", Value::Num(wobble.max(left / 2)));
        }
    }

    /// How many bodies [`big_body`] picks from.
    pub const BIG_BODIES: u64 = 5;

    /// The size of each big body, in bytes (about).
    pub const BIG_BODY_BYTES: usize = 4 << 20;

    /// Big error body number `pick`: a JSON message of 4 MB, a JSON
    /// message after 4 MB of padding, 4 MB of HTML, a 4 MB line of
    /// two-byte characters, half a million JSON keys.
    #[must_use]
    pub fn big_body(pick: u64) -> &'static str {
        static BODIES: OnceLock<[String; 5]> = OnceLock::new();
        let bodies = BODIES.get_or_init(|| {
            let x = "x".repeat(BIG_BODY_BYTES);
            let keys = r#""k":"v","#.repeat(BIG_BODY_BYTES / 8);
            let exact = |parts: &[&str]| {
                let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
                parts.iter().for_each(|p| s.push_str(p));
                s
            };
            [
                exact(&[r#"{"error":""#, &x, r#""}"#]),
                exact(&[r#"{"pad":""#, &x, r#"","error":"late"}"#]),
                exact(&["<html><body>", &x, "</body></html>"]),
                "\u{e9}".repeat(BIG_BODY_BYTES / 2),
                exact(&["{", &keys, r#""error":"deep"}"#]),
            ]
        });
        bodies.get(pick as usize).map_or("", String::as_str)
    }
}

/// Formats Unix seconds as an IMF-fixdate.
#[must_use]
pub fn http_date(unix_s: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_s / 86_400;
    let secs = unix_s % 86_400;
    // Civil date from days since the epoch (proleptic Gregorian).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use steadfast_core::headers::parse_http_date;

    #[test]
    fn hostile_retry_afters_ask_what_the_invariant_enforces() {
        use steadfast_core::headers::parse_retry_after;
        let wall = 1_795_000_123_456;
        for pick in 0..hostile::RETRY_AFTERS {
            let (value, asked) = hostile::retry_after(pick, wall);
            let mut buf = [0u8; 40];
            let text = value.render(&mut buf);
            let read = parse_retry_after(text, Some(steadfast_core::UnixMillis(wall)));
            match asked {
                Some(ms) => assert_eq!(read, Ok(ms), "{text:?}"),
                None => assert!(read.is_err(), "{text:?} read as {read:?}"),
            }
        }
    }

    #[test]
    fn hostile_rate_headers_fit_one_response_and_big_bodies_are_big() {
        for pick in 0..hostile::RATE_HEADER_SETS {
            let mut h = Headers::default();
            hostile::rate_headers(&mut h, pick, 100, 5_000);
            assert!(!h.is_empty() && h.len() + 1 < MAX_FIELDS, "set {pick}");
        }
        for pick in 0..hostile::BIG_BODIES {
            let body = hostile::big_body(pick);
            assert!(body.len() >= hostile::BIG_BODY_BYTES, "body {pick}");
            assert!(steadfast_core::body::server_message(body)
                .is_none_or(|m| m.chars().count() <= steadfast_core::body::MAX_MESSAGE_CHARS));
        }
    }

    #[test]
    fn http_dates_round_trip_through_the_core_parser() {
        for s in [0u64, 784_111_777, 1_709_208_000, 1_795_000_123] {
            assert_eq!(
                parse_http_date(&http_date(s)),
                Ok(steadfast_core::UnixMillis(s * 1000)),
                "{}",
                http_date(s)
            );
        }
    }
}
