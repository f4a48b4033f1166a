//! Time as data: the host supplies every instant.
//!
//! The core never reads a clock. Every state machine takes `now: Millis`, a
//! monotonic instant in milliseconds from an origin the host chooses (in
//! JavaScript, `performance.now()`; in the simulation, the simulated clock).
//! Keeping time an argument is what lets the simulation run a day of traffic
//! in milliseconds and replay it exactly from a seed.
//!
//! Time must not go backwards. If a host feeds an earlier instant anyway, every
//! machine clamps (treats it as the latest instant it has seen) instead of
//! panicking or underflowing; the [engine](crate::engine::Engine) goes
//! further and takes a clock set back by more than
//! [`SET_BACK_TOLERANCE_MS`](crate::engine::SET_BACK_TOLERANCE_MS) as no
//! time passing, so that its waits keep their length. Arithmetic on instants
//! saturates: an instant near [`Millis::MAX`] is "never", not a wrap-around.

use core::fmt;

/// A monotonic instant: milliseconds since a host-chosen origin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Millis(pub u64);

impl Millis {
    /// The origin.
    pub const ZERO: Millis = Millis(0);
    /// The far future: "never", used for waits that have no end.
    pub const MAX: Millis = Millis(u64::MAX);

    /// This instant moved `ms` milliseconds later, saturating at [`Millis::MAX`].
    #[must_use]
    pub const fn plus(self, ms: u64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, or 0 if `earlier` is later.
    #[must_use]
    pub const fn since(self, earlier: Millis) -> u64 {
        self.0.saturating_sub(earlier.0)
    }

    /// Milliseconds from `self` until `later`, or 0 if `later` has passed.
    #[must_use]
    pub const fn until(self, later: Millis) -> u64 {
        later.0.saturating_sub(self.0)
    }

    /// The raw millisecond count.
    #[must_use]
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// Wall-clock time as milliseconds since the Unix epoch.
///
/// Only needed to read an HTTP-date (`Retry-After: Wed, 21 Oct 2026 07:28:00
/// GMT`) or an epoch-seconds reset header; the host passes it alongside the
/// monotonic `now`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct UnixMillis(pub u64);

/// A clamp that keeps a machine's notion of time monotonic.
///
/// Hosts should never feed an earlier instant, but a wrong host must not make
/// a machine underflow or panic: `observe` answers the later of the two.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct MonotonicClamp {
    latest: Millis,
}

impl MonotonicClamp {
    /// The latest instant observed.
    pub(crate) const fn latest(&self) -> Millis {
        self.latest
    }

    /// The later of `now` and every instant observed before.
    pub(crate) fn observe(&mut self, now: Millis) -> Millis {
        if now > self.latest {
            self.latest = now;
        }
        self.latest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        assert_eq!(Millis::MAX.plus(5), Millis::MAX);
        assert_eq!(Millis(3).since(Millis(10)), 0);
        assert_eq!(Millis(10).until(Millis(3)), 0);
        assert_eq!(Millis(10).until(Millis(13)), 3);
    }

    #[test]
    fn clamp_never_goes_backwards() {
        let mut c = MonotonicClamp::default();
        assert_eq!(c.observe(Millis(100)), Millis(100));
        assert_eq!(c.observe(Millis(40)), Millis(100));
        assert_eq!(c.observe(Millis(140)), Millis(140));
    }
}
