//! `RateLimiter`, `RetryPolicy` and `ErrorMonitor` on their own. Each is
//! the core's machine behind numbers: the JavaScript passes the time (its
//! clock's `now()`, or `performance.now()`) and the facts, and waits as long
//! as it is told.

use steadfast_core::classify::{classify_response, STATUS_WHEN_UNSTATED};
use steadfast_core::engine::{EngineConfig, FailureKind};
use steadfast_core::limiter::{
    Admission, Confirmation, LimiterFeedback, LimiterPermit, RateLimiter, Refusal,
};
use steadfast_core::monitor::{ErrorMonitor, MonitorEvent, Observation};
use steadfast_core::retry::{
    GiveUp, RequestFacts, RetryBudget, RetryDecision, RetryPolicy, RetryState,
};
use steadfast_core::{Category, SplitMix64, UnixMillis};

use crate::blocks::{checked_status, header_argument, outcome, ready};
use crate::client::{millis, op, write_error};
use crate::io::exchange;
use crate::options::{self, Block, BlockExtras, OptionError};
use crate::slots::Slots;
use crate::tape::{self, Value, Writer};
use crate::text::{quote, Text};

/// A ticket or call number from JavaScript: a whole number that fits a
/// `u32`, else none.
fn ticket(id: f64) -> Option<u32> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = id as u32;
    (id >= 0.0 && f64::from(n) == id).then_some(n)
}

/// Decodes a block's options (tape `[options]`); writes ERROR on failure.
fn open_block<T>(
    len: u32,
    block: Block,
    build: impl FnOnce(EngineConfig, &BlockExtras, &mut Writer) -> Result<T, OptionError>,
) -> Option<T> {
    let mut out = None;
    exchange(len, |input, w| {
        let built = tape::read(input)
            .map_err(|_| OptionError::type_of("options", "readable"))
            .and_then(|v| {
                let mut config = EngineConfig::default();
                let extras = options::decode_block_alone(v.item(0), block, &mut config)?;
                build(config, &extras, w)
            });
        match built {
            Ok(b) => out = Some(b),
            Err(e) => {
                w.clear();
                write_error(w, &e);
            }
        }
    });
    out
}

/// One step of `acquire()`: `[ticket, waitMs, done, fail, category,
/// message]` — wait `waitMs` and step again with `ticket` (-1: none), or
/// done, or failed with a `ResilienceError` of kind `fail`.
fn step(w: &mut Writer, ticket: Option<u32>, wait_ms: u64, fail: Option<Refusal>) {
    w.arr(6)
        .num(ticket.map_or(-1.0, f64::from))
        .int(wait_ms.max(1))
        .bool(ticket.is_none() && wait_ms == 0 && fail.is_none())
        .opt_str(fail.map(|r| r.kind))
        .opt_str(fail.map(|r| r.category))
        .opt_str(fail.map(|r| r.message));
}

/// The limiter alone (`new RateLimiter(options)`).
pub struct WasmLimiter {
    limiter: RateLimiter,
    permits: Slots<LimiterPermit>,
    next: u32,
}

impl WasmLimiter {
    /// Options (tape `[options]`) as `createClient`'s `limiter` section,
    /// plus `clock`. READY `[clock]`, or ERROR.
    #[must_use]
    pub fn open(len: u32) -> Option<WasmLimiter> {
        open_block(len, Block::Limiter, |config, extras, w| {
            let limiter =
                RateLimiter::new(config.limiter).map_err(|e| OptionError::block(e, "limiter"))?;
            ready(w, extras.clock, 0);
            Ok(WasmLimiter {
                limiter,
                permits: Slots::default(),
                next: 0,
            })
        })
    }

    /// One step of `acquire()` (see [`step`]), with the ticket of the last
    /// step (`-1`: the first).
    pub fn step(&mut self, ticket_id: f64, now: f64) -> u32 {
        exchange(0, |_, w| self.step_at(ticket_id, now, w))
    }

