//! The network namespaces of other processes' sockets, asked by a helper process, so
//! that no process can make rs-lsns hang.
//!
//! `SIOCGSKNS` tells a socket's namespace, and needs a descriptor of the socket: the only
//! way to one is `pidfd_getfd`, which installs a duplicate of whatever the fd number holds
//! *by then* (the look at `/proc/PID/fd/N` came earlier). A process can swap in another
//! file meanwhile, and every `close(2)` of a descriptor, not just the last, calls the
//! file's `flush`: on a FUSE file that is a FLUSH request whose answer the kernel awaits
//! uninterruptibly, so a server that never answers leaves the closer in state D, deaf
//! to SIGKILL (util-linux's lsns hangs so). So does the exit of a process that still
//! holds the file. Hence no descriptor but an nsfs one may ever be in rs-lsns's table:
//!
//! - a helper, forked once per run (and only when there are sockets to ask about; it
//!   sees the list through the fork), closes what it inherited (stdin, stdout and stderr
//!   become `/dev/null`, so a stuck helper holds no pipe that someone reads to its end),
//!   then for each socket duplicates the fd, checks it is the socket seen (type and
//!   inode, by a `statx` that asks no file system server), asks `SIOCGSKNS`, closes the
//!   socket (a socket has no `flush`) and passes each namespace new to it back to
//!   rs-lsns over a socket pair (`SCM_RIGHTS`);
//! - whatever else a duplicate turned out to be, the helper never closes: it keeps it
//!   until its exit, which may then hang, but which nobody waits for (rs-lsns reaps only
//!   a helper that kept nothing); out of descriptors, it says so and a fresh helper goes
//!   on from that socket;
//! - the helper can still be held up where a process can make the kernel wait, e.g. in
//!   `pidfd_getfd`, which waits for a process's exec to finish its closes, or in the
//!   close of a socket whose owner has closed it meanwhile with `SO_LINGER` set. It
//!   notes the index of each socket in a word of memory shared with rs-lsns (no system
//!   call per socket); when that has not moved for [`TICK`], rs-lsns kills the helper
//!   (without waiting for it), warns, skips the rest of that process's sockets (whatever
//!   held up one would hold up the next) and forks a new helper for the sockets after.
//!
//! A thread would not do: a thread stuck in D keeps the whole process from exiting.

use std::collections::HashSet;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use nix::sys::stat::Mode;
use nix::unistd::Pid;
use nscore::sys::{self, Forked, SingleThreaded};

/// How long the helper may dwell on one socket before rs-lsns gives up on it (between
/// one and two of these pass until it does).
pub const TICK: Duration = Duration::from_secs(1);

/// A socket seen at fd `fd` of process `pid`, with its inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Socket {
    pub pid: i32,
    pub fd: i32,
    pub ino: u64,
}

/// What the helpers found: the network namespaces new to them (in the order of the
/// sockets), and a warning per process given up on.
#[derive(Default)]
pub struct Found {
    pub namespaces: Vec<OwnedFd>,
    pub warnings: Vec<String>,
}

/// The helper's messages: a namespace (with its descriptor), the end (with the number of
/// descriptors it keeps), or no descriptor left for the socket at an index.
const FOUND: u32 = 1;
const DONE: u32 = 2;
const FULL: u32 = 3;

/// The network namespaces of `sockets`, except those whose inode `known` accepts (the
/// helpers see `known` as it was when each was forked).
pub fn netns_of(single: SingleThreaded, sockets: &[Socket], known: &impl Fn(u64) -> bool) -> Found {
    let mut found = Found::default();
    if sockets.is_empty() {
        return found;
    }
    let progress = match sys::shared_word() {
        Ok(p) => p,
        Err(e) => return gave_up(found, e),
    };
    let mut start = 0;
    while start < sockets.len() {
        progress.store(start as u64, Ordering::SeqCst);
        let (chan, child) = match fork_helper(single, sockets, start, known, progress) {
            Ok(h) => h,
            Err(e) => return gave_up(found, e),
        };
        start = follow(chan.as_fd(), child, sockets, progress, &mut found);
    }
    found
}

