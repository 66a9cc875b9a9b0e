//! The getopt table as Rust source: `enum Id`, `OPTIONS` and `ORDERING`, for
//! `nscore::getopt`.

use clap::Arg;

use crate::Def;

/// The namespace options' long names and the `nscore::NsType` each stands for: their
/// ids are `Id::Ns(NsType::..)`, so a tool handles the eight alike.
const NAMESPACES: [(&str, &str); 8] = [
    ("mount", "Mnt"),
    ("uts", "Uts"),
    ("ipc", "Ipc"),
    ("net", "Net"),
    ("pid", "Pid"),
    ("user", "User"),
    ("cgroup", "Cgroup"),
    ("time", "Time"),
];

/// How getopt reads an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HasArg {
    No,
    Required,
    Optional,
}

impl HasArg {
    pub fn of(a: &Arg) -> HasArg {
        let n = a.get_num_args().expect("the command was built");
        match (n.min_values(), n.max_values()) {
            (_, 0) => HasArg::No,
            (0, _) => HasArg::Optional,
            _ => HasArg::Required,
        }
    }
}

/// `Id::` and what follows, for an option.
fn id(a: &Arg) -> String {
    let long = a.get_id().as_str();
    if let Some((_, t)) = NAMESPACES.iter().find(|(l, _)| *l == long) {
        return format!("Ns(nscore::NsType::{t})");
    }
    camel(long)
}

/// `map-root-user` -> `MapRootUser`.
fn camel(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn options(def: &Def) -> impl Iterator<Item = &Arg> {
    def.cmd.get_arguments().filter(|a| !a.is_positional())
}

/// The Rust source of the table.
pub fn source(def: &Def) -> String {
    let mut variants: Vec<String> = Vec::new();
    let mut rows = String::new();
    for a in options(def) {
        let variant = match id(a) {
            v if v.starts_with("Ns(") => "Ns(nscore::NsType)".to_string(),
            v => v,
        };
        if !variants.contains(&variant) {
            variants.push(variant);
        }
        let has = HasArg::of(a);
        let short_has = if has == HasArg::Optional && !def.short_optional_values { HasArg::No } else { has };
        let short = a.get_short().map_or("None".to_string(), |c| format!("Some(b'{c}')"));
        let long = a.get_long().map_or("None".to_string(), |l| format!("Some({l:?})"));
        rows.push_str(&format!(
            "    Opt {{ short: {short}, long: {long}, has_arg: HasArg::{has:?}, short_has_arg: HasArg::{short_has:?}, id: Id::{} }},\n",
            id(a)
        ));
    }
    let trailing = def.cmd.get_arguments().any(|a| a.is_positional() && a.is_trailing_var_arg_set());
    let ordering = if trailing { "RequireOrder" } else { "Permute" };
    format!(
        "/// Every option, one variant each.\n\
         #[derive(Clone, Copy, Debug, PartialEq, Eq)]\n\
         pub enum Id {{\n{}}}\n\n\
         use nscore::getopt::{{HasArg, Opt, Ordering}};\n\n\
         /// The getopt table, in util-linux's order (ambiguity messages list candidates in it).\n\
         pub const OPTIONS: &[Opt<Id>] = &[\n{rows}];\n\n\
         /// Whether options stop at the first operand (the program) or mix with operands.\n\
         pub const ORDERING: Ordering = Ordering::{ordering};\n",
        variants.iter().map(|v| format!("    {v},\n")).collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(camel("map-root-user"), "MapRootUser");
        assert_eq!(camel("wdns"), "Wdns");
    }
}
