//! Option parsing as glibc's getopt_long does it (compared with util-linux 2.38.1 in
//! /usr/bin where it behaves the same), and each tool's options defined once: the getopt
//! table, `--help`, the man page and the shell completions name the same options.
use crate::common;

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use clidef::complete::{file_path, script, SHELLS};
use clidef::Tool;
use nscore::getopt::Opt;
use nscore::NsType;

fn bin(tool: Tool) -> &'static str {
    match tool {
        Tool::Unshare => env!("CARGO_BIN_EXE_rs-unshare"),
        Tool::Nsenter => env!("CARGO_BIN_EXE_rs-nsenter"),
        Tool::Lsns => env!("CARGO_BIN_EXE_rs-lsns"),
    }
}

/// stderr and exit status of `prog args`, called by util-linux's name (so both tools
/// say the same name, in their own messages and in getopt's).
fn called_as(prog: &str, name: &str, args: &[OsString], env: &[(&str, &str)]) -> (Vec<u8>, i32) {
    let mut c = Command::new(prog);
    c.arg0(name).args(args).env_remove("POSIXLY_CORRECT").envs(env.iter().copied());
    let out = common::run_timeout(&mut c, 20);
    let code = common::code(&out);
    (out.stderr, code)
}

fn ours(tool: Tool, args: &[OsString], env: &[(&str, &str)]) -> (Vec<u8>, i32) {
    called_as(bin(tool), tool.util_linux_name(), args, env)
}

fn theirs(tool: Tool, args: &[OsString], env: &[(&str, &str)]) -> (Vec<u8>, i32) {
    called_as(&format!("/usr/bin/{}", tool.util_linux_name()), tool.util_linux_name(), args, env)
}

fn args(v: &[&str]) -> Vec<OsString> {
    v.iter().map(OsString::from).collect()
}

/// Ours and util-linux 2.38.1 print the same error and exit with the same status.
fn same_as_util_linux(tool: Tool, v: &[OsString]) {
    let (mine, code) = ours(tool, v, &[]);
    let (want, want_code) = theirs(tool, v, &[]);
    assert_eq!((String::from_utf8_lossy(&mine), code), (String::from_utf8_lossy(&want), want_code), "{tool:?} {v:?}");
    assert_eq!(mine, want, "{tool:?} {v:?}: the bytes differ");
}

/// Our error for `v`: `<name>: <what>\n`, exit 1.
fn fails_with(tool: Tool, v: &[&str], what: &str) {
    let (err, code) = ours(tool, &args(v), &[]);
    let want = format!("{}: {what}\n", tool.util_linux_name());
    assert_eq!((String::from_utf8_lossy(&err).into_owned(), code), (want, 1), "{tool:?} {v:?}");
}

#[test]
fn the_first_mistake_on_the_line_is_reported() {
    let cases: &[(Tool, &[&str])] = &[
        (Tool::Unshare, &["--propagation=foo", "--bogus"]),
        (Tool::Unshare, &["--setgroups=x", "-x"]),
        (Tool::Unshare, &["-Sx", "--bogus"]),
        (Tool::Unshare, &["--kill-child=15", "--bogus"]),
        (Tool::Unshare, &["--bogus", "--propagation=foo"]),
        (Tool::Nsenter, &["--net=/nonexistent", "--bogus"]),
        (Tool::Nsenter, &["--net=/nonexistent", "-h"]),
        (Tool::Nsenter, &["-w/nonexistent", "--bogus"]),
        (Tool::Nsenter, &["--bogus", "-t", "x"]),
        (Tool::Lsns, &["-t", "bogus", "--bogus"]),
        (Tool::Lsns, &["-p", "x", "--bogus"]),
        (Tool::Lsns, &["--tree=x", "--bogus"]),
        (Tool::Lsns, &["x", "-p1"]),
        (Tool::Lsns, &["-o", "BAD", "--bogus"]),
    ];
    for (tool, v) in cases {
        same_as_util_linux(*tool, &args(v));
    }
    // the newest util-linux's words, where 2.38.1 words it otherwise
    fails_with(Tool::Nsenter, &["-t", "x", "--bogus"], "failed to parse PID argument 'x': Invalid argument");
    fails_with(Tool::Nsenter, &["-W", "-w", "--bogus"], "options --wdns and --wd cannot be combined");
    fails_with(Tool::Nsenter, &["-N", "x", "-h"], "failed to parse file descriptor: 'x'");
    fails_with(Tool::Lsns, &["-J", "-r", "--bogus"], "options --json and --raw cannot be combined");
    fails_with(Tool::Lsns, &["-Q", "(", "--bogus"], "failed to parse \"(\": syntax error, unexpected end of file");
    fails_with(
        Tool::Lsns,
        &["-Q", "BOGUS == 1 || NS =~ \"(\""],
        "failed to parse \"BOGUS == 1 || NS =~ \"(\"\": Unmatched ( or \\(",
    );
}

