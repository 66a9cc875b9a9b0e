//! Signals: any signal number, real-time ones and glibc's own 32 and 33 included (nix's
//! `Signal` names neither): sending, default actions, the parent-death signal, and
//! forwarding to a child.

use std::sync::atomic::{AtomicI32, Ordering};

use nix::errno::Errno;
use nix::unistd::Pid;

use super::int_result;

/// `prctl(2)` `PR_SET_PDEATHSIG` with any signal number (real-time ones included): the
/// signal this process gets when the thread that forked it ends.
///
/// # Errors
/// `EINVAL` for a number that is not a signal.
pub fn set_pdeathsig(sig: i32) -> Result<(), Errno> {
    // SAFETY: plain prctl with integer arguments.
    int_result(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) }).map(drop)
}

/// The size of the kernel's signal set (`_NSIG / 8`: 64 signals on every architecture
/// but MIPS), which `rt_sigaction(2)` and `rt_sigprocmask(2)` take as their last argument.
const KERNEL_SIGSET_SIZE: libc::size_t = 8;

/// Sets `sig` to its default action and unblocks it, so that raising it acts as if we
/// had never changed anything (the caller may have started us with it ignored or blocked).
///
/// Raw `rt_sigaction`/`rt_sigprocmask` rather than glibc's wrappers: glibc refuses signals
/// 32 and 33 (kept for its threads) and drops them from signal sets, yet a child may die
/// of them. An all-zero kernel `struct sigaction` is `SIG_DFL` with no flags and an empty
/// mask whatever the architecture's field order. (See `rt_sigaction(2)` and
/// `rt_sigprocmask(2)`, which are `sigaction(2)` and `sigprocmask(2)`.)
///
/// # Errors
/// `EINVAL` for a number outside 1..=64, before any call is made. SIGKILL and SIGSTOP,
/// whose action cannot change, are only unblocked (which the kernel ignores).
pub fn reset_and_unblock(sig: i32) -> Result<(), Errno> {
    if !(1..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let dfl = [0u64; 4];
    if sig != libc::SIGKILL && sig != libc::SIGSTOP {
        // SAFETY: the new action is a valid all-zero kernel sigaction; no old one is asked for.
        let rc = unsafe {
            libc::syscall(libc::SYS_rt_sigaction, sig, dfl.as_ptr(), std::ptr::null_mut::<u64>(), KERNEL_SIGSET_SIZE)
        };
        int_result(rc as libc::c_int)?;
    }
    let set: u64 = 1 << (sig - 1);
    // SAFETY: the set is one kernel sigset_t; no old mask is asked for.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_UNBLOCK,
            &set,
            std::ptr::null_mut::<u64>(),
            KERNEL_SIGSET_SIZE,
        )
    };
    int_result(rc as libc::c_int).map(drop)
}

/// Restores the default action of `sig` (rs-unshare's SIGCHLD, which its caller may
/// have left ignored), by `signal(2)`.
///
/// # Errors
/// `EINVAL` for a number that is not a signal, or glibc's own 32 and 33 (use
/// [`reset_and_unblock`] for those).
pub fn default_action(sig: i32) -> Result<(), Errno> {
    // SAFETY: installing SIG_DFL has no memory-safety requirements.
    if unsafe { libc::signal(sig, libc::SIG_DFL) } == libc::SIG_ERR {
        return Err(Errno::last());
    }
    Ok(())
}

/// `kill(2)`, with any signal number (nix's `Signal` cannot name the real-time ones).
///
/// # Errors
/// `ESRCH` when no such process exists, `EPERM` without permission to signal it,
/// `EINVAL` for a bad signal number.
pub fn kill(pid: Pid, sig: i32) -> Result<(), Errno> {
    // SAFETY: plain system call.
    int_result(unsafe { libc::kill(pid.as_raw(), sig) }).map(drop)
}

static FORWARD_TO: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward_handler(sig: libc::c_int) {
    let pid = FORWARD_TO.load(Ordering::Relaxed);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, sig) };
    }
}

/// Makes SIGTERM and SIGINT received by this process be re-sent to `child`
/// (unshare's `--forward-signals`), by `sigaction(2)` with `SA_RESTART`, so that our own
/// waiting is not broken off. The child's PID is kept in an atomic the handler reads:
/// a handler can take no arguments of ours.
///
/// # Errors
/// The signal whose handler failed to install and `sigaction(2)`'s errno (`EINVAL`,
/// which no valid signal gives in practice).
pub fn forward_signals_to(child: Pid) -> Result<(), (i32, Errno)> {
    FORWARD_TO.store(child.as_raw(), Ordering::Relaxed);
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the handler only calls the async-signal-safe kill(2) and reads an atomic.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = forward_handler as *const () as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            if libc::sigaction(sig, &sa, std::ptr::null_mut()) < 0 {
                return Err((sig, Errno::last()));
            }
        }
    }
    Ok(())
}
