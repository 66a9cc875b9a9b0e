//! The eight namespace types, in one table.
//!
//! Every tool needs the same facts about a type (its `CLONE_NEW*` bit, its name under
//! `/proc/PID/ns`, its long option), so they live here once, in util-linux's table order
//! (user first: nsenter's per-file fallback relies on that order).

use std::fmt;

/// A namespace type.
///
/// The variants are declared in util-linux's table order, so the derived `Ord` and the
/// discriminants (which index per-type arrays) follow it too.
///
/// ```
/// use nscore::NsType;
///
/// // one table answers every question about a type
/// assert_eq!(NsType::Mnt.proc_name(), "mnt");
/// assert_eq!(NsType::Mnt.long_option(), "mount");
/// assert_eq!(NsType::Mnt.clone_flag(), libc::CLONE_NEWNS);
/// assert_eq!(NsType::from_proc_name("net"), Some(NsType::Net));
/// assert_eq!(NsType::from_clone_flag(libc::CLONE_NEWUTS), Some(NsType::Uts));
/// // a pid namespace made by unshare(2) is the one of the caller's *children*
/// assert_eq!(NsType::Pid.for_children_name(), "pid_for_children");
/// assert_eq!(NsType::ALL[0], NsType::User);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NsType {
    /// User and group ids and capabilities. Every other namespace is owned by a user
    /// namespace, and capabilities act on a namespace only when held in its owner (or an
    /// ancestor of it): so a user namespace is created or entered first when it is what
    /// grants the rights for the rest.
    User,
    /// The root of the cgroup hierarchy that `/proc/PID/cgroup` and a cgroup mount show.
    Cgroup,
    /// System V IPC objects and POSIX message queues.
    Ipc,
    /// The host name and NIS domain name.
    Uts,
    /// Network devices, addresses, routes, firewall rules and the port space.
    Net,
    /// Process ids. `unshare(2)` does not move the caller: its next child becomes PID 1
    /// of the new namespace (hence unshare's `--fork`), and when that process ends the
    /// kernel kills the rest.
    Pid,
    /// The mount table (`CLONE_NEWNS`: the first namespace, from before there were
    /// others, which is why the flag, the `mnt` link and the `--mount` option differ).
    Mnt,
    /// The offsets of `CLOCK_MONOTONIC` and `CLOCK_BOOTTIME` (Linux 5.6 or newer); like a
    /// pid namespace it takes effect for the children.
    Time,
}

impl NsType {
    /// All types in util-linux's order: user, cgroup, ipc, uts, net, pid, mnt, time.
    pub const ALL: [NsType; 8] =
        [NsType::User, NsType::Cgroup, NsType::Ipc, NsType::Uts, NsType::Net, NsType::Pid, NsType::Mnt, NsType::Time];

    /// The `CLONE_NEW*` flag for `unshare(2)` and `setns(2)`.
    pub const fn clone_flag(self) -> libc::c_int {
        match self {
            NsType::User => libc::CLONE_NEWUSER,
            NsType::Cgroup => libc::CLONE_NEWCGROUP,
            NsType::Ipc => libc::CLONE_NEWIPC,
            NsType::Uts => libc::CLONE_NEWUTS,
            NsType::Net => libc::CLONE_NEWNET,
            NsType::Pid => libc::CLONE_NEWPID,
            NsType::Mnt => libc::CLONE_NEWNS,
            NsType::Time => libc::CLONE_NEWTIME,
        }
    }

    /// The type whose `CLONE_NEW*` flag is `flag` (as `NS_GET_NSTYPE` reports it).
    pub fn from_clone_flag(flag: libc::c_int) -> Option<NsType> {
        Self::ALL.into_iter().find(|t| t.clone_flag() == flag)
    }

