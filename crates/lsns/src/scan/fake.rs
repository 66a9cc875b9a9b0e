//! A scripted /proc for the scan's unit tests: a [`Kernel`] that answers from tables and
//! logs every call as one readable line (`openat /proc/42/ns [dir]`, `statx
//! /proc/42/fd/0`, `readlinkat /proc/42/ns/net -> EACCES`), so a test states the calls a
//! process costs as the list of lines it expects, without root.
//!
//! Descriptors are real (each a fresh `/dev/null`, close-on-exec), so the scan handles
//! `OwnedFd`s as it does for real; the fake remembers the path each stands for and logs
//! that, never a number. A path relative to a descriptor is resolved against its path
//! (`../fd/3` from `/proc/42/ns` is `/proc/42/fd/3`); `/proc/self/fd/N` is the file of
//! our descriptor N. A namespace that an ioctl returns is `nsfs:INODE`.
//!
//! [`Fake::new`] has an empty /proc but for `self` (PID [`Fake::PID`], four fds, every
//! namespace link); [`Fake::process`] adds a process with its ns links (its
//! `*_for_children` links the same), one thread, an empty fd table, a command line and a
//! stat file; [`Fake::fd`] and its kin add fds, [`Fake::thread`] threads. Queries
//! without effects (`getpid`, the user database) are answered, not logged.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nscore::sys::{FileId, PidInfo};
use nscore::NsType;

use super::kernel::{Kernel, Open};
use crate::netlink;
use crate::sockets::{Found, Socket};

/// The device of nsfs in the fake.
pub const NSFS_DEV: u64 = 4;
/// The device of sockets in the fake.
pub const SOCK_DEV: u64 = 8;
/// The device of other files (pipes, regular files) in the fake.
pub const OTHER_DEV: u64 = 12;

/// A namespace: its type, parent (pid and user only) and owner.
#[derive(Clone, Copy, Debug)]
struct Ns {
    ty: NsType,
    parent: Option<u64>,
    owner: Option<u64>,
}

/// See the module documentation.
#[derive(Default)]
pub struct Fake {
    log: RefCell<Vec<String>>,
    labels: RefCell<HashMap<RawFd, String>>,
    /// Where a read or a directory listing of an open descriptor is.
    offsets: RefCell<HashMap<RawFd, usize>>,
    dirs: HashMap<String, Vec<String>>,
    links: HashMap<String, Vec<u8>>,
    files: HashMap<String, Vec<u8>>,
    ids: HashMap<String, FileId>,
    sizes: HashMap<String, u64>,
    failures: HashMap<String, Errno>,
    namespaces: HashMap<u64, Ns>,
    socket_ns: HashMap<u64, u64>,
    mountinfo: Vec<u8>,
    /// The mount tables of other processes' mount namespaces, by PID.
    mountinfos: HashMap<i32, Vec<u8>>,
    no_pidfd_info: bool,
}

fn nsfs(ino: u64) -> FileId {
    FileId { dev: NSFS_DEV, ino, mode: libc::S_IFREG | 0o444 }
}

fn errno_name(e: Errno) -> String {
    format!("{e:?}")
}

/// `base` joined with `rel`, `.` and `..` resolved.
fn join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if rel.starts_with('/') { Vec::new() } else { base.split('/').collect() };
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let parts: Vec<&str> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    format!("/{}", parts.join("/"))
}

impl Fake {
    /// The PID of the scanning process.
    pub const PID: i32 = 1000;
    /// The inode of the scanning process's first namespace (in `NsType::ALL` order; the
    /// others follow).
    pub const OWN_NS: u64 = 4026531832;

    pub fn new() -> Fake {
        let mut f = Fake::default();
        f.dirs.insert("/proc".into(), vec![".".into(), "..".into()]);
        f.links.insert("/proc/self".into(), Fake::PID.to_string().into_bytes());
        for (i, t) in NsType::ALL.into_iter().enumerate() {
            f.ids.insert(format!("/proc/self/ns/{}", t.proc_name()), nsfs(Fake::OWN_NS + i as u64));
        }
        f.dirs.insert("/proc/self/fd".into(), ["0", "1", "2", "3"].map(String::from).to_vec());
        f.sizes.insert("/proc/self/fd".into(), 4);
        f
    }

