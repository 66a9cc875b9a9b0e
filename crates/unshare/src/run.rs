//! Executes a [`Plan`]: the one layer that makes system calls, in util-linux's order
//! (SPEC 2.2), written down once in [`run`].

use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{mount, MsFlags};
use nix::unistd::{getpid, Gid, Pid, Uid};
use nscore::cli::Invocation;
use nscore::idmap::{self, IdKind, IdRange, MapSpec, PendingRange};
use nscore::persist::bind_namespaces;
use nscore::process::{pass_on, pidfd_exited, wait_retrying, ChildState};
use nscore::sys::{self, Forked};
use nscore::{Error, NsType, Result};

use crate::plan::{Binfmt, Plan, Propagation, Setgroups};

/// A process forked before `unshare(2)` that waits for a go-ahead on a pipe: some work
/// must happen from outside the new namespaces (bind mounts in the original mount
/// namespace, id maps written with the original privileges) but after they exist.
struct Helper {
    pid: Pid,
    go: Option<OwnedFd>,
}

impl Helper {
    /// Forks a helper that runs `body` once released; dropping the helper unreleased
    /// cancels it (it sees end-of-file and exits quietly) and reaps it.
    fn spawn(inv: &Invocation, body: impl FnOnce() -> Result<()>) -> Result<Helper> {
        let (rx, tx) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| Error::sys("pipe failed", e))?;
        match sys::fork().map_err(|e| Error::sys("fork failed", e))? {
            Forked::Child => {
                drop(tx);
                if !wait_for_go(&rx) {
                    sys::exit_now(0);
                }
                let code = match body() {
                    Ok(()) => 0,
                    Err(e) => e.report(&inv.name, &inv.argv0),
                };
                sys::exit_now(code)
            }
            Forked::Parent(pid) => Ok(Helper { pid, go: Some(tx) }),
        }
    }

    /// Lets the helper run and waits for it; its failure status becomes ours.
    fn release(mut self) -> Result<()> {
        if let Some(tx) = self.go.take() {
            nix::unistd::write(tx.as_fd(), b"1").map_err(|e| Error::sys("failed to release helper", e))?;
        }
        helper_outcome(wait_retrying(self.pid, None)?)
    }

    /// In a forked child: the helper belongs to the parent, so leave it alone.
    fn disown(mut self) {
        self.go.take();
        std::mem::forget(self);
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if self.go.take().is_some() {
            let _ = wait_retrying(self.pid, None);
        }
    }
}

/// A helper's failure status becomes ours (it has reported why); death by a signal is
/// a plain failure.
fn helper_outcome(state: ChildState) -> Result<()> {
    match state {
        ChildState::Exited(0) => Ok(()),
        ChildState::Exited(code) => Err(Error::Exit(code)),
        _ => Err(Error::Exit(1)),
    }
}

/// Blocks until one byte arrives (true) or the other end is closed (false).
fn wait_for_go(rx: &OwnedFd) -> bool {
    let mut b = [0u8; 1];
    loop {
        match nix::unistd::read(rx, &mut b) {
            Ok(n) => return n == 1,
            Err(Errno::EINTR) => continue,
            Err(_) => return false,
        }
    }
}

/// Runs the plan. Returns only in the waiting parent (with the child's status) or on
/// failure; otherwise the program replaces this process.
pub fn run(plan: &Plan, inv: &Invocation) -> Result<i32> {
    sys::default_action(libc::SIGCHLD).map_err(|e| Error::sys("signal handler reset failed", e))?;
    let me = getpid();

    let bind_helper = if plan.bind_helper_needed() {
        let persist = plan.persist.clone();
        Some(Helper::spawn(inv, move || bind_namespaces(me, &persist))?)
    } else {
        None
    };

    let uid_ranges = plan.uid_map_by_helper().then(|| resolve_ranges(plan, IdKind::Uid)).transpose()?;
    let gid_ranges = plan.gid_map_by_helper().then(|| resolve_ranges(plan, IdKind::Gid)).transpose()?;
    let map_helper = if uid_ranges.is_some() || gid_ranges.is_some() {
        let euid = plan.euid;
        Some(Helper::spawn(inv, move || write_maps_from_outside(me, euid, uid_ranges, gid_ranges))?)
    } else {
        None
    };

    if let Some((uid, gid)) = plan.owner {
        nix::unistd::setgroups(&[]).map_err(|e| Error::sys("setgroups failed", e))?;
        nix::unistd::setgid(Gid::from_raw(gid)).map_err(|e| Error::sys("setgid() failed", e))?;
        nix::unistd::setuid(Uid::from_raw(uid)).map_err(|e| Error::sys("setuid() failed", e))?;
    }

    sys::unshare(plan.namespaces.clone_flags()).map_err(|e| unshare_error(plan, e))?;

    if let Some(h) = map_helper {
        h.release()?;
    }
    write_time_offsets(plan)?;

    if plan.fork {
        return fork_and_wait(plan, bind_helper, me);
    }
    bind_persistent(plan, bind_helper, me)?;
    Err(prepare_and_exec(plan, None))
}

