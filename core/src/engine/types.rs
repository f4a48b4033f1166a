//! The engine's inputs and outputs: what a host hands in and what it is told
//! to do.

use alloc::string::String;
use alloc::vec::Vec;

use crate::breaker::{BreakerConfig, CircuitState, StateChange};
use crate::classify::Category;
use crate::limiter::{LimiterConfig, LimiterStatus};
use crate::method::Method;
use crate::monitor::{MonitorConfig, MonitorSummary};
use crate::retry::{GiveUp, RetryBudgetConfig, RetryConfig};
use crate::time::{Millis, UnixMillis};

/// Everything one API client's engine is configured with.
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct EngineConfig {
    /// Retry rules for every call.
    pub retry: RetryConfig,
    /// The breaker shared by every call.
    pub breaker: BreakerConfig,
    /// The limiter shared by every call.
    pub limiter: LimiterConfig,
    /// The error monitor shared by every call.
    pub monitor: MonitorConfig,
    /// A retry budget shared by every call (`None`: no budget).
    pub budget: Option<RetryBudgetConfig>,
    /// Each attempt's timeout unless the call sets its own (the seed's 30 s).
    pub attempt_timeout_ms: u64,
    /// Seed of the jitter generator (the host seeds it from real entropy,
    /// the simulation from its run seed).
    pub seed: u64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            retry: RetryConfig::default(),
            breaker: BreakerConfig::default(),
            limiter: LimiterConfig::default(),
            monitor: MonitorConfig::default(),
            budget: Some(RetryBudgetConfig::default()),
            attempt_timeout_ms: 30_000,
            seed: 0x5EED,
        }
    }
}

/// Identifies one logical call for as long as it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CallId(pub u64);

/// What the engine needs to know about a request. The request itself (URL,
/// body, headers, credentials) stays with the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestMeta<'a> {
    /// The method.
    pub method: Method,
    /// The path (or URL) — used, normalised, for monitoring and errors.
    pub endpoint: &'a str,
    /// Whether the request carries an `Idempotency-Key`.
    pub idempotency_key: bool,
    /// This call's per-attempt timeout (else the engine's).
    pub timeout_ms: Option<u64>,
    /// This call's overall deadline from its start (else the retry config's).
    pub deadline_ms: Option<u64>,
}

impl RequestMeta<'_> {
    /// The longest per-call attempt timeout: a day.
    pub const MAX_TIMEOUT_MS: u64 = 86_400_000;

    /// Checks a call's own limits as a user gives them: `init.timeoutMs` in
    /// 1..=[`Self::MAX_TIMEOUT_MS`], `init.deadlineMs` at least 1 (a zero
    /// would end the call before its first attempt).
    ///
    /// # Errors
    /// [`crate::ConfigError::OutOfRange`] naming the option.
    pub fn check_limits(
        timeout_ms: Option<u64>,
        deadline_ms: Option<u64>,
    ) -> Result<(), crate::ConfigError> {
        if let Some(t) = timeout_ms {
            crate::error::check_u64("init.timeoutMs", t, 1, Self::MAX_TIMEOUT_MS)?;
        }
        if let Some(d) = deadline_ms {
            crate::error::check_u64("init.deadlineMs", d, 1, (1 << 53) - 1)?;
        }
        Ok(())
    }
}

/// An HTTP response as the host received it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseMeta<'a> {
    /// The status code.
    pub status: u16,
    /// Header fields, any case.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body as text, if it was read (for the server's message).
    pub body: Option<&'a str>,
    /// The wall clock at receipt (to read HTTP-date `Retry-After`).
    pub wall: Option<UnixMillis>,
}