    /// Adds process `pid`, a member of `namespaces` (type and inode), with no fds.
    pub fn process(&mut self, pid: i32, namespaces: &[(NsType, u64)]) -> &mut Fake {
        self.dirs.get_mut("/proc").unwrap().push(pid.to_string());
        let dir = format!("/proc/{pid}");
        self.ns_links(&format!("{dir}/ns"), namespaces);
        self.dirs.insert(format!("{dir}/fd"), vec![".".into(), "..".into()]);
        self.sizes.insert(format!("{dir}/fd"), 0);
        self.dirs.insert(format!("{dir}/task"), vec![".".into(), "..".into(), pid.to_string()]);
        for &(ty, ino) in namespaces.iter().filter(|(t, _)| t.for_children_name() != t.proc_name()) {
            self.for_children(pid, ty, ino);
        }
        self.files.insert(format!("{dir}/cmdline"), format!("cmd-{pid}\0").into_bytes());
        self.files.insert(
            format!("{dir}/stat"),
            format!("{pid} (cmd-{pid}) S 1 {pid} {pid} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0").into_bytes(),
        );
        self
    }

    /// The links of an ns directory `dir` (a process's or a thread's), and what they
    /// lead to.
    fn ns_links(&mut self, dir: &str, namespaces: &[(NsType, u64)]) {
        self.dirs.insert(dir.into(), namespaces.iter().map(|(t, _)| t.proc_name().into()).collect());
        for &(ty, ino) in namespaces {
            self.links.insert(format!("{dir}/{}", ty.proc_name()), format!("{}:[{ino}]", ty.proc_name()).into());
            self.ids.insert(format!("{dir}/{}", ty.proc_name()), nsfs(ino));
            self.namespaces.entry(ino).or_insert(Ns { ty, parent: None, owner: None });
        }
    }

    /// Thread `tid` of `pid`, in `namespaces` (its `*_for_children` links the same).
    pub fn thread(&mut self, pid: i32, tid: i32, namespaces: &[(NsType, u64)]) -> &mut Fake {
        let dir = format!("/proc/{pid}/task/{tid}/ns");
        self.dirs.get_mut(&format!("/proc/{pid}/task")).expect("a process first").push(tid.to_string());
        self.ns_links(&dir, namespaces);
        for &(ty, ino) in namespaces.iter().filter(|(t, _)| t.for_children_name() != t.proc_name()) {
            let link = format!("{dir}/{}", ty.for_children_name());
            self.links.insert(link.clone(), format!("{}:[{ino}]", ty.proc_name()).into());
            self.ids.insert(link, nsfs(ino));
        }
        self
    }

    /// Sets the `*_for_children` link of `pid` for type `ty` (pid or time) to `ino`.
    pub fn for_children(&mut self, pid: i32, ty: NsType, ino: u64) -> &mut Fake {
        let link = format!("/proc/{pid}/ns/{}", ty.for_children_name());
        self.links.insert(link.clone(), format!("{}:[{ino}]", ty.proc_name()).into());
        self.ids.insert(link, nsfs(ino));
        self.namespaces.entry(ino).or_insert(Ns { ty, parent: None, owner: None });
        self
    }

    /// Adds fd `fd` of `pid`, whose file is `id`.
    pub fn fd(&mut self, pid: i32, fd: i32, id: FileId) -> &mut Fake {
        let dir = format!("/proc/{pid}/fd");
        self.dirs.get_mut(&dir).expect("a process first").push(fd.to_string());
        *self.sizes.get_mut(&dir).unwrap() += 1;
        self.ids.insert(format!("{dir}/{fd}"), id);
        self
    }