fn gave_up(mut found: Found, e: Errno) -> Found {
    found.warnings.push(format!("cannot examine sockets: {}", sys::strerror(e as i32)));
    found
}

/// A helper for `sockets[start..]`: rs-lsns's end of the socket pair, and its PID.
fn fork_helper(
    single: SingleThreaded,
    sockets: &[Socket],
    start: usize,
    known: &impl Fn(u64) -> bool,
    progress: &AtomicU64,
) -> Result<(OwnedFd, Pid), Errno> {
    let flags = SockFlag::SOCK_CLOEXEC;
    let (ours, theirs) = socketpair(AddressFamily::Unix, SockType::SeqPacket, None, flags)?;
    match single.fork()? {
        Forked::Child => {
            drop(ours);
            let code = match isolate(theirs) {
                Ok(chan) => helper(chan.as_fd(), &sockets[start..], start, known, progress),
                Err(_) => 1,
            };
            sys::exit_now(code)
        }
        Forked::Parent(pid) => Ok((ours, pid)),
    }
}

/// In the helper: dies with rs-lsns, and keeps of what it inherited nothing but `chan`
/// (moved above 2) and `/dev/null` as stdin, stdout and stderr.
fn isolate(chan: OwnedFd) -> Result<OwnedFd, Errno> {
    sys::set_pdeathsig(libc::SIGKILL)?;
    let moved = sys::dup_from(chan.as_fd(), 3)?;
    let null = nix::fcntl::open("/dev/null", OFlag::O_RDWR | OFlag::O_CLOEXEC, Mode::empty())?;
    nix::unistd::dup2_stdin(&null)?;
    nix::unistd::dup2_stdout(&null)?;
    nix::unistd::dup2_stderr(&null)?;
    // both are closed by the close_range below, if not replaced by /dev/null above
    let _ = (chan.into_raw_fd(), null.into_raw_fd());
    let keep = u32::try_from(moved.as_raw_fd()).map_err(|_| Errno::EBADF)?;
    if keep > 3 {
        sys::close_range(3, keep - 1)?;
    }
    sys::close_range(keep + 1, u32::MAX)?;
    Ok(moved)
}

/// In the helper: each socket's namespace, as the module's doc says; its exit status.
fn helper(
    chan: BorrowedFd<'_>,
    sockets: &[Socket],
    start: usize,
    known: &impl Fn(u64) -> bool,
    progress: &AtomicU64,
) -> i32 {
    let mut pidfd: Option<(i32, Option<OwnedFd>)> = None;
    let mut sent = HashSet::new();
    let mut kept: Vec<OwnedFd> = Vec::new();
    for (i, s) in sockets.iter().enumerate() {
        let at = start + i;
        progress.store(at as u64, Ordering::SeqCst);
        let dup = match duplicate(&mut pidfd, s) {
            Ok(Some(dup)) => dup,
            Ok(None) => continue,
            Err(_) => return send(chan, FULL, at, None),
        };
        let id = sys::file_id_at(dup.as_fd(), c"");
        if !id.is_ok_and(|id| id.is_socket() && id.ino == s.ino) {
            kept.push(dup); // never closed: see the module's doc
            continue;
        }
        let Ok(netns) = sys::socket_netns(dup.as_fd()) else { continue };
        drop(dup);
        let Ok(ino) = sys::file_id_at(netns.as_fd(), c"").map(|id| id.ino) else { continue };
        if !known(ino) && sent.insert(ino) && send(chan, FOUND, at, Some(netns.as_fd())) != 0 {
            return 1;
        }
    }
    let code = send(chan, DONE, kept.len(), None);
    std::mem::forget(kept); // closed by the exit, which nobody waits for
    code
}

