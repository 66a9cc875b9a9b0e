//! rs-nsenter against real namespaces: targets are started here with /usr/bin/unshare
//! (each test kills and reaps only the processes it started), and results are checked by
//! the namespace links the entered program sees.

use crate::common;

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::{
    child_of, is_root, require_root, require_unpriv, run, state, unpriv, unpriv_bin, wait_until, Target, TempDir,
};

const BIN: &str = env!("CARGO_BIN_EXE_rs-nsenter");
const ORACLE: &str = "/usr/bin/nsenter";
const UNSHARE: &str = "/usr/bin/unshare";

/// Every type a target made by [`Target::all`] has new, by `/proc/PID/ns` name.
const NEW_TYPES: [&str; 7] = ["mnt", "uts", "ipc", "net", "pid", "cgroup", "time"];

fn nsenter(args: &[&str]) -> (String, String, i32) {
    run(Command::new(BIN).args(args))
}

fn oracle(args: &[&str]) -> (String, String, i32) {
    run(Command::new(ORACLE).args(args))
}

fn link(pid: impl std::fmt::Display, name: &str) -> String {
    fs::read_link(format!("/proc/{pid}/ns/{name}")).unwrap().to_string_lossy().into_owned()
}

/// Targets started with /usr/bin/unshare.
impl Target {
    /// `/usr/bin/unshare <flags> --fork --kill-child sleep 300` in `/`.
    fn unshare(flags: &[&str]) -> Target {
        let mut c = Command::new(UNSHARE);
        c.args(flags).args(["--fork", "--kill-child", "sleep", "300"]).current_dir("/");
        Target::spawn(c, 1)
    }

    /// New mount, UTS, IPC, network, PID, cgroup and time namespaces; our user namespace.
    fn all() -> Target {
        Target::unshare(&["-m", "-u", "-i", "-n", "-p", "-C", "-T"])
    }
}

/// A python3 process running `script`, once it has printed its first line (returned).
fn python_target(script: &str) -> (Target, String) {
    let mut py = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = py.stdout.take().unwrap();
    let target = Target { pid: py.id() as i32, head: py, pidfd: None };
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).unwrap();
    (target, line)
}

/// A python3 process back in our network namespace that holds an fd, opened by `open`
/// (a Python expression giving an fd number) in a new network namespace: the process,
/// the fd and that namespace's link text.
fn holding_from_another_netns(open: &str) -> (Target, String, String) {
    let script = format!(
        r#"
import ctypes, os, socket, time
libc = ctypes.CDLL(None, use_errno=True)
home = os.open("/proc/self/ns/net", os.O_RDONLY)
assert libc.unshare(0x40000000) == 0
fd = {open}
inside = os.readlink("/proc/self/ns/net")
assert libc.setns(home, 0x40000000) == 0
print(fd, inside, flush=True)
time.sleep(300)
"#
    );
    let (py, line) = python_target(&script);
    let mut parts = line.split_whitespace();
    let (fd, inside) = (parts.next().unwrap().to_string(), parts.next().unwrap().to_string());
    (py, fd, inside)
}

/// Reads the namespace links of the program rs-nsenter starts, for each name.
fn links_inside(args: &[&str], names: &[&str]) -> Vec<String> {
    let script = names.iter().map(|n| format!("readlink /proc/self/ns/{n}")).collect::<Vec<_>>().join("; ");
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["sh", "-c", &script]);
    let (out, err, code) = nsenter(&full);
    assert_eq!(code, 0, "{args:?}: {err}");
    out.lines().map(str::to_string).collect()
}

#[test]
fn every_type_alone() {
    if !require_root() {
        return;
    }
    let t = Target::all();
    let pid = t.pid();
    for (opt, name) in
        [("-m", "mnt"), ("-u", "uts"), ("-i", "ipc"), ("-n", "net"), ("-p", "pid"), ("-C", "cgroup"), ("-T", "time")]
    {
        let got = links_inside(&["-t", &pid, opt], &NEW_TYPES);
        for (n, l) in NEW_TYPES.iter().zip(&got) {
            let want = if *n == name { link(&pid, n) } else { link("self", n) };
            assert_eq!(*l, want, "{opt}: ns/{n}");
        }
    }
}

#[test]
fn all_enters_every_differing_type() {
    if !require_root() {
        return;
    }
    let t = Target::all();
    let got = links_inside(&["-t", &t.pid(), "-a"], &NEW_TYPES);
    for (n, l) in NEW_TYPES.iter().zip(&got) {
        assert_eq!(*l, link(t.pid, n), "ns/{n}");
        assert_ne!(*l, link("self", n), "ns/{n} is new");
    }
    // same output as util-linux here, where every type but user differs
    let script = "readlink /proc/self/ns/net /proc/self/ns/uts; pwd";
    let pid = t.pid();
    let args: Vec<&str> = ["-t", pid.as_str(), "-a", "sh", "-c", script].to_vec();
    assert_eq!(nsenter(&args), oracle_same(&args));
}

/// util-linux's result, with its name swapped for ours in messages.
fn oracle_same(args: &[&str]) -> (String, String, i32) {
    let (o, e, c) = oracle(args);
    (o, e.replace("nsenter:", "rs-nsenter:"), c)
}

