//! `make test` with a toolchain whose lints the code does not pass yet: outside CI the lint
//! failure is reported and the tests still run; with CI set it stops the run, as `make lint`
//! always does. A stand-in `cargo` (given as `CARGO=`) fails clippy and logs every call, so
//! these tests run the real Makefile without building anything.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use crate::common::TempDir;

/// A `cargo` that answers `--version` queries, fails `clippy` like a toolchain with a new
/// lint, succeeds at everything else, and appends each call's arguments to `calls`.
const FAKE_CARGO: &str = r#"#!/bin/sh
echo "$*" >> "$(dirname "$0")/calls"
case "$1 $2" in
    "clippy --version" | "fmt --version") exit 0 ;;
    clippy*) echo "error: this \`match\` expression can be replaced with \`?\`" >&2; exit 1 ;;
esac
exit 0
"#;

/// Runs `make <target>` in the checkout with the stand-in cargo; `ci` sets CI (else it is
/// removed from the environment). Returns make's output and the subcommands cargo got.
fn make(dir: &TempDir, target: &str, ci: Option<&str>) -> (Output, Vec<String>) {
    let cargo = dir.path().join("cargo");
    fs::write(&cargo, FAKE_CARGO).unwrap();
    fs::set_permissions(&cargo, fs::Permissions::from_mode(0o755)).unwrap();
    let _ = fs::remove_file(dir.path().join("calls"));
    let mut cmd = Command::new("make");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--no-print-directory", target])
        .arg(format!("CARGO={}", cargo.display()))
        // the skip log of the `make test` this test may be running under is not ours to empty
        .arg(format!("SKIP_LOG={}", dir.path().join("skipped").display()))
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS");
    match ci {
        Some(v) => cmd.env("CI", v),
        None => cmd.env_remove("CI"),
    };
    let out = cmd.output().expect("make (the make package) must be installed");
    let calls = fs::read_to_string(dir.path().join("calls")).unwrap_or_default();
    let subcommands = calls.lines().map(|l| l.split(' ').next().unwrap_or("").to_string()).collect();
    (out, subcommands)
}

fn ran_tests(calls: &[String]) -> bool {
    calls.iter().any(|c| c == "test")
}

#[test]
fn a_new_lint_does_not_stop_make_test_outside_ci() {
    let dir = TempDir::new("makefile-lint");
    for ci in [None, Some(""), Some("0"), Some("false")] {
        let (out, calls) = make(&dir, "test", ci);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "CI={ci:?}: make test failed: {stderr}");
        assert!(ran_tests(&calls), "CI={ci:?}: the tests did not run: {calls:?}");
        assert!(stderr.contains("the lint checks above failed"), "CI={ci:?}: no notice: {stderr}");
    }
}

#[test]
fn a_new_lint_stops_make_test_in_ci_and_make_lint_always() {
    let dir = TempDir::new("makefile-lint-ci");
    for ci in ["true", "1"] {
        let (out, calls) = make(&dir, "test", Some(ci));
        assert!(!out.status.success(), "CI={ci}: make test passed despite the lint");
        assert!(!ran_tests(&calls), "CI={ci}: tests ran after a failed lint: {calls:?}");
    }
    let (out, calls) = make(&dir, "lint", None);
    assert!(!out.status.success(), "make lint passed despite the lint");
    assert!(!calls.iter().any(|c| c == "doc"), "lint went on after clippy failed: {calls:?}");
}

#[test]
fn make_lint_builds_the_docs_with_warnings_as_errors() {
    let out = Command::new("make")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--no-print-directory", "-n", "lint"])
        .env_remove("MAKEFLAGS")
        .output()
        .expect("make (the make package) must be installed");
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan.lines().any(|l| l.starts_with("RUSTDOCFLAGS='-D warnings'") && l.contains(" doc --workspace")),
        "make lint does not build the docs with -D warnings:\n{plan}"
    );
}
