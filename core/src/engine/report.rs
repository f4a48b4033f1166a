//! A failed call in the words its user branches on: the kind, the
//! category, the message.
//!
//! Every host shows a [`CallFailure`] the same way (the npm package's
//! `ResilienceError`): which category a failure with no attempt to classify
//! has (an open circuit is the server's, a spent quota is a rate limit), and
//! the message when the server gave none. Written once, here, so that no
//! host decides it.

use alloc::string::String;

use super::{CallFailure, FailureKind};
use crate::decimal::push_decimal;

/// How a [`CallFailure`] is shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureReport {
    /// `gave_up`, `circuit_open`, `rate_limited`, `quota_exhausted`,
    /// `deadline_exceeded`, `cancelled`, `closed`, `header_failed`,
    /// `auth_refresh_failed`, `auth_refresh_timeout`.
    pub kind: &'static str,
    /// The last attempt's category; with no attempt to classify, the one
    /// that says why (`server` for an open circuit, `rate_limit` for a wait
    /// or a quota, `timeout` for a deadline, else `unknown`); `auth` for a
    /// header function or an auth refresh that failed, whatever came before.
    pub category: &'static str,
    /// Why the retry policy gave up (`gave_up` only).
    pub reason: Option<&'static str>,
    /// The server's message, else a sentence naming the call and why.
    pub message: String,
    /// Whether trying again later could succeed (never after `close`).
    pub retryable: bool,
}

impl crate::breaker::Rejected {
    /// How a call the breaker alone refused fails, in the words of every
    /// other failure: kind `circuit_open`, category `server` (the circuit
    /// opened because the service failed), worth trying again later. Here,
    /// not beside `Rejected`, so that the breaker does not depend on the
    /// engine.
    #[must_use]
    pub fn report(&self) -> FailureReport {
        FailureReport {
            kind: "circuit_open",
            category: Self::CATEGORY,
            reason: None,
            message: String::from("circuit open, not called"),
            retryable: true,
        }
    }
}

impl FailureKind {
    /// Every kind's name, in the order of [`FailureKind::index`] (the order
    /// `stats()` counts them in).
    pub const NAMES: [&'static str; crate::monitor::stats::FAILURE_KINDS] = [
        "gave_up",
        "circuit_open",
        "rate_limited",
        "quota_exhausted",
        "deadline_exceeded",
        "cancelled",
        "closed",
        "header_failed",
        "auth_refresh_failed",
        "auth_refresh_timeout",
    ];

    /// Its position in [`FailureKind::NAMES`].
    #[must_use]
    pub const fn index(self) -> usize {
        match self {
            FailureKind::GaveUp { .. } => 0,
            FailureKind::CircuitOpen => 1,
            FailureKind::RateLimited => 2,
            FailureKind::QuotaExhausted => 3,
            FailureKind::DeadlineExceeded => 4,
            FailureKind::Cancelled => 5,
            FailureKind::Closed => 6,
            FailureKind::HeaderFailed => 7,
            FailureKind::AuthRefreshFailed => 8,
            FailureKind::AuthRefreshTimeout => 9,
        }
    }

    /// Its name, as `error.kind` gives it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureKind::GaveUp { .. } => "gave_up",
            FailureKind::CircuitOpen => "circuit_open",
            FailureKind::RateLimited => "rate_limited",
            FailureKind::QuotaExhausted => "quota_exhausted",
            FailureKind::DeadlineExceeded => "deadline_exceeded",
            FailureKind::Cancelled => "cancelled",
            FailureKind::Closed => "closed",
            FailureKind::HeaderFailed => "header_failed",
            FailureKind::AuthRefreshFailed => "auth_refresh_failed",
            FailureKind::AuthRefreshTimeout => "auth_refresh_timeout",
        }
    }
}

impl CallFailure {
    /// The category a user sees: the last attempt's; with no attempt to
    /// classify, the one that says why (see [`FailureReport::category`]).
    #[must_use]
    pub const fn category_name(&self) -> &'static str {
        match (self.category, self.kind) {
            // Whatever the last attempt was, the credentials are why.
            (
                _,
                FailureKind::HeaderFailed
                | FailureKind::AuthRefreshFailed
                | FailureKind::AuthRefreshTimeout,
            ) => "auth",
            (Some(c), _) => c.as_str(),
            (None, FailureKind::CircuitOpen) => crate::breaker::Rejected::CATEGORY,
            (None, FailureKind::RateLimited | FailureKind::QuotaExhausted) => "rate_limit",
            (None, FailureKind::DeadlineExceeded) => "timeout",
            (None, _) => "unknown",
        }
    }

    /// This failure as its user sees it.
    #[must_use]
    pub fn report(&self) -> FailureReport {
        let kind = self.kind.as_str();
        let reason = match self.kind {
            FailureKind::GaveUp { reason } => Some(reason.as_str()),
            _ => None,
        };
        let category = self.category_name();
        let message = match &self.message {
            Some(message) => message.clone(),
            None => self.describe(category),
        };
        FailureReport {
            kind,
            category,
            reason,
            message,
            retryable: self.retryable && self.kind != FailureKind::Closed,
        }
    }
}

