//! rs-lsns against namespaces these tests create themselves (held by processes, open
//! fds, sockets, bind mounts and `ip netns`), in every output format, as root and as
//! uid 65534, and against /usr/bin/lsns (util-linux 2.38.1) where it prints the same as
//! the newest util-linux (which we follow).
//! Other processes come and go on the machine, so every check is filtered to the
//! test's own namespaces (`-p`, `-Q` or a positional namespace).

use std::ffi::OsString;
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::process::{Command, Stdio};

use crate::common::{
    code, lsns_width, ns_of, own_ns, require_root, require_root_for, require_unpriv, run, run_lsns_retrying,
    run_timeout, sh, unpriv, unpriv_bin, unpriv_name, wait_until, Mounted, Netns, Procs, TempDir,
};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");
const UL: &str = "/usr/bin/lsns";

/// Runs rs-lsns in the C locale (ASCII tree glyphs).
fn lsns(args: &[&str]) -> (String, String, i32) {
    run(Command::new(BIN).args(args).env("LC_ALL", "C"))
}

fn lsns_bytes(args: &[&str]) -> Vec<u8> {
    let o = run_timeout(Command::new(BIN).args(args).env("LC_ALL", "C"), 60);
    assert_eq!(code(&o), 0, "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// The oracle's output (tried again while 2.38.1 gives up on a vanished process).
fn util_linux_bytes(args: &[&str]) -> Vec<u8> {
    let o = run_lsns_retrying(Command::new(UL).args(args).env("LC_ALL", "C"), 60);
    assert_eq!(code(&o), 0, "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// Both tools print the same bytes for `args`.
fn assert_same_as_util_linux(args: &[&str]) {
    assert_eq!(
        String::from_utf8_lossy(&lsns_bytes(args)),
        String::from_utf8_lossy(&util_linux_bytes(args)),
        "{args:?}"
    );
}

/// A holder in new uts, ipc and net namespaces: its PID and those three inodes.
fn uts_ipc_net_holder(p: &mut Procs) -> (i32, [u64; 3]) {
    let pid = p.start(Command::new("/usr/bin/unshare").args(["-u", "-i", "-n", "sleep", "300"]));
    let ns = [ns_of(pid, "uts").unwrap(), ns_of(pid, "ipc").unwrap(), ns_of(pid, "net").unwrap()];
    assert!(ns[0] != own_ns("uts") && ns[2] != own_ns("net"));
    (pid, ns)
}

fn sorted_by_inode(ns: [u64; 3]) -> Vec<(u64, &'static str)> {
    let mut v = vec![(ns[0], "uts"), (ns[1], "ipc"), (ns[2], "net")];
    v.sort();
    v
}

/// util-linux's raw escaping of a value we built ourselves.
fn raw_escape(s: &str) -> String {
    s.bytes()
        .map(|b| if (0x21..0x7f).contains(&b) && b != b'\\' { (b as char).to_string() } else { format!("\\x{b:02x}") })
        .collect()
}

#[test]
fn process_held_namespaces_in_every_format() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    let (pid, ns) = uts_ipc_net_holder(&mut p);
    let sel = ["-p", &pid.to_string(), "-t", "uts", "-t", "ipc", "-t", "net"].map(String::from);
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = sel.to_vec();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let call = |extra: &[&str]| {
        let a = args(extra);
        let r: Vec<&str> = a.iter().map(String::as_str).collect();
        let (out, err, rc) = lsns(&r);
        assert_eq!((rc, err.as_str()), (0, ""), "{r:?}");
        out
    };
    let lines = sorted_by_inode(ns);

    // table: NETNSID and NSFS join the defaults with -t net
    let w = lsns_width(pid.to_string().len(), Some(3), 5);
    let mut expect = format!("        NS TYPE NPROCS {:>w$} USER    NETNSID NSFS COMMAND\n", "PID");
    for (ino, t) in &lines {
        let id = if *t == "net" { "unassigned" } else { "" };
        expect.push_str(&format!("{ino} {t:<4}      1 {pid:>w$} root {id:>10}      sleep 300\n"));
    }
    assert_eq!(call(&[]), expect);

    // raw
    let mut expect = String::from("NS TYPE NPROCS PID USER NETNSID NSFS COMMAND\n");
    for (ino, t) in &lines {
        let id = if *t == "net" { "unassigned" } else { "" };
        expect.push_str(&format!("{ino} {t} 1 {pid} root {id}  sleep\\x20300\n"));
    }
    assert_eq!(call(&["-r"]), expect);

    // -n -o, and list
    let expect: String = lines.iter().map(|(ino, t)| format!("{ino} {t:<5} /proc/{pid}/ns/{t}\n")).collect();
    // (without headings TYPE takes its width hint, 5, for values wider than 1)
    assert_eq!(call(&["-n", "-o", "ns,TYPE,path"]), expect);
    assert_eq!(call(&["-l", "-n", "-o", "ns,TYPE,path"]), expect);

    // JSON, pretty, compact and lines
    let objs: Vec<String> = lines
        .iter()
        .map(|(ino, t)| format!("{{\"ns\":{ino},\"type\":\"{t}\",\"nprocs\":1,\"pid\":{pid},\"nsfs\":null}}"))
        .collect();
    let mut pretty = String::from("{\n   \"namespaces\": [\n");
    for (i, (ino, t)) in lines.iter().enumerate() {
        pretty.push_str(if i == 0 { "      {\n" } else { "},{\n" });
        pretty.push_str(&format!(
            "         \"ns\": {ino},\n         \"type\": \"{t}\",\n         \"nprocs\": 1,\n         \"pid\": {pid},\n         \"nsfs\": null\n      "
        ));
    }
    pretty.push_str("}\n   ]\n}\n");
    let j = ["-J", "-o", "NS,TYPE,NPROCS,PID,NSFS"];
    assert_eq!(call(&j), pretty);
    let env_json = |style: &str| {
        let a = args(&j);
        let o = run_timeout(Command::new(BIN).args(&a).env("LIBSMARTCOLS_JSON", style), 60);
        String::from_utf8(o.stdout).unwrap()
    };
    assert_eq!(env_json("lines"), objs.iter().map(|o| format!("{o}\n")).collect::<String>());
    assert_eq!(env_json("compact"), format!("{{\"namespaces\":[\n{}\n]}}\n", objs.join(",\n")));
}

#[test]
fn differential_against_util_linux() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    let (pid, _) = uts_ipc_net_holder(&mut p);
    let pid = pid.to_string();
    let base = ["-p", pid.as_str(), "-t", "uts", "-t", "ipc", "-t", "net"];
    let cols = "NS,TYPE,PATH,NPROCS,PID,PPID,COMMAND,UID,USER,NETNSID,PNS,ONS";
    // 2.38.1 pads some table columns by width hints (a 4-digit PID gets 5 columns, a PNS
    // of 0 the header's 3 under -n): -n -o is compared for the columns where it agrees
    // with newer util-linux
    let mut cases = vec![vec!["-r"], vec!["-J"], vec!["-r", "-o", cols], vec!["-J", "-o", cols]];
    for c in ["NS", "TYPE", "PATH", "COMMAND", "USER", "NETNSID", "ONS"] {
        cases.push(vec!["-n", "-o", c]);
    }
    cases.push(vec!["-n", "-o", "NS,ONS"]);
    for extra in cases {
        let mut a: Vec<&str> = base.to_vec();
        a.extend(extra);
        assert_eq!(String::from_utf8_lossy(&lsns_bytes(&a)), String::from_utf8_lossy(&util_linux_bytes(&a)), "{a:?}");
    }
    // the processes of one namespace
    let uts = ns_of(&pid, "uts").unwrap().to_string();
    for a in [
        vec!["-r", uts.as_str()],
        vec!["-J", uts.as_str()],
        vec!["-r", "-o", cols, uts.as_str()],
        vec!["-n", "-o", "COMMAND", uts.as_str()],
    ] {
        assert_same_as_util_linux(&a);
    }
}

#[test]
fn owner_and_parent_trees_with_ghost_namespaces() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    // an outer user namespace that no process stays in: it is a "ghost" parent
    let outer = p.spawn(Command::new("/usr/bin/unshare").args([
        "-U",
        "-r",
        "/usr/bin/unshare",
        "-U",
        "-r",
        "-p",
        "-f",
        "--kill-child",
        "sleep",
        "300",
    ]));
    let kid = p.child_of(outer);
    let inner_user = ns_of(outer, "user").unwrap();
    let parent_user = {
        let f = fs::File::open(format!("/proc/{outer}/ns/user")).unwrap();
        let up = nscore::sys::ns_get_parent(std::os::fd::AsFd::as_fd(&f)).unwrap();
        nix::sys::stat::fstat(std::os::fd::AsFd::as_fd(&up)).unwrap().st_ino
    };
    let init_user = own_ns("user");
    let host_pid = own_ns("pid");
    let kid_pid = ns_of(kid, "pid").unwrap();
    let k = kid.to_string();

    // parent tree of user namespaces: init -> ghost (no process) -> inner
    let out = lsns_bytes(&["-r", "-n", "-o", "NS,NPROCS", "-p", &k, "-t", "user", "--tree=parent"]);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with(&format!("{init_user} ")), "{text}");
    assert_eq!(lines[1..], [format!("`-{parent_user} 0"), format!("\\x20\\x20`-{inner_user} 2")], "{text}");
    // parent tree of pid namespaces, UTF-8 glyphs
    let o = run_timeout(
        Command::new(BIN).args(["-n", "-o", "NS", "-p", &k, "-t", "pid", "--tree=parent"]).env("LC_ALL", "C.UTF-8"),
        60,
    );
    assert_eq!(String::from_utf8(o.stdout).unwrap(), format!("{host_pid}\n└─{kid_pid}\n"));
    // owner tree: the child's pid namespace belongs to the inner user namespace;
    // with -t pid alone the user namespaces are filtered out and the list is flat
    let out = lsns_bytes(&["-r", "-n", "-o", "NS,TYPE", "-p", &k, "-t", "pid", "-t", "user", "-Towner"]);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(&format!("\\x20\\x20`-{kid_pid} pid\n")), "{text}");
    let out = lsns_bytes(&["-r", "-n", "-o", "NS", "-p", &k, "-t", "pid", "-T"]);
    assert_eq!(String::from_utf8(out).unwrap(), format!("{kid_pid}\n"));
    // JSON nests children in tree mode
    let out = String::from_utf8(lsns_bytes(&["-J", "-o", "NS", "-p", &k, "-t", "pid", "--tree=parent"])).unwrap();
    assert!(out.contains(&format!("\"children\": [\n            {{\n               \"ns\": {kid_pid}\n")), "{out}");
    // PNS and ONS
    let out = lsns_bytes(&["-n", "-r", "-o", "NS,PNS,ONS", "-p", &k, "-t", "pid"]);
    assert!(String::from_utf8(out).unwrap().contains(&format!("{kid_pid} {host_pid} {inner_user}\n")));
}

