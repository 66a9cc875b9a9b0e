//! Namespaces that are alive but that no process's `/proc/PID/ns` shows, nor an fd, a
//! socket or a mount of our own mount namespace:
//!
//! - held only by a thread (one that called `unshare(2)` or `setns(2)`): its links are
//!   in `/proc/PID/task/TID/ns`. The kernel tells how many threads a process has by the
//!   link count of `/proc/PID/task` (2 plus the threads), one `statx` per process; only
//!   a process with more than one thread has its task directory read, and a thread's
//!   namespace is kept only where its link differs from its process's. A thread's own
//!   mount namespace is noted like a process's, its table read through `/proc/TID`;
//! - held only as the namespace a process's children will be in: `pid_for_children`
//!   (readable once the first child was forked into it) and `time_for_children` (made by
//!   `unshare(CLONE_NEWTIME)`, entered by the process itself only when it execs): a
//!   thread's are read with its other links; a process's only with `--children`,
//!   since two more `readlinkat` per process cost about an eighth more time, over the
//!   5% that finding hidden namespaces may add to a scan (`docs/performance.md`);
//! - held only by an nsfs bind mount in another mount namespace (`ip netns add` inside a
//!   container): the mount table of each distinct mount namespace is read once, through
//!   the `/proc/PID/mountinfo` of its lowest member PID, and each mount point is pinned
//!   and checked through that process's root (`/proc/PID/root/POINT`, `O_PATH`, then
//!   `statx`: the nsfs inode mountinfo names, or nothing);
//! - user namespaces without a process that only a child user namespace keeps alive:
//!   the parent (`NS_GET_USERNS`) of every user namespace that processes are in, once
//!   per namespace.
//!
//! What the pass notes (links that differ, the mount namespaces met) is only looked at
//! after it, when every process-held namespace is known: a namespace a later process is
//! in counts as that process's. Such namespaces are listed as those an fd holds are: no
//! process, their owners and parents alongside.

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;

use nix::errno::Errno;
use nscore::{NsSet, NsType};

use super::kernel::{Kernel, Open};
use super::procfs::{digits, each_entry, link_inode, proc_path, LINK_MAX, PROC_BATCH};
use super::Scan;
use crate::model::{Access, Namespace, Origin};

/// A process's namespaces, by type (`NsType as usize`); 0 where unknown.
pub(super) type Own = [u64; NsType::ALL.len()];

/// The ns links the pass reads per process, by type and link name.
pub(super) struct Links {
    /// Of the asked types: what a process is a member of.
    pub members: Vec<(NsType, CString)>,
    /// `pid_for_children` and `time_for_children`, of the asked types: read for every
    /// thread looked at, and for every process with `--children`.
    children: Vec<(NsType, CString)>,
    /// Whether each process's `*_for_children` links are read (`--children`).
    process_children: bool,
    /// `mnt`, when mount namespaces are not asked for (their mount tables still are).
    mnt_only: Option<(NsType, CString)>,
}

impl Links {
    pub(super) fn new(types: NsSet, for_children: bool) -> Links {
        let link = |t: NsType, name: &str| Some((t, CString::new(name).ok()?));
        Links {
            members: types.iter().filter_map(|t| link(t, t.proc_name())).collect(),
            children: types
                .iter()
                .filter(|t| t.for_children_name() != t.proc_name())
                .filter_map(|t| link(t, t.for_children_name()))
                .collect(),
            process_children: for_children,
            mnt_only: if types.contains(NsType::Mnt) { None } else { link(NsType::Mnt, NsType::Mnt.proc_name()) },
        }
    }
}

/// A link, of a thread or a `*_for_children` one, that names namespace `ino`.
#[derive(Debug)]
struct HiddenRef {
    ino: u64,
    ty: NsType,
    path: PathBuf,
}

/// What the pass noted for after it.
#[derive(Debug, Default)]
pub(super) struct Hidden {
    refs: Vec<HiddenRef>,
    /// Mount namespaces and a member PID, whenever a process's differs from the one
    /// before (neighbours mostly share theirs).
    mnts: Vec<(u64, i32)>,
}

