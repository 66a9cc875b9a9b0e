//! Integration tests: the built rs-unshare creates real namespaces, as root and as uid
//! 65534, and behaves as /usr/bin/unshare (util-linux 2.38.1) wherever it has the
//! feature and we made no deliberate change (README, "Differences from util-linux").

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_rs-unshare");

fn us() -> Command {
    Command::new(BIN)
}

/// Runs rs-unshare with `args`; (stdout, stderr, status).
fn u(args: &[&str]) -> (String, String, i32) {
    let mut c = us();
    c.args(args);
    run(&mut with_subid_files(c))
}

/// Runs rs-unshare unprivileged (as uid 65534 when we are root, else as ourselves).
fn u_unpriv(args: &[&str]) -> (String, String, i32) {
    let mut c = unpriv_bin(BIN);
    c.args(args);
    run(&mut with_subid_files(c))
}

fn ok(args: &[&str]) -> String {
    let (out, err, code) = u(args);
    assert_eq!(code, 0, "rs-unshare {args:?} failed: {err}");
    out
}

fn ns_inode_in(args: &[&str], link: &str) -> u64 {
    let mut a = args.to_vec();
    let path = format!("/proc/self/ns/{link}");
    a.extend(["readlink", path.as_str()]);
    parse_ns_inode(&ok(&a))
}

#[test]
fn every_type_gets_a_new_namespace() {
    if !require_root() {
        return;
    }
    for (opt, link) in
        [("-m", "mnt"), ("-u", "uts"), ("-i", "ipc"), ("-n", "net"), ("-U", "user"), ("-C", "cgroup"), ("-T", "time")]
    {
        assert_ne!(ns_inode_in(&[opt], link), own_ns(link), "{opt}");
        // and nothing else changes
        let other = if link == "net" { "uts" } else { "net" };
        assert_eq!(ns_inode_in(&[opt], other), own_ns(other), "{opt} changed {other}");
    }
    assert_ne!(ns_inode_in(&["-p", "-f"], "pid"), own_ns("pid"));
    let long = ok(&[
        "--mount",
        "--uts",
        "--ipc",
        "--net",
        "--pid",
        "--fork",
        "--cgroup",
        "--time",
        "--user",
        "sh",
        "-c",
        "for n in mnt uts ipc net pid cgroup time user; do readlink /proc/self/ns/$n; done",
    ]);
    for (line, n) in long.lines().zip(["mnt", "uts", "ipc", "net", "pid", "cgroup", "time", "user"]) {
        assert_ne!(parse_ns_inode(line), own_ns(n), "{n}");
    }
}