#[test]
fn process_tree_of_one_namespace() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    let parent = p.start(Command::new("/usr/bin/unshare").args(["-u", "sleep", "300"]));
    let uts = ns_of(parent, "uts").unwrap();
    // a second member, started by nsenter so it is no child of the first
    let other = p.start(Command::new("nsenter").args(["-t", &parent.to_string(), "-u", "sleep", "301"]));
    let (out, err, rc) = lsns(&["-r", &uts.to_string()]);
    assert_eq!((rc, err.as_str()), (0, ""));
    let me = std::process::id();
    assert_eq!(
        out,
        format!("PID PPID USER COMMAND\n{parent} {me} root sleep\\x20300\n{other} {me} root sleep\\x20301\n")
    );
    // a namespace only a mount keeps prints nothing; an unknown one is an error
    let (out, err, rc) = lsns(&["1"]);
    assert_eq!((out.as_str(), err.as_str(), rc), ("", "rs-lsns: not found namespace: 1\n", 1));
}

#[test]
fn nested_processes_in_a_namespace() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    let top = p.spawn(Command::new("/usr/bin/unshare").args(["-u", "--fork", "--kill-child", "sleep", "300"]));
    let kid = p.child_of(top);
    let uts = ns_of(kid, "uts").unwrap();
    // unshare is a member too: it unshared before forking
    let (out, _, rc) = lsns(&["-n", "-o", "PID,COMMAND", &uts.to_string()]);
    assert_eq!(rc, 0);
    let w = lsns_width(top.to_string().len().max(kid.to_string().len()), None, 5);
    let unshare_line = format!("{top:>w$} /usr/bin/unshare -u --fork --kill-child sleep 300\n");
    assert_eq!(out, format!("{unshare_line}{kid:>w$} `-sleep 300\n"));
    let (out, _, _) = lsns(&["-l", "-n", "-o", "PID,COMMAND", &uts.to_string()]);
    assert_eq!(out, format!("{unshare_line}{kid:>w$} sleep 300\n"));
    let out =
        run_timeout(Command::new(BIN).args(["-n", "-o", "PID,COMMAND", &uts.to_string()]).env("LC_ALL", "C.UTF-8"), 60);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{unshare_line}{kid:>w$} └─sleep 300\n"));
}

