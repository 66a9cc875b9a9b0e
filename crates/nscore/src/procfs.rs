//! Pure parsers for the `/proc` files the tools read, and namespace identity.
//!
//! Parsing is kept apart from reading so it can be tested on hostile input (command
//! names with spaces and `)`, mount points with escapes) without a live system.
//!
//! A process's namespaces are the links under `/proc/PID/ns`; their text names the
//! type and the inode, and that inode is what lsns lists and what tells two processes'
//! namespaces apart. Reading one's own needs no privilege:
//!
//! ```
//! use std::os::unix::ffi::OsStrExt;
//! use std::path::Path;
//!
//! use nscore::procfs::{ns_id, ns_inode_of, parse_ns_link};
//! use nscore::NsType;
//!
//! let link = std::fs::read_link("/proc/self/ns/uts")?;
//! let (t, ino) = parse_ns_link(link.as_os_str().as_bytes()).expect("uts:[inode]");
//! assert_eq!(t, NsType::Uts);
//! // one readlink(2) of the link and a stat(2) of the namespace agree on the inode
//! assert_eq!(ns_inode_of("self", NsType::Uts)?, ino);
//! assert_eq!(ns_id(Path::new("/proc/self/ns/uts"))?.ino, ino);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;

use nix::errno::Errno;

use crate::nstype::NsType;

/// The fields of `/proc/PID/stat` the tools use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Field 1: the PID, as the pid namespace of this `/proc` mount numbers it.
    pub pid: i32,
    /// The command name between the parentheses (may contain spaces and `)`).
    pub comm: Vec<u8>,
    /// Field 3: the state letter (`R` running, `S` sleeping, `T` stopped, `Z` zombie ...).
    pub state: u8,
    /// Field 4: the parent's PID; 0 for a parent outside the pid namespace of this `/proc`
    /// mount (and for PID 1).
    pub ppid: i32,
    /// Field 22: start time in clock ticks after boot (tells a recycled PID apart).
    pub starttime: u64,
}

/// Parses `/proc/PID/stat`. The command name may hold any byte, `)` included, so the
/// fields are split at the *last* `)`.
///
/// ```
/// use nscore::procfs::parse_stat;
///
/// // a program may call itself "a) b"; the name still ends at the last ')'
/// let st = parse_stat(b"42 (a) b) S 1 42 42 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0").unwrap();
/// assert_eq!((st.pid, st.state, st.ppid, st.starttime), (42, b'S', 1, 777));
/// assert_eq!(st.comm, b"a) b");
/// assert_eq!(parse_stat(b"42 (cut short"), None);
/// ```
pub fn parse_stat(buf: &[u8]) -> Option<Stat> {
    let open = buf.iter().position(|&b| b == b'(')?;
    let close = buf.iter().rposition(|&b| b == b')')?;
    if close < open {
        return None;
    }
    let pid = std::str::from_utf8(&buf[..open]).ok()?.trim().parse().ok()?;
    let comm = buf[open + 1..close].to_vec();
    let rest = std::str::from_utf8(buf.get(close + 1..)?).ok()?;
    let mut f = rest.split_ascii_whitespace();
    let state = *f.next()?.as_bytes().first()?;
    let ppid = f.next()?.parse().ok()?;
    // fields 5..=21 skipped, 22 is starttime: after state(3) and ppid(4), 17 more.
    let starttime = f.nth(17)?.parse().ok()?;
    Some(Stat { pid, comm, state, ppid, starttime })
}

/// One line of `/proc/PID/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountInfo {
    /// Field 1: the mount's ID (unique while it is mounted).
    pub mount_id: u32,
    /// Field 2: the parent mount's ID (for the top of the tree, a mount not in the list).
    pub parent_id: u32,
    /// `major:minor` of the filesystem.
    pub dev: (u32, u32),
    /// The root of the mount within its filesystem (for nsfs: `net:[4026531840]`).
    pub root: Vec<u8>,
    /// The mount point, octal escapes decoded.
    pub mount_point: Vec<u8>,
    /// The optional fields (`shared:1`, `master:2`, ...).
    pub optional: Vec<String>,
    /// The file system type after the `-` separator (`nsfs` for a namespace bind mount).
    pub fstype: String,
    /// The mount source (a device, or a name such as `nsfs`), octal escapes decoded.
    pub source: Vec<u8>,
}

impl MountInfo {
    /// The propagation as findmnt prints it: `shared`, `private`, `private,slave` ...
    pub fn propagation(&self) -> String {
        let shared = self.optional.iter().any(|o| o.starts_with("shared:"));
        let slave = self.optional.iter().any(|o| o.starts_with("master:"));
        let unbindable = self.optional.iter().any(|o| o == "unbindable");
        let mut p = vec![if shared { "shared" } else { "private" }];
        if slave {
            p.push("slave");
        }
        if unbindable {
            p.push("unbindable");
        }
        p.join(",")
    }