    fn step_at(&mut self, ticket_id: f64, now: f64, w: &mut Writer) {
        let now = millis(now);
        if let Some(id) = ticket(ticket_id) {
            if let Some(mut permit) = self.permits.remove(id) {
                match self.limiter.confirm(&mut permit, now) {
                    Confirmation::Go => {
                        self.limiter.complete(permit, None, now);
                        return step(w, None, 0, None);
                    }
                    Confirmation::NotBefore(at) => {
                        self.permits.insert(id, permit);
                        return step(w, Some(id), now.until(at), None);
                    }
                    Confirmation::Held { until } => {
                        self.permits.insert(id, permit);
                        return step(w, Some(id), now.until(until), None);
                    }
                }
            }
        }
        match self.limiter.reserve(now) {
            Admission::Ready(permit) => {
                self.limiter.complete(permit, None, now);
                step(w, None, 0, None);
            }
            Admission::Scheduled(permit) => {
                let id = self.next;
                self.next = self.next.wrapping_add(1);
                let wait = now.until(permit.at());
                self.permits.insert(id, permit);
                step(w, Some(id), wait, None);
            }
            Admission::Held { until } => step(w, None, now.until(until), None),
            refused => match refused.refusal() {
                Some(r) => step(w, None, now.until(r.until), Some(r)),
                None => step(w, None, 1, None),
            },
        }
    }

    /// The waiter of `ticket` gave up: its place is released.
    pub fn cancel(&mut self, ticket_id: f64, now: f64) {
        if let Some(permit) = ticket(ticket_id).and_then(|id| self.permits.remove(id)) {
            self.limiter.cancel(permit, millis(now));
        }
    }

    /// `updateFromHeaders(headers, status)`: tape `[status, headers]`.
    /// Answers ERROR for a bad argument, else nothing.
    pub fn update_from_headers(&mut self, len: u32, now: f64, wall: f64) -> u32 {
        exchange(len, |input, w| {
            let v = tape::read(input).unwrap_or(Value::Undefined);
            let args = checked_status(v.item(0), "status").and_then(|s| {
                let status = s.unwrap_or(STATUS_WHEN_UNSTATED);
                Ok((status, header_argument(v.item(1), "headers")?))
            });
            match args {
                Ok((status, fields)) => {
                    let c =
                        classify_response(status, &fields, None, Some(UnixMillis(millis(wall).0)));
                    self.limiter.learn(
                        LimiterFeedback {
                            status,
                            server_delay_ms: c.server_delay_ms,
                            rate: &c.rate,
                        },
                        millis(now),
                    );
                }
                Err(e) => write_error(w, &e),
            }
        })
    }

    /// The limiter's status, a VALUE record.
    pub fn status(&self, now: f64) -> u32 {
        exchange(0, |_, w| {
            w.arr(2).num(op::VALUE);
            crate::report::limiter(w, &self.limiter.status(millis(now)));
        })
    }
}

/// The retry policy alone (`new RetryPolicy(options)`).
pub struct WasmRetry {
    policy: RetryPolicy,
    budget: Option<RetryBudget>,
    rng: SplitMix64,
    calls: Slots<RetryState>,
    next: u32,
    idempotent: bool,
}

impl WasmRetry {
    /// Options (tape `[options]`) as `createClient`'s `retry` section,
    /// plus `idempotent`, `seed` and `clock`; `seed_hi`/`seed_lo` are the
    /// host's random draw, used unless `seed` was given. READY `[clock]`,
    /// or ERROR.
    #[must_use]
    pub fn open(len: u32, seed_hi: u32, seed_lo: u32, now: f64) -> Option<WasmRetry> {
        open_block(len, Block::Retry, |config, extras, w| {
            let policy =
                RetryPolicy::new(config.retry).map_err(|e| OptionError::block(e, "retry"))?;
            let budget = config
                .budget
                .map(|b| RetryBudget::new(b, millis(now)))
                .transpose()
                .map_err(|e| OptionError::block(e, "retry"))?;
            let seed = extras
                .seed
                .unwrap_or((u64::from(seed_hi) << 32) | u64::from(seed_lo));
            // READY [clock, timedStart]: whether a run's start needs the
            // time (`RetryPolicy::start`: a deadline counts from it).
            ready(w, extras.clock, 1);
            w.bool(policy.start(None).is_none());
            Ok(WasmRetry {
                policy,
                budget,
                rng: SplitMix64::new(seed),
                calls: Slots::default(),
                next: 0,
                idempotent: extras.idempotent,
            })
        })
    }

