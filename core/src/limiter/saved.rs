//! The limiter's part of the snapshot: the pace it learned and the quota
//! it counted, each field written only when it differs from a fresh
//! limiter's, and read back checked.
//!
//! ```text
//! {"serverPerSecond":5,"slowdown":2,"rateLimits":1,"pausedUntil":1765000012000,
//!  "quota":{"remaining":9000},"sent":[[1765000059999,105]]}
//! ```
//!
//! Instants are wall-clock milliseconds. `sent` is the daily window's
//! count, one `[last instant, requests]` per minute-wide slice (of a 24 h
//! window): a request is counted again at the end of its slice, never
//! earlier, so a restored quota frees no sooner than the server's.

use alloc::vec::Vec;

use super::adaptive::Slowdown;
use super::gcra::{us, Gcra, MICROS_PER_MS};
use super::line::Line;
use super::second::SecondReport;
use super::{RateLimiter, ServerDay};
use crate::codec::{nums, ratio_at, Fields, Out, Problem, SnapshotError, MAX_NUMBER};
use crate::time::Millis;

/// The limiter as saved; instants are wall-clock ms, 0 for none.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SavedLimiter {
    /// The per-second limit the server said (`x-limit-per-second`).
    pub server_per_second: Option<u64>,
    /// The daily limit the server said (`x-limit-per-day`).
    pub server_per_day: Option<u64>,
    /// The slow-down on the pace after 429s (1: none).
    pub slowdown: f64,
    /// 429s in a row.
    pub rate_limits: u32,
    /// Held by a server's pause until then.
    pub paused_until: Millis,
    /// The end of the longest pause a server asked for.
    pub pause_asked_until: Millis,
    /// The next request goes no sooner than this (what the old process
    /// spent of its burst).
    pub pace_at: Millis,
    /// The timer slack learned, in ms.
    pub slack_ms: u64,
    /// `x-remaining-today` as last reported, and when it said none.
    pub quota: Option<(u64, Option<Millis>)>,
    /// What the server's second left, and until when it holds.
    pub second: Option<(u64, Millis)>,
    /// The daily count: `[last instant, requests]` per slice, oldest first.
    pub sent: Vec<[u64; 2]>,
}

impl Default for SavedLimiter {
    /// A fresh limiter's: nothing learned, nothing counted.
    fn default() -> Self {
        Self {
            server_per_second: None,
            server_per_day: None,
            slowdown: 1.0,
            rate_limits: 0,
            paused_until: Millis::ZERO,
            pause_asked_until: Millis::ZERO,
            pace_at: Millis::ZERO,
            slack_ms: 0,
            quota: None,
            second: None,
            sent: Vec::new(),
        }
    }
}

/// Whole ms at or after `t_us`.
const fn ms_after(t_us: u64) -> Millis {
    Millis(t_us.div_ceil(MICROS_PER_MS))
}

impl RateLimiter {
    /// Its saved part at engine instant `now`, instants through `wall`.
    pub(crate) fn save(&self, now: Millis, wall: impl Fn(Millis) -> Millis) -> SavedLimiter {
        let at = |t: Millis| if t > now { wall(t) } else { Millis::ZERO };
        let pace = ms_after(self.line.tat_us().max(self.sent.tat_us()));
        SavedLimiter {
            server_per_second: self.server_per_second,
            server_per_day: self.server_per_day,
            slowdown: self.slowdown.multiplier(),
            rate_limits: self.slowdown.rate_limits(),
            paused_until: at(self.held_until),
            pause_asked_until: at(self.pause_asked_until),
            pace_at: at(pace),
            slack_ms: self.slack_ms,
            quota: self.server_day.map(|d| {
                (
                    d.remaining.saturating_sub(d.sent_since),
                    d.exhausted_at.map(&wall),
                )
            }),
            second: self
                .second
                .map(|s| s.saved())
                .filter(|(_, until)| *until > now)
                .map(|(left, until)| (left, wall(until))),
            sent: self.day.saved(now, &wall),
        }
    }

