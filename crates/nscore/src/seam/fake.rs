//! A recording [`Syscall`] for unit tests: it answers from a script and logs every call
//! as one readable line, so a test states the order of operations as the list of lines
//! it expects, and runs without root.
//!
//! One fake follows one process. `fork` returns what the test queued with
//! [`Fake::fork_as`] (a new child PID by default), so a test of a child's steps queues
//! [`Forked::Child`]. `exit` and a successful `exec` end the run: they unwind to
//! [`Fake::run`], which reports how the run ended as an [`Ended`].
//!
//! Descriptors are real (each is a fresh `/dev/null`), so the code under test handles
//! `OwnedFd`s as it does for real; the fake remembers what each one stands for and logs
//! that name (`/proc/42/ns/net`, `pipe1.w`, `pidfd 42`; `fd:/run/uts` where a call takes a
//! descriptor in place of a path), never a descriptor number. Every
//! `open` must ask for `O_CLOEXEC`: the fake panics otherwise, so the rule is tested too.
//!
//! Defaults, each overridable: every call succeeds; `read` on a pipe gets the go-ahead
//! byte; `waitpid` reports exit status 0; files have distinct identities and are regular;
//! a file's namespace type is its last path component (`.../ns/net` is a network
//! namespace); `statfs` finds nothing, `fstatfs` finds nsfs; `poll` finds nothing ready.
//! Queries without effects (`getpid`, `getuid`) are answered (PID 1000, uid 0), not logged.
//!
//! A child that drops its credentials and exits, then the same with a refused `setgid`:
//!
//! ```
//! use nix::errno::Errno;
//! use nscore::creds::{switch, DropGroups};
//! use nscore::sys::Forked;
//! use nscore::seam::fake::{Ended, Fake};
//! use nscore::seam::Syscall;
//!
//! fn child_as_100<S: Syscall>(sys: &mut S) -> nscore::Result<i32> {
//!     let Ok(Forked::Child) = sys.fork() else { return Ok(1) };
//!     switch(sys, Some(100), Some(100), DropGroups::Required)?;
//!     sys.exit(0)
//! }
//!
//! let mut fake = Fake::new();
//! fake.fork_as(Forked::Child);
//! assert_eq!(fake.run(child_as_100), Ended::Exit(0));
//! // groups before gid before uid: after setuid the others could no longer change
//! assert_eq!(fake.log(), ["fork -> child", "setgroups []", "setgid 100", "setuid 100", "exit 0"]);
//!
//! let mut fake = Fake::new();
//! fake.fork_as(Forked::Child).fail("setgid", Errno::EPERM);
//! let failed = Ended::Failed("setgid() failed: Operation not permitted".into(), 1);
//! assert_eq!(fake.run(child_as_100), failed);
//! assert_eq!(fake.log(), ["fork -> child", "setgroups []", "setgid 100 -> EPERM"]);
//! ```

use std::collections::{HashMap, VecDeque};
use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::signal::SigSet;
use nix::sys::stat::Mode;
use nix::sys::statfs::{FsType, NSFS_MAGIC};
use nix::unistd::Pid;

use super::{Stat, Syscall};
use crate::error::{Error, Result};
use crate::exec::Program;
use crate::nstype::NsType;
use crate::sys::Forked;

/// How a run under the fake ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The function returned this status.
    Status(i32),
    /// The function returned an error: its message (without the hint) and exit status.
    Failed(String, i32),
    /// The process called `exit` with this status.
    Exit(i32),
    /// The process replaced itself with the program (`exec` succeeded).
    Exec,
}

/// The unwinding payload of `exit` and `exec`.
struct Unwind(Ended);

/// A failure the test asked for: calls whose log line starts with `prefix` fail.
struct Failure {
    prefix: String,
    errno: Errno,
    once: bool,
}

