//! Reading /proc through a [`Kernel`]: directories in batches ([`each_entry`],
//! [`last_batch`]), small files into a reused buffer ([`read_into`], [`each_line`]), and
//! the names and link texts found there.

use std::ffi::CStr;
use std::os::fd::{AsFd, BorrowedFd};

use nix::errno::Errno;
use nscore::ids::{parse_u64, push_decimal};
use nscore::sys;

use super::kernel::{Kernel, Open};

/// How much of /proc is read at a time (about 40 entries; see `Scan::scan_processes`).
pub const PROC_BATCH: usize = 1024;

/// Room for the longest possible `linux_dirent64` record (19 bytes + a 255-byte name,
/// rounded up).
pub const MAX_DIRENT: usize = 280;

/// Room for a namespace link's text (`cgroup:[18446744073709551615]` is 29 bytes); a
/// longer text is no namespace link.
pub const LINK_MAX: usize = 64;

/// The most read of a /proc file: `stat` fits in 4 KiB, and util-linux shows no more of
/// a command line than this either.
pub const READ_MAX: usize = 8192;

/// Calls `f` for every name in a /proc directory (without `.` and `..`).
pub fn each_entry<K: Kernel>(k: &K, dir: BorrowedFd<'_>, buf: &mut [u8], mut f: impl FnMut(&CStr)) {
    while let Ok(n) = k.getdents64(dir, buf) {
        for name in sys::dirent_names(&buf[..n]) {
            if name != c"." && name != c".." {
                f(name);
            }
        }
        if last_batch(n, buf) {
            break;
        }
    }
}

/// Kernel assumptions the scan's speed rests on, checked on our own fds (which nothing
/// changes meanwhile: rs-lsns is single-threaded) in debug builds, which panic if one
/// fails; release builds skip this. See [`last_batch`] and `Scan::scan_dense_fds`.
pub fn debug_check_assumptions<K: Kernel>(k: &K, proc_dir: BorrowedFd<'_>, count_fds: bool) {
    if !cfg!(debug_assertions) {
        return;
    }
    let Ok(dir) = k.openat(Some(proc_dir), c"self/fd", Open::Dir) else { return };
    let mut buf = [0u8; PROC_BATCH];
    let mut entries = 0;
    while let Ok(n) = k.getdents64(dir.as_fd(), &mut buf) {
        entries += sys::dirent_names(&buf[..n]).filter(|name| digits(name.to_bytes()).is_some()).count();
        if last_batch(n, &buf) {
            let more = k.getdents64(dir.as_fd(), &mut buf).unwrap_or(0);
            debug_assert_eq!(more, 0, "procfs left room in a getdents64 buffer before the directory's end");
            break;
        }
    }
    if count_fds {
        let size = k.statx_size(dir.as_fd(), c"").unwrap_or(0);
        debug_assert_eq!(size, entries as u64, "the size of /proc/self/fd is not the number of open fds");
    }
}

/// Whether `n` bytes of entries that `getdents64` put in `buf` were a /proc directory's
/// last.
///
/// Kernel assumption: procfs fills the buffer until the next entry no longer fits, so a
/// batch that left room for the longest record was the last one; that saves the second
/// `getdents64` per directory. If a kernel stopped short of a full buffer, entries after
/// such a batch would be missed (processes, or fds of a process with gaps). Debug builds
/// check it at the start of a scan ([`debug_check_assumptions`]).
pub fn last_batch(n: usize, buf: &[u8]) -> bool {
    n + MAX_DIRENT <= buf.len()
}

/// A PID or fd number: a directory entry of decimal digits only.
pub fn digits(name: &[u8]) -> Option<i32> {
    parse_u64(name).ok()?.try_into().ok()
}

/// The inode in a namespace link's text `NAME:[INODE]`, when NAME is `name` (a cheaper
/// [`nscore::procfs::parse_ns_link`] for the links read by the thousand, whose type is known).
pub fn link_inode(text: &[u8], name: &[u8]) -> Option<u64> {
    parse_u64(text.strip_prefix(name)?.strip_prefix(b":[")?.strip_suffix(b"]")?).ok()
}

/// `"{pid}/{sub}"` (`"{pid}"` when `sub` is empty) as a C string, in a buffer reused for
/// every process.
pub fn proc_path<'a>(buf: &'a mut Vec<u8>, pid: i32, sub: &[u8]) -> Option<&'a CStr> {
    buf.clear();
    push_decimal(buf, u64::try_from(pid).ok()?);
    if !sub.is_empty() {
        buf.push(b'/');
        buf.extend_from_slice(sub);
    }
    buf.push(0);
    CStr::from_bytes_with_nul(buf).ok()
}

