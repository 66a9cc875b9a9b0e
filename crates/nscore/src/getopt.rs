//! A `getopt_long(3)` work-alike.
//!
//! Scripts depend on the exact way glibc splits a command line: bundled short options,
//! optional values only when attached (`--net=/x`, `-n/x`), unambiguous prefixes of long
//! options, `--` and, for unshare and nsenter, stopping at the first non-option so the
//! program's own options are left alone. Argument-parser crates get several of these
//! subtly wrong, so the few rules live here, with glibc's own error words.
//!
//! [`Getopt`] is an iterator: it yields options one at a time, in command-line order, so
//! a tool checks each value as it comes and reports the first mistake on the line, as a
//! getopt loop does. Each argument is looked at once (parsing is linear in their number).
//!
//! ```
//! use std::ffi::OsString;
//! use nscore::getopt::{Getopt, HasArg, Opt, Ordering};
//!
//! let opts = [
//!     Opt::new(Some(b'f'), Some("fork"), HasArg::No, 'f'),
//!     Opt::new(Some(b'n'), Some("net"), HasArg::Optional, 'n'),
//! ];
//! let args: Vec<OsString> = ["-fn/run/x", "--ne", "ls", "-l"].iter().map(OsString::from).collect();
//! let mut g = Getopt::new(&args, &opts, Ordering::RequireOrder);
//! assert_eq!(g.next(), Some(Ok(('f', None))));
//! assert_eq!(g.next(), Some(Ok(('n', Some("/run/x".into())))));
//! assert_eq!(g.next(), Some(Ok(('n', None)))); // a prefix of --net, without a value
//! assert_eq!(g.next(), None); // stops at the program: its -l is left alone
//! assert_eq!(g.operands(), ["ls", "-l"]);
//!
//! let args = [OsString::from("--bogus")];
//! let e = Getopt::new(&args, &opts, Ordering::RequireOrder).next().unwrap().unwrap_err();
//! assert_eq!(e.to_string(), "unrecognized option '--bogus'");
//! ```

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// Whether an option takes a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HasArg {
    /// No value: a following argument is an operand (or the next option).
    No,
    /// A value, attached or in the next argument.
    Required,
    /// A value only when attached (`--opt=v`, `-ov`).
    Optional,
}

/// One option: its short letter (if any), its long name (if any), and the caller's id.
#[derive(Clone, Copy, Debug)]
pub struct Opt<T> {
    /// The letter of `-x`.
    pub short: Option<u8>,
    /// The name of `--name`, which any unambiguous prefix also selects.
    pub long: Option<&'static str>,
    /// What the long form takes.
    pub has_arg: HasArg,
    /// What the short form takes; differs from `has_arg` where util-linux's short-option
    /// string gives the letter no optional value (unshare's `-n` vs `--net[=file]`).
    pub short_has_arg: HasArg,
    /// What the iterator yields for this option.
    pub id: T,
}

impl<T: Copy> Opt<T> {
    /// An option whose short and long forms take the same kind of value.
    pub const fn new(short: Option<u8>, long: Option<&'static str>, has_arg: HasArg, id: T) -> Self {
        Opt { short, long, has_arg, short_has_arg: has_arg, id }
    }
}

/// Where non-option arguments go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ordering {
    /// `+` in the short-option string: the first non-option ends option parsing.
    RequireOrder,
    /// glibc's default: options and operands may be mixed.
    Permute,
}

impl Ordering {
    /// The ordering glibc applies: with `POSIXLY_CORRECT` in the environment (set to
    /// anything, even empty) a permuting getopt stops at the first operand too.
    pub fn in_env(self) -> Ordering {
        match self {
            Ordering::Permute if std::env::var_os("POSIXLY_CORRECT").is_some() => Ordering::RequireOrder,
            other => other,
        }
    }
}

/// A command-line error, worded as glibc words it (without the `argv[0]: ` prefix). The
/// words are bytes: glibc repeats what was typed, and an invalid option byte that is not
/// ASCII is printed as that byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetoptError(pub Vec<u8>);

impl GetoptError {
    fn new(parts: &[&[u8]]) -> GetoptError {
        GetoptError(parts.concat())
    }
}

impl std::fmt::Display for GetoptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

/// One option as the iterator yields it: its id and its value, if it got one.
pub type Item<T> = (T, Option<OsString>);

/// The options of a command line, one at a time (see the module's documentation).
/// After the last option (or an error), [`Getopt::operands`] gives the operands.
pub struct Getopt<'a, T> {
    args: &'a [OsString],
    opts: &'a [Opt<T>],
    ordering: Ordering,
    /// The next argument to look at.
    next: usize,
    /// Inside a bundle of short options: the argument, and where its next letter is.
    bundle: Option<(usize, usize)>,
    operands: Vec<OsString>,
    done: bool,
}

