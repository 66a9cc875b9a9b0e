//! What the zsh script does where clap_complete's `_arguments` specs have no words:
//! the action for such a value, and the helper functions those actions call.

use super::values::{Source, Values};
use crate::COLUMNS;

/// The `_arguments` action completing `v` (one that is not [`Values::native`]).
pub fn action(bin: &str, v: &Values) -> String {
    let words = v.words.join(" ");
    match v.source {
        Source::Pids => "_pids".to_string(),
        Source::ColumnList => format!("_{bin}_columns"),
        Source::ColumnNames => format!("_{bin}_filter"),
        Source::Signals => "_signals -s".to_string(),
        Source::Groups => "_groups".to_string(),
        // in braces, as written: a plain function name gets compadd's options first
        Source::Uids => format!("{{_{bin}_ids passwd {words}}}").replace(" }", "}"),
        Source::Gids => format!("{{_{bin}_ids group {words}}}").replace(" }", "}"),
        Source::Containers => format!("_{bin}_containers"),
        other => panic!("zsh: {other:?} is completed by clap_complete's script"),
    }
}

const COLUMNS_HELPER: &str = r#"
# -o: a comma list of columns, each once, `+` first to add them to the default ones
(( $+functions[_@BIN@_columns] )) ||
_@BIN@_columns() {
    compset -P '+'
    _values -s , column @COLUMNS@
}
"#;

const FILTER_HELPER: &str = r#"
# -Q: the column name being typed in the expression
(( $+functions[_@BIN@_filter] )) ||
_@BIN@_filter() {
    compset -P '*[^[:alnum:]_]'
    local expl
    _wanted columns expl column compadd -M 'm:{a-z}={A-Z}' -- @COLUMNS@
}
"#;

const IDS_HELPER: &str = r#"
# the numeric IDs in passwd or group ($1), their names as descriptions; and the words
# after it
(( $+functions[_@BIN@_ids] )) ||
_@BIN@_ids() {
    local -a ids
    local line
    for line in ${(f)"$(getent $1 2>/dev/null)"}; do
        ids+=("${${line#*:*:}%%:*}:${line%%:*}")
    done
    shift
    ids+=("$@")
    _describe -t ids id ids
}
"#;

const CONTAINERS_HELPER: &str = r#"
# --container: the IDs and names of the containers running here
(( $+functions[_@BIN@_containers] )) ||
_@BIN@_containers() {
    local -a refs
    refs=(${(f)"$(@CONTAINERS@)"})
    compadd -a refs
}
"#;

/// The helper functions the actions for these sources call.
pub fn helpers(bin: &str, sources: &[Source]) -> String {
    let mut out = String::new();
    let texts = [
        (Source::ColumnList, COLUMNS_HELPER),
        (Source::ColumnNames, FILTER_HELPER),
        (Source::Containers, CONTAINERS_HELPER),
    ];
    for (source, text) in texts {
        if sources.contains(&source) {
            out.push_str(text);
        }
    }
    if sources.iter().any(|s| matches!(s, Source::Uids | Source::Gids)) {
        out.push_str(IDS_HELPER);
    }
    out.replace("@COLUMNS@", &COLUMNS.join(" "))
        .replace("@CONTAINERS@", &super::values::containers_pipeline(bin))
        .replace("@BIN@", bin)
}
