//! Simulator speed: simulated requests per CPU-second, single-threaded, for
//! every scenario and over all of them. Run with `make bench-sim`.
//!
//! CPU time is read from `/proc/self/stat` where it exists (Linux), so other
//! processes on the machine do not count against the simulator; elsewhere
//! wall time stands in for it.

use std::time::{Duration, Instant};

use steadfast_sim::scenario::Scenario;

/// This process's user + system CPU time, if the platform tells.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line, in clock ticks (100 per second
    // on Linux).
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

struct Clock {
    wall: Instant,
    cpu: Option<Duration>,
}

impl Clock {
    fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: cpu_time(),
        }
    }

    fn elapsed(&self) -> f64 {
        match (self.cpu, cpu_time()) {
            (Some(a), Some(b)) if b > a => (b - a).as_secs_f64(),
            _ => self.wall.elapsed().as_secs_f64(),
        }
    }
}

fn main() {
    let budget_s: f64 = std::env::var("SIM_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    println!("| scenario | seeds | simulated requests | CPU s | requests per CPU-second |\n|---|---:|---:|---:|---:|");
    let (mut all_requests, mut all_secs) = (0u64, 0f64);
    for scenario in Scenario::all() {
        let _ = scenario.run_steadfast(0); // warm up
        let clock = Clock::start();
        let wall = Instant::now();
        let (mut requests, mut seed) = (0u64, 1u64);
        while wall.elapsed().as_secs_f64() < budget_s {
            requests += scenario.run_steadfast(seed).metrics.sends;
            seed += 1;
        }
        let secs = clock.elapsed();
        all_requests += requests;
        all_secs += secs;
        println!(
            "| {} | {} | {requests} | {secs:.2} | {:.0} |",
            scenario.name,
            seed - 1,
            requests as f64 / secs
        );
    }
    println!(
        "| all | | {all_requests} | {all_secs:.2} | {:.0} |",
        all_requests as f64 / all_secs
    );
}
