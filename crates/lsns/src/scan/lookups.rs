//! The look-ups behind [`Facts`]: what a printed line shows beyond the model, asked of
//! the kernel the first time a line (or the pass's prefetch) needs it, then kept.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nscore::container::cgroup::Verdict;
use nscore::container::names::Names;
use nscore::container::Container;
use nscore::procfs::parse_stat;
use nscore::seam::Os;
use nscore::sys::PidInfo;
use nscore::{NsSet, NsType};

use super::kernel::Kernel;
use super::procfs::{each_line, proc_path, push_cmdline, read_at, read_into, READ_MAX};
use super::Scan;
use crate::model::{Access, Facts, IdMap, Model, Namespace, Origin};
use crate::netlink;

/// The parent and owner inodes of a namespace.
type Relations = (Option<u64>, Option<u64>);

/// What the look-ups learned, by PID, uid or namespace inode, and the buffers they read
/// through.
pub(super) struct Lookups {
    stats: IdMap<i32, Option<(i32, Vec<u8>)>>,
    /// PPID and effective uid by pidfd, while the kernel has `PIDFD_GET_INFO` and our
    /// /proc is of our own pid namespace (its PIDs are the ones `pidfd_open` takes).
    pub(super) pid_infos: Option<IdMap<i32, Option<PidInfo>>>,
    /// Where each process's COMMAND is in `command_text` (one buffer for thousands of
    /// them, rather than an allocation each).
    commands: IdMap<i32, (usize, usize)>,
    command_text: Vec<u8>,
    uids: IdMap<i32, Option<u32>>,
    users: IdMap<u32, String>,
    containers: IdMap<i32, Option<Container>>,
    /// What each container met is called, and where the names are looked up (set up
    /// when the first is asked for).
    container_names: HashMap<Container, Vec<u8>>,
    names: Option<Names>,
    /// Parent and owner by inode, and the ghost types added with them (see `relations`).
    relations: IdMap<u64, (Relations, Option<NsSet>)>,
    /// NETNSID by namespace inode: every member line of `lsns <ns>` shows it again.
    netnsids: IdMap<u64, Vec<u8>>,
    owner_uids: IdMap<u64, Option<u32>>,
    /// Where /proc files are read to (see [`read_into`]), and their paths made.
    scratch: Box<[u8]>,
    path: Vec<u8>,
}

impl Default for Lookups {
    fn default() -> Lookups {
        Lookups {
            stats: IdMap::default(),
            pid_infos: None,
            commands: IdMap::default(),
            command_text: Vec::new(),
            uids: IdMap::default(),
            users: IdMap::default(),
            containers: IdMap::default(),
            container_names: HashMap::new(),
            names: None,
            relations: IdMap::default(),
            netnsids: IdMap::default(),
            owner_uids: IdMap::default(),
            scratch: vec![0; READ_MAX].into_boxed_slice(),
            path: Vec::with_capacity(32),
        }
    }
}

impl<K: Kernel> Scan<K> {
    /// PPID and effective uid of a process by `PIDFD_GET_INFO`, asked once; `None` when
    /// the kernel cannot tell (then /proc is read instead, from now on). Kernel
    /// assumption: a kernel without the ioctl (before 6.13) says `ENOTTY` or `EINVAL`;
    /// another error is taken for this process's alone.
    fn pid_info(&mut self, pid: i32) -> Option<Option<PidInfo>> {
        let infos = self.cache.pid_infos.as_mut()?;
        if let Some(&i) = infos.get(&pid) {
            return Some(i);
        }
        let info = match self.k.pidfd_open(pid) {
            Ok(fd) => match self.k.pidfd_info(fd.as_fd()) {
                Ok(i) => Some(i),
                Err(Errno::ENOTTY | Errno::EINVAL) => {
                    self.cache.pid_infos = None;
                    return None;
                }
                Err(_) => None,
            },
            Err(_) => None,
        };
        infos.insert(pid, info);
        Some(info)
    }

    /// PPID and comm of a process (from `/proc/PID/stat`, read once).
    fn stat(&mut self, pid: i32) -> Option<&(i32, Vec<u8>)> {
        let (k, proc_dir) = (&self.k, &self.proc_dir);
        let c = &mut self.cache;
        let (path, scratch) = (&mut c.path, &mut c.scratch);
        c.stats
            .entry(pid)
            .or_insert_with(|| {
                let buf = read_at(k, proc_dir.as_fd(), proc_path(path, pid, b"stat")?, 4096, scratch)?;
                parse_stat(&buf).map(|s| (s.ppid, s.comm))
            })
            .as_ref()
    }

