//! # steadfast-sim-wasm
//!
//! The simulation as a WebAssembly module with no imports, so that a plain
//! `WebAssembly.instantiate` in Node can replay every scenario and the test
//! (`tests/sim-wasm/compare.mjs`, run by `make test-sim-wasm`) can compare
//! its trace hashes with the native run's. Equal hashes mean the engine made
//! the same decision at the same instant for every call, in both places.
//!
//! The interface is four numbers in, three out, so no bindings generator is
//! needed: [`run`] replays one scenario and keeps its figures, which
//! [`last_trace_hash`], [`last_sends`] and [`last_successes`] read.

use std::sync::atomic::{AtomicU64, Ordering};

use steadfast_sim::scenario::Scenario;

/// The figures of the last [`run`]: trace hash, sends, successes.
static LAST: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// Which policy [`run`] drives: Steadfast's engine, or the seed's policy.
const STEADFAST: u32 = 0;
/// See [`STEADFAST`].
const SEED: u32 = 1;

/// How many scenarios there are, in [`Scenario::all`]'s order.
#[no_mangle]
pub extern "C" fn scenario_count() -> u32 {
    u32::try_from(Scenario::all().len()).unwrap_or(u32::MAX)
}

/// Replays scenario number `index` (in [`Scenario::all`]'s order) with
/// `policy` (0: Steadfast, 1: the seed's) on `seed`. Answers 1 when it ran,
/// 0 when `index` or `policy` is out of range (the figures are then zero).
#[no_mangle]
pub extern "C" fn run(index: u32, policy: u32, seed: u64) -> u32 {
    let scenario = usize::try_from(index)
        .ok()
        .and_then(|i| Scenario::all().into_iter().nth(i));
    let result = match (scenario, policy) {
        (Some(s), STEADFAST) => Some(s.run_steadfast(seed)),
        (Some(s), SEED) => Some(s.run_seed(seed)),
        _ => None,
    };
    let ran = result.is_some();
    let figures = result.map_or([0; 3], |r| {
        [r.metrics.trace_hash, r.metrics.sends, r.metrics.successes]
    });
    for (slot, value) in LAST.iter().zip(figures) {
        slot.store(value, Ordering::Relaxed);
    }
    u32::from(ran)
}

/// The trace hash of the last [`run`].
#[no_mangle]
pub extern "C" fn last_trace_hash() -> u64 {
    LAST[0].load(Ordering::Relaxed)
}

/// Requests the last [`run`] sent.
#[no_mangle]
pub extern "C" fn last_sends() -> u64 {
    LAST[1].load(Ordering::Relaxed)
}

/// Calls the last [`run`] ended in success.
#[no_mangle]
pub extern "C" fn last_successes() -> u64 {
    LAST[2].load(Ordering::Relaxed)
}
