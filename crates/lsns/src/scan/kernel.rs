//! The scan's seam: every call it makes to the kernel, read-only, one method each.
//!
//! The scan's cost and its hardest assumptions are in the order and number of these
//! calls (how many per process, which file is opened how), so [`super::Scan`] takes a
//! `K: Kernel` and does nothing to the system but through it. The binary passes [`Os`],
//! whose methods are the `nscore::sys` or nix calls they name, inlined: the dispatch is
//! static, the real scan costs what it cost without the seam. Unit tests pass
//! `scan::fake::Fake`, a scripted /proc that logs each call as a readable line
//! (`openat /proc/42/ns [dir]`), so they pin the calls per process without root.
//!
//! It is a trait of its own, not `nscore::seam::Syscall`: the scan only reads (no
//! fork, exec, mount or credential change), and its calls are the `*at` family on
//! descriptors, with buffers the caller reuses. Methods take `&self`: a scan holds its
//! kernel while it walks its own state. Two operations are larger than one system call,
//! where what happens inside is not the scan's business: [`Kernel::socket_netns`] (a
//! helper process duplicates and examines sockets, see [`crate::sockets`]) and
//! [`Kernel::netnsid`] (a request and an answer over rtnetlink, see [`crate::netlink`]).
//!
//! One look-up goes around it: the CONTAINERNAME column reads the container runtimes'
//! state files through nscore's own seam (`nscore::container::names`, with its fake and
//! its tests there), once per container and only for lines that show the column. Those
//! are not /proc reads, and the scan's call counts do not include them.

use std::cell::OnceCell;
use std::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::Mode;
use nix::unistd::Pid;
use nscore::sys::{self, FileId, PidInfo, SingleThreaded};

use crate::netlink;
use crate::sockets::{self, Found, Socket};

/// How [`Kernel::openat`] opens a file; every way is read-only and close-on-exec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Open {
    /// A directory to read (`O_RDONLY | O_DIRECTORY`).
    Dir,
    /// A directory only to walk from (`O_PATH | O_DIRECTORY`): on /proc's directories
    /// this open costs about half what a readable one does (no permission check, no file
    /// operations set up; 2.3 us against 4.5 us here), which `/proc/PID/ns`, opened once
    /// per process, saves every time.
    Walk,
    /// A file to read, or a namespace file for its ioctls (`O_RDONLY`).
    File,
    /// The file a path leads to, opened for nothing (`O_PATH`): a FIFO or a device is
    /// not opened, so it cannot block.
    Path,
}

impl Open {
    fn flags(self) -> OFlag {
        let how = match self {
            Open::Dir => OFlag::O_RDONLY | OFlag::O_DIRECTORY,
            Open::Walk => OFlag::O_PATH | OFlag::O_DIRECTORY,
            Open::File => OFlag::O_RDONLY,
            Open::Path => OFlag::O_PATH,
        };
        how | OFlag::O_CLOEXEC
    }
}

