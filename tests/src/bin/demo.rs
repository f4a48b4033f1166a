//! The demo: every scenario against a simulated flaky Etsy-like API, with
//! Steadfast and with the seed's policy on the same seed; a comparison table
//! and a timeline picture.
//!
//! ```text
//! demo [--seed N] [--scenario NAME] [--svg PATH]
//! ```

use std::process::ExitCode;

use steadfast_sim::report::{table_header, table_row, timeline_svg};
use steadfast_sim::scenario::Scenario;

struct Args {
    seed: u64,
    scenario: Option<String>,
    svg: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seed: 42,
        scenario: None,
        svg: "out/timeline.svg".to_owned(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--seed" => {
                args.seed = value()?
                    .parse()
                    .map_err(|_| "--seed takes a whole number".to_owned())?
            }
            "--scenario" => args.scenario = Some(value()?),
            "--svg" => args.svg = value()?,
            "-h" | "--help" => {
                return Err("usage: demo [--seed N] [--scenario NAME] [--svg PATH]".to_owned());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let scenarios = match &args.scenario {
        Some(name) => match Scenario::by_name(name) {
            Some(s) => vec![s],
            None => {
                let names: Vec<_> = Scenario::all().iter().map(|s| s.name).collect();
                eprintln!("unknown scenario {name}; known: {}", names.join(", "));
                return ExitCode::from(2);
            }
        },
        None => Scenario::all(),
    };

    println!(
        "Steadfast vs the seed's policy against a simulated flaky Etsy-like API (seed {})\n",
        args.seed
    );
    for s in &scenarios {
        println!("  {:<20} {}", s.name, s.about);
    }
    println!("\n{}", table_header());
    let mut failed = false;
    let mut picture = None;
    for s in &scenarios {
        let ours = s.run_steadfast(args.seed);
        let seed = s.run_seed(args.seed);
        println!("{}", table_row(s.name, "steadfast", &ours.metrics));
        println!("{}", table_row(s.name, "seed", &seed.metrics));
        for (what, n) in ours.metrics.violations() {
            failed = true;
            eprintln!(
                "INVARIANT BROKEN in {}: {what} ({n}); replay: {}",
                s.name,
                steadfast_sim::replay_command(s.name, args.seed)
            );
        }
        if picture.is_none() || s.name == "outage" {
            picture = Some((s.name, ours.timeline, seed.timeline));
        }
    }
    println!(
        "\ngoodput: successes per second over the busy span / the server's capacity; att/succ: requests per success;\n\
         outage: requests that reached the server during an outage; dupes: writes applied twice;\n\
         quota+: requests past the daily quota; p50/p99: call latency in simulated seconds;\n\
         violations: Steadfast's invariants broken (must be 0)."
    );
    if let Some((name, ours, seed)) = picture {
        let svg = timeline_svg(
            &format!(
                "{name}, seed {}: Steadfast (top) and the seed's policy (bottom)",
                args.seed
            ),
            &[("steadfast", &ours), ("seed policy", &seed)],
        );
        let path = std::path::Path::new(&args.svg);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        match std::fs::write(path, svg) {
            Ok(()) => println!("\ntimeline of '{name}' written to {}", path.display()),
            Err(e) => eprintln!("could not write {}: {e}", path.display()),
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
