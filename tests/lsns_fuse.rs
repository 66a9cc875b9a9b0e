//! No process can make rs-lsns hang through a FUSE file. To find a socket's network
//! namespace rs-lsns duplicates the socket's descriptor with `pidfd_getfd`; a process
//! that swaps a FUSE file into that fd number between rs-lsns's look and the duplicate
//! hands it the FUSE file instead, whose every close(2) sends the server a FLUSH and waits
//! for the answer, uninterruptibly (SIGKILL does not help). util-linux's lsns hangs so.
//!
//! The test is its own FUSE server (raw `/dev/fuse`: INIT, LOOKUP, GETATTR, OPEN, FLUSH).
//! It leaves unanswered only the FLUSH requests of the rs-lsns it runs and of that
//! rs-lsns's children: any other lsns on the host (other tests') gets its answers.

use crate::common;

use std::fs;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::common::{ns_of, require_root, state, unpriv_bin, wait_until, Procs, TempDir};
use nix::fcntl::OFlag;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::stat::Mode;
use nix::unistd::{Gid, Uid};
use nscore::sys::{self, Forked};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");
const NOBODY: u32 = 65534;

/// The fd numbers the swapping process uses: `SLOTS` fds from `SLOT0` on switch between
/// a socket of their own (kept at `SOCK0 + i`) and the FUSE file (at `FILE_FD`); one more
/// socket stays at `STEADY`. The slots come first, so rs-lsns meets each socket there.
const SLOTS: RawFd = 40;
const SLOT0: RawFd = 100;
const SOCK0: RawFd = 300;
const STEADY: RawFd = 400;
const FILE_FD: RawFd = 500;

const FUSE_LOOKUP: u32 = 1;
const FUSE_FORGET: u32 = 2;
const FUSE_GETATTR: u32 = 3;
const FUSE_OPEN: u32 = 14;
const FUSE_FLUSH: u32 = 25;
const FUSE_INIT: u32 = 26;
const FUSE_INTERRUPT: u32 = 36;
const FUSE_BATCH_FORGET: u32 = 42;
/// The inode of the one file, `f`, in the root directory (inode 1).
const FILE_NODE: u64 = 2;

/// A FUSE server on its own thread, until dropped: closing its `/dev/fuse` descriptor
/// then aborts the connection, which ends every request still waiting (and frees a
/// process stuck in a FLUSH).
struct Server {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn get32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn get64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// `struct fuse_attr` (88 bytes) of node 1 (the root directory) or the file.
fn attr(node: u64) -> [u8; 88] {
    let mut a = [0u8; 88];
    put64(&mut a, 0, node);
    put32(&mut a, 60, if node == 1 { libc::S_IFDIR | 0o755 } else { libc::S_IFREG | 0o666 });
    put32(&mut a, 64, 1); // nlink
    put32(&mut a, 80, 4096); // blksize
    a
}

/// The answer to one request (`None`: none is due), after its `fuse_out_header`.
fn answer(opcode: u32, nodeid: u64, pid: u32, body: &[u8], victim: i32) -> Option<Result<Vec<u8>, i32>> {
    match opcode {
        FUSE_INIT => {
            let mut out = vec![0u8; 64]; // struct fuse_init_out
            put32(&mut out, 0, 7);
            put32(&mut out, 4, 31);
            put32(&mut out, 20, 4096); // max_write
            Some(Ok(out))
        }
        FUSE_LOOKUP if nodeid == 1 && body.starts_with(b"f\0") => {
            let mut out = vec![0u8; 40]; // struct fuse_entry_out, no caching
            put64(&mut out, 0, FILE_NODE);
            out.extend_from_slice(&attr(FILE_NODE));
            Some(Ok(out))
        }
        FUSE_LOOKUP => Some(Err(libc::ENOENT)),
        FUSE_GETATTR => {
            let mut out = vec![0u8; 16]; // struct fuse_attr_out
            out.extend_from_slice(&attr(nodeid));
            Some(Ok(out))
        }
        FUSE_OPEN => Some(Ok(vec![0u8; 16])), // struct fuse_open_out: fh 0, no flags
        FUSE_FLUSH if !of_victim(pid as i32, victim) => Some(Ok(Vec::new())),
        FUSE_FLUSH | FUSE_FORGET | FUSE_BATCH_FORGET | FUSE_INTERRUPT => None,
        _ => Some(Err(libc::ENOSYS)),
    }
}

/// Whether process `pid` is `victim` (a PID, or 0 for none) or a child of it.
fn of_victim(pid: i32, victim: i32) -> bool {
    victim != 0
        && (pid == victim
            || fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(") ").and_then(|(_, rest)| rest.split(' ').nth(1)?.parse::<i32>().ok()))
                == Some(victim))
}

