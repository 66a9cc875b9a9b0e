//! Descriptors: duplicating one above a number, closing a range at once, and passing
//! one over a Unix socket (`SCM_RIGHTS`).

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::errno::Errno;

use super::{fd_result, int_result};

/// A close-on-exec duplicate of `fd` at the lowest free number from `min` on
/// (`fcntl(2)` `F_DUPFD_CLOEXEC`).
///
/// # Errors
/// `EMFILE` when no number from `min` on is free, `EINVAL` for a `min` out of range.
pub fn dup_from(fd: BorrowedFd<'_>, min: RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: plain fcntl with integer arguments.
    let rc = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, min) };
    fd_result(libc::c_long::from(rc))
}

/// `close_range(2)` without flags: closes descriptors `first` to `last` (`u32::MAX` for
/// all above `first`) at once.
///
/// # Errors
/// `EINVAL` when `first` is above `last`; `ENOSYS` before Linux 5.9.
pub fn close_range(first: u32, last: u32) -> Result<(), Errno> {
    // SAFETY: plain system call with integer arguments; the caller gives up the
    // descriptors it closes (none may be an OwnedFd that is dropped later).
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) };
    int_result(rc as libc::c_int).map(drop)
}

/// Sends `data` as one message on the Unix socket `sock`, with descriptor `fd` attached
/// when given (`sendmsg(2)`, `SCM_RIGHTS`, `MSG_NOSIGNAL`).
///
/// # Errors
/// As `sendmsg(2)`: `EPIPE` when the peer is gone, `ENOBUFS`.
pub fn send_with_fd(sock: BorrowedFd<'_>, data: &[u8], fd: Option<BorrowedFd<'_>>) -> Result<(), Errno> {
    use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
    let fds = fd.map(|f| [f.as_raw_fd()]);
    let cmsgs: Vec<ControlMessage<'_>> = fds.iter().map(|f| ControlMessage::ScmRights(f)).collect();
    let iov = [std::io::IoSlice::new(data)];
    sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsgs, MsgFlags::MSG_NOSIGNAL, None).map(drop)
}

/// Receives one message of at most `buf.len()` bytes on the Unix socket `sock`, and the
/// descriptor sent with it, close-on-exec (`recvmsg(2)`, `MSG_CMSG_CLOEXEC`); any further
/// descriptors are closed. `(0, None)` when the peer has gone.
///
/// # Errors
/// As `recvmsg(2)`: `EINTR`, `EAGAIN` on a non-blocking socket with nothing to read.
pub fn recv_with_fd(sock: BorrowedFd<'_>, buf: &mut [u8]) -> Result<(usize, Option<OwnedFd>), Errno> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let msg = recvmsg::<()>(sock.as_raw_fd(), &mut iov, Some(&mut space), MsgFlags::MSG_CMSG_CLOEXEC)?;
    let n = msg.bytes;
    let mut fds = Vec::new();
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(raw) = c {
            // SAFETY: SCM_RIGHTS just installed these descriptors in this process.
            fds.extend(raw.into_iter().map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }));
        }
    }
    Ok((n, fds.into_iter().next()))
}
