//! What every binary's `main_with_args` does around its own logic: work out the name it
//! was called by, read the options one at a time, report errors once, and check that
//! stdout was written.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::Error;
use crate::getopt::{Getopt, Opt, Ordering};

/// How the binary was called: argv\[0\] as typed (getopt messages use it) and its
/// basename (every other message uses that).
#[derive(Debug, Clone)]
pub struct Invocation {
    /// argv\[0\] as typed (lossily UTF-8).
    pub argv0: String,
    /// Its basename, which messages start with.
    pub name: String,
}

impl Invocation {
    /// Splits argv into the invocation and the arguments. `default` names a binary
    /// started with an empty argv.
    pub fn new(mut args: Vec<OsString>, default: &str) -> (Invocation, Vec<OsString>) {
        let argv0 = if args.is_empty() { OsString::from(default) } else { args.remove(0) };
        let name = Path::new(&argv0)
            .file_name()
            .map(|n| String::from_utf8_lossy(n.as_bytes()).into_owned())
            .unwrap_or_else(|| default.to_string());
        (Invocation { argv0: String::from_utf8_lossy(argv0.as_bytes()).into_owned(), name }, args)
    }

    /// The `--version` line. We never claim to be util-linux.
    pub fn version_line(&self) -> String {
        format!("{} from nsutils {}\n", self.name, env!("CARGO_PKG_VERSION"))
    }

    /// Runs a tool's body and turns its outcome into an exit status: errors are printed
    /// once, as util-linux prints them.
    pub fn finish(&self, result: Result<i32, Error>) -> i32 {
        match result {
            Ok(code) => code,
            Err(e) => e.report(&self.name, &self.argv0),
        }
    }

    /// Prints a warning, worded and written as an error's message, and goes on: the one
    /// other way a tool writes to stderr.
    pub fn warn(&self, warning: &Error) {
        let _ = warning.report(&self.name, &self.argv0);
    }
}

/// What a tool's option handler tells [`read_options`] after taking an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next option.
    Continue,
    /// `--help`: stop reading, print the help.
    Help,
    /// `--version`: stop reading, print the version.
    Version,
}

/// How reading the options ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `--help` came before any mistake.
    Help,
    /// `--version` came before any mistake.
    Version,
    /// Every option was taken; these are the operands.
    Operands(Vec<OsString>),
}

/// Reads the options of `args` (without argv\[0\]) and hands each to `take` as it comes,
/// as a getopt loop does: a bad value is reported before a later unknown option, and
/// `--help` or `--version` act at once, so nothing after them is looked at. A permuting
/// table stops at the first operand when `POSIXLY_CORRECT` is set, as glibc's does.
pub fn read_options<T: Copy + PartialEq>(
    args: &[OsString],
    opts: &[Opt<T>],
    ordering: Ordering,
    mut take: impl FnMut(T, Option<OsString>) -> Result<Flow, Error>,
) -> Result<Outcome, Error> {
    let mut getopt = Getopt::new(args, opts, ordering.in_env());
    for item in getopt.by_ref() {
        let (id, value) = item?;
        match take(id, value)? {
            Flow::Continue => {}
            Flow::Help => return Ok(Outcome::Help),
            Flow::Version => return Ok(Outcome::Version),
        }
    }
    Ok(Outcome::Operands(getopt.operands()))
}

/// Writes help or version text to stdout; a failed write is util-linux's `write error`.
pub fn print_stdout(text: &str) -> Result<i32, Error> {
    let mut out = std::io::stdout().lock();
    stdout_result(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
}

/// What writing standard output came to, as util-linux's tools judge it: a failure is
/// `write error: <errno text>`, except a reader that went away (`EPIPE`, seen only when
/// the caller had SIGPIPE ignored, else the signal ends us first), which ends output
/// quietly with status 0.
pub fn stdout_result(written: std::io::Result<()>) -> Result<i32, Error> {
    match written {
        Err(e) if e.raw_os_error() == Some(nix::errno::Errno::EPIPE as i32) => Ok(0),
        Err(e) => Err(Error::io("write error", &e)),
        Ok(()) => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_taken_as_they_come() {
        use crate::getopt::HasArg;
        let opts = [Opt::new(Some(b'h'), None, HasArg::No, 'h'), Opt::new(Some(b'n'), None, HasArg::Required, 'n')];
        let args = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        let take = |id, v: Option<OsString>| match (id, v) {
            ('h', _) => Ok(Flow::Help),
            (_, Some(v)) if v == "bad" => Err(Error::msg("bad value")),
            _ => Ok(Flow::Continue),
        };
        let read = |v: &[&str]| read_options(&args(v), &opts, Ordering::RequireOrder, take).map_err(|e| e.to_string());
        assert_eq!(read(&["-n", "bad", "-x"]).unwrap_err(), "bad value");
        assert_eq!(read(&["-x", "-n", "bad"]).unwrap_err(), "invalid option -- 'x'");
        assert_eq!(read(&["-h", "-n", "bad"]), Ok(Outcome::Help));
        assert_eq!(read(&["-n1", "p", "-x"]), Ok(Outcome::Operands(args(&["p", "-x"]))));
    }

    #[test]
    fn names() {
        let (inv, rest) = Invocation::new(vec!["/usr/local/bin/rs-unshare".into(), "-f".into()], "rs-unshare");
        assert_eq!(inv.name, "rs-unshare");
        assert_eq!(inv.argv0, "/usr/local/bin/rs-unshare");
        assert_eq!(rest, vec![OsString::from("-f")]);
        let (inv, _) = Invocation::new(vec![], "rs-unshare");
        assert_eq!(inv.name, "rs-unshare");
        let (inv, _) = Invocation::new(vec!["unshare".into()], "rs-unshare");
        assert_eq!(inv.version_line(), format!("unshare from nsutils {}\n", env!("CARGO_PKG_VERSION")));
    }
}
