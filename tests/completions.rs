//! The shell completions in `completions/`, as the shells themselves give them: bash
//! with the bash-completion package, loading our script as it loads an installed one;
//! zsh in a pseudo-terminal (zpty), recording the matches its completion functions
//! add; fish with `complete -C`; and a real `bash -i` in a pseudo-terminal, to see what
//! readline inserts. Each shell is skipped (visibly; failing in CI) where it is not
//! installed, naming the package to install.
use crate::common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clidef::COLUMNS;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const BASH_COMPLETION: &str = "/usr/share/bash-completion/bash_completion";

/// Whether `program` is on PATH (or, with a slash, exists); a visible skip if not, which
/// names the (Debian) package that has it.
fn have(program: &str) -> bool {
    let found = if program.contains('/') {
        Path::new(program).exists()
    } else {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).any(|d| d.join(program).is_file())
    };
    let package = match program {
        BASH_COMPLETION => "bash-completion",
        "script" => "bsdutils",
        other => other,
    };
    found || common::skip(&format!("{program} is not installed: install the {package} package"))
}

/// PATH with our binaries first: fish loads a command's completions only for a command
/// it finds.
fn path_with_ours() -> std::ffi::OsString {
    let ours = Path::new(env!("CARGO_BIN_EXE_rs-lsns")).parent().unwrap().to_path_buf();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(ours).chain(std::env::split_paths(&rest))).unwrap()
}

fn output_lines(out: &std::process::Output, what: &str) -> Vec<String> {
    assert_eq!(common::code(out), 0, "{what}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap().lines().map(str::to_string).collect()
}

// bash

/// `line` split into words as readline does for completion: at blanks, and a run of
/// COMP_WORDBREAKS characters (`=`, `:` ...) is a word of its own; the last word is the
/// one being completed (empty after a blank).
fn readline_words(line: &str) -> Vec<String> {
    const BREAKS: &str = "\"'><=;|&(:";
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_break = false;
    for c in line.chars() {
        if c.is_whitespace() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let b = BREAKS.contains(c);
        if !word.is_empty() && b != in_break {
            words.push(std::mem::take(&mut word));
        }
        word.push(c);
        in_break = b;
    }
    words.push(word);
    words
}

/// Loads bash-completion, lets it load the command's completion from the directory it
/// reads a user's completions from (our `completions/bash`), and calls the function it
/// registered as readline would; prints COMPREPLY, then the options set by compopt
/// (recorded: compopt works only while readline completes).
const BASH_DRIVER: &str = r#"user_dir=$1 line=$2; shift 2
export BASH_COMPLETION_USER_DIR=$user_dir
source /usr/share/bash-completion/bash_completion || exit 3
compopt() { opts+=" $*"; }
_completion_loader "$1"
spec=$(complete -p "$1") || exit 3
fn=${spec##*-F }; fn=${fn%% *}
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE=$line; COMP_POINT=${#line}
COMP_TYPE=9; COMP_KEY=9
"$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
printf '#compopt%s\n' "$opts""#;

/// What bash offers at the end of `line`, and whether it adds no space after it.
struct BashReply {
    words: Vec<String>,
    nospace: bool,
}

fn bash(line: &str) -> Option<BashReply> {
    if !have("bash") || !have(BASH_COMPLETION) {
        return None;
    }
    let home = common::TempDir::new("bash-completion-user-dir");
    std::os::unix::fs::symlink(repo().join("completions/bash"), home.path().join("completions")).unwrap();
    let mut c = Command::new("bash");
    c.current_dir(home.path());
    Some(bash_in(c, home.path(), line))
}

/// What `bash` (a command running bash) offers at the end of `line`, our scripts in
/// `user_dir/completions`.
fn bash_in(mut bash: Command, user_dir: &Path, line: &str) -> BashReply {
    bash.args(["--norc", "--noprofile", "-c", BASH_DRIVER, "bash"]).arg(user_dir).arg(line);
    bash.args(readline_words(line));
    let mut lines = output_lines(&common::run_timeout(&mut bash, 30), line);
    let opts = lines.pop().unwrap_or_default();
    let words = lines.into_iter().filter(|l| !l.is_empty()).collect();
    BashReply { words, nospace: opts.contains("nospace") }
}

fn bash_words(line: &str) -> Option<Vec<String>> {
    bash(line).map(|r| r.words)
}

/// Types each line and a TAB into a real interactive bash (`bash -i` under `script`, in
/// a pseudo-terminal, bash-completion loaded) and returns what readline's line holds
/// then: the completion as inserted, with its space or without.
fn interactive_bash(lines: &[&str]) -> Option<Vec<String>> {
    if !have("bash") || !have(BASH_COMPLETION) || !have("script") {
        return None;
    }
    let home = common::TempDir::new("bash-completion-user-dir");
    std::os::unix::fs::symlink(repo().join("completions/bash"), home.path().join("completions")).unwrap();
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", "bash --norc --noprofile -i", "/dev/null"])
        .env("BASH_COMPLETION_USER_DIR", home.path())
        .envs([("PS1", "$ "), ("TERM", "dumb"), ("INPUTRC", "/dev/null")])
        .env("PATH", path_with_ours())
        .current_dir(home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script runs");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            let _ = tx.send(buf[..n].to_vec());
        }
    });
    let mut seen = Vec::new();
    // the output, once `needle` is in it `count` times (10 s at most)
    let mut wait_for = |needle: &str, count: usize| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while String::from_utf8_lossy(&seen).matches(needle).count() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(chunk) => seen.extend(chunk),
                Err(_) => panic!("bash -i: no {needle:?} in {:?}", String::from_utf8_lossy(&seen)),
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    };
    let mut stdin = child.stdin.take().unwrap();
    // Ctrl-X p prints readline's line (printf's format so that its echo differs)
    // and the prompt says readline waits for keys: typed before, they would be read as
    // a line is (the echo of these commands cannot match either)
    let setup = r#"source /usr/share/bash-completion/bash_completion; bind -x '"\C-xp": printf "\nLI%sNE=[%s]\n" "" "$READLINE_LINE"'; PS1='r\[\]l> '"#;
    stdin.write_all(format!("{setup}\n").as_bytes()).unwrap();
    wait_for("rl> ", 1);
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        // the line, TAB, Ctrl-X p, and Ctrl-U to empty the line again
        stdin.write_all(format!("{line}\t\x18p\x15").as_bytes()).unwrap();
        out = wait_for("LINE=[", i + 1);
    }
    let _ = child.kill();
    let _ = child.wait();
    let got = out.split("LINE=[").skip(1).map(|s| s.split("]\r").next().unwrap_or_default().to_string()).collect();
    Some(got)
}