    /// Adds fds `fds` of `pid`, each a pipe.
    pub fn pipes(&mut self, pid: i32, fds: &[i32]) -> &mut Fake {
        for &fd in fds {
            self.fd(pid, fd, FileId { dev: OTHER_DEV, ino: 77, mode: libc::S_IFIFO | 0o600 });
        }
        self
    }

    /// Adds fd `fd` of `pid`, a namespace file.
    pub fn ns_fd(&mut self, pid: i32, fd: i32, ty: NsType, ino: u64) -> &mut Fake {
        self.namespaces.entry(ino).or_insert(Ns { ty, parent: None, owner: None });
        self.fd(pid, fd, nsfs(ino))
    }

    /// Adds fd `fd` of `pid`, socket `ino` of network namespace `netns`.
    pub fn socket(&mut self, pid: i32, fd: i32, ino: u64, netns: u64) -> &mut Fake {
        self.namespaces.entry(netns).or_insert(Ns { ty: NsType::Net, parent: None, owner: None });
        self.socket_ns.insert(ino, netns);
        self.fd(pid, fd, FileId { dev: SOCK_DEV, ino, mode: libc::S_IFSOCK | 0o777 })
    }

    /// Namespace `ino` of type `ty`, with its parent and owner.
    pub fn namespace(&mut self, ino: u64, ty: NsType, parent: Option<u64>, owner: Option<u64>) -> &mut Fake {
        self.namespaces.insert(ino, Ns { ty, parent, owner });
        self
    }

    /// An nsfs mount of namespace `ino` at `point` (a line of mountinfo); the mount point
    /// leads to `now` (`ino`, unless something else took its place since).
    pub fn mount(&mut self, point: &str, ty: NsType, ino: u64, now: u64) -> &mut Fake {
        let line = format!("600 25 0:4 {}:[{ino}] {point} rw shared:1 - nsfs nsfs rw\n", ty.proc_name());
        self.mountinfo.extend_from_slice(line.as_bytes());
        self.namespaces.entry(ino).or_insert(Ns { ty, parent: None, owner: None });
        self.ids.insert(point.into(), nsfs(now));
        self
    }

    /// An nsfs mount of namespace `ino` at `point` in the mount namespace of `pid` (a line
    /// of `/proc/PID/mountinfo`); through the process's root the point leads to `now`.
    pub fn mount_in(&mut self, pid: i32, point: &str, ty: NsType, ino: u64, now: u64) -> &mut Fake {
        let line = format!("700 25 0:4 {}:[{ino}] {point} rw - nsfs nsfs rw\n", ty.proc_name());
        self.mountinfos.entry(pid).or_default().extend_from_slice(line.as_bytes());
        self.namespaces.entry(ino).or_insert(Ns { ty, parent: None, owner: None });
        self.ids.insert(format!("/proc/{pid}/root{point}"), nsfs(now));
        self
    }

    /// Our own namespace of type `ty` (`/proc/self/ns/TYPE`) is `ino`.
    pub fn own_namespace(&mut self, ty: NsType, ino: u64) -> &mut Fake {
        self.ids.insert(format!("/proc/self/ns/{}", ty.proc_name()), nsfs(ino));
        self
    }

    /// Every call on `path` fails with `e` from now on.
    pub fn fail(&mut self, path: &str, e: Errno) -> &mut Fake {
        self.failures.insert(path.into(), e);
        self
    }

    /// Sets the size `statx` reports for `path` (an fd directory's fd count).
    pub fn size(&mut self, path: &str, size: u64) -> &mut Fake {
        self.sizes.insert(path.into(), size);
        self
    }

    /// A kernel without `PIDFD_GET_INFO` (before 6.13).
    pub fn without_pidfd_info(&mut self) -> &mut Fake {
        self.no_pidfd_info = true;
        self
    }

    /// The calls made so far, one line each.
    pub fn log(&self) -> Vec<String> {
        self.log.borrow().clone()
    }

