//! The rate-limit header families servers use to say how much is left.
//!
//! * Etsy: `x-limit-per-second`, `x-remaining-this-second`,
//!   `x-limit-per-day`, `x-remaining-today` (the seed read `X-Limit-Daily-*`,
//!   names Etsy never sends: seed defect 11).
//! * The common de-facto family `X-RateLimit-Limit` / `-Remaining` / `-Reset`
//!   (reset as delta-seconds, epoch seconds or epoch milliseconds), and its
//!   unprefixed `RateLimit-Limit` / `-Remaining` / `-Reset` spelling from
//!   early IETF drafts.
//! * The IETF structured fields `RateLimit: "p";r=50;t=30` and
//!   `RateLimit-Policy: "p";q=100;w=60`, and the dictionary
//!   `RateLimit: limit=100, remaining=50, reset=30` of the middle drafts.
//!
//! Reading never fails as a whole: a malformed field is skipped and counted in
//! [`RateLimitHeaders::malformed`], the others still count.

use super::field::{parse_decimal, HeaderError, HeaderSource};
use super::structured::{parse_members, Member};
use crate::time::UnixMillis;

/// Values at or above this are epoch seconds rather than delta-seconds (a
/// delta of 31 years is not a rate-limit reset).
const EPOCH_SECONDS_FROM: u64 = 1_000_000_000;
/// Values at or above this are epoch milliseconds.
const EPOCH_MILLIS_FROM: u64 = 1_000_000_000_000;

/// What a server said about one rate-limit window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct WindowReading {
    /// Requests the window allows.
    pub limit: Option<u64>,
    /// Requests left in the current window.
    pub remaining: Option<u64>,
    /// Milliseconds until the window resets (or a slot frees up).
    pub reset_ms: Option<u64>,
    /// The window's length in milliseconds, when the server says it.
    pub window_ms: Option<u64>,
}

impl WindowReading {
    /// Whether the server said nothing about this window.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == WindowReading::default()
    }
}

/// Everything the rate-limit headers of one response said.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RateLimitHeaders {
    /// Etsy's per-second window (`x-limit-per-second`, `x-remaining-this-second`).
    pub per_second: WindowReading,
    /// Etsy's rolling 24-hour window (`x-limit-per-day`, `x-remaining-today`).
    pub per_day: WindowReading,
    /// The generic window of `X-RateLimit-*`, `RateLimit-*` or the IETF
    /// `RateLimit` fields, whichever the response carries (IETF first).
    pub general: WindowReading,
    /// How many rate-limit fields were present but malformed, and ignored.
    pub malformed: u8,
}

impl RateLimitHeaders {
    /// Reads every known rate-limit header of a response.
    ///
    /// `now_wall` is needed only to turn an epoch reset into a delay; without
    /// it such a reset is ignored (and counted as malformed).
    #[must_use]
    pub fn read<H: HeaderSource + ?Sized>(headers: &H, now_wall: Option<UnixMillis>) -> Self {
        let mut known = KnownFields::default();
        headers.for_each_field(&mut |name, value| known.offer(name, value));
        Self::from_known(&known, now_wall)
    }

    fn from_known(known: &KnownFields<'_>, now_wall: Option<UnixMillis>) -> Self {
        let mut out = RateLimitHeaders::default();
        let mut bad = 0u8;
        let mut number = |field: Field| -> Option<u64> {
            let value = known.get(field)?;
            parse_decimal(value)
                .map_err(|_| bad = bad.saturating_add(1))
                .ok()
        };
        let per_second = WindowReading {
            limit: number(Field::LimitPerSecond),
            remaining: number(Field::RemainingThisSecond),
            reset_ms: None,
            window_ms: Some(1000),
        };
        let per_day = WindowReading {
            limit: number(Field::LimitPerDay),
            remaining: number(Field::RemainingToday),
            reset_ms: None,
            window_ms: Some(86_400_000),
        };
        out.general = ietf(known, &mut bad)
            .or_else(|| prefixed(known, X_RATELIMIT, now_wall, &mut bad))
            .or_else(|| prefixed(known, RATELIMIT, now_wall, &mut bad))
            .unwrap_or_default();
        out.per_second = keep_if_said(per_second);
        out.per_day = keep_if_said(per_day);
        out.malformed = bad;
        out
    }
}

/// The rate-limit fields this module reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    LimitPerSecond,
    RemainingThisSecond,
    LimitPerDay,
    RemainingToday,
    RateLimit,
    RateLimitPolicy,
    XRateLimitLimit,
    XRateLimitRemaining,
    XRateLimitReset,
    RateLimitLimit,
    RateLimitRemaining,
    RateLimitReset,
}

