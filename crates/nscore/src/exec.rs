//! Starting the user's program: `execvp(3)` semantics with util-linux's exit codes, and
//! the default login shell.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;

use crate::error::Error;

/// What to run: the name to look up and the argument vector. Kept apart because a
/// login shell's `argv[0]` (`-sh`) is not the file to execute. The environment is given
/// to [`exec`] separately (`None`: our own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The name to search for in PATH (argv\[0\] for a program, the shell's path for the
    /// default shell).
    pub path: OsString,
    /// The argument vector, `argv[0]` included.
    pub argv: Vec<OsString>,
}

impl Program {
    /// The program given on the command line (`None` when there is none: the caller
    /// then picks the default shell from the environment the program will get).
    pub fn command(operands: &[OsString]) -> Option<Program> {
        let first = operands.first()?;
        Some(Program { path: first.clone(), argv: operands.to_vec() })
    }

    /// The name util-linux puts in `failed to execute <name>`.
    pub fn display_name(&self) -> String {
        String::from_utf8_lossy(self.path.as_bytes()).into_owned()
    }
}

/// The shell to run when no program is given: a non-empty `$SHELL`, else the passwd
/// entry's shell, else `/bin/sh`, started as a login shell (`argv[0]` = `-` + basename).
pub fn default_shell(shell_env: Option<OsString>, uid: u32) -> Program {
    let path = shell_env
        .filter(|s| !s.is_empty())
        .or_else(|| crate::ids::login_shell(uid).map(|p| p.into_os_string()))
        .unwrap_or_else(|| OsString::from("/bin/sh"));
    let base = Path::new(&path).file_name().map(OsStr::to_os_string).unwrap_or_else(|| path.clone());
    let mut argv0 = OsString::from("-");
    argv0.push(base);
    Program { path, argv: vec![argv0] }
}

fn cstring(s: &OsStr) -> Result<CString, Errno> {
    CString::new(s.as_bytes()).map_err(|_| Errno::EINVAL)
}

/// Directories `execvp` searches: PATH, or glibc's default when it is unset.
pub fn search_path(path_var: Option<&OsStr>) -> Vec<Vec<u8>> {
    let p = path_var.map(|p| p.as_bytes().to_vec()).unwrap_or_else(|| b"/bin:/usr/bin".to_vec());
    p.split(|&b| b == b':').map(|d| if d.is_empty() { b".".to_vec() } else { d.to_vec() }).collect()
}

/// Replaces this process with `prog`, searching PATH as `execvp` does (PATH taken from
/// `env` when given, else from our own environment). Returns only on failure, with the
/// error util-linux reports (exit 127 for ENOENT, 126 otherwise).
///
/// Signal dispositions are left alone: the program inherits them from our caller, an
/// ignored SIGPIPE included, as util-linux's programs do. (The binaries have no Rust
/// runtime start-up, which would ignore SIGPIPE; a Rust `main` that calls this passes
/// its ignored SIGPIPE on.)
pub fn exec(prog: &Program, env: Option<&[OsString]>) -> Error {
    let fail = |errno| Error::Exec { prog: prog.display_name(), errno };
    let argv: Vec<CString> = match prog.argv.iter().map(|a| cstring(a)).collect() {
        Ok(v) => v,
        Err(e) => return fail(e),
    };
    let envp: Option<Vec<CString>> = match env {
        Some(e) => match e.iter().map(|v| cstring(v)).collect() {
            Ok(v) => Some(v),
            Err(e) => return fail(e),
        },
        None => None,
    };
    let name = prog.path.as_bytes();
    if name.is_empty() {
        return fail(Errno::ENOENT);
    }
    if name.contains(&b'/') {
        return fail(exec_one(name, &argv, envp.as_deref()));
    }
    let path_var = path_var(env);
    let mut saw_eacces = false;
    let mut last = Errno::ENOENT;
    for dir in search_path(path_var.as_deref()) {
        let mut full = dir;
        full.push(b'/');
        full.extend_from_slice(name);
        match exec_one(&full, &argv, envp.as_deref()) {
            Errno::EACCES => saw_eacces = true,
            e @ (Errno::ENOENT | Errno::ENOTDIR | Errno::ESTALE | Errno::ENODEV | Errno::ETIMEDOUT) => last = e,
            other => return fail(other),
        }
    }
    fail(if saw_eacces { Errno::EACCES } else { last })
}

