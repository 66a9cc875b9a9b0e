//! The only module with `unsafe` code and raw `libc` calls.
//!
//! Everything else in the workspace goes through nix's safe wrappers or through the
//! functions here. Each function is a thin, checked wrapper: it turns `-1` into an
//! `Errno` and owned descriptors into `OwnedFd`, and does no policy of its own.
//!
//! Each names the man page of the call it makes and, under `# Errors`, the errno values
//! its callers meet in practice (the man page has the full list); the two calls that are
//! sound only in a single-threaded process are `unsafe fn`s with a `# Safety` section,
//! reached safely through [`SingleThreaded`].

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use nix::errno::Errno;
use nix::unistd::Pid;

/// glibc's text for an errno, by `strerror_r(3)` (nix has its own table, whose words
/// differ from glibc's in places, e.g. ERANGE; util-linux prints glibc's).
///
/// # Errors
/// None reported: an errno glibc does not know gives `Unknown error N`.
pub fn strerror(errno: i32) -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: the buffer is valid for its length; the XSI strerror_r NUL-terminates.
    let rc = unsafe { libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {errno}");
    }
    // SAFETY: NUL-terminated by strerror_r.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

/// What `fork` returned in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    /// In the parent, with the child's PID.
    Parent(Pid),
    /// In the child.
    Child,
}

/// Proof that this process has a single thread, needed by the calls that are sound only
/// then: [`fork`] (the child goes on running Rust code, which another thread's lock held
/// at the fork would deadlock or corrupt) and [`locale_is_utf8`] (`setlocale(3)` races
/// with every locale-dependent call of other threads).
///
/// The tool crates forbid `unsafe`, so they cannot make the promise themselves: each
/// binary's `main` makes it once, before anything else runs, with the one `unsafe`
/// [`SingleThreaded::new`], and hands the token down (rs-unshare and rs-nsenter pass it
/// to [`crate::syscall::Os`], the only thing that forks; rs-lsns to its one
/// `setlocale`). A token is a value rather than
/// a global check so that what may fork says so in its signature, and so that code
/// without one (unit tests, which the harness runs on many threads) cannot fork by
/// accident. It is neither `Send` nor `Sync`: it stays on the thread that made it.
#[derive(Debug, Clone, Copy)]
pub struct SingleThreaded(std::marker::PhantomData<*const ()>);

impl SingleThreaded {
    /// Makes the token.
    ///
    /// # Safety
    /// No other thread may exist when this is called, and the program must start none
    /// afterwards: the token vouches for the rest of the process's life. Call it first
    /// thing in `main`.
    pub unsafe fn new() -> SingleThreaded {
        SingleThreaded(std::marker::PhantomData)
    }

    /// [`fork`] (`fork(2)`), sound because the token exists.
    ///
    /// # Errors
    /// As `fork(2)`: `EAGAIN` (a process limit), `ENOMEM`.
    pub fn fork(self) -> Result<Forked, Errno> {
        // SAFETY: the token's existence means this process has one thread (see `new`).
        unsafe { fork() }
    }

    /// [`locale_is_utf8`] (`setlocale(3)`, `nl_langinfo(3)`), sound because the token
    /// exists.
    ///
    /// # Errors
    /// None reported: a locale that cannot be set counts as not UTF-8.
    pub fn locale_is_utf8(self) -> bool {
        // SAFETY: the token's existence means this process has one thread (see `new`).
        unsafe { locale_is_utf8() }
    }
}

/// `fork(2)`.
///
/// # Safety
/// The process must be single-threaded: the child keeps running Rust code, and a lock
/// another thread held at the fork (the allocator's, stdio's) would stay locked in it
/// forever. [`SingleThreaded::fork`] is the safe way in.
///
/// # Errors
/// As `fork(2)`: `EAGAIN` (a process limit), `ENOMEM`.
pub unsafe fn fork() -> Result<Forked, Errno> {
    // SAFETY: the caller guarantees a single thread.
    match unsafe { libc::fork() } {
        -1 => Err(Errno::last()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(Pid::from_raw(pid))),
    }
}

/// `_exit(2)`: leave a forked child without running the parent's exit handlers or
/// flushing buffers it inherited.
///
/// # Errors
/// None: it does not return.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is always safe to call.
    unsafe { libc::_exit(code) }
}

fn fd_result(rc: libc::c_long) -> Result<OwnedFd, Errno> {
    if rc < 0 {
        Err(Errno::last())
    } else {
        // SAFETY: the kernel just returned this new descriptor to us.
        Ok(unsafe { OwnedFd::from_raw_fd(rc as RawFd) })
    }
}

fn int_result(rc: libc::c_int) -> Result<libc::c_int, Errno> {
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}

