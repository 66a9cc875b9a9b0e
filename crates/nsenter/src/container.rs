//! `--container REF`: the target is the container's main process, found by reading
//! `/proc` and the runtimes' files on disk (`nscore::container`), without any runtime's
//! command, socket or API. Every read goes through the [`Syscall`] seam.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use nscore::container::names::Names;
use nscore::container::procs::{candidates, container_of, name_all};
use nscore::container::reference::{decided_by_id, pick, Pick};
use nscore::container::Container;
use nscore::getopt::lossy;
use nscore::seam::Syscall;
use nscore::{Error, Result};

use crate::plan::TargetSpec;

/// The main process of the one running container `reference` means, and that container.
pub fn main_process<S: Syscall>(sys: &mut S, reference: &OsStr) -> Result<(TargetSpec, Container)> {
    let mut running = candidates(sys);
    if !decided_by_id(reference.as_bytes(), &running) {
        let uid = sys.getuid();
        name_all(sys, &mut Names::for_caller(uid), &mut running);
    }
    match pick(reference.as_bytes(), &running) {
        Pick::One(c) => Ok((TargetSpec { pid: c.main, inode: None }, c.container.clone())),
        Pick::None => Err(Error::msg(format!("no container matches '{}'", lossy(reference)))),
        Pick::Several(v) => {
            let list: Vec<String> = v.iter().map(|c| c.describe()).collect();
            Err(Error::msg(format!("'{}' matches several containers: {}", lossy(reference), list.join(", "))))
        }
    }
}

/// Fails unless process `pid` (pinned by its pidfd before this is asked) is still in
/// container `c`: between the scan and the pidfd, the main process may have ended and
/// its PID been given to another process.
pub fn check_still_in<S: Syscall>(sys: &mut S, pid: i32, c: &Container) -> Result<()> {
    if container_of(sys, pid).flatten().as_ref() != Some(c) {
        return Err(Error::msg(format!("target process {pid} has terminated")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use nscore::seam::fake::{Ended, Fake};

    use super::*;

    const A: &str = "4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3";
    const A2: &str = "4f1c2a000000000000000000000000000000000000000000000000000000abcd";

    /// /proc with the shim (10), a Docker container's init (20) and its child (21), and
    /// a Podman container's init (30); Docker's state names its container `web`.
    fn machine() -> Fake {
        let stat = |pid: i32, ppid: i32| format!("{pid} (x) S {ppid} 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0");
        let mut f = Fake::new();
        f.set_dir("/proc", &["1", "10", "20", "21", "30", "self"]);
        for (pid, ppid, cgroup) in [
            (1, 0, "/init.scope".to_string()),
            (10, 1, "/system.slice/containerd.service".to_string()),
            (20, 10, format!("/system.slice/docker-{A}.scope")),
            (21, 20, format!("/system.slice/docker-{A}.scope")),
            (30, 1, format!("/machine.slice/libpod-{A2}.scope/container")),
        ] {
            f.set_file(&format!("/proc/{pid}/stat"), stat(pid, ppid).as_bytes());
            f.set_file(&format!("/proc/{pid}/cgroup"), format!("0::{cgroup}\n").as_bytes());
        }
        f.set_file(&format!("/var/lib/docker/containers/{A}/config.v2.json"), br#"{"Name":"/web"}"#);
        f
    }

    fn resolve(f: &mut Fake, r: &str) -> Result<i32> {
        main_process(f, OsStr::new(r)).map(|(spec, _)| spec.pid)
    }

    #[test]
    fn references() {
        let mut f = machine();
        assert_eq!(resolve(&mut f, A).unwrap(), 20);
        // a whole ID needs no names: no runtime file is read; and only the processes in a
        // container have their parent looked up
        let log = f.log();
        assert!(!log.iter().any(|l| l.contains("/var/lib/")), "{log:?}");
        let stats: Vec<&str> = log.iter().copied().filter(|l| l.ends_with("/stat")).collect();
        assert_eq!(stats, ["read /proc/20/stat", "read /proc/21/stat", "read /proc/30/stat"]);
        let mut f = machine();
        assert_eq!(resolve(&mut f, "web").unwrap(), 20);
        assert_eq!(resolve(&mut f, "docker:4f1c").unwrap(), 20);
        assert_eq!(resolve(&mut f, "podman:4f1c2a").unwrap(), 30);
        assert_eq!(resolve(&mut f, "nope").unwrap_err().to_string(), "no container matches 'nope'");
        assert_eq!(
            resolve(&mut f, "4f1c2a").unwrap_err().to_string(),
            "'4f1c2a' matches several containers: docker:4f1c2a9b8e7d (web), podman:4f1c2a000000"
        );
        // nothing readable: no container at all
        let mut f = Fake::new();
        f.fail("list", Errno::EACCES);
        assert_eq!(resolve(&mut f, "web").unwrap_err().to_string(), "no container matches 'web'");
    }

    use nix::errno::Errno;

    /// The scan of /proc comes first, then the target is pinned by its pidfd and its
    /// cgroup read once more; without namespace options, `--container` is `--all`.
    #[test]
    fn pinned_then_checked() {
        let mut f = machine();
        let args = ["--container", "web", "hostname"].map(std::ffi::OsString::from);
        let plan = match crate::plan::parse(&args, &mut f).unwrap() {
            crate::plan::Action::Run(p) => *p,
            _ => panic!("not a run"),
        };
        assert!(plan.all && plan.target.is_none());
        let end = f.run(|sys| crate::run::run(sys, plan));
        assert_eq!(end, Ended::Status(0), "the parent, after the fork into the PID namespace");
        let log = f.log();
        let pin = log.iter().position(|l| *l == "pidfd_open 20").unwrap();
        assert_eq!(log[0], "list /proc");
        assert_eq!(log[pin + 1..pin + 4], ["open /proc/20 [path,dir]", "poll pidfd 20", "read /proc/20/cgroup"]);
        assert_eq!(log[pin + 4], "poll pidfd 20");
        assert!(log.iter().any(|l| l.starts_with("setns pidfd 20 ")), "{log:?}");

        // a refused setns is explained for the container's main process, as for -t
        let mut f = machine();
        f.fail("setns", Errno::EPERM);
        let args = ["--container", "web", "hostname"].map(std::ffi::OsString::from);
        let plan = match crate::plan::parse(&args, &mut f).unwrap() {
            crate::plan::Action::Run(p) => *p,
            _ => panic!("not a run"),
        };
        assert!(matches!(f.run(|sys| crate::run::run(sys, plan)), Ended::Failed(..)));
        assert!(f.log().contains(&"read /proc/20/status"), "{:?}", f.log());

        // the PID is another process's by the time it is pinned (in another cgroup, or
        // gone)
        let docker = Container { runtime: nscore::container::Runtime::Docker, id: A.as_bytes().to_vec() };
        let mut f = machine();
        assert!(check_still_in(&mut f, 20, &docker).is_ok());
        f.set_file("/proc/20/cgroup", b"0::/user.slice\n");
        let gone = "target process 20 has terminated";
        assert_eq!(check_still_in(&mut f, 20, &docker).unwrap_err().to_string(), gone);
        f.fail("read /proc/20/cgroup", Errno::ESRCH);
        assert_eq!(check_still_in(&mut f, 20, &docker).unwrap_err().to_string(), gone);
    }
}
