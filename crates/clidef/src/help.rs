//! `--help` from a definition: usage, description, the options in blocks, and what
//! follows them, laid out as util-linux lays out its help (short and long name, the
//! value's notation, the description at a fixed column or, when the names are too
//! long, on the next line there).

use clap::Arg;

use crate::table::HasArg;
use crate::{Def, Layout};

/// The help text, with `{name}` where the name the binary was called by goes.
pub fn render(def: &Def) -> String {
    let cmd = &def.cmd;
    let usage = cmd.clone().render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage);
    // util-linux's help starts with an empty line
    let mut s = String::from("\n");
    let about = cmd.get_about().map(ToString::to_string).unwrap_or_default();
    s.push_str(&format!("Usage:\n {usage}\n\n{about}\n\nOptions:\n"));
    let mut opts: Vec<&Arg> = cmd.get_arguments().filter(|a| !a.is_positional()).collect();
    opts.sort_by_key(|a| a.get_display_order());
    let mut block = None;
    for a in opts {
        if block.is_some() && block != a.get_help_heading() {
            s.push('\n');
        }
        block = a.get_help_heading();
        s.push_str(&line(a, &def.layout));
    }
    if let Some(after) = cmd.get_after_help() {
        s.push_str(&format!("\n{after}\n"));
    }
    s
}

/// How the value is written after the option's name: `[=<file>]`, `=<dir>`, ` <uid>`,
/// ` slave|shared|private|unchanged`.
pub fn notation(a: &Arg) -> String {
    let v = match a.get_value_names() {
        Some(names) => names.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
        None => a.get_possible_values().iter().map(|p| p.get_name().to_string()).collect::<Vec<_>>().join("|"),
    };
    match HasArg::of(a) {
        HasArg::No => String::new(),
        HasArg::Optional => format!("[={v}]"),
        HasArg::Required if a.is_require_equals_set() => format!("={v}"),
        HasArg::Required => format!(" {v}"),
    }
}

/// One option: its names and notation, then its description (a continuation line of
/// the description starts at the same column).
fn line(a: &Arg, layout: &Layout) -> String {
    let long = a.get_long().unwrap_or_default();
    let names = match a.get_short() {
        Some(c) => format!(" -{c}, --{long}"),
        None => format!("{}--{long}", layout.long_only_indent),
    };
    let spec = names + &notation(a);
    let help = a.get_long_help().or(a.get_help()).map(ToString::to_string).unwrap_or_default();
    let pad = " ".repeat(layout.column);
    let mut out = if spec.len() + 2 <= layout.column {
        format!("{spec:<width$}", width = layout.column)
    } else {
        format!("{spec}\n{pad}")
    };
    for (i, text) in help.lines().enumerate() {
        if i > 0 {
            out.push_str(&pad);
        }
        out.push_str(text);
        out.push('\n');
    }
    out
}
