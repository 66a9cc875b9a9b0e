//! What rs-unshare and rs-nsenter hand on to the program they execute (compared with
//! util-linux's tools in /usr/bin), and their option tables (compared with nscore's table
//! of namespace types).

mod common;

use std::process::Command;

use nscore::getopt::Opt;
use nscore::NsType;

use common::{require_root, run};

const UNSHARE: &str = env!("CARGO_BIN_EXE_rs-unshare");
const NSENTER: &str = env!("CARGO_BIN_EXE_rs-nsenter");

/// The `SigIgn` mask of a program started by `tool args...` from a shell that ignores
/// SIGPIPE (as a shell does under `trap '' PIPE`, or a caller such as a daemon).
fn ignored_signals(tool: &str, args: &[&str]) -> String {
    let script = r#"trap '' PIPE; exec "$@" sh -c 'grep SigIgn /proc/self/status'"#;
    let (out, err, code) = run(Command::new("/bin/sh").args(["-c", script, "sh", tool]).args(args));
    assert_eq!((err.as_str(), code), ("", 0), "{tool} {args:?}");
    out
}

/// util-linux leaves the program the signal dispositions it was given: an ignored
/// SIGPIPE stays ignored (a program that wants its default sets it itself).
#[test]
fn an_ignored_sigpipe_stays_ignored() {
    if !require_root("an_ignored_sigpipe_stays_ignored") {
        return;
    }
    let want = ignored_signals("/usr/bin/unshare", &["-U"]);
    assert!(want.contains("SigIgn:"), "{want}");
    assert_eq!(ignored_signals(UNSHARE, &["-U"]), want);
    assert_eq!(ignored_signals(UNSHARE, &["-fp"]), ignored_signals("/usr/bin/unshare", &["-fp"]));
    let own_net = ["--net=/proc/self/ns/net"];
    assert_eq!(ignored_signals(NSENTER, &own_net), ignored_signals("/usr/bin/nsenter", &own_net));
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
    every_type_has_its_option(unshare::cli::OPTIONS, unshare::cli::Id::Ns);
    every_type_has_its_option(nsenter::cli::OPTIONS, nsenter::cli::Id::Ns);
}
