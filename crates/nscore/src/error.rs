//! The error type shared by the tools, and the one place that turns errors into
//! messages and exit codes.

use std::io::Write;

use nix::errno::Errno;

use crate::sys::strerror;

/// Everything that can end a tool early.
///
/// The variants follow util-linux's message shapes: `err()` (with errno text), `errx()`
/// (without), getopt's complaints (which name argv\[0\] as typed), and silent exits whose
/// status came from somewhere else (a helper process, a waited-for child).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// getopt's own complaint (bytes: it repeats what was typed); printed after argv\[0\]
    /// as typed, then the "Try" line.
    #[error("{}", String::from_utf8_lossy(.0))]
    Getopt(Vec<u8>),
    /// `<name>: <msg>`.
    #[error("{0}")]
    Msg(String),
    /// Several messages, each printed as `<name>: <line>`: the warnings util-linux prints
    /// before the error that ends it (rs-lsns: `unknown column: X`, then `failed to
    /// initialize filter`).
    #[error("{}", .0.join("\n"))]
    Lines(Vec<String>),
    /// `<name>: <what>: <strerror(errno)>`.
    #[error("{what}: {}", strerror(*.errno as i32))]
    Sys {
        /// What failed, in util-linux's words.
        what: String,
        /// Why.
        errno: Errno,
    },
    /// `execvp` failed: 127 for ENOENT, 126 otherwise.
    #[error("failed to execute {prog}: {}", strerror(*.errno as i32))]
    Exec {
        /// The program as it was asked for.
        prog: String,
        /// Why `execvp` failed.
        errno: Errno,
    },
    /// An error followed by a line of advice.
    #[error("{source}")]
    Hint {
        /// The error itself.
        source: Box<Error>,
        /// The advice, printed as `<name>: hint: <hint>`.
        hint: String,
    },
    /// Exit with this status without a message (the cause was already reported).
    #[error("")]
    Exit(i32),
}

/// `Result` with [`Error`] as its default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An `err()`-style error: `what` and the errno text.
    pub fn sys(what: impl Into<String>, errno: Errno) -> Error {
        Error::Sys { what: what.into(), errno }
    }

    /// An `err()`-style error from an `io::Error` (falls back to a plain message).
    pub fn io(what: impl Into<String>, e: &std::io::Error) -> Error {
        match e.raw_os_error() {
            Some(n) => Error::sys(what, Errno::from_raw(n)),
            None => Error::Msg(format!("{}: {e}", what.into())),
        }
    }

    /// An `errx()`-style error: the message alone.
    pub fn msg(m: impl Into<String>) -> Error {
        Error::Msg(m.into())
    }

    /// `failed to parse <what>: '<value>'`, util-linux's words for a bad number: its
    /// parsers add the errno text for a number out of range (`: Numerical result out of
    /// range`), and nothing for one that is no number at all.
    pub fn parse_failure(what: &str, value: &std::ffi::OsStr, errno: Errno) -> Error {
        let m = format!("failed to parse {what}: '{}'", crate::getopt::lossy(value));
        if errno == Errno::ERANGE {
            Error::sys(m, errno)
        } else {
            Error::msg(m)
        }
    }

    /// The same error, followed by a line of advice (ours; util-linux has none).
    pub fn with_hint(self, hint: impl Into<String>) -> Error {
        Error::Hint { source: Box::new(self), hint: hint.into() }
    }

    /// [`Error::with_hint`] when a diagnosis found one, else the error as it is.
    pub fn with_hint_if(self, hint: Option<String>) -> Error {
        match hint {
            Some(h) => self.with_hint(h),
            None => self,
        }
    }

    /// The errno behind this error, if any.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Sys { errno, .. } | Error::Exec { errno, .. } => Some(*errno),
            Error::Hint { source, .. } => source.errno(),
            _ => None,
        }
    }

    /// The exit status util-linux uses for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Exec { errno: Errno::ENOENT, .. } => 127,
            Error::Exec { .. } => 126,
            Error::Exit(code) => *code,
            Error::Hint { source, .. } => source.exit_code(),
            _ => 1,
        }
    }

    /// Writes the message as util-linux would. `name` is the basename of argv\[0\],
    /// `argv0` argv\[0\] as typed (getopt's messages use that one).
    pub fn render_bytes(&self, name: &str, argv0: &str) -> Vec<u8> {
        match self {
            Error::Getopt(m) => {
                let try_help = format!("Try '{name} --help' for more information.\n");
                [argv0.as_bytes(), b": ", m, b"\n", try_help.as_bytes()].concat()
            }
            Error::Exit(_) => Vec::new(),
            Error::Lines(lines) => lines.iter().flat_map(|l| format!("{name}: {l}\n").into_bytes()).collect(),
            Error::Hint { source, hint } => {
                [source.render_bytes(name, argv0), format!("{name}: hint: {hint}\n").into_bytes()].concat()
            }
            other => format!("{name}: {other}\n").into_bytes(),
        }
    }

    /// [`Error::render_bytes`] as text (bytes that are not UTF-8 shown as U+FFFD).
    pub fn render(&self, name: &str, argv0: &str) -> String {
        String::from_utf8_lossy(&self.render_bytes(name, argv0)).into_owned()
    }

    /// Prints the message to stderr (one write, so concurrent output doesn't interleave
    /// within it) and returns the exit status.
    pub fn report(&self, name: &str, argv0: &str) -> i32 {
        let text = self.render_bytes(name, argv0);
        if !text.is_empty() {
            let _ = std::io::stderr().lock().write_all(&text);
        }
        self.exit_code()
    }
}

