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

/// The variables `-e` leaves out of a less privileged target's environment: each makes
/// a program, or the loader, library, shell or interpreter that runs it, load or run code
/// or read files that the variable names, so its owner, not we, would choose what runs
/// with our privileges. An entry ending in `*` stands for every name it begins.
///
/// The model is sudo's default `env_delete` list (the `initial_badenv_table` of the
/// sudoers plugin), here with glibc's variables for secure-execution mode spelled out
/// (ld.so(8); `LD_*` covers its loader ones) and with kin sudo leaves to `env_reset`:
/// the prompts an interactive bash expands (`PS0`..`PS4`, `PROMPT_COMMAND`), Python's
/// start-up file, Node's and the Java launcher's option variables, and the directories
/// fish and other programs take their start-up files from (`XDG_CONFIG_*`,
/// `XDG_DATA_DIRS`). sudo's entries for other systems (`_RLD*`, `LDR_*`, `DYLD_*`, ...)
/// are left out. Bash functions come in variables named `BASH_FUNC_*`; older bash took
/// any value that begins with `()` for one, which [`inherit`] drops too.
pub const UNSAFE_VARIABLES: &[&str] = &[
    "BASHOPTS",          // bash: shopt options at start-up
    "BASH_ENV",          // bash: a file a non-interactive shell runs first
    "BASH_FUNC_*",       // bash: exported functions
    "CDPATH",            // sh: where cd looks
    "ENV",               // sh, ksh: a file an interactive shell runs first
    "FPATH",             // ksh, zsh: where functions are loaded from
    "GCONV_PATH",        // glibc: iconv modules it loads
    "GETCONF_DIR",       // glibc
    "GLIBC_TUNABLES",    // glibc
    "GLOBIGNORE",        // bash
    "HOSTALIASES",       // glibc resolver
    "IFS",               // sh: how words are split
    "JAVA_TOOL_OPTIONS", // Java: options such as -javaagent
    "JDK_JAVA_OPTIONS",  // Java launcher
    "KRB5_CONFIG*",      // Kerberos: its configuration (plugins)
    "KRB5_KTNAME",       // Kerberos: the key table
    "LD_*",              // the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT, ...)
    "LOCALDOMAIN",       // glibc resolver
    "LOCPATH",           // glibc: locale files
    "MALLOC_TRACE",      // glibc: a file written
    "NIS_PATH",          // glibc
    "NLSPATH",           // glibc: message catalogs
    "NODE_OPTIONS",      // Node.js: options such as --require
    "NODE_PATH",         // Node.js: module search path
    "NULLCMD",           // zsh
    "PATH_LOCALE",       // BSD libc: locale files
    "PERL5DB",           // Perl: the debugger's code
    "PERL5LIB",          // Perl: module search path
    "PERL5OPT",          // Perl: options such as -M
    "PERLIO_DEBUG",      // Perl: a file written
    "PERLLIB",           // Perl: module search path
    "PROMPT_COMMAND",    // bash: run before each prompt
    "PS0",               // bash: prompts, expanded with command substitution
    "PS1",
    "PS2",
    "PS3",
    "PS4",              // bash: the trace prefix (SHELLOPTS=xtrace expands it at once)
    "PYTHONHOME",       // Python: the standard library's place
    "PYTHONINSPECT",    // Python
    "PYTHONPATH",       // Python: module search path
    "PYTHONSTARTUP",    // Python: a file an interactive interpreter runs first
    "PYTHONUSERBASE",   // Python: the user's site-packages
    "READNULLCMD",      // zsh
    "RESOLV_HOST_CONF", // glibc resolver
    "RES_OPTIONS",      // glibc resolver
    "RUBYLIB",          // Ruby: library search path
    "RUBYOPT",          // Ruby: options such as -r
    "SHELLOPTS",        // bash: set -o options at start-up
    "TERMCAP",          // terminal descriptions read
    "TERMINFO",
    "TERMINFO_DIRS",
    "TERMPATH",
    "TMPDIR",          // glibc: where temporary files go
    "TMPPREFIX",       // zsh: where temporary files go
    "TZDIR",           // glibc: time zone files
    "XDG_CONFIG_DIRS", // start-up files (fish's config.fish, ...)
    "XDG_CONFIG_HOME",
    "XDG_DATA_DIRS",
    "ZDOTDIR",       // zsh: where its start-up files are
    "_JAVA_OPTIONS", // Java
];