/// The recording fake. See the module documentation.
#[derive(Default)]
pub struct Fake {
    log: Vec<String>,
    labels: HashMap<RawFd, String>,
    forks: VecDeque<Forked>,
    children: i32,
    pipes: u32,
    failures: Vec<Failure>,
    statuses: HashMap<i32, VecDeque<i32>>,
    files: HashMap<String, Vec<u8>>,
    stats: HashMap<String, Stat>,
    nstypes: HashMap<String, NsType>,
    fs_types: HashMap<String, FsType>,
    links: HashMap<String, OsString>,
    dirs: HashMap<String, Vec<OsString>>,
    missing: Vec<String>,
    readable: Vec<String>,
    groups: Vec<u32>,
}

impl Fake {
    /// The PID the fake process has.
    pub const PID: i32 = 1000;

    /// A fake where everything succeeds.
    pub fn new() -> Fake {
        Fake::default()
    }

    /// Queues what the next `fork` returns (by default: a new child, PID 1001 on).
    pub fn fork_as(&mut self, f: Forked) -> &mut Fake {
        self.forks.push_back(f);
        self
    }

    /// Makes directory `path` list these names (`list_dir` of any other fails: `ENOENT`).
    pub fn set_dir(&mut self, path: &str, names: &[&str]) -> &mut Fake {
        self.dirs.insert(path.to_string(), names.iter().map(OsString::from).collect());
        self
    }

    /// Makes every call whose log line starts with `prefix` fail with `errno`.
    pub fn fail(&mut self, prefix: &str, errno: Errno) -> &mut Fake {
        self.failures.push(Failure { prefix: prefix.to_string(), errno, once: false });
        self
    }

    /// Makes the next call whose log line starts with `prefix` fail with `errno`.
    pub fn fail_once(&mut self, prefix: &str, errno: Errno) -> &mut Fake {
        self.failures.push(Failure { prefix: prefix.to_string(), errno, once: true });
        self
    }

    /// Queues a raw wait status for the next `waitpid` of `pid`.
    pub fn wait_status(&mut self, pid: i32, raw: i32) -> &mut Fake {
        self.statuses.entry(pid).or_default().push_back(raw);
        self
    }

    /// What reading the file named `label` gives.
    pub fn set_file(&mut self, label: &str, content: &[u8]) -> &mut Fake {
        self.files.insert(label.to_string(), content.to_vec());
        self
    }

    /// What `stat`/`fstat` of the file named `label` gives.
    pub fn set_stat(&mut self, label: &str, st: Stat) -> &mut Fake {
        self.stats.insert(label.to_string(), st);
        self
    }

    /// Makes `b` the same file as `a` (for "already in that namespace" checks).
    pub fn same_file(&mut self, a: &str, b: &str) -> &mut Fake {
        let st = self.stat_of(a);
        self.set_stat(b, st)
    }

    /// The namespace type `NS_GET_NSTYPE` reports for the file named `label`.
    pub fn set_nstype(&mut self, label: &str, t: NsType) -> &mut Fake {
        self.nstypes.insert(label.to_string(), t);
        self
    }

    /// The file system `statfs`/`fstatfs` report for `label`.
    pub fn set_fs_type(&mut self, label: &str, t: FsType) -> &mut Fake {
        self.fs_types.insert(label.to_string(), t);
        self
    }

    /// Where the link named `label` points.
    pub fn set_link(&mut self, label: &str, target: &str) -> &mut Fake {
        self.links.insert(label.to_string(), target.into());
        self
    }

    /// Makes `exists` false for `path`.
    pub fn set_missing(&mut self, path: &str) -> &mut Fake {
        self.missing.push(path.to_string());
        self
    }

    /// Makes `poll` find the descriptor named `label` readable (a pidfd whose process ended).
    pub fn set_readable(&mut self, label: &str) -> &mut Fake {
        self.readable.push(label.to_string());
        self
    }

    /// The supplementary groups `getgroups` reports.
    pub fn set_groups(&mut self, groups: &[u32]) -> &mut Fake {
        self.groups = groups.to_vec();
        self
    }