#[test]
fn namespace_held_only_by_an_open_fd() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    let first = p.start(Command::new("/usr/bin/unshare").args(["-u", "sleep", "300"]));
    let uts = ns_of(first, "uts").unwrap();
    let keeper = p.start(Command::new("bash").args(["-c", &format!("exec 3</proc/{first}/ns/uts; exec sleep 300")]));
    // the first holder goes away; only the keeper's fd 3 pins the namespace now
    p.stop(first);
    let q = format!("NS == {uts}");
    let (out, err, rc) = lsns(&["-r", "-n", "-o", "NS,TYPE,NPROCS,PID,USER,COMMAND,PATH", "-Q", &q]);
    assert_eq!((out, err, rc), (format!("{uts} uts 0  root  \n"), String::new(), 0));
    // -P lists it; the positional form finds it but it has no processes
    let (out, _, _) = lsns(&["-P", "-r", "-n", "-o", "NS", "-t", "uts", "-Q", &q]);
    assert_eq!(out, format!("{uts}\n"));
    assert_eq!(lsns(&[&uts.to_string()]), (String::new(), String::new(), 0));
    // and -p of the keeper does not list it: it is not the keeper's namespace
    let (out, _, _) = lsns(&["-r", "-n", "-o", "NS", "-p", &keeper.to_string(), "-Q", &q]);
    assert_eq!(out, "");
}

