//! The start of the tools: the program rs-unshare or rs-nsenter runs keeps an ignored
//! SIGPIPE ignored (as util-linux leaves it), and a caller whose real and effective IDs
//! differ is refused even without set-ID bits on the binary.

mod common;

use std::process::{Command, Stdio};

use common::{comm, require_root, run, wait_until, world_exec_copy, KillOnDrop};

const UNSHARE: &str = env!("CARGO_BIN_EXE_rs-unshare");
const NSENTER: &str = env!("CARGO_BIN_EXE_rs-nsenter");

/// The `SigIgn:` line of the program that `tool args...` runs, started from a shell that
/// ignores SIGPIPE (as a caller may: `trap '' PIPE`, `nohup`-like wrappers).
fn ignored_signals(tool: &str, args: &[&str]) -> String {
    let script = r#"trap '' PIPE; exec "$@""#;
    let mut c = Command::new("/bin/sh");
    c.args(["-c", script, "sh", tool]).args(args).args(["grep", "SigIgn", "/proc/self/status"]);
    let (out, err, code) = run(&mut c);
    assert_eq!(code, 0, "{tool} {args:?}: {err}");
    out
}

/// A process in a new user namespace, by util-linux's unshare (which execs sleep in the
/// same process).
fn target() -> KillOnDrop {
    let mut c = Command::new("/usr/bin/unshare");
    c.args(["-U", "-r", "sleep", "300"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let t = KillOnDrop(c.spawn().expect("spawn unshare"));
    wait_until("the target to exec sleep", || comm(t.0.id()) == "sleep");
    t
}

#[test]
fn an_ignored_sigpipe_stays_ignored() {
    if !require_root("an_ignored_sigpipe_stays_ignored") {
        return;
    }
    let want = ignored_signals("/usr/bin/unshare", &["-U"]);
    // SIGPIPE is signal 13: bit 12 of the mask
    let mask = u64::from_str_radix(want.trim().trim_start_matches("SigIgn:").trim(), 16).unwrap();
    assert_ne!(mask & (1 << 12), 0, "the shell did not ignore SIGPIPE: {want}");
    assert_eq!(ignored_signals(UNSHARE, &["-U"]), want);
    assert_eq!(ignored_signals(UNSHARE, &["-U", "-f"]), want);
    let target = target();
    let pid = target.0.id().to_string();
    assert_eq!(ignored_signals(NSENTER, &["-t", &pid, "-U"]), ignored_signals("/usr/bin/nsenter", &["-t", &pid, "-U"]));
    assert_eq!(ignored_signals(NSENTER, &["-t", &pid, "-U"]), want);
}

/// Real and effective IDs that differ at exec are refused, though no set-ID bit made
/// them: the kernel marks such a start secure-execution too, which is all the check
/// looks at before it asks for the IDs.
#[test]
fn differing_real_and_effective_ids_are_refused() {
    if !require_root("differing_real_and_effective_ids_are_refused") {
        return;
    }
    let cases = [
        (&["--ruid=65534", "--euid=0"][..], "set-user-ID (user IDs: real 65534, effective 0, saved 0)"),
        (&["--ruid=0", "--euid=65534"][..], "set-user-ID (user IDs: real 0, effective 65534, saved 65534)"),
        (
            &["--rgid=65534", "--egid=0", "--keep-groups"][..],
            "set-group-ID (group IDs: real 65534, effective 0, saved 0)",
        ),
    ];
    for bin in [UNSHARE, NSENTER, env!("CARGO_BIN_EXE_rs-lsns")].map(world_exec_copy) {
        let name = bin.file_name().unwrap().to_string_lossy().into_owned();
        for (ids, why) in cases {
            let (out, err, code) = run(Command::new("/usr/bin/setpriv").args(ids).arg(&bin).arg("--version"));
            let first = err.lines().next().unwrap_or_default();
            assert_eq!((out.as_str(), first, code), ("", format!("{name}: refusing to run {why}").as_str(), 1));
        }
    }
}