#[test]
fn a_file_is_opened_where_its_option_stands() {
    // util-linux opens nsenter's namespace files and -r/-w directories while it reads
    // the options; unprivileged (as uid 65534 when we are root, else as ourselves) a file
    // it may not read fails there too
    // (a copy called by util-linux's name, where uid 65534 may run it)
    let dir = common::TempDir::new("options");
    let copy = dir.path().join("nsenter");
    assert!(Command::new("cp").arg(bin(Tool::Nsenter)).arg(&copy).status().unwrap().success());
    for v in [["--net=/etc/shadow", "--bogus"], ["-r/root", "--bogus"], ["--net=/root/x", "-h"]] {
        let run = |prog: &Path| {
            let out = common::run_timeout(common::unpriv(prog).args(v), 20);
            (String::from_utf8_lossy(&out.stderr).into_owned(), common::code(&out))
        };
        assert_eq!(run(&copy), run(Path::new("/usr/bin/nsenter")), "{v:?}");
    }
}

#[test]
fn an_ambiguous_prefix_is_repeated_as_typed() {
    same_as_util_linux(Tool::Unshare, &args(&["--map-gr=0"]));
    same_as_util_linux(Tool::Nsenter, &args(&["--s=0"]));
    same_as_util_linux(Tool::Lsns, &args(&["--n=1"]));
    same_as_util_linux(Tool::Lsns, &args(&["--t"]));
}

#[test]
fn an_invalid_byte_is_printed_as_it_is() {
    for tool in Tool::ALL {
        for arg in [b"-\xc3\xa9".to_vec(), b"-\xff".to_vec(), b"--bo\xffgus".to_vec()] {
            same_as_util_linux(tool, &[OsString::from_vec(arg)]);
        }
    }
    let (err, _) = ours(Tool::Unshare, &[OsString::from_vec(b"-\xc3\xa9".to_vec())], &[]);
    assert!(err.starts_with(b"unshare: invalid option -- '\xc3'\n"), "{err:?}");
}

#[test]
fn posixly_correct_stops_at_the_first_operand() {
    let ns = common::own_ns("uts").to_string();
    let v = args(&["-n", "-o", "NS", &ns, "-x"]);
    let listing = |env: &[(&str, &str)]| {
        let mut c = Command::new(bin(Tool::Lsns));
        c.args(&v).env_remove("POSIXLY_CORRECT").envs(env.iter().copied());
        let out = common::run_timeout(&mut c, 20);
        let lines: BTreeSet<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect();
        (lines, String::from_utf8_lossy(&out.stderr).into_owned(), common::code(&out))
    };
    // set (even to nothing): `-x` after the namespace is an operand, as in util-linux
    for value in ["1", ""] {
        let (lines, err, code) = listing(&[("POSIXLY_CORRECT", value)]);
        assert_eq!((lines, err.as_str(), code), (BTreeSet::from([ns.clone()]), "", 0), "POSIXLY_CORRECT={value:?}");
        assert_eq!(
            ours(Tool::Lsns, &v, &[("POSIXLY_CORRECT", value)]).1,
            theirs(Tool::Lsns, &v, &[("POSIXLY_CORRECT", value)]).1
        );
    }
    // unset: options and operands mix, and -x is an option
    same_as_util_linux(Tool::Lsns, &v);
    // unshare and nsenter always stop at the program
    same_as_util_linux(Tool::Unshare, &args(&["--bogus", "true", "-x"]));
}