/// The error for a failed `unshare(2)`, with advice where util-linux leaves users
/// guessing.
fn unshare_error(plan: &Plan, errno: Errno) -> Error {
    let e = Error::sys("unshare failed", errno);
    match errno {
        Errno::EPERM if !plan.namespaces.contains(NsType::User) => e.with_hint(
            "creating namespaces needs privileges; run as root or add --map-root-user (-r) for a user namespace",
        ),
        Errno::ENOSPC | Errno::EUSERS => {
            let limits: Vec<String> =
                plan.namespaces.iter().map(|t| format!("user.max_{}_namespaces", sysctl_name(t))).collect();
            e.with_hint(format!(
                "a namespace limit was reached: see sysctl {} (or the user namespace nesting limit of 32)",
                limits.join(", ")
            ))
        }
        _ => e,
    }
}

/// The name in `/proc/sys/user/max_<name>_namespaces`.
fn sysctl_name(t: NsType) -> &'static str {
    match t {
        NsType::Mnt => "mnt",
        other => other.proc_name(),
    }
}

/// Resolves the range specs of one kind into the map a helper writes, merging the
/// single mapping (`-r`, `-c`, `--map-user`) in with the hole-punching rules.
fn resolve_ranges(plan: &Plan, kind: IdKind) -> Result<Vec<IdRange>> {
    let (specs, single, outer) = match kind {
        IdKind::Uid => (&plan.map_users, plan.map_user, plan.euid),
        IdKind::Gid => (&plan.map_groups, plan.map_group, plan.egid),
    };
    let mut pending: Vec<PendingRange> = Vec::new();
    for spec in specs {
        match spec {
            MapSpec::Range(r) => pending.push((*r).into()),
            MapSpec::Auto | MapSpec::Subids => {
                let (start, count) = subid_block(plan.euid, kind)?;
                let inner = (*spec == MapSpec::Subids).then_some(start);
                pending.push(PendingRange { inner, outer: start, count });
            }
            MapSpec::All => {
                let path = format!("/proc/self/{}", kind.map_file());
                let text = std::fs::read_to_string(&path).map_err(|e| Error::io(format!("cannot open {path}"), &e))?;
                pending.extend(idmap::parse_map_file(&text).into_iter().map(|r| PendingRange {
                    inner: Some(r.inner),
                    outer: r.inner,
                    count: r.count,
                }));
            }
        }
    }
    Ok(match single {
        Some(inner) => idmap::merge_single(IdRange { inner, outer, count: 1 }, &pending),
        None => idmap::finalize(&pending),
    })
}

/// The caller's own first block in /etc/subuid (or /etc/subgid), matched by user name or
/// number, never anyone else's.
fn subid_block(euid: u32, kind: IdKind) -> Result<(u32, u32)> {
    let file = kind.subid_file();
    let name = nscore::ids::user_name(euid);
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(format!("could not open '{file}'"), &e))?;
    match idmap::find_subid_block(&text, name.as_deref(), euid) {
        Ok(Some(block)) => Ok(block),
        Ok(None) => {
            Err(Error::msg(format!("no line matching user \"{}\" in {file}", name.unwrap_or_else(|| euid.to_string()))))
        }
        Err(m) => Err(Error::msg(m)),
    }
}

/// In the map helper: writes the target's maps itself when root, otherwise runs
/// newuidmap/newgidmap (setuid helpers that check /etc/subuid).
fn write_maps_from_outside(target: Pid, euid: u32, uid: Option<Vec<IdRange>>, gid: Option<Vec<IdRange>>) -> Result<()> {
    if euid == 0 {
        for (kind, ranges) in [(IdKind::Uid, uid), (IdKind::Gid, gid)] {
            if let Some(r) = ranges {
                idmap::write_map_file(&format!("/proc/{target}/{}", kind.map_file()), &r)?;
            }
        }
        return Ok(());
    }
    match (uid, gid) {
        (Some(u), Some(g)) => {
            // one exec each: run newuidmap in a child, then become newgidmap
            match sys::fork().map_err(|e| Error::sys("fork failed", e))? {
                Forked::Child => Err(exec_newidmap(IdKind::Uid, target, &u)),
                Forked::Parent(pid) => {
                    helper_outcome(wait_retrying(pid, None)?)?;
                    Err(exec_newidmap(IdKind::Gid, target, &g))
                }
            }
        }
        (Some(u), None) => Err(exec_newidmap(IdKind::Uid, target, &u)),
        (None, Some(g)) => Err(exec_newidmap(IdKind::Gid, target, &g)),
        (None, None) => Ok(()),
    }
}

