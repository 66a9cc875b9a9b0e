//! The pass: every process in /proc (its ns links, its fds), then the namespaces only an
//! fd, a socket or a mount keeps alive.

use std::collections::HashSet;
use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::errno::Errno;
use nscore::ids::push_decimal;
use nscore::procfs::parse_mountinfo;
use nscore::sys::{self, FileId};
use nscore::{Error, NsSet, NsType};

use super::hidden::{Links, Own};
use super::kernel::{Kernel, Open};
use super::procfs::{digits, each_entry, last_batch, link_inode, proc_path, LINK_MAX, PROC_BATCH};
use super::{Scan, ScanOpts};
use crate::model::{Access, Namespace, Origin, Prefetch};
use crate::sockets::Socket;

/// An open fd of process `pid`: a namespace file or a socket, with its inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FdRef {
    Ns { ino: u64, pid: i32, fd: i32 },
    Socket { ino: u64, pid: i32, fd: i32 },
}

/// What an fd whose file is `id` may hold: a namespace when the file lives on the nsfs
/// device, a socket's network namespace; nothing otherwise (pipes, files, devices).
pub(super) fn classify(id: FileId, nsfs_dev: Option<u64>, pid: i32, fd: i32) -> Option<FdRef> {
    if id.is_socket() {
        Some(FdRef::Socket { ino: id.ino, pid, fd })
    } else if Some(id.dev) == nsfs_dev {
        Some(FdRef::Ns { ino: id.ino, pid, fd })
    } else {
        None
    }
}

impl<K: Kernel> Scan<K> {
    /// Every process in /proc, read a batch of [`PROC_BATCH`] bytes of entries at a time,
    /// each batch's processes examined before the next is read.
    ///
    /// Reading /proc makes the kernel look up (or set up) each listed process's dentry;
    /// looked at right away, that dentry, its inode and the task behind them are still in
    /// the CPU caches, where after a listing of thousands they are not (the saving is in
    /// `docs/performance.md`). The order is the same: ascending PIDs, so the first member
    /// met is a namespace's representative.
    ///
    /// Kernel assumption: /proc lists PIDs in ascending order. If not, a namespace's
    /// representative is still its lowest PID (`Model::attach` keeps the lowest), but
    /// what is prefetched for a representative that a lower PID later replaces is read
    /// in vain. Debug builds check the order.
    pub(super) fn scan_processes(&mut self, o: &ScanOpts) -> Vec<FdRef> {
        // room for three namespaces of its own per process (a container's init has up to
        // eight), so that the index is not rehashed over and over while it grows; /proc's
        // link count is the number of processes plus a few
        let procs = self.k.nlink(self.proc_dir.as_fd()).unwrap_or(0);
        self.model.reserve(procs * 3);
        let links = Links::new(o.types, o.for_children);
        let mut refs = Vec::new();
        let mut path = Vec::with_capacity(32);
        let mut batch = [0u8; PROC_BATCH];
        let mut pids = Vec::new();
        let mut fd_buf = Vec::new();
        let mut last_pid = 0;
        while let Ok(n) = self.k.getdents64(self.proc_dir.as_fd(), &mut batch) {
            pids.clear();
            pids.extend(sys::dirent_names(&batch[..n]).filter_map(|name| digits(name.to_bytes())));
            for &pid in &pids {
                debug_assert!(pid > last_pid, "/proc lists PID {pid} after {last_pid}");
                last_pid = pid;
                self.scan_process(pid, o, &links, &mut path, &mut fd_buf, &mut refs);
            }
            if last_batch(n, &batch) {
                break;
            }
        }
        refs
    }