/// One `execve`; on ENOEXEC runs the file with `/bin/sh`, as `execvp` does.
fn exec_one(path: &[u8], argv: &[CString], envp: Option<&[CString]>) -> Errno {
    let Ok(cpath) = CString::new(path) else { return Errno::EINVAL };
    let err = match envp {
        Some(e) => nix::unistd::execve(&cpath, argv, e).unwrap_err(),
        None => nix::unistd::execv(&cpath, argv).unwrap_err(),
    };
    if err == Errno::ENOEXEC {
        let mut sh_argv = vec![CString::from(c"/bin/sh"), cpath.clone()];
        sh_argv.extend(argv.iter().skip(1).cloned());
        let _ = match envp {
            Some(e) => nix::unistd::execve(c"/bin/sh", &sh_argv, e),
            None => nix::unistd::execv(c"/bin/sh", &sh_argv),
        };
    }
    err
}

/// Whether the file `execvp` looks for exists (after a failed exec: then its
/// interpreter or a library is what is missing).
pub fn program_exists<S: crate::seam::Syscall>(sys: &mut S, prog: &Program, env: Option<&[OsString]>) -> bool {
    find_program(sys, &prog.path, env).is_some()
}

/// The file `execvp` would run for `name` with the PATH of `env` (ours when `None`):
/// `name` itself when it holds a slash, else the first in PATH that exists; with its
/// status.
pub fn find_program<S: crate::seam::Syscall>(
    sys: &mut S,
    name: &OsStr,
    env: Option<&[OsString]>,
) -> Option<(PathBuf, crate::seam::Stat)> {
    let found = |sys: &mut S, p: PathBuf| sys.stat(None, &p).ok().map(|st| (p, st));
    if name.as_bytes().contains(&b'/') {
        return found(sys, PathBuf::from(name));
    }
    let path_var = path_var(env);
    search_path(path_var.as_deref())
        .into_iter()
        .find_map(|dir| found(sys, Path::new(OsStr::from_bytes(&dir)).join(name)))
}

/// PATH as `execvp` sees it: from `env` when given, else our own.
fn path_var(env: Option<&[OsString]>) -> Option<OsString> {
    match env {
        Some(e) => {
            e.iter().find_map(|v| v.as_bytes().strip_prefix(b"PATH=").map(|p| OsStr::from_bytes(p).to_os_string()))
        }
        None => std::env::var_os("PATH"),
    }
}

/// The environment as `NAME=value` entries.
pub fn current_env() -> Vec<OsString> {
    std::env::vars_os()
        .map(|(k, v)| {
            let mut e = k.into_vec();
            e.push(b'=');
            e.extend_from_slice(v.as_bytes());
            OsString::from_vec(e)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_fallbacks() {
        let p = default_shell(Some("/usr/bin/zsh".into()), 0);
        assert_eq!(p.path, "/usr/bin/zsh");
        assert_eq!(p.argv, vec![OsString::from("-zsh")]);
        let p = default_shell(Some("".into()), 0);
        let root_shell = crate::ids::login_shell(0).map(|s| s.into_os_string()).unwrap_or("/bin/sh".into());
        assert_eq!(p.path, root_shell);
        let p = default_shell(None, 4_000_000_000);
        assert_eq!(p.path, "/bin/sh");
        assert_eq!(p.argv, vec![OsString::from("-sh")]);
    }

    #[test]
    fn paths() {
        assert_eq!(search_path(None), vec![b"/bin".to_vec(), b"/usr/bin".to_vec()]);
        assert_eq!(search_path(Some(OsStr::new("/a::/b"))), vec![b"/a".to_vec(), b".".to_vec(), b"/b".to_vec()]);
    }

    #[test]
    fn operands() {
        assert_eq!(Program::command(&[]), None);
        let p = Program::command(&["ls".into(), "-l".into()]).unwrap();
        assert_eq!(p.path, "ls");
        assert_eq!(p.argv.len(), 2);
        assert_eq!(p.display_name(), "ls");
    }
}
