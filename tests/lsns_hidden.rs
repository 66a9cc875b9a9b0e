//! rs-lsns and live namespaces that no process's `/proc/PID/ns` shows, nor an fd, a
//! socket or a mount of our mount namespace, which util-linux's lsns does not list: held
//! only by an nsfs bind mount in another mount namespace, or only as the parent of a user
//! namespace. Each is made
//! for real, as root and unprivileged, and must be listed with its type by the default
//! listing, `-P`, `-J` and `-t`, as a namespace no process is in.

use std::fs;
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{
    self, require_root, require_unpriv, run, run_lsns_retrying, unpriv, unpriv_bin, wait_for, Procs, TempDir,
};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");

/// Who makes the namespaces and runs rs-lsns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    Root,
    /// Unprivileged (the invoking user, or uid 65534 when that is root), its namespaces in
    /// a user namespace of its own (`unshare -Ur`).
    Unpriv,
}

impl Who {
    fn lsns(self, args: &[&str]) -> (String, String, i32) {
        let mut c = match self {
            Who::Root => Command::new(BIN),
            Who::Unpriv => unpriv_bin(BIN),
        };
        c.args(args).env("LC_ALL", "C");
        run(&mut c)
    }
}

/// A scratch directory the unprivileged user may write in.
fn open_dir(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

/// The line of namespace `ino` in a listing whose first two columns are NS and TYPE.
fn line_of(out: &str, ino: u64) -> Option<&str> {
    out.lines().find(|l| l.split_whitespace().next() == Some(&ino.to_string()))
}

/// The checks every case makes: `ino`, of type `ty`, is listed by the default listing,
/// `-P`, `-J` and `-t TYPE`, with no member process (NPROCS 0, no PID).
fn assert_listed(who: Who, ino: u64, ty: &str) {
    let (out, err, rc) = who.lsns(&[]);
    assert_eq!((err.as_str(), rc), ("", 0), "{who:?}");
    let line = line_of(&out, ino).unwrap_or_else(|| panic!("{who:?}: {ino} missing from the default listing\n{out}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cells[1..3], [ty, "0"], "{who:?}: {line}");
    let (out, err, rc) = who.lsns(&["-P", "-r", "-n", "-o", "NS,TYPE,NPROCS,PID"]);
    assert_eq!((err.as_str(), rc), ("", 0));
    assert!(out.lines().any(|l| l == format!("{ino} {ty} 0 ")), "{who:?}: {ino} missing from -P\n{out}");
    let (out, _, rc) = who.lsns(&["-J", "-o", "NS,TYPE,NPROCS"]);
    assert_eq!(rc, 0);
    let want = format!("\"ns\": {ino},\n         \"type\": \"{ty}\",\n         \"nprocs\": 0\n");
    assert!(out.contains(&want), "{who:?}: {ino} missing from -J\n{out}");
    let (out, _, rc) = who.lsns(&["-t", ty, "-r", "-n", "-o", "NS,TYPE"]);
    assert_eq!(rc, 0);
    assert!(out.lines().any(|l| l == format!("{ino} {ty}")), "{who:?}: {ino} missing from -t {ty}\n{out}");
}

/// util-linux's lsns (2.38.1 here) does not list it: the difference README states.
fn assert_util_linux_misses(ino: u64) {
    let o = run_lsns_retrying(Command::new("/usr/bin/lsns").args(["-r", "-n", "-o", "NS"]), 60);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.lines().any(|l| l == ino.to_string()), "util-linux lists {ino} now: update README\n{out}");
}

/// What `ip netns add` does, inside a private mount namespace: a network namespace bound
/// to a file (on a tmpfs of that mount namespace, so that nothing is left on the host),
/// no process in it. Our own mount table does not show the mount; the NSFS column shows
/// the path as it is in the holder's mount namespace.
fn bind_mount_case(who: Who) {
    let dir = open_dir("lsns-hidden-mnt");
    let netns = dir.path().join("netns");
    let report = netns.join("ino");
    let script = format!(
        "mount -t tmpfs nsutils {d} && touch {d}/net && /usr/bin/unshare --net={d}/net true \
         && stat -L -c %i {d}/net > {d}/ino.tmp && mv {d}/ino.tmp {d}/ino && exec sleep 300",
        d = netns.display()
    );
    fs::create_dir(&netns).unwrap();
    fs::set_permissions(&netns, fs::Permissions::from_mode(0o777)).unwrap();
    let mut p = Procs::new();
    let mut cmd = match who {
        Who::Root => Command::new("/usr/bin/unshare"),
        Who::Unpriv => {
            let mut c = unpriv("/usr/bin/unshare");
            c.arg("-Ur");
            c
        }
    };
    p.spawn(cmd.args(["-m", "--propagation", "private", "sh", "-c", &script]));
    // (the report is written inside the holder's tmpfs: read it through its root)
    let holder_root = || {
        let pid = p.children[0].id();
        let text = fs::read_to_string(format!("/proc/{pid}/root{}", report.display())).ok()?;
        text.trim().parse::<u64>().ok()
    };
    let ino = wait_for("the bind mount in the private mount namespace", holder_root);
    assert!(!common::mount_points().iter().any(|m| m.starts_with(netns.to_str().unwrap())));
    assert_listed(who, ino, "net");
    let (out, _, rc) = who.lsns(&["-r", "-n", "-o", "NS,NSFS", "-t", "net"]);
    assert_eq!(rc, 0);
    assert!(out.lines().any(|l| l == format!("{ino} {}/net", netns.display())), "{who:?}: NSFS\n{out}");
    if who == Who::Root {
        assert_util_linux_misses(ino);
    }
}

#[test]
fn netns_bound_in_another_mount_namespace() {
    if require_root() {
        bind_mount_case(Who::Root);
    }
}

#[test]
fn netns_bound_in_another_mount_namespace_unprivileged() {
    if require_unpriv() {
        bind_mount_case(Who::Unpriv);
    }
}

/// `unshare -Ur unshare -Ur sleep`: the process passes through the middle user namespace
/// and leaves it, which its child user namespace (the sleep's) keeps alive. Listed
/// without `--tree` too.
fn nested_user_case(who: Who) {
    let mut p = Procs::new();
    let mut cmd = match who {
        Who::Root => Command::new("/usr/bin/unshare"),
        Who::Unpriv => unpriv("/usr/bin/unshare"),
    };
    // (-r: a user namespace is made only by a uid its parent maps)
    let sleep = p.start(cmd.args(["-Ur", "/usr/bin/unshare", "-Ur", "sleep", "300"]));
    let user = fs::File::open(format!("/proc/{sleep}/ns/user")).unwrap();
    let middle = nscore::sys::ns_get_parent(user.as_fd()).expect("NS_GET_PARENT");
    let ino = nix::sys::stat::fstat(middle.as_fd()).unwrap().st_ino;
    drop(middle);
    assert_ne!(Some(ino), common::ns_of("self", "user"));
    assert_listed(who, ino, "user");
    if who == Who::Root {
        assert_util_linux_misses(ino);
    }
}

#[test]
fn process_less_middle_user_namespace() {
    if require_root() {
        nested_user_case(Who::Root);
    }
}

#[test]
fn process_less_middle_user_namespace_unprivileged() {
    if require_unpriv() {
        nested_user_case(Who::Unpriv);
    }
}