/// Serves `dev` until `stop`; the FLUSH requests of process `victim` and its children
/// stay unanswered.
fn serve(dev: OwnedFd, stop: &AtomicBool, victim: &AtomicI32) {
    let mut buf = vec![0u8; 1 << 17];
    while !stop.load(Ordering::SeqCst) {
        let mut fds = [nix::poll::PollFd::new(dev.as_fd(), nix::poll::PollFlags::POLLIN)];
        if nix::poll::poll(&mut fds, 50u16).unwrap_or(0) == 0 {
            continue;
        }
        let n = match nix::unistd::read(&dev, &mut buf) {
            Ok(n) if n >= 40 => n,
            Ok(_) | Err(nix::errno::Errno::ENODEV) => return,
            Err(_) => continue,
        };
        let (opcode, unique, nodeid, pid) = (get32(&buf, 4), get64(&buf, 8), get64(&buf, 16), get32(&buf, 32));
        let Some(result) = answer(opcode, nodeid, pid, &buf[40..n], victim.load(Ordering::SeqCst)) else {
            continue;
        };
        let (error, payload) = match result {
            Ok(p) => (0, p),
            Err(e) => (-e, Vec::new()),
        };
        let mut reply = vec![0u8; 16]; // struct fuse_out_header
        put32(&mut reply, 0, (16 + payload.len()) as u32);
        put32(&mut reply, 4, error as u32);
        put64(&mut reply, 8, unique);
        reply.extend_from_slice(&payload);
        let _ = nix::unistd::write(&dev, &reply); // (ENOENT for an interrupted request)
    }
}

