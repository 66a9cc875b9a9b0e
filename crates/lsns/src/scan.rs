//! Discovery: one pass over /proc builds the [`Model`]; everything else (stat, cmdline,
//! owner ioctls, NETNSID) is looked up later, only for the lines that need it.
//!
//! Cost per process is one `openat` of `/proc/PID/ns`, one `readlinkat` per selected type
//! and, for the fd scan, one `getdents64` plus one `readlinkat` per open descriptor: the
//! link text (`net:[4026531840]`, `socket:[123]`) tells type and inode without a `stat`.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use nix::errno::Errno;
use nix::fcntl::{openat, readlinkat, OFlag};
use nix::sys::stat::{fstat, fstatat, Mode};
use nix::unistd::Pid;
use nscore::procfs::{parse_mountinfo, parse_ns_link, parse_stat};
use nscore::sys;
use nscore::{Error, NsSet, NsType};

use crate::assemble::Facts;
use crate::model::{Access, Model, Namespace, Origin};
use crate::netlink;

/// What the scan must look for.
#[derive(Clone, Debug)]
pub struct ScanOpts {
    pub types: NsSet,
    pub task: Option<i32>,
    /// The positional namespace whose member processes are wanted.
    pub target: Option<u64>,
}

const DIR_FLAGS: OFlag = OFlag::O_RDONLY.union(OFlag::O_DIRECTORY).union(OFlag::O_CLOEXEC);

/// Room for the longest possible `linux_dirent64` record (19 bytes + a 255-byte name,
/// rounded up).
const MAX_DIRENT: usize = 280;

/// Calls `f` for every name in a /proc directory (without `.` and `..`).
///
/// procfs fills the buffer until an entry no longer fits, so a batch that left room for
/// another record was the last one: that saves the second `getdents64` per directory
/// (a quarter of a process's fd-scan calls).
fn each_entry(dir: BorrowedFd<'_>, buf: &mut [u8], mut f: impl FnMut(&[u8])) {
    while let Ok(n) = sys::getdents64(dir, buf) {
        for name in sys::dirent_names(&buf[..n]) {
            if name != b"." && name != b".." {
                f(name);
            }
        }
        if n + MAX_DIRENT <= buf.len() {
            break;
        }
    }
}

