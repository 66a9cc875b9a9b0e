//! Carries out a [`Plan`] in util-linux's order of operations. Every system call goes
//! through the [`Syscall`] seam, so the unit tests below pin that order on the recording
//! fake ([`nscore::seam::fake`]), without root.
//!
//! The order is what makes the tool correct: whatever is read by PID must be read before
//! entering (afterwards `/proc` may be another PID namespace's, or out of reach), and
//! credentials can only be dropped after the last step that needs them. The steps, as
//! the comments below number them (the command line has been checked already, so a
//! plan with nothing to enter never gets here: `no namespace specified`):
//!
//! 1. Check what the command line named: namespace files (`--net=FILE`), namespace ids
//!    (`--net=:ID`), `-r DIR`, `-w DIR`. The plan opened them while the options were
//!    read (util-linux does too, so their errors come first); these same descriptors are
//!    used from here on, never the paths again. A file that is not a namespace of the
//!    asked type is refused at once (util-linux would block on a FIFO, or fail later in
//!    `setns`).
//! 2. `-Z`: fails at once where SELinux is off.
//! 3. `-a`: every type that this kernel has (`/proc/self/ns/TYPE` exists) and that the
//!    target does not share with us. (util-linux skips only a shared user namespace.)
//! 4. The target is pinned: `pidfd_open` (checked against the inode of `-t PID:INODE`;
//!    `--container`'s target is the container's main process, found in /proc first and,
//!    once pinned, checked to be in the container still),
//!    then, if anything is to be read by PID, `/proc/PID` opened as a directory; the
//!    pidfd is checked to be still alive, so both name one process. Without a pidfd (an
//!    old kernel, a thread id) the target's namespaces are opened one by one through
//!    `/proc/PID/ns/TYPE` instead.
//! 5. What is read by PID, through that directory: `root` (`-r`), `cwd` (`-w`),
//!    `environ` (`-e`), and whether the target holds our privileges (its `status`), the owner of `/proc/PID` (`follow`, a first check that it can be read),
//!    the cgroup (`-c`, cgroup v2 only: `cgroup.procs` of the target's cgroup is opened
//!    for writing), the SELinux context (`-Z`).
//! 6. `--user-parent`: the user namespace to enter is the parent (`NS_GET_PARENT`) of
//!    the given or the target's one.
//! 7. `-N FD`: the network namespace of the target's socket FD (`pidfd_getfd`, then
//!    `SIOCGSKNS`). Then, if anything was read by PID, the pidfd is asked once more: if
//!    the target has ended, all that was read may belong to a process that reused its
//!    PID, and we fail.
//! 8. (The plan: nothing to enter is `no namespace specified`.)
//! 9. (The plan: a PID namespace to enter, without `-F`, means a fork in step 18.)
//! 10. Entering a user namespace makes the program uid and gid 0 there, unless
//!     `--preserve-credentials` or `-S`/`-G` say otherwise; `setgroups([])` is tried now,
//!     while we still hold the old namespace's rights (whether it failed matters in 19).
//! 11. Enter the namespaces, in two passes (see `enter`).
//! 12. With `-r` and neither `-w` nor `-W`: keep the working directory (as an fd).
//! 13. `-r`: `fchdir` to the root's fd, `chroot(".")`, `chdir("/")`.
//! 14. The working directory: `-W DIR` is opened now, inside the new root and mount
//!     namespace; else the `-w` fd, or the one kept in 12. Without any of them, entering
//!     a mount namespace leaves us at its root (the kernel moves root and directory).
//! 15. `-e`: the environment read in 5 becomes the program's (given to exec), whole if
//!     the target holds our privileges; else without the variables that make a program,
//!     shell or interpreter run code their owner chose (`nscore::environ::inherit`),
//!     and, unless 11 entered the target's mount namespace or 13 its root, with our own
//!     `HOME`, `PATH` and `SHELL`, which pick the program, the default shell and their
//!     start-up files in our view of the files.
//! 16. `-c`: our PID is written to `cgroup.procs`, before the fork, so the child is
//!     born in the cgroup.
//! 17. `follow`: uid and gid of `/proc/PID`, as the entered user namespace sees them.
//! 18. Fork, if 9 said so: `setns` into a PID namespace only moves our future children.
//!     The parent waits, stops when the child stops (and continues it when continued),
//!     and ends as the child ended: its exit status, or death by the same signal.
//! 19. Credentials: supplementary groups dropped (a failure is an error only if the try
//!     in 10 failed too and there are groups to drop), then gid, then uid.
//! 20. `--keep-caps` (with a user namespace): the permitted capabilities are raised into
//!     the ambient set, so they survive exec.
//! 21. Exec the program, or the default shell: `$SHELL` of the environment the program
//!     gets, else the passwd entry's shell, else `/bin/sh`, as a login shell (`-sh`).

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::{Mode, SFlag};
use nix::sys::statfs::{CGROUP2_SUPER_MAGIC, NSFS_MAGIC};
use nix::sys::wait::WaitPidFlag;
use nix::unistd::Pid;
use nscore::creds::{self, DropGroups};
use nscore::environ::Trust;
use nscore::exec::{default_shell, Program};
use nscore::getopt::lossy;
use nscore::process::{pass_on, pidfd_exited, wait_retrying, ChildState};
use nscore::seam::{Stat, Syscall};
use nscore::sys::Forked;
use nscore::{Error, NsSet, NsType, Result};

use crate::plan::{open_dir, open_ns_file, DirSpec, IdSpec, Named, NsSource, Opened, Plan, TargetSpec, RDONLY};

const DIRECTORY: OFlag = RDONLY.union(OFlag::O_DIRECTORY);

/// `open(2)` of a path relative to the working directory, read-only unless `flags` say.
fn open_path<S: Syscall>(sys: &mut S, path: impl AsRef<Path>, flags: OFlag) -> std::result::Result<OwnedFd, Errno> {
    sys.open(None, path.as_ref(), flags, Mode::empty())
}

/// The target process, pinned: once [`Target::pin`] has returned, every file read
/// through it belongs to that process or fails; a recycled PID can't slip in.
struct Target {
    pid: i32,
    /// The error when `pidfd_open` failed (kept for the messages that need a pidfd).
    pidfd: std::result::Result<OwnedFd, Errno>,
    /// `/proc/PID`, opened after the pidfd and checked to belong to the same process;
    /// only when something is read through it (or there is no pidfd to enter by).
    dir: Option<OwnedFd>,
}