    /// Attempt of run `run` (`-1`: the first attempt of a run not yet
    /// kept) resolved (`ok`) or threw; the input tape holds the facts of
    /// its value ([`outcome`]); `started` is when the run started (read
    /// only when READY said `timedStart`). Answers 0 when it is a success
    /// to return, else the length of `{ run, retry, delayMs | kind and
    /// reason, category, status, isRetryable, retryAfterMs }`. A run is kept from
    /// its first failure (`run` is its number) until it ends: a success or
    /// given up ends it here, else [`WasmRetry::finish`]. So a call that
    /// succeeds at once costs this one crossing and keeps nothing. Untimed
    /// (`timed` false; `now` and `wall` unread), answers [`NEEDS_TIME`] for
    /// a failure and changes nothing: decide again with the time (the
    /// input area unchanged). The budget counts each run's first attempt.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &mut self,
        run: f64,
        started: f64,
        ok: bool,
        timed: bool,
        now: f64,
        wall: f64,
        len: u32,
    ) -> u32 {
        let first = run < 0.0;
        let wall = timed.then(|| UnixMillis(millis(wall).0));
        if len == 0 && outcome(ok, &[], wall).is_none() {
            self.ended(first, run);
            return 0;
        }
        // A success (`Some(None)`), a run given up (`Some(Some(its number))`).
        let (mut ended, mut needs_time) = (None, false);
        let n = exchange(len, |input, w| {
            let Some(c) = outcome(ok, input, wall) else {
                ended = Some(None);
                return;
            };
            if !timed {
                needs_time = true;
                return;
            }
            let id = if first {
                if let Some(b) = &mut self.budget {
                    b.record_request();
                }
                let id = self.next;
                self.next = self.next.wrapping_add(1);
                let state = self.policy.start(Some(millis(started)));
                self.calls.insert(id, state.unwrap_or_default());
                Some(id)
            } else {
                ticket(run)
            };
            let request = RequestFacts {
                idempotent: self.idempotent,
            };
            let decision = match id.and_then(|id| self.calls.get_mut(id)) {
                Some(state) => self.policy.decide(
                    state,
                    &c,
                    request,
                    self.budget.as_mut(),
                    &mut self.rng,
                    millis(now),
                ),
                None => RetryDecision::GiveUp(GiveUp::AttemptsExhausted),
            };
            // A give-up carries the error's kind too.
            let members = if matches!(decision, RetryDecision::GiveUp(_)) {
                8
            } else {
                7
            };
            w.obj(members)
                .key("run")
                .opt_int(id.map(u64::from))
                .key("category")
                .opt_str(c.category.map(|c| c.as_str()))
                .key("status")
                .opt_int(c.status.map(u64::from))
                .key("isRetryable")
                .bool(c.retryable);
            match decision {
                RetryDecision::RetryAt { delay_ms, .. } => {
                    w.key("retry")
                        .bool(true)
                        .key("delayMs")
                        .int(delay_ms)
                        .key("retryAfterMs")
                        .opt_int(c.server_delay_ms);
                }
                RetryDecision::GiveUp(reason) => {
                    ended = Some(id);
                    let after = match reason {
                        GiveUp::RetryAfterTooLong { retry_after_ms }
                        | GiveUp::DeadlineExceeded { retry_after_ms } => Some(retry_after_ms),
                        _ => c.server_delay_ms,
                    };
                    w.key("retry")
                        .bool(false)
                        .key("kind")
                        .str(FailureKind::GaveUp { reason }.as_str())
                        .key("reason")
                        .str(reason.as_str())
                        .key("retryAfterMs")
                        .opt_int(after);
                }
            }
        });
        if needs_time {
            return NEEDS_TIME;
        }
        match ended {
            Some(None) => self.ended(first, run),
            Some(Some(id)) => {
                self.calls.remove(id);
            }
            None => {}
        }
        n
    }

    /// A run ended with this decision: a first attempt counts for the
    /// budget (a run kept since an earlier failure already has).
    fn ended(&mut self, first: bool, run: f64) {
        if first || ticket(run).is_some() {
            self.finish(run);
        }
    }

    /// Run `run` ended on the JavaScript side (the caller's signal aborted
    /// it, or a decision was never asked): a kept run is dropped; a first
    /// attempt (`-1`) still counts for the budget.
    pub fn finish(&mut self, run: f64) {
        match ticket(run) {
            Some(id) => {
                self.calls.remove(id);
            }
            None if run < 0.0 => {
                if let Some(b) = &mut self.budget {
                    b.record_request();
                }
            }
            None => {}
        }
    }
}