fn digits(name: &[u8]) -> Option<i32> {
    if name.is_empty() || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// An open fd of process `pid` that names a namespace or a socket.
enum FdRef {
    Ns { ino: u64, ty: NsType, pid: i32, fd: i32 },
    Socket { ino: u64, pid: i32, fd: i32 },
}

fn inode(fd: BorrowedFd<'_>) -> Option<u64> {
    fstat(fd).ok().map(|st| st.st_ino)
}

/// A scan's model plus what it learned lazily about processes and namespaces.
pub struct Scan {
    pub model: Model,
    proc_dir: OwnedFd,
    stats: HashMap<i32, Option<(i32, Vec<u8>)>>,
    commands: HashMap<i32, Vec<u8>>,
    uids: HashMap<i32, Option<u32>>,
    users: HashMap<u32, String>,
    relations: HashMap<u64, (Option<u64>, Option<u64>)>,
    netlink: Option<Option<OwnedFd>>,
    /// Set when the kernel lacks an ns ioctl (exit status 2).
    pub unsupported: bool,
}

impl Scan {
    pub fn run(o: &ScanOpts) -> Result<Scan, Error> {
        let proc_dir =
            nix::fcntl::open("/proc", DIR_FLAGS, Mode::empty()).map_err(|e| Error::sys("cannot open /proc", e))?;
        let mut s = Scan {
            model: Model::default(),
            proc_dir,
            stats: HashMap::new(),
            commands: HashMap::new(),
            uids: HashMap::new(),
            users: HashMap::new(),
            relations: HashMap::new(),
            netlink: None,
            unsupported: false,
        };
        let refs = s.scan_processes(o);
        s.add_fd_namespaces(o.types, refs);
        s.add_mounts(o.types)?;
        Ok(s)
    }

    fn scan_processes(&mut self, o: &ScanOpts) -> Vec<FdRef> {
        let mut pids = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        each_entry(self.proc_dir.as_fd(), &mut buf, |name| pids.extend(digits(name)));
        let mut refs = Vec::new();
        let mut path = Vec::with_capacity(32);
        for pid in pids {
            path.clear();
            path.extend_from_slice(pid.to_string().as_bytes());
            path.extend_from_slice(b"/ns");
            let Ok(nsdir) = openat(self.proc_dir.as_fd(), OsStr::from_bytes(&path), DIR_FLAGS, Mode::empty()) else {
                continue; // gone, or not ours to see
            };
            for t in o.types.iter() {
                let Ok(link) = readlinkat(nsdir.as_fd(), t.proc_name()) else { continue };
                let Some((ty, ino)) = parse_ns_link(link.as_bytes()) else { continue };
                self.model.attach(ino, ty, pid);
                if o.target == Some(ino) {
                    self.model.members.push(pid);
                }
                if o.task == Some(pid) {
                    self.model.task_ns.push(ino);
                }
            }
            drop(nsdir);
            path.truncate(path.len() - 2);
            path.extend_from_slice(b"fd");
            self.scan_fds(pid, &path, o.types, &mut buf, &mut refs);
        }
        refs
    }

    /// Namespaces and sockets among the open fds of `pid` (`path` is `PID/fd`).
    fn scan_fds(&self, pid: i32, path: &[u8], types: NsSet, buf: &mut [u8], refs: &mut Vec<FdRef>) {
        let Ok(fddir) = openat(self.proc_dir.as_fd(), OsStr::from_bytes(path), DIR_FLAGS, Mode::empty()) else {
            return;
        };
        let want_sockets = types.contains(NsType::Net);
        each_entry(fddir.as_fd(), buf, |name| {
            let Some(fd) = digits(name) else { return };
            let Ok(link) = readlinkat(fddir.as_fd(), OsStr::from_bytes(name)) else { return };
            let link = link.as_bytes();
            if let Some(rest) = link.strip_prefix(b"socket:[") {
                if want_sockets {
                    if let Some(ino) = rest.strip_suffix(b"]").and_then(|d| nscore::ids::parse_u64(d).ok()) {
                        refs.push(FdRef::Socket { ino, pid, fd });
                    }
                }
            } else if let Some((ty, ino)) = parse_ns_link(link) {
                if types.contains(ty) {
                    refs.push(FdRef::Ns { ino, ty, pid, fd });
                }
            }
        });
    }

    /// Namespaces that only an fd or a socket keeps alive, with the owners and parents
    /// that nothing else shows us.
    fn add_fd_namespaces(&mut self, types: NsSet, refs: Vec<FdRef>) {
        let mut seen_sockets = HashSet::new();
        let mut pidfds: HashMap<i32, Option<OwnedFd>> = HashMap::new();
        for r in refs {
            match r {
                FdRef::Ns { ino, ty, pid, fd } => {
                    if self.model.index.contains_key(&ino) {
                        continue;
                    }
                    let path = PathBuf::from(format!("/proc/{pid}/fd/{fd}"));
                    let file = nix::fcntl::open(&path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).ok();
                    self.model.add(Namespace::new(ino, ty, Access::Path(path), Origin::Held));
                    if let Some(f) = file {
                        self.add_ancestors(f.as_fd(), ty, types);
                    }
                }
                FdRef::Socket { ino, pid, fd } => {
                    if !seen_sockets.insert(ino) {
                        continue;
                    }
                    let pidfd = pidfds.entry(pid).or_insert_with(|| sys::pidfd_open(Pid::from_raw(pid), 0).ok());
                    let Some(pidfd) = pidfd.as_ref() else { continue };
                    let Ok(sock) = sys::pidfd_getfd(pidfd.as_fd(), fd) else { continue };
                    let Ok(netns) = sys::socket_netns(sock.as_fd()) else { continue };
                    let Some(ino) = inode(netns.as_fd()) else { continue };
                    if self.model.index.contains_key(&ino) {
                        continue;
                    }
                    self.add_ancestors(netns.as_fd(), NsType::Net, types);
                    self.model.add(Namespace::new(ino, NsType::Net, Access::Held(netns), Origin::Held));
                }
            }
        }
    }

    fn add_ancestors(&mut self, fd: BorrowedFd<'_>, ty: NsType, types: NsSet) {
        let mut up: Vec<(OwnedFd, NsType)> = Vec::new();
        if matches!(ty, NsType::Pid | NsType::User) {
            if let Ok(p) = sys::ns_get_parent(fd) {
                up.push((p, ty));
            }
        }
        if let Ok(o) = sys::ns_get_userns(fd) {
            up.push((o, NsType::User));
        }
        for (f, t) in up {
            let Some(ino) = inode(f.as_fd()) else { continue };
            if self.model.index.contains_key(&ino) || !types.contains(t) {
                continue;
            }
            self.add_ancestors(f.as_fd(), t, types);
            self.model.add(Namespace::new(ino, t, Access::Held(f), Origin::Held));
        }
    }

    /// nsfs bind mounts: the NSFS column, and namespaces nothing but a mount keeps. Such
    /// a namespace is listed only if its mount point opens to it (as util-linux does): not
    /// for a user who may not reach the mount, nor when something is mounted over it.
    fn add_mounts(&mut self, types: NsSet) -> Result<(), Error> {
        let text =
            std::fs::read("/proc/self/mountinfo").map_err(|_| Error::msg("failed to parse /proc/self/mountinfo"))?;
        for m in parse_mountinfo(&text) {
            let Some((ty, ino)) = m.nsfs_target() else { continue };
            let list = self.model.nsfs.entry(ino).or_default();
            if !list.contains(&m.mount_point) {
                list.push(m.mount_point.clone());
            }
            if types.contains(ty) && !self.model.index.contains_key(&ino) {
                let path = PathBuf::from(OsStr::from_bytes(&m.mount_point));
                let file = nix::fcntl::open(&path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty());
                if file.ok().and_then(|f| inode(f.as_fd())) == Some(ino) {
                    self.model.add(Namespace::new(ino, ty, Access::Path(path), Origin::Held));
                }
            }
        }
        Ok(())
    }

    /// PPID and comm of a process (from `/proc/PID/stat`, read once).
    fn stat(&mut self, pid: i32) -> Option<&(i32, Vec<u8>)> {
        let proc_dir = &self.proc_dir;
        self.stats
            .entry(pid)
            .or_insert_with(|| {
                let buf = read_at(proc_dir.as_fd(), &format!("{pid}/stat"), 4096)?;
                parse_stat(&buf).map(|s| (s.ppid, s.comm))
            })
            .as_ref()
    }

    fn read_command(&mut self, pid: i32) -> Vec<u8> {
        let c = read_at(self.proc_dir.as_fd(), &format!("{pid}/cmdline"), 8192).unwrap_or_default();
        if c.is_empty() {
            return self.stat(pid).map(|s| s.1.clone()).unwrap_or_default();
        }
        cmdline_text(c)
    }

    /// Opens namespace `idx` for an ioctl.
    fn open_ns(&self, idx: usize) -> Option<OwnedFd> {
        let ns = &self.model.namespaces[idx];
        let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC;
        match &ns.access {
            Access::Rep => {
                let path = format!("{}/ns/{}", ns.rep?, ns.ty.proc_name());
                openat(self.proc_dir.as_fd(), path.as_str(), flags, Mode::empty()).ok()
            }
            Access::Path(p) => nix::fcntl::open(p, flags, Mode::empty()).ok(),
            Access::Held(fd) => fd.try_clone().ok(),
        }
    }

    fn check_ioctl<T>(&mut self, r: Result<T, Errno>, name: &str) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(Errno::ENOTTY | Errno::ENOSYS) => {
                if !self.unsupported {
                    eprintln!("{}: Unsupported ioctl {name}", crate::prog_name());
                }
                self.unsupported = true;
                None
            }
            Err(_) => None,
        }
    }

    /// The inode behind an ancestor ioctl's result, adding it as a ghost if asked to.
    fn ancestor(&mut self, r: Result<OwnedFd, Errno>, name: &str, ty: NsType, ghosts: Option<NsSet>) -> Option<u64> {
        let fd = self.check_ioctl(r, name)?;
        let ino = inode(fd.as_fd())?;
        if ghosts.is_some_and(|types| types.contains(ty)) && !self.model.index.contains_key(&ino) {
            self.model.add(Namespace::new(ino, ty, Access::Held(fd), Origin::Ghost));
        }
        Some(ino)
    }
}