impl Target {
    fn pin<S: Syscall>(sys: &mut S, spec: TargetSpec, by_path: bool) -> Result<Target> {
        let pid = spec.pid;
        let pidfd = sys.pidfd_open(Pid::from_raw(pid));
        if let Some(inode) = spec.inode {
            let fd = pidfd.as_ref().map_err(|e| Error::sys(format!("failed to pidfd_open() for {pid}"), *e))?;
            let st = sys.fstat(fd.as_fd()).map_err(|e| Error::sys(format!("fstat({})", fd.as_raw_fd()), e))?;
            if st.ino != inode {
                return Err(Error::sys(
                    format!("failed to obtain a valid file descriptor for PID {pid}"),
                    Errno::ESRCH,
                ));
            }
        }
        let dir = if by_path || pidfd.is_err() {
            open_path(sys, format!("/proc/{pid}"), OFlag::O_PATH | DIRECTORY).ok()
        } else {
            None
        };
        let target = Target { pid, pidfd, dir };
        target.check_alive(sys)?;
        Ok(target)
    }

    fn path(&self, name: &str) -> String {
        format!("/proc/{}/{name}", self.pid)
    }

    /// Fails if the pinned process has ended (a zombie too): what was opened through
    /// `/proc/PID` before this check is known to be that process's.
    fn check_alive<S: Syscall>(&self, sys: &mut S) -> Result<()> {
        let Ok(pidfd) = &self.pidfd else { return Ok(()) };
        if pidfd_exited(sys, pidfd.as_fd())? {
            return Err(Error::msg(format!("target process {} has terminated", self.pid)));
        }
        Ok(())
    }

    fn open<S: Syscall>(&self, sys: &mut S, name: &str, flags: OFlag) -> Result<OwnedFd> {
        let r = match &self.dir {
            Some(dir) => sys.open(Some(dir.as_fd()), Path::new(name), flags, Mode::empty()),
            None => open_path(sys, self.path(name), flags),
        };
        r.map_err(|e| Error::sys(format!("cannot open {}", self.path(name)), e))
    }

    fn read<S: Syscall>(&self, sys: &mut S, name: &str, what: &str) -> Result<Vec<u8>> {
        let fd = self.open(sys, name, RDONLY)?;
        sys.read_to_end(fd).map_err(|e| Error::io(what, &e))
    }

    fn stat<S: Syscall>(&self, sys: &mut S, name: &str) -> std::result::Result<Stat, Errno> {
        match &self.dir {
            Some(dir) => sys.stat(Some(dir.as_fd()), Path::new(name)),
            None => sys.stat(None, Path::new(&self.path(name))),
        }
    }

    /// Whether `-a` enters the target's namespace of type `t`: this kernel has the type
    /// and we are not in that namespace already (for pid and time: our children would
    /// not be, which is what entering changes). Our own link is looked at once; only
    /// where it is missing (no such type, or a kernel without `pid_for_children`) is
    /// the type's existence asked separately.
    fn differs_from_ours<S: Syscall>(&self, sys: &mut S, t: NsType) -> Result<bool> {
        let ours = sys.stat(None, Path::new(&format!("/proc/self/ns/{}", t.for_children_name())));
        if ours.is_err() && !sys.exists(Path::new(&format!("/proc/self/ns/{}", t.proc_name()))) {
            return Ok(false);
        }
        let name = format!("ns/{}", t.proc_name());
        let theirs =
            self.stat(sys, &name).map_err(|e| Error::sys(format!("stat of {} failed", self.path(&name)), e))?;
        Ok(!ours.is_ok_and(|o| o.dev == theirs.dev && o.ino == theirs.ino))
    }

    /// The path of the target's working directory, relative to our root.
    fn cwd_link<S: Syscall>(&self, sys: &mut S) -> Result<OsString> {
        let link = match &self.dir {
            Some(dir) => sys.readlink(Some(dir.as_fd()), Path::new("cwd")),
            None => sys.readlink(None, Path::new(&self.path("cwd"))),
        };
        link.map_err(|e| Error::sys(format!("cannot read link {}", self.path("cwd")), e))
    }

    fn pidfd(&self) -> Result<&OwnedFd> {
        self.pidfd.as_ref().map_err(|e| Error::sys(format!("failed to pidfd_open() for {}", self.pid), *e))
    }
}

/// What a file that is not a namespace is, in words.
fn describe(st: &Stat) -> &'static str {
    match SFlag::from_bits_truncate(st.mode & SFlag::S_IFMT.bits()) {
        SFlag::S_IFIFO => "a FIFO",
        SFlag::S_IFDIR => "a directory",
        SFlag::S_IFCHR => "a character device",
        SFlag::S_IFBLK => "a block device",
        SFlag::S_IFSOCK => "a socket",
        SFlag::S_IFLNK => "a symbolic link",
        _ => "a regular file",
    }
}

/// Checks that `fd` is a namespace of type `t`, so a wrong file is refused with a
/// message that says what it is (util-linux would block forever opening a FIFO, or
/// report only `setns`'s EINVAL).
fn check_ns_fd<S: Syscall>(sys: &mut S, fd: &OwnedFd, t: NsType, path: &str) -> Result<()> {
    // nsfs holds namespace files only (regular files): just what is elsewhere is looked
    // at more closely, to say what it is
    if !sys.fstatfs(fd.as_fd()).is_ok_and(|t| t == NSFS_MAGIC) {
        let st = sys.fstat(fd.as_fd()).map_err(|e| Error::sys(format!("fstat({})", fd.as_raw_fd()), e))?;
        return Err(Error::msg(format!("{path} is not a namespace file: it is {}", describe(&st))));
    }
    let flag = sys.ns_get_nstype(fd.as_fd()).map_err(|e| Error::sys(format!("{path}: NS_GET_NSTYPE failed"), e))?;
    match NsType::from_clone_flag(flag) {
        Some(kind) if kind == t => Ok(()),
        Some(kind) => Err(Error::msg(format!("{path} is a {kind} namespace, not a {t} namespace"))),
        None => Err(Error::msg(format!("{path} is not a {t} namespace"))),
    }
}

/// The namespace file `path` of type `t`, as reading the options opened it (opened now
/// if they did not): refused unless it proved to be a regular file and now proves to be
/// a namespace of that type.
fn ns_file_fd<S: Syscall>(sys: &mut S, path: &OsStr, opened: Option<Opened>, t: NsType) -> Result<OwnedFd> {
    let name = lossy(path);
    let fd = match opened.map_or_else(|| open_ns_file(sys, path), Ok)? {
        Opened::Fd(fd) => fd,
        Opened::Wrong(st) => {
            return Err(Error::msg(format!("{name} is not a namespace file: it is {}", describe(&st))));
        }
    };
    check_ns_fd(sys, &fd, t, &name)?;
    Ok(fd)
}