impl<K: Kernel> Scan<K> {
    /// After a process's member links (`own`): its `*_for_children` links (with
    /// `--children`), its mount namespace, and, if it has more than one thread, its
    /// threads' links.
    pub(super) fn look_hidden(&mut self, pid: i32, nsdir: BorrowedFd<'_>, links: &Links, own: &mut Own) {
        let at = |name: &CStr| PathBuf::from(format!("/proc/{pid}/ns/{}", name.to_string_lossy()));
        if links.process_children
            && self.differing(nsdir, &links.children, own, &mut [0; NsType::ALL.len()], &at).is_err()
        {
            return;
        }
        if let Some((ty, name)) = &links.mnt_only {
            own[*ty as usize] = self.link_of(nsdir, name, *ty).unwrap_or(0);
        }
        let mnt = own[NsType::Mnt as usize];
        if mnt != 0 && self.hidden.mnts.last().map_or(true, |&(last, _)| last != mnt) {
            self.hidden.mnts.push((mnt, pid));
        }
        // Kernel assumption: the link count of /proc/PID/task is 2 plus the number of
        // threads. Were it lower, threads' namespaces would be missed; higher, a
        // single-threaded process's task directory would be read in vain.
        if self.k.statx_nlink(nsdir, c"../task").is_ok_and(|n| n > 3) {
            self.look_at_threads(pid, nsdir, links, own);
        }
    }

    /// The links of every thread of `pid` but its main one that differ from `own`; a
    /// thread's mount namespace of its own has its mount table read too (through
    /// `/proc/TID`, which the kernel serves for any thread though /proc does not list it).
    fn look_at_threads(&mut self, pid: i32, nsdir: BorrowedFd<'_>, links: &Links, own: &Own) {
        let Ok(task) = self.k.openat(Some(nsdir), c"../task", Open::Dir) else { return };
        let mut tids = Vec::new();
        each_entry(&self.k, task.as_fd(), &mut [0; PROC_BATCH], |name| {
            tids.extend(digits(name.to_bytes()).filter(|&tid| tid != pid));
        });
        let mut path = Vec::new();
        for tid in tids {
            let Some(name) = proc_path(&mut path, tid, b"ns") else { continue };
            let Ok(dir) = self.k.openat(Some(task.as_fd()), name, Open::Walk) else { continue };
            let at = |name: &CStr| PathBuf::from(format!("/proc/{pid}/task/{tid}/ns/{}", name.to_string_lossy()));
            let mut its: Own = [0; NsType::ALL.len()];
            let r = self.differing(dir.as_fd(), &links.members, own, &mut its, &at);
            if r.and_then(|()| self.differing(dir.as_fd(), &links.children, own, &mut its, &at)).is_err() {
                return; // refused: so are its other threads
            }
            if let Some((ty, name)) = &links.mnt_only {
                its[*ty as usize] = self.link_of(dir.as_fd(), name, *ty).unwrap_or(0);
            }
            let mnt = its[NsType::Mnt as usize];
            if mnt != 0 && mnt != own[NsType::Mnt as usize] {
                self.hidden.mnts.push((mnt, tid));
            }
        }
    }

    /// Notes the links in `dir` that name another namespace than `own` has for their
    /// type, at the path `at` makes of the link's name, and what each names in `its`;
    /// `Err` if the kernel refuses.
    fn differing(
        &mut self,
        dir: BorrowedFd<'_>,
        links: &[(NsType, CString)],
        own: &Own,
        its: &mut Own,
        at: &dyn Fn(&CStr) -> PathBuf,
    ) -> Result<(), Errno> {
        for (ty, name) in links {
            match self.link_of(dir, name, *ty) {
                Ok(ino) if ino != own[*ty as usize] => {
                    its[*ty as usize] = ino;
                    self.hidden.refs.push(HiddenRef { ino, ty: *ty, path: at(name) });
                }
                Ok(ino) => its[*ty as usize] = ino,
                Err(e @ (Errno::EACCES | Errno::EPERM)) => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// The inode a namespace link of type `ty` names (a `*_for_children` link's text
    /// starts with its type's name too).
    fn link_of(&self, dir: BorrowedFd<'_>, name: &CStr, ty: NsType) -> Result<u64, Errno> {
        let mut text = [0u8; LINK_MAX];
        let n = self.k.readlinkat(dir, name, &mut text)?;
        link_inode(&text[..n], ty.proc_name().as_bytes()).ok_or(Errno::EINVAL)
    }

    /// The namespaces only a thread or a `*_for_children` link holds, each checked
    /// (pinned through the link, as an fd's namespace is) and joined by its ancestors.
    pub(super) fn add_hidden_namespaces(&mut self, types: NsSet) {
        for r in std::mem::take(&mut self.hidden.refs) {
            if self.model.contains(r.ino) {
                continue; // a process is in it, or another link held it
            }
            let Some(file) = self.open_verified(&r.path, r.ino) else { continue };
            self.model.add(Namespace::new(r.ino, r.ty, Access::Path(r.path), Origin::Held));
            self.add_ancestors(file.as_fd(), r.ty, types);
        }
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
                let _ = self.add_mount_table(Some(pid), types, &mut theirs);
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
