//! Command line: util-linux's option names and getopt behaviour (permuting, unless
//! `POSIXLY_CORRECT` is set), turned into a validated [`Plan`] without touching the
//! system. The option table and `--help` are generated at build time from the clap
//! definition in `crates/clidef` (see `build.rs`).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

use nscore::getopt;
use nscore::invocation::{read_options, Flow, Outcome};
use nscore::{Error, NsSet, NsType};

use crate::columns::Column;
use crate::filter::{Filter, FilterError};
use crate::Locale;

include!(concat!(env!("OUT_DIR"), "/options.rs"));

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
#[derive(Debug)]
pub struct Plan {
    pub columns: Vec<Column>,
    pub format: Format,
    pub headings: bool,
    pub tree: Tree,
    /// Only these types (all when `-t` was not given).
    pub types: NsSet,
    pub task: Option<i32>,
    pub persistent: bool,
    /// `-Q`, compiled once; an unknown column in it is an error only for the listing,
    /// as in util-linux.
    pub filter: Option<Result<Filter, FilterError>>,
    pub notruncate: bool,
    /// NSFS joined with `,` on one line (`-W`, implied by `-r`).
    pub nowrap: bool,
    /// The positional namespace: list its processes.
    pub namespace: Option<u64>,
    /// `--children`: read every process's `*_for_children` links too.
    pub for_children: bool,
}

#[derive(Debug)]
pub enum Action {
    Help,
    Version,
    ListColumns { format: Format },
    List(Plan),
}

fn long_name(id: Id) -> &'static str {
    OPTIONS.iter().find(|o| o.id == id).and_then(|o| o.long).unwrap_or_default()
}

/// The option that `id` cannot be combined with: `-J` and `-r`, `-P` and `-p`. Every
/// option is named (no `_`), so a new one does not compile until this says whether it
/// excludes another.
fn excluded_by(id: Id) -> Option<Id> {
    match id {
        Id::Json => Some(Id::Raw),
        Id::Raw => Some(Id::Json),
        Id::Persistent => Some(Id::Task),
        Id::Task => Some(Id::Persistent),
        Id::List
        | Id::Output
        | Id::OutputAll
        | Id::Notruncate
        | Id::Noheadings
        | Id::Help
        | Id::Version
        | Id::Type
        | Id::Tree
        | Id::Nowrap
        | Id::Filter
        | Id::ListColumns
        | Id::Children => None,
    }
}

/// The options as they come in.
#[derive(Default)]
struct Options {
    json: bool,
    raw: bool,
    list: bool,
    noheadings: bool,
    output: Option<OsString>,
    output_all: bool,
    persistent: bool,
    task: Option<i32>,
    types: NsSet,
    tree: Option<Tree>,
    nowrap: bool,
    notruncate: bool,
    filter: Option<Result<Filter, FilterError>>,
    list_columns: bool,
    for_children: bool,
    /// The options seen so far (each once), for the word order of the exclusion message.
    seen: Vec<Id>,
}

impl Options {
    /// Takes one option, checking it as util-linux's getopt loop does: values of `-p`,
    /// `-t`, `-T` and `-Q`, and the exclusive pairs; `-o`'s columns wait for the end.
    fn take(&mut self, id: Id, val: Option<OsString>, locale: &Locale) -> Result<Flow, Error> {
        self.exclusive(id)?;
        let arg = val.as_deref();
        let val = arg.unwrap_or_default();
        match id {
            Id::Json => self.json = true,
            Id::Raw => (self.raw, self.nowrap) = (true, true),
            Id::List => self.list = true,
            Id::Noheadings => self.noheadings = true,
            Id::Output => self.output = Some(val.to_owned()),
            Id::OutputAll => self.output_all = true,
            Id::Persistent => self.persistent = true,
            Id::Task => self.task = Some(parse_pid(val)?),
            Id::Type => self.types.insert(parse_type(val)?),
            Id::Tree => self.tree = Some(parse_tree(arg)?),
            Id::Nowrap => self.nowrap = true,
            Id::Notruncate => self.notruncate = true,
            Id::Filter => self.filter = check_filter(val, locale)?,
            Id::ListColumns => self.list_columns = true,
            Id::Children => self.for_children = true,
            Id::Help => return Ok(Flow::Help),
            Id::Version => return Ok(Flow::Version),
        }
        Ok(Flow::Continue)
    }

