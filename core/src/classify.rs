//! What went wrong, and may we try again?
//!
//! Every outcome of an attempt — an HTTP response or a transport failure the
//! host observed — becomes a [`Classification`]: a [`Category`] (or none, for
//! success), whether retrying can help, the delay the server asked for, what
//! the rate-limit headers said, whether the request can have taken effect on
//! the server, and the server's own message.
//!
//! Transport failures are typed by the host ([`TransportFailure`]), never
//! guessed from the words of an exception message as the seed did (seed
//! defect 7).
//!
//! ```
//! use steadfast_core::{classify_failure, classify_response, Category, Effect, TransportFailure};
//!
//! // A 429 that names its delay: retry after 7 s; the server did nothing.
//! let headers: &[(&str, &str)] = &[("Retry-After", "7")];
//! let c = classify_response(429, headers, Some(r#"{"error":"Slow down"}"#), None);
//! assert_eq!((c.category, c.retryable), (Some(Category::RateLimit), true));
//! assert_eq!((c.server_delay_ms, c.effect), (Some(7_000), Effect::NotApplied));
//! assert_eq!(c.message.as_deref(), Some("Slow down"));
//!
//! // A connection reset mid-request: worth retrying, but the server may have acted.
//! let reset = classify_failure(TransportFailure::Reset);
//! assert_eq!((reset.category, reset.retryable), (Some(Category::Network), true));
//! assert_eq!(reset.effect, Effect::Unknown);
//! ```

use alloc::string::String;

use crate::body::server_message;
use crate::headers::{parse_retry_after, HeaderSource, RateLimitHeaders};
use crate::time::UnixMillis;

/// The kind of failure, as a user would want to branch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Category {
    /// 401/403: credentials missing, wrong or lacking a scope.
    Auth,
    /// 429: the server's rate limit or quota.
    RateLimit,
    /// 400/422 and similar: the request itself is wrong.
    Validation,
    /// 404/410: the resource does not exist.
    NotFound,
    /// 409/412: the request conflicts with the resource's current state.
    Conflict,
    /// 5xx: the server failed.
    Server,
    /// The connection failed (refused, reset, DNS).
    Network,
    /// No answer in time (client timeout or 408).
    Timeout,
    /// Anything else that is not a success.
    Unknown,
}

impl Category {
    /// Every category, in a fixed order (used to index counters).
    pub const ALL: [Category; 9] = [
        Category::Auth,
        Category::RateLimit,
        Category::Validation,
        Category::NotFound,
        Category::Conflict,
        Category::Server,
        Category::Network,
        Category::Timeout,
        Category::Unknown,
    ];

    /// The category's stable snake_case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Auth => "auth",
            Category::RateLimit => "rate_limit",
            Category::Validation => "validation",
            Category::NotFound => "not_found",
            Category::Conflict => "conflict",
            Category::Server => "server",
            Category::Network => "network",
            Category::Timeout => "timeout",
            Category::Unknown => "unknown",
        }
    }

    /// Position in [`Category::ALL`].
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl core::str::FromStr for Category {
    type Err = crate::UnknownName;

    /// A category's [`Category::as_str`] name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(crate::UnknownName {
                choices: "one of auth, rate_limit, validation, not_found, conflict, server, network, timeout, unknown",
            })
    }
}

/// A failure the host saw below HTTP, typed by what it means for a retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum TransportFailure {
    /// The connection was refused: nothing reached the server.
    ConnectRefused,
    /// The name did not resolve: nothing reached the server.
    Dns,
    /// The connection broke mid-request: the server may have acted.
    Reset,
    /// No response within the attempt's timeout: the server may have acted.
    Timeout,
    /// Something other than the caller aborted the request (a proxy, the
    /// platform): the server may have acted.
    Aborted,
}

impl TransportFailure {
    /// Types a failed request from the error codes a platform put on the
    /// error and its causes (`ECONNREFUSED`, `UND_ERR_SOCKET`, ...), then
    /// from the errors' names (`TimeoutError`, `AbortError`).
    ///
    /// A failure none of them explains counts as a reset: the request may
    /// have reached the server, so a POST without an idempotency key is not
    /// sent again.
    #[must_use]
    pub fn from_error<'a>(
        codes: impl IntoIterator<Item = &'a str>,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        for code in codes {
            match code {
                "ECONNREFUSED" => return Self::ConnectRefused,
                "ENOTFOUND" | "EAI_AGAIN" | "EAI_NONAME" | "EAI_FAIL" | "EAI_NODATA" => {
                    return Self::Dns
                }
                "ETIMEDOUT"
                | "UND_ERR_CONNECT_TIMEOUT"
                | "UND_ERR_HEADERS_TIMEOUT"
                | "UND_ERR_BODY_TIMEOUT" => return Self::Timeout,
                "ECONNRESET" | "EPIPE" | "UND_ERR_SOCKET" | "ECONNABORTED" => return Self::Reset,
                _ => {}
            }
        }
        for name in names {
            match name {
                "TimeoutError" => return Self::Timeout,
                "AbortError" => return Self::Aborted,
                _ => {}
            }
        }
        Self::Reset
    }
}

