//! When may the next request go? Per-second pacing and the daily quota.
//!
//! The limiter never sleeps (the seed slept while holding a lock, so every
//! caller queued behind one sleeper, for hours once the daily limit was hit:
//! seed defect 9). Asked at `now`, it answers an [`Admission`]:
//!
//! * [`Admission::Ready`] — send now;
//! * [`Admission::Scheduled`] — a slot is booked for you at `at`; wait, then
//!   confirm it with [`RateLimiter::confirm`] (the pace may have slowed, a
//!   timer may have fired late, a 429 may have arrived meanwhile);
//! * [`Admission::Held`] — the server asked everyone to pause until `until`
//!   (a 429, a `Retry-After`, an exhausted rate-limit window);
//! * [`Admission::Exhausted`] — the daily quota is spent until `until`;
//! * [`Admission::Backlogged`] — the line is longer than `max_queue_ms`.
//!
//! Pacing keeps a **line** (module `line`): every caller a numbered ticket,
//! whose moment follows from its number and the pace in force, so that
//! callers go in the order they asked whatever happens meanwhile — the pace
//! slows after the server states its limit, a host's timer fires late, a
//! server's pause ends. A *send gate* (module `gcra`) that every request
//! passes just before it goes holds actual sends to the bound below, also
//! when a host's timers fire late (a background tab's run once a second; a
//! laptop wakes from sleep) and many tickets come due at once: those are
//! paced again from the instant they really go, still in order. A burst
//! beyond one is spent only out of what the server says is left of its
//! current second (module `second`).
//!
//! # The pacing guarantee
//!
//! With `r` the rate in force (the lower of `perSecond` and the server's
//! `x-limit-per-second`, divided by the slow-down), `b` the burst and `L`
//! the timer slack in force — the latest the host's timers have fired
//! after their moment so far, at most `timerSlackMs` (20 ms by default) —
//! tickets are due one interval `T = (1 s + L + 1 ms) / r` apart (the
//! millisecond for the clock's resolution: instants are whole
//! milliseconds), or `1 s / r` while `L` is 0, and:
//!
//! * **the bound** — in any window of length `t`, at most
//!   `b + ⌊(t + L) / T⌋` requests are sent; so at most `r + b − 1` in any
//!   second (with `b = 1`: at most `r`, which is what a server counting per
//!   wall-clock second allows), and at most `b + ⌊L / T⌋` at one instant;
//! * **the rate** — a ticket whose moment passed goes at once, and the next
//!   keeps the line's cadence: a host whose timers fire up to `L` late
//!   still sends one request per `T`, that is `1 s / (1 s + L + 1 ms)` of
//!   the rate (the room that keeps the bound when sends are late: 99.6 %
//!   for timers 3 ms late, 98 % at the default's most). A host whose
//!   timers fire on time is paced at exactly `r`. The first time a timer
//!   fires later than `L` but within `timerSlackMs`, `L` grows to that
//!   lateness and the pace with it, as for any change of pace; `L` never
//!   shrinks. A timer later than `timerSlackMs` is a stall (a busy event
//!   loop, a laptop asleep), not a habit: its lateness is lost, never
//!   made up in a burst, and `L` stays. With `timerSlackMs: 0` the pace is
//!   exactly `r`, and every lateness is lost;
//! * **the order** — ticket `k` is never due after ticket `k + 1`, under
//!   every change of pace, slack or pause: a caller that asked first is
//!   sent first, unless the host's timer for it fires late and a later
//!   caller asks meanwhile, whose moment has come: that one may go first,
//!   and the earlier then waits one interval at the send gate (by at most
//!   the two timers' lateness and an interval). A retry asks again at its own retry
//!   time and queues from there. One exception: when the pace speeds up
//!   again (a slow-down after a 429 recovering, a higher limit stated), the
//!   tickets waiting keep the moments they were told (their callers sleep
//!   until them), and a caller asking then may be due before them;
//! * **before the first answer** at most `b` requests go (for at most the
//!   first `1 s + L`), since the server may state a lower limit in it; when
//!   it does, what was sent in the last second counts at the new pace from
//!   then.
//!
//! The daily quota is a rolling
//! window with a safety buffer (module `daily`), reconciled with the server's
//! `x-remaining-today`: the local estimate is decremented for every request
//! sent since the server last spoke, so concurrent callers cannot overshoot
//! between responses (seed defect 11). A 429 teaches the limiter even when it
//! carries no header at all: it pauses everyone and slows the pace
//! (module `adaptive`).
//!
//! A server's pause is shared only where it means "the service asks every
//! client to slow down": a `Retry-After` on a 429 or a 503 (see
//! [`shares_pause`]), or an exhausted rate-limit window. On a 404 or a 400
//! it concerns that one request and pauses nobody. A shared pause never
//! lasts longer than `max_pause_ms`, whatever the server said: one hostile
//! or mistaken answer (`Retry-After: 31536000`) cannot stop the client for a
//! year; [`LimiterStatus::pause_asked_until`] shows that it was clamped.
//!
//! ```
//! use steadfast_core::headers::RateLimitHeaders;
//! use steadfast_core::limiter::{
//!     Admission, Confirmation, LimiterConfig, LimiterFeedback, RateLimiter,
//! };
//! use steadfast_core::Millis;
//!
//! let config = LimiterConfig { per_second: 2.0, ..LimiterConfig::default() };
//! let mut limiter = RateLimiter::new(config)?;
//! // The first request may go at once; the second is booked half a second
//! // later (2 a second).
//! let Admission::Ready(first) = limiter.reserve(Millis(0)) else { panic!("not ready") };
//! let Admission::Scheduled(mut second) = limiter.reserve(Millis(0)) else { panic!("not booked") };
//! assert_eq!(second.at(), Millis(500)); // the host arms a timer for then
//! // After each response, the permit goes back with what the server said.
//! limiter.complete(first, None, Millis(40));
//! // The second's timer fires 7 ms late: it goes, the lateness is not lost,
//! // and from now on the pace leaves room for such lateness (2 per 1008 ms).
//! assert_eq!(limiter.confirm(&mut second, Millis(507)), Confirmation::Go);
//! // Its answer is a 429 asking for 2 s: every caller pauses.
//! let rate = RateLimitHeaders::default(); // no rate headers
//! let said = LimiterFeedback { status: 429, server_delay_ms: Some(2_000), rate: &rate };
//! limiter.complete(second, Some(said), Millis(540));
//! assert_eq!(limiter.reserve(Millis(600)), Admission::Held { until: Millis(2_540) });
//! # Ok::<(), steadfast_core::ConfigError>(())
//! ```