    /// Where the COMMAND of `pid` is in `command_text`, read on the first call (through
    /// `nsdir` if given, see `Scan::read_command`).
    pub(super) fn cached_command(&mut self, pid: i32, nsdir: Option<BorrowedFd<'_>>) -> (usize, usize) {
        if let Some(&c) = self.cache.commands.get(&pid) {
            return c;
        }
        let c = self.read_command(pid, nsdir);
        self.cache.commands.insert(pid, c);
        c
    }

    /// Appends the COMMAND of `pid` to `command_text`, from `/proc/PID/cmdline`, or
    /// `cmdline` beside its open ns directory `nsdir`; where it is there.
    fn read_command(&mut self, pid: i32, nsdir: Option<BorrowedFd<'_>>) -> (usize, usize) {
        let c = &mut self.cache;
        let n = match nsdir {
            Some(dir) => read_into(&self.k, dir, c"../cmdline", READ_MAX, &mut c.scratch),
            None => proc_path(&mut c.path, pid, b"cmdline")
                .and_then(|p| read_into(&self.k, self.proc_dir.as_fd(), p, READ_MAX, &mut c.scratch)),
        }
        .unwrap_or(0);
        let start = c.command_text.len();
        if n > 0 {
            push_cmdline(&mut c.command_text, &c.scratch[..n]);
        } else if let Some((_, comm)) = self.stat(pid) {
            let comm = comm.clone();
            self.cache.command_text.extend_from_slice(&comm);
        }
        (start, self.cache.command_text.len())
    }

    /// The inode behind an ancestor ioctl's result, adding it as a ghost if asked to.
    fn ancestor(
        &mut self,
        r: Result<OwnedFd, Errno>,
        name: &'static str,
        ty: NsType,
        ghosts: Option<NsSet>,
    ) -> Option<u64> {
        let fd = self.check_ioctl(r, name)?;
        let ino = self.inode(fd.as_fd())?;
        if ghosts.is_some_and(|types| types.contains(ty)) && !self.model.contains(ino) {
            self.model.add(Namespace::new(ino, ty, Access::Held(fd), Origin::Ghost));
        }
        Some(ino)
    }

    /// Asks the kernel (rtnetlink `RTM_GETNSID`) for the NETNSID of net namespace `idx`.
    fn ask_netnsid(&mut self, idx: usize) -> Vec<u8> {
        let ns = self.model.ns(idx);
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
        match self.k.netnsid(target) {
            Ok(Some(id)) => id.to_string().into_bytes(),
            Ok(None) => b"unassigned".to_vec(),
            Err(_) => Vec::new(),
        }
    }
}

impl<K: Kernel> Facts for Scan<K> {
    fn model(&self) -> &Model {
        &self.model
    }

    fn ppid(&mut self, pid: i32) -> Option<i32> {
        match self.pid_info(pid) {
            Some(info) => info.map(|i| i.ppid as i32),
            None => self.stat(pid).map(|s| s.0),
        }
    }

    /// The command line with NULs as spaces; a kernel thread's comm when it is empty.
    /// Read once per process: a representative usually stands for several namespaces.
    fn command(&mut self, pid: i32) -> &[u8] {
        let (start, end) = self.cached_command(pid, None);
        &self.cache.command_text[start..end]
    }

    /// The owner of `/proc/PID`, as util-linux shows it: the process's effective uid.
    /// Kernel assumption: procfs gives a process's own directory that owner whatever its
    /// dumpable flag, unlike the files and directories in it (else a non-dumpable
    /// process would show as root's). One `newfstatat`, cheaper than the pidfd
    /// (open, ioctl, close) that tells the same, which is asked only when a line shows
    /// PPID as well (or a tree needs it) and has answered already.
    fn uid(&mut self, pid: i32) -> Option<u32> {
        if let Some(&info) = self.cache.pid_infos.as_ref().and_then(|infos| infos.get(&pid)) {
            return info.map(|i| i.euid);
        }
        let (k, proc_dir, path) = (&self.k, &self.proc_dir, &mut self.cache.path);
        *self.cache.uids.entry(pid).or_insert_with(|| k.owner(proc_dir.as_fd(), proc_path(path, pid, b"")?).ok())
    }