/// Whether an attempt can have changed state on the server.
///
/// This is what decides if a POST may be sent again (seed defect 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Effect {
    /// Certainly not: refused before the server acted (connection refused,
    /// DNS failure, 429, 503, a 4xx rejection).
    NotApplied,
    /// Perhaps: the connection broke or timed out after sending, or a gateway
    /// answered 500/502/504.
    Unknown,
    /// Yes: the server answered with success.
    Applied,
}

/// The verdict on one attempt's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Classification {
    /// `None` for a success, else what kind of failure.
    pub category: Option<Category>,
    /// The HTTP status, when there was a response.
    pub status: Option<u16>,
    /// The transport failure, when there was no response.
    pub transport: Option<TransportFailure>,
    /// Whether another attempt could succeed (before idempotency rules).
    pub retryable: bool,
    /// The delay the server asked for: `Retry-After`, or for a 429 without it,
    /// the reset of an exhausted rate-limit window.
    pub server_delay_ms: Option<u64>,
    /// Whether the attempt can have taken effect on the server.
    pub effect: Effect,
    /// What the rate-limit headers said.
    pub rate: RateLimitHeaders,
    /// The server's own message, cut short (see [`crate::body`]).
    pub message: Option<String>,
}

impl Classification {
    /// Whether the attempt succeeded.
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.category.is_none()
    }
}

/// The category, retryability and effect a status code implies.
#[must_use]
pub const fn status_category(status: u16) -> (Option<Category>, bool, Effect) {
    use Category as C;
    match status {
        100..=399 => (None, false, Effect::Applied),
        401 | 403 => (Some(C::Auth), false, Effect::NotApplied),
        404 | 410 => (Some(C::NotFound), false, Effect::NotApplied),
        408 => (Some(C::Timeout), true, Effect::NotApplied),
        409 | 412 | 423 => (Some(C::Conflict), false, Effect::NotApplied),
        429 => (Some(C::RateLimit), true, Effect::NotApplied),
        400 | 405 | 406 | 411 | 413..=418 | 422 | 431 => {
            (Some(C::Validation), false, Effect::NotApplied)
        }
        425 => (Some(C::Unknown), true, Effect::NotApplied),
        // 501 and 505 are permanent: the server will not do this at all.
        501 | 505 => (Some(C::Server), false, Effect::NotApplied),
        503 => (Some(C::Server), true, Effect::NotApplied),
        500..=599 => (Some(C::Server), true, Effect::Unknown),
        _ => (Some(C::Unknown), false, Effect::NotApplied),
    }
}

/// The status codes there are: three digits (RFC 9110 §15).
pub const STATUSES: core::ops::RangeInclusive<u16> = 100..=999;

/// The status a response's header fields are read with when the caller
/// gives none (`RateLimiter.updateFromHeaders(headers)`): a success's, so
/// that its quota fields are learned and nothing counts as a failure.
pub const STATUS_WHEN_UNSTATED: u16 = 200;

/// A status code from a number a host was handed (a `fetch` `Response`'s,
/// or what a user's function answered): a whole number in [`STATUSES`],
/// else `None` (it is not a response).
#[must_use]
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
pub fn status_from_number(n: f64) -> Option<u16> {
    if !(f64::from(*STATUSES.start())..=f64::from(*STATUSES.end())).contains(&n) {
        return None;
    }
    let status = n as u16;
    (f64::from(status) == n).then_some(status)
}

/// Whether the core reads the body of a response with this status: an
/// error's, for the server's message (a success's body is the user's alone,
/// and a host need not hand it over).
#[must_use]
pub const fn reads_body(status: u16) -> bool {
    status_category(status).0.is_some()
}

/// What a user's function came to, as a building block (a breaker or a
/// retry policy wrapped around any async function) sees it.
#[derive(Clone, Copy, Debug)]
pub struct FnOutcome<'a, H: ?Sized> {
    /// It threw (rejected) rather than resolved.
    pub threw: bool,
    /// The HTTP response it resolved or threw with (its `status`, or its
    /// `response.status`, and that response's headers), if it carried one.
    pub response: Option<(u16, &'a H)>,
    /// What a throw without a response means below HTTP (by its codes:
    /// [`TransportFailure::from_error`]).
    pub failure: TransportFailure,
}

