//! The failure-rate window: the last N calls, or the calls of the last T ms.
//!
//! Both shapes keep fixed-size storage allocated once at construction, so the
//! breaker's memory does not grow with traffic.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::time::Millis;

/// Which recent calls the failure rate is computed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", tag = "kind"))]
pub enum WindowKind {
    /// The last `size` calls.
    Count {
        /// How many calls.
        size: u32,
    },
    /// The calls of the last `window_ms`, in `buckets` slices.
    Time {
        /// The window's length.
        window_ms: u64,
        /// Slices the window is kept in (the resolution of expiry).
        buckets: u32,
    },
}

/// Why a failure-rate window's options cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// `kind` is neither `"count"` nor `"time"`.
    #[error("{}", self.message())]
    UnknownKind,
    /// An option of the other kind of window was given (`size` with a time
    /// window, `windowMs` or `buckets` with a count window): named.
    #[error("{}", self.message())]
    OtherKind {
        /// The option given (`size`, `windowMs`, `buckets`).
        option: &'static str,
        /// The kind it applies to (`count`, `time`).
        applies_to: &'static str,
    },
}

impl WindowError {
    /// What is wrong, in words (written without `core::fmt`, which the
    /// WebAssembly module does without).
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::UnknownKind => String::from("must be \"count\" or \"time\""),
            Self::OtherKind { applies_to, .. } => {
                let mut out = String::from("applies to a ");
                out.push_str(applies_to);
                out.push_str(" window only");
                out
            }
        }
    }
}

impl WindowKind {
    /// The window a user's options describe. With no `kind`, a `windowMs`
    /// or `buckets` makes it a time window, else it counts calls. Unset
    /// sizes take the defaults: 100 calls, or 60 s in 60 buckets.
    ///
    /// # Errors
    /// An unknown `kind`, or an option of the other kind of window.
    pub fn from_options(
        kind: Option<&str>,
        size: Option<u32>,
        window_ms: Option<u64>,
        buckets: Option<u32>,
    ) -> Result<Self, WindowError> {
        let time = match kind {
            Some("time") => true,
            Some("count") => false,
            None => window_ms.is_some() || buckets.is_some(),
            Some(_) => return Err(WindowError::UnknownKind),
        };
        if time {
            if size.is_some() {
                return Err(WindowError::OtherKind {
                    option: "size",
                    applies_to: "count",
                });
            }
            return Ok(Self::Time {
                window_ms: window_ms.unwrap_or(60_000),
                buckets: buckets.unwrap_or(60),
            });
        }
        for (option, given) in [
            ("windowMs", window_ms.is_some()),
            ("buckets", buckets.is_some()),
        ] {
            if given {
                return Err(WindowError::OtherKind {
                    option,
                    applies_to: "time",
                });
            }
        }
        Ok(Self::Count {
            size: size.unwrap_or(100),
        })
    }
}

/// Calls and failures seen in the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) calls: u64,
    pub(crate) failures: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Bucket {
    pub(crate) slot: u64,
    pub(crate) calls: u32,
    pub(crate) failures: u32,
}

/// A fixed-size record of recent outcomes.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) enum OutcomeWindow {
    Count {
        /// `true` = failure; a ring written at `next`.
        ring: Vec<bool>,
        next: usize,
        filled: usize,
        failures: u64,
    },
    Time {
        width_ms: u64,
        buckets: Vec<Bucket>,
    },
}

impl OutcomeWindow {
    /// An empty window of the given shape (sizes already validated, >= 1).
    pub(crate) fn new(kind: WindowKind) -> Self {
        match kind {
            WindowKind::Count { size } => OutcomeWindow::Count {
                ring: vec![false; size.max(1) as usize],
                next: 0,
                filled: 0,
                failures: 0,
            },
            WindowKind::Time { window_ms, buckets } => {
                let n = u64::from(buckets.max(1));
                OutcomeWindow::Time {
                    width_ms: (window_ms / n).max(1),
                    buckets: vec![Bucket::default(); n as usize],
                }
            }
        }
    }