/// `--<type>=:<id>`: a namespace by its 64-bit ID.
fn open_ns_id<S: Syscall>(sys: &mut S, id: u64, t: NsType) -> Result<OwnedFd> {
    let what = format!("cannot open namespace of id {id}");
    let nsfs = open_path(sys, "/proc/self/ns/net", RDONLY).map_err(|e| Error::sys(&what, e))?;
    match sys.open_ns_by_id(nsfs.as_fd(), id) {
        Ok(fd) => {
            check_ns_fd(sys, &fd, t, &format!("namespace of id {id}"))?;
            Ok(fd)
        }
        Err(e) => {
            let release = sys.read_text(Path::new("/proc/sys/kernel/osrelease")).unwrap_or_default();
            let err = Error::sys(what, e);
            if kernel_older_than(&release, (6, 19)) {
                Err(err.with_hint(format!("namespace IDs need Linux 6.19 or newer; this kernel is {}", release.trim())))
            } else {
                Err(err)
            }
        }
    }
}

/// Compares a kernel release (`6.18.44-foo`) with a major.minor version.
fn kernel_older_than(release: &str, want: (u32, u32)) -> bool {
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u32>().unwrap_or(0));
    let have = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    have < want
}

/// The directory `path` of `-r` or `-w`, as reading the options opened it (opened now if
/// they did not); what is not a directory fails as opening it as one fails.
fn dir_fd<S: Syscall>(sys: &mut S, path: &OsStr, opened: Option<Opened>) -> Result<OwnedFd> {
    match opened.map_or_else(|| open_dir(sys, path), Ok)? {
        Opened::Fd(fd) => Ok(fd),
        Opened::Wrong(_) => Err(Error::sys(format!("cannot open {}", lossy(path)), Errno::ENOTDIR)),
    }
}

/// `-N fd`: the network namespace of the target's socket `fd`. `SIOCGSKNS` goes only to a
/// socket: the number is a device ioctl's too, and `fd` may hold any device; for what is
/// not a socket the kernel's answer (`Inappropriate ioctl for device`) is given without
/// asking, in util-linux's words.
fn socket_netns<S: Syscall>(sys: &mut S, target: &Target, fd: i32) -> Result<OwnedFd> {
    let pidfd = target.pidfd()?;
    let sock = sys
        .pidfd_getfd(pidfd.as_fd(), fd)
        .map_err(|e| Error::sys(format!("pidfd_getfd({}, {fd})", pidfd.as_raw_fd()), e))?;
    let st = sys.fstat(sock.as_fd()).map_err(|e| Error::sys(format!("fstat({})", sock.as_raw_fd()), e))?;
    let ioctl_failed = |e| Error::sys(format!("ioctl({}, SIOCGSKNS)", sock.as_raw_fd()), e);
    if !answers_siocgskns(&st) {
        return Err(ioctl_failed(Errno::ENOTTY));
    }
    sys.socket_netns(sock.as_fd()).map_err(ioctl_failed)
}

/// Whether the file `st` describes is one the kernel answers `SIOCGSKNS` for: a socket,
/// or a tun/tap file (`/dev/net/tun`, character device 10:200, which util-linux's
/// `-N` serves too). Any other file gets no ioctl: the target chooses what its fd holds,
/// and 0x894c may mean something else to another device's driver.
fn answers_siocgskns(st: &nscore::seam::Stat) -> bool {
    match st.mode & libc::S_IFMT {
        libc::S_IFSOCK => true,
        libc::S_IFCHR => st.rdev == libc::makedev(10, 200),
        _ => false,
    }
}

/// `-c`: `cgroup.procs` of the target's cgroup, opened for appending.
fn open_cgroup_procs<S: Syscall>(sys: &mut S, target: &Target) -> Result<OwnedFd> {
    let fs = sys.statfs(Path::new("/sys/fs/cgroup")).map_err(|e| Error::sys("statfs /sys/fs/cgroup failed", e))?;
    if fs != CGROUP2_SUPER_MAGIC {
        return Err(Error::msg("--join-cgroup is only supported in cgroup v2"));
    }
    let text = target.read(sys, "cgroup", "failed to get cgroup path")?;
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let path = match first.iter().rposition(|&b| b == b':') {
        Some(i) if i + 1 < first.len() => &first[i + 1..],
        _ => return Err(Error::msg("failed to get cgroup path")),
    };
    let mut full = b"/sys/fs/cgroup".to_vec();
    full.extend_from_slice(path);
    full.extend_from_slice(b"/cgroup.procs");
    let flags = OFlag::O_WRONLY | OFlag::O_APPEND | OFlag::O_CLOEXEC;
    sys.open(None, Path::new(OsStr::from_bytes(&full)), flags, Mode::from_bits_truncate(0o666))
        .map_err(|e| Error::sys("failed to open cgroup.procs", e))
}

/// Whether SELinux is active: its filesystem is mounted where libselinux looks.
fn selinux_enabled<S: Syscall>(sys: &mut S) -> bool {
    const SELINUX_MAGIC: nix::sys::statfs::FsType = nix::sys::statfs::FsType(0xf97c_ff8c);
    sys.statfs(Path::new("/sys/fs/selinux")).is_ok_and(|t| t == SELINUX_MAGIC)
}