/// Mounts a FUSE file system on `dir` (in this thread's private mount namespace), opens
/// its file and detaches the mount again: the open file keeps the connection.
fn fuse_file(dir: &std::path::Path, victim: &Arc<AtomicI32>) -> (Server, OwnedFd) {
    let dev = nix::fcntl::open("/dev/fuse", OFlag::O_RDWR | OFlag::O_CLOEXEC, Mode::empty()).expect("open /dev/fuse");
    let opts = format!("fd={},rootmode=40000,user_id=0,group_id=0,allow_other", dev.as_raw_fd());
    nix::mount::mount(
        Some("nsutils-test"),
        dir,
        Some("fuse"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(opts.as_str()),
    )
    .expect("mount fuse");
    let stop = Arc::new(AtomicBool::new(false));
    let (s, w) = (stop.clone(), victim.clone());
    let thread = std::thread::spawn(move || serve(dev, &s, &w));
    let server = Server { stop, thread: Some(thread) };
    let file = nix::fcntl::open(&dir.join("f"), OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).expect("open f");
    nix::mount::umount2(dir, MntFlags::MNT_DETACH).expect("detach the fuse mount");
    (server, file)
}

/// Runs in the forked swapper (system calls only: the test process has other threads):
/// its sockets, made in a network namespace of their own which only they keep, then uid
/// 65534, then the swapping, forever.
fn swap_forever(file: RawFd, home_net: RawFd) -> ! {
    let fail = || sys::exit_now(1);
    for fd in 0..65536 {
        if ![file, home_net].contains(&fd) {
            let _ = nix::unistd::close(fd);
        }
    }
    if sys::unshare(libc::CLONE_NEWNET).is_err() {
        fail();
    }
    for fd in (0..SLOTS).map(|i| SOCK0 + i).chain([STEADY]) {
        // SAFETY: plain system calls on integers.
        let s = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        if s < 0 || unsafe { libc::dup2(s, fd) } != fd || unsafe { libc::close(s) } != 0 {
            fail();
        }
    }
    // SAFETY: as above
    let ok = unsafe { libc::dup2(file, FILE_FD) } == FILE_FD
        && unsafe { libc::setns(home_net, libc::CLONE_NEWNET) } == 0
        && nix::unistd::setgroups(&[]).is_ok()
        && nix::unistd::setgid(Gid::from_raw(NOBODY)).is_ok()
        && nix::unistd::setuid(Uid::from_raw(NOBODY)).is_ok()
        && nix::sys::prctl::set_dumpable(true).is_ok()
        && sys::set_pdeathsig(libc::SIGKILL).is_ok();
    if !ok {
        fail();
    }
    loop {
        (0..SLOTS).for_each(|i| put(FILE_FD, SLOT0 + i));
        (0..SLOTS).for_each(|i| put(SOCK0 + i, SLOT0 + i));
    }
}

/// `dup2(from, to)`, in the swapper.
fn put(from: RawFd, to: RawFd) {
    // SAFETY: plain system call on integers
    unsafe { libc::dup2(from, to) };
}

/// A process running [`swap_forever`], once it swaps.
fn start_swapper(p: &mut Procs, file: &OwnedFd) -> i32 {
    let home_net = nix::fcntl::open("/proc/self/ns/net", OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
    // SAFETY: the child makes system calls only (see swap_forever) until it is killed.
    let pid = match unsafe { sys::fork() }.expect("fork") {
        Forked::Child => swap_forever(file.as_raw_fd(), home_net.as_raw_fd()),
        Forked::Parent(pid) => pid.as_raw(),
    };
    p.others.push(pid);
    let slot = format!("/proc/{pid}/fd/{}", SLOT0 + SLOTS - 1);
    wait_until("the swapper to swap as uid 65534", || {
        fs::metadata(format!("/proc/{pid}")).is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == NOBODY)
            && fs::symlink_metadata(&slot).is_ok()
    });
    pid
}

/// Runs `cmd` for at most `secs` seconds. One that overruns is killed, and reaped once
/// `abort` has freed it (a task waiting for a FLUSH does not die of SIGKILL); the answer
/// says the state SIGKILL left it in.
fn run_or_report(
    cmd: &mut Command,
    secs: u64,
    victim: &AtomicI32,
    abort: &mut Option<Server>,
) -> Result<Output, String> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child: Child = cmd.spawn().expect("spawn");
    victim.store(child.id() as i32, Ordering::SeqCst);
    // read as it comes: a listing longer than a pipe holds (a host with thousands of
    // namespaces) would otherwise block rs-lsns's write until the deadline
    let output = common::Drained::start(&mut child);
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let pid = child.id();
            let _ = child.kill();
            std::thread::sleep(Duration::from_millis(500));
            let st = state(pid).map_or('?', char::from);
            let wchan = fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
            drop(abort.take()); // abort the connection: the stuck close returns
            let _ = child.wait();
            return Err(format!("still running after {secs} s, and 0.5 s after SIGKILL, in state {st} ({wchan})"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(output.collect(child.wait().unwrap()))
}

/// A process of uid 65534 swaps 40 fds between sockets (of a network namespace that
/// only its sockets keep) and a FUSE file whose FLUSH never gets an answer. rs-lsns,
/// as root and as uid 65534, must end every run with its listing, the namespace in it;
/// the helpers that met the FUSE file (they hang in their exit, until the connection is
/// aborted at the end) show that the runs were caught by the swap.
#[test]
fn no_fuse_file_makes_lsns_hang() {
    if !require_root() {
        return;
    }
    if !std::path::Path::new("/dev/fuse").exists() {
        common::skip("no /dev/fuse");
        return;
    }
    // on a thread of its own: the private mount namespace stays with it
    std::thread::spawn(fuse_lab).join().unwrap();
}

fn fuse_lab() {
    sys::unshare(libc::CLONE_NEWNS).expect("unshare a mount namespace for this thread");
    nix::mount::mount(None::<&str>, "/", None::<&str>, MsFlags::MS_REC | MsFlags::MS_PRIVATE, None::<&str>).unwrap();
    let dir = TempDir::new("lsns-fuse");
    let victim = Arc::new(AtomicI32::new(0));
    let (server, file) = fuse_file(dir.path(), &victim);
    let mut server = Some(server);
    let mut p = Procs::new();
    let pid = start_swapper(&mut p, &file);
    drop(file);
    let netns = socket_netns(pid).expect("the sockets' netns");
    assert_ne!(ns_of(pid, "net"), Some(netns), "the sockets' netns is held by them only");
    let mut failures = Vec::new();
    // at least 15 runs, and more until three of them have met the FUSE file
    for i in 0..100 {
        if i >= 15 && stuck_helpers() >= 3 {
            break;
        }
        let mut cmd = if i % 3 == 2 { unpriv_bin(BIN) } else { Command::new(BIN) };
        cmd.args(["-n", "-r", "-o", "NS,TYPE"]).env("LC_ALL", "C");
        match run_or_report(&mut cmd, 20, &victim, &mut server) {
            Ok(o) => {
                let out = String::from_utf8_lossy(&o.stdout);
                let err = String::from_utf8_lossy(&o.stderr);
                assert_eq!(o.status.code(), Some(0), "run {i}: {err}");
                assert!(out.lines().any(|l| l.starts_with("4026")), "run {i}: no listing: {out}");
                if i % 3 != 2 {
                    assert!(out.lines().any(|l| l == format!("{netns} net")), "run {i}: {netns} missing:\n{out}");
                }
            }
            Err(e) => {
                failures.push(format!("run {i}: {e}"));
                break; // the connection is aborted: nothing hangs any more
            }
        }
    }
    let stuck = stuck_helpers();
    drop(p);
    drop(server);
    assert!(failures.is_empty(), "rs-lsns hung on a FUSE file: {failures:?}");
    assert!(stuck > 0, "no run met the FUSE file: the test proved nothing");
}

/// The network namespace of the swapper's steady socket, asked as root (the test has
/// the same right to it as rs-lsns).
fn socket_netns(pid: i32) -> Option<u64> {
    let pidfd = sys::pidfd_open(nix::unistd::Pid::from_raw(pid), 0).ok()?;
    let sock = sys::pidfd_getfd(pidfd.as_fd(), STEADY).ok()?;
    let ns = sys::socket_netns(sock.as_fd()).ok()?;
    Some(nix::sys::stat::fstat(ns.as_fd()).ok()?.st_ino)
}

/// The helpers of rs-lsns that hang in their exit, closing a FUSE file they kept.
fn stuck_helpers() -> usize {
    let mut n = 0;
    for e in fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|p| p.parse::<i32>().ok()) else { continue };
        let wchan = fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
        if common::comm(pid) == "rs-lsns" && wchan == "request_wait_answer" {
            n += 1;
        }
    }
    n
}
