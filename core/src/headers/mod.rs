//! Reading HTTP response headers: lookup, `Retry-After`, HTTP-dates and the
//! rate-limit families servers use.
//!
//! Header names are case-insensitive (RFC 9110 §5.1). Server-controlled values
//! are hostile input: every parser here answers a typed [`HeaderError`] for a
//! malformed value and saturates instead of overflowing, so no header can make
//! the core panic.
//!
//! ```
//! use steadfast_core::headers::{parse_retry_after, HeaderError, RateLimitHeaders};
//! use steadfast_core::UnixMillis;
//!
//! // `Retry-After` in both forms: delta-seconds, and an HTTP-date read
//! // against the wall clock (here 30 s before it).
//! assert_eq!(parse_retry_after("120", None), Ok(120_000));
//! let now = UnixMillis(784_111_777_000 - 30_000);
//! assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", Some(now)), Ok(30_000));
//! assert_eq!(parse_retry_after("soon", None), Err(HeaderError::NotADate));
//!
//! // Etsy's four rate headers (names in any case).
//! let etsy: &[(&str, &str)] = &[
//!     ("X-Limit-Per-Second", "10"), ("X-Remaining-This-Second", "9"),
//!     ("X-Limit-Per-Day", "10000"), ("X-Remaining-Today", "9500"),
//! ];
//! let rate = RateLimitHeaders::read(etsy, None);
//! assert_eq!((rate.per_second.limit, rate.per_second.remaining), (Some(10), Some(9)));
//! assert_eq!((rate.per_day.limit, rate.per_day.remaining), (Some(10_000), Some(9_500)));
//! ```

mod http_date;
mod rate_limit;
mod retry_after;
mod structured;

pub use http_date::parse_http_date;
pub use rate_limit::{RateLimitHeaders, WindowReading};
pub use retry_after::parse_retry_after;

/// Every response header field the core reads, in lower case: a host may
/// hand [`crate::engine::Engine::handle_response`] only these (the npm
/// package reads just these from each response, so a response's cost does
/// not grow with its header count).
pub const READ_FIELDS: [&str; 13] = [
    "retry-after",
    "x-limit-per-second",
    "x-remaining-this-second",
    "x-limit-per-day",
    "x-remaining-today",
    "ratelimit",
    "ratelimit-policy",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
];

/// Whether `name` is a valid header field name: an RFC 9110 `token`.
#[must_use]
pub fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether every character of `value` fits a byte, as `fetch` requires of
/// a header value (a WebIDL `ByteString`, sent as Latin-1).
#[must_use]
pub fn fits_field_value(value: &str) -> bool {
    value.chars().all(|c| u32::from(c) <= 0xFF)
}

/// Case-insensitive read access to a response's header fields.
///
/// Implemented for slices and vectors of `(name, value)` pairs; hosts with
/// their own header type can implement it in a few lines.
pub trait HeaderSource {
    /// The value of the first field named `name` (compared ignoring ASCII
    /// case), if any.
    fn header(&self, name: &str) -> Option<&str>;

    /// Calls `visit` with every field's name and value, in order (lets a
    /// reader of many fields pass over the headers once).
    fn for_each_field<'a>(&'a self, visit: &mut dyn FnMut(&'a str, &'a str));
}

impl<K: AsRef<str>, V: AsRef<str>> HeaderSource for [(K, V)] {
    fn for_each_field<'a>(&'a self, visit: &mut dyn FnMut(&'a str, &'a str)) {
        for (k, v) in self {
            visit(k.as_ref(), v.as_ref());
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| {
                let k = k.as_ref();
                // Length first: most names differ there, and it is free.
                k.len() == name.len() && k.eq_ignore_ascii_case(name)
            })
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> HeaderSource for alloc::vec::Vec<(K, V)> {
    fn header(&self, name: &str) -> Option<&str> {
        self.as_slice().header(name)
    }

    fn for_each_field<'a>(&'a self, visit: &mut dyn FnMut(&'a str, &'a str)) {
        self.as_slice().for_each_field(visit);
    }
}

impl<T: HeaderSource + ?Sized> HeaderSource for &T {
    fn header(&self, name: &str) -> Option<&str> {
        (**self).header(name)
    }

    fn for_each_field<'a>(&'a self, visit: &mut dyn FnMut(&'a str, &'a str)) {
        (**self).for_each_field(visit);
    }
}

/// Why a header value was not used.
///
/// Carries the kind of problem only, never the value: a hostile server's bytes
/// do not travel on into errors and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The field was present but empty.
    #[error("empty header value")]
    Empty,
    /// Not a non-negative decimal integer where one was required.
    #[error("not a non-negative integer")]
    NotAnInteger,
    /// Not an HTTP-date in any of the three RFC 9110 §5.6.7 forms.
    #[error("not an HTTP-date")]
    NotADate,
    /// An HTTP-date was given, but no wall-clock time to compare it with.
    #[error("an HTTP-date needs the wall-clock time to be read")]
    NeedsWallClock,
    /// A structured field (RFC 9651) that could not be parsed.
    #[error("malformed structured field")]
    Malformed,
}

/// Parses a non-negative decimal integer, saturating at `u64::MAX`.
///
/// Leading and trailing whitespace is allowed; signs, fractions and anything
/// else are not (RFC 9110 delta-seconds are `1*DIGIT`).
pub(crate) fn parse_decimal(value: &str) -> Result<u64, HeaderError> {
    let digits = value.trim();
    if digits.is_empty() {
        return Err(HeaderError::Empty);
    }
    digits.bytes().try_fold(0u64, |acc, b| {
        if b.is_ascii_digit() {
            Ok(acc.saturating_mul(10).saturating_add(u64::from(b - b'0')))
        } else {
            Err(HeaderError::NotAnInteger)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn lookup_ignores_case_of_names() {
        let h = vec![("Retry-After", "5"), ("X-Remaining-Today", "9")];
        assert_eq!(h.header("retry-after"), Some("5"));
        assert_eq!(h.header("x-remaining-today"), Some("9"));
        assert_eq!(h.header("RETRY-AFTER"), Some("5"));
        assert_eq!(h.header("missing"), None);
    }

    #[test]
    fn decimals_saturate_and_reject_junk() {
        assert_eq!(parse_decimal(" 42 "), Ok(42));
        assert_eq!(parse_decimal("99999999999999999999999999"), Ok(u64::MAX));
        assert_eq!(parse_decimal("-1"), Err(HeaderError::NotAnInteger));
        assert_eq!(parse_decimal("1.5"), Err(HeaderError::NotAnInteger));
        assert_eq!(parse_decimal(""), Err(HeaderError::Empty));
    }

    #[test]
    fn field_names_are_tokens_and_values_fit_bytes() {
        assert!(is_field_name("x-api-key") && is_field_name("A!#$%&'*+-.^_`|~9"));
        for bad in ["", "a b", "a:b", "é", "a\n"] {
            assert!(!is_field_name(bad), "{bad:?}");
        }
        assert!(fits_field_value("café ÿ"));
        assert!(!fits_field_value("€") && !fits_field_value("✓"));
    }
}