// zsh

fn zsh(line: &str) -> Option<Vec<String>> {
    if !have("zsh") {
        return None;
    }
    let work = common::TempDir::new("zsh-completion");
    let mut c = Command::new("zsh");
    c.arg("-f").arg(repo().join("tests/completions/zsh-complete.zsh"));
    c.arg(repo().join("completions/zsh")).arg(work.path()).arg(line).current_dir(work.path());
    let words = output_lines(&common::run_timeout(&mut c, 30), line);
    // some functions add a match twice (for two tags)
    let mut seen = BTreeSet::new();
    Some(words.into_iter().filter(|w| seen.insert(w.clone())).collect())
}

// fish

fn fish(line: &str) -> Option<Vec<String>> {
    if !have("fish") {
        return None;
    }
    let dir = repo().join("completions/fish");
    let script = format!("set fish_complete_path {} $fish_complete_path; complete -C {}", quote(&dir), quote(line));
    let mut c = Command::new("fish");
    c.args(["--no-config", "-c", &script]).env("PATH", path_with_ours()).current_dir("/");
    let lines = output_lines(&common::run_timeout(&mut c, 30), line);
    // `candidate<TAB>description`
    Some(lines.into_iter().map(|l| l.split('\t').next().unwrap_or_default().to_string()).collect())
}

/// `s` in single quotes, for fish.
fn quote(s: impl AsRef<std::ffi::OsStr>) -> String {
    let s = s.as_ref().to_string_lossy().replace('\\', "\\\\").replace('\'', "\\'");
    format!("'{s}'")
}

// what is checked in each shell

/// What a shell offers at the end of a line; `None` where it is not installed.
type Shell = fn(&str) -> Option<Vec<String>>;

/// Each shell's words for `line`, the prefix `strip` taken off them (zsh and fish
/// answer with the whole word, `--tree=owner`); `None` for a shell that is skipped.
fn all_shells(line: &str, strip: &str) -> Vec<(&'static str, Vec<String>)> {
    let shells: [(&str, Shell); 3] = [("bash", bash_words), ("zsh", zsh), ("fish", fish)];
    let mut out = Vec::new();
    for (name, f) in shells {
        if let Some(words) = f(line) {
            let words = words.into_iter().map(|w| w.strip_prefix(strip).unwrap_or(&w).to_string()).collect();
            out.push((name, words));
        }
    }
    out
}

