//! Credentials that expire: one shared refresh of the client's auth when a
//! call is refused with a 401, whatever number of calls were refused.
//!
//! An access token that lives an hour makes every call in flight at the
//! hour's end come back 401 at about the same time. Each must not refresh
//! the token on its own: the first 401 asks the host to run its refresh
//! hook ([`AuthStep::Refresh`]); every other 401 that arrives while that
//! refresh is out waits for it ([`AuthStep::Wait`]); a 401 answering a
//! request sent *before* the latest refresh ended is stale — it was sent
//! with the old token — and retries at once with the new one
//! ([`AuthStep::Retry`]; it waits instead if another refresh is out by
//! then). Refreshes are counted (`generation`): a call
//! remembers the count when it sent, which is how staleness is told.
//!
//! A call gets this once: a 401 after its refresh means the new credentials
//! are refused too, and the call fails with category `auth` (the engine's
//! ordinary classification). A refresh that fails, or outlives
//! [`AuthConfig::timeout_ms`], fails every call waiting on it.

use crate::error::{check_u64, ConfigError};
use crate::time::Millis;

/// How the host's refresh hook is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", default))]
pub struct AuthConfig {
    /// How long one refresh may take before the calls waiting on it fail
    /// with `auth_refresh_timeout`; `1..=600_000` (ten minutes), default
    /// 10 s: a token endpoint answers in well under a second, and a call
    /// should not hang on one that does not.
    pub timeout_ms: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self { timeout_ms: 10_000 }
    }
}

impl AuthConfig {
    /// The longest refresh timeout: ten minutes.
    pub const MAX_TIMEOUT_MS: u64 = 600_000;

    /// Checks the settings.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `auth.timeoutMs`.
    pub fn check(&self) -> Result<(), ConfigError> {
        check_u64("auth.timeoutMs", self.timeout_ms, 1, Self::MAX_TIMEOUT_MS).map(|_| ())
    }
}

/// Whether a response asks for fresh credentials: a 401 (a 403 is a
/// permission the token has not, which a new token does not change).
#[must_use]
pub const fn asks_refresh(status: Option<u16>) -> bool {
    matches!(status, Some(401))
}

/// What a call refused with a 401 does next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthStep {
    /// Start a refresh (generation `generation`) and wait for it: the host
    /// runs its hook and reports with [`AuthRefresh::finish`].
    Refresh {
        /// The refresh's number, to name it when it ends.
        generation: u32,
    },
    /// A refresh is out: wait for it.
    Wait,
    /// The request was sent before the latest refresh ended: send again now,
    /// with the new credentials.
    Retry,
}

/// How a refresh ended, for the calls waiting on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshEnd {
    /// New credentials: every waiting call sends again.
    Refreshed,
    /// The hook failed: every waiting call fails (`auth_refresh_failed`).
    Failed,
    /// The hook outlived the timeout: every waiting call fails
    /// (`auth_refresh_timeout`).
    TimedOut,
}

/// Where the refresh stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// No refresh out.
    Idle,
    /// Refresh `generation` is out, given up at `deadline`.
    Refreshing { generation: u32, deadline: Millis },
}

/// The single-flight refresh state machine, shared by a client's calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRefresh {
    config: AuthConfig,
    /// Refreshes that succeeded: the credentials' generation.
    generation: u32,
    state: State,
}

impl AuthRefresh {
    /// A machine with no refresh done yet.
    ///
    /// # Errors
    /// As [`AuthConfig::check`].
    pub fn new(config: AuthConfig) -> Result<Self, ConfigError> {
        config.check()?;
        Ok(Self {
            config,
            generation: 0,
            state: State::Idle,
        })
    }

    /// The credentials' generation: what a request sent now is sent with.
    #[must_use]
    pub const fn generation(&self) -> u32 {
        self.generation
    }

    /// Whether a refresh is out.
    #[must_use]
    pub const fn is_refreshing(&self) -> bool {
        matches!(self.state, State::Refreshing { .. })
    }

    /// A request sent with generation `sent` came back 401 at `now`. While
    /// a refresh is out, every 401 waits for it, even one to a request sent
    /// before the last refresh ended: the credentials it would retry with
    /// are being replaced.
    pub fn on_unauthorized(&mut self, sent: u32, now: Millis) -> AuthStep {
        if self.is_refreshing() {
            return AuthStep::Wait;
        }
        if sent != self.generation {
            return AuthStep::Retry;
        }
        let generation = self.generation.wrapping_add(1);
        self.state = State::Refreshing {
            generation,
            deadline: now.plus(self.config.timeout_ms),
        };
        AuthStep::Refresh { generation }
    }