/// Enters the namespaces: pass 1 everything but the user namespace, errors ignored
/// (a privileged caller keeps the rights it needs until the user namespace is last);
/// pass 2 what is left, errors reported (an unprivileged caller gets its rights from the
/// user namespace first). Namespaces of the target go in one atomic `setns` on its pidfd.
fn enter<S: Syscall>(
    sys: &mut S,
    pidfd: Option<&OwnedFd>,
    mut via_pidfd: NsSet,
    files: &mut [Option<OwnedFd>; 8],
) -> Result<()> {
    let mut first = via_pidfd;
    first.remove(NsType::User);
    if let Some(pidfd) = pidfd.filter(|_| !first.is_empty()) {
        if sys.setns(pidfd.as_fd(), first.clone_flags()).is_ok() {
            first.iter().for_each(|t| via_pidfd.remove(t));
        }
    }
    for t in NsType::ALL.into_iter().filter(|t| *t != NsType::User) {
        if files[t as usize].as_ref().is_some_and(|fd| sys.setns(fd.as_fd(), t.clone_flag()).is_ok()) {
            files[t as usize] = None;
        }
    }
    let enter_file = |sys: &mut S, t: NsType, fd: OwnedFd| {
        sys.setns(fd.as_fd(), t.clone_flag())
            .map_err(|e| Error::sys(format!("reassociate to namespace 'ns/{}' failed", t.proc_name()), e))
    };
    if let Some(fd) = files[NsType::User as usize].take() {
        enter_file(sys, NsType::User, fd)?;
    }
    if let Some(pidfd) = pidfd.filter(|_| !via_pidfd.is_empty()) {
        sys.setns(pidfd.as_fd(), via_pidfd.clone_flags())
            .map_err(|e| Error::sys("reassociate to namespaces failed", e))?;
    }
    for t in NsType::ALL {
        if let Some(fd) = files[t as usize].take() {
            enter_file(sys, t, fd)?;
        }
    }
    Ok(())
}

/// Waits for the child that runs the program, stopping when it stops (so the shell's
/// job control sees us stop, and `fg` continues both), and ends as it ended: same exit
/// status, or killed by the same signal.
fn wait_for<S: Syscall>(sys: &mut S, child: Pid) -> Result<i32> {
    loop {
        match wait_retrying(sys, child, Some(WaitPidFlag::WUNTRACED))? {
            ChildState::Stopped(_) => {
                let me = sys.getpid();
                sys.kill(me, libc::SIGSTOP).map_err(|e| Error::sys("kill failed", e))?;
                sys.kill(child, libc::SIGCONT).map_err(|e| Error::sys("kill failed", e))?;
            }
            state => return pass_on(sys, state),
        }
    }
}

fn dir_owner<S: Syscall>(sys: &mut S, target: &Target) -> Result<Stat> {
    let dir =
        target.dir.as_ref().ok_or_else(|| Error::sys(format!("cannot open /proc/{}", target.pid), Errno::ENOENT))?;
    sys.fstat(dir.as_fd()).map_err(|e| Error::sys(format!("fstat({})", dir.as_raw_fd()), e))
}

/// Namespaces to enter, by source: the target's (one `setns` on its pidfd) and files.
struct ToEnter {
    via_target: NsSet,
    files: [Option<OwnedFd>; 8],
}

impl ToEnter {
    fn all(&self) -> NsSet {
        NsType::ALL.into_iter().filter(|t| self.via_target.contains(*t) || self.files[*t as usize].is_some()).collect()
    }

    fn set_file(&mut self, t: NsType, fd: OwnedFd) {
        self.files[t as usize] = Some(fd);
        self.via_target.remove(t);
    }
}

/// Step 1: the namespace files the command line names (opened while it was read), and
/// the namespaces it names by ID.
fn named_namespaces<S: Syscall>(sys: &mut S, plan: &Plan, mut opened: [Option<Opened>; 8]) -> Result<ToEnter> {
    let mut files: [Option<OwnedFd>; 8] = Default::default();
    for t in NsType::ALL {
        let i = t as usize;
        match plan.ns_source(t) {
            Some(NsSource::File(p)) => files[i] = Some(ns_file_fd(sys, p, opened[i].take(), t)?),
            Some(NsSource::Id(id)) => files[i] = Some(open_ns_id(sys, *id, t)?),
            _ => {}
        }
    }
    let via_target = NsType::ALL.into_iter().filter(|t| plan.ns_source(*t) == Some(&NsSource::Target)).collect();
    Ok(ToEnter { via_target, files })
}

/// Steps 3-4: `-a`'s namespaces, and per-file opening where there is no pidfd.
fn add_target_namespaces<S: Syscall>(sys: &mut S, plan: &Plan, target: &Target, ns: &mut ToEnter) -> Result<()> {
    if plan.all {
        for t in NsType::ALL.into_iter().filter(|t| plan.ns_source(*t).is_none()) {
            if target.differs_from_ours(sys, t)? {
                ns.via_target.insert(t);
            }
        }
    }
    if target.pidfd.is_err() {
        for t in ns.via_target.iter() {
            ns.set_file(t, target.open(sys, &format!("ns/{}", t.proc_name()), RDONLY)?);
        }
    }
    Ok(())
}

/// Whether the target holds exactly our privileges, so that its environment is as
/// trustworthy as our own. If not (root entering a user's process, or a container's
/// less privileged root), its loader and shell variables would make the program we start
/// with our privileges run code its owner chose. Anything we cannot read counts as
/// different.
fn same_privilege<S: Syscall>(sys: &mut S, t: &Target) -> bool {
    use nscore::creds::Creds;
    let theirs = t.read(sys, "status", "").ok().and_then(|s| Creds::parse(&s));
    let ours = sys.read_file(Path::new("/proc/self/status")).ok().and_then(|s| Creds::parse(&s));
    let (Some(theirs), Some(ours)) = (theirs, ours) else { return false };
    let identity = |st: std::result::Result<Stat, Errno>| st.ok().map(|s| (s.dev, s.ino));
    let theirs_ns = identity(t.stat(sys, "ns/user"));
    let same_userns = theirs_ns.is_some() && theirs_ns == identity(sys.stat(None, Path::new("/proc/self/ns/user")));
    creds::same_privilege(&ours, &theirs, same_userns)
}

/// What is read from the target by PID (step 5), besides its namespaces.
#[derive(Default)]
struct FromTarget {
    root: Option<OwnedFd>,
    wd: Option<OwnedFd>,
    /// `-e`: the target's environment, and whether it holds our privileges.
    env: Option<(Vec<OsString>, bool)>,
    cgroup_procs: Option<OwnedFd>,
    exec_context: Option<Vec<u8>>,
}

fn read_from_target<S: Syscall>(sys: &mut S, plan: &Plan, t: &Target) -> Result<FromTarget> {
    let mut r = FromTarget::default();
    if plan.root == Some(DirSpec::Target) {
        r.root = Some(t.open(sys, "root", DIRECTORY)?);
    }
    if plan.wd == Some(DirSpec::Target) {
        r.wd = Some(t.open(sys, "cwd", DIRECTORY)?);
    }
    if plan.env {
        let raw = t.read(sys, "environ", "failed to get environment variables")?;
        r.env = Some((nscore::environ::parse_environ(&raw), same_privilege(sys, t)));
    }
    if plan.uid == Some(IdSpec::Follow) || plan.gid == Some(IdSpec::Follow) {
        dir_owner(sys, t)?;
    }
    if plan.join_cgroup {
        r.cgroup_procs = Some(open_cgroup_procs(sys, t)?);
    }
    if plan.follow_context {
        let mut ctx = t.read(sys, "attr/current", &format!("failed to get {} SELinux context", t.pid))?;
        while ctx.last() == Some(&0) || ctx.last() == Some(&b'\n') {
            ctx.pop();
        }
        r.exec_context = Some(ctx);
    }
    Ok(r)
}