    fn user_name(&mut self, uid: u32) -> &str {
        let k = &self.k;
        self.cache.users.entry(uid).or_insert_with(|| k.user_name(uid).unwrap_or_else(|| uid.to_string()))
    }

    /// The parent (pid and user namespaces only) and owner of namespace `idx`, as
    /// inodes. With `ghosts`, ancestors the model lacks are added to it (when their type
    /// is in the set), so a tree can show them and walk on from them.
    fn relations(&mut self, idx: usize, ghosts: Option<NsSet>) -> (Option<u64>, Option<u64>) {
        let ino = self.model.ns(idx).ino;
        // a look-up serves again unless it is now asked to add ghosts it did not add
        match self.cache.relations.get(&ino) {
            Some(&(r, added)) if ghosts.is_none() || ghosts == added => return r,
            _ => {}
        }
        let ty = self.model.ns(idx).ty;
        let mut found = (None, None);
        if let Some(fd) = self.open_ns(idx) {
            if matches!(ty, NsType::Pid | NsType::User) {
                let r = self.k.ns_get_parent(fd.as_fd());
                found.0 = self.ancestor(r, "NS_GET_PARENT", ty, ghosts);
            }
            let r = self.k.ns_get_userns(fd.as_fd());
            found.1 = self.ancestor(r, "NS_GET_USERNS", NsType::User, ghosts);
        }
        self.cache.relations.insert(ino, (found, ghosts));
        found
    }

    /// NS_GET_OWNER_UID for a user namespace without processes, asked once (its line
    /// needs it for UID and for USER).
    fn owner_uid(&mut self, idx: usize) -> Option<u32> {
        let ns = self.model.ns(idx);
        if ns.ty != NsType::User {
            return None;
        }
        if let Some(&uid) = self.cache.owner_uids.get(&ns.ino) {
            return uid;
        }
        let ino = ns.ino;
        let uid = self.open_ns(idx).and_then(|fd| {
            let r = self.k.ns_get_owner_uid(fd.as_fd());
            self.check_ioctl(r, "NS_GET_OWNER_UID")
        });
        self.cache.owner_uids.insert(ino, uid);
        uid
    }

    /// The NETNSID column: the peer id the kernel gave this network namespace, as seen
    /// from ours; empty when it cannot be asked.
    fn netnsid(&mut self, idx: usize) -> Vec<u8> {
        let ns = self.model.ns(idx);
        if ns.ty != NsType::Net {
            return Vec::new();
        }
        let ino = ns.ino;
        if let Some(id) = self.cache.netnsids.get(&ino) {
            return id.clone();
        }
        let id = self.ask_netnsid(idx);
        self.cache.netnsids.insert(ino, id.clone());
        id
    }

    /// The CONTAINER column, from `/proc/PID/cgroup` (read once per process, and only
    /// for lines that show or filter on it). The whole file is read, a line at a time
    /// through the scratch buffer: on a hybrid host the v2 line comes last, after v1 lines
    /// that can make the file longer than the buffer.
    fn container(&mut self, pid: i32) -> Vec<u8> {
        self.container_of(pid).map(Container::label).unwrap_or_default()
    }

    /// The CONTAINERNAME column: the name of the container [`Facts::container`] finds,
    /// looked up once per container in its runtime's files.
    fn container_name(&mut self, pid: i32) -> Vec<u8> {
        let Some(c) = self.container_of(pid).cloned() else { return Vec::new() };
        let cache = &mut self.cache;
        let names = cache.names.get_or_insert_with(|| Names::for_caller(nix::unistd::getuid().as_raw()));
        cache
            .container_names
            .entry(c)
            .or_insert_with_key(|c| names.name(&mut Os::without_fork(), c).map(String::into_bytes).unwrap_or_default())
            .clone()
    }
}

impl<K: Kernel> Scan<K> {
    /// The container a process's cgroup names, read once per process.
    fn container_of(&mut self, pid: i32) -> Option<&Container> {
        let (k, proc_dir) = (&self.k, &self.proc_dir);
        let c = &mut self.cache;
        let (path, scratch) = (&mut c.path, &mut c.scratch);
        c.containers
            .entry(pid)
            .or_insert_with(|| {
                // (a file not read to its end tells nothing: the v2 line may be missing)
                let mut verdict = Verdict::default();
                let whole = proc_path(path, pid, b"cgroup")
                    .is_some_and(|p| each_line(k, proc_dir.as_fd(), p, scratch, |line| verdict.line(line)));
                whole.then(|| verdict.container()).flatten()
            })
            .as_ref()
    }
}
