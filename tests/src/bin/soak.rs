//! The long soak: one Steadfast engine through a million simulated calls
//! (every scenario's server in turn), every invariant checked after each
//! run, the heap counted and the resident set read along the way.
//!
//! `make soak-sim`, or `cargo run --release -p steadfast-sim --bin soak --
//! [--calls N] [--every N] [--max-growth-kib N]`. Exits 1 if an invariant
//! broke or the live heap grew by more than `--max-growth-kib` (256 KiB)
//! after every scenario had run once.

use std::process::ExitCode;

use steadfast_sim::long_soak::{long_soak, CountingAllocator};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn arg(args: &[String], name: &str, default: u64) -> Result<u64, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.replace('_', "").parse().ok())
            .ok_or_else(|| format!("{name} needs a number")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| {
        Ok::<_, String>((
            arg(&args, "--calls", 1_000_000)?,
            arg(&args, "--every", 100_000)?,
            arg(&args, "--max-growth-kib", 256)?,
        ))
    })();
    let (calls, every, max_growth_kib) = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("soak: {e}\nusage: soak [--calls N] [--every N] [--max-growth-kib N]");
            return ExitCode::from(2);
        }
    };
    // The hostile server's 4 MB bodies are made once, and kept: count
    // them before the soak, apart from what the engine and host hold.
    let _ = steadfast_sim::server::hostile::big_body(0);
    let before = CountingAllocator::live();
    println!(
        "live heap before the soak: {} KiB (the hostile server's 4 MB bodies)",
        before / 1024
    );
    let soak = match long_soak(calls, every, &|| Some(CountingAllocator::live())) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("soak: {e}");
            return ExitCode::FAILURE;
        }
    };
    for t in &soak.by_scenario {
        let mut endings = t.endings.clone();
        endings.sort_by_key(|e| std::cmp::Reverse(e.1));
        let endings: Vec<String> = endings.iter().map(|(w, n)| format!("{w} {n}")).collect();
        println!(
            "{:<24} {:>5} runs {:>8} calls {:>8} ok  ({})",
            t.name,
            t.runs,
            t.calls,
            t.successes,
            endings.join(", ")
        );
    }
    println!("     calls   runs  sim days   live heap KiB   beyond the bodies KiB   RSS KiB");
    for s in &soak.samples {
        println!(
            "{:>10} {:>6} {:>9.1} {:>15} {:>23} {:>9}",
            s.calls,
            s.runs,
            s.simulated_days,
            s.live_bytes.map_or("-".into(), |b| (b / 1024).to_string()),
            s.live_bytes
                .map_or("-".into(), |b| (b.saturating_sub(before) / 1024)
                    .to_string()),
            s.rss_bytes.map_or("-".into(), |b| (b / 1024).to_string()),
        );
    }
    let growth = soak.live_growth();
    println!(
        "{} calls in {} runs ({} succeeded, {} ended, {} requests) in {:.1} s; live heap grew {} KiB after the warm-up",
        soak.calls,
        soak.runs,
        soak.successes,
        soak.ended,
        soak.requests,
        soak.seconds,
        growth / 1024
    );
    let mut ok = true;
    if !soak.failures.is_empty() {
        eprintln!("{} runs broke an invariant:", soak.failures.len());
        for f in &soak.failures {
            eprintln!("  {f}");
        }
        ok = false;
    }
    if soak.ended != soak.calls {
        eprintln!("{} calls never ended", soak.calls - soak.ended);
        ok = false;
    }
    if growth > max_growth_kib * 1024 {
        eprintln!(
            "the live heap grew by {} KiB, more than {max_growth_kib} KiB",
            growth / 1024
        );
        ok = false;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
