//! Process file descriptors (pidfds): opening one, taking a descriptor of the process
//! through it, asking it about the process, and signalling through it.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::unistd::Pid;

use super::{fd_result, int_result};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