#[test]
fn network_namespace_held_only_by_a_socket() {
    if !require_root() {
        return;
    }
    // the socket is made in a new netns, then the process returns to ours
    let script = "import ctypes,os,socket,sys,time\n\
libc = ctypes.CDLL(None, use_errno=True)\n\
orig = os.open('/proc/self/ns/net', os.O_RDONLY)\n\
assert libc.unshare(0x40000000) == 0\n\
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
ino = os.stat('/proc/self/ns/net').st_ino\n\
assert libc.setns(orig, 0x40000000) == 0\n\
os.close(orig)\n\
print(ino, flush=True)\n\
time.sleep(300)\n";
    let mut p = Procs::new();
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let stdout = child.stdout.take().unwrap();
    p.children.push(child);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    let ino: u64 = line.trim().parse().expect("inode from the helper");
    let (out, err, rc) = lsns(&["-r", "-n", "-o", "NS,TYPE,NPROCS,PID,USER,COMMAND", "-Q", &format!("NS == {ino}")]);
    assert_eq!((out, err, rc), (format!("{ino} net 0  root \n"), String::new(), 0));
}

#[test]
fn bind_mounted_namespace_with_hostile_mount_point() {
    if !require_root() {
        return;
    }
    let dir = TempDir::new("lsns-bind");
    let sub = dir.path().join("a b\\c");
    fs::create_dir(&sub).unwrap();
    let file = sub.join("uts ns");
    fs::write(&file, "").unwrap();
    let _m = Mounted(vec![file.clone()]);
    sh(&["/usr/bin/unshare", &format!("--uts={}", file.display()), "true"]);
    let ino = nix::sys::stat::stat(&file).unwrap().st_ino;
    let q = format!("NS == {ino}");
    let (out, err, rc) = lsns(&["-P", "-r", "-n", "-o", "NS,TYPE,NPROCS,NSFS", "-Q", &q]);
    let escaped = raw_escape(&file.display().to_string());
    assert_eq!((out, err, rc), (format!("{ino} uts 0 {escaped}\n"), String::new(), 0));
    let (out, _, _) = lsns(&["-n", "-o", "NSFS", "-Q", &q]);
    assert_eq!(out, format!("{}\n", file.display()));
    let (out, _, _) = lsns(&["-J", "-o", "NS,PID,NSFS", "-Q", &q]);
    // uid 65534 cannot reach the mount point (0700 directory): not listed, no complaint
    fs::set_permissions(&sub, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let o = run_timeout(unpriv_bin(BIN).args(["-P", "-r", "-n", "-o", "NS", "-Q", &q]), 60);
    assert_eq!((code(&o), o.stdout.len(), String::from_utf8_lossy(&o.stderr).into_owned()), (0, 0, String::new()));
    let json_path = file.display().to_string().replace('\\', "\\\\");
    assert_eq!(
        out,
        format!("{{\n   \"namespaces\": [\n      {{\n         \"ns\": {ino},\n         \"pid\": null,\n         \"nsfs\": \"{json_path}\"\n      }}\n   ]\n}}\n")
    );
}

#[test]
fn ip_netns_with_id_and_two_mount_points() {
    if !require_root() {
        return;
    }
    let name = format!("nsutils-lsns-{}", std::process::id());
    // an id unlikely to collide with anything else on the machine
    let id = 1000 + std::process::id() % 50000;
    sh(&["ip", "netns", "add", &name]);
    let _ns = Netns(name.clone());
    sh(&["ip", "netns", "set", &name, &id.to_string()]);
    let run_path = format!("/run/netns/{name}");
    let ino = nix::sys::stat::stat(run_path.as_str()).unwrap().st_ino;
    let dir = TempDir::new("lsns-netns");
    let second = dir.path().join("XYZ");
    fs::write(&second, "").unwrap();
    let _m = Mounted(vec![second.clone()]);
    nix::mount::mount(Some(run_path.as_str()), &second, None::<&str>, nix::mount::MsFlags::MS_BIND, None::<&str>)
        .unwrap();
    let q = format!("NETNSID == '{id}'");
    let (out, err, rc) = lsns(&["--raw", "--noheadings", "--filter", &q, "--output", "NETNSID,TYPE,NSFS"]);
    assert_eq!((out, err, rc), (format!("{id} net {run_path},{}\n", second.display()), String::new(), 0));
    // the table puts each mount point on a line of its own unless -W
    let nsq = format!("NS == {ino}");
    let (out, _, _) = lsns(&["-n", "-o", "NS,NSFS,NPROCS", "-Q", &nsq]);
    let w = run_path.len().max(second.display().to_string().len());
    assert_eq!(out, format!("{ino} {run_path:<w$} 0\n{:10} {:<w$} \n", "", second.display()));
    let (out, _, _) = lsns(&["-n", "-W", "-o", "NSFS", "-Q", &nsq]);
    assert_eq!(out, format!("{run_path},{}\n", second.display()));
    // JSON stays valid: one string with an escaped newline
    let (out, _, _) = lsns(&["-J", "-o", "NSFS", "-Q", &nsq]);
    assert!(out.contains(&format!("\"nsfs\": \"{run_path}\\n{}\"", second.display())), "{out}");
    // numbers compare as NETNSID strings too, and the filter needs no visible column
    let (out, _, _) = lsns(&["-r", "-n", "-o", "NS", "-Q", &format!("NETNSID == {id} && TYPE == \"net\"")]);
    assert_eq!(out, format!("{ino}\n"));
}

#[test]
fn hostile_command_lines() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    let weird = OsString::from_vec(b"we\x01ird )\nname\xff \"q\" back\\sl \xc3\xa9\ttab".to_vec());
    let pid = p.start(
        Command::new("/usr/bin/unshare")
            .args(["-u", "bash", "-c", "exec -a \"$WEIRD\" sleep 300"])
            .env("WEIRD", &weird),
    );
    let pid_s = pid.to_string();
    let a = ["-p", pid_s.as_str(), "-t", "uts", "-o", "NS,PID,COMMAND"];
    let uts = ns_of(pid, "uts").unwrap();
    let raw = String::from_utf8(lsns_bytes(&[&a[..], &["-r", "-n"]].concat())).unwrap();
    assert_eq!(
        raw,
        format!(
            "{uts} {pid} we\\x01ird\\x20)\\x0aname\\xff\\x20\"q\"\\x20back\\x5csl\\x20\\xc3\\xa9\\x09tab\\x20300\n"
        )
    );
    let table = String::from_utf8(lsns_bytes(&[&a[..], &["-n"]].concat())).unwrap();
    let pid = format!("{pid:>w$}", w = lsns_width(pid_s.len(), None, 5));
    assert_eq!(table, format!("{uts} {pid} we\\x01ird )\\x0aname\\xff \"q\" back\\sl \\xc3\\xa9\\x09tab 300\n"));
    let o = run_timeout(Command::new(BIN).args([&a[..], &["-n"]].concat()).env("LC_ALL", "C.UTF-8"), 60);
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!("{uts} {pid} we\\x01ird )\\x0aname\\xff \"q\" back\\sl é\\x09tab 300\n")
    );
    // JSON escapes controls, quotes and backslashes, and spells out the byte that is not
    // UTF-8 (util-linux writes it as it is, which is not JSON)
    let json = lsns_bytes(&[&a[..], &["-J"]].concat());
    let needle: &[u8] = b"\"command\": \"we\\u0001ird )\\nname\\\\xff \\\"q\\\" back\\\\sl \xc3\xa9\\ttab 300\"";
    assert!(json.windows(needle.len()).any(|w| w == needle), "{}", String::from_utf8_lossy(&json));
    // the same bytes as util-linux, but for that one
    assert_same_as_util_linux(&[&a[..], &["-r"]].concat());
    let ul = util_linux_bytes(&[&a[..], &["-J"]].concat());
    let ul: Vec<u8> = ul.iter().flat_map(|&b| if b == 0xff { b"\\\\xff".to_vec() } else { vec![b] }).collect();
    assert_eq!(String::from_utf8(json).unwrap(), String::from_utf8(ul).unwrap());
}