    /// One process: its namespaces, what its lines will show if it represents one, and
    /// the namespaces and sockets among its fds (into `refs`). `path` and `fd_buf` are
    /// buffers reused for every process.
    fn scan_process(
        &mut self,
        pid: i32,
        o: &ScanOpts,
        links: &Links,
        path: &mut Vec<u8>,
        fd_buf: &mut Vec<u8>,
        refs: &mut Vec<FdRef>,
    ) {
        let Some(name) = proc_path(path, pid, b"ns") else { return };
        let Ok(nsdir) = self.k.openat(Some(self.proc_dir.as_fd()), name, Open::Walk) else {
            return; // gone, or not ours to see
        };
        let mut own: Own = [0; NsType::ALL.len()];
        let Some(rep) = self.read_ns_links(pid, nsdir.as_fd(), &links.members, o, &mut own) else { return };
        if o.task.is_none() {
            self.look_hidden(pid, nsdir.as_fd(), links, &mut own);
        }
        if rep {
            self.prefetch(pid, nsdir.as_fd(), o.prefetch);
        }
        let start = refs.len();
        if self.count_fds && self.scan_dense_fds(pid, nsdir.as_fd(), o.types, path, refs) {
            return;
        }
        refs.truncate(start);
        if let Ok(fddir) = self.k.openat(Some(nsdir.as_fd()), c"../fd", Open::Dir) {
            fd_buf.resize(64 * 1024, 0);
            self.scan_fds(pid, fddir.as_fd(), o.types, fd_buf, refs);
        }
    }

    /// The fds of `pid` when they are 0 to n-1, as they mostly are: the kernel tells n (a
    /// `statx` of `/proc/PID/fd`), and each is looked up by number, with no directory to
    /// open, read and close. False when one of them is not open (the directory must be
    /// read then); true when done, or when the kernel refuses the look (as it would
    /// refuse the directory).
    ///
    /// Kernel assumption: the size of `/proc/PID/fd` is the number of open fds (Linux
    /// 6.2 and later; `Scan::run` falls back to reading every directory when it is 0).
    /// Were it larger, a look-up would find a gap and the directory would be read (slower,
    /// still right); were it smaller, the fds above it would be missed, with their
    /// namespaces. Debug builds check it on our own fds.
    ///
    /// The paths start from the process's open ns directory, `nsdir` (`../fd/N`): the
    /// walk then skips the look-up of the PID in /proc and its check that the process
    /// still lives. Kernel assumption: `..` of `/proc/PID/ns` is that process's
    /// directory, whose look-ups fail once it is gone, so a PID reused since cannot
    /// mislead the scan; were it otherwise, another process's fds could be read.
    fn scan_dense_fds(
        &self,
        pid: i32,
        nsdir: BorrowedFd<'_>,
        types: NsSet,
        path: &mut Vec<u8>,
        refs: &mut Vec<FdRef>,
    ) -> bool {
        let Ok(count) = self.k.statx_size(nsdir, c"../fd") else { return true }; // gone
        let Ok(count) = i32::try_from(count) else { return false };
        path.clear();
        path.extend_from_slice(b"../fd/");
        let dir_len = path.len();
        for fd in 0..count {
            path.truncate(dir_len);
            push_decimal(path, fd as u64);
            path.push(0);
            let Ok(name) = CStr::from_bytes_with_nul(path) else { return false };
            match self.k.statx(nsdir, name) {
                Ok(id) => self.keep_fd(id, pid, fd, types, refs),
                Err(Errno::ENOENT) => return false, // not open: the fds have gaps
                Err(Errno::EACCES | Errno::EPERM) => return true,
                Err(_) => {} // open, but its file cannot be examined
            }
        }
        true
    }

    /// Records fd `fd` of `pid`, whose file is `id`, if it is a namespace or a socket
    /// whose network namespace is asked for.
    fn keep_fd(&self, id: FileId, pid: i32, fd: i32, types: NsSet, refs: &mut Vec<FdRef>) {
        match classify(id, self.nsfs_dev, pid, fd) {
            Some(FdRef::Socket { .. }) if !types.contains(NsType::Net) => {}
            r => refs.extend(r),
        }
    }