#[test]
fn pid_namespace_applies_to_children_only() {
    if !require_root() {
        return;
    }
    // without --fork the program stays outside; its first child is PID 1
    let out = ok(&["-p", "sh", "-c", "echo $$; sh -c 'echo $$'"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_ne!(lines[0], "1");
    assert_eq!(lines[1], "1");
    // once that PID 1 has exited, the namespace takes no more processes
    let (_, err, code) = u(&["-p", "sh", "-c", "sh -c true; sh -c true"]);
    assert_ne!(code, 0);
    assert!(err.contains("fork"), "{err}");
    assert_eq!(ns_inode_in(&["-p"], "pid"), own_ns("pid"));
    // with --fork the program is PID 1, and --mount-proc shows the new namespace
    let out = ok(&["-fp", "--mount-proc", "sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1");
    assert!(lines[1].parse::<u32>().unwrap() <= 3, "{out}");
    // --mount-proc without --fork mounts a proc of the *old* namespace
    let out = ok(&["-p", "--mount-proc", "ls", "/proc"]);
    let pids = out.lines().filter(|l| l.bytes().all(|b| b.is_ascii_digit())).count();
    assert!(pids > 3, "{out}");
}

#[test]
fn uts_and_net_are_isolated() {
    if !require_root() {
        return;
    }
    let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(ok(&["-u", "sh", "-c", "hostname rs-unshare-test; hostname"]), "rs-unshare-test\n");
    assert_eq!(fs::read_to_string("/proc/sys/kernel/hostname").unwrap(), host);
    let links = ok(&["-n", "ip", "-o", "link"]);
    assert_eq!(links.lines().count(), 1, "{links}");
    assert!(links.contains(": lo:"));
}

#[test]
fn mount_propagation() {
    if !require_root() {
        return;
    }
    let prop = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["findmnt", "-no", "PROPAGATION", "/"]);
        ok(&a).trim().to_string()
    };
    assert_eq!(prop(&["-m"]), "private");
    assert_eq!(prop(&["-m", "--propagation", "shared"]), "shared");
    // slave needs a shared mount to follow: make one
    let t = PrivateTmpfs::new();
    let dir = t.0.path().to_str().unwrap().to_string();
    assert!(Command::new("mount").args(["--make-shared", &dir]).status().unwrap().success());
    let out = ok(&["-m", "--propagation=slave", "findmnt", "-no", "PROPAGATION", &dir]);
    assert_eq!(out.trim(), "private,slave");
    let out = ok(&["-m", "--propagation=private", "findmnt", "-no", "PROPAGATION", &dir]);
    assert_eq!(out.trim(), "private");
    let host = String::from_utf8(Command::new("findmnt").args(["-no", "PROPAGATION", "/"]).output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    assert_eq!(prop(&["-m", "--propagation=unchanged"]), host);
    let (_, err, code) = u(&["--propagation=bogus", "true"]);
    assert_eq!((err.as_str(), code), ("rs-unshare: unsupported propagation mode: bogus\n", 1));
}

#[test]
fn time_offsets() {
    if !require_root() {
        return;
    }
    let out = ok(&["-T", "--monotonic", "1000", "--boottime=-50", "cat", "/proc/self/timens_offsets"]);
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows, vec![vec!["monotonic", "1000", "0"], vec!["boottime", "-50", "0"]]);
    // the offset is visible to the exec'd program even without --fork
    let up: f64 = ok(&["-T", "--boottime", "86400", "cat", "/proc/uptime"]).split(' ').next().unwrap().parse().unwrap();
    assert!(up >= 86400.0, "{up}");
    let (_, err, code) = u(&["--monotonic", "5", "true"]);
    assert_eq!(code, 1);
    assert_eq!(err, "rs-unshare: options --monotonic and --boottime require unsharing of a time namespace (-T)\n");
}

fn maps(args: &[&str]) -> (String, String, String) {
    let mut a = args.to_vec();
    a.extend([
        "sh",
        "-c",
        "cat /proc/self/uid_map; echo --; cat /proc/self/gid_map; echo --; cat /proc/self/setgroups",
    ]);
    let out = ok(&a);
    let parts: Vec<String> = out
        .split("--\n")
        .map(|p| p.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("\n"))
        .collect();
    (parts[0].clone(), parts[1].clone(), parts[2].clone())
}

#[test]
fn single_mappings() {
    if !require_root() {
        return;
    }
    assert_eq!(maps(&["-r"]), ("0 0 1".into(), "0 0 1".into(), "deny".into()));
    assert_eq!(maps(&["-c"]), ("0 0 1".into(), "0 0 1".into(), "deny".into()));
    assert_eq!(maps(&["--map-user=5", "--map-group=6"]), ("5 0 1".into(), "6 0 1".into(), "deny".into()));
    assert_eq!(maps(&["--map-user=daemon"]), ("1 0 1".into(), "".into(), "allow".into()));
    assert_eq!(maps(&["-U"]), ("".into(), "".into(), "allow".into()));
    assert_eq!(maps(&["-U", "--setgroups=deny"]), ("".into(), "".into(), "deny".into()));
    assert_eq!(maps(&["-r", "--setgroups=deny"]).2, "deny");
    assert_eq!(ok(&["-r", "id", "-u"]), "0\n");
}

#[test]
fn range_mappings_as_root() {
    if !require_root() {
        return;
    }
    assert_eq!(maps(&["--map-users=1:100000:10", "-r"]).0, "0 0 1\n1 100000 10");
    // the single mapping punches a hole into an overlapping range, and setgroups stays allow
    let (uid, gid, sg) = maps(&["--map-users=0:100000:100", "--map-groups=100000,0,100", "-r"]);
    assert_eq!((uid.as_str(), gid.as_str(), sg.as_str()), ("0 0 1\n1 100000 99", "0 0 1\n1 100000 99", "allow"));
    assert_eq!(maps(&["--map-users=10:100000:5", "--map-users=1:200000:5"]).0, "10 100000 5\n1 200000 5");
    assert_eq!(maps(&["--map-users=all", "--map-groups=all"]).0, "0 0 4294967295");
    // --owner: the namespace belongs to 1000, the map is written from outside
    let out = ok(&["--owner", "1000:1000", "-r", "sh", "-c", "cat /proc/self/uid_map; id -u"]);
    let v: Vec<String> = out.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(v, vec!["0 0 1", "65534"]);
}

thread_local! {
    /// The /etc/subuid and /etc/subgid the commands of this test see, if it chose any
    /// (libtest runs each test on a thread of its own).
    static SUBID_FILES: std::cell::RefCell<Option<StandIns>> = const { std::cell::RefCell::new(None) };
}

/// `cmd`, seeing the subordinate-id files the running test installed, if any.
fn with_subid_files(cmd: Command) -> Command {
    SUBID_FILES.with_borrow(|files| match files {
        Some(f) => f.wrap(&cmd),
        None => cmd,
    })
}

/// While it lives, the commands of this test see /etc/subuid and /etc/subgid holding
/// an entry for someone else and `line`; the host's files stay as they are (the
/// commands run in private mount namespaces, see [`StandIns`]).
struct SubidFiles;

impl SubidFiles {
    fn install(line: &str) -> SubidFiles {
        let content = format!("someone:300000:10\n{line}\n");
        let files = StandIns::new(&[("/etc/subuid", &content), ("/etc/subgid", &content)]);
        SUBID_FILES.set(Some(files));
        SubidFiles
    }
}

impl Drop for SubidFiles {
    fn drop(&mut self) {
        SUBID_FILES.set(None);
    }
}

#[test]
fn subordinate_id_maps() {
    if !require_root() {
        return;
    }
    {
        let _files = SubidFiles::install("root:100000:65536");
        assert_eq!(maps(&["--map-auto"]).0, "0 100000 65536");
        assert_eq!(maps(&["-r", "--map-auto"]).0, "0 0 1\n1 100000 65536");
        assert_eq!(maps(&["-c", "--map-subids"]).0, "0 0 1\n100000 100000 65536");
        assert_eq!(maps(&["--map-users=auto", "--map-user=5"]).0, "5 0 1\n0 100000 5\n6 100005 65531");
        assert_eq!(maps(&["--map-groups=subids"]).1, "100000 100000 65536");
        // matched by number too
        drop(_files);
        let _files = SubidFiles::install("0:200000:10");
        assert_eq!(maps(&["--map-auto"]).0, "0 200000 10");
        drop(_files);
        let _files = SubidFiles::install("rootx:200000:10");
        let (_, err, code) = u(&["--map-auto", "true"]);
        assert_eq!((err.as_str(), code), ("rs-unshare: no line matching user \"root\" in /etc/subuid\n", 1));
    }
    // an unprivileged user's range maps go through newuidmap/newgidmap, which read the
    // same stand-in files
    if !require_unpriv() {
        return;
    }
    if !Path::new("/usr/bin/newuidmap").exists() {
        skip("its newuidmap part needs newuidmap and newgidmap: install the uidmap package");
        return;
    }
    let _files = SubidFiles::install("nobody:200000:1000");
    let show = "cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups";
    let (out, err, code) = u_unpriv(&["--map-users=0:200000:1000", "--map-groups=0:200000:1000", "sh", "-c", show]);
    let norm = |o: &str| o.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>();
    assert_eq!(code, 0, "{err}");
    assert_eq!(norm(&out), vec!["0 200000 1000", "0 200000 1000", "allow"]);
    // -r keeps its id and the block keeps its full size (util-linux 2.41-2.42 lost one)
    let (out, err, code) = u_unpriv(&["-r", "--map-auto", "sh", "-c", show]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(norm(&out), vec!["0 65534 1", "1 200000 1000", "0 65534 1", "1 200000 1000", "allow"]);
    let (out, _, code) = u_unpriv(&["-c", "--map-subids", "cat", "/proc/self/uid_map"]);
    assert_eq!((norm(&out), code), (vec!["65534 65534 1".to_string(), "200000 200000 1000".to_string()], 0));
    // newuidmap refuses ids outside the user's block; its status is passed on
    let (_, err, code) = u_unpriv(&["--map-users=0:300000:10", "true"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.starts_with("newuidmap: "), "{err}");
}

#[test]
fn capabilities() {
    if !require_root() {
        return;
    }
    let amb = |args: &[&str]| {
        let mut a = args.to_vec();
        a.extend(["grep", "CapAmb", "/proc/self/status"]);
        u64::from_str_radix(ok(&a).split_whitespace().nth(1).unwrap(), 16).unwrap()
    };
    assert_eq!(amb(&["-r"]), 0);
    let keep = amb(&["-r", "--keep-caps"]);
    assert_ne!(keep, 0);
    assert_ne!(keep & (1 << 21), 0, "CAP_SYS_ADMIN kept: {keep:x}");
    // only with a new user namespace
    assert_eq!(amb(&["-m", "--keep-caps"]), 0);
}

#[test]
fn root_and_working_directory() {
    if !require_root() {
        return;
    }
    assert_eq!(ok(&["-w", "/usr/share", "pwd"]), "/usr/share\n");
    assert_eq!(ok(&["-R", "/", "pwd"]), "/\n");
    // a real new root, populated by bind mounts in a private mount namespace
    let d = TempDir::new("root");
    let r = d.path().display().to_string();
    for sub in ["usr", "x", "proc"] {
        fs::create_dir(d.path().join(sub)).unwrap();
    }
    for l in ["bin", "lib", "lib64", "sbin"] {
        std::os::unix::fs::symlink(format!("usr/{l}"), d.path().join(l)).unwrap();
    }
    let script = format!("mount --bind /usr {r}/usr && exec {BIN} -R {r} -w /x sh -c 'pwd; ls /'");
    let out = ok(&["-m", "sh", "-c", &script]);
    assert_eq!(out, "/x\nbin\nlib\nlib64\nproc\nsbin\nusr\nx\n");
    let script = format!(
        "mount --bind /usr {r}/usr && exec {BIN} -fp -R {r} --mount-proc sh -c 'echo $$; ls /proc/1/ns && echo ok'"
    );
    assert_eq!(
        ok(&["-m", "sh", "-c", &script]),
        "1\ncgroup\nipc\nmnt\nnet\npid\npid_for_children\ntime\ntime_for_children\nuser\nuts\nok\n"
    );
    let (_, err, code) = u(&["-R", "/nonexistent", "true"]);
    assert_eq!(
        (err.as_str(), code),
        ("rs-unshare: cannot change root directory to '/nonexistent': No such file or directory\n", 1)
    );
    let (_, err, code) = u(&["-w", "/nonexistent", "true"]);
    assert_eq!(
        (err.as_str(), code),
        ("rs-unshare: cannot change directory to /nonexistent: No such file or directory\n", 1)
    );
}

#[test]
fn setuid_and_setgid() {
    if !require_root() {
        return;
    }
    assert_eq!(ok(&["-S", "1000", "-G", "1001", "sh", "-c", "id -u; id -g; id -G"]), "1000\n1001\n1001\n");
    assert_eq!(ok(&["-r", "-S", "0", "id", "-u"]), "0\n");
    let marker = TempDir::new("setuid");
    let m = marker.path().join("ran");
    for (args, msg) in [
        (vec!["-S", "4294967296"], "rs-unshare: failed to parse uid: '4294967296': Numerical result out of range\n"),
        (vec!["-S", "-1"], "rs-unshare: failed to parse uid: '-1': Numerical result out of range\n"),
        (vec!["--setgid", "x"], "rs-unshare: failed to parse gid: 'x'\n"),
        (vec!["--map-user=-1"], "rs-unshare: failed to parse uid '-1': Numerical result out of range\n"),
        (vec!["--map-users=0:4294967290:10"], "rs-unshare: invalid mapping '0:4294967290:10'\n"),
    ] {
        let mut a = args.clone();
        let touch = format!("touch {}", m.display());
        a.extend(["sh", "-c", &touch]);
        let (_, err, code) = u(&a);
        assert_eq!((err.as_str(), code), (msg, 1), "{args:?}");
        assert!(!m.exists(), "{args:?} ran the program");
    }
}

#[test]
fn kill_child_after_setuid_and_with_pid() {
    if !require_root() {
        return;
    }
    // (a PID 1 ignores signals it has no handler for, so the -p case uses the default SIGKILL)
    for (kill, extra) in [
        ("--kill-child=TERM", &["-S", "65534", "-G", "65534"][..]),
        ("--kill-child", &["-p"][..]),
        ("--kill-child=SIGTERM", &[][..]),
    ] {
        let mut cmd = us();
        cmd.arg(kill).args(extra).args(["sleep", "300"]).stdout(Stdio::null()).stderr(Stdio::null());
        let mut parent = cmd.spawn().unwrap();
        let ppid = parent.id();
        let child = child_of(ppid, Some("sleep"));
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(ppid as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
        parent.wait().unwrap();
        wait_until("the child's end", || !alive(child));
    }
}

#[test]
fn signals_and_exit_status() {
    if !require_root() {
        return;
    }
    for (script, want) in
        [("exit 7", 7), ("kill -TERM $$", 143), ("kill -KILL $$", 137), ("kill -SEGV $$", 139), ("kill -INT $$", 130)]
    {
        let o = run_timeout(us().args(["-f", "sh", "-c", script]), 30);
        assert_eq!(code(&o), want, "{script}");
        assert!(o.stderr.is_empty(), "{script}: {}", String::from_utf8_lossy(&o.stderr));
    }
    // no fork: the program's own status
    assert_eq!(u(&["sh", "-c", "exit 9"]).2, 9);
    // the caller ignored and blocked SIGTERM: we still die of it like the child
    let child = "import os,signal; signal.signal(15, signal.SIG_DFL); signal.pthread_sigmask(signal.SIG_UNBLOCK, [15]); os.kill(os.getpid(), 15)";
    let caller = format!(
        "import os,signal; signal.pthread_sigmask(signal.SIG_BLOCK, [15]); signal.signal(15, signal.SIG_IGN); \
         os.execv({BIN:?}, [{BIN:?}, '-f', 'python3', '-c', {child:?}])"
    );
    assert_eq!(run(Command::new("python3").args(["-c", &caller])).2, 143);
    // exec failures, with and without fork
    let d = TempDir::new("noexec");
    let plain = d.path().join("plain-file");
    fs::write(&plain, "echo should not run\n").unwrap();
    fs::set_permissions(&plain, fs::Permissions::from_mode(0o644)).unwrap();
    let plain = plain.to_str().unwrap();
    for fork in [false, true] {
        let f: &[&str] = if fork { &["-f"] } else { &[] };
        let (_, err, code) = u(&[f, &["/nonexistent/prog"]].concat());
        assert_eq!(
            (err.as_str(), code),
            ("rs-unshare: failed to execute /nonexistent/prog: No such file or directory\n", 127)
        );
        let (_, err, code) = u(&[f, &[plain]].concat());
        assert_eq!((err, code), (format!("rs-unshare: failed to execute {plain}: Permission denied\n"), 126));
    }
}

#[test]
fn parent_blocks_or_forwards_signals() {
    if !require_root() {
        return;
    }
    let script = "trap 'exit 3' TERM; echo ready; while :; do sleep 0.05; done";
    // --forward-signals: SIGTERM to rs-unshare reaches the child
    let mut p = us().args(["--forward-signals", "sh", "-c", script]).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(p.stdout.as_mut().unwrap()), &mut line).unwrap();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(p.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(code(&wait_timeout(p, 30)), 3);
    // default: SIGTERM to rs-unshare is held back; it keeps waiting for the child
    let mut p = us().args(["-f", "sh", "-c", script]).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(p.stdout.as_mut().unwrap()), &mut line).unwrap();
    let pid = p.id();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(alive(pid), "rs-unshare died of a blocked SIGTERM");
    let child = children(pid)[0];
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child), nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(code(&wait_timeout(p, 30)), 3);
}

/// A private tmpfs for persistence files (`--mount=file` needs a non-shared mount).
struct PrivateTmpfs(TempDir);

impl PrivateTmpfs {
    fn new() -> PrivateTmpfs {
        let d = TempDir::new("persist");
        let p = d.path().to_str().unwrap().to_string();
        assert!(Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "rs-test", &p])
            .status()
            .unwrap()
            .success());
        assert!(Command::new("mount").args(["--make-private", &p]).status().unwrap().success());
        PrivateTmpfs(d)
    }

    fn file(&self, name: &str) -> String {
        let f = self.0.path().join(name);
        fs::write(&f, "").unwrap();
        f.display().to_string()
    }

    /// Files of ours that are still mount points.
    fn mounted(&self) -> Vec<String> {
        let root = self.0.path().display().to_string();
        mount_points().into_iter().filter(|m| m.starts_with(&format!("{root}/"))).collect()
    }
}

