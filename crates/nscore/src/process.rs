//! Waiting for children and passing their fate on, as util-linux's tools do.

use std::os::fd::BorrowedFd;

use nix::errno::Errno;
use nix::sys::wait::WaitPidFlag;
use nix::unistd::Pid;

use crate::error::{Error, Result};
use crate::seam::Syscall;

/// What became of a waited-for child, decoded from the raw wait status so that every
/// signal number fits (nix's `WaitStatus` has no room for real-time signals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildState {
    /// `exit(code)`.
    Exited(i32),
    /// Killed by this signal (core dumped or not).
    Signaled(i32),
    /// Stopped by this signal (seen with `WUNTRACED`).
    Stopped(i32),
    /// Continued by SIGCONT (seen with `WCONTINUED`).
    Continued,
}

impl ChildState {
    /// Decodes Linux's wait status word: low 7 bits 0 for an exit (code in bits 8-15),
    /// low byte 0x7f for a stop (signal in bits 8-15), 0xffff for a continue, and
    /// otherwise the killing signal in the low 7 bits (bit 7: core dumped).
    pub fn from_raw(status: i32) -> ChildState {
        let high = (status >> 8) & 0xff;
        match status & 0x7f {
            _ if status == 0xffff => ChildState::Continued,
            0 => ChildState::Exited(high),
            0x7f => ChildState::Stopped(high),
            sig => ChildState::Signaled(sig),
        }
    }
}

/// `waitpid`, retried when a signal interrupts it.
pub fn wait_retrying<S: Syscall>(sys: &mut S, pid: Pid, flags: Option<WaitPidFlag>) -> Result<ChildState> {
    let flags = flags.map_or(0, |f| f.bits());
    loop {
        match sys.waitpid(pid, flags) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(Error::sys("waitpid failed", e)),
            Ok(status) => return Ok(ChildState::from_raw(status)),
        }
    }
}

/// Dies of `sig`, as the child just did: its default action is restored and it is
/// unblocked first, since the caller may have started us with it ignored or blocked.
/// Every signal goes the same way, real-time ones and SIGKILL included.
/// Returns only if we survived it (then util-linux reports `child exit failed`).
pub fn die_of_signal<S: Syscall>(sys: &mut S, sig: i32) -> Error {
    if let Err(e) = sys.reset_and_unblock(sig) {
        return Error::sys("sigprocmask unblock failed", e);
    }
    let me = sys.getpid();
    let _ = sys.kill(me, sig);
    Error::msg("child exit failed")
}

/// The exit status to pass on for a child that ended: its code, or death by its signal.
pub fn pass_on<S: Syscall>(sys: &mut S, state: ChildState) -> Result<i32> {
    match state {
        ChildState::Exited(code) => Ok(code),
        ChildState::Signaled(sig) => Err(die_of_signal(sys, sig)),
        _ => Err(Error::msg("child exit failed")),
    }
}

/// Whether the process behind a pidfd has exited (the pidfd turns readable).
pub fn pidfd_exited<S: Syscall>(sys: &mut S, fd: BorrowedFd<'_>) -> Result<bool> {
    loop {
        match sys.poll_readable(fd) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(Error::sys("poll parent pidfd failed", e)),
            Ok(ready) => return Ok(ready),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seam::fake::{Ended, Fake};
    use crate::seam::Os;

    #[test]
    fn own_pidfd_is_not_exited() {
        use std::os::fd::AsFd;
        let fd = crate::sys::pidfd_open(nix::unistd::getpid(), 0).unwrap();
        assert!(!pidfd_exited(&mut Os::without_fork(), fd.as_fd()).unwrap());
    }

    #[test]
    fn exit_codes_pass_through() {
        let mut f = Fake::new();
        assert_eq!(pass_on(&mut f, ChildState::Exited(7)).unwrap(), 7);
        assert_eq!(pass_on(&mut f, ChildState::Continued).unwrap_err().to_string(), "child exit failed");
        assert_eq!(pass_on(&mut f, ChildState::Stopped(19)).unwrap_err().to_string(), "child exit failed");
        assert!(f.log().is_empty());
    }

    /// A child's death by a signal becomes ours: the signal is made deadly and unblocked
    /// first, then sent to ourselves.
    #[test]
    fn signal_deaths_pass_on() {
        let mut f = Fake::new();
        f.wait_status(1001, 40);
        let end = f.run(|s| {
            let state = wait_retrying(s, Pid::from_raw(1001), None)?;
            pass_on(s, state)
        });
        assert_eq!(end, Ended::Failed("child exit failed".into(), 1));
        assert_eq!(f.log(), ["waitpid 1001", "reset SIGRTMIN+6", "kill 1000 SIGRTMIN+6"]);
    }

    #[test]
    fn raw_statuses() {
        assert_eq!(ChildState::from_raw(0), ChildState::Exited(0));
        assert_eq!(ChildState::from_raw(0x0700), ChildState::Exited(7));
        assert_eq!(ChildState::from_raw(0xff00), ChildState::Exited(255));
        assert_eq!(ChildState::from_raw(15), ChildState::Signaled(15));
        assert_eq!(ChildState::from_raw(9), ChildState::Signaled(9));
        assert_eq!(ChildState::from_raw(0x80 | 11), ChildState::Signaled(11));
        for sig in [32, 33, 34, 40, 64] {
            assert_eq!(ChildState::from_raw(sig), ChildState::Signaled(sig));
            assert_eq!(ChildState::from_raw(0x80 | sig), ChildState::Signaled(sig));
        }
        assert_eq!(ChildState::from_raw(0x137f), ChildState::Stopped(19));
        assert_eq!(ChildState::from_raw(0x147f), ChildState::Stopped(20));
        assert_eq!(ChildState::from_raw(0xffff), ChildState::Continued);
    }

    /// The decoding agrees with the kernel's word for a real child killed by a
    /// real-time signal (nix's waitpid fails on it with EINVAL).
    #[test]
    fn real_child_killed_by_a_realtime_signal() {
        let child = std::process::Command::new("sleep").arg("60").spawn().unwrap();
        let pid = Pid::from_raw(child.id() as i32);
        crate::sys::kill(pid, 40).unwrap();
        assert_eq!(wait_retrying(&mut Os::without_fork(), pid, None).unwrap(), ChildState::Signaled(40));
        // reaped here: the handle must not wait again (the PID may be reused by then)
        drop(child);
    }
}