/// [`WasmRetry::decide`]'s answer to an untimed call whose decision needs
/// the time.
pub const NEEDS_TIME: u32 = u32::MAX;

/// The error monitor alone (`new ErrorMonitor(options)`).
pub struct WasmMonitor {
    monitor: ErrorMonitor,
}

/// The events due, as `[type, summary]` records.
fn events(monitor: &mut ErrorMonitor, w: &mut Writer) {
    while let Some(e) = monitor.poll_event() {
        let (kind, summary) = match &e {
            MonitorEvent::Alert(s) => ("alert", s),
            MonitorEvent::Recovered(s) => ("recovered", s),
        };
        w.arr(2).str(kind);
        crate::report::summary(w, summary);
    }
}

impl WasmMonitor {
    /// Options (tape `[options]`) as `createClient`'s `monitor` section,
    /// plus `clock`. READY `[clock, onAlert]`, or ERROR.
    #[must_use]
    pub fn open(len: u32) -> Option<WasmMonitor> {
        open_block(len, Block::Monitor, |config, extras, w| {
            let monitor =
                ErrorMonitor::new(config.monitor).map_err(|e| OptionError::block(e, "monitor"))?;
            ready(w, extras.clock, 1);
            w.reference(extras.on_alert);
            Ok(WasmMonitor { monitor })
        })
    }

    /// `record(entry)`: tape `[entry]`, the entry's `status`, `category`,
    /// `endpoint` and `message` as read. Answers ERROR, or the events due.
    pub fn record(&mut self, len: u32, now: f64) -> u32 {
        exchange(len, |input, w| {
            let v = tape::read(input).unwrap_or(Value::Undefined);
            match self.record_entry(v.item(0), now) {
                Ok(()) => events(&mut self.monitor, w),
                Err(e) => write_error(w, &e),
            }
        })
    }

    fn record_entry(&mut self, entry: &Value, now: f64) -> Result<(), OptionError> {
        let Value::Obj(_) = entry else {
            return Err(OptionError::type_of("entry", "an object"));
        };
        let field = |key: &'static str| -> Result<&Value, OptionError> {
            match entry.get(key) {
                Value::Unreadable => Err(OptionError::Message {
                    type_error: true,
                    text: Text::of("`entry.").s(key).s("` must be readable"),
                }),
                v => Ok(v),
            }
        };
        let status = checked_status(field("status")?, "entry.status")?;
        let category = match field("category")? {
            Value::Undefined | Value::Null => status
                .and_then(|s| classify_response(s, &[] as &[(&str, &str)], None, None).category),
            Value::Str(name) => Some(
                name.parse::<Category>()
                    .map_err(|_| {
                        OptionError::range(
                            "entry.category",
                            Text::of("is not a category (auth, rate_limit, validation, not_found, conflict, server, network, timeout, unknown), got ")
                                .s(&quote(name)),
                        )
                    })?,
            ),
            _ => return Err(OptionError::type_of("entry.category", "a category name")),
        };
        let text = |key: &'static str, name: &str| -> Result<Option<&str>, OptionError> {
            match field(key)? {
                Value::Undefined | Value::Null => Ok(None),
                Value::Str(s) => Ok(Some(*s)),
                _ => Err(OptionError::type_of(name, "a string")),
            }
        };
        let endpoint = text("endpoint", "entry.endpoint")?.unwrap_or("/");
        // The monitor keeps at most `MAX_MESSAGE_CHARS` of it (the core's
        // rule).
        let message = text("message", "entry.message")?;
        self.monitor.record(
            Observation {
                endpoint,
                category,
                status,
                message,
            },
            millis(now),
        );
        Ok(())
    }

    /// Alerts and recoveries due, oldest first, as `[type, summary]`
    /// records.
    pub fn take_events(&mut self, now: f64) -> u32 {
        exchange(0, |_, w| {
            self.monitor.handle_timeout(millis(now));
            events(&mut self.monitor, w);
        })
    }

    /// The window now, a VALUE record: totals, error rate, counts by
    /// category and endpoint, the most recent error, whether an alert is
    /// active.
    pub fn summary(&mut self, now: f64) -> u32 {
        exchange(0, |_, w| {
            self.monitor.handle_timeout(millis(now));
            w.arr(2).num(op::VALUE);
            crate::report::summary(w, &self.monitor.summary(millis(now)));
        })
    }
}