    /// Runs `body` (the code under test) against the fake until it returns, exits or
    /// execs.
    pub fn run(&mut self, body: impl FnOnce(&mut Fake) -> Result<i32>) -> Ended {
        match catch_unwind(AssertUnwindSafe(|| body(self))) {
            Ok(Ok(code)) => Ended::Status(code),
            Ok(Err(e)) => Ended::Failed(e.to_string(), e.exit_code()),
            Err(payload) => match payload.downcast::<Unwind>() {
                Ok(u) => u.0,
                Err(other) => resume_unwind(other),
            },
        }
    }

    /// Every call so far, one line each.
    pub fn log(&self) -> Vec<&str> {
        self.log.iter().map(String::as_str).collect()
    }

    /// The calls whose first word is one of `verbs`, to pin the order of some steps
    /// among many.
    pub fn calls(&self, verbs: &[&str]) -> Vec<&str> {
        self.log().into_iter().filter(|l| verbs.contains(&l.split(' ').next().unwrap_or_default())).collect()
    }

    /// Logs a call, failing it if the test asked for that.
    fn call(&mut self, line: String) -> Result<(), Errno> {
        let hit = self.failures.iter().position(|f| line.starts_with(&f.prefix));
        let Some(i) = hit else {
            self.log.push(line);
            return Ok(());
        };
        let errno = self.failures[i].errno;
        if self.failures[i].once {
            self.failures.remove(i);
        }
        self.log.push(format!("{line} -> {errno:?}"));
        Err(errno)
    }

    /// Adds the answer to the last log line.
    fn annotate(&mut self, what: &str) {
        if let Some(last) = self.log.last_mut() {
            last.push_str(" -> ");
            last.push_str(what);
        }
    }

    /// A new descriptor standing for `label`.
    fn fd(&mut self, label: String) -> OwnedFd {
        let fd = OwnedFd::from(std::fs::File::open("/dev/null").expect("the fake's descriptors are /dev/null"));
        self.labels.insert(fd.as_raw_fd(), label);
        fd
    }

    fn label(&self, fd: BorrowedFd<'_>) -> String {
        self.labels.get(&fd.as_raw_fd()).cloned().unwrap_or_else(|| "(unknown fd)".to_string())
    }

    /// The name of `path` opened relative to `at`.
    fn path_label(&self, at: Option<BorrowedFd<'_>>, path: &Path) -> String {
        let p = path.to_string_lossy();
        match at {
            Some(dir) => format!("{}/{p}", self.label(dir)),
            None => p.into_owned(),
        }
    }

    fn stat_of(&self, label: &str) -> Stat {
        self.stats.get(label).copied().unwrap_or_else(|| Stat {
            dev: 1,
            // FNV-1a: a stable, distinct identity per name
            ino: label.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)),
            mode: libc::S_IFREG | 0o444,
            uid: 0,
            gid: 0,
            rdev: 0,
        })
    }

    fn unwind(&mut self, end: Ended) -> ! {
        resume_unwind(Box::new(Unwind(end)))
    }
}

/// `O_*` flags worth showing (read-only and close-on-exec go without saying).
fn oflags(flags: OFlag) -> String {
    let names = [
        (OFlag::O_WRONLY, "wronly"),
        (OFlag::O_RDWR, "rdwr"),
        (OFlag::O_PATH, "path"),
        (OFlag::O_DIRECTORY, "dir"),
        (OFlag::O_APPEND, "append"),
        (OFlag::O_CREAT, "creat"),
        (OFlag::O_TRUNC, "trunc"),
    ];
    let shown = names_of(&names, |f| flags.contains(f));
    if shown.is_empty() {
        String::new()
    } else {
        format!(" [{}]", shown.join(","))
    }
}

fn msflags(flags: MsFlags) -> String {
    let names = [
        (MsFlags::MS_BIND, "bind"),
        (MsFlags::MS_REC, "rec"),
        (MsFlags::MS_PRIVATE, "private"),
        (MsFlags::MS_SHARED, "shared"),
        (MsFlags::MS_SLAVE, "slave"),
        (MsFlags::MS_RDONLY, "ro"),
        (MsFlags::MS_NOSUID, "nosuid"),
        (MsFlags::MS_NODEV, "nodev"),
        (MsFlags::MS_NOEXEC, "noexec"),
    ];
    names_of(&names, |f| flags.contains(f)).join(",")
}

