//! A `getopt_long(3)` work-alike.
//!
//! Scripts depend on the exact way glibc splits a command line: bundled short options,
//! optional values only when attached (`--net=/x`, `-n/x`), unambiguous prefixes of long
//! options, `--` and, for unshare and nsenter, stopping at the first non-option so the
//! program's own options are left alone. Argument-parser crates get several of these
//! subtly wrong, so the few rules live here, with glibc's own error words.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// Whether an option takes a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HasArg {
    No,
    /// A value, attached or in the next argument.
    Required,
    /// A value only when attached (`--opt=v`, `-ov`).
    Optional,
}

/// One option: its short letter (if any), its long name (if any), and the caller's id.
#[derive(Clone, Copy, Debug)]
pub struct Opt<T> {
    pub short: Option<u8>,
    pub long: Option<&'static str>,
    pub has_arg: HasArg,
    /// What the short form takes; differs from `has_arg` where util-linux's short-option
    /// string gives the letter no optional value (unshare's `-n` vs `--net[=file]`).
    pub short_has_arg: HasArg,
    pub id: T,
}

impl<T: Copy> Opt<T> {
    pub const fn new(short: Option<u8>, long: Option<&'static str>, has_arg: HasArg, id: T) -> Self {
        Opt { short, long, has_arg, short_has_arg: has_arg, id }
    }