/// `pidfd_open(2)`; the descriptor is always close-on-exec. A pidfd keeps naming the same
/// process even after its PID is reused, so what is read or sent through it cannot reach
/// a stranger.
///
/// # Errors
/// `ESRCH` when no such process exists, `EINVAL` for bad flags or a thread's ID (not a
/// process's), `EMFILE`/`ENFILE` when out of descriptors, `ENOSYS` before Linux 5.3.
pub fn pidfd_open(pid: Pid, flags: libc::c_uint) -> Result<OwnedFd, Errno> {
    // SAFETY: plain system call with integer arguments.
    fd_result(unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), flags) })
}

/// `pidfd_getfd(2)`: a close-on-exec duplicate of descriptor `fd` of the pidfd's process
/// (how nsenter's `--net-socket` and lsns reach the namespace of another process's
/// socket).
///
/// # Errors
/// `EPERM` without ptrace access to the process, `EBADF` when it has no descriptor
/// `fd`, `ESRCH` when it has ended, `EMFILE`/`ENFILE`, `ENOSYS` before Linux 5.6.
pub fn pidfd_getfd(pidfd: BorrowedFd<'_>, fd: RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: plain system call with integer arguments.
    fd_result(unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) })
}

/// What `PIDFD_GET_INFO` tells about a process: its parent (0 if outside our pid
/// namespace) and effective uid, as this process sees them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PidInfo {
    /// The parent's PID in our pid namespace (0 if the parent is outside it).
    pub ppid: u32,
    /// The effective uid, mapped into our user namespace.
    pub euid: u32,
}

/// `struct pidfd_info` of linux/pidfd.h as of Linux 6.13 (`PIDFD_INFO_SIZE_VER0`); the
/// fields not read here are there for the layout.
#[repr(C)]
#[derive(Default)]
#[allow(dead_code)]
struct PidfdInfo {
    mask: u64,
    cgroupid: u64,
    pid: u32,
    tgid: u32,
    ppid: u32,
    ruid: u32,
    rgid: u32,
    euid: u32,
    egid: u32,
    suid: u32,
    sgid: u32,
    fsuid: u32,
    fsgid: u32,
    exit_code: i32,
}

const PIDFD_INFO_PID: u64 = 1 << 0;
const PIDFD_INFO_CREDS: u64 = 1 << 1;
/// `_IOWR(PIDFS_IOCTL_MAGIC, 11, struct pidfd_info)`.
const PIDFD_GET_INFO: libc::c_ulong =
    (3 << 30) | ((std::mem::size_of::<PidfdInfo>() as libc::c_ulong) << 16) | (0xFF << 8) | 11;

/// `ioctl(PIDFD_GET_INFO)` (Linux 6.13 or newer; older kernels fail with `ENOTTY` or
/// `EINVAL`): a process's parent and effective uid in one cheap call, where /proc needs
/// a read of `stat` (which formats some fifty fields) and a `stat` of `/proc/PID`.
/// Documented in the kernel's `linux/pidfd.h` (`ioctl(2)` on a pidfd; man-pages 6.03 has
/// no page for it).
///
/// # Errors
/// `ENOTTY` or `EINVAL` on kernels before 6.13; `ESRCH` once the process has been
/// reaped; `EINVAL` also from us when the reply lacks the PID or credential fields.
pub fn pidfd_info(pidfd: BorrowedFd<'_>) -> Result<PidInfo, Errno> {
    let mut info = PidfdInfo { mask: PIDFD_INFO_PID | PIDFD_INFO_CREDS, ..PidfdInfo::default() };
    // SAFETY: the kernel writes at most the size encoded in the request, which is ours.
    int_result(unsafe { libc::ioctl(pidfd.as_raw_fd(), PIDFD_GET_INFO as _, &mut info as *mut PidfdInfo) })?;
    if info.mask & (PIDFD_INFO_PID | PIDFD_INFO_CREDS) != PIDFD_INFO_PID | PIDFD_INFO_CREDS {
        return Err(Errno::EINVAL);
    }
    Ok(PidInfo { ppid: info.ppid, euid: info.euid })
}

/// `pidfd_send_signal(2)`: `kill(2)` without the risk of a reused PID, since the pidfd
/// names one process for its whole life.
///
/// # Errors
/// `ESRCH` when the process has ended, `EPERM` without permission to signal it,
/// `EINVAL` for a bad signal number.
pub fn pidfd_send_signal(pidfd: BorrowedFd<'_>, sig: i32) -> Result<(), Errno> {
    // SAFETY: plain system call; a null siginfo is allowed.
    let rc = unsafe {
        libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_raw_fd(), sig, std::ptr::null::<libc::siginfo_t>(), 0)
    };
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(())
    }
}

/// `setns(2)` on a namespace file or a pidfd with a raw `CLONE_NEW*` mask (nix's
/// `CloneFlags` lacks `CLONE_NEWTIME`).
///
/// # Errors
/// `EPERM` without `CAP_SYS_ADMIN` over the namespace (in its owning user namespace);
/// `EINVAL` when the file is not of a type in `flags`, or the move is not allowed (a
/// multi-threaded process into a user namespace, a pid namespace that is not a
/// descendant of ours); `EBADF`; `ESRCH` for a pidfd whose process has ended.
pub fn setns(fd: BorrowedFd<'_>, flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain system call.
    int_result(unsafe { libc::setns(fd.as_raw_fd(), flags) }).map(drop)
}