mod adaptive;
mod daily;
mod gcra;
mod line;
mod saved;
mod second;

use adaptive::Slowdown;
use daily::RollingCount;
use gcra::{Gcra, MICROS_PER_MS};
use line::Line;
pub use saved::SavedLimiter;
use second::{SecondReport, WINDOW_MS};

use crate::error::{check_f64, check_u64, ConfigError};
use crate::headers::RateLimitHeaders;
use crate::time::{Millis, MonotonicClamp};

/// Limiter settings. Defaults are the seed's and Etsy's for new apps: 10
/// requests per second, 10 000 per rolling day, 10 % held back.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct LimiterConfig {
    /// Requests per second to pace at.
    pub per_second: f64,
    /// Requests that may go back to back before pacing applies. Beyond one,
    /// spent only out of what the server says is left of its second.
    pub burst: u32,
    /// Requests per rolling window (`None`: no daily quota).
    pub per_day: Option<u64>,
    /// Fraction of the daily quota never used (a margin for other clients
    /// of the same key and for clock skew).
    pub buffer_ratio: f64,
    /// The quota's rolling window (24 h).
    pub day_window_ms: u64,
    /// Slow down on 429 and recover on success.
    pub adaptive: bool,
    /// The largest slow-down factor.
    pub max_slowdown: f64,
    /// Each success multiplies the slow-down by this (towards 1).
    pub recovery_factor: f64,
    /// Pause after a 429 that names no delay at all.
    pub rate_limit_pause_ms: u64,
    /// After the server reports no daily quota left, how long before one
    /// request may ask again (the server's window rolls; we cannot see when).
    pub quota_recheck_ms: u64,
    /// The longest a caller may be queued for a slot; a longer line is
    /// answered [`Admission::Backlogged`].
    pub max_queue_ms: u64,
    /// The longest pause one server answer can impose on every call. Two
    /// minutes: long enough for every rate-limit window seen in practice
    /// (per-second and per-minute windows; Etsy asks for seconds) and a
    /// short maintenance, short enough that a hostile or mistaken
    /// `Retry-After` (a year, a date in the wrong year) costs two minutes,
    /// not the day. The call that got the answer still reports the server's
    /// full delay.
    pub max_pause_ms: u64,
    /// How late a host's timer may fire and the time still be caught up:
    /// a request sent up to this late keeps the schedule (the next one is
    /// not pushed back). The pace leaves room in every second for the
    /// lateness the host's timers have shown so far, up to this much, so
    /// that late sends never put more than the rate into one; a host whose
    /// timers fire on time is paced at the whole rate.
    /// 20 ms covers Node's and browsers' timers under load; 0 paces
    /// strictly at `perSecond` and loses every lateness.
    pub timer_slack_ms: u64,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        Self {
            per_second: 10.0,
            burst: 1,
            per_day: Some(10_000),
            buffer_ratio: 0.1,
            day_window_ms: 86_400_000,
            adaptive: true,
            max_slowdown: 10.0,
            recovery_factor: 0.9,
            rate_limit_pause_ms: 1000,
            quota_recheck_ms: 60_000,
            max_queue_ms: 300_000,
            max_pause_ms: 120_000,
            timer_slack_ms: 20,
        }
    }
}