    /// The same option, with a short form that takes no value.
    pub const fn short_without_value(self) -> Self {
        Opt { short: self.short, long: self.long, has_arg: self.has_arg, short_has_arg: HasArg::No, id: self.id }
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

/// The result: options in command-line order, then the operands.
#[derive(Debug, PartialEq, Eq)]
pub struct Parsed<T> {
    pub opts: Vec<(T, Option<OsString>)>,
    pub operands: Vec<OsString>,
}

/// A command-line error, worded as glibc words it (without the `argv[0]: ` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetoptError(pub String);

/// Parses `args` (without argv[0]).
pub fn parse<T: Copy + PartialEq>(
    args: &[OsString],
    opts: &[Opt<T>],
    ordering: Ordering,
) -> Result<Parsed<T>, GetoptError> {
    parse_until(args, opts, ordering, |_| false)
}

/// Like [`parse`], but returns as soon as an option for which `stop` is true has been
/// read: getopt loops act on `--help` and `--version` at once, so later mistakes on the
/// line are never reported.
pub fn parse_until<T: Copy + PartialEq>(
    args: &[OsString],
    opts: &[Opt<T>],
    ordering: Ordering,
    stop: impl Fn(&T) -> bool,
) -> Result<Parsed<T>, GetoptError> {
    let mut out = Parsed { opts: Vec::new(), operands: Vec::new() };
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_bytes();
        i += 1;
        if arg == b"--" {
            out.operands.extend(args[i..].iter().cloned());
            return Ok(out);
        }
        if let Some(body) = arg.strip_prefix(b"--") {
            let (name, value) = match body.iter().position(|&b| b == b'=') {
                Some(eq) => (&body[..eq], Some(&body[eq + 1..])),
                None => (body, None),
            };
            let opt = find_long(opts, name, arg)?;
            let long = opt.long.unwrap_or_default();
            let val = match (opt.has_arg, value) {
                (HasArg::No, Some(_)) => {
                    return Err(GetoptError(format!("option '--{long}' doesn't allow an argument")))
                }
                (HasArg::No, None) | (HasArg::Optional, None) => None,
                (_, Some(v)) => Some(OsStr::from_bytes(v).to_os_string()),
                (HasArg::Required, None) => match args.get(i) {
                    Some(v) => {
                        i += 1;
                        Some(v.clone())
                    }
                    None => return Err(GetoptError(format!("option '--{long}' requires an argument"))),
                },
            };
            out.opts.push((opt.id, val));
            if stop(&opt.id) {
                return Ok(out);
            }
            continue;
        }
        if arg.len() > 1 && arg[0] == b'-' {
            let mut j = 1;
            while j < arg.len() {
                let c = arg[j];
                j += 1;
                let Some(opt) = opts.iter().find(|o| o.short == Some(c)) else {
                    return Err(GetoptError(format!("invalid option -- '{}'", show_byte(c))));
                };
                let rest = &arg[j..];
                let val = match opt.short_has_arg {
                    HasArg::No => None,
                    HasArg::Optional if rest.is_empty() => None,
                    HasArg::Optional => Some(OsStr::from_bytes(rest).to_os_string()),
                    HasArg::Required if !rest.is_empty() => Some(OsStr::from_bytes(rest).to_os_string()),
                    HasArg::Required => match args.get(i) {
                        Some(v) => {
                            i += 1;
                            Some(v.clone())
                        }
                        None => return Err(GetoptError(format!("option requires an argument -- '{}'", show_byte(c)))),
                    },
                };
                out.opts.push((opt.id, val.clone()));
                if stop(&opt.id) {
                    return Ok(out);
                }
                if val.is_some() {
                    break;
                }
            }
            continue;
        }
        // An operand ("-" alone is one too).
        match ordering {
            Ordering::RequireOrder => {
                out.operands.extend(args[i - 1..].iter().cloned());
                return Ok(out);
            }
            Ordering::Permute => out.operands.push(args[i - 1].clone()),
        }
    }
    Ok(out)
}

fn show_byte(c: u8) -> String {
    String::from_utf8_lossy(&[c]).into_owned()
}

fn find_long<'a, T: Copy + PartialEq>(
    opts: &'a [Opt<T>],
    name: &[u8],
    whole: &[u8],
) -> Result<&'a Opt<T>, GetoptError> {
    let unrecognized = || GetoptError(format!("unrecognized option '{}'", String::from_utf8_lossy(whole)));
    if name.is_empty() {
        return Err(unrecognized());
    }
    if let Some(o) = opts.iter().find(|o| o.long.map(str::as_bytes) == Some(name)) {
        return Ok(o);
    }
    let candidates: Vec<&Opt<T>> =
        opts.iter().filter(|o| o.long.is_some_and(|l| l.as_bytes().starts_with(name))).collect();
    match candidates.as_slice() {
        [] => Err(unrecognized()),
        [one] => Ok(one),
        [first, rest @ ..] if rest.iter().all(|o| o.id == first.id && o.has_arg == first.has_arg) => Ok(first),
        many => {
            let list: Vec<String> = many.iter().map(|o| format!("'--{}'", o.long.unwrap_or_default())).collect();
            Err(GetoptError(format!(
                "option '--{}' is ambiguous; possibilities: {}",
                String::from_utf8_lossy(name),
                list.join(" ")
            )))
        }
    }
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

    fn run(v: &[&str], ord: Ordering) -> Result<Parsed<Id>, String> {
        parse(&args(v), OPTS, ord).map_err(|e| e.0)
    }

    fn val(s: &str) -> Option<OsString> {
        Some(OsString::from(s))
    }

    #[test]
    fn bundles_and_values() {
        let p = run(&["-fnR/x", "prog", "-f"], Ordering::RequireOrder).unwrap();
        assert_eq!(p.opts, vec![(Id::Fork, None), (Id::Net, val("R/x"))]);
        assert_eq!(p.operands, args(&["prog", "-f"]));
        let p = run(&["-fR", "/x", "--net=/y", "--root=/z"], Ordering::RequireOrder).unwrap();
        assert_eq!(p.opts, vec![(Id::Fork, None), (Id::Root, val("/x")), (Id::Net, val("/y")), (Id::Root, val("/z"))]);
    }

    #[test]
    fn optional_values_must_be_attached() {
        let p = run(&["--net", "/x"], Ordering::RequireOrder).unwrap();
        assert_eq!(p.opts, vec![(Id::Net, None)]);
        assert_eq!(p.operands, args(&["/x"]));
        let p = run(&["-n", "/x"], Ordering::RequireOrder).unwrap();
        assert_eq!(p.opts, vec![(Id::Net, None)]);
        let p = run(&["--net="], Ordering::RequireOrder).unwrap();
        assert_eq!(p.opts, vec![(Id::Net, val(""))]);
    }

    #[test]
    fn double_dash_and_order() {
        let p = run(&["-f", "--", "-n"], Ordering::RequireOrder).unwrap();
        assert_eq!(p.operands, args(&["-n"]));
        let p = run(&["a", "-f", "b"], Ordering::Permute).unwrap();
        assert_eq!(p.opts, vec![(Id::Fork, None)]);
        assert_eq!(p.operands, args(&["a", "b"]));
        let p = run(&["-", "-f"], Ordering::RequireOrder).unwrap();
        assert_eq!(p.operands, args(&["-", "-f"]));
    }

    #[test]
    fn prefixes() {
        assert_eq!(run(&["--fo"], Ordering::RequireOrder).unwrap().opts, vec![(Id::Fork, None)]);
        // an exact match wins over longer names
        assert_eq!(run(&["--map-user=1"], Ordering::RequireOrder).unwrap().opts, vec![(Id::MapUser, val("1"))]);
        assert_eq!(
            run(&["--map"], Ordering::RequireOrder).unwrap_err(),
            "option '--map' is ambiguous; possibilities: '--map-user' '--map-users' '--map-root-user'"
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
        assert_eq!(e(&["--fork=3"]), "option '--fork' doesn't allow an argument");
        assert_eq!(e(&["--fo=3"]), "option '--fork' doesn't allow an argument");
        assert_eq!(e(&["--=x"]), "unrecognized option '--=x'");
    }

    #[test]
    fn short_forms_without_values() {
        let opts = [
            Opt::new(Some(b'n'), Some("net"), HasArg::Optional, Id::Net).short_without_value(),
            Opt::new(Some(b'f'), Some("fork"), HasArg::No, Id::Fork),
        ];
        let p = parse(&args(&["-nf", "--net=/x"]), &opts, Ordering::RequireOrder).unwrap();
        assert_eq!(p.opts, vec![(Id::Net, None), (Id::Fork, None), (Id::Net, val("/x"))]);
    }

    #[test]
    fn stops_early() {
        let p = parse_until(&args(&["-f", "--root=/x", "--bogus"]), OPTS, Ordering::Permute, |id| *id == Id::Root);
        assert_eq!(p.unwrap().opts, vec![(Id::Fork, None), (Id::Root, val("/x"))]);
        let p = parse_until(&args(&["-fxR", "--bogus"]), OPTS, Ordering::Permute, |id| *id == Id::Fork);
        assert_eq!(p.unwrap().opts, vec![(Id::Fork, None)]);
    }

    #[test]
    fn non_utf8_survives() {
        let os = |b: Vec<u8>| OsString::from_vec(b);
        let a = vec![os(b"-R".to_vec()), os(vec![0xff, b'/'])];
        let p = parse(&a, OPTS, Ordering::RequireOrder).unwrap();
        assert_eq!(p.opts[0].1.as_deref().unwrap().as_bytes(), &[0xff, b'/']);
    }

    #[test]
    fn commas() {
        let v: Vec<&OsStr> = split_commas(OsStr::new("a,,b")).collect();
        assert_eq!(v, vec![OsStr::new("a"), OsStr::new(""), OsStr::new("b")]);
    }
}
