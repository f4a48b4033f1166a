//! The seed's building blocks on their own, over any async function:
//! `classifyError` and `CircuitBreaker`, and what they share with the other
//! blocks (`standalone.rs`): the tables the driver is given once, how a
//! user's function ended, read from facts. The decisions are the core's
//! machines; the package's JavaScript only awaits the user's function and
//! passes the time.

use alloc::{string::String, vec::Vec};
use steadfast_core::breaker::{CircuitBreaker, Permit, Rejected};
use steadfast_core::classify::{
    classify_response, reads_body, status_from_number, Classification, FnOutcome, STATUSES,
};
use steadfast_core::engine::EngineConfig;
use steadfast_core::headers::{WindowReading, MAX_RESPONSE_FIELDS, READ_FIELDS};
use steadfast_core::{TransportFailure, UnixMillis};

use crate::client::{millis, op, state_change, write_error, EVENTS};
use crate::io::exchange;
use crate::options::{self, OptionError};
use crate::slots::Slots;
use crate::tape::{self, Value, Writer};
use crate::text::Text;

/// What the driver is told once, for every client and block: the header
/// fields the core reads (the driver copies no other), the statuses whose
/// bodies it reads (`[from, to]` ranges), the event names, and how many
/// items of an array the input tape carries at most ([`tape::MAX_ITEMS`]),
/// and how many of a response's header fields it reads at most
/// ([`MAX_RESPONSE_FIELDS`]).
#[must_use]
pub fn tables() -> u32 {
    exchange(0, |_, w| {
        w.arr(5);
        w.arr(u32::try_from(READ_FIELDS.len()).unwrap_or(0));
        for f in READ_FIELDS {
            w.str(f);
        }
        let mut ranges: Vec<(u16, u16)> = Vec::new();
        for s in STATUSES {
            if reads_body(s) {
                match ranges.last_mut() {
                    Some((_, to)) if *to + 1 == s => *to = s,
                    _ => ranges.push((s, s)),
                }
            }
        }
        w.arr(u32::try_from(ranges.len()).unwrap_or(0));
        for (from, to) in ranges {
            w.arr(2).int(u64::from(from)).int(u64::from(to));
        }
        w.arr(u32::try_from(EVENTS.len()).unwrap_or(0));
        for e in EVENTS {
            w.str(e);
        }
        w.int(u64::from(tape::MAX_ITEMS));
        w.int(u64::from(MAX_RESPONSE_FIELDS));
    })
}

/// A user's headers argument: pairs, or `null` for none; `false` when they
/// were not headers or could not be read (a `TypeError` naming `name`).
pub(crate) fn header_argument<'a>(
    v: &'a Value,
    name: &str,
) -> Result<Vec<(&'a str, &'a str)>, OptionError> {
    match v {
        Value::Bool(false) => Err(OptionError::Message {
            type_error: true,
            text: Text::of("`")
                .s(name)
                .s("` must be a Headers, a Map, an array of pairs or a plain object (readable)"),
        }),
        _ => Ok(v.pairs()),
    }
}

/// A status argument: `undefined` / `null` are `None`; anything but a whole
/// number in 100..=999 is an error naming `name`.
pub(crate) fn checked_status(v: &Value, name: &str) -> Result<Option<u16>, OptionError> {
    match v {
        Value::Undefined | Value::Null => Ok(None),
        Value::Num(n) => status_from_number(*n).map(Some).ok_or_else(|| {
            OptionError::range(
                name,
                Text::of("must be a whole number in ")
                    .n(f64::from(*STATUSES.start()))
                    .s("..=")
                    .n(f64::from(*STATUSES.end())),
            )
        }),
        _ => Err(OptionError::type_of(name, "a number")),
    }
}

/// How a user's function ended, from the facts the driver read of what it
/// resolved or threw (input tape `[status, fields, responseStatus,
/// responseFields, codes, names]`: its `status` and headers, its
/// `response`'s, and for a throw its and its causes' `code`s and `name`s;
/// an empty tape for a value with no `status`). The one outcome rule is the
/// core's ([`steadfast_core::classify_outcome`]): a resolved error response
/// is a failure, a thrown error with a response is classified by it.
pub(crate) fn outcome(ok: bool, input: &[u8], wall: Option<UnixMillis>) -> Option<Classification> {
    let tape = if input.is_empty() {
        Value::Undefined
    } else {
        tape::read(input).unwrap_or(Value::Undefined)
    };
    let status = |v: &Value| v.as_num().and_then(status_from_number);
    let carrier = match (status(tape.item(0)), ok) {
        (Some(s), _) => Some((s, tape.item(1).pairs())),
        (None, false) => status(tape.item(2)).map(|s| (s, tape.item(3).pairs())),
        (None, true) => None,
    };
    let failure = if ok || carrier.is_some() {
        TransportFailure::Reset
    } else {
        TransportFailure::from_error(tape.item(4).strings(), tape.item(5).strings())
    };
    steadfast_core::classify_outcome(
        FnOutcome {
            threw: !ok,
            response: carrier.as_ref().map(|(s, f)| (*s, f.as_slice())),
            failure,
        },
        wall,
    )
}