impl Drop for PrivateTmpfs {
    fn drop(&mut self) {
        for m in self.mounted() {
            let _ = Command::new("umount").arg(&m).status();
        }
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

fn file_ns_inode(file: &str) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&fs::metadata(file).unwrap())
}

#[test]
fn persistent_namespaces() {
    if !require_root() {
        return;
    }
    let t = PrivateTmpfs::new();
    let names = ["mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time"];
    let files: Vec<String> = names.iter().map(|n| t.file(n)).collect();
    let mut args: Vec<String> =
        names.iter().zip(&files).map(|(n, f)| format!("--{}={f}", if *n == "mnt" { "mount" } else { n })).collect();
    args.extend([
        "--fork".into(),
        "sh".into(),
        "-c".into(),
        "for n in mnt uts ipc net pid user cgroup time; do readlink /proc/self/ns/$n; done".into(),
    ]);
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = ok(&a);
    let inside: Vec<u64> = out.lines().map(parse_ns_inode).collect();
    for (i, n) in names.iter().enumerate() {
        assert_eq!(file_ns_inode(&files[i]), inside[i], "{n}");
    }
    assert_eq!(t.mounted().len(), 8);
    // util-linux's nsenter enters them
    let o = Command::new("/usr/bin/nsenter")
        .arg(format!("--net={}", files[3]))
        .args(["readlink", "/proc/self/ns/net"])
        .output()
        .unwrap();
    assert_eq!(parse_ns_inode(&String::from_utf8_lossy(&o.stdout)), inside[3]);
    let o = Command::new("/usr/bin/nsenter")
        .arg(format!("--uts={}", files[1]))
        .args(["readlink", "/proc/self/ns/uts"])
        .output()
        .unwrap();
    assert_eq!(parse_ns_inode(&String::from_utf8_lossy(&o.stdout)), inside[1]);
    // without a mount or user namespace the process binds itself
    let f = t.file("net2");
    ok(&[&format!("--net={f}"), "true"]);
    assert_ne!(file_ns_inode(&f), own_ns("net"));
}

