//! Running programs unprivileged: as uid 65534 when the tests run as root, else as the
//! invoking user.

use std::fs;
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

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

/// Whether the tests run as root (then they also run the binaries as uid 65534).
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The user the tests of unprivileged behaviour run as: the invoking user where that is
/// not root; uid 65534 (through setpriv) where it is root.
pub fn unpriv_uid() -> u32 {
    match nix::unistd::geteuid() {
        uid if uid.is_root() => 65534,
        uid => uid.as_raw(),
    }
}

/// The name of [`unpriv_uid`] in the password database (as lsns shows it in USER), or
/// its number where it has none.
pub fn unpriv_name() -> String {
    let uid = nix::unistd::Uid::from_raw(unpriv_uid());
    nix::unistd::User::from_uid(uid).ok().flatten().map_or_else(|| uid.to_string(), |u| u.name)
}

/// The group of [`unpriv_uid`]: 65534 as root, else the invoking user's.
pub fn unpriv_gid() -> u32 {
    match nix::unistd::geteuid().is_root() {
        true => 65534,
        false => nix::unistd::getegid().as_raw(),
    }
}

/// A command that runs a binary under test as [`unpriv_uid`] (see [`unpriv`]); as
/// root, through its [`world_exec_copy`], which uid 65534 may execute.
pub fn unpriv_bin(bin: &str) -> Command {
    match nix::unistd::geteuid().is_root() {
        true => unpriv(world_exec_copy(bin)),
        false => unpriv(bin),
    }
}

/// A command that runs `program` unprivileged, as [`unpriv_uid`]: as root, through
/// setpriv as uid/gid 65534 with no supplementary groups; else as the invoking user. It
/// runs in `/` and with a PATH uid 65534 may search (the caller's may hold private
/// directories). `program` must be one uid 65534 may execute where it is, such as
/// /usr/bin/unshare; the binaries under test go through [`unpriv_bin`].
pub fn unpriv(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = match nix::unistd::geteuid().is_root() {
        true => {
            let mut c = Command::new("/usr/bin/setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(program);
            c
        }
        false => Command::new(program),
    };
    c.current_dir("/");
    c.env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    c
}