/// `unshare(2)` with a raw `CLONE_*` mask (again because of `CLONE_NEWTIME`).
///
/// # Errors
/// `EPERM` without `CAP_SYS_ADMIN` (a new user namespace in the same call grants it) or,
/// for a user namespace, when our ids are not mapped in the parent or we are in a
/// `chroot`; `EINVAL` for an unknown flag or `CLONE_NEWUSER` in a multi-threaded
/// process; `ENOSPC` beyond the nesting depth or `user.max_*_namespaces`; `ENOMEM`.
pub fn unshare(flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain system call.
    int_result(unsafe { libc::unshare(flags) }).map(drop)
}

// ioctl numbers of linux/nsfs.h: _IO(0xb7, n); see ioctl_ns(2).
const NSIO: libc::c_ulong = 0xb7;
const fn io(nr: libc::c_ulong) -> libc::c_ulong {
    (NSIO << 8) | nr
}
/// `NS_GET_USERNS`: the user namespace that owns a namespace.
pub const NS_GET_USERNS: libc::c_ulong = io(0x1);
/// `NS_GET_PARENT`: the parent of a pid or user namespace.
pub const NS_GET_PARENT: libc::c_ulong = io(0x2);
/// `NS_GET_NSTYPE`: the `CLONE_NEW*` type of a namespace file.
pub const NS_GET_NSTYPE: libc::c_ulong = io(0x3);
/// `NS_GET_OWNER_UID`: `_IO(0xb7, 4)`, writes a uid through its argument.
pub const NS_GET_OWNER_UID: libc::c_ulong = io(0x4);
/// `SIOCGSKNS`: the network namespace of a socket.
pub const SIOCGSKNS: libc::c_ulong = 0x894C;

fn ioctl_fd(fd: BorrowedFd<'_>, req: libc::c_ulong) -> Result<OwnedFd, Errno> {
    // SAFETY: these requests take no argument and return a new descriptor.
    fd_result(unsafe { libc::ioctl(fd.as_raw_fd(), req as _) } as libc::c_long)
}

/// `NS_GET_USERNS` (`ioctl_ns(2)`) on a namespace descriptor: a close-on-exec
/// descriptor of the user namespace that owns it.
///
/// # Errors
/// `EPERM` when the owner is outside our namespace scope (an ancestor of our user
/// namespace); `ENOTTY` when `fd` is not a namespace file.
pub fn ns_get_userns(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    ioctl_fd(fd, NS_GET_USERNS)
}

/// `NS_GET_PARENT` (`ioctl_ns(2)`) on a pid or user namespace descriptor: a
/// close-on-exec descriptor of its parent.
///
/// # Errors
/// `EPERM` for the initial namespace or a parent outside our scope; `EINVAL` for a
/// namespace type without a hierarchy; `ENOTTY` when `fd` is not a namespace file.
pub fn ns_get_parent(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    ioctl_fd(fd, NS_GET_PARENT)
}

/// `NS_GET_NSTYPE` (`ioctl_ns(2)`): the `CLONE_NEW*` flag of the namespace, which
/// [`crate::NsType::from_clone_flag`] turns into a type.
///
/// # Errors
/// `ENOTTY` when `fd` is not a namespace file.
pub fn ns_get_nstype(fd: BorrowedFd<'_>) -> Result<libc::c_int, Errno> {
    // SAFETY: the request takes no argument and returns an int.
    int_result(unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE as _) })
}

/// `NS_GET_OWNER_UID` (`ioctl_ns(2)`) on a user namespace descriptor: the effective uid
/// of its creator, mapped into our user namespace.
///
/// # Errors
/// `EINVAL` when `fd` is not a user namespace; `ENOTTY` when it is not a namespace file.
pub fn ns_get_owner_uid(fd: BorrowedFd<'_>) -> Result<u32, Errno> {
    let mut uid: libc::uid_t = 0;
    // SAFETY: the kernel writes one uid_t through the pointer.
    int_result(unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_OWNER_UID as _, &mut uid as *mut libc::uid_t) })?;
    Ok(uid)
}

/// `SIOCGSKNS`: a close-on-exec descriptor for the network namespace of socket `fd`
/// (the namespace it was created in, which may have no process left). An `ioctl(2)` on
/// sockets from `linux/sockios.h`; man-pages 6.03 does not describe it.
///
/// # Errors
/// `EPERM` without `CAP_NET_ADMIN` over that namespace; for a descriptor that is not a
/// socket, whatever its file answers to an unknown request (usually `ENOTTY`).
pub fn socket_netns(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    ioctl_fd(fd, SIOCGSKNS)
}