/// A caller's place in the line; confirm it with [`RateLimiter::confirm`]
/// when it comes due, hand it back with [`RateLimiter::complete`] after the
/// request, or [`RateLimiter::cancel`] if it was never sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct LimiterPermit {
    /// The caller's ticket in the line.
    ticket: u64,
    /// When it was due, as last answered.
    due: Millis,
    /// When it was sent, once it was: until then the daily quota counts it
    /// among the tickets ahead, then in its window at this instant.
    sent_at: Option<Millis>,
    /// The send gate's count of sends once this one went: those after it
    /// are the difference.
    send_number: u64,
    /// Requests sent before it and unanswered when it went: they may reach
    /// the server after it.
    out_before: u64,
}

impl LimiterPermit {
    /// When the request may be sent, as the limiter last answered (to be
    /// confirmed then).
    #[must_use]
    pub fn at(&self) -> Millis {
        self.due
    }

    /// The caller's place in the line: a permit with a lower ticket was
    /// handed out earlier, and is never due later.
    #[must_use]
    pub fn ticket(&self) -> u64 {
        self.ticket
    }
}

/// The answer to [`RateLimiter::confirm`]: may a booked request go now?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Confirmation {
    /// Send it now.
    Go,
    /// Not yet: the pace allows it at this instant (confirm again then).
    NotBefore(Millis),
    /// The server asked for a pause until then: the permit keeps its place
    /// in the line; confirm it again then (or cancel it).
    Held {
        /// End of the pause.
        until: Millis,
    },
}

/// Whether a status's `Retry-After` asks *every* caller to pause: 429 (too
/// many requests) and 503 (unavailable) say "the service asks you to slow
/// down". On any other status a `Retry-After` concerns that request only (a
/// 404 or a 400 is the caller's own problem).
#[must_use]
pub const fn shares_pause(status: u16) -> bool {
    matches!(status, 429 | 503)
}

/// The limiter's answer to "may I send?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Admission {
    /// Send now.
    Ready(LimiterPermit),
    /// A slot is booked at `permit.at()`: wait until then.
    Scheduled(LimiterPermit),
    /// The server asked for a pause: ask again at `until`.
    Held {
        /// End of the pause.
        until: Millis,
    },
    /// The daily quota is spent until `until`.
    Exhausted {
        /// When one more request may go.
        until: Millis,
    },
    /// The line is longer than `max_queue_ms`: the first free slot is at
    /// `until`. Callers should fail fast rather than wait that long.
    Backlogged {
        /// The first free slot.
        until: Millis,
    },
}

/// Why a caller who cannot wait is turned away, in its user's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `quota_exhausted` (the day's quota is spent) or `rate_limited` (the
    /// line is too long to wait in: the engine's failure kind for it too).
    pub kind: &'static str,
    /// Always `rate_limit`: the category a user branches on.
    pub category: &'static str,
    /// What the caller was refused, as a sentence.
    pub message: &'static str,
    /// When to come back.
    pub until: Millis,
}

impl Admission {
    /// The refusal this admission is, if it is one: a spent quota, or a
    /// line longer than `max_queue_ms`. A pause (`Held`) is waited out.
    #[must_use]
    pub const fn refusal(&self) -> Option<Refusal> {
        match *self {
            Admission::Exhausted { until } => Some(Refusal {
                kind: "quota_exhausted",
                category: "rate_limit",
                message: "daily quota spent, not acquired",
                until,
            }),
            Admission::Backlogged { until } => Some(Refusal {
                kind: "rate_limited",
                category: "rate_limit",
                message: "the line for a slot is too long, not acquired",
                until,
            }),
            _ => None,
        }
    }
}

/// What a response told the limiter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimiterFeedback<'a> {
    /// The response's status (429: refused for rate).
    pub status: u16,
    /// The server's `Retry-After` (or equivalent), if any.
    pub server_delay_ms: Option<u64>,
    /// The response's rate-limit headers.
    pub rate: &'a RateLimitHeaders,
}

/// Measured limiter state, for `health()`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct LimiterStatus {
    /// The pace now, after server limits and slow-down.
    pub effective_per_second: f64,
    /// The adaptive slow-down factor (1 = none).
    pub slowdown: f64,
    /// Requests counted against the daily quota: those sent in the rolling
    /// window, and those waiting for their turn.
    pub day_used: u64,
    /// Requests the window allows us (quota minus buffer), if there is one.
    pub day_allowance: Option<u64>,
    /// What the server last said remains today, less what we sent since.
    pub server_day_remaining: Option<u64>,
    /// Requests sent and not yet answered.
    pub in_flight: u64,
    /// The pause the server asked for, if still running (at most
    /// `max_pause_ms` long).
    pub held_until: Option<Millis>,
    /// When the server asked for a longer pause than `max_pause_ms` allows:
    /// the end it asked for (the pause was clamped to `held_until`).
    pub pause_asked_until: Option<Millis>,
    /// The daily quota is spent until then.
    pub exhausted_until: Option<Millis>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct ServerDay {
    /// `x-remaining-today` as last reported.
    remaining: u64,
    /// Requests booked since that report (or in flight at it).
    sent_since: u64,
    /// Set when the report left nothing: until then, believe it.
    exhausted_at: Option<Millis>,
}

