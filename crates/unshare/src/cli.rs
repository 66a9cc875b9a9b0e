//! The command line: option table, help text, and the raw option list.
//!
//! Short-option string as util-linux's: `+fhVmuinpCTUrR:w:S:G:cl:` (the leading `+`
//! stops at the program name, so its own options are left alone).

use std::ffi::OsString;

use nscore::getopt::{self, HasArg, Opt as O, Ordering};

/// Every option rs-unshare knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Id {
    Help,
    Version,
    Ns(nscore::NsType),
    Fork,
    KillChild,
    ForwardSignals,
    MountProc,
    MountBinfmt,
    LoadInterp,
    MapUser,
    MapUsers,
    MapGroup,
    MapGroups,
    MapRootUser,
    MapCurrentUser,
    MapAuto,
    MapSubids,
    Owner,
    Propagation,
    Setgroups,
    KeepCaps,
    Setuid,
    Setgid,
    Root,
    Wd,
    Monotonic,
    Boottime,
    ClearEnv,
    WhitelistEnv,
}

use nscore::NsType as T;
use HasArg::{No, Optional, Required};

/// The table, in the order the ambiguity message lists long options.
pub const OPTIONS: &[O<Id>] = &[
    O::new(Some(b'h'), Some("help"), No, Id::Help),
    O::new(Some(b'V'), Some("version"), No, Id::Version),
    O::new(Some(b'm'), Some("mount"), Optional, Id::Ns(T::Mnt)).short_without_value(),
    O::new(Some(b'u'), Some("uts"), Optional, Id::Ns(T::Uts)).short_without_value(),
    O::new(Some(b'i'), Some("ipc"), Optional, Id::Ns(T::Ipc)).short_without_value(),
    O::new(Some(b'n'), Some("net"), Optional, Id::Ns(T::Net)).short_without_value(),
    O::new(Some(b'p'), Some("pid"), Optional, Id::Ns(T::Pid)).short_without_value(),
    O::new(Some(b'U'), Some("user"), Optional, Id::Ns(T::User)).short_without_value(),
    O::new(Some(b'C'), Some("cgroup"), Optional, Id::Ns(T::Cgroup)).short_without_value(),
    O::new(Some(b'T'), Some("time"), Optional, Id::Ns(T::Time)).short_without_value(),
    O::new(Some(b'f'), Some("fork"), No, Id::Fork),
    O::new(None, Some("kill-child"), Optional, Id::KillChild),
    O::new(None, Some("forward-signals"), No, Id::ForwardSignals),
    O::new(None, Some("mount-proc"), Optional, Id::MountProc),
    O::new(None, Some("mount-binfmt"), Optional, Id::MountBinfmt),
    O::new(Some(b'l'), Some("load-interp"), Required, Id::LoadInterp),
    O::new(None, Some("map-user"), Required, Id::MapUser),
    O::new(None, Some("map-users"), Required, Id::MapUsers),
    O::new(None, Some("map-group"), Required, Id::MapGroup),
    O::new(None, Some("map-groups"), Required, Id::MapGroups),
    O::new(Some(b'r'), Some("map-root-user"), No, Id::MapRootUser),
    O::new(Some(b'c'), Some("map-current-user"), No, Id::MapCurrentUser),
    O::new(None, Some("map-auto"), No, Id::MapAuto),
    O::new(None, Some("map-subids"), No, Id::MapSubids),
    O::new(None, Some("owner"), Required, Id::Owner),
    O::new(None, Some("propagation"), Required, Id::Propagation),
    O::new(None, Some("setgroups"), Required, Id::Setgroups),
    O::new(None, Some("keep-caps"), No, Id::KeepCaps),
    O::new(Some(b'S'), Some("setuid"), Required, Id::Setuid),
    O::new(Some(b'G'), Some("setgid"), Required, Id::Setgid),
    O::new(Some(b'R'), Some("root"), Required, Id::Root),
    O::new(Some(b'w'), Some("wd"), Required, Id::Wd),
    O::new(None, Some("monotonic"), Required, Id::Monotonic),
    O::new(None, Some("boottime"), Required, Id::Boottime),
    O::new(None, Some("clear-env"), No, Id::ClearEnv),
    O::new(None, Some("whitelist-env"), Required, Id::WhitelistEnv),
];

/// The parsed command line: options in order, then the program and its arguments.
pub type Args = getopt::Parsed<Id>;

/// Splits the command line (without argv\[0\]).
pub fn parse(args: &[OsString]) -> Result<Args, getopt::GetoptError> {
    getopt::parse_until(args, OPTIONS, Ordering::RequireOrder, |id| matches!(id, Id::Help | Id::Version))
}