impl<'a, T: Copy + PartialEq> Getopt<'a, T> {
    /// Parses `args` (without argv\[0\]) with the table `opts`.
    pub fn new(args: &'a [OsString], opts: &'a [Opt<T>], ordering: Ordering) -> Self {
        Getopt { args, opts, ordering, next: 0, bundle: None, operands: Vec::new(), done: false }
    }

    /// The operands: those met between options, then every argument after the end of
    /// the options (`--`, or the first operand when options must come first).
    pub fn operands(self) -> Vec<OsString> {
        self.operands
    }

    /// Stops: everything from argument `from` on is an operand.
    fn finish(&mut self, from: usize) -> Option<Result<Item<T>, GetoptError>> {
        self.operands.extend(self.args[from..].iter().cloned());
        self.next = self.args.len();
        self.done = true;
        None
    }

    fn fail(&mut self, e: GetoptError) -> Option<Result<Item<T>, GetoptError>> {
        self.done = true;
        Some(Err(e))
    }

    /// The argument after the current one, as an option's value.
    fn take_next(&mut self) -> Option<OsString> {
        let v = self.args.get(self.next).cloned();
        if v.is_some() {
            self.next += 1;
        }
        v
    }

    fn long(&mut self, arg: &'a [u8]) -> Option<Result<Item<T>, GetoptError>> {
        let body = &arg[2..];
        let (name, value) = match body.iter().position(|&b| b == b'=') {
            Some(eq) => (&body[..eq], Some(&body[eq + 1..])),
            None => (body, None),
        };
        let opt = match find_long(self.opts, name, arg) {
            Ok(o) => *o,
            Err(e) => return self.fail(e),
        };
        let long = opt.long.unwrap_or_default().as_bytes();
        let val = match (opt.has_arg, value) {
            (HasArg::No, Some(_)) => {
                return self.fail(GetoptError::new(&[b"option '--", long, b"' doesn't allow an argument"]))
            }
            (HasArg::No | HasArg::Optional, None) => None,
            (_, Some(v)) => Some(OsStr::from_bytes(v).to_os_string()),
            (HasArg::Required, None) => match self.take_next() {
                Some(v) => Some(v),
                None => return self.fail(GetoptError::new(&[b"option '--", long, b"' requires an argument"])),
            },
        };
        Some(Ok((opt.id, val)))
    }

    /// The letter at `pos` of argument `at` (a bundle such as `-fnR/x`).
    fn short(&mut self, at: usize, pos: usize) -> Option<Result<Item<T>, GetoptError>> {
        let arg = self.args[at].as_bytes();
        let c = arg[pos];
        let rest = &arg[pos + 1..];
        let Some(opt) = self.opts.iter().find(|o| o.short == Some(c)).copied() else {
            return self.fail(GetoptError::new(&[b"invalid option -- '", &[c], b"'"]));
        };
        let attached = (!rest.is_empty()).then(|| OsStr::from_bytes(rest).to_os_string());
        let val = match opt.short_has_arg {
            HasArg::No => None,
            HasArg::Optional => attached,
            HasArg::Required => match attached.or_else(|| self.take_next()) {
                Some(v) => Some(v),
                None => return self.fail(GetoptError::new(&[b"option requires an argument -- '", &[c], b"'"])),
            },
        };
        if val.is_none() && !rest.is_empty() {
            self.bundle = Some((at, pos + 1));
        }
        Some(Ok((opt.id, val)))
    }
}

impl<T: Copy + PartialEq> Iterator for Getopt<'_, T> {
    type Item = Result<Item<T>, GetoptError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some((at, pos)) = self.bundle.take() {
            return self.short(at, pos);
        }
        loop {
            let at = self.next;
            let arg = self.args.get(at)?.as_bytes();
            self.next += 1;
            if arg == b"--" {
                return self.finish(at + 1);
            }
            if arg.starts_with(b"--") {
                return self.long(arg);
            }
            if arg.len() > 1 && arg[0] == b'-' {
                return self.short(at, 1);
            }
            // An operand ("-" alone is one too).
            match self.ordering {
                Ordering::RequireOrder => return self.finish(at),
                Ordering::Permute => self.operands.push(self.args[at].clone()),
            }
        }
    }
}