/// The names in `table` of the flags that are set.
fn names_of<F: Copy>(table: &[(F, &'static str)], set: impl Fn(F) -> bool) -> Vec<&'static str> {
    table.iter().filter(|(f, _)| set(*f)).map(|(_, n)| *n).collect()
}

/// `CLONE_NEW*` bits as type names in table order.
fn namespaces(flags: libc::c_int) -> String {
    let names: Vec<&str> = NsType::ALL.iter().filter(|t| flags & t.clone_flag() != 0).map(|t| t.proc_name()).collect();
    names.join(",")
}

fn sig(s: i32) -> String {
    format!("SIG{}", crate::signal::name(s))
}

impl Syscall for Fake {
    fn fork(&mut self) -> Result<Forked, Errno> {
        self.call("fork".into())?;
        let f = self.forks.pop_front().unwrap_or_else(|| {
            self.children += 1;
            Forked::Parent(Pid::from_raw(Fake::PID + self.children))
        });
        self.annotate(&match f {
            Forked::Child => "child".to_string(),
            Forked::Parent(pid) => pid.to_string(),
        });
        Ok(f)
    }
    fn exit(&mut self, code: i32) -> ! {
        self.log.push(format!("exit {code}"));
        self.unwind(Ended::Exit(code))
    }
    fn getpid(&mut self) -> Pid {
        Pid::from_raw(Fake::PID)
    }
    fn getuid(&mut self) -> u32 {
        0
    }
    fn waitpid(&mut self, pid: Pid, flags: libc::c_int) -> Result<libc::c_int, Errno> {
        let untraced = if flags & libc::WUNTRACED != 0 { " untraced" } else { "" };
        self.call(format!("waitpid {pid}{untraced}"))?;
        Ok(self.statuses.get_mut(&pid.as_raw()).and_then(VecDeque::pop_front).unwrap_or(0))
    }
    fn kill(&mut self, pid: Pid, s: i32) -> Result<(), Errno> {
        self.call(format!("kill {pid} {}", sig(s)))
    }
    fn exec(&mut self, prog: &Program, _env: Option<&[OsString]>) -> Error {
        let mut line = format!("exec {}", prog.display_name());
        for a in prog.argv.iter().skip(1) {
            line.push(' ');
            line.push_str(&a.to_string_lossy());
        }
        match self.call(line) {
            Ok(()) => self.unwind(Ended::Exec),
            Err(errno) => Error::Exec { prog: prog.display_name(), errno },
        }
    }

    fn unshare(&mut self, flags: libc::c_int) -> Result<(), Errno> {
        self.call(format!("unshare {}", namespaces(flags)))
    }
    fn setns(&mut self, fd: BorrowedFd<'_>, flags: libc::c_int) -> Result<(), Errno> {
        let line = format!("setns {} {}", self.label(fd), namespaces(flags));
        self.call(line)
    }
    fn ns_get_nstype(&mut self, fd: BorrowedFd<'_>) -> Result<libc::c_int, Errno> {
        let label = self.label(fd);
        self.call(format!("nstype {label}"))?;
        let last = label.rsplit('/').next().unwrap_or_default();
        let t = self.nstypes.get(&label).copied().or_else(|| NsType::from_proc_name(last));
        t.map(NsType::clone_flag).ok_or(Errno::ENOTTY)
    }
    fn ns_get_parent(&mut self, fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        let label = self.label(fd);
        self.call(format!("parent {label}"))?;
        Ok(self.fd(format!("parent of {label}")))
    }
    fn ns_get_userns(&mut self, fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        let label = self.label(fd);
        self.call(format!("userns {label}"))?;
        Ok(self.fd(format!("userns of {label}")))
    }
    fn ns_get_owner_uid(&mut self, fd: BorrowedFd<'_>) -> Result<u32, Errno> {
        let label = self.label(fd);
        self.call(format!("owner {label}"))?;
        Ok(0) // every user namespace is root's
    }
    fn open_ns_by_id(&mut self, _nsfs: BorrowedFd<'_>, id: u64) -> Result<OwnedFd, Errno> {
        self.call(format!("open_by_handle {id}"))?;
        Ok(self.fd(format!("ns id {id}")))
    }
    fn socket_netns(&mut self, sock: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        let label = self.label(sock);
        self.call(format!("SIOCGSKNS {label}"))?;
        Ok(self.fd(format!("netns of {label}")))
    }

    fn pidfd_open(&mut self, pid: Pid) -> Result<OwnedFd, Errno> {
        self.call(format!("pidfd_open {pid}"))?;
        Ok(self.fd(format!("pidfd {pid}")))
    }
    fn pidfd_getfd(&mut self, pidfd: BorrowedFd<'_>, fd: RawFd) -> Result<OwnedFd, Errno> {
        let label = self.label(pidfd);
        self.call(format!("pidfd_getfd {label} {fd}"))?;
        Ok(self.fd(format!("fd {fd} of {label}")))
    }
    fn poll_readable(&mut self, fd: BorrowedFd<'_>) -> Result<bool, Errno> {
        let label = self.label(fd);
        self.call(format!("poll {label}"))?;
        Ok(self.readable.contains(&label))
    }

    fn mount(&mut self, src: Option<&str>, target: &Path, fstype: Option<&str>, flags: MsFlags) -> Result<(), Errno> {
        let (src, fstype) = (src.unwrap_or("-"), fstype.unwrap_or("-"));
        self.call(format!("mount {src} {} {fstype} {}", target.display(), msflags(flags)))
    }
    fn mount_onto_fd(
        &mut self,
        src: Option<&str>,
        target: BorrowedFd<'_>,
        fstype: Option<&str>,
        flags: MsFlags,
    ) -> Result<(), Errno> {
        let (src, fstype) = (src.unwrap_or("-"), fstype.unwrap_or("-"));
        let line = format!("mount {src} fd:{} {fstype} {}", self.label(target), msflags(flags));
        self.call(line)
    }
    fn umount_fd(&mut self, target: BorrowedFd<'_>, flags: MntFlags) -> Result<(), Errno> {
        let detach = if flags.contains(MntFlags::MNT_DETACH) { " detach" } else { "" };
        let line = format!("umount fd:{}{detach}", self.label(target));
        self.call(line)
    }
    fn chroot(&mut self, path: &Path) -> Result<(), Errno> {
        self.call(format!("chroot {}", path.display()))
    }
    fn chdir(&mut self, path: &Path) -> Result<(), Errno> {
        self.call(format!("chdir {}", path.display()))
    }
    fn fchdir(&mut self, dir: BorrowedFd<'_>) -> Result<(), Errno> {
        let line = format!("fchdir {}", self.label(dir));
        self.call(line)
    }

    fn setgroups(&mut self, groups: &[u32]) -> Result<(), Errno> {
        self.call(format!("setgroups {groups:?}"))
    }
    fn getgroups(&mut self) -> Result<Vec<u32>, Errno> {
        self.call("getgroups".into())?;
        Ok(self.groups.clone())
    }
    fn setgid(&mut self, gid: u32) -> Result<(), Errno> {
        self.call(format!("setgid {gid}"))
    }
    fn setuid(&mut self, uid: u32) -> Result<(), Errno> {
        self.call(format!("setuid {uid}"))
    }
    fn keep_caps(&mut self) -> Result<()> {
        self.call("keep caps".into()).map_err(|e| Error::sys("capset failed", e))
    }
    fn set_pdeathsig(&mut self, s: i32) -> Result<(), Errno> {
        self.call(format!("pdeathsig {}", sig(s)))
    }

    fn default_action(&mut self, s: i32) -> Result<(), Errno> {
        self.call(format!("default {}", sig(s)))
    }
    fn block_signals(&mut self, sigs: &[i32]) -> Result<SigSet, Errno> {
        let names: Vec<String> = sigs.iter().map(|&s| sig(s)).collect();
        self.call(format!("block {}", names.join(",")))?;
        Ok(SigSet::empty())
    }
    fn set_sigmask(&mut self, _mask: &SigSet) -> Result<(), Errno> {
        self.call("setmask".into())
    }
    fn forward_signals_to(&mut self, child: Pid) -> Result<(), (i32, Errno)> {
        self.call(format!("forward SIGTERM,SIGINT to {child}")).map_err(|e| (libc::SIGTERM, e))
    }
    fn reset_and_unblock(&mut self, s: i32) -> Result<(), Errno> {
        self.call(format!("reset {}", sig(s)))
    }

    fn pipe(&mut self) -> Result<(OwnedFd, OwnedFd), Errno> {
        self.call("pipe".into())?;
        self.pipes += 1;
        let name = format!("pipe{}", self.pipes);
        self.annotate(&name);
        Ok((self.fd(format!("{name}.r")), self.fd(format!("{name}.w"))))
    }
    fn open(&mut self, at: Option<BorrowedFd<'_>>, path: &Path, flags: OFlag, _mode: Mode) -> Result<OwnedFd, Errno> {
        let reopened = match (at, path.as_os_str().as_bytes().strip_prefix(b"/proc/self/fd/")) {
            (None, Some(n)) => std::str::from_utf8(n).ok().and_then(|n| n.parse::<RawFd>().ok()),
            _ => None,
        };
        let (verb, label) = match reopened {
            Some(n) => ("reopen", self.labels.get(&n).cloned().unwrap_or_else(|| "(unknown fd)".into())),
            None => ("open", self.path_label(at, path)),
        };
        let line = format!("{verb} {label}{}", oflags(flags));
        assert!(flags.contains(OFlag::O_CLOEXEC), "opened without O_CLOEXEC: {line}");
        self.call(line)?;
        Ok(self.fd(label))
    }
    fn read(&mut self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
        let line = format!("read {}", self.label(fd));
        self.call(line)?;
        match buf.first_mut() {
            Some(b) => {
                *b = b'1';
                Ok(1)
            }
            None => Ok(0),
        }
    }
    fn read_to_end(&mut self, file: OwnedFd) -> io::Result<Vec<u8>> {
        let label = self.label(std::os::fd::AsFd::as_fd(&file));
        self.call(format!("read {label}"))?;
        Ok(self.files.get(&label).cloned().unwrap_or_default())
    }
    fn write(&mut self, fd: BorrowedFd<'_>, data: &[u8]) -> Result<usize, Errno> {
        let line = format!("write {} {:?}", self.label(fd), String::from_utf8_lossy(data));
        self.call(line)?;
        Ok(data.len())
    }
    fn read_file(&mut self, path: &Path) -> io::Result<Vec<u8>> {
        let label = path.to_string_lossy().into_owned();
        self.call(format!("read {label}"))?;
        self.files.get(&label).cloned().ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))
    }
    fn fstat(&mut self, fd: BorrowedFd<'_>) -> Result<Stat, Errno> {
        let label = self.label(fd);
        self.call(format!("fstat {label}"))?;
        Ok(self.stat_of(&label))
    }
    fn stat(&mut self, at: Option<BorrowedFd<'_>>, path: &Path) -> Result<Stat, Errno> {
        let label = self.path_label(at, path);
        self.call(format!("stat {label}"))?;
        Ok(self.stat_of(&label))
    }
    fn exists(&mut self, path: &Path) -> bool {
        let label = path.to_string_lossy().into_owned();
        self.call(format!("exists {label}")).is_ok() && !self.missing.contains(&label)
    }
    fn statfs(&mut self, path: &Path) -> Result<FsType, Errno> {
        let label = path.to_string_lossy().into_owned();
        self.call(format!("statfs {label}"))?;
        self.fs_types.get(&label).copied().ok_or(Errno::ENOENT)
    }
    fn fstatfs(&mut self, fd: BorrowedFd<'_>) -> Result<FsType, Errno> {
        let label = self.label(fd);
        self.call(format!("fstatfs {label}"))?;
        Ok(self.fs_types.get(&label).copied().unwrap_or(NSFS_MAGIC))
    }
    fn readlink(&mut self, at: Option<BorrowedFd<'_>>, path: &Path) -> Result<OsString, Errno> {
        let label = self.path_label(at, path);
        self.call(format!("readlink {label}"))?;
        Ok(self.links.get(&label).cloned().unwrap_or_else(|| "/".into()))
    }
    fn list_dir(&mut self, path: &Path) -> Result<Vec<OsString>, Errno> {
        let label = path.to_string_lossy().into_owned();
        self.call(format!("list {label}"))?;
        self.dirs.get(&label).cloned().ok_or(Errno::ENOENT)
    }
    fn read_bounded(&mut self, path: &Path, max: usize) -> Result<Vec<u8>, Errno> {
        let label = path.to_string_lossy().into_owned();
        self.call(format!("read {label}"))?;
        match self.files.get(&label) {
            Some(data) if data.len() > max => Err(Errno::EFBIG),
            Some(data) => Ok(data.clone()),
            None => Err(Errno::ENOENT),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;

    fn e(errno: Errno) -> Error {
        Error::sys("call", errno)
    }

    #[test]
    fn logs_names_not_numbers() {
        let mut f = Fake::new();
        let end = f.run(|s| {
            let dir =
                s.open(None, Path::new("/proc/42"), OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()).map_err(e)?;
            let ns = s.open(Some(dir.as_fd()), Path::new("ns/net"), OFlag::O_CLOEXEC, Mode::empty()).map_err(e)?;
            s.setns(ns.as_fd(), libc::CLONE_NEWNET | libc::CLONE_NEWUSER).map_err(e)?;
            let (_r, w) = s.pipe().map_err(e)?;
            s.write(w.as_fd(), b"1").map_err(e)?;
            Ok(3)
        });
        assert_eq!(end, Ended::Status(3));
        assert_eq!(
            f.log(),
            [
                "open /proc/42 [path]",
                "open /proc/42/ns/net",
                "setns /proc/42/ns/net user,net",
                "pipe -> pipe1",
                "write pipe1.w \"1\""
            ]
        );
    }

    #[test]
    fn scripted_forks_failures_and_endings() {
        let mut f = Fake::new();
        f.fork_as(Forked::Child).fail_once("setuid", Errno::EPERM);
        let end = f.run(|s| {
            assert_eq!(s.fork(), Ok(Forked::Child));
            assert_eq!(s.fork(), Ok(Forked::Parent(Pid::from_raw(1001))));
            assert_eq!(s.setuid(5), Err(Errno::EPERM));
            s.setuid(5).map_err(e)?;
            s.exit(7)
        });
        assert_eq!(end, Ended::Exit(7));
        assert_eq!(f.log(), ["fork -> child", "fork -> 1001", "setuid 5 -> EPERM", "setuid 5", "exit 7"]);
        let prog = Program { path: "true".into(), argv: vec!["true".into(), "x".into()] };
        assert_eq!(Fake::new().run(|s| Err(s.exec(&prog, None))), Ended::Exec);
        let mut f = Fake::new();
        f.fail("exec", Errno::ENOENT);
        assert_eq!(
            f.run(|s| Err(s.exec(&prog, None))),
            Ended::Failed("failed to execute true: No such file or directory".into(), 127)
        );
        assert_eq!(f.log(), ["exec true x -> ENOENT"]);
    }

    #[test]
    #[should_panic(expected = "opened without O_CLOEXEC")]
    fn descriptors_must_be_close_on_exec() {
        let _ = Fake::new().open(None, Path::new("/x"), OFlag::O_RDONLY, Mode::empty());
    }
}
