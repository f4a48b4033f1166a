//! # steadfast-sim
//!
//! A deterministic simulation of Steadfast against a simulated Etsy-like
//! API, and of the seed's policy on the same traffic for comparison.
//!
//! * [`server`] — the simulated server (limits, quota, outages, faults);
//! * [`client`] — the [`client::Policy`] trait, and Steadfast's engine
//!   hosted behind it;
//! * [`seed_policy`] — the seed's retry, breaker and limiter logic as
//!   written, defects included;
//! * [`world`] — the clock, the event loop, the metrics and the invariants;
//! * [`scenario`] — the scenarios and their workloads;
//! * [`report`] — the comparison table and the timeline picture;
//! * [`long_soak`] — one engine kept through a million calls, memory sampled.
//!
//! Everything is driven by one seed: the same seed gives the same trace.

pub mod client;
mod fast_hash;
pub mod long_soak;
mod portable_math;
pub mod report;
pub mod scenario;
pub mod seed_policy;
pub mod server;
pub mod world;

/// The command that replays one seed of one scenario.
#[must_use]
pub fn replay_command(scenario: &str, seed: u64) -> String {
    format!(
        "cargo run --release -p steadfast-sim --bin demo -- --scenario {scenario} --seed {seed}"
    )
}
