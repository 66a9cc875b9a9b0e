//! The bash script, written here rather than by clap_complete, whose script completes
//! only a value in the word after its option: it knows neither `--opt=value` (readline
//! makes the `=` a word of its own), nor comma lists, nor the program after the options.
//!
//! The script needs nothing but bash; with the bash-completion package loaded it hands
//! the program's arguments to the program's own completion (`_command_offset`).

use clap::Arg;

use super::values::{Source, Values};
use crate::table::HasArg;
use crate::{Def, COLUMNS};

/// The script's frame; `@F@` is the function's name, `@BIN@` the command's.
const FRAME: &str = r#"# bash completion for @BIN@, written by nsutils-completions from crates/clidef.

# The candidates compgen finds for the word being completed ($cur), with $pre in front
# (what stands before the value in the same word).
@F@_compgen() {
    mapfile -t COMPREPLY < <(compgen -P "$pre" "$@" -- "$cur")
}
@HELPERS@
@F@() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} pre= eq= i
    COMPREPLY=()
    # `--opt=value`: readline makes the `=` a word of its own (unless `=` was taken out
    # of COMP_WORDBREAKS: then the value comes in the option's word)
    if [[ $cur == = ]]; then
        eq==; cur=
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        eq==; prev=${COMP_WORDS[COMP_CWORD-2]}
    elif [[ $cur == --*=* ]]; then
        eq==; prev=${cur%%=*}; pre=$prev=; cur=${cur#*=}
    fi
@PROGRAM@
    # an option's value: `=--opt` where it was attached with `=`
    case $eq$prev in
@CASES@
    esac
    if [[ $cur == -* ]]; then
        @F@_compgen -W "@OPTIONS@"
        return
    fi
@OPERAND@
}
complete -F @F@ @BIN@
"#;

/// Finds where the program stands (the first word that is not an option or an option's
/// value; parsing stops there) and completes its arguments as the program's own.
const PROGRAM: &str = r#"    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            --) ((i++)); break ;;
            @REQUIRED@) ((i++)); [[ ${COMP_WORDS[i]} == = ]] && ((i++)) ;;
            -*) [[ ${COMP_WORDS[i+1]} == = ]] && ((i += 2)) ;;
            *) break ;;
        esac
    done
    if ((i < COMP_CWORD)); then
        if declare -F _command_offset >/dev/null; then
            _command_offset "$i"
        else
            compopt -o filenames 2>/dev/null
            @F@_compgen -f
        fi
        return
    fi"#;