/// The calls the scan makes. `dir` is the directory a relative path starts from (`None`:
/// the working directory, for absolute paths); an empty `name` is `dir` itself.
pub trait Kernel {
    /// `openat(2)`.
    fn openat(&self, dir: Option<BorrowedFd<'_>>, path: &CStr, how: Open) -> Result<OwnedFd, Errno>;
    /// `fcntl(F_DUPFD_CLOEXEC)`: another descriptor of the same open file.
    fn dup(&self, fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno>;
    /// `read(2)`.
    fn read(&self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno>;
    /// `getdents64(2)`: directory records into `buf`, the bytes used (0 at the end).
    fn getdents64(&self, dir: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno>;
    /// `readlinkat(2)` into `buf`: the length of the link's text.
    fn readlinkat(&self, dir: BorrowedFd<'_>, name: &CStr, buf: &mut [u8]) -> Result<usize, Errno>;
    /// `statx(2)`, following a final link: device, inode and type of the file.
    fn statx(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<FileId, Errno>;
    /// `statx(2)`, following a final link: the size (of `/proc/PID/fd`: the fd count).
    fn statx_size(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<u64, Errno>;
    /// `statx(2)`, following a final link: the link count (of `/proc/PID/task`: 2 plus
    /// the number of threads).
    fn statx_nlink(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<u64, Errno>;
    /// `fstat(2)`: the link count of an open directory.
    fn nlink(&self, fd: BorrowedFd<'_>) -> Result<usize, Errno>;
    /// `newfstatat(2)`: the owner of a file.
    fn owner(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<u32, Errno>;
    /// `pidfd_open(2)`.
    fn pidfd_open(&self, pid: i32) -> Result<OwnedFd, Errno>;
    /// `ioctl(PIDFD_GET_INFO)`: PPID and effective uid.
    fn pidfd_info(&self, pidfd: BorrowedFd<'_>) -> Result<PidInfo, Errno>;
    /// `ioctl(NS_GET_PARENT)`.
    fn ns_get_parent(&self, ns: BorrowedFd<'_>) -> Result<OwnedFd, Errno>;
    /// `ioctl(NS_GET_USERNS)`.
    fn ns_get_userns(&self, ns: BorrowedFd<'_>) -> Result<OwnedFd, Errno>;
    /// `ioctl(NS_GET_NSTYPE)`: a `CLONE_NEW*` flag.
    fn ns_get_nstype(&self, ns: BorrowedFd<'_>) -> Result<i32, Errno>;
    /// `ioctl(NS_GET_OWNER_UID)`.
    fn ns_get_owner_uid(&self, ns: BorrowedFd<'_>) -> Result<u32, Errno>;
    /// The network namespaces of other processes' sockets, except those `known` accepts
    /// (a helper process asks, see [`crate::sockets`]); nothing when sockets cannot be
    /// examined here.
    fn socket_netns(&self, sockets: &[Socket], known: &dyn Fn(u64) -> bool) -> Found;
    /// `/proc/self/mountinfo` (with a PID: `/proc/PID/mountinfo`, the mount table of
    /// that process's mount namespace, its paths as seen from its root), whole.
    fn mountinfo(&self, pid: Option<i32>) -> Result<Vec<u8>, Errno>;
    /// `RTM_GETNSID` over rtnetlink: the id our network namespace gives another one.
    fn netnsid(&self, target: netlink::Target) -> Result<Option<i32>, Errno>;
    /// The name of `uid` in the user database.
    fn user_name(&self, uid: u32) -> Option<String>;
    /// `getpid(2)`.
    fn getpid(&self) -> u32;
}

/// The real kernel: `nscore::sys` and nix.
pub struct Os {
    /// `main`'s promise of a single thread, which the socket helper needs to be forked;
    /// without it sockets are not examined.
    single: Option<SingleThreaded>,
    /// The rtnetlink socket, opened at the first NETNSID asked (`None` if it cannot be).
    netlink: OnceCell<Option<OwnedFd>>,
}

impl Os {
    pub fn new(single: Option<SingleThreaded>) -> Os {
        Os { single, netlink: OnceCell::new() }
    }
}

impl Kernel for Os {
    #[inline]
    fn openat(&self, dir: Option<BorrowedFd<'_>>, path: &CStr, how: Open) -> Result<OwnedFd, Errno> {
        match dir {
            Some(dir) => nix::fcntl::openat(dir, path, how.flags(), Mode::empty()),
            None => nix::fcntl::open(path, how.flags(), Mode::empty()),
        }
    }

    #[inline]
    fn dup(&self, fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        fd.try_clone_to_owned().map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0)))
    }

    #[inline]
    fn read(&self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
        nix::unistd::read(fd, buf)
    }

    #[inline]
    fn getdents64(&self, dir: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
        sys::getdents64(dir, buf)
    }

    #[inline]
    fn readlinkat(&self, dir: BorrowedFd<'_>, name: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
        sys::readlink_into(dir, name, buf)
    }

    #[inline]
    fn statx(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<FileId, Errno> {
        sys::file_id_at(dir, name)
    }

    #[inline]
    fn statx_size(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<u64, Errno> {
        sys::size_at(dir, name)
    }

    #[inline]
    fn statx_nlink(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<u64, Errno> {
        sys::nlink_at(dir, name)
    }

    #[inline]
    fn nlink(&self, fd: BorrowedFd<'_>) -> Result<usize, Errno> {
        nix::sys::stat::fstat(fd).map(|st| st.st_nlink as usize)
    }

    #[inline]
    fn owner(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<u32, Errno> {
        nix::sys::stat::fstatat(dir, name, AtFlags::empty()).map(|st| st.st_uid)
    }

    #[inline]
    fn pidfd_open(&self, pid: i32) -> Result<OwnedFd, Errno> {
        sys::pidfd_open(Pid::from_raw(pid), 0)
    }

    #[inline]
    fn pidfd_info(&self, pidfd: BorrowedFd<'_>) -> Result<PidInfo, Errno> {
        sys::pidfd_info(pidfd)
    }

    #[inline]
    fn ns_get_parent(&self, ns: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        sys::ns_get_parent(ns)
    }

    #[inline]
    fn ns_get_userns(&self, ns: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        sys::ns_get_userns(ns)
    }

    #[inline]
    fn ns_get_nstype(&self, ns: BorrowedFd<'_>) -> Result<i32, Errno> {
        sys::ns_get_nstype(ns)
    }

    #[inline]
    fn ns_get_owner_uid(&self, ns: BorrowedFd<'_>) -> Result<u32, Errno> {
        sys::ns_get_owner_uid(ns)
    }

    fn socket_netns(&self, sockets: &[Socket], known: &dyn Fn(u64) -> bool) -> Found {
        match self.single {
            Some(single) => sockets::netns_of(single, sockets, &known),
            None => Found::default(),
        }
    }

    fn mountinfo(&self, pid: Option<i32>) -> Result<Vec<u8>, Errno> {
        // (a procfs file: nobody can put another file in its place)
        let path = match pid {
            Some(pid) => format!("/proc/{pid}/mountinfo"),
            None => "/proc/self/mountinfo".to_owned(),
        };
        std::fs::read(path).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0)))
    }

    fn netnsid(&self, target: netlink::Target) -> Result<Option<i32>, Errno> {
        let sock = self.netlink.get_or_init(|| netlink::open().ok());
        netlink::get_nsid(sock.as_ref().ok_or(Errno::EAFNOSUPPORT)?.as_fd(), target)
    }

    fn user_name(&self, uid: u32) -> Option<String> {
        nscore::ids::user_name(uid)
    }

    #[inline]
    fn getpid(&self) -> u32 {
        std::process::id()
    }
}