/// `prctl(2)` `PR_SET_PDEATHSIG` with any signal number (real-time ones included): the
/// signal this process gets when the thread that forked it ends.
///
/// # Errors
/// `EINVAL` for a number that is not a signal.
pub fn set_pdeathsig(sig: i32) -> Result<(), Errno> {
    // SAFETY: plain prctl with integer arguments.
    int_result(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) }).map(drop)
}

/// The size of the kernel's signal set (`_NSIG / 8`: 64 signals on every architecture
/// but MIPS), which `rt_sigaction(2)` and `rt_sigprocmask(2)` take as their last argument.
const KERNEL_SIGSET_SIZE: libc::size_t = 8;

/// Sets `sig` to its default action and unblocks it, so that raising it acts as if we
/// had never changed anything (the caller may have started us with it ignored or blocked).
///
/// Raw `rt_sigaction`/`rt_sigprocmask` rather than glibc's wrappers: glibc refuses signals
/// 32 and 33 (kept for its threads) and drops them from signal sets, yet a child may die
/// of them. An all-zero kernel `struct sigaction` is `SIG_DFL` with no flags and an empty
/// mask whatever the architecture's field order. (See `rt_sigaction(2)` and
/// `rt_sigprocmask(2)`, which are `sigaction(2)` and `sigprocmask(2)`.)
///
/// # Errors
/// `EINVAL` for a number outside 1..=64, before any call is made. SIGKILL and SIGSTOP,
/// whose action cannot change, are only unblocked (which the kernel ignores).
pub fn reset_and_unblock(sig: i32) -> Result<(), Errno> {
    if !(1..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let dfl = [0u64; 4];
    if sig != libc::SIGKILL && sig != libc::SIGSTOP {
        // SAFETY: the new action is a valid all-zero kernel sigaction; no old one is asked for.
        let rc = unsafe {
            libc::syscall(libc::SYS_rt_sigaction, sig, dfl.as_ptr(), std::ptr::null_mut::<u64>(), KERNEL_SIGSET_SIZE)
        };
        int_result(rc as libc::c_int)?;
    }
    let set: u64 = 1 << (sig - 1);
    // SAFETY: the set is one kernel sigset_t; no old mask is asked for.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_UNBLOCK,
            &set,
            std::ptr::null_mut::<u64>(),
            KERNEL_SIGSET_SIZE,
        )
    };
    int_result(rc as libc::c_int).map(drop)
}

/// `waitpid(2)` returning the raw status word (nix's `WaitStatus` has no room for
/// real-time signals); decode it with [`crate::process::ChildState::from_raw`].
///
/// # Errors
/// `ECHILD` when `pid` is not an unwaited-for child of ours, `EINTR` when a signal
/// handler ran first (callers retry), `EINVAL` for bad flags.
pub fn waitpid_raw(pid: Pid, flags: libc::c_int) -> Result<(Pid, libc::c_int), Errno> {
    let mut status: libc::c_int = 0;
    // SAFETY: the kernel writes one int through the pointer.
    let rc = int_result(unsafe { libc::waitpid(pid.as_raw(), &mut status, flags) })?;
    Ok((Pid::from_raw(rc), status))
}

/// Whether the kernel started this program in secure-execution mode (`AT_SECURE` in the
/// auxiliary vector: set-user-ID, set-group-ID or file capabilities gave it privileges
/// its caller lacks). Reading the auxiliary vector (`getauxval(3)`) costs no system call.
///
/// # Errors
/// None: an absent entry counts as not secure.
pub fn secure_exec() -> bool {
    // SAFETY: getauxval only reads the auxiliary vector; 0 means unset or absent.
    unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
}

/// Restores the default action of `sig` (rs-unshare's SIGCHLD, which its caller may
/// have left ignored), by `signal(2)`.
///
/// # Errors
/// `EINVAL` for a number that is not a signal, or glibc's own 32 and 33 (use
/// [`reset_and_unblock`] for those).
pub fn default_action(sig: i32) -> Result<(), Errno> {
    // SAFETY: installing SIG_DFL has no memory-safety requirements.
    if unsafe { libc::signal(sig, libc::SIG_DFL) } == libc::SIG_ERR {
        return Err(Errno::last());
    }
    Ok(())
}

/// `kill(2)`, with any signal number (nix's `Signal` cannot name the real-time ones).
///
/// # Errors
/// `ESRCH` when no such process exists, `EPERM` without permission to signal it,
/// `EINVAL` for a bad signal number.
pub fn kill(pid: Pid, sig: i32) -> Result<(), Errno> {
    // SAFETY: plain system call.
    int_result(unsafe { libc::kill(pid.as_raw(), sig) }).map(drop)
}

/// A close-on-exec duplicate of `fd` at the lowest free number from `min` on
/// (`fcntl(2)` `F_DUPFD_CLOEXEC`).
///
/// # Errors
/// `EMFILE` when no number from `min` on is free, `EINVAL` for a `min` out of range.
pub fn dup_from(fd: BorrowedFd<'_>, min: RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: plain fcntl with integer arguments.
    let rc = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, min) };
    fd_result(libc::c_long::from(rc))
}

