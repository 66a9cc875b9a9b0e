//! rs-lsns and live namespaces that no process's `/proc/PID/ns` shows, nor an fd, a
//! socket or a mount of our mount namespace, which util-linux's lsns does not list: held
//! only by a thread, only as a process's `time_for_children` or `pid_for_children`, only
//! by an nsfs bind mount in another mount namespace, or only as the parent of a user
//! namespace. Each is made for real, as root and unprivileged, and must be listed with
//! its type by the default listing, `-P`, `-J` and `-t`, as a namespace no process is in.

use std::fs;
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{
    self, require_root, require_unpriv, run, run_lsns_retrying, unpriv, unpriv_bin, wait_for, Procs, TempDir,
};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");
const PYTHON: &str = "/usr/bin/python3";

/// Holds a namespace the way argv says, writes its link's text to the file named last,
/// then sleeps. `thread FLAG LINK OUT`: a second thread calls `unshare(FLAG)` and reads
/// its own `/proc/self/task/TID/ns/LINK`; `main FLAG LINK OUT`: the process itself calls
/// it and reads `/proc/self/ns/LINK` (such as `time_for_children`), and neither forks nor
/// execs after.
const HOLDER: &str = r#"
import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None, use_errno=True)
how, flag, link, out = sys.argv[1], int(sys.argv[2], 0), sys.argv[3], sys.argv[4]
def hold(ns_dir):
    if libc.unshare(flag) != 0:
        sys.stderr.write("unshare: errno %d\n" % ctypes.get_errno())
        os._exit(3)
    with open(out + ".tmp", "w") as f:
        f.write(os.readlink(ns_dir() + "/" + link))
    os.rename(out + ".tmp", out)
    time.sleep(300)
if how == "thread":
    threading.Thread(target=hold, args=(lambda: "/proc/self/task/%d/ns" % threading.get_native_id(),), daemon=True).start()
    time.sleep(300)
else:
    hold(lambda: "/proc/self/ns")
"#;

const CLONE_NEWNET: &str = "0x40000000";
const CLONE_NEWTIME: &str = "0x80";

/// Two tests of `case`, one as root and one unprivileged.
macro_rules! both_ways {
    ($root:ident, $unpriv:ident, $case:ident) => {
        #[test]
        fn $root() {
            if require_root() {
                $case(Who::Root);
            }
        }

        #[test]
        fn $unpriv() {
            if require_unpriv() {
                $case(Who::Unpriv);
            }
        }
    };
}

/// Who makes the namespaces and runs rs-lsns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Who {
    Root,
    /// Unprivileged (the invoking user, or uid 65534 when that is root), its namespaces in
    /// a user namespace of its own (`unshare -Ur`).
    Unpriv,
}