/// The rate limiter shared by every call to one API.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RateLimiter {
    config: LimiterConfig,
    line: Line,
    day: RollingCount,
    slowdown: Slowdown,
    server_per_second: Option<u64>,
    server_per_day: Option<u64>,
    server_day: Option<ServerDay>,
    held_until: Millis,
    /// The end of the longest pause a server asked for (beyond
    /// `held_until` when it was clamped).
    #[cfg_attr(feature = "serde", serde(default))]
    pause_asked_until: Millis,
    /// What was really sent, at the current interval: the bound's gate.
    #[cfg_attr(feature = "serde", serde(default))]
    sent: Gcra,
    /// What the server last said is left of its second.
    #[cfg_attr(feature = "serde", serde(default))]
    second: Option<SecondReport>,
    in_flight: u64,
    /// Tickets handed out and not yet sent: counted against the daily quota
    /// until they go (then in the daily window) or are given back.
    #[cfg_attr(feature = "serde", serde(default))]
    ahead: u64,
    /// Derived from the fields above; refreshed when they change.
    interval_us: u64,
    allowance: Option<u64>,
    clock: MonotonicClamp,
    /// Whether any request has been answered (or has failed) since this
    /// limiter was made or restored: until then at most a burst goes (see
    /// [`RateLimiter::confirm`]).
    #[cfg_attr(feature = "serde", serde(default))]
    answered: bool,
    /// The timer slack in force, in ms: the latest a host's timer has fired
    /// after the moment it was armed for, at most `timer_slack_ms`. The
    /// pace leaves this much room in a second, so a host whose timers are
    /// on time is paced at the whole rate.
    #[cfg_attr(feature = "serde", serde(default))]
    slack_ms: u64,
}

impl RateLimiter {
    /// A limiter with nothing counted yet.
    ///
    /// # Errors
    /// `limiter.perSecond` outside (0, 10 000], `burst` 0 or above 10 000,
    /// `perDay` of 0, `bufferRatio` outside [0, 1), a window under 1.44 s,
    /// `maxSlowdown` outside [1, 1000], `recoveryFactor` outside (0, 1].
    pub fn new(config: LimiterConfig) -> Result<Self, ConfigError> {
        check_config(&config)?;
        let mut limiter = Self {
            config,
            line: Line::default(),
            day: RollingCount::new(config.day_window_ms),
            slowdown: Slowdown::default(),
            server_per_second: None,
            server_per_day: None,
            server_day: None,
            held_until: Millis::ZERO,
            pause_asked_until: Millis::ZERO,
            sent: Gcra::default(),
            second: None,
            in_flight: 0,
            ahead: 0,
            interval_us: 0,
            allowance: None,
            clock: MonotonicClamp::default(),
            answered: false,
            slack_ms: 0,
        };
        limiter.refresh_derived();
        Ok(limiter)
    }

    /// Takes new settings, keeping what was counted and learned (a host
    /// restoring a snapshot under a new configuration). A pace that slows
    /// keeps the burst already spent; a new daily window width re-counts
    /// every request at the end of the bucket it was in (never early), and
    /// a running pause is cut to the new `max_pause_ms`.
    ///
    /// # Errors
    /// As [`RateLimiter::new`]; on error nothing changes.
    pub fn reconfigure(&mut self, config: LimiterConfig, now: Millis) -> Result<(), ConfigError> {
        check_config(&config)?;
        let now = self.clock.observe(now);
        if config.day_window_ms != self.config.day_window_ms {
            let mut day = RollingCount::new(config.day_window_ms);
            day.carry_over(&self.day, now);
            self.day = day;
        }
        self.config = config;
        self.slack_ms = self.slack_ms.min(config.timer_slack_ms);
        self.held_until = self.held_until.min(now.plus(config.max_pause_ms));
        self.repace(now);
        Ok(())
    }

    /// Forgets the requests that were in flight or booked in a process that
    /// is gone (after a restore): they stay counted in the daily quota (they
    /// may have reached the server), but they are no longer in flight — so a
    /// later `x-remaining-today` is not read as that many lower — and slots
    /// booked ahead of `taken_at` for requests never sent no longer hold up
    /// new callers.
    pub fn forget_in_flight(&mut self, taken_at: Millis) {
        self.in_flight = 0;
        // Tickets the old process handed out and never sent are gone; what
        // it sent stays counted in the daily window.
        self.ahead = 0;
        if let Some(s) = &mut self.server_day {
            s.sent_since = 0;
        }
        // The last request that can have gone went at `taken_at` at the
        // latest; at most a burst stands on it.
        let burst = u64::from(self.config.burst);
        let ahead_ms = self.interval_us.saturating_mul(burst).div_ceil(1000);
        self.line.cap(taken_at.plus(ahead_ms));
        self.sent.cap(taken_at.plus(ahead_ms));
    }
}

