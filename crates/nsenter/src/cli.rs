//! The command line: util-linux's option table (`+ahVt:m::u::i::n::N:p::C::U::T::S:G:r::w::W::ecFZ`
//! plus the long names), parsed by nscore's getopt work-alike, and the help text.

use std::ffi::OsString;

use nscore::getopt::{self, HasArg, Opt, Ordering};
use nscore::{NsType, Result};

use crate::plan::{Flow, OptId, Plan};

const fn opt(short: u8, long: &'static str, has_arg: HasArg, id: OptId) -> Opt<OptId> {
    Opt::new(if short == 0 { None } else { Some(short) }, Some(long), has_arg, id)
}

/// Options in util-linux's order; `0` marks a long-only option.
pub const OPTIONS: &[Opt<OptId>] = &[
    opt(b'a', "all", HasArg::No, OptId::All),
    opt(b'h', "help", HasArg::No, OptId::Help),
    opt(b'V', "version", HasArg::No, OptId::Version),
    opt(b't', "target", HasArg::Required, OptId::Target),
    opt(b'm', "mount", HasArg::Optional, OptId::Ns(NsType::Mnt)),
    opt(b'u', "uts", HasArg::Optional, OptId::Ns(NsType::Uts)),
    opt(b'i', "ipc", HasArg::Optional, OptId::Ns(NsType::Ipc)),
    opt(b'n', "net", HasArg::Optional, OptId::Ns(NsType::Net)),
    opt(b'N', "net-socket", HasArg::Required, OptId::NetSocket),
    opt(b'p', "pid", HasArg::Optional, OptId::Ns(NsType::Pid)),
    opt(b'C', "cgroup", HasArg::Optional, OptId::Ns(NsType::Cgroup)),
    opt(b'U', "user", HasArg::Optional, OptId::Ns(NsType::User)),
    opt(0, "user-parent", HasArg::No, OptId::UserParent),
    opt(b'T', "time", HasArg::Optional, OptId::Ns(NsType::Time)),
    opt(b'S', "setuid", HasArg::Required, OptId::SetUid),
    opt(b'G', "setgid", HasArg::Required, OptId::SetGid),
    opt(0, "preserve-credentials", HasArg::No, OptId::PreserveCredentials),
    opt(0, "keep-caps", HasArg::No, OptId::KeepCaps),
    opt(b'r', "root", HasArg::Optional, OptId::Root),
    opt(b'w', "wd", HasArg::Optional, OptId::Wd),
    opt(b'W', "wdns", HasArg::Optional, OptId::WdNs),
    opt(b'e', "env", HasArg::No, OptId::Env),
    opt(b'c', "join-cgroup", HasArg::No, OptId::JoinCgroup),
    opt(b'F', "no-fork", HasArg::No, OptId::NoFork),
    opt(b'Z', "follow-context", HasArg::No, OptId::FollowContext),
];

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Help,
    Version,
    Run(Box<Plan>),
}

/// Parses the arguments after argv\[0\].
pub fn parse(args: &[OsString]) -> Result<Command> {
    let parsed =
        getopt::parse_until(args, OPTIONS, Ordering::RequireOrder, |id| matches!(id, OptId::Help | OptId::Version))?;
    let mut plan = Plan::default();
    for (id, val) in &parsed.opts {
        match plan.apply(*id, val.as_deref())? {
            Flow::Continue => {}
            Flow::Help => return Ok(Command::Help),
            Flow::Version => return Ok(Command::Version),
        }
    }
    Ok(Command::Run(Box::new(plan.finish(parsed.operands)?)))
}