#[test]
fn failed_persistence_leaves_nothing() {
    if !require_root() {
        return;
    }
    let t = PrivateTmpfs::new();
    // (only our own directory is compared: tests running beside this one mount and
    // unmount elsewhere)
    let good = t.file("good");
    let missing = format!("{}/missing", t.0.path().display());
    let marker = format!("{}/ran", t.0.path().display());
    for fork in [false, true] {
        for helper in [false, true] {
            let mut a = vec![format!("--uts={good}"), format!("--net={missing}")];
            if fork {
                a.push("-f".into());
            }
            if helper {
                a.push("-m".into());
            }
            a.extend(["touch".into(), marker.clone()]);
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            let (_, err, code) = u(&a);
            assert_eq!(code, 1, "{a:?}");
            assert!(
                err.starts_with("rs-unshare: mount /proc/")
                    && err.ends_with(&format!(" on {missing} failed: No such file or directory\n")),
                "{err}"
            );
            assert!(!Path::new(&marker).exists(), "{a:?}: the program ran");
            assert_eq!(t.mounted(), Vec::<String>::new(), "{a:?}: mounts left behind");
        }
    }
    let (_, err, code) = u(&["--pid=/x", "true"]);
    assert_eq!((err.as_str(), code), ("rs-unshare: persisting a PID namespace (--pid=<file>) requires --fork\n", 1));
    let (_, err, code) = u(&["--mount-proc=/nonexistent", "true"]);
    assert_eq!((err.as_str(), code), ("rs-unshare: mount /nonexistent failed: No such file or directory\n", 1));
    assert!(!mount_points().iter().any(|m| m == "/nonexistent"));
    assert_eq!(t.mounted(), Vec::<String>::new());
}

