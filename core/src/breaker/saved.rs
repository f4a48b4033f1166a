//! A circuit's part of the snapshot: its state and until-when, written only
//! when it knows something (a closed circuit with no failure counted is
//! left out), and read back with every field checked.
//!
//! ```text
//! {"endpoint":"/listings/{id}","state":"open","until":1765000030000,"trips":1}
//! {"endpoint":"/shops/{id}","state":"closed","failures":2,"outcomes":"sfsff"}
//! ```
//!
//! Instants are wall-clock milliseconds since 1970. The failure-rate
//! window, when one is configured and holds calls, goes as `outcomes`
//! (a count window: `s` success, `f` failure, oldest first) or `buckets`
//! (a time window: `[end, calls, failures]`, each slice's last instant).

use alloc::string::String;
use alloc::vec::Vec;

use super::window::OutcomeWindow;
use super::{CircuitBreaker, CircuitState, Phase};
use crate::codec::{nums, Fields, Json, Out, Problem, SnapshotError, MAX_NUMBER};
use crate::time::Millis;

/// One circuit as saved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SavedCircuit {
    /// The normalised endpoint it guards, or `None` for the whole client.
    pub endpoint: Option<String>,
    /// Open (until [`SavedCircuit::until`]), half-open, or closed.
    pub state: CircuitState,
    /// Closed: failures in a row so far.
    pub failures: u32,
    /// Half-open: probe successes so far.
    pub successes: u32,
    /// Open: when it half-opens, wall-clock ms.
    pub until: Millis,
    /// Trips since it last closed (they grow the open time).
    pub trips: u32,
    /// A count window's outcomes, oldest first (`true`: a failure).
    pub outcomes: Vec<bool>,
    /// A time window's slices with calls: `[last instant, calls, failures]`.
    pub buckets: Vec<[u64; 3]>,
}

impl CircuitBreaker {
    /// Its saved part, with instants through `wall` (engine → wall clock);
    /// `None` when it knows nothing a fresh breaker does not.
    pub(crate) fn save(
        &self,
        endpoint: Option<&str>,
        wall: impl Fn(Millis) -> Millis,
    ) -> Option<SavedCircuit> {
        let mut s = SavedCircuit {
            endpoint: endpoint.map(String::from),
            trips: self.trips,
            ..SavedCircuit::default()
        };
        match self.phase {
            Phase::Closed {
                consecutive_failures,
            } => s.failures = consecutive_failures,
            Phase::Open { until } => {
                s.state = CircuitState::Open;
                s.until = wall(until);
            }
            Phase::HalfOpen { successes, .. } => {
                s.state = CircuitState::HalfOpen;
                s.successes = successes;
            }
        }
        match &self.window {
            Some(OutcomeWindow::Count {
                ring, next, filled, ..
            }) => {
                let len = ring.len().max(1);
                let first = (next + len - filled.min(&len)) % len;
                for i in 0..*filled {
                    if let Some(&failed) = ring.get((first + i) % len) {
                        s.outcomes.push(failed);
                    }
                }
            }
            Some(OutcomeWindow::Time { width_ms, buckets }) => {
                // Oldest first, slot by slot (no sort: it weighs kilobytes
                // in the WebAssembly module).
                let len = buckets.len() as u64;
                let newest = buckets.iter().map(|b| b.slot).max().unwrap_or(0);
                let oldest = newest.saturating_sub(len.saturating_sub(1));
                for slot in oldest..=newest {
                    if let Some(b) = buckets.get((slot % len.max(1)) as usize) {
                        if b.slot == slot && b.calls > 0 {
                            let end = slot.saturating_add(1).saturating_mul(*width_ms);
                            s.buckets.push([
                                wall(Millis(end.saturating_sub(1))).as_u64(),
                                u64::from(b.calls),
                                u64::from(b.failures),
                            ]);
                        }
                    }
                }
            }
            None => {}
        }
        let fresh = s.state == CircuitState::Closed
            && s.failures == 0
            && s.trips == 0
            && !s.outcomes.contains(&true)
            && !s.buckets.iter().any(|b| b[2] > 0);
        (!fresh).then_some(s)
    }