fn exec_newidmap(kind: IdKind, target: Pid, ranges: &[IdRange]) -> Error {
    let mut argv: Vec<OsString> = vec![kind.helper().into(), target.to_string().into()];
    for r in ranges {
        argv.extend([r.inner, r.outer, r.count].map(|n| OsString::from(n.to_string())));
    }
    let prog = nscore::exec::Program { path: kind.helper().into(), argv };
    match nscore::exec::exec(&prog, None) {
        e @ Error::Exec { errno: Errno::ENOENT, .. } => {
            e.with_hint(format!("range maps need {} (package uidmap) when not run as root", kind.helper()))
        }
        e => e,
    }
}

/// Writes `--boottime`/`--monotonic` in one write, before any process enters the
/// new time namespace.
fn write_time_offsets(plan: &Plan) -> Result<()> {
    if plan.monotonic.is_none() && plan.boottime.is_none() {
        return Ok(());
    }
    let mut text = String::new();
    if let Some(b) = plan.boottime {
        text.push_str(&format!("{} {b} 0\n", libc::CLOCK_BOOTTIME));
    }
    if let Some(m) = plan.monotonic {
        text.push_str(&format!("{} {m} 0\n", libc::CLOCK_MONOTONIC));
    }
    idmap::write_proc_file("/proc/self/timens_offsets", text.as_bytes(), "failed to open", "failed to write to")
}

fn bind_persistent(plan: &Plan, helper: Option<Helper>, me: Pid) -> Result<()> {
    match helper {
        Some(h) => h.release(),
        None if plan.persist.is_empty() => Ok(()),
        None => bind_namespaces(me, &plan.persist),
    }
}

/// `--fork`: the child runs the program, the parent binds persistent namespaces (its
/// `pid_for_children` exists only now), then waits and passes the child's fate on.
fn fork_and_wait(plan: &Plan, bind_helper: Option<Helper>, me: Pid) -> Result<i32> {
    let old_mask =
        sys::sigmask(true, &[libc::SIGINT, libc::SIGTERM]).map_err(|e| Error::sys("sigprocmask block failed", e))?;
    let parent_fd = match plan.kill_child {
        Some(_) => Some(sys::pidfd_open(me, 0).map_err(|e| Error::sys("pidfd_open failed", e))?),
        None => None,
    };
    // The child may not start the program until the persistence mounts exist: if they
    // fail, the child is killed before it ran anything.
    let gate = if plan.persist.is_empty() {
        None
    } else {
        Some(nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| Error::sys("pipe failed", e))?)
    };
    match sys::fork().map_err(|e| Error::sys("fork failed", e))? {
        Forked::Child => {
            if let Some(h) = bind_helper {
                h.disown();
            }
            sys::set_sigmask(&old_mask).map_err(|e| Error::sys("sigprocmask restore failed", e))?;
            if let Some((rx, tx)) = gate {
                drop(tx);
                if !wait_for_go(&rx) {
                    sys::exit_now(1);
                }
            }
            Err(prepare_and_exec(plan, parent_fd))
        }
        Forked::Parent(child) => {
            if plan.forward_signals {
                sys::forward_signals_to(child).map_err(|(sig, e)| {
                    let name = if sig == libc::SIGTERM { "SIGTERM" } else { "SIGINT" };
                    Error::sys(format!("sigaction {name} failed"), e)
                })?;
                sys::set_sigmask(&old_mask).map_err(|e| Error::sys("sigprocmask restore failed", e))?;
            }
            if let Err(e) = bind_persistent(plan, bind_helper, me) {
                let _ = sys::kill(child, libc::SIGKILL);
                let _ = wait_retrying(child, None);
                return Err(e);
            }
            if let Some((_, tx)) = gate {
                nix::unistd::write(tx.as_fd(), b"1").map_err(|e| Error::sys("failed to release child", e))?;
            }
            pass_on(wait_retrying(child, None)?)
        }
    }
}

/// The steps inside the new namespaces, then exec. Returns only the error.
fn prepare_and_exec(plan: &Plan, parent_fd: Option<OwnedFd>) -> Error {
    match prepare(plan, parent_fd) {
        Ok(()) => nscore::exec::exec(&plan.program, plan.env.as_deref()),
        Err(e) => e,
    }
}

