//! Files and directories as rs-lsns reads `/proc`: directory entries into a reused
//! buffer, link texts, and `statx` of type, inode or size without opening anything.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;

use super::int_result;

/// `getdents64(2)`: fills `buf` with `linux_dirent64` records; returns the bytes used
/// (0 at the end of the directory). Parse the records with [`dirent_names`]. Used instead
/// of `readdir(3)` to read `/proc` and `/proc/PID/fd` into one reused buffer.
///
/// # Errors
/// `EBADF` or `ENOTDIR` for a descriptor that is not an open directory, `EINVAL` for a
/// buffer too small for the next record, `ENOENT` once the directory is gone (a process
/// that ended).
pub fn getdents64(dir: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most buf.len() bytes into the buffer.
    let rc = unsafe { libc::syscall(libc::SYS_getdents64, dir.as_raw_fd(), buf.as_mut_ptr(), buf.len()) };
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(rc as usize)
    }
}

/// The names in a `getdents64` buffer (`.` and `..` included), NUL-terminated as the
/// kernel wrote them, so they can be handed to the `*at` calls below without a copy. Pure
/// byte parsing of the `linux_dirent64` layout: u64 ino, i64 off, u16 reclen, u8 type,
/// NUL-terminated name (a record without a NUL ends the iteration). The layout is
/// `getdents64(2)`'s.
///
/// # Errors
/// None reported: a truncated or malformed record ends the iteration.
pub fn dirent_names(buf: &[u8]) -> impl Iterator<Item = &CStr> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let rec = buf.get(pos..)?;
        let reclen = u16::from_ne_bytes([*rec.get(16)?, *rec.get(17)?]) as usize;
        if reclen < 20 || reclen > rec.len() {
            return None;
        }
        pos += reclen;
        CStr::from_bytes_until_nul(&rec[19..reclen]).ok()
    })
}