/// `close_range(2)` without flags: closes descriptors `first` to `last` (`u32::MAX` for
/// all above `first`) at once.
///
/// # Errors
/// `EINVAL` when `first` is above `last`; `ENOSYS` before Linux 5.9.
pub fn close_range(first: u32, last: u32) -> Result<(), Errno> {
    // SAFETY: plain system call with integer arguments; the caller gives up the
    // descriptors it closes (none may be an OwnedFd that is dropped later).
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) };
    int_result(rc as libc::c_int).map(drop)
}

/// A 64-bit word of memory shared with every child forked afterwards (an anonymous
/// `MAP_SHARED` page, `mmap(2)`, never unmapped), zero at first: how a forked helper
/// tells its parent how far it has come, without a system call per step.
///
/// # Errors
/// As `mmap(2)`: `ENOMEM`.
pub fn shared_word() -> Result<&'static AtomicU64, Errno> {
    // SAFETY: a new anonymous mapping, touching no memory of ours.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            std::mem::size_of::<AtomicU64>(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(Errno::last());
    }
    // SAFETY: the mapping is page-aligned, zero-filled (a valid AtomicU64), at least a
    // page long, and never unmapped, so the reference is valid for the rest of the
    // process; atomics are sound in memory shared between processes.
    Ok(unsafe { &*p.cast::<AtomicU64>() })
}

/// Sends `data` as one message on the Unix socket `sock`, with descriptor `fd` attached
/// when given (`sendmsg(2)`, `SCM_RIGHTS`, `MSG_NOSIGNAL`).
///
/// # Errors
/// As `sendmsg(2)`: `EPIPE` when the peer is gone, `ENOBUFS`.
pub fn send_with_fd(sock: BorrowedFd<'_>, data: &[u8], fd: Option<BorrowedFd<'_>>) -> Result<(), Errno> {
    use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
    let fds = fd.map(|f| [f.as_raw_fd()]);
    let cmsgs: Vec<ControlMessage<'_>> = fds.iter().map(|f| ControlMessage::ScmRights(f)).collect();
    let iov = [std::io::IoSlice::new(data)];
    sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsgs, MsgFlags::MSG_NOSIGNAL, None).map(drop)
}

/// Receives one message of at most `buf.len()` bytes on the Unix socket `sock`, and the
/// descriptor sent with it, close-on-exec (`recvmsg(2)`, `MSG_CMSG_CLOEXEC`); any further
/// descriptors are closed. `(0, None)` when the peer has gone.
///
/// # Errors
/// As `recvmsg(2)`: `EINTR`, `EAGAIN` on a non-blocking socket with nothing to read.
pub fn recv_with_fd(sock: BorrowedFd<'_>, buf: &mut [u8]) -> Result<(usize, Option<OwnedFd>), Errno> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let msg = recvmsg::<()>(sock.as_raw_fd(), &mut iov, Some(&mut space), MsgFlags::MSG_CMSG_CLOEXEC)?;
    let n = msg.bytes;
    let mut fds = Vec::new();
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(raw) = c {
            // SAFETY: SCM_RIGHTS just installed these descriptors in this process.
            fds.extend(raw.into_iter().map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }));
        }
    }
    Ok((n, fds.into_iter().next()))
}

static FORWARD_TO: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward_handler(sig: libc::c_int) {
    let pid = FORWARD_TO.load(Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, sig) };
    }
}

/// Makes SIGTERM and SIGINT received by this process be re-sent to `child`
/// (unshare's `--forward-signals`), by `sigaction(2)` with `SA_RESTART`, so that our own
/// waiting is not broken off. The child's PID is kept in an atomic the handler reads:
/// a handler can take no arguments of ours.
///
/// # Errors
/// The signal whose handler failed to install and `sigaction(2)`'s errno (`EINVAL`,
/// which no valid signal gives in practice).
pub fn forward_signals_to(child: Pid) -> Result<(), (i32, Errno)> {
    FORWARD_TO.store(child.as_raw(), Ordering::Relaxed);
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the handler only calls the async-signal-safe kill(2) and reads an atomic.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = forward_handler as *const () as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(sig, &sa, std::ptr::null_mut()) < 0 {
                return Err((sig, Errno::last()));
            }
        }
    }
    Ok(())
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;

/// The three capability sets of this thread as 64-bit masks (bit N: capability N of
/// `capabilities(7)`), joined from the two 32-bit halves of the kernel's v3 ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapSets {
    /// What the kernel checks now.
    pub effective: u64,
    /// The superset the effective set must stay within.
    pub permitted: u64,
    /// Kept through an exec only where the file's own sets allow, or as ambient
    /// capabilities, which must be inheritable (and permitted) first.
    pub inheritable: u64,
}

