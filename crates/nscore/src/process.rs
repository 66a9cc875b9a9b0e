//! Waiting for children and passing their fate on, as util-linux's tools do.

use std::os::fd::{AsFd, BorrowedFd};

use nix::errno::Errno;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{getpid, Pid};

use crate::error::{Error, Result};
use crate::sys;

/// `waitpid`, retried when a signal interrupts it.
pub fn wait_retrying(pid: Pid, flags: Option<WaitPidFlag>) -> Result<WaitStatus> {
    loop {
        match waitpid(pid, flags) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(Error::sys("waitpid failed", e)),
            Ok(st) => return Ok(st),
        }
    }
}

/// Dies of `sig`, as the child just did: its default action is restored and it is
/// unblocked first, since the caller may have started us with it ignored or blocked.
/// Returns only if we survived it (then util-linux reports `child exit failed`).
pub fn die_of_signal(sig: i32) -> Error {
    if let Err(e) = sys::reset_and_unblock(sig) {
        return Error::sys("sigprocmask unblock failed", e);
    }
    let _ = sys::kill(getpid(), sig);
    Error::msg("child exit failed")
}

/// The exit status to pass on for a child that ended: its code, or death by its signal.
pub fn pass_on(status: WaitStatus) -> Result<i32> {
    match status {
        WaitStatus::Exited(_, code) => Ok(code),
        WaitStatus::Signaled(_, sig, _) => Err(die_of_signal(sig as i32)),
        _ => Err(Error::msg("child exit failed")),
    }
}

/// Whether the process behind a pidfd has exited (the pidfd turns readable).
pub fn pidfd_exited(fd: BorrowedFd<'_>) -> Result<bool> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    loop {
        match poll(&mut fds, PollTimeout::ZERO) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(Error::sys("poll parent pidfd failed", e)),
            Ok(n) => return Ok(n > 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_pidfd_is_not_exited() {
        let fd = sys::pidfd_open(getpid(), 0).unwrap();
        assert!(!pidfd_exited(fd.as_fd()).unwrap());
    }

    #[test]
    fn exit_codes_pass_through() {
        assert_eq!(pass_on(WaitStatus::Exited(Pid::from_raw(1), 7)).unwrap(), 7);
        assert_eq!(pass_on(WaitStatus::StillAlive).unwrap_err().to_string(), "child exit failed");
    }
}