impl From<crate::getopt::GetoptError> for Error {
    fn from(e: crate::getopt::GetoptError) -> Self {
        Error::Getopt(e.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_codes() {
        let e = Error::sys("unshare failed", Errno::EPERM);
        assert_eq!(e.render("rs-unshare", "./rs-unshare"), "rs-unshare: unshare failed: Operation not permitted\n");
        assert_eq!(e.exit_code(), 1);
        let e = Error::Getopt(b"invalid option -- 'x'".to_vec());
        assert_eq!(
            e.render("unshare", "/usr/bin/unshare"),
            "/usr/bin/unshare: invalid option -- 'x'\nTry 'unshare --help' for more information.\n"
        );
        let e = Error::Getopt(b"invalid option -- '\xc3'".to_vec());
        assert!(e.render_bytes("u", "u").starts_with(b"u: invalid option -- '\xc3'\nTry"));
        let e = Error::Exec { prog: "nope".into(), errno: Errno::ENOENT };
        assert_eq!(e.exit_code(), 127);
        assert_eq!(e.render("u", "u"), "u: failed to execute nope: No such file or directory\n");
        assert_eq!(Error::Exec { prog: "x".into(), errno: Errno::EACCES }.exit_code(), 126);
        assert_eq!(Error::Exit(42).exit_code(), 42);
        assert_eq!(Error::Exit(42).render("u", "u"), "");
        let h = Error::sys("unshare failed", Errno::EPERM).with_hint("try -r");
        assert_eq!(h.render("u", "u"), "u: unshare failed: Operation not permitted\nu: hint: try -r\n");
        assert_eq!(h.errno(), Some(Errno::EPERM));
        let l = Error::Lines(vec!["unknown column: X".into(), "failed to initialize filter".into()]);
        assert_eq!(l.render("lsns", "./lsns"), "lsns: unknown column: X\nlsns: failed to initialize filter\n");
        assert_eq!(l.exit_code(), 1);
    }

    #[test]
    fn glibc_errno_words() {
        assert_eq!(Error::sys("x", Errno::ERANGE).to_string(), "x: Numerical result out of range");
    }
}