#[test]
fn unprivileged_user_sees_own_namespaces_quietly() {
    if !require_unpriv() {
        return;
    }
    let mut p = Procs::new();
    let mine = p.start(unpriv("/usr/bin/unshare").args(["-U", "-r", "-u", "sleep", "300"]));
    let my_uts = ns_of(mine, "uts").unwrap();
    let my_user = ns_of(mine, "user").unwrap();
    let o = run_timeout(
        unpriv_bin(BIN).args([
            "-r",
            "-n",
            "-o",
            "NS,TYPE,NPROCS,PID,USER",
            "-p",
            &mine.to_string(),
            "-t",
            "uts",
            "-t",
            "user",
        ]),
        60,
    );
    assert_eq!(code(&o), 0);
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
    let me = unpriv_name();
    let mut expect = [format!("{my_user} user 1 {mine} {me}\n"), format!("{my_uts} uts 1 {mine} {me}\n")];
    expect.sort();
    assert_eq!(String::from_utf8(o.stdout).unwrap(), expect.concat());
    // a full listing works too
    let o = run_timeout(unpriv_bin(BIN).args(["--output-all"]), 60);
    assert_eq!((code(&o), String::from_utf8_lossy(&o.stderr).into_owned()), (0, String::new()));
    if !require_root_for("its part with a namespace of root's") {
        return;
    }
    let root_holder = p.start(Command::new("/usr/bin/unshare").args(["-u", "sleep", "300"]));
    let root_uts = ns_of(root_holder, "uts").unwrap();
    // root's namespace is invisible to uid 65534, and nothing complains (JSON says so
    // with an empty list)
    let empty = "{\n   \"namespaces\": [\n\n   ]\n}\n";
    for (args, out) in [(vec!["-r", "-n", "-o", "NS", "-Q"], ""), (vec!["-J", "--tree=owner", "-Q"], empty)] {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        a.push(format!("NS == {root_uts}"));
        let o = run_timeout(unpriv_bin(BIN).args(&a), 60);
        let got = (
            code(&o),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        );
        assert_eq!(got, (0, out.to_string(), String::new()));
    }
}

