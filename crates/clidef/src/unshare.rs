//! rs-unshare's command line.

use clap::Arg;
use clap::ValueHint::{DirPath, FilePath, Username};

use crate::complete::values::{GIDS, GROUPS, SIGNALS, UIDS};
use crate::{command, flag, program, Def, Layout, Value};

const NS: &str = "namespaces";
const USER: &str = "user namespace";
const SETUP: &str = "set-up";
const EXEC: &str = "program";
const INFO: &str = "information";

/// A namespace option: `-m`, `--mount[=<file>]` (a file persists it).
fn ns(short: char, long: &'static str, help: &'static str, order: usize) -> Arg {
    flag(short, long, help).optional("<file>").value_hint(FilePath).at(NS, order)
}

pub fn def() -> Def {
    let cmd = command(
        "rs-unshare",
        "{name} [options] [<program> [<argument>...]]",
        "Run a program in new namespaces, detached from those of the caller.",
        "For more details see {name}(1).",
    )
    .args(namespaces_and_processes())
    .args(maps_and_set_up())
    .args(the_program());
    Def { cmd, layout: Layout { column: 27, long_only_indent: " " }, short_optional_values: false }
}

// The options in util-linux's table order, in three runs.

fn namespaces_and_processes() -> Vec<Arg> {
    vec![
        flag('h', "help", "display this help").at(INFO, 90),
        flag('V', "version", "display version").at(INFO, 91),
        ns('m', "mount", "new mount namespace", 1),
        ns('u', "uts", "new UTS namespace (host and domain name)", 2),
        ns('i', "ipc", "new System V IPC namespace", 3),
        ns('n', "net", "new network namespace", 4),
        ns('p', "pid", "new PID namespace (for the children of the program)", 5),
        ns('U', "user", "new user namespace", 6),
        ns('C', "cgroup", "new cgroup namespace", 7),
        ns('T', "time", "new time namespace", 8)
            .long_help("new time namespace\n  a <file> keeps the namespace alive by a bind mount"),
        flag('f', "fork", "run the program as a child and wait for it").at(USER, 10),
        flag(' ', "kill-child", "send the child a signal (default SIGKILL) when {name} dies (implies --fork)")
            .long_help("send the child a signal (default SIGKILL) when\n  {name} dies (implies --fork)")
            .optional("<signame>")
            .completing(&[SIGNALS])
            .at(SETUP, 20),
        flag(' ', "forward-signals", "pass SIGTERM and SIGINT on to the child (implies --fork)").at(SETUP, 21),
        flag(' ', "mount-proc", "mount a proc filesystem first (implies --mount)")
            .optional("<dir>")
            .value_hint(DirPath)
            .at(SETUP, 22),
        flag(' ', "mount-binfmt", "mount a binfmt_misc filesystem (implies --user, --mount)")
            .optional("<dir>")
            .value_hint(DirPath)
            .at(SETUP, 23),
        flag('l', "load-interp", "register a binfmt_misc interpreter (implies --mount-binfmt)")
            .value_eq("<file>")
            .at(SETUP, 24),
    ]
}

fn maps_and_set_up() -> Vec<Arg> {
    vec![
        flag(' ', "map-user", "map the current user to <uid> (implies --user)")
            .value_eq("<uid>|<name>")
            .value_hint(Username)
            .at(USER, 11),
        flag(' ', "map-users", "map <count> users from <outeruid> outside to <inneruid> inside; also auto, subids or all (implies --user)")
            .long_help("map <count> users from <outeruid> outside to <inneruid>\n  inside; also auto, subids or all (implies --user)")
            .value_eq("<inneruid>:<outeruid>:<count>")
            .completing(&["auto", "subids", "all"])
            .repeated()
            .at(USER, 17),
        flag(' ', "map-group", "map the current group to <gid> (implies --user)").value_eq("<gid>|<name>")
            .completing(&[GROUPS])
            .at(USER, 12),
        flag(' ', "map-groups", "the same for groups (implies --user)")
            .value_eq("<innergid>:<outergid>:<count>")
            .completing(&["auto", "subids", "all"])
            .repeated()
            .at(USER, 18),
        flag('r', "map-root-user", "map the current user and group to root (implies --user)").at(USER, 13),
        flag('c', "map-current-user", "map the current user and group to themselves (implies --user)").at(USER, 14),
        flag(' ', "map-auto", "map the first block of /etc/subuid and /etc/subgid (implies --user)")
            .long_help("map the first block of /etc/subuid and /etc/subgid\n  (implies --user)")
            .at(USER, 15),
        flag(' ', "map-subids", "map that block onto itself (implies --user)").at(USER, 16),
        flag(' ', "owner", "owner of the new user namespace (implies --user)").value_eq("<uid>:<gid>").at(USER, 19),
        flag(' ', "propagation", "mount propagation of / in the new mount namespace")
            .choice(&["slave", "shared", "private", "unchanged"])
            .at(SETUP, 25),
        flag(' ', "setgroups", "allow or deny setgroups(2) in the new user namespace")
            .choice(&["allow", "deny"])
            .at(SETUP, 26),
        flag(' ', "keep-caps", "keep the capabilities of the new user namespace").at(SETUP, 27),
    ]
}

fn the_program() -> Vec<Arg> {
    vec![
        flag('S', "setuid", "set the user id in the new namespaces").value("<uid>").completing(&[UIDS]).at(EXEC, 32),
        flag('G', "setgid", "set the group id in the new namespaces").value("<gid>").completing(&[GIDS]).at(EXEC, 33),
        flag('R', "root", "change the root directory to <dir>").value_eq("<dir>").value_hint(DirPath).at(EXEC, 30),
        flag('w', "wd", "change the working directory to <dir>").value_eq("<dir>").value_hint(DirPath).at(EXEC, 31),
        flag(' ', "monotonic", "offset of CLOCK_MONOTONIC in the new time namespace (seconds)")
            .value("<offset>")
            .at(EXEC, 34),
        flag(' ', "boottime", "offset of CLOCK_BOOTTIME in the new time namespace (seconds)")
            .value("<offset>")
            .at(EXEC, 35),
        flag(' ', "clear-env", "run the program with an empty environment").at(EXEC, 36),
        flag(' ', "whitelist-env", "keep only these environment variables (comma list)")
            .value("<list>")
            .repeated()
            .at(EXEC, 37),
        program(),
    ]
}
