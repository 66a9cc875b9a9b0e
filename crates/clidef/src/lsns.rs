//! rs-lsns's command line.

use clap::Arg;

use crate::complete::values::{COLUMN_LIST, COLUMN_NAMES};
use crate::{command, flag, Def, Layout, Value};

const OPTS: &str = "options";
const INFO: &str = "information";

/// The output columns, as `-o` and `-Q` complete them. rs-lsns's own list is in its
/// `columns.rs`; a test checks the two agree.
pub const COLUMNS: [&str; 15] = [
    "NS",
    "TYPE",
    "PATH",
    "NPROCS",
    "PID",
    "PPID",
    "COMMAND",
    "UID",
    "USER",
    "NETNSID",
    "NSFS",
    "PNS",
    "ONS",
    "CONTAINER",
    "CONTAINERNAME",
];

const TYPES: &[&str] = &["mnt", "net", "ipc", "user", "pid", "uts", "cgroup", "time"];

pub fn def() -> Def {
    let cmd = command(
        "rs-lsns",
        "{name} [options] [<namespace>]",
        "List the namespaces of this system, or the processes of one namespace.",
        "Columns:\n{columns}\nSee {name}(8) for the filter language and the details.",
    )
    .args([
        flag('J', "json", "print JSON").at(OPTS, 1),
        flag('l', "list", "a flat list instead of the default process tree").at(OPTS, 2),
        flag('P', "persistent", "only namespaces without processes (bind mounts, fds)").at(OPTS, 6),
        flag('p', "task", "only the namespaces of this process").value("<pid>").at(OPTS, 7),
        flag('o', "output", "the columns to print (+<list> adds to the default ones)")
            .value("<list>")
            .completing(&[COLUMN_LIST])
            .at(OPTS, 4),
        flag(' ', "output-all", "print every column").at(OPTS, 5),
        flag('u', "notruncate", "never cut the COMMAND column to the terminal width").at(OPTS, 10),
        flag('n', "noheadings", "leave out the header line").at(OPTS, 3),
        flag('r', "raw", "raw output: space separated, special bytes escaped").at(OPTS, 9),
        flag('h', "help", "show this help").at(INFO, 90),
        flag('V', "version", "show the version").at(INFO, 91),
        flag('t', "type", "only this type: mnt, net, ipc, user, pid, uts, cgroup, time")
            .value("<name>")
            .completing(TYPES)
            .repeated()
            .at(OPTS, 12),
        flag('T', "tree", "tree by: owner (bare -T), parent, process (default)")
            .optional("<rel>")
            .completing(&["process", "owner", "parent"])
            .at(OPTS, 13),
        flag('W', "nowrap", "keep multi-value cells (NSFS) on one line").at(OPTS, 11),
        flag('Q', "filter", "only lines for which the expression holds")
            .value("<expr>")
            .completing(&[COLUMN_NAMES])
            .at(OPTS, 8),
        flag('H', "list-columns", "describe the available columns").at(OPTS, 14),
        flag(' ', "children", "also namespaces only *_for_children links keep").at(OPTS, 15),
        Arg::new("namespace").value_name("namespace"),
    ]);
    Def { cmd, layout: Layout { column: 24, long_only_indent: "     " }, short_optional_values: true }
}