/// Checks every limiter setting, naming the first bad one.
fn check_config(config: &LimiterConfig) -> Result<(), ConfigError> {
    {
        check_f64("limiter.perSecond", config.per_second, 1e-6, 10_000.0)?;
        check_u64("limiter.burst", config.burst.into(), 1, 10_000)?;
        if let Some(d) = config.per_day {
            check_u64("limiter.perDay", d, 1, u64::from(u32::MAX))?;
        }
        check_f64("limiter.bufferRatio", config.buffer_ratio, 0.0, 0.99)?;
        check_u64(
            "limiter.dayWindowMs",
            config.day_window_ms,
            daily::BUCKETS,
            366 * 86_400_000,
        )?;
        check_f64("limiter.maxSlowdown", config.max_slowdown, 1.0, 1000.0)?;
        check_f64("limiter.recoveryFactor", config.recovery_factor, 1e-3, 1.0)?;
        check_u64(
            "limiter.rateLimitPauseMs",
            config.rate_limit_pause_ms,
            0,
            86_400_000,
        )?;
        check_u64(
            "limiter.quotaRecheckMs",
            config.quota_recheck_ms,
            1,
            86_400_000,
        )?;
        check_u64("limiter.maxQueueMs", config.max_queue_ms, 0, 86_400_000)?;
        check_u64("limiter.maxPauseMs", config.max_pause_ms, 0, 86_400_000)?;
        check_u64("limiter.timerSlackMs", config.timer_slack_ms, 0, 1_000)?;
        Ok(())
    }
}

impl RateLimiter {
    /// Recomputes the pacing interval and the quota allowance after the
    /// slow-down or a server limit changed (kept off the decision path).
    fn refresh_derived(&mut self) {
        self.interval_us = self.compute_interval_us();
        self.allowance = self.day_limit().map(|limit| limit - self.buffer(limit));
    }

    /// The pace may have changed at `now` (a setting, a server's limit, the
    /// slow-down): derives it again, and what is booked ahead stands for the
    /// same number of requests at the new pace (a burst spent stays spent),
    /// what was sent counting at it.
    fn repace(&mut self, now: Millis) {
        let old_interval = self.interval_us;
        self.refresh_derived();
        self.line.stretch(now, old_interval, self.interval_us);
        self.sent
            .repace(now, old_interval, self.interval_us, self.window_us());
    }

    /// The settings in force.
    #[must_use]
    pub const fn config(&self) -> &LimiterConfig {
        &self.config
    }

    /// Asks to send one request at `now`; hands out a ticket unless held or
    /// spent.
    ///
    /// A [`Admission::Ready`] permit has passed the send gate: send at once.
    pub fn reserve(&mut self, now: Millis) -> Admission {
        let now = self.clock.observe(now);
        let quota_probe = self.refresh_server_view(now);
        self.day.expire(now);
        let used = self.day.used_as_expired().saturating_add(self.ahead);
        if let Some(until) = self.exhausted_given(used, now, quota_probe) {
            return Admission::Exhausted { until };
        }
        if let Some(until) = self.held_until(now) {
            return Admission::Held { until };
        }
        let tolerance = self.line_tolerance_us();
        let due = self.line.next_due(now, tolerance);
        let wait = due.since(now);
        if wait > self.config.max_queue_ms {
            return Admission::Backlogged { until: due };
        }
        if quota_probe {
            // This caller asks the server again; the next one waits for
            // another `quota_recheck_ms` unless the answer says otherwise.
            if let Some(s) = &mut self.server_day {
                s.exhausted_at = Some(now);
            }
        }
        let ticket = self.line.book(now, self.interval_us);
        // Counted against the quota at once, and in the daily window when
        // it goes (so that it leaves the window no sooner than the server's
        // count does).
        self.ahead += 1;
        self.in_flight += 1;
        if let Some(s) = &mut self.server_day {
            s.sent_since += 1;
        }
        let mut permit = LimiterPermit {
            ticket,
            due,
            sent_at: None,
            send_number: 0,
            out_before: 0,
        };
        if due > now {
            return Admission::Scheduled(permit);
        }
        match self.pass_gate(&mut permit, now, tolerance) {
            Ok(()) => Admission::Ready(permit),
            Err(_) => Admission::Scheduled(permit),
        }
    }

    /// The line's tolerance: `b − 1` intervals of the configured burst. The
    /// line orders callers with it, and it never changes but with the pace,
    /// so that no caller's moment moves ahead of an earlier one's.
    #[inline]
    fn line_tolerance_us(&self) -> u64 {
        self.tolerance_for(self.config.burst)
    }

    /// `burst − 1` intervals: what lets `burst` requests go back to back.
    #[inline]
    fn tolerance_for(&self, burst: u32) -> u64 {
        self.interval_us
            .saturating_mul(u64::from(burst.saturating_sub(1)))
    }

    /// The send gate's share of the tolerance at `now`: `b − 1` intervals,
    /// with `b` the configured burst or less, as what the server says is
    /// left of its second allows (the gate holds a burst back; the line
    /// keeps the order).
    #[inline]
    fn tolerance_us(&self, now: Millis) -> u64 {
        let burst = match &self.second {
            Some(s) => s.burst(self.config.burst, now),
            None => self.config.burst,
        };
        self.tolerance_for(burst)
    }

