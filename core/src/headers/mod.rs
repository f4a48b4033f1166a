//! HTTP headers: reading a response's (lookup, `Retry-After`, HTTP-dates and
//! the rate-limit families servers use), and the fields a request goes out
//! with ([`request_fields`]).
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

mod field;
mod http_date;
mod rate_limit;
mod request;
mod retry_after;
mod structured;

pub use field::{fits_field_value, is_field_name, HeaderError, HeaderSource};
pub use http_date::parse_http_date;
pub use rate_limit::{RateLimitHeaders, WindowReading};
pub use request::{request_fields, IDEMPOTENCY_KEY, JSON_CONTENT_TYPE};
pub use retry_after::parse_retry_after;

/// How many of a response's header fields a host reads, at most: the fields
/// it hands the core and the ones it gives the caller (`response.headers`).
/// A hostile or broken server can send thousands; past this many the rest
/// are dropped, so a response costs bounded time and memory whatever it
/// carries. 256 is well past what real APIs send (a few dozen at most) and
/// under the 1,000 fields a request's headers may have.
pub const MAX_RESPONSE_FIELDS: u32 = 256;

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

#[cfg(test)]
mod tests {
    use super::field::parse_decimal;
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
