//! Shared helpers for the integration tests: privilege checks that skip visibly (and
//! never skip in CI), running a binary as uid 65534, bounded waits, looking at processes
//! in /proc, and mount-table snapshots.
#![allow(dead_code)]

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// True when running in CI, where a missing privilege is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The environment variable naming the file where skips are recorded; `make test` sets
/// it, empties the file first and prints a summary of it at the end.
pub const SKIP_LOG_VAR: &str = "NSUTILS_SKIP_LOG";

/// Reports that (part of) the running test cannot run here, and returns false; in CI it
/// fails the test instead. `label` names the test, or the part of it, that is skipped.
///
/// libtest captures `print!`/`eprint!` of passing tests, so the note is written to the
/// stderr descriptor directly: it shows in the output of `cargo test` next to the test's
/// `ok`. It is also appended (one line, one `write`) to the file `$NSUTILS_SKIP_LOG`, from
/// which `make test` prints how many tests were skipped, and why, after the last test
/// binary. Each (test, reason) pair is reported once per process.
pub fn skip(label: &str, reason: &str) -> bool {
    assert!(!in_ci(), "{label}: {reason}, and CI must run every test");
    skip_unavailable(label, reason)
}

/// Like [`skip`], also in CI: for what no privilege or package can give a machine (a
/// cgroup v1 hierarchy on a cgroup2-only host), where another test covers the same ground.
pub fn skip_unavailable(label: &str, reason: &str) -> bool {
    let test = test_name(label);
    static SEEN: Mutex<Option<HashSet<(String, String)>>> = Mutex::new(None);
    let first = SEEN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashSet::new)
        .insert((test.clone(), reason.to_string()));
    if first {
        let _ = std::io::stderr().lock().write_all(format!("    skipped: {test}: {reason}\n").as_bytes());
        if let Some(log) = std::env::var_os(SKIP_LOG_VAR) {
            let line = format!("{test}\t{reason}\n");
            let f = fs::OpenOptions::new().create(true).append(true).open(log);
            let _ = f.and_then(|mut f| f.write_all(line.as_bytes()));
        }
    }
    false
}

/// `<test binary>::<test>`: libtest runs each test on a thread named after it, which
/// also names a test whose helper reports the skip; `label` where there is no such name.
fn test_name(label: &str) -> String {
    let exe = std::env::current_exe().ok();
    let stem = exe.as_deref().and_then(Path::file_stem).map(|s| s.to_string_lossy().into_owned());
    // cargo names test binaries `<file>-<16 hex digits>`
    let bin = stem.map(|s| s.rsplit_once('-').map_or(s.clone(), |(b, _)| b.to_string())).unwrap_or_default();
    let thread = std::thread::current();
    let name = thread.name().filter(|n| *n != "main").unwrap_or(label);
    format!("{bin}::{name}")
}

/// Skips (returns false) when not root, except in CI where it fails.
pub fn require_root(test: &str) -> bool {
    nix::unistd::geteuid().is_root() || skip(test, "needs root")
}

/// Whether an unprivileged user may create user namespaces here (checked by trying).
pub fn unpriv_userns_ok() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        nobody("/usr/bin/unshare")
            .args(["-U", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Skips (returns false) when uid 65534 cannot run the unprivileged tests, except in CI.
pub fn require_unpriv(test: &str) -> bool {
    if !require_root(test) {
        return false;
    }
    unpriv_userns_ok() || skip(test, "needs unprivileged user namespaces, which this machine disallows")
}

/// A copy of `bin` that uid 65534 can execute: the checkout may sit under a private
/// directory (such as /root), so the binary is copied to a world-readable temporary one,
/// one directory per test process, removed when the process ends (see [`remove_at_exit`];
/// directories of runs whose watcher was killed too are removed by the next run).
pub fn world_exec_copy(bin: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        // copies of earlier test runs whose process is gone
        for e in fs::read_dir(std::env::temp_dir()).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let gone = |pid: &&str| !Path::new(&format!("/proc/{pid}")).exists();
            if name.strip_prefix("nsutils-test-").filter(gone).is_some() {
                let _ = fs::remove_dir_all(e.path());
            }
        }
        let d = std::env::temp_dir().join(format!("nsutils-test-{}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
        remove_at_exit(&d);
        d
    });
    let src = Path::new(bin);
    let dst = dir.join(src.file_name().unwrap());
    static COPYING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = COPYING.lock().unwrap_or_else(|e| e.into_inner());
    if !dst.exists() {
        // cp writes the copy in its own process: a descriptor open for writing in this
        // multi-threaded process could leak into a child another test is forking, and
        // exec'ing the copy would then fail with ETXTBSY
        let tmp = dir.join(format!("{}.tmp", src.file_name().unwrap().to_string_lossy()));
        assert!(Command::new("cp").arg(src).arg(&tmp).status().unwrap().success());
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).unwrap();
        fs::rename(&tmp, &dst).unwrap();
    }
    dst
}