impl Who {
    /// `program args...` as this user; the unprivileged user first enters a user
    /// namespace of its own (`unshare -Ur`), which gives it the right to make the others.
    fn command(self, program: &str, args: &[&str]) -> Command {
        let mut c = match self {
            Who::Root => Command::new(program),
            Who::Unpriv => {
                let mut c = unpriv("/usr/bin/unshare");
                c.args(["-Ur", program]);
                c
            }
        };
        c.args(args);
        c
    }

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

/// Starts the holder script (`how`: thread or main) and returns the inode it reports.
fn start_holder(p: &mut Procs, who: Who, dir: &TempDir, how: &str, flag: &str, link: &str) -> u64 {
    let out = dir.path().join(format!("{how}-{link}"));
    let out_s = out.to_str().unwrap();
    p.spawn(&mut who.command(PYTHON, &["-c", HOLDER, how, flag, link, out_s]));
    let text = wait_for("the holder to report its namespace", || fs::read_to_string(&out).ok());
    common::parse_ns_inode(&text)
}

/// The line of namespace `ino` in a listing whose first two columns are NS and TYPE.
fn line_of(out: &str, ino: u64) -> Option<&str> {
    out.lines().find(|l| l.split_whitespace().next() == Some(&ino.to_string()))
}

/// The checks every case makes: `ino`, of type `ty`, is listed by the default listing,
/// `-P`, `-J` and `-t TYPE`, with no member process (NPROCS 0, no PID).
fn assert_listed(who: Who, ino: u64, ty: &str) {
    assert_listed_with(who, ino, ty, &[]);
}

/// As [`assert_listed`], each listing asked with the options `with` too.
fn assert_listed_with(who: Who, ino: u64, ty: &str, with: &[&str]) {
    let lsns = |args: &[&str]| who.lsns(&[with, args].concat());
    let (out, err, rc) = lsns(&[]);
    assert_eq!((err.as_str(), rc), ("", 0), "{who:?}");
    let line = line_of(&out, ino).unwrap_or_else(|| panic!("{who:?}: {ino} missing from the default listing\n{out}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&cells[1..3], [ty, "0"], "{who:?}: {line}");
    let (out, err, rc) = lsns(&["-P", "-r", "-n", "-o", "NS,TYPE,NPROCS,PID"]);
    assert_eq!((err.as_str(), rc), ("", 0));
    assert!(out.lines().any(|l| l == format!("{ino} {ty} 0 ")), "{who:?}: {ino} missing from -P\n{out}");
    let (out, _, rc) = lsns(&["-J", "-o", "NS,TYPE,NPROCS"]);
    assert_eq!(rc, 0);
    let want = format!("\"ns\": {ino},\n         \"type\": \"{ty}\",\n         \"nprocs\": 0\n");
    assert!(out.contains(&want), "{who:?}: {ino} missing from -J\n{out}");
    let (out, _, rc) = lsns(&["-t", ty, "-r", "-n", "-o", "NS,TYPE"]);
    assert_eq!(rc, 0);
    assert!(out.lines().any(|l| l == format!("{ino} {ty}")), "{who:?}: {ino} missing from -t {ty}\n{out}");
}

/// util-linux's lsns (2.38.1 here) does not list it: the difference README states.
/// Asked as root only, who sees every namespace.
fn assert_util_linux_misses(who: Who, ino: u64) {
    if who != Who::Root {
        return;
    }
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
    assert_util_linux_misses(who, ino);
}

both_ways!(
    netns_bound_in_another_mount_namespace,
    netns_bound_in_another_mount_namespace_unprivileged,
    bind_mount_case
);

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
    assert_util_linux_misses(who, ino);
}

both_ways!(process_less_middle_user_namespace, process_less_middle_user_namespace_unprivileged, nested_user_case);

/// A thread that called `unshare(CLONE_NEWNET)`: its network namespace is in its own
/// `/proc/PID/task/TID/ns` only.
fn thread_case(who: Who) {
    let dir = open_dir("lsns-hidden-thread");
    let mut p = Procs::new();
    let ino = start_holder(&mut p, who, &dir, "thread", CLONE_NEWNET, "net");
    assert_listed(who, ino, "net");
    assert_util_linux_misses(who, ino);
}

both_ways!(netns_held_only_by_a_thread, netns_held_only_by_a_thread_unprivileged, thread_case);

/// Without `--children` no process's `*_for_children` link is read: `ino` is not
/// listed (the listing is util-linux's).
fn assert_only_with_for_children(who: Who, ino: u64, ty: &str) {
    let (out, err, rc) = who.lsns(&["-r", "-n", "-o", "NS"]);
    assert_eq!((err.as_str(), rc), ("", 0));
    assert!(!out.lines().any(|l| l == ino.to_string()), "{who:?}: {ino} listed without --children");
    assert_listed_with(who, ino, ty, &["--children"]);
}

/// A process that called `unshare(CLONE_NEWTIME)` and neither forked nor exec'd: the
/// new time namespace is only its `time_for_children`.
fn time_for_children_case(who: Who) {
    let dir = open_dir("lsns-hidden-time");
    let mut p = Procs::new();
    let ino = start_holder(&mut p, who, &dir, "main", CLONE_NEWTIME, "time_for_children");
    assert_ne!(Some(ino), common::ns_of("self", "time"));
    assert_only_with_for_children(who, ino, "time");
    assert_util_linux_misses(who, ino);
}

both_ways!(
    timens_held_only_as_time_for_children,
    timens_held_only_as_time_for_children_unprivileged,
    time_for_children_case
);

/// `unshare --pid` without `--fork`: the program stays outside, its first child is PID 1
/// of the new namespace. Once that child has exited, nothing is in the namespace, and
/// only the program's `pid_for_children` keeps it (the link reads from the first fork
/// on, so the holder forks `true` before it sleeps).
fn pid_for_children_case(who: Who) {
    let mut p = Procs::new();
    // (every program down to sleep execs in the same process)
    let sleep = p.start(&mut who.command("/usr/bin/unshare", &["--pid", "sh", "-c", "/bin/true; exec sleep 300"]));
    let link = wait_for("pid_for_children", || fs::read_link(format!("/proc/{sleep}/ns/pid_for_children")).ok());
    let ino = common::parse_ns_inode(link.to_str().unwrap());
    assert_ne!(common::ns_of(sleep, "pid"), Some(ino));
    assert_only_with_for_children(who, ino, "pid");
    assert_util_linux_misses(who, ino);
}

both_ways!(
    pidns_held_only_as_pid_for_children,
    pidns_held_only_as_pid_for_children_unprivileged,
    pid_for_children_case
);
