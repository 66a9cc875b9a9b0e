//! The seam between the exec tools and the kernel.
//!
//! What rs-unshare and rs-nsenter do is mostly an order of system calls: which namespace
//! first, when to fork, when the id maps are written, when to mount, change root and
//! directory, drop credentials and exec. Each step is simple; the order is the hard part
//! and the part a change is most likely to break. So every call they make goes through
//! [`Syscall`], which their `run` modules take as a generic parameter: the binaries pass
//! [`Os`], which calls [`crate::sys`] and nix, and unit tests pass the recording
//! [`fake::Fake`], which answers from a script and keeps a readable log, so that the
//! order is pinned without root.
//!
//! The trait is narrow on purpose: one method per kernel operation the tools use, with
//! the kernel's arguments and bare `Errno` results. Messages, retries and policy stay with
//! the callers (and the shared helpers in [`crate::process`], [`crate::idmap`],
//! [`crate::persist`] and [`crate::creds`], which take the trait too), so the fake stays
//! small and a test reads like the system-call trace of the real program.
//!
//! Dispatch is static (`fn run<S: Syscall>(sys: &mut S, ..)`): with [`Os`] every method
//! is the direct call it wraps, inlined, so start-up costs what it cost without the seam.

use std::ffi::OsString;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::signal::{SigSet, SigmaskHow, Signal};
use nix::sys::stat::{FileStat, Mode};
use nix::sys::statfs::FsType;
use nix::unistd::{Gid, Pid, Uid};

use crate::error::{Error, Result};
use crate::exec::Program;
use crate::sys::{self, Forked, SingleThreaded};

pub mod fake;

/// The parts of `struct stat` the tools look at. A plain struct rather than nix's
/// `FileStat`, which wraps `libc::stat` with private padding a fake cannot build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stat {
    /// Device of the file system (with `ino`: the file's identity).
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Type and permission bits (`S_IFMT` and the rest).
    pub mode: u32,
    /// Owner, as our user namespace sees it.
    pub uid: u32,
    /// Group, as our user namespace sees it.
    pub gid: u32,
    /// The device a device file stands for (`makedev(major, minor)`; 0 for others).
    pub rdev: u64,
}

impl From<FileStat> for Stat {
    fn from(st: FileStat) -> Stat {
        Stat { dev: st.st_dev, ino: st.st_ino, mode: st.st_mode, uid: st.st_uid, gid: st.st_gid, rdev: st.st_rdev }
    }
}

/// Every system call rs-unshare and rs-nsenter make, one method each. Each returns what
/// the kernel said, nothing more: the caller words the error.
pub trait Syscall {
    /// `fork(2)`. Both sides return; the caller branches on [`Forked`].
    fn fork(&mut self) -> Result<Forked, Errno>;
    /// `_exit(2)`: leaves a forked child without running exit handlers or flushing
    /// buffers inherited from the parent.
    fn exit(&mut self, code: i32) -> !;
    /// `getpid(2)`.
    fn getpid(&mut self) -> Pid;
    /// `getuid(2)`.
    fn getuid(&mut self) -> u32;
    /// `waitpid(2)` returning the raw status word (decode it with
    /// [`crate::process::ChildState::from_raw`]).
    fn waitpid(&mut self, pid: Pid, flags: libc::c_int) -> Result<libc::c_int, Errno>;
    /// `kill(2)` with any signal number.
    fn kill(&mut self, pid: Pid, sig: i32) -> Result<(), Errno>;
    /// `execve(2)` with `execvp` semantics ([`crate::exec::exec`]); returns only the error.
    fn exec(&mut self, prog: &Program, env: Option<&[OsString]>) -> Error;