/// Flips `$1` and `$2` (directories in one directory it may write) with
/// `renameat2(RENAME_EXCHANGE)` until killed.
const FLIPPER: &str = "import ctypes, sys\n\
libc = ctypes.CDLL(None, use_errno=True)\n\
a, b = sys.argv[1].encode(), sys.argv[2].encode()\n\
while True:\n    libc.renameat2(-100, a, -100, b, 2)\n";

/// The race of a failed run's rollback, in a mount namespace of its own (`$1`: a
/// directory to cover with a tmpfs, `$2`: rs-unshare, `$3`: the flipper): a victim
/// mount (a file bind-mounted onto `victim`); a directory `d` owned by uid 65534 in
/// which uid 65534 swaps `p` (holding the persistence file `a`) and `q` (whose `a` is a
/// symbolic link to the victim) as fast as it can, while root runs 200 times a
/// rs-unshare whose first bind mount (`--uts=d/p/a`) must be rolled back because the
/// second (`--ipc=/nonexistent/b`) fails. Prints each run's status and message, then
/// the mount table.
const ROLLBACK_RACE: &str = r#"set -e
R=$1 BIN=$2
mount -t tmpfs -o size=64k,mode=755 rs-test "$R"
touch "$R/vsrc" "$R/victim"
mount --bind "$R/vsrc" "$R/victim"
mkdir -m 755 "$R/d" "$R/d/p" "$R/d/q"
touch "$R/d/p/a"
ln -s "$R/victim" "$R/d/q/a"
chown -R 65534:65534 "$R/d"
setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c "$3" "$R/d/p" "$R/d/q" &
flipper=$!
trap 'kill $flipper' EXIT
set +e
for i in $(seq 200); do
    err=$("$BIN" --uts="$R/d/p/a" --ipc=/nonexistent/b true 2>&1)
    echo "attempt $? $err"
