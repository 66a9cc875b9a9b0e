//! rs-nsenter's command line.

use clap::ValueHint::{DirPath, FilePath};

use crate::complete::values::{CONTAINERS, GIDS, UIDS};
use crate::{command, flag, program, Def, Layout, Value};

const OPTS: &str = "options";
const INFO: &str = "information";

/// A namespace option: `-m`, `--mount[=<file>]` (a file instead of the target's).
fn ns(short: char, long: &'static str, help: &'static str, order: usize) -> clap::Arg {
    flag(short, long, help).optional("<file>").value_hint(FilePath).at(OPTS, order)
}

fn dir(short: char, long: &'static str, help: &'static str, order: usize) -> clap::Arg {
    flag(short, long, help).optional("<dir>").value_hint(DirPath).at(OPTS, order)
}

pub fn def() -> Def {
    let cmd = command(
        "rs-nsenter",
        "{name} [options] [<program> [<argument>...]]",
        "Run a program inside the namespaces of another process, or of namespace files.",
        "A <file> is /proc/<pid>/ns/<type> or a bind mount of one; :<id> names a namespace\n\
         by its 64-bit ID (Linux 6.19 or newer).\n\nFor more details see {name}(1).",
    )
    .args([
        flag('a', "all", "enter every namespace of the target that differs from ours").at(OPTS, 1),
        flag('h', "help", "display this help").at(INFO, 90),
        flag('V', "version", "display version").at(INFO, 91),
        flag('t', "target", "the process whose namespaces to enter").value("<pid>[:<inode>]").at(OPTS, 2),
        ns('m', "mount", "enter the mount namespace", 3),
        ns('u', "uts", "enter the UTS namespace (host and domain name)", 4),
        ns('i', "ipc", "enter the System V IPC namespace", 5),
        ns('n', "net", "enter the network namespace", 6),
        flag('N', "net-socket", "enter the network namespace of the target's socket <fd>").value("<fd>").at(OPTS, 7),
        ns('p', "pid", "enter the PID namespace (the program runs in a child)", 8),
        ns('C', "cgroup", "enter the cgroup namespace", 9),
        ns('U', "user", "enter the user namespace", 10),
        flag(' ', "user-parent", "enter the parent of that user namespace instead").at(OPTS, 11),
        ns('T', "time", "enter the time namespace", 12),
        flag('S', "setuid", "user ID to run as (follow: the target's owner)")
            .value("<uid>|follow")
            .completing(&["follow", UIDS])
            .at(OPTS, 13),
        flag('G', "setgid", "group ID to run as, without supplementary groups")
            .value("<gid>|follow")
            .completing(&["follow", GIDS])
            .at(OPTS, 14),
        flag(' ', "preserve-credentials", "keep our user and group IDs when entering a user namespace").at(OPTS, 15),
        flag(' ', "keep-caps", "keep the capabilities gained in the user namespace").at(OPTS, 16),
        dir('r', "root", "change the root directory (default: the target's)", 17),
        dir('w', "wd", "change the working directory (default: the target's)", 18),
        dir('W', "wdns", "change to a directory looked up inside the namespaces", 19),
        flag('e', "env", "take the environment of the target process").at(OPTS, 20),
        flag('c', "join-cgroup", "move into the target's cgroup (cgroup v2 only)").at(OPTS, 22),
        flag('F', "no-fork", "do not fork, even when entering a PID namespace").at(OPTS, 21),
        flag('Z', "follow-context", "take the target's SELinux context").at(OPTS, 23),
        // ours: last in the table, so util-linux's options keep their order in getopt's
        // ambiguity messages
        flag(' ', "container", "target a container's main process (all namespaces unless named)")
            .value("<ref>")
            .completing(&[CONTAINERS])
            .at(OPTS, 2),
        program(),
    ]);
    Def { cmd, layout: Layout { column: 24, long_only_indent: "     " }, short_optional_values: true }
}
