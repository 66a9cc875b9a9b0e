//! Every signal a child dies of is passed on: the waiting rs-unshare (`--fork`) and
//! rs-nsenter (when it forks into a PID namespace) die of the same signal, real-time ones
//! included, so a shell sees 128+n. Checked as root and as uid 65534 (rootless).

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Output};

use crate::common::{
    require_root, require_unpriv, run, run_timeout, spawn_piped, state, unpriv, unpriv_bin, wait_timeout, wait_until,
    Target,
};

const UNSHARE: &str = env!("CARGO_BIN_EXE_rs-unshare");
const NSENTER: &str = env!("CARGO_BIN_EXE_rs-nsenter");

/// Signal numbers with the names sh (dash) knows them by: glibc's SIGRTMIN is 34, so
/// dash's `RTMIN+n` is 34+n. 32 and 33 are real-time signals glibc keeps for itself;
/// a child still dies of them when someone sends them.
const REALTIME: [(&str, i32); 7] =
    [("-32", 32), ("-33", 33), ("-34", 34), ("-40", 40), ("-64", 64), ("-s RTMIN+3", 37), ("-s RTMAX-1", 63)];

/// Gives signals 32 and 33 their default action in this test process, so that the
/// children started through [`forked`] inherit it. A program started with a signal
/// ignored cannot die of it, and glibc's `posix_spawn` (which std's `Command` and cargo
/// use) starts every child with these two ignored; glibc also refuses to change them, so
/// the shells under test could not undo it.
fn default_actions_for_32_and_33() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for sig in [32, 33] {
            nscore::sys::reset_and_unblock(sig).unwrap();
        }
    });
}