fn window(w: &mut Writer, r: &WindowReading) {
    w.obj(3)
        .key("limit")
        .opt_int(r.limit)
        .key("remaining")
        .opt_int(r.remaining)
        .key("resetMs")
        .opt_int(r.reset_ms);
}

/// A classification as the user sees it.
fn classification(w: &mut Writer, c: &Classification) {
    w.obj(7)
        .key("category")
        .opt_str(c.category.map(|c| c.as_str()))
        .key("status")
        .opt_int(c.status.map(u64::from))
        .key("isRetryable")
        .bool(c.retryable)
        .key("retryAfterMs")
        .opt_int(c.server_delay_ms)
        .key("effect")
        .str(match c.effect {
            steadfast_core::Effect::NotApplied => "not_applied",
            steadfast_core::Effect::Applied => "applied",
            _ => "unknown",
        })
        .key("message")
        .opt_str(c.message.as_deref())
        .key("rate")
        .obj(3)
        .key("perSecond");
    window(w, &c.rate.per_second);
    w.key("perDay");
    window(w, &c.rate.per_day);
    w.key("general");
    window(w, &c.rate.general);
}

/// `classifyError(status, body, headers)`: the core's verdict on one HTTP
/// answer — category (`null` for a success), retryability, the server's
/// delay (`Retry-After` in both forms, or an exhausted window's reset), the
/// rate-limit headers, the server's message. Input tape `[status, body,
/// headers]` (the body as text); answers the classification, or ERROR.
#[must_use]
pub fn classify(len: u32, wall: f64) -> u32 {
    exchange(len, |input, w| {
        let tape = tape::read(input).unwrap_or(Value::Undefined);
        let result = checked_status(tape.item(0), "status").and_then(|s| {
            let s = s.ok_or_else(|| OptionError::type_of("status", "a number"))?;
            Ok((s, header_argument(tape.item(2), "headers")?))
        });
        match result {
            Ok((status, fields)) => {
                let c = classify_response(
                    status,
                    &fields,
                    tape.item(1).as_str(),
                    Some(UnixMillis(millis(wall).0)),
                );
                w.arr(2).num(op::VALUE);
                classification(w, &c);
            }
            Err(e) => write_error(w, &e),
        }
    })
}

/// Writes a block's READY record: `[clock, ...]`, then `extra`.
pub(crate) fn ready(w: &mut Writer, clock: Option<u32>, n: u32) {
    w.arr(1 + n).reference(clock);
}

/// How [`WasmBreaker::settle`] went: its number is the export's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// Untimed, and the record needs the time: nothing changed.
    NeedsTime = 0,
    /// Recorded.
    Done = 1,
    /// Recorded, and the circuit changed state: a listener waits for it.
    Changed = 2,
}

/// Permit numbers from here up are untimed permits' tokens
/// ([`CircuitBreaker::try_acquire_untimed`]); below, permits kept by number.
const UNTIMED: f64 = 4_294_967_296.0;

/// The circuit breaker alone (`new CircuitBreaker(options)`): the package
/// wraps `execute(fn, signal)` around [`WasmBreaker::acquire`] and
/// [`WasmBreaker::settle`].
pub struct WasmBreaker {
    breaker: CircuitBreaker,
    permits: Slots<Permit>,
    next: u32,
    /// Whether `stateChange` has a listener: the core's queued changes are
    /// kept for [`WasmBreaker::events`] only then (else dropped as they
    /// come, so a listener added later hears no stale ones).
    listening: bool,
}

impl WasmBreaker {
    /// Options (tape `[options]`) as `createClient`'s `breaker` section,
    /// plus `clock` (`{ now() }`). `None` with an ERROR record; else READY:
    /// `[clock, refusal]`, where `refusal` is how a refused call fails
    /// (`{ message, category, kind, isRetryable }`).
    #[must_use]
    pub fn open(len: u32) -> Option<WasmBreaker> {
        let mut out = None;
        exchange(len, |input, w| {
            let built = tape::read(input)
                .map_err(|_| OptionError::type_of("options", "readable"))
                .and_then(|v| {
                    let mut config = EngineConfig::default();
                    let options = match &v {
                        Value::Arr(_, p) => p.first().unwrap_or(&Value::Undefined),
                        _ => &Value::Undefined,
                    };
                    let clock = options::decode_breaker_alone(options, &mut config)?;
                    let breaker = CircuitBreaker::new(config.breaker)
                        .map_err(|e| OptionError::block(e, "breaker"))?;
                    Ok((clock, breaker))
                });
            match built {
                Ok((clock, breaker)) => {
                    ready(w, clock, 1);
                    let r = Rejected { retry_at: None }.report();
                    w.obj(4)
                        .key("message")
                        .str(&r.message)
                        .key("category")
                        .str(r.category)
                        .key("kind")
                        .str(r.kind)
                        .key("isRetryable")
                        .bool(r.retryable);
                    out = Some(WasmBreaker {
                        breaker,
                        permits: Slots::default(),
                        next: 0,
                        listening: false,
                    });
                }
                Err(e) => write_error(w, &e),
            }
        });
        out
    }

