//! What an option's value completes as, read from its definition.
//!
//! Plain words come from the possible values (`.completing(&["allow", "deny"])`); what
//! the shell must look up when completing (process IDs, users, the lsns column list)
//! is asked for by a marker among them, one of the constants below, or follows from
//! the value hint (`FilePath`, `DirPath`, `Username`) or a `<pid>` notation.

use clap::{Arg, ValueHint};

use crate::table::HasArg;

/// Marker: a comma-separated list of lsns columns, `+` first to add to the defaults.
pub const COLUMN_LIST: &str = "@column-list";
/// Marker: lsns column names inside a filter expression.
pub const COLUMN_NAMES: &str = "@column-names";
/// Marker: signal names, as the shell knows them.
pub const SIGNALS: &str = "@signals";
/// Marker: numeric user IDs.
pub const UIDS: &str = "@uids";
/// Marker: numeric group IDs.
pub const GIDS: &str = "@gids";
/// Marker: group names.
pub const GROUPS: &str = "@groups";
/// Marker: the IDs (12 digits) and names of the containers running here.
pub const CONTAINERS: &str = "@containers";

/// The command line that prints, one per line, the IDs (12 digits; LXC's and nspawn's
/// names) and names of the containers running here, as rs-lsns's CONTAINER and
/// CONTAINERNAME columns show them (`lsns` where `bin` is installed under util-linux's
/// name); nothing where the caller may not see them.
pub fn containers_pipeline(bin: &str) -> String {
    let lsns = if bin.starts_with("rs-") { "rs-lsns" } else { "lsns" };
    format!(
        "{lsns} -r -n -o CONTAINER,CONTAINERNAME 2>/dev/null \
         | awk '$1 != \"\" {{ sub(/^[^:]*:/, \"\", $1); print $1; if ($2 != \"\") print $2 }}' | sort -u"
    )
}

/// Where the candidates for a value come from, besides its plain words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Nothing but the words (if any).
    Nothing,
    Pids,
    ColumnList,
    ColumnNames,
    Signals,
    Files,
    Dirs,
    Users,
    Groups,
    Uids,
    Gids,
    Containers,
}

impl Source {
    fn of_marker(word: &str) -> Option<Source> {
        Some(match word {
            COLUMN_LIST => Source::ColumnList,
            COLUMN_NAMES => Source::ColumnNames,
            SIGNALS => Source::Signals,
            UIDS => Source::Uids,
            GIDS => Source::Gids,
            GROUPS => Source::Groups,
            CONTAINERS => Source::Containers,
            _ => return None,
        })
    }
}

/// The candidates for an option's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Values {
    pub words: Vec<String>,
    pub source: Source,
    /// The value is optional, so only one attached with `=` is the option's.
    pub optional: bool,
}

impl Values {
    /// What `a`'s value completes as; `None` for an option without a value.
    pub fn of(a: &Arg) -> Option<Values> {
        let optional = match HasArg::of(a) {
            HasArg::No => return None,
            HasArg::Optional => true,
            HasArg::Required => false,
        };
        let mut words = Vec::new();
        let mut source = Source::Nothing;
        for p in a.get_possible_values() {
            match Source::of_marker(p.get_name()) {
                Some(s) => source = s,
                None => words.push(p.get_name().to_string()),
            }
        }
        if source == Source::Nothing {
            source = match a.get_value_hint() {
                ValueHint::FilePath => Source::Files,
                ValueHint::DirPath => Source::Dirs,
                ValueHint::Username => Source::Users,
                _ if is_pid(a) => Source::Pids,
                _ => Source::Nothing,
            };
        }
        Some(Values { words, source, optional })
    }

    /// Whether clap_complete's scripts complete these as they are: plain words, or a
    /// value hint they know.
    pub fn native(&self) -> bool {
        self.source == Source::Nothing
            || (self.words.is_empty() && matches!(self.source, Source::Files | Source::Dirs | Source::Users))
    }
}

fn is_pid(a: &Arg) -> bool {
    a.get_value_names().and_then(|n| n.first()).is_some_and(|n| n.starts_with("<pid>"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tool;

    fn of(tool: Tool, long: &str) -> Option<Values> {
        let def = tool.def();
        let a = def.cmd.get_arguments().find(|a| a.get_long() == Some(long)).expect("an option");
        Values::of(a)
    }

    #[test]
    fn what_values_complete_as() {
        let v = |words: &[&str], source, optional| {
            Some(Values { words: words.iter().map(ToString::to_string).collect(), source, optional })
        };
        assert_eq!(of(Tool::Lsns, "output"), v(&[], Source::ColumnList, false));
        assert_eq!(of(Tool::Lsns, "filter"), v(&[], Source::ColumnNames, false));
        assert_eq!(of(Tool::Lsns, "tree"), v(&["process", "owner", "parent"], Source::Nothing, true));
        assert_eq!(of(Tool::Lsns, "task"), v(&[], Source::Pids, false));
        assert_eq!(of(Tool::Lsns, "json"), None);
        assert_eq!(of(Tool::Nsenter, "target"), v(&[], Source::Pids, false));
        assert_eq!(of(Tool::Nsenter, "setgid"), v(&["follow"], Source::Gids, false));
        assert_eq!(of(Tool::Nsenter, "wd"), v(&[], Source::Dirs, true));
        assert_eq!(of(Tool::Unshare, "mount"), v(&[], Source::Files, true));
        assert_eq!(of(Tool::Unshare, "kill-child"), v(&[], Source::Signals, true));
        assert_eq!(of(Tool::Unshare, "map-user"), v(&[], Source::Users, false));
        assert_eq!(of(Tool::Unshare, "map-group"), v(&[], Source::Groups, false));
        assert_eq!(of(Tool::Unshare, "setuid"), v(&[], Source::Uids, false));
        assert!(of(Tool::Unshare, "setuid").is_some_and(|v| !v.native()));
        assert!(of(Tool::Unshare, "root").is_some_and(|v| v.native()));
    }
}
