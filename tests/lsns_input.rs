//! rs-lsns against hostile or odd input: empty column names, PIDs out of range, filter
//! expressions nested thousands deep, regular expressions that explode in a backtracking
//! engine, and command lines of 100,000 options. Nothing may abort, hang or eat the
//! machine, and every refusal is worded as util-linux words it.

use crate::common;

use std::process::Command;

use crate::common::{code, is_root, ns_of, require_root, require_unpriv, run, run_timeout, unpriv, unpriv_bin, Procs};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");

/// (stdout, stderr, status) of `rs-lsns args`, as ourselves or unprivileged (as uid 65534
/// when we are root), bounded in time.
fn lsns_as(nobody: bool, args: &[&str]) -> (String, String, i32) {
    let mut cmd = if nobody { unpriv_bin(BIN) } else { Command::new(BIN) };
    run(cmd.args(args).env("LC_ALL", "C"))
}

/// Runs `args` as ourselves and, when we are root, as uid 65534 too, expecting no output,
/// `err` on stderr and status 1 each time.
fn refused(args: &[&str], err: &str) {
    let users: &[bool] = if is_root() { &[false, true] } else { &[false] };
    for &nobody in users {
        assert_eq!(lsns_as(nobody, args), (String::new(), err.to_string(), 1), "{args:?} nobody={nobody}");
    }
}

#[test]
fn empty_column_names_are_unknown() {
    for list in [",", "NS,", ",NS", "NS,,TYPE", "+,", "+NS,"] {
        for extra in [&[][..], &["-r"], &["-J"], &["-n", "-t", "net"]] {
            let mut args = vec!["-o", list];
            args.extend_from_slice(extra);
            refused(&args, "rs-lsns: unknown column: \n");
        }
    }
    refused(&["-o", "NS,BOGUS,"], "rs-lsns: unknown column: BOGUS\n");
    // an empty list fails without a word, as in util-linux
    refused(&["-o", ""], "");
    refused(&["-o", "+"], "");
}

#[test]
fn a_table_without_columns_renders() {
    use lsns::output::{render, JsonStyle, Mode, Style, Table};
    let mut t = Table::new("namespaces", Vec::new());
    t.push_row(std::iter::empty::<&[u8]>(), None);
    for mode in [Mode::Table, Mode::Raw, Mode::Json(JsonStyle::Pretty)] {
        let _ = render(&t, &Style::new(mode));
        let _ = render(&t, &Style { term_width: Some(0), ..Style::new(mode) });
    }
}

#[test]
fn pid_arguments_in_util_linux_words() {
    for bad in ["", "abc", "-", "5x"] {
        refused(&["-p", bad], &format!("rs-lsns: invalid PID argument: '{bad}'\n"));
    }
    for big in ["0", "-1", "-0", "2147483648", "99999999999"] {
        refused(&["-p", big], &format!("rs-lsns: invalid PID argument: '{big}': Numerical result out of range\n"));
    }
}

/// `n` copies of `opt`.
fn many(opt: &str, n: usize) -> Vec<&str> {
    vec![opt; n]
}

/// Runs `bin args` within [`run`]'s deadline: a parser that re-reads the command line
/// for every option (quadratic) needs minutes for these, a linear one a blink.
fn run_long(bin: &str, args: &[&str]) -> (String, String, i32) {
    run(Command::new(bin).args(args).env("LC_ALL", "C"))
}

#[test]
fn command_lines_of_100000_options_parse() {
    let half = many("-n", 50_000);
    let bad = [&half[..], &["-x"], &half[..]].concat();
    let (out, err, rc) = run_long(BIN, &bad);
    assert_eq!((out.as_str(), rc), ("", 1));
    assert!(err.ends_with(": invalid option -- 'x'\nTry 'rs-lsns --help' for more information.\n"), "{err}");
    // the first event wins: -h before the bad option, -V after all of them
    let help = [&half[..], &["-h", "-x"], &half[..]].concat();
    let (out, _, rc) = run_long(BIN, &help);
    assert!(rc == 0 && out.contains("--filter <expr>"), "{rc}");
    let version = [&many("-p1", 100_000)[..], &["-V"]].concat();
    let (out, _, rc) = run_long(BIN, &version);
    assert!(rc == 0 && out.starts_with("rs-lsns from nsutils "), "{rc} {out}");
    let both = [&many("-J", 100_000)[..], &["-r"]].concat();
    assert_eq!(
        run_long(BIN, &both),
        (String::new(), "rs-lsns: options --json and --raw cannot be combined\n".into(), 1)
    );
    // the other two tools share the parser
    for (bin, opt) in [(env!("CARGO_BIN_EXE_rs-unshare"), "-f"), (env!("CARGO_BIN_EXE_rs-nsenter"), "-a")] {
        let args = [&many(opt, 100_000)[..], &["-V"]].concat();
        let (out, _, rc) = run_long(bin, &args);
        assert!(rc == 0 && out.contains(" from nsutils "), "{bin}: {rc} {out}");
    }
}

