//! The soak: a thousand seeds of every scenario — 11,000 runs, about
//! 8 million calls, some 11 s on two cores — with every invariant checked
//! on each, spread over the machine's cores. A failing seed is printed with
//! the command that replays it.
//!
//! `STEADFAST_SOAK_SEEDS=N` runs N seeds of each scenario instead.
//! `STEADFAST_SEED=N [STEADFAST_SCENARIO=name] cargo test -p steadfast-sim
//! --test soak replay` replays one seed of one scenario.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use steadfast_sim::replay_command;
use steadfast_sim::scenario::Scenario;

const SOAK_SEEDS: u64 = 1000;

/// What one scenario's seeds added up to.
#[derive(Default)]
struct Tally {
    seeds: u64,
    calls: u64,
    successes: u64,
    requests: u64,
    busy: Duration,
}

#[test]
fn soak_a_thousand_seeds_of_every_scenario() {
    let per_scenario = std::env::var("STEADFAST_SOAK_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SOAK_SEEDS);
    let scenarios = Scenario::all();
    let jobs: Vec<(usize, u64)> = (0..per_scenario)
        .flat_map(|seed| (0..scenarios.len()).map(move |i| (i, seed)))
        .collect();
    let next = AtomicUsize::new(0);
    let tallies: Mutex<Vec<Tally>> =
        Mutex::new((0..scenarios.len()).map(|_| Tally::default()).collect());
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some(&(i, seed)) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let s = &scenarios[i];
                    let t = Instant::now();
                    let m = s.run_steadfast(seed).metrics;
                    let broken = m.violations();
                    if !broken.is_empty() {
                        failures.lock().unwrap().push(format!(
                            "{} seed {seed}: {broken:?}\n  replay: {}",
                            s.name,
                            replay_command(s.name, seed)
                        ));
                    }
                    let mut tallies = tallies.lock().unwrap();
                    let tally = &mut tallies[i];
                    tally.seeds += 1;
                    tally.calls += m.calls;
                    tally.successes += m.successes;
                    tally.requests += m.sends;
                    tally.busy += t.elapsed();
                }
            });
        }
    });
    let wall = started.elapsed();
    let tallies = tallies.into_inner().unwrap();
    let mut total = Tally::default();
    for (s, t) in scenarios.iter().zip(&tallies) {
        println!(
            "soak {:<24} {:>6} seeds {:>9} calls {:>9} successes {:>9} requests {:>6.2} ms/seed",
            s.name,
            t.seeds,
            t.calls,
            t.successes,
            t.requests,
            t.busy.as_secs_f64() * 1000.0 / t.seeds.max(1) as f64
        );
        total.seeds += t.seeds;
        total.calls += t.calls;
        total.successes += t.successes;
        total.requests += t.requests;
    }
    println!(
        "soak: {} seeds over {} scenarios, {} calls, {} simulated requests, in {:.1} s on {threads} threads",
        total.seeds,
        scenarios.len(),
        total.calls,
        total.requests,
        wall.as_secs_f64()
    );
    assert_eq!(total.seeds, per_scenario * scenarios.len() as u64);
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} failing seeds:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn replay() {
    let seed = std::env::var("STEADFAST_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(42);
    let name = std::env::var("STEADFAST_SCENARIO").unwrap_or_else(|_| "mixed_faults".to_owned());
    let s = Scenario::by_name(&name).unwrap_or_else(|| panic!("unknown scenario {name}"));
    let m = s.run_steadfast(seed).metrics;
    println!(
        "{name} seed {seed}: {} calls, {} successes, {} requests",
        m.calls, m.successes, m.sends
    );
    assert!(
        m.violations().is_empty(),
        "{:?}\nreplay: {}",
        m.violations(),
        replay_command(&name, seed)
    );
}