/// Appends a non-empty `/proc/PID/cmdline` as util-linux shows it: the last byte read dropped
/// (the terminating NUL, or the 8192nd byte of a longer line, which leaves 8191), the
/// other NULs turned into spaces (so a blanked-out argument area shows as blanks).
pub fn push_cmdline(out: &mut Vec<u8>, raw: &[u8]) {
    let raw = &raw[..raw.len().saturating_sub(1)];
    out.extend(raw.iter().map(|&b| if b == 0 { b' ' } else { b }));
}

/// [`read_into`], copied into a vector of just the size read (rows keep these).
pub fn read_at<K: Kernel>(k: &K, dir: BorrowedFd<'_>, path: &CStr, max: usize, buf: &mut [u8]) -> Option<Vec<u8>> {
    read_into(k, dir, path, max, buf).map(|n| buf[..n].to_vec())
}

/// Reads up to `max` (at most [`READ_MAX`]) bytes of a /proc file relative to `dir`
/// into `buf` (the scan's scratch buffer: a fresh array per read had to be zeroed, a
/// page or two per command line); how much was read.
pub fn read_into<K: Kernel>(k: &K, dir: BorrowedFd<'_>, path: &CStr, max: usize, buf: &mut [u8]) -> Option<usize> {
    let fd = k.openat(Some(dir), path, Open::File).ok()?;
    let max = max.min(buf.len());
    fill(k, fd.as_fd(), &mut buf[..max]).map(|(len, _)| len)
}