#[test]
fn options_and_errors() {
    let cases: &[(&[&str], &str, i32)] = &[
        (&["-Q", "NS =="], "rs-lsns: failed to parse \"NS ==\": syntax error, unexpected end of file\n", 1),
        (&["-Q", "BOGUS == 1"], "rs-lsns: unknown column: BOGUS\nrs-lsns: failed to initialize filter\n", 1),
        (&["-o", "NS,BOGUS"], "rs-lsns: unknown column: BOGUS\n", 1),
        (&["-J", "-r"], "rs-lsns: options --json and --raw cannot be combined\n", 1),
        (&["--tree=sideways"], "rs-lsns: unknown tree type: sideways\n", 1),
        (&["-t", "bogus"], "rs-lsns: unknown namespace type: bogus\n", 1),
        (&["-p", "x"], "rs-lsns: invalid PID argument: 'x'\n", 1),
        (&["x"], "rs-lsns: invalid namespace argument: 'x'\n", 1),
    ];
    for (args, err, rc) in cases {
        let (out, e, c) = lsns(args);
        assert_eq!((out.as_str(), e.as_str(), c), ("", *err, *rc), "{args:?}");
    }
    // getopt's complaints name the program as it was typed
    let (_, e, c) = lsns(&["--bogus"]);
    assert_eq!(
        (e, c),
        (format!("{BIN}: unrecognized option '--bogus'\nTry 'rs-lsns --help' for more information.\n"), 1)
    );
    let (out, _, rc) = lsns(&["-h"]);
    assert!(rc == 0 && out.contains("--filter <expr>") && out.contains("NETNSID"), "{out}");
    assert_eq!(lsns(&["-V"]).0, format!("rs-lsns from nsutils {}\n", env!("CARGO_PKG_VERSION")));
    // a task that does not exist: nothing, success
    assert_eq!(lsns(&["-p", "2147483647"]), (String::new(), String::new(), 0));
    let (out, _, _) = lsns(&["-H"]);
    // util-linux's thirteen columns, then our CONTAINER and CONTAINERNAME
    assert_eq!(out.lines().count(), 15);
    assert!(
        out.ends_with(
            "\n    CONTAINER <string>  container the representative runs in, by its cgroup (runtime:id)\n\
             CONTAINERNAME <string>  name of that container, from its runtime's files\n"
        ),
        "{out}"
    );
    assert!(out.starts_with("           NS <integer> ") && out.contains("\n      NETNSID <string>  "), "{out}");
    let (out, _, _) = lsns(&["-H", "-r"]);
    assert!(out.starts_with("NS <integer> ") && !out.contains("  "), "{out}");
}