    /// Refuses `id` after the option it excludes (see [`excluded_by`]), in util-linux's
    /// words, which name the earlier option first.
    fn exclusive(&mut self, id: Id) -> Result<(), Error> {
        if let Some(first) = excluded_by(id).filter(|other| self.seen.contains(other)) {
            return Err(Error::msg(format!(
                "options --{} and --{} cannot be combined",
                long_name(first),
                long_name(id)
            )));
        }
        if !self.seen.contains(&id) {
            self.seen.push(id);
        }
        Ok(())
    }

    fn format(&self) -> Format {
        match (self.json, self.raw) {
            (true, _) => Format::Json,
            (_, true) => Format::Raw,
            _ => Format::Table,
        }
    }

    /// The checks after the last option, in util-linux's order, and the plan.
    fn finish(self, operands: &[OsString]) -> Result<Action, Error> {
        let format = self.format();
        if self.list_columns {
            return Ok(Action::ListColumns { format });
        }
        if !operands.is_empty() && self.task.is_some() {
            return Err(Error::msg("--task is mutually exclusive with <namespace>"));
        }
        let namespace = operands.first().map(|a| parse_namespace(a)).transpose()?;
        // the default tree is decided before -o: `-o` keeps the process tree, --output-all not
        // (but the processes of one namespace keep their tree with it too)
        let all_flat = self.output_all && namespace.is_none();
        let tree = self.tree.unwrap_or(if self.list || all_flat { Tree::None } else { Tree::Process });
        let net = self.types.contains(NsType::Net);
        let columns = columns_for(self.output.as_deref(), self.output_all, namespace.is_some(), net)?;
        Ok(Action::List(Plan {
            columns,
            format,
            headings: !self.noheadings,
            tree,
            types: if self.types.is_empty() { NsType::ALL.into_iter().collect() } else { self.types },
            task: self.task,
            persistent: self.persistent,
            filter: self.filter,
            notruncate: self.notruncate,
            nowrap: self.nowrap,
            namespace,
            for_children: self.for_children,
        }))
    }
}

/// Parses and validates argv (without argv\[0\]); `locale` is asked for `-Q`'s patterns.
pub fn parse(args: &[OsString], locale: &Locale) -> Result<Action, Error> {
    let mut opts = Options::default();
    match read_options(args, OPTIONS, ORDERING, |id, v| opts.take(id, v, locale))? {
        Outcome::Help => Ok(Action::Help),
        Outcome::Version => Ok(Action::Version),
        Outcome::Operands(operands) => opts.finish(&operands),
    }
}

fn parse_type(v: &OsStr) -> Result<NsType, Error> {
    NsType::from_proc_name(&getopt::lossy(v))
        .ok_or_else(|| Error::msg(format!("unknown namespace type: {}", getopt::lossy(v))))
}

/// `-T`'s value; none (a bare `-T`) is the owner tree, an empty one (`--tree=`) no tree.
/// As util-linux, one `=` before it is dropped: `-T=parent` is `--tree=parent`.
fn parse_tree(v: Option<&OsStr>) -> Result<Tree, Error> {
    let v = v.map(|v| v.as_bytes()).map(|v| v.strip_prefix(b"=").unwrap_or(v));
    Ok(match v {
        None | Some(b"owner") => Tree::Owner,
        Some(b"parent") => Tree::Parent,
        Some(b"process") => Tree::Process,
        Some(other) => return Err(Error::msg(format!("unknown tree type: {}", String::from_utf8_lossy(other)))),
    })
}

fn parse_namespace(a: &OsStr) -> Result<u64, Error> {
    nscore::ids::parse_u64(a.as_bytes())
        .map_err(|_| Error::msg(format!("invalid namespace argument: '{}'", getopt::lossy(a))))
}

