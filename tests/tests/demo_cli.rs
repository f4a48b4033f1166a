//! The demo's command line: help, bad arguments and unwritable picture paths
//! end with the documented exit status, before any simulation runs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn demo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(args)
        .output()
        .expect("the demo runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_prints_the_usage_to_stdout_and_succeeds() {
    for flag in ["--help", "-h"] {
        let out = demo(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let stdout = text(&out.stdout);
        assert!(stdout.starts_with("usage: demo"), "{flag}: {stdout}");
        assert!(stdout.contains("--svg PATH") && stdout.contains("outage"));
        assert!(out.stderr.is_empty(), "{flag}: {}", text(&out.stderr));
    }
}

#[test]
fn an_unknown_argument_exits_2_with_the_usage_on_stderr() {
    let out = demo(&["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unknown argument '--frobnicate'"),
        "{stderr}"
    );
    assert!(stderr.contains("usage: demo"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_values_exit_2() {
    for args in [
        &["--seed", "many"][..],
        &["--seed"][..],
        &["--scenario", "no_such_scenario"][..],
        &["--svg", ""][..],
    ] {
        let out = demo(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains("usage: demo"), "{args:?}");
    }
}

#[test]
fn a_picture_path_in_a_missing_folder_is_an_error_and_the_folder_is_not_created() {
    let folder = std::env::temp_dir().join(format!("steadfast-demo-cli-{}", std::process::id()));
    let missing: PathBuf = folder.join("not-there");
    let path = missing.join("timeline.svg");
    let out = demo(&["--scenario", "outage", "--svg", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&missing.display().to_string()) && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(!folder.exists(), "the demo created {}", folder.display());
    assert!(out.stdout.is_empty(), "nothing ran: {}", text(&out.stdout));
}

#[test]
fn a_picture_path_that_is_a_folder_is_an_error() {
    let folder = std::env::temp_dir();
    let out = demo(&["--svg", folder.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("it is a folder"));
}
