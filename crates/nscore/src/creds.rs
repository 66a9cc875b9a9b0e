//! A process's credentials as `/proc/PID/status` shows them, whether another process
//! holds exactly the privileges we do, and the one switch of our own credentials.

use crate::error::{Error, Result};
use crate::seam::Syscall;

/// The credential lines of `/proc/PID/status`, kept as the kernel wrote them: user and
/// group IDs (real, effective, saved, filesystem; mapped into the reader's user
/// namespace) and the permitted, effective and bounding capability sets.
///
/// The values are compared, never computed with, so they stay text (whitespace runs
/// collapsed to one space): no parsing that could fail or lose a difference.
///
/// ```
/// use nscore::creds::{same_privilege, Creds};
///
/// let status = b"Name:\tsh\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n\
///     CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n";
/// let ours = Creds::parse(status).unwrap();
/// assert_eq!(ours.uids, b"1000 1000 1000 1000");
/// // without capabilities, the same ids are the same privilege in any user namespace
/// assert!(same_privilege(&ours, &ours, false));
/// assert_eq!(Creds::parse(b"Uid:\t0\t0\t0\t0\n"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creds {
    /// The `Uid:` line: real, effective, saved and filesystem uid.
    pub uids: Vec<u8>,
    /// The `Gid:` line: real, effective, saved and filesystem gid.
    pub gids: Vec<u8>,
    /// The `CapPrm:` line: the permitted set, in hex.
    pub cap_prm: Vec<u8>,
    /// The `CapEff:` line: the effective set, in hex.
    pub cap_eff: Vec<u8>,
    /// The `CapBnd:` line: the bounding set, in hex.
    pub cap_bnd: Vec<u8>,
}

impl Creds {
    /// Picks the lines out of a status file; `None` when one is missing.
    pub fn parse(status: &[u8]) -> Option<Creds> {
        let field = |name: &[u8]| Some(crate::procfs::status_field(status, name)?.join(&b' '));
        Some(Creds {
            uids: field(b"Uid")?,
            gids: field(b"Gid")?,
            cap_prm: field(b"CapPrm")?,
            cap_eff: field(b"CapEff")?,
            cap_bnd: field(b"CapBnd")?,
        })
    }

    /// The effective uid (the second of the `Uid:` line's ids).
    pub fn euid(&self) -> Option<u32> {
        nth_number(&self.uids, 1)
    }

    /// The effective gid.
    pub fn egid(&self) -> Option<u32> {
        nth_number(&self.gids, 1)
    }

    /// The effective capability set, as a mask.
    pub fn cap_eff_mask(&self) -> Option<u64> {
        u64::from_str_radix(std::str::from_utf8(&self.cap_eff).ok()?, 16).ok()
    }

    /// Whether these credentials hold no capabilities at all.
    fn no_capabilities(&self) -> bool {
        let zero = |v: &[u8]| v.iter().all(|&b| b == b'0');
        zero(&self.cap_prm) && zero(&self.cap_eff)
    }
}

/// Word `n` (from 0) of a space-separated line, as a number.
fn nth_number(line: &[u8], n: usize) -> Option<u32> {
    std::str::from_utf8(line.split(|&b| b == b' ').nth(n)?).ok()?.parse().ok()
}

/// Whether code of the target's owner could run with no more privilege than it already
/// has if it ran with ours: the same user and group IDs (all four of each), and, when
/// we hold capabilities, the same user namespace and capability sets. (An unprivileged
/// caller holds no capability a process of the same IDs lacks in our namespace, whatever
/// user namespace it is in; a privileged caller's capabilities mean more than the
/// same-looking ones of a process in a child namespace, or than fewer in ours.)
pub fn same_privilege(ours: &Creds, target: &Creds, same_userns: bool) -> bool {
    if ours.uids != target.uids || ours.gids != target.gids {
        return false;
    }
    ours.no_capabilities()
        || (same_userns
            && ours.cap_prm == target.cap_prm
            && ours.cap_eff == target.cap_eff
            && ours.cap_bnd == target.cap_bnd)
}

/// How a failed `setgroups(2)` (dropping every supplementary group before a gid change)
/// is taken: the tools differ, and each keeps util-linux's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropGroups {
    /// A failure is an error (rs-unshare's `--setgid` and `--owner`).
    Required,
    /// rs-nsenter's rule: a failure is an error only if `setgroups` also failed before
    /// the namespaces were entered (`failed_before`) and there are supplementary groups
    /// left to drop (an unprivileged user namespace denies `setgroups`, harmlessly when
    /// there are none).
    Tolerant {
        /// The probe before entering failed too.
        failed_before: bool,
    },
}

