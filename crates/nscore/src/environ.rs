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

/// The variables glibc's dynamic loader and C library remove from the environment of a
/// program started in secure-execution mode (set-user-ID, set-group-ID, file
/// capabilities): each makes the loader or the library load or read files the variable
/// names (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH, GCONV_PATH, ...), write where it says
/// (LD_DEBUG_OUTPUT, LD_PROFILE, MALLOC_TRACE, TMPDIR) or change how code is linked and
/// tuned (GLIBC_TUNABLES). This is glibc's documented list ("unsecure" variables: see
/// ld.so(8), Secure-execution mode, and the glibc manual).
pub const LOADER_VARIABLES: &[&str] = &[
    "GCONV_PATH",
    "GETCONF_DIR",
    "GLIBC_TUNABLES",
    "HOSTALIASES",
    "LD_AUDIT",
    "LD_DEBUG",
    "LD_DEBUG_OUTPUT",
    "LD_DYNAMIC_WEAK",
    "LD_HWCAP_MASK",
    "LD_LIBRARY_PATH",
    "LD_ORIGIN_PATH",
    "LD_PRELOAD",
    "LD_PROFILE",
    "LD_SHOW_AUXV",
    "LD_USE_LOAD_BIAS",
    "LOCALDOMAIN",
    "LOCPATH",
    "MALLOC_TRACE",
    "NIS_PATH",
    "NLSPATH",
    "RESOLV_HOST_CONF",
    "RES_OPTIONS",
    "TMPDIR",
    "TZDIR",
];

/// Removes the [`LOADER_VARIABLES`] from a list of `NAME=value` entries, keeping the
/// rest in order: what glibc would do had the program been started set-user-ID by the
/// environment's owner.
pub fn drop_loader_variables(env: &mut Vec<OsString>) {
    env.retain(|e| {
        let name = e.as_bytes().split(|&b| b == b'=').next().unwrap_or_default();
        !LOADER_VARIABLES.iter().any(|v| v.as_bytes() == name)
    });
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

    #[test]
    fn loader_variables_go() {
        let mut env = parse_environ(
            b"LD_PRELOAD=/tmp/x.so\0FOO=1\0LD_LIBRARY_PATH=/tmp\0LD_PRELOADX=keep\0TMPDIR=/t\0\
              GLIBC_TUNABLES=glibc.malloc.check=3\0PATH=/bin\0TZ=UTC\0LD_AUDIT=a=b\0",
        );
        drop_loader_variables(&mut env);
        assert_eq!(env, ["FOO=1", "LD_PRELOADX=keep", "PATH=/bin", "TZ=UTC"].map(OsString::from).to_vec());
        assert!(LOADER_VARIABLES.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        assert_eq!(LOADER_VARIABLES.len(), 24);
    }
}