    /// The calls that named process `pid` (its /proc paths, its pidfd).
    pub fn log_of(&self, pid: i32) -> Vec<String> {
        let (dir, pidfd) = (format!("/proc/{pid}/"), format!("pidfd {pid}"));
        let open = format!("pidfd_open {pid}");
        let mine = |l: &&String| l.contains(&dir) || l.contains(&pidfd) || l.starts_with(&open);
        self.log.borrow().iter().filter(mine).cloned().collect()
    }

    fn label(&self, fd: BorrowedFd<'_>) -> String {
        self.labels.borrow().get(&fd.as_raw_fd()).cloned().unwrap_or_else(|| "?".into())
    }

    /// The path `path` names relative to `dir`.
    fn resolve(&self, dir: Option<BorrowedFd<'_>>, path: &CStr) -> String {
        let base = dir.map_or_else(|| "/".to_owned(), |d| self.label(d));
        if path.is_empty() {
            return base; // the descriptor itself
        }
        let p = join(&base, &path.to_string_lossy());
        match p.strip_prefix("/proc/self/fd/").and_then(|n| n.parse::<RawFd>().ok()) {
            Some(n) => self.labels.borrow().get(&n).cloned().unwrap_or(p),
            None => p,
        }
    }

    /// Logs `line`, with ` -> ERRNO` if `r` failed; `r` unchanged.
    fn note<T>(&self, line: String, r: Result<T, Errno>) -> Result<T, Errno> {
        let line = match &r {
            Ok(_) => line,
            Err(e) => format!("{line} -> {}", errno_name(*e)),
        };
        self.log.borrow_mut().push(line);
        r
    }

    fn failure(&self, path: &str) -> Result<(), Errno> {
        self.failures.get(path).map_or(Ok(()), |&e| Err(e))
    }

    /// A fresh descriptor standing for `label`.
    fn new_fd(&self, label: String) -> OwnedFd {
        let fd = nix::fcntl::open(
            "/dev/null",
            nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .expect("/dev/null");
        self.labels.borrow_mut().insert(fd.as_raw_fd(), label);
        self.offsets.borrow_mut().insert(fd.as_raw_fd(), 0);
        fd
    }

    /// What `statx` finds at `path`, following links.
    fn id_of(&self, path: &str) -> Result<FileId, Errno> {
        if let Some(ino) = path.strip_prefix("nsfs:").and_then(|i| i.parse().ok()) {
            return Ok(nsfs(ino));
        }
        if let Some(&id) = self.ids.get(path) {
            return Ok(id);
        }
        if self.dirs.contains_key(path) || self.files.contains_key(path) {
            return Ok(FileId { dev: 3, ino: 1, mode: libc::S_IFDIR | 0o555 });
        }
        Err(Errno::ENOENT)
    }

    /// The namespace an ioctl's descriptor stands for.
    fn ns_of(&self, fd: BorrowedFd<'_>) -> Result<(u64, Ns), Errno> {
        let id = self.id_of(&self.label(fd)).map_err(|_| Errno::ENOTTY)?;
        let ns = self.namespaces.get(&id.ino).filter(|_| id.dev == NSFS_DEV).ok_or(Errno::ENOTTY)?;
        Ok((id.ino, *ns))
    }

    fn ancestor(
        &self,
        what: &str,
        fd: BorrowedFd<'_>,
        up: impl Fn(Ns) -> Result<u64, Errno>,
    ) -> Result<OwnedFd, Errno> {
        let line = format!("ioctl {what} {}", self.label(fd));
        let r = self.ns_of(fd).and_then(|(_, ns)| up(ns));
        self.note(line, r).map(|ino| self.new_fd(format!("nsfs:{ino}")))
    }
}

/// The `linux_dirent64` record of `name`.
fn dirent(name: &str) -> Vec<u8> {
    let len = (19 + name.len() + 1).div_ceil(8) * 8;
    let mut rec = vec![0u8; len];
    rec[..8].copy_from_slice(&1u64.to_ne_bytes());
    rec[16..18].copy_from_slice(&(len as u16).to_ne_bytes());
    rec[19..19 + name.len()].copy_from_slice(name.as_bytes());
    rec
}

/// As procfs does: as many records of `names[*at..]` as fit in `buf`; the bytes used.
fn fill_dirents(names: &[String], at: &mut usize, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while let Some(rec) = names.get(*at).map(|name| dirent(name)) {
        if n + rec.len() > buf.len() {
            break;
        }
        buf[n..n + rec.len()].copy_from_slice(&rec);
        n += rec.len();
        *at += 1;
    }
    n
}

impl Kernel for Fake {
    fn openat(&self, dir: Option<BorrowedFd<'_>>, path: &CStr, how: Open) -> Result<OwnedFd, Errno> {
        let p = self.resolve(dir, path);
        let kind = match how {
            Open::Dir => "dir",
            Open::Walk => "walk",
            Open::File => "file",
            Open::Path => "path",
        };
        let r = self.failure(&p).and_then(|()| match how {
            Open::Dir | Open::Walk if self.dirs.contains_key(&p) => Ok(()),
            Open::Dir | Open::Walk => Err(if self.id_of(&p).is_ok() { Errno::ENOTDIR } else { Errno::ENOENT }),
            _ => self.id_of(&p).map(|_| ()),
        });
        self.note(format!("openat {p} [{kind}]"), r).map(|()| self.new_fd(p))
    }

