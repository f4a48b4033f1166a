//! The demo: every scenario against a simulated flaky Etsy-like API, with
//! Steadfast and with the seed's policy on the same seed; a comparison table
//! and a timeline picture.
//!
//! ```text
//! demo [--seed N] [--scenario NAME] [--svg PATH]
//! ```
//!
//! Exit status: 0 when every run kept Steadfast's invariants and the picture
//! was written; 1 when an invariant broke or the picture could not be
//! written; 2 for bad arguments (with the usage on stderr).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use steadfast_sim::report::{table_header, table_row, timeline_svg};
use steadfast_sim::scenario::Scenario;

/// Where the picture goes unless `--svg` says otherwise; the only path whose
/// folder the demo creates.
const DEFAULT_SVG: &str = "out/timeline.svg";

/// The run's settings.
struct Args {
    seed: u64,
    scenario: Option<String>,
    /// `None`: the default path.
    svg: Option<PathBuf>,
}

/// What the command line asks for.
enum Command {
    Run(Args),
    Help,
}

fn usage() -> String {
    let mut names = String::new();
    let mut line = 0;
    for (i, s) in Scenario::all().iter().enumerate() {
        if i > 0 {
            names.push(',');
            line += 1;
            if line + s.name.len() > 48 {
                names.push_str("\n                    ");
                line = 0;
            } else {
                names.push(' ');
                line += 1;
            }
        }
        names.push_str(s.name);
        line += s.name.len();
    }
    format!(
        "usage: demo [--seed N] [--scenario NAME] [--svg PATH]\n\
         \n\
         Runs every scenario (or one) against a simulated flaky Etsy-like API,\n\
         with Steadfast and with the seed's policy, prints a comparison table\n\
         and writes a timeline picture of one scenario as SVG.\n\
         \n\
         \x20 --seed N          the seed every run is drawn from (default 42)\n\
         \x20 --scenario NAME   run only this scenario; one of:\n\
         \x20                   {names}\n\
         \x20 --svg PATH        where to write the picture (default {DEFAULT_SVG});\n\
         \x20                   the folder must exist (out/ is created for the default)\n\
         \x20 -h, --help        print this and exit\n\
         \n\
         Exit status: 0 ok; 1 an invariant broke or the picture could not be\n\
         written; 2 bad arguments."
    )
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut parsed = Args {
        seed: 42,
        scenario: None,
        svg: None,
    };
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--seed" => {
                let v = value()?;
                parsed.seed = v
                    .parse()
                    .map_err(|_| format!("--seed takes a whole number, not '{v}'"))?;
            }
            "--scenario" => {
                let name = value()?;
                if Scenario::by_name(&name).is_none() {
                    return Err(format!("unknown scenario '{name}'"));
                }
                parsed.scenario = Some(name);
            }
            "--svg" => {
                let path = value()?;
                if path.is_empty() {
                    return Err("--svg needs a path".to_owned());
                }
                parsed.svg = Some(PathBuf::from(path));
            }
            "-h" | "--help" => return Ok(Command::Help),
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(Command::Run(parsed))
}

/// Makes sure the picture can go to `path` before minutes of simulation are
/// spent: a given path's folder must exist (it is never created); the
/// default's `out/` is created.
fn prepare_svg_path(given: Option<&Path>) -> Result<PathBuf, String> {
    let path = given.map_or_else(|| PathBuf::from(DEFAULT_SVG), Path::to_path_buf);
    let folder = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if given.is_none() {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create the folder {}: {e}", folder.display()))?;
    } else if !folder.is_dir() {
        return Err(format!(
            "cannot write {}: the folder {} does not exist",
            path.display(),
            folder.display()
        ));
    }
    if path.is_dir() {
        return Err(format!("cannot write {}: it is a folder", path.display()));
    }
    Ok(path)
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(a)) => a,
        Ok(Command::Help) => {
            println!("{}", usage());
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("demo: {e}\n\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let svg_path = match prepare_svg_path(args.svg.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("demo: {e}");
            return ExitCode::FAILURE;
        }
    };
    let scenarios = match &args.scenario {
        Some(name) => Scenario::by_name(name).into_iter().collect(),
        None => Scenario::all(),
    };

    println!(
        "Steadfast vs the seed's policy against a simulated flaky Etsy-like API (seed {})\n",
        args.seed
    );
    for s in &scenarios {
        println!("  {:<22} {}", s.name, s.about);
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
            picture = Some((s, ours.timeline, seed.timeline));
        }
    }
    println!(
        "\ngoodput: successes per second over the busy span / the server's capacity; att/succ: requests per success;\n\
         outage: requests that reached the server during an outage; dupes: writes applied twice;\n\
         quota+: requests past the daily quota; p50/p99: call latency in simulated seconds;\n\
         violations: Steadfast's invariants broken (must be 0)."
    );
    if let Some((s, ours, seed)) = picture {
        let svg = timeline_svg(
            &format!(
                "{}, seed {}: Steadfast (top) and the seed's policy (bottom)",
                s.name, args.seed
            ),
            &[("Steadfast", &ours), ("the seed's policy", &seed)],
            &s.server.outages,
        );
        match std::fs::write(&svg_path, svg) {
            Ok(()) => println!(
                "\ntimeline of '{}' written to {}",
                s.name,
                svg_path.display()
            ),
            Err(e) => {
                eprintln!("demo: cannot write {}: {e}", svg_path.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
