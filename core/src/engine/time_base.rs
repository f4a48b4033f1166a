//! The engine's own time line, and how a host's clock maps onto it.
//!
//! A host's monotonic clock starts again near zero in a new process (in
//! JavaScript, `performance.now()` in a restarted extension service worker),
//! while a snapshot holds instants of the old process: an open circuit's end,
//! the daily quota's buckets. A snapshot writes them as wall-clock instants
//! (`t + wall − taken_at`, through a [`TimeBase`] too), and a restored
//! engine's time line *is* the wall clock's, mapped onto the new host clock
//! with a fixed offset chosen at restore:
//!
//! ```text
//! engine time = max(wall now, snapshot's wall) + (host now − host now at restore)
//! ```
//!
//! so the engine sees exactly the real time that passed while the host was
//! gone, measured by the wall clock. A wall clock that went backwards counts
//! as no time passed; nothing is ever moved into the future. Every instant a
//! host gives or receives (`now`, `poll_timeout`, event and health instants)
//! is in the host's clock; the mapping is invisible to it.

use crate::time::Millis;

/// Maps host instants to engine instants and back: `engine = host + ahead −
/// behind`, with at most one of the two non-zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimeBase {
    ahead: u64,
    behind: u64,
}

impl TimeBase {
    /// The mapping under which host instant `host_now` is engine instant
    /// `engine_now`.
    pub(crate) const fn aligning(host_now: Millis, engine_now: Millis) -> Self {
        let (h, e) = (host_now.as_u64(), engine_now.as_u64());
        if e >= h {
            Self {
                ahead: e - h,
                behind: 0,
            }
        } else {
            Self {
                ahead: 0,
                behind: h - e,
            }
        }
    }

    /// A host instant on the engine's time line.
    pub(crate) const fn inward(self, host: Millis) -> Millis {
        Millis(
            host.as_u64()
                .saturating_add(self.ahead)
                .saturating_sub(self.behind),
        )
    }

    /// An engine instant on the host's clock (saturating at the host's
    /// origin and at [`Millis::MAX`], which stays "never").
    pub(crate) const fn outward(self, engine: Millis) -> Millis {
        if engine.as_u64() == u64::MAX {
            return Millis::MAX;
        }
        Millis(
            engine
                .as_u64()
                .saturating_add(self.behind)
                .saturating_sub(self.ahead),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restarted_clock_continues_on_the_wall_clock() {
        // Resumed at wall 10 300 000 with the host clock at 20.
        let base = TimeBase::aligning(Millis(20), Millis(10_300_000));
        assert_eq!(base.inward(Millis(20)), Millis(10_300_000));
        assert_eq!(base.inward(Millis(1020)), Millis(10_301_000));
        assert_eq!(base.outward(Millis(10_360_000)), Millis(60_020));
        assert_eq!(base.outward(Millis::MAX), Millis::MAX);
    }

    #[test]
    fn a_host_clock_ahead_of_the_engine_maps_back() {
        let base = TimeBase::aligning(Millis(10_000), Millis(4_000));
        assert_eq!(base.inward(Millis(10_500)), Millis(4_500));
        assert_eq!(base.outward(Millis(4_500)), Millis(10_500));
        assert_eq!(base.inward(Millis(0)), Millis(0), "saturates at the origin");
    }
}