fn prepare(plan: &Plan, parent_fd: Option<OwnedFd>) -> Result<()> {
    if let (Some(inner), false) = (plan.map_user, plan.uid_map_by_helper()) {
        idmap::write_map_file("/proc/self/uid_map", &[IdRange { inner, outer: plan.euid, count: 1 }])?;
    }
    if plan.writes_own_gid_map() {
        write_setgroups(Setgroups::Deny)?;
        let inner = plan.map_group.unwrap_or_default();
        idmap::write_map_file("/proc/self/gid_map", &[IdRange { inner, outer: plan.egid, count: 1 }])?;
    }
    match plan.setgroups {
        // already written before gid_map, and it may be written only once after that
        Some(Setgroups::Deny) if plan.writes_own_gid_map() => {}
        Some(sg) => write_setgroups(sg)?,
        None => {}
    }
    if plan.namespaces.contains(NsType::Mnt) {
        let flag = match plan.propagation {
            Propagation::Private => Some(MsFlags::MS_PRIVATE),
            Propagation::Shared => Some(MsFlags::MS_SHARED),
            Propagation::Slave => Some(MsFlags::MS_SLAVE),
            Propagation::Unchanged => None,
        };
        if let Some(f) = flag {
            mount(Some("none"), "/", None::<&str>, MsFlags::MS_REC | f, None::<&str>)
                .map_err(|e| Error::sys("cannot change root filesystem propagation", e))?;
        }
    }
    let mut binfmt_done = false;
    if let (Some(b), Some(_)) = (&plan.binfmt, &plan.root) {
        if b.fix_binary() {
            // the interpreter is opened at registration: do it while it is still visible
            mount_binfmt(b)?;
            binfmt_done = true;
        }
    }
    if let Some(root) = &plan.root {
        nix::unistd::chroot(root.as_path())
            .map_err(|e| Error::sys(format!("cannot change root directory to '{}'", root.display()), e))?;
    }
    let wd = plan.wd.as_deref().or(plan.root.as_ref().map(|_| Path::new("/")));
    if let Some(wd) = wd {
        nix::unistd::chdir(wd).map_err(|e| Error::sys(format!("cannot change directory to {}", wd.display()), e))?;
    }
    if let Some(dir) = &plan.mount_proc {
        if plan.root.is_none() && plan.propagation != Propagation::Private {
            match mount(Some("none"), dir.as_path(), None::<&str>, MsFlags::MS_PRIVATE | MsFlags::MS_REC, None::<&str>)
            {
                Ok(()) | Err(Errno::EINVAL) => {}
                Err(e) => return Err(Error::sys(format!("cannot change {} filesystem propagation", dir.display()), e)),
            }
        }
        let flags = MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC | MsFlags::MS_NODEV;
        mount(Some("proc"), dir.as_path(), Some("proc"), flags, None::<&str>)
            .map_err(|e| Error::sys(format!("mount {} failed", dir.display()), e))?;
    }
    if let (Some(b), false) = (&plan.binfmt, binfmt_done) {
        mount_binfmt(b)?;
    }
    if let Some(gid) = plan.setgid {
        nix::unistd::setgroups(&[]).map_err(|e| Error::sys("setgroups failed", e))?;
        nix::unistd::setgid(Gid::from_raw(gid)).map_err(|e| Error::sys("setgid() failed", e))?;
    }
    if let Some(uid) = plan.setuid {
        nix::unistd::setuid(Uid::from_raw(uid)).map_err(|e| Error::sys("setuid() failed", e))?;
    }
    if plan.keep_caps && plan.namespaces.contains(NsType::User) {
        nscore::caps::keep_caps()?;
    }
    // Last: the kernel clears the parent-death signal on every credential change.
    if let (Some(sig), Some(fd)) = (plan.kill_child, parent_fd) {
        sys::set_pdeathsig(sig).map_err(|e| Error::sys("prctl failed", e))?;
        if pidfd_exited(fd.as_fd())? {
            sys::exit_now(1);
        }
    }
    Ok(())
}

fn write_setgroups(sg: Setgroups) -> Result<()> {
    match idmap::write_proc_file("/proc/self/setgroups", sg.as_str().as_bytes(), "cannot open", "write failed") {
        Err(e) if e.errno() == Some(Errno::ENOENT) => Ok(()),
        other => other,
    }
}

fn mount_binfmt(b: &Binfmt) -> Result<()> {
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(Some("binfmt_misc"), b.dir.as_path(), Some("binfmt_misc"), flags, None::<&str>)
        .map_err(|e| Error::sys(format!("mount {} failed", b.dir.display()), e))?;
    if let Some(interp) = &b.interp {
        let reg = b.dir.join("register");
        idmap::write_proc_file(&reg.to_string_lossy(), interp.as_bytes(), "cannot open", "write failed")?;
    }
    Ok(())
}
