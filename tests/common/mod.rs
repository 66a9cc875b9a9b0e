//! Shared helpers for the integration tests: privilege checks that never skip in CI,
//! running a binary as uid 65534, bounded waits, and mount-table snapshots.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// True when running in CI, where a missing privilege is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Skips (returns false) when not root, except in CI where it panics.
pub fn require_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    assert!(!in_ci(), "{test}: needs root, and CI must run every privileged test");
    eprintln!("{test}: skipped (needs root)");
    false
}

/// Whether an unprivileged user may create user namespaces here (checked by trying).
pub fn unpriv_userns_ok() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/unshare", "-U", "true"])
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
    if unpriv_userns_ok() {
        return true;
    }
    assert!(!in_ci(), "{test}: unprivileged user namespaces are not allowed, and CI must run this test");
    eprintln!("{test}: skipped (unprivileged user namespaces disallowed)");
    false
}

/// A copy of `bin` that uid 65534 can execute: the checkout may sit under a private
/// directory (such as /root), so the binary is copied to a world-readable temporary one.
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

/// A command that runs `bin args...` as uid/gid 65534 with no supplementary groups.
pub fn as_nobody(bin: &str) -> Command {
    let mut c = Command::new("/usr/bin/setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(world_exec_copy(bin));
    c.current_dir("/");
    // a PATH uid 65534 may search (the caller's may hold private directories)
    c.env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    c
}

/// Runs a command with a deadline (a hung namespace test must not hang CI); the child
/// is killed by PID if it overruns, and the test fails.
pub fn run_timeout(cmd: &mut Command, secs: u64) -> Output {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("spawn");
    wait_timeout(child, secs)
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
    let l = fs::read_link(format!("/proc/self/ns/{name}")).unwrap();
    parse_ns_inode(&l.to_string_lossy())
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
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Starts `cmd` with stdin from /dev/null and stdout and stderr piped (collect them with
/// [`wait_timeout`]).
pub fn spawn_piped(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn")
}

/// The inode of namespace `name` of process `pid` (`None` once the process is gone).
pub fn ns_of(pid: i32, name: &str) -> Option<u64> {
    fs::read_link(format!("/proc/{pid}/ns/{name}")).ok().map(|l| parse_ns_inode(&l.to_string_lossy()))
}

/// The inode of namespace `name` of process `pid`, if it can be read.
pub fn ns_inode(pid: u32, name: &str) -> Option<u64> {
    fs::read_link(format!("/proc/{pid}/ns/{name}")).ok().map(|l| parse_ns_inode(&l.to_string_lossy()))
}

/// The command name of process `pid` (empty once it is gone).
pub fn comm(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim_end().to_string()
}

/// The first child of process `pid`, once it runs `sleep`.
pub fn sleeping_child(pid: u32) -> u32 {
    let mut kid = 0;
    wait_until("a forked child", || {
        let s = fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        kid = s.split_whitespace().next().and_then(|k| k.parse().ok()).unwrap_or(0);
        kid > 0 && comm(kid) == "sleep"
    });
    kid
}

/// A PID namespace with its own /proc: its init (bash) runs `script`, then sleeps. What
/// the script starts gets small PIDs, chosen by writing `/proc/sys/kernel/ns_last_pid`
/// before a fork; a tool run inside ([`PidLab::command`]) sees only the lab's processes.
/// Dropping the lab kills everything in it: its init dies with the unshare process.
pub struct PidLab {
    unshare: Child,
    /// The host PID of the lab's init.
    pub init: i32,
}

impl PidLab {
    /// Starts the lab and waits until each of `pids` (PIDs inside the lab) runs `sleep`.
    pub fn new(script: &str, pids: &[i32]) -> PidLab {
        let unshare = Command::new("/usr/bin/unshare")
            .args(["-fp", "--mount-proc", "--propagation", "private", "--kill-child", "bash", "-c"])
            .arg(format!("{script}\nexec sleep 600"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn unshare");
        let mut lab = PidLab { unshare, init: 0 };
        let me = lab.unshare.id();
        wait_until("the PID namespace lab", || {
            let kids = fs::read_to_string(format!("/proc/{me}/task/{me}/children")).unwrap_or_default();
            lab.init = kids.split_whitespace().next().and_then(|k| k.parse().ok()).unwrap_or(0);
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

    /// The inode of namespace `ty` of process `pid` of the lab.
    pub fn ns(&self, pid: i32, ty: &str) -> u64 {
        let l = fs::read_link(format!("/proc/{}/root/proc/{pid}/ns/{ty}", self.init)).unwrap();
        parse_ns_inode(&l.to_string_lossy())
    }
}

impl Drop for PidLab {
    fn drop(&mut self) {
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}