const FIELDS: [(Field, &str); 12] = [
    (Field::LimitPerSecond, "x-limit-per-second"),
    (Field::RemainingThisSecond, "x-remaining-this-second"),
    (Field::LimitPerDay, "x-limit-per-day"),
    (Field::RemainingToday, "x-remaining-today"),
    (Field::RateLimit, "ratelimit"),
    (Field::RateLimitPolicy, "ratelimit-policy"),
    (Field::XRateLimitLimit, "x-ratelimit-limit"),
    (Field::XRateLimitRemaining, "x-ratelimit-remaining"),
    (Field::XRateLimitReset, "x-ratelimit-reset"),
    (Field::RateLimitLimit, "ratelimit-limit"),
    (Field::RateLimitRemaining, "ratelimit-remaining"),
    (Field::RateLimitReset, "ratelimit-reset"),
];

/// The values of the known fields, gathered in one pass over the headers
/// (the first of each name wins, as with [`HeaderSource::header`]).
#[derive(Default)]
struct KnownFields<'a> {
    values: [Option<&'a str>; FIELDS.len()],
}

impl<'a> KnownFields<'a> {
    fn offer(&mut self, name: &str, value: &'a str) {
        // Every known name starts with 'x' or 'r'; most other fields stop here.
        if !matches!(name.as_bytes().first(), Some(b'x' | b'X' | b'r' | b'R')) {
            return;
        }
        let slot = FIELDS
            .iter()
            .zip(self.values.iter_mut())
            .find(|((_, known), _)| known.len() == name.len() && known.eq_ignore_ascii_case(name));
        if let Some((_, slot @ None)) = slot {
            *slot = Some(value);
        }
    }

    fn get(&self, field: Field) -> Option<&'a str> {
        self.values.get(field as usize).copied().flatten()
    }
}

/// A window with only its implied length is a window nobody spoke of.
fn keep_if_said(w: WindowReading) -> WindowReading {
    if w.limit.is_none() && w.remaining.is_none() {
        WindowReading::default()
    } else {
        w
    }
}

/// The de-facto `X-RateLimit-*` family: limit, remaining, reset.
const X_RATELIMIT: [Field; 3] = [
    Field::XRateLimitLimit,
    Field::XRateLimitRemaining,
    Field::XRateLimitReset,
];
/// The same family as early IETF drafts spelled it.
const RATELIMIT: [Field; 3] = [
    Field::RateLimitLimit,
    Field::RateLimitRemaining,
    Field::RateLimitReset,
];

/// One family's limit, remaining and reset fields.
fn prefixed(
    headers: &KnownFields<'_>,
    [limit, remaining, reset]: [Field; 3],
    now_wall: Option<UnixMillis>,
    bad: &mut u8,
) -> Option<WindowReading> {
    let limit = headers.get(limit).map(parse_decimal);
    let remaining = headers.get(remaining).map(parse_decimal);
    let reset = headers.get(reset).map(|v| reset_delay(v, now_wall));
    if limit.is_none() && remaining.is_none() && reset.is_none() {
        return None;
    }
    let mut take = |r: Option<Result<u64, HeaderError>>| match r {
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            *bad = bad.saturating_add(1);
            None
        }
        None => None,
    };
    Some(WindowReading {
        limit: take(limit),
        remaining: take(remaining),
        reset_ms: take(reset),
        window_ms: None,
    })
}

/// A reset given as delta-seconds, epoch seconds or epoch milliseconds.
fn reset_delay(value: &str, now_wall: Option<UnixMillis>) -> Result<u64, HeaderError> {
    let n = parse_decimal(value)?;
    if n < EPOCH_SECONDS_FROM {
        return Ok(n.saturating_mul(1000));
    }
    let at_ms = if n >= EPOCH_MILLIS_FROM {
        n
    } else {
        n.saturating_mul(1000)
    };
    let now = now_wall.ok_or(HeaderError::NeedsWallClock)?;
    Ok(at_ms.saturating_sub(now.0))
}