/// `readlinkat(2)` into a caller's buffer (no allocation: rs-lsns reads tens of thousands
/// of links). Returns the length of the text; a text that fills the buffer may have been cut.
///
/// # Errors
/// `ENOENT` for a name that is gone, `EINVAL` for one that is not a link, `EACCES`
/// without ptrace access to another process's `/proc` entries.
pub fn readlink_into(dir: BorrowedFd<'_>, name: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most buf.len() bytes; name is NUL-terminated.
    let rc = unsafe { libc::readlinkat(dir.as_raw_fd(), name.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if rc < 0 {
        Err(Errno::last())
    } else {
        Ok(rc as usize)
    }
}

/// What names a file: the device (in `st_dev`'s encoding) and inode it lives on, and its
/// `S_IFMT` type bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    /// The device, as `st_dev` encodes it (`makedev` of statx's major and minor).
    pub dev: u64,
    /// The inode number.
    pub ino: u64,
    /// `stx_mode`; only its `S_IFMT` type bits are asked for, so only they count.
    pub mode: u32,
}

impl FileId {
    /// Whether the file is a socket (whose network namespace `SIOCGSKNS` can then tell).
    pub fn is_socket(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFSOCK
    }
}

/// `statx(2)` of `name` under `dir` (of `dir` itself when `name` is empty), following a
/// final symlink: through a `/proc/PID/fd/N` link that reaches the open file without
/// opening anything, so a FIFO cannot make it wait. It asks for nothing but type and
/// inode and takes what the kernel has cached (`AT_STATX_DONT_SYNC`): the server behind a
/// network or FUSE file is not asked, so it cannot stall the call either.
///
/// # Errors
/// As `statx(2)`: `ENOENT` for a name that is gone, `EACCES` without access (another
/// process's descriptors), `ENOTDIR`, `ELOOP`, `ENOMEM`.
pub fn file_id_at(dir: BorrowedFd<'_>, name: &CStr) -> Result<FileId, Errno> {
    let stx = statx_at(dir, name, libc::STATX_TYPE | libc::STATX_INO)?;
    Ok(FileId {
        dev: libc::makedev(stx.stx_dev_major, stx.stx_dev_minor),
        ino: stx.stx_ino,
        mode: u32::from(stx.stx_mode),
    })
}

/// The size `statx(2)` reports for `name` relative to `dir`, following a final symlink.
/// For a `/proc/PID/fd` directory that is the number of descriptors the process has open
/// (Linux 6.2 and later; 0 before), which costs the kernel a count of a bitmap where
/// reading the directory costs a dentry per descriptor.
///
/// # Errors
/// As `statx(2)`: `ENOENT` for a name that is gone, `EACCES`, `ENOTDIR`, `ENOMEM`.
pub fn size_at(dir: BorrowedFd<'_>, name: &CStr) -> Result<u64, Errno> {
    Ok(statx_at(dir, name, libc::STATX_SIZE)?.stx_size)
}

/// The link count `statx(2)` reports for `name` relative to `dir`, following a final
/// symlink. For a `/proc/PID/task` directory that is 2 plus the number of the process's
/// threads, which the kernel knows without listing them.
///
/// # Errors
/// As `statx(2)`: `ENOENT` for a name that is gone, `EACCES`, `ENOTDIR`, `ENOMEM`.
pub fn nlink_at(dir: BorrowedFd<'_>, name: &CStr) -> Result<u64, Errno> {
    Ok(u64::from(statx_at(dir, name, libc::STATX_NLINK)?.stx_nlink))
}

/// `statx(2)` of `name` relative to `dir` (of `dir` itself for an empty name), following
/// a final symlink, asking for `mask` and taking what the kernel has cached
/// (`AT_STATX_DONT_SYNC`).
fn statx_at(dir: BorrowedFd<'_>, name: &CStr, mask: libc::c_uint) -> Result<libc::statx, Errno> {
    let mut flags = libc::AT_STATX_DONT_SYNC;
    if name.is_empty() {
        flags |= libc::AT_EMPTY_PATH;
    }
    // (not zeroed first: rs-lsns makes thousands of these calls, and the kernel writes
    // the whole structure, unused fields as zeroes, whenever it succeeds)
    let mut stx = std::mem::MaybeUninit::<libc::statx>::uninit();
    // SAFETY: the kernel writes at most a struct statx to the pointer; name is
    // NUL-terminated.
    let rc = unsafe { libc::statx(dir.as_raw_fd(), name.as_ptr(), flags, mask, stx.as_mut_ptr()) };
    int_result(rc)?;
    // SAFETY: statx succeeded, so it filled in every byte of the structure.
    Ok(unsafe { stx.assume_init() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_entries() {
        let d = std::fs::File::open("/proc/self/ns").unwrap();
        use std::os::fd::AsFd;
        let mut buf = vec![0u8; 4096];
        let mut names = Vec::new();
        loop {
            let n = getdents64(d.as_fd(), &mut buf).unwrap();
            if n == 0 {
                break;
            }
            names.extend(dirent_names(&buf[..n]).map(|n| n.to_string_lossy().into_owned()));
        }
        assert!(names.iter().any(|n| n == "net") && names.iter().any(|n| n == ".."), "{names:?}");
        assert_eq!(dirent_names(&[0u8; 10]).count(), 0);
    }

    /// The link count of `/proc/PID/task` is 2 plus the threads: 3 for a `sleep`, more
    /// for this test process, which runs at least the test's thread and ours.
    #[test]
    fn task_link_count_counts_threads() {
        use std::os::fd::AsFd;
        let proc = std::fs::File::open("/proc").unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            let _ = rx.recv();
        });
        assert!(nlink_at(proc.as_fd(), c"self/task").unwrap() >= 4);
        tx.send(()).unwrap();
        t.join().unwrap();
        let mut sleep = std::process::Command::new("sleep").arg("30").spawn().unwrap();
        let task = std::ffi::CString::new(format!("{}/task", sleep.id())).unwrap();
        let n = nlink_at(proc.as_fd(), &task);
        let _ = sleep.kill();
        let _ = sleep.wait();
        assert_eq!(n, Ok(3));
        assert_eq!(nlink_at(proc.as_fd(), c"no-such-dir"), Err(Errno::ENOENT));
    }

    #[test]
    fn file_ids_and_links() {
        use std::os::fd::AsFd;
        let proc = std::fs::File::open("/proc").unwrap();
        let ns = file_id_at(proc.as_fd(), c"self/ns/net").unwrap();
        let uts = file_id_at(proc.as_fd(), c"self/ns/uts").unwrap();
        // one nsfs device for all namespace files, and regular-file type bits
        assert_eq!(ns.dev, uts.dev);
        assert_eq!(ns.mode & libc::S_IFMT, libc::S_IFREG);
        let own = file_id_at(proc.as_fd(), c"").unwrap();
        assert_eq!(own.mode & libc::S_IFMT, libc::S_IFDIR);
        assert_ne!(own.dev, ns.dev);
        let mut buf = [0u8; 64];
        let n = readlink_into(proc.as_fd(), c"self/ns/net", &mut buf).unwrap();
        assert_eq!(&buf[..n], format!("net:[{}]", ns.ino).as_bytes());
        assert_eq!(readlink_into(proc.as_fd(), c"no-such-link", &mut buf), Err(Errno::ENOENT));
        let sock = std::os::unix::net::UnixDatagram::unbound().unwrap();
        let id = file_id_at(sock.as_fd(), c"").unwrap();
        assert!(id.is_socket() && !ns.is_socket());
    }
}