    /// Takes a saved circuit's state (its instants already on the engine's
    /// time line). A window of another shape than the one saved starts
    /// empty. Probes are never in flight.
    pub(crate) fn load(&mut self, s: &SavedCircuit) {
        self.trips = s.trips;
        self.phase = match s.state {
            CircuitState::Closed => Phase::Closed {
                consecutive_failures: s.failures,
            },
            CircuitState::Open => Phase::Open { until: s.until },
            CircuitState::HalfOpen => Phase::HalfOpen {
                in_flight: 0,
                successes: s.successes,
            },
        };
        match &mut self.window {
            Some(w @ OutcomeWindow::Count { .. }) => {
                for &failed in &s.outcomes {
                    w.push(failed, Millis::ZERO);
                }
            }
            Some(OutcomeWindow::Time { width_ms, buckets }) => {
                let len = buckets.len().max(1) as u64;
                for &[at, calls, failures] in &s.buckets {
                    let slot = at / (*width_ms).max(1);
                    if let Some(b) = buckets.get_mut((slot % len) as usize) {
                        b.slot = slot;
                        b.calls = u32::try_from(calls).unwrap_or(u32::MAX);
                        b.failures = u32::try_from(failures.min(calls)).unwrap_or(u32::MAX);
                    }
                }
            }
            None => {}
        }
    }
}

impl SavedCircuit {
    /// Writes it as an object.
    pub(crate) fn write(&self, o: &mut Out) {
        o.open('{');
        if let Some(e) = &self.endpoint {
            o.key("endpoint").text(e);
        }
        // The names health() and stateChange events use.
        o.key("state").text(self.state.as_str());
        o.num_field("until", self.until.as_u64())
            .num_field("failures", self.failures.into())
            .num_field("successes", self.successes.into())
            .num_field("trips", self.trips.into());
        if !self.outcomes.is_empty() {
            let text: String = self
                .outcomes
                .iter()
                .map(|&f| if f { 'f' } else { 's' })
                .collect();
            o.key("outcomes").text(&text);
        }
        if !self.buckets.is_empty() {
            o.key("buckets").open('[');
            for b in &self.buckets {
                o.open('[');
                for &n in b {
                    o.num(n);
                }
                o.close(']');
            }
            o.close(']');
        }
        o.close('}');
    }

    /// Reads one back, every field checked.
    pub(crate) fn read(v: Json, path: String) -> Result<Self, SnapshotError> {
        let mut f = Fields::of(v, path)?;
        let state = match f.text("state")?.as_deref() {
            Some("closed") | None => CircuitState::Closed,
            Some("open") => CircuitState::Open,
            Some("half_open") => CircuitState::HalfOpen,
            Some(_) => return Err(f.error("state", Problem::Range)),
        };
        let until = Millis(f.num_or_0("until", MAX_NUMBER)?);
        if state == CircuitState::Open && until == Millis::ZERO {
            return Err(f.error("until", Problem::Missing));
        }
        let outcomes = match f.text("outcomes")? {
            None => Vec::new(),
            Some(t) if t.len() <= 10_000 && t.bytes().all(|b| b == b's' || b == b'f') => {
                t.bytes().map(|b| b == b'f').collect()
            }
            Some(_) => return Err(f.error("outcomes", Problem::Range)),
        };
        let buckets = f.list("buckets", 10_000, |b, path| {
            let n = nums::<3>(&b, path.clone(), MAX_NUMBER)?;
            if n[2] > n[1] || n[1] > u64::from(u32::MAX) {
                return Err(SnapshotError::new(path, Problem::Range));
            }
            Ok(n)
        })?;
        let s = SavedCircuit {
            endpoint: f.text("endpoint")?,
            state,
            until,
            failures: f.count("failures")?,
            successes: f.count("successes")?,
            trips: f.count("trips")?,
            outcomes,
            buckets,
        };
        f.done()?;
        Ok(s)
    }
}