/// In the helper: a duplicate of socket `s`'s fd (whatever it holds by now), `None` when
/// it cannot be had; `Err` when the helper is out of descriptors.
fn duplicate(cache: &mut Option<(i32, Option<OwnedFd>)>, s: &Socket) -> Result<Option<OwnedFd>, Errno> {
    if cache.as_ref().map(|c| c.0) != Some(s.pid) {
        *cache = None; // (a pidfd: its close waits for nothing)
        let pidfd = match sys::pidfd_open(Pid::from_raw(s.pid), 0) {
            Err(e @ (Errno::EMFILE | Errno::ENFILE)) => return Err(e),
            r => r.ok(),
        };
        *cache = Some((s.pid, pidfd));
    }
    let Some(pidfd) = cache.as_ref().and_then(|c| c.1.as_ref()) else { return Ok(None) };
    match sys::pidfd_getfd(pidfd.as_fd(), s.fd) {
        Ok(dup) => Ok(Some(dup)),
        Err(e @ (Errno::EMFILE | Errno::ENFILE)) => Err(e),
        Err(_) => Ok(None),
    }
}

/// In the helper: one message (`kind`, a number, maybe a descriptor); 0 if sent, else the
/// helper's exit status.
fn send(chan: BorrowedFd<'_>, kind: u32, n: usize, fd: Option<BorrowedFd<'_>>) -> i32 {
    let mut msg = [0u8; 8];
    msg[..4].copy_from_slice(&kind.to_ne_bytes());
    msg[4..].copy_from_slice(&(n as u32).to_ne_bytes());
    i32::from(sys::send_with_fd(chan, &msg, fd).is_err())
}

/// rs-lsns's side: takes the helper's messages until it is done, stuck or gone; where
/// the next helper is to start.
fn follow(chan: BorrowedFd<'_>, child: Pid, sockets: &[Socket], progress: &AtomicU64, found: &mut Found) -> usize {
    let mut last = progress.load(Ordering::SeqCst);
    let tick = nix::poll::PollTimeout::try_from(TICK).unwrap_or(nix::poll::PollTimeout::MAX);
    loop {
        let mut fds = [nix::poll::PollFd::new(chan, nix::poll::PollFlags::POLLIN)];
        match nix::poll::poll(&mut fds, tick) {
            Err(Errno::EINTR) => continue,
            Ok(0) => {
                let now = progress.load(Ordering::SeqCst);
                if now != last {
                    last = now;
                    continue;
                }
                return give_up(child, sockets, now as usize, found);
            }
            _ => {}
        }
        let mut msg = [0u8; 8];
        let (kind, n, fd) = match sys::recv_with_fd(chan, &mut msg) {
            Ok((8, fd)) => (
                u32::from_ne_bytes([msg[0], msg[1], msg[2], msg[3]]),
                u32::from_ne_bytes([msg[4], msg[5], msg[6], msg[7]]) as usize,
                fd,
            ),
            Err(Errno::EINTR) => continue,
            _ => return give_up(child, sockets, progress.load(Ordering::SeqCst) as usize, found),
        };
        match (kind, fd) {
            (FOUND, Some(fd)) => found.namespaces.push(fd),
            (DONE, _) => {
                if n == 0 {
                    let _ = sys::waitpid_raw(child, 0); // it holds nothing that can wait
                }
                return sockets.len();
            }
            (FULL, _) => return n,
            _ => {}
        }
    }
}

/// Kills a helper stuck at `sockets[at]` (it may stay, in state D, until the file it
/// closes lets it go: nobody waits for it) and warns; the first socket after `at` of
/// another process.
fn give_up(child: Pid, sockets: &[Socket], at: usize, found: &mut Found) -> usize {
    let _ = sys::kill(child, libc::SIGKILL);
    let Some(s) = sockets.get(at) else { return sockets.len() };
    found.warnings.push(format!(
        "process {}: fd {}: no answer within {} s; its sockets are not examined",
        s.pid,
        s.fd,
        TICK.as_secs()
    ));
    at + sockets[at..].iter().take_while(|o| o.pid == s.pid).count()
}