fn find_long<'a, T: Copy + PartialEq>(
    opts: &'a [Opt<T>],
    name: &[u8],
    whole: &[u8],
) -> Result<&'a Opt<T>, GetoptError> {
    let unrecognized = || GetoptError::new(&[b"unrecognized option '", whole, b"'"]);
    if name.is_empty() {
        return Err(unrecognized());
    }
    if let Some(o) = opts.iter().find(|o| o.long.map(str::as_bytes) == Some(name)) {
        return Ok(o);
    }
    let mut candidates = opts.iter().filter(|o| o.long.is_some_and(|l| l.as_bytes().starts_with(name)));
    let Some(first) = candidates.next() else {
        return Err(unrecognized());
    };
    if candidates.clone().all(|o| o.id == first.id && o.has_arg == first.has_arg) {
        return Ok(first);
    }
    // glibc repeats the whole argument, `=value` included, then lists every candidate.
    let mut msg = [b"option '", whole, b"' is ambiguous; possibilities:"].concat();
    for o in std::iter::once(first).chain(candidates) {
        msg.extend_from_slice(b" '--");
        msg.extend_from_slice(o.long.unwrap_or_default().as_bytes());
        msg.push(b'\'');
    }
    Err(GetoptError(msg))
}

/// Splits a byte string at commas, as util-linux's list options do.
pub fn split_commas(v: &OsStr) -> impl Iterator<Item = &OsStr> {
    v.as_bytes().split(|&b| b == b',').map(OsStr::from_bytes)
}

