//! Discovery: one pass over /proc builds the [`Model`]; everything else (stat, cmdline,
//! owner ioctls, NETNSID) is looked up later, only for the lines that need it.
//!
//! Per process the pass costs an `openat` of `/proc/PID/ns` and one `readlinkat` per
//! selected type (the link text, `net:[4026531840]`, names type and inode; with
//! `--children` one per `*_for_children` link of a selected type too; the `mnt` link
//! even when `-t` leaves mount namespaces out, for the mount tables `hidden` reads), a `statx` of
//! `/proc/PID/task` (whose link count tells whether there are threads to look at, see
//! `hidden`), then a
//! `statx` of `/proc/PID/fd`, whose size is the number of open fds, and one `statx` per
//! open descriptor, looked up by number. Only a process whose fds are not 0 to n-1 costs
//! an `openat` and a `getdents64` of the directory (so does every process on a kernel
//! older than 6.2, which reports no size there).
//! `statx` follows the fd's link to the open file without opening it and tells device,
//! inode and type: a socket, or a file on the nsfs device, i.e. a namespace. The link
//! text would not do for namespaces: an fd opened through a bind mount reads back as that
//! path, as `/` once the mount is gone (`ip netns del` while the fd is open), or as a
//! path in another mount namespace. Only what is still unknown after the pass costs more.
//!
//! Nothing here opens, for reading, a file that another user can exchange under us: an
//! fd's file or a mount point is opened with `O_PATH` (which opens nothing: a FIFO cannot
//! block it), checked to be the expected nsfs inode, and only then reopened through
//! `/proc/self/fd`. A socket's network namespace needs a duplicate of the socket, and the
//! fd may hold a FUSE file by the time it is duplicated, whose close can hang for ever:
//! sockets are duplicated, checked and closed by a helper process, never by rs-lsns
//! (see [`crate::sockets`]), and a process that holds the helper up costs at most a
//! second or two and a warning.
//!
//! The modules: [`kernel`] is the seam (every call the scan makes, `Os` for real,
//! `fake::Fake` in unit tests); [`procfs`] reads /proc through it (directories in
//! batches, small files); `discover` is the pass (per process, then fds and mounts);
//! `hidden` what no process's ns links show (threads, `*_for_children` links, the mounts
//! of other mount namespaces, process-less parents of user namespaces); `lookups` answers [`crate::model::Facts`] lazily, each answer cached. Which call counts are the
//! speed contract, and why, is in `docs/performance.md`.

mod discover;
#[cfg(test)]
pub mod fake;
mod hidden;
pub mod kernel;
mod lookups;
pub mod procfs;
#[cfg(test)]
mod tests;

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nscore::{Error, NsSet, NsType};

use self::kernel::{Kernel, Open};
use self::lookups::Lookups;
use crate::model::{Access, Model, Prefetch};

pub use self::kernel::Os;

/// What the scan must look for.
#[derive(Clone, Debug)]
pub struct ScanOpts {
    pub types: NsSet,
    pub task: Option<i32>,
    /// The positional namespace whose member processes are wanted.
    pub target: Option<u64>,
    /// What every representative's line will show, looked up as soon as the scan meets
    /// the process (see [`Prefetch`]).
    pub prefetch: Prefetch,
    /// Read each process's `pid_for_children` and `time_for_children` links too (of the
    /// asked types), for the namespaces only they keep. Off by default: two more
    /// `readlinkat` per process, about an eighth more time (`docs/performance.md`).
    pub for_children: bool,
}

/// A scan's model plus what it learned lazily about processes and namespaces, and the
/// kernel it asks.
pub struct Scan<K: Kernel> {
    pub model: Model,
    k: K,
    proc_dir: OwnedFd,
    /// The device of nsfs, where every namespace file lives (none if /proc/self/ns
    /// cannot be examined: then no fd or mount counts as a namespace).
    nsfs_dev: Option<u64>,
    /// Whether the kernel tells how many fds a process has (see `Scan::scan_dense_fds`).
    count_fds: bool,
    /// The lazy look-ups behind [`crate::model::Facts`], each answer kept.
    cache: Lookups,
    /// The first ns ioctl the kernel lacked: warned about once, and exit status 2.
    pub unsupported: Option<&'static str>,
    /// The processes whose sockets could not be examined (see [`crate::sockets`]).
    socket_warnings: Vec<String>,
    /// What the pass noted of namespaces no process is in (see `hidden`).
    hidden: hidden::Hidden,
}

