//! A process's credentials as `/proc/PID/status` shows them, and whether another
//! process holds exactly the privileges we do.

/// The credential lines of `/proc/PID/status`, kept as the kernel wrote them: user and
/// group IDs (real, effective, saved, filesystem; mapped into the reader's user
/// namespace) and the permitted, effective and bounding capability sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creds {
    pub uids: Vec<u8>,
    pub gids: Vec<u8>,
    pub cap_prm: Vec<u8>,
    pub cap_eff: Vec<u8>,
    pub cap_bnd: Vec<u8>,
}

impl Creds {
    /// Picks the lines out of a status file; `None` when one is missing.
    pub fn parse(status: &[u8]) -> Option<Creds> {
        let field = |name: &[u8]| -> Option<Vec<u8>> {
            status.split(|&b| b == b'\n').find_map(|line| {
                let rest = line.strip_prefix(name)?.strip_prefix(b":")?;
                Some(rest.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(&b' '))
            })
        };
        Some(Creds {
            uids: field(b"Uid")?,
            gids: field(b"Gid")?,
            cap_prm: field(b"CapPrm")?,
            cap_eff: field(b"CapEff")?,
            cap_bnd: field(b"CapBnd")?,
        })
    }

    /// Whether these credentials hold no capabilities at all.
    fn no_capabilities(&self) -> bool {
        let zero = |v: &[u8]| v.iter().all(|&b| b == b'0');
        zero(&self.cap_prm) && zero(&self.cap_eff)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