/// Converts a value that must be text; non-UTF-8 bytes are kept lossily for messages.
pub fn lossy(v: &OsStr) -> String {
    String::from_utf8_lossy(v.as_bytes()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Id {
        Fork,
        Net,
        Root,
        MapUser,
        MapUsers,
        MapRoot,
        Prop,
    }

    const OPTS: &[Opt<Id>] = &[
        Opt::new(Some(b'f'), Some("fork"), HasArg::No, Id::Fork),
        Opt::new(Some(b'n'), Some("net"), HasArg::Optional, Id::Net),
        Opt::new(Some(b'R'), Some("root"), HasArg::Required, Id::Root),
        Opt::new(None, Some("map-user"), HasArg::Required, Id::MapUser),
        Opt::new(None, Some("map-users"), HasArg::Required, Id::MapUsers),
        Opt::new(Some(b'r'), Some("map-root-user"), HasArg::No, Id::MapRoot),
        Opt::new(None, Some("propagation"), HasArg::Required, Id::Prop),
    ];

    fn args(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    type Parsed = (Vec<Item<Id>>, Vec<OsString>);

    fn parse_with(a: &[OsString], opts: &[Opt<Id>], ord: Ordering) -> Result<Parsed, String> {
        let mut g = Getopt::new(a, opts, ord);
        let opts = g.by_ref().collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
        Ok((opts, g.operands()))
    }

    fn run(v: &[&str], ord: Ordering) -> Result<Parsed, String> {
        parse_with(&args(v), OPTS, ord)
    }

    fn val(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn bundles_and_values() {
        let (o, rest) = run(&["-fnR/x", "prog", "-f"], Ordering::RequireOrder).unwrap();
        assert_eq!(o, vec![(Id::Fork, None), (Id::Net, val("R/x"))]);
        assert_eq!(rest, args(&["prog", "-f"]));
        let (o, _) = run(&["-fR", "/x", "--net=/y", "--root=/z"], Ordering::RequireOrder).unwrap();
        assert_eq!(o, vec![(Id::Fork, None), (Id::Root, val("/x")), (Id::Net, val("/y")), (Id::Root, val("/z"))]);
        let (o, rest) = run(&["-R", "--", "x"], Ordering::RequireOrder).unwrap();
        assert_eq!((o, rest), (vec![(Id::Root, val("--"))], args(&["x"])));
    }

    #[test]
    fn optional_values_must_be_attached() {
        let (o, rest) = run(&["--net", "/x"], Ordering::RequireOrder).unwrap();
        assert_eq!((o, rest), (vec![(Id::Net, None)], args(&["/x"])));
        assert_eq!(run(&["-n", "/x"], Ordering::RequireOrder).unwrap().0, vec![(Id::Net, None)]);
        assert_eq!(run(&["--net="], Ordering::RequireOrder).unwrap().0, vec![(Id::Net, val(""))]);
    }

    #[test]
    fn double_dash_and_order() {
        assert_eq!(run(&["-f", "--", "-n"], Ordering::RequireOrder).unwrap().1, args(&["-n"]));
        let (o, rest) = run(&["a", "-f", "b", "--", "-n"], Ordering::Permute).unwrap();
        assert_eq!((o, rest), (vec![(Id::Fork, None)], args(&["a", "b", "-n"])));
        assert_eq!(run(&["-", "-f"], Ordering::RequireOrder).unwrap().1, args(&["-", "-f"]));
    }

    #[test]
    fn prefixes() {
        assert_eq!(run(&["--fo"], Ordering::RequireOrder).unwrap().0, vec![(Id::Fork, None)]);
        // an exact match wins over longer names
        assert_eq!(run(&["--map-user=1"], Ordering::RequireOrder).unwrap().0, vec![(Id::MapUser, val("1"))]);
        assert_eq!(
            run(&["--map"], Ordering::RequireOrder).unwrap_err(),
            "option '--map' is ambiguous; possibilities: '--map-user' '--map-users' '--map-root-user'"
        );
        // what was typed is repeated, value included
        assert_eq!(
            run(&["--map-u=0"], Ordering::RequireOrder).unwrap_err(),
            "option '--map-u=0' is ambiguous; possibilities: '--map-user' '--map-users'"
        );
    }

    #[test]
    fn glibc_messages() {
        let e = |v: &[&str]| run(v, Ordering::RequireOrder).unwrap_err();
        assert_eq!(e(&["--bogus=1"]), "unrecognized option '--bogus=1'");
        assert_eq!(e(&["-x"]), "invalid option -- 'x'");
        assert_eq!(e(&["-fx"]), "invalid option -- 'x'");
        assert_eq!(e(&["-R"]), "option requires an argument -- 'R'");
        assert_eq!(e(&["--propagation"]), "option '--propagation' requires an argument");
        assert_eq!(e(&["--prop"]), "option '--propagation' requires an argument");
        assert_eq!(e(&["--fork=3"]), "option '--fork' doesn't allow an argument");
        assert_eq!(e(&["--fo=3"]), "option '--fork' doesn't allow an argument");
        assert_eq!(e(&["--=x"]), "unrecognized option '--=x'");
    }

    #[test]
    fn bytes_are_repeated_as_typed() {
        let os = |b: &[u8]| OsString::from_vec(b.to_vec());
        let err = |a: Vec<OsString>| Getopt::new(&a, OPTS, Ordering::Permute).find_map(Result::err).unwrap().0;
        assert_eq!(err(vec![os(b"-f\xc3\xa9")]), b"invalid option -- '\xc3'");
        assert_eq!(err(vec![os(b"--bo\xffgus")]), b"unrecognized option '--bo\xffgus'");
        assert_eq!(
            err(vec![os(b"--map-u=\xff")]),
            b"option '--map-u=\xff' is ambiguous; possibilities: '--map-user' '--map-users'"
        );
    }

    #[test]
    fn options_come_one_at_a_time() {
        // the caller sees each option before a later mistake is found
        let a = args(&["-f", "--root=/x", "--bogus", "-n"]);
        let mut g = Getopt::new(&a, OPTS, Ordering::Permute);
        assert_eq!(g.next(), Some(Ok((Id::Fork, None))));
        assert_eq!(g.next(), Some(Ok((Id::Root, val("/x")))));
        assert_eq!(g.next().unwrap().unwrap_err().to_string(), "unrecognized option '--bogus'");
        assert_eq!(g.next(), None);
        let a = args(&["-fxR"]);
        let mut g = Getopt::new(&a, OPTS, Ordering::Permute);
        assert_eq!(g.next(), Some(Ok((Id::Fork, None))));
        assert!(g.next().unwrap().is_err());
    }

    #[test]
    fn short_forms_without_values() {
        let opts = [
            Opt { short_has_arg: HasArg::No, ..Opt::new(Some(b'n'), Some("net"), HasArg::Optional, Id::Net) },
            Opt::new(Some(b'f'), Some("fork"), HasArg::No, Id::Fork),
        ];
        let (o, _) = parse_with(&args(&["-nf", "--net=/x"]), &opts, Ordering::RequireOrder).unwrap();
        assert_eq!(o, vec![(Id::Net, None), (Id::Fork, None), (Id::Net, val("/x"))]);
    }

    #[test]
    fn non_utf8_survives() {
        let a = vec![OsString::from("-R"), OsString::from_vec(vec![0xff, b'/'])];
        let (o, _) = parse_with(&a, OPTS, Ordering::RequireOrder).unwrap();
        assert_eq!(o[0].1.as_deref().unwrap().as_bytes(), &[0xff, b'/']);
    }

    #[test]
    fn many_arguments() {
        // one pass: a long line of operands and options is no harder than a short one
        let mut a = Vec::new();
        for _ in 0..100_000 {
            a.extend(args(&["x", "-f"]));
        }
        let (o, rest) = parse_with(&a, OPTS, Ordering::Permute).unwrap();
        assert_eq!((o.len(), rest.len()), (100_000, 100_000));
    }

    #[test]
    fn commas() {
        let v: Vec<&OsStr> = split_commas(OsStr::new("a,,b")).collect();
        assert_eq!(v, vec![OsStr::new("a"), OsStr::new(""), OsStr::new("b")]);
    }
}
