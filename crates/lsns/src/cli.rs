//! Command line: util-linux's option names and getopt behaviour (permuting), turned into
//! a validated [`Plan`] without touching the system.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use nscore::getopt::{self, HasArg, Opt, Ordering};
use nscore::{Error, NsSet, NsType};

use crate::columns::Column;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Id {
    Json,
    List,
    Persistent,
    Task,
    Output,
    OutputAll,
    NoHeadings,
    Raw,
    NoTruncate,
    Help,
    Version,
    Type,
    Tree,
    NoWrap,
    Filter,
    ListColumns,
}

const OPTS: &[Opt<Id>] = &[
    Opt::new(Some(b'J'), Some("json"), HasArg::No, Id::Json),
    Opt::new(Some(b'l'), Some("list"), HasArg::No, Id::List),
    Opt::new(Some(b'P'), Some("persistent"), HasArg::No, Id::Persistent),
    Opt::new(Some(b'p'), Some("task"), HasArg::Required, Id::Task),
    Opt::new(Some(b'o'), Some("output"), HasArg::Required, Id::Output),
    Opt::new(None, Some("output-all"), HasArg::No, Id::OutputAll),
    Opt::new(Some(b'n'), Some("noheadings"), HasArg::No, Id::NoHeadings),
    Opt::new(Some(b'r'), Some("raw"), HasArg::No, Id::Raw),
    Opt::new(Some(b'u'), Some("notruncate"), HasArg::No, Id::NoTruncate),
    Opt::new(Some(b'h'), Some("help"), HasArg::No, Id::Help),
    Opt::new(Some(b'V'), Some("version"), HasArg::No, Id::Version),
    Opt::new(Some(b't'), Some("type"), HasArg::Required, Id::Type),
    Opt::new(Some(b'T'), Some("tree"), HasArg::Optional, Id::Tree),
    Opt::new(Some(b'W'), Some("nowrap"), HasArg::No, Id::NoWrap),
    Opt::new(Some(b'Q'), Some("filter"), HasArg::Required, Id::Filter),
    Opt::new(Some(b'H'), Some("list-columns"), HasArg::No, Id::ListColumns),
];

/// Which relation nests the lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tree {
    /// Flat list.
    None,
    /// A line under the line of its representative's parent process.
    Process,
    /// A namespace under its owning user namespace.
    Owner,
    /// A pid or user namespace under its parent (others under their owner).
    Parent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Raw,
    Json,
}

/// Everything the scan and the output need to know, resolved from the options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub columns: Vec<Column>,
    pub format: Format,
    pub headings: bool,
    pub tree: Tree,
    /// Only these types (all when `-t` was not given).
    pub types: NsSet,
    pub task: Option<i32>,
    pub persistent: bool,
    pub filter: Option<OsString>,
    pub notruncate: bool,
    /// NSFS joined with `,` on one line (`-W`, implied by `-r`).
    pub nowrap: bool,
    /// The positional namespace: list its processes.
    pub namespace: Option<u64>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Help,
    Version,
    ListColumns { format: Format },
    List(Plan),
}

fn long_name(id: Id) -> &'static str {
    OPTS.iter().find(|o| o.id == id).and_then(|o| o.long).unwrap_or_default()
}

