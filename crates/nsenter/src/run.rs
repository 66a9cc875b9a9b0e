//! Carries out a [`Plan`] in util-linux's order of operations (SPEC 3.2): open what the
//! command line names, pin the target, read what is read by PID, enter the namespaces in
//! two passes, change root and directory, fork if a PID namespace was entered, change
//! credentials, exec.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{FileStat, Mode, SFlag};
use nix::sys::statfs::{fstatfs, statfs, CGROUP2_SUPER_MAGIC, NSFS_MAGIC};
use nix::sys::wait::WaitPidFlag;
use nix::unistd::{Gid, Pid, Uid};
use nscore::exec::{default_shell, Program};
use nscore::getopt::lossy;
use nscore::sys::{self, Forked};
use nscore::{Error, NsSet, NsType, Result};

use crate::plan::{DirSpec, IdSpec, NsSource, Plan, TargetSpec};

const RDONLY: OFlag = OFlag::O_RDONLY.union(OFlag::O_CLOEXEC);
const DIRECTORY: OFlag = RDONLY.union(OFlag::O_DIRECTORY);

/// The target process, pinned: once [`Target::pin`] has returned, every file read
/// through it belongs to that process or fails; a recycled PID can't slip in.
struct Target {
    pid: i32,
    /// The error when `pidfd_open` failed (kept for the messages that need a pidfd).
    pidfd: std::result::Result<OwnedFd, Errno>,
    /// `/proc/PID`, opened after the pidfd and checked to belong to the same process.
    dir: Option<OwnedFd>,
}

impl Target {
    fn pin(spec: TargetSpec) -> Result<Target> {
        let pid = spec.pid;
        let pidfd = sys::pidfd_open(Pid::from_raw(pid), 0);
        if let Some(inode) = spec.inode {
            let fd = pidfd.as_ref().map_err(|e| Error::sys(format!("failed to pidfd_open() for {pid}"), *e))?;
            let st =
                nix::sys::stat::fstat(fd.as_fd()).map_err(|e| Error::sys(format!("fstat({})", fd.as_raw_fd()), e))?;
            if st.st_ino != inode {
                return Err(Error::sys(
                    format!("failed to obtain a valid file descriptor for PID {pid}"),
                    Errno::ESRCH,
                ));
            }
        }
        let dir = nix::fcntl::open(format!("/proc/{pid}").as_str(), OFlag::O_PATH | DIRECTORY, Mode::empty()).ok();
        let target = Target { pid, pidfd, dir };
        target.check_alive()?;
        Ok(target)
    }

    fn path(&self, name: &str) -> String {
        format!("/proc/{}/{name}", self.pid)
    }

    /// Fails if the pinned process has ended (a zombie too): what was opened through
    /// `/proc/PID` before this check is known to be that process's.
    fn check_alive(&self) -> Result<()> {
        let Ok(pidfd) = &self.pidfd else { return Ok(()) };
        if nscore::process::pidfd_exited(pidfd.as_fd())? {
            return Err(Error::msg(format!("target process {} has terminated", self.pid)));
        }
        Ok(())
    }

    fn open(&self, name: &str, flags: OFlag) -> Result<OwnedFd> {
        let r = match &self.dir {
            Some(dir) => nix::fcntl::openat(dir, name, flags, Mode::empty()),
            None => nix::fcntl::open(self.path(name).as_str(), flags, Mode::empty()),
        };
        r.map_err(|e| Error::sys(format!("cannot open {}", self.path(name)), e))
    }

    fn read(&self, name: &str, what: &str) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        File::from(self.open(name, RDONLY)?).read_to_end(&mut buf).map_err(|e| Error::io(what, &e))?;
        Ok(buf)
    }

    fn stat(&self, name: &str) -> std::result::Result<FileStat, Errno> {
        match &self.dir {
            Some(dir) => nix::sys::stat::fstatat(dir, name, AtFlags::empty()),
            None => nix::sys::stat::stat(self.path(name).as_str()),
        }
    }

    /// Whether we already are in the target's namespace of type `t` (for pid and time:
    /// whether our children would be, which is what entering changes).
    fn shared_with_us(&self, t: NsType) -> Result<bool> {
        let name = format!("ns/{}", t.proc_name());
        let theirs = self.stat(&name).map_err(|e| Error::sys(format!("stat of {} failed", self.path(&name)), e))?;
        let ours = nix::sys::stat::stat(format!("/proc/self/ns/{}", t.for_children_name()).as_str());
        Ok(ours.is_ok_and(|o| o.st_dev == theirs.st_dev && o.st_ino == theirs.st_ino))
    }

    /// The path of the target's working directory, relative to our root.
    fn cwd_link(&self) -> Result<OsString> {
        let link = match &self.dir {
            Some(dir) => nix::fcntl::readlinkat(dir, "cwd"),
            None => nix::fcntl::readlink(self.path("cwd").as_str()),
        };
        link.map_err(|e| Error::sys(format!("cannot read link {}", self.path("cwd")), e))
    }

    fn pidfd(&self) -> Result<&OwnedFd> {
        self.pidfd.as_ref().map_err(|e| Error::sys(format!("failed to pidfd_open() for {}", self.pid), *e))
    }
}