impl Facts for Scan {
    fn model(&self) -> &Model {
        &self.model
    }

    fn ppid(&mut self, pid: i32) -> Option<i32> {
        self.stat(pid).map(|s| s.0)
    }

    /// The command line with NULs as spaces; a kernel thread's comm when it is empty.
    /// Read once per process: a representative usually stands for several namespaces.
    fn command(&mut self, pid: i32) -> Vec<u8> {
        if let Some(c) = self.commands.get(&pid) {
            return c.clone();
        }
        let c = self.read_command(pid);
        self.commands.insert(pid, c.clone());
        c
    }

    /// The owner of `/proc/PID` (the process's effective uid).
    fn uid(&mut self, pid: i32) -> Option<u32> {
        let proc_dir = &self.proc_dir;
        *self.uids.entry(pid).or_insert_with(|| {
            fstatat(proc_dir.as_fd(), pid.to_string().as_str(), nix::fcntl::AtFlags::empty()).ok().map(|s| s.st_uid)
        })
    }

    fn user_name(&mut self, uid: u32) -> String {
        self.users.entry(uid).or_insert_with(|| nscore::ids::user_name(uid).unwrap_or_else(|| uid.to_string())).clone()
    }

    /// The parent (pid and user namespaces only) and owner of namespace `idx`, as
    /// inodes. With `ghosts`, ancestors the model lacks are added to it (when their type
    /// is in the set), so a tree can show them and walk on from them.
    fn relations(&mut self, idx: usize, ghosts: Option<NsSet>) -> (Option<u64>, Option<u64>) {
        let ino = self.model.namespaces[idx].ino;
        if let (None, Some(r)) = (ghosts, self.relations.get(&ino)) {
            return *r;
        }
        let ty = self.model.namespaces[idx].ty;
        let mut found = (None, None);
        if let Some(fd) = self.open_ns(idx) {
            if matches!(ty, NsType::Pid | NsType::User) {
                let r = sys::ns_get_parent(fd.as_fd());
                found.0 = self.ancestor(r, "NS_GET_PARENT", ty, ghosts);
            }
            let r = sys::ns_get_userns(fd.as_fd());
            found.1 = self.ancestor(r, "NS_GET_USERNS", NsType::User, ghosts);
        }
        self.relations.insert(ino, found);
        found
    }