#[test]
fn write_errors_and_closed_pipes() {
    let full = fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let o = Command::new(BIN).stdout(full).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(code(&o), 1);
    assert_eq!(String::from_utf8_lossy(&o.stderr), "rs-lsns: write error: No space left on device\n");
    // a reader that is already gone: killed by SIGPIPE like util-linux, no message
    let (r, w) = nix::unistd::pipe().unwrap();
    drop(r);
    let o = Command::new(BIN).stdout(Stdio::from(w)).stderr(Stdio::piped()).output().unwrap();
    assert_eq!(code(&o), 128 + libc::SIGPIPE);
    assert!(o.stderr.is_empty());
}

#[test]
fn hostile_comm_names() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    // python renames itself with PR_SET_NAME (one call), then waits for a child
    let script = "import ctypes,subprocess\n\
ctypes.CDLL(None).prctl(15, b'x ) y\\n\\x01\\xff', 0, 0, 0)\n\
subprocess.run(['sleep', '300'])";
    let sh = p.spawn(Command::new("/usr/bin/unshare").args(["-u", "python3", "-c", script]));
    let kid = p.child_of(sh);
    assert_eq!(fs::read(format!("/proc/{sh}/comm")).unwrap(), b"x ) y\n\x01\xff\n");
    let uts = ns_of(sh, "uts").unwrap();
    let me = std::process::id();
    // the stat line is split at its last ')': PPIDs and the tree come out right
    let out = String::from_utf8(lsns_bytes(&["-r", "-n", "-o", "PID,PPID,COMMAND", &uts.to_string()])).unwrap();
    let argv = fs::read(format!("/proc/{sh}/cmdline")).unwrap();
    let cmd = raw_escape(&String::from_utf8(argv).unwrap().trim_end_matches('\0').replace('\0', " "));
    assert_eq!(out, format!("{sh} {me} {cmd}\n{kid} {sh} `-sleep\\x20300\n"));
    let out = String::from_utf8(lsns_bytes(&["-r", "-n", "-o", "NS,NPROCS,PID", "-p", &kid.to_string(), "-t", "uts"]));
    assert_eq!(out.unwrap(), format!("{uts} 2 {sh}\n"));
}

