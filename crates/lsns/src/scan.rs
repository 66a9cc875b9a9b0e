//! Discovery: one pass over /proc builds the [`Model`]; everything else (stat, cmdline,
//! owner ioctls, NETNSID) is looked up later, only for the lines that need it.
//!
//! Per process the pass costs an `openat` of `/proc/PID/ns` and one `readlinkat` per
//! selected type (the link text, `net:[4026531840]`, names type and inode), then a
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

use std::collections::HashSet;
use std::ffi::{CStr, CString, OsStr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::{fstatat, Mode};
use nix::unistd::Pid;
use nscore::ids::{parse_u64, push_decimal};
use nscore::procfs::{parse_mountinfo, parse_stat};
use nscore::sys::{self, FileId, SingleThreaded};
use nscore::{Error, NsSet, NsType};

use crate::model::{Access, Facts, IdMap, Model, Namespace, Origin, Prefetch};
use crate::netlink;
use crate::sockets::{self, Socket};

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
    /// `main`'s promise of a single thread, which the helper that examines sockets needs
    /// to be forked (see [`crate::sockets`]); without it sockets are not examined.
    pub single: Option<SingleThreaded>,
}

const DIR_FLAGS: OFlag = OFlag::O_RDONLY.union(OFlag::O_DIRECTORY).union(OFlag::O_CLOEXEC);

/// How much of /proc is read at a time (about 40 entries; see [`Scan::scan_processes`]).
const PROC_BATCH: usize = 1024;

/// Room for the longest possible `linux_dirent64` record (19 bytes + a 255-byte name,
/// rounded up).
const MAX_DIRENT: usize = 280;

/// Room for a namespace link's text (`cgroup:[18446744073709551615]` is 29 bytes); a
/// longer text is no namespace link.
const LINK_MAX: usize = 64;

/// Calls `f` for every name in a /proc directory (without `.` and `..`).
fn each_entry(dir: BorrowedFd<'_>, buf: &mut [u8], mut f: impl FnMut(&CStr)) {
    while let Ok(n) = sys::getdents64(dir, buf) {
        for name in sys::dirent_names(&buf[..n]) {
            if name != c"." && name != c".." {
                f(name);
            }
        }
        if last_batch(n, buf) {
            break;
        }
    }
}

/// Whether `n` bytes of entries that `getdents64` put in `buf` were a /proc directory's
/// last. procfs fills the buffer until an entry no longer fits, so a batch that left room
/// for another record was the last one: that saves the second `getdents64` per directory
/// (a quarter of a process's fd-scan calls).
fn last_batch(n: usize, buf: &[u8]) -> bool {
    n + MAX_DIRENT <= buf.len()
}

/// A PID or fd number: a directory entry of decimal digits only.
fn digits(name: &[u8]) -> Option<i32> {
    parse_u64(name).ok()?.try_into().ok()
}

/// An open fd of process `pid`: a namespace file or a socket, with its inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FdRef {
    Ns { ino: u64, pid: i32, fd: i32 },
    Socket { ino: u64, pid: i32, fd: i32 },
}

/// What an fd whose file is `id` may hold: a namespace when the file lives on the nsfs
/// device, a socket's network namespace; nothing otherwise (pipes, files, devices).
fn classify(id: FileId, nsfs_dev: Option<u64>, pid: i32, fd: i32) -> Option<FdRef> {
    if id.is_socket() {
        Some(FdRef::Socket { ino: id.ino, pid, fd })
    } else if Some(id.dev) == nsfs_dev {
        Some(FdRef::Ns { ino: id.ino, pid, fd })
    } else {
        None
    }
}

/// The inode in a namespace link's text `NAME:[INODE]`, when NAME is `name` (a cheaper
/// [`nscore::procfs::parse_ns_link`] for the links read by the thousand, whose type is known).
fn link_inode(text: &[u8], name: &[u8]) -> Option<u64> {
    parse_u64(text.strip_prefix(name)?.strip_prefix(b":[")?.strip_suffix(b"]")?).ok()
}

fn inode(fd: BorrowedFd<'_>) -> Option<u64> {
    sys::file_id_at(fd, c"").ok().map(|id| id.ino)
}

/// `"{pid}/{sub}"` (`"{pid}"` when `sub` is empty) as a C string, in a buffer reused for
/// every process.
fn proc_path<'a>(buf: &'a mut Vec<u8>, pid: i32, sub: &[u8]) -> Option<&'a CStr> {
    buf.clear();
    push_decimal(buf, u64::try_from(pid).ok()?);
    if !sub.is_empty() {
        buf.push(b'/');
        buf.extend_from_slice(sub);
    }
    buf.push(0);
    CStr::from_bytes_with_nul(buf).ok()
}