impl<K: Kernel> Scan<K> {
    /// One pass over /proc through `k`, then the fds' and the mounts' namespaces.
    pub fn run(o: &ScanOpts, k: K) -> Result<Scan<K>, Error> {
        let proc_dir = k.openat(None, c"/proc", Open::Dir).map_err(|e| Error::sys("cannot open /proc", e))?;
        let nsfs_dev = NsType::ALL.iter().find_map(|t| {
            let name = CString::new(format!("self/ns/{}", t.proc_name())).ok()?;
            k.statx(proc_dir.as_fd(), &name).ok().map(|id| id.dev)
        });
        // Kernel assumption: from Linux 6.2 the size of /proc/PID/fd is the number of
        // open fds (0 before). Our own fds are never none (/proc is open), so a count of
        // 0 is a kernel without it: every process's fd directory is read then. If a
        // kernel reported another number, dense fd tables would be misread; debug
        // builds check it on our own fds (`procfs::debug_check_assumptions`).
        let count_fds = k.statx_size(proc_dir.as_fd(), c"self/fd").is_ok_and(|n| n > 0);
        procfs::debug_check_assumptions(&k, proc_dir.as_fd(), count_fds);
        let mut s = Scan {
            model: Model::default(),
            k,
            proc_dir,
            nsfs_dev,
            count_fds,
            cache: Lookups::default(),
            unsupported: None,
            socket_warnings: Vec::new(),
            hidden: hidden::Hidden::default(),
        };
        if s.proc_is_ours() {
            s.cache.pid_infos = Some(Default::default());
        }
        let refs = s.scan_processes(o);
        s.add_fd_namespaces(o.types, refs);
        s.add_hidden_namespaces(o.types);
        s.add_mounts(o.types)?;
        s.add_other_mounts(o.types);
        if o.task.is_none() {
            s.add_user_parents(o.types);
        }
        Ok(s)
    }

    /// The kernel the scan asks (the fake's log, in unit tests).
    #[cfg(test)]
    pub fn kernel(&self) -> &K {
        &self.k
    }

    /// The kernel the scan asks, for a test to change what it answers after the pass.
    #[cfg(test)]
    pub(crate) fn kernel_mut(&mut self) -> &mut K {
        &mut self.k
    }

    /// What to warn about once the lines are known: an ioctl the kernel lacks (util-linux
    /// prints that while it builds its table, before printing it).
    pub fn warnings(&self) -> Vec<Error> {
        let unsupported = self.unsupported.iter().map(|name| Error::msg(format!("Unsupported ioctl {name}")));
        self.socket_warnings.iter().map(Error::msg).chain(unsupported).collect()
    }

    fn inode(&self, fd: BorrowedFd<'_>) -> Option<u64> {
        self.k.statx(fd, c"").ok().map(|id| id.ino)
    }

    /// `path` opened with `O_PATH` if it still leads to the nsfs inode `ino`. Opening with
    /// `O_PATH` touches nothing but the path: not a FIFO's open, not a device's.
    fn pin(&self, path: &Path, ino: u64) -> Option<OwnedFd> {
        let nsfs_dev = self.nsfs_dev?;
        let name = CString::new(path.as_os_str().as_bytes()).ok()?;
        let pinned = self.k.openat(None, &name, Open::Path).ok()?;
        let id = self.k.statx(pinned.as_fd(), c"").ok()?;
        (id.dev == nsfs_dev && id.ino == ino).then_some(pinned)
    }

    /// Namespace `ino` opened for ioctls through `path` (an fd link or a mount point),
    /// race-free: whatever `path` leads to by now, only that very nsfs file is opened.
    fn open_verified(&self, path: &Path, ino: u64) -> Option<OwnedFd> {
        let pinned = self.pin(path, ino)?;
        // ioctls refuse O_PATH descriptors: reopen the file the pinned one refers to
        let again = CString::new(format!("self/fd/{}", pinned.as_raw_fd())).ok()?;
        self.k.openat(Some(self.proc_dir.as_fd()), &again, Open::File).ok()
    }

    /// Opens namespace `idx` for an ioctl.
    fn open_ns(&self, idx: usize) -> Option<OwnedFd> {
        let ns = self.model.ns(idx);
        match &ns.access {
            Access::Rep => {
                let path = CString::new(format!("{}/ns/{}", ns.rep?, ns.ty.proc_name())).ok()?;
                let opened = self.k.openat(Some(self.proc_dir.as_fd()), &path, Open::File).ok();
                opened.or_else(|| self.open_own(ns.ty, ns.ino))
            }
            Access::Path(p) => self.open_verified(p, ns.ino),
            Access::Held(fd) => self.k.dup(fd.as_fd()).ok(),
        }
    }

    /// Our own namespace of type `ty`, if it is `ino`. A representative may have ended
    /// since the scan met it; the namespaces most lines share with us (the initial ones,
    /// above all where we cannot see PID 1's links and a passing process represents
    /// them) stay open to us through `/proc/self`, so their parent and owner still show.
    fn open_own(&self, ty: NsType, ino: u64) -> Option<OwnedFd> {
        let path = CString::new(format!("self/ns/{}", ty.proc_name())).ok()?;
        let fd = self.k.openat(Some(self.proc_dir.as_fd()), &path, Open::File).ok()?;
        (self.inode(fd.as_fd())? == ino).then_some(fd)
    }

    fn check_ioctl<T>(&mut self, r: Result<T, Errno>, name: &'static str) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(Errno::ENOTTY | Errno::ENOSYS) => {
                self.unsupported.get_or_insert(name);
                None
            }
            Err(_) => None,
        }
    }

    /// Whether `/proc/self` is us, i.e. /proc shows the PIDs of our pid namespace.
    fn proc_is_ours(&self) -> bool {
        let mut text = [0u8; 16];
        let me = self.k.getpid().to_string();
        self.k.readlinkat(self.proc_dir.as_fd(), c"self", &mut text).is_ok_and(|n| &text[..n] == me.as_bytes())
    }
}
