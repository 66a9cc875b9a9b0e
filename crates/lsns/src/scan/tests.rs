//! The scan against a scripted /proc ([`super::fake::Fake`]): which calls each process
//! costs, and what the model holds after.

use nscore::sys::FileId;

use super::discover::{classify, FdRef};

#[test]
fn fd_classes() {
    let file = |dev, mode| FileId { dev, ino: 9, mode };
    let sock = file(8, libc::S_IFSOCK | 0o777);
    assert_eq!(classify(sock, Some(4), 1, 3), Some(FdRef::Socket { ino: 9, pid: 1, fd: 3 }));
    assert_eq!(classify(file(4, libc::S_IFREG | 0o444), Some(4), 1, 3), Some(FdRef::Ns { ino: 9, pid: 1, fd: 3 }));
    // pipes, files on other devices, and anything when nsfs is unknown
    assert_eq!(classify(file(12, libc::S_IFIFO | 0o600), Some(4), 1, 3), None);
    assert_eq!(classify(file(4, libc::S_IFREG), None, 1, 3), None);
}

use nix::errno::Errno;
use nscore::{NsSet, NsType};

use super::fake::Fake;
use super::procfs::{last_batch, MAX_DIRENT, PROC_BATCH};
use super::{Scan, ScanOpts};
use crate::model::{Facts, Origin, Prefetch};

fn all() -> NsSet {
    NsType::ALL.into_iter().collect()
}

/// Every type, no positional namespace, no `-p`, nothing prefetched.
fn all_types() -> ScanOpts {
    ScanOpts { types: all(), task: None, target: None, prefetch: Prefetch::default(), for_children: false }
}

/// The namespaces of an ordinary process, the scanning one's: every type, inodes from
/// 4026531832 up.
fn host() -> Vec<(NsType, u64)> {
    NsType::ALL.iter().enumerate().map(|(i, &t)| (t, Fake::OWN_NS + i as u64)).collect()
}

fn scan(fake: Fake, o: &ScanOpts) -> Scan<Fake> {
    Scan::run(o, fake).unwrap()
}