    /// Asks leave for one call: a permit number (≥ 0), or, refused, minus
    /// one minus the milliseconds until the circuit probes again (`-1`
    /// when that depends on probes in flight). Untimed (`timed` false,
    /// `now` unread), `NaN` when the answer depends on the time
    /// ([`CircuitBreaker::try_acquire_untimed`]): ask again with it. A
    /// closed circuit's answer needs no clock, and a clock read costs more
    /// than the rest of the call.
    pub fn acquire(&mut self, timed: bool, now: f64) -> f64 {
        if !timed {
            // Nothing kept: the permit is its token, above every kept one.
            #[allow(clippy::cast_precision_loss)]
            return self
                .breaker
                .try_acquire_untimed()
                .map_or(f64::NAN, |token| UNTIMED + token as f64);
        }
        let now = millis(now);
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

    /// Reports how the call of `permit` ended: `end` 0 when `fn` resolved,
    /// 1 when it threw, 2 when the caller's signal aborted it; the input
    /// tape holds the facts of what it resolved or threw ([`outcome`]). The
    /// core judges it ([`CircuitBreaker::record_end`]): a resolved error
    /// response is a failure, a cancelled call counts for nothing. Untimed
    /// (`timed` false; `now` and `wall` unread), answers `false` when the
    /// record needs the time and changes nothing
    /// ([`CircuitBreaker::record_end_untimed`]): report again with it (the
    /// input area unchanged). Answers [`Settled::Done`] once recorded, or
    /// [`Settled::Changed`] when the circuit changed state and a listener
    /// waits for it ([`WasmBreaker::events`]).
    pub fn settle(
        &mut self,
        permit: f64,
        end: u32,
        timed: bool,
        now: f64,
        wall: f64,
        len: u32,
    ) -> Settled {
        let kept = permit < UNTIMED;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (id, permit) = if kept {
            let id = permit as u32;
            let Some(permit) = self.permits.remove(id) else {
                return Settled::Done;
            };
            (id, permit)
        } else {
            (0, self.breaker.untimed_permit((permit - UNTIMED) as u64))
        };
        let cancelled = end == 2;
        let mut verdict = None;
        if !cancelled {
            let wall = timed.then(|| UnixMillis(millis(wall).0));
            // No facts (a resolved value without a `status`): nothing to
            // read from the input area, the core judges an empty tape.
            verdict = if len == 0 {
                outcome(end == 0, &[], wall)
            } else {
                let mut v = None;
                exchange(len, |input, _| v = outcome(end == 0, input, wall));
                v
            };
        }
        if timed {
            self.breaker
                .record_end(permit, cancelled, verdict.as_ref(), millis(now));
        } else if !self
            .breaker
            .record_end_untimed(permit, cancelled, verdict.as_ref())
        {
            // Kept for the timed report that follows.
            if kept {
                self.permits.insert(id, permit);
            }
            return Settled::NeedsTime;
        }
        self.changes()
    }

    /// Whether state changes wait for a listener: dropped when none
    /// listens.
    fn changes(&mut self) -> Settled {
        if !self.listening {
            while self.breaker.poll_event().is_some() {}
            return Settled::Done;
        }
        if self.breaker.has_events() {
            Settled::Changed
        } else {
            Settled::Done
        }
    }

    /// Whether `stateChange` has a listener ([`WasmBreaker::listening`]).
    /// Changes from before are dropped: a new listener hears what happens
    /// from now on.
    pub fn listen(&mut self, on: bool) {
        if on && !self.listening {
            while self.breaker.poll_event().is_some() {}
        }
        self.listening = on;
    }

    /// The state changes since the last call, oldest first: an array of
    /// `{ from, to, at }` (`at` on the breaker's clock). A timed acquire
    /// may change the state too (an open circuit's time is up: half-open),
    /// so the driver asks after one when listening.
    #[must_use]
    pub fn events(&mut self) -> u32 {
        let mut changes = Vec::new();
        while let Some(c) = self.breaker.poll_event() {
            changes.push(c);
        }
        exchange(0, |_, w| {
            w.arr(u32::try_from(changes.len()).unwrap_or(0));
            for c in &changes {
                state_change(w, 3, c);
            }
        })
    }

    /// `"closed"`, `"open"` or `"half_open"`.
    #[must_use]
    pub fn state(&self, now: f64) -> String {
        self.breaker.state(millis(now)).as_str().into()
    }

    /// Whether a call asking now would be admitted.
    pub fn is_available(&self, now: f64) -> bool {
        self.breaker.is_available(millis(now))
    }
}