/// Changes credentials in the only safe order: supplementary groups, then gid, then uid
/// (after `setuid` we would no longer have the right to change the others). Each step
/// only when its id is given; the groups only with a gid. The messages are util-linux's.
pub fn switch<S: Syscall>(sys: &mut S, gid: Option<u32>, uid: Option<u32>, groups: DropGroups) -> Result<()> {
    if let Some(gid) = gid {
        drop_groups(sys, groups)?;
        sys.setgid(gid).map_err(|e| Error::sys("setgid() failed", e))?;
    }
    if let Some(uid) = uid {
        sys.setuid(uid).map_err(|e| Error::sys("setuid() failed", e))?;
    }
    Ok(())
}

fn drop_groups<S: Syscall>(sys: &mut S, rule: DropGroups) -> Result<()> {
    match (sys.setgroups(&[]), rule) {
        (Ok(()), _) => Ok(()),
        (Err(_), DropGroups::Tolerant { failed_before: false }) => Ok(()),
        (Err(_), DropGroups::Tolerant { failed_before: true }) if sys.getgroups().is_ok_and(|g| g.is_empty()) => Ok(()),
        (Err(e), _) => Err(Error::sys("setgroups failed", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seam::fake::{Ended, Fake};
    use nix::errno::Errno;

    const ROOT: &[u8] = b"Name:\tsleep\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t0 \n\
        CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n\
        CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n";
    const NOBODY: &[u8] = b"Uid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n\
        CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n";

    #[test]
    fn parses_status() {
        let c = Creds::parse(ROOT).unwrap();
        assert_eq!(c.uids, b"0 0 0 0");
        assert_eq!(c.cap_eff, b"000001ffffffffff");
        assert_eq!((c.euid(), c.egid(), c.cap_eff_mask()), (Some(0), Some(0), Some(0x1ff_ffff_ffff)));
        assert!(!c.no_capabilities());
        assert!(Creds::parse(NOBODY).unwrap().no_capabilities());
        assert_eq!(Creds::parse(b"Uid:\t0\t0\t0\t0\n"), None);
        assert_eq!(Creds::parse(b""), None);
        let own = std::fs::read("/proc/self/status").unwrap();
        assert!(Creds::parse(&own).is_some());
    }

    #[test]
    fn privilege_comparisons() {
        let root = Creds::parse(ROOT).unwrap();
        let nobody = Creds::parse(NOBODY).unwrap();
        assert!(same_privilege(&root, &root, true));
        assert!(!same_privilege(&root, &root, false), "root of a child user namespace");
        assert!(!same_privilege(&root, &nobody, true));
        assert!(!same_privilege(&nobody, &root, true));
        // uid 65534 entering its own container: the root there maps back to 65534
        let contained = Creds { uids: nobody.uids.clone(), gids: nobody.gids.clone(), ..root.clone() };
        assert!(same_privilege(&nobody, &contained, false));
        // a root process without capabilities (as in a container sharing our IDs)
        let zero = b"0000000000000000".to_vec();
        let capless = Creds { cap_prm: zero.clone(), cap_eff: zero.clone(), cap_bnd: zero, ..root.clone() };
        assert!(!same_privilege(&root, &capless, true));
        let mut other_gid = root.clone();
        other_gid.gids = b"0 0 0 5".to_vec();
        assert!(!same_privilege(&root, &other_gid, true));
    }

    #[test]
    fn credentials_switch_in_order() {
        let mut f = Fake::new();
        assert_eq!(f.run(|s| switch(s, Some(5), Some(6), DropGroups::Required).map(|()| 0)), Ended::Status(0));
        assert_eq!(f.log(), ["setgroups []", "setgid 5", "setuid 6"]);
        let mut f = Fake::new();
        f.run(|s| switch(s, None, Some(6), DropGroups::Required).map(|()| 0));
        assert_eq!(f.log(), ["setuid 6"], "no gid: the groups stay");
    }

    #[test]
    fn group_drop_rules() {
        let run = |rule, groups: &[u32]| {
            let mut f = Fake::new();
            f.fail("setgroups", Errno::EPERM).set_groups(groups);
            let end = f.run(|s| switch(s, Some(5), None, rule).map(|()| 0));
            (end, f.log().join("; "))
        };
        let refused = Ended::Failed("setgroups failed: Operation not permitted".into(), 1);
        assert_eq!(run(DropGroups::Required, &[]), (refused.clone(), "setgroups [] -> EPERM".into()));
        let tolerant = DropGroups::Tolerant { failed_before: true };
        assert_eq!(run(tolerant, &[10]), (refused, "setgroups [] -> EPERM; getgroups".into()));
        assert_eq!(run(tolerant, &[]), (Ended::Status(0), "setgroups [] -> EPERM; getgroups; setgid 5".into()));
        let first_try = DropGroups::Tolerant { failed_before: false };
        assert_eq!(run(first_try, &[10]), (Ended::Status(0), "setgroups [] -> EPERM; setgid 5".into()));
    }
}
