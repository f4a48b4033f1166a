//! The engine's circuit breakers: one for the client, or one per normalised
//! endpoint, bounded in number.
//!
//! With [`BreakerScope::Endpoint`], a failing `/listings/{id}` opens only its
//! own circuit, and a healthy `/shops/{id}` keeps going (the seed kept a
//! registry of named breakers for this). The registry holds at most
//! `max_breakers`; a new endpoint past that takes the place of the least
//! recently used *closed* breaker (one that knows nothing worth keeping), or,
//! if every breaker is open or probing, of the least recently used one.
//!
//! Each breaker carries a generation, so that a permit issued by a breaker
//! that was since dropped is never recorded on its successor.

use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::breaker::{
    BreakerConfig, BreakerScope, CircuitBreaker, CircuitState, SavedCircuit, StateChange,
};
use crate::error::ConfigError;
use crate::time::Millis;

#[derive(Clone, Debug)]
struct Entry {
    /// The endpoint, or `None` for the client's one breaker.
    key: Option<Arc<str>>,
    breaker: CircuitBreaker,
    generation: u64,
    last_used: u64,
}

/// A breaker found for a call: its position now and its generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BreakerRef {
    pub(crate) index: usize,
    pub(crate) generation: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Breakers {
    config: BreakerConfig,
    entries: Vec<Entry>,
    tick: u64,
    next_generation: u64,
}

impl Breakers {
    /// The breakers `config` asks for, none tripped.
    pub(crate) fn new(config: BreakerConfig) -> Result<Self, ConfigError> {
        let mut breakers = Self {
            config,
            entries: Vec::new(),
            tick: 0,
            next_generation: 0,
        };
        if config.scope == BreakerScope::Client {
            breakers.push(None, CircuitBreaker::new(config)?);
        } else {
            // Validate once, even before the first endpoint is seen.
            CircuitBreaker::new(config)?;
        }
        Ok(breakers)
    }

    /// Breakers restored from a snapshot under `config`: each takes its
    /// saved state under the new settings. A snapshot of another scope
    /// cannot be mapped onto this one; its circuits are dropped and counting
    /// starts afresh. Probes in flight in the old process are forgotten.
    pub(crate) fn restore(
        config: BreakerConfig,
        saved: &[SavedCircuit],
        now: Millis,
    ) -> Result<Self, ConfigError> {
        let mut breakers = Self::new(config)?;
        let fits = |s: &&SavedCircuit| match config.scope {
            BreakerScope::Client => s.endpoint.is_none(),
            BreakerScope::Endpoint => s.endpoint.is_some(),
        };
        let max = config.max_breakers as usize;
        for s in saved.iter().filter(fits) {
            let mut breaker = CircuitBreaker::new(config)?;
            breaker.load(s);
            breaker.reconfigure(config, now)?;
            match &s.endpoint {
                None => {
                    if let Some(e) = breakers.entries.first_mut() {
                        e.breaker = breaker;
                    }
                }
                Some(name) if breakers.entries.len() < max => {
                    if !breakers
                        .entries
                        .iter()
                        .any(|e| e.key.as_deref() == Some(name))
                    {
                        breakers.push(Some(name.as_str().into()), breaker);
                    }
                }
                Some(_) => {}
            }
        }
        Ok(breakers)
    }

    fn push(&mut self, key: Option<Arc<str>>, breaker: CircuitBreaker) -> usize {
        self.tick += 1;
        self.next_generation += 1;
        self.entries.push(Entry {
            key,
            breaker,
            generation: self.next_generation,
            last_used: self.tick,
        });
        self.entries.len() - 1
    }

    /// The breaker that guards `endpoint` (made if missing).
    pub(crate) fn find(&mut self, endpoint: &Arc<str>) -> BreakerRef {
        self.tick += 1;
        let tick = self.tick;
        if self.config.scope == BreakerScope::Client {
            return match self.entries.first_mut() {
                Some(e) => {
                    e.last_used = tick;
                    BreakerRef {
                        index: 0,
                        generation: e.generation,
                    }
                }
                None => BreakerRef {
                    index: usize::MAX,
                    generation: 0,
                },
            };
        }
        let found = self.entries.iter().position(|e| {
            e.key
                .as_ref()
                .is_some_and(|k| Arc::ptr_eq(k, endpoint) || **k == **endpoint)
        });
        let index = match found {
            Some(i) => i,
            None => self.make_room_for(endpoint.clone()),
        };
        match self.entries.get_mut(index) {
            Some(e) => {
                e.last_used = tick;
                // Share the caller's name from now on: the next lookup is a
                // pointer comparison.
                e.key = Some(endpoint.clone());
                BreakerRef {
                    index,
                    generation: e.generation,
                }
            }
            None => BreakerRef {
                index: usize::MAX,
                generation: 0,
            },
        }
    }

