//! Reading the facts [`super`] decides on, through [`Syscall`], on the failure path only.
//! Whatever cannot be read is left unknown (`None`): a diagnosis never fails the tool.

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use super::{Caller, SetnsFacts, Sysctl, UserNs, CAP_SYS_ADMIN};
use crate::creds::Creds;
use crate::idmap::{self, IdKind};
use crate::nstype::{NsSet, NsType};
use crate::procfs::{self, MountInfo};
use crate::seam::Syscall;

fn open_ro<S: Syscall>(sys: &mut S, path: &str) -> Option<OwnedFd> {
    sys.open(None, Path::new(path), OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).ok()
}

/// The user namespace `fd` stands for: its inode and owner.
pub fn user_ns<S: Syscall>(sys: &mut S, fd: &OwnedFd) -> Option<UserNs> {
    let ino = sys.fstat(fd.as_fd()).ok()?.ino;
    let owner = sys.ns_get_owner_uid(fd.as_fd()).ok()?;
    Some(UserNs { ino, owner })
}

/// The user namespace that owns the namespace file at `path`.
pub fn owner_of<S: Syscall>(sys: &mut S, path: &str) -> Option<UserNs> {
    let ns = open_ro(sys, path)?;
    let owner = sys.ns_get_userns(ns.as_fd()).ok()?;
    user_ns(sys, &owner)
}

/// Who we are: effective ids and CAP_SYS_ADMIN from our status, and our user namespace.
pub fn caller<S: Syscall>(sys: &mut S) -> Caller {
    let creds = sys.read_file(Path::new("/proc/self/status")).ok().and_then(|s| Creds::parse(&s));
    let userns = open_ro(sys, "/proc/self/ns/user").and_then(|fd| user_ns(sys, &fd));
    Caller {
        euid: creds.as_ref().and_then(Creds::euid).unwrap_or(u32::MAX),
        admin: creds.as_ref().and_then(Creds::cap_eff_mask).is_some_and(|c| c & (1 << CAP_SYS_ADMIN) != 0),
        userns,
    }
}

/// `kernel.foo` read from `/proc/sys/kernel/foo`; settings this kernel lacks are left out.
pub fn sysctls<S: Syscall>(sys: &mut S, names: &[String]) -> Vec<Sysctl> {
    let mut found = Vec::new();
    for name in names {
        let path = format!("/proc/sys/{}", name.replace('.', "/"));
        if let Some(v) = sys.read_text(Path::new(&path)).ok().and_then(|t| t.trim().parse().ok()) {
            found.push((name.clone(), v));
        }
    }
    found
}

/// The `user.max_<type>_namespaces` names of `types`, and the settings that switch user
/// namespaces off.
pub fn limit_names(types: NsSet) -> Vec<String> {
    let mut names: Vec<String> = types.iter().map(super::max_sysctl).collect();
    for (n, _) in super::USERNS_SWITCHES {
        if !names.iter().any(|m| m == n) {
            names.push(n.to_string());
        }
    }
    names
}

/// Our PID namespace's depth as our `/proc` shows it (one `NSpid` entry per level from
/// the proc's namespace down).
pub fn pid_level<S: Syscall>(sys: &mut S) -> Option<u32> {
    let status = sys.read_file(Path::new("/proc/self/status")).ok()?;
    let n = procfs::status_field(&status, b"NSpid")?.len();
    u32::try_from(n).ok()?.checked_sub(1)
}

/// Our mount table.
pub fn mountinfo<S: Syscall>(sys: &mut S) -> Vec<MountInfo> {
    let text = sys.read_file(Path::new("/proc/self/mountinfo")).unwrap_or_default();
    crate::procfs::parse_mountinfo(&text)
}

/// Every block of ours (by user name or number) in /etc/subuid or /etc/subgid.
pub fn subid_blocks<S: Syscall>(sys: &mut S, kind: IdKind, name: Option<&str>, id: u32) -> Vec<(u32, u32)> {
    let text = sys.read_text(Path::new(kind.subid_file())).unwrap_or_default();
    idmap::subid_blocks(&text, name, id).filter_map(Result::ok).collect()
}

/// About a refused `setns(2)` into namespaces of `pid` (`types`; by `/proc/PID/ns`) or
/// into the namespace files `files`.
pub fn setns<S: Syscall>(
    sys: &mut S,
    me: &Caller,
    pid: Option<i32>,
    types: NsSet,
    files: &[(NsType, String)],
) -> SetnsFacts {
    let path_of = |t: NsType| match files.iter().find(|(ft, _)| *ft == t) {
        Some((_, p)) => Some(p.clone()),
        None => pid.map(|p| format!("/proc/{p}/ns/{}", t.proc_name())),
    };
    let target_uid = pid.and_then(|p| {
        let status = sys.read_file(Path::new(&format!("/proc/{p}/status"))).ok()?;
        Creds::parse(&status)?.euid()
    });
    let mut target_userns = path_of(NsType::User).and_then(|p| open_ro(sys, &p)).and_then(|fd| user_ns(sys, &fd));
    // A process we may not inspect, with our uid map, is in our user namespace.
    if let (None, Some(p)) = (target_userns, pid) {
        let theirs = sys.read_file(Path::new(&format!("/proc/{p}/uid_map")));
        let ours = sys.read_file(Path::new("/proc/self/uid_map"));
        if matches!((&theirs, &ours), (Ok(a), Ok(b)) if a == b && !a.is_empty()) {
            target_userns = me.userns;
        }
    }
    let refused = types.iter().find(|t| *t != NsType::User).map(|t| {
        let owner = path_of(t).and_then(|p| owner_of(sys, &p));
        let owner = owner.or(target_userns.filter(|_| files.iter().all(|(ft, _)| *ft != t)));
        (t, owner)
    });
    SetnsFacts { pid, target_uid, entering_user: types.contains(NsType::User), target_userns, refused }
}
