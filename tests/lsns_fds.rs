//! rs-lsns and namespaces that only an open fd keeps, found by what the fd's file is
//! rather than by its link text; and no process of another user can make rs-lsns wait
//! by swapping a FIFO in where a namespace fd or an nsfs mount point was.

use std::fs::{self, File};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::common::{
    code, ns_of, own_ns, parse_ns_inode, require_root, require_unpriv, run, run_timeout, sh, unpriv, unpriv_bin,
    wait_until, Mounted, Netns, Procs, TempDir,
};
use nix::fcntl::{OFlag, RenameFlags};
use nix::sys::stat::Mode;
use nix::unistd::{Gid, Uid};
use nscore::sys::{self, Forked};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");
const NOBODY: u32 = 65534;

fn lsns(args: &[&str]) -> (String, String, i32) {
    run(Command::new(BIN).args(args).env("LC_ALL", "C"))
}

/// util-linux's own regression case: a process opens a network namespace through its
/// `ip netns` bind mount, then the mount goes (`ip netns del`) while the fd stays open.
/// The fd's link now reads `/`, and only what the file is shows it is a namespace.
#[test]
fn netns_held_by_an_fd_whose_bind_mount_is_gone() {
    if !require_root() {
        return;
    }
    let name = format!("nsutils-lsns-fds-{}", std::process::id());
    sh(&["ip", "netns", "add", &name]);
    let netns = Netns(name.clone());
    let path = format!("/run/netns/{name}");
    let ino = nix::sys::stat::stat(path.as_str()).unwrap().st_ino;
    let mut p = Procs::new();
    let holder = p.start(Command::new("bash").args(["-c", &format!("exec 7<{path}; exec sleep 300")]));
    drop(netns);
    assert_eq!(fs::read_link(format!("/proc/{holder}/fd/7")).unwrap(), Path::new("/"));

    let q = format!("NS == {ino}");
    let got = lsns(&["--noheadings", "--raw", "--output", "TYPE,NPROCS,USER", "-Q", &q]);
    assert_eq!(got, ("net 0 root\n".to_string(), String::new(), 0));
    // known, without member processes: nothing to list, and no "not found"
    assert_eq!(lsns(&[&ino.to_string()]), (String::new(), String::new(), 0));
    let (out, err, rc) = lsns(&["-r", "-n"]);
    assert_eq!((err.as_str(), rc), ("", 0));
    assert!(out.lines().any(|l| l == format!("{ino} net 0  root ")), "{ino} missing from\n{out}");
    // its owner and NETNSID come from the fd too
    let (out, _, rc) = lsns(&["-r", "-n", "-o", "NS,ONS,NETNSID", "-Q", &q]);
    assert_eq!((out, rc), (format!("{ino} {} unassigned\n", own_ns("user")), 0));
}

/// An fd opened through an nsfs bind mount that exists only in the holder's own mount
/// namespace: its link names a path that means nothing in ours. An unprivileged user
/// (uid 65534 when we are root) holds it and sees it listed, as root does.
#[test]
fn netns_held_by_an_fd_from_another_mount_namespace() {
    if !require_unpriv() {
        return;
    }
    let dir = TempDir::new("lsns-fds-mnt");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    let file = dir.path().join("net");
    let script =
        format!("touch {f} && /usr/bin/unshare --net={f} true && exec 7<{f} && exec sleep 300", f = file.display());
    let mut p = Procs::new();
    let holder = p.start(unpriv("/usr/bin/unshare").args(["-Urm", "--propagation", "private", "sh", "-c", &script]));
    let link = fs::read_link(format!("/proc/{holder}/fd/7")).unwrap();
    assert_eq!(link, file);
    let ino = nix::sys::stat::stat(format!("/proc/{holder}/fd/7").as_str()).unwrap().st_ino;
    // in our mount namespace the path is a plain empty file
    assert_ne!(nix::sys::stat::stat(&file).unwrap().st_ino, ino);

    let q = format!("NS == {ino}");
    let args = ["-r", "-n", "-o", "NS,TYPE,NPROCS", "-Q", &q];
    assert_eq!(lsns(&args), (format!("{ino} net 0\n"), String::new(), 0));
    let o = run_timeout(unpriv_bin(BIN).args(args), 60);
    let got = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert_eq!((got, code(&o)), ((format!("{ino} net 0\n"), String::new()), 0));
}