    /// A fresh breaker for `key`, in a new place or in the place of the
    /// least recently used closed one (else the least recently used).
    fn make_room_for(&mut self, key: Arc<str>) -> usize {
        let fresh = CircuitBreaker::new(self.config);
        let Ok(fresh) = fresh else {
            return usize::MAX; // Validated in `new`: cannot happen.
        };
        if self.entries.len() < self.config.max_breakers as usize {
            return self.push(Some(key), fresh);
        }
        let lru = |closed_only: bool| {
            self.entries
                .iter()
                .enumerate()
                .filter(|(_, e)| !closed_only || e.breaker.is_closed())
                .min_by_key(|(_, e)| e.last_used)
                .map(|(i, _)| i)
        };
        let Some(victim) = lru(true).or_else(|| lru(false)) else {
            return usize::MAX;
        };
        self.next_generation += 1;
        let generation = self.next_generation;
        if let Some(e) = self.entries.get_mut(victim) {
            *e = Entry {
                key: Some(key),
                breaker: fresh,
                generation,
                last_used: self.tick,
            };
        }
        victim
    }

    /// The breaker `r` points at, if it is still that one.
    pub(crate) fn get(&self, r: BreakerRef) -> Option<&CircuitBreaker> {
        self.entries
            .get(r.index)
            .filter(|e| e.generation == r.generation)
            .map(|e| &e.breaker)
    }

    /// [`Breakers::get`], mutably.
    pub(crate) fn get_mut(&mut self, r: BreakerRef) -> Option<&mut CircuitBreaker> {
        self.entries
            .get_mut(r.index)
            .filter(|e| e.generation == r.generation)
            .map(|e| &mut e.breaker)
    }

    /// Every breaker's queued state changes, with the endpoint it guards.
    pub(crate) fn drain_events(&mut self, mut sink: impl FnMut(StateChange, Option<&Arc<str>>)) {
        for e in &mut self.entries {
            while let Some(change) = e.breaker.poll_event() {
                sink(change, e.key.as_ref());
            }
        }
    }