    /// NS_GET_OWNER_UID for a user namespace without processes.
    fn owner_uid(&mut self, idx: usize) -> Option<u32> {
        if self.model.namespaces[idx].ty != NsType::User {
            return None;
        }
        let fd = self.open_ns(idx)?;
        let r = sys::ns_get_owner_uid(fd.as_fd());
        self.check_ioctl(r, "NS_GET_OWNER_UID")
    }

    /// The NETNSID column: the peer id the kernel gave this network namespace, as seen
    /// from ours; empty when it cannot be asked.
    fn netnsid(&mut self, idx: usize) -> Vec<u8> {
        let ns = &self.model.namespaces[idx];
        if ns.ty != NsType::Net {
            return Vec::new();
        }
        // a member process names it without opening anything; otherwise open it
        let (rep, held) = match (&ns.access, ns.rep) {
            (Access::Rep, Some(pid)) => (Some(pid), None),
            _ => (None, self.open_ns(idx)),
        };
        let target = match (rep, &held) {
            (Some(pid), _) => netlink::Target::Pid(pid as u32),
            (None, Some(fd)) => netlink::Target::Fd(fd.as_raw_fd() as u32),
            (None, None) => return Vec::new(),
        };
        let Some(sock) = self.netlink.get_or_insert_with(|| netlink::open().ok()) else { return Vec::new() };
        match netlink::get_nsid(sock.as_fd(), target) {
            Ok(Some(id)) => id.to_string().into_bytes(),
            Ok(None) => b"unassigned".to_vec(),
            Err(_) => Vec::new(),
        }
    }
}

