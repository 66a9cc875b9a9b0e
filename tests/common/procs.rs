//! The processes a test starts: looking at them in /proc, and killing them on drop.

use std::fs;
use std::os::fd::OwnedFd;
use std::process::{Child, Command, Stdio};

use super::{wait_for, wait_until};

/// The command name (`/proc/PID/comm`) of `pid` without its newline; empty once the
/// process is gone. (`pid` is anything that prints as a PID: `u32` from std, `i32`.)
pub fn comm(pid: impl std::fmt::Display) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim_end_matches('\n').to_string()
}

/// The children of `pid` (of its main thread), from /proc; empty once it is gone.
pub fn children(pid: impl std::fmt::Display) -> Vec<i32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .collect()
}

/// The first child of `pid`, once there is one (and, given `name`, once it runs the
/// program of that command name, i.e. has exec'd it).
pub fn child_of(pid: impl std::fmt::Display, name: Option<&str>) -> i32 {
    wait_for("a child process", || children(&pid).first().copied().filter(|&c| name.map_or(true, |n| comm(c) == n)))
}

/// The state letter of `pid` (`R`, `S`, `T`, `Z`, ...); `None` once it is gone.
pub fn state(pid: impl std::fmt::Display) -> Option<u8> {
    let stat = fs::read(format!("/proc/{pid}/stat")).ok()?;
    nscore::procfs::parse_stat(&stat).map(|s| s.state)
}

/// Whether `pid` exists and is not a zombie.
pub fn alive(pid: impl std::fmt::Display) -> bool {
    state(pid).is_some_and(|s| s != b'Z')
}

/// Processes a test started, killed by PID on drop so that even a failing test leaves
/// nothing running: the children it spawned (and reaped), and the further processes it
/// noted in `others` (killed first, while their parents still hold their PIDs; reaped
/// where they are children of ours, such as a forked one).
#[derive(Default)]
pub struct Procs {
    pub children: Vec<Child>,
    pub others: Vec<i32>,
}

impl Procs {
    pub fn new() -> Procs {
        Procs::default()
    }

    /// Spawns `cmd` with stdin, stdout and stderr on /dev/null; its PID.
    pub fn spawn(&mut self, cmd: &mut Command) -> i32 {
        let child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
        let pid = child.id() as i32;
        self.children.push(child);
        pid
    }

    /// Spawns `cmd`, which must exec `sleep` in the same process, and waits until it runs
    /// it (so that its namespaces are in place).
    pub fn start(&mut self, cmd: &mut Command) -> i32 {
        let pid = self.spawn(cmd);
        wait_until("a started process to exec sleep", || comm(pid) == "sleep");
        pid
    }

    /// The first child of `pid`, once it runs `sleep`; killed with the rest.
    pub fn child_of(&mut self, pid: impl std::fmt::Display) -> i32 {
        let kid = child_of(pid, Some("sleep"));
        self.others.push(kid);
        kid
    }

    /// Kills and reaps the spawned child `pid` now.
    pub fn stop(&mut self, pid: i32) {
        if let Some(i) = self.children.iter().position(|c| c.id() as i32 == pid) {
            let mut c = self.children.remove(i);
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for &p in &self.others {
            let pid = nix::unistd::Pid::from_raw(p);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::SIGKILL);
            // (fails at once with ECHILD for a process that is not our child)
            let _ = nix::sys::wait::waitpid(pid, None);
        }
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A process whose namespaces a test enters: the `sleep` that `cmd` runs `forks` forks
/// below its head. On drop the target is killed through its pidfd (a credential change,
/// such as setpriv's, clears the parent-death signal that `unshare --kill-child` relies
/// on), the head is killed and reaped, and the target's end is awaited.
pub struct Target {
    pub head: Child,
    pub pid: i32,
    /// Pins the target; `None` for a target that is the head itself.
    pub pidfd: Option<OwnedFd>,
}

impl Target {
    /// Runs `cmd`, which must end in `sleep` after `forks` forks.
    pub fn spawn(mut cmd: Command, forks: usize) -> Target {
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        let head = cmd.spawn().expect("spawn target");
        let mut pid = head.id() as i32;
        let mut target = Target { head, pid, pidfd: None };
        for _ in 0..forks {
            pid = child_of(pid, None);
        }
        wait_until("the target to exec sleep", || comm(pid) == "sleep");
        target.pid = pid;
        target.pidfd = Some(nscore::sys::pidfd_open(nix::unistd::Pid::from_raw(pid), 0).expect("pidfd_open"));
        target
    }

    /// The target's PID, as an argument.
    pub fn pid(&self) -> String {
        self.pid.to_string()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        use std::os::fd::AsFd;
        if let Some(fd) = &self.pidfd {
            let _ = nscore::sys::pidfd_send_signal(fd.as_fd(), libc::SIGKILL);
        }
        let _ = self.head.kill();
        let _ = self.head.wait();
        if let Some(fd) = &self.pidfd {
            // the target is not our child: wait for its end through the pidfd
            let mut fds = [nix::poll::PollFd::new(fd.as_fd(), nix::poll::PollFlags::POLLIN)];
            let _ = nix::poll::poll(&mut fds, 10_000u16);
        }
    }
}