done
echo "flipper $(grep -c . /proc/$flipper/stat)"
cat /proc/self/mountinfo
"#;

/// A user who owns a directory on the path of a persistence file cannot turn the
/// rollback of a failed run into the unmounting of a mount of their choice: the mount
/// made is undone through the descriptor it was made on, never by its path again. Each
/// run must fail with util-linux's message; afterwards the victim is still mounted and
/// no namespace stays bound, neither under the swapped directory nor over the victim.
#[test]
fn rollback_never_unmounts_by_path() {
    if !require_root() {
        return;
    }
    if !Path::new("/usr/bin/python3").exists() {
        skip("/usr/bin/python3 is not installed: install the python3 package");
        return;
    }
    let t = TempDir::new("rollback");
    let root = t.path().display().to_string();
    let mut c = Command::new("/usr/bin/unshare");
    c.args(["--mount", "--propagation", "private", "--fork", "--pid", "--mount-proc", "--kill-child"]);
    c.args(["/bin/sh", "-c", ROLLBACK_RACE, "sh", &root, BIN, FLIPPER]);
    let o = run_timeout(&mut c, 300);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0, "{out}{}", String::from_utf8_lossy(&o.stderr));
    let attempts: Vec<&str> = out.lines().filter(|l| l.starts_with("attempt ")).collect();
    assert_eq!(attempts.len(), 200, "{out}");
    for a in &attempts {
        let msg = a.strip_prefix("attempt 1 rs-unshare: mount /proc/").unwrap_or_else(|| panic!("{a}"));
        assert!(msg.ends_with("/ns/ipc on /nonexistent/b failed: No such file or directory"), "{a}");
    }
    assert!(out.contains("\nflipper 1\n"), "the flipper did not run to the end: {out}");
    // mountinfo: ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS ... - FSTYPE SOURCE OPTIONS
    let ours: Vec<(&str, &str)> = out
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            let fstype = f.iter().position(|w| *w == "-").and_then(|i| f.get(i + 1))?;
            f.get(4).filter(|m| m.starts_with(&format!("{root}/"))).map(|m| (*m, *fstype))
        })
        .collect();
    let victim = format!("{root}/victim");
    assert!(ours.contains(&(victim.as_str(), "tmpfs")), "the victim was unmounted: {ours:?}");
    assert!(!ours.iter().any(|(_, fs)| *fs == "nsfs"), "namespaces left bound: {ours:?}");
}