/// The options the getopt table has, as `(short, long)`.
fn table_of(tool: Tool) -> BTreeSet<(Option<char>, String)> {
    fn pairs<T>(t: &[Opt<T>]) -> BTreeSet<(Option<char>, String)> {
        t.iter().map(|o| (o.short.map(char::from), o.long.unwrap_or_default().to_string())).collect()
    }
    match tool {
        Tool::Unshare => pairs(unshare::options::OPTIONS),
        Tool::Nsenter => pairs(nsenter::options::OPTIONS),
        Tool::Lsns => pairs(lsns::options::OPTIONS),
    }
}

/// `-X, --long` or `--long` at the start of a line (after `prefix` and blanks).
fn names_in_line(line: &str) -> Option<(Option<char>, String)> {
    let line = line.trim_start();
    let (short, rest) = match line.strip_prefix('-') {
        Some(r) if !r.starts_with('-') => {
            let c = r.chars().next()?;
            (Some(c), r[c.len_utf8()..].strip_prefix(", ")?)
        }
        _ => (None, line),
    };
    let long: String =
        rest.strip_prefix("--")?.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    Some((short, long))
}

fn help_of(tool: Tool) -> BTreeSet<(Option<char>, String)> {
    let out = Command::new(bin(tool)).arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().filter(|l| l.starts_with(' ')).filter_map(names_in_line).collect()
}

fn man_of(tool: Tool) -> BTreeSet<(Option<char>, String)> {
    let page = match tool {
        Tool::Lsns => "man/rs-lsns.8".to_string(),
        t => format!("man/rs-{}.1", t.util_linux_name()),
    };
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(page)).unwrap();
    let section = text.split(".SH OPTIONS").nth(1).unwrap().split("\n.SH ").next().unwrap();
    let lines: Vec<&str> = section.lines().collect();
    // an option is the line after `.TP`: `.BR \-J ", " \-\-json`, `.B \-\-output\-all`
    let entry = |line: &str| {
        let plain = line.replace("\\-", "-").replace(['"', ','], " ");
        let (mut short, mut long) = (None, None);
        for tok in plain.split_whitespace().skip(1) {
            if let Some(l) = tok.strip_prefix("--") {
                long.get_or_insert_with(|| l.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect());
            } else if tok.len() == 2 && tok.starts_with('-') {
                short = short.or(tok.chars().nth(1));
            }
        }
        long.map(|l| (short, l))
    };
    lines.windows(2).filter(|w| w[0] == ".TP").filter_map(|w| entry(w[1])).collect()
}

/// The options a completion script offers (longs and shorts apart: zsh and bash list them
/// one by one).
fn completions_of(tool: Tool, shell: clap_complete::Shell) -> (BTreeSet<String>, BTreeSet<char>) {
    let text = script(tool, shell, &tool.bin());
    let mut longs = BTreeSet::new();
    let mut shorts = BTreeSet::new();
    for word in text.split(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
        let word = word.trim_start_matches('*').split(['[', '=', '+']).next().unwrap_or_default();
        if let Some(l) = word.strip_prefix("--").filter(|l| !l.is_empty()) {
            longs.insert(l.to_string());
        } else if let Some(s) = word.strip_prefix('-').filter(|s| s.len() == 1) {
            shorts.insert(s.chars().next().unwrap());
        }
    }
    if shell == clap_complete::Shell::Fish {
        // `complete -c rs-lsns -s J -l json`
        let words: Vec<&str> = text.split_whitespace().collect();
        for w in words.windows(2) {
            match w[0] {
                "-l" => drop(longs.insert(w[1].to_string())),
                "-s" => drop(shorts.insert(w[1].chars().next().unwrap())),
                _ => {}
            }
        }
    }
    (longs, shorts)
}

