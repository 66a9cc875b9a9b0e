//! Containers as targets, without any runtime: `rs-nsenter --container` and rs-lsns's
//! CONTAINER and CONTAINERNAME columns, on containers the test makes of what the tools
//! read. Each "container" is a `sleep` in a uts namespace of its own with a hostname of
//! its own, moved into a real cgroup named as its runtime names them (cgroup v2: Docker's
//! and Podman's systemd scopes, a Kubernetes pod's containerd and CRI-O cgroups, LXC's
//! payload, an nspawn machine; and where a v1 hierarchy is mounted, Docker's cgroupfs
//! driver there, as on a hybrid host), and the runtime's state files, written to a
//! staging directory and copied onto a tmpfs over `/var/lib` and one over `/var/log` in
//! a private mount namespace that each command runs in. The host's files are never
//! touched; the cgroups and processes are removed on drop, also when a check fails.

use crate::common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{code, ns_of, require_root, run_timeout, skip_unavailable, world_exec_copy, TempDir};

const NSENTER: &str = env!("CARGO_BIN_EXE_rs-nsenter");
const LSNS: &str = env!("CARGO_BIN_EXE_rs-lsns");
const POD: &str = "7c2b0a6e-1f3d-4c5b-9a8e-2d4f6b8c0e1a";

/// A 64-digit ID starting with `tag`.
fn id(tag: &str) -> String {
    format!("{tag}{}", "5".repeat(64 - tag.len()))
}

/// The mount point of a hierarchy: cgroup2 (`None`) or the v1 one of a controller.
fn hierarchy(controller: Option<&str>) -> Option<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap();
    text.lines().find_map(|l| {
        let (head, tail) = l.split_once(" - ")?;
        let mut t = tail.split(' ');
        let (fstype, opts) = (t.next()?, t.nth(1)?);
        let fits = match controller {
            None => fstype == "cgroup2",
            Some(c) => fstype == "cgroup" && opts.split(',').any(|o| o == c),
        };
        fits.then(|| head.split(' ').nth(4).map(PathBuf::from))?
    })
}

/// Cgroups made by the test, removed (deepest first) on drop, after the holders in them
/// are gone (declare it before them).
#[derive(Default)]
struct Cgroups(Vec<PathBuf>);