    /// A second and the timer slack, in microseconds: the span the pace
    /// spreads the rate over. With slack, one millisecond more: instants
    /// are whole milliseconds, and a send made at 7.9 ms is seen at 7, so
    /// a second of real time may span 1001 of the limiter's milliseconds.
    #[inline]
    fn window_us(&self) -> u64 {
        let slack = self.slack_ms;
        let resolution = u64::from(slack > 0);
        WINDOW_MS
            .saturating_add(slack)
            .saturating_add(resolution)
            .saturating_mul(MICROS_PER_MS)
    }

    /// While no request has been answered, a burst has gone and the first
    /// window since the first send is still running: its end.
    #[inline]
    fn probe_ends(&self, now: Millis) -> Option<Millis> {
        if self.answered || self.sent.sends() < u64::from(self.config.burst) {
            return None;
        }
        let first_us = self.sent.first_send_us()?;
        let end = Millis(
            first_us
                .saturating_add(self.window_us())
                .div_ceil(MICROS_PER_MS),
        );
        (end > now).then_some(end)
    }

    /// The timer slack, in microseconds.
    #[inline]
    fn slack_us(&self) -> u64 {
        self.slack_ms.saturating_mul(MICROS_PER_MS)
    }

    /// Takes a due `permit` through the send gate at `now`: `Ok` if it may
    /// go now (the send is recorded), else the instant to come back; then
    /// the permit's ticket, and every one after it, is due no sooner.
    ///
    /// The gate refuses what would break the bound — a ticket due by the
    /// line after the pace sped up, or after the host ran timers out of
    /// order — and a burst the server's second has no room for
    /// (`tolerance_us` is the line's, to move it by). Moving the line
    /// rather than this ticket alone keeps the order.
    #[inline]
    fn pass_gate(
        &mut self,
        permit: &mut LimiterPermit,
        now: Millis,
        tolerance_us: u64,
    ) -> Result<(), Millis> {
        let gate_tolerance = self.tolerance_us(now).saturating_add(self.slack_us());
        let mut earliest = self.sent.earliest(now, gate_tolerance);
        if let Some(end) = self.probe_ends(now) {
            // Nothing has come back yet: the server may allow less than
            // configured, and say so in its first answer. Look again an
            // interval on (at the latest when the first window ends).
            let again = now.plus(self.interval_us.div_ceil(MICROS_PER_MS).max(1));
            earliest = earliest.max(again.min(end));
        }
        if earliest > now {
            self.line
                .delay(permit.ticket, earliest, self.interval_us, tolerance_us);
            permit.due = earliest;
            return Err(earliest);
        }
        // With no slack, a send at the rounded-up millisecond of its moment
        // is credited the rounding (else each would lose it); with slack,
        // the slack absorbs it, and no credit keeps every second within
        // the rate exactly.
        let credit = self.slack_ms == 0;
        self.sent.record(now, self.interval_us, credit);
        if let Some(s) = &mut self.second {
            s.on_send();
        }
        // Sent and unanswered, but for this one (counted there once sent).
        permit.out_before = self
            .unanswered()
            .saturating_sub(u64::from(permit.sent_at.is_some()));
        permit.send_number = self.sent.sends();
        if permit.sent_at.is_none() {
            self.ahead = self.ahead.saturating_sub(1);
            self.day.add(now, now);
            permit.sent_at = Some(now);
        }
        permit.due = now;
        Ok(())
    }

    /// A ticket's moment came at `now` (or its host's timer says so): may
    /// its request go?
    ///
    /// Its moment is recomputed from the line as it stands (the pace may
    /// have slowed), and the send gate checks it against what was really
    /// sent and against the burst the server's second has room for. A ticket late by
    /// no more than the timer slack goes with the line's cadence kept; one
    /// later than that moves the line on (see the module's guarantee). A
    /// pause the server asked for meanwhile answers [`Confirmation::Held`]:
    /// the ticket keeps its place for when the pause ends.
    ///
    /// Until the first answer comes back, at most `burst` requests go in the
    /// first second (the next caller looks again an interval on): the
    /// server may allow less than configured, and say so in that answer.
    /// One round trip at the start, at most a second, buys a client that
    /// does not overshoot a limit it has not heard yet.
    pub fn confirm(&mut self, permit: &mut LimiterPermit, now: Millis) -> Confirmation {
        let now = self.clock.observe(now);
        if let Some(until) = self.held_until(now) {
            // The host comes back when the pause ends: no later than that
            // is on time.
            permit.due = permit.due.max(until);
            return Confirmation::Held { until };
        }
        self.learn_lateness(now.since(permit.due), now);
        let tolerance = self.line_tolerance_us();
        let due = self.line.due(
            permit.ticket,
            now,
            self.interval_us,
            tolerance,
            self.slack_us(),
        );
        if due > now {
            permit.due = due;
            return Confirmation::NotBefore(due);
        }
        if let Err(at) = self.pass_gate(permit, now, tolerance) {
            return Confirmation::NotBefore(at);
        }
        Confirmation::Go
    }

