//! Processes: `fork` and the proof of a single thread it needs, leaving a forked child,
//! waiting for children, how the kernel started us, and memory shared with children.

use std::sync::atomic::AtomicU64;

use nix::errno::Errno;
use nix::unistd::Pid;

use super::{int_result, locale_is_utf8};

/// What `fork` returned in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forked {
    /// In the parent, with the child's PID.
    Parent(Pid),
    /// In the child.
    Child,
}

/// Proof that this process has a single thread, needed by the calls that are sound only
/// then: [`fork`] (the child goes on running Rust code, which another thread's lock held
/// at the fork would deadlock or corrupt) and [`locale_is_utf8`] (`setlocale(3)` races
/// with every locale-dependent call of other threads).
///
/// The tool crates forbid `unsafe`, so they cannot make the promise themselves: each
/// binary's `main` makes it once, before anything else runs, with the one `unsafe`
/// [`SingleThreaded::new`], and hands the token down (rs-unshare and rs-nsenter pass it
/// to [`crate::seam::Os`], the only thing that forks; rs-lsns to its one
/// `setlocale`). A token is a value rather than
/// a global check so that what may fork says so in its signature, and so that code
/// without one (unit tests, which the harness runs on many threads) cannot fork by
/// accident. It is neither `Send` nor `Sync`: it stays on the thread that made it.
#[derive(Debug, Clone, Copy)]
pub struct SingleThreaded(std::marker::PhantomData<*const ()>);

impl SingleThreaded {
    /// Makes the token.
    ///
    /// # Safety
    /// No other thread may exist when this is called, and the program must start none
    /// afterwards: the token vouches for the rest of the process's life. Call it first
    /// thing in `main`.
    pub unsafe fn new() -> SingleThreaded {
        SingleThreaded(std::marker::PhantomData)
    }

    /// [`fork`] (`fork(2)`), sound because the token exists.
    ///
    /// # Errors
    /// As `fork(2)`: `EAGAIN` (a process limit), `ENOMEM`.
    pub fn fork(self) -> Result<Forked, Errno> {
        // SAFETY: the token's existence means this process has one thread (see `new`).
        unsafe { fork() }
    }

    /// [`locale_is_utf8`] (`setlocale(3)`, `nl_langinfo(3)`), sound because the token
    /// exists.
    ///
    /// # Errors
    /// None reported: a locale that cannot be set counts as not UTF-8.
    pub fn locale_is_utf8(self) -> bool {
        // SAFETY: the token's existence means this process has one thread (see `new`).
        unsafe { locale_is_utf8() }
    }
}

/// `fork(2)`.
///
/// # Safety
/// The process must be single-threaded: the child keeps running Rust code, and a lock
/// another thread held at the fork (the allocator's, stdio's) would stay locked in it
/// forever. [`SingleThreaded::fork`] is the safe way in.
///
/// # Errors
/// As `fork(2)`: `EAGAIN` (a process limit), `ENOMEM`.
pub unsafe fn fork() -> Result<Forked, Errno> {
    // SAFETY: the caller guarantees a single thread.
    match unsafe { libc::fork() } {
        -1 => Err(Errno::last()),
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(Pid::from_raw(pid))),
    }
}

/// `_exit(2)`: leave a forked child without running the parent's exit handlers or
/// flushing buffers it inherited.
///
/// # Errors
/// None: it does not return.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is always safe to call.
    unsafe { libc::_exit(code) }
}

/// `waitpid(2)` returning the raw status word (nix's `WaitStatus` has no room for
/// real-time signals); decode it with [`crate::process::ChildState::from_raw`].
///
/// # Errors
/// `ECHILD` when `pid` is not an unwaited-for child of ours, `EINTR` when a signal
/// handler ran first (callers retry), `EINVAL` for bad flags.
pub fn waitpid_raw(pid: Pid, flags: libc::c_int) -> Result<(Pid, libc::c_int), Errno> {
    let mut status: libc::c_int = 0;
    // SAFETY: the kernel writes one int through the pointer.
    let rc = int_result(unsafe { libc::waitpid(pid.as_raw(), &mut status, flags) })?;
    Ok((Pid::from_raw(rc), status))
}

/// Whether the kernel started this program in secure-execution mode (`AT_SECURE` in the
/// auxiliary vector: set-user-ID, set-group-ID or file capabilities gave it privileges
/// its caller lacks). Reading the auxiliary vector (`getauxval(3)`) costs no system call.
///
/// # Errors
/// None: an absent entry counts as not secure.
pub fn secure_exec() -> bool {
    // SAFETY: getauxval only reads the auxiliary vector; 0 means unset or absent.
    unsafe { libc::getauxval(libc::AT_SECURE) != 0 }
}

/// A 64-bit word of memory shared with every child forked afterwards (an anonymous
/// `MAP_SHARED` page, `mmap(2)`, never unmapped), zero at first: how a forked helper
/// tells its parent how far it has come, without a system call per step.
///
/// # Errors
/// As `mmap(2)`: `ENOMEM`.
pub fn shared_word() -> Result<&'static AtomicU64, Errno> {
    // SAFETY: a new anonymous mapping, touching no memory of ours.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            std::mem::size_of::<AtomicU64>(),
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(Errno::last());
    }
    // SAFETY: the mapping is page-aligned, zero-filled (a valid AtomicU64), at least a
    // page long, and never unmapped, so the reference is valid for the rest of the
    // process; atomics are sound in memory shared between processes.
    Ok(unsafe { &*p.cast::<AtomicU64>() })
}