/// The name of a `NAME=value` entry.
fn name_of(entry: &OsString) -> &[u8] {
    entry.as_bytes().split(|&b| b == b'=').next().unwrap_or_default()
}

/// Whether the entry `NAME=value` is one of the [`UNSAFE_VARIABLES`], or holds a bash
/// function in the old form (a value beginning with `()`).
fn is_unsafe(entry: &OsString) -> bool {
    let name = name_of(entry);
    let value = &entry.as_bytes()[name.len()..];
    value.starts_with(b"=()")
        || UNSAFE_VARIABLES.iter().any(|v| match v.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix.as_bytes()),
            None => name == v.as_bytes(),
        })
}

/// The variables that say where a program finds what it runs next: its start-up files
/// (`HOME`: `~/.profile`, `~/.bashrc`), the programs it starts (`PATH`, also the one
/// `-e` itself starts) and the shell (`SHELL`, also the default shell `-e` starts).
pub const LOCATING_VARIABLES: [&str; 3] = ["HOME", "PATH", "SHELL"];

/// How much of a target's environment `-e` passes to the program, which runs with our
/// privileges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The target holds our privileges: its environment is as good as ours, and comes
    /// whole.
    Whole,
    /// A less privileged target whose root or mount namespace was entered: the files the
    /// program finds are the target's anyway, so its [`LOCATING_VARIABLES`] are kept
    /// (ours may name nothing there); the [`UNSAFE_VARIABLES`] go.
    TheirFiles,
    /// A less privileged target, with our own view of the files: the
    /// [`UNSAFE_VARIABLES`] go, and the [`LOCATING_VARIABLES`] are ours, so that the
    /// program, the default shell, and what they find by `HOME` and `PATH` (a login
    /// shell's `~/.profile`, the `id` that `/etc/profile` runs) are the ones we would
    /// find, not files the target's owner put there.
    OurFiles,
}

impl Trust {
    /// The trust for a target that holds our privileges or not, and whose root or mount
    /// namespace was entered or not.
    pub fn new(same_privilege: bool, entered_their_files: bool) -> Trust {
        match (same_privilege, entered_their_files) {
            (true, _) => Trust::Whole,
            (false, true) => Trust::TheirFiles,
            (false, false) => Trust::OurFiles,
        }
    }
}