fn set(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|w| w.to_string()).collect()
}

/// Every shell offers exactly `want` for `line`.
fn offers(line: &str, strip: &str, want: &[&str]) {
    for (shell, words) in all_shells(line, strip) {
        assert_eq!(words.iter().cloned().collect::<BTreeSet<_>>(), set(want), "{shell}: {line:?}: {words:?}");
    }
}

/// Every shell offers `want` among what it offers for `line`.
fn offers_some(line: &str, strip: &str, want: &[&str]) {
    for (shell, words) in all_shells(line, strip) {
        assert!(
            want.iter().all(|w| words.contains(&w.to_string())),
            "{shell}: {line:?}: {words:?}, not all of {want:?}"
        );
    }
}

// the tests

#[test]
fn output_columns_are_a_comma_list() {
    // the one column that fits comes with the comma for the next (zsh adds the comma as
    // a suffix that goes away when a blank is typed instead)
    if let Some(r) = bash("rs-lsns -o NS,TY") {
        assert_eq!(r.words, ["NS,TYPE,"]);
        assert!(r.nospace, "bash adds a space after a column");
    }
    if let Some(words) = zsh("rs-lsns -o NS,TY") {
        assert_eq!(words, ["NS,TYPE"]);
    }
    if let Some(words) = fish("rs-lsns -o NS,TY") {
        assert_eq!(words, ["NS,TYPE,"]);
    }
    // `+` adds columns to the default ones
    offers("rs-lsns -o +C", "", &["+COMMAND", "+CONTAINER", "+CONTAINERNAME"]);
    offers("rs-lsns --output=+C", "--output=", &["+COMMAND", "+CONTAINER", "+CONTAINERNAME"]);
    offers("lsns -o NS,P", "", &["NS,PATH", "NS,PID", "NS,PPID", "NS,PNS"]);
    // each column once
    let rest: Vec<String> =
        COLUMNS.iter().filter(|c| !["NS", "TYPE"].contains(c)).map(|c| format!("NS,TYPE,{c}")).collect();
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    offers("rs-lsns --output=NS,TYPE,", "--output=", &rest);
    offers("lsns -o NS,TYPE,", "", &rest);
}

#[test]
fn lsns_types_trees_and_filter_columns() {
    offers("rs-lsns --tree=", "--tree=", &["owner", "parent", "process"]);
    offers("lsns --tree=p", "--tree=", &["parent", "process"]);
    let types = ["mnt", "net", "ipc", "user", "pid", "uts", "cgroup", "time"];
    offers("rs-lsns -t ", "", &types);
    offers("lsns --type=u", "--type=", &["user", "uts"]);
    // a filter expression: column names, not the files here
    offers("rs-lsns -Q ", "", &COLUMNS);
    offers("lsns --filter=NP", "--filter=", &["NPROCS"]);
    offers("rs-lsns --tr", "", &["--tree"]);
}

#[test]
fn process_ids() {
    let me = std::process::id().to_string();
    for line in ["rs-nsenter -t ", "nsenter --target=", "rs-lsns -p ", "lsns --task="] {
        let strip = line.split_once('=').map_or(String::new(), |(o, _)| format!("{o}="));
        let strip = strip.rsplit(' ').next().unwrap_or_default();
        for (shell, words) in all_shells(line, strip) {
            assert!(
                !words.is_empty() && words.iter().all(|w| w.parse::<u32>().is_ok()),
                "{shell}: {line:?}: {words:?}"
            );
            // zsh's _pids offers the processes of its terminal
            assert!(shell == "zsh" || words.contains(&me), "{shell}: {line:?}: {words:?}");
        }
    }
}

#[test]
fn kill_child_signal_names() {
    for line in ["rs-unshare --kill-child=", "unshare --kill-child="] {
        for (shell, words) in all_shells(line, "--kill-child=") {
            assert!(words.len() >= 30, "{shell}: {words:?}");
            let bad: Vec<&String> = words.iter().filter(|w| nscore::signal::parse_signal_name(w).is_none()).collect();
            assert!(bad.is_empty(), "{shell}: not signal names: {bad:?}");
            assert!(words.iter().any(|w| w.trim_start_matches("SIG") == "KILL"), "{shell}: {words:?}");
        }
    }
    offers("rs-unshare --kill-child=TE", "--kill-child=", &["TERM"]);
}