/// Steps 6-7: `--user-parent` and `-N` replace the user and network entries.
fn add_derived_namespaces<S: Syscall>(
    sys: &mut S,
    plan: &Plan,
    target: Option<&Target>,
    ns: &mut ToEnter,
) -> Result<()> {
    let by_pid = |what: &str| target.ok_or_else(|| Error::msg(format!("no target PID specified for {what}")));
    if plan.user_parent {
        let base = match ns.files[NsType::User as usize].take() {
            Some(fd) => fd,
            None => by_pid("--user-parent")?.open(sys, "ns/user", RDONLY)?,
        };
        let parent = sys.ns_get_parent(base.as_fd()).map_err(|e| Error::sys("failed to open parent namespace", e))?;
        ns.set_file(NsType::User, parent);
    }
    if let Some(fd) = plan.net_socket {
        ns.set_file(NsType::Net, socket_netns(sys, by_pid("--net-socket")?, fd)?);
    }
    Ok(())
}

/// Steps 12-14: root, then working directory.
fn change_directories<S: Syscall>(
    sys: &mut S,
    plan: &Plan,
    target: Option<&Target>,
    root: Option<OwnedFd>,
    wd: Option<OwnedFd>,
) -> Result<()> {
    let cannot_open_cwd = |e| Error::sys("cannot open current working directory", e);
    let saved_cwd = match (&root, &wd, &plan.wdns) {
        (Some(_), None, None) => Some(open_path(sys, ".", DIRECTORY).map_err(cannot_open_cwd)?),
        _ => None,
    };
    if let Some(root) = root {
        sys.fchdir(root.as_fd()).map_err(|e| Error::sys("change directory by root file descriptor failed", e))?;
        sys.chroot(Path::new(".")).map_err(|e| Error::sys("chroot failed", e))?;
        sys.chdir(Path::new("/")).map_err(|e| Error::sys("cannot change directory to /", e))?;
    }
    let wdns = match (&plan.wdns, target) {
        (Some(DirSpec::Path(p)), _) => Some(p.clone()),
        // Read now, so the path is the target's as seen from the root we now share.
        (Some(DirSpec::Target), Some(t)) => Some(t.cwd_link(sys)?),
        (Some(DirSpec::Target), None) => return Err(Error::msg("no target PID specified")),
        (None, _) => None,
    };
    let wd = match wdns {
        Some(dir) => Some(open_path(sys, dir, DIRECTORY).map_err(cannot_open_cwd)?),
        None => wd.or(saved_cwd),
    };
    if let Some(wd) = wd {
        sys.fchdir(wd.as_fd())
            .map_err(|e| Error::sys("change directory by working directory file descriptor failed", e))?;
    }
    Ok(())
}

/// Step 17: `-S`/`-G` values, `follow` resolved to the owner of `/proc/PID` as the
/// entered user namespace sees it.
fn resolve_ids<S: Syscall>(
    sys: &mut S,
    target: Option<&Target>,
    (uid, gid): (Option<IdSpec>, Option<IdSpec>),
) -> Result<(Option<u32>, Option<u32>)> {
    let owner = match (target, uid == Some(IdSpec::Follow) || gid == Some(IdSpec::Follow)) {
        (Some(t), true) => Some(dir_owner(sys, t)?),
        _ => None,
    };
    let resolve = |spec: Option<IdSpec>, pick: fn(&Stat) -> u32| match spec {
        Some(IdSpec::Id(id)) => Some(id),
        Some(IdSpec::Follow) => owner.as_ref().map(pick),
        None => None,
    };
    Ok((resolve(uid, |s| s.uid), resolve(gid, |s| s.gid)))
}

/// Step 21: the program, or the default shell (`$SHELL` of the environment it gets).
fn program<S: Syscall>(sys: &mut S, plan: &Plan, env: Option<&[OsString]>) -> Program {
    if let Some(p) = Program::command(&plan.program) {
        return p;
    }
    let shell = match env {
        Some(e) => nscore::environ::lookup(e, "SHELL").map(OsStr::to_os_string),
        None => std::env::var_os("SHELL"),
    };
    default_shell(shell, sys.getuid())
}

/// Steps 1-7: everything opened and read before entering, the target's identity checked
/// again at the end.
fn gather<S: Syscall>(sys: &mut S, plan: &Plan, named: Named) -> Result<(ToEnter, Option<Target>, Dirs, FromTarget)> {
    let mut ns = named_namespaces(sys, plan, named.ns)?;
    let given = |sys: &mut S, d: &Option<DirSpec>, opened| match d {
        Some(DirSpec::Path(p)) => dir_fd(sys, p, opened).map(Some),
        _ => Ok(None),
    };
    let root = given(sys, &plan.root, named.root)?;
    let wd = given(sys, &plan.wd, named.wd)?;
    // 2. -Z: we have no SELinux library; its kernel interface is enough where it is on.
    if plan.follow_context && !selinux_enabled(sys) {
        return Err(Error::msg("--follow-context: SELinux is not enabled on this system"));
    }
    let target = pin_target(sys, plan)?;
    let mut from = FromTarget::default();
    if let Some(t) = &target {
        add_target_namespaces(sys, plan, t, &mut ns)?;
        from = read_from_target(sys, plan, t)?;
    }
    add_derived_namespaces(sys, plan, target.as_ref(), &mut ns)?;
    // What was read through /proc/PID came from the pinned process only if it is still
    // the same one (the pidfd alone needs no second look: it cannot change process).
    if let Some(t) = target.as_ref().filter(|t| t.dir.is_some()) {
        t.check_alive(sys)?;
    }
    Ok((ns, target, Dirs { root, wd }, from))
}

/// Step 4, the target pinned: `-t`'s process, or with `--container` the container's
/// main process, found in /proc and then checked, once pinned, to be in it still.
fn pin_target<S: Syscall>(sys: &mut S, plan: &Plan) -> Result<Option<Target>> {
    let Some(reference) = &plan.container else {
        return plan.target.map(|spec| Target::pin(sys, spec, plan.reads_proc_dir())).transpose();
    };
    let (spec, container) = crate::container::main_process(sys, reference)?;
    let target = Target::pin(sys, spec, plan.reads_proc_dir())?;
    crate::container::check_still_in(sys, target.pid, &container)?;
    target.check_alive(sys)?;
    Ok(Some(target))
}

