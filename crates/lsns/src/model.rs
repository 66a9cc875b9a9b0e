//! The in-memory picture a scan builds: namespaces keyed by inode, with just enough
//! about each to find out more later (only for what is printed).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use nscore::{NsSet, NsType};

/// A hash map keyed by inode or PID. The scan makes tens of thousands of lookups with
/// keys the kernel hands out (nobody picks them to collide), for which the default
/// DoS-resistant SipHash is slow: a multiply-and-rotate hash does (see
/// `docs/performance.md`).
pub type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// The hasher of [`IdMap`]: FxHash's mixing step for the 7 bits hashbrown keeps as
/// each entry's tag, the key itself for the bits that pick its bucket. The kernel hands
/// out PIDs and inodes in ascending order, and the scan and the table meet them in
/// roughly that order too: neighbouring keys then sit in neighbouring buckets, and a
/// look-up mostly finds its cache line already loaded, where a fully mixed hash sends
/// every one of thousands of inserts and look-ups to a random line.
#[derive(Default, Clone, Copy)]
pub struct IdHasher {
    key: u64,
    mixed: u64,
}

/// The bits of a hash that hashbrown uses for the tag.
const TAG_BITS: u64 = 0x7f << 57;

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        (self.key & !TAG_BITS) | (self.mixed & TAG_BITS)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.key = self.key.rotate_left(5) ^ n;
        self.mixed = (self.mixed.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_i32(&mut self, n: i32) {
        self.write_u64(n as u32 as u64);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// How a namespace can be opened again when a column needs an ioctl on it.
#[derive(Debug)]
pub enum Access {
    /// Through `/proc/<representative>/ns/<type>`.
    Rep,
    /// Through a path another process controls: an fd link `/proc/PID/fd/N` or an nsfs
    /// bind mount. Reopened only after checking, race-free, that it still leads to this
    /// namespace (the fd may have been replaced by a FIFO, the mount point by another file).
    Path(PathBuf),
    /// Through a descriptor we already hold (a socket's netns, an ancestor).
    Held(OwnedFd),
}

/// Where a namespace was found, which decides whether it is listed at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A member process, an open fd, a socket or a bind mount keeps it alive.
    Held,
    /// Only reached through the owner/parent ioctls while building a tree.
    Ghost,
}

#[derive(Debug)]
pub struct Namespace {
    pub ino: u64,
    pub ty: NsType,
    pub nprocs: u32,
    /// The lowest member PID.
    pub rep: Option<i32>,
    pub access: Access,
    pub origin: Origin,
}

impl Namespace {
    pub fn new(ino: u64, ty: NsType, access: Access, origin: Origin) -> Namespace {
        Namespace { ino, ty, nprocs: 0, rep: None, access, origin }
    }
}

#[derive(Debug, Default)]
pub struct Model {
    namespaces: Vec<Namespace>,
    index: IdMap<u64, usize>,
    /// Members of the positional namespace, in /proc order.
    members: Vec<i32>,
    /// The namespaces of the `-p` process (empty if it does not exist).
    task_ns: Vec<u64>,
    /// nsfs mount points by namespace inode, in mountinfo order, without duplicates.
    nsfs: IdMap<u64, Vec<Vec<u8>>>,
    /// Per type, the namespace (inode, index) the last attach went to: neighbours in
    /// /proc share most of their namespaces, so most look-ups end here, not in `index`.
    recent: [(u64, usize); NsType::ALL.len()],
}

impl Model {
    /// Makes room for `n` more namespaces at once: growing the index step by step
    /// rehashes it each time, writing every entry to fresh memory again.
    pub fn reserve(&mut self, n: usize) {
        self.namespaces.reserve(n);
        self.index.reserve(n);
    }

    /// Adds a namespace unless its inode is known; returns its index either way.
    pub fn add(&mut self, ns: Namespace) -> usize {
        use std::collections::hash_map::Entry;
        match self.index.entry(ns.ino) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let i = self.namespaces.len();
                e.insert(i);
                self.namespaces.push(ns);
                i
            }
        }
    }

    pub fn get(&self, ino: u64) -> Option<&Namespace> {
        self.index.get(&ino).map(|&i| &self.namespaces[i])
    }

    /// Namespace `i` (an index that [`Model::add`] or [`Model::index_of`] gave).
    pub fn ns(&self, i: usize) -> &Namespace {
        &self.namespaces[i]
    }

    /// How many namespaces there are; their indices are `0..len()`.
    pub fn len(&self) -> usize {
        self.namespaces.len()
    }

    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty()
    }

    /// The index of namespace `ino`.
    pub fn index_of(&self, ino: u64) -> Option<usize> {
        self.index.get(&ino).copied()
    }

    pub fn contains(&self, ino: u64) -> bool {
        self.index.contains_key(&ino)
    }

    /// Members of the positional namespace, in /proc order.
    pub fn members(&self) -> &[i32] {
        &self.members
    }

    pub fn add_member(&mut self, pid: i32) {
        self.members.push(pid);
    }

    /// The namespaces of the `-p` process (empty if it does not exist).
    pub fn task_ns(&self) -> &[u64] {
        &self.task_ns
    }

    pub fn add_task_ns(&mut self, ino: u64) {
        self.task_ns.push(ino);
    }

    /// The nsfs mount points of namespace `ino`, in mountinfo order.
    pub fn nsfs(&self, ino: u64) -> Option<&[Vec<u8>]> {
        self.nsfs.get(&ino).map(Vec::as_slice)
    }

    /// Notes an nsfs mount of namespace `ino` at `mount_point` (once per mount point).
    pub fn add_nsfs(&mut self, ino: u64, mount_point: &[u8]) {
        let list = self.nsfs.entry(ino).or_default();
        if !list.iter().any(|p| p == mount_point) {
            list.push(mount_point.to_vec());
        }
    }

    /// Counts process `pid` as a member of namespace `ino`; true when that makes it the
    /// namespace's representative (the first member met, as /proc lists PIDs in ascending
    /// order). The scan reads every process before any descriptor or mount, so a
    /// namespace met here is reached through its representative.
    pub fn attach(&mut self, ino: u64, ty: NsType, pid: i32) -> bool {
        let i = match self.recent[ty as usize] {
            (last, i) if last == ino && ino != 0 => i, // (0: no attach yet)
            _ => self.add(Namespace::new(ino, ty, Access::Rep, Origin::Held)),
        };
        self.recent[ty as usize] = (ino, i);
        let ns = &mut self.namespaces[i];
        ns.nprocs += 1;
        let rep = ns.rep.map_or(true, |r| pid < r);
        if rep {
            ns.rep = Some(pid);
        }
        rep
    }

    /// Indices of the namespaces sorted by inode, as util-linux lists them.
    pub fn sorted(&self) -> Vec<usize> {
        // (sorting the keys with the indices reads no namespace while it compares; inodes
        // are unique, so an unstable sort is as good)
        let mut v: Vec<(u64, usize)> = self.namespaces.iter().enumerate().map(|(i, n)| (n.ino, i)).collect();
        v.sort_unstable();
        v.into_iter().map(|(_, i)| i).collect()
    }
}