/// rs-lsns looks a process's fds up by number when they are 0 to n-1 (the kernel tells
/// n) and reads the fd directory only where there are gaps. Namespaces held by an fd are
/// found in both cases: in a dense table (fd 3, or fd 9 after 3 to 8), after a gap (fd 9)
/// and with fd 0 closed; by uid 65534, whose processes they are, and by root.
#[test]
fn fd_held_namespaces_in_dense_and_gapped_fd_tables() {
    if !require_unpriv() {
        return;
    }
    let layouts = [
        "exec 3<$NS",
        "exec 9<$NS",
        "exec 0<&- 3<$NS",
        // (bash makes the fds above 9 that `exec` opens close-on-exec)
        "exec 3</dev/null 4<&3 5<&3 6<&3 7<&3 8<&3 9<$NS",
    ];
    let mut p = Procs::new();
    let mut inodes = Vec::new();
    for layout in layouts {
        // in a user namespace of uid 65534's: a uts namespace whose only process leaves
        // it to the keeper's fd
        // (first closes what the keeper inherited beyond 0 to 2: a test runner's stray fds
        // would make every table gapped)
        let script = format!(
            "for f in /proc/self/fd/*; do n=${{f##*/}}; [ $n -le 2 ] || eval \"exec $n<&-\"; done
            unshare --uts sleep 300 & a=$!
            until [ \"$(readlink /proc/$a/ns/uts)\" != \"$(readlink /proc/self/ns/uts)\" ]; do sleep 0.01; done
            NS=/proc/$a/ns/uts; {layout}; kill $a; wait $a; exec sleep 300"
        );
        let keeper = p.start(unpriv("/usr/bin/unshare").args(["-Ur", "bash", "-c", &script]));
        let fd = layout.rsplit_once(' ').map(|(_, l)| l.trim_end_matches("<$NS")).unwrap();
        let link = fs::read_link(format!("/proc/{keeper}/fd/{fd}")).unwrap_or_else(|e| panic!("{layout}: {e}"));
        let uts = parse_ns_inode(&link.to_string_lossy());
        assert_ne!(Some(uts), ns_of(keeper, "uts"), "{layout}");
        inodes.push(uts);
    }
    inodes.sort_unstable(); // the listing's order (inode numbers may be reused out of order)
    let q = inodes.iter().map(|i| format!("NS == {i}")).collect::<Vec<_>>().join(" || ");
    let args = ["-r", "-n", "-o", "NS,TYPE,NPROCS", "-Q", &q];
    let want: String = inodes.iter().map(|i| format!("{i} uts 0\n")).collect();
    assert_eq!(lsns(&args), (want.clone(), String::new(), 0));
    let o = run_timeout(unpriv_bin(BIN).args(args), 60);
    let got = (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert_eq!((got, code(&o)), ((want, String::new()), 0));
}

/// Leaves a forked child with only the descriptors in `keep` (it inherited every fd of
/// this multi-threaded test process, pipes of other tests' children included, which must
/// not stay open for as long as the child runs) and the credentials of uid 65534.
/// Runs in the child: system calls only, no allocation; any failure ends the child.
fn become_nobody(keep: &[RawFd]) {
    for fd in 3..65536 {
        if !keep.contains(&fd) {
            let _ = nix::unistd::close(fd);
        }
    }
    let ok = nix::unistd::setgroups(&[]).is_ok()
        && nix::unistd::setgid(Gid::from_raw(NOBODY)).is_ok()
        && nix::unistd::setuid(Uid::from_raw(NOBODY)).is_ok()
        // after setuid the process is not dumpable: its /proc/PID/fd would be root's
        && nix::sys::prctl::set_dumpable(true).is_ok()
        && sys::set_pdeathsig(libc::SIGKILL).is_ok();
    if !ok {
        sys::exit_now(1);
    }
}

/// Forks a child that runs `body` as uid 65534 with the descriptors `keep` (`body`
/// loops until `p`'s drop kills the child).
fn attacker(p: &mut Procs, keep: &[RawFd], body: impl FnOnce()) {
    // SAFETY: the test harness is multi-threaded, so the child may only make system
    // calls: it closes fds, switches credentials and loops on dup2/renameat2, without
    // allocating or taking a lock another thread could hold, until it is killed.
    match unsafe { sys::fork() }.expect("fork") {
        Forked::Child => {
            become_nobody(keep);
            body();
            sys::exit_now(0);
        }
        Forked::Parent(pid) => {
            p.others.push(pid.as_raw());
            // ready once /proc/PID/fd is uid 65534's: changed credentials, dumpable again
            let fd_dir = format!("/proc/{pid}/fd");
            wait_until("the attacker to become uid 65534", || {
                fs::metadata(&fd_dir).is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == NOBODY)
            });
        }
    }
}

/// A FIFO opened for reading only, without a writer: opening it again for reading, as
/// a plain `open` of `/proc/PID/fd/N` would, waits for a writer that never comes.
fn lonely_fifo(dir: &Path) -> OwnedFd {
    let path = dir.join("fifo");
    nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o644)).unwrap();
    let fd = nix::fcntl::open(&path, OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
    fs::remove_file(&path).unwrap();
    fd
}