/// The environment `-e` gives the program: the target's `env` as far as `trust` allows,
/// with `ours` (our own environment, asked for only then) supplying the
/// [`LOCATING_VARIABLES`] under [`Trust::OurFiles`]: each takes the place of the target's,
/// is added at the end where the target has none, and is left out where we have none.
pub fn inherit(mut env: Vec<OsString>, trust: Trust, ours: impl FnOnce() -> Vec<OsString>) -> Vec<OsString> {
    if trust == Trust::Whole {
        return env;
    }
    env.retain(|e| !is_unsafe(e));
    if trust == Trust::OurFiles {
        let ours = ours();
        for name in LOCATING_VARIABLES.map(str::as_bytes) {
            let slot = env.iter().position(|e| name_of(e) == name);
            let mine = ours.iter().find(|e| name_of(e) == name).cloned();
            match (slot, mine) {
                (Some(i), Some(m)) => env[i] = m,
                (Some(i), None) => drop(env.remove(i)),
                (None, Some(m)) => env.push(m),
                (None, None) => {}
            }
        }
    }
    env
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

    fn entries(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    /// A less privileged user's environment, with something in each group of the table.
    const THEIRS: &[&str] = &[
        "LD_PRELOAD=/tmp/x.so",
        "FOO=1",
        "LD_LIBRARY_PATH=/tmp",
        "LD_PRELOADX=gone too",
        "TMPDIR=/t",
        "GLIBC_TUNABLES=glibc.malloc.check=3",
        "PATH=/home/u/bin:/bin",
        "TZ=UTC",
        "BASH_ENV=/home/u/evil.sh",
        "BASH_FUNC_ls%%=() { echo evil; }",
        "OLDSTYLE=() { echo evil; }",
        "IFS=/",
        "PS1=$(evil)",
        "PS4=$(evil)",
        "SHELLOPTS=xtrace",
        "PYTHONSTARTUP=/home/u/evil.py",
        "NODE_OPTIONS=--require=/home/u/evil.js",
        "PERL5OPT=-Mevil",
        "KRB5_CONFIG_X=/x",
        "JAVA_TOOL_OPTIONS=-javaagent:/x.jar",
        "HOME=/home/u",
        "SHELL=/home/u/evilshell",
        "ENVX=kept",
        "PS=kept",
        "NOT_A_FUNCTION=a()",
        "LD=kept",
    ];

    #[test]
    fn whole_when_privileges_match() {
        let ours = entries(&["PATH=/usr/bin", "HOME=/root"]);
        assert_eq!(inherit(entries(THEIRS), Trust::new(true, false), || ours.clone()), entries(THEIRS));
        assert_eq!(inherit(entries(THEIRS), Trust::new(true, true), || ours.clone()), entries(THEIRS));
    }

    /// The entries of [`THEIRS`] that no trust leaves out.
    fn harmless(e: &str) -> bool {
        ["FOO=", "TZ=", "ENVX=", "PS=", "NOT_A_FUNCTION=", "LD="].iter().any(|p| e.starts_with(p))
    }

    #[test]
    fn unsafe_variables_go_and_their_files_keep_their_paths() {
        let ours = entries(&["PATH=/usr/bin", "HOME=/root", "SHELL=/bin/bash"]);
        let got = inherit(entries(THEIRS), Trust::new(false, true), || ours.clone());
        let locating = |e: &str| LOCATING_VARIABLES.iter().any(|v| e.starts_with(&format!("{v}=")));
        let kept: Vec<&str> = THEIRS.iter().copied().filter(|e| harmless(e) || locating(e)).collect();
        assert_eq!(kept.len(), 9);
        assert_eq!(got, entries(&kept));
    }

    #[test]
    fn our_files_take_our_paths() {
        let ours = entries(&["SHELL=/bin/bash", "PATH=/usr/bin", "X=1"]);
        let got = inherit(entries(THEIRS), Trust::new(false, false), || ours.clone());
        // ours in the place of theirs, and HOME left out, as we have none
        let want: Vec<&str> = THEIRS
            .iter()
            .filter_map(|e| match e.split('=').next() {
                Some("PATH") => Some("PATH=/usr/bin"),
                Some("SHELL") => Some("SHELL=/bin/bash"),
                _ => Some(*e).filter(|e| harmless(e)),
            })
            .collect();
        assert_eq!(got, entries(&want));
        // ours added where the target has none
        let got = inherit(entries(&["A=1", "SHELL=/x"]), Trust::OurFiles, || entries(&["HOME=/root"]));
        assert_eq!(got, entries(&["A=1", "HOME=/root"]));
    }

    #[test]
    fn table_is_sorted_and_has_the_loader_variables() {
        assert!(UNSAFE_VARIABLES.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
        // glibc's secure-execution list (ld.so(8)), all covered
        for v in [
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
        ] {
            assert!(is_unsafe(&OsString::from(format!("{v}=x"))), "{v}");
        }
    }
}