    /// `unshare(2)` with a `CLONE_*` mask.
    fn unshare(&mut self, flags: libc::c_int) -> Result<(), Errno>;
    /// `setns(2)` on a namespace file or a pidfd.
    fn setns(&mut self, fd: BorrowedFd<'_>, flags: libc::c_int) -> Result<(), Errno>;
    /// `ioctl(NS_GET_NSTYPE)`: the `CLONE_NEW*` type of a namespace file.
    fn ns_get_nstype(&mut self, fd: BorrowedFd<'_>) -> Result<libc::c_int, Errno>;
    /// `ioctl(NS_GET_PARENT)`: the parent of a pid or user namespace.
    fn ns_get_parent(&mut self, fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno>;
    /// `ioctl(NS_GET_USERNS)`: the user namespace that owns a namespace.
    fn ns_get_userns(&mut self, fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno>;
    /// `ioctl(NS_GET_OWNER_UID)`: the uid that created a user namespace, as ours sees it.
    fn ns_get_owner_uid(&mut self, fd: BorrowedFd<'_>) -> Result<u32, Errno>;
    /// `open_by_handle_at(2)` with an nsfs handle: a namespace by its 64-bit ID.
    fn open_ns_by_id(&mut self, nsfs: BorrowedFd<'_>, id: u64) -> Result<OwnedFd, Errno>;
    /// `ioctl(SIOCGSKNS)`: the network namespace of a socket.
    fn socket_netns(&mut self, sock: BorrowedFd<'_>) -> Result<OwnedFd, Errno>;

    /// `pidfd_open(2)` (flags 0; close-on-exec).
    fn pidfd_open(&mut self, pid: Pid) -> Result<OwnedFd, Errno>;
    /// `pidfd_getfd(2)`: a duplicate of descriptor `fd` of the pidfd's process.
    fn pidfd_getfd(&mut self, pidfd: BorrowedFd<'_>, fd: RawFd) -> Result<OwnedFd, Errno>;
    /// `poll(2)` for `POLLIN` without waiting (a pidfd turns readable when its process ends).
    fn poll_readable(&mut self, fd: BorrowedFd<'_>) -> Result<bool, Errno>;

    /// `mount(2)` without data.
    fn mount(&mut self, src: Option<&str>, target: &Path, fstype: Option<&str>, flags: MsFlags) -> Result<(), Errno>;
    /// `mount(2)` without data onto the very file `target` was opened as (an `O_PATH`
    /// descriptor), through its `/proc/self/fd` link, which the kernel resolves to that
    /// file, never to whatever the file's path names by now: a bind mount (`MS_BIND`), a
    /// new file system, or a change of propagation.
    fn mount_onto_fd(
        &mut self,
        src: Option<&str>,
        target: BorrowedFd<'_>,
        fstype: Option<&str>,
        flags: MsFlags,
    ) -> Result<(), Errno>;
    /// `umount2(2)` through the `/proc/self/fd` link of `target`: it takes the topmost
    /// mount at the very file `target` was opened as, never one a path leads to. There
    /// is no `umount2` by path: a path may have changed since it was checked.
    fn umount_fd(&mut self, target: BorrowedFd<'_>, flags: MntFlags) -> Result<(), Errno>;
    /// `chroot(2)`.
    fn chroot(&mut self, path: &Path) -> Result<(), Errno>;
    /// `chdir(2)`.
    fn chdir(&mut self, path: &Path) -> Result<(), Errno>;
    /// `fchdir(2)`.
    fn fchdir(&mut self, dir: BorrowedFd<'_>) -> Result<(), Errno>;

    /// `setgroups(2)`.
    fn setgroups(&mut self, groups: &[u32]) -> Result<(), Errno>;
    /// `getgroups(2)`.
    fn getgroups(&mut self) -> Result<Vec<u32>, Errno>;
    /// `setgid(2)`.
    fn setgid(&mut self, gid: u32) -> Result<(), Errno>;
    /// `setuid(2)`.
    fn setuid(&mut self, uid: u32) -> Result<(), Errno>;
    /// `capset(2)` and `prctl(PR_CAP_AMBIENT_RAISE)` as [`crate::caps::keep_caps`] does
    /// them: one step of the tools' order, whose inside is not theirs.
    fn keep_caps(&mut self) -> Result<()>;
    /// `prctl(PR_SET_PDEATHSIG)`.
    fn set_pdeathsig(&mut self, sig: i32) -> Result<(), Errno>;

    /// `signal(2)` with `SIG_DFL`.
    fn default_action(&mut self, sig: i32) -> Result<(), Errno>;
    /// `sigprocmask(2)` with `SIG_BLOCK`; returns the mask before.
    fn block_signals(&mut self, sigs: &[i32]) -> Result<SigSet, Errno>;
    /// `sigprocmask(2)` with `SIG_SETMASK`.
    fn set_sigmask(&mut self, mask: &SigSet) -> Result<(), Errno>;
    /// `sigaction(2)` for SIGTERM and SIGINT with a handler that re-sends them to
    /// `child`; the error names the signal whose handler failed.
    fn forward_signals_to(&mut self, child: Pid) -> Result<(), (i32, Errno)>;
    /// `rt_sigaction(2)` and `rt_sigprocmask(2)`: `sig` back to its default, unblocked.
    fn reset_and_unblock(&mut self, sig: i32) -> Result<(), Errno>;

    /// `pipe2(2)` with `O_CLOEXEC`: (read end, write end).
    fn pipe(&mut self) -> Result<(OwnedFd, OwnedFd), Errno>;
    /// `openat(2)`, relative to `at` or to the working directory.
    fn open(&mut self, at: Option<BorrowedFd<'_>>, path: &Path, flags: OFlag, mode: Mode) -> Result<OwnedFd, Errno>;
    /// `read(2)`.
    fn read(&mut self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno>;
    /// Reads an open file to its end (`read(2)` until 0).
    fn read_to_end(&mut self, file: OwnedFd) -> io::Result<Vec<u8>>;
    /// `write(2)`.
    fn write(&mut self, fd: BorrowedFd<'_>, data: &[u8]) -> Result<usize, Errno>;
    /// Opens, reads to the end and closes `path`.
    fn read_file(&mut self, path: &Path) -> io::Result<Vec<u8>>;
    /// `fstat(2)`.
    fn fstat(&mut self, fd: BorrowedFd<'_>) -> Result<Stat, Errno>;
    /// `fstatat(2)` following symbolic links, relative to `at` or the working directory.
    fn stat(&mut self, at: Option<BorrowedFd<'_>>, path: &Path) -> Result<Stat, Errno>;
    /// Whether `path` exists (`statx(2)`).
    fn exists(&mut self, path: &Path) -> bool;
    /// `statfs(2)`: the file system type.
    fn statfs(&mut self, path: &Path) -> Result<FsType, Errno>;
    /// `fstatfs(2)`: the file system type.
    fn fstatfs(&mut self, fd: BorrowedFd<'_>) -> Result<FsType, Errno>;
    /// `readlinkat(2)`, relative to `at` or the working directory.
    fn readlink(&mut self, at: Option<BorrowedFd<'_>>, path: &Path) -> Result<OsString, Errno>;
    /// The names in directory `path` (`getdents64(2)`), without `.` and `..`.
    fn list_dir(&mut self, path: &Path) -> Result<Vec<OsString>, Errno>;
    /// A file someone else may have written (a container runtime's state, a user's):
    /// opened without following a symbolic link at its last component and without
    /// blocking (a FIFO), read only if it is a regular file (else `EINVAL`), and at most
    /// `max` bytes of it (a longer one is `EFBIG`).
    fn read_bounded(&mut self, path: &Path, max: usize) -> Result<Vec<u8>, Errno>;

    /// [`Syscall::read_file`] as UTF-8 text (what `std::fs::read_to_string` reports for
    /// anything else).
    fn read_text(&mut self, path: &Path) -> io::Result<String> {
        let bytes = self.read_file(path)?;
        String::from_utf8(bytes)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"))
    }

    /// [`Syscall::write`] until all of `data` is written, retrying when interrupted.
    fn write_all(&mut self, fd: BorrowedFd<'_>, mut data: &[u8]) -> Result<(), Errno> {
        while !data.is_empty() {
            match self.write(fd, data) {
                Ok(0) => return Err(Errno::EIO),
                Ok(n) => data = &data[n..],
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The real system calls, for the binaries.
///
/// It carries the [`SingleThreaded`] token when it may fork: `main` has that, unit tests
/// of code that touches real files but never forks use [`Os::without_fork`].
#[derive(Debug)]
pub struct Os {
    single: Option<SingleThreaded>,
}

impl Os {
    /// The real system calls, fork included (the token proves it sound).
    pub fn new(single: SingleThreaded) -> Os {
        Os { single: Some(single) }
    }

    /// The real system calls except `fork`, which fails with `EPERM`: for callers that
    /// cannot prove they are single-threaded (a test harness).
    pub fn without_fork() -> Os {
        Os { single: None }
    }
}

impl Syscall for Os {
    #[inline]
    fn fork(&mut self) -> Result<Forked, Errno> {
        self.single.ok_or(Errno::EPERM)?.fork()
    }
    fn exit(&mut self, code: i32) -> ! {
        sys::exit_now(code)
    }
    #[inline]
    fn getpid(&mut self) -> Pid {
        nix::unistd::getpid()
    }
    #[inline]
    fn getuid(&mut self) -> u32 {
        nix::unistd::getuid().as_raw()
    }
    #[inline]
    fn waitpid(&mut self, pid: Pid, flags: libc::c_int) -> Result<libc::c_int, Errno> {
        sys::waitpid_raw(pid, flags).map(|(_, status)| status)
    }
    #[inline]
    fn kill(&mut self, pid: Pid, sig: i32) -> Result<(), Errno> {
        sys::kill(pid, sig)
    }
    fn exec(&mut self, prog: &Program, env: Option<&[OsString]>) -> Error {
        crate::exec::exec(prog, env)
    }

    #[inline]
    fn unshare(&mut self, flags: libc::c_int) -> Result<(), Errno> {
        sys::unshare(flags)
    }
    #[inline]
    fn setns(&mut self, fd: BorrowedFd<'_>, flags: libc::c_int) -> Result<(), Errno> {
        sys::setns(fd, flags)
    }
    #[inline]
    fn ns_get_nstype(&mut self, fd: BorrowedFd<'_>) -> Result<libc::c_int, Errno> {
        sys::ns_get_nstype(fd)
    }
    #[inline]
    fn ns_get_parent(&mut self, fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        sys::ns_get_parent(fd)
    }
    fn ns_get_userns(&mut self, fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        sys::ns_get_userns(fd)
    }
    fn ns_get_owner_uid(&mut self, fd: BorrowedFd<'_>) -> Result<u32, Errno> {
        sys::ns_get_owner_uid(fd)
    }
    #[inline]
    fn open_ns_by_id(&mut self, nsfs: BorrowedFd<'_>, id: u64) -> Result<OwnedFd, Errno> {
        sys::open_ns_by_id(nsfs, id)
    }
    #[inline]
    fn socket_netns(&mut self, sock: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        sys::socket_netns(sock)
    }

    #[inline]
    fn pidfd_open(&mut self, pid: Pid) -> Result<OwnedFd, Errno> {
        sys::pidfd_open(pid, 0)
    }
    #[inline]
    fn pidfd_getfd(&mut self, pidfd: BorrowedFd<'_>, fd: RawFd) -> Result<OwnedFd, Errno> {
        sys::pidfd_getfd(pidfd, fd)
    }
    fn poll_readable(&mut self, fd: BorrowedFd<'_>) -> Result<bool, Errno> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        poll(&mut fds, PollTimeout::ZERO).map(|n| n > 0)
    }

    #[inline]
    fn mount(&mut self, src: Option<&str>, target: &Path, fstype: Option<&str>, flags: MsFlags) -> Result<(), Errno> {
        nix::mount::mount(src, target, fstype, flags, None::<&str>)
    }
    fn mount_onto_fd(
        &mut self,
        src: Option<&str>,
        target: BorrowedFd<'_>,
        fstype: Option<&str>,
        flags: MsFlags,
    ) -> Result<(), Errno> {
        nix::mount::mount(src, crate::procfs::fd_link(target).as_str(), fstype, flags, None::<&str>)
    }
    fn umount_fd(&mut self, target: BorrowedFd<'_>, flags: MntFlags) -> Result<(), Errno> {
        // followed (no UMOUNT_NOFOLLOW): the link itself is no mount point
        nix::mount::umount2(crate::procfs::fd_link(target).as_str(), flags)
    }
    #[inline]
    fn chroot(&mut self, path: &Path) -> Result<(), Errno> {
        nix::unistd::chroot(path)
    }
    #[inline]
    fn chdir(&mut self, path: &Path) -> Result<(), Errno> {
        nix::unistd::chdir(path)
    }
    #[inline]
    fn fchdir(&mut self, dir: BorrowedFd<'_>) -> Result<(), Errno> {
        nix::unistd::fchdir(dir)
    }

    fn setgroups(&mut self, groups: &[u32]) -> Result<(), Errno> {
        let groups: Vec<Gid> = groups.iter().map(|&g| Gid::from_raw(g)).collect();
        nix::unistd::setgroups(&groups)
    }
    fn getgroups(&mut self) -> Result<Vec<u32>, Errno> {
        nix::unistd::getgroups().map(|g| g.into_iter().map(Gid::as_raw).collect())
    }
    #[inline]
    fn setgid(&mut self, gid: u32) -> Result<(), Errno> {
        nix::unistd::setgid(Gid::from_raw(gid))
    }
    #[inline]
    fn setuid(&mut self, uid: u32) -> Result<(), Errno> {
        nix::unistd::setuid(Uid::from_raw(uid))
    }
    fn keep_caps(&mut self) -> Result<()> {
        crate::caps::keep_caps()
    }
    #[inline]
    fn set_pdeathsig(&mut self, sig: i32) -> Result<(), Errno> {
        sys::set_pdeathsig(sig)
    }

    #[inline]
    fn default_action(&mut self, sig: i32) -> Result<(), Errno> {
        sys::default_action(sig)
    }
    fn block_signals(&mut self, sigs: &[i32]) -> Result<SigSet, Errno> {
        let mut set = SigSet::empty();
        for &s in sigs {
            set.add(Signal::try_from(s)?);
        }
        let mut old = SigSet::empty();
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), Some(&mut old))?;
        Ok(old)
    }
    fn set_sigmask(&mut self, mask: &SigSet) -> Result<(), Errno> {
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(mask), None)
    }
    #[inline]
    fn forward_signals_to(&mut self, child: Pid) -> Result<(), (i32, Errno)> {
        sys::forward_signals_to(child)
    }
    #[inline]
    fn reset_and_unblock(&mut self, sig: i32) -> Result<(), Errno> {
        sys::reset_and_unblock(sig)
    }

    #[inline]
    fn pipe(&mut self) -> Result<(OwnedFd, OwnedFd), Errno> {
        nix::unistd::pipe2(OFlag::O_CLOEXEC)
    }
    fn open(&mut self, at: Option<BorrowedFd<'_>>, path: &Path, flags: OFlag, mode: Mode) -> Result<OwnedFd, Errno> {
        match at {
            Some(dir) => nix::fcntl::openat(dir, path, flags, mode),
            None => nix::fcntl::open(path, flags, mode),
        }
    }
    #[inline]
    fn read(&mut self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
        nix::unistd::read(fd, buf)
    }
    fn read_to_end(&mut self, file: OwnedFd) -> io::Result<Vec<u8>> {
        Ok(read_all(&file, usize::MAX)?)
    }
    #[inline]
    fn write(&mut self, fd: BorrowedFd<'_>, data: &[u8]) -> Result<usize, Errno> {
        nix::unistd::write(fd, data)
    }
    fn read_file(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        let fd = nix::fcntl::open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())?;
        Ok(read_all(&fd, usize::MAX)?)
    }
    fn fstat(&mut self, fd: BorrowedFd<'_>) -> Result<Stat, Errno> {
        nix::sys::stat::fstat(fd).map(Stat::from)
    }
    fn stat(&mut self, at: Option<BorrowedFd<'_>>, path: &Path) -> Result<Stat, Errno> {
        match at {
            Some(dir) => nix::sys::stat::fstatat(dir, path, nix::fcntl::AtFlags::empty()),
            None => nix::sys::stat::stat(path),
        }
        .map(Stat::from)
    }
    fn exists(&mut self, path: &Path) -> bool {
        path.exists()
    }
    fn statfs(&mut self, path: &Path) -> Result<FsType, Errno> {
        nix::sys::statfs::statfs(path).map(|s| s.filesystem_type())
    }
    fn fstatfs(&mut self, fd: BorrowedFd<'_>) -> Result<FsType, Errno> {
        nix::sys::statfs::fstatfs(fd).map(|s| s.filesystem_type())
    }
    fn readlink(&mut self, at: Option<BorrowedFd<'_>>, path: &Path) -> Result<OsString, Errno> {
        match at {
            Some(dir) => nix::fcntl::readlinkat(dir, path),
            None => nix::fcntl::readlink(path),
        }
    }
    fn list_dir(&mut self, path: &Path) -> Result<Vec<OsString>, Errno> {
        let errno = |e: io::Error| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO));
        let entries = std::fs::read_dir(path).map_err(errno)?;
        entries.map(|e| e.map(|e| e.file_name()).map_err(errno)).collect()
    }
    fn read_bounded(&mut self, path: &Path, max: usize) -> Result<Vec<u8>, Errno> {
        let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_NOCTTY;
        let fd = nix::fcntl::open(path, flags, Mode::empty())?;
        if nix::sys::stat::fstat(&fd)?.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(Errno::EINVAL);
        }
        read_all(&fd, max)
    }
}

/// Reads `fd` to its end in page-sized steps, `EFBIG` once it holds more than `max`
/// bytes. `std`'s `read_to_end` first asks for the size (a `statx` and an `lseek`) and
/// then probes with 32-byte reads, because a file that says it is empty may not be: /proc
/// files all say so, and the probing took eight reads for an `environ` that two reads of
/// a page hold. The buffer grows with what is read, not with `max`.
fn read_all(fd: &OwnedFd, max: usize) -> Result<Vec<u8>, Errno> {
    const STEP: usize = 4096;
    let mut buf = Vec::new();
    loop {
        let len = buf.len();
        if len > max {
            return Err(Errno::EFBIG);
        }
        buf.resize(len + STEP, 0);
        match nix::unistd::read(fd, &mut buf[len..]) {
            Ok(0) => {
                buf.truncate(len);
                return Ok(buf);
            }
            Ok(n) => buf.truncate(len + n),
            Err(Errno::EINTR) => buf.truncate(len),
            Err(e) => return Err(e),
        }
    }
}
