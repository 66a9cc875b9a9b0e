//! Executes a [`Plan`]: the one layer that makes system calls, in util-linux's order.
//! Every call goes through the [`Syscall`] seam, so the unit tests below pin the order on
//! the recording fake ([`nscore::seam::fake`]), without root.
//!
//! Some work must be done from outside the new namespaces but after they exist (bind
//! mounts of persistent namespaces into the original mount namespace, id maps written
//! with the original privileges), which is why helpers are forked before `unshare(2)`
//! and released after it. The steps:
//!
//! 1. SIGCHLD back to its default action (an inherited "ignore" would make the kernel
//!    reap our children before we can wait for them).
//! 2. Persistence files (`--net=FILE`, ...) with a new mount or user namespace: fork the
//!    bind helper, which stays in the original namespaces and waits.
//! 3. Range maps (`--map-users`, `--map-auto`, ...; or `--owner` with a single map): the
//!    ranges are resolved (the caller's own line of /etc/subuid and /etc/subgid) and the
//!    single mapping of `-r`/`-c`/`--map-user` merged in (it punches a hole into an
//!    overlapping range); then fork the map helper, which waits.
//! 4. `--owner UID:GID`: drop supplementary groups, then gid, then uid, so that the new
//!    user namespace is owned by them.
//! 5. One `unshare(2)` with every `CLONE_NEW*` flag asked for. A PID or time namespace
//!    takes only the children made after it (`pid_for_children`); the others take this
//!    process at once.
//! 6. Release the map helper and wait for it: as root it writes `/proc/PID/uid_map` and
//!    `gid_map` itself, otherwise it runs newuidmap and newgidmap (setuid helpers that
//!    check /etc/subuid and /etc/subgid). Its failure status becomes ours.
//! 7. `--monotonic`/`--boottime`: written to `/proc/self/timens_offsets` in one write,
//!    before any process has entered the time namespace (the kernel refuses it later).
//! 8. `--fork` (also implied by `--kill-child` and `--forward-signals`): SIGINT and
//!    SIGTERM are blocked, so that they cannot kill us before the child; with
//!    `--kill-child` a pidfd of ourselves is opened for the child to watch; fork.
//!    - The parent forwards SIGINT/SIGTERM to the child if `--forward-signals` (and then
//!      unblocks them), makes the persistence bind mounts (releasing the bind helper, or
//!      itself; the PID namespace exists only now that it has a member), kills the child
//!      if they fail, else opens the child's gate, waits, and ends as the child ended:
//!      same exit status, or death by the same signal.
//!    - The child restores the signal mask, waits at the gate (persistence only), and
//!      goes on with step 10.
//! 9. Without `--fork`, this process makes the persistence bind mounts itself.
//! 10. Inside the new namespaces (`prepare`): our own single maps (`-r`, `-c`,
//!     `--map-user`, `--map-group`: setgroups `deny` before `gid_map`, as the kernel
//!     requires of a writer without CAP_SETGID in the parent namespace), `--setgroups`;
//!     the root's propagation (`-m`, default private, so that our mounts stay ours);
//!     binfmt_misc when it must precede the chroot (`F` flag with `--root`); `--root`
//!     and the working directory (`--wd`, or `/` of the new root); `--mount-proc` (a proc
//!     of the new PID namespace: only right in the forked child); binfmt_misc otherwise;
//!     `-G` (groups dropped, then gid) and `-S`; `--keep-caps` (with `-U`: the permitted
//!     capabilities raised into the ambient set); last the parent-death signal of
//!     `--kill-child` (the kernel clears it on every credential change), then the parent
//!     checked to be still alive.
//! 11. Exec the program with its environment (`--clear-env`, `--whitelist-env`), or the
//!     default shell as a login shell.

use std::ffi::OsString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::MsFlags;
use nix::sys::signal::SigSet;
use nix::sys::stat::Mode;
use nix::unistd::Pid;
use nscore::creds::{self, DropGroups};
use nscore::idmap::{self, IdKind, IdRange, MapSpec, PendingRange};
use nscore::invocation::Invocation;
use nscore::persist::bind_namespaces;
use nscore::process::{pass_on, pidfd_exited, wait_retrying, ChildState};
use nscore::seam::Syscall;
use nscore::sys::Forked;
use nscore::{Error, NsSet, NsType, Result};

use crate::plan::{Binfmt, Plan, Propagation, Setgroups};

/// A process forked before `unshare(2)` that waits for a go-ahead on a pipe: some work
/// must happen from outside the new namespaces (bind mounts in the original mount
/// namespace, id maps written with the original privileges) but after they exist.
/// Whoever holds one must end it one way: [`Helper::release`], [`Helper::cancel`] or,
/// in a forked child, [`Helper::disown`].
struct Helper {
    pid: Pid,
    go: OwnedFd,
}

impl Helper {
    /// Forks a helper that runs `body` once released; cancelled instead, it sees
    /// end-of-file and exits quietly.
    fn spawn<S: Syscall>(sys: &mut S, inv: &Invocation, body: impl FnOnce(&mut S) -> Result<()>) -> Result<Helper> {
        let (rx, tx) = sys.pipe().map_err(|e| Error::sys("pipe failed", e))?;
        match sys.fork().map_err(|e| Error::sys("fork failed", e))? {
            Forked::Child => {
                drop(tx);
                if !wait_for_go(sys, &rx) {
                    sys.exit(0);
                }
                let code = match body(sys) {
                    Ok(()) => 0,
                    Err(e) => e.report(&inv.name, &inv.argv0),
                };
                sys.exit(code)
            }
            Forked::Parent(pid) => Ok(Helper { pid, go: tx }),
        }
    }