    fn dup(&self, fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        let label = self.label(fd);
        self.note(format!("dup {label}"), Ok(())).map(|()| self.new_fd(label))
    }

    fn read(&self, fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
        let p = self.label(fd);
        let r = self.failure(&p).and_then(|()| {
            let text = self.files.get(&p).ok_or(Errno::EISDIR)?;
            let mut offsets = self.offsets.borrow_mut();
            let at = offsets.entry(fd.as_raw_fd()).or_default();
            let n = buf.len().min(text.len() - *at);
            buf[..n].copy_from_slice(&text[*at..*at + n]);
            *at += n;
            Ok(n)
        });
        self.note(format!("read {p}"), r)
    }

    fn getdents64(&self, dir: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
        let p = self.label(dir);
        let r = self.failure(&p).and_then(|()| {
            let names = self.dirs.get(&p).ok_or(Errno::ENOTDIR)?;
            let mut offsets = self.offsets.borrow_mut();
            Ok(fill_dirents(names, offsets.entry(dir.as_raw_fd()).or_default(), buf))
        });
        self.note(format!("getdents64 {p}"), r)
    }

    fn readlinkat(&self, dir: BorrowedFd<'_>, name: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
        let p = self.resolve(Some(dir), name);
        let r = self.failure(&p).and_then(|()| {
            let text = self.links.get(&p).ok_or(Errno::ENOENT)?;
            let n = text.len().min(buf.len());
            buf[..n].copy_from_slice(&text[..n]);
            Ok(n)
        });
        self.note(format!("readlinkat {p}"), r)
    }