#[test]
fn filters_nested_30000_deep() {
    let n = 30_000;
    let uts = common::own_ns("uts");
    let me = std::process::id().to_string();
    let exprs = [
        format!("{}NS == {uts}{}", "(".repeat(n), ")".repeat(n)),
        format!("{}NS=={uts}", "NS&&".repeat(n)),
        format!("{}NS=={uts}", "!!".repeat(n)),
        format!("{}NS == {uts}{}", "!(!".repeat(n), ")".repeat(n)),
    ];
    for e in &exprs {
        let args = ["-n", "-o", "NS", "-t", "uts", "-p", &me, "-Q", e];
        assert_eq!(lsns_as(false, &args), (format!("{uts}\n"), String::new(), 0), "{}", &e[..40]);
    }
    // an unprivileged user (uid 65534 when we are root) sees at least its own rs-lsns
    for e in &exprs[..2] {
        let e = e.replace(&format!("NS == {uts}"), "true").replace(&format!("NS=={uts}"), "true");
        let (out, err, rc) = lsns_as(true, &["-n", "-o", "NS", "-t", "uts", "-Q", &e]);
        assert!(rc == 0 && err.is_empty() && !out.is_empty(), "{rc} {err}");
    }
}

#[test]
fn regex_filters_read_posix_eres() {
    if !require_root() {
        return;
    }
    // a sleep in a uts namespace of its own, whose line shows its COMMAND:
    // sleep 3171.5 a\b x]y 3171.5
    let mut p = Procs::new();
    let argv0 = "sleep 3171.5 a\\b x]y";
    let script = "exec -a \"$0\" sleep 3171.5";
    let pid = p.start(Command::new("/usr/bin/unshare").args(["-u", "bash", "-c", script, argv0])).to_string();
    let hits = |pat: &str| {
        let q = format!("COMMAND =~ '{pat}'");
        let (out, err, rc) = lsns_as(false, &["-n", "-o", "PID", "-t", "uts", "-p", &pid, "-Q", &q]);
        assert_eq!((err.as_str(), rc), ("", 0), "{pat}");
        !out.is_empty()
    };
    for pat in [
        "^sleep [[:digit:]]{4}\\.5 ",
        "3171[.]5",
        "(sleep|nap) 3",
        "a[\\]b",
        "[]x]]y 3",
        "^[^[:upper:]]+$",
        "\\<x",
        "5 a{1}",
        "a\\\\b",
    ] {
        assert!(hits(pat), "{pat} should match");
    }
    for pat in ["^3171", "\\d", "[[:upper:]]", "sleep$", "a{2}", "y$"] {
        assert!(!hits(pat), "{pat} should not match");
    }
    let q = "COMMAND !~ 'sleep' || COMMAND !~ '^sleep'".to_string();
    assert_eq!(lsns_as(false, &["-n", "-o", "PID", "-t", "uts", "-p", &pid, "-Q", &q]).0, "");
}

#[test]
fn regex_errors_at_parse_time() {
    let cases = [
        ("(a)\\1", "back-references are not supported"),
        ("a{", "Unmatched \\{"),
        ("[[:foo:]]", "Invalid character class name"),
        ("*a", "Invalid preceding regular expression"),
        ("(", "Unmatched ( or \\("),
        ("[z-a]", "Invalid range end"),
    ];
    for (pat, msg) in cases {
        let q = format!("COMMAND =~ \"{pat}\"");
        refused(&["-Q", &q], &format!("rs-lsns: failed to parse \"{q}\": {msg}\n"));
    }
}

/// glibc's regcomp takes 18 GB and minutes for this pattern (util-linux segfaults);
/// under a 2 GB address-space limit, so that a regression cannot take the machine, it
/// must be refused at once.
#[test]
fn explosive_regexes_are_refused() {
    for pat in ["(((a{1,255}){1,255}){1,255})", "a{32767}{32767}", "(x{1,255}){1,255}"] {
        let q = format!("COMMAND =~ \"{pat}\"");
        let o = run_timeout(Command::new("/usr/bin/prlimit").args(["--as=2000000000", BIN, "-Q", &q]), 60);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            (code(&o), err.as_ref()),
            (1, format!("rs-lsns: failed to parse \"{q}\": Regular expression too big\n").as_str())
        );
    }
    // many patterns share one budget
    let q = vec!["COMMAND =~ \"(a{1,255}){1,100}\""; 40].join(" || ");
    let o = run_timeout(Command::new(BIN).args(["-Q", &q]), 60);
    assert!(code(&o) == 1 && String::from_utf8_lossy(&o.stderr).ends_with(": Regular expression too big\n"));
}

/// An empty `-Q` is no filter, as in util-linux (and it cancels an earlier `-Q`): every
/// line is listed, status 0. A blank one is still a syntax error.
fn empty_filter_lists_everything(lsns: impl Fn() -> Command, pid: i32, uts: u64) {
    let pid = pid.to_string();
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
    if !require_root() {
        return;
    }
    let mut p = Procs::new();
    let pid = p.start(Command::new("/usr/bin/unshare").args(["-u", "sleep", "300"]));
    empty_filter_lists_everything(|| Command::new(BIN), pid, ns_of(pid, "uts").unwrap());
}

#[test]
fn empty_filter_is_no_filter_unprivileged() {
    if !require_unpriv() {
        return;
    }
    let mut p = Procs::new();
    let pid = p.start(unpriv("/usr/bin/unshare").args(["-U", "-u", "sleep", "300"]));
    empty_filter_lists_everything(|| unpriv_bin(BIN), pid, ns_of(pid, "uts").unwrap());
}