    /// For an nsfs mount: the namespace type and inode it pins (`net:[4026531840]`).
    pub fn nsfs_target(&self) -> Option<(NsType, u64)> {
        if self.fstype != "nsfs" {
            return None;
        }
        parse_ns_link(&self.root)
    }
}

/// `/proc/self/fd/N`: a path the kernel resolves to the very file `fd` stands for, to
/// reopen (or mount onto) what an `O_PATH` descriptor pinned.
pub fn fd_link(fd: std::os::fd::BorrowedFd<'_>) -> String {
    use std::os::fd::AsRawFd;
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

/// Decodes the `\ooo` escapes the kernel writes for space, tab, newline and backslash.
pub fn unescape_octal(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' && i + 3 < s.len() && s[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b)) {
            let v = (s[i + 1] - b'0') as u32 * 64 + (s[i + 2] - b'0') as u32 * 8 + (s[i + 3] - b'0') as u32;
            if v <= 255 {
                out.push(v as u8);
                i += 4;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

/// The words of the `Name:` line of a `/proc/PID/status` file (`Uid:\t0\t0\t0\t0` gives
/// the four ids); `None` when the file has no such line.
///
/// ```
/// use nscore::procfs::status_field;
/// let status = b"Name:\tsh\nUid:\t1000\t1001\t1000\t1000\nNSpid:\t42\t1\n";
/// assert_eq!(status_field(status, b"Uid").unwrap()[1], b"1001");
/// assert_eq!(status_field(status, b"NSpid").map(|w| w.len()), Some(2));
/// assert!(status_field(status, b"Gid").is_none());
/// ```
pub fn status_field<'a>(status: &'a [u8], name: &[u8]) -> Option<Vec<&'a [u8]>> {
    status.split(|&b| b == b'\n').find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(b":")?;
        Some(rest.split(|b| b.is_ascii_whitespace()).filter(|w| !w.is_empty()).collect())
    })
}

/// Parses one line of mountinfo; `None` for a malformed line.
///
/// The number of optional fields varies, so the line is split at the lone `-`, not by
/// position.
///
/// ```
/// use nscore::procfs::parse_mountinfo_line;
/// use nscore::NsType;
///
/// // a network namespace kept alive by a bind mount onto "/run/netns/a b"
/// let line = b"600 30 0:4 net:[4026532300] /run/netns/a\\040b rw shared:5 - nsfs nsfs rw";
/// let m = parse_mountinfo_line(line).unwrap();
/// assert_eq!(m.mount_point, b"/run/netns/a b");
/// assert_eq!(m.nsfs_target(), Some((NsType::Net, 4026532300)));
/// assert_eq!(m.propagation(), "shared");
/// ```
pub fn parse_mountinfo_line(line: &[u8]) -> Option<MountInfo> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    let sep = fields.iter().position(|f| *f == b"-")?;
    if sep < 6 || fields.len() < sep + 3 {
        return None;
    }
    let num = |f: &[u8]| std::str::from_utf8(f).ok()?.parse::<u32>().ok();
    let (maj, min) = {
        let s = std::str::from_utf8(fields[2]).ok()?;
        let (a, b) = s.split_once(':')?;
        (a.parse().ok()?, b.parse().ok()?)
    };
    Some(MountInfo {
        mount_id: num(fields[0])?,
        parent_id: num(fields[1])?,
        dev: (maj, min),
        root: unescape_octal(fields[3]),
        mount_point: unescape_octal(fields[4]),
        optional: fields[6..sep].iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect(),
        fstype: String::from_utf8_lossy(fields[sep + 1]).into_owned(),
        source: unescape_octal(fields[sep + 2]),
    })
}

/// Parses a whole mountinfo file, skipping malformed lines.
pub fn parse_mountinfo(buf: &[u8]) -> Vec<MountInfo> {
    buf.split(|&b| b == b'\n').filter(|l| !l.is_empty()).filter_map(parse_mountinfo_line).collect()
}

/// Parses a namespace link target such as `net:[4026531840]` (what `readlink` of
/// `/proc/PID/ns/net` and the nsfs mount root say).
pub fn parse_ns_link(s: &[u8]) -> Option<(NsType, u64)> {
    let s = std::str::from_utf8(s).ok()?;
    let (name, rest) = s.split_once(":[")?;
    let ino = rest.strip_suffix(']')?.parse().ok()?;
    Some((NsType::from_proc_name(name)?, ino))
}