/// `capget(2)` for this thread, with the v3 (64-bit) ABI. No libcap: this, [`capset`] and
/// [`ambient_raise`] are all that `--keep-caps` needs.
///
/// # Errors
/// `EINVAL` if the kernel does not know the v3 ABI (before Linux 2.6.26).
pub fn capget() -> Result<CapSets, Errno> {
    let mut hdr = CapHeader { version: CAP_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and two data structs as the v3 ABI requires.
    int_result(unsafe { libc::syscall(libc::SYS_capget, &mut hdr, data.as_mut_ptr()) } as libc::c_int)?;
    let join = |f: fn(&CapData) -> u32| u64::from(f(&data[0])) | (u64::from(f(&data[1])) << 32);
    Ok(CapSets {
        effective: join(|d| d.effective),
        permitted: join(|d| d.permitted),
        inheritable: join(|d| d.inheritable),
    })
}

/// `capset(2)` for this thread, with the v3 (64-bit) ABI.
///
/// # Errors
/// `EPERM` when the new sets add to the permitted set, put into the effective set what
/// is not permitted, or add to the inheritable set what is outside the bounding set or
/// (without `CAP_SETPCAP`) outside the permitted set.
pub fn capset(sets: CapSets) -> Result<(), Errno> {
    let mut hdr = CapHeader { version: CAP_VERSION_3, pid: 0 };
    let split = |v: u64, i: usize| (v >> (32 * i)) as u32;
    let data: [CapData; 2] = std::array::from_fn(|i| CapData {
        effective: split(sets.effective, i),
        permitted: split(sets.permitted, i),
        inheritable: split(sets.inheritable, i),
    });
    // SAFETY: header and two data structs as the v3 ABI requires.
    int_result(unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) } as libc::c_int).map(drop)
}

/// `prctl(2)` `PR_CAP_AMBIENT_RAISE`: makes `cap` ambient, so that it survives an exec of
/// a program without file capabilities.
///
/// # Errors
/// `EPERM` unless `cap` is both permitted and inheritable (or when
/// `SECBIT_NO_CAP_AMBIENT_RAISE` is set); `EINVAL` for a capability this kernel lacks.
pub fn ambient_raise(cap: u32) -> Result<(), Errno> {
    // SAFETY: plain prctl with integer arguments.
    int_result(unsafe {
        libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong, cap as libc::c_ulong, 0, 0)
    })
    .map(drop)
}

/// `open_by_handle_at(2)` with an nsfs file handle: the namespace whose 64-bit ID is `id`
/// (Linux 6.19 or newer understands such handles). `nsfs_fd` is any descriptor on nsfs,
/// which tells the kernel the filesystem to look in. The descriptor is close-on-exec.
///
/// # Errors
/// `ESTALE` when no namespace has that ID, and on kernels before 6.19, which do not
/// understand the handle; `EPERM` when not allowed to open it.
pub fn open_ns_by_id(nsfs_fd: BorrowedFd<'_>, id: u64) -> Result<OwnedFd, Errno> {
    /// `struct file_handle` followed by `struct nsfs_file_handle` (linux/nsfs.h).
    #[repr(C)]
    struct NsHandle {
        handle_bytes: u32,
        handle_type: libc::c_int,
        ns_id: u64,
        ns_type: u32,
        ns_inum: u32,
    }
    /// `FILEID_NSFS` of linux/exportfs.h.
    const FILEID_NSFS: libc::c_int = 0xf1;
    let mut handle = NsHandle { handle_bytes: 16, handle_type: FILEID_NSFS, ns_id: id, ns_type: 0, ns_inum: 0 };
    // SAFETY: the handle is a valid file_handle with 16 bytes of payload, as declared.
    fd_result(unsafe {
        libc::syscall(
            libc::SYS_open_by_handle_at,
            nsfs_fd.as_raw_fd(),
            &mut handle as *mut NsHandle,
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    })
}

/// `getdents64(2)`: fills `buf` with `linux_dirent64` records; returns the bytes used
/// (0 at the end of the directory). Parse the records with [`dirent_names`]. Used instead
/// of `readdir(3)` to read `/proc` and `/proc/PID/fd` into one reused buffer.
///
/// # Errors
/// `EBADF` or `ENOTDIR` for a descriptor that is not an open directory, `EINVAL` for a
/// buffer too small for the next record, `ENOENT` once the directory is gone (a process
/// that ended).
pub fn getdents64(dir: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most buf.len() bytes into the buffer.
    let rc = unsafe { libc::syscall(libc::SYS_getdents64, dir.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(rc as usize)
    }
}

/// The names in a `getdents64` buffer (`.` and `..` included), NUL-terminated as the
/// kernel wrote them, so they can be handed to the `*at` calls below without a copy. Pure
/// byte parsing of the `linux_dirent64` layout: u64 ino, i64 off, u16 reclen, u8 type,
/// NUL-terminated name (a record without a NUL ends the iteration). The layout is
/// `getdents64(2)`'s.
///
/// # Errors
/// None reported: a truncated or malformed record ends the iteration.
pub fn dirent_names(buf: &[u8]) -> impl Iterator<Item = &CStr> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let rec = buf.get(pos..)?;
        let reclen = u16::from_ne_bytes([*rec.get(16)?, *rec.get(17)?]) as usize;
        if reclen < 20 || reclen > rec.len() {
            return None;
        }
        pos += reclen;
        CStr::from_bytes_until_nul(&rec[19..reclen]).ok()
    })
}