/// The parent and owner inodes of a namespace.
type Relations = (Option<u64>, Option<u64>);

/// A scan's model plus what it learned lazily about processes and namespaces.
pub struct Scan {
    pub model: Model,
    proc_dir: OwnedFd,
    /// The device of nsfs, where every namespace file lives (none if /proc/self/ns
    /// cannot be examined: then no fd or mount counts as a namespace).
    nsfs_dev: Option<u64>,
    stats: IdMap<i32, Option<(i32, Vec<u8>)>>,
    /// PPID and effective uid by pidfd, while the kernel has `PIDFD_GET_INFO` and our
    /// /proc is of our own pid namespace (its PIDs are the ones `pidfd_open` takes).
    pid_infos: Option<IdMap<i32, Option<sys::PidInfo>>>,
    /// Where each process's COMMAND is in `command_text` (one buffer for thousands of
    /// them, rather than an allocation each).
    commands: IdMap<i32, (usize, usize)>,
    command_text: Vec<u8>,
    uids: IdMap<i32, Option<u32>>,
    users: IdMap<u32, String>,
    containers: IdMap<i32, Vec<u8>>,
    /// Parent and owner by inode, and the ghost types added with them (see `relations`).
    relations: IdMap<u64, (Relations, Option<NsSet>)>,
    /// NETNSID by namespace inode: every member line of `lsns <ns>` shows it again.
    netnsids: IdMap<u64, Vec<u8>>,
    owner_uids: IdMap<u64, Option<u32>>,
    netlink: Option<Option<OwnedFd>>,
    /// Whether the kernel tells how many fds a process has (see [`Scan::scan_dense_fds`]).
    count_fds: bool,
    /// Where /proc files are read to (see [`read_at`]), and their paths made.
    scratch: Box<[u8]>,
    path: Vec<u8>,
    /// The first ns ioctl the kernel lacked: warned about once, and exit status 2.
    pub unsupported: Option<&'static str>,
    /// The processes whose sockets could not be examined (see [`crate::sockets`]).
    socket_warnings: Vec<String>,
}

impl Scan {
    pub fn run(o: &ScanOpts) -> Result<Scan, Error> {
        let proc_dir =
            nix::fcntl::open("/proc", DIR_FLAGS, Mode::empty()).map_err(|e| Error::sys("cannot open /proc", e))?;
        let nsfs_dev = NsType::ALL.iter().find_map(|t| {
            let name = CString::new(format!("self/ns/{}", t.proc_name())).ok()?;
            sys::file_id_at(proc_dir.as_fd(), &name).ok().map(|id| id.dev)
        });
        // our own fds are never none (/proc is open): a count of 0 is a kernel that has none
        let count_fds = sys::size_at(proc_dir.as_fd(), c"self/fd").is_ok_and(|n| n > 0);
        let mut s = Scan {
            model: Model::default(),
            proc_dir,
            nsfs_dev,
            count_fds,
            stats: IdMap::default(),
            pid_infos: None,
            commands: IdMap::default(),
            command_text: Vec::new(),
            uids: IdMap::default(),
            users: IdMap::default(),
            containers: IdMap::default(),
            relations: IdMap::default(),
            netnsids: IdMap::default(),
            owner_uids: IdMap::default(),
            netlink: None,
            scratch: vec![0; READ_MAX].into_boxed_slice(),
            path: Vec::with_capacity(32),
            unsupported: None,
            socket_warnings: Vec::new(),
        };
        if s.proc_is_ours() {
            s.pid_infos = Some(IdMap::default());
        }
        let refs = s.scan_processes(o);
        s.add_fd_namespaces(o.types, refs, o.single);
        s.add_mounts(o.types)?;
        Ok(s)
    }