/// The one rule for a function's outcome, shared by the breaker and the
/// retry policy: `None` for a success, else the failure's classification.
///
/// A resolved value that is an error response (a `fetch` answering 503
/// resolves) is that failure; any other resolved value is a success. A
/// throw is the response it carries, else a transport failure.
#[must_use]
pub fn classify_outcome<H: HeaderSource + ?Sized>(
    outcome: FnOutcome<'_, H>,
    now_wall: Option<UnixMillis>,
) -> Option<Classification> {
    match (outcome.threw, outcome.response) {
        (threw, Some((status, headers))) => {
            let c = classify_response(status, headers, None, now_wall);
            (threw || c.category.is_some()).then_some(c)
        }
        (false, None) => None,
        (true, None) => Some(classify_failure(outcome.failure)),
    }
}

/// Classifies an HTTP response.
///
/// `now_wall` (wall-clock time) is needed only to read an HTTP-date
/// `Retry-After` or an epoch reset; a malformed `Retry-After` is ignored, as
/// if absent.
#[must_use]
pub fn classify_response<H: HeaderSource + ?Sized>(
    status: u16,
    headers: &H,
    body: Option<&str>,
    now_wall: Option<UnixMillis>,
) -> Classification {
    let (category, retryable, effect) = status_category(status);
    let rate = RateLimitHeaders::read(headers, now_wall);
    let retry_after = headers
        .header("retry-after")
        .and_then(|v| parse_retry_after(v, now_wall).ok());
    let server_delay_ms = match (category, retry_after) {
        (None, _) => None,
        (_, Some(d)) => Some(d),
        (Some(Category::RateLimit), None) => exhausted_window_reset(&rate),
        _ => None,
    };
    Classification {
        category,
        status: Some(status),
        transport: None,
        retryable,
        server_delay_ms,
        effect,
        rate,
        message: if category.is_some() {
            body.and_then(server_message)
        } else {
            None
        },
    }
}

/// For a 429 with no `Retry-After`: when the window the server said is empty
/// frees up. Etsy gives no reset for its per-second window, so an exhausted
/// one means "the next second".
fn exhausted_window_reset(rate: &RateLimitHeaders) -> Option<u64> {
    if rate.general.remaining == Some(0) {
        if let Some(reset) = rate.general.reset_ms {
            return Some(reset);
        }
    }
    if rate.per_second.remaining == Some(0) {
        return Some(1000);
    }
    None
}

