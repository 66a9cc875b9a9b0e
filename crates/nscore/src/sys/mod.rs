//! The only module with `unsafe` code and raw `libc` calls.
//!
//! Everything else in the workspace goes through nix's safe wrappers or through the
//! functions here. Each function is a thin, checked wrapper: it turns `-1` into an
//! `Errno` and owned descriptors into `OwnedFd`, and does no policy of its own.
//!
//! Each names the man page of the call it makes and, under `# Errors`, the errno values
//! its callers meet in practice (the man page has the full list); the two calls that are
//! sound only in a single-threaded process are `unsafe fn`s with a `# Safety` section,
//! reached safely through [`SingleThreaded`].
//!
//! The wrappers are grouped by what they touch, in private submodules whose items all
//! appear here, so each is named `sys::NAME` whatever file holds it:
//!
//! | file | holds |
//! | --- | --- |
//! | `process.rs` | [`SingleThreaded`] and [`fork`], [`exit_now`], [`waitpid_raw`], [`secure_exec`], [`shared_word`] |
//! | `pidfd.rs` | [`pidfd_open`], [`pidfd_getfd`], [`pidfd_info`], [`pidfd_send_signal`] |
//! | `signals.rs` | [`kill`], [`default_action`], [`reset_and_unblock`], [`set_pdeathsig`], [`forward_signals_to`] |
//! | `ns.rs` | [`setns`], [`unshare`], the `ioctl_ns(2)` requests (`ns_get_*`), [`socket_netns`], [`open_ns_by_id`] |
//! | `caps.rs` | [`capget`], [`capset`], [`ambient_raise`] |
//! | `fs.rs` | [`getdents64`] and [`dirent_names`], [`readlink_into`], [`file_id_at`], [`size_at`], [`nlink_at`] |
//! | `fds.rs` | [`dup_from`], [`close_range`], [`send_with_fd`], [`recv_with_fd`] |
//! | `text.rs` | [`strerror`], [`locale_is_utf8`], [`terminal_width`] |
//!
//! The crate allows `unsafe` in this module alone (`#[allow(unsafe_code)]` on its
//! declaration in `lib.rs`, under the crate's `#![deny(unsafe_code)]`); the submodules
//! inherit the allowance, and nothing outside `sys` has it.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;

mod caps;
mod fds;
mod fs;
mod ns;
mod pidfd;
mod process;
mod signals;
mod text;

pub use caps::*;
pub use fds::*;
pub use fs::*;
pub use ns::*;
pub use pidfd::*;
pub use process::*;
pub use signals::*;
pub use text::*;

/// A system call's descriptor result: a negative value becomes the errno, any other is
/// the new descriptor the call just made, which the caller now owns. (Private to `sys`;
/// its submodules see it as `super::fd_result`, as they do [`int_result`].)
fn fd_result(rc: libc::c_long) -> Result<OwnedFd, Errno> {
    if rc < 0 {
        Err(Errno::last())
    } else {
        // SAFETY: the kernel just returned this new descriptor to us.
        Ok(unsafe { OwnedFd::from_raw_fd(rc as RawFd) })
    }
}

/// A system call's integer result: a negative value becomes the errno.
fn int_result(rc: libc::c_int) -> Result<libc::c_int, Errno> {
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(rc)
    }
}