    /// Lets the helper run and waits for it; its failure status becomes ours.
    fn release<S: Syscall>(self, sys: &mut S) -> Result<()> {
        let Helper { pid, go } = self;
        sys.write(go.as_fd(), b"1").map_err(|e| Error::sys("failed to release helper", e))?;
        drop(go);
        helper_outcome(wait_retrying(sys, pid, None)?)
    }

    /// Makes the helper exit without doing anything, and reaps it.
    fn cancel<S: Syscall>(self, sys: &mut S) {
        drop(self.go);
        let _ = wait_retrying(sys, self.pid, None);
    }

    /// In a forked child: the helper belongs to the parent, so leave it alone.
    fn disown(self) {
        drop(self.go);
    }
}

/// The helpers of one run, each taken out when it is released or disowned; whatever is
/// left when the run fails is cancelled (the map helper first), so that a refused
/// command leaves no process behind.
#[derive(Default)]
struct Helpers {
    bind: Option<Helper>,
    maps: Option<Helper>,
}

impl Helpers {
    fn cancel<S: Syscall>(&mut self, sys: &mut S) {
        for h in [self.maps.take(), self.bind.take()].into_iter().flatten() {
            h.cancel(sys);
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
fn wait_for_go<S: Syscall>(sys: &mut S, rx: &OwnedFd) -> bool {
    let mut b = [0u8; 1];
    loop {
        match sys.read(rx.as_fd(), &mut b) {
            Ok(n) => return n == 1,
            Err(Errno::EINTR) => continue,
            Err(_) => return false,
        }
    }
}

/// Runs the plan (steps 1-11 above). Returns only in the waiting parent (with the
/// child's status) or on failure; otherwise the program replaces this process. Helpers
/// still waiting when a step fails are cancelled, so a refused command leaves no process.
pub fn run<S: Syscall>(sys: &mut S, plan: &Plan, inv: &Invocation) -> Result<i32> {
    sys.default_action(libc::SIGCHLD).map_err(|e| Error::sys("signal handler reset failed", e))?;
    let me = sys.getpid();
    let mut helpers = Helpers::default();
    let result = run_with_helpers(sys, plan, inv, me, &mut helpers);
    helpers.cancel(sys);
    result
}

fn run_with_helpers<S: Syscall>(
    sys: &mut S,
    plan: &Plan,
    inv: &Invocation,
    me: Pid,
    helpers: &mut Helpers,
) -> Result<i32> {
    if plan.bind_helper_needed() {
        helpers.bind = Some(Helper::spawn(sys, inv, |sys| bind_namespaces(sys, me, &plan.persist))?);
    }
    // the caller's user name, looked up once for /etc/subuid and /etc/subgid alike
    let mut name = None;
    let mut ranges = |sys: &mut S, kind| resolve_ranges(sys, plan, kind, &mut name).map(Some);
    let uid_ranges = if plan.uid_map_by_helper() { ranges(sys, IdKind::Uid)? } else { None };
    let gid_ranges = if plan.gid_map_by_helper() { ranges(sys, IdKind::Gid)? } else { None };
    // kept for explaining a refusal of newuidmap or newgidmap
    let asked = [(IdKind::Uid, uid_ranges.clone()), (IdKind::Gid, gid_ranges.clone())];
    if uid_ranges.is_some() || gid_ranges.is_some() {
        let euid = plan.euid;
        let body = move |sys: &mut S| write_maps_from_outside(sys, me, euid, uid_ranges, gid_ranges);
        helpers.maps = Some(Helper::spawn(sys, inv, body)?);
    }
    if let Some((uid, gid)) = plan.owner {
        creds::switch(sys, Some(gid), Some(uid), DropGroups::Required)?;
    }

    if let Err(e) = sys.unshare(plan.namespaces.clone_flags()) {
        return Err(unshare_error(sys, plan, e));
    }

    if let Some(h) = helpers.maps.take() {
        h.release(sys).map_err(|e| explain_map_helper(sys, plan, &asked, e))?;
    }
    write_time_offsets(sys, plan)?;

    if plan.fork {
        return fork_and_wait(sys, plan, helpers, me);
    }
    bind_persistent(sys, plan, helpers.bind.take(), me)?;
    Err(prepare_and_exec(sys, plan, None))
}

/// The error for a failed `unshare(2)`, with the cause where it can be found (on this
/// failure path only: [`nscore::diagnose`]).
fn unshare_error<S: Syscall>(sys: &mut S, plan: &Plan, errno: Errno) -> Error {
    use nscore::diagnose::{self, facts};
    let e = Error::sys("unshare failed", errno);
    let types = plan.namespaces;
    let hint = match errno {
        Errno::EPERM => {
            let me = facts::caller(sys);
            let sysctls = facts::sysctls(sys, &facts::limit_names(NsSet::default()));
            diagnose::unshare_eperm(&me, types, &sysctls)
        }
        Errno::ENOSPC | Errno::EUSERS => {
            let sysctls = facts::sysctls(sys, &facts::limit_names(types));
            let level = if types.contains(NsType::Pid) { facts::pid_level(sys) } else { None };
            diagnose::unshare_limit(types, &sysctls, level)
        }
        _ => None,
    };
    e.with_hint_if(hint)
}

/// Resolves the range specs of one kind into the map a helper writes, merging the
/// single mapping (`-r`, `-c`, `--map-user`) in with the hole-punching rules. `name`
/// keeps the caller's user name once `auto` or `subids` looked it up.
fn resolve_ranges<S: Syscall>(
    sys: &mut S,
    plan: &Plan,
    kind: IdKind,
    name: &mut Option<Option<String>>,
) -> Result<Vec<IdRange>> {
    let (specs, single, outer) = match kind {
        IdKind::Uid => (&plan.map_users, plan.map_user, plan.euid),
        IdKind::Gid => (&plan.map_groups, plan.map_group, plan.egid),
    };
    let mut pending: Vec<PendingRange> = Vec::new();
    for spec in specs {
        match spec {
            MapSpec::Range(r) => pending.push((*r).into()),
            MapSpec::Auto | MapSpec::Subids => {
                let name = name.get_or_insert_with(|| nscore::ids::user_name(plan.euid));
                let (start, count) = subid_block(sys, plan.euid, name.as_deref(), kind)?;
                let inner = (*spec == MapSpec::Subids).then_some(start);
                pending.push(PendingRange { inner, outer: start, count });
            }
            MapSpec::All => {
                let path = format!("/proc/self/{}", kind.map_file());
                let text = sys.read_text(Path::new(&path)).map_err(|e| Error::io(format!("cannot open {path}"), &e))?;
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
fn subid_block<S: Syscall>(sys: &mut S, euid: u32, name: Option<&str>, kind: IdKind) -> Result<(u32, u32)> {
    let file = kind.subid_file();
    let text = sys.read_text(Path::new(file)).map_err(|e| Error::io(format!("could not open '{file}'"), &e))?;
    match idmap::find_subid_block(&text, name, euid) {
        Ok(Some(block)) => Ok(block),
        Ok(None) => {
            let who = name.map_or_else(|| euid.to_string(), str::to_string);
            Err(Error::msg(format!("no line matching user \"{who}\" in {file}")))
        }
        Err(bad) => Err(Error::msg(bad.to_string())),
    }
}

/// In the map helper: writes the target's maps itself when root, otherwise runs
/// newuidmap/newgidmap (setuid helpers that check /etc/subuid).
fn write_maps_from_outside<S: Syscall>(
    sys: &mut S,
    target: Pid,
    euid: u32,
    uid: Option<Vec<IdRange>>,
    gid: Option<Vec<IdRange>>,
) -> Result<()> {
    if euid == 0 {
        for (kind, ranges) in [(IdKind::Uid, uid), (IdKind::Gid, gid)] {
            if let Some(r) = ranges {
                idmap::write_map_file(sys, &format!("/proc/{target}/{}", kind.map_file()), &r)?;
            }
        }
        return Ok(());
    }
    match (uid, gid) {
        (Some(u), Some(g)) => {
            // one exec each: run newuidmap in a child, then become newgidmap
            match sys.fork().map_err(|e| Error::sys("fork failed", e))? {
                Forked::Child => Err(exec_newidmap(sys, IdKind::Uid, target, &u)),
                Forked::Parent(pid) => {
                    helper_outcome(wait_retrying(sys, pid, None)?)?;
                    Err(exec_newidmap(sys, IdKind::Gid, target, &g))
                }
            }
        }
        (Some(u), None) => Err(exec_newidmap(sys, IdKind::Uid, target, &u)),
        (None, Some(g)) => Err(exec_newidmap(sys, IdKind::Gid, target, &g)),
        (None, None) => Ok(()),
    }
}

fn exec_newidmap<S: Syscall>(sys: &mut S, kind: IdKind, target: Pid, ranges: &[IdRange]) -> Error {
    let mut argv: Vec<OsString> = vec![kind.helper().into(), target.to_string().into()];
    for r in ranges {
        argv.extend([r.inner, r.outer, r.count].map(|n| OsString::from(n.to_string())));
    }
    let prog = nscore::exec::Program { path: kind.helper().into(), argv };
    match sys.exec(&prog, None) {
        e @ Error::Exec { errno: Errno::ENOENT, .. } => {
            e.with_hint(format!("range maps need {} (package uidmap) when not run as root", kind.helper()))
        }
        e => e,
    }
}

/// newuidmap or newgidmap failed (and said so): why, where it can be found. It is not
/// set-user-ID root, or a range lies outside the caller's blocks in /etc/subuid.
fn explain_map_helper<S: Syscall>(
    sys: &mut S,
    plan: &Plan,
    asked: &[(IdKind, Option<Vec<IdRange>>)],
    e: Error,
) -> Error {
    use nscore::diagnose::{self, facts};
    // (126 and 127: the helper could not run it, and has said why)
    if plan.euid == 0 || !matches!(e, Error::Exit(code) if code != 126 && code != 127) {
        return e;
    }
    let name = nscore::ids::user_name(plan.euid);
    for (kind, ranges) in asked {
        let Some(ranges) = ranges else { continue };
        if let Some((path, st)) = nscore::exec::find_program(sys, kind.helper().as_ref(), None) {
            if let Some(h) = diagnose::helper_not_setuid(&path, st.mode) {
                return e.with_hint(h);
            }
        }
        let own = if *kind == IdKind::Uid { plan.euid } else { plan.egid };
        let blocks = facts::subid_blocks(sys, *kind, name.as_deref(), own);
        if let Some(h) = diagnose::subid_range(*kind, own, ranges, &blocks) {
            return e.with_hint(h);
        }
    }
    e
}

/// Writes `--boottime`/`--monotonic` in one write, before any process enters the
/// new time namespace.
fn write_time_offsets<S: Syscall>(sys: &mut S, plan: &Plan) -> Result<()> {
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
    idmap::write_proc_file(sys, "/proc/self/timens_offsets", text.as_bytes(), "failed to open", "failed to write to")
}

fn bind_persistent<S: Syscall>(sys: &mut S, plan: &Plan, helper: Option<Helper>, me: Pid) -> Result<()> {
    match helper {
        Some(h) => h.release(sys),
        None if plan.persist.is_empty() => Ok(()),
        None => bind_namespaces(sys, me, &plan.persist),
    }
}

/// `--fork`: the child runs the program, the parent binds persistent namespaces (its
/// `pid_for_children` exists only now), then waits and passes the child's fate on.
/// SIGINT and SIGTERM stay blocked in the parent until it forwards them or no longer
/// cares, so a signal in between cannot kill it before the child.
fn fork_and_wait<S: Syscall>(sys: &mut S, plan: &Plan, helpers: &mut Helpers, me: Pid) -> Result<i32> {
    let old_mask =
        sys.block_signals(&[libc::SIGINT, libc::SIGTERM]).map_err(|e| Error::sys("sigprocmask block failed", e))?;
    let parent_fd = match plan.kill_child {
        Some(_) => Some(sys.pidfd_open(me).map_err(|e| Error::sys("pidfd_open failed", e))?),
        None => None,
    };
    // The child may not start the program until the persistence mounts exist: if they
    // fail, the child is killed before it ran anything.
    let gate = if plan.persist.is_empty() { None } else { Some(sys.pipe().map_err(|e| Error::sys("pipe failed", e))?) };
    match sys.fork().map_err(|e| Error::sys("fork failed", e))? {
        Forked::Child => {
            if let Some(h) = helpers.bind.take() {
                h.disown();
            }
            sys.set_sigmask(&old_mask).map_err(|e| Error::sys("sigprocmask restore failed", e))?;
            if let Some((rx, tx)) = gate {
                drop(tx);
                if !wait_for_go(sys, &rx) {
                    sys.exit(1);
                }
            }
            Err(prepare_and_exec(sys, plan, parent_fd))
        }
        Forked::Parent(child) => parent_after_fork(sys, plan, helpers, &old_mask, gate, child, me),
    }
}

/// The `--fork` parent: forwards signals if asked, makes the persistence mounts (killing
/// the child if they fail), opens the gate, and waits.
fn parent_after_fork<S: Syscall>(
    sys: &mut S,
    plan: &Plan,
    helpers: &mut Helpers,
    old_mask: &SigSet,
    gate: Option<(OwnedFd, OwnedFd)>,
    child: Pid,
    me: Pid,
) -> Result<i32> {
    if plan.forward_signals {
        sys.forward_signals_to(child).map_err(|(sig, e)| {
            let name = if sig == libc::SIGTERM { "SIGTERM" } else { "SIGINT" };
            Error::sys(format!("sigaction {name} failed"), e)
        })?;
        sys.set_sigmask(old_mask).map_err(|e| Error::sys("sigprocmask restore failed", e))?;
    }
    if let Err(e) = bind_persistent(sys, plan, helpers.bind.take(), me) {
        let _ = sys.kill(child, libc::SIGKILL);
        let _ = wait_retrying(sys, child, None);
        return Err(e);
    }
    if let Some((_, tx)) = gate {
        sys.write(tx.as_fd(), b"1").map_err(|e| Error::sys("failed to release child", e))?;
    }
    let state = wait_retrying(sys, child, None)?;
    pass_on(sys, state)
}

/// The steps inside the new namespaces, then exec. Returns only the error.
fn prepare_and_exec<S: Syscall>(sys: &mut S, plan: &Plan, parent_fd: Option<OwnedFd>) -> Error {
    match prepare(sys, plan, parent_fd) {
        Ok(()) => match (sys.exec(&plan.program, plan.env.as_deref()), &plan.root) {
            (e @ Error::Exec { errno: Errno::ENOENT, .. }, Some(root)) => {
                let found = nscore::exec::program_exists(sys, &plan.program, plan.env.as_deref());
                let place = format!("the root {}", root.display());
                let hint = nscore::diagnose::missing_inside(&plan.program.display_name(), &place, found);
                e.with_hint(hint)
            }
            (e, _) => e,
        },
        Err(e) => e,
    }
}

/// Inside the new namespaces, in util-linux's order: our own single maps (setgroups
/// `deny` before gid_map, as the kernel requires of an unprivileged writer), the root's
/// propagation, binfmt_misc where it must precede the chroot, root and working
/// directory, /proc, binfmt_misc, credentials, capabilities, and last the parent-death
/// signal.
fn prepare<S: Syscall>(sys: &mut S, plan: &Plan, parent_fd: Option<OwnedFd>) -> Result<()> {
    write_own_maps(sys, plan)?;
    set_propagation(sys, plan)?;
    let binfmt_done = match (&plan.binfmt, &plan.root) {
        // the interpreter is opened at registration: do it while it is still visible
        (Some(b), Some(_)) if b.fix_binary() => {
            mount_binfmt(sys, b)?;
            true
        }
        _ => false,
    };
    change_root(sys, plan)?;
    if let Some(dir) = &plan.mount_proc {
        mount_proc(sys, plan, dir)?;
    }
    if let (Some(b), false) = (&plan.binfmt, binfmt_done) {
        mount_binfmt(sys, b)?;
    }
    creds::switch(sys, plan.setgid, plan.setuid, DropGroups::Required)?;
    if plan.keep_caps && plan.namespaces.contains(NsType::User) {
        sys.keep_caps()?;
    }
    // Last: the kernel clears the parent-death signal on every credential change.
    if let (Some(sig), Some(fd)) = (plan.kill_child, parent_fd) {
        sys.set_pdeathsig(sig).map_err(|e| Error::sys("prctl failed", e))?;
        if pidfd_exited(sys, fd.as_fd())? {
            sys.exit(1);
        }
    }
    Ok(())
}

/// `-r`, `-c`, `--map-user`, `--map-group` when no helper writes the map.
fn write_own_maps<S: Syscall>(sys: &mut S, plan: &Plan) -> Result<()> {
    if let (Some(inner), false) = (plan.map_user, plan.uid_map_by_helper()) {
        idmap::write_map_file(sys, "/proc/self/uid_map", &[IdRange { inner, outer: plan.euid, count: 1 }])?;
    }
    if plan.writes_own_gid_map() {
        write_setgroups(sys, Setgroups::Deny)?;
        let inner = plan.map_group.unwrap_or_default();
        write_own_gid_map(sys, IdRange { inner, outer: plan.egid, count: 1 })?;
    }
    match plan.setgroups {
        // already written before gid_map, and it may be written only once after that
        Some(Setgroups::Deny) if plan.writes_own_gid_map() => Ok(()),
        Some(sg) => write_setgroups(sys, sg),
        None => Ok(()),
    }
}

/// `--propagation`, in a new mount namespace only.
fn set_propagation<S: Syscall>(sys: &mut S, plan: &Plan) -> Result<()> {
    if !plan.namespaces.contains(NsType::Mnt) {
        return Ok(());
    }
    let flag = match plan.propagation {
        Propagation::Private => MsFlags::MS_PRIVATE,
        Propagation::Shared => MsFlags::MS_SHARED,
        Propagation::Slave => MsFlags::MS_SLAVE,
        Propagation::Unchanged => return Ok(()),
    };
    sys.mount(Some("none"), Path::new("/"), None, MsFlags::MS_REC | flag)
        .map_err(|e| Error::sys("cannot change root filesystem propagation", e))
}

/// `--root`, then `--wd` (or `/` of the new root).
fn change_root<S: Syscall>(sys: &mut S, plan: &Plan) -> Result<()> {
    if let Some(root) = &plan.root {
        sys.chroot(root).map_err(|e| Error::sys(format!("cannot change root directory to '{}'", root.display()), e))?;
    }
    let wd = plan.wd.as_deref().or(plan.root.as_ref().map(|_| Path::new("/")));
    if let Some(wd) = wd {
        sys.chdir(wd).map_err(|e| Error::sys(format!("cannot change directory to {}", wd.display()), e))?;
    }
    Ok(())
}

/// `--mount-proc`: a fresh proc, made private first where the root's propagation would
/// otherwise carry the mount back to the original namespace. Where the directory's propagation is changed first (no `--root`, and a
/// propagation other than private), the two mounts go through one look-up of `dir` (an
/// `O_PATH` descriptor, used through its `/proc/self/fd` link), so that a path someone
/// else can change between them cannot send the second one elsewhere: onto a shared
/// mount, say, from where it would propagate out of the new namespace. Without a
/// `/proc/self/fd` to go through (no proc mounted yet) both go by path, as util-linux's.
fn mount_proc<S: Syscall>(sys: &mut S, plan: &Plan, dir: &Path) -> Result<()> {
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC | MsFlags::MS_NODEV;
    let two_steps = plan.root.is_none() && plan.propagation != Propagation::Private;
    let at = match two_steps && sys.exists(Path::new("/proc/self/fd")) {
        true => Some(
            sys.open(None, dir, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty())
                .map_err(|e| Error::sys(format!("cannot change {} filesystem propagation", dir.display()), e))?,
        ),
        false => None,
    };
    let mount = |sys: &mut S, src, fstype, flags| match &at {
        Some(fd) => sys.mount_onto_fd(Some(src), fd.as_fd(), fstype, flags),
        None => sys.mount(Some(src), dir, fstype, flags),
    };
    if two_steps {
        match mount(sys, "none", None, MsFlags::MS_PRIVATE | MsFlags::MS_REC) {
            Ok(()) | Err(Errno::EINVAL) => {}
            Err(e) => return Err(Error::sys(format!("cannot change {} filesystem propagation", dir.display()), e)),
        }
    }
    mount(sys, "proc", Some("proc"), flags).map_err(|errno| {
        let e = Error::sys(format!("mount {} failed", dir.display()), errno);
        let covered = (errno == Errno::EPERM)
            .then(|| nscore::diagnose::covered_proc(&nscore::diagnose::facts::mountinfo(sys)))
            .flatten();
        e.with_hint_if(covered)
    })
}

fn write_setgroups<S: Syscall>(sys: &mut S, sg: Setgroups) -> Result<()> {
    match idmap::write_proc_file(sys, "/proc/self/setgroups", sg.as_str().as_bytes(), "cannot open", "write failed") {
        Err(e) if e.errno() == Some(Errno::ENOENT) => Ok(()),
        Err(e) if e.errno() == Some(Errno::EPERM) => {
            let map = sys.read_text(Path::new("/proc/self/gid_map")).unwrap_or_default();
            Err(e.with_hint_if(nscore::diagnose::setgroups_after_gid_map(&map)))
        }
        other => other,
    }
}

/// Our own single gid map; refused, explained when `setgroups` is the reason.
fn write_own_gid_map<S: Syscall>(sys: &mut S, range: IdRange) -> Result<()> {
    match idmap::write_map_file(sys, "/proc/self/gid_map", &[range]) {
        Err(e) if e.errno() == Some(Errno::EPERM) => {
            let sg = sys.read_text(Path::new("/proc/self/setgroups")).unwrap_or_default();
            Err(e.with_hint_if(nscore::diagnose::gid_map_with_setgroups(&sg)))
        }
        other => other,
    }
}

fn mount_binfmt<S: Syscall>(sys: &mut S, b: &Binfmt) -> Result<()> {
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    sys.mount(Some("binfmt_misc"), &b.dir, Some("binfmt_misc"), flags)
        .map_err(|e| Error::sys(format!("mount {} failed", b.dir.display()), e))?;
    if let Some(interp) = &b.interp {
        let reg = b.dir.join("register");
        idmap::write_proc_file(sys, &reg.to_string_lossy(), interp.as_bytes(), "cannot open", "write failed")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, Context};
    use nscore::seam::fake::{Ended, Fake};

    /// The plan for `args` run by `euid` (gid 100 unless root).
    fn plan_of(args: &[&str], euid: u32) -> Plan {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let egid = if euid == 0 { 0 } else { 100 };
        let ctx = Context { euid, egid, uid: euid, shell: None, env: Vec::new };
        match crate::plan::parse(&args, &ctx).unwrap() {
            Action::Run(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    /// Runs `args` (as `euid`) against a fake prepared by `script`.
    fn trace(args: &[&str], euid: u32, script: impl FnOnce(&mut Fake)) -> (Ended, Vec<String>) {
        let plan = plan_of(args, euid);
        let (inv, _) = Invocation::new(vec!["rs-unshare".into()], "rs-unshare");
        let mut fake = Fake::new();
        script(&mut fake);
        let end = fake.run(|sys| run(sys, &plan, &inv));
        (end, fake.log().into_iter().map(String::from).collect())
    }

    fn child(f: &mut Fake) {
        f.fork_as(Forked::Child);
    }

    /// `-r` with a range map: the map helper is forked before `unshare(2)` and released
    /// after it; we write our own single gid map with setgroups denied first; the helper
    /// writes the merged uid map. Each map is written once.
    #[test]
    fn map_root_with_ranges() {
        let args = ["-r", "--map-users=1:100000:10", "true"];
        let (end, log) = trace(&args, 0, |_| {});
        assert_eq!(end, Ended::Exec);
        assert_eq!(
            log,
            [
                "default SIGCHLD",
                "pipe -> pipe1",
                "fork -> 1001",
                "unshare user",
                "write pipe1.w \"1\"",
                "waitpid 1001",
                "open /proc/self/setgroups [wronly]",
                "write /proc/self/setgroups \"deny\"",
                "open /proc/self/gid_map [wronly]",
                "write /proc/self/gid_map \"0 0 1\\n\"",
                "exec true",
            ]
        );
        let (end, log) = trace(&args, 0, child);
        assert_eq!(end, Ended::Exit(0));
        assert_eq!(
            log,
            [
                "default SIGCHLD",
                "pipe -> pipe1",
                "fork -> child",
                "read pipe1.r",
                "open /proc/1000/uid_map [wronly]",
                "write /proc/1000/uid_map \"0 0 1\\n1 100000 10\\n\"",
                "exit 0",
            ]
        );
    }

    /// Unprivileged range maps go through newuidmap and newgidmap, one exec each: the
    /// helper runs newuidmap in a child, waits, then becomes newgidmap.
    #[test]
    fn unprivileged_ranges_use_the_setuid_helpers() {
        let args = ["--map-users=0:100000:65536", "--map-groups=0:100000:65536", "true"];
        let helper_child = |f: &mut Fake| {
            f.fork_as(Forked::Child).fork_as(Forked::Parent(Pid::from_raw(1002)));
        };
        let (end, log) = trace(&args, 1000, helper_child);
        assert_eq!(end, Ended::Exec);
        assert_eq!(
            log[2..],
            ["fork -> child", "read pipe1.r", "fork -> 1002", "waitpid 1002", "exec newgidmap 1000 0 100000 65536",]
        );
        let (_, log) = trace(&args, 1000, |f| {
            f.fork_as(Forked::Child).fork_as(Forked::Child);
        });
        assert_eq!(log.last().unwrap(), "exec newuidmap 1000 0 100000 65536");
    }

    /// Persistence without `--fork` binds from this process right after `unshare(2)`;
    /// with a new mount namespace a helper outside it makes the bind mount instead.
    #[test]
    fn persistence_without_fork() {
        let (end, log) = trace(&["--uts=/run/uts", "true"], 0, |_| {});
        assert_eq!(end, Ended::Exec);
        assert_eq!(
            log,
            [
                "default SIGCHLD",
                "unshare uts",
                "open /run/uts [path]",
                "mount /proc/1000/ns/uts fd:/run/uts - bind",
                "exec true"
            ]
        );
        let args = ["-m", "--uts=/run/uts", "true"];
        let (_, log) = trace(&args, 0, |_| {});
        assert_eq!(
            log,
            [
                "default SIGCHLD",
                "pipe -> pipe1",
                "fork -> 1001",
                "unshare uts,mnt",
                "write pipe1.w \"1\"",
                "waitpid 1001",
                "mount none / - rec,private",
                "exec true",
            ]
        );
        let (end, log) = trace(&args, 0, child);
        assert_eq!(end, Ended::Exit(0));
        assert_eq!(
            log[3..],
            ["read pipe1.r", "open /run/uts [path]", "mount /proc/1000/ns/uts fd:/run/uts - bind", "exit 0"]
        );
    }

    /// With `--fork` the parent binds (`pid_for_children` exists only once a child was
    /// forked) while the child waits at the gate; the child runs the program only after.
    #[test]
    fn persistence_with_fork() {
        let args = ["--fork", "--pid=/run/pid", "--uts=/run/uts", "true"];
        let (end, log) = trace(&args, 0, |f| {
            f.wait_status(1001, 3 << 8);
        });
        assert_eq!(end, Ended::Status(3));
        assert_eq!(
            log,
            [
                "default SIGCHLD",
                "unshare uts,pid",
                "block SIGINT,SIGTERM",
                "pipe -> pipe1",
                "fork -> 1001",
                "open /run/pid [path]",
                "mount /proc/1000/ns/pid_for_children fd:/run/pid - bind",
                "open /run/uts [path]",
                "mount /proc/1000/ns/uts fd:/run/uts - bind",
                "write pipe1.w \"1\"",
                "waitpid 1001",
            ]
        );
        let (end, log) = trace(&args, 0, child);
        assert_eq!(end, Ended::Exec);
        assert_eq!(log[4..], ["fork -> child", "setmask", "read pipe1.r", "exec true"]);
    }

    /// A persistence mount that fails kills the waiting child, which never ran the
    /// program, and undoes the mounts already made, through the descriptors they were
    /// made on (never by path again). A file that cannot be opened fails the same way.
    #[test]
    fn a_failed_bind_kills_the_child() {
        let args = ["--fork", "--pid=/run/pid", "--uts=/run/uts", "true"];
        let (end, log) = trace(&args, 0, |f| {
            f.fail("mount /proc/1000/ns/uts", Errno::EACCES);
        });
        assert_eq!(end, Ended::Failed("mount /proc/1000/ns/uts on /run/uts failed: Permission denied".into(), 1));
        assert_eq!(
            log[4..],
            [
                "fork -> 1001",
                "open /run/pid [path]",
                "mount /proc/1000/ns/pid_for_children fd:/run/pid - bind",
                "open /run/uts [path]",
                "mount /proc/1000/ns/uts fd:/run/uts - bind -> EACCES",
                "umount fd:/run/pid detach",
                "kill 1001 SIGKILL",
                "waitpid 1001",
            ]
        );
        let (end, log) = trace(&args, 0, |f| {
            f.fail("open /run/uts", Errno::ENOENT);
        });
        assert_eq!(
            end,
            Ended::Failed("mount /proc/1000/ns/uts on /run/uts failed: No such file or directory".into(), 1)
        );
        assert_eq!(
            log[7..],
            ["open /run/uts [path] -> ENOENT", "umount fd:/run/pid detach", "kill 1001 SIGKILL", "waitpid 1001"]
        );
    }

    /// Without `--fork` a failed persistence mount undoes the ones made, through their
    /// descriptors, in this process or in the bind helper (`-m`), and nothing runs.
    #[test]
    fn a_failed_bind_without_fork() {
        let refuse_ipc = |f: &mut Fake| {
            f.fail("mount /proc/1000/ns/ipc", Errno::ENOENT);
        };
        let undone = [
            "open /run/uts [path]",
            "mount /proc/1000/ns/uts fd:/run/uts - bind",
            "open /b [path]",
            "mount /proc/1000/ns/ipc fd:/b - bind -> ENOENT",
            "umount fd:/run/uts detach",
        ];
        let failed = Ended::Failed("mount /proc/1000/ns/ipc on /b failed: No such file or directory".into(), 1);
        let (end, log) = trace(&["--uts=/run/uts", "--ipc=/b", "true"], 0, refuse_ipc);
        assert_eq!(end, failed);
        assert_eq!(log[2..], undone);
        let (end, log) = trace(&["-m", "--uts=/run/uts", "--ipc=/b", "true"], 0, |f| {
            refuse_ipc(f.fork_as(Forked::Child));
        });
        assert_eq!(end, Ended::Exit(1), "the helper reports and fails");
        assert_eq!(log[3..], [&["read pipe1.r"][..], &undone, &["exit 1"]].concat());
    }

    /// A failed `unshare(2)` cancels the helpers already forked (map helper first) and
    /// reaps them: nothing is written, nothing is left running.
    #[test]
    fn a_failed_unshare_cancels_the_helpers() {
        let args = ["-m", "--uts=/run/uts", "--map-users=0:100000:10", "true"];
        let (end, log) = trace(&args, 0, |f| {
            f.fail("unshare", Errno::EPERM);
        });
        assert!(matches!(end, Ended::Failed(ref m, 1) if m == "unshare failed: Operation not permitted"), "{end:?}");
        // (what the diagnosis reads in between is the next test's)
        let log: Vec<&String> =
            log.iter().filter(|l| !l.contains("/proc/self/") && !l.contains("/proc/sys/")).collect();
        assert_eq!(
            log,
            [
                "default SIGCHLD",
                "pipe -> pipe1",
                "fork -> 1001",
                "pipe -> pipe2",
                "fork -> 1002",
                "unshare user,uts,mnt -> EPERM",
                "waitpid 1002",
                "waitpid 1001",
            ]
        );
    }

    /// A refused `unshare(2)` is explained from what the system says at that moment,
    /// read only then: the missing capability, or the limit that was reached.
    #[test]
    fn a_refused_unshare_is_explained() {
        let plan = plan_of(&["-n", "true"], 65534);
        let mut fake = Fake::new();
        fake.set_file(
            "/proc/self/status",
            b"Uid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n\
              CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n",
        );
        let e = unshare_error(&mut fake, &plan, Errno::EPERM);
        assert_eq!(
            e.render("rs-unshare", "rs-unshare"),
            "rs-unshare: unshare failed: Operation not permitted\n\
             rs-unshare: hint: a net namespace needs CAP_SYS_ADMIN, which uid 65534 lacks: add -r (--map-root-user)\n"
        );
        let plan = plan_of(&["-r", "-u", "true"], 65534);
        let mut fake = Fake::new();
        fake.set_file("/proc/sys/user/max_uts_namespaces", b"0\n")
            .set_file("/proc/sys/user/max_user_namespaces", b"9\n");
        let e = unshare_error(&mut fake, &plan, Errno::ENOSPC);
        assert_eq!(
            e.render("u", "u").lines().nth(1).unwrap(),
            "u: hint: user.max_uts_namespaces = 0 in this user namespace: it allows no new uts namespace"
        );
        // no cause found, no hint
        let e = unshare_error(&mut Fake::new(), &plan, Errno::ENOSPC);
        assert_eq!(e.render("u", "u"), "u: unshare failed: No space left on device\n");
    }

    /// `--mount-proc` with `--root` and `--wd`: propagation first, then the new root and
    /// the directory in it, and proc mounted inside the new root (no private remount:
    /// the new root's /proc is not the caller's).
    #[test]
    fn mount_proc_with_root_and_wd() {
        let (end, log) = trace(&["-fp", "--mount-proc", "--root=/srv", "--wd=/w", "true"], 0, child);
        assert_eq!(end, Ended::Exec);
        assert_eq!(
            log,
            [
                "default SIGCHLD",
                "unshare pid,mnt",
                "block SIGINT,SIGTERM",
                "fork -> child",
                "setmask",
                "mount none / - rec,private",
                "chroot /srv",
                "chdir /w",
                "mount proc /proc proc nosuid,nodev,noexec",
                "exec true",
            ]
        );
    }

    /// `--mount-proc` with a propagation other than private makes the directory private,
    /// then mounts proc on it: both through one `O_PATH` look-up of it, so that whoever
    /// can change the path between the two cannot send proc onto another (shared) mount.
    /// Without `/proc/self/fd` to go through, both go by path.
    #[test]
    fn mount_proc_looks_its_directory_up_once() {
        let (_, log) = trace(&["-fp", "--mount-proc=/home/u/p", "--propagation=slave", "true"], 0, child);
        assert_eq!(
            log[5..],
            [
                "mount none / - rec,slave",
                "exists /proc/self/fd",
                "open /home/u/p [path]",
                "mount none fd:/home/u/p - rec,private",
                "mount proc fd:/home/u/p proc nosuid,nodev,noexec",
                "exec true",
            ]
        );
        let no_proc = |f: &mut Fake| {
            child(f);
            f.set_missing("/proc/self/fd");
        };
        let (_, log) = trace(&["-fp", "--mount-proc", "--propagation=unchanged", "true"], 0, no_proc);
        assert_eq!(
            log[5..],
            [
                "exists /proc/self/fd",
                "mount none /proc - rec,private",
                "mount proc /proc proc nosuid,nodev,noexec",
                "exec true",
            ]
        );
    }

    /// Credentials drop in order groups, gid, uid; `--kill-child`'s parent-death signal
    /// is armed after the last change (which would clear it), then the parent's pidfd
    /// is checked in case it died before.
    #[test]
    fn kill_child_after_setuid() {
        let args = ["-fp", "--kill-child=TERM", "--setuid=5", "--setgid=6", "true"];
        let (end, log) = trace(&args, 0, child);
        assert_eq!(end, Ended::Exec);
        assert_eq!(
            log,
            [
                "default SIGCHLD",
                "unshare pid",
                "block SIGINT,SIGTERM",
                "pidfd_open 1000",
                "fork -> child",
                "setmask",
                "setgroups []",
                "setgid 6",
                "setuid 5",
                "pdeathsig SIGTERM",
                "poll pidfd 1000",
                "exec true",
            ]
        );
        let (end, log) = trace(&args, 0, |f| {
            f.fork_as(Forked::Child).set_readable("pidfd 1000");
        });
        assert_eq!(end, Ended::Exit(1), "the parent is gone: the program must not start");
        assert_eq!(log[9..], ["pdeathsig SIGTERM", "poll pidfd 1000", "exit 1"]);
    }

    /// `--owner` drops credentials before `unshare(2)` (so they own the new user
    /// namespace); the maps are then written by a helper with the original rights.
    #[test]
    fn owner_before_unshare() {
        let (_, log) = trace(&["--owner=5:6", "-r", "true"], 0, |_| {});
        assert_eq!(
            log[..8],
            [
                "default SIGCHLD",
                "pipe -> pipe1",
                "fork -> 1001",
                "setgroups []",
                "setgid 6",
                "setuid 5",
                "unshare user",
                "write pipe1.w \"1\""
            ]
        );
    }
}