#[test]
fn binfmt_misc_interpreter() {
    if !require_root() {
        return;
    }
    let d = TempDir::new("binfmt");
    let f = d.path().join("hello.rstest");
    fs::write(&f, "hello from cat\n").unwrap();
    fs::set_permissions(&f, fs::Permissions::from_mode(0o755)).unwrap();
    let out = ok(&["-r", "-fp", "--load-interp", ":rstest:E::rstest::/bin/cat:", f.to_str().unwrap()]);
    assert_eq!(out, "hello from cat\n");
    // the host's binfmt_misc never saw it
    assert!(!Path::new("/proc/sys/fs/binfmt_misc/rstest").exists());
    assert_eq!(ok(&["-r", "-fp", "--mount-binfmt", "ls", "/proc/sys/fs/binfmt_misc"]), "register\nstatus\n");
}

#[test]
fn environment() {
    if !require_root() {
        return;
    }
    let out = run(us().args(["--clear-env", "env"]).env("RS_TEST_VAR", "x"));
    assert_eq!((out.0.as_str(), out.2), ("", 0));
    let out =
        run(us().args(["--whitelist-env", "RS_A,RS_C", "env"]).env("RS_A", "1").env("RS_B", "2").env("RS_C", "3"));
    let mut vars: Vec<&str> = out.0.lines().collect();
    vars.sort_unstable();
    assert_eq!(vars, vec!["RS_A=1", "RS_C=3"]);
    // the default shell is a login shell: argv[0] is "-" + its name
    let mut c = us();
    c.env("SHELL", "/bin/sh").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"echo $0\n").unwrap();
    drop(child.stdin.take());
    let o = wait_timeout(child, 30);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "-sh\n");
}

#[test]
fn only_the_callers_descriptors_are_inherited() {
    if !require_root() {
        return;
    }
    // One shell lists the descriptors its children get, then execs rs-unshare, whose
    // program lists its own: whatever the test harness leaked is in both lists,
    // anything of ours only in the second.
    let t = PrivateTmpfs::new();
    let f = t.file("uts");
    for args in [
        format!("--kill-child -m --map-users=1:100000:5 -r --uts={f}"),
        "--forward-signals -U".to_string(),
        "-n".to_string(),
    ] {
        let script = format!("exec 7</dev/null; ls /proc/self/fd; echo --; exec {BIN} {args} ls /proc/self/fd");
        let (out, err, code) = run(Command::new("sh").args(["-c", &script]));
        assert_eq!(code, 0, "{err}");
        let (direct, ours) = out.split_once("--\n").unwrap();
        assert_eq!(direct, ours, "{args}");
        assert!(direct.lines().any(|l| l == "7"), "{out}");
        for m in t.mounted() {
            let _ = Command::new("umount").arg(m).status();
        }
    }
}

#[test]
fn unprivileged_user() {
    if !require_unpriv() {
        return;
    }
    let (out, err, code) = u_unpriv(&["-r", "sh", "-c", "id -u; cat /proc/self/setgroups"]);
    assert_eq!((out.as_str(), code), ("0\ndeny\n", 0), "{err}");
    let me = unpriv_uid();
    let (out, _, code) = u_unpriv(&["-c", "id", "-u"]);
    assert_eq!((out.as_str(), code), (format!("{me}\n").as_str(), 0));
    let (out, err, code) = u_unpriv(&[
        "-r",
        "-fp",
        "--mount-proc",
        "-nu",
        "sh",
        "-c",
        "echo $$; hostname box; hostname; ip -o link | wc -l",
    ]);
    assert_eq!((out.as_str(), code), ("1\nbox\n1\n", 0), "{err}");
    let (out, _, code) = u_unpriv(&["-U", "sh", "-c", "wc -l < /proc/self/uid_map; id -u"]);
    // (no map: the overflow uid, whoever we are)
    assert_eq!((out.as_str(), code), ("0\n65534\n", 0));
    let (out, _, code) =
        u_unpriv(&["-r", "-T", "--monotonic=-100", "sh", "-c", "cat /proc/self/timens_offsets | head -1"]);
    assert_eq!(code, 0);
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), vec!["monotonic", "-100", "0"]);
    // without a user namespace: refused, with a hint
    let (_, err, code) = u_unpriv(&["-n", "true"]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().next().unwrap(), "rs-unshare: unshare failed: Operation not permitted");
    assert!(err.lines().nth(1).unwrap().starts_with("rs-unshare: hint: "), "{err}");
    // range maps need newuidmap when not root: without it, a clear message
    let (_, err, code) = run(unpriv_bin(BIN).env("PATH", "/nonexistent").args(["--map-users=0:100000:10", "true"]));
    assert_eq!(code, 127);
    assert_eq!(
        err,
        "rs-unshare: failed to execute newuidmap: No such file or directory\n\
         rs-unshare: hint: range maps need newuidmap (package uidmap) when not run as root\n"
    );
    // --kill-child as an unprivileged user, with a PID namespace
    let (out, _, code) = u_unpriv(&["-r", "-p", "--kill-child", "sh", "-c", "echo $$"]);
    assert_eq!((out.as_str(), code), ("1\n", 0));
}

