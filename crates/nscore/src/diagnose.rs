//! Why a step failed, in one line: the `<name>: hint: ...` that follows util-linux's
//! message when the tools can tell the actual cause.
//!
//! "Operation not permitted" has many causes (a capability missing in one user namespace
//! but not another, a sysctl, a covered /proc, an id outside the caller's subordinate
//! ids), and the user at the keyboard sees none of them. On the failure path only, the
//! tools look at the system ([`facts`], through `Syscall`) and hand what they found, as
//! plain data, to the functions here, which decide. Each returns `None` when the facts
//! name no cause: a hint is added only when it is the cause, never a list of guesses.
//!
//! The success path reads none of this: not one system call is added to a run that works.

use std::path::Path;

use crate::idmap::{IdKind, IdRange};
use crate::nstype::{NsSet, NsType};
use crate::procfs::MountInfo;

pub mod facts;

/// `CAP_SYS_ADMIN`'s bit in the capability sets of `/proc/PID/status`.
pub const CAP_SYS_ADMIN: u32 = 21;

/// A user namespace: its inode and the uid that created it (as our namespace sees it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserNs {
    /// The inode of its nsfs file.
    pub ino: u64,
    /// `NS_GET_OWNER_UID`.
    pub owner: u32,
}

/// The caller: effective uid, whether it holds CAP_SYS_ADMIN (in its own user
/// namespace), and that namespace when it could be looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// Effective uid.
    pub euid: u32,
    /// CAP_SYS_ADMIN in the effective set.
    pub admin: bool,
    /// Our own user namespace.
    pub userns: Option<UserNs>,
}

/// What was found about the target of a refused `setns(2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetnsFacts {
    /// The target PID (`None` for namespaces given as files).
    pub pid: Option<i32>,
    /// The target's effective uid (from its `status`, which anyone may read).
    pub target_uid: Option<u32>,
    /// Whether the user namespace is among the ones being entered.
    pub entering_user: bool,
    /// The target's user namespace, when it could be looked at (or is known to be ours).
    pub target_userns: Option<UserNs>,
    /// The first namespace refused that is not a user namespace, and its owner.
    pub refused: Option<(NsType, Option<UserNs>)>,
}

/// `setns(2)` refused with EPERM: who owns what, and whether `-U` would help.
pub fn setns_eperm(me: &Caller, f: &SetnsFacts) -> Option<String> {
    if me.admin && f.entering_user {
        return None;
    }
    let whose = f.pid.map_or_else(|| "the file".to_string(), |p| format!("PID {p}"));
    if f.entering_user {
        if let Some(u) = f.target_userns.filter(|u| u.owner != me.euid) {
            return Some(format!(
                "user namespace {} of {whose} belongs to uid {}, not to you (uid {}): run as uid {} or root",
                u.ino, u.owner, me.euid, u.owner
            ));
        }
    }
    match f.refused {
        Some((t, Some(owner))) if !me.admin => Some(refused_by_owner(me, t, owner, &whose)),
        _ => match f.target_uid {
            Some(uid) if uid != me.euid && !me.admin => Some(format!(
                "{whose} belongs to uid {uid}, not to you (uid {}): only uid {uid} or root may enter it",
                me.euid
            )),
            _ => None,
        },
    }
}

/// A namespace other than a user namespace refused to a caller without CAP_SYS_ADMIN.
fn refused_by_owner(me: &Caller, t: NsType, owner: UserNs, whose: &str) -> String {
    let ours = me.userns.is_some_and(|u| u.ino == owner.ino);
    if !ours && owner.owner == me.euid {
        return format!("the {t} namespace of {whose} is in your user namespace {}: add -U (or -a)", owner.ino);
    }
    let what = match owner.owner {
        0 => "run as root".to_string(),
        o => format!("run as uid {o} with -U, or as root"),
    };
    format!("the {t} namespace of {whose} is owned by uid {} (user namespace {}): {what}", owner.owner, owner.ino)
}