impl CallFailure {
    /// The message of a failure the server gave no words for: the call,
    /// then what became of it (`GET /users: rate limited`, `GET /users
    /// failed with status 503 (server)`).
    fn describe(&self, category: &str) -> String {
        let mut out = String::from(self.method.as_str());
        out.push(' ');
        out.push_str(&self.endpoint);
        out.push_str(match self.kind {
            FailureKind::Closed => ": the client is closed",
            FailureKind::CircuitOpen => ": circuit open, not sent",
            FailureKind::RateLimited => ": rate limited",
            FailureKind::QuotaExhausted => ": daily quota exhausted",
            FailureKind::DeadlineExceeded => ": deadline exceeded",
            FailureKind::Cancelled => ": cancelled",
            FailureKind::HeaderFailed => ": a header function failed, not sent",
            FailureKind::AuthRefreshFailed => ": auth refresh failed",
            FailureKind::AuthRefreshTimeout => ": auth refresh timed out",
            FailureKind::GaveUp { .. } => " failed",
        });
        if let FailureKind::GaveUp { .. } = self.kind {
            if let Some(status) = self.status {
                out.push_str(" with status ");
                push_decimal(&mut out, u64::from(status));
            }
            out.push_str(" (");
            out.push_str(category);
            out.push(')');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::GiveUp;
    use crate::{Category, Method};

    fn failure(kind: FailureKind) -> CallFailure {
        CallFailure {
            kind,
            category: None,
            status: None,
            retry_after_ms: None,
            attempts: 0,
            retryable: true,
            method: Method::Get,
            endpoint: "/x".into(),
            message: None,
        }
    }

    #[test]
    fn a_failure_without_an_attempt_says_why_in_its_category() {
        let cases = [
            (
                FailureKind::CircuitOpen,
                "circuit_open",
                "server",
                "GET /x: circuit open, not sent",
            ),
            (
                FailureKind::RateLimited,
                "rate_limited",
                "rate_limit",
                "GET /x: rate limited",
            ),
            (
                FailureKind::QuotaExhausted,
                "quota_exhausted",
                "rate_limit",
                "GET /x: daily quota exhausted",
            ),
            (
                FailureKind::DeadlineExceeded,
                "deadline_exceeded",
                "timeout",
                "GET /x: deadline exceeded",
            ),
            (
                FailureKind::Cancelled,
                "cancelled",
                "unknown",
                "GET /x: cancelled",
            ),
            (
                FailureKind::Closed,
                "closed",
                "unknown",
                "GET /x: the client is closed",
            ),
            (
                FailureKind::HeaderFailed,
                "header_failed",
                "auth",
                "GET /x: a header function failed, not sent",
            ),
            (
                FailureKind::AuthRefreshFailed,
                "auth_refresh_failed",
                "auth",
                "GET /x: auth refresh failed",
            ),
            (
                FailureKind::AuthRefreshTimeout,
                "auth_refresh_timeout",
                "auth",
                "GET /x: auth refresh timed out",
            ),
        ];
        assert_eq!(cases.len() + 1, FailureKind::NAMES.len());
        for (kind, name, category, message) in cases {
            assert_eq!(FailureKind::NAMES.get(kind.index()), Some(&name));
            let r = failure(kind).report();
            assert_eq!(
                (r.kind, r.category, r.message.as_str()),
                (name, category, message)
            );
            assert_eq!(r.retryable, kind != FailureKind::Closed, "{name}");
        }
    }

    #[test]
    fn a_failed_attempt_keeps_its_category_and_the_server_s_words() {
        let mut f = failure(FailureKind::GaveUp {
            reason: GiveUp::AttemptsExhausted,
        });
        f.category = Some(Category::Server);
        f.status = Some(503);
        f.attempts = 3;
        let r = f.report();
        assert_eq!(
            (r.kind, r.category, r.reason),
            ("gave_up", "server", Some("attempts_exhausted"))
        );
        assert_eq!(r.message, "GET /x failed with status 503 (server)");
        f.status = None;
        f.category = Some(Category::Network);
        assert_eq!(f.report().message, "GET /x failed (network)");
        f.message = Some("slow down".into());
        assert_eq!(f.report().message, "slow down");
        // An auth failure after a server error is still an auth failure.
        f.kind = FailureKind::HeaderFailed;
        assert_eq!(f.report().category, "auth");
    }
}