#[test]
fn user_namespace_as_root() {
    if !require_root() {
        return;
    }
    let t = Target::unshare(&["-U", "--map-root-user", "-n"]);
    let pid = t.pid();
    let (out, err, code) = nsenter(&["-t", &pid, "-U", "sh", "-c", "id -u; id -g; readlink /proc/self/ns/user"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("0\n0\n{}\n", link(&pid, "user")));
    // -a: the user namespace differs, so it is entered with the others
    let got = links_inside(&["-t", &pid, "-a"], &["user", "net", "uts"]);
    assert_eq!(got, vec![link(&pid, "user"), link(&pid, "net"), link("self", "uts")]);
    // a network namespace owned by our user namespace, and a user namespace made inside
    // it: only entered as root before the user namespace (pass 1), not after
    let mut c = Command::new(UNSHARE);
    c.args(["-n", "--fork", "--kill-child", UNSHARE, "-U", "--map-root-user", "sleep", "300"]);
    let inner = Target::spawn(c, 1);
    let got = links_inside(&["-t", &inner.pid(), "-U", "-n"], &["user", "net"]);
    assert_eq!(got, [link(inner.pid, "user"), link(inner.pid, "net")]);
    let (user, net) = (format!("-U/proc/{}/ns/user", inner.pid), format!("-n/proc/{}/ns/net", inner.pid));
    let got = links_inside(&[&user, &net], &["user", "net"]);
    assert_eq!(got, [link(inner.pid, "user"), link(inner.pid, "net")]);
    // the same user namespace as ours cannot be entered (EINVAL), as util-linux says
    let (_, err, code) = nsenter(&["-t", &std::process::id().to_string(), "-U", "true"]);
    assert_eq!(code, 1);
    assert_eq!(err, "rs-nsenter: reassociate to namespaces failed: Invalid argument\n");
}

#[test]
fn proc_files_as_arguments() {
    if !require_root() {
        return;
    }
    let t = Target::all();
    let pid = t.pid();
    let files: Vec<String> = [("mount", "mnt"), ("uts", "uts"), ("ipc", "ipc"), ("net", "net"), ("cgroup", "cgroup")]
        .iter()
        .map(|(opt, name)| format!("--{opt}=/proc/{pid}/ns/{name}"))
        .collect();
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    let short_pid = format!("-p/proc/{pid}/ns/pid");
    let short_time = format!("-T=/proc/{pid}/ns/time");
    args.extend([short_pid.as_str(), short_time.as_str()]);
    let got = links_inside(&args, &NEW_TYPES);
    for (n, l) in NEW_TYPES.iter().zip(&got) {
        assert_eq!(*l, link(&pid, n), "ns/{n}");
    }
}

/// A private bind mount of a scratch directory holding persistent namespace files;
/// everything is unmounted on drop.
struct Persist {
    dir: TempDir,
    files: Vec<PathBuf>,
}

impl Persist {
    fn new(types: &[(&str, &str)]) -> Persist {
        let dir = TempDir::new("nsenter-persist");
        let d = dir.path().to_str().unwrap().to_string();
        let mut p = Persist { dir, files: Vec::new() };
        assert!(Command::new("mount").args(["--bind", &d, &d]).status().unwrap().success());
        assert!(Command::new("mount").args(["--make-private", &d]).status().unwrap().success());
        let mut args = Vec::new();
        for (opt, name) in types {
            let f = p.dir.path().join(name);
            fs::write(&f, "").unwrap();
            args.push(format!("--{opt}={}", f.display()));
            p.files.push(f);
        }
        let st = Command::new(UNSHARE).args(&args).arg("true").status().unwrap();
        assert!(st.success(), "unshare {args:?}");
        p
    }
}

impl Drop for Persist {
    fn drop(&mut self) {
        for f in &self.files {
            let _ = Command::new("umount").arg(f).status();
        }
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn persistent_namespace_files() {
    if !require_root() {
        return;
    }
    let dir;
    {
        let p = Persist::new(&[("net", "net"), ("uts", "uts"), ("ipc", "ipc")]);
        dir = p.dir.path().to_str().unwrap().to_string();
        let file = |i: usize| p.files[i].to_str().unwrap().to_string();
        let ino = |i: usize| fs::metadata(&p.files[i]).map(|m| std::os::unix::fs::MetadataExt::ino(&m)).unwrap();
        let (net, uts, ipc) = (format!("--net={}", file(0)), format!("-u{}", file(1)), format!("--ipc=={}", file(2)));
        let got = links_inside(&[&net, &uts, &ipc], &["net", "uts", "ipc", "mnt"]);
        assert_eq!(got[0], format!("net:[{}]", ino(0)));
        assert_eq!(got[1], format!("uts:[{}]", ino(1)));
        assert_eq!(got[2], format!("ipc:[{}]", ino(2)));
        assert_eq!(got[3], link("self", "mnt"));
        // util-linux agrees on the plain form
        let args = [net.as_str(), "readlink", "/proc/self/ns/net"];
        assert_eq!(nsenter(&args), oracle_same(&args));
    }
    // only our directory: tests running beside this one mount elsewhere
    let left: Vec<String> = common::mount_points().into_iter().filter(|m| m.starts_with(&dir)).collect();
    assert!(left.is_empty(), "left mounted: {left:?}");
}

#[test]
fn pid_namespace_with_and_without_fork() {
    if !require_root() {
        return;
    }
    let t = Target::unshare(&["-p"]);
    let pid = t.pid();
    let script = "echo $$; readlink /proc/self/ns/pid /proc/self/ns/pid_for_children";
    let (out, err, code) = nsenter(&["-t", &pid, "-p", "sh", "-c", script]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    // forked: the program is in the namespace; the target is its PID 1
    assert!(lines[0].parse::<i32>().unwrap() > 1 && lines[0].parse::<i32>().unwrap() < 100, "{out}");
    assert_eq!(lines[1..], [link(&pid, "pid"), link(&pid, "pid")]);
    let script = "echo $$; readlink /proc/$$/ns/pid /proc/$$/ns/pid_for_children";
    let (out, err, code) = nsenter(&["-t", &pid, "-p", "-F", "sh", "-c", script]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    // not forked: the program stays where it was; only its children would move
    assert!(lines[0].parse::<i32>().unwrap() > 1, "{out}");
    assert_eq!(lines[1..], [link("self", "pid"), link(&pid, "pid")]);
    let echo = ["-t", pid.as_str(), "-p", "-F", "readlink", "/proc/self/ns/pid_for_children"];
    assert_eq!(nsenter(&echo), oracle_same(&echo));
}

#[test]
fn root_and_working_directories() {
    if !require_root() {
        return;
    }
    let d = TempDir::new("nsenter-root");
    let dir = d.path().to_str().unwrap().to_string();
    // The target lives chrooted into a copy of / whose /mnt holds a marker, and works in
    // a directory that exists only inside its mount namespace.
    let script = format!(
        "mount --rbind / {dir} && mount -t tmpfs t {dir}/mnt && mkdir {dir}/mnt/sub && \
         echo chrooted > {dir}/mnt/sub/marker && cd {dir}/mnt/sub && exec chroot {dir} sh -c 'cd /mnt/sub && exec sleep 300'"
    );
    let mut c = Command::new(UNSHARE);
    c.args(["-m", "--fork", "--kill-child", "sh", "-c", &script]);
    let t = Target::spawn(c, 1);
    let pid = t.pid();
    let cat = |args: &[&str]| {
        let mut a = vec!["-t", pid.as_str(), "-m"];
        a.extend_from_slice(args);
        nsenter(&a)
    };
    // -r: the target's root; -w: its working directory
    assert_eq!(cat(&["-r", "cat", "/mnt/sub/marker"]).0, "chrooted\n");
    assert_eq!(cat(&["-r", "-w", "cat", "marker"]).0, "chrooted\n");
    assert_eq!(cat(&["-r", "-w", "pwd"]).0, "/mnt/sub\n");
    // without -r the mount namespace's root is used, where /mnt/sub doesn't exist
    assert_ne!(cat(&["cat", "/mnt/sub/marker"]).2, 0);
    // entering a mount namespace starts at its root
    assert_eq!(cat(&["pwd"]).0, "/\n");
    // -W: looked up inside, after chroot; -W alone: the target's directory, inside
    assert_eq!(cat(&["-r", "-W/mnt/sub", "cat", "marker"]).0, "chrooted\n");
    assert_eq!(cat(&["-r", "--wdns==/mnt", "ls"]).0, "sub\n");
    assert_eq!(cat(&["-r", "-W", "pwd"]).0, "/mnt/sub\n");
    // -r=dir / -w=dir are opened before entering: our empty scratch directory
    let (_, _, code) = cat(&[&format!("--root={dir}"), "true"]);
    assert_eq!(code, 127, "chroot into the empty directory leaves nothing to run");
    assert_eq!(cat(&[&format!("-w={dir}"), "ls", "-A"]).0, "");
    // util-linux agrees
    for args in
        [vec!["-r", "-w", "pwd"], vec!["pwd"], vec!["-r", "pwd"], vec!["-w", "pwd"], vec!["--wdns=/mnt", "-r", "ls"]]
    {
        let mut a = vec!["-t", pid.as_str(), "-m"];
        a.extend(args);
        assert_eq!(nsenter(&a), oracle_same(&a), "{a:?}");
    }
    let (_, err, code) = cat(&["-w", "-W/", "true"]);
    assert_eq!((err.as_str(), code), ("rs-nsenter: options --wd and --wdns cannot be combined\n", 1));
}

#[test]
fn setuid_setgid_and_follow() {
    if !require_root() {
        return;
    }
    let mut c = Command::new(UNSHARE);
    c.args(["-n", "--fork", "--kill-child", "setpriv", "--reuid=1234", "--regid=1235", "--clear-groups"]);
    c.args(["sleep", "300"]);
    let t = Target::spawn(c, 1);
    let pid = t.pid();
    let ids = |extra: &[&str]| {
        let mut a = vec!["-t", pid.as_str(), "-n"];
        a.extend_from_slice(extra);
        a.extend(["sh", "-c", "id -u; id -g; id -G"]);
        nsenter(&a)
    };
    assert_eq!(ids(&["-S", "follow", "-G", "follow"]), ("1234\n1235\n1235\n".into(), String::new(), 0));
    assert_eq!(ids(&["-S42", "--setgid=43"]), ("42\n43\n43\n".into(), String::new(), 0));
    assert_eq!(ids(&["--setgid", "4294967294"]).0, "0\n4294967294\n4294967294\n");
    for (opt, val) in [("-S", "4294967296"), ("-S", "-1"), ("-G", "4294967295"), ("-G", "-1"), ("-S", "1x")] {
        let (out, err, code) = ids(&[opt, val]);
        assert_eq!((out.as_str(), code), ("", 1), "{opt} {val}");
        let what = if opt == "-S" { "uid" } else { "gid" };
        assert!(err.starts_with(&format!("rs-nsenter: failed to parse {what}: '{val}'")), "{err}");
    }
    // a plain uid change: the same as util-linux
    let a = ["-t", pid.as_str(), "-n", "-S", "7", "-G", "8", "id"];
    assert_eq!(nsenter(&a), oracle_same(&a));
}

#[test]
fn environment_of_the_target() {
    if !require_root() {
        return;
    }
    let mut c = Command::new(UNSHARE);
    c.args(["-n", "--fork", "--kill-child", "sleep", "300"]);
    c.env_clear().env("PATH", "/usr/bin:/bin").env("TARGET_ONLY", "yes it is").env("SHELL", "/bin/sh");
    let t = Target::spawn(c, 1);
    let (out, err, code) =
        run(Command::new(BIN).args(["-t", &t.pid(), "-n", "-e", "env"]).env("NSENTER_TEST_LEAK", "1"));
    assert_eq!(code, 0, "{err}");
    let mut got: Vec<&str> = out.lines().collect();
    got.sort();
    assert_eq!(got, ["PATH=/usr/bin:/bin", "SHELL=/bin/sh", "TARGET_ONLY=yes it is"]);
    // without -e our own environment stays
    let (out, _, _) = run(Command::new(BIN).args(["-t", &t.pid(), "-n", "env"]).env("NSENTER_TEST_LEAK", "1"));
    assert!(out.contains("NSENTER_TEST_LEAK=1"));
    // the default shell comes from the target's environment
    assert_eq!(shell_name(&["-t", &t.pid(), "-n", "-e"], "/bin/bash"), "-sh\n");
    assert_eq!(shell_name(&["-t", &t.pid(), "-n"], "/bin/bash"), "-bash\n");
}

/// What `echo $0` says in the default shell rs-nsenter starts with `$SHELL` = `shell`.
fn shell_name(args: &[&str], shell: &str) -> String {
    let mut child = Command::new(BIN)
        .args(args)
        .env("SHELL", shell)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"echo $0\n").unwrap();
    let o = common::wait_timeout(child, 60);
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn default_shell_is_a_login_shell() {
    if !require_root() {
        return;
    }
    let t = Target::unshare(&["-u"]);
    assert_eq!(shell_name(&["-t", &t.pid(), "-u"], "/bin/sh"), "-sh\n");
    assert_eq!(shell_name(&["-t", &t.pid(), "-u"], ""), format!("-{}\n", root_shell_name()));
}

/// The basename of root's login shell, which `$SHELL` unset or empty falls back to.
fn root_shell_name() -> String {
    let passwd = fs::read_to_string("/etc/passwd").unwrap();
    let root = passwd.lines().find(|l| l.starts_with("root:")).unwrap();
    root.rsplit(':').next().unwrap().rsplit('/').next().unwrap().to_string()
}

/// What a less privileged user might leave for a privileged `rs-nsenter -e`: in
/// `their/`, a `foo`, `env`, `id` and `sh` and a shell that say they are theirs, a home
/// whose `.profile` says so too, and files the start-up variables name; in `our/`, a
/// `foo` that says it is ours and an empty home.
struct EnvLab(TempDir);

impl EnvLab {
    fn new() -> EnvLab {
        use std::os::unix::fs::PermissionsExt;
        let lab = EnvLab(TempDir::new("envlab"));
        for dir in ["their/home", "our/home"] {
            fs::create_dir_all(lab.path(dir)).unwrap();
        }
        let put = |rel: &str, text: String| {
            let p = lab.path(rel);
            fs::write(&p, text).unwrap();
            fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        };
        for name in ["foo", "env", "id", "sh", "true", "evilshell"] {
            put(&format!("their/{name}"), format!("#!/bin/sh\necho THEIR-{name}\n"));
        }
        put("our/foo", "#!/bin/sh\necho OUR-foo\n".into());
        put("their/evil.sh", "echo THEIR-startup-file\n".into());
        put("their/home/.profile", "echo THEIR-profile\n".into());
        lab
    }

    fn path(&self, rel: &str) -> String {
        format!("{}/{rel}", self.0.path().display())
    }

    /// The environment of the target: start-up variables, its own PATH, SHELL and HOME,
    /// and an ordinary variable.
    fn their_env(&self) -> Vec<String> {
        let evil = self.path("their/evil.sh");
        vec![
            "FOO=bar".into(),
            format!("BASH_ENV={evil}"),
            "BASH_FUNC_foo%%=() {  echo THEIR-function; }".into(),
            format!("ENV={evil}"),
            format!("PYTHONSTARTUP={evil}"),
            "IFS=/".into(),
            "PS4=$(echo THEIR-ps4)".into(),
            "SHELLOPTS=xtrace".into(),
            format!("NODE_OPTIONS=--require={evil}"),
            "LD_PRELOAD=/nonexistent/nsutils-preload.so".into(),
            format!("PATH={}:/usr/bin:/bin", self.path("their")),
            format!("SHELL={}", self.path("their/evilshell")),
            format!("HOME={}", self.path("their/home")),
        ]
    }

    /// A `sleep` with [`EnvLab::their_env`], started by `prefix` (which must exec), or
    /// without one; unprivileged (uid 65534's when we are root, see [`unpriv`]).
    fn target(&self, prefix: &[&str]) -> Target {
        let argv = [prefix, &["/usr/bin/env", "-i"]].concat();
        let mut c = unpriv(argv[0]);
        c.args(&argv[1..]).args(self.their_env()).args(["sleep", "300"]);
        Target::spawn(c, 0)
    }

    /// Our own PATH, SHELL and HOME, for rs-nsenter started by `cmd`.
    fn ours(&self, mut cmd: Command) -> Command {
        cmd.env_clear().current_dir("/");
        cmd.env("PATH", format!("{}:/usr/bin:/bin", self.path("our")));
        cmd.env("SHELL", "/bin/sh").env("HOME", self.path("our/home"));
        cmd
    }

    fn our_vars(&self) -> [String; 3] {
        [
            format!("PATH={}:/usr/bin:/bin", self.path("our")),
            "SHELL=/bin/sh".into(),
            format!("HOME={}", self.path("our/home")),
        ]
    }
}

/// Runs `cmd` with `input` on its standard input; stdout and stderr.
fn feed(cmd: &mut Command, input: &str) -> (String, String) {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let o = common::wait_timeout(child, 60);
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// Sorted lines of `/usr/bin/env` run by `rs-nsenter args... -e` with our environment.
fn env_inside(lab: &EnvLab, cmd: Command, args: &[&str]) -> Vec<String> {
    let (out, err, code) = run(lab.ours(cmd).args(args).args(["-e", "/usr/bin/env"]));
    assert_eq!(code, 0, "{args:?}: {err}");
    let mut v: Vec<String> = out.lines().map(String::from).collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Root entering uid 65534's process with `-e`: what would make a shell or interpreter
/// run the target's code goes, and PATH, SHELL and HOME are ours, so the program, the
/// default shell and its start-up files are the ones we would find (util-linux passes
/// everything on and runs the target's `env`, `foo` and `$SHELL`).
#[test]
fn env_of_a_less_privileged_target_runs_nothing_of_theirs() {
    if !require_root() {
        return;
    }
    let lab = EnvLab::new();
    let t = lab.target(&[]);
    let pid = t.pid();
    let mut want = vec!["FOO=bar".to_string()];
    want.extend(lab.our_vars());
    assert_eq!(env_inside(&lab, Command::new(BIN), &["-t", &pid, "-u"]), sorted(want));
    // the program is looked for in our PATH
    for (prog, want) in [("env", None), ("foo", Some("OUR-foo\n")), ("true", Some(""))] {
        let (out, err, code) = run(lab.ours(Command::new(BIN)).args(["-t", &pid, "-u", "-e", prog]));
        assert_eq!(code, 0, "{prog}: {err}");
        assert!(!out.contains("THEIR") && want.is_none_or(|w| out == w), "{prog}: {out}");
    }
    // the default shell is ours, a login shell with our HOME and PATH
    let (out, err) = feed(lab.ours(Command::new(BIN)).args(["-t", &pid, "-u", "-e"]), "echo $0\nfoo\n");
    assert!(out.starts_with("-sh\n"), "{out}{err}");
    assert!(!out.contains("THEIR") && !err.contains("THEIR"), "{out}{err}");
}

/// With the target's mount namespace (or root) entered, its files are what the program
/// finds: its PATH and SHELL choose the program, though the start-up variables still go.
#[test]
fn env_of_a_less_privileged_target_in_its_mount_namespace() {
    if !require_root() {
        return;
    }
    let lab = EnvLab::new();
    let t = lab.target(&[]);
    let pid = t.pid();
    let theirs = lab.their_env();
    let kept =
        |keep: &[&str]| sorted(theirs.iter().filter(|v| keep.iter().any(|k| v.starts_with(k))).cloned().collect());
    let want = kept(&["FOO=", "PATH=", "SHELL=", "HOME="]);
    assert_eq!(env_inside(&lab, Command::new(BIN), &["-t", &pid, "-m"]), want);
    assert_eq!(env_inside(&lab, Command::new(BIN), &["-t", &pid, "-u", "-r"]), want);
    let (out, err, code) = run(lab.ours(Command::new(BIN)).args(["-t", &pid, "-m", "-e", "foo"]));
    assert_eq!((out.as_str(), code), ("THEIR-foo\n", 0), "{err}");
    let (out, err) = feed(lab.ours(Command::new(BIN)).args(["-t", &pid, "-m", "-e"]), "");
    assert_eq!(out, "THEIR-evilshell\n", "{err}");
}

/// An unprivileged user (uid 65534 when we are root) entering its own rootless container
/// holds no privilege its processes lack:
/// their environment comes whole, and their PATH finds the program.
#[test]
fn env_of_a_target_with_our_privileges_is_whole() {
    if !require_unpriv() {
        return;
    }
    let lab = EnvLab::new();
    let t = lab.target(&[UNSHARE, "-r", "-u"]);
    let pid = t.pid();
    let args = ["-t", pid.as_str(), "-U", "-u", "--preserve-credentials"];
    assert_eq!(env_inside(&lab, unpriv_bin(BIN), &args), sorted(lab.their_env()));
    let (out, err, code) = run(lab.ours(unpriv_bin(BIN)).args(args).args(["-e", "foo"]));
    assert_eq!((out.as_str(), code), ("THEIR-foo\n", 0), "{err}");
}

#[test]
fn user_parent() {
    if !require_root() {
        return;
    }
    // two nested user namespaces: the sleep's user namespace has the middle one as parent
    let mut c = Command::new(UNSHARE);
    c.args(["-U", "--map-root-user", "--fork", "--kill-child", UNSHARE, "-U", "--map-root-user", "-n"]);
    c.args(["--fork", "--kill-child", "sleep", "300"]);
    let t = Target::spawn(c, 2);
    // unshare(2) moves the caller: the outer unshare itself is in the outer namespace
    let middle = t.head.id();
    let pid = t.pid();
    assert_ne!(link(middle, "user"), link(&pid, "user"));
    let got = links_inside(&["-t", &pid, "--user-parent"], &["user"]);
    assert_eq!(got, [link(middle, "user")]);
    let got = links_inside(&["-t", &pid, "--user-parent", "-n"], &["user", "net"]);
    assert_eq!(got, [link(middle, "user"), link(&pid, "net")]);
    // from a file, no target needed
    let file = format!("--user=/proc/{pid}/ns/user");
    assert_eq!(links_inside(&[&file, "--user-parent"], &["user"]), [link(middle, "user")]);
}

#[test]
fn net_socket_from_another_namespace() {
    if !require_root() {
        return;
    }
    // A process in our network namespace holding a socket made in a new one.
    let (py, fd, inside) = holding_from_another_netns("socket.socket(socket.AF_INET, socket.SOCK_DGRAM).detach()");
    let pid = py.pid();
    assert_eq!(link(&pid, "net"), link("self", "net"));
    assert_ne!(inside, link("self", "net"));
    let got = links_inside(&["-t", &pid, "-N", &fd], &["net"]);
    assert_eq!(got, std::slice::from_ref(&inside));
    // -N overrides -n; a negative descriptor is ignored
    assert_eq!(links_inside(&["-t", &pid, "-n", &format!("--net-socket={fd}")], &["net"]), [inside]);
    assert_eq!(links_inside(&["-t", &pid, "-n", "-N", "-1"], &["net"]), [link("self", "net")]);
    let (_, err, code) = nsenter(&["-t", &pid, "-N", "0", "true"]);
    assert_eq!(code, 1);
    assert!(err.ends_with(", SIOCGSKNS): Inappropriate ioctl for device\n"), "{err}");
    let (_, err, code) = nsenter(&["-t", &pid, "-N", "999", "true"]);
    assert_eq!(code, 1);
    assert!(err.starts_with("rs-nsenter: pidfd_getfd(") && err.ends_with(", 999): Bad file descriptor\n"), "{err}");
}

/// `-N` with a tun file (`/dev/net/tun`, opened in another network namespace): the tun
/// driver answers `SIOCGSKNS` with that namespace, as the newest util-linux's `nsenter`
/// uses it (2.38.1, in /usr/bin, has no `-N` to compare with).
#[test]
fn net_socket_of_a_tun_file() {
    if !require_root() {
        return;
    }
    let (py, fd, inside) = holding_from_another_netns("os.open('/dev/net/tun', os.O_RDWR)");
    let pid = py.pid();
    assert_ne!(inside, link("self", "net"));
    let args = ["-t", &pid, "-N", &fd, "readlink", "/proc/self/ns/net"];
    assert_eq!(nsenter(&args), (format!("{inside}\n"), String::new(), 0));
}

#[test]
fn exit_status_and_signals() {
    if !require_root() {
        return;
    }
    let t = Target::unshare(&["-p", "-n"]);
    let pid = t.pid();
    for extra in [&["-p"][..], &["-n"][..], &["-p", "-F"][..]] {
        for (script, want, status) in [
            ("exit 7", 7, (Some(7), None)),
            ("kill -TERM $$", 143, (None, Some(libc::SIGTERM))),
            ("kill -KILL $$", 137, (None, Some(libc::SIGKILL))),
            ("true", 0, (Some(0), None)),
        ] {
            let mut a = vec!["-t", pid.as_str()];
            a.extend_from_slice(extra);
            a.extend(["sh", "-c", script]);
            let o = common::run_timeout(Command::new(BIN).args(&a), 60);
            // a signal is passed on as a death by that signal, not as an exit status
            assert_eq!((o.status.code(), o.status.signal()), status, "{a:?}");
            if extra == ["-p"] {
                assert_eq!(oracle(&a).2, want, "oracle {a:?}");
            }
        }
    }
    // started with SIGTERM ignored, then blocked: the forking parent still dies of it
    let wrapper = r#"
import os, signal, sys
how, bin, pid = sys.argv[1:4]
if how == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
else:
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
child = "import os, signal; signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM]); " \
        "signal.signal(signal.SIGTERM, signal.SIG_DFL); os.kill(os.getpid(), signal.SIGTERM)"
os.execv(bin, [bin, "-t", pid, "-p", "/usr/bin/python3", "-c", child])
"#;
    for how in ["ignore", "block"] {
        let o = common::run_timeout(Command::new("/usr/bin/python3").args(["-c", wrapper, how, BIN, &pid]), 60);
        assert_eq!(o.status.signal(), Some(libc::SIGTERM), "{how}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn job_control_with_a_stopped_child() {
    if !require_root() {
        return;
    }
    let t = Target::unshare(&["-p"]);
    let child = Command::new(BIN)
        .args(["-t", &t.pid(), "-p", "sh", "-c", "kill -STOP $$; echo continued"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let us = child.id() as i32;
    wait_until("rs-nsenter to stop with its child", || state(us) == Some(b'T'));
    let inner = child_of(us, None);
    assert_eq!(state(inner), Some(b'T'));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(us), nix::sys::signal::Signal::SIGCONT).unwrap();
    let o = common::wait_timeout(child, 60);
    assert_eq!(common::code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "continued\n");
}

#[test]
fn descriptors_do_not_leak() {
    if !require_root() {
        return;
    }
    let t = Target::all();
    let script = "ls /proc/self/fd";
    let (direct, _, _) = run(Command::new("sh").args(["-c", script]));
    for extra in [&["-a"][..], &["-n", "-r", "-w", "-e"][..], &["-p", "-F"][..]] {
        let mut a = vec!["-t", &t.pid()].into_iter().map(String::from).collect::<Vec<_>>();
        a.extend(extra.iter().map(|s| s.to_string()));
        a.extend(["sh", "-c", script].map(String::from));
        let (out, err, code) = run(Command::new(BIN).args(&a));
        assert_eq!((out.as_str(), code), (direct.as_str(), 0), "{a:?}: {err}");
    }
}

#[test]
fn unprivileged_rootless_container() {
    if !require_unpriv() {
        return;
    }
    let mut c = unpriv(UNSHARE);
    c.args(["-r", "-m", "-n", "-u", "--fork", "--kill-child", "sleep", "300"]);
    let t = Target::spawn(c, 1);
    let pid = t.pid();
    let script = "id -u; readlink /proc/self/ns/user /proc/self/ns/net /proc/self/ns/uts /proc/self/ns/ipc";
    let want =
        format!("0\n{}\n{}\n{}\n{}\n", link(&pid, "user"), link(&pid, "net"), link(&pid, "uts"), link("self", "ipc"));
    for extra in
        [&["--preserve-credentials", "-U", "-m", "-n", "-u"][..], &["-a"][..], &["-a", "--preserve-credentials"][..]]
    {
        let (out, err, code) = run(unpriv_bin(BIN).args(["-t", &pid]).args(extra).args(["sh", "-c", script]));
        assert_eq!((out.as_str(), err.as_str(), code), (want.as_str(), "", 0), "{extra:?}");
    }
    // a user namespace file goes first in the second pass, before the target's others
    let user_file = format!("--user=/proc/{pid}/ns/user");
    let (out, err, code) = run(unpriv_bin(BIN).args(["-t", &pid, &user_file, "-n", "-m", "-u", "sh", "-c", script]));
    assert_eq!((out.as_str(), err.as_str(), code), (want.as_str(), "", 0));
    // util-linux cannot enter it with -a: it tries the shared cgroup namespace too
    let (_, _, code) = run(unpriv(ORACLE).args(["-t", &pid, "-a", "true"]));
    assert_eq!(code, 1);
    // no permission: namespaces of a root-owned target (PID 1's, when we are not root)
    let root_target = is_root().then(|| Target::unshare(&["-n"]));
    let root_pid = root_target.as_ref().map_or("1".to_string(), Target::pid);
    let (_, err, code) = run(unpriv_bin(BIN).args(["-t", &root_pid, "-n", "true"]));
    let hint = format!(
        "rs-nsenter: hint: the net namespace of PID {root_pid} is owned by uid 0 (user namespace {}): run as root\n",
        common::own_ns("user")
    );
    assert_eq!(
        (err.as_str(), code),
        (format!("rs-nsenter: reassociate to namespaces failed: Operation not permitted\n{hint}").as_str(), 1)
    );
    let file = format!("--net=/proc/{root_pid}/ns/net");
    let (_, err, code) = run(unpriv_bin(BIN).args([&file, "true"]));
    assert_eq!(code, 1);
    assert_eq!(err, format!("rs-nsenter: cannot open /proc/{root_pid}/ns/net: Permission denied\n"));
}

#[test]
fn bad_target_pids() {
    for (pid, why) in [
        ("0", "Numerical result out of range"),
        ("-5", "Numerical result out of range"),
        ("1x", "Invalid argument"),
        ("", "Invalid argument"),
        ("99999999999", "Numerical result out of range"),
        ("2147483648", "Numerical result out of range"),
        ("1:x", "Invalid argument"),
    ] {
        let (out, err, code) = nsenter(&["-t", pid, "-n", "true"]);
        assert_eq!((out.as_str(), code), ("", 1), "{pid}");
        assert_eq!(err, format!("rs-nsenter: failed to parse PID argument '{pid}': {why}\n"));
    }
    let (_, err, code) = nsenter(&["-t", "1", "--target=2", "-n", "true"]);
    assert_eq!((err.as_str(), code), ("rs-nsenter: option --target may be given only once\n", 1));
}

#[test]
fn missing_vanished_and_zombie_targets() {
    let (_, err, code) = nsenter(&["-n", "true"]);
    assert_eq!((err.as_str(), code), ("rs-nsenter: no target PID specified\n", 1));
    let (_, err, code) = nsenter(&["-a", "true"]);
    assert_eq!((err.as_str(), code), ("rs-nsenter: no target PID specified\n", 1));
    // a process that has been reaped: the same message as util-linux
    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    let pid = gone.id().to_string();
    let args = ["-t", pid.as_str(), "-n", "true"];
    let (_, err, code) = nsenter(&args);
    assert_eq!(
        (err.as_str(), code),
        (format!("rs-nsenter: cannot open /proc/{pid}/ns/net: No such file or directory\n").as_str(), 1)
    );
    assert_eq!(nsenter(&args), oracle_same(&args));
    // a zombie (ours, not yet reaped) is refused as terminated
    let mut zombie = Command::new("true").spawn().unwrap();
    let zpid = zombie.id() as i32;
    wait_until("a zombie", || state(zpid) == Some(b'Z'));
    for extra in [&["-n"][..], &["-r", "-n"][..], &["-n", "-e"][..], &["-a"][..]] {
        let mut a = vec!["-t".to_string(), zpid.to_string()];
        a.extend(extra.iter().map(|s| s.to_string()));
        a.push("true".into());
        let (_, err, code) = run(Command::new(BIN).args(&a));
        assert_eq!((err.as_str(), code), (format!("rs-nsenter: target process {zpid} has terminated\n").as_str(), 1));
    }
    zombie.wait().unwrap();
}

#[test]
fn pid_with_inode() {
    if !require_root() {
        return;
    }
    let t = Target::unshare(&["-n"]);
    let pidfd = nscore::sys::pidfd_open(nix::unistd::Pid::from_raw(t.pid), 0).unwrap();
    let ino = nix::sys::stat::fstat(pidfd.as_fd()).unwrap().st_ino;
    let good = format!("{}:{ino}", t.pid);
    assert_eq!(links_inside(&["-t", &good, "-n"], &["net"]), [link(t.pid, "net")]);
    let bad = format!("{}:{}", t.pid, ino + 1);
    let (_, err, code) = nsenter(&["-t", &bad, "-n", "true"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!("rs-nsenter: failed to obtain a valid file descriptor for PID {}: No such process\n", t.pid)
    );
}

#[test]
fn files_that_are_not_namespaces() {
    let d = TempDir::new("nsenter-files");
    let fifo = d.path().join("fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let regular = d.path().join("regular");
    fs::write(&regular, "x").unwrap();
    let cases = [
        (format!("--net={}", fifo.display()), format!("{} is not a namespace file: it is a FIFO", fifo.display())),
        (
            format!("--uts={}", regular.display()),
            format!("{} is not a namespace file: it is a regular file", regular.display()),
        ),
        (
            format!("-i{}", d.path().display()),
            format!("{} is not a namespace file: it is a directory", d.path().display()),
        ),
        ("--mount=/dev/null".to_string(), "/dev/null is not a namespace file: it is a character device".to_string()),
        (
            "--uts=/proc/self/ns/net".to_string(),
            "/proc/self/ns/net is a net namespace, not a uts namespace".to_string(),
        ),
        ("--net=/nonexistent".to_string(), "cannot open /nonexistent: No such file or directory".to_string()),
        ("--net=".to_string(), "cannot open : No such file or directory".to_string()),
    ];
    for (arg, msg) in cases {
        // a FIFO must not block: the run has a deadline and fails the test if it hangs
        let o = common::run_timeout(Command::new(BIN).args([arg.as_str(), "true"]), 20);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!((err.as_ref(), common::code(&o)), (format!("rs-nsenter: {msg}\n").as_str(), 1), "{arg}");
    }
}

#[test]
fn nothing_to_enter() {
    if !require_root() {
        return;
    }
    let t = Target::unshare(&["-n"]);
    let (_, err, code) = nsenter(&["-t", &t.pid(), "true"]);
    assert_eq!((err.as_str(), code), ("rs-nsenter: no namespace specified\n", 1));
    let (_, err, code) = nsenter(&["-t", &t.pid(), "-r", "-w", "true"]);
    assert_eq!((err.as_str(), code), ("rs-nsenter: no namespace specified\n", 1));
    // -a with a target that shares every namespace with us: nothing to enter, and the
    // working directory is kept
    let me = Target::unshare(&[]);
    let (out, err, code) = run(Command::new(BIN).args(["-t", &me.pid(), "-a", "pwd"]).current_dir("/usr"));
    assert_eq!((out.as_str(), err.as_str(), code), ("/usr\n", "", 0));
}

#[test]
fn unsupported_features_fail_clearly() {
    if !require_root() {
        return;
    }
    let t = Target::unshare(&["-n"]);
    let pid = t.pid();
    let selinux = Path::new("/sys/fs/selinux/enforce").exists();
    let (_, err, code) = nsenter(&["-t", &pid, "-n", "-Z", "true"]);
    if !selinux {
        assert_eq!((err.as_str(), code), ("rs-nsenter: --follow-context: SELinux is not enabled on this system\n", 1));
    } else {
        common::skip_unavailable("SELinux is enabled: -Z without it not checked");
    }
    let (_, err, code) = nsenter(&["-n", "-Z", "--net=/proc/self/ns/net", "true"]);
    assert_eq!((err.as_str(), code), ("rs-nsenter: no target PID specified for --follow-context\n", 1));
    let release = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut v = release.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    if (v.next().unwrap(), v.next().unwrap()) < (6, 19) {
        let (_, err, code) = nsenter(&["--net=:4026531840", "true"]);
        assert_eq!(code, 1);
        assert!(err.starts_with("rs-nsenter: cannot open namespace of id 4026531840: "), "{err}");
        assert!(err.contains("namespace IDs need Linux 6.19 or newer"), "{err}");
    } else {
        common::skip_unavailable("Linux 6.19 or newer: :nsid refusal not checked");
    }
    let cgroup2 =
        nix::sys::statfs::statfs("/sys/fs/cgroup").unwrap().filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC;
    let (out, err, code) = nsenter(&["-t", &pid, "-n", "-c", "cat", "/proc/self/cgroup"]);
    if cgroup2 {
        assert_eq!((out, code), (fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap(), 0), "{err}");
    } else {
        assert_eq!((err.as_str(), code), ("rs-nsenter: --join-cgroup is only supported in cgroup v2\n", 1));
    }
}

#[test]
fn command_line_like_util_linux() {
    let (out, _, code) = nsenter(&["--help"]);
    assert_eq!(code, 0);
    for long in [
        "--all",
        "--target",
        "--mount",
        "--uts",
        "--ipc",
        "--net",
        "--net-socket",
        "--pid",
        "--cgroup",
        "--user",
        "--user-parent",
        "--time",
        "--setuid",
        "--setgid",
        "--preserve-credentials",
        "--keep-caps",
        "--root",
        "--wd",
        "--wdns",
        "--env",
        "--no-fork",
        "--join-cgroup",
        "--follow-context",
        "--help",
        "--version",
    ] {
        assert!(out.contains(long), "{long} missing from --help");
    }
    let (out, _, code) = nsenter(&["-V"]);
    assert_eq!((out, code), (format!("rs-nsenter from nsutils {}\n", env!("CARGO_PKG_VERSION")), 0));
    for args in [&["--bogus"][..], &["-x"][..], &["-t"][..], &["--net-socket"][..], &["--all=3"][..]] {
        let (out, _, code) = nsenter(args);
        let (oout, _, ocode) = oracle(args);
        assert_eq!((out, code), (oout, ocode), "{args:?}");
    }
    let (_, err, _) = nsenter(&["--bogus"]);
    assert_eq!(err, format!("{BIN}: unrecognized option '--bogus'\nTry 'rs-nsenter --help' for more information.\n"));
}

#[test]
fn exec_failures() {
    if !require_root() {
        return;
    }
    let t = Target::unshare(&["-n"]);
    let pid = t.pid();
    for prog in ["/nonexistent", "/etc/passwd", "no-such-program-xyz"] {
        let a = ["-t", pid.as_str(), "-n", prog];
        let (out, err, code) = nsenter(&a);
        let (oout, oerr, ocode) = oracle(&a);
        assert_eq!((out, code), (oout, ocode), "{prog}");
        assert_eq!(err, oerr.replace("nsenter:", "rs-nsenter:"));
    }
    // an optional value is never taken from the next argument: it is the program
    let a = ["-t", pid.as_str(), "-n", "--uts", "/proc/self/ns/uts"];
    assert_eq!(nsenter(&a).2, 126);
    assert_eq!(nsenter(&a), oracle_same(&a));
}

#[test]
fn keep_caps_in_a_user_namespace() {
    if !require_root() {
        return;
    }
    let t = Target::unshare(&["-U", "--map-root-user"]);
    let pid = t.pid();
    let amb = |extra: &[&str]| {
        let mut a = vec!["-t", pid.as_str(), "-U"];
        a.extend_from_slice(extra);
        a.extend(["sh", "-c", "grep CapAmb /proc/self/status"]);
        nsenter(&a)
    };
    let (out, err, code) = amb(&["--keep-caps"]);
    assert_eq!(code, 0, "{err}");
    assert_ne!(out.trim(), "CapAmb:\t0000000000000000");
    assert_eq!(amb(&[]).0.trim(), "CapAmb:\t0000000000000000");
}

#[test]
fn thread_ids_use_the_per_file_fallback() {
    if !require_root() {
        return;
    }
    // pidfd_open refuses a thread that is not a group leader: the namespaces are then
    // opened one by one through /proc, as on kernels without pidfds.
    let script = r#"
import ctypes, os, threading, time
libc = ctypes.CDLL(None, use_errno=True)
assert libc.unshare(0x04000000) == 0
t = threading.Thread(target=time.sleep, args=(300,), daemon=True)
t.start()
print(t.native_id, flush=True)
time.sleep(300)
"#;
    let (py, line) = python_target(script);
    let pid = py.pid;
    let tid = line.trim().to_string();
    assert_ne!(tid, pid.to_string());
    assert!(nscore::sys::pidfd_open(nix::unistd::Pid::from_raw(tid.parse().unwrap()), 0).is_err());
    assert_eq!(links_inside(&["-t", &tid, "-u", "-i"], &["uts", "ipc"]), [link(pid, "uts"), link("self", "ipc")]);
    let (_, err, code) = nsenter(&["-t", &tid, "-N", "0", "true"]);
    assert_eq!(code, 1);
    assert!(err.starts_with(&format!("rs-nsenter: failed to pidfd_open() for {tid}: ")), "{err}");
}