#[test]
fn unshare_propagation_and_setgroups() {
    offers("rs-unshare --propagation ", "", &["slave", "shared", "private", "unchanged"]);
    offers("unshare --propagation=s", "--propagation=", &["slave", "shared"]);
    offers("rs-unshare --setgroups=", "--setgroups=", &["allow", "deny"]);
    offers("unshare --setgroups d", "", &["deny"]);
    offers("rs-unshare --map-users=a", "--map-users=", &["auto", "all"]);
}

#[test]
fn namespace_files_and_directories() {
    offers("rs-nsenter --mount=/proc/self/ns/m", "--mount=", &["/proc/self/ns/mnt"]);
    offers("unshare --net=/proc/self/ns/ne", "--net=", &["/proc/self/ns/net"]);
    // directories only (a shell may mark them with a slash)
    for (line, strip) in
        [("rs-unshare -R /us", ""), ("unshare --wd=/us", "--wd="), ("rs-nsenter --root=/us", "--root=")]
    {
        for (shell, words) in all_shells(line, strip) {
            let words: Vec<&str> = words.iter().map(|w| w.trim_end_matches('/')).collect();
            assert_eq!(words, ["/usr"], "{shell}: {line:?}");
        }
    }
    // (zsh's _files -/ offers files where no directory fits, as it does for every command)
    for (shell, words) in all_shells("rs-unshare -w /etc/passw", "") {
        assert!(shell == "zsh" || words.is_empty(), "{shell}: {words:?}");
    }
}

#[test]
fn users_and_groups() {
    offers("rs-unshare --map-user=roo", "--map-user=", &["root"]);
    offers("unshare --map-group=roo", "--map-group=", &["root"]);
    // -S and -G take numbers only
    offers("rs-unshare -S 6553", "", &["65534"]);
    offers("unshare -G 6553", "", &["65534"]);
    offers("rs-nsenter -S fol", "", &["follow"]);
    offers_some("nsenter --setgid=", "--setgid=", &["follow", "0", "65534"]);
}

#[test]
fn bash_options_and_the_program() {
    let Some(all) = bash_words("rs-nsenter --") else { return };
    for (short, long) in [("-t", "--target"), ("-m", "--mount"), ("", "--preserve-credentials")] {
        assert!(all.contains(&long.to_string()) && (short.is_empty() || !all.contains(&short.to_string())), "{all:?}");
    }
    assert_eq!(bash_words("rs-unshare --map-gr").unwrap(), ["--map-group", "--map-groups"]);
    // after the program: the program's own completion (bash-completion's for ls)
    let ls = bash_words("rs-unshare -r --propagation private ls --colo").unwrap();
    assert!(ls.iter().any(|w| w.starts_with("--color")), "{ls:?}");
    // and the program itself: commands
    let cmds = bash_words("unshare --fork -- ech").unwrap();
    assert!(cmds.contains(&"echo".to_string()), "{cmds:?}");
}

#[test]
fn interactive_bash_inserts_the_completion() {
    let lines = [
        "rs-lsns -o NS,TY",
        "lsns --output=+CONTAINERN",
        "rs-lsns --tree=ow",
        "rs-unshare --kill-child=TE",
        "nsenter -S fol",
    ];
    let Some(got) = interactive_bash(&lines) else { return };
    // a column comes with the comma and no space; a whole value with a space
    let want = [
        "rs-lsns -o NS,TYPE,",
        "lsns --output=+CONTAINERNAME,",
        "rs-lsns --tree=owner ",
        "rs-unshare --kill-child=TERM ",
        "nsenter -S follow ",
    ];
    assert_eq!(got, want);
}

#[test]
fn bash_completes_for_uid_65534_too() {
    if !common::require_root() || !have("bash") || !have(BASH_COMPLETION) {
        return;
    }
    // copies it may read (the checkout may be under a private directory)
    let home = common::TempDir::new("bash-completion-nobody");
    std::fs::create_dir(home.path().join("completions")).unwrap();
    for name in ["rs-lsns", "unshare"] {
        let from = repo().join("completions/bash").join(name);
        std::fs::copy(from, home.path().join("completions").join(name)).unwrap();
    }
    let ask = |line| bash_in(common::unpriv("bash"), home.path(), line).words;
    assert_eq!(ask("rs-lsns -o NS,TY"), ["NS,TYPE,"]);
    // every process's ID, root's too
    assert!(ask("rs-lsns --task=").contains(&"1".to_string()));
    assert_eq!(ask("unshare -S 6553"), ["65534"]);
    assert_eq!(ask("unshare --kill-child=TE"), ["TERM"]);
}
