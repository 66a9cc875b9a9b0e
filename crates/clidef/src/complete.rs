//! Shell completions for bash, zsh and fish, generated from the definitions.
//!
//! What a value completes as is read from the definition ([`values`]). The bash script
//! is written here (`complete/bash.rs`); the zsh and fish scripts are `clap_complete`'s, from a
//! copy of the definition that `for_shell` adapts to what the generators understand:
//! `{name}` becomes the binary's name; value notations become plain words (zsh prints
//! them as messages, and `:` or `[` would break its specs); where a short option takes
//! no value while its long form takes an optional one (unshare's `-m` and
//! `--mount[=<file>]`), the two become two options. A value the generators have no
//! words for (process IDs, user IDs, signals, lsns's comma list of columns) gets a
//! placeholder there, which `finish` replaces by the shell's own action, calling
//! functions it adds to the script (`complete/zsh.rs`, `complete/fish.rs`).

use clap::{Arg, ArgAction, Command};
use clap_complete::Shell;

use crate::table::HasArg;
use crate::{Def, Tool};

mod bash;
mod fish;
pub mod values;
mod zsh;

use values::{Source, Values};

/// The shells we write completions for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// A value [`finish`] completes in place of clap_complete: the placeholder standing
/// for it in the generated script, and what it is.
struct Custom {
    placeholder: String,
    values: Values,
}

/// Where the completions of `bin` for `shell` are kept in `completions/`: a directory
/// per shell, the file named as that shell's completion directory wants it.
pub fn file_path(shell: Shell, bin: &str) -> String {
    match shell {
        Shell::Bash => format!("bash/{bin}"),
        Shell::Zsh => format!("zsh/_{bin}"),
        Shell::Fish => format!("fish/{bin}.fish"),
        other => panic!("no completions for {other}"),
    }
}

/// The completion script of `tool` for `shell`, for the command named `bin` (ours, or
/// util-linux's name when installed in its place).
pub fn script(tool: Tool, shell: Shell, bin: &str) -> String {
    let def = tool.def();
    if shell == Shell::Bash {
        return bash::script(&def, bin);
    }
    let (mut cmd, custom) = for_shell(&def, bin);
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, bin, &mut out);
    finish(shell, bin, String::from_utf8(out).expect("clap_complete writes UTF-8"), &custom)
}

/// The definition as the zsh and fish generators should see it (see the module's
/// documentation), and the values [`finish`] completes.
fn for_shell(def: &Def, bin: &str) -> (Command, Vec<Custom>) {
    let mut custom = Vec::new();
    let mut cmd = Command::new(bin.to_string()).disable_help_flag(true).disable_version_flag(true);
    if let Some(about) = def.cmd.get_about() {
        cmd = cmd.about(about.to_string());
    }
    for a in def.cmd.get_arguments() {
        if a.is_positional() {
            cmd = cmd.arg(a.clone());
            continue;
        }
        let values = Values::of(a);
        let mut a = plain(a, bin);
        if let Some(values) = values.filter(|v| !v.native()) {
            let placeholder = format!("__nsutils_{}__", a.get_id());
            a = a.value_parser([placeholder.clone()]).value_hint(clap::ValueHint::Other);
            custom.push(Custom { placeholder, values });
        }
        let optional = HasArg::of(&a) == HasArg::Optional;
        if optional && !def.short_optional_values && a.get_short().is_some() {
            cmd = cmd.arg(short_flag(&a, &format!("{}-short", a.get_id()), a.get_short()));
            cmd = cmd.arg(a.short(None));
        } else {
            cmd = cmd.arg(a);
        }
    }
    (cmd, custom)
}

/// `a` as a short option without a value.
fn short_flag(a: &Arg, id: &str, short: Option<char>) -> Arg {
    let f = Arg::new(id.to_string()).action(ArgAction::SetTrue).short(short);
    match a.get_help() {
        Some(help) => f.help(help.clone()),
        None => f,
    }
}

/// An option with `{name}` filled in, the one-line description, and a plain value name.
fn plain(a: &Arg, bin: &str) -> Arg {
    let mut a = a.clone().long_help(None);
    if let Some(help) = a.get_help() {
        let help = help.to_string().replace("{name}", bin);
        a = a.help(help);
    }
    if let Some(names) = a.get_value_names() {
        let notation = names.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ");
        a = a.value_name(word(&notation));
    }
    a
}

/// `<pid>[:<inode>]` -> `pid`, `<uid>|<name>` -> `uid|name`: no brackets, no colons.
fn word(notation: &str) -> String {
    let s: String = notation.chars().filter(|c| !"<>[]".contains(*c)).collect();
    s.replace(':', "-")
}

/// Puts each shell's own action where a placeholder stands, and the functions those
/// call before the script's end.
fn finish(shell: Shell, bin: &str, mut script: String, custom: &[Custom]) -> String {
    for c in custom {
        let (from, to) = match shell {
            Shell::Zsh => (format!("({})", c.placeholder), zsh::action(bin, &c.values)),
            Shell::Fish => (format!("\"{}\\t''\"", c.placeholder), format!("\"{}\"", fish::action(bin, &c.values))),
            other => panic!("no clap_complete script for {other}"),
        };
        assert!(script.contains(&from), "{shell}: no {from} in the script");
        script = script.replace(&from, &to);
    }
    assert!(!script.contains("__nsutils_"), "{shell}: a placeholder was not replaced");
    let sources: Vec<Source> = custom.iter().map(|c| c.values.source).collect();
    match shell {
        Shell::Zsh => {
            let end = format!("if [ \"$funcstack[1]\" = \"_{bin}\" ]; then");
            let at = script.find(&end).expect("clap_complete's zsh script ends so");
            script.insert_str(at, &zsh::helpers(bin, &sources));
            script
        }
        _ => fish::helpers(bin, &sources) + &script,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_in_every_script() {
        let names = |shell, s: &str, name: &str| match shell {
            Shell::Fish => s.contains(&format!("-l {}", name.trim_start_matches('-'))),
            _ => s.contains(name),
        };
        for tool in Tool::ALL {
            for shell in SHELLS {
                let s = script(tool, shell, &tool.bin());
                let missing: Vec<String> =
                    crate::option_names(tool).into_iter().filter(|n| !names(shell, &s, n)).collect();
                assert!(missing.is_empty(), "{tool:?} {shell}: {missing:?}");
                assert!(!s.contains("{name}"), "{tool:?} {shell}");
            }
        }
    }

    #[test]
    fn words() {
        assert_eq!(word("<pid>[:<inode>]"), "pid-inode");
        assert_eq!(word("<uid>|<name>"), "uid|name");
        assert_eq!(word("<inneruid>:<outeruid>:<count>"), "inneruid-outeruid-count");
    }
}