    /// Takes a saved part (instants already on the engine's time line) at
    /// `now`, then derives the pace again.
    pub(crate) fn load(&mut self, s: &SavedLimiter, now: Millis) {
        self.server_per_second = s.server_per_second;
        self.server_per_day = s.server_per_day;
        self.slowdown = Slowdown::restored(s.slowdown.max(1.0), s.rate_limits);
        self.held_until = s.paused_until;
        self.pause_asked_until = s.pause_asked_until;
        self.line = Line::starting_at(us(s.pace_at));
        self.sent = Gcra::starting_at(us(s.pace_at));
        self.slack_ms = s.slack_ms;
        self.server_day = s.quota.map(|(remaining, exhausted_at)| ServerDay {
            remaining,
            sent_since: 0,
            exhausted_at,
        });
        self.second = s
            .second
            .map(|(left, until)| SecondReport::held(left, until));
        self.day.load(&s.sent, now);
        self.refresh_derived();
    }
}

/// A limit a server said: `1..=max`, if present (a limit of 0 would stop
/// the pace for good).
fn positive(f: &mut Fields, key: &str, max: u64) -> Result<Option<u64>, SnapshotError> {
    match f.num(key, max)? {
        Some(0) => Err(f.error(key, Problem::Range)),
        n => Ok(n),
    }
}

impl SavedLimiter {
    /// Writes it as an object.
    pub(crate) fn write(&self, o: &mut Out) {
        o.open('{');
        if let Some(n) = self.server_per_second {
            o.key("serverPerSecond").num(n);
        }
        if let Some(n) = self.server_per_day {
            o.key("serverPerDay").num(n);
        }
        if self.slowdown > 1.0 {
            o.key("slowdown").ratio(self.slowdown);
        }
        o.num_field("rateLimits", self.rate_limits.into())
            .num_field("pausedUntil", self.paused_until.as_u64())
            .num_field("pauseAskedUntil", self.pause_asked_until.as_u64())
            .num_field("paceAt", self.pace_at.as_u64())
            .num_field("slackMs", self.slack_ms);
        if let Some((remaining, exhausted_at)) = self.quota {
            o.key("quota").open('{').key("remaining").num(remaining);
            o.num_field("exhaustedAt", exhausted_at.map_or(0, Millis::as_u64));
            o.close('}');
        }
        if let Some((remaining, until)) = self.second {
            o.key("second").open('{').key("remaining").num(remaining);
            o.key("until").num(until.as_u64()).close('}');
        }
        if !self.sent.is_empty() {
            o.key("sent").open('[');
            for b in &self.sent {
                o.open('[').num(b[0]).num(b[1]).close(']');
            }
            o.close(']');
        }
        o.close('}');
    }

    /// Reads one back, every field checked.
    pub(crate) fn read(mut f: Fields) -> Result<Self, SnapshotError> {
        let time = |f: &mut Fields, key| f.num_or_0(key, MAX_NUMBER).map(Millis);
        let slowdown = match f.take("slowdown") {
            None => 1.0,
            Some(v) => ratio_at(&v, &f.path("slowdown"), 1000)?,
        };
        let quota = match f.obj("quota")? {
            None => None,
            Some(mut q) => {
                let remaining = q.required_num("remaining", u64::from(u32::MAX))?;
                let exhausted = q.num("exhaustedAt", MAX_NUMBER)?.map(Millis);
                q.done()?;
                Some((remaining, exhausted))
            }
        };
        let second = match f.obj("second")? {
            None => None,
            Some(mut q) => {
                let remaining = q.required_num("remaining", u64::from(u32::MAX))?;
                let until = q.required_num("until", MAX_NUMBER)?;
                q.done()?;
                Some((remaining, Millis(until)))
            }
        };
        // A window holds at most its 1 442 slices.
        let sent = f.list("sent", 1_442, |b, path| nums::<2>(&b, path, MAX_NUMBER))?;
        let s = SavedLimiter {
            server_per_second: positive(&mut f, "serverPerSecond", 1_000_000)?,
            server_per_day: positive(&mut f, "serverPerDay", MAX_NUMBER)?,
            slowdown,
            rate_limits: f.count("rateLimits")?,
            paused_until: time(&mut f, "pausedUntil")?,
            pause_asked_until: time(&mut f, "pauseAskedUntil")?,
            pace_at: time(&mut f, "paceAt")?,
            slack_ms: f.num_or_0("slackMs", 86_400_000)?,
            quota,
            second,
            sent,
        };
        f.done()?;
        Ok(s)
    }
}
