//! rs-lsns's CONTAINER column on cgroups the tests make with the names container runtimes
//! use: a process in a new uts namespace is moved into them, one after the other, and
//! listed in every output form (table, `-r`, `-J`, `-o +CONTAINER`, `-Q` with `=~`, the
//! processes of one namespace). In cgroup v2, mounted by a helper in a private mount
//! namespace (so whatever this machine mounts), and in the v1 hierarchies where they are
//! mounted; a container's own cgroup named like another container's below its runtime's
//! (the outermost wins), and a `/proc/PID/cgroup` longer than 8 KiB. The cgroups are
//! removed afterwards, also when a test fails.

use crate::common;

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    code, comm, ns_of, own_ns, require_root, require_unpriv, run_timeout, unpriv_bin, wait_until, TempDir,
};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");
const HEX: &str = "4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3";
const ID: &str = "4f1c2a9b8e7d";
const POD: &str = "pod7c2b0a6e-1f3d-4c5b-9a8e-2d4f6b8c0e1a";

/// A cgroup hierarchy the tests may make cgroups in: one that is mounted here, or
/// cgroup2 mounted by a helper process in its own mount namespace and reached through
/// `/proc/HELPER/root` (gone with the helper, which is killed on drop).
struct Hierarchy {
    root: PathBuf,
    helper: Option<Child>,
    _dir: Option<TempDir>,
}

impl Hierarchy {
    /// The mount point of the cgroup v1 hierarchy of `controller`, if one is mounted.
    fn mounted_v1(controller: &str) -> Option<Hierarchy> {
        let text = fs::read_to_string("/proc/self/mountinfo").unwrap();
        let point = text.lines().find_map(|l| {
            let (head, tail) = l.split_once(" - ")?;
            let mut t = tail.split(' ');
            let (fstype, opts) = (t.next()?, t.nth(1)?);
            (fstype == "cgroup" && opts.split(',').any(|o| o == controller)).then(|| head.split(' ').nth(4))?
        })?;
        Some(Hierarchy { root: PathBuf::from(point), helper: None, _dir: None })
    }

