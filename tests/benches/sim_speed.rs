//! Simulator speed: simulated requests per CPU-second, over the mixed
//! scenario, single-threaded. Run with `make bench-sim`.

use std::time::Instant;

use steadfast_sim::scenario::Scenario;

fn main() {
    let scenario = Scenario::mixed_faults();
    // Warm up.
    let _ = scenario.run_steadfast(0);
    let started = Instant::now();
    let mut requests = 0u64;
    let mut calls = 0u64;
    let mut seed = 1;
    while started.elapsed().as_secs_f64() < 5.0 {
        let r = scenario.run_steadfast(seed);
        requests += r.metrics.sends;
        calls += r.metrics.calls;
        seed += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "simulated {requests} requests ({calls} calls, {} seeds of {}) in {secs:.2} s: {:.0} requests per CPU-second",
        seed - 1,
        scenario.name,
        requests as f64 / secs
    );
}
