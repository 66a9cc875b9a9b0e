//! Namespaces: their inodes, and a PID namespace lab.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::{children, wait_until};

/// The inode of one of our own namespaces.
pub fn own_ns(name: &str) -> u64 {
    ns_of("self", name).unwrap()
}

/// `net:[4026531840]` -> 4026531840.
pub fn parse_ns_inode(link: &str) -> u64 {
    let s = link.trim();
    let start = s.find('[').expect("ns link") + 1;
    s[start..s.len() - 1].parse().unwrap()
}

/// The inode of namespace `name` of process `pid` (anything that prints as a PID, or
/// `self`); `None` once the process is gone or where the link cannot be read.
pub fn ns_of(pid: impl std::fmt::Display, name: &str) -> Option<u64> {
    link_inode(format!("/proc/{pid}/ns/{name}"))
}

/// The inode a namespace link such as `/proc/PID/ns/net` names, if it can be read.
fn link_inode(link: impl AsRef<Path>) -> Option<u64> {
    fs::read_link(link).ok().map(|l| parse_ns_inode(&l.to_string_lossy()))
}

/// A PID namespace with its own /proc: its init (bash) runs `script`, then sleeps. What
/// the script starts gets small PIDs, chosen by writing `/proc/sys/kernel/ns_last_pid`
/// before a fork; a tool run inside ([`PidLab::command`]) sees only the lab's processes.
/// Dropping the lab kills everything in it: its init dies with the unshare process.
/// The host's nsfs mounts (`ip netns`, a container runtime's, a benchmark's), copied into
/// the lab's private mount namespace, are unmounted there first: a tool in the lab lists
/// the lab's namespaces and nothing the host happens to keep.
pub struct PidLab {
    unshare: Child,
    /// The host PID of the lab's init.
    pub init: i32,
}

/// Unmounts every nsfs mount of the shell's mount namespace (`findmnt -r` writes a blank
/// in a path as `\x20`, which `printf %b` turns back), then has PIDs start again at 2,
/// where the scripts expect their first process.
const UNMOUNT_NSFS: &str = r#"findmnt -rn -t nsfs -o TARGET | while read -r t; do umount -l "$(printf %b "$t")"; done
echo 1 > /proc/sys/kernel/ns_last_pid"#;

impl PidLab {
    /// Starts the lab and waits until each of `pids` (PIDs inside the lab) runs `sleep`.
    pub fn new(script: &str, pids: &[i32]) -> PidLab {
        let unshare = Command::new("/usr/bin/unshare")
            .args(["-fp", "--mount-proc", "--propagation", "private", "--kill-child", "bash", "-c"])
            .arg(format!("{UNMOUNT_NSFS}\n{script}\nexec sleep 600"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn unshare");
        let mut lab = PidLab { unshare, init: 0 };
        let me = lab.unshare.id();
        wait_until("the PID namespace lab", || {
            lab.init = children(me).first().copied().unwrap_or(0);
            let sleeping = |pid: i32| lab.comm(pid) == "sleep";
            lab.init > 0 && sleeping(1) && pids.iter().all(|&p| sleeping(p))
        });
        lab
    }

    fn comm(&self, pid: i32) -> String {
        let p = format!("/proc/{}/root/proc/{pid}/comm", self.init);
        fs::read_to_string(p).unwrap_or_default().trim_end().to_string()
    }

    /// `bin` run in the lab's PID and mount namespaces (so with its /proc), C locale.
    pub fn command(&self, bin: &str) -> Command {
        let mut c = Command::new("/usr/bin/nsenter");
        c.args(["-t", &self.init.to_string(), "-p", "-m", "--"]).arg(bin).env("LC_ALL", "C");
        c
    }

    /// The inode of namespace `ty` of process `pid` of the lab (`None` while the lab has
    /// no such process).
    pub fn ns(&self, pid: i32, ty: &str) -> Option<u64> {
        link_inode(format!("/proc/{}/root/proc/{pid}/ns/{ty}", self.init))
    }
}

impl Drop for PidLab {
    fn drop(&mut self) {
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}
