//! The command line: the option table and the help text, generated at build time from
//! the clap definition in `crates/clidef` (see `build.rs`), so they cannot drift apart.
//!
//! The short-option string is util-linux's: `+fhVmuinpCTUrR:w:S:G:cl:` (the leading `+`
//! stops at the program, so its own options are left alone; the namespace letters take
//! no value, unlike their long forms).

include!(concat!(env!("OUT_DIR"), "/options.rs"));

/// The `--help` text for the name the binary was called by.
pub fn help(name: &str) -> String {
    HELP.replace("{name}", name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nscore::getopt::{Getopt, HasArg, Item};
    use nscore::NsType as T;
    use std::ffi::OsString;

    fn a(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    fn parse(v: &[&str]) -> Result<(Vec<Item<Id>>, Vec<OsString>), String> {
        let args = a(v);
        let mut g = Getopt::new(&args, OPTIONS, ORDERING);
        let opts = g.by_ref().collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
        Ok((opts, g.operands()))
    }

    #[test]
    fn stops_at_the_program() {
        let (opts, rest) = parse(&["-fpu", "ls", "-l"]).unwrap();
        assert_eq!(opts, vec![(Id::Fork, None), (Id::Ns(T::Pid), None), (Id::Ns(T::Uts), None)]);
        assert_eq!(rest, a(&["ls", "-l"]));
    }

    #[test]
    fn optional_values_only_attached() {
        let (opts, rest) = parse(&["--net", "/x"]).unwrap();
        assert_eq!((opts, rest), (vec![(Id::Ns(T::Net), None)], a(&["/x"])));
        let (opts, _) = parse(&["--net=/x", "--kill-child=TERM"]).unwrap();
        assert_eq!(opts, vec![(Id::Ns(T::Net), Some("/x".into())), (Id::KillChild, Some("TERM".into()))]);
        assert_eq!(parse(&["-n/x"]).unwrap_err(), "invalid option -- '/'");
    }

    #[test]
    fn ambiguity_lists_in_table_order() {
        let e = parse(&["--map-g"]).unwrap_err();
        assert_eq!(e, "option '--map-g' is ambiguous; possibilities: '--map-group' '--map-groups'");
        assert_eq!(parse(&["--map-gr=0"]).unwrap_err(), e.replace("'--map-g'", "'--map-gr=0'"));
    }

    #[test]
    fn table_matches_the_short_option_string() {
        // util-linux's, letter by letter (the table itself is in long-option order)
        let mut want: Vec<String> = Vec::new();
        for c in "fhVmuinpCTUrR:w:S:G:cl:".chars() {
            match c {
                ':' => want.last_mut().unwrap().push(':'),
                c => want.push(c.to_string()),
            }
        }
        let mut have: Vec<String> = OPTIONS
            .iter()
            .filter_map(|o| o.short)
            .map(|c| {
                let o = OPTIONS.iter().find(|o| o.short == Some(c)).unwrap();
                format!("{}{}", c as char, if o.short_has_arg == HasArg::Required { ":" } else { "" })
            })
            .collect();
        assert!(OPTIONS.iter().all(|o| o.short_has_arg != HasArg::Optional));
        want.sort();
        have.sort();
        assert_eq!(have, want);
        assert_eq!(ORDERING, nscore::getopt::Ordering::RequireOrder);
        assert!(help("x").contains("--whitelist-env <list>"));
    }
}
