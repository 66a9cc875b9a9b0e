//! The running containers and their main processes, from `/proc` (through
//! [`Syscall`], so that a test states what the files say).
//!
//! A container's main process is the one its runtime started: a process in the
//! container's cgroup whose parent is outside it (the runtime's shim, `conmon`, `lxc-start`,
//! systemd-nspawn). The others in the cgroup are its descendants. Where several qualify
//! (a process moved into the cgroup from outside, or one whose parent ended and that was
//! reparented to a subreaper outside), the lowest PID is the main one. A parent that is
//! not in our PID namespace (PPID 0) is outside.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::cgroup::Verdict;
use super::names::Names;
use super::reference::Candidate;
use super::Container;
use crate::procfs::parse_stat;
use crate::seam::Syscall;

/// The most of `/proc/PID/cgroup` read: a v1 host lists a dozen hierarchies, each path
/// up to 4 KiB.
const CGROUP_MAX: usize = 256 << 10;

/// A process as the scan saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proc {
    /// Its PID.
    pub pid: i32,
    /// Its parent's (0: outside our PID namespace).
    pub ppid: i32,
    /// The container its cgroup names.
    pub container: Option<Container>,
}

/// Every process of `/proc` that is in a container (and those that are not, which may be
/// parents), in ascending PID order. A process that ends during the scan is left out.
pub fn scan<S: Syscall>(sys: &mut S) -> Vec<Proc> {
    let mut pids: Vec<i32> = sys
        .list_dir(Path::new("/proc"))
        .unwrap_or_default()
        .iter()
        .filter_map(|n| std::str::from_utf8(n.as_bytes()).ok()?.parse().ok())
        .collect();
    pids.sort_unstable();
    pids.into_iter().filter_map(|pid| examine(sys, pid)).collect()
}

/// A process's container, and its parent only when it is in one (no other process's
/// parent matters to [`mains`]); `None` if it ended.
fn examine<S: Syscall>(sys: &mut S, pid: i32) -> Option<Proc> {
    let container = container_of(sys, pid)?;
    let ppid = match container {
        Some(_) => parse_stat(&sys.read_bounded(Path::new(&format!("/proc/{pid}/stat")), 4096).ok()?)?.ppid,
        None => 0,
    };
    Some(Proc { pid, ppid, container })
}

/// The container the cgroup of process `pid` names; `None` if the file cannot be read
/// (the process ended).
pub fn container_of<S: Syscall>(sys: &mut S, pid: i32) -> Option<Option<Container>> {
    let text = sys.read_bounded(Path::new(&format!("/proc/{pid}/cgroup")), CGROUP_MAX).ok()?;
    let mut verdict = Verdict::default();
    text.split(|&b| b == b'\n').for_each(|l| verdict.line(l));
    Some(verdict.container())
}

/// Each container among `procs` with its main process (see the module's documentation),
/// in the order of their main PIDs.
pub fn mains(procs: &[Proc]) -> Vec<(Container, i32)> {
    let of: HashMap<i32, Option<&Container>> = procs.iter().map(|p| (p.pid, p.container.as_ref())).collect();
    let mut main: BTreeMap<&Container, i32> = BTreeMap::new();
    for p in procs {
        let Some(c) = &p.container else { continue };
        let parent_inside = of.get(&p.ppid).is_some_and(|pc| *pc == Some(c));
        if !parent_inside {
            let m = main.entry(c).or_insert(p.pid);
            *m = (*m).min(p.pid);
        }
    }
    let mut v: Vec<(Container, i32)> = main.into_iter().map(|(c, pid)| (c.clone(), pid)).collect();
    v.sort_by_key(|(_, pid)| *pid);
    v
}

/// The running containers, each with its main process, not yet named (see [`name_all`]).
pub fn candidates<S: Syscall>(sys: &mut S) -> Vec<Candidate> {
    let procs = scan(sys);
    mains(&procs).into_iter().map(|(container, main)| Candidate { name: None, container, main }).collect()
}

/// Names every candidate from its runtime's files: the reads a reference by whole ID
/// does without (see [`super::reference::decided_by_id`]).
pub fn name_all<S: Syscall>(sys: &mut S, names: &mut Names, candidates: &mut [Candidate]) {
    for c in candidates {
        c.name = names.name(sys, &c.container);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::Runtime;
    use crate::seam::fake::Fake;

    const A: &str = "4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3";
    const B: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn c(runtime: Runtime, id: &str) -> Container {
        Container { runtime, id: id.as_bytes().to_vec() }
    }

    fn p(pid: i32, ppid: i32, container: Option<Container>) -> Proc {
        Proc { pid, ppid, container }
    }

    #[test]
    fn main_processes() {
        let (a, b) = (c(Runtime::Docker, A), c(Runtime::Podman, B));
        let procs = [
            p(1, 0, None),
            p(50, 1, None),              // the shim
            p(60, 50, Some(a.clone())),  // a's init
            p(61, 60, Some(a.clone())),  // its child
            p(70, 0, Some(b.clone())),   // b's, parent outside our PID namespace
            p(80, 70, Some(a.clone())),  // moved into a from b: a parent outside a
            p(90, 999, Some(b.clone())), // a parent that has gone
            p(100, 61, Some(b.clone())), // parent in another container
        ];
        assert_eq!(mains(&procs), [(a.clone(), 60), (b.clone(), 70)]);
        // the init gone, its child reparented to a subreaper outside
        let procs = [p(50, 1, None), p(61, 50, Some(a.clone())), p(62, 61, Some(a.clone()))];
        assert_eq!(mains(&procs), [(a, 61)]);
        assert!(mains(&[p(1, 0, None)]).is_empty());
    }

    /// The scan reads each process's `stat` and `cgroup`, skips what vanished, and feeds
    /// every line (a hybrid host's v2 line comes last).
    #[test]
    fn scan_of_proc() {
        let mut f = Fake::new();
        f.set_dir("/proc", &["self", "1", "300", "20", "sys", "21"])
            .set_file("/proc/1/stat", b"1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0")
            .set_file("/proc/1/cgroup", b"0::/init.scope\n")
            .set_file("/proc/20/stat", b"20 (sh) S 1 20 20 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0")
            .set_file(
                "/proc/20/cgroup",
                format!("4:pids:/docker/{A}\n0::/system.slice/containerd.service\n").as_bytes(),
            )
            .set_file("/proc/300/stat", b"300 (x) S 20 300 300 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0")
            .set_file(
                "/proc/300/cgroup",
                format!("4:pids:/docker/{A}\n0::/system.slice/containerd.service\n").as_bytes(),
            );
        let procs = scan(&mut f);
        let a = c(Runtime::Docker, A);
        assert_eq!(procs, [p(1, 0, None), p(20, 1, Some(a.clone())), p(300, 20, Some(a.clone()))]);
        assert_eq!(mains(&procs), [(a, 20)]);
    }
}