/// What a file that is not a namespace is, in words.
fn describe(st: &FileStat) -> &'static str {
    match SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) {
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
fn check_ns_fd(fd: &OwnedFd, t: NsType, path: &str) -> Result<()> {
    let st = nix::sys::stat::fstat(fd.as_fd()).map_err(|e| Error::sys(format!("fstat({})", fd.as_raw_fd()), e))?;
    let on_nsfs = fstatfs(fd).is_ok_and(|s| s.filesystem_type() == NSFS_MAGIC);
    if !on_nsfs || st.st_mode & SFlag::S_IFMT.bits() != SFlag::S_IFREG.bits() {
        return Err(Error::msg(format!("{path} is not a namespace file: it is {}", describe(&st))));
    }
    let flag = sys::ns_get_nstype(fd.as_fd()).map_err(|e| Error::sys(format!("{path}: NS_GET_NSTYPE failed"), e))?;
    match NsType::from_clone_flag(flag) {
        Some(kind) if kind == t => Ok(()),
        Some(kind) => Err(Error::msg(format!("{path} is a {kind} namespace, not a {t} namespace"))),
        None => Err(Error::msg(format!("{path} is not a {t} namespace"))),
    }
}

/// Opens a namespace file without side effects: an `O_PATH` look first (opening a FIFO
/// or a device for real could block or act), then a real open of what proved to be a
/// namespace.
fn open_ns_file(path: &OsStr, t: NsType) -> Result<OwnedFd> {
    let name = lossy(path);
    let cannot_open = |e| Error::sys(format!("cannot open {name}"), e);
    let probe = nix::fcntl::open(path, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()).map_err(cannot_open)?;
    let st =
        nix::sys::stat::fstat(probe.as_fd()).map_err(|e| Error::sys(format!("fstat({})", probe.as_raw_fd()), e))?;
    if st.st_mode & SFlag::S_IFMT.bits() != SFlag::S_IFREG.bits() {
        return Err(Error::msg(format!("{name} is not a namespace file: it is {}", describe(&st))));
    }
    let fd = nix::fcntl::open(format!("/proc/self/fd/{}", probe.as_raw_fd()).as_str(), RDONLY, Mode::empty())
        .map_err(cannot_open)?;
    check_ns_fd(&fd, t, &name)?;
    Ok(fd)
}

/// `--<type>=:<id>`: a namespace by its 64-bit ID.
fn open_ns_id(id: u64, t: NsType) -> Result<OwnedFd> {
    let what = format!("cannot open namespace of id {id}");
    let nsfs = File::open("/proc/self/ns/net").map_err(|e| Error::io(&what, &e))?;
    match sys::open_ns_by_id(nsfs.as_fd(), id) {
        Ok(fd) => {
            check_ns_fd(&fd, t, &format!("namespace of id {id}"))?;
            Ok(fd)
        }
        Err(e) => {
            let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
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

fn open_dir(path: &OsStr) -> Result<OwnedFd> {
    nix::fcntl::open(path, DIRECTORY, Mode::empty()).map_err(|e| Error::sys(format!("cannot open {}", lossy(path)), e))
}

/// `-N fd`: the network namespace of the target's socket `fd`.
fn socket_netns(target: &Target, fd: i32) -> Result<OwnedFd> {
    let pidfd = target.pidfd()?;
    let sock = sys::pidfd_getfd(pidfd.as_fd(), fd)
        .map_err(|e| Error::sys(format!("pidfd_getfd({}, {fd})", pidfd.as_raw_fd()), e))?;
    nix::sys::stat::fstat(sock.as_fd()).map_err(|e| Error::sys(format!("fstat({})", sock.as_raw_fd()), e))?;
    sys::socket_netns(sock.as_fd()).map_err(|e| Error::sys(format!("ioctl({}, SIOCGSKNS)", sock.as_raw_fd()), e))
}

/// `-c`: `cgroup.procs` of the target's cgroup, opened for appending.
fn open_cgroup_procs(target: &Target) -> Result<File> {
    let fs = statfs("/sys/fs/cgroup").map_err(|e| Error::sys("statfs /sys/fs/cgroup failed", e))?;
    if fs.filesystem_type() != CGROUP2_SUPER_MAGIC {
        return Err(Error::msg("--join-cgroup is only supported in cgroup v2"));
    }
    let text = target.read("cgroup", "failed to get cgroup path")?;
    let first = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let path = match first.iter().rposition(|&b| b == b':') {
        Some(i) if i + 1 < first.len() => &first[i + 1..],
        _ => return Err(Error::msg("failed to get cgroup path")),
    };
    let mut full = b"/sys/fs/cgroup".to_vec();
    full.extend_from_slice(path);
    full.extend_from_slice(b"/cgroup.procs");
    std::fs::OpenOptions::new()
        .append(true)
        .open(OsStr::from_bytes(&full))
        .map_err(|e| Error::io("failed to open cgroup.procs", &e))
}

/// Whether SELinux is active: its filesystem is mounted where libselinux looks.
fn selinux_enabled() -> bool {
    const SELINUX_MAGIC: nix::sys::statfs::FsType = nix::sys::statfs::FsType(0xf97c_ff8c);
    statfs("/sys/fs/selinux").is_ok_and(|s| s.filesystem_type() == SELINUX_MAGIC)
}

/// Enters the namespaces: pass 1 everything but the user namespace, errors ignored
/// (a privileged caller keeps the rights it needs until the user namespace is last);
/// pass 2 what is left, errors reported (an unprivileged caller gets its rights from the
/// user namespace first). Namespaces of the target go in one atomic `setns` on its pidfd.
fn enter(pidfd: Option<&OwnedFd>, mut via_pidfd: NsSet, files: &mut [Option<OwnedFd>; 8]) -> Result<()> {
    let mut first = via_pidfd;
    first.remove(NsType::User);
    if let Some(pidfd) = pidfd.filter(|_| !first.is_empty()) {
        if sys::setns(pidfd.as_fd(), first.clone_flags()).is_ok() {
            first.iter().for_each(|t| via_pidfd.remove(t));
        }
    }
    for t in NsType::ALL.into_iter().filter(|t| *t != NsType::User) {
        if files[t as usize].as_ref().is_some_and(|fd| sys::setns(fd.as_fd(), t.clone_flag()).is_ok()) {
            files[t as usize] = None;
        }
    }
    let enter_file = |t: NsType, fd: OwnedFd| {
        sys::setns(fd.as_fd(), t.clone_flag())
            .map_err(|e| Error::sys(format!("reassociate to namespace 'ns/{}' failed", t.proc_name()), e))
    };
    if let Some(fd) = files[NsType::User as usize].take() {
        enter_file(NsType::User, fd)?;
    }
    if let Some(pidfd) = pidfd.filter(|_| !via_pidfd.is_empty()) {
        sys::setns(pidfd.as_fd(), via_pidfd.clone_flags())
            .map_err(|e| Error::sys("reassociate to namespaces failed", e))?;
    }
    for t in NsType::ALL {
        if let Some(fd) = files[t as usize].take() {
            enter_file(t, fd)?;
        }
    }
    Ok(())
}

/// Waits for the child that runs the program, stopping when it stops (so the shell's
/// job control sees us stop, and `fg` continues both), and ends as it ended: same exit
/// status, or killed by the same signal.
fn wait_for(child: Pid) -> Result<i32> {
    loop {
        match nscore::process::wait_retrying(child, Some(WaitPidFlag::WUNTRACED))? {
            nscore::process::ChildState::Stopped(_) => {
                sys::kill(nix::unistd::getpid(), libc::SIGSTOP).map_err(|e| Error::sys("kill failed", e))?;
                sys::kill(child, libc::SIGCONT).map_err(|e| Error::sys("kill failed", e))?;
            }
            state => return nscore::process::pass_on(state),
        }
    }
}

/// `setgroups(0)`, tolerated where it fails harmlessly: outside a user namespace when it
/// failed before entering too (util-linux's rule), and wherever there are no
/// supplementary groups left to drop (an unprivileged user namespace denies setgroups).
fn drop_groups(failed_before: bool) -> Result<()> {
    match nix::unistd::setgroups(&[]) {
        Ok(()) => Ok(()),
        Err(_) if !failed_before => Ok(()),
        Err(_) if nix::unistd::getgroups().is_ok_and(|g| g.is_empty()) => Ok(()),
        Err(e) => Err(Error::sys("setgroups failed", e)),
    }
}

fn dir_owner(target: &Target) -> Result<FileStat> {
    let dir =
        target.dir.as_ref().ok_or_else(|| Error::sys(format!("cannot open /proc/{}", target.pid), Errno::ENOENT))?;
    nix::sys::stat::fstat(dir.as_fd()).map_err(|e| Error::sys(format!("fstat({})", dir.as_raw_fd()), e))
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

/// Step 1: the namespace files and directories the command line names, opened first as
/// util-linux opens them while parsing.
fn open_named(plan: &Plan) -> Result<ToEnter> {
    let mut files: [Option<OwnedFd>; 8] = Default::default();
    for t in NsType::ALL {
        match plan.ns_source(t) {
            Some(NsSource::File(p)) => files[t as usize] = Some(open_ns_file(p, t)?),
            Some(NsSource::Id(id)) => files[t as usize] = Some(open_ns_id(*id, t)?),
            _ => {}
        }
    }
    let via_target = NsType::ALL.into_iter().filter(|t| plan.ns_source(*t) == Some(&NsSource::Target)).collect();
    Ok(ToEnter { via_target, files })
}

/// Steps 3-4: `-a`'s namespaces, and per-file opening where there is no pidfd.
fn add_target_namespaces(plan: &Plan, target: &Target, ns: &mut ToEnter) -> Result<()> {
    if plan.all {
        for t in NsType::ALL.into_iter().filter(|t| plan.ns_source(*t).is_none()) {
            let supported = std::path::Path::new(&format!("/proc/self/ns/{}", t.proc_name())).exists();
            if supported && !target.shared_with_us(t)? {
                ns.via_target.insert(t);
            }
        }
    }
    if target.pidfd.is_err() {
        for t in ns.via_target.iter() {
            ns.set_file(t, target.open(&format!("ns/{}", t.proc_name()), RDONLY)?);
        }
    }
    Ok(())
}

/// Whether the target holds exactly our privileges, so that its environment is as
/// trustworthy as our own. If not (root entering a user's process, or a container's
/// less privileged root), its loader variables would make the program we start with our
/// privileges run code its owner chose. Anything we cannot read counts as different.
fn same_privilege(t: &Target) -> bool {
    use nscore::creds::{self, Creds};
    let theirs = t.read("status", "").ok().and_then(|s| Creds::parse(&s));
    let ours = std::fs::read("/proc/self/status").ok().and_then(|s| Creds::parse(&s));
    let (Some(theirs), Some(ours)) = (theirs, ours) else { return false };
    let userns = |st: std::result::Result<FileStat, Errno>| st.ok().map(|s| (s.st_dev, s.st_ino));
    let same_userns =
        userns(t.stat("ns/user")).is_some_and(|u| Some(u) == userns(nix::sys::stat::stat("/proc/self/ns/user")));
    creds::same_privilege(&ours, &theirs, same_userns)
}

/// What is read from the target by PID (step 5), besides its namespaces.
#[derive(Default)]
struct FromTarget {
    root: Option<OwnedFd>,
    wd: Option<OwnedFd>,
    env: Option<Vec<OsString>>,
    cgroup_procs: Option<File>,
    exec_context: Option<Vec<u8>>,
}

fn read_from_target(plan: &Plan, t: &Target) -> Result<FromTarget> {
    let mut r = FromTarget::default();
    if plan.root == Some(DirSpec::Target) {
        r.root = Some(t.open("root", DIRECTORY)?);
    }
    if plan.wd == Some(DirSpec::Target) {
        r.wd = Some(t.open("cwd", DIRECTORY)?);
    }
    if plan.env {
        let raw = t.read("environ", "failed to get environment variables")?;
        let mut env = nscore::environ::parse_environ(&raw);
        if !same_privilege(t) {
            nscore::environ::drop_loader_variables(&mut env);
        }
        r.env = Some(env);
    }
    if plan.uid == Some(IdSpec::Follow) || plan.gid == Some(IdSpec::Follow) {
        dir_owner(t)?;
    }
    if plan.join_cgroup {
        r.cgroup_procs = Some(open_cgroup_procs(t)?);
    }
    if plan.follow_context {
        let mut ctx = t.read("attr/current", &format!("failed to get {} SELinux context", t.pid))?;
        while ctx.last() == Some(&0) || ctx.last() == Some(&b'\n') {
            ctx.pop();
        }
        r.exec_context = Some(ctx);
    }
    Ok(r)
}

/// Steps 6-7: `--user-parent` and `-N` replace the user and network entries.
fn add_derived_namespaces(plan: &Plan, target: Option<&Target>, ns: &mut ToEnter) -> Result<()> {
    let by_pid = |what: &str| target.ok_or_else(|| Error::msg(format!("no target PID specified for {what}")));
    if plan.user_parent {
        let base = match ns.files[NsType::User as usize].take() {
            Some(fd) => fd,
            None => by_pid("--user-parent")?.open("ns/user", RDONLY)?,
        };
        let parent = sys::ns_get_parent(base.as_fd()).map_err(|e| Error::sys("failed to open parent namespace", e))?;
        ns.set_file(NsType::User, parent);
    }
    if let Some(fd) = plan.net_socket {
        ns.set_file(NsType::Net, socket_netns(by_pid("--net-socket")?, fd)?);
    }
    Ok(())
}

/// Steps 12-14: root, then working directory.
fn change_directories(plan: &Plan, target: Option<&Target>, root: Option<OwnedFd>, wd: Option<OwnedFd>) -> Result<()> {
    let cannot_open_cwd = |e| Error::sys("cannot open current working directory", e);
    let saved_cwd = match (&root, &wd, &plan.wdns) {
        (Some(_), None, None) => Some(nix::fcntl::open(".", DIRECTORY, Mode::empty()).map_err(cannot_open_cwd)?),
        _ => None,
    };
    if let Some(root) = root {
        nix::unistd::fchdir(&root).map_err(|e| Error::sys("change directory by root file descriptor failed", e))?;
        nix::unistd::chroot(".").map_err(|e| Error::sys("chroot failed", e))?;
        nix::unistd::chdir("/").map_err(|e| Error::sys("cannot change directory to /", e))?;
    }
    let wdns = match (&plan.wdns, target) {
        (Some(DirSpec::Path(p)), _) => Some(p.clone()),
        // Read now, so the path is the target's as seen from the root we now share.
        (Some(DirSpec::Target), Some(t)) => Some(t.cwd_link()?),
        (Some(DirSpec::Target), None) => return Err(Error::msg("no target PID specified")),
        (None, _) => None,
    };
    let wd = match wdns {
        Some(dir) => Some(nix::fcntl::open(dir.as_os_str(), DIRECTORY, Mode::empty()).map_err(cannot_open_cwd)?),
        None => wd.or(saved_cwd),
    };
    if let Some(wd) = wd {
        nix::unistd::fchdir(&wd)
            .map_err(|e| Error::sys("change directory by working directory file descriptor failed", e))?;
    }
    Ok(())
}

/// Step 17: `-S`/`-G` values, `follow` resolved to the owner of `/proc/PID` as the
/// entered user namespace sees it.
fn resolve_ids(
    target: Option<&Target>,
    (uid, gid): (Option<IdSpec>, Option<IdSpec>),
) -> Result<(Option<u32>, Option<u32>)> {
    let owner = match (target, uid == Some(IdSpec::Follow) || gid == Some(IdSpec::Follow)) {
        (Some(t), true) => Some(dir_owner(t)?),
        _ => None,
    };
    let resolve = |spec: Option<IdSpec>, pick: fn(&FileStat) -> u32| match spec {
        Some(IdSpec::Id(id)) => Some(id),
        Some(IdSpec::Follow) => owner.as_ref().map(pick),
        None => None,
    };
    Ok((resolve(uid, |s| s.st_uid), resolve(gid, |s| s.st_gid)))
}

/// Step 21: the program, or the default shell (`$SHELL` of the environment it gets).
fn program(plan: &Plan, env: Option<&[OsString]>) -> Program {
    if let Some(p) = Program::command(&plan.program) {
        return p;
    }
    let shell = match env {
        Some(e) => nscore::environ::lookup(e, "SHELL").map(OsStr::to_os_string),
        None => std::env::var_os("SHELL"),
    };
    default_shell(shell, nix::unistd::getuid().as_raw())
}

/// Runs the plan; returns only on failure, or in the parent after a fork.
pub fn run(plan: &Plan) -> Result<i32> {
    let mut ns = open_named(plan)?;
    let open_path = |d: &Option<DirSpec>| match d {
        Some(DirSpec::Path(p)) => open_dir(p).map(Some),
        _ => Ok(None),
    };
    let (root, wd) = (open_path(&plan.root)?, open_path(&plan.wd)?);
    // 2. -Z: we have no SELinux library; its kernel interface is enough where it is on.
    if plan.follow_context && !selinux_enabled() {
        return Err(Error::msg("--follow-context: SELinux is not enabled on this system"));
    }
    let target = plan.target.map(Target::pin).transpose()?;
    let mut from = FromTarget::default();
    if let Some(t) = &target {
        add_target_namespaces(plan, t, &mut ns)?;
        from = read_from_target(plan, t)?;
    }
    add_derived_namespaces(plan, target.as_ref(), &mut ns)?;
    // Everything above came from the pinned process only if it is still the same one.
    if let Some(t) = &target {
        t.check_alive()?;
    }
    // 8.-10. Entering a user namespace means becoming root there, unless told otherwise.
    let entered = ns.all();
    let user_entered = entered.contains(NsType::User);
    let ids = plan.credentials(user_entered);
    let setgroups_failed_before = user_entered && ids.1.is_some() && nix::unistd::setgroups(&[]).is_err();
    // 11.
    let pidfd = target.as_ref().and_then(|t| t.pidfd.as_ref().ok());
    enter(pidfd, ns.via_target, &mut ns.files)?;
    // 12.-14.
    change_directories(plan, target.as_ref(), root.or(from.root), wd.or(from.wd))?;
    // 16. Join the cgroup before forking, so the child is born in it.
    if let Some(mut procs) = from.cgroup_procs {
        procs
            .write_all(format!("{}\n", std::process::id()).as_bytes())
            .map_err(|e| Error::io("write cgroup.procs failed", &e))?;
    }
    let (uid, gid) = resolve_ids(target.as_ref(), ids)?;
    drop(target);
    // 18. Fork so that the program is inside the PID namespace.
    if plan.forks_if(entered.contains(NsType::Pid)) {
        if let Forked::Parent(child) = sys::fork().map_err(|e| Error::sys("fork failed", e))? {
            return wait_for(child);
        }
    }
    // 19. Credentials: groups, then gid, then uid.
    if let Some(gid) = gid {
        drop_groups(setgroups_failed_before)?;
        nix::unistd::setgid(Gid::from_raw(gid)).map_err(|e| Error::sys("setgid() failed", e))?;
    }
    if let Some(uid) = uid {
        nix::unistd::setuid(Uid::from_raw(uid)).map_err(|e| Error::sys("setuid() failed", e))?;
    }
    // 20.
    if plan.keep_caps && user_entered {
        nscore::caps::keep_caps()?;
    }
    if let Some(ctx) = from.exec_context {
        std::fs::write("/proc/thread-self/attr/exec", &ctx)
            .map_err(|e| Error::io(format!("failed to set exec context to '{}'", String::from_utf8_lossy(&ctx)), &e))?;
    }
    // 21.
    Err(nscore::exec::exec(&program(plan, from.env.as_deref()), from.env.as_deref()))
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

    #[test]
    fn wrong_files_are_named() {
        let e = open_ns_file(OsStr::new("/proc/self/ns/net"), NsType::Uts).unwrap_err();
        assert_eq!(e.to_string(), "/proc/self/ns/net is a net namespace, not a uts namespace");
        let e = open_ns_file(OsStr::new("/"), NsType::Uts).unwrap_err();
        assert_eq!(e.to_string(), "/ is not a namespace file: it is a directory");
        let e = open_ns_file(OsStr::new("/proc/self/status"), NsType::Net).unwrap_err();
        assert_eq!(e.to_string(), "/proc/self/status is not a namespace file: it is a regular file");
        let e = open_ns_file(OsStr::new("/dev/null"), NsType::Net).unwrap_err();
        assert_eq!(e.to_string(), "/dev/null is not a namespace file: it is a character device");
        let e = open_ns_file(OsStr::new("/nonexistent"), NsType::Net).unwrap_err();
        assert_eq!(e.to_string(), "cannot open /nonexistent: No such file or directory");
        assert!(open_ns_file(OsStr::new("/proc/self/ns/net"), NsType::Net).is_ok());
    }
}
