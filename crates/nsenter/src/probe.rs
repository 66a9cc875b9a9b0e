//! What util-linux looks at while it reads the options: it opens the namespace files and
//! the `-r`/`-w` directories as they come, so a missing one is reported before a later
//! bad option (and before `--help` after it). [`context`] does the same looks: each path
//! is opened as util-linux opens it and closed again; `run` opens it for real later.
//!
//! Only what proves to be a regular file (as namespace files are) or a directory is
//! opened for reading: a FIFO or a device could block or act when opened, and `run`
//! reports those as not being namespace files or directories.

use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

use nix::fcntl::OFlag;
use nix::sys::stat::{Mode, SFlag};
use nscore::getopt::lossy;
use nscore::{Error, Result};

use crate::plan::Context;

/// The real looks.
pub fn context() -> Context {
    Context { open_file: |p| look(p, SFlag::S_IFREG), open_dir: |p| look(p, SFlag::S_IFDIR) }
}

/// Opens `path` as util-linux would (reading) if it is of `kind`: `cannot open <path>:
/// <errno text>` when that fails.
fn look(path: &OsStr, kind: SFlag) -> Result<()> {
    let cannot_open = |e| Error::sys(format!("cannot open {}", lossy(path)), e);
    let at = nix::fcntl::open(path, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty()).map_err(cannot_open)?;
    let st = nix::sys::stat::fstat(at.as_fd()).map_err(|e| Error::sys(format!("fstat({})", at.as_raw_fd()), e))?;
    if st.st_mode & SFlag::S_IFMT.bits() != kind.bits() {
        return Ok(());
    }
    let again = format!("/proc/self/fd/{}", at.as_raw_fd());
    let _opened: OwnedFd =
        nix::fcntl::open(again.as_str(), OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(cannot_open)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks() {
        let ctx = context();
        assert!((ctx.open_file)(OsStr::new("/proc/self/ns/net")).is_ok());
        assert!((ctx.open_dir)(OsStr::new("/")).is_ok());
        // a directory given as a file (or the other way round) is run's to refuse
        assert!((ctx.open_file)(OsStr::new("/")).is_ok());
        assert!((ctx.open_dir)(OsStr::new("/proc/self/ns/net")).is_ok());
        assert_eq!(
            (ctx.open_file)(OsStr::new("/nonexistent/x")).unwrap_err().to_string(),
            "cannot open /nonexistent/x: No such file or directory"
        );
    }
}