    /// Records one call's outcome at `now`.
    pub(crate) fn push(&mut self, failed: bool, now: Millis) {
        match self {
            OutcomeWindow::Count {
                ring,
                next,
                filled,
                failures,
            } => {
                // Saturating: a restored window may hold counts that do not
                // add up; it must still never panic.
                if let Some(slot) = ring.get_mut(*next) {
                    if *slot {
                        *failures = failures.saturating_sub(1);
                    }
                    *slot = failed;
                }
                *failures = failures.saturating_add(u64::from(failed));
                *next = next.saturating_add(1) % ring.len().max(1);
                *filled = filled.saturating_add(1).min(ring.len());
            }
            OutcomeWindow::Time { width_ms, buckets } => {
                let slot = now.as_u64() / (*width_ms).max(1);
                let len = buckets.len().max(1) as u64;
                if let Some(b) = buckets.get_mut((slot % len) as usize) {
                    if b.slot != slot {
                        *b = Bucket {
                            slot,
                            calls: 0,
                            failures: 0,
                        };
                    }
                    b.calls = b.calls.saturating_add(1);
                    b.failures = b.failures.saturating_add(u32::from(failed));
                }
            }
        }
    }

    /// Calls and failures still inside the window at `now`.
    pub(crate) fn tally(&self, now: Millis) -> Tally {
        match self {
            OutcomeWindow::Count {
                filled, failures, ..
            } => Tally {
                calls: *filled as u64,
                failures: *failures,
            },
            OutcomeWindow::Time { width_ms, buckets } => {
                let current = now.as_u64() / (*width_ms).max(1);
                let oldest = current.saturating_sub((buckets.len() as u64).saturating_sub(1));
                buckets
                    .iter()
                    .filter(|b| b.calls > 0 && b.slot >= oldest && b.slot <= current)
                    .fold(Tally::default(), |t, b| Tally {
                        calls: t.calls + u64::from(b.calls),
                        failures: t.failures + u64::from(b.failures),
                    })
            }
        }
    }

    /// Forgets every outcome (after the circuit closes again).
    pub(crate) fn clear(&mut self) {
        match self {
            OutcomeWindow::Count {
                ring,
                next,
                filled,
                failures,
            } => {
                ring.iter_mut().for_each(|s| *s = false);
                (*next, *filled, *failures) = (0, 0, 0);
            }
            OutcomeWindow::Time { buckets, .. } => {
                buckets.iter_mut().for_each(|b| *b = Bucket::default());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_window_forgets_the_oldest() {
        let mut w = OutcomeWindow::new(WindowKind::Count { size: 3 });
        for failed in [true, true, false] {
            w.push(failed, Millis(0));
        }
        assert_eq!(
            w.tally(Millis(0)),
            Tally {
                calls: 3,
                failures: 2
            }
        );
        w.push(false, Millis(0));
        w.push(false, Millis(0));
        assert_eq!(
            w.tally(Millis(0)),
            Tally {
                calls: 3,
                failures: 0
            }
        );
    }

    #[test]
    fn time_window_expires_old_buckets() {
        let mut w = OutcomeWindow::new(WindowKind::Time {
            window_ms: 10_000,
            buckets: 10,
        });
        w.push(true, Millis(500));
        w.push(false, Millis(5_500));
        assert_eq!(
            w.tally(Millis(9_999)),
            Tally {
                calls: 2,
                failures: 1
            }
        );
        assert_eq!(
            w.tally(Millis(10_500)),
            Tally {
                calls: 1,
                failures: 0
            }
        );
        assert_eq!(w.tally(Millis(100_000)), Tally::default());
        w.clear();
        assert_eq!(w.tally(Millis(5_500)), Tally::default());
    }
}
