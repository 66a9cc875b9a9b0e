//! Namespaces: entering (`setns`) and making (`unshare`) them, the `ioctl_ns(2)`
//! questions a namespace file answers, a socket's network namespace, and opening a
//! namespace by its 64-bit ID.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;

use super::{fd_result, int_result};

/// `setns(2)` on a namespace file or a pidfd with a raw `CLONE_NEW*` mask (nix's
/// `CloneFlags` lacks `CLONE_NEWTIME`).
///
/// # Errors
/// `EPERM` without `CAP_SYS_ADMIN` over the namespace (in its owning user namespace);
/// `EINVAL` when the file is not of a type in `flags`, or the move is not allowed (a
/// multi-threaded process into a user namespace, a pid namespace that is not a
/// descendant of ours); `EBADF`; `ESRCH` for a pidfd whose process has ended.
pub fn setns(fd: BorrowedFd<'_>, flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain system call.
    int_result(unsafe { libc::setns(fd.as_raw_fd(), flags) }).map(drop)
}

/// `unshare(2)` with a raw `CLONE_*` mask (again because of `CLONE_NEWTIME`).
///
/// # Errors
/// `EPERM` without `CAP_SYS_ADMIN` (a new user namespace in the same call grants it) or,
/// for a user namespace, when our ids are not mapped in the parent or we are in a
/// `chroot`; `EINVAL` for an unknown flag or `CLONE_NEWUSER` in a multi-threaded
/// process; `ENOSPC` beyond the nesting depth or `user.max_*_namespaces`; `ENOMEM`.
pub fn unshare(flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: plain system call.
    int_result(unsafe { libc::unshare(flags) }).map(drop)
}

// ioctl numbers of linux/nsfs.h: _IO(0xb7, n); see ioctl_ns(2).
const NSIO: libc::c_ulong = 0xb7;
const fn io(nr: libc::c_ulong) -> libc::c_ulong {
    (NSIO << 8) | nr
}
/// `NS_GET_USERNS`: the user namespace that owns a namespace.
pub const NS_GET_USERNS: libc::c_ulong = io(0x1);
/// `NS_GET_PARENT`: the parent of a pid or user namespace.
pub const NS_GET_PARENT: libc::c_ulong = io(0x2);
/// `NS_GET_NSTYPE`: the `CLONE_NEW*` type of a namespace file.
pub const NS_GET_NSTYPE: libc::c_ulong = io(0x3);
/// `NS_GET_OWNER_UID`: `_IO(0xb7, 4)`, writes a uid through its argument.
pub const NS_GET_OWNER_UID: libc::c_ulong = io(0x4);
/// `SIOCGSKNS`: the network namespace of a socket.
pub const SIOCGSKNS: libc::c_ulong = 0x894C;

fn ioctl_fd(fd: BorrowedFd<'_>, req: libc::c_ulong) -> Result<OwnedFd, Errno> {
    // SAFETY: these requests take no argument and return a new descriptor.
    fd_result(unsafe { libc::ioctl(fd.as_raw_fd(), req as _) } as libc::c_long)
}

/// `NS_GET_USERNS` (`ioctl_ns(2)`) on a namespace descriptor: a close-on-exec
/// descriptor of the user namespace that owns it.
///
/// # Errors
/// `EPERM` when the owner is outside our namespace scope (an ancestor of our user
/// namespace); `ENOTTY` when `fd` is not a namespace file.
pub fn ns_get_userns(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    ioctl_fd(fd, NS_GET_USERNS)
}

/// `NS_GET_PARENT` (`ioctl_ns(2)`) on a pid or user namespace descriptor: a
/// close-on-exec descriptor of its parent.
///
/// # Errors
/// `EPERM` for the initial namespace or a parent outside our scope; `EINVAL` for a
/// namespace type without a hierarchy; `ENOTTY` when `fd` is not a namespace file.
pub fn ns_get_parent(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    ioctl_fd(fd, NS_GET_PARENT)
}