impl Cgroups {
    /// `rel` under `root`, made with its parents.
    fn make(&mut self, root: &Path, rel: &str) -> PathBuf {
        let mut dir = root.to_path_buf();
        for part in rel.split('/') {
            dir.push(part);
            if !dir.exists() {
                fs::create_dir(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
                self.0.push(dir.clone());
            }
        }
        dir
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        for dir in self.0.iter().rev() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while fs::remove_dir(dir).is_err() && dir.exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// A container's main process: a shell with its own uts namespace and hostname, and a
/// `sleep` child in the same cgroup (not the main process: its parent is inside).
struct Holder {
    child: Child,
    pid: u32,
    host: String,
}

impl Holder {
    /// Started in cgroup `dir`: it waits for a line on stdin, written once it is in there,
    /// so that its child is born in the cgroup too.
    fn new(host: &str, dir: &Path) -> Holder {
        Holder::started(Command::new("/usr/bin/unshare").arg("-u"), host, dir)
    }

    /// A rootless container's: uid 65534's, in a user namespace of its own.
    fn nobodys(host: &str, dir: &Path) -> Holder {
        Holder::started(common::unpriv("/usr/bin/unshare").args(["-U", "-r", "-u"]), host, dir)
    }

    fn started(unshare: &mut Command, host: &str, dir: &Path) -> Holder {
        let script = "read go && hostname \"$0\" || exit 1; sleep 600 & wait";
        let child =
            unshare.args(["/bin/sh", "-c", script, host]).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
        let pid = child.id();
        let h = Holder { child, pid, host: host.to_string() };
        fs::write(dir.join("cgroup.procs"), pid.to_string()).unwrap();
        let mut stdin = h.child.stdin.as_ref().unwrap();
        std::io::Write::write_all(&mut stdin, b"go\n").unwrap();
        common::wait_until("the holder's hostname and sleep", || h.sleeper().is_some());
        h
    }

    /// The holder's `sleep`, once started (after the hostname was set).
    fn sleeper(&self) -> Option<i32> {
        let kids = fs::read_to_string(format!("/proc/{0}/task/{0}/children", self.pid)).ok()?;
        kids.split_whitespace().filter_map(|p| p.parse().ok()).find(|&p: &i32| common::comm(p) == "sleep")
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        use nix::sys::signal::{kill, Signal};
        use nix::unistd::Pid;
        // the sleep first (one of ours: found among the holder's descendants), then the shell
        while let Some(s) = self.sleeper() {
            let _ = kill(Pid::from_raw(s), Signal::SIGKILL);
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The runtimes' state files, written under a staging directory (`lib/` for /var/lib,
/// `log/` for /var/log).
struct State(TempDir);

impl State {
    fn file(&self, rel: &str, content: &str, mode: u32) {
        let path = self.0.path().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }

    /// `program args` in a private mount namespace where tmpfs covers /var/lib and
    /// /var/log, holding the staged files.
    fn command(&self, program: &[&str]) -> Command {
        let script = "set -e
            for d in lib log; do
                mount -t tmpfs -o mode=755 nsutils-test /var/$d
                cp -a \"$0/$d/.\" /var/$d/
            done
            exec \"$@\"";
        let mut c = Command::new("/usr/bin/unshare");
        c.args(["-m", "--propagation", "private", "/bin/sh", "-c", script]).arg(self.0.path()).args(program);
        c.env("LC_ALL", "C");
        c
    }

    /// stdout, stderr and exit status of `program args` (see [`State::command`]).
    fn run(&self, program: &[&str]) -> (String, String, i32) {
        let o = run_timeout(&mut self.command(program), 60);
        (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned(), code(&o))
    }
}

/// One container of the scenario: its holder and how it may be referred to.
struct Case {
    holder: Holder,
    label: String,
    name: String,
    refs: Vec<String>,
}

/// The containers, each in its cgroup, with its runtime's state staged.
fn scenario(cg: &mut Cgroups, state: &State, base: &str) -> Vec<Case> {
    let v2 = hierarchy(None).unwrap();
    let mut cases = Vec::new();
    let mut add = |host: &str, root: &Path, rel: String, label: String, name: &str, refs: Vec<String>| {
        let holder = Holder::new(host, &cg.make(root, &format!("{base}/{rel}")));
        cases.push(Case { holder, label, name: name.to_string(), refs });
    };
    let (docker, podman, other) = (id("abcd1a"), id("b0b0"), id("abcd2f"));
    state.file(
        &format!("lib/docker/containers/{docker}/config.v2.json"),
        &format!(r#"{{"State":{{"Running":true}},"ID":"{docker}","Name":"/web","Driver":"overlay2"}}"#),
        0o600,
    );
    add("h-docker", &v2, format!("system.slice/docker-{docker}.scope"), format!("docker:{}", &docker[..12]), "web", {
        vec![docker.clone(), docker[..12].to_string(), format!("docker:{}", &docker[..7]), "docker:web".into()]
    });
    let storage = format!(
        r#"[{{"id":"{podman}","names":["db"],"metadata":"{{\"name\":\"db\"}}"}},{{"id":"{other}","names":["web"]}}]"#
    );
    state.file("lib/containers/storage/overlay-containers/containers.json", &storage, 0o600);
    let refs = vec![podman.clone(), podman[..5].to_string(), format!("podman:{}", &podman[..12]), "db".into()];
    add(
        "h-podman",
        &v2,
        format!("machine.slice/libpod-{podman}.scope/container"),
        format!("podman:{}", &podman[..12]),
        "db",
        refs,
    );
    // a second "web", whose ID starts as Docker's does
    add("h-web2", &v2, format!("machine.slice/libpod-{other}.scope"), format!("podman:{}", &other[..12]), "web", {
        vec![other.clone(), format!("podman:{}", &other[..6]), "podman:web".into()]
    });
    let k8s = id("c0c0");
    state.file(&format!("log/containers/web-0_prod_app-{k8s}.log"), "", 0o644);
    let pod = POD.replace('-', "_");
    let rel = format!(
        "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{pod}.slice/cri-containerd-{k8s}.scope"
    );
    let refs = vec![k8s.clone(), format!("containerd:{}", &k8s[..12]), "web-0/app".into(), "app".into()];
    add("h-containerd", &v2, rel, format!("containerd:{}", &k8s[..12]), "web-0/app", refs);
    let crio = id("d0d0");
    let crio_storage = format!(r#"[{{"id":"{crio}","names":["k8s_redis_cache-0_prod_{POD}_0"]}}]"#);
    state.file("lib/containers/storage/vfs-containers/containers.json", &crio_storage, 0o600);
    let refs = vec![crio.clone(), format!("crio:{}", &crio[..4]), format!("cri-o:{crio}"), "cache-0/redis".into()];
    add(
        "h-crio",
        &v2,
        format!("kubepods/burstable/pod{POD}/crio-{crio}"),
        format!("cri-o:{}", &crio[..12]),
        "cache-0/redis",
        refs,
    );
    add("h-lxc", &v2, "lxc.payload.box1".into(), "lxc:box1".into(), "box1", vec!["box1".into(), "lxc:box1".into()]);
    let refs = vec!["my-box".into(), "nspawn:my-box".into(), "systemd-nspawn:my-box".into()];
    add(
        "h-nspawn",
        &v2,
        "machine.slice/machine-my\\x2dbox.scope/payload".into(),
        "nspawn:my-box".into(),
        "my-box",
        refs,
    );
    // Docker's cgroupfs driver in a v1 hierarchy (a hybrid host), the pre-1.10 format
    if let Some(pids) = hierarchy(Some("pids")) {
        let old = id("e0e0");
        state.file(&format!("lib/docker/containers/{old}/config.json"), r#"{"ID":"x","Name":"/old"}"#, 0o600);
        let refs = vec![old.clone(), old[..12].to_string(), "old".into()];
        add("h-v1", &pids, format!("docker/{old}"), format!("docker:{}", &old[..12]), "old", refs);
    } else {
        skip_unavailable("no v1 pids hierarchy is mounted");
    }
    fs::set_permissions(state.0.path().join("lib/docker"), fs::Permissions::from_mode(0o700)).unwrap();
    cases
}

#[test]
fn containers_by_id_prefix_runtime_and_name() {
    if !require_root() {
        return;
    }
    if hierarchy(None).is_none() {
        skip_unavailable("no cgroup2 hierarchy is mounted");
        return;
    }
    let mut cg = Cgroups::default();
    let state = State(TempDir::new("containers"));
    let base = format!("nsutils-containers-{}", std::process::id());
    let cases = scenario(&mut cg, &state, &base);

    for c in &cases {
        let want = format!("{}\n", c.holder.host);
        for r in &c.refs {
            let (out, err, status) = state.run(&[NSENTER, "--container", r, "hostname"]);
            assert_eq!((out.as_str(), err.as_str(), status), (want.as_str(), "", 0), "--container {r}");
        }
        // only the namespaces asked for: the uts namespace, and our mount namespace
        let script = "hostname; cat /proc/self/mountinfo | grep -c ' /var/lib .* nsutils-test' || true";
        let (out, _, status) = state.run(&[NSENTER, "--container", &c.refs[0], "-u", "/bin/sh", "-c", script]);
        assert_eq!((out, status), (format!("{}1\n", want), 0), "--container {} -u", c.refs[0]);
        // rs-lsns's columns for the holder's uts namespace
        let uts = ns_of(c.holder.pid, "uts").unwrap();
        let q = format!("NS == {uts}");
        let (out, err, _) = state.run(&[LSNS, "-r", "-n", "-o", "CONTAINER,CONTAINERNAME", "-Q", &q]);
        assert_eq!((out, err), (format!("{} {}\n", c.label, c.name), String::new()), "{}", c.holder.host);
    }

    // by name, in JSON and in a filter
    let (out, _, _) = state.run(&[LSNS, "-J", "-t", "uts", "-o", "NS,CONTAINERNAME", "-Q", "CONTAINERNAME == \"db\""]);
    let uts = ns_of(cases[1].holder.pid, "uts").unwrap();
    assert_eq!(
        out,
        format!("{{\n   \"namespaces\": [\n      {{\n         \"ns\": {uts},\n         \"containername\": \"db\"\n      }}\n   ]\n}}\n")
    );

    // bash completes --container with the IDs (12 digits) and names rs-lsns finds
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/bash/rs-nsenter");
    let body = r#"source "$0" || exit 1
        COMP_WORDS=(rs-nsenter --container ""); COMP_CWORD=2
        _rs_nsenter rs-nsenter "" --container
        printf '%s\n' "${COMPREPLY[@]}""#;
    let path = format!("{}:/usr/bin:/bin", Path::new(LSNS).parent().unwrap().display());
    let mut bash = state.command(&["/usr/bin/env", &format!("PATH={path}"), "bash", "--norc", "-c", body]);
    let o = run_timeout(bash.arg(&file), 60);
    let offered = String::from_utf8(o.stdout).unwrap();
    for c in &cases {
        let short = c.label.split_once(':').unwrap().1;
        for word in [short, &c.name] {
            assert!(offered.lines().any(|l| l == word), "{word} not in {offered:?}");
        }
    }

    // unknown and ambiguous references, and --target as well
    let nsenter = |r: &str| state.run(&[NSENTER, "--container", r, "hostname"]);
    let failed = |e: &str| (String::new(), format!("rs-nsenter: {e}\n"), 1);
    assert_eq!(nsenter("nosuch"), failed("no container matches 'nosuch'"));
    assert_eq!(nsenter("docker:b0b0"), failed("no container matches 'docker:b0b0'"));
    let two = format!("docker:{} (web), podman:{} (web)", &id("abcd1a")[..12], &id("abcd2f")[..12]);
    assert_eq!(nsenter("web"), failed(&format!("'web' matches several containers: {two}")));
    assert_eq!(nsenter("abcd"), failed(&format!("'abcd' matches several containers: {two}")));
    let (_, err, status) = state.run(&[NSENTER, "--container", "web", "-t", "1", "hostname"]);
    assert_eq!((err.as_str(), status), ("rs-nsenter: options --container and --target cannot be combined\n", 1));

    // uid 65534: finds the containers by their cgroups, but not root's Docker state
    // (0700), and may not enter root's namespaces
    let copy = world_exec_copy(NSENTER);
    let nobody = |r: &str| {
        let copy = copy.to_str().unwrap();
        let prog = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", copy, "--container", r];
        state.run(&[&prog[..], &["hostname"]].concat())
    };
    let (out, err, status) = nobody("docker:web");
    assert_eq!((out.as_str(), err.as_str(), status), ("", "rs-nsenter: no container matches 'docker:web'\n", 1));
    let (out, err, status) = nobody("nosuch");
    assert_eq!((out.as_str(), err.as_str(), status), ("", "rs-nsenter: no container matches 'nosuch'\n", 1));
    let (out, err, status) = nobody(&id("abcd1a"));
    assert_eq!((out.as_str(), status), ("", 1), "{err}");
    assert!(err.starts_with("rs-nsenter: ") && err.lines().count() == 1, "{err}");
    drop(cases);
}

/// A rootless container of uid 65534's (its own user namespace, where it is root, and
/// uts namespace, in a cgroup under its user manager's, as rootless Podman makes them):
/// uid 65534 enters it by ID and prefix, `--preserve-credentials` or not.
#[test]
fn rootless_container_of_uid_65534() {
    // (its cgroups are made by root)
    if !require_root() || !common::require_unpriv() {
        return;
    }
    let Some(v2) = hierarchy(None) else {
        skip_unavailable("no cgroup2 hierarchy is mounted");
        return;
    };
    let mut cg = Cgroups::default();
    let rootless = id("f00d");
    let rel = format!(
        "nsutils-rootless-{}/user.slice/user-65534.slice/user@65534.service/user.slice/libpod-{rootless}.scope",
        std::process::id()
    );
    let holder = Holder::nobodys("h-rootless", &cg.make(&v2, &rel));
    let copy = world_exec_copy(NSENTER);
    let run = |args: &[&str]| {
        let o = run_timeout(common::unpriv(&copy).args(args).env("LC_ALL", "C"), 60);
        (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned(), code(&o))
    };
    let ok = |out: &str| (out.to_string(), String::new(), 0);
    assert_eq!(run(&["--container", &rootless, "--preserve-credentials", "hostname"]), ok("h-rootless\n"));
    assert_eq!(run(&["--container", &rootless[..12], "-U", "-u", "id", "-u"]), ok("0\n"));
    let (out, err, status) =
        run(&["--container", "podman:f00d", "-U", "-u", "--preserve-credentials", "cat", "/proc/self/uid_map"]);
    assert_eq!((out.split_whitespace().collect::<Vec<_>>(), err.as_str(), status), (vec!["0", "65534", "1"], "", 0));
    // unknown: the same message as root's
    let (out, err, status) = run(&["--container", "f00e", "hostname"]);
    assert_eq!((out.as_str(), err.as_str(), status), ("", "rs-nsenter: no container matches 'f00e'\n", 1));
    drop(holder);
}