/// `readlinkat(2)` into a caller's buffer (no allocation: rs-lsns reads tens of thousands
/// of links). Returns the length of the text; a text that fills the buffer may have been cut.
///
/// # Errors
/// `ENOENT` for a name that is gone, `EINVAL` for one that is not a link, `EACCES`
/// without ptrace access to another process's `/proc` entries.
pub fn readlink_into(dir: BorrowedFd<'_>, name: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most buf.len() bytes; name is NUL-terminated.
    let rc = unsafe { libc::readlinkat(dir.as_raw_fd(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(rc as usize)
    }
}

/// What names a file: the device (in `st_dev`'s encoding) and inode it lives on, and its
/// `S_IFMT` type bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    /// The device, as `st_dev` encodes it (`makedev` of statx's major and minor).
    pub dev: u64,
    /// The inode number.
    pub ino: u64,
    /// `stx_mode`; only its `S_IFMT` type bits are asked for, so only they count.
    pub mode: u32,
}

impl FileId {
    /// Whether the file is a socket (whose network namespace `SIOCGSKNS` can then tell).
    pub fn is_socket(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFSOCK
    }
}

/// `statx(2)` of `name` under `dir` (of `dir` itself when `name` is empty), following a
/// final symlink: through a `/proc/PID/fd/N` link that reaches the open file without
/// opening anything, so a FIFO cannot make it wait. It asks for nothing but type and
/// inode and takes what the kernel has cached (`AT_STATX_DONT_SYNC`): the server behind a
/// network or FUSE file is not asked, so it cannot stall the call either.
///
/// # Errors
/// As `statx(2)`: `ENOENT` for a name that is gone, `EACCES` without access (another
/// process's descriptors), `ENOTDIR`, `ELOOP`, `ENOMEM`.
pub fn file_id_at(dir: BorrowedFd<'_>, name: &CStr) -> Result<FileId, Errno> {
    let stx = statx_at(dir, name, libc::STATX_TYPE | libc::STATX_INO)?;
    Ok(FileId {
        dev: libc::makedev(stx.stx_dev_major, stx.stx_dev_minor),
        ino: stx.stx_ino,
        mode: u32::from(stx.stx_mode),
    })
}

/// The size `statx(2)` reports for `name` relative to `dir`, following a final symlink.
/// For a `/proc/PID/fd` directory that is the number of descriptors the process has open
/// (Linux 6.2 and later; 0 before), which costs the kernel a count of a bitmap where
/// reading the directory costs a dentry per descriptor.
///
/// # Errors
/// As `statx(2)`: `ENOENT` for a name that is gone, `EACCES`, `ENOTDIR`, `ENOMEM`.
pub fn size_at(dir: BorrowedFd<'_>, name: &CStr) -> Result<u64, Errno> {
    Ok(statx_at(dir, name, libc::STATX_SIZE)?.stx_size)
}

/// `statx(2)` of `name` relative to `dir` (of `dir` itself for an empty name), following
/// a final symlink, asking for `mask` and taking what the kernel has cached
/// (`AT_STATX_DONT_SYNC`).
fn statx_at(dir: BorrowedFd<'_>, name: &CStr, mask: libc::c_uint) -> Result<libc::statx, Errno> {
    let mut flags = libc::AT_STATX_DONT_SYNC;
    if name.is_empty() {
        flags |= libc::AT_EMPTY_PATH;
    }
    // (not zeroed first: rs-lsns makes thousands of these calls, and the kernel writes
    // the whole structure, unused fields as zeroes, whenever it succeeds)
    let mut stx = std::mem::MaybeUninit::<libc::statx>::uninit();
    // SAFETY: the kernel writes at most a struct statx to the pointer; name is
    // NUL-terminated.
    let rc = unsafe { libc::statx(dir.as_raw_fd(), name.as_ptr(), flags, mask, stx.as_mut_ptr()) };
    int_result(rc)?;
    // SAFETY: statx succeeded, so it filled in every byte of the structure.
    Ok(unsafe { stx.assume_init() })
}

/// Whether the user's locale (`setlocale(3)` with `LC_ALL` and `""`, then
/// `nl_langinfo(3)`'s `CODESET`) uses UTF-8, which decides between Unicode and ASCII
/// tree glyphs.
///
/// # Errors
/// None reported: a locale that cannot be set counts as not UTF-8.
///
/// # Safety
/// The process must be single-threaded: `setlocale` changes state that every
/// locale-dependent call of another thread reads unlocked. [`SingleThreaded`] has the
/// safe way in.
pub unsafe fn locale_is_utf8() -> bool {
    // SAFETY: single-threaded (the caller's promise); the empty string asks for the
    // environment's locale; nl_langinfo returns a static NUL-terminated string.
    unsafe {
        if libc::setlocale(libc::LC_ALL, c"".as_ptr()).is_null() {
            return false;
        }
        let cs = libc::nl_langinfo(libc::CODESET);
        !cs.is_null() && CStr::from_ptr(cs).to_bytes().eq_ignore_ascii_case(b"UTF-8")
    }
}

/// The width of the terminal on `fd` (`TIOCGWINSZ`, `ioctl_tty(2)`), or `None` if it is
/// not a terminal. `Some(0)` when the terminal has no size set (some pseudo-terminals).
///
/// # Errors
/// None reported: any failure means "not a terminal".
pub fn terminal_width(fd: BorrowedFd<'_>) -> Option<usize> {
    let mut ws: libc::winsize = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one winsize through the pointer.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws as *mut libc::winsize) };
    (rc == 0).then_some(usize::from(ws.ws_col))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_is_glibc() {
        assert_eq!(strerror(libc::EPERM), "Operation not permitted");
        assert_eq!(strerror(libc::ERANGE), "Numerical result out of range");
    }

    #[test]
    fn ioctl_numbers() {
        assert_eq!(NS_GET_USERNS, 0xb701);
        assert_eq!(NS_GET_PARENT, 0xb702);
        assert_eq!(NS_GET_NSTYPE, 0xb703);
        assert_eq!(NS_GET_OWNER_UID, 0xb704);
    }

    #[test]
    fn nstype_of_own_namespaces() {
        let f = std::fs::File::open("/proc/self/ns/net").unwrap();
        use std::os::fd::AsFd;
        assert_eq!(ns_get_nstype(f.as_fd()).unwrap(), libc::CLONE_NEWNET);
        let u = std::fs::File::open("/proc/self/ns/user").unwrap();
        // the initial user namespace has no parent we may see
        assert!(ns_get_parent(u.as_fd()).is_err());
    }

    #[test]
    fn capget_reads_something() {
        let c = capget().unwrap();
        assert_eq!(c.effective & !c.permitted, 0);
    }

    #[test]
    fn directory_entries() {
        let d = std::fs::File::open("/proc/self/ns").unwrap();
        use std::os::fd::AsFd;
        let mut buf = vec![0u8; 4096];
        let mut names = Vec::new();
        loop {
            let n = getdents64(d.as_fd(), &mut buf).unwrap();
            if n == 0 {
                break;
            }
            names.extend(dirent_names(&buf[..n]).map(|n| n.to_string_lossy().into_owned()));
        }
        assert!(names.iter().any(|n| n == "net") && names.iter().any(|n| n == ".."), "{names:?}");
        assert_eq!(dirent_names(&[0u8; 10]).count(), 0);
    }

    #[test]
    fn pidfd_info_of_ourselves() {
        assert_eq!(PIDFD_GET_INFO, 0xC040_FF0B);
        let me = pidfd_open(nix::unistd::getpid(), 0).unwrap();
        match pidfd_info(std::os::fd::AsFd::as_fd(&me)) {
            Ok(info) => {
                assert_eq!(info.ppid, nix::unistd::getppid().as_raw() as u32);
                assert_eq!(info.euid, nix::unistd::geteuid().as_raw());
            }
            // kernels before 6.13
            Err(e) => assert!(matches!(e, Errno::ENOTTY | Errno::EINVAL), "{e}"),
        }
    }

    #[test]
    fn file_ids_and_links() {
        use std::os::fd::AsFd;
        let proc = std::fs::File::open("/proc").unwrap();
        let ns = file_id_at(proc.as_fd(), c"self/ns/net").unwrap();
        let uts = file_id_at(proc.as_fd(), c"self/ns/uts").unwrap();
        // one nsfs device for all namespace files, and regular-file type bits
        assert_eq!(ns.dev, uts.dev);
        assert_eq!(ns.mode & libc::S_IFMT, libc::S_IFREG);
        let own = file_id_at(proc.as_fd(), c"").unwrap();
        assert_eq!(own.mode & libc::S_IFMT, libc::S_IFDIR);
        assert_ne!(own.dev, ns.dev);
        let mut buf = [0u8; 64];
        let n = readlink_into(proc.as_fd(), c"self/ns/net", &mut buf).unwrap();
        assert_eq!(&buf[..n], format!("net:[{}]", ns.ino).as_bytes());
        assert_eq!(readlink_into(proc.as_fd(), c"no-such-link", &mut buf), Err(Errno::ENOENT));
        let sock = std::os::unix::net::UnixDatagram::unbound().unwrap();
        let id = file_id_at(sock.as_fd(), c"").unwrap();
        assert!(id.is_socket() && !ns.is_socket());
    }
}
