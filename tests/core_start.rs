//! The start of the tools: a caller whose real and effective IDs differ is refused even
//! without set-ID bits on the binary.

mod common;

use std::process::Command;

use common::{require_root, run, world_exec_copy};

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
    for bin in [env!("CARGO_BIN_EXE_rs-unshare"), env!("CARGO_BIN_EXE_rs-nsenter"), env!("CARGO_BIN_EXE_rs-lsns")]
        .map(world_exec_copy)
    {
        let name = bin.file_name().unwrap().to_string_lossy().into_owned();
        for (ids, why) in cases {
            let (out, err, code) = run(Command::new("/usr/bin/setpriv").args(ids).arg(&bin).arg("--version"));
            let first = err.lines().next().unwrap_or_default();
            assert_eq!((out.as_str(), first, code), ("", format!("{name}: refusing to run {why}").as_str(), 1));
        }
    }
}