    /// Every process in /proc, read a batch of [`PROC_BATCH`] bytes of entries at a time,
    /// each batch's processes examined before the next is read.
    ///
    /// Reading /proc makes the kernel look up (or set up) each listed process's dentry;
    /// looked at right away, that dentry, its inode and the task behind them are still in
    /// the CPU caches, where after a listing of thousands they are not: 4% less CPU at
    /// 2,000 processes than listing all of /proc first. (The order is the same: ascending
    /// PIDs, so the first member met is a namespace's representative.)
    fn scan_processes(&mut self, o: &ScanOpts) -> Vec<FdRef> {
        // room for three namespaces of its own per process (a container's init has up to
        // eight), so that the index is not rehashed over and over while it grows; /proc's
        // link count is the number of processes plus a few
        let procs = nix::sys::stat::fstat(self.proc_dir.as_fd()).map_or(0, |st| st.st_nlink as usize);
        self.model.reserve(procs * 3);
        let links: Vec<(NsType, CString)> =
            o.types.iter().filter_map(|t| Some((t, CString::new(t.proc_name()).ok()?))).collect();
        let mut refs = Vec::new();
        let mut path = Vec::with_capacity(32);
        let mut batch = [0u8; PROC_BATCH];
        let mut pids = Vec::new();
        let mut fd_buf = Vec::new();
        while let Ok(n) = sys::getdents64(self.proc_dir.as_fd(), &mut batch) {
            pids.clear();
            pids.extend(sys::dirent_names(&batch[..n]).filter_map(|name| digits(name.to_bytes())));
            for &pid in &pids {
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
        links: &[(NsType, CString)],
        path: &mut Vec<u8>,
        fd_buf: &mut Vec<u8>,
        refs: &mut Vec<FdRef>,
    ) {
        let Some(name) = proc_path(path, pid, b"ns") else { return };
        let Ok(nsdir) = openat(self.proc_dir.as_fd(), name, DIR_FLAGS, Mode::empty()) else {
            return; // gone, or not ours to see
        };
        let Some(rep) = self.read_ns_links(pid, nsdir.as_fd(), links, o) else { return };
        if rep {
            self.prefetch(pid, nsdir.as_fd(), o.prefetch);
        }
        let start = refs.len();
        if self.count_fds && self.scan_dense_fds(pid, nsdir.as_fd(), o.types, path, refs) {
            return;
        }
        refs.truncate(start);
        if let Ok(fddir) = openat(nsdir.as_fd(), c"../fd", DIR_FLAGS, Mode::empty()) {
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
    /// The paths start from the process's open ns directory, `nsdir` (`../fd/N`): the
    /// walk then skips the look-up of the PID in /proc and its check that the process
    /// still lives (a tenth of the cost of these `statx` calls), and a PID reused since
    /// cannot mislead it (the directory it leads to is the old process's, which fails).
    fn scan_dense_fds(
        &self,
        pid: i32,
        nsdir: BorrowedFd<'_>,
        types: NsSet,
        path: &mut Vec<u8>,
        refs: &mut Vec<FdRef>,
    ) -> bool {
        let Ok(count) = sys::size_at(nsdir, c"../fd") else { return true }; // gone
        let Ok(count) = i32::try_from(count) else { return false };
        path.clear();
        path.extend_from_slice(b"../fd/");
        let dir_len = path.len();
        for fd in 0..count {
            path.truncate(dir_len);
            push_decimal(path, fd as u64);
            path.push(0);
            let Ok(name) = CStr::from_bytes_with_nul(path) else { return false };
            match sys::file_id_at(nsdir, name) {
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
    /// read through its open ns directory (`../cmdline`, see [`Scan::scan_dense_fds`]).
    fn prefetch(&mut self, pid: i32, nsdir: BorrowedFd<'_>, p: Prefetch) {
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

    /// Counts `pid` in the namespaces its `/proc/PID/ns` links name; `None` if the
    /// kernel refused to show them, else whether `pid` represents one of them.
    ///
    /// The kernel asks the same ptrace question for every ns link and every fd link of a
    /// process, so after one refusal nothing else of it is tried. Root meets that where a
    /// security module (Landlock, Yama) forbids the look: the directory opens, but no
    /// link reads.
    fn read_ns_links(
        &mut self,
        pid: i32,
        nsdir: BorrowedFd<'_>,
        links: &[(NsType, CString)],
        o: &ScanOpts,
    ) -> Option<bool> {
        let mut text = [0u8; LINK_MAX];
        let mut rep = false;
        for &(ty, ref link) in links {
            let n = match sys::readlink_into(nsdir, link, &mut text) {
                Ok(n) => n,
                Err(Errno::EACCES | Errno::EPERM) => return None,
                Err(_) => continue, // a type this kernel lacks, or the process is gone
            };
            let Some(ino) = link_inode(&text[..n], link.to_bytes()) else { continue };
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
        each_entry(fddir, buf, |name| {
            let Some(fd) = digits(name.to_bytes()) else { return };
            if let Ok(id) = sys::file_id_at(fddir, name) {
                self.keep_fd(id, pid, fd, types, refs);
            }
        });
    }

    /// Namespaces that only an fd or a socket keeps alive, with the owners and parents
    /// that nothing else shows us. The sockets' namespaces are asked of a helper process
    /// (see [`crate::sockets`]), which needs `single` to be forked; without it (unit tests)
    /// sockets are not examined.
    fn add_fd_namespaces(&mut self, types: NsSet, refs: Vec<FdRef>, single: Option<SingleThreaded>) {
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
        let Some(single) = single else { return };
        let model = &self.model;
        let found = sockets::netns_of(single, &sockets, &|ino| model.contains(ino));
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
        let ty = sys::ns_get_nstype(file.as_fd()).ok().and_then(NsType::from_clone_flag)?;
        if types.contains(ty) {
            self.model.add(Namespace::new(ino, ty, Access::Path(path), Origin::Held));
            self.add_ancestors(file.as_fd(), ty, types);
        }
        Some(ty)
    }

    /// The network namespace of a socket, with its ancestors, unless already known.
    fn add_socket_namespace(&mut self, netns: OwnedFd, types: NsSet) {
        let Some(ino) = inode(netns.as_fd()) else { return };
        if self.model.contains(ino) {
            return;
        }
        self.add_ancestors(netns.as_fd(), NsType::Net, types);
        self.model.add(Namespace::new(ino, NsType::Net, Access::Held(netns), Origin::Held));
    }

    /// `path` opened with `O_PATH` if it still leads to the nsfs inode `ino`. Opening with
    /// `O_PATH` touches nothing but the path: not a FIFO's open, not a device's.
    fn pin(&self, path: &Path, ino: u64) -> Option<OwnedFd> {
        let nsfs_dev = self.nsfs_dev?;
        let pinned = nix::fcntl::open(path, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()).ok()?;
        let id = sys::file_id_at(pinned.as_fd(), c"").ok()?;
        (id.dev == nsfs_dev && id.ino == ino).then_some(pinned)
    }

    /// Namespace `ino` opened for ioctls through `path` (an fd link or a mount point),
    /// race-free: whatever `path` leads to by now, only that very nsfs file is opened.
    fn open_verified(&self, path: &Path, ino: u64) -> Option<OwnedFd> {
        let pinned = self.pin(path, ino)?;
        // ioctls refuse O_PATH descriptors: reopen the file the pinned one refers to
        let again = format!("self/fd/{}", pinned.as_raw_fd());
        openat(self.proc_dir.as_fd(), again.as_str(), OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).ok()
    }

    fn add_ancestors(&mut self, fd: BorrowedFd<'_>, ty: NsType, types: NsSet) {
        let mut up: Vec<(OwnedFd, NsType)> = Vec::new();
        if matches!(ty, NsType::Pid | NsType::User) {
            if let Ok(p) = sys::ns_get_parent(fd) {
                up.push((p, ty));
            }
        }
        if let Ok(o) = sys::ns_get_userns(fd) {
            up.push((o, NsType::User));
        }
        for (f, t) in up {
            let Some(ino) = inode(f.as_fd()) else { continue };
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
    fn add_mounts(&mut self, types: NsSet) -> Result<(), Error> {
        let text =
            std::fs::read("/proc/self/mountinfo").map_err(|_| Error::msg("failed to parse /proc/self/mountinfo"))?;
        for m in parse_mountinfo(&text) {
            let Some((ty, ino)) = m.nsfs_target() else { continue };
            self.model.add_nsfs(ino, &m.mount_point);
            if !types.contains(ty) || self.model.contains(ino) {
                continue;
            }
            let path = PathBuf::from(OsStr::from_bytes(&m.mount_point));
            if self.pin(&path, ino).is_some() {
                self.model.add(Namespace::new(ino, ty, Access::Path(path), Origin::Held));
            }
        }
        Ok(())
    }

    /// Asks the kernel (rtnetlink `RTM_GETNSID`) for the NETNSID of net namespace `idx`.
    fn ask_netnsid(&mut self, idx: usize) -> Vec<u8> {
        let ns = self.model.ns(idx);
        // a member process names it without opening anything; otherwise open it
        let (rep, held) = match (&ns.access, ns.rep) {
            (Access::Rep, Some(pid)) => (Some(pid), None),
            _ => (None, self.open_ns(idx)),
        };
        let target = match (rep, &held) {
            (Some(pid), _) => netlink::Target::Pid(pid as u32),
            (None, Some(fd)) => netlink::Target::Fd(fd.as_raw_fd() as u32),
            (None, None) => return Vec::new(),
        };
        let Some(sock) = self.netlink.get_or_insert_with(|| netlink::open().ok()) else { return Vec::new() };
        match netlink::get_nsid(sock.as_fd(), target) {
            Ok(Some(id)) => id.to_string().into_bytes(),
            Ok(None) => b"unassigned".to_vec(),
            Err(_) => Vec::new(),
        }
    }

    /// Whether `/proc/self` is us, i.e. /proc shows the PIDs of our pid namespace.
    fn proc_is_ours(&self) -> bool {
        let mut text = [0u8; 16];
        let me = std::process::id().to_string();
        sys::readlink_into(self.proc_dir.as_fd(), c"self", &mut text).is_ok_and(|n| &text[..n] == me.as_bytes())
    }

    /// PPID and effective uid of a process by `PIDFD_GET_INFO`, asked once; `None` when
    /// the kernel cannot tell (then /proc is read instead, from now on).
    fn pid_info(&mut self, pid: i32) -> Option<Option<sys::PidInfo>> {
        let infos = self.pid_infos.as_mut()?;
        if let Some(&i) = infos.get(&pid) {
            return Some(i);
        }
        let info = match sys::pidfd_open(Pid::from_raw(pid), 0) {
            Ok(fd) => match sys::pidfd_info(fd.as_fd()) {
                Ok(i) => Some(i),
                Err(Errno::ENOTTY | Errno::EINVAL) => {
                    self.pid_infos = None;
                    return None;
                }
                Err(_) => None,
            },
            Err(_) => None,
        };
        infos.insert(pid, info);
        Some(info)
    }

    /// PPID and comm of a process (from `/proc/PID/stat`, read once).
    fn stat(&mut self, pid: i32) -> Option<&(i32, Vec<u8>)> {
        let (proc_dir, path, scratch) = (&self.proc_dir, &mut self.path, &mut self.scratch);
        self.stats
            .entry(pid)
            .or_insert_with(|| {
                let buf = read_at(proc_dir.as_fd(), proc_path(path, pid, b"stat")?, 4096, scratch)?;
                parse_stat(&buf).map(|s| (s.ppid, s.comm))
            })
            .as_ref()
    }

    /// Where the COMMAND of `pid` is in `command_text`, read on the first call (through
    /// `nsdir` if given, see [`Scan::read_command`]).
    fn cached_command(&mut self, pid: i32, nsdir: Option<BorrowedFd<'_>>) -> (usize, usize) {
        if let Some(&c) = self.commands.get(&pid) {
            return c;
        }
        let c = self.read_command(pid, nsdir);
        self.commands.insert(pid, c);
        c
    }

    /// Appends the COMMAND of `pid` to `command_text`, from `/proc/PID/cmdline`, or
    /// `cmdline` beside its open ns directory `nsdir`; where it is there.
    fn read_command(&mut self, pid: i32, nsdir: Option<BorrowedFd<'_>>) -> (usize, usize) {
        let n = match nsdir {
            Some(dir) => read_into(dir, c"../cmdline", READ_MAX, &mut self.scratch),
            None => proc_path(&mut self.path, pid, b"cmdline")
                .and_then(|p| read_into(self.proc_dir.as_fd(), p, READ_MAX, &mut self.scratch)),
        }
        .unwrap_or(0);
        let start = self.command_text.len();
        if n > 0 {
            push_cmdline(&mut self.command_text, &self.scratch[..n]);
        } else if let Some((_, comm)) = self.stat(pid) {
            let comm = comm.clone();
            self.command_text.extend_from_slice(&comm);
        }
        (start, self.command_text.len())
    }

    /// Opens namespace `idx` for an ioctl.
    fn open_ns(&self, idx: usize) -> Option<OwnedFd> {
        let ns = self.model.ns(idx);
        let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC;
        match &ns.access {
            Access::Rep => {
                let path = format!("{}/ns/{}", ns.rep?, ns.ty.proc_name());
                openat(self.proc_dir.as_fd(), path.as_str(), flags, Mode::empty()).ok()
            }
            Access::Path(p) => self.open_verified(p, ns.ino),
            Access::Held(fd) => fd.try_clone().ok(),
        }
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

    /// What to warn about once the lines are known: an ioctl the kernel lacks (util-linux
    /// prints that while it builds its table, before printing it).
    pub fn warnings(&self) -> Vec<Error> {
        let unsupported = self.unsupported.iter().map(|name| Error::msg(format!("Unsupported ioctl {name}")));
        self.socket_warnings.iter().map(Error::msg).chain(unsupported).collect()
    }

    /// The inode behind an ancestor ioctl's result, adding it as a ghost if asked to.
    fn ancestor(
        &mut self,
        r: Result<OwnedFd, Errno>,
        name: &'static str,
        ty: NsType,
        ghosts: Option<NsSet>,
    ) -> Option<u64> {
        let fd = self.check_ioctl(r, name)?;
        let ino = inode(fd.as_fd())?;
        if ghosts.is_some_and(|types| types.contains(ty)) && !self.model.contains(ino) {
            self.model.add(Namespace::new(ino, ty, Access::Held(fd), Origin::Ghost));
        }
        Some(ino)
    }
}

impl Facts for Scan {
    fn model(&self) -> &Model {
        &self.model
    }

    fn ppid(&mut self, pid: i32) -> Option<i32> {
        match self.pid_info(pid) {
            Some(info) => info.map(|i| i.ppid as i32),
            None => self.stat(pid).map(|s| s.0),
        }
    }

    /// The command line with NULs as spaces; a kernel thread's comm when it is empty.
    /// Read once per process: a representative usually stands for several namespaces.
    fn command(&mut self, pid: i32) -> &[u8] {
        let (start, end) = self.cached_command(pid, None);
        &self.command_text[start..end]
    }

    /// The owner of `/proc/PID`, as util-linux shows it: the process's effective uid
    /// (procfs gives a process's own directory that owner whatever its dumpable flag,
    /// unlike the files and directories in it). One `newfstatat`, cheaper than the pidfd
    /// (open, ioctl, close) that tells the same, which is asked only when a line shows
    /// PPID as well (or a tree needs it) and has answered already.
    fn uid(&mut self, pid: i32) -> Option<u32> {
        if let Some(&info) = self.pid_infos.as_ref().and_then(|infos| infos.get(&pid)) {
            return info.map(|i| i.euid);
        }
        let (proc_dir, path) = (&self.proc_dir, &mut self.path);
        *self.uids.entry(pid).or_insert_with(|| {
            let name = proc_path(path, pid, b"")?;
            fstatat(proc_dir.as_fd(), name, nix::fcntl::AtFlags::empty()).ok().map(|s| s.st_uid)
        })
    }

    fn user_name(&mut self, uid: u32) -> &str {
        self.users.entry(uid).or_insert_with(|| nscore::ids::user_name(uid).unwrap_or_else(|| uid.to_string()))
    }

    /// The parent (pid and user namespaces only) and owner of namespace `idx`, as
    /// inodes. With `ghosts`, ancestors the model lacks are added to it (when their type
    /// is in the set), so a tree can show them and walk on from them.
    fn relations(&mut self, idx: usize, ghosts: Option<NsSet>) -> (Option<u64>, Option<u64>) {
        let ino = self.model.ns(idx).ino;
        // a look-up serves again unless it is now asked to add ghosts it did not add
        match self.relations.get(&ino) {
            Some(&(r, added)) if ghosts.is_none() || ghosts == added => return r,
            _ => {}
        }
        let ty = self.model.ns(idx).ty;
        let mut found = (None, None);
        if let Some(fd) = self.open_ns(idx) {
            if matches!(ty, NsType::Pid | NsType::User) {
                let r = sys::ns_get_parent(fd.as_fd());
                found.0 = self.ancestor(r, "NS_GET_PARENT", ty, ghosts);
            }
            let r = sys::ns_get_userns(fd.as_fd());
            found.1 = self.ancestor(r, "NS_GET_USERNS", NsType::User, ghosts);
        }
        self.relations.insert(ino, (found, ghosts));
        found
    }

    /// NS_GET_OWNER_UID for a user namespace without processes, asked once (its line
    /// needs it for UID and for USER).
    fn owner_uid(&mut self, idx: usize) -> Option<u32> {
        let ns = self.model.ns(idx);
        if ns.ty != NsType::User {
            return None;
        }
        if let Some(&uid) = self.owner_uids.get(&ns.ino) {
            return uid;
        }
        let ino = ns.ino;
        let uid = self.open_ns(idx).and_then(|fd| {
            let r = sys::ns_get_owner_uid(fd.as_fd());
            self.check_ioctl(r, "NS_GET_OWNER_UID")
        });
        self.owner_uids.insert(ino, uid);
        uid
    }

    /// The NETNSID column: the peer id the kernel gave this network namespace, as seen
    /// from ours; empty when it cannot be asked.
    fn netnsid(&mut self, idx: usize) -> Vec<u8> {
        let ns = self.model.ns(idx);
        if ns.ty != NsType::Net {
            return Vec::new();
        }
        let ino = ns.ino;
        if let Some(id) = self.netnsids.get(&ino) {
            return id.clone();
        }
        let id = self.ask_netnsid(idx);
        self.netnsids.insert(ino, id.clone());
        id
    }

    /// The CONTAINER column, from `/proc/PID/cgroup` (read once per process, and only
    /// for lines that show or filter on it). The whole file is read, a line at a time
    /// through the scratch buffer: on a hybrid host the v2 line comes last, after v1 lines
    /// that can make the file longer than the buffer.
    fn container(&mut self, pid: i32) -> Vec<u8> {
        let (proc_dir, path, scratch) = (&self.proc_dir, &mut self.path, &mut self.scratch);
        self.containers
            .entry(pid)
            .or_insert_with(|| {
                // (a file not read to its end tells nothing: the v2 line may be missing)
                let mut verdict = crate::container::Verdict::default();
                let whole = proc_path(path, pid, b"cgroup")
                    .is_some_and(|p| each_line(proc_dir.as_fd(), p, scratch, |line| verdict.line(line)));
                whole.then(|| verdict.label()).flatten().unwrap_or_default()
            })
            .clone()
    }
}

/// Appends a non-empty `/proc/PID/cmdline` as util-linux shows it: the last byte read dropped
/// (the terminating NUL, or the 8192nd byte of a longer line, which leaves 8191), the
/// other NULs turned into spaces (so a blanked-out argument area shows as blanks).
fn push_cmdline(out: &mut Vec<u8>, raw: &[u8]) {
    let raw = &raw[..raw.len().saturating_sub(1)];
    out.extend(raw.iter().map(|&b| if b == 0 { b' ' } else { b }));
}

/// The most read of a /proc file: `stat` fits in 4 KiB, and util-linux shows no more of
/// a command line than this either.
const READ_MAX: usize = 8192;

/// Reads up to `max` (at most [`READ_MAX`]) bytes of a /proc file relative to the /proc
/// directory, through `buf` (the scan's scratch buffer: a fresh array per read had to be
/// zeroed, 8 KiB per command line), into a vector of just the size read (rows keep
/// these).
fn read_at(dir: BorrowedFd<'_>, path: &CStr, max: usize, buf: &mut [u8]) -> Option<Vec<u8>> {
    read_into(dir, path, max, buf).map(|n| buf[..n].to_vec())
}

/// [`read_at`] without the copy: how much was read into `buf`.
fn read_into(dir: BorrowedFd<'_>, path: &CStr, max: usize, buf: &mut [u8]) -> Option<usize> {
    let fd = openat(dir, path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).ok()?;
    let max = max.min(buf.len());
    fill(fd.as_fd(), &mut buf[..max]).map(|(len, _)| len)
}

/// Reads `fd` into `buf` until it is full or the file ends: how much was read, and
/// whether the end was met. procfs hands out as much as fits in one read; a short read is
/// the end of the file.
fn fill(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Option<(usize, bool)> {
    let mut len = 0;
    while len < buf.len() {
        match nix::unistd::read(fd, &mut buf[len..]) {
            Ok(0) => return Some((len, true)),
            Ok(n) if len + n < buf.len() => return Some((len + n, true)),
            Ok(n) => len += n,
            Err(Errno::EINTR) => continue,
            Err(_) => return None,
        }
    }
    Some((len, false))
}

/// Calls `f` for every line (without its newline) of a /proc file relative to `dir`,
/// reading it to its end through `buf`: memory stays at the buffer's size, however long
/// the file. A line longer than `buf` is left out, and so is a last line without its
/// newline (neither is whole); a `/proc/PID/cgroup` line holds one path, which the kernel
/// cuts at 4095 bytes (keeping its outer components), so all fit in [`READ_MAX`].
/// Returns whether the file was read to its end (not when it could not be opened, or a
/// read failed).
fn each_line(dir: BorrowedFd<'_>, path: &CStr, buf: &mut [u8], mut f: impl FnMut(&[u8])) -> bool {
    let Ok(fd) = openat(dir, path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()) else { return false };
    // the start of an unfinished line kept at the front of `buf`; whether the line being
    // read is one too long, left out up to its newline
    let (mut kept, mut too_long) = (0, false);
    while let Some((n, end)) = fill(fd.as_fd(), &mut buf[kept..]) {
        let (filled, mut start) = (kept + n, 0);
        while let Some(len) = buf[start..filled].iter().position(|&b| b == b'\n') {
            if !too_long {
                f(&buf[start..start + len]);
            }
            too_long = false;
            start += len + 1;
        }
        if end {
            return true;
        }
        too_long |= start == 0 && filled == buf.len();
        kept = if too_long { 0 } else { filled - start };
        buf.copy_within(start..start + kept, 0);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_link_texts() {
        assert_eq!(link_inode(b"net:[4026531840]", b"net"), Some(4026531840));
        assert_eq!(link_inode(b"cgroup:[18446744073709551615]", b"cgroup"), Some(u64::MAX));
        assert_eq!(link_inode(b"cgroup:[18446744073709551616]", b"cgroup"), None);
        assert_eq!(link_inode(b"net:[4026531840]", b"uts"), None);
        assert_eq!(link_inode(b"net:[]", b"net"), None);
        assert_eq!(link_inode(b"net:[12a]", b"net"), None);
        assert_eq!(link_inode(b"net:[12", b"net"), None);
        assert_eq!(link_inode(b"net:[-1]", b"net"), None);
        assert_eq!(link_inode(b"/run/netns/x", b"net"), None);
    }

    #[test]
    fn fd_classes() {
        let file = |dev, mode| FileId { dev, ino: 9, mode };
        let sock = file(8, libc::S_IFSOCK | 0o777);
        assert_eq!(classify(sock, Some(4), 1, 3), Some(FdRef::Socket { ino: 9, pid: 1, fd: 3 }));
        assert_eq!(classify(file(4, libc::S_IFREG | 0o444), Some(4), 1, 3), Some(FdRef::Ns { ino: 9, pid: 1, fd: 3 }));
        // pipes, files on other devices, and anything when nsfs is unknown
        assert_eq!(classify(file(12, libc::S_IFIFO | 0o600), Some(4), 1, 3), None);
        assert_eq!(classify(file(4, libc::S_IFREG), None, 1, 3), None);
    }

    #[test]
    fn command_lines() {
        let cmdline_text = |raw: &[u8]| {
            let mut out = b"before:".to_vec();
            push_cmdline(&mut out, raw);
            out.strip_prefix(b"before:").unwrap().to_vec()
        };
        assert_eq!(cmdline_text(b"sleep\x00300\x00"), b"sleep 300");
        assert_eq!(cmdline_text(b"sshd: root@pts/0\x00"), b"sshd: root@pts/0");
        assert_eq!(cmdline_text(b"a\0\0b\0"), b"a  b");
        assert_eq!(cmdline_text(&[0; 4]), b"   ");
        assert_eq!(cmdline_text(&[0]), b"");
        // cut at 8192 bytes by the read, or at a page by the kernel: no NUL at the end
        assert_eq!(cmdline_text(b"sleep\x00300"), b"sleep 30");
        assert_eq!(cmdline_text(&[b'x'; 8192]).len(), 8191);
    }

    /// The lines of a file of `text`, read by [`each_line`] through a buffer of `size`.
    fn lines_of(text: &[u8], size: usize) -> Vec<Vec<u8>> {
        let dir = std::env::temp_dir().join(format!("nsutils-scan-lines-{}-{size}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("f"), text).unwrap();
        let fd = nix::fcntl::open(&dir, DIR_FLAGS, Mode::empty()).unwrap();
        let mut lines = Vec::new();
        assert!(each_line(fd.as_fd(), c"f", &mut vec![0; size], |l| lines.push(l.to_vec())));
        std::fs::remove_dir_all(&dir).unwrap();
        lines
    }

    /// The whole file, however many buffers it takes; lines that are not whole (longer
    /// than the buffer, or last without a newline) left out.
    #[test]
    fn every_line_to_the_end() {
        let long: Vec<u8> = [b"9:pids:/".as_slice(), &[b'd'; 4000], b"\n"].concat();
        let text = [&long[..], &long, &long, b"0::/system.slice/docker-x.scope\n"].concat();
        assert!(text.len() > READ_MAX);
        let lines = lines_of(&text, READ_MAX);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[3], b"0::/system.slice/docker-x.scope");
        assert!(lines[..3].iter().all(|l| l[..] == long[..long.len() - 1]));
        let text = b"ab\n0123456789abcdefghijklmnopqrstuvwxyz\n\n123456789012345\n1234567890123456\ncd\ntail";
        assert_eq!(lines_of(text, 16), [&b"ab"[..], b"", b"123456789012345", b"cd"]);
        assert_eq!(lines_of(b"", 16), Vec::<Vec<u8>>::new());
        // a file that is not there, one that cannot be read (a directory)
        let dir = nix::fcntl::open("/proc/self", DIR_FLAGS, Mode::empty()).unwrap();
        assert!(!each_line(dir.as_fd(), c"no-such-file", &mut [0; 16], |_| panic!()));
        assert!(!each_line(dir.as_fd(), c"ns", &mut [0; 16], |_| panic!()));
    }

    #[test]
    fn dirent_batches() {
        let dir = nix::fcntl::open("/proc/self/fd", DIR_FLAGS, Mode::empty()).unwrap();
        let mut names = Vec::new();
        // a buffer too small for all entries at once still yields every one
        let mut buf = vec![0u8; MAX_DIRENT + 24];
        each_entry(dir.as_fd(), &mut buf, |n| names.push(n.to_bytes().to_vec()));
        let raw = dir.as_raw_fd().to_string();
        assert!(names.iter().any(|n| n == raw.as_bytes()), "{names:?}");
        assert!(names.iter().any(|n| n == b"0") && !names.iter().any(|n| n == b"."));
        assert_eq!(digits(b"123"), Some(123));
        assert_eq!(digits(b"12a"), None);
        assert_eq!(digits(b""), None);
    }
}
