//! Refusing to run with privileges the caller does not have.
//!
//! Installed set-user-ID root (by mistake, or by a packager copying util-linux's modes),
//! a namespace tool hands root to anyone: `-S 0 -G 0` gives a root shell, `-t` enters
//! root's namespaces, a listing shows every process. None of the tools is written to
//! hold privileges on behalf of a less privileged caller, so each refuses to start when
//! it has any: before it parses options (`--help` and `--version` included), so that
//! the mistake shows at once and nothing else has run.

use nix::unistd::{getresgid, getresuid};

use crate::error::{Error, Result};
use crate::sys;

/// What the administrator can do about it.
const HINT: &str = "this tool must not be installed set-user-ID, set-group-ID or with file capabilities: \
                    remove them (chmod u-s,g-s FILE; setcap -r FILE) and run it as root, e.g. with sudo, \
                    where it needs privileges";

/// Fails with a message that says why and what to do when the real, effective and
/// saved user IDs, or group IDs, are not all equal, or when the kernel started us in
/// secure-execution mode (`AT_SECURE`, which also covers file capabilities and security
/// modules that ask for it).
///
/// The kernel sets `AT_SECURE` whenever the effective user or group ID an exec leaves
/// differs from the real one (`getauxval(3)`), and an exec makes the saved IDs the
/// effective ones: without the flag the IDs are all equal, so the usual start costs no
/// system call (the auxiliary vector is in memory). Only a refusal asks for the IDs
/// (`getresuid`, `getresgid`), to say which differ.
pub fn refuse_elevated() -> Result<()> {
    if !sys::secure_exec() {
        return Ok(());
    }
    let uids = getresuid().map_err(|e| Error::sys("getresuid failed", e))?;
    let gids = getresgid().map_err(|e| Error::sys("getresgid failed", e))?;
    let verdict = check(
        [uids.real.as_raw(), uids.effective.as_raw(), uids.saved.as_raw()],
        [gids.real.as_raw(), gids.effective.as_raw(), gids.saved.as_raw()],
        true,
    );
    match verdict {
        None => Ok(()),
        Some(why) => Err(Error::msg(why).with_hint(HINT)),
    }
}

/// The pure decision: why we must not run, given `[real, effective, saved]` user and
/// group IDs and the kernel's secure-execution flag.
fn check(uids: [u32; 3], gids: [u32; 3], secure: bool) -> Option<String> {
    let differ = |[r, e, s]: [u32; 3]| r != e || r != s;
    let show = |[r, e, s]: [u32; 3]| format!("real {r}, effective {e}, saved {s}");
    if differ(uids) {
        return Some(format!("refusing to run set-user-ID (user IDs: {})", show(uids)));
    }
    if differ(gids) {
        return Some(format!("refusing to run set-group-ID (group IDs: {})", show(gids)));
    }
    secure.then(|| {
        "refusing to run in secure-execution mode (the kernel gave this program privileges \
         its caller lacks, e.g. file capabilities)"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        assert_eq!(check([0; 3], [0; 3], false), None);
        assert_eq!(check([1000; 3], [100; 3], false), None);
        assert_eq!(
            check([65534, 0, 0], [65534; 3], true).unwrap(),
            "refusing to run set-user-ID (user IDs: real 65534, effective 0, saved 0)"
        );
        assert_eq!(
            check([65534; 3], [65534, 0, 0], true).unwrap(),
            "refusing to run set-group-ID (group IDs: real 65534, effective 0, saved 0)"
        );
        // the saved ID alone (impossible straight after exec, but not ours to hold)
        assert!(check([5, 5, 0], [5; 3], false).unwrap().contains("saved 0"));
        assert!(check([0; 3], [0; 3], true).unwrap().contains("secure-execution mode"));
    }

    #[test]
    fn the_test_harness_runs() {
        refuse_elevated().unwrap();
    }

    #[test]
    fn message_and_hint() {
        let e = Error::msg(check([65534, 0, 0], [65534; 3], true).unwrap()).with_hint(HINT);
        let text = e.render("rs-unshare", "rs-unshare");
        assert!(
            text.starts_with("rs-unshare: refusing to run set-user-ID (user IDs: real 65534, effective 0"),
            "{text}"
        );
        assert!(text.contains("\nrs-unshare: hint: this tool must not be installed set-user-ID"), "{text}");
        assert_eq!(e.exit_code(), 1);
    }
}