/// `-r` and `-w` given as paths.
struct Dirs {
    root: Option<OwnedFd>,
    wd: Option<OwnedFd>,
}

/// Runs the plan; returns only on failure, or in the parent after a fork.
pub fn run<S: Syscall>(sys: &mut S, mut plan: Plan) -> Result<i32> {
    let named = std::mem::take(&mut plan.named);
    let plan = &plan;
    let (mut ns, target, dirs, mut from) = gather(sys, plan, named)?;
    // 8.-10. Entering a user namespace means becoming root there, unless told otherwise.
    let entered = ns.all();
    let user_entered = entered.contains(NsType::User);
    let ids = plan.credentials(user_entered);
    let setgroups_failed_before = user_entered && ids.1.is_some() && sys.setgroups(&[]).is_err();
    // 11.
    let pidfd = target.as_ref().and_then(|t| t.pidfd.as_ref().ok());
    // (the target by -t, or the container's main process)
    let target_pid = target.as_ref().map(|t| t.pid);
    enter(sys, pidfd, ns.via_target, &mut ns.files).map_err(|e| explain_setns(sys, plan, target_pid, entered, e))?;
    // 12.-14.
    change_directories(sys, plan, target.as_ref(), dirs.root.or(from.root.take()), dirs.wd.or(from.wd.take()))?;
    // 15.
    let their_files = entered.contains(NsType::Mnt) || plan.root.is_some();
    let env = from
        .env
        .take()
        .map(|(env, same)| nscore::environ::inherit(env, Trust::new(same, their_files), nscore::exec::current_env));
    // 16. Join the cgroup before forking, so the child is born in it.
    if let Some(procs) = from.cgroup_procs.take() {
        let me = sys.getpid();
        sys.write_all(procs.as_fd(), format!("{me}\n").as_bytes())
            .map_err(|e| Error::sys("write cgroup.procs failed", e))?;
    }
    let (uid, gid) = resolve_ids(sys, target.as_ref(), ids)?;
    drop(target);
    // 18. Fork so that the program is inside the PID namespace.
    if plan.forks_if(entered.contains(NsType::Pid)) {
        if let Forked::Parent(child) = sys.fork().map_err(|e| Error::sys("fork failed", e))? {
            return wait_for(sys, child);
        }
    }
    // 19. Credentials: groups, then gid, then uid.
    creds::switch(sys, gid, uid, DropGroups::Tolerant { failed_before: setgroups_failed_before })?;
    // 20.
    if plan.keep_caps && user_entered {
        sys.keep_caps()?;
    }
    if let Some(ctx) = from.exec_context {
        set_exec_context(sys, &ctx)?;
    }
    // 21.
    let prog = program(sys, plan, env.as_deref());
    match sys.exec(&prog, env.as_deref()) {
        e @ Error::Exec { errno: Errno::ENOENT, .. } => {
            Err(explain_missing(sys, plan, target_pid, entered, &prog, env.as_deref(), e))
        }
        e => Err(e),
    }
}

/// A refused `setns(2)`: who owns the namespaces, and what would let us in (read only
/// now, on the failure path).
fn explain_setns<S: Syscall>(sys: &mut S, plan: &Plan, target: Option<i32>, entered: NsSet, e: Error) -> Error {
    use nscore::diagnose::{self, facts};
    if e.errno() != Some(Errno::EPERM) {
        return e;
    }
    let files: Vec<(NsType, String)> = NsType::ALL
        .into_iter()
        .filter_map(|t| match plan.ns_source(t) {
            Some(NsSource::File(p)) => Some((t, lossy(p))),
            _ => None,
        })
        .collect();
    let me = facts::caller(sys);
    let found = facts::setns(sys, &me, target, entered, &files);
    e.with_hint_if(diagnose::setns_eperm(&me, &found))
}

/// The program was not found after entering a mount namespace or root: say where.
fn explain_missing<S: Syscall>(
    sys: &mut S,
    plan: &Plan,
    target: Option<i32>,
    entered: NsSet,
    prog: &Program,
    env: Option<&[OsString]>,
    e: Error,
) -> Error {
    let whose = target.map_or_else(String::new, |pid| format!(" of PID {pid}"));
    let place = match (&plan.root, entered.contains(NsType::Mnt)) {
        (Some(DirSpec::Path(p)), _) => format!("the root {}", lossy(p)),
        (Some(DirSpec::Target), _) => format!("the root{whose}"),
        (None, true) => format!("the mount namespace{whose}"),
        (None, false) => return e,
    };
    let found = nscore::exec::program_exists(sys, prog, env);
    e.with_hint(nscore::diagnose::missing_inside(&prog.display_name(), &place, found))
}