/// Removes `dir` once this test process has ended, however it ends (libtest has no
/// teardown hook, and a `static` is never dropped): a watcher process blocks reading a
/// pipe whose only writer is this process, and removes `dir` at end-of-file, which the
/// kernel delivers when this process exits, also by a signal or an abort. The write end
/// is close-on-exec, so no program the tests start keeps it open; the watcher ignores
/// the Ctrl-C that interrupts the test run, so that it can still clean up after it.
fn remove_at_exit(dir: &Path) {
    // (the watcher is never waited for: it outlives us, and init reaps it)
    static WATCHER: OnceLock<(OwnedFd, Child)> = OnceLock::new();
    let (reader, writer) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).expect("pipe2");
    let watcher = Command::new("/bin/sh")
        .args(["-c", "trap '' INT TERM HUP QUIT; read -r _; exec rm -rf -- \"$0\""])
        .arg(dir)
        .stdin(Stdio::from(reader))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .current_dir("/")
        .spawn()
        .expect("spawn the watcher that removes the binary copies");
    assert!(WATCHER.set((writer, watcher)).is_ok(), "remove_at_exit runs once per process");
}

/// A command that runs `bin args...` as uid/gid 65534 with no supplementary groups (a
/// binary under test, through its [`world_exec_copy`]; see [`nobody`]).
pub fn as_nobody(bin: &str) -> Command {
    nobody(world_exec_copy(bin))
}

/// Runs a command with a deadline (a hung namespace test must not hang CI); the child
/// is killed by PID if it overruns, and the test fails.
pub fn run_timeout(cmd: &mut Command, secs: u64) -> Output {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn");
    wait_timeout(child, secs)
}

/// `cmd` run as [`run_timeout`] does, again while it fails the way util-linux 2.38.1's
/// lsns does when a process vanishes in the middle of its scan (exit 1, not a word),
/// which the tests running beside each other make likely; at most 10 tries.
pub fn run_lsns_retrying(cmd: &mut Command, secs: u64) -> Output {
    let mut tries = 1;
    loop {
        let o = run_timeout(cmd, secs);
        if !(o.status.code() == Some(1) && o.stderr.is_empty()) || tries == 10 {
            return o;
        }
        tries += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for a spawned child with a deadline, collecting its output.
pub fn wait_timeout(mut child: Child, secs: u64) -> Output {
    let deadline = Instant::now() + Duration::from_secs(secs);
    // read the pipes on threads so a chatty child cannot block on a full pipe
    let out = child.stdout.take().map(|mut s| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut s, &mut v).ok();
            v
        })
    });
    let err = child.stderr.take().map(|mut s| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut s, &mut v).ok();
            v
        })
    });
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("command timed out after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out.map(|t| t.join().unwrap()).unwrap_or_default(),
        stderr: err.map(|t| t.join().unwrap()).unwrap_or_default(),
    }
}

/// Runs and returns (stdout, stderr, exit code or 128+signal).
pub fn run(cmd: &mut Command) -> (String, String, i32) {
    let o = run_timeout(cmd, 60);
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned(), code(&o))
}

/// The shell-style status: the exit code, or 128 + the signal that killed it.
pub fn code(o: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    o.status.code().unwrap_or_else(|| 128 + o.status.signal().unwrap_or(0))
}

/// Our mount table (mount points only), to check that nothing was left mounted.
pub fn mount_points() -> Vec<String> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut v: Vec<String> = text.lines().map(|l| l.split(' ').nth(4).unwrap_or("").to_string()).collect();
    v.sort();
    v
}

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

/// A private scratch directory (removed by the caller's `TempDir` drop).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("nsutils-{tag}-{}-{n}", std::process::id()));
        fs::create_dir_all(&p).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The width rs-lsns (and the newest util-linux) gives a table column off a terminal:
/// the header's width (`None` without headings: 1, or 0 for a column of empty cells) if
/// every cell fits in it, else the widest cell but at least the column's width hint
/// (PID 5, NS 10, ...). Tests build expected tables with it.
pub fn lsns_width(widest: usize, header: Option<usize>, hint: usize) -> usize {
    let min = header.unwrap_or(widest.min(1));
    if widest <= min {
        min
    } else {
        widest.max(hint)
    }
}

/// Waits (30 s at most, else the test fails) until `cond` holds.
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    wait_for(what, || cond().then_some(()))
}

