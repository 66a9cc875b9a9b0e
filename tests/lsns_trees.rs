//! rs-lsns trees on namespaces the tests build: the parent tree (only pid and user
//! namespaces nest), a user namespace no process is in that owns one with processes
//! (in inode order, and listed by -P), and the processes of a namespace whose parent
//! has the higher PID. As root and as uid 65534; compared with /usr/bin/lsns where
//! 2.38.1 prints the same, else with expected text built here.

use crate::common;

use std::process::Command;

use crate::common::{
    code, comm, ns_of, own_ns, require_root, require_unpriv, run_lsns_retrying, run_timeout, unpriv_bin, unpriv_name,
    wait_until, PidLab, Procs, TempDir,
};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");
const UL: &str = "/usr/bin/lsns";

/// `args` (program first), run as root or unprivileged ([`unpriv`]).
fn command(nobody: bool, args: &[&str]) -> Command {
    let mut c = if nobody { common::unpriv(args[0]) } else { Command::new(args[0]) };
    c.args(&args[1..]);
    c
}

/// rs-lsns's (or util-linux's) output, as root or unprivileged.
fn lsns(nobody: bool, bin: &str, args: &[&str]) -> String {
    let mut cmd = if nobody && bin == BIN { unpriv_bin(BIN) } else { command(nobody, &[bin]) };
    let o = run_lsns_retrying(cmd.args(args).env("LC_ALL", "C"), 60);
    assert_eq!(code(&o), 0, "{bin} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// A process in new user, pid, uts and net namespaces: in the parent tree its user and
/// pid namespaces nest under their parents, and uts, net and the initial namespaces
/// stand at the top level, each after its owner.
fn parent_tree(nobody: bool) {
    let mut p = Procs::new();
    let holder = ["/usr/bin/unshare", "-U", "-r", "-p", "-u", "-n", "-f", "--kill-child", "sleep", "600"];
    let top = p.spawn(&mut command(nobody, &holder));
    let kid = p.child_of(top).to_string();
    let sel = ["--tree=parent", "-p", &kid];
    let text = lsns(nobody, BIN, &[&sel[..], &["-o", "NS,TYPE,PNS,ONS"]].concat());
    let user = ns_of(top, "user").unwrap();
    let uts = ns_of(top, "uts").unwrap();
    assert!(text.contains(&format!("\n`-{user} user ")), "{text}");
    assert!(text.contains(&format!("\n{uts}   uts ")), "uts at the top level:\n{text}");
    // util-linux 2.38.1 lays out this tree the same way; these columns have the same
    // widths there
    for f in
        [&["-o", "NS,TYPE,PNS,ONS"][..], &["-n", "-o", "NS,TYPE,PNS,ONS"][..], &["-r", "-o", "NS,TYPE,USER,PNS"][..]]
    {
        let args = [&sel[..], f].concat();
        assert_eq!(lsns(nobody, BIN, &args), lsns(nobody, UL, &args), "{args:?}");
    }
    // (the initial namespaces' PID is the lowest the user sees: lsns itself for uid 65534)
    let args = [&sel[..], &["-J", "-o", "NS,TYPE,USER,PNS,ONS"]].concat();
    assert_eq!(lsns(nobody, BIN, &args), lsns(nobody, UL, &args));
}

#[test]
fn parent_tree_nests_only_pid_and_user_namespaces() {
    if require_root() {
        parent_tree(false);
    }
}

#[test]
fn parent_tree_nests_only_pid_and_user_namespaces_unprivileged() {
    if require_unpriv() {
        parent_tree(true);
    }
}

/// User namespace `u1` has no process of its own: it is kept by `u2`, which it owns and
/// which has one. `ux` was made in between. Every list of children is in inode order,
/// `u1` at its place with `u2` under it.
fn ancestor_without_processes(nobody: bool) {
    let mut p = Procs::new();
    // `a` makes u1, waits until `x` has made ux, then makes u2 inside u1
    let dir = TempDir::new("lsns-trees");
    let go = dir.path().join("go");
    let script = format!("while [ ! -e '{}' ]; do sleep 0.01; done; exec /usr/bin/unshare -U sleep 600", go.display());
    let a = p.spawn(&mut command(nobody, &["/usr/bin/unshare", "-r", "sh", "-c", &script]));
    let init = own_ns("user");
    wait_until("the first user namespace", || comm(a) == "sh");
    let u1 = ns_of(a, "user").unwrap();
    assert!(u1 != init);
    let x = p.start(&mut command(nobody, &["/usr/bin/unshare", "-U", "sleep", "600"]));
    std::fs::write(&go, "").unwrap();
    wait_until("the second user namespace", || comm(a) == "sleep");
    let (u2, ux) = (ns_of(a, "user").unwrap(), ns_of(x, "user").unwrap());
    assert!(u2 != u1);
    let q = format!("NS == {init} || NS == {u1} || NS == {ux} || NS == {u2}");
    let who = if nobody { unpriv_name() } else { "root".to_string() };

    // (NS, depth, last among its siblings) in print order
    // Lines come in inode order, each after its ancestors: a ghost is placed when the
    // first namespace under it is, so with recycled inode numbers (the kernel hands out
    // the lowest free one) it may precede a sibling of lower inode, as in the newest
    // util-linux (seen with u2 < ux < u1).
    let mut kids = [(u1, vec![u2]), (ux, vec![])];
    kids.sort_by_key(|(k, under)| under.iter().copied().chain([*k]).min());
    let mut lines = vec![(init, 0, true)];
    for (i, (k, under)) in kids.iter().enumerate() {
        lines.push((*k, 1, i == 1));
        lines.extend(under.iter().map(|&u| (u, 2, true)));
    }
    let glyphs = |depth: usize, last: bool, up_last: bool| match depth {
        0 => String::new(),
        1 => if last { "`-" } else { "|-" }.to_string(),
        _ => format!("{}`-", if up_last { "  " } else { "| " }),
    };
    let mut table = String::from("NS             TYPE USER\n");
    let mut noheadings = String::new();
    let mut raw = String::new();
    let mut up_last = true;
    for &(ns, depth, last) in &lines {
        let g = glyphs(depth, last, up_last);
        if depth == 1 {
            up_last = last;
        }
        table.push_str(&format!("{:<14} user {who}\n", format!("{g}{ns}")));
        // (without headings TYPE takes its width hint, 5)
        noheadings.push_str(&format!("{:<14} user  {who}\n", format!("{g}{ns}")));
        let g: String =
            g.bytes().map(|b| if b == b' ' { "\\x20".to_string() } else { (b as char).to_string() }).collect();
        raw.push_str(&format!("{g}{ns} user {who}\n"));
    }
    for tree in ["--tree=owner", "--tree=parent"] {
        let a = ["-t", "user", tree, "-Q", &q];
        assert_eq!(lsns(nobody, BIN, &[&a[..], &["-o", "NS,TYPE,USER"]].concat()), table, "{tree}");
        assert_eq!(lsns(nobody, BIN, &[&a[..], &["-r", "-n", "-o", "NS,TYPE,USER"]].concat()), raw, "{tree}");
        let n = lsns(nobody, BIN, &[&a[..], &["-n", "-o", "NS,TYPE,USER"]].concat());
        assert_eq!(n, noheadings, "{tree}");
        let json = lsns(nobody, BIN, &[&a[..], &["-J", "-o", "NS"]].concat());
        let (k0, k1) = (kids[0].0, kids[1].0);
        let inner = |k: u64, under: &[u64]| {
            match under {
            [] => format!("            {{\n               \"ns\": {k}\n            }}"),
            [u] => format!(
                "            {{\n               \"ns\": {k},\n               \"children\": [\n                  {{\n                     \"ns\": {u}\n                  }}\n               ]\n            }}"
            ),
            _ => unreachable!(),
        }
        };
        let first = inner(k0, &kids[0].1);
        let second = inner(k1, &kids[1].1);
        let expect = format!(
            "{{\n   \"namespaces\": [\n      {{\n         \"ns\": {init},\n         \"children\": [\n{first},{}\n         ]\n      }}\n   ]\n}}\n",
            second.trim_start()
        );
        assert_eq!(json, expect, "{tree}");
        // -P: the namespace without processes, under its ancestors as context
        let persistent = lsns(nobody, BIN, &[&a[..], &["-P", "-o", "NS,TYPE,NPROCS,USER"]].concat());
        let got: Vec<&str> = persistent.lines().collect();
        // (the initial namespace's NPROCS depends on the machine)
        let want = ("NS           TYPE NPROCS USER", format!("`-{u1} user      0 {who}"));
        assert_eq!((got.len(), got[0], got[2]), (3, want.0, want.1.as_str()), "{tree}: {persistent}");
        assert!(got[1].starts_with(&format!("{init}   user ")), "{persistent}");
    }
}

#[test]
fn ancestor_without_processes_in_inode_order() {
    if require_root() {
        ancestor_without_processes(false);
    }
}

#[test]
fn ancestor_without_processes_in_inode_order_unprivileged() {
    if require_unpriv() {
        ancestor_without_processes(true);
    }
}

/// `bin args NS` run in the lab: the listing of namespace `ns`'s members.
fn members_in_lab(lab: &PidLab, bin: &str, args: &[&str], ns: &str) -> String {
    let o = run_timeout(lab.command(bin).args(args).arg(ns), 60);
    assert_eq!(code(&o), 0, "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// In a PID namespace of its own: process 500 in a new uts namespace has children 100
/// (with a child 50) and 700; process 30 joined the namespace from outside.
const WRAPPED: &str = r#"echo 499 > /proc/sys/kernel/ns_last_pid
unshare -u sh -c '
echo 99 > /proc/sys/kernel/ns_last_pid
sh -c "echo 49 > /proc/sys/kernel/ns_last_pid; sleep 600 & exec sleep 601" &
while [ ! -e /proc/50 ]; do :; done
echo 699 > /proc/sys/kernel/ns_last_pid
sleep 602 &
exec sleep 603' &
while [ ! -e /proc/700 ]; do :; done
echo 29 > /proc/sys/kernel/ns_last_pid
nsenter -t 500 -u sleep 604 &"#;

#[test]
fn children_with_lower_pids_nest_under_their_parent() {
    if !require_root() {
        return;
    }
    let lab = PidLab::new(WRAPPED, &[30, 50, 100, 500, 700]);
    let uts = lab.ns(500, "uts").unwrap().to_string();
    let out = |bin: &str, args: &[&str]| members_in_lab(&lab, bin, args, &uts);
    let expect = "PID PPID USER COMMAND
 30    1 root sleep 604
500    1 root sleep 603
100  500 root |-sleep 601
 50  100 root | `-sleep 600
700  500 root `-sleep 602
";
    assert_eq!(out(BIN, &[]), expect);
    // the order holds without a column to draw the tree in; -l keeps /proc order
    assert_eq!(out(BIN, &["-n", "-o", "PID"]), "   30\n  500\n  100\n   50\n  700\n");
    assert_eq!(out(BIN, &["-n", "-l", "-o", "PID"]), "   30\n   50\n  100\n  500\n  700\n");
    // util-linux 2.38.1 nests them the same way
    for f in [&["-r"][..], &["-J"][..], &["-r", "-o", "PID,PPID"][..], &["-J", "-o", "PID"][..], &["-r", "-l"][..]] {
        assert_eq!(out(BIN, f), out(UL, f), "{f:?}");
    }
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
    if !require_root() {
        return;
    }
    let lab = PidLab::new(JOINED_BETWEEN, &[500, 600, 700]);
    let uts = lab.ns(500, "uts").unwrap().to_string();
    let out = |bin: &str, args: &[&str]| members_in_lab(&lab, bin, args, &uts);
    assert_eq!(
        out(BIN, &["-o", "PID,PPID,COMMAND"]),
        "PID PPID COMMAND\n500    1 sleep 602\n700  500 `-sleep 601\n600    1 sleep 603\n"
    );
    assert_eq!(out(BIN, &["-n", "-o", "PID"]), "  500\n  600\n  700\n");
    assert_eq!(out(BIN, &["-r", "-o", "PID,PPID"]), "PID PPID\n500 1\n600 1\n700 500\n");
    for f in [&["-r", "-o", "PID,PPID"][..], &["-J", "-o", "PID"], &["-r", "-n", "-o", "PID,USER"], &["-r"]] {
        assert_eq!(out(BIN, f), out(UL, f), "{f:?}");
    }
}