/// `cmd`, started by fork and exec rather than `posix_spawn` (setting the uid, to our
/// own, is what makes std fall back to them), so that it inherits our signal actions.
fn forked(mut cmd: Command) -> Command {
    cmd.uid(nix::unistd::getuid().as_raw());
    cmd
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Whether a test may run (root, or with `unpriv` an unprivileged user in a user
/// namespace: uid 65534 when we are root, else ourselves), after
/// setting up the signal dispositions the children inherit.
fn may_run(unpriv: bool) -> bool {
    default_actions_for_32_and_33();
    if unpriv {
        require_unpriv()
    } else {
        require_root()
    }
}

/// Asserts that `o` is a death by `sig` with nothing said on stderr.
fn died_of(o: &Output, sig: i32, what: &str) {
    assert_eq!((o.status.code(), o.status.signal()), (None, Some(sig)), "{what}: stderr {}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "", "{what}");
}

/// `sh -c 'kill <how> $$'`: a program that dies of the signal.
fn suicide(how: &str) -> [String; 3] {
    ["sh".into(), "-c".into(), format!("kill {how} $$")]
}

#[test]
fn unshare_passes_realtime_signals_on() {
    if !may_run(false) {
        return;
    }
    for (how, sig) in REALTIME {
        for extra in [&["-f", "-u"][..], &["-f", "-u", "--kill-child"][..], &["--fork", "--kill-child=KILL"][..]] {
            let o = run_timeout(forked(Command::new(UNSHARE)).args(extra).args(suicide(how)), 60);
            died_of(&o, sig, &format!("rs-unshare {extra:?} kill {how}"));
        }
    }
    // SIGKILL and an ordinary signal take the same path
    for (how, sig) in [("-KILL", 9), ("-TERM", 15), ("-USR1", 10)] {
        let o = run_timeout(Command::new(UNSHARE).args(["-f", "--kill-child"]).args(suicide(how)), 60);
        died_of(&o, sig, how);
    }
}

#[test]
fn a_shell_sees_128_plus_n() {
    if !may_run(false) {
        return;
    }
    let script =
        format!("{UNSHARE} -f -u sh -c 'kill -34 $$'; echo $?; {UNSHARE} -f --kill-child sh -c 'kill -64 $$'; echo $?");
    let o = run_timeout(Command::new("sh").args(["-c", &script]), 60);
    assert_eq!(text(&o.stdout), "162\n192\n", "{}", text(&o.stderr));
}

#[test]
fn unshare_rootless_passes_realtime_signals_on() {
    if !may_run(true) {
        return;
    }
    for (how, sig) in REALTIME {
        for extra in
            [&["-r", "-f"][..], &["-r", "-f", "--kill-child"][..], &["-r", "-f", "-n", "--kill-child=TERM"][..]]
        {
            let o = run_timeout(forked(unpriv_bin(UNSHARE)).args(extra).args(suicide(how)), 60);
            died_of(&o, sig, &format!("rs-unshare {extra:?} kill {how} unprivileged"));
        }
    }
}

/// Started with the signal blocked or ignored (both inherited through exec), the parent
/// still dies of it: the default action is restored and the signal unblocked first.
#[test]
fn unshare_dies_of_a_realtime_signal_it_was_started_with_blocked_or_ignored() {
    if !may_run(false) {
        return;
    }
    let child = "import os, signal; signal.pthread_sigmask(signal.SIG_UNBLOCK, [40]); \
                 signal.signal(40, signal.SIG_DFL); os.kill(os.getpid(), 40)";
    for how in ["signal.pthread_sigmask(signal.SIG_BLOCK, [40])", "signal.signal(40, signal.SIG_IGN)"] {
        let caller =
            format!("import os, signal; {how}; os.execv({UNSHARE:?}, [{UNSHARE:?}, '-f', 'python3', '-c', {child:?}])");
        let o = run_timeout(Command::new("python3").args(["-c", &caller]), 60);
        died_of(&o, 40, how);
    }
}

/// Runs every real-time case through rs-nsenter (`make` gives the command, as root or
/// unprivileged) into `target`, with each of `extras`.
fn nsenter_cases(target: &Target, make: fn() -> Command, extras: &[&[&str]], who: &str) {
    let pid = target.pid.to_string();
    for (how, sig) in REALTIME {
        for extra in extras {
            let o = run_timeout(forked(make()).args(["-t", &pid]).args(*extra).args(suicide(how)), 60);
            died_of(&o, sig, &format!("rs-nsenter {extra:?} kill {how} {who}"));
        }
    }
}

/// rs-nsenter forks into the PID namespace (`-p`), or with `-F` becomes the program.
#[test]
fn nsenter_passes_realtime_signals_on() {
    if !may_run(false) {
        return;
    }
    let mut c = Command::new("/usr/bin/unshare");
    c.args(["-p", "-u", "--fork", "--kill-child", "sleep", "300"]);
    let t = Target::spawn(c, 1);
    nsenter_cases(&t, || Command::new(NSENTER), &[&["-p"], &["-p", "-u"], &["-p", "-F"]], "as root");
}

#[test]
fn nsenter_into_a_rootless_container_passes_realtime_signals_on() {
    if !may_run(true) {
        return;
    }
    let mut c = unpriv("/usr/bin/unshare");
    c.args(["-r", "-p", "-m", "--fork", "--kill-child", "sleep", "300"]);
    let t = Target::spawn(c, 1);
    let extras: &[&[&str]] = &[&["-U", "-p"], &["-U", "-p", "-m", "--preserve-credentials"], &["-U", "-p", "-F"]];
    nsenter_cases(&t, || unpriv_bin(NSENTER), extras, "unprivileged");
}

/// The raw status still tells a stop from a death: rs-nsenter stops with its stopped
/// child, and once continued dies of the real-time signal the child then dies of.
#[test]
fn nsenter_mirrors_a_stop_then_a_realtime_death() {
    if !may_run(false) {
        return;
    }
    let mut c = Command::new("/usr/bin/unshare");
    c.args(["-p", "--fork", "--kill-child", "sleep", "300"]);
    let t = Target::spawn(c, 1);
    let script = "kill -STOP $$; kill -s RTMIN+6 $$";
    let child = spawn_piped(Command::new(NSENTER).args(["-t", &t.pid.to_string(), "-p", "sh", "-c", script]));
    let us = child.id() as i32;
    wait_until("rs-nsenter to stop with its child", || state(us) == Some(b'T'));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(us), nix::sys::signal::Signal::SIGCONT).unwrap();
    let o = wait_timeout(child, 60);
    died_of(&o, 40, "stopped, then RTMIN+6");
}

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
    if !require_root() {
        return;
    }
    let want = ignored_signals("/usr/bin/unshare", &["-U"]);
    assert!(want.contains("SigIgn:"), "{want}");
    assert_eq!(ignored_signals(UNSHARE, &["-U"]), want);
    assert_eq!(ignored_signals(UNSHARE, &["-fp"]), ignored_signals("/usr/bin/unshare", &["-fp"]));
    let own_net = ["--net=/proc/self/ns/net"];
    assert_eq!(ignored_signals(NSENTER, &own_net), ignored_signals("/usr/bin/nsenter", &own_net));
}