    /// Refresh `generation` ended (`ok`: the hook succeeded). `None` for a
    /// refresh that is no longer out (it timed out, or an older one).
    pub fn finish(&mut self, generation: u32, ok: bool) -> Option<RefreshEnd> {
        match self.state {
            State::Refreshing { generation: g, .. } if g == generation => {
                self.state = State::Idle;
                if ok {
                    self.generation = generation;
                    Some(RefreshEnd::Refreshed)
                } else {
                    Some(RefreshEnd::Failed)
                }
            }
            _ => None,
        }
    }

    /// When the refresh out is given up, if one is.
    #[must_use]
    pub const fn poll_timeout(&self) -> Option<Millis> {
        match self.state {
            State::Refreshing { deadline, .. } => Some(deadline),
            State::Idle => None,
        }
    }

    /// Time passed: a refresh out past its deadline is given up
    /// ([`RefreshEnd::TimedOut`]); its late end is then ignored.
    pub fn handle_timeout(&mut self, now: Millis) -> Option<RefreshEnd> {
        match self.state {
            State::Refreshing { deadline, .. } if now >= deadline => {
                self.state = State::Idle;
                Some(RefreshEnd::TimedOut)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn machine() -> AuthRefresh {
        AuthRefresh::new(AuthConfig { timeout_ms: 100 }).unwrap()
    }

    #[test]
    fn only_a_401_asks_for_new_credentials() {
        assert!(asks_refresh(Some(401)));
        for s in [None, Some(403), Some(200), Some(429), Some(500)] {
            assert!(!asks_refresh(s), "{s:?}");
        }
    }

    #[test]
    fn the_first_401_refreshes_and_the_others_wait_for_it() {
        let mut a = machine();
        assert_eq!(
            a.on_unauthorized(0, Millis(5)),
            AuthStep::Refresh { generation: 1 }
        );
        assert_eq!(a.poll_timeout(), Some(Millis(105)));
        for _ in 0..19 {
            assert_eq!(a.on_unauthorized(0, Millis(6)), AuthStep::Wait);
        }
        assert_eq!(a.finish(1, true), Some(RefreshEnd::Refreshed));
        assert_eq!(a.generation(), 1);
        assert!(!a.is_refreshing());
        assert_eq!(a.poll_timeout(), None);
        // Ended once: a second report of it is ignored.
        assert_eq!(a.finish(1, true), None);
    }

    #[test]
    fn a_401_to_a_request_sent_before_the_refresh_ended_just_retries() {
        let mut a = machine();
        assert_eq!(
            a.on_unauthorized(0, Millis(0)),
            AuthStep::Refresh { generation: 1 }
        );
        assert_eq!(a.finish(1, true), Some(RefreshEnd::Refreshed));
        assert_eq!(a.on_unauthorized(0, Millis(1)), AuthStep::Retry);
        assert!(!a.is_refreshing());
        // Sent with the new credentials and refused: the next refresh.
        assert_eq!(
            a.on_unauthorized(1, Millis(2)),
            AuthStep::Refresh { generation: 2 }
        );
        // While it is out, even a stale 401 waits: its retry would carry
        // the credentials being replaced.
        assert_eq!(a.on_unauthorized(0, Millis(3)), AuthStep::Wait);
        assert_eq!(a.on_unauthorized(1, Millis(3)), AuthStep::Wait);
    }

    #[test]
    fn a_failed_refresh_keeps_the_old_generation() {
        let mut a = machine();
        let _ = a.on_unauthorized(0, Millis(0));
        assert_eq!(a.finish(1, false), Some(RefreshEnd::Failed));
        assert_eq!(a.generation(), 0);
        assert_eq!(
            a.on_unauthorized(0, Millis(1)),
            AuthStep::Refresh { generation: 1 }
        );
    }

    #[test]
    fn a_refresh_that_hangs_is_given_up_at_its_deadline() {
        let mut a = machine();
        let _ = a.on_unauthorized(0, Millis(10));
        assert_eq!(a.handle_timeout(Millis(109)), None);
        assert_eq!(a.handle_timeout(Millis(110)), Some(RefreshEnd::TimedOut));
        assert_eq!(a.handle_timeout(Millis(500)), None);
        // Its late end changes nothing, nor does it end the next one.
        assert_eq!(a.finish(1, true), None);
        assert_eq!(a.generation(), 0);
        assert_eq!(
            a.on_unauthorized(0, Millis(600)),
            AuthStep::Refresh { generation: 1 }
        );
        assert_eq!(a.finish(0, true), None);
        assert!(a.is_refreshing());
    }

    #[test]
    fn the_timeout_is_checked() {
        assert!(AuthRefresh::new(AuthConfig { timeout_ms: 0 }).is_err());
        assert!(AuthRefresh::new(AuthConfig {
            timeout_ms: AuthConfig::MAX_TIMEOUT_MS + 1
        })
        .is_err());
        assert!(AuthRefresh::new(AuthConfig::default()).is_ok());
    }
}