/// The `--help` text.
pub fn help(name: &str) -> String {
    format!(
        "\
Usage:
 {name} [options] [<program> [<argument>...]]

Run a program in new namespaces, detached from those of the caller.

Options:
 -m, --mount[=<file>]      new mount namespace
 -u, --uts[=<file>]        new UTS namespace (host and domain name)
 -i, --ipc[=<file>]        new System V IPC namespace
 -n, --net[=<file>]        new network namespace
 -p, --pid[=<file>]        new PID namespace (for the children of the program)
 -U, --user[=<file>]       new user namespace
 -C, --cgroup[=<file>]     new cgroup namespace
 -T, --time[=<file>]       new time namespace
                             a <file> keeps the namespace alive by a bind mount

 -f, --fork                run the program as a child and wait for it
 --map-user=<uid>|<name>   map the current user to <uid> (implies --user)
 --map-group=<gid>|<name>  map the current group to <gid> (implies --user)
 -r, --map-root-user       map the current user and group to root (implies --user)
 -c, --map-current-user    map the current user and group to themselves (implies --user)
 --map-auto                map the first block of /etc/subuid and /etc/subgid
                             (implies --user)
 --map-subids              map that block onto itself (implies --user)
 --map-users=<inneruid>:<outeruid>:<count>
                           map <count> users from <outeruid> outside to <inneruid>
                             inside; also auto, subids or all (implies --user)
 --map-groups=<innergid>:<outergid>:<count>
                           the same for groups (implies --user)
 --owner=<uid>:<gid>       owner of the new user namespace (implies --user)

 --kill-child[=<signame>]  send the child a signal (default SIGKILL) when
                             {name} dies (implies --fork)
 --forward-signals         pass SIGTERM and SIGINT on to the child (implies --fork)
 --mount-proc[=<dir>]      mount a proc filesystem first (implies --mount)
 --mount-binfmt[=<dir>]    mount a binfmt_misc filesystem (implies --user, --mount)
 -l, --load-interp=<file>  register a binfmt_misc interpreter (implies --mount-binfmt)
 --propagation slave|shared|private|unchanged
                           mount propagation of / in the new mount namespace
 --setgroups allow|deny    allow or deny setgroups(2) in the new user namespace
 --keep-caps               keep the capabilities of the new user namespace

 -R, --root=<dir>          change the root directory to <dir>
 -w, --wd=<dir>            change the working directory to <dir>
 -S, --setuid <uid>        set the user id in the new namespaces
 -G, --setgid <gid>        set the group id in the new namespaces
 --monotonic <offset>      offset of CLOCK_MONOTONIC in the new time namespace (seconds)
 --boottime <offset>       offset of CLOCK_BOOTTIME in the new time namespace (seconds)
 --clear-env               run the program with an empty environment
 --whitelist-env <list>    keep only these environment variables (comma list)

 -h, --help                display this help
 -V, --version             display version

For more details see rs-unshare(1).
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn stops_at_the_program() {
        let p = parse(&a(&["-fpu", "ls", "-l"])).unwrap();
        assert_eq!(p.opts.iter().map(|o| o.0).collect::<Vec<_>>(), vec![Id::Fork, Id::Ns(T::Pid), Id::Ns(T::Uts)]);
        assert_eq!(p.operands, a(&["ls", "-l"]));
    }

    #[test]
    fn short_namespace_options_take_no_value() {
        let p = parse(&a(&["-fpu", "true"])).unwrap();
        assert_eq!(p.opts, vec![(Id::Fork, None), (Id::Ns(T::Pid), None), (Id::Ns(T::Uts), None)]);
    }

    #[test]
    fn optional_values_only_attached() {
        let p = parse(&a(&["--net", "/x"])).unwrap();
        assert_eq!(p.opts, vec![(Id::Ns(T::Net), None)]);
        assert_eq!(p.operands, a(&["/x"]));
        let p = parse(&a(&["--net=/x", "--kill-child=TERM"])).unwrap();
        assert_eq!(p.opts, vec![(Id::Ns(T::Net), Some("/x".into())), (Id::KillChild, Some("TERM".into()))]);
        assert_eq!(parse(&a(&["-n/x"])).unwrap_err().0, "invalid option -- '/'");
    }

    #[test]
    fn ambiguity_lists_in_table_order() {
        let e = parse(&a(&["--map-g"])).unwrap_err();
        assert_eq!(e.0, "option '--map-g' is ambiguous; possibilities: '--map-group' '--map-groups'");
        assert_eq!(parse(&a(&["--map-gr=0"])).unwrap_err().0, e.0.replace("map-g'", "map-gr'"));
    }

    #[test]
    fn every_short_option_of_util_linux() {
        for c in "fhVmuinpCTUrR:w:S:G:cl:".bytes().filter(|b| *b != b':') {
            assert!(OPTIONS.iter().any(|o| o.short == Some(c)), "{}", c as char);
        }
        assert!(help("x").contains("--whitelist-env"));
    }
}
