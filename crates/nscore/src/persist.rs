//! Persistent namespaces: a bind mount of `/proc/PID/ns/<type>` onto a file keeps the
//! namespace alive without any process in it.

use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags};
use nix::unistd::Pid;

use crate::error::{Error, Result};
use crate::nstype::NsType;
use crate::syscall::Syscall;

/// Bind-mounts each namespace of `pid` onto its file (pid and time namespaces: the
/// ones for children, which is what `unshare(2)` created). If one fails, the mounts
/// already made are undone, so a refused command leaves nothing behind.
pub fn bind_namespaces<S: Syscall>(sys: &mut S, pid: Pid, files: &[(NsType, PathBuf)]) -> Result<()> {
    let mut done: Vec<&Path> = Vec::new();
    for (t, file) in files {
        let src = format!("/proc/{pid}/ns/{}", t.for_children_name());
        if let Err(e) = sys.mount(Some(src.as_str()), file.as_path(), None, MsFlags::MS_BIND) {
            for d in done {
                let _ = sys.umount(d, MntFlags::MNT_DETACH);
            }
            return Err(Error::sys(format!("mount {src} on {} failed", file.display()), e));
        }
        done.push(file);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::fake::{Ended, Fake};

    /// A refused bind mount undoes the ones before it, so nothing is left half made.
    #[test]
    fn a_failed_bind_undoes_the_others() {
        let files = [(NsType::Uts, PathBuf::from("/run/uts")), (NsType::Pid, PathBuf::from("/run/pid"))];
        let mut f = Fake::new();
        f.fail("mount /proc/7/ns/pid_for_children", nix::errno::Errno::ENOENT);
        let end = f.run(|s| bind_namespaces(s, Pid::from_raw(7), &files).map(|()| 0));
        assert_eq!(
            end,
            Ended::Failed("mount /proc/7/ns/pid_for_children on /run/pid failed: No such file or directory".into(), 1)
        );
        assert_eq!(
            f.log(),
            [
                "mount /proc/7/ns/uts /run/uts - bind",
                "mount /proc/7/ns/pid_for_children /run/pid - bind -> ENOENT",
                "umount /run/uts detach"
            ]
        );
    }
}