    fn private_v2() -> Hierarchy {
        let dir = TempDir::new("cgroup2");
        let helper = Command::new("/usr/bin/unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", "mount -t cgroup2 cgroup2 \"$0\" && exec sleep 600"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = helper.id();
        let root = PathBuf::from(format!("/proc/{pid}/root{}", dir.path().display()));
        let mut h = Hierarchy { root, helper: Some(helper), _dir: Some(dir) };
        wait_until("a cgroup2 mount in a private mount namespace", || {
            let gone = h.helper.as_mut().is_some_and(|c| c.try_wait().unwrap().is_some());
            assert!(!gone, "mounting cgroup2 failed");
            comm(pid) == "sleep" && h.root.join("cgroup.procs").exists()
        });
        h
    }
}

impl Drop for Hierarchy {
    fn drop(&mut self) {
        if let Some(c) = &mut self.helper {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A `sleep` alone in a new uts namespace (as uid 65534: in a new user namespace too),
/// moved into cgroups made for it under a directory of its own in the hierarchy. On
/// drop it is killed and reaped, then the cgroups it was in are removed.
struct Sleeper<'a> {
    /// Borrowed so that a private mount outlives the cgroups made through it.
    _h: &'a Hierarchy,
    child: Child,
    base: PathBuf,
    made: Vec<PathBuf>,
    pid: u32,
    uts: u64,
}

impl<'a> Sleeper<'a> {
    fn new(h: &'a Hierarchy, nobody: bool) -> Sleeper<'a> {
        let mut cmd = if nobody {
            let mut c = common::unpriv("/usr/bin/unshare");
            c.args(["-U", "-u"]);
            c
        } else {
            let mut c = Command::new("/usr/bin/unshare");
            c.arg("-u");
            c
        };
        let child = cmd.args(["sleep", "600"]).stdin(Stdio::null()).stdout(Stdio::null()).spawn().unwrap();
        let pid = child.id();
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = h.root.join(format!("nsutils-ctest-{}-{n}", std::process::id()));
        let mut s = Sleeper { _h: h, child, base, made: Vec::new(), pid, uts: 0 };
        let ours = own_ns("uts");
        wait_until("a sleep in a new uts namespace", || {
            s.uts = ns_of(pid, "uts").unwrap_or(ours);
            s.uts != ours && comm(pid) == "sleep"
        });
        s
    }

    /// Cgroup `rel` under the sleeper's own directory, made (with its parents) if need be.
    fn make(&mut self, rel: &str) -> PathBuf {
        self.make_in(&self.base.clone(), rel)
    }

    /// Moves the process into cgroup `rel` under a directory named like its own in another
    /// hierarchy, `h` (one mounted here, which needs no helper to outlive the cgroups).
    fn move_to_in(&mut self, h: &Hierarchy, rel: &str) {
        assert!(h.helper.is_none());
        let dir = self.make_in(&h.root.join(self.base.file_name().unwrap()), rel);
        fs::write(dir.join("cgroup.procs"), self.pid.to_string()).unwrap();
    }

    /// Cgroup `rel` under `base`, made with its parents if need be (and removed on drop).
    fn make_in(&mut self, base: &std::path::Path, rel: &str) -> PathBuf {
        let mut dirs = vec![base.to_path_buf()];
        for part in rel.split('/') {
            dirs.push(dirs[dirs.len() - 1].join(part));
        }
        for dir in &dirs {
            if !dir.exists() {
                fs::create_dir(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
                self.made.push(dir.clone());
            }
        }
        dirs.pop().unwrap()
    }

    /// Moves the process into cgroup `rel` (see [`Sleeper::make`]).
    fn move_to(&mut self, rel: &str) {
        let dir = self.make(rel);
        fs::write(dir.join("cgroup.procs"), self.pid.to_string()).unwrap();
    }

    /// rs-lsns run in cgroup `rel`, in a cgroup namespace of its own rooted there: as
    /// in a container with a private cgroup namespace. It leaves the cgroup on exit.
    fn lsns_rooted_at(&mut self, rel: &str, args: &[&str]) -> String {
        let dir = self.make(rel);
        let script = "echo $$ > \"$0/cgroup.procs\" && exec /usr/bin/unshare -C \"$@\"";
        checked(Command::new("/bin/sh").args(["-c", script]).arg(dir).arg(BIN).args(args), args)
    }
}

impl Drop for Sleeper<'_> {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // an exited process may take a moment to leave its cgroup: retry a little
        for dir in self.made.iter().rev() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while fs::remove_dir(dir).is_err() && dir.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// rs-lsns's stdout as root; it must succeed without a word on stderr.
fn lsns(args: &[&str]) -> String {
    checked(Command::new(BIN).args(args), args)
}

fn checked(cmd: &mut Command, args: &[&str]) -> String {
    let o = run_timeout(cmd.env("LC_ALL", "C"), 60);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!((code(&o), err.as_ref()), (0, ""), "rs-lsns {args:?}");
    String::from_utf8(o.stdout).unwrap()
}

/// The CONTAINER cell of the sleeper's uts namespace.
fn cell(s: &Sleeper<'_>) -> String {
    let out = lsns(&["-r", "-n", "-o", "CONTAINER", "-Q", &format!("NS == {}", s.uts)]);
    out.strip_suffix('\n').unwrap_or_else(|| panic!("one line: {out:?}")).to_string()
}

/// Every output form, for a process in a Docker container's cgroup.
fn check_forms(s: &Sleeper<'_>, label: &str) {
    let (uts, pid) = (s.uts, s.pid.to_string());
    let q = format!("NS == {uts}");
    let w = common::lsns_width(pid.len(), Some(3), 5);
    assert_eq!(
        lsns(&["-o", "NS,PID,CONTAINER", "-Q", &q]),
        format!("{:>10} {:>w$} CONTAINER\n{uts:>10} {pid:>w$} {label}\n", "NS", "PID")
    );
    assert_eq!(lsns(&["-r", "-o", "NS,CONTAINER", "-Q", &q]), format!("NS CONTAINER\n{uts} {label}\n"));
    assert_eq!(
        lsns(&["-J", "-o", "NS,CONTAINER", "-Q", &q]),
        format!("{{\n   \"namespaces\": [\n      {{\n         \"ns\": {uts},\n         \"container\": \"{label}\"\n      }}\n   ]\n}}\n")
    );
    let out = lsns(&["-o", "+CONTAINER", "-t", "uts", "-Q", &q]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("        NS TYPE") && lines[0].ends_with(" COMMAND   CONTAINER"), "{out}");
    assert!(lines[1].starts_with(&format!("{uts} uts")) && lines[1].ends_with(&format!(" sleep 600 {label}")), "{out}");
    // the filter's =~ and !~, also on a column that is not shown
    let (runtime, _) = label.split_once(':').unwrap();
    let matching = format!("{q} && CONTAINER =~ \"^{runtime}:[0-9a-f]{{12}}$\" && CONTAINER !~ \"^podman:\"");
    assert_eq!(lsns(&["-r", "-n", "-o", "NS", "-Q", &matching]), format!("{uts}\n"));
    assert_eq!(lsns(&["-r", "-n", "-o", "NS", "-Q", &format!("{q} && CONTAINER =~ \"^lxc:\"")]), "");
    // the processes of the namespace
    assert_eq!(lsns(&["-r", "-n", "-o", "PID,CONTAINER", &uts.to_string()]), format!("{pid} {label}\n"));
    // not in --output-all, which stays util-linux's
    let all = lsns(&["-r", "--output-all", "-Q", &q]);
    assert_eq!(all.lines().next(), Some("NS TYPE PATH NPROCS PID PPID COMMAND UID USER NETNSID NSFS PNS ONS"));
    assert!(!all.contains(label), "{all}");
}

#[test]
fn cgroup_v2_names_of_each_runtime() {
    if !require_root() {
        return;
    }
    let h = Hierarchy::private_v2();
    let mut s = Sleeper::new(&h, false);
    // a process of the host has no container (unless the tests run in one)
    let host = cell(&s);
    s.move_to(&format!("system.slice/docker-{HEX}.scope"));
    check_forms(&s, &format!("docker:{ID}"));
    for (rel, want) in [
        (format!("docker/{HEX}"), format!("docker:{ID}")),
        (format!("machine.slice/libpod-{HEX}.scope/container"), format!("podman:{ID}")),
        (format!("libpod_parent/libpod-{HEX}"), format!("podman:{ID}")),
        (
            format!(
                "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-{}.slice/cri-containerd-{HEX}.scope",
                POD.replace('-', "_")
            ),
            format!("containerd:{ID}"),
        ),
        (format!("kubepods/burstable/{POD}/{HEX}"), format!("containerd:{ID}")),
        (format!("kubepods.slice/kubepods-{}.slice/crio-{HEX}.scope", POD.replace('-', "_")), format!("cri-o:{ID}")),
        ("lxc.payload.web1/system.slice".into(), "lxc:web1".into()),
        ("machine.slice/machine-my\\x2dbox.scope/payload".into(), "nspawn:my-box".into()),
    ] {
        s.move_to(&rel);
        assert_eq!(cell(&s), want, "{rel}");
    }
    if !host.is_empty() {
        let why = format!("the tests run in {host}: its cgroups without a container are not checked");
        common::skip_unavailable(&why);
        return;
    }
    for rel in [
        "system.slice/docker.service".to_string(),
        "docker/short".into(),
        format!("system.slice/docker-{}.scope", &HEX[..63]),
        format!("machine.slice/libpod-conmon-{HEX}.scope"),
        "machine.slice".into(),
        "machine.slice/machine-my\\x2dbox.scope/supervisor".into(),
        "user.slice/user-0.slice/session-1.scope".into(),
        "lxc.monitor.web1".into(),
    ] {
        s.move_to(&rel);
        assert_eq!(cell(&s), "", "{rel}");
    }
}

#[test]
fn cgroup_v1_pids_hierarchy() {
    if !require_root() {
        return;
    }
    let Some(h) = Hierarchy::mounted_v1("pids") else {
        common::skip_unavailable("no cgroup v1 pids hierarchy is mounted");
        return;
    };
    let mut s = Sleeper::new(&h, false);
    let host = cell(&s);
    if !host.is_empty() {
        // the cgroup v2 line, looked at first, may already name it
        common::skip_unavailable(&format!("the tests run in {host}"));
        return;
    }
    s.move_to(&format!("docker/{HEX}"));
    check_forms(&s, &format!("docker:{ID}"));
    for (rel, want) in [
        (format!("kubepods/besteffort/{POD}/{HEX}"), format!("containerd:{ID}")),
        (format!("libpod_parent/libpod-{HEX}"), format!("podman:{ID}")),
        ("lxc/web1".into(), "lxc:web1".into()),
        ("docker/short".into(), String::new()),
    ] {
        s.move_to(&rel);
        assert_eq!(cell(&s), want, "{rel}");
    }
}

/// uid 65534 reads the cgroup of its own process like root does.
#[test]
fn unprivileged_reader() {
    // (a private cgroup2 hierarchy and cgroups made in it need root)
    if !require_root() || !require_unpriv() {
        return;
    }
    let h = Hierarchy::private_v2();
    let mut s = Sleeper::new(&h, true);
    s.move_to(&format!("system.slice/docker-{HEX}.scope"));
    let uts = s.uts.to_string();
    let args = ["-r", "-n", "-o", "NS,PID,CONTAINER", "-Q"];
    let out = checked(unpriv_bin(BIN).args(args).arg(format!("NS == {uts} && CONTAINER =~ \"^docker:\"")), &args);
    assert_eq!(out, format!("{uts} {} docker:{ID}\n", s.pid));
    let out = checked(unpriv_bin(BIN).args(["-J", "-o", "CONTAINER", &uts]), &[]);
    assert_eq!(
        out,
        format!("{{\n   \"namespaces\": [\n      {{\n         \"container\": \"docker:{ID}\"\n      }}\n   ]\n}}\n")
    );
}

/// Paths are relative to the reader's cgroup namespace: run in one rooted in a
/// container's cgroup, rs-lsns sees that container's processes at `/` (no label), a
/// sibling container through `..`, named when its own component carries the name.
#[test]
fn seen_from_a_cgroup_namespace() {
    if !require_root() {
        return;
    }
    let h = Hierarchy::private_v2();
    let mut s = Sleeper::new(&h, false);
    let q = format!("NS == {}", s.uts);
    let args = ["-r", "-n", "-o", "CONTAINER", "-Q", &q];
    let inside = format!("system.slice/docker-{HEX}.scope");
    s.move_to(&inside);
    assert_eq!(s.lsns_rooted_at(&inside, &args), "\n");
    let other = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    s.move_to(&format!("system.slice/docker-{other}.scope"));
    assert_eq!(s.lsns_rooted_at(&inside, &args), "docker:0123456789ab\n");
    // /docker/OTHER seen from /docker/HEX is /../OTHER: the parent that names the
    // runtime is above the root
    s.move_to(&format!("docker/{other}"));
    assert_eq!(s.lsns_rooted_at(&format!("docker/{HEX}"), &args), "\n");
    assert_eq!(s.lsns_rooted_at(&inside, &args), "docker:0123456789ab\n");
}

/// A container's process in a cgroup it made below its own, named like another
/// container's: the outermost name, the one the runtime made, is its container (as root
/// and as uid 65534, in every form and in the filter).
#[test]
fn outermost_runtime_cgroup_wins() {
    // (a private cgroup2 hierarchy and cgroups made in it need root)
    if !require_root() || !require_unpriv() {
        return;
    }
    let other = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let h = Hierarchy::private_v2();
    for nobody in [false, true] {
        let mut s = Sleeper::new(&h, nobody);
        let (uts, pid) = (s.uts.to_string(), s.pid.to_string());
        for rel in [
            format!("system.slice/docker-{HEX}.scope/docker-{other}.scope"),
            format!("system.slice/docker-{HEX}.scope/init.scope/docker-{other}.scope"),
            format!("docker/{HEX}/docker-{other}.scope"),
            format!("docker/{HEX}/docker/{other}"),
        ] {
            s.move_to(&rel);
            let run = |args: &[&str]| match nobody {
                true => checked(unpriv_bin(BIN).args(args), args),
                false => lsns(args),
            };
            let shown = run(&["-o", "NS,CONTAINER", "-p", &pid, "-t", "uts"]);
            assert_eq!(shown, format!("        NS CONTAINER\n{uts} docker:{ID}\n"), "{rel}");
            let q = format!("CONTAINER == \"docker:{ID}\" && NS == {uts}");
            assert_eq!(run(&["-r", "-n", "-o", "NS,PID", "-Q", &q]), format!("{uts} {pid}\n"), "{rel}");
            let q = format!("CONTAINER == \"docker:{}\" && NS == {uts}", &other[..12]);
            assert_eq!(run(&["-r", "-n", "-o", "NS", "-Q", &q]), "", "{rel}");
        }
        if !nobody {
            check_forms(&s, &format!("docker:{ID}"));
        }
    }
}

/// On a hybrid host the cgroup v2 line comes last in `/proc/PID/cgroup`, after one line per
/// v1 hierarchy: with long v1 paths, the file is longer than 8 KiB, and the v2 line, which
/// decides, is beyond them. The process's v1 cgroups name an LXC container here, its v2
/// cgroup a Docker one.
#[test]
fn cgroup_file_longer_than_8_kib() {
    if !require_root() {
        return;
    }
    let v1: Vec<Hierarchy> = ["name=systemd", "pids", "blkio", "freezer", "devices", "cpu", "cpuacct"]
        .iter()
        .filter_map(|c| Hierarchy::mounted_v1(c))
        .collect();
    if v1.len() < 3 {
        common::skip_unavailable("fewer than 3 cgroup v1 hierarchies are mounted");
        return;
    }
    let h = Hierarchy::private_v2();
    let mut s = Sleeper::new(&h, false);
    if !cell(&s).is_empty() {
        common::skip_unavailable("the tests run in a container");
        return;
    }
    // 14 components of 255 bytes: each v1 path some 3,700 bytes, below the kernel's 4096
    let deep = format!("lxc/web1{}", format!("/{}", "d".repeat(255)).repeat(14));
    for hv1 in &v1 {
        s.move_to_in(hv1, &deep);
    }
    s.move_to(&format!("system.slice/docker-{HEX}.scope"));
    let text = fs::read_to_string(format!("/proc/{}/cgroup", s.pid)).unwrap();
    assert!(text.len() > 3 * 3600, "{} bytes", text.len());
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("0::") && last.ends_with(&format!("/docker-{HEX}.scope")), "{last}");
    check_forms(&s, &format!("docker:{ID}"));
    // and as uid 65534 for a process of its own
    let mut n = Sleeper::new(&h, true);
    for hv1 in &v1 {
        n.move_to_in(hv1, &deep);
    }
    n.move_to(&format!("system.slice/docker-{HEX}.scope"));
    let args = ["-r", "-n", "-o", "NS,CONTAINER", "-p"];
    let out = checked(unpriv_bin(BIN).args(args).arg(n.pid.to_string()).args(["-t", "uts"]), &args);
    assert_eq!(out, format!("{} docker:{ID}\n", n.uts));
}