/// `-Q`: util-linux compiles the expression while it reads the options, so a syntax
/// error or a bad pattern is reported at once; an unknown column only when the filter is
/// set up for the listing (`lib.rs` reports it then). An empty expression is no filter,
/// and drops an earlier one, as in util-linux (a blank one is a syntax error).
fn check_filter(expr: &OsStr, locale: &Locale) -> Result<Option<Result<Filter, FilterError>>, Error> {
    if expr.is_empty() {
        return Ok(None);
    }
    match Filter::in_locale(expr.as_bytes(), locale.utf8()) {
        Err(e @ FilterError::Parse { .. }) => Err(e.into()),
        compiled => Ok(Some(compiled)),
    }
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

/// `--help` for the name the binary was called by, with the column list.
pub fn help(name: &str) -> String {
    let columns: String = Column::KNOWN.iter().map(|c| format!("{:>12}  {}\n", c.name(), c.description())).collect();
    HELP.replace("{columns}", &columns).replace("{name}", name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Column::*;

    fn p(v: &[&str]) -> Result<Action, String> {
        let args: Vec<OsString> = v.iter().map(OsString::from).collect();
        parse(&args, &Locale::ascii()).map_err(|e| e.render("lsns", "lsns"))
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
        assert!(!d.for_children && plan(&["--children", "-P"]).for_children);
        // no option of ours makes an abbreviation util-linux takes ambiguous
        assert!(plan(&["--f", "TYPE == \"net\""]).filter.is_some());
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
    fn checked_as_util_linux_checks_them() {
        // while reading the options: values and exclusions, so they beat a later mistake
        assert_eq!(p(&["-t", "bad", "--bogus"]).unwrap_err(), "lsns: unknown namespace type: bad\n");
        assert_eq!(p(&["-J", "-r", "-h"]).unwrap_err(), "lsns: options --json and --raw cannot be combined\n");
        assert_eq!(
            p(&["-Q", "(", "--bogus"]).unwrap_err(),
            "lsns: failed to parse \"(\": syntax error, unexpected end of file\n"
        );
        // after the last option: -o's columns, then (in lib.rs) the filter's
        assert!(p(&["-o", "BOGUS", "--bogus"]).unwrap_err().contains("unrecognized option '--bogus'"));
        assert!(matches!(p(&["-Q", "BOGUS == 1"]), Ok(Action::List(_))));
        assert_eq!(p(&["x", "-p", "1"]).unwrap_err(), "lsns: --task is mutually exclusive with <namespace>\n");
        assert_eq!(p(&["-o", "BAD", "x"]).unwrap_err(), "lsns: invalid namespace argument: 'x'\n");
    }

    /// A bare `-T` is the owner tree; an empty value (`--tree=`) is no tree type; one `=`
    /// before the value goes, as in util-linux.
    #[test]
    fn an_empty_tree_type_is_unknown() {
        assert_eq!(plan(&["-T"]).tree, Tree::Owner);
        assert_eq!(plan(&["--tree"]).tree, Tree::Owner);
        assert_eq!(p(&["--tree="]).unwrap_err(), "lsns: unknown tree type: \n");
        assert_eq!(plan(&["-T=parent"]).tree, Tree::Parent);
        assert_eq!(plan(&["--tree==process"]).tree, Tree::Process);
        assert_eq!(p(&["-T="]).unwrap_err(), "lsns: unknown tree type: \n");
        assert_eq!(p(&["-T==owner"]).unwrap_err(), "lsns: unknown tree type: =owner\n");
    }

    #[test]
    fn an_empty_filter_is_none() {
        assert!(plan(&["-Q", ""]).filter.is_none());
        assert!(plan(&["-Q", "BOGUS == 1", "-Q", ""]).filter.is_none());
        assert!(matches!(plan(&["-Q", "", "-Q", "NS == 1"]).filter, Some(Ok(_))));
        assert_eq!(p(&["-Q", " "]).unwrap_err(), "lsns: failed to parse \" \": syntax error, unexpected end of file\n");
    }

    #[test]
    fn help_version_columns() {
        assert!(matches!(p(&["-J", "-H"]).unwrap(), Action::ListColumns { format: Format::Json }));
        assert!(matches!(p(&["-V"]).unwrap(), Action::Version));
        assert!(matches!(p(&["-V", "-x"]).unwrap(), Action::Version));
        assert!(matches!(p(&["-n", "--help", "--bogus"]).unwrap(), Action::Help));
        assert_eq!(
            p(&["-x", "-V"]).unwrap_err(),
            "lsns: invalid option -- 'x'\nTry 'lsns --help' for more information.\n"
        );
        assert!(matches!(p(&["--he"]).unwrap(), Action::Help));
        let h = help("rs-lsns");
        assert!(h.contains("rs-lsns [options] [<namespace>]"));
        for c in Column::ALL {
            assert!(h.contains(c.name()));
        }
    }
}