/// Parses and validates argv (without argv\[0\]).
pub fn parse(args: &[OsString]) -> Result<Action, Error> {
    // getopt acts on each option as it reads it: `-h` or `-V` before a bad option wins
    let parsed = getopt::parse_until(args, OPTS, Ordering::Permute, |id| matches!(id, Id::Help | Id::Version))?;
    let mut json = false;
    let mut raw = false;
    let mut list = false;
    let mut headings = true;
    let mut output: Option<OsString> = None;
    let mut output_all = false;
    let mut persistent = false;
    let mut task = None;
    let mut types = NsSet::EMPTY;
    let mut tree = None;
    let mut nowrap = false;
    let mut notruncate = false;
    let mut filter = None;
    let mut list_columns = false;
    // the options seen so far (each once), for the word order of the exclusion message
    let mut seen: Vec<Id> = Vec::new();
    for (id, val) in parsed.opts {
        let val = val.unwrap_or_default();
        for (a, b) in [(Id::Json, Id::Raw), (Id::Persistent, Id::Task)] {
            if (id == a && seen.contains(&b)) || (id == b && seen.contains(&a)) {
                let first = if id == a { b } else { a };
                return Err(Error::msg(format!(
                    "options --{} and --{} cannot be combined",
                    long_name(first),
                    long_name(id)
                )));
            }
        }
        if !seen.contains(&id) {
            seen.push(id);
        }
        match id {
            Id::Json => json = true,
            Id::Raw => {
                raw = true;
                nowrap = true;
            }
            Id::List => list = true,
            Id::NoHeadings => headings = false,
            Id::Output => output = Some(val),
            Id::OutputAll => output_all = true,
            Id::Persistent => persistent = true,
            Id::Task => task = Some(parse_pid(&val)?),
            Id::Type => {
                let t = NsType::from_proc_name(&getopt::lossy(&val))
                    .ok_or_else(|| Error::msg(format!("unknown namespace type: {}", getopt::lossy(&val))))?;
                types.insert(t);
            }
            Id::Tree => {
                tree = Some(match val.as_bytes() {
                    b"" | b"owner" => Tree::Owner,
                    b"parent" => Tree::Parent,
                    b"process" => Tree::Process,
                    other => return Err(Error::msg(format!("unknown tree type: {}", String::from_utf8_lossy(other)))),
                })
            }
            Id::NoWrap => nowrap = true,
            Id::NoTruncate => notruncate = true,
            Id::Filter => filter = Some(val),
            Id::ListColumns => list_columns = true,
            Id::Help => return Ok(Action::Help),
            Id::Version => return Ok(Action::Version),
        }
    }
    let format = match (json, raw) {
        (true, _) => Format::Json,
        (_, true) => Format::Raw,
        _ => Format::Table,
    };
    if list_columns {
        return Ok(Action::ListColumns { format });
    }
    let namespace = match parsed.operands.first() {
        None => None,
        Some(a) => Some(
            nscore::ids::parse_u64(a.as_bytes())
                .map_err(|_| Error::msg(format!("invalid namespace argument: '{}'", getopt::lossy(a))))?,
        ),
    };
    if namespace.is_some() && task.is_some() {
        return Err(Error::msg("--task is mutually exclusive with <namespace>"));
    }
    // the default tree is decided before -o: `-o` keeps the process tree, --output-all not
    // (but the processes of one namespace keep their tree with it too)
    let tree = tree.unwrap_or(if list || (output_all && namespace.is_none()) { Tree::None } else { Tree::Process });
    let columns = columns_for(output.as_deref(), output_all, namespace.is_some(), types.contains(NsType::Net))?;
    Ok(Action::List(Plan {
        columns,
        format,
        headings,
        tree,
        types: if types.is_empty() { NsType::ALL.into_iter().collect() } else { types },
        task,
        persistent,
        filter,
        notruncate,
        nowrap,
        namespace,
    }))
}

/// `-p`: a PID from 1 to INT_MAX, in util-linux's words: anything that is not a decimal
/// number is invalid; zero, negative and too large numbers are out of range.
fn parse_pid(v: &OsStr) -> Result<i32, Error> {
    nscore::ids::parse_pid(v.as_bytes()).map_err(|e| {
        let suffix = if e == nix::errno::Errno::ERANGE { ": Numerical result out of range" } else { "" };
        Error::msg(format!("invalid PID argument: '{}'{suffix}", getopt::lossy(v)))
    })
}

fn columns_for(output: Option<&OsStr>, all: bool, by_namespace: bool, net: bool) -> Result<Vec<Column>, Error> {
    use Column::*;
    let mut cols = if all {
        Column::ALL.to_vec()
    } else if by_namespace {
        vec![Pid, Ppid, User, Command]
    } else if net {
        vec![Ns, Type, Nprocs, Pid, User, Netnsid, Nsfs, Command]
    } else {
        vec![Ns, Type, Nprocs, Pid, User, Command]
    };
    if let Some(list) = output {
        let (append, list) = match list.as_bytes().strip_prefix(b"+") {
            Some(rest) => (true, OsStr::from_bytes(rest)),
            None => (false, list),
        };
        if list.is_empty() {
            // util-linux fails on an empty list without a word
            return Err(Error::Exit(1));
        }
        let extra = parse_columns(list)?;
        if append {
            cols.extend(extra);
        } else {
            cols = extra;
        }
    }
    Ok(cols)
}