    fn statx(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<FileId, Errno> {
        let p = self.resolve(Some(dir), name);
        let r = self.failure(&p).and_then(|()| self.id_of(&p));
        self.note(format!("statx {p}"), r)
    }

    fn statx_size(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<u64, Errno> {
        let p = self.resolve(Some(dir), name);
        let r = self.failure(&p).and_then(|()| self.sizes.get(&p).copied().ok_or(Errno::ENOENT));
        self.note(format!("statx {p} [size]"), r)
    }

    /// A directory's link count: 2 plus its entries but `.` and `..` (for a task
    /// directory, 2 plus the threads).
    fn statx_nlink(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<u64, Errno> {
        let p = self.resolve(Some(dir), name);
        let r = self.failure(&p).and_then(|()| {
            let entries = self.dirs.get(&p).ok_or(Errno::ENOENT)?;
            Ok(2 + entries.iter().filter(|e| *e != "." && *e != "..").count() as u64)
        });
        self.note(format!("statx {p} [nlink]"), r)
    }

    fn nlink(&self, fd: BorrowedFd<'_>) -> Result<usize, Errno> {
        let p = self.label(fd);
        let n = self.dirs.get(&p).map_or(0, Vec::len);
        self.note(format!("fstat {p}"), Ok(n))
    }

    fn owner(&self, dir: BorrowedFd<'_>, name: &CStr) -> Result<u32, Errno> {
        let p = self.resolve(Some(dir), name);
        let r = self.failure(&p).and_then(|()| self.id_of(&p)).map(|_| 0);
        self.note(format!("newfstatat {p}"), r)
    }

    fn pidfd_open(&self, pid: i32) -> Result<OwnedFd, Errno> {
        let p = format!("/proc/{pid}");
        let r = self.failure(&p).and_then(|()| {
            if self.dirs.contains_key(&format!("{p}/ns")) {
                Ok(())
            } else {
                Err(Errno::ESRCH)
            }
        });
        self.note(format!("pidfd_open {pid}"), r).map(|()| self.new_fd(format!("pidfd {pid}")))
    }

    fn pidfd_info(&self, pidfd: BorrowedFd<'_>) -> Result<PidInfo, Errno> {
        let label = self.label(pidfd);
        let r = if self.no_pidfd_info { Err(Errno::ENOTTY) } else { Ok(PidInfo { ppid: 1, euid: 0 }) };
        self.note(format!("ioctl PIDFD_GET_INFO {label}"), r)
    }

    fn ns_get_parent(&self, ns: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        self.ancestor("NS_GET_PARENT", ns, |n| match n.ty {
            NsType::Pid | NsType::User => n.parent.ok_or(Errno::EPERM),
            _ => Err(Errno::EINVAL),
        })
    }

    fn ns_get_userns(&self, ns: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        self.ancestor("NS_GET_USERNS", ns, |n| n.owner.ok_or(Errno::EPERM))
    }

    fn ns_get_nstype(&self, ns: BorrowedFd<'_>) -> Result<i32, Errno> {
        let line = format!("ioctl NS_GET_NSTYPE {}", self.label(ns));
        let r = self.ns_of(ns).map(|(_, n)| n.ty.clone_flag());
        self.note(line, r)
    }

    fn ns_get_owner_uid(&self, ns: BorrowedFd<'_>) -> Result<u32, Errno> {
        let line = format!("ioctl NS_GET_OWNER_UID {}", self.label(ns));
        let r = self.ns_of(ns).map(|_| 1000);
        self.note(line, r)
    }

    fn socket_netns(&self, sockets: &[Socket], known: &dyn Fn(u64) -> bool) -> Found {
        let list: Vec<String> = sockets.iter().map(|s| format!("{}:{}", s.pid, s.fd)).collect();
        self.log.borrow_mut().push(format!("socket netns lookup {}", list.join(" ")));
        let mut found = Found::default();
        let mut sent = Vec::new();
        for s in sockets {
            let Some(&netns) = self.socket_ns.get(&s.ino) else { continue };
            if !known(netns) && !sent.contains(&netns) {
                sent.push(netns);
                found.namespaces.push(self.new_fd(format!("nsfs:{netns}")));
            }
        }
        found
    }

    fn mountinfo(&self, pid: Option<i32>) -> Result<Vec<u8>, Errno> {
        match pid {
            None => self.note("read /proc/self/mountinfo".into(), Ok(self.mountinfo.clone())),
            Some(pid) => {
                let r = self
                    .failure(&format!("/proc/{pid}/mountinfo"))
                    .map(|()| self.mountinfos.get(&pid).cloned().unwrap_or_default());
                self.note(format!("read /proc/{pid}/mountinfo"), r)
            }
        }
    }

    fn netnsid(&self, target: netlink::Target) -> Result<Option<i32>, Errno> {
        self.note(format!("RTM_GETNSID {target:?}"), Ok(None))
    }

    fn user_name(&self, uid: u32) -> Option<String> {
        (uid == 0).then(|| "root".into())
    }

    fn getpid(&self) -> u32 {
        Fake::PID as u32
    }
}