/// A non-empty `/proc/PID/cmdline` as util-linux shows it: the last byte read dropped
/// (the terminating NUL, or the 8192nd byte of a longer line, which leaves 8191), the
/// other NULs turned into spaces (so a blanked-out argument area shows as blanks).
fn cmdline_text(mut c: Vec<u8>) -> Vec<u8> {
    c.pop();
    for b in &mut c {
        if *b == 0 {
            *b = b' ';
        }
    }
    c
}

/// Reads up to `max` bytes of a /proc file relative to the /proc directory.
fn read_at(dir: BorrowedFd<'_>, path: &str, max: usize) -> Option<Vec<u8>> {
    let fd = openat(dir, path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).ok()?;
    let mut buf = vec![0u8; max];
    let mut len = 0;
    // procfs hands out as much as fits in one read; a short read is the end of the file
    while len < max {
        match nix::unistd::read(fd.as_fd(), &mut buf[len..]) {
            Ok(0) => break,
            Ok(n) if len + n < max => {
                len += n;
                break;
            }
            Ok(n) => len += n,
            Err(Errno::EINTR) => continue,
            Err(_) => return None,
        }
    }
    buf.truncate(len);
    // the rows keep these: don't let each hold a mostly empty 8 KiB buffer
    buf.shrink_to_fit();
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        assert_eq!(cmdline_text(b"sleep\x00300\x00".to_vec()), b"sleep 300");
        assert_eq!(cmdline_text(b"sshd: root@pts/0\x00".to_vec()), b"sshd: root@pts/0");
        assert_eq!(cmdline_text(b"a\0\0b\0".to_vec()), b"a  b");
        assert_eq!(cmdline_text(vec![0; 4]), b"   ");
        assert_eq!(cmdline_text(vec![0]), b"");
        // cut at 8192 bytes by the read, or at a page by the kernel: no NUL at the end
        assert_eq!(cmdline_text(b"sleep\x00300".to_vec()), b"sleep 30");
        assert_eq!(cmdline_text(vec![b'x'; 8192]).len(), 8191);
    }

    #[test]
    fn dirent_batches() {
        let dir = nix::fcntl::open("/proc/self/fd", DIR_FLAGS, Mode::empty()).unwrap();
        let mut names = Vec::new();
        // a buffer too small for all entries at once still yields every one
        let mut buf = vec![0u8; MAX_DIRENT + 24];
        each_entry(dir.as_fd(), &mut buf, |n| names.push(n.to_vec()));
        let raw = dir.as_raw_fd().to_string();
        assert!(names.iter().any(|n| n == raw.as_bytes()), "{names:?}");
        assert!(names.iter().any(|n| n == b"0") && !names.iter().any(|n| n == b"."));
        assert_eq!(digits(b"123"), Some(123));
        assert_eq!(digits(b"12a"), None);
        assert_eq!(digits(b""), None);
    }
}