    /// The host's timer for a permit fired `late` ms after the moment it
    /// was told: the slack grows to cover such lateness from now on, and
    /// the pace with it. It never shrinks (one late timer says the host has
    /// them), so the pace changes at most a few times in a limiter's life.
    /// Lateness beyond `timer_slack_ms` is a stall, not a timer's habit (an
    /// event loop busy queueing thousands of calls, a laptop asleep): the
    /// line moves on from it, and the slack stays.
    fn learn_lateness(&mut self, late: u64, now: Millis) {
        if late > self.slack_ms && late <= self.config.timer_slack_ms {
            self.slack_ms = late;
            self.repace(now);
        }
    }

    /// Gives back a permit whose request was never sent.
    pub fn cancel(&mut self, permit: LimiterPermit, now: Millis) {
        let now = self.clock.observe(now);
        self.line.unbook(permit.ticket, self.interval_us);
        match permit.sent_at {
            Some(at) => self.day.remove(at, now),
            None => self.ahead = self.ahead.saturating_sub(1),
        }
        self.in_flight = self.in_flight.saturating_sub(1);
        if let Some(s) = &mut self.server_day {
            s.sent_since = s.sent_since.saturating_sub(1);
        }
    }

    /// The request sent under `permit` ended; `feedback` is what its response
    /// said (`None` for a transport failure with no response).
    pub fn complete(
        &mut self,
        permit: LimiterPermit,
        feedback: Option<LimiterFeedback<'_>>,
        now: Millis,
    ) {
        // The request stays counted (it was sent); completing only ends it
        // as in flight.
        let now = self.clock.observe(now);
        self.in_flight = self.in_flight.saturating_sub(1);
        self.answered = true;
        if let Some(f) = feedback {
            // What the server may not have counted when it answered: every
            // request sent after this one, and those unanswered when it
            // went (answers come back in any order: a report read alone
            // would take a stale count for a fresh one).
            let uncounted = self
                .sent
                .sends()
                .saturating_sub(permit.send_number)
                .saturating_add(permit.out_before);
            let sent_at = permit.sent_at.unwrap_or(now).min(now);
            self.learn_sent_at(f, sent_at, uncounted, now);
        }
    }

    /// Learns from a response's headers and status without a permit (for
    /// hosts that report responses of requests sent around the limiter).
    pub fn learn(&mut self, f: LimiterFeedback<'_>, now: Millis) {
        let now = self.clock.observe(now);
        // The request went at `now` at the latest: a report of the server's
        // second is then held for a window from `now` (the longest it can
        // still apply). Those sent and unanswered may reach the server
        // after it.
        self.learn_sent_at(f, now, self.unanswered(), now);
    }

    /// Requests sent and not yet answered: those in flight less the tickets
    /// not yet sent.
    #[inline]
    fn unanswered(&self) -> u64 {
        self.in_flight.saturating_sub(self.ahead)
    }

    /// [`RateLimiter::learn`] for the response, at `now`, to a request sent
    /// at `sent_at`, which the server may have counted before `uncounted`
    /// others of ours.
    fn learn_sent_at(
        &mut self,
        f: LimiterFeedback<'_>,
        sent_at: Millis,
        uncounted: u64,
        now: Millis,
    ) {
        self.answered = true;
        let rate_limited = f.status == 429;
        if self.config.adaptive {
            if rate_limited {
                self.slowdown.on_rate_limited(self.config.max_slowdown);
            } else {
                self.slowdown.on_success(self.config.recovery_factor);
            }
        }
        let mut pause = f.server_delay_ms.filter(|_| shares_pause(f.status));
        if rate_limited && pause.is_none() {
            pause = Some(self.config.rate_limit_pause_ms);
        }
        if f.rate.general.remaining == Some(0) {
            pause = pause.max(f.rate.general.reset_ms);
        }
        if let Some(p) = pause {
            let asked = now.plus(p);
            self.held_until = self
                .held_until
                .max(now.plus(p.min(self.config.max_pause_ms)));
            self.pause_asked_until = self.pause_asked_until.max(asked);
        }
        let mut stated_lower = false;
        if let Some(l) = f.rate.per_second.limit.filter(|l| *l > 0) {
            stated_lower = self.server_per_second.is_none_or(|old| l < old);
            self.server_per_second = Some(l);
        }
        if let Some(l) = f.rate.per_day.limit.filter(|l| *l > 0) {
            self.server_per_day = Some(l);
        }
        if let Some(remaining) = f.rate.per_second.remaining {
            self.second = Some(match &self.second {
                Some(s) => s.then(remaining, uncounted, sent_at),
                None => SecondReport::new(remaining, uncounted, sent_at),
            });
        }
        let old_interval = self.interval_us;
        self.repace(now);
        if stated_lower && self.interval_us > old_interval {
            // The server has just said a lower limit than the pace so far:
            // what went in the last second may reach it as late as now.
            self.sent
                .count_recent_from(now, old_interval, self.interval_us, self.window_us());
        }
        if let Some(remaining) = f.rate.per_day.remaining {
            // Requests still in flight may not be in the server's count yet.
            let mut view = ServerDay {
                remaining,
                sent_since: self.in_flight,
                exhausted_at: None,
            };
            if self.server_left(&view) == 0 {
                view.exhausted_at = Some(now);
            }
            self.server_day = Some(view);
        }
    }

