//! HTTP methods and the one question the core asks of them: may a request be
//! sent twice?
//!
//! RFC 9110 §9.2.2 calls GET, HEAD, OPTIONS, TRACE, PUT and DELETE idempotent:
//! repeating them has the effect of sending them once. POST and PATCH are not:
//! a retried POST after a timeout can create a second listing or a second
//! order (seed defect 6). An `Idempotency-Key` header makes the server
//! deduplicate, which makes any method safe to repeat.

use core::fmt;
use core::str::FromStr;

use crate::error::ConfigError;

/// An HTTP request method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "UPPERCASE"))]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
    /// `TRACE`
    Trace,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `POST`
    Post,
    /// `PATCH`
    Patch,
}

impl Method {
    /// Whether repeating the request has the effect of sending it once
    /// (RFC 9110 §9.2.2). POST and PATCH are the exceptions.
    #[must_use]
    pub const fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post | Method::Patch)
    }

    /// The method's name as sent on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Method {
    type Err = ConfigError;

    /// Parses a method name, case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const ALL: [Method; 8] = [
            Method::Get,
            Method::Head,
            Method::Options,
            Method::Trace,
            Method::Put,
            Method::Delete,
            Method::Post,
            Method::Patch,
        ];
        ALL.into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or(ConfigError::UnknownMethod)
    }
}

/// Whether a request may be sent again after an attempt whose fate is unknown.
///
/// True for idempotent methods, and for any method that carries an
/// idempotency key (the server deduplicates by key).
#[must_use]
pub const fn may_repeat(method: Method, has_idempotency_key: bool) -> bool {
    has_idempotency_key || method.is_idempotent()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_and_patch_are_the_only_unsafe_methods() {
        assert!(!Method::Post.is_idempotent());
        assert!(!Method::Patch.is_idempotent());
        for m in [Method::Get, Method::Put, Method::Delete, Method::Head] {
            assert!(m.is_idempotent(), "{m}");
        }
        assert!(may_repeat(Method::Post, true));
        assert!(!may_repeat(Method::Post, false));
    }

    #[test]
    fn parses_case_insensitively_and_rejects_unknown() {
        assert_eq!("patch".parse::<Method>(), Ok(Method::Patch));
        assert_eq!("GeT".parse::<Method>(), Ok(Method::Get));
        assert_eq!("BREW".parse::<Method>(), Err(ConfigError::UnknownMethod));
    }
}