/// Classifies a failure that produced no response.
#[must_use]
pub fn classify_failure(kind: TransportFailure) -> Classification {
    let (category, retryable, effect) = match kind {
        TransportFailure::ConnectRefused | TransportFailure::Dns => {
            (Category::Network, true, Effect::NotApplied)
        }
        TransportFailure::Reset => (Category::Network, true, Effect::Unknown),
        TransportFailure::Timeout => (Category::Timeout, true, Effect::Unknown),
        TransportFailure::Aborted => (Category::Network, false, Effect::Unknown),
    };
    Classification {
        category: Some(category),
        status: None,
        transport: Some(kind),
        retryable,
        server_delay_ms: None,
        effect,
        rate: RateLimitHeaders::default(),
        message: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn no_headers() -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }

    #[test]
    fn statuses_map_to_categories() {
        let cases = [
            (200, None, false),
            (204, None, false),
            (400, Some(Category::Validation), false),
            (401, Some(Category::Auth), false),
            (403, Some(Category::Auth), false),
            (404, Some(Category::NotFound), false),
            (408, Some(Category::Timeout), true),
            (409, Some(Category::Conflict), false),
            (422, Some(Category::Validation), false),
            (429, Some(Category::RateLimit), true),
            (500, Some(Category::Server), true),
            (501, Some(Category::Server), false),
            (503, Some(Category::Server), true),
            (599, Some(Category::Server), true),
            (999, Some(Category::Unknown), false),
        ];
        for (status, cat, retry) in cases {
            let c = classify_response(status, &no_headers(), None, None);
            assert_eq!((c.category, c.retryable), (cat, retry), "status {status}");
        }
    }

    #[test]
    fn seed_defect_07_transport_failures_are_typed_not_guessed_from_text() {
        // The seed retried only when an exception's text contained
        // "Connection" or "Timeout"; a DNS failure ("Name or service not
        // known") was not retried at all, and the retry was blind to whether
        // anything had been sent.
        let dns = classify_failure(TransportFailure::Dns);
        assert_eq!(
            (dns.category, dns.retryable, dns.effect),
            (Some(Category::Network), true, Effect::NotApplied)
        );
        let reset = classify_failure(TransportFailure::Reset);
        assert_eq!(reset.effect, Effect::Unknown);
        let timeout = classify_failure(TransportFailure::Timeout);
        assert_eq!(
            (timeout.category, timeout.effect),
            (Some(Category::Timeout), Effect::Unknown)
        );
        assert!(!classify_failure(TransportFailure::Aborted).retryable);
    }

    #[test]
    fn seed_defect_15_keeps_the_servers_message() {
        // The seed turned every 404 into "Resource unknown not found".
        let c = classify_response(
            404,
            &no_headers(),
            Some(r#"{"error":"Listing 123 does not exist"}"#),
            None,
        );
        assert_eq!(c.message.as_deref(), Some("Listing 123 does not exist"));
        assert_eq!(c.status, Some(404));
    }

    #[test]
    fn rate_limits_carry_the_servers_delay() {
        let h = vec![("Retry-After", "7")];
        let c = classify_response(429, &h, Some("slow down"), None);
        assert_eq!(c.server_delay_ms, Some(7000));
        assert_eq!(c.effect, Effect::NotApplied);
        // Etsy's 429 may carry no Retry-After, only an empty per-second window.
        let etsy = vec![("x-remaining-this-second", "0")];
        assert_eq!(
            classify_response(429, &etsy, None, None).server_delay_ms,
            Some(1000)
        );
        // ...or nothing at all.
        assert_eq!(
            classify_response(429, &no_headers(), None, None).server_delay_ms,
            None
        );
        // A garbage Retry-After is ignored, not fatal.
        let junk = vec![("retry-after", "whenever")];
        assert_eq!(
            classify_response(503, &junk, None, None).server_delay_ms,
            None
        );
    }

    #[test]
    fn success_ignores_retry_after_and_bodies() {
        let h = vec![("Retry-After", "7")];
        let c = classify_response(200, &h, Some(r#"{"error":"not really"}"#), None);
        assert!(c.is_success());
        assert_eq!((c.server_delay_ms, c.message), (None, None));
    }

    #[test]
    fn failures_are_typed_by_code_then_name() {
        let f = |c: &[&'static str], n: &[&'static str]| {
            TransportFailure::from_error(c.iter().copied(), n.iter().copied())
        };
        assert_eq!(f(&["ECONNREFUSED"], &[]), TransportFailure::ConnectRefused);
        assert_eq!(f(&["", "ENOTFOUND"], &[]), TransportFailure::Dns);
        assert_eq!(f(&["EAI_AGAIN"], &[]), TransportFailure::Dns);
        assert_eq!(
            f(&["UND_ERR_HEADERS_TIMEOUT"], &[]),
            TransportFailure::Timeout
        );
        assert_eq!(
            f(&["UND_ERR_SOCKET"], &["TimeoutError"]),
            TransportFailure::Reset
        );
        assert_eq!(f(&["EPIPE"], &[]), TransportFailure::Reset);
        assert_eq!(f(&[], &["TimeoutError"]), TransportFailure::Timeout);
        assert_eq!(f(&[], &["AbortError"]), TransportFailure::Aborted);
        // Unknown: the request may have reached the server.
        assert_eq!(f(&["EWHAT"], &["TypeError"]), TransportFailure::Reset);
    }

    #[test]
    fn one_outcome_rule_for_every_building_block() {
        let none: &[(&str, &str)] = &[];
        let outcome = |threw, response: Option<(u16, &[(&str, &str)])>| {
            classify_outcome(
                FnOutcome {
                    threw,
                    response,
                    failure: TransportFailure::ConnectRefused,
                },
                None,
            )
        };
        // A resolved value: a success, unless it is an error response.
        assert_eq!(outcome(false, None), None);
        assert_eq!(outcome(false, Some((200, none))), None);
        let c = outcome(false, Some((503, none))).unwrap();
        assert_eq!((c.category, c.status), (Some(Category::Server), Some(503)));
        let h: &[(&str, &str)] = &[("Retry-After", "3")];
        assert_eq!(
            outcome(false, Some((429, h))).unwrap().server_delay_ms,
            Some(3000)
        );
        // A throw: its response, else a transport failure by its codes.
        assert_eq!(
            outcome(true, Some((404, none))).unwrap().category,
            Some(Category::NotFound)
        );
        let c = outcome(true, None).unwrap();
        assert_eq!(
            (c.category, c.transport),
            (
                Some(Category::Network),
                Some(TransportFailure::ConnectRefused)
            )
        );
    }

    #[test]
    fn a_status_is_a_whole_number_from_100_to_999() {
        for (n, s) in [(100.0, Some(100)), (503.0, Some(503)), (999.0, Some(999))] {
            assert_eq!(status_from_number(n), s);
        }
        for n in [99.0, 1000.0, 200.5, f64::NAN, f64::INFINITY, -200.0] {
            assert_eq!(status_from_number(n), None, "{n}");
        }
    }
}