    /// Every live breaker with the endpoint it guards.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Option<&Arc<str>>, &CircuitBreaker)> {
        self.entries.iter().map(|e| (e.key.as_ref(), &e.breaker))
    }

    /// The circuits to save (those that know something), instants through
    /// `wall`.
    pub(crate) fn save(&self, wall: impl Fn(Millis) -> Millis) -> Vec<SavedCircuit> {
        self.entries
            .iter()
            .filter_map(|e| e.breaker.save(e.key.as_deref(), &wall))
            .collect()
    }

    /// The most severe state of all: open before half-open before closed.
    pub(crate) fn worst_state(&self, now: Millis) -> CircuitState {
        let rank = |s: CircuitState| match s {
            CircuitState::Closed => 0,
            CircuitState::HalfOpen => 1,
            CircuitState::Open => 2,
        };
        self.entries
            .iter()
            .map(|e| e.breaker.state(now))
            .max_by_key(|s| rank(*s))
            .unwrap_or(CircuitState::Closed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::breaker::BreakerOutcome;
    use alloc::string::String;

    fn endpoint_scope(max: u32) -> BreakerConfig {
        BreakerConfig {
            scope: BreakerScope::Endpoint,
            max_breakers: max,
            failure_threshold: 1,
            ..BreakerConfig::default()
        }
    }

    fn trip(b: &mut Breakers, name: &Arc<str>, now: Millis) {
        let r = b.find(name);
        let breaker = b.get_mut(r).unwrap();
        let p = breaker.try_acquire(now).unwrap();
        breaker.record(p, BreakerOutcome::Failure, now);
    }

    #[test]
    fn client_scope_shares_one_breaker() {
        let mut b = Breakers::new(BreakerConfig::default()).unwrap();
        let r1 = b.find(&Arc::from("/a"));
        let r2 = b.find(&Arc::from("/b"));
        assert_eq!(r1, r2);
    }

    #[test]
    fn endpoint_scope_keeps_endpoints_apart() {
        let mut b = Breakers::new(endpoint_scope(8)).unwrap();
        let a: Arc<str> = Arc::from("/a");
        let other: Arc<str> = Arc::from("/b");
        trip(&mut b, &a, Millis(0));
        let ra = b.find(&a);
        let rb = b.find(&other);
        assert_eq!(b.get(ra).unwrap().state(Millis(1)), CircuitState::Open);
        assert_eq!(b.get(rb).unwrap().state(Millis(1)), CircuitState::Closed);
        // The same name in another allocation finds the same breaker.
        assert_eq!(b.find(&Arc::from("/a")), ra);
    }

    #[test]
    fn the_least_recently_used_closed_breaker_makes_room() {
        let mut b = Breakers::new(endpoint_scope(2)).unwrap();
        let a: Arc<str> = Arc::from("/a");
        let c: Arc<str> = Arc::from("/c");
        trip(&mut b, &a, Millis(0)); // /a is open: worth keeping
        let rb = b.find(&Arc::from("/b"));
        let rc = b.find(&c);
        assert_eq!(rc.index, rb.index, "/b (closed) gave up its place");
        assert!(b.get(rb).is_none(), "a stale reference finds nothing");
        let ra = b.find(&a);
        assert_eq!(b.get(ra).unwrap().state(Millis(1)), CircuitState::Open);
    }

    #[test]
    fn the_least_recently_used_goes_first_and_open_ones_too_when_all_are() {
        let mut b = Breakers::new(endpoint_scope(2)).unwrap();
        let (a, bb, c): (Arc<str>, Arc<str>, Arc<str>) = ("/a".into(), "/b".into(), "/c".into());
        let _ = b.find(&a);
        let _ = b.find(&bb);
        let _ = b.find(&a); // /a used again: /b is now the least recent
        let _ = b.find(&c);
        let names: Vec<String> = b
            .iter()
            .filter_map(|(k, _)| k.map(|k| String::from(&**k)))
            .collect();
        assert_eq!(names, ["/a", "/c"]);
        // Every breaker open: a new endpoint still gets one, in the place of
        // the least recently used.
        trip(&mut b, &a, Millis(0));
        trip(&mut b, &c, Millis(0));
        let d: Arc<str> = "/d".into();
        let rd = b.find(&d);
        assert!(b.get(rd).is_some_and(|x| x.is_available(Millis(0))));
        let names: Vec<String> = b
            .iter()
            .filter_map(|(k, _)| k.map(|k| String::from(&**k)))
            .collect();
        assert_eq!(names, ["/d", "/c"], "/a was the least recently used");
    }

    #[test]
    fn restore_keeps_no_more_breakers_than_the_new_maximum() {
        let mut b = Breakers::new(endpoint_scope(8)).unwrap();
        for name in ["/a", "/b", "/c"] {
            let _ = b.find(&Arc::from(name));
        }
        for name in ["/a", "/b", "/c"] {
            trip(&mut b, &Arc::from(name), Millis(0));
        }
        let saved = b.save(|t| t);
        assert_eq!(saved.len(), 3, "only circuits that know something");
        assert_eq!(
            Breakers::restore(endpoint_scope(2), &saved, Millis(0))
                .unwrap()
                .iter()
                .count(),
            2
        );
        assert_eq!(
            Breakers::restore(endpoint_scope(3), &saved, Millis(0))
                .unwrap()
                .iter()
                .count(),
            3
        );
    }

    #[test]
    fn restore_forgets_probes_and_drops_another_scope() {
        let mut b = Breakers::new(BreakerConfig {
            failure_threshold: 1,
            ..BreakerConfig::default()
        })
        .unwrap();
        trip(&mut b, &Arc::from("/a"), Millis(0));
        let r = b.find(&Arc::from("/a"));
        let _probe = b.get_mut(r).unwrap().try_acquire(Millis(60_000)).unwrap();
        let saved = b.save(|t| t);
        let back = Breakers::restore(BreakerConfig::default(), &saved, Millis(60_001)).unwrap();
        let (_, breaker) = back.iter().next().unwrap();
        assert_eq!(breaker.probes_in_flight(), 0);
        assert!(breaker.is_available(Millis(60_001)));
        let other = Breakers::restore(endpoint_scope(4), &saved, Millis(60_001)).unwrap();
        assert_eq!(other.iter().count(), 0);
    }
}