/// A sysctl as read: name (`user.max_net_namespaces`) and value.
pub type Sysctl = (String, i64);

/// The settings that switch unprivileged user namespaces off, with their "off" value.
pub const USERNS_SWITCHES: [(&str, i64); 3] = [
    ("kernel.unprivileged_userns_clone", 0),
    ("kernel.apparmor_restrict_unprivileged_userns", 1),
    ("user.max_user_namespaces", 0),
];

/// The first of [`USERNS_SWITCHES`] that is set to "off".
fn userns_switched_off(sysctls: &[Sysctl]) -> Option<&Sysctl> {
    USERNS_SWITCHES.iter().find_map(|(name, off)| sysctls.iter().find(|(n, v)| n == name && v == off))
}

/// `unshare(2)` refused with EPERM.
pub fn unshare_eperm(me: &Caller, types: NsSet, sysctls: &[Sysctl]) -> Option<String> {
    if me.admin {
        return None;
    }
    let off = userns_switched_off(sysctls);
    if types.contains(NsType::User) {
        let (name, value) = off?;
        return Some(format!("unprivileged user namespaces are switched off here: {name} = {value}"));
    }
    let names: Vec<&str> = types.iter().map(NsType::proc_name).collect();
    let (what, verb) = match names.len() {
        1 => (format!("a {} namespace", names[0]), "needs"),
        _ => (format!("{} namespaces", names.join(", ")), "need"),
    };
    Some(match off {
        Some((name, value)) => {
            format!("uid {} lacks CAP_SYS_ADMIN for {what}, and -r cannot help: {name} = {value}", me.euid)
        }
        None => format!("{what} {verb} CAP_SYS_ADMIN, which uid {} lacks: add -r (--map-root-user)", me.euid),
    })
}

/// The nesting limits: a new user namespace may be at most 33 levels below the initial
/// one (the kernel refuses when the parent is at level 33), a PID namespace 32.
pub const MAX_USERNS_LEVEL: u32 = 33;
/// See [`MAX_USERNS_LEVEL`].
pub const MAX_PIDNS_LEVEL: u32 = 32;

/// The sysctl that limits the namespaces of type `t` a user may have,
/// `user.max_<type>_namespaces`.
pub fn max_sysctl(t: NsType) -> String {
    format!("user.max_{}_namespaces", t.proc_name())
}

/// `unshare(2)` refused with ENOSPC or EUSERS: which limit. `sysctls` are the
/// `user.max_<type>_namespaces` of the types asked for, `pid_level` the current PID
/// namespace's depth where known.
pub fn unshare_limit(types: NsSet, sysctls: &[Sysctl], pid_level: Option<u32>) -> Option<String> {
    let per_type = |t: NsType| {
        let name = max_sysctl(t);
        sysctls.iter().find(|(n, _)| *n == name).map(|(_, v)| (name, *v))
    };
    for t in types.iter() {
        if let Some((name, 0)) = per_type(t) {
            return Some(format!("{name} = 0 in this user namespace: it allows no new {t} namespace"));
        }
    }
    if let (true, Some(level)) = (types.contains(NsType::Pid), pid_level) {
        if level >= MAX_PIDNS_LEVEL {
            return Some(format!(
                "PID namespaces nest at most {MAX_PIDNS_LEVEL} deep, and this one is at depth {level}"
            ));
        }
    }
    // A user namespace's own limits start at the largest int, so one never lowered cannot
    // be what was reached: the depth is (an outer namespace's count limit would be too,
    // but those are per user and in the hundred thousands).
    match per_type(NsType::User) {
        Some((name, v)) if types.contains(NsType::User) && v == i64::from(i32::MAX) => Some(format!(
            "{MAX_USERNS_LEVEL} nested user namespaces are the kernel's limit, reached here ({name} = {v})"
        )),
        _ => None,
    }
}