/// `-Z`: the SELinux context the program gets at exec.
fn set_exec_context<S: Syscall>(sys: &mut S, ctx: &[u8]) -> Result<()> {
    let fail = |e| Error::sys(format!("failed to set exec context to '{}'", String::from_utf8_lossy(ctx)), e);
    let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_TRUNC | OFlag::O_CLOEXEC;
    let fd = sys
        .open(None, Path::new("/proc/thread-self/attr/exec"), flags, Mode::from_bits_truncate(0o666))
        .map_err(fail)?;
    sys.write_all(fd.as_fd(), ctx).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_versions() {
        assert!(kernel_older_than("6.18.44-fc-v669", (6, 19)));
        assert!(!kernel_older_than("6.19.0", (6, 19)));
        assert!(!kernel_older_than("7.0-rc1", (6, 19)));
        assert!(kernel_older_than("5.10.0-28-amd64\n", (6, 19)));
    }

    /// A namespace file as the options open it and `run` takes it.
    fn open_ns_file(os: &mut nscore::seam::Os, path: &OsStr, t: NsType) -> Result<OwnedFd> {
        let opened = crate::plan::open_ns_file(os, path)?;
        ns_file_fd(os, path, Some(opened), t)
    }

    #[test]
    fn wrong_files_are_named() {
        let os = &mut nscore::seam::Os::without_fork();
        let e = open_ns_file(os, OsStr::new("/proc/self/ns/net"), NsType::Uts).unwrap_err();
        assert_eq!(e.to_string(), "/proc/self/ns/net is a net namespace, not a uts namespace");
        let e = open_ns_file(os, OsStr::new("/"), NsType::Uts).unwrap_err();
        assert_eq!(e.to_string(), "/ is not a namespace file: it is a directory");
        let e = open_ns_file(os, OsStr::new("/proc/self/status"), NsType::Net).unwrap_err();
        assert_eq!(e.to_string(), "/proc/self/status is not a namespace file: it is a regular file");
        let e = open_ns_file(os, OsStr::new("/dev/null"), NsType::Net).unwrap_err();
        assert_eq!(e.to_string(), "/dev/null is not a namespace file: it is a character device");
        let e = open_ns_file(os, OsStr::new("/nonexistent"), NsType::Net).unwrap_err();
        assert_eq!(e.to_string(), "cannot open /nonexistent: No such file or directory");
        assert!(open_ns_file(os, OsStr::new("/proc/self/ns/net"), NsType::Net).is_ok());
    }

    use nscore::seam::fake::{Ended, Fake};
    use nscore::seam::Stat;

    /// Runs rs-nsenter with `args` against a fake prepared by `script`.
    fn trace(args: &[&str], script: impl FnOnce(&mut Fake)) -> (Ended, Vec<String>) {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let mut fake = Fake::new();
        script(&mut fake);
        let plan = match crate::plan::parse(&args, &mut fake).unwrap() {
            crate::plan::Action::Run(p) => *p,
            _ => panic!("not a run"),
        };
        let end = fake.run(|sys| run(sys, plan));
        (end, fake.log().into_iter().map(String::from).collect())
    }

    fn only<'a>(log: &'a [String], verbs: &[&str]) -> Vec<&'a str> {
        log.iter().map(String::as_str).filter(|l| verbs.contains(&l.split(' ').next().unwrap_or_default())).collect()
    }

    const ALL_BUT_USER: &str = "cgroup,ipc,uts,net,pid,mnt,time";

    /// `-N`: `SIOCGSKNS` is asked of a socket only; another file (a device, whose driver
    /// might take the number for one of its own ioctls) fails as the kernel would answer.
    #[test]
    fn net_socket_asks_sockets_only() {
        let socket = |mode| {
            move |f: &mut Fake| {
                f.fork_as(Forked::Child);
                f.set_stat("fd 3 of pidfd 42", Stat { mode, ..Stat::default() });
            }
        };
        // a tun file answers too (another character device does not, below)
        let tun = |f: &mut Fake| {
            f.fork_as(Forked::Child);
            f.set_stat(
                "fd 3 of pidfd 42",
                Stat { mode: libc::S_IFCHR | 0o600, rdev: libc::makedev(10, 200), ..Stat::default() },
            );
        };
        let (end, log) = trace(&["-t", "42", "-N", "3", "true"], tun);
        assert_eq!(end, Ended::Exec);
        assert!(log.iter().any(|l| *l == "SIOCGSKNS fd 3 of pidfd 42"), "{log:?}");
        let (end, log) = trace(&["-t", "42", "-N", "3", "true"], socket(libc::S_IFSOCK | 0o777));
        assert_eq!(end, Ended::Exec);
        assert_eq!(
            only(&log, &["pidfd_getfd", "fstat", "SIOCGSKNS"]),
            ["pidfd_getfd pidfd 42 3", "fstat fd 3 of pidfd 42", "SIOCGSKNS fd 3 of pidfd 42"]
        );
        let (end, log) = trace(&["-t", "42", "-N", "3", "true"], socket(libc::S_IFCHR | 0o666));
        match end {
            Ended::Failed(e, 1) => assert!(e.ends_with(", SIOCGSKNS): Inappropriate ioctl for device"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(!log.iter().any(|l| l.starts_with("SIOCGSKNS")), "{log:?}");
    }

    /// `-a` through the pidfd: pass 1 enters everything but the user namespace at once
    /// (a privileged caller keeps its rights), pass 2 the user namespace last; the
    /// credentials probe runs before entering, the switch after the fork, in the child.
    #[test]
    fn all_namespaces_user_last() {
        let (end, log) = trace(&["-t", "42", "-a", "true"], |f| {
            f.fork_as(Forked::Child);
        });
        assert_eq!(end, Ended::Exec);
        assert_eq!(log[..3], ["pidfd_open 42", "open /proc/42 [path,dir]", "poll pidfd 42"]);
        assert_eq!(
            only(&log, &["setns", "setgroups", "setgid", "setuid", "fork", "poll", "exec"]),
            [
                "poll pidfd 42",
                "poll pidfd 42",
                "setgroups []",
                &format!("setns pidfd 42 {ALL_BUT_USER}"),
                "setns pidfd 42 user",
                "fork -> child",
                "setgroups []",
                "setgid 0",
                "setuid 0",
                "exec true",
            ]
        );
    }

    /// `-a` as an unprivileged caller: pass 1 is refused, so pass 2 enters the user
    /// namespace first, atomically with all the others, which it grants the rights to.
    /// Namespaces we already share are left out.
    #[test]
    fn all_namespaces_user_first() {
        let (end, log) = trace(&["-t", "42", "-a", "true"], |f| {
            f.fail_once("setns pidfd 42 ipc", Errno::EPERM).same_file("/proc/42/ns/cgroup", "/proc/self/ns/cgroup");
        });
        assert_eq!(end, Ended::Status(0));
        assert_eq!(
            only(&log, &["setns"]),
            ["setns pidfd 42 ipc,uts,net,pid,mnt,time -> EPERM", "setns pidfd 42 user,ipc,uts,net,pid,mnt,time"]
        );
        assert_eq!(log.last().unwrap(), "waitpid 1001 untraced", "the parent waits for the child in the PID namespace");
    }

    /// `-a` looks at each of our own links once, and asks whether a type exists only
    /// where our link is missing: a type this kernel lacks is skipped, without a look
    /// at the target's.
    #[test]
    fn all_looks_at_our_links_once() {
        let (end, log) = trace(&["-t", "42", "-a", "-F", "true"], |f| {
            f.fail("stat /proc/self/ns/time_for_children", Errno::ENOENT).set_missing("/proc/self/ns/time");
        });
        assert_eq!(end, Ended::Exec);
        let ours = |t: NsType| format!("stat /proc/self/ns/{}", t.for_children_name());
        for t in NsType::ALL {
            assert_eq!(log.iter().filter(|l| l.starts_with(&ours(t))).count(), 1, "{t}: {log:?}");
        }
        assert_eq!(only(&log, &["exists"]), ["exists /proc/self/ns/time"]);
        assert!(!log.iter().any(|l| l.starts_with("stat /proc/42/ns/time")), "{log:?}");
        assert_eq!(only(&log, &["setns"]), ["setns pidfd 42 cgroup,ipc,uts,net,pid,mnt", "setns pidfd 42 user"]);
    }

    /// Without a pidfd (an old kernel) each namespace is opened as a file under the
    /// pinned `/proc/PID` and entered one by one: the user namespace after the others
    /// that pass 1 could enter, before those it could not.
    #[test]
    fn per_file_fallback_without_pidfd() {
        let (end, log) = trace(&["-t", "42", "-U", "-n", "-u", "-F", "true"], |f| {
            f.fail("pidfd_open", Errno::ENOSYS).fail_once("setns /proc/42/ns/net", Errno::EPERM);
        });
        assert_eq!(end, Ended::Exec);
        assert_eq!(
            only(&log, &["pidfd_open", "open", "setns", "poll"]),
            [
                "pidfd_open 42 -> ENOSYS",
                "open /proc/42 [path,dir]",
                "open /proc/42/ns/user",
                "open /proc/42/ns/uts",
                "open /proc/42/ns/net",
                "setns /proc/42/ns/uts uts",
                "setns /proc/42/ns/net net -> EPERM",
                "setns /proc/42/ns/user user",
                "setns /proc/42/ns/net net",
            ]
        );
    }

    /// `-S follow` with `-r` and `-w`: root and working directory are opened before
    /// entering, used after it (root first, then the directory); the owner of
    /// `/proc/PID` is read after entering, as the entered user namespace sees it.
    #[test]
    fn follow_with_root_and_wd() {
        let (end, log) = trace(&["-t", "42", "-U", "-S", "follow", "-r", "-w", "true"], |f| {
            f.set_stat("/proc/42", Stat { uid: 1000, gid: 100, ..Stat::default() });
        });
        assert_eq!(end, Ended::Exec);
        assert_eq!(
            log[3..],
            [
                "open /proc/42/root [dir]",
                "open /proc/42/cwd [dir]",
                "fstat /proc/42",
                "poll pidfd 42",
                "setgroups []",
                "setns pidfd 42 user",
                "fchdir /proc/42/root",
                "chroot .",
                "chdir /",
                "fchdir /proc/42/cwd",
                "fstat /proc/42",
                "setgroups []",
                "setgid 0",
                "setuid 1000",
                "exec true",
            ]
        );
    }

    /// `-p` forks so the program is inside the PID namespace; the parent stops when the
    /// child stops and passes its exit on. With `-F` it does not fork.
    #[test]
    fn pid_namespace_with_and_without_fork() {
        let (end, log) = trace(&["-t", "42", "-p", "true"], |f| {
            f.wait_status(1001, 0x137f).wait_status(1001, 5 << 8);
        });
        assert_eq!(end, Ended::Status(5));
        assert_eq!(
            log[2..],
            [
                "setns pidfd 42 pid",
                "fork -> 1001",
                "waitpid 1001 untraced",
                "kill 1000 SIGSTOP",
                "kill 1001 SIGCONT",
                "waitpid 1001 untraced",
            ]
        );
        let (end, log) = trace(&["-t", "42", "-p", "-F", "true"], |_| {});
        assert_eq!(end, Ended::Exec);
        assert_eq!(log, ["pidfd_open 42", "poll pidfd 42", "setns pidfd 42 pid", "exec true"]);
    }

    /// The files the command line names are opened once, as it is read; `run` checks
    /// and uses those descriptors and opens nothing by those paths again, so the file
    /// entered is the file checked (a rename in between cannot swap it).
    #[test]
    fn named_files_are_opened_once() {
        let dir = Stat { mode: libc::S_IFDIR | 0o755, ..Stat::default() };
        let (end, log) = trace(&["--net=/run/netns/x", "-r/srv", "-w/srv/w", "true"], |f| {
            f.set_stat("/srv", dir).set_stat("/srv/w", dir).set_nstype("/run/netns/x", NsType::Net);
        });
        assert_eq!(end, Ended::Exec);
        assert_eq!(
            log,
            [
                "open /run/netns/x [path]",
                "fstat /run/netns/x",
                "reopen /run/netns/x",
                "open /srv [path]",
                "fstat /srv",
                "reopen /srv [dir]",
                "open /srv/w [path]",
                "fstat /srv/w",
                "reopen /srv/w [dir]",
                "fstatfs /run/netns/x",
                "nstype /run/netns/x",
                "setns /run/netns/x net",
                "fchdir /srv",
                "chroot .",
                "chdir /",
                "fchdir /srv/w",
                "exec true",
            ]
        );
    }

    /// What the options found to be of the wrong kind is refused by `run`, in the
    /// namespace types' order, after every option was read.
    #[test]
    fn wrong_kinds_are_refused_by_run() {
        let (end, log) = trace(&["--uts=/srv", "--net=/run/netns/x", "true"], |f| {
            f.set_stat("/srv", Stat { mode: libc::S_IFDIR | 0o755, ..Stat::default() });
        });
        assert_eq!(end, Ended::Failed("/srv is not a namespace file: it is a directory".into(), 1));
        assert_eq!(log.last().unwrap(), "reopen /run/netns/x", "nothing after the options: {log:?}");
        let (end, _) = trace(&["-w/srv", "--net=/run/netns/x", "true"], |f| {
            f.set_nstype("/run/netns/x", NsType::Net);
        });
        assert_eq!(end, Ended::Failed("cannot open /srv: Not a directory".into(), 1));
    }

    /// A target that ended while we read from it fails the run before anything is
    /// entered: nothing is half done.
    #[test]
    fn target_gone_before_entering() {
        let (end, log) = trace(&["-t", "42", "-n", "-w", "true"], |f| {
            f.set_readable("pidfd 42");
        });
        assert_eq!(end, Ended::Failed("target process 42 has terminated".into(), 1));
        assert_eq!(log, ["pidfd_open 42", "open /proc/42 [path,dir]", "poll pidfd 42"]);
        let (end, log) = trace(&["-t", "42", "-n", "true"], |f| {
            f.fail("setns", Errno::EINVAL);
        });
        assert_eq!(end, Ended::Failed("reassociate to namespaces failed: Invalid argument".into(), 1));
        assert!(!log.iter().any(|l| l.starts_with("exec") || l.starts_with("fork")), "{log:?}");
    }
}
