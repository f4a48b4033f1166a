//! The long soak: one Steadfast engine, kept for a million calls and more.
//!
//! The short soak runs each seed in a fresh world; a process that lives for
//! months keeps one engine. Here one engine (one host) meets every
//! scenario's server in turn — a run of each scenario's workload on a
//! fresh server, with that scenario's host quirks (restarts, throttled
//! timers, clock jumps) — run after run, each four simulated hours after
//! the last (so that Etsy's 10 000 a day is never the story), until the
//! calls add up. After each run every invariant is checked, and every so
//! many calls the memory is sampled: what the process holds must stay flat
//! once every scenario has run once.
//!
//! The engine's configuration stays the defaults throughout (the
//! background-tab scenario's burst of 5 is not applied).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use steadfast_core::Millis;

use crate::client::Steadfast;
use crate::scenario::Scenario;
use crate::server::Server;
use crate::world::run_from;

/// The system allocator, counting the bytes live: a soak binary installs it
/// with `#[global_allocator] static A: CountingAllocator = CountingAllocator;`
/// and reads [`CountingAllocator::live`].
#[derive(Debug)]
pub struct CountingAllocator;

static LIVE: AtomicU64 = AtomicU64::new(0);

impl CountingAllocator {
    /// Heap bytes allocated and not yet freed (0 where this allocator is
    /// not the global one).
    #[must_use]
    pub fn live() -> u64 {
        LIVE.load(Ordering::Relaxed)
    }
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// counter only watches.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size as u64, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size() as u64, Ordering::Relaxed);
        }
        p
    }
}

/// Runs start at least this far apart, in simulated ms.
pub const RUN_SPACING_MS: u64 = 4 * 3_600_000;

/// One memory sample.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Calls run so far.
    pub calls: u64,
    /// Runs so far.
    pub runs: u64,
    /// Simulated days so far.
    pub simulated_days: f64,
    /// Heap bytes live, as the caller's allocator counts them.
    pub live_bytes: Option<u64>,
    /// The process's resident set, from `/proc/self/statm` (Linux).
    pub rss_bytes: Option<u64>,
}