/// A new proc refused (EPERM) where the proc mounts of this mount namespace have parts
/// covered: the kernel lets a user namespace mount proc only where an existing one is
/// fully visible. Names the mounts on top of the proc mounts.
pub fn covered_proc(mounts: &[MountInfo]) -> Option<String> {
    let procs: Vec<&MountInfo> = mounts.iter().filter(|m| m.fstype == "proc").collect();
    let covering: Vec<String> = mounts
        .iter()
        .filter(|m| procs.iter().any(|p| p.mount_id == m.parent_id) && m.fstype != "proc")
        .map(|m| String::from_utf8_lossy(&m.mount_point).into_owned())
        .collect();
    if procs.is_empty() || covering.is_empty() {
        return None;
    }
    Some(format!(
        "a user namespace gets a new proc only where /proc is fully visible; covered here: {}",
        covering.join(", ")
    ))
}

/// The caller's blocks in /etc/subuid (or /etc/subgid): (first id, count).
pub type SubidBlocks = Vec<(u32, u32)>;

/// newuidmap/newgidmap refused a map: the first range outside the caller's own id and
/// subordinate blocks.
pub fn subid_range(kind: IdKind, own: u32, ranges: &[IdRange], blocks: &[(u32, u32)]) -> Option<String> {
    let inside = |r: &IdRange| {
        (r.count == 1 && r.outer == own)
            || blocks
                .iter()
                .any(|&(s, n)| r.outer >= s && u64::from(r.outer) + u64::from(r.count) <= u64::from(s) + u64::from(n))
    };
    let bad = ranges.iter().find(|r| !inside(r))?;
    let (id, file) = match kind {
        IdKind::Uid => ("uid", "/etc/subuid"),
        IdKind::Gid => ("gid", "/etc/subgid"),
    };
    let last = u64::from(bad.outer) + u64::from(bad.count) - 1;
    let have: Vec<String> = blocks.iter().map(|(s, n)| format!("{s}-{}", u64::from(*s) + u64::from(*n) - 1)).collect();
    let have = if have.is_empty() { "none".to_string() } else { have.join(", ") };
    Some(format!("{id}s {}-{last} are not yours in {file} ({id} {own} has: {have})", bad.outer))
}

/// newuidmap/newgidmap ran but is not set-user-ID, so it cannot write the map. (Its
/// owner is not looked at: the caller is in the new user namespace by then, where root
/// shows as the overflow uid.)
pub fn helper_not_setuid(path: &Path, mode: u32) -> Option<String> {
    (mode & libc::S_ISUID == 0)
        .then(|| format!("{} is not set-user-ID, so it may not write id maps: reinstall it", path.display()))
}

/// Writing `setgroups` refused (EPERM) after a gid map was written: the kernel fixes it
/// then. `gid_map` is the map file's content.
pub fn setgroups_after_gid_map(gid_map: &str) -> Option<String> {
    if gid_map.trim().is_empty() {
        return None;
    }
    Some("the gid map is written already, which fixes setgroups: it can be set only before".to_string())
}

/// Writing `gid_map` refused (EPERM) to a caller without CAP_SETGID while `setgroups` is
/// not `deny`: the kernel's rule for an unprivileged gid map.
pub fn gid_map_with_setgroups(setgroups: &str) -> Option<String> {
    let value = setgroups.trim();
    (value == "allow").then(|| "an unprivileged gid map needs setgroups denied first, and it is allow".to_string())
}

/// exec failed with ENOENT after changing root or entering a mount namespace: the
/// program is missing *there*. `found` says whether the file itself exists there (then
/// the interpreter or a library it names is what is missing).
pub fn missing_inside(prog: &str, place: &str, found: bool) -> String {
    if found {
        format!("{prog} exists inside {place}, but its interpreter or a library it needs does not")
    } else {
        format!("{prog} was not found inside {place}")
    }
}

#[cfg(test)]
mod tests;
