//! Prints, as JSON, the trace hash of every scenario under both policies for
//! each seed given, so that the WebAssembly replay (`make test-sim-wasm`)
//! has the native figures to compare with.
//!
//! ```text
//! trace_hashes [SEED ...]      (default: 42)
//! ```
//!
//! Exit status: 0 with the JSON on stdout; 2 for a seed that is not a
//! number.

use std::process::ExitCode;

use steadfast_sim::scenario::Scenario;

fn main() -> ExitCode {
    let mut seeds = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.parse::<u64>() {
            Ok(seed) => seeds.push(seed),
            Err(_) => {
                eprintln!("trace_hashes: not a seed: {arg:?}\nusage: trace_hashes [SEED ...]");
                return ExitCode::from(2);
            }
        }
    }
    if seeds.is_empty() {
        seeds.push(42);
    }
    let mut rows = Vec::new();
    for seed in seeds {
        for (index, scenario) in Scenario::all().iter().enumerate() {
            for (policy, result) in [
                ("steadfast", scenario.run_steadfast(seed)),
                ("seed", scenario.run_seed(seed)),
            ] {
                let m = &result.metrics;
                // The hash as a string: JSON numbers lose bits past 2^53.
                rows.push(format!(
                    "  {{\"scenario\": \"{}\", \"index\": {index}, \"policy\": \"{policy}\", \
                     \"seed\": {seed}, \"traceHash\": \"{}\", \"sends\": {}, \"successes\": {}}}",
                    scenario.name, m.trace_hash, m.sends, m.successes
                ));
            }
        }
    }
    println!("[\n{}\n]", rows.join(",\n"));
    ExitCode::SUCCESS
}