/// `NS_GET_NSTYPE` (`ioctl_ns(2)`): the `CLONE_NEW*` flag of the namespace, which
/// [`crate::NsType::from_clone_flag`] turns into a type.
///
/// # Errors
/// `ENOTTY` when `fd` is not a namespace file.
pub fn ns_get_nstype(fd: BorrowedFd<'_>) -> Result<libc::c_int, Errno> {
    // SAFETY: the request takes no argument and returns an int.
    int_result(unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE as _) })
}

/// `NS_GET_OWNER_UID` (`ioctl_ns(2)`) on a user namespace descriptor: the effective uid
/// of its creator, mapped into our user namespace.
///
/// # Errors
/// `EINVAL` when `fd` is not a user namespace; `ENOTTY` when it is not a namespace file.
pub fn ns_get_owner_uid(fd: BorrowedFd<'_>) -> Result<u32, Errno> {
    let mut uid: libc::uid_t = 0;
    // SAFETY: the kernel writes one uid_t through the pointer.
    int_result(unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_OWNER_UID as _, &mut uid as *mut libc::uid_t) })?;
    Ok(uid)
}

/// `SIOCGSKNS`: a close-on-exec descriptor for the network namespace of socket `fd`
/// (the namespace it was created in, which may have no process left). An `ioctl(2)` on
/// sockets from `linux/sockios.h`; man-pages 6.03 does not describe it.
///
/// # Errors
/// `EPERM` without `CAP_NET_ADMIN` over that namespace; for a descriptor that is not a
/// socket, whatever its file answers to an unknown request (usually `ENOTTY`).
pub fn socket_netns(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    ioctl_fd(fd, SIOCGSKNS)
}

/// `open_by_handle_at(2)` with an nsfs file handle: the namespace whose 64-bit ID is `id`
/// (Linux 6.19 or newer understands such handles). `nsfs_fd` is any descriptor on nsfs,
/// which tells the kernel the filesystem to look in. The descriptor is close-on-exec.
///
/// # Errors
/// `ESTALE` when no namespace has that ID, and on kernels before 6.19, which do not
/// understand the handle; `EPERM` when not allowed to open it.
pub fn open_ns_by_id(nsfs_fd: BorrowedFd<'_>, id: u64) -> Result<OwnedFd, Errno> {
    /// `struct file_handle` followed by `struct nsfs_file_handle` (linux/nsfs.h).
    #[repr(C)]
    struct NsHandle {
        handle_bytes: u32,
        handle_type: libc::c_int,
        ns_id: u64,
        ns_type: u32,
        ns_inum: u32,
    }
    /// `FILEID_NSFS` of linux/exportfs.h.
    const FILEID_NSFS: libc::c_int = 0xf1;
    let mut handle = NsHandle { handle_bytes: 16, handle_type: FILEID_NSFS, ns_id: id, ns_type: 0, ns_inum: 0 };
    // SAFETY: the handle is a valid file_handle with 16 bytes of payload, as declared.
    fd_result(unsafe {
        libc::syscall(
            libc::SYS_open_by_handle_at,
            nsfs_fd.as_raw_fd(),
            &mut handle as *mut NsHandle,
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers() {
        assert_eq!(NS_GET_USERNS, 0xb701);
        assert_eq!(NS_GET_PARENT, 0xb702);
        assert_eq!(NS_GET_NSTYPE, 0xb703);
        assert_eq!(NS_GET_OWNER_UID, 0xb704);
    }

    #[test]
    fn nstype_of_own_namespaces() {
        let f = std::fs::File::open("/proc/self/ns/net").unwrap();
        use std::os::fd::AsFd;
        assert_eq!(ns_get_nstype(f.as_fd()).unwrap(), libc::CLONE_NEWNET);
        let u = std::fs::File::open("/proc/self/ns/user").unwrap();
        // the initial user namespace has no parent we may see
        assert!(ns_get_parent(u.as_fd()).is_err());
    }
}
