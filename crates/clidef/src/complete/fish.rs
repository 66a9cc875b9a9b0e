//! What the fish script does where clap_complete's `complete` lines have no words: the
//! `-a` argument for such a value, and the functions it calls.

use super::values::{Source, Values};
use crate::COLUMNS;

/// The `-a` argument (inside double quotes) completing `v` (one that is not
/// [`Values::native`]).
pub fn action(bin: &str, v: &Values) -> String {
    let f = name(bin);
    let call = match v.source {
        Source::Pids => "(__fish_complete_pids)".to_string(),
        Source::ColumnList => format!("(__{f}_columns)"),
        Source::ColumnNames => format!("(__{f}_filter)"),
        Source::Signals => format!("(__{f}_signals)"),
        Source::Groups => "(__fish_complete_groups)".to_string(),
        Source::Uids => "(__fish_complete_user_ids)".to_string(),
        Source::Gids => "(__fish_complete_group_ids)".to_string(),
        Source::Containers => format!("(__{f}_containers)"),
        other => panic!("fish: {other:?} is completed by clap_complete's script"),
    };
    v.words.iter().cloned().chain([call]).collect::<Vec<_>>().join(" ")
}

/// `rs-lsns` -> `rs_lsns`, for function names.
fn name(bin: &str) -> String {
    bin.replace('-', "_")
}

/// The value in the token being completed: what follows `--opt=` or `-o` there.
const VALUE: &str = r#"commandline -ct | string replace -r -- '^-(-[^=]*=|[^-])' ''"#;

const COLUMNS_HELPER: &str = r#"
# -o: a comma list of columns, each once, `+` first to add them to the default ones
function __@F@_columns
    set -l value (@VALUE@)
    set -l head (string replace -r -- '[^,]*$' '' "$value")
    set -l last (string replace -r -- '^.*,' '' "$value")
    if test -z "$head"; and string match -q -- '+*' "$last"
        set head +
        set last (string sub -s 2 -- "$last")
    end
    set -l used (string split -n , -- (string trim -l -c + -- "$head"))
    set -l found
    for c in @COLUMNS@
        if not contains -- $c $used; and string match -qi -- "$last*" $c
            set -a found "$head$c"
        end
    end
    # the one column left that fits: with the comma for the next one, while more remain
    if test (count $found) -eq 1 -a (count $used) -lt @NLEFT@
        set found "$found,"
    end
    string join \n -- $found
end
"#;

const FILTER_HELPER: &str = r#"
# -Q: the column name being typed in the expression
function __@F@_filter
    set -l head (@VALUE@ | string replace -r -- '[A-Za-z0-9_]*$' '')
    for c in @COLUMNS@
        printf '%s%s\n' "$head" $c
    end
end
"#;

const SIGNALS_HELPER: &str = r#"
# signal names as `kill -L` lists them (fish's kill completion reads them)
function __@F@_signals
    __fish_make_completion_signals
    string replace -r -- '^(\d+) (.*)' '$2\tsignal $1' $__kill_signals
end
"#;

const CONTAINERS_HELPER: &str = r#"
# --container: the IDs and names of the containers running here
function __@F@_containers
    @CONTAINERS@
end
"#;

/// The functions the actions for these sources call.
pub fn helpers(bin: &str, sources: &[Source]) -> String {
    let mut out = String::new();
    for (source, text) in [
        (Source::ColumnList, COLUMNS_HELPER),
        (Source::ColumnNames, FILTER_HELPER),
        (Source::Signals, SIGNALS_HELPER),
        (Source::Containers, CONTAINERS_HELPER),
    ] {
        if sources.contains(&source) {
            out.push_str(text);
        }
    }
    out.replace("@VALUE@", VALUE)
        .replace("@CONTAINERS@", &super::values::containers_pipeline(bin))
        .replace("@COLUMNS@", &COLUMNS.join(" "))
        .replace("@NLEFT@", &(COLUMNS.len() - 1).to_string())
        .replace("@F@", &name(bin))
}