/// Why a call failed, as a user branches on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case", tag = "kind"))]
#[non_exhaustive]
pub enum FailureKind {
    /// The last attempt failed and the retry policy gave up, for `reason`.
    GaveUp {
        /// Why no further attempt was made.
        reason: GiveUp,
    },
    /// The circuit is open and the call could not wait for it.
    CircuitOpen,
    /// The server asked for a pause longer than the call could wait.
    RateLimited,
    /// The daily quota is spent.
    QuotaExhausted,
    /// The call's deadline passed.
    DeadlineExceeded,
    /// The caller cancelled it.
    Cancelled,
    /// The host closed the client ([`super::Engine::close`]).
    Closed,
    /// A header function threw or gave no valid value
    /// ([`super::Engine::handle_header_failure`]): the attempt was not sent.
    HeaderFailed,
    /// The auth refresh hook failed ([`super::Engine::handle_refreshed`]).
    AuthRefreshFailed,
    /// The auth refresh hook outlived `auth.timeoutMs`.
    AuthRefreshTimeout,
}

/// A call that ended without success. Carries no secret: the server message
/// is scrubbed of every registered secret before it lands here.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct CallFailure {
    /// Why it failed.
    pub kind: FailureKind,
    /// The last attempt's category, if an attempt was made.
    pub category: Option<Category>,
    /// The last HTTP status, if any.
    pub status: Option<u16>,
    /// When it would make sense to try again, if known.
    pub retry_after_ms: Option<u64>,
    /// Attempts sent.
    pub attempts: u32,
    /// Whether trying again later could succeed.
    pub retryable: bool,
    /// The method.
    pub method: Method,
    /// The normalised endpoint.
    pub endpoint: String,
    /// The server's message (cut short, secrets removed).
    pub message: Option<String>,
}

impl CallFailure {
    /// How a call made on a closed client ends, unsent: kind
    /// [`FailureKind::Closed`], no attempt, nothing to classify, not worth
    /// trying again; `endpoint` is the call's path or URL, named as
    /// [`crate::monitor::normalize_endpoint`] names it. What
    /// [`super::Engine::start`] answers after [`super::Engine::close`], for
    /// a host that freed the engine on closing and has none left to ask.
    #[must_use]
    pub fn closed(method: Method, endpoint: &str) -> Self {
        Self {
            kind: FailureKind::Closed,
            category: None,
            status: None,
            retry_after_ms: None,
            attempts: 0,
            retryable: false,
            method,
            endpoint: crate::monitor::normalize_endpoint(endpoint),
            message: None,
        }
    }
}

/// A call that ended with a successful response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CallSuccess {
    /// The status code.
    pub status: u16,
    /// Attempts sent (1 = no retry).
    pub attempts: u32,
}

/// Something the host may want to tell its users about.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A failed attempt will be retried after `delay_ms`.
    Retry {
        /// The call.
        call: CallId,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// The wait before the next attempt.
        delay_ms: u64,
        /// What went wrong.
        category: Category,
        /// The status, if there was a response.
        status: Option<u16>,
    },
    /// A call waits because the server asked for a pause.
    RateLimited {
        /// The call.
        call: CallId,
        /// When it will ask again.
        until: Millis,
    },
    /// A circuit changed state.
    StateChange {
        /// From what to what, and when.
        change: StateChange,
        /// The endpoint whose circuit it is (`None`: the client's one
        /// circuit, the default scope).
        endpoint: Option<String>,
    },
    /// The error monitor crossed its threshold.
    Alert(alloc::boxed::Box<MonitorSummary>),
    /// The error monitor fell back below its threshold.
    Recovered(alloc::boxed::Box<MonitorSummary>),
    /// An attempt was answered or timed out (only while
    /// [`Listening::attempt`]). Told before the retry or the end it leads
    /// to; an attempt a cancel or `close` aborts is not told.
    Attempt {
        /// The call.
        call: CallId,
        /// Which attempt (1-based).
        attempt: u32,
        /// The status, if there was a response.
        status: Option<u16>,
        /// What went wrong (`None`: it succeeded).
        category: Option<Category>,
        /// From its send to its answer or timeout, on the host's clock.
        latency_ms: u64,
        /// Whether another attempt follows.
        will_retry: bool,
    },
    /// A call ended with a success (only while [`Listening::success`]),
    /// told just before its [`Output::Done`].
    Success {
        /// The call.
        call: CallId,
        /// The status code.
        status: u16,
        /// Attempts sent.
        attempts: u32,
        /// From its start to its end.
        latency_ms: u64,
    },
    /// A call ended without success (only while [`Listening::failure`]),
    /// told just before its [`Output::Done`].
    Failure {
        /// The call.
        call: CallId,
        /// Why.
        kind: FailureKind,
        /// Its category as the error shows it ([`CallFailure::category_name`]).
        category: &'static str,
        /// The last HTTP status, if any.
        status: Option<u16>,
        /// Attempts sent.
        attempts: u32,
        /// From its start to its end.
        latency_ms: u64,
    },
}

