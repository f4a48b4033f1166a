//! The soak: a thousand seeds of the mixed scenario, every invariant checked
//! on each. A failing seed is printed with the command that replays it.
//!
//! `STEADFAST_SEED=N [STEADFAST_SCENARIO=name] cargo test -p steadfast-sim
//! --test soak replay` replays one seed of one scenario.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use steadfast_sim::replay_command;
use steadfast_sim::scenario::Scenario;

const SOAK_SEEDS: u64 = 1000;

#[test]
fn soak_a_thousand_seeds_of_mixed_faults() {
    let s = Scenario::mixed_faults();
    let mut failures = Vec::new();
    let mut requests = 0;
    for seed in 0..SOAK_SEEDS {
        let m = s.run_steadfast(seed).metrics;
        requests += m.sends;
        let broken = m.violations();
        if !broken.is_empty() {
            failures.push(format!(
                "seed {seed}: {broken:?}\n  replay: {}",
                replay_command(s.name, seed)
            ));
        }
    }
    println!("soak: {SOAK_SEEDS} seeds, {requests} simulated requests");
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