/// Polls `f` every 10 ms until it returns a value; fails the test after 30 s.
pub fn wait_for<T>(what: &str, f: impl FnMut() -> Option<T>) -> T {
    wait_for_within(what, 30, f)
}

/// Polls `f` every 10 ms until it returns a value; fails the test after `secs` s.
pub fn wait_for_within<T>(what: &str, secs: u64, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Starts `cmd` with stdin from /dev/null and stdout and stderr piped (collect them with
/// [`wait_timeout`]).
pub fn spawn_piped(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn")
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

/// Stand-ins for host files (such as /etc/subuid) that a test needs with its own content:
/// each command [`StandIns::wrap`] returns runs in a private mount namespace of its own,
/// where the stand-ins are bind-mounted over the host's files. The host's files are
/// never written, and nothing stays mounted: the namespace ends with the command.
///
/// A host file that does not exist cannot be mounted over; then the directory holding
/// it is covered by an overlay whose upper layer is scratch space of the test, and the
/// stand-ins are copied into it.
pub struct StandIns {
    dir: TempDir,
    /// (host file, our stand-in), all in one host directory.
    files: Vec<(PathBuf, PathBuf)>,
}

impl StandIns {
    /// Stand-ins with `content` for each host file path.
    pub fn new(files: &[(&str, &str)]) -> StandIns {
        let dir = TempDir::new("standins");
        let mut v = Vec::new();
        for (i, (host, content)) in files.iter().enumerate() {
            let ours = dir.path().join(format!("file{i}"));
            fs::write(&ours, content).unwrap();
            fs::set_permissions(&ours, fs::Permissions::from_mode(0o644)).unwrap();
            v.push((PathBuf::from(host), ours));
        }
        StandIns { dir, files: v }
    }

    /// The mounts, as a shell script that then execs its arguments.
    fn script(&self) -> String {
        let q = |p: &Path| format!("'{}'", p.display());
        let mut s = String::from("set -e\n");
        if self.files.iter().all(|(host, _)| host.exists()) {
            for (host, ours) in &self.files {
                s.push_str(&format!("mount --bind {} {}\n", q(ours), q(host)));
            }
        } else {
            let parent = self.files[0].0.parent().unwrap();
            assert!(self.files.iter().all(|(h, _)| h.parent() == Some(parent)), "stand-ins in one directory");
            let (upper, work) = (self.dir.path().join("upper"), self.dir.path().join("work"));
            fs::create_dir_all(&upper).unwrap();
            fs::create_dir_all(&work).unwrap();
            let opts = format!("lowerdir={},upperdir={},workdir={}", parent.display(), upper.display(), work.display());
            s.push_str(&format!("mount -t overlay -o {} nsutils-test {}\n", q(Path::new(&opts)), q(parent)));
            for (host, ours) in &self.files {
                s.push_str(&format!("cp {} {}\n", q(ours), q(host)));
            }
        }
        s.push_str("exec \"$@\"\n");
        s
    }

    /// `cmd` (program, arguments, environment changes and directory), run where the
    /// stand-ins cover the host's files.
    pub fn wrap(&self, cmd: &Command) -> Command {
        let mut c = Command::new("/usr/bin/unshare");
        c.args(["--mount", "--propagation", "private", "/bin/sh", "-c", &self.script(), "sh"]);
        c.arg(cmd.get_program()).args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        if let Some(d) = cmd.get_current_dir() {
            c.current_dir(d);
        }
        c
    }
}

/// Runs a command (program first) that must succeed.
pub fn sh(args: &[&str]) {
    let (out, err, rc) = run(Command::new(args[0]).args(&args[1..]));
    assert_eq!(rc, 0, "{args:?}: {out}{err}");
}

/// Mount points a test made; detached on drop, the last made first.
pub struct Mounted(pub Vec<PathBuf>);

impl Drop for Mounted {
    fn drop(&mut self) {
        for m in self.0.iter().rev() {
            let _ = nix::mount::umount2(m, nix::mount::MntFlags::MNT_DETACH);
        }
    }
}

/// An `ip netns` name a test made; deleted on drop.
pub struct Netns(pub String);

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = run(Command::new("ip").args(["netns", "del", &self.0]));
    }
}

/// A command that runs `program` as uid/gid 65534 with no supplementary groups, in `/`
/// and with a PATH uid 65534 may search (the caller's may hold private directories).
/// `program` must be one uid 65534 may execute where it is, such as /usr/bin/unshare;
/// the binaries under test go through [`as_nobody`].
pub fn nobody(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new("/usr/bin/setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(program);
    c.current_dir("/");
    c.env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    c
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