    /// The link name under `/proc/PID/ns/` (also the TYPE column of lsns).
    pub const fn proc_name(self) -> &'static str {
        match self {
            NsType::User => "user",
            NsType::Cgroup => "cgroup",
            NsType::Ipc => "ipc",
            NsType::Uts => "uts",
            NsType::Net => "net",
            NsType::Pid => "pid",
            NsType::Mnt => "mnt",
            NsType::Time => "time",
        }
    }

    /// The link that names the namespace a process's *children* will get. Only pid and
    /// time namespaces differ: `unshare(2)` moves the children, not the caller.
    pub const fn for_children_name(self) -> &'static str {
        match self {
            NsType::Pid => "pid_for_children",
            NsType::Time => "time_for_children",
            other => other.proc_name(),
        }
    }

    /// The long option of unshare and nsenter (`--mount` for mnt).
    pub const fn long_option(self) -> &'static str {
        match self {
            NsType::Mnt => "mount",
            other => other.proc_name(),
        }
    }

    /// Parses a `/proc` name as lsns's `--type` takes it.
    pub fn from_proc_name(name: &str) -> Option<NsType> {
        Self::ALL.into_iter().find(|t| t.proc_name() == name)
    }

    /// A bit for this type in a [`NsSet`].
    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for NsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.proc_name())
    }
}

/// A set of namespace types, small and `Copy`.
///
/// A bit per type, so the tools pass sets by value and test membership without
/// allocating; iteration is always in table order, whatever order the types were added
/// in, because the order in which namespaces are created or entered matters.
///
/// ```
/// use nscore::{NsSet, NsType};
///
/// let mut set: NsSet = [NsType::Net, NsType::User].into_iter().collect();
/// set.insert(NsType::Uts);
/// set.insert(NsType::Net); // already there: no change
/// assert_eq!(set.iter().collect::<Vec<_>>(), [NsType::User, NsType::Uts, NsType::Net]);
/// // the mask for one unshare(2) call
/// assert_eq!(set.clone_flags(), libc::CLONE_NEWUSER | libc::CLONE_NEWUTS | libc::CLONE_NEWNET);
/// set.remove(NsType::User);
/// assert!(!set.contains(NsType::User) && set.contains(NsType::Net));
/// assert!(NsSet::EMPTY.is_empty() && NsSet::default() == NsSet::EMPTY);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NsSet(u8);

impl NsSet {
    /// The set with no types (the same as `NsSet::default()`, but usable in `const`).
    pub const EMPTY: NsSet = NsSet(0);

    /// Adds `t`; adding a member again changes nothing.
    pub fn insert(&mut self, t: NsType) {
        self.0 |= t.bit();
    }

    /// Takes `t` out, if it is in.
    pub fn remove(&mut self, t: NsType) {
        self.0 &= !t.bit();
    }

    /// Whether `t` is in the set.
    pub const fn contains(self, t: NsType) -> bool {
        self.0 & t.bit() != 0
    }

    /// Whether no type is in the set (e.g. no namespace option was given).
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members in table order.
    pub fn iter(self) -> impl Iterator<Item = NsType> {
        NsType::ALL.into_iter().filter(move |t| self.contains(*t))
    }

    /// The OR of the members' `CLONE_NEW*` flags.
    pub fn clone_flags(self) -> libc::c_int {
        self.iter().fold(0, |acc, t| acc | t.clone_flag())
    }
}

impl FromIterator<NsType> for NsSet {
    fn from_iter<I: IntoIterator<Item = NsType>>(iter: I) -> Self {
        let mut s = NsSet::EMPTY;
        for t in iter {
            s.insert(t);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        let mut flags = 0;
        for t in NsType::ALL {
            assert_eq!(NsType::from_proc_name(t.proc_name()), Some(t));
            assert_eq!(NsType::from_clone_flag(t.clone_flag()), Some(t));
            assert_eq!(flags & t.clone_flag(), 0, "flags overlap");
            flags |= t.clone_flag();
        }
        assert_eq!(NsType::Mnt.long_option(), "mount");
        assert_eq!(NsType::Time.clone_flag(), 0x80);
        assert_eq!(NsType::Pid.for_children_name(), "pid_for_children");
        assert_eq!(NsType::Net.for_children_name(), "net");
        assert_eq!(NsType::from_proc_name("mount"), None);
    }

    #[test]
    fn set_operations() {
        let mut s: NsSet = [NsType::Net, NsType::User].into_iter().collect();
        assert!(s.contains(NsType::Net) && !s.contains(NsType::Pid));
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![NsType::User, NsType::Net]);
        assert_eq!(s.clone_flags(), libc::CLONE_NEWNET | libc::CLONE_NEWUSER);
        s.remove(NsType::Net);
        assert_eq!(s.iter().count(), 1);
        s.remove(NsType::User);
        assert!(s.is_empty());
    }
}