/// USER and UID are the owner of /proc/PID, i.e. the effective uid, also of a process
/// that is not dumpable (one whose effective uid is not its real one), whose other /proc
/// files and directories root owns. rs-lsns asks a pidfd for it along with the PPID in a
/// process tree and in a member list, and otherwise stats /proc/PID; every form must say
/// what util-linux says.
#[test]
fn user_of_a_process_that_is_not_dumpable() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    let pid = p.start(Command::new("/usr/bin/unshare").args(["-u", "setpriv", "--euid=65534", "sleep", "300"]));
    let owner = |path: String| std::os::unix::fs::MetadataExt::uid(&fs::metadata(path).unwrap());
    // the case is real: the ns directory is root's, the process's own directory nobody's
    assert_eq!((owner(format!("/proc/{pid}")), owner(format!("/proc/{pid}/ns"))), (65534, 0));
    let uts = ns_of(pid, "uts").unwrap().to_string();
    let ours = |bytes: Vec<u8>| -> Vec<String> {
        let text = String::from_utf8(bytes).unwrap();
        text.lines().filter(|l| l.split_whitespace().next() == Some(uts.as_str())).map(String::from).collect()
    };
    for args in [
        &["-r", "-t", "uts"][..],
        &["-r", "-l", "-t", "uts", "-o", "NS,PID,USER,UID"],
        &["-r", "-n", "-t", "uts", "-o", "NS,UID,USER"],
    ] {
        let line = ours(lsns_bytes(args));
        assert_eq!(line, ours(util_linux_bytes(args)), "{args:?}");
        assert!(line.len() == 1 && line[0].contains("nobody"), "{args:?}: {line:?}");
    }
    assert_same_as_util_linux(&["-r", &uts]);
    assert!(String::from_utf8(lsns_bytes(&["-r", "-n", &uts])).unwrap().starts_with(&format!("{pid} ")));
}

/// A caller that ignores SIGPIPE (`trap '' PIPE`) gets what util-linux gives it when the
/// reader is gone before the output's one write: output stops quietly with status 0, for
/// listings and --help alike (before, rs-lsns put SIGPIPE back to its default and died of
/// it: 141). The listings are of a namespace of our own: util-linux says `write error`
/// and exits 1 when the reader leaves mid-output (a host with a long listing), where
/// rs-lsns still ends quietly (in the README).
#[test]
fn an_ignored_sigpipe_ends_output_quietly() {
    let mut p = Procs::new();
    let holder = p.start(Command::new("/usr/bin/unshare").args(["-U", "sleep", "300"]));
    let user = ns_of(holder, "user").unwrap().to_string();
    // (the tool's status is the shell's, so that 2.38.1's give-up is tried again)
    let script = r#"trap '' PIPE; "$@" | true; exit "${PIPESTATUS[0]}""#;
    for bin in [BIN, UL] {
        for args in [&["-r", &user][..], &["--help"], &["-J", "-o", "NS,TYPE", &user]] {
            let o = run_lsns_retrying(Command::new("bash").args(["-c", script, "bash", bin]).args(args), 60);
            assert_eq!((code(&o), String::from_utf8_lossy(&o.stderr)), (0, "".into()), "{bin} {args:?}");
        }
    }
    // however long the listing, rs-lsns ends quietly: 20 members with 8 KB command lines
    // (in a pid namespace of their own, so that they die with its init)
    let long = "for i in $(seq 20); do sleep 300 $(yes 0 | head -n 4000) & done; wait";
    let init =
        p.spawn(Command::new("/usr/bin/unshare").args(["-r", "--pid", "--fork", "--kill-child", "sh", "-c", long]));
    wait_until("a user namespace of its own", || ns_of(init, "user") != Some(own_ns("user")));
    let user = ns_of(init, "user").unwrap().to_string();
    // (a member counts as soon as its subshell is forked, before it runs the long sleep:
    // wait for the listing's length itself)
    wait_until("more than a pipe holds", || lsns_bytes(&["-r", &user]).len() > 128 * 1024);
    let o = run_timeout(Command::new("bash").args(["-c", script, "bash", BIN, "-r", &user]), 60);
    assert_eq!((code(&o), String::from_utf8_lossy(&o.stderr)), (0, "".into()));
}
