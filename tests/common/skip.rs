//! Privilege checks: a test that cannot run here skips visibly (and fails in CI).

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::process::Stdio;
use std::sync::{Mutex, OnceLock};

use super::unpriv;

/// True when running in CI, where a missing privilege is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The environment variable naming the file where skips are recorded; `make test` sets
/// it, empties the file first and prints a summary of it at the end.
pub const SKIP_LOG_VAR: &str = "NSUTILS_SKIP_LOG";

/// Reports that (part of) the running test cannot run here, and returns false; in CI it
/// fails the test instead. The test is named after itself (see [`test_name`]); `reason`
/// says why, and which part of it is skipped where the rest runs ("its newuidmap part
/// needs ...").
///
/// libtest captures `print!`/`eprint!` of passing tests, so the note is written to the
/// stderr descriptor directly: it shows in the output of `cargo test` next to the test's
/// `ok`. It is also appended (one line, one `write`) to the file `$NSUTILS_SKIP_LOG`, from
/// which `make test` prints how many tests were skipped, and why, at the end. Each
/// (test, reason) pair is reported once per process.
pub fn skip(reason: &str) -> bool {
    assert!(!in_ci(), "{}: {reason}, and CI must run every test", test_name());
    skip_unavailable(reason)
}

/// Like [`skip`], also in CI: for what no privilege or package can give a machine (a
/// cgroup v1 hierarchy on a cgroup2-only host), where another test covers the same ground.
pub fn skip_unavailable(reason: &str) -> bool {
    let test = test_name();
    static SEEN: Mutex<Option<HashSet<(String, String)>>> = Mutex::new(None);
    let first = SEEN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert((test.clone(), reason.to_string()));
    if first {
        let _ = std::io::stderr().lock().write_all(format!("    skipped: {test}: {reason}\n").as_bytes());
        if let Some(log) = std::env::var_os(SKIP_LOG_VAR) {
            let line = format!("{test}\t{reason}\n");
            let f = fs::OpenOptions::new().create(true).append(true).open(log);
            let _ = f.and_then(|mut f| f.write_all(line.as_bytes()));
        }
    }
    false
}

/// The running test's name, `<module>::<test>` (`unshare::environment`): libtest runs
/// each test on a thread named after it, so a test need not type its own name, and a
/// helper that skips for it names it too.
fn test_name() -> String {
    std::thread::current().name().unwrap_or("(a test on an unnamed thread)").to_string()
}

/// Skips (returns false) when not root, except in CI where it fails.
pub fn require_root() -> bool {
    nix::unistd::geteuid().is_root() || skip("needs root")
}

/// Like [`require_root`] for a part of a test, which `part` names ("its part with
/// another user"): the rest of the test runs without root.
pub fn require_root_for(part: &str) -> bool {
    nix::unistd::geteuid().is_root() || skip(&format!("{part} needs root"))
}

/// Whether [`unpriv_uid`](super::unpriv_uid) may create user namespaces here (checked by
/// trying).
pub fn unpriv_userns_ok() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        unpriv("/usr/bin/unshare")
            .args(["-U", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Skips (returns false) where the tests of unprivileged behaviour cannot run, except
/// in CI: they need no root (they run as [`unpriv_uid`](super::unpriv_uid)), but user
/// namespaces that an unprivileged user may create.
pub fn require_unpriv() -> bool {
    unpriv_userns_ok() || skip("needs unprivileged user namespaces, which this machine disallows")
}
