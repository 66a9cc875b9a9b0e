//! Scratch directories, stand-ins for host files, and mounts a test made.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::run;

/// Our mount table (mount points only), to check that nothing was left mounted.
pub fn mount_points() -> Vec<String> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut v: Vec<String> = text.lines().map(|l| l.split(' ').nth(4).unwrap_or("").to_string()).collect();
    v.sort();
    v
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
