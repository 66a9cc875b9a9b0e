//! Namespaces that are alive but that no process's `/proc/PID/ns` shows, nor an fd, a
//! socket or a mount of our own mount namespace:
//!
//! - held only by an nsfs bind mount in another mount namespace (`ip netns add` inside a
//!   container): the mount table of each distinct mount namespace is read once, through
//!   the `/proc/PID/mountinfo` of its lowest member PID, and each mount point is pinned
//!   and checked through that process's root (`/proc/PID/root/POINT`, `O_PATH`, then
//!   `statx`: the nsfs inode mountinfo names, or nothing);
//! - user namespaces without a process that only a child user namespace keeps alive:
//!   the parent (`NS_GET_USERNS`) of every user namespace that processes are in, once
//!   per namespace.
//!
//! What the pass notes (the mount namespaces met) is only looked at
//! after it, when every process-held namespace is known: a namespace a later process is
//! in counts as that process's. Such namespaces are listed as those an fd holds are: no
//! process, their owners and parents alongside.

use std::collections::HashSet;
use std::ffi::{CStr, CString, OsString};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use nix::errno::Errno;
use nscore::procfs::parse_mountinfo;
use nscore::{NsSet, NsType};

use super::kernel::Kernel;
use super::procfs::{link_inode, LINK_MAX};
use super::Scan;
use crate::model::{Access, Namespace, Origin};

/// A process's namespaces, by type (`NsType as usize`); 0 where unknown.
pub(super) type Own = [u64; NsType::ALL.len()];

/// The ns links the pass reads per process, by type and link name.
pub(super) struct Links {
    /// Of the asked types: what a process is a member of.
    pub members: Vec<(NsType, CString)>,
    /// `mnt`, when mount namespaces are not asked for (their mount tables still are).
    mnt_only: Option<(NsType, CString)>,
}

impl Links {
    pub(super) fn new(types: NsSet) -> Links {
        let link = |t: NsType, name: &str| Some((t, CString::new(name).ok()?));
        Links {
            members: types.iter().filter_map(|t| link(t, t.proc_name())).collect(),
            mnt_only: if types.contains(NsType::Mnt) { None } else { link(NsType::Mnt, "mnt") },
        }
    }
}

/// What the pass noted for after it.
#[derive(Debug, Default)]
pub(super) struct Hidden {
    /// Mount namespaces and a member PID, whenever a process's differs from the one
    /// before (neighbours mostly share theirs).
    mnts: Vec<(u64, i32)>,
}

impl<K: Kernel> Scan<K> {
    /// After a process's member links (`own`): its mount namespace, noted where it
    /// differs from the previous process's.
    pub(super) fn look_hidden(&mut self, pid: i32, nsdir: BorrowedFd<'_>, links: &Links, own: &mut Own) {
        if let Some((ty, name)) = &links.mnt_only {
            own[*ty as usize] = self.link_of(nsdir, name, *ty).unwrap_or(0);
        }
        let mnt = own[NsType::Mnt as usize];
        if mnt != 0 && self.hidden.mnts.last().map_or(true, |&(last, _)| last != mnt) {
            self.hidden.mnts.push((mnt, pid));
        }
    }

    /// The inode a namespace link of type `ty` names.
    fn link_of(&self, dir: BorrowedFd<'_>, name: &CStr, ty: NsType) -> Result<u64, Errno> {
        let mut text = [0u8; LINK_MAX];
        let n = self.k.readlinkat(dir, name, &mut text)?;
        link_inode(&text[..n], ty.proc_name().as_bytes()).ok_or(Errno::EINVAL)
    }

    /// nsfs bind mounts of the other mount namespaces: the mount table of each read once,
    /// through a member's `/proc/PID/mountinfo`. The NSFS column shows a mount point as
    /// it is in that mount namespace, for namespaces that have none in ours (whose
    /// mounts show as they always have).
    pub(super) fn add_other_mounts(&mut self, types: NsSet) {
        let mut mnts = std::mem::take(&mut self.hidden.mnts);
        if mnts.is_empty() {
            return;
        }
        let Ok(ours) = self.k.statx(self.proc_dir.as_fd(), c"self/ns/mnt") else { return };
        mnts.sort_unstable(); // by inode, then PID: the lowest member first
        mnts.dedup_by_key(|m| m.0);
        let mut theirs = HashSet::new();
        for (mnt, pid) in mnts {
            if mnt != ours.ino {
                self.add_mounts_of(pid, types, &mut theirs);
            }
        }
    }

    /// The nsfs mounts in the mount namespace of `pid`; `theirs`: the namespaces whose
    /// mount points were found in other mount namespaces only.
    fn add_mounts_of(&mut self, pid: i32, types: NsSet, theirs: &mut HashSet<u64>) {
        let Ok(text) = self.k.mountinfo(Some(pid)) else { return };
        for m in parse_mountinfo(&text) {
            let Some((ty, ino)) = m.nsfs_target() else { continue };
            if self.model.nsfs(ino).is_none() || theirs.contains(&ino) {
                theirs.insert(ino);
                self.model.add_nsfs(ino, &m.mount_point);
            }
            if !types.contains(ty) || self.model.contains(ino) {
                continue;
            }
            let mut path = format!("/proc/{pid}/root").into_bytes();
            path.extend_from_slice(&m.mount_point);
            let path = PathBuf::from(OsString::from_vec(path));
            if self.pin(&path, ino).is_some() {
                self.model.add(Namespace::new(ino, ty, Access::Path(path), Origin::Held));
            }
        }
    }

    /// User namespaces without a process that a child user namespace keeps alive: the
    /// parent of each user namespace processes are in, when the model lacks it, with its
    /// own ancestors. Our own user namespace is not asked: the kernel shows no namespace
    /// outside it, so its parent is never ours to see.
    pub(super) fn add_user_parents(&mut self, types: NsSet) {
        if !types.contains(NsType::User) {
            return;
        }
        let mut users: Vec<usize> = (0..self.model.len())
            .filter(|&i| matches!(self.model.ns(i), n if n.ty == NsType::User && matches!(n.access, Access::Rep)))
            .collect();
        if users.is_empty() {
            return;
        }
        let ours = self.k.statx(self.proc_dir.as_fd(), c"self/ns/user").map_or(0, |id| id.ino);
        users.retain(|&i| self.model.ns(i).ino != ours);
        for i in users {
            let Some(fd) = self.open_ns(i) else { continue };
            // (NS_GET_USERNS of a user namespace is its parent)
            let Ok(parent) = self.k.ns_get_userns(fd.as_fd()) else { continue };
            let Some(ino) = self.inode(parent.as_fd()) else { continue };
            if !self.model.contains(ino) {
                self.add_ancestors(parent.as_fd(), NsType::User, types);
                self.model.add(Namespace::new(ino, NsType::User, Access::Held(parent), Origin::Held));
            }
        }
    }
}
