//! rs-lsns output layout: column widths for PIDs of 1 to 5 digits (in a PID namespace of
//! the test's own, where PIDs are chosen), with and without headings, on terminals of
//! several widths; JSON for any bytes; backslashes in the table; the COMMAND length limit;
//! the empty JSON document; and JSON of a deep process tree in constant memory. Compared with /usr/bin/lsns where
//! 2.38.1 prints the same, else with expected text built here.

use crate::common;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::Path;
use std::process::Command;

use crate::common::{code, lsns_width, require_root, run_lsns_retrying, run_timeout, Mounted, PidLab, Procs, TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");
const UL: &str = "/usr/bin/lsns";

/// PIDs 10, 100, 1000 and 10000 (and init, 1), each of the four in a uts namespace of
/// its own.
const FIVE_PIDS: &str = "for n in 10 100 1000 10000; do
    echo $((n - 1)) > /proc/sys/kernel/ns_last_pid
    unshare -u sleep 600 &
done";

fn five_pid_lab() -> PidLab {
    PidLab::new(FIVE_PIDS, &[10, 100, 1000, 10000])
}

fn stdout(cmd: &mut Command) -> String {
    let o = run_timeout(cmd, 60);
    assert_eq!(code(&o), 0, "{cmd:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// The lab's uts lines whose PID is below `limit`, in inode order: (inode, PID).
fn uts_rows(lab: &PidLab, limit: i32) -> Vec<(u64, i32)> {
    let mut v: Vec<(u64, i32)> =
        [1, 10, 100, 1000, 10000].into_iter().filter(|&p| p < limit).map(|p| (lab.ns(p, "uts").unwrap(), p)).collect();
    v.sort();
    v
}

/// NPROCS and PPID of a line: init's uts namespace also holds the rs-lsns process.
fn nprocs_ppid(pid: i32) -> (u32, i32) {
    if pid == 1 {
        (2, 0)
    } else {
        (1, 1)
    }
}

#[test]
fn pid_widths_from_one_to_five_digits() {
    if !require_root() {
        return;
    }
    let lab = five_pid_lab();
    for digits in 1..=5usize {
        let limit = 10i32.pow(digits as u32);
        let q = format!("PID < {limit}");
        let rows = uts_rows(&lab, limit);
        let cols = ["-l", "-t", "uts", "-o", "NS,TYPE,NPROCS,PID,PPID", "-Q", &q];
        // headings: PID is as wide as its header for 1 to 3 digits, 5 for 4 digits
        let w = lsns_width(digits, Some(3), 5);
        let mut expect = format!("        NS TYPE NPROCS {:>w$} PPID\n", "PID");
        for &(ino, pid) in &rows {
            let (n, pp) = nprocs_ppid(pid);
            expect.push_str(&format!("{ino} uts  {n:>6} {pid:>w$} {pp:>4}\n"));
        }
        assert_eq!(stdout(lab.command(BIN).args(cols)), expect, "{digits} digits");
        // no headings: 1 digit is 1 wide, 2 to 4 digits take the hint, 5; TYPE takes 5
        let w = lsns_width(digits, None, 5);
        let expect: String = rows
            .iter()
            .map(|&(ino, pid)| {
                let (n, pp) = nprocs_ppid(pid);
                format!("{ino} uts   {n} {pid:>w$} {pp}\n")
            })
            .collect();
        assert_eq!(stdout(lab.command(BIN).arg("-n").args(cols)), expect, "-n, {digits} digits");
        // raw output has no widths: the same as util-linux 2.38.1
        for &(_, pid) in &rows {
            let a = ["-r", "-p", &pid.to_string(), "-t", "uts", "-o", "NS,TYPE,NPROCS,PID,PPID"];
            assert_eq!(stdout(lab.command(BIN).args(a)), stdout(lab.command(UL).args(a)));
        }
    }
    // the two forms util-linux's own tests use
    let rows = uts_rows(&lab, i32::MAX);
    let expect: String = rows.iter().map(|(ino, _)| format!("uts   {ino}\n")).collect();
    assert_eq!(stdout(lab.command(BIN).args(["-n", "-o", "TYPE,NS", "-t", "uts"])), expect);
    let expect: String = rows.iter().map(|(ino, pid)| format!("{ino} {pid:>5}\n")).collect();
    assert_eq!(stdout(lab.command(BIN).args(["-n", "-o", "NS,PID", "-t", "uts"])), expect);
    let q = "PID < 10";
    assert_eq!(
        stdout(lab.command(BIN).args(["-n", "-o", "NS,PID", "-t", "uts", "-Q", q])),
        format!("{} 1\n", rows[0].0)
    );
}

/// Runs `lsns` in the lab on a pseudo-terminal of `cols` columns (through script(1)),
/// with `env` (e.g. `COLUMNS=36 `) in front of it.
fn on_terminal(lab: &PidLab, cols: usize, env: &str, args: &str) -> String {
    let cmd = format!("stty cols {cols}; {env}exec /usr/bin/nsenter -t {} -p -m -- {BIN} {args}", lab.init);
    let o = run_timeout(
        Command::new("/usr/bin/script")
            .args(["-qec", &cmd, "/dev/null"])
            .env("SHELL", "/bin/sh")
            .env("LC_ALL", "C")
            .env_remove("COLUMNS"),
        60,
    );
    assert_eq!(code(&o), 0, "{cmd}: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8(o.stdout).unwrap().replace('\r', "")
}

#[test]
fn terminal_width_hints_and_truncation() {
    if !require_root() {
        return;
    }
    if !Path::new("/usr/bin/script").exists() {
        common::skip("no /usr/bin/script: install the bsdutils package");
        return;
    }
    let lab = five_pid_lab();
    let rows = uts_rows(&lab, 10000);
    // the table the widths of TYPE, PPID and COMMAND give (NS 10, PID 5: 4 digits)
    let table = |tw: usize, pw: usize, cw: usize, headings: bool| {
        let mut s = String::new();
        if headings {
            s.push_str(&format!("        NS {:<tw$} {:>pw$}   PID COMMAND\n", "TYPE", "PPID"));
        }
        for (k, &(ino, pid)) in rows.iter().enumerate() {
            let glyph = match k {
                0 => "",
                _ if k + 1 == rows.len() => "`-",
                _ => "|-",
            };
            let cmd: String = format!("{glyph}sleep 600").chars().take(cw).collect();
            s.push_str(&format!("{ino} {:<tw$} {:>pw$} {pid:>5} {cmd}\n", "uts", nprocs_ppid(pid).1));
        }
        s
    };
    let args = "-o NS,TYPE,PPID,PID,COMMAND -t uts -Q 'PID < 10000'";
    // off a terminal: TYPE and PPID as wide as their headers; the line is 38 long
    assert_eq!(
        stdout(lab.command(BIN).args(["-o", "NS,TYPE,PPID,PID,COMMAND", "-t", "uts", "-Q", "PID < 10000"])),
        table(4, 4, 11, true)
    );
    // spare room grows the columns below their hint, the rightmost first
    assert_eq!(on_terminal(&lab, 38, "", args), table(4, 4, 11, true));
    assert_eq!(on_terminal(&lab, 39, "", args), table(4, 5, 11, true));
    assert_eq!(on_terminal(&lab, 40, "", args), table(5, 5, 11, true));
    assert_eq!(on_terminal(&lab, 120, "", args), table(5, 5, 11, true));
    // a short line cuts COMMAND, not below its header; -u cuts nothing
    assert_eq!(on_terminal(&lab, 36, "", args), table(4, 4, 9, true));
    assert_eq!(on_terminal(&lab, 20, "", args), table(4, 4, 7, true));
    assert_eq!(on_terminal(&lab, 36, "", &format!("-u {args}")), table(4, 4, 11, true));
    // a terminal that reports no width is $COLUMNS wide, else 80
    assert_eq!(on_terminal(&lab, 0, "", args), table(5, 5, 11, true));
    assert_eq!(on_terminal(&lab, 0, "COLUMNS=36 ", args), table(4, 4, 9, true));
    assert_eq!(on_terminal(&lab, 0, "COLUMNS=36x ", args), table(5, 5, 11, true));
    // without headings: TYPE 5, PPID 1, and COMMAND cut down to 1
    assert_eq!(on_terminal(&lab, 30, "", &format!("-n {args}")), table(5, 1, 5, false));
    assert_eq!(on_terminal(&lab, 20, "", &format!("-n {args}")), table(5, 1, 1, false));
}

/// Starts a process in a new uts namespace named `argv0` (its whole command line is
/// `argv0 600`); its PID.
fn named(p: &mut Procs, argv0: Vec<u8>) -> String {
    let mut cmd = Command::new("/usr/bin/unshare");
    cmd.args(["-u", "bash", "-c", "exec -a \"$ARGV0\" sleep 600"]).env("ARGV0", OsString::from_vec(argv0));
    p.start(&mut cmd).to_string()
}

fn root_out(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
    let o = run_lsns_retrying(Command::new(bin).args(args).envs(env.iter().copied()).env("LC_ALL", "C"), 60);
    assert_eq!(code(&o), 0, "{bin} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    o.stdout
}

/// util-linux's JSON with every byte of an invalid UTF-8 sequence written as `\\xHH`.
fn spelled_out(json: &[u8]) -> String {
    let mut s = String::new();
    for chunk in json.utf8_chunks() {
        s.push_str(chunk.valid());
        for b in chunk.invalid() {
            s.push_str(&format!("\\\\x{b:02x}"));
        }
    }
    s
}

#[test]
fn json_is_utf8_for_any_bytes() {
    if !require_root() {
        return;
    }
    // every byte but NUL, then valid sequences, a C1 control, a cut sequence, a
    // surrogate, an overlong form and a code point beyond U+10FFFF
    let mut name: Vec<u8> = (1..=255u8).collect();
    name.extend_from_slice("|€😀\u{85}|".as_bytes());
    name.extend_from_slice(b"\xc3|\xed\xa0\x80|\xe0\x80\x80|\xf4\x90\x80\x80");
    let mut p = Procs::new();
    let pid = named(&mut p, name);
    let a = ["-p", &pid, "-t", "uts", "-o", "NS,PID,COMMAND"];
    let ours = root_out(BIN, &[&a[..], &["-J"]].concat(), &[]);
    let ours = String::from_utf8(ours).expect("JSON must be UTF-8");
    // util-linux writes controls, DEL and the rest as we do, but invalid bytes raw
    assert_eq!(ours, spelled_out(&root_out(UL, &[&a[..], &["-J"]].concat(), &[])));
    assert!(ours.contains("\\u001f !\\\"#") && ours.contains("~\u{7f}\\\\x80\\\\x81"), "{ours}");
    assert!(ours
        .contains("|€😀\u{85}|\\\\xc3|\\\\xed\\\\xa0\\\\x80|\\\\xe0\\\\x80\\\\x80|\\\\xf4\\\\x90\\\\x80\\\\x80 600"));
    for style in ["compact", "lines"] {
        let out = root_out(BIN, &[&a[..], &["-J"]].concat(), &[("LIBSMARTCOLS_JSON", style)]);
        let out = String::from_utf8(out).expect("JSON must be UTF-8");
        assert!(out.contains("~\u{7f}\\\\x80\\\\x81"), "{style}: {out}");
    }
    // the table and raw forms are util-linux's, byte for byte (the tables without PID:
    // 2.38.1 gives a 3-digit PID the 5 columns of its hint, the newest 3, as we do)
    let r = [&a[..], &["-r"]].concat();
    assert_eq!(root_out(BIN, &r, &[]), root_out(UL, &r, &[]), "-r");
    let t = ["-p", &pid, "-t", "uts", "-o", "NS,COMMAND"];
    for f in [&["-n"][..], &[][..]] {
        let args = [&t[..], f].concat();
        assert_eq!(root_out(BIN, &args, &[]), root_out(UL, &args, &[]), "{f:?}");
    }
}

/// The forms of the table [`backslashes_are_escaped_before_an_x`] compares, with the
/// namespaces of `pid`: its own user and uts ones (and in a tree the initial user namespace
/// above them), TYPE only for the uts one: 2.38.1 gives a TYPE column whose widest value
/// (`user`) is as wide as the header the 5 columns of its hint, the newest util-linux and
/// we 4. With whether the form has a PID column: 2.38.1 gives a PID of fewer than five
/// digits the 5 columns of its hint too, the newest util-linux and we its own width.
fn backslash_forms(pid: &str) -> Vec<(Vec<String>, bool)> {
    let forms: [(&[&str], bool); 8] = [
        (&["-n", "-o", "NS,COMMAND", "-t", "uts"], false),
        (&["-o", "NS,TYPE,NPROCS,USER,COMMAND,PATH,NSFS", "-t", "uts"], false),
        (&["--tree", "-o", "NS,USER,COMMAND", "-t", "user", "-t", "uts"], false),
        (&["-r", "-t", "uts"], false),
        (&["-J", "-t", "user", "-t", "uts"], false),
        (&["-t", "uts"], true),
        (&["-l", "-t", "uts"], true),
        (&["-l", "-o", "NS,NPROCS,PID,USER,COMMAND", "-t", "user", "-t", "uts"], true),
    ];
    forms.iter().map(|(f, p)| ([f, &["-p", pid][..]].concat().iter().map(|a| a.to_string()).collect(), *p)).collect()
}

/// A command line holding the text `\x0a` and other backslashes: the table (default,
/// `-l`, `-n -o`, the tree) writes a backslash before an `x` as `\x5c` and leaves the
/// others, as util-linux does, so the text cannot pass for an escaped newline; `-r` and
/// `-J` escape as ever. As root and as uid 65534 (as ourselves when we are not root), in
/// the C and a UTF-8 locale.
#[test]
fn backslashes_are_escaped_before_an_x() {
    if !common::require_unpriv() {
        return;
    }
    let argv0 = br"x \x0a a\b \X\\x e\";
    let shown = r"x \x5cx0a a\b \X\\x5cx e\ 600";
    let users: &[bool] = if common::is_root() { &[false, true] } else { &[true] };
    for &nobody in users {
        let mut unshare = if nobody { common::unpriv("/usr/bin/unshare") } else { Command::new("/usr/bin/unshare") };
        unshare.args(["-U", "-u", "bash", "-c", "exec -a \"$ARGV0\" sleep 600"]);
        let mut p = Procs::new();
        let pid = p.start(unshare.env("ARGV0", OsString::from_vec(argv0.to_vec()))).to_string();
        let run = |bin: &str, args: &[String], locale: &str| {
            let mut cmd = match (nobody, bin == BIN) {
                (false, _) => Command::new(bin),
                (true, true) => common::unpriv_bin(bin),
                (true, false) => common::unpriv(bin),
            };
            let o = run_lsns_retrying(cmd.args(args).env("LC_ALL", locale), 60);
            assert_eq!(code(&o), 0, "{bin} {args:?}: {}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8(o.stdout).unwrap()
        };
        let n = ["-n", "-o", "COMMAND", "-t", "uts", "-p", &pid].map(String::from);
        assert_eq!(run(BIN, &n, "C"), format!("{shown}\n"), "nobody: {nobody}");
        let forms = backslash_forms(&pid);
        for ((args, has_pid), locale) in forms.iter().flat_map(|f| [(f, "C"), (f, "C.UTF-8")]) {
            // As uid 65534, a `-t user` form shows the initial user namespace too, whose
            // representative is the lowest PID of whatever else uid 65534 runs on the
            // machine (another test's process, or lsns itself): not this test's to compare.
            if nobody && args.iter().any(|a| a == "user") {
                continue;
            }
            let ours = run(BIN, args, locale);
            // (the row is there, whatever the form)
            assert!(ours.contains("x0a"), "{args:?}: {ours}");
            if *has_pid && pid.len() < 5 {
                assert!(ours.lines().skip(1).all(|l| l.ends_with(shown)), "{args:?}: {ours}");
            } else {
                assert_eq!(ours, run(UL, args, locale), "nobody: {nobody}, {locale}: {args:?}");
            }
        }
    }
}

#[test]
fn command_column_stops_at_8191_characters() {
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    let pid = named(&mut p, vec![b'x'; 100_000]);
    let a = ["-p", &pid, "-t", "uts", "-o", "COMMAND"];
    let raw = root_out(BIN, &[&a[..], &["-r", "-n"]].concat(), &[]);
    assert_eq!(raw.len(), 8191 + 1);
    for f in [&["-r"][..], &["-J"][..], &["-n"][..]] {
        let args = [&a[..], f].concat();
        assert_eq!(root_out(BIN, &args, &[]), root_out(UL, &args, &[]), "{f:?}");
    }
}

const EMPTY_JSON: &str = "{\n   \"namespaces\": [\n\n   ]\n}\n";

#[test]
fn json_of_nothing_is_an_empty_document() {
    if !require_root() {
        return;
    }
    // no process has this PID (beyond any pid_max)
    let none = ["-p", "2147483647"];
    assert_eq!(String::from_utf8(root_out(BIN, &[&none[..], &["-J"]].concat(), &[])).unwrap(), EMPTY_JSON);
    for f in [&["-J"][..], &["-J", "-o", "NS"][..], &["-r"][..], &[][..]] {
        let args = [&none[..], f].concat();
        assert_eq!(root_out(BIN, &args, &[]), root_out(UL, &args, &[]), "{f:?}");
    }
    let compact = root_out(BIN, &[&none[..], &["-J"]].concat(), &[("LIBSMARTCOLS_JSON", "compact")]);
    assert_eq!(String::from_utf8(compact).unwrap(), "{\"namespaces\":[\n]}\n");
    assert!(root_out(BIN, &[&none[..], &["-J"]].concat(), &[("LIBSMARTCOLS_JSON", "lines")]).is_empty());
    // the processes of a namespace that has none: a bind-mounted network namespace
    let dir = TempDir::new("lsns-layout");
    let file = dir.path().join("net");
    std::fs::write(&file, "").unwrap();
    let net = format!("--net={}", file.display());
    let _m = Mounted(vec![file.clone()]);
    assert_eq!(code(&run_timeout(Command::new("/usr/bin/unshare").args([net.as_str(), "true"]), 60)), 0);
    let ino = nix::sys::stat::stat(&file).unwrap().st_ino.to_string();
    assert_eq!(String::from_utf8(root_out(BIN, &["-J", &ino], &[])).unwrap(), EMPTY_JSON);
    assert!(root_out(BIN, &[&ino], &[]).is_empty());
    // -H -J names the column "holder"
    let h = String::from_utf8(root_out(BIN, &["-H", "-J"], &[])).unwrap();
    assert!(h.starts_with("{\n   \"lsns-columns\": [\n      {\n         \"holder\": \"NS\",\n"), "{h}");
    let h = String::from_utf8(root_out(BIN, &["-H", "-J"], &[("LIBSMARTCOLS_JSON", "lines")])).unwrap();
    assert!(h.starts_with("{\"holder\":\"NS\",\"type\":\"<integer>\","), "{h}");
}

/// A line of 1000 processes, each the child of the one before, all in one uts
/// namespace: their JSON is some 20 MB (indentation grows with the depth), and rs-lsns
/// must not hold it in memory.
#[test]
fn json_of_a_deep_tree_streams() {
    if !require_root() {
        return;
    }
    if !Path::new("/usr/bin/time").exists() {
        common::skip("no /usr/bin/time: install the time package");
        return;
    }
    let depth = 1000;
    // each level a fresh shell (one that recursed would hit its nesting limit)
    let dir = TempDir::new("lsns-deep");
    let script = dir.path().join("chain.sh");
    std::fs::write(&script, "if [ $1 -gt 0 ]; then sh \"$0\" $(($1 - 1)) & wait; else exec sleep 600; fi\n").unwrap();
    let chain = format!("unshare -u sh {} {depth} &", script.display());
    let lab = PidLab::new(&chain, &[]);
    // the first process of the line is PID 2; wait for the whole line
    let uts = common::wait_for_within("the whole line of processes", 120, || {
        let uts = lab.ns(2, "uts")?.to_string();
        let o = run_timeout(lab.command(BIN).args(["-r", "-n", "-o", "PID", &uts]), 60);
        (o.stdout.iter().filter(|&&b| b == b'\n').count() > depth).then_some(uts)
    });
    let rss = dir.path().join("rss");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%M", "-o"]).arg(&rss).args(["/usr/bin/nsenter", "-t", &lab.init.to_string(), "-p", "-m", "--"]);
    let o = run_timeout(cmd.arg(BIN).args(["-J", &uts]).env("LC_ALL", "C"), 120);
    assert_eq!(code(&o), 0);
    let kib: usize = std::fs::read_to_string(&rss).unwrap().trim().parse().unwrap();
    assert!(o.stdout.len() > 15 << 20, "{} bytes", o.stdout.len());
    assert!(kib * 1024 < o.stdout.len() / 2, "{kib} KiB for {} bytes of output", o.stdout.len());
    // and it is util-linux's JSON
    let ul = run_timeout(lab.command(UL).args(["-J", &uts]), 120);
    assert!(o.stdout == ul.stdout, "the JSON differs from util-linux's");
}