/// Which of the per-call events the host wants ([`super::Engine::listen`]).
/// Off by default: an event nobody listens to is neither made nor queued,
/// so a call costs the same as without them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
pub struct Listening {
    /// [`Event::Attempt`].
    pub attempt: bool,
    /// [`Event::Success`].
    pub success: bool,
    /// [`Event::Failure`].
    pub failure: bool,
}

/// What the host must do next.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
#[non_exhaustive]
pub enum Output {
    /// Send attempt `attempt` of `call` now, and report its outcome with
    /// [`super::Engine::handle_response`] or [`super::Engine::handle_failure`].
    /// The engine times it out itself after `timeout_ms`.
    Send {
        /// The call.
        call: CallId,
        /// 1-based attempt number.
        attempt: u32,
        /// The attempt's timeout.
        timeout_ms: u64,
    },
    /// Abort the in-flight attempt (it timed out, or the call was
    /// cancelled); its outcome, if it still comes, is ignored.
    Abort {
        /// The call.
        call: CallId,
        /// The attempt.
        attempt: u32,
    },
    /// The call ended; this is its one and only result.
    Done {
        /// The call.
        call: CallId,
        /// Success, or why not.
        result: Result<CallSuccess, CallFailure>,
    },
    /// Something worth telling users.
    Event(Event),
    /// Run the auth refresh hook (a 401 asked for new credentials), then
    /// report with [`super::Engine::handle_refreshed`] and `generation`.
    /// Only with [`super::Engine::enable_auth_refresh`]; one at a time.
    Refresh {
        /// The refresh's number.
        generation: u32,
    },
}

/// One circuit as `health()` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct CircuitHealth {
    /// The endpoint it guards (`None`: the whole client).
    pub endpoint: Option<String>,
    /// Its state.
    pub state: CircuitState,
    /// When it starts probing, if open.
    pub open_until: Option<Millis>,
    /// Half-open probes in flight.
    pub probes_in_flight: u32,
}

/// Measured state only: what the breakers, limiter and monitor hold now.
/// Instants are on the host's clock.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct Health {
    /// The circuit's state; with one breaker per endpoint, the most severe
    /// of them (open, then half-open, then closed).
    pub circuit: CircuitState,
    /// When the open circuit starts probing (with several open, the last).
    pub circuit_open_until: Option<Millis>,
    /// Every live circuit.
    pub circuits: Vec<CircuitHealth>,
    /// The limiter's status.
    pub limiter: LimiterStatus,
    /// The monitor's summary.
    pub monitor: MonitorSummary,
    /// Calls started and not yet ended.
    pub active_calls: usize,
    /// Attempts sent and not yet answered.
    pub in_flight: usize,
}

/// Checks the settings that belong to the engine itself (each machine checks
/// its own).
pub(crate) fn check_engine_config(config: &EngineConfig) -> Result<(), crate::ConfigError> {
    crate::error::check_u64("attemptTimeoutMs", config.attempt_timeout_ms, 1, 86_400_000)?;
    Ok(())
}