const COLUMNS_HELPER: &str = r#"
# -o: a comma list of columns, each once, `+` first to add them to the default ones
@F@_columns() {
    local head=${cur%"${cur##*,}"} last=${cur##*,} c n=0
    local -a found=()
    if [[ -z $head && $last == +* ]]; then head=+; last=${last#+}; fi
    for c in @COLUMNS@; do
        if [[ ",${head#+}" == *",$c,"* ]]; then
            ((n++))
        elif [[ $c == "${last^^}"* ]]; then
            found+=("$pre$head$c")
        fi
    done
    # the one column left that fits: with the comma for the next one, while more remain
    if ((${#found[@]} == 1 && n + 1 < @NCOLUMNS@)); then found[0]+=,; fi
    COMPREPLY=("${found[@]}")
    compopt -o nospace 2>/dev/null
}
"#;

const FILTER_HELPER: &str = r#"
# -Q: the column name being typed in the expression
@F@_filter() {
    local last=${cur##*[^A-Za-z0-9_]}
    local head=${cur%"$last"}
    mapfile -t COMPREPLY < <(compgen -P "$pre$head" -W "@COLUMNS@" -- "${last^^}")
}
"#;

const SIGNALS_HELPER: &str = r#"
# signal names as bash knows them (not its EXIT, nor glibc's SIGJUNK(32)), with or
# without SIG
@F@_signals() {
    local s all=()
    for s in $(compgen -A signal -- SIG); do [[ $s == *'('* ]] || all+=("$s"); done
    mapfile -t COMPREPLY < <(compgen -P "$pre" -W "${all[*]}" -- "${cur^^}")
    if ((${#COMPREPLY[@]} == 0)); then
        mapfile -t COMPREPLY < <(compgen -P "$pre" -W "${all[*]#SIG}" -- "${cur^^}")
    fi
}
"#;

const IDS_HELPER: &str = r#"
# the numeric IDs in passwd or group ($1)
@F@_ids() {
    getent "$1" 2>/dev/null | cut -d: -f3
}
"#;

/// The bash completion script of `def` for the command `bin`.
pub fn script(def: &Def, bin: &str) -> String {
    let f = format!("_{}", bin.replace('-', "_"));
    let options: Vec<&Arg> = def.cmd.get_arguments().filter(|a| !a.is_positional()).collect();
    let all: Vec<String> = options.iter().flat_map(|a| names(a)).collect();
    let has_program = def.cmd.get_arguments().any(|a| a.is_positional() && a.get_id() == "program");
    let (program, operand) = if has_program {
        let required: Vec<String> =
            options.iter().filter(|a| HasArg::of(a) == HasArg::Required).flat_map(|a| names(a)).collect();
        let program = PROGRAM.replace("@REQUIRED@", &required.join("|"));
        (program, "    # the program\n    @F@_compgen -c".to_string())
    } else {
        (String::new(), "    # the operand: nothing to offer".to_string())
    };
    let cases = cases(&options);
    FRAME
        .replace("@HELPERS@", &helpers(&options))
        .replace("@PROGRAM@", &program)
        .replace("@CASES@", &cases.join("\n"))
        .replace("@OPTIONS@", &all.join(" "))
        .replace("@OPERAND@", &operand)
        .replace("@COLUMNS@", &COLUMNS.join(" "))
        .replace("@NCOLUMNS@", &COLUMNS.len().to_string())
        .replace("@CONTAINERS@", &super::values::containers_pipeline(bin))
        .replace("@F@", &f)
        .replace("@BIN@", bin)
}

/// `-o`, `--output`.
fn names(a: &Arg) -> Vec<String> {
    let short = a.get_short().map(|s| format!("-{s}"));
    short.into_iter().chain(a.get_long().map(|l| format!("--{l}"))).collect()
}

/// The `case` branches for the options' values, one per action.
fn cases(options: &[&Arg]) -> Vec<String> {
    let mut branches: Vec<(Vec<String>, String)> = Vec::new();
    for a in options {
        let Some(values) = Values::of(a) else { continue };
        let long = a.get_long().map(|l| format!("=--{l}"));
        let patterns: Vec<String> =
            if values.optional { long.into_iter().collect() } else { names(a).into_iter().chain(long).collect() };
        let action = action(&values);
        match branches.iter_mut().find(|(_, act)| *act == action) {
            Some((p, _)) => p.extend(patterns),
            None => branches.push((patterns, action)),
        }
    }
    branches
        .into_iter()
        .filter(|(p, _)| !p.is_empty())
        .map(|(p, action)| format!("        {})\n            {action}\n            return ;;", p.join("|")))
        .collect()
}

/// The commands that fill COMPREPLY with a value's candidates.
fn action(v: &Values) -> String {
    let words: String = v.words.iter().map(|w| format!("{w} ")).collect();
    let words = words.as_str();
    match v.source {
        Source::Nothing if words.is_empty() => ":".to_string(),
        Source::Nothing => format!("@F@_compgen -W \"{}\"", words.trim_end()),
        Source::Pids => format!("@F@_compgen -W \"{words}$(cd /proc 2>/dev/null && printf '%s ' [1-9]*)\""),
        Source::Uids => format!("@F@_compgen -W \"{words}$(@F@_ids passwd)\""),
        Source::Gids => format!("@F@_compgen -W \"{words}$(@F@_ids group)\""),
        Source::Users => "@F@_compgen -u".to_string(),
        Source::Groups => "@F@_compgen -g".to_string(),
        Source::Files => "compopt -o filenames 2>/dev/null\n            @F@_compgen -f".to_string(),
        Source::Dirs => "compopt -o filenames 2>/dev/null\n            @F@_compgen -d".to_string(),
        Source::Signals => "@F@_signals".to_string(),
        Source::ColumnList => "@F@_columns".to_string(),
        Source::ColumnNames => "@F@_filter".to_string(),
        Source::Containers => "@F@_compgen -W \"$(@CONTAINERS@)\"".to_string(),
    }
}

/// The helper functions the options' actions call.
fn helpers(options: &[&Arg]) -> String {
    let sources: Vec<Source> = options.iter().filter_map(|a| Values::of(a)).map(|v| v.source).collect();
    let mut out = String::new();
    for (source, text) in
        [(Source::ColumnList, COLUMNS_HELPER), (Source::ColumnNames, FILTER_HELPER), (Source::Signals, SIGNALS_HELPER)]
    {
        if sources.contains(&source) {
            out.push_str(text);
        }
    }
    if sources.iter().any(|s| matches!(s, Source::Uids | Source::Gids)) {
        out.push_str(IDS_HELPER);
    }
    out
}