/// A uts namespace that only `keeper` (an open fd) keeps, and its inode.
fn uts_held_by(p: &mut Procs) -> (File, u64) {
    let first = p.start(Command::new("/usr/bin/unshare").args(["--uts", "sleep", "300"]));
    let keeper = File::open(format!("/proc/{first}/ns/uts")).unwrap();
    let ino = ns_of(first, "uts").unwrap();
    p.stop(first);
    (keeper, ino)
}

/// Processes of uid 65534 swap, in tight loops, a FIFO and a namespace fd at one fd
/// number, and a FIFO and an nsfs mount point (exchanging their directories). A plain
/// `open` of either for reading, as rs-lsns once did, sooner or later opens the FIFO and
/// waits forever; now every run must end, as root and as uid 65534, in every mode that
/// opens namespaces (the default listing, PNS/ONS/NETNSID columns, trees, a filter).
#[test]
fn no_swapped_fifo_makes_lsns_block() {
    // (attackers that become uid 65534, and an nsfs mount, need root)
    if !require_root() || !require_unpriv() {
        return;
    }
    let dir = TempDir::new("lsns-fds-swap");
    nix::unistd::chown(dir.path(), Some(Uid::from_raw(NOBODY)), Some(Gid::from_raw(NOBODY))).unwrap();
    // the mount point's directory and a twin with a FIFO of the same name, both uid 65534's
    let (real, twin) = (dir.path().join("real"), dir.path().join("twin"));
    for d in [&real, &twin] {
        fs::create_dir(d).unwrap();
        nix::unistd::chown(d, Some(Uid::from_raw(NOBODY)), Some(Gid::from_raw(NOBODY))).unwrap();
    }
    fs::write(real.join("uts"), "").unwrap();
    nix::unistd::mkfifo(&twin.join("uts"), Mode::from_bits_truncate(0o644)).unwrap();
    let mounted = Mounted(vec![real.join("uts"), twin.join("uts")]);
    sh(&["/usr/bin/unshare", &format!("--uts={}", real.join("uts").display()), "true"]);

    let mut p = Procs::new();
    let fifo = lonely_fifo(dir.path());
    let (ns, ns_ino) = uts_held_by(&mut p);
    attacker(&mut p, &[fifo.as_raw_fd(), ns.as_raw_fd()], || {
        // the swapped fd must come before the namespace's steady fd in /proc/PID/fd
        // order, or the steady one would make the namespace known first
        let Ok(mut slot) = fifo.as_fd().try_clone_to_owned() else { return };
        let Ok(steady) = ns.as_fd().try_clone_to_owned() else { return };
        drop(ns);
        loop {
            let _ = nix::unistd::dup2(fifo.as_fd(), &mut slot);
            let _ = nix::unistd::dup2(steady.as_fd(), &mut slot);
        }
    });
    let dirfd =
        nix::fcntl::open(dir.path(), OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
    attacker(&mut p, &[dirfd.as_raw_fd()], || loop {
        let _ = nix::fcntl::renameat2(dirfd.as_fd(), c"real", dirfd.as_fd(), c"twin", RenameFlags::RENAME_EXCHANGE);
    });

    let q = format!("NS == {ns_ino}");
    let modes: [&[&str]; 5] = [
        &[],
        &["-o", "NS,TYPE,NPROCS,PNS,ONS,NSFS,NETNSID"],
        &["--tree=owner"],
        &["-t", "uts", "-Q", &q],
        &[&ns_ino.to_string()],
    ];
    for i in 0..50 {
        let args = modes[i % modes.len()];
        let mut cmd = if i % 2 == 0 { Command::new(BIN) } else { unpriv_bin(BIN) };
        let o = run_timeout(cmd.args(args), 20);
        assert_eq!(code(&o), 0, "run {i} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    drop(p); // the attackers first: then the mount is where it was made, or in the twin
    drop(mounted);
}
