//! The command line: the option table and the help text, generated at build time from
//! the clap definition in `crates/clidef` (see `build.rs`). util-linux's short-option
//! string is `+ahVt:m::u::i::n::N:p::C::U::T::S:G:r::w::W::ecFZ`.

use std::ffi::OsString;

use nscore::cli::{read_options, Outcome};
use nscore::Result;

use crate::plan::{Context, Plan};

include!(concat!(env!("OUT_DIR"), "/cli.rs"));

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Help,
    Version,
    Run(Box<Plan>),
}

/// Reads the arguments after argv\[0\], each option as it comes (see [`Plan::apply`]),
/// opening the files they name.
pub fn parse(args: &[OsString]) -> Result<Command> {
    parse_with(args, &crate::probe::context())
}

/// [`parse`], with `ctx` doing the opens.
pub fn parse_with(args: &[OsString], ctx: &Context) -> Result<Command> {
    let mut plan = Plan::default();
    Ok(match read_options(args, OPTIONS, ORDERING, |id, v| plan.apply(id, v.as_deref(), ctx))? {
        Outcome::Help => Command::Help,
        Outcome::Version => Command::Version,
        Outcome::Operands(operands) => Command::Run(Box::new(plan.finish(operands)?)),
    })
}

/// The `--help` text for the name the binary was called by.
pub fn help(name: &str) -> String {
    HELP.replace("{name}", name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{DirSpec, NsSource};
    use nscore::getopt::HasArg;
    use nscore::NsType;

    fn run(v: &[&str]) -> Result<Command> {
        parse_with(&v.iter().map(OsString::from).collect::<Vec<_>>(), &crate::plan::tests::CTX)
    }

    fn plan(v: &[&str]) -> Plan {
        match run(v).unwrap() {
            Command::Run(p) => *p,
            other => panic!("{other:?}"),
        }
    }

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
    }

    #[test]
    fn attached_values() {
        let p = plan(&["-t1", "-n/path", "-u=/u", "-m", "ls", "-l"]);
        assert_eq!(p.target.unwrap().pid, 1);
        assert_eq!(p.ns_source(NsType::Net), Some(&NsSource::File("/path".into())));
        assert_eq!(p.ns_source(NsType::Uts), Some(&NsSource::File("/u".into())));
        assert_eq!(p.ns_source(NsType::Mnt), Some(&NsSource::Target));
        assert_eq!(p.program, vec![OsString::from("ls"), OsString::from("-l")]);
        // -nu is --net=u, and a detached value is the program
        let p = plan(&["-t1", "-nu", "--ipc", "/x"]);
        assert_eq!(p.ns_source(NsType::Net), Some(&NsSource::File("u".into())));
        assert_eq!(p.ns_source(NsType::Uts), None);
        assert_eq!(p.program, vec![OsString::from("/x")]);
        let p = plan(&["-t", "1", "-aw-W/x", "--", "-a"]);
        assert!(p.all);
        assert_eq!(p.wd, Some(DirSpec::Path("-W/x".into())));
        assert_eq!(p.program, vec![OsString::from("-a")]);
    }

    #[test]
    fn help_and_errors() {
        // like a getopt loop, --help acts at once: later mistakes go unnoticed
        assert!(matches!(run(&["-h", "--bogus"]), Ok(Command::Help)));
        assert!(run(&["--bogus", "-h"]).is_err());
        assert!(matches!(run(&["-h", "-t", "x"]), Ok(Command::Help)));
        assert!(matches!(run(&["--vers"]), Ok(Command::Version)));
        assert_eq!(run(&["-x"]).unwrap_err().to_string(), "invalid option -- 'x'");
        assert_eq!(run(&["-t"]).unwrap_err().to_string(), "option requires an argument -- 't'");
        assert_eq!(
            run(&["-t", "x", "-h"]).unwrap_err().to_string(),
            "failed to parse PID argument 'x': Invalid argument"
        );
        // the first mistake on the line is reported, as util-linux's getopt loop does
        assert_eq!(
            run(&["-t", "x", "--bogus"]).unwrap_err().to_string(),
            "failed to parse PID argument 'x': Invalid argument"
        );
        assert_eq!(run(&["--bogus", "-t", "x"]).unwrap_err().to_string(), "unrecognized option '--bogus'");
        assert_eq!(
            run(&["--net=/missing", "-h"]).unwrap_err().to_string(),
            "cannot open /missing: No such file or directory"
        );
        assert_eq!(
            run(&["-W", "-w", "--bogus"]).unwrap_err().to_string(),
            "options --wdns and --wd cannot be combined"
        );
        assert!(help("rs-nsenter").contains(" rs-nsenter [options]"));
    }
}
