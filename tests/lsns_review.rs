//! rs-lsns details found in review: behaviour util-linux has that the tool lacked.

mod common;

use std::process::{Child, Command, Stdio};

use common::{as_nobody, comm, ns_of, require_root, require_unpriv, run, wait_until};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");

/// A `sleep` in a uts namespace of its own, killed by PID and reaped on drop.
struct Holder(Child);

impl Holder {
    fn start(mut cmd: Command) -> Holder {
        let child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
        let pid = child.id();
        wait_until("the holder to exec sleep", || comm(pid) == "sleep");
        Holder(child)
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An empty `-Q` is no filter, as in util-linux (and it cancels an earlier `-Q`): every
/// line is listed, status 0. A blank one is still a syntax error.
fn empty_filter_lists_everything(lsns: impl Fn() -> Command, holder: &Holder, uts: u64) {
    let pid = holder.pid();
    let listing = |extra: &[&str]| {
        let mut c = lsns();
        run(c.args(["-n", "-r", "-o", "NS,TYPE", "-t", "uts", "-p", &pid]).args(extra))
    };
    let want = (format!("{uts} uts\n"), String::new(), 0);
    assert_eq!(listing(&[]), want);
    assert_eq!(listing(&["-Q", ""]), want);
    assert_eq!(listing(&["-Q", "NS == 1", "-Q", ""]), want);
    assert_eq!(listing(&["-Q", "", "-Q", "NS == 1"]), (String::new(), String::new(), 0));
    let (out, err, rc) = listing(&["-Q", " "]);
    assert_eq!((out.as_str(), rc), ("", 1));
    assert!(err.ends_with(": failed to parse \" \": syntax error, unexpected end of file\n"), "{err}");
}

#[test]
fn empty_filter_is_no_filter_as_root() {
    if !require_root("empty_filter_is_no_filter_as_root") {
        return;
    }
    let mut cmd = Command::new("/usr/bin/unshare");
    cmd.args(["-u", "sleep", "300"]);
    let holder = Holder::start(cmd);
    let uts = ns_of(holder.0.id() as i32, "uts").unwrap();
    empty_filter_lists_everything(|| Command::new(BIN), &holder, uts);
}

#[test]
fn empty_filter_is_no_filter_unprivileged() {
    if !require_unpriv("empty_filter_is_no_filter_unprivileged") {
        return;
    }
    let mut cmd = as_nobody("/usr/bin/unshare");
    cmd.args(["-U", "-u", "sleep", "300"]);
    let holder = Holder::start(cmd);
    let uts = ns_of(holder.0.id() as i32, "uts").unwrap();
    empty_filter_lists_everything(|| as_nobody(BIN), &holder, uts);
}

/// In a PID namespace of its own: process 500 in a new uts namespace, its child 700, and
/// process 600, which joined the namespace from outside in between.
const JOINED_BETWEEN: &str = r#"echo 499 > /proc/sys/kernel/ns_last_pid
unshare -u sh -c '
while [ ! -e /proc/600 ]; do :; done
echo 699 > /proc/sys/kernel/ns_last_pid
sleep 601 &
exec sleep 602' &
while [ "$(readlink /proc/500/ns/uts)" = "$(readlink /proc/1/ns/uts)" ]; do :; done
echo 599 > /proc/sys/kernel/ns_last_pid
nsenter -t 500 -u sleep 603 &"#;

/// Without a column to draw the tree in, the members of a namespace come in /proc order
/// (a parent member before its child, wherever it comes), as util-linux lists them; the
/// tree column nests the child under its parent instead.
#[test]
fn members_without_a_tree_column_in_proc_order() {
    if !require_root("members_without_a_tree_column_in_proc_order") {
        return;
    }
    let lab = common::PidLab::new(JOINED_BETWEEN, &[500, 600, 700]);
    let uts = lab.ns(500, "uts").to_string();
    let out = |bin: &str, args: &[&str]| {
        let o = common::run_timeout(lab.command(bin).args(args).arg(&uts), 60);
        assert_eq!(common::code(&o), 0, "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    assert_eq!(
        out(BIN, &["-o", "PID,PPID,COMMAND"]),
        "PID PPID COMMAND\n500    1 sleep 602\n700  500 `-sleep 601\n600    1 sleep 603\n"
    );
    assert_eq!(out(BIN, &["-n", "-o", "PID"]), "  500\n  600\n  700\n");
    assert_eq!(out(BIN, &["-r", "-o", "PID,PPID"]), "PID PPID\n500 1\n600 1\n700 500\n");
    for f in [&["-r", "-o", "PID,PPID"][..], &["-J", "-o", "PID"], &["-r", "-n", "-o", "PID,USER"], &["-r"]] {
        assert_eq!(out(BIN, f), out("/usr/bin/lsns", f), "{f:?}");
    }
}