    /// The pause the server asked for, if it is still running at `now`.
    #[must_use]
    pub fn held_until(&self, now: Millis) -> Option<Millis> {
        (self.held_until > now).then_some(self.held_until)
    }

    /// Until when the daily quota is spent, if it is at `now`.
    #[must_use]
    pub fn exhausted_until(&self, now: Millis) -> Option<Millis> {
        self.exhausted_given(self.day.used(now).saturating_add(self.ahead), now, false)
    }

    /// [`RateLimiter::exhausted_until`] with the rolling count already known;
    /// `quota_probe`: this caller is the one that may ask the server again.
    fn exhausted_given(&self, used: u64, now: Millis, quota_probe: bool) -> Option<Millis> {
        let allowance = self.day_allowance()?;
        let mut local = (used >= allowance).then(|| {
            self.day
                .next_release(now)
                .unwrap_or(now.plus(self.config.quota_recheck_ms))
        });
        if local.is_some() && self.limit_is_servers() {
            // A limit only the server said (lower than ours, or ours unset)
            // is asked again, one request per `quota_recheck_ms` (from the
            // start of the last one's 1-minute bucket, and one bucket on):
            // believed for the day, it would let no request through to say
            // it changed.
            let ask_at = self.day.last_counted(now).map_or(now, |last| {
                last.plus(self.config.quota_recheck_ms)
                    .plus(self.day.max_lookahead_ms())
            });
            local = local.map(|until| until.min(ask_at)).filter(|t| *t > now);
        }
        let server = self.server_day.and_then(|s| {
            if quota_probe || self.server_left(&s) > 0 {
                return None;
            }
            let since = s.exhausted_at.unwrap_or(now);
            Some(since.plus(self.config.quota_recheck_ms)).filter(|t| *t > now)
        });
        local.max(server)
    }

    /// Notes when the server's view ran out; answers whether `quota_recheck_ms`
    /// has passed since, so that one request may ask the server again (its
    /// window rolls; we cannot see when). Only one: the caller that gets it
    /// restarts the wait for every other.
    fn refresh_server_view(&mut self, now: Millis) -> bool {
        let Some(mut s) = self.server_day else {
            return false;
        };
        let mut probe = false;
        if self.server_left(&s) == 0 {
            let since = *s.exhausted_at.get_or_insert(now);
            probe = now >= since.plus(self.config.quota_recheck_ms);
        }
        self.server_day = Some(s);
        probe
    }

    /// Measured state at `now`.
    #[must_use]
    pub fn status(&self, now: Millis) -> LimiterStatus {
        LimiterStatus {
            effective_per_second: 1_000_000.0 / self.interval_us as f64,
            slowdown: self.slowdown.multiplier(),
            day_used: self.day.used(now).saturating_add(self.ahead),
            day_allowance: self.day_allowance(),
            server_day_remaining: self
                .server_day
                .map(|s| s.remaining.saturating_sub(s.sent_since)),
            in_flight: self.in_flight,
            held_until: self.held_until(now),
            pause_asked_until: (self.held_until > now && self.pause_asked_until > self.held_until)
                .then_some(self.pause_asked_until),
            exhausted_until: self.exhausted_until(now),
        }
    }

    /// Whether the quota in force is the server's word, not our own.
    fn limit_is_servers(&self) -> bool {
        match (self.config.per_day, self.server_per_day) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(ours), Some(theirs)) => theirs < ours,
        }
    }

    /// The quota in force: the server's if it said one, else ours.
    fn day_limit(&self) -> Option<u64> {
        match (self.config.per_day, self.server_per_day) {
            (Some(ours), Some(theirs)) => Some(ours.min(theirs)),
            (ours, theirs) => ours.or(theirs),
        }
    }

    /// The part of the quota we may use: the limit less the buffer.
    fn day_allowance(&self) -> Option<u64> {
        self.allowance
    }

    fn buffer(&self, limit: u64) -> u64 {
        (limit as f64 * self.config.buffer_ratio) as u64
    }

    /// What the server's report leaves us, less the buffer.
    fn server_left(&self, s: &ServerDay) -> u64 {
        let buffer = self.day_limit().map_or(0, |l| self.buffer(l));
        s.remaining
            .saturating_sub(s.sent_since)
            .saturating_sub(buffer)
    }

    /// Microseconds between requests: the slower of our pace and the
    /// server's, spread over a second plus the timer slack (so that sends
    /// up to the slack late never put more than the rate into one second),
    /// stretched by the slow-down.
    fn compute_interval_us(&self) -> u64 {
        let rate = match self.server_per_second {
            Some(l) => self.config.per_second.min(l as f64),
            None => self.config.per_second,
        };
        let us = self.window_us() as f64 / rate * self.slowdown.multiplier();
        (us as u64).max(1)
    }
}

#[cfg(test)]
mod tests;