/// A namespace's identity: the nsfs device and inode. Together they are what
/// `ioctl_ns(2)` documents as identifying a namespace; the inode alone is what lsns and
/// the link text show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NsId {
    /// `st_dev` of the namespace file (the nsfs file system).
    pub dev: u64,
    /// `st_ino` of the namespace file: the number in `net:[4026531840]`.
    pub ino: u64,
}

/// The identity of the namespace a path (a `/proc/PID/ns/*` link or a bind mount of
/// one) refers to: one `stat(2)`.
///
/// # Errors
/// As `stat(2)`: `ENOENT` for a process that has gone or a type this kernel lacks,
/// `EACCES` for another user's process (the links need ptrace access).
pub fn ns_id(path: &Path) -> Result<NsId, Errno> {
    let st = nix::sys::stat::stat(path)?;
    Ok(NsId { dev: st.st_dev, ino: st.st_ino })
}

/// The inode of `/proc/<pid>/ns/<name>` by one `readlink(2)` (cheaper than `stat`).
///
/// # Errors
/// As `readlink(2)` (`ENOENT`, `EACCES` as for [`ns_id`]); `EINVAL` if the link text is
/// not `<type>:[<inode>]`.
pub fn ns_inode_of(pid: &str, t: NsType) -> Result<u64, Errno> {
    let link = nix::fcntl::readlink(format!("/proc/{pid}/ns/{}", t.proc_name()).as_str())?;
    parse_ns_link(std::os::unix::ffi::OsStrExt::as_bytes(link.as_os_str())).map(|(_, ino)| ino).ok_or(Errno::EINVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_hostile_comm() {
        let line = b"1234 (a) b (c)) S 42 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615\n";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.pid, 1234);
        assert_eq!(s.comm, b"a) b (c)");
        assert_eq!(s.state, b'S');
        assert_eq!(s.ppid, 42);
        assert_eq!(s.starttime, 987654);
        assert!(parse_stat(b"12 (x").is_none());
        assert!(parse_stat(b"12 (x) S").is_none());
        let nl = b"7 (new\nline) R 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0";
        assert_eq!(parse_stat(nl).unwrap().comm, b"new\nline");
    }

    #[test]
    fn mountinfo_lines() {
        let l = b"36 35 98:0 /mnt1 /mnt\\040with\\134space rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue";
        let m = parse_mountinfo_line(l).unwrap();
        assert_eq!(m.mount_id, 36);
        assert_eq!(m.parent_id, 35);
        assert_eq!(m.dev, (98, 0));
        assert_eq!(m.root, b"/mnt1");
        assert_eq!(m.mount_point, b"/mnt with\\space");
        assert_eq!(m.optional, vec!["master:1", "shared:7"]);
        assert_eq!(m.propagation(), "shared,slave");
        assert_eq!(m.fstype, "ext3");
        assert_eq!(m.source, b"/dev/root");
        let n = parse_mountinfo_line(b"600 30 0:4 net:[4026532300] /run/netns/a rw shared:5 - nsfs nsfs rw").unwrap();
        assert_eq!(n.nsfs_target(), Some((NsType::Net, 4026532300)));
        assert_eq!(n.propagation(), "shared");
        let p = parse_mountinfo_line(b"1 0 0:1 / / rw - tmpfs none rw").unwrap();
        assert_eq!(p.propagation(), "private");
        assert_eq!(p.nsfs_target(), None);
        assert!(parse_mountinfo_line(b"garbage").is_none());
        assert_eq!(parse_mountinfo(b"garbage\n1 0 0:1 / / rw - tmpfs none rw\n\n").len(), 1);
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape_octal(b"a\\011b\\012c"), b"a\tb\nc");
        assert_eq!(unescape_octal(b"trailing\\"), b"trailing\\");
        assert_eq!(unescape_octal(b"\\04"), b"\\04");
        assert_eq!(unescape_octal(b"\\777x"), b"\\777x");
        assert_eq!(unescape_octal(b"\\101"), b"A");
    }

    #[test]
    fn ns_links() {
        assert_eq!(parse_ns_link(b"net:[4026531840]"), Some((NsType::Net, 4026531840)));
        assert_eq!(parse_ns_link(b"pid_for_children:[1]"), None);
        assert_eq!(parse_ns_link(b"mnt:[x]"), None);
        assert_eq!(parse_ns_link(b"mnt:[1"), None);
    }

    #[test]
    fn own_namespaces() {
        let a = ns_id(Path::new("/proc/self/ns/net")).unwrap();
        let b = ns_inode_of("self", NsType::Net).unwrap();
        assert_eq!(a.ino, b);
    }
}