#[test]
fn table_help_man_page_and_completions_name_the_same_options() {
    for tool in Tool::ALL {
        let table = table_of(tool);
        assert_eq!(help_of(tool), table, "{tool:?}: --help");
        assert_eq!(man_of(tool), table, "{tool:?}: man page");
        let longs: BTreeSet<String> = table.iter().map(|(_, l)| l.clone()).collect();
        let shorts: BTreeSet<char> = table.iter().filter_map(|(s, _)| *s).collect();
        for shell in SHELLS {
            let (l, s) = completions_of(tool, shell);
            assert!(longs.is_subset(&l), "{tool:?} {shell}: missing {:?}", longs.difference(&l).collect::<Vec<_>>());
            assert!(shorts.is_subset(&s), "{tool:?} {shell}: missing {:?}", shorts.difference(&s).collect::<Vec<_>>());
        }
    }
}

#[test]
fn lsns_completes_the_columns_it_has() {
    let names: Vec<&str> = lsns::columns::Column::KNOWN.iter().map(|c| c.name()).collect();
    assert_eq!(names, clidef::COLUMNS);
}

#[test]
fn completion_files_are_generated_from_the_definitions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for tool in Tool::ALL {
        for name in [tool.bin(), tool.util_linux_name().to_string()] {
            for shell in SHELLS {
                let path = dir.join(file_path(shell, &name));
                let have = std::fs::read_to_string(&path).unwrap_or_default();
                assert!(
                    have == script(tool, shell, &name),
                    "{} is not what the option definitions give: run `make completions`",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn help_and_version_act_where_they_stand() {
    for tool in Tool::ALL {
        let (err, code) = ours(tool, &args(&["-h", "--bogus"]), &[]);
        assert_eq!((err.as_slice(), code), (&b""[..], 0), "{tool:?}");
        same_as_util_linux(tool, &args(&["--bogus", "-h"]));
    }
}

/// clidef names the namespace options by hand: in each tool's table every type of
/// nscore's has its option, under its long name, and no option stands for a type under
/// another name.
fn every_type_has_its_option<T: Copy + PartialEq + std::fmt::Debug>(opts: &[Opt<T>], ns: fn(NsType) -> T) {
    for t in NsType::ALL {
        let o = opts.iter().find(|o| o.id == ns(t)).unwrap_or_else(|| panic!("no option for {t}"));
        assert_eq!(o.long, Some(t.long_option()), "{t}");
    }
    let namespaces = opts.iter().filter(|o| NsType::ALL.iter().any(|t| o.id == ns(*t))).count();
    assert_eq!(namespaces, NsType::ALL.len());
}

#[test]
fn every_namespace_type_has_its_option() {
    every_type_has_its_option(unshare::options::OPTIONS, unshare::options::Id::Ns);
    every_type_has_its_option(nsenter::options::OPTIONS, nsenter::options::Id::Ns);
}

/// `--help` is laid out as util-linux's (an empty line, `Usage:`, the usage line, later
/// `Options:`) and says the name the binary was called by, in the usage line and where
/// it points to the man page: `unshare(1)` when installed as `unshare`.
#[test]
fn help_is_laid_out_as_util_linux_and_says_the_called_name() {
    for tool in Tool::ALL {
        let name = tool.util_linux_name();
        let section = if tool == Tool::Lsns { 8 } else { 1 };
        let out = Command::new(format!("/usr/bin/{name}")).arg("--help").output().unwrap();
        let theirs = String::from_utf8(out.stdout).unwrap();
        let theirs: Vec<&str> = theirs.lines().collect();
        for called in [name.to_string(), tool.bin()] {
            let out = Command::new(bin(tool)).arg0(&called).arg("--help").output().unwrap();
            let text = String::from_utf8(out.stdout).unwrap();
            let ours: Vec<&str> = text.lines().collect();
            assert_eq!(ours[..2], theirs[..2], "{called}: {text}");
            assert!(ours[2].starts_with(&format!(" {called} [options]")), "{called}: {text}");
            assert!(ours.contains(&"Options:") && theirs.contains(&"Options:"), "{called}: {text}");
            assert!(text.contains(&format!("{called}({section})")), "{called}: {text}");
            if tool != Tool::Lsns {
                assert_eq!(theirs.last(), Some(&format!("For more details see {name}({section}).").as_str()));
                assert_eq!(ours.last(), Some(&format!("For more details see {called}({section}).").as_str()));
            }
            let other = if called == name { tool.bin() } else { format!(" {name}") };
            assert!(!text.contains(&other), "{called}: {other} in {text}");
        }
    }
}