    /// What the lines of representative `pid` will ask, asked now; its command line is
    /// read through its open ns directory (`../cmdline`, see `Scan::scan_dense_fds`).
    fn prefetch(&mut self, pid: i32, nsdir: BorrowedFd<'_>, p: Prefetch) {
        use crate::model::Facts;
        if p.ppid {
            self.ppid(pid);
        }
        if p.uid {
            self.uid(pid);
        }
        if p.command {
            self.cached_command(pid, Some(nsdir));
        }
    }

    /// Counts `pid` in the namespaces its `/proc/PID/ns` links name (noted in `own`);
    /// `None` if the kernel refused to show them, else whether `pid` represents one of
    /// them.
    ///
    /// Kernel assumption: the kernel asks the same ptrace question for every ns link and
    /// every fd link of a process, so after one refusal nothing else of it is tried. Were
    /// some links allowed after a refusal, their namespaces would be missed. Root meets that where a
    /// security module (Landlock, Yama) forbids the look: the directory opens, but no
    /// link reads.
    fn read_ns_links(
        &mut self,
        pid: i32,
        nsdir: BorrowedFd<'_>,
        links: &[(NsType, CString)],
        o: &ScanOpts,
        own: &mut Own,
    ) -> Option<bool> {
        let mut text = [0u8; LINK_MAX];
        let mut rep = false;
        for &(ty, ref link) in links {
            let n = match self.k.readlinkat(nsdir, link, &mut text) {
                Ok(n) => n,
                Err(Errno::EACCES | Errno::EPERM) => return None,
                Err(_) => continue, // a type this kernel lacks, or the process is gone
            };
            let Some(ino) = link_inode(&text[..n], link.to_bytes()) else { continue };
            own[ty as usize] = ino;
            rep |= self.model.attach(ino, ty, pid);
            if o.target == Some(ino) {
                self.model.add_member(pid);
            }
            if o.task == Some(pid) {
                self.model.add_task_ns(ino);
            }
        }
        Some(rep)
    }

    /// Namespace files and (if net namespaces are asked for) sockets among the open fds
    /// of `pid`.
    fn scan_fds(&self, pid: i32, fddir: BorrowedFd<'_>, types: NsSet, buf: &mut [u8], refs: &mut Vec<FdRef>) {
        each_entry(&self.k, fddir, buf, |name| {
            let Some(fd) = digits(name.to_bytes()) else { return };
            if let Ok(id) = self.k.statx(fddir, name) {
                self.keep_fd(id, pid, fd, types, refs);
            }
        });
    }

    /// Namespaces that only an fd or a socket keeps alive, with the owners and parents
    /// that nothing else shows us. The sockets' namespaces are asked of the kernel's
    /// socket look-up (a helper process, see [`crate::sockets`]).
    pub(super) fn add_fd_namespaces(&mut self, types: NsSet, refs: Vec<FdRef>) {
        let mut seen: HashSet<u64> = HashSet::new();
        let mut seen_sockets: HashSet<u64> = HashSet::new();
        let mut sockets = Vec::new();
        for r in refs {
            match r {
                // once its type is known it is in the model or not wanted: done
                FdRef::Ns { ino, pid, fd } if !self.model.contains(ino) && !seen.contains(&ino) => {
                    seen.extend(self.add_fd_namespace(ino, pid, fd, types).map(|_| ino));
                }
                FdRef::Socket { ino, pid, fd } if seen_sockets.insert(ino) => sockets.push(Socket { pid, fd, ino }),
                _ => {}
            }
        }
        if sockets.is_empty() {
            return;
        }
        let model = &self.model;
        let found = self.k.socket_netns(&sockets, &|ino| model.contains(ino));
        for netns in found.namespaces {
            self.add_socket_namespace(netns, types);
        }
        self.socket_warnings = found.warnings;
    }