/// Reads `fd` into `buf` until it is full or the file ends: how much was read, and
/// whether the end was met. Kernel assumption: procfs hands out as much as fits in one
/// read, so a short read is the end of the file (one `read` per command line). A kernel
/// that read short mid-file would have its `cmdline` and `cgroup` texts cut there.
fn fill<K: Kernel>(k: &K, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Option<(usize, bool)> {
    let mut len = 0;
    while len < buf.len() {
        match k.read(fd, &mut buf[len..]) {
            Ok(0) => return Some((len, true)),
            Ok(n) if len + n < buf.len() => return Some((len + n, true)),
            Ok(n) => len += n,
            Err(Errno::EINTR) => continue,
            Err(_) => return None,
        }
    }
    Some((len, false))
}

/// Calls `f` for every line (without its newline) of a /proc file relative to `dir`,
/// reading it to its end through `buf`: memory stays at the buffer's size, however long
/// the file. A line longer than `buf` is left out, and so is a last line without its
/// newline (neither is whole); a `/proc/PID/cgroup` line holds one path, which the kernel
/// cuts at 4095 bytes (keeping its outer components), so all fit in [`READ_MAX`].
/// Returns whether the file was read to its end (not when it could not be opened, or a
/// read failed).
pub fn each_line<K: Kernel>(k: &K, dir: BorrowedFd<'_>, path: &CStr, buf: &mut [u8], mut f: impl FnMut(&[u8])) -> bool {
    let Ok(fd) = k.openat(Some(dir), path, Open::File) else { return false };
    // the start of an unfinished line kept at the front of `buf`; whether the line being
    // read is one too long, left out up to its newline
    let (mut kept, mut too_long) = (0, false);
    while let Some((n, end)) = fill(k, fd.as_fd(), &mut buf[kept..]) {
        let (filled, mut start) = (kept + n, 0);
        while let Some(len) = buf[start..filled].iter().position(|&b| b == b'\n') {
            if !too_long {
                f(&buf[start..start + len]);
            }
            too_long = false;
            start += len + 1;
        }
        if end {
            return true;
        }
        too_long |= start == 0 && filled == buf.len();
        kept = if too_long { 0 } else { filled - start };
        buf.copy_within(start..start + kept, 0);
    }
    false
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;

    use super::*;
    use crate::scan::kernel::Os;

    #[test]
    fn namespace_link_texts() {
        assert_eq!(link_inode(b"net:[4026531840]", b"net"), Some(4026531840));
        assert_eq!(link_inode(b"cgroup:[18446744073709551615]", b"cgroup"), Some(u64::MAX));
        assert_eq!(link_inode(b"cgroup:[18446744073709551616]", b"cgroup"), None);
        assert_eq!(link_inode(b"net:[4026531840]", b"uts"), None);
        assert_eq!(link_inode(b"net:[]", b"net"), None);
        assert_eq!(link_inode(b"net:[12a]", b"net"), None);
        assert_eq!(link_inode(b"net:[12", b"net"), None);
        assert_eq!(link_inode(b"net:[-1]", b"net"), None);
        assert_eq!(link_inode(b"/run/netns/x", b"net"), None);
    }

    #[test]
    fn command_lines() {
        let cmdline_text = |raw: &[u8]| {
            let mut out = b"before:".to_vec();
            push_cmdline(&mut out, raw);
            out.strip_prefix(b"before:").unwrap().to_vec()
        };
        assert_eq!(cmdline_text(b"sleep\x00300\x00"), b"sleep 300");
        assert_eq!(cmdline_text(b"sshd: root@pts/0\x00"), b"sshd: root@pts/0");
        assert_eq!(cmdline_text(b"a\0\0b\0"), b"a  b");
        assert_eq!(cmdline_text(&[0; 4]), b"   ");
        assert_eq!(cmdline_text(&[0]), b"");
        // cut at 8192 bytes by the read, or at a page by the kernel: no NUL at the end
        assert_eq!(cmdline_text(b"sleep\x00300"), b"sleep 30");
        assert_eq!(cmdline_text(&[b'x'; 8192]).len(), 8191);
    }

    fn open_dir(path: &CStr) -> std::os::fd::OwnedFd {
        Os::new(None).openat(None, path, Open::Dir).unwrap()
    }

    /// The lines of a file of `text`, read by [`each_line`] through a buffer of `size`.
    fn lines_of(text: &[u8], size: usize) -> Vec<Vec<u8>> {
        let dir = std::env::temp_dir().join(format!("nsutils-scan-lines-{}-{size}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("f"), text).unwrap();
        let name = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
        let fd = open_dir(&name);
        let mut lines = Vec::new();
        assert!(each_line(&Os::new(None), fd.as_fd(), c"f", &mut vec![0; size], |l| lines.push(l.to_vec())));
        std::fs::remove_dir_all(&dir).unwrap();
        lines
    }

    /// The whole file, however many buffers it takes; lines that are not whole (longer
    /// than the buffer, or last without a newline) left out.
    #[test]
    fn every_line_to_the_end() {
        let long: Vec<u8> = [b"9:pids:/".as_slice(), &[b'd'; 4000], b"\n"].concat();
        let text = [&long[..], &long, &long, b"0::/system.slice/docker-x.scope\n"].concat();
        assert!(text.len() > READ_MAX);
        let lines = lines_of(&text, READ_MAX);
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[3], b"0::/system.slice/docker-x.scope");
        assert!(lines[..3].iter().all(|l| l[..] == long[..long.len() - 1]));
        let text = b"ab\n0123456789abcdefghijklmnopqrstuvwxyz\n\n123456789012345\n1234567890123456\ncd\ntail";
        assert_eq!(lines_of(text, 16), [&b"ab"[..], b"", b"123456789012345", b"cd"]);
        assert_eq!(lines_of(b"", 16), Vec::<Vec<u8>>::new());
        // a file that is not there, one that cannot be read (a directory)
        let dir = open_dir(c"/proc/self");
        let os = Os::new(None);
        assert!(!each_line(&os, dir.as_fd(), c"no-such-file", &mut [0; 16], |_| panic!()));
        assert!(!each_line(&os, dir.as_fd(), c"ns", &mut [0; 16], |_| panic!()));
    }

    #[test]
    fn dirent_batches() {
        let dir = open_dir(c"/proc/self/fd");
        let mut names = Vec::new();
        // a buffer too small for all entries at once still yields every one
        let mut buf = vec![0u8; MAX_DIRENT + 24];
        each_entry(&Os::new(None), dir.as_fd(), &mut buf, |n| names.push(n.to_bytes().to_vec()));
        let raw = dir.as_raw_fd().to_string();
        assert!(names.iter().any(|n| n == raw.as_bytes()), "{names:?}");
        assert!(names.iter().any(|n| n == b"0") && !names.iter().any(|n| n == b"."));
        assert_eq!(digits(b"123"), Some(123));
        assert_eq!(digits(b"12a"), None);
        assert_eq!(digits(b""), None);
    }
}