/// The calls that open and read the ns links of `pid`: the start of every process.
/// Besides its member links, the links of the namespaces its children will be in, and
/// its thread count (see `hidden`).
fn ns_calls(pid: i32) -> Vec<String> {
    let mut v = vec![format!("openat /proc/{pid}/ns [walk]")];
    v.extend(NsType::ALL.iter().map(|t| format!("readlinkat /proc/{pid}/ns/{}", t.proc_name())));
    v.push(format!("statx /proc/{pid}/task [nlink]"));
    v
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The speed contract: a process whose fds are 0 to n-1 costs the ns directory, a link
/// per type, the fd count, and a `statx` per fd; no fd directory is opened or read.
#[test]
fn dense_fds_cost_a_statx_each() {
    let mut k = Fake::new();
    k.process(42, &host()).pipes(42, &[0, 1, 2]);
    let s = scan(k, &all_types());
    let mut want = ns_calls(42);
    want.extend(lines(&[
        "statx /proc/42/fd [size]",
        "statx /proc/42/fd/0",
        "statx /proc/42/fd/1",
        "statx /proc/42/fd/2",
    ]));
    assert_eq!(s.kernel().log_of(42), want);
    // (the ns directory, a link per type, the thread count, the fd count, the fds)
    assert_eq!(want.len(), 1 + NsType::ALL.len() + 1 + 1 + 3);
    assert_eq!(s.model.len(), NsType::ALL.len());
}

/// With `-t` leaving mount namespaces out, a process still costs its `mnt` link: the
/// mount tables of other mount namespaces are read for their nsfs mounts (see `hidden`).
#[test]
fn the_mnt_link_is_read_for_the_mount_tables() {
    let mut k = Fake::new();
    k.process(42, &host());
    let s = scan(k, &ScanOpts { types: [NsType::Net].into_iter().collect(), ..all_types() });
    assert_eq!(
        s.kernel().log_of(42),
        lines(&[
            "openat /proc/42/ns [walk]",
            "readlinkat /proc/42/ns/net",
            "readlinkat /proc/42/ns/mnt",
            "statx /proc/42/task [nlink]",
            "statx /proc/42/fd [size]",
        ])
    );
}

/// A process with a gap among its fds: the look-up by number stops at the first fd not
/// open, and the directory is read (once: a batch with room left was the last).
#[test]
fn gapped_fds_read_the_directory() {
    let mut k = Fake::new();
    k.process(42, &host()).pipes(42, &[0, 1, 5]);
    let s = scan(k, &all_types());
    let mut want = ns_calls(42);
    want.extend(lines(&[
        "statx /proc/42/fd [size]",
        "statx /proc/42/fd/0",
        "statx /proc/42/fd/1",
        "statx /proc/42/fd/2 -> ENOENT",
        "openat /proc/42/fd [dir]",
        "getdents64 /proc/42/fd",
        "statx /proc/42/fd/0",
        "statx /proc/42/fd/1",
        "statx /proc/42/fd/5",
    ]));
    assert_eq!(s.kernel().log_of(42), want);
}

/// A kernel before 6.2 reports no fd count (our own fd directory's size is 0): every
/// process's fd directory is read, and no fd is looked up by number first.
#[test]
fn without_fd_counts_every_directory_is_read() {
    let mut k = Fake::new();
    k.size("/proc/self/fd", 0).process(42, &host()).pipes(42, &[0, 1]).size("/proc/42/fd", 0);
    let s = scan(k, &all_types());
    let mut want = ns_calls(42);
    want.extend(lines(&[
        "openat /proc/42/fd [dir]",
        "getdents64 /proc/42/fd",
        "statx /proc/42/fd/0",
        "statx /proc/42/fd/1",
    ]));
    assert_eq!(s.kernel().log_of(42), want);
}

/// A process that is gone when its ns directory is opened costs that one call; one that
/// goes after its links were read is counted, and costs one call more (the fd count).
#[test]
fn a_vanished_process_costs_no_more() {
    let mut k = Fake::new();
    k.process(42, &host()).fail("/proc/42/ns", Errno::ENOENT);
    k.process(43, &[(NsType::Net, 5000)]).pipes(43, &[0]).fail("/proc/43/fd", Errno::ENOENT);
    k.process(44, &[(NsType::Net, 5000)]);
    let s = scan(k, &all_types());
    assert_eq!(s.kernel().log_of(42), ["openat /proc/42/ns [walk] -> ENOENT"]);
    let mut want = vec!["openat /proc/43/ns [walk]".to_string()];
    for t in NsType::ALL {
        let e = if t == NsType::Net { "" } else { " -> ENOENT" };
        want.push(format!("readlinkat /proc/43/ns/{}{e}", t.proc_name()));
    }
    want.push("statx /proc/43/task [nlink]".into());
    want.push("statx /proc/43/fd [size] -> ENOENT".into());
    assert_eq!(s.kernel().log_of(43), want);
    let net = s.model.get(5000).unwrap();
    assert_eq!((net.nprocs, net.rep), (2, Some(43)));
}

/// A process whose links the kernel refuses to show (a security module's ptrace check):
/// after the first refusal nothing else of it is tried, not its other links, not its
/// fds. Where its ns directory does not even open, that open is all it costs.
#[test]
fn a_refused_process_costs_one_call() {
    let mut k = Fake::new();
    let first = format!("/proc/42/ns/{}", NsType::ALL[0].proc_name());
    k.process(42, &host()).pipes(42, &[0, 1, 2]).fail(&first, Errno::EACCES);
    k.process(43, &host()).pipes(43, &[0]).fail("/proc/43/ns", Errno::EACCES);
    let s = scan(k, &all_types());
    assert_eq!(
        s.kernel().log_of(42),
        ["openat /proc/42/ns [walk]".to_string(), format!("readlinkat {first} -> EACCES")]
    );
    assert_eq!(s.kernel().log_of(43), ["openat /proc/43/ns [walk] -> EACCES"]);
    assert!(s.model.is_empty());
}

/// Sockets: their network namespaces are asked in one look-up for all of them, after
/// the pass (each socket once); a namespace no process is in joins the model with its
/// owner, one every process shares does not come twice.
#[test]
fn sockets_in_other_network_namespaces() {
    let mut k = Fake::new();
    k.process(42, &[(NsType::Net, 4026531840), (NsType::User, 4026531837)]);
    k.socket(42, 0, 900, 4026531840).socket(42, 1, 901, 5000).socket(42, 2, 901, 5000);
    k.process(43, &[(NsType::Net, 4026531840)]).socket(43, 0, 902, 5001);
    k.namespace(5000, NsType::Net, None, Some(6000)).namespace(6000, NsType::User, None, Some(4026531837));
    let s = scan(k, &all_types());
    let log = s.kernel().log();
    let lookups: Vec<&String> = log.iter().filter(|l| l.starts_with("socket")).collect();
    assert_eq!(lookups, ["socket netns lookup 42:0 42:1 43:0"]);
    let held = |ino| s.model.get(ino).map(|n| (n.ty, n.origin, n.nprocs));
    assert_eq!(held(5000), Some((NsType::Net, Origin::Held, 0)));
    assert_eq!(held(5001), Some((NsType::Net, Origin::Held, 0)));
    assert_eq!(held(6000), Some((NsType::User, Origin::Held, 0)));
    assert_eq!(held(4026531840).map(|h| h.2), Some(2));
    assert_eq!(s.model.len(), 5);
    // without net namespaces asked for, sockets are not even looked at
    let mut k = Fake::new();
    k.process(42, &[(NsType::Uts, 4026531838)]).socket(42, 0, 901, 5000);
    let o = ScanOpts { types: [NsType::Uts].into_iter().collect(), ..all_types() };
    let s = scan(k, &o);
    assert!(!s.kernel().log().iter().any(|l| l.starts_with("socket")));
    assert_eq!(s.model.len(), 1);
}

/// An nsfs mount is listed only if its mount point still leads to the namespace that
/// mountinfo names: pinned with `O_PATH`, checked by `statx`, never opened for reading.
/// The mount point is noted for the NSFS column either way.
#[test]
fn mounts_are_pinned_and_verified() {
    let mut k = Fake::new();
    k.process(42, &[(NsType::Net, 4026531840)]);
    k.mount("/run/netns/a", NsType::Net, 5001, 5001);
    k.mount("/run/netns/b", NsType::Net, 5002, 7777); // something else mounted over it
    k.mount("/run/netns/host", NsType::Net, 4026531840, 4026531840);
    let s = scan(k, &all_types());
    assert_eq!(s.model.get(5001).map(|n| n.origin), Some(Origin::Held));
    assert!(s.model.get(5002).is_none());
    assert_eq!(s.model.nsfs(5002), Some(&[b"/run/netns/b".to_vec()][..]));
    assert_eq!(s.model.nsfs(4026531840), Some(&[b"/run/netns/host".to_vec()][..]));
    let log = s.kernel().log();
    let at = log.iter().position(|l| l == "read /proc/self/mountinfo").unwrap();
    // a namespace known from a process costs nothing more
    assert_eq!(
        log[at + 1..],
        lines(&[
            "openat /run/netns/a [path]",
            "statx /run/netns/a",
            "openat /run/netns/b [path]",
            "statx /run/netns/b"
        ])
    );
}

/// A namespace held by an fd: pinned through the fd's link, checked, reopened through
/// our own fd, its type asked; a pid namespace brings its parent and owner along.
#[test]
fn fd_namespaces_are_pinned_then_reopened() {
    let mut k = Fake::new();
    k.process(42, &[(NsType::Pid, 4026531836)]).ns_fd(42, 0, NsType::Pid, 5000);
    k.namespace(5000, NsType::Pid, Some(4026531836), Some(6000)).namespace(6000, NsType::User, None, None);
    let s = scan(k, &all_types());
    let log = s.kernel().log();
    let at = log.iter().position(|l| l == "openat /proc/42/fd/0 [path]").unwrap();
    assert_eq!(
        log[at..at + 6],
        lines(&[
            "openat /proc/42/fd/0 [path]",
            "statx /proc/42/fd/0",
            "openat /proc/42/fd/0 [file]",
            "ioctl NS_GET_NSTYPE /proc/42/fd/0",
            "ioctl NS_GET_PARENT /proc/42/fd/0",
            "ioctl NS_GET_USERNS /proc/42/fd/0",
        ])
    );
    assert_eq!(s.model.get(5000).map(|n| n.origin), Some(Origin::Held));
    assert_eq!(s.model.get(6000).map(|n| n.ty), Some(NsType::User));
}

/// Ghosts: ancestors no process, fd or mount holds, found through the parent and owner
/// ioctls when a tree asks, and walked on from in turn; a filtered type is not added.
#[test]
fn ghosts_are_found_through_parents() {
    let mut k = Fake::new();
    k.process(42, &[(NsType::Pid, 100), (NsType::User, 4026531837)]);
    k.namespace(100, NsType::Pid, Some(200), Some(4026531837));
    k.namespace(200, NsType::Pid, Some(300), Some(400));
    k.namespace(300, NsType::Pid, None, Some(4026531837));
    k.namespace(400, NsType::User, Some(4026531837), None);
    let mut s = scan(k, &all_types());
    assert_eq!(s.model.len(), 2);
    let pid_ns = s.model.index_of(100).unwrap();
    assert_eq!(s.relations(pid_ns, Some(all())), (Some(200), Some(4026531837)));
    let ghost = s.model.index_of(200).unwrap();
    assert_eq!(s.model.ns(ghost).origin, Origin::Ghost);
    assert_eq!(s.relations(ghost, Some(all())), (Some(300), Some(400)));
    assert_eq!(s.model.get(400).map(|n| (n.ty, n.origin)), Some((NsType::User, Origin::Ghost)));
    // asked again, the answer is kept: no more calls
    let calls = s.kernel().log().len();
    assert_eq!(s.relations(pid_ns, Some(all())), (Some(200), Some(4026531837)));
    assert_eq!(s.kernel().log().len(), calls);
    // a representative's namespace is opened through its /proc link
    assert!(s.kernel().log().contains(&"openat /proc/42/ns/pid [file]".to_string()));
    // without ghosts asked for, nothing joins the model
    let mut k = Fake::new();
    k.process(42, &[(NsType::Pid, 100)]).namespace(100, NsType::Pid, Some(200), None);
    k.namespace(200, NsType::Pid, None, None);
    let mut s = scan(k, &all_types());
    assert_eq!(s.relations(0, None), (Some(200), None));
    assert_eq!(s.model.len(), 1);
}

/// A representative that ended after the pass: the namespace's parent and owner come
/// through our own link where the namespace is ours too, and are unknown where not
/// (nothing else is asked of a namespace that is not the one the line shows).
#[test]
fn a_representative_gone_since_the_pass() {
    let mut k = Fake::new();
    k.process(42, &[(NsType::Pid, 100), (NsType::Net, 5000)]);
    k.namespace(100, NsType::Pid, Some(90), Some(4026531837));
    k.namespace(5000, NsType::Net, None, Some(4026531837));
    k.own_namespace(NsType::Pid, 100);
    let mut s = scan(k, &all_types());
    s.kernel_mut().fail("/proc/42/ns/pid", Errno::ENOENT).fail("/proc/42/ns/net", Errno::ENOENT);
    let pid = s.model.index_of(100).unwrap();
    assert_eq!(s.relations(pid, None), (Some(90), Some(4026531837)));
    let log = s.kernel().log();
    assert!(log.contains(&"ioctl NS_GET_USERNS /proc/self/ns/pid".to_string()), "{log:?}");
    // not our net namespace: unknown, and no ioctl on ours
    let net = s.model.index_of(5000).unwrap();
    assert_eq!(s.relations(net, None), (None, None));
    let log = s.kernel().log();
    assert!(log.contains(&"openat /proc/self/ns/net [file]".to_string()), "{log:?}");
    assert!(!log.iter().any(|l| l.starts_with("ioctl") && l.ends_with("/proc/self/ns/net")), "{log:?}");
}

/// The batch-end rule: a `getdents64` batch that left room for the longest record was
/// the directory's last, so /proc costs one call per batch and none to find the end,
/// unless the last batch happened to be full.
#[test]
fn last_batch_saves_the_call_that_finds_the_end() {
    assert!(last_batch(PROC_BATCH - MAX_DIRENT, &[0; PROC_BATCH]));
    assert!(!last_batch(PROC_BATCH - MAX_DIRENT + 1, &[0; PROC_BATCH]));
    assert!(last_batch(0, &[0; PROC_BATCH]));
    // the fake's records for ".", "..", and 4-digit PIDs take 24 bytes each: 42 fill a
    // batch but for 16 bytes; a batch is the last with at most 31 (744 bytes)
    let proc_calls = |procs: i32| {
        let mut k = Fake::new();
        for pid in 2000..2000 + procs {
            k.process(pid, &[(NsType::Uts, 4026531838)]);
        }
        let s = scan(k, &all_types());
        s.kernel().log().iter().filter(|l| *l == "getdents64 /proc").count()
    };
    assert_eq!(proc_calls(100), 3); // 42 + 42 + 18 records
    assert_eq!(proc_calls(29), 1); // 31 records (with "." and ".."), room left: done
    assert_eq!(proc_calls(30), 2); // 32: no room for the longest name, a second call finds the end
    assert_eq!(proc_calls(82), 3); // 42 + 42, a third call finds the end
}

/// What a representative's line will show, asked while the scan is at the process: the
/// command line through its open ns directory (`../cmdline`), the PPID and uid by pidfd.
/// A member that represents nothing costs nothing more.
#[test]
fn prefetch_reads_through_the_ns_directory() {
    let mut k = Fake::new();
    k.process(42, &host()).process(43, &host());
    let o = ScanOpts { prefetch: Prefetch { command: true, ppid: true, uid: true }, ..all_types() };
    let mut s = scan(k, &o);
    let mut want = ns_calls(42);
    want.extend(lines(&[
        "pidfd_open 42",
        "ioctl PIDFD_GET_INFO pidfd 42",
        "openat /proc/42/cmdline [file]",
        "read /proc/42/cmdline",
        "statx /proc/42/fd [size]",
    ]));
    assert_eq!(s.kernel().log_of(42), want);
    let mut member = ns_calls(43);
    member.push("statx /proc/43/fd [size]".into());
    assert_eq!(s.kernel().log_of(43), member);
    // the lines then ask without a call
    let calls = s.kernel().log().len();
    assert_eq!((s.ppid(42), s.uid(42)), (Some(1), Some(0)));
    assert_eq!(s.command(42), b"cmd-42");
    assert_eq!(s.kernel().log().len(), calls);
}

/// Before Linux 6.13 (no `PIDFD_GET_INFO`) the PPID comes from `/proc/PID/stat`, and
/// no pidfd is opened after the first refusal.
#[test]
fn ppid_from_stat_without_pidfd_info() {
    let mut k = Fake::new();
    k.without_pidfd_info().process(42, &[(NsType::Uts, 1)]).process(43, &[(NsType::Uts, 2)]);
    let mut s = scan(k, &all_types());
    assert_eq!((s.ppid(42), s.ppid(43)), (Some(1), Some(1)));
    let log = s.kernel().log();
    let at = log.iter().position(|l| l == "pidfd_open 42").unwrap();
    assert_eq!(
        log[at..],
        [
            "pidfd_open 42",
            "ioctl PIDFD_GET_INFO pidfd 42 -> ENOTTY",
            "openat /proc/42/stat [file]",
            "read /proc/42/stat",
            "openat /proc/43/stat [file]",
            "read /proc/43/stat",
        ]
    );
    assert_eq!(s.model.ns(0).rep, Some(42));
}

/// The debug builds' check of the fd-count assumption (see `procfs::debug_check_assumptions`):
/// a kernel whose fd directory size is not the fd count stops a debug build.
#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "not the number of open fds")]
fn a_wrong_fd_count_is_caught_in_debug_builds() {
    let mut k = Fake::new();
    k.size("/proc/self/fd", 3);
    scan(k, &all_types());
}

/// A process with more than one thread (its task directory's link count says so) has
/// its other threads' links read; a thread's namespace that differs from its process's
/// is listed as no process's (NPROCS 0), one that a process is in is not added again.
/// A single-threaded process costs the one `statx` of its task directory (`ns_calls`).
#[test]
fn threads_with_namespaces_of_their_own() {
    let mut k = Fake::new();
    let mut own = host();
    k.process(42, &own).thread(42, 43, &own);
    own[NsType::ALL.iter().position(|&t| t == NsType::Net).unwrap()].1 = 5000;
    k.thread(42, 44, &own);
    let mut shared = host();
    shared[NsType::ALL.iter().position(|&t| t == NsType::Uts).unwrap()].1 = 6000;
    k.thread(42, 45, &shared).process(46, &shared);
    let s = scan(k, &all_types());
    let mut want = ns_calls(42);
    want.extend(lines(&["openat /proc/42/task [dir]", "getdents64 /proc/42/task"]));
    for tid in [43, 44, 45] {
        want.push(format!("openat /proc/42/task/{tid}/ns [walk]"));
        want.extend(NsType::ALL.iter().map(|t| format!("readlinkat /proc/42/task/{tid}/ns/{}", t.proc_name())));
        want.push(format!("readlinkat /proc/42/task/{tid}/ns/pid_for_children"));
        want.push(format!("readlinkat /proc/42/task/{tid}/ns/time_for_children"));
    }
    want.push("statx /proc/42/fd [size]".into());
    // the thread's namespace, pinned through its link and checked, then its ancestors
    want.extend(lines(&[
        "openat /proc/42/task/44/ns/net [path]",
        "statx /proc/42/task/44/ns/net",
        "openat /proc/42/task/44/ns/net [file]",
        "ioctl NS_GET_USERNS /proc/42/task/44/ns/net -> EPERM",
    ]));
    assert_eq!(s.kernel().log_of(42), want);
    let held = |ino| s.model.get(ino).map(|n| (n.ty, n.origin, n.nprocs));
    assert_eq!(held(5000), Some((NsType::Net, Origin::Held, 0)));
    assert_eq!(held(6000), Some((NsType::Uts, Origin::Held, 1)));
    assert_eq!(s.model.len(), NsType::ALL.len() + 2);
    // a single-threaded process costs one call more than its links, not a thread look
    assert_eq!(s.kernel().log_of(46), [ns_calls(46), lines(&["statx /proc/46/fd [size]"])].concat());
}

/// With `--children`, `time_for_children` (and `pid_for_children`) that name a
/// namespace no process is in: listed, pinned through the link; one a later process is
/// in counts as that process's. Each process costs the two links more.
#[test]
fn namespaces_for_children_only() {
    let for_children = ScanOpts { for_children: true, ..all_types() };
    let mut k = Fake::new();
    k.process(42, &host()).for_children(42, NsType::Time, 5000).for_children(42, NsType::Pid, 5001);
    k.process(43, &host()).for_children(43, NsType::Pid, 5002).process(44, &[(NsType::Pid, 5002)]);
    let s = scan(k, &for_children);
    let mut want = ns_calls(45);
    want.splice(9..9, lines(&["readlinkat /proc/45/ns/pid_for_children", "readlinkat /proc/45/ns/time_for_children"]));
    let mut k = Fake::new();
    k.process(45, &host());
    assert_eq!(scan(k, &for_children).kernel().log_of(45)[..want.len()], want);
    let held = |ino| s.model.get(ino).map(|n| (n.ty, n.origin, n.nprocs, n.rep));
    assert_eq!(held(5000), Some((NsType::Time, Origin::Held, 0, None)));
    assert_eq!(held(5001), Some((NsType::Pid, Origin::Held, 0, None)));
    assert_eq!(held(5002), Some((NsType::Pid, Origin::Held, 1, Some(44))));
    let log = s.kernel().log();
    assert!(log.contains(&"openat /proc/42/ns/time_for_children [path]".to_string()));
    assert!(!log.iter().any(|l| l.contains("/proc/43/ns/pid_for_children [")), "{log:?}");
    // without time namespaces asked for, the link is not read
    let mut k = Fake::new();
    k.process(42, &host()).for_children(42, NsType::Time, 5000);
    let o = ScanOpts { types: [NsType::Net].into_iter().collect(), ..for_children };
    let s = scan(k, &o);
    assert!(!s.kernel().log().iter().any(|l| l.contains("for_children")));
    assert!(s.model.get(5000).is_none());
    // nor without --children
    let mut k = Fake::new();
    k.process(42, &host()).for_children(42, NsType::Time, 5000);
    let s = scan(k, &all_types());
    assert!(!s.kernel().log().iter().any(|l| l.contains("for_children")));
    assert!(s.model.get(5000).is_none());
}

/// nsfs mounts of other mount namespaces: each mount table read once, through the lowest
/// member's `/proc/PID/mountinfo` (none for our own mount namespace), each mount point
/// pinned and checked through that process's root. The NSFS column shows their path
/// only for namespaces our own mount table has no mount of.
#[test]
fn mounts_in_other_mount_namespaces() {
    let mut k = Fake::new();
    let theirs = |mnt: u64| {
        let mut ns = host();
        ns[NsType::ALL.iter().position(|&t| t == NsType::Mnt).unwrap()].1 = mnt;
        ns
    };
    k.process(42, &host()).process(43, &theirs(7000)).process(44, &theirs(7000)).process(45, &host());
    k.mount("/run/netns/host-too", NsType::Net, 5002, 5002);
    k.mount_in(43, "/run/netns/c", NsType::Net, 5001, 5001);
    k.mount_in(43, "/run/netns/gone", NsType::Net, 5003, 9999);
    k.mount_in(43, "/var/run/netns/other-name", NsType::Net, 5002, 5002);
    let s = scan(k, &all_types());
    let log = s.kernel().log();
    let reads: Vec<&String> = log.iter().filter(|l| l.ends_with("/mountinfo")).collect();
    assert_eq!(reads, ["read /proc/self/mountinfo", "read /proc/43/mountinfo"]);
    let at = log.iter().position(|l| l == "read /proc/43/mountinfo").unwrap();
    assert_eq!(
        log[at + 1..at + 5],
        lines(&[
            "openat /proc/43/root/run/netns/c [path]",
            "statx /proc/43/root/run/netns/c",
            "openat /proc/43/root/run/netns/gone [path]",
            "statx /proc/43/root/run/netns/gone",
        ])
    );
    let n = s.model.get(5001).unwrap();
    assert_eq!((n.ty, n.origin, n.nprocs), (NsType::Net, Origin::Held, 0));
    assert_eq!(s.model.nsfs(5001), Some(&[b"/run/netns/c".to_vec()][..]));
    assert!(s.model.get(5003).is_none());
    assert_eq!(s.model.nsfs(5002), Some(&[b"/run/netns/host-too".to_vec()][..]));
    // processes all in our mount namespace: no mount table but ours is read
    let mut k = Fake::new();
    k.process(42, &host()).process(43, &host());
    let s = scan(k, &all_types());
    assert_eq!(s.kernel().log().iter().filter(|l| l.ends_with("mountinfo")).count(), 1);
}

/// A thread in a mount namespace of its own (Go's locked OS thread after
/// `unshare(CLONE_NEWNS)`): that mount table is read too, through `/proc/TID`, and its
/// nsfs mounts are pinned through the thread's root.
#[test]
fn mounts_of_a_threads_mount_namespace() {
    let mut k = Fake::new();
    let mut theirs = host();
    theirs[NsType::ALL.iter().position(|&t| t == NsType::Mnt).unwrap()].1 = 7000;
    k.process(42, &host()).thread(42, 43, &theirs);
    k.mount_in(43, "/run/netns/t", NsType::Net, 5001, 5001);
    let s = scan(k, &all_types());
    let log = s.kernel().log();
    let reads: Vec<&String> = log.iter().filter(|l| l.ends_with("/mountinfo")).collect();
    assert_eq!(reads, ["read /proc/self/mountinfo", "read /proc/43/mountinfo"]);
    let n = s.model.get(5001).unwrap();
    assert_eq!((n.ty, n.origin, n.nprocs), (NsType::Net, Origin::Held, 0));
    assert_eq!(s.model.get(7000).map(|n| (n.ty, n.nprocs)), Some((NsType::Mnt, 0)));
    // the same when mount namespaces themselves are not asked for
    let mut k = Fake::new();
    k.process(42, &host()).thread(42, 43, &theirs);
    k.mount_in(43, "/run/netns/t", NsType::Net, 5001, 5001);
    let s = scan(k, &ScanOpts { types: [NsType::Net].into_iter().collect(), ..all_types() });
    assert!(s.kernel().log().contains(&"read /proc/43/mountinfo".to_string()));
    assert!(s.model.get(5001).is_some() && s.model.get(7000).is_none());
}

/// A user namespace without a process that a child user namespace keeps alive is listed
/// with the others (not only in trees): the parent of each user namespace processes are
/// in is asked once, but not of our own, whose parent the kernel never shows.
#[test]
fn process_less_user_parents_in_flat_listings() {
    let own_user = Fake::OWN_NS; // (user is the first type)
    assert_eq!(NsType::ALL[0], NsType::User);
    let mut k = Fake::new();
    k.process(42, &host()).process(43, &[(NsType::User, 600)]).process(44, &[(NsType::User, 600)]);
    k.namespace(600, NsType::User, Some(500), Some(500));
    k.namespace(500, NsType::User, Some(own_user), Some(own_user));
    let s = scan(k, &all_types());
    let n = s.model.get(500).unwrap();
    assert_eq!((n.ty, n.origin, n.nprocs), (NsType::User, Origin::Held, 0));
    let log = s.kernel().log();
    let asked: Vec<&String> = log.iter().filter(|l| l.starts_with("ioctl NS_GET_USERNS /proc")).collect();
    assert_eq!(asked, ["ioctl NS_GET_USERNS /proc/43/ns/user"]);
    assert_eq!(s.model.len(), NsType::ALL.len() + 2);
}