/// A comma-separated `-o` list. Every name must be a column, the empty one too (`-o ,`,
/// `-o NS,`): util-linux refuses those as well, and an empty name would otherwise leave a
/// table without columns.
fn parse_columns(list: &OsStr) -> Result<Vec<Column>, Error> {
    getopt::split_commas(list)
        .map(|name| {
            Column::from_name(name.as_bytes())
                .ok_or_else(|| Error::msg(format!("unknown column: {}", getopt::lossy(name))))
        })
        .collect()
}

/// `--help`, in our own words.
pub fn help(name: &str) -> String {
    let mut s = format!(
        "\nUsage:\n {name} [options] [<namespace>]\n\n\
List the namespaces of this system, or the processes of one namespace.\n\n\
Options:\n\
 -J, --json             print JSON\n\
 -l, --list             a flat list instead of the default process tree\n\
 -n, --noheadings       leave out the header line\n\
 -o, --output <list>    the columns to print (+<list> adds to the default ones)\n\
     --output-all       print every column\n\
 -P, --persistent       only namespaces without processes (bind mounts, fds)\n\
 -p, --task <pid>       only the namespaces of this process\n\
 -Q, --filter <expr>    only lines for which the expression holds\n\
 -r, --raw              raw output: space separated, special bytes escaped\n\
 -u, --notruncate       never cut the COMMAND column to the terminal width\n\
 -W, --nowrap           keep multi-value cells (NSFS) on one line\n\
 -t, --type <name>      only this type: mnt, net, ipc, user, pid, uts, cgroup, time\n\
 -T, --tree <rel>       nest the lines by relation: process, owner (default) or parent\n\
 -H, --list-columns     describe the available columns\n\n\
 -h, --help             show this help\n\
 -V, --version          show the version\n\n\
Columns:\n"
    );
    for c in Column::KNOWN {
        s.push_str(&format!("{:>12}  {}\n", c.name(), c.description()));
    }
    s.push_str(&format!("\nSee {name}(8) for the filter language and the details.\n"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use Column::*;

    fn p(v: &[&str]) -> Result<Action, String> {
        let args: Vec<OsString> = v.iter().map(OsString::from).collect();
        parse(&args).map_err(|e| e.render("lsns", "lsns"))
    }

    fn plan(v: &[&str]) -> Plan {
        match p(v).unwrap() {
            Action::List(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let d = plan(&[]);
        assert_eq!(d.columns, vec![Ns, Type, Nprocs, Pid, User, Command]);
        assert_eq!(d.tree, Tree::Process);
        assert_eq!(d.format, Format::Table);
        assert_eq!(d.types.iter().count(), 8);
        assert_eq!(plan(&["-t", "net"]).columns, vec![Ns, Type, Nprocs, Pid, User, Netnsid, Nsfs, Command]);
        assert_eq!(plan(&["4026531835"]).columns, vec![Pid, Ppid, User, Command]);
        assert_eq!(plan(&["4026531835", "extra"]).namespace, Some(4026531835));
        assert_eq!(plan(&["--output-all"]).tree, Tree::None);
        assert_eq!(plan(&["--output-all"]).columns.len(), 13);
        assert_eq!(plan(&["-o", "ns"]).tree, Tree::Process);
        assert_eq!(plan(&["-l"]).tree, Tree::None);
        assert_eq!(plan(&["-l", "-T"]).tree, Tree::Owner);
        assert_eq!(plan(&["--tree=parent"]).tree, Tree::Parent);
        assert_eq!(plan(&["-Tprocess"]).tree, Tree::Process);
        assert!(plan(&["-r"]).nowrap);
        assert_eq!(plan(&["-r"]).format, Format::Raw);
        let t = plan(&["-t", "pid", "--type=user", "-p", "42"]);
        assert_eq!(t.types.iter().collect::<Vec<_>>(), vec![NsType::User, NsType::Pid]);
        assert_eq!(t.task, Some(42));
    }

    #[test]
    fn output_lists() {
        assert_eq!(plan(&["-o", "+PNS", "-t", "pid"]).columns, vec![Ns, Type, Nprocs, Pid, User, Command, Pns]);
        assert_eq!(plan(&["-o", "ns,Type", "-o", "PID"]).columns, vec![Pid]);
        assert_eq!(p(&["-o", "NS,BOGUS"]).unwrap_err(), "lsns: unknown column: BOGUS\n");
        assert_eq!(p(&["-o", ""]).unwrap_err(), "");
        assert_eq!(p(&["-o", "+"]).unwrap_err(), "");
        for list in [",", "NS,", ",NS", "NS,,TYPE", "+,", "+NS,"] {
            assert_eq!(p(&["-o", list]).unwrap_err(), "lsns: unknown column: \n", "{list}");
        }
        assert_eq!(p(&["-o", "NS,BOGUS,"]).unwrap_err(), "lsns: unknown column: BOGUS\n");
    }

    #[test]
    fn errors_in_util_linux_words() {
        assert_eq!(p(&["-J", "-r"]).unwrap_err(), "lsns: options --json and --raw cannot be combined\n");
        assert_eq!(p(&["-r", "-J"]).unwrap_err(), "lsns: options --raw and --json cannot be combined\n");
        assert_eq!(p(&["-P", "-p", "1"]).unwrap_err(), "lsns: options --persistent and --task cannot be combined\n");
        assert_eq!(p(&["--tree=sideways"]).unwrap_err(), "lsns: unknown tree type: sideways\n");
        assert_eq!(p(&["-T", "parent"]).unwrap_err(), "lsns: invalid namespace argument: 'parent'\n");
        assert_eq!(p(&["-t", "foo"]).unwrap_err(), "lsns: unknown namespace type: foo\n");
        assert_eq!(p(&["-p", "abc"]).unwrap_err(), "lsns: invalid PID argument: 'abc'\n");
        assert_eq!(p(&["-p", ""]).unwrap_err(), "lsns: invalid PID argument: ''\n");
        for bad in ["-", "+5", " 5", "5x", "-abc", "0x10"] {
            assert_eq!(p(&["-p", bad]).unwrap_err(), format!("lsns: invalid PID argument: '{bad}'\n"));
        }
        for big in ["0", "00", "-0", "-1", "-2147483648", "2147483648", "99999999999", "99999999999999999999999"] {
            assert_eq!(
                p(&["-p", big]).unwrap_err(),
                format!("lsns: invalid PID argument: '{big}': Numerical result out of range\n")
            );
        }
        assert_eq!(plan(&["-p", "2147483647"]).task, Some(i32::MAX));
        assert_eq!(plan(&["-p", "010"]).task, Some(10));
        assert_eq!(p(&["-p", "1", "123"]).unwrap_err(), "lsns: --task is mutually exclusive with <namespace>\n");
        assert_eq!(p(&["-x"]).unwrap_err(), "lsns: invalid option -- 'x'\nTry 'lsns --help' for more information.\n");
        assert_eq!(p(&["-t", "bad", "-o", "BOGUS"]).unwrap_err(), "lsns: unknown namespace type: bad\n");
    }

    #[test]
    fn help_version_columns() {
        assert_eq!(p(&["-J", "-H"]).unwrap(), Action::ListColumns { format: Format::Json });
        assert_eq!(p(&["-V"]).unwrap(), Action::Version);
        assert_eq!(p(&["-V", "-x"]).unwrap(), Action::Version);
        assert_eq!(p(&["-n", "--help", "--bogus"]).unwrap(), Action::Help);
        assert_eq!(
            p(&["-x", "-V"]).unwrap_err(),
            "lsns: invalid option -- 'x'\nTry 'lsns --help' for more information.\n"
        );
        assert_eq!(p(&["--he"]).unwrap(), Action::Help);
        let h = help("rs-lsns");
        assert!(h.contains("rs-lsns [options] [<namespace>]"));
        for c in Column::ALL {
            assert!(h.contains(c.name()));
        }
    }
}