/// The IETF `RateLimit` (+ `RateLimit-Policy`) fields, either draft shape.
fn ietf(headers: &KnownFields<'_>, bad: &mut u8) -> Option<WindowReading> {
    let field = headers.get(Field::RateLimit)?;
    let members = match parse_members(field) {
        Ok(m) => m,
        Err(_) => {
            *bad = bad.saturating_add(1);
            return None;
        }
    };
    let policies = headers
        .get(Field::RateLimitPolicy)
        .and_then(|p| parse_members(p).ok())
        .unwrap_or_default();
    let num = |s: Option<&str>| s.and_then(|v| parse_decimal(v).ok());

    // Dictionary shape: limit=100, remaining=50, reset=30.
    let dict = |key: &str| num(members.iter().find(|m| m.name == key).and_then(|m| m.value));
    if members.iter().any(|m| m.value.is_some()) {
        let reading = WindowReading {
            limit: dict("limit"),
            remaining: dict("remaining"),
            reset_ms: dict("reset").map(|s| s.saturating_mul(1000)),
            window_ms: policies
                .first()
                .and_then(|p| num(p.param("w")))
                .map(|w| w.saturating_mul(1000)),
        };
        return Some(reading);
    }

    // List shape: the most constraining policy (fewest remaining) speaks.
    let tightest: &Member<'_> = members
        .iter()
        .filter(|m| num(m.param("r")).is_some())
        .min_by_key(|m| num(m.param("r")).unwrap_or(u64::MAX))?;
    let policy = policies.iter().find(|p| p.name == tightest.name);
    Some(WindowReading {
        limit: policy.and_then(|p| num(p.param("q"))),
        remaining: num(tightest.param("r")),
        reset_ms: num(tightest.param("t")).map(|t| t.saturating_mul(1000)),
        window_ms: policy
            .and_then(|p| num(p.param("w")))
            .map(|w| w.saturating_mul(1000)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn seed_defect_11_reads_the_header_names_etsy_actually_sends() {
        let h = vec![
            ("X-Limit-Per-Second", "10"),
            ("x-remaining-this-second", "3"),
            ("x-limit-per-day", "10000"),
            ("X-REMAINING-TODAY", "9876"),
        ];
        let r = RateLimitHeaders::read(&h, None);
        assert_eq!(r.per_second.limit, Some(10));
        assert_eq!(r.per_second.remaining, Some(3));
        assert_eq!(r.per_day.limit, Some(10000));
        assert_eq!(r.per_day.remaining, Some(9876));
        assert_eq!(r.malformed, 0);
        // The seed's names mean nothing to us, as they mean nothing to Etsy.
        let seeds = vec![("X-Limit-Daily-Remaining", "0")];
        assert!(RateLimitHeaders::read(&seeds, None).per_day.is_empty());
    }

    #[test]
    fn x_ratelimit_reset_in_all_three_units() {
        let wall = Some(UnixMillis(1_800_000_000_000));
        let delta = vec![("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "30")];
        assert_eq!(
            RateLimitHeaders::read(&delta, wall).general.reset_ms,
            Some(30_000)
        );
        let secs = vec![("X-RateLimit-Reset", "1800000045")];
        assert_eq!(
            RateLimitHeaders::read(&secs, wall).general.reset_ms,
            Some(45_000)
        );
        let millis = vec![("x-ratelimit-reset", "1800000000500")];
        assert_eq!(
            RateLimitHeaders::read(&millis, wall).general.reset_ms,
            Some(500)
        );
        // Epoch without a wall clock: ignored, counted.
        let r = RateLimitHeaders::read(&secs, None);
        assert_eq!((r.general.reset_ms, r.malformed), (None, 1));
    }

    #[test]
    fn ietf_list_form_with_policy() {
        let h = vec![
            (
                "RateLimit-Policy",
                r#""burst";q=100;w=60, "day";q=5000;w=86400"#,
            ),
            ("RateLimit", r#""burst";r=0;t=12, "day";r=4000;t=50000"#),
        ];
        let g = RateLimitHeaders::read(&h, None).general;
        assert_eq!(g.limit, Some(100));
        assert_eq!(g.remaining, Some(0));
        assert_eq!(g.reset_ms, Some(12_000));
        assert_eq!(g.window_ms, Some(60_000));
    }

    #[test]
    fn ietf_dictionary_form_and_unprefixed_family() {
        let h = vec![("ratelimit", "limit=100, remaining=50, reset=5")];
        let g = RateLimitHeaders::read(&h, None).general;
        assert_eq!(
            (g.limit, g.remaining, g.reset_ms),
            (Some(100), Some(50), Some(5000))
        );
        let old = vec![("RateLimit-Remaining", "7"), ("RateLimit-Reset", "2")];
        let g = RateLimitHeaders::read(&old, None).general;
        assert_eq!((g.remaining, g.reset_ms), (Some(7), Some(2000)));
    }

    #[test]
    fn garbage_is_ignored_and_counted_never_a_panic() {
        let h = vec![
            ("x-remaining-today", "lots"),
            ("x-limit-per-second", "-3"),
            ("X-RateLimit-Remaining", "NaN"),
            ("RateLimit", "\"unterminated;r=1"),
            ("x-remaining-this-second", "4"),
        ];
        let r = RateLimitHeaders::read(&h, None);
        assert_eq!(r.per_day, WindowReading::default());
        assert_eq!(r.per_second.remaining, Some(4));
        assert_eq!(r.per_second.limit, None);
        assert_eq!(r.general.remaining, None);
        assert_eq!(r.malformed, 4);
    }

    #[test]
    fn every_field_read_is_published() {
        for (_, name) in FIELDS {
            assert!(super::super::READ_FIELDS.contains(&name), "{name}");
        }
        assert!(super::super::READ_FIELDS.contains(&"retry-after"));
        assert_eq!(super::super::READ_FIELDS.len(), FIELDS.len() + 1);
    }
}
