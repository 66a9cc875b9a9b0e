//! What every binary's `main_with_args` does around its own logic: work out the name it
//! was called by, report errors once, and check that stdout was written.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::Error;

/// How the binary was called: argv\[0\] as typed (getopt messages use it) and its
/// basename (every other message uses that).
#[derive(Debug, Clone)]
pub struct Invocation {
    pub argv0: String,
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
}

/// Writes help or version text to stdout; a failed write is util-linux's `write error`.
pub fn print_stdout(text: &str) -> Result<i32, Error> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| Error::io("write error", &e))?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