    /// Namespace `ino`, which fd `fd` of `pid` was seen to hold, if it still does: its
    /// type, and (when that type is asked for) it and its ancestors join the model.
    fn add_fd_namespace(&mut self, ino: u64, pid: i32, fd: i32, types: NsSet) -> Option<NsType> {
        let path = PathBuf::from(format!("/proc/{pid}/fd/{fd}"));
        let file = self.open_verified(&path, ino)?;
        let ty = self.k.ns_get_nstype(file.as_fd()).ok().and_then(NsType::from_clone_flag)?;
        if types.contains(ty) {
            self.model.add(Namespace::new(ino, ty, Access::Path(path), Origin::Held));
            self.add_ancestors(file.as_fd(), ty, types);
        }
        Some(ty)
    }

    /// The network namespace of a socket, with its ancestors, unless already known.
    fn add_socket_namespace(&mut self, netns: OwnedFd, types: NsSet) {
        let Some(ino) = self.inode(netns.as_fd()) else { return };
        if self.model.contains(ino) {
            return;
        }
        self.add_ancestors(netns.as_fd(), NsType::Net, types);
        self.model.add(Namespace::new(ino, NsType::Net, Access::Held(netns), Origin::Held));
    }

    /// The parent (pid and user namespaces) and the owner of the namespace `fd` is, and
    /// theirs, up to what the model has. A user namespace's owner is its parent, asked
    /// once.
    pub(super) fn add_ancestors(&mut self, fd: BorrowedFd<'_>, ty: NsType, types: NsSet) {
        let mut up: Vec<(OwnedFd, NsType)> = Vec::new();
        if matches!(ty, NsType::Pid | NsType::User) {
            if let Ok(p) = self.k.ns_get_parent(fd) {
                up.push((p, ty));
            }
        }
        if ty != NsType::User {
            if let Ok(o) = self.k.ns_get_userns(fd) {
                up.push((o, NsType::User));
            }
        }
        for (f, t) in up {
            let Some(ino) = self.inode(f.as_fd()) else { continue };
            if self.model.contains(ino) || !types.contains(t) {
                continue;
            }
            self.add_ancestors(f.as_fd(), t, types);
            self.model.add(Namespace::new(ino, t, Access::Held(f), Origin::Held));
        }
    }

    /// nsfs bind mounts: the NSFS column, and namespaces nothing but a mount keeps. Such
    /// a namespace is listed only if its mount point leads to it (as util-linux does): not
    /// for a user who may not reach the mount, nor when something is mounted over it.
    pub(super) fn add_mounts(&mut self, types: NsSet) -> Result<(), Error> {
        self.add_mount_table(None, types, &mut HashSet::new())
            .map_err(|_| Error::msg("failed to parse /proc/self/mountinfo"))
    }

    /// The nsfs mounts of our mount table (`pid` `None`), or of the mount namespace of
    /// process `pid` (see `hidden`), whose mount points are reached through its root
    /// (`/proc/PID/root/POINT`) and noted for NSFS only for namespaces with no mount point
    /// in ours; `theirs` collects those.
    pub(super) fn add_mount_table(
        &mut self,
        pid: Option<i32>,
        types: NsSet,
        theirs: &mut HashSet<u64>,
    ) -> Result<(), Errno> {
        let text = self.k.mountinfo(pid)?;
        for m in parse_mountinfo(&text) {
            let Some((ty, ino)) = m.nsfs_target() else { continue };
            if pid.is_none() || self.model.nsfs(ino).is_none() || theirs.contains(&ino) {
                theirs.insert(ino); // (for our own table, a set nobody reads)
                self.model.add_nsfs(ino, &m.mount_point);
            }
            if !types.contains(ty) || self.model.contains(ino) {
                continue;
            }
            let mut path = pid.map_or_else(Vec::new, |pid| format!("/proc/{pid}/root").into_bytes());
            path.extend_from_slice(&m.mount_point);
            let path = PathBuf::from(OsStr::from_bytes(&path));
            if self.pin(&path, ino).is_some() {
                self.model.add(Namespace::new(ino, ty, Access::Path(path), Origin::Held));
            }
        }
        Ok(())
    }
}
