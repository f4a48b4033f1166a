//! The long soak in CI: one engine through a million simulated calls, every
//! scenario's server in turn (`make soak-sim` runs the same with a table).
//! Every run keeps every invariant, every call ends exactly once, and the
//! live heap does not grow once every scenario has run once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use steadfast_sim::long_soak::{long_soak, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn one_engine_keeps_a_million_calls_in_flat_memory() {
    // The hostile server's 4 MB bodies, made once, before the first sample.
    let _ = steadfast_sim::server::hostile::big_body(0);
    let soak = long_soak(1_000_000, 100_000, &|| Some(CountingAllocator::live())).unwrap();
    for s in &soak.samples {
        println!("{s:?}");
    }
    println!(
        "{} calls in {} runs, {} succeeded, {} requests, {:.1} s; live heap grew {} bytes",
        soak.calls,
        soak.runs,
        soak.successes,
        soak.requests,
        soak.seconds,
        soak.live_growth()
    );
    assert!(soak.calls >= 1_000_000);
    assert!(soak.failures.is_empty(), "{:#?}", soak.failures);
    assert_eq!(soak.ended, soak.calls, "every call ends");
    assert!(soak.samples.len() >= 10, "{} samples", soak.samples.len());
    assert!(
        soak.samples
            .iter()
            .all(|s| s.live_bytes.is_some_and(|b| b > 0)),
        "the allocator counts"
    );
    assert!(
        soak.live_growth() <= 256 * 1024,
        "the live heap grew by {} bytes",
        soak.live_growth()
    );
    // Every scenario ran, and each had calls that succeeded.
    // (Round robin: each had its share of the runs, give or take one.)
    let share = soak.runs / soak.by_scenario.len() as u64;
    for t in &soak.by_scenario {
        assert!(t.runs >= share.max(50) && t.successes > 0, "{t:?}");
    }
}
