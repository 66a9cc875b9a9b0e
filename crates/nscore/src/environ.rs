//! A process's environment as `/proc/PID/environ` holds it.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// Parses `/proc/PID/environ` (`NAME=value` entries separated by NUL bytes) into
/// `NAME=value` strings ready for `execve`.
///
/// A process may hold anything there, so the result is cleaned the way `setenv(3)` would
/// leave it: entries without `=` or with an empty name are dropped, and a name given
/// twice keeps its *last* value (in the place of its first), as nsenter's
/// set-without-overwrite loop over the reversed list does.
pub fn parse_environ(buf: &[u8]) -> Vec<OsString> {
    let mut out: Vec<(&[u8], &[u8])> = Vec::new();
    for entry in buf.split(|&b| b == 0) {
        let Some(eq) = entry.iter().position(|&b| b == b'=') else { continue };
        let (name, value) = (&entry[..eq], &entry[eq + 1..]);
        if name.is_empty() {
            continue;
        }
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => out.push((name, value)),
        }
    }
    out.into_iter()
        .map(|(n, v)| {
            let mut e = n.to_vec();
            e.push(b'=');
            e.extend_from_slice(v);
            OsString::from_vec(e)
        })
        .collect()
}

/// The value of `name` in a list of `NAME=value` entries.
pub fn lookup<'a>(env: &'a [OsString], name: &str) -> Option<&'a OsStr> {
    env.iter().find_map(|e| {
        let rest = e.as_bytes().strip_prefix(name.as_bytes())?;
        rest.strip_prefix(b"=").map(OsStr::from_bytes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_and_dedups() {
        let env = parse_environ(b"A=1\0NOEQ\0=x\0B=\0A=2\0C=a=b\0\0");
        assert_eq!(env, vec![OsString::from("A=2"), OsString::from("B="), OsString::from("C=a=b")]);
        assert_eq!(lookup(&env, "A"), Some(OsStr::new("2")));
        assert_eq!(lookup(&env, "C"), Some(OsStr::new("a=b")));
        assert_eq!(lookup(&env, "B"), Some(OsStr::new("")));
        assert_eq!(lookup(&env, "X"), None);
        assert!(parse_environ(b"").is_empty());
        assert_eq!(parse_environ(b"\xff=\xfe"), vec![OsString::from_vec(b"\xff=\xfe".to_vec())]);
    }
}
