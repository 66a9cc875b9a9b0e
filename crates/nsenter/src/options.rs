//! The command line: the option table and the help text, generated at build time from
//! the clap definition in `crates/clidef` (see `build.rs`), so they cannot drift apart.
//!
//! The short-option string is util-linux's:
//! `+ahVt:m::u::i::n::N:p::C::U::T::S:G:r::w::W::ecFZ` (the leading `+` stops at the
//! program, so its own options are left alone; the namespace letters take their file
//! only attached).

include!(concat!(env!("OUT_DIR"), "/options.rs"));

/// The `--help` text for the name the binary was called by.
pub fn help(name: &str) -> String {
    HELP.replace("{name}", name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nscore::getopt::HasArg;

    #[test]
    fn table_matches_the_short_option_string() {
        let mut s = String::from("+");
        for o in OPTIONS.iter().filter(|o| o.short.is_some()) {
            s.push(o.short.unwrap() as char);
            s.push_str(match o.short_has_arg {
                HasArg::No => "",
                HasArg::Required => ":",
                HasArg::Optional => "::",
            });
        }
        assert_eq!(s, "+ahVt:m::u::i::n::N:p::C::U::T::S:G:r::w::W::ecFZ");
        assert_eq!(ORDERING, nscore::getopt::Ordering::RequireOrder);
        assert!(help("rs-nsenter").contains(" rs-nsenter [options]"));
    }
}