/// The `--help` text: util-linux's option names and notation, our own words.
pub fn help(name: &str) -> String {
    format!(
        "
Usage:
 {name} [options] [<program> [<argument>...]]

Run a program inside the namespaces of another process, or of namespace files.

Options:
 -a, --all              enter every namespace of the target that differs from ours
 -t, --target <pid>[:<inode>]
                        the process whose namespaces to enter
 -m, --mount[=<file>]   enter the mount namespace
 -u, --uts[=<file>]     enter the UTS namespace (host and domain name)
 -i, --ipc[=<file>]     enter the System V IPC namespace
 -n, --net[=<file>]     enter the network namespace
 -N, --net-socket <fd>  enter the network namespace of the target's socket <fd>
 -p, --pid[=<file>]     enter the PID namespace (the program runs in a child)
 -C, --cgroup[=<file>]  enter the cgroup namespace
 -U, --user[=<file>]    enter the user namespace
     --user-parent      enter the parent of that user namespace instead
 -T, --time[=<file>]    enter the time namespace
 -S, --setuid <uid>|follow
                        user ID to run as (follow: the target's owner)
 -G, --setgid <gid>|follow
                        group ID to run as, without supplementary groups
     --preserve-credentials
                        keep our user and group IDs when entering a user namespace
     --keep-caps        keep the capabilities gained in the user namespace
 -r, --root[=<dir>]     change the root directory (default: the target's)
 -w, --wd[=<dir>]       change the working directory (default: the target's)
 -W, --wdns[=<dir>]     change to a directory looked up inside the namespaces
 -e, --env              take the environment of the target process
 -F, --no-fork          do not fork, even when entering a PID namespace
 -c, --join-cgroup      move into the target's cgroup (cgroup v2 only)
 -Z, --follow-context   take the target's SELinux context

 -h, --help             display this help
 -V, --version          display version

A <file> is /proc/<pid>/ns/<type> or a bind mount of one; :<id> names a namespace
by its 64-bit ID (Linux 6.19 or newer).

For more details see rs-nsenter(1).
"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{DirSpec, NsSource};

    fn run(v: &[&str]) -> Result<Command> {
        parse(&v.iter().map(OsString::from).collect::<Vec<_>>())
    }

    fn plan(v: &[&str]) -> Plan {
        match run(v).unwrap() {
            Command::Run(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn table_matches_the_short_option_string() {
        let mut s = String::from("+");
        for o in OPTIONS.iter().filter(|o| o.short.is_some()) {
            s.push(o.short.unwrap() as char);
            s.push_str(match o.has_arg {
                HasArg::No => "",
                HasArg::Required => ":",
                HasArg::Optional => "::",
            });
        }
        assert_eq!(s, "+ahVt:m::u::i::n::N:p::C::U::T::S:G:r::w::W::ecFZ");
    }

    #[test]
    fn attached_values() {
        let p = plan(&["-t1", "-n/path", "-u=/u", "-m", "ls", "-l"]);
        assert_eq!(p.target.unwrap().pid, 1);
        assert_eq!(p.ns_source(NsType::Net), Some(&NsSource::File("/path".into())));
        assert_eq!(p.ns_source(NsType::Uts), Some(&NsSource::File("/u".into())));
        assert_eq!(p.ns_source(NsType::Mnt), Some(&NsSource::Target));
        assert_eq!(p.program, vec![OsString::from("ls"), OsString::from("-l")]);
        // -nu is --net=u, and a detached value is the program
        let p = plan(&["-t1", "-nu", "--ipc", "/x"]);
        assert_eq!(p.ns_source(NsType::Net), Some(&NsSource::File("u".into())));
        assert_eq!(p.ns_source(NsType::Uts), None);
        assert_eq!(p.program, vec![OsString::from("/x")]);
        let p = plan(&["-t", "1", "-aw-W/x", "--", "-a"]);
        assert!(p.all);
        assert_eq!(p.wd, Some(DirSpec::Path("-W/x".into())));
        assert_eq!(p.program, vec![OsString::from("-a")]);
    }

    #[test]
    fn help_and_errors() {
        // like a getopt loop, --help acts at once: later mistakes go unnoticed
        assert!(matches!(run(&["-h", "--bogus"]), Ok(Command::Help)));
        assert!(run(&["--bogus", "-h"]).is_err());
        assert!(matches!(run(&["-h", "-t", "x"]), Ok(Command::Help)));
        assert!(matches!(run(&["--vers"]), Ok(Command::Version)));
        assert_eq!(run(&["-x"]).unwrap_err().to_string(), "invalid option -- 'x'");
        assert_eq!(run(&["-t"]).unwrap_err().to_string(), "option requires an argument -- 't'");
        assert_eq!(
            run(&["-t", "x", "-h"]).unwrap_err().to_string(),
            "failed to parse PID argument 'x': Invalid argument"
        );
        assert!(help("rs-nsenter").contains(" rs-nsenter [options]"));
    }
}