/// One scenario's share of the long soak.
#[derive(Clone, Debug, Default)]
pub struct ScenarioTally {
    /// The scenario.
    pub name: &'static str,
    /// Its runs.
    pub runs: u64,
    /// Calls in them.
    pub calls: u64,
    /// Calls that succeeded.
    pub successes: u64,
    /// How calls ended, by word.
    pub endings: Vec<(&'static str, u64)>,
}

/// What the long soak did.
#[derive(Clone, Debug, Default)]
pub struct LongSoak {
    /// Runs (one scenario's workload each).
    pub runs: u64,
    /// Calls started.
    pub calls: u64,
    /// Calls that succeeded.
    pub successes: u64,
    /// Requests sent.
    pub requests: u64,
    /// Calls that ended (each exactly once, or the run is a failure).
    pub ended: u64,
    /// Per scenario: its name, runs, calls, successes, and how its calls
    /// ended (by word, summed).
    pub by_scenario: Vec<ScenarioTally>,
    /// Memory samples, the first after every scenario ran once.
    pub samples: Vec<Sample>,
    /// Runs that broke an invariant, with what broke.
    pub failures: Vec<String>,
    /// Wall-clock seconds it took.
    pub seconds: f64,
}

impl LongSoak {
    /// Growth of the live heap from the first sample to the largest later
    /// one, in bytes (0 without samples).
    #[must_use]
    pub fn live_growth(&self) -> u64 {
        let first = self.samples.first().and_then(|s| s.live_bytes).unwrap_or(0);
        let most = self
            .samples
            .iter()
            .filter_map(|s| s.live_bytes)
            .max()
            .unwrap_or(first);
        most.saturating_sub(first)
    }
}

/// The process's resident set size in bytes (Linux; 4 KiB pages).
#[must_use]
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Runs at least `target_calls` calls through one engine, sampling memory
/// (`live_bytes`, and the resident set) every `sample_every` calls once
/// every scenario has run once.
///
/// # Errors
/// The default configuration was refused (a bug).
pub fn long_soak(
    target_calls: u64,
    sample_every: u64,
    live_bytes: &dyn Fn() -> Option<u64>,
) -> Result<LongSoak, steadfast_core::ConfigError> {
    let started = Instant::now();
    let scenarios = Scenario::all();
    let wall_epoch = crate::server::ServerConfig::default().wall_epoch_ms;
    let mut policy = Steadfast::new(Scenario::engine_config(0x50AC), wall_epoch)?;
    let mut out = LongSoak {
        by_scenario: scenarios
            .iter()
            .map(|s| ScenarioTally {
                name: s.name,
                ..ScenarioTally::default()
            })
            .collect(),
        ..LongSoak::default()
    };
    let mut start = Millis::ZERO;
    let mut next_sample = 0;
    let warm_up = scenarios.len() as u64;
    while out.calls < target_calls || out.runs < warm_up {
        let index = (out.runs % warm_up) as usize;
        let Some(s) = scenarios.get(index) else { break };
        let seed = out.runs;
        let mut config = s.server.clone();
        config.wall_epoch_ms += start.as_u64();
        let mut server = Server::new(config, seed).starting_at(start);
        let calls: Vec<_> = s
            .calls(seed)
            .into_iter()
            .map(|mut c| {
                c.arrival = c.arrival.plus(start.as_u64());
                c
            })
            .collect();
        let shift = |t: Millis| t.plus(start.as_u64());
        let restarts: Vec<Millis> = s.host.restarts.iter().copied().map(shift).collect();
        let jumps: Vec<(Millis, i64)> = s
            .host
            .clock_jumps
            .iter()
            .map(|&(at, d)| (shift(at), d))
            .collect();
        policy.begin_run(
            &restarts,
            s.host.timer_period_ms,
            &jumps,
            s.host.timer_lateness_ms.map(|m| (m, seed)),
            // One engine meets server after server: a pace slowed by the
            // last run's 429s speeds up again in this one, and the order is
            // not claimed then (see `Scenario::first_come_first_served`).
            false,
        );
        let horizon = start.plus(s.horizon_ms);
        let m = run_from(&mut policy, &mut server, &calls, start, horizon).metrics;
        let broken = m.violations();
        if !broken.is_empty() {
            out.failures.push(format!(
                "run {} ({} seed {seed}, from {} ms): {broken:?}",
                out.runs, s.name, start
            ));
        }
        if let Some(t) = out.by_scenario.get_mut(index) {
            t.runs += 1;
            t.calls += m.calls;
            t.successes += m.successes;
            for &(how, n) in &m.endings {
                match t.endings.iter_mut().find(|(w, _)| *w == how) {
                    Some((_, total)) => *total += n,
                    None => t.endings.push((how, n)),
                }
            }
        }
        out.runs += 1;
        out.calls += m.calls;
        out.successes += m.successes;
        out.requests += m.sends;
        out.ended += m.calls - m.unended;
        start = m.end.max(start.plus(RUN_SPACING_MS)).plus(1);
        drop(m);
        if out.runs >= warm_up && out.calls >= next_sample {
            out.samples.push(Sample {
                calls: out.calls,
                runs: out.runs,
                simulated_days: start.as_u64() as f64 / 86_400_000.0,
                live_bytes: live_bytes(),
                rss_bytes: rss_bytes(),
            });
            next_sample = out.calls + sample_every;
        }
    }
    if out.samples.last().is_some_and(|s| s.calls < out.calls) {
        out.samples.push(Sample {
            calls: out.calls,
            runs: out.runs,
            simulated_days: start.as_u64() as f64 / 86_400_000.0,
            live_bytes: live_bytes(),
            rss_bytes: rss_bytes(),
        });
    }
    out.seconds = started.elapsed().as_secs_f64();
    Ok(out)
}