/// Runs both implementations with the same argv[0] ("unshare"), so that even getopt's
/// messages, which name argv[0], must match byte for byte.
fn differential(args: &[&str]) {
    let ours = run(Command::new(BIN).arg0("unshare").args(args).env("SHELL", "/bin/sh"));
    let theirs = run(Command::new("/usr/bin/unshare").arg0("unshare").args(args).env("SHELL", "/bin/sh"));
    assert_eq!(ours, theirs, "unshare {args:?}");
}

#[test]
fn same_as_util_linux() {
    if !require_root() {
        return;
    }
    for args in [
        &["-fp", "sh", "-c", "echo $$"][..],
        &["-r", "id", "-u"],
        &["-c", "cat", "/proc/self/uid_map", "/proc/self/setgroups"],
        &["-U", "cat", "/proc/self/setgroups"],
        &["--map-user=7", "--map-group=8", "sh", "-c", "id -u; id -g"],
        &["-m", "findmnt", "-no", "PROPAGATION", "/"],
        &["-m", "--propagation", "shared", "findmnt", "-no", "PROPAGATION", "/"],
        &["-u", "sh", "-c", "hostname x; hostname"],
        &["-n", "-i", "true"],
        &["-f", "sh", "-c", "exit 3"],
        &["-fp", "--mount-proc", "sh", "-c", "echo $$; readlink /proc/self"],
        &["-S", "1", "-G", "1", "id"],
        &["-r", "-G", "0", "id"],
        &["--", "echo", "-n", "x"],
        &["echo", "--fork"],
        &["nonexistent-program-xyz"],
        &["/proc/self/stat"],
        &["-x"],
        &["-fx"],
        &["--bogus=1"],
        &["--fork=1"],
        &["-R"],
        &["--propagation"],
        &["--propagation=foo", "true"],
        &["--setgroups=foo", "true"],
        &["--kill-child=15", "true"],
        &["--kill-child=bogus", "true"],
        &["-S", "abc", "true"],
        &["-G", "x", "true"],
        &["-R", "/nonexistent", "true"],
        &["-T", "--monotonic", "abc", "true"],
        &["-T", "--boottime", "99999999999999999999", "true"],
        &["--mount-proc=/nonexistent", "true"],
        &["-h"],
    ] {
        if args == ["-h"] {
            // help texts are our own words; only the status and stream must match
            let o = run(Command::new(BIN).arg("-h"));
            assert_eq!(
                (o.2, o.1.is_empty(), o.0.starts_with("\nUsage:\n") || o.0.starts_with("Usage:\n")),
                (0, true, true)
            );
            continue;
        }
        differential(args);
    }
}

#[test]
fn version_and_help() {
    let (out, err, code) = u(&["-V"]);
    assert_eq!(
        (out, err, code),
        (format!("rs-unshare from nsutils {}\n", env!("CARGO_PKG_VERSION")), String::new(), 0)
    );
    let (out, _, code) = run(Command::new(BIN).arg0("unshare").arg("--version"));
    assert!(out.starts_with("unshare from nsutils "), "{out}");
    assert_eq!(code, 0);
    // help wins over a later mistake, as in a getopt loop
    let (out, err, code) = u(&["--help", "--bogus"]);
    assert!(out.contains("--map-users") && err.is_empty() && code == 0);
    // help and version write to stdout and report a full disk
    let o = Command::new(BIN).arg("-h").stdout(fs::File::create("/dev/full").unwrap()).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "rs-unshare: write error: No space left on device\n");
}

#[test]
fn namespace_limit_is_explained() {
    if !require_root() {
        return;
    }
    // the limit is per user namespace, so lower it in one of our own
    let script = format!("echo 0 > /proc/sys/user/max_uts_namespaces && exec {BIN} -u true");
    let (_, err, code) = u(&["-r", "sh", "-c", &script]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "rs-unshare: unshare failed: No space left on device\n\
         rs-unshare: hint: user.max_uts_namespaces = 0 in this user namespace: it allows no new uts namespace\n"
    );
}