/// What assembling lines needs to know beyond the model: the scan answers from /proc
/// and the kernel (`crate::scan`), `assemble`'s unit tests from tables. It lives here, with
/// the plain data, so that the scan and `assemble` both depend on the model and not on
/// each other.
pub trait Facts {
    fn model(&self) -> &Model;
    fn ppid(&mut self, pid: i32) -> Option<i32>;
    fn command(&mut self, pid: i32) -> &[u8];
    fn uid(&mut self, pid: i32) -> Option<u32>;
    fn user_name(&mut self, uid: u32) -> &str;
    /// The owner of a user namespace (index into the model) without processes.
    fn owner_uid(&mut self, ns: usize) -> Option<u32>;
    fn netnsid(&mut self, ns: usize) -> Vec<u8>;
    /// The CONTAINER label of a process (empty for none), from its cgroup.
    fn container(&mut self, pid: i32) -> Vec<u8>;
    /// The CONTAINERNAME of a process (empty for none): what the runtime's state on disk
    /// calls the container its cgroup names.
    fn container_name(&mut self, pid: i32) -> Vec<u8>;
    /// Parent and owner inodes; with `ghosts`, missing ancestors of those types are
    /// added to the model. Asked again for the same namespace, it may answer from what
    /// it found before.
    fn relations(&mut self, ns: usize, ghosts: Option<NsSet>) -> (Option<u64>, Option<u64>);
}

/// What to learn about a representative while the scan is at it. The kernel's data for
/// a process (its /proc dentries, task, memory map) is in the CPU caches while its ns
/// links are read, and out of them again once thousands of other processes have been,
/// so a second pass for the command lines and PPIDs costs more than asking at once (by
/// how much: `docs/performance.md`). Only for what every listed namespace's line needs
/// (no filter, no `-p`, no member list), so nothing is asked that no line shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prefetch {
    pub command: bool,
    pub ppid: bool,
    pub uid: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_pid_represents() {
        let mut m = Model::default();
        assert!(m.attach(7, NsType::Net, 30));
        assert!(m.attach(7, NsType::Net, 10));
        assert!(!m.attach(7, NsType::Net, 20));
        assert!(m.attach(3, NsType::Uts, 5));
        let ns = m.get(7).unwrap();
        assert_eq!((ns.nprocs, ns.rep), (3, Some(10)));
        // back to a namespace met before, after another of its type
        assert!(!m.attach(3, NsType::Uts, 6));
        assert!(!m.attach(7, NsType::Net, 40));
        assert_eq!((m.get(3).unwrap().nprocs, m.get(7).unwrap().nprocs), (2, 4));
        assert_eq!(m.sorted(), vec![1, 0]);
        // inodes beyond 32 bits sort too
        let mut wide = Model::default();
        for (i, ino) in [u64::MAX, 5, 1 << 40, 4026531835].into_iter().enumerate() {
            wide.attach(ino, NsType::Net, i as i32 + 1);
        }
        assert_eq!(wide.sorted(), vec![1, 3, 2, 0]);
        let i = m.add(Namespace::new(7, NsType::Net, Access::Rep, Origin::Ghost));
        assert_eq!(i, 0);
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn id_hashes_differ() {
        use std::hash::BuildHasher;
        let b = BuildHasherDefault::<IdHasher>::default();
        let h: Vec<u64> = (4026531835u64..4026531845).map(|i| b.hash_one(i)).collect();
        let mut u = h.clone();
        u.sort_unstable();
        u.dedup();
        assert_eq!(u.len(), h.len());
        assert_ne!(b.hash_one(7i32), b.hash_one(8i32));
        // neighbours pick neighbouring buckets; the tags (top 7 bits) are mixed
        let (x, y) = (b.hash_one(4026532000u64), b.hash_one(4026532001u64));
        assert_eq!((x & 0xffff) + 1, y & 0xffff);
        let tags: std::collections::HashSet<u64> = (0..64u64).map(|i| b.hash_one(i) >> 57).collect();
        assert!(tags.len() > 32, "{tags:?}");
    }
}
