//! Persistent namespaces: a bind mount of `/proc/PID/ns/<type>` onto a file keeps the
//! namespace alive without any process in it.
//!
//! The file's path is resolved once: it is opened (`O_PATH`, following symbolic links
//! as `mount(2)` does) and the namespace is bound onto that descriptor's
//! `/proc/self/fd` link, so the mount lands on the very file that was opened. If a
//! later bind mount fails, the ones made are undone through those descriptors too,
//! never by path again: a user who owns a directory on the path could otherwise swap
//! in a symbolic link between the two calls and have root unmount a mount of their
//! choice. `umount2(2)` through the link takes the topmost mount at that file, which
//! is ours: only a process privileged over this mount namespace could have stacked
//! another there since, and a mount under ours (the file may be a mount point itself)
//! stays, as tests/unshare.rs `rollback_never_unmounts_by_path` checks.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::stat::Mode;
use nix::unistd::Pid;

use crate::error::{Error, Result};
use crate::nstype::NsType;
use crate::seam::Syscall;

/// Bind-mounts each namespace of `pid` onto its file (pid and time namespaces: the
/// ones for children, which is what `unshare(2)` created). If one fails, the mounts
/// already made are undone, the last first, so a refused command leaves nothing behind.
pub fn bind_namespaces<S: Syscall>(sys: &mut S, pid: Pid, files: &[(NsType, PathBuf)]) -> Result<()> {
    let mut done: Vec<OwnedFd> = Vec::new();
    for (t, file) in files {
        let src = format!("/proc/{pid}/ns/{}", t.for_children_name());
        match bind_onto(sys, &src, file) {
            Ok(target) => done.push(target),
            Err(e) => {
                for target in done.iter().rev() {
                    let _ = sys.umount_fd(target.as_fd(), MntFlags::MNT_DETACH);
                }
                return Err(Error::sys(format!("mount {src} on {} failed", file.display()), e));
            }
        }
    }
    Ok(())
}

/// Opens `file` and binds `src` onto it; returns the descriptor the mount was made on.
/// A file that cannot be opened fails as `mount(2)` would have (it resolves the target
/// first, with the same errors).
fn bind_onto<S: Syscall>(sys: &mut S, src: &str, file: &Path) -> Result<OwnedFd, Errno> {
    let target = sys.open(None, file, OFlag::O_PATH | OFlag::O_CLOEXEC, Mode::empty())?;
    sys.mount_onto_fd(Some(src), target.as_fd(), None, MsFlags::MS_BIND)?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seam::fake::{Ended, Fake};

    fn bind(f: &mut Fake, files: &[(NsType, &str)]) -> Ended {
        let files: Vec<(NsType, PathBuf)> = files.iter().map(|(t, p)| (*t, PathBuf::from(p))).collect();
        f.run(|s| bind_namespaces(s, Pid::from_raw(7), &files).map(|()| 0))
    }

    /// Each file is opened once and the namespace bound onto that descriptor.
    #[test]
    fn binds_onto_the_opened_file() {
        let mut f = Fake::new();
        assert_eq!(bind(&mut f, &[(NsType::Uts, "/run/uts"), (NsType::Pid, "/run/pid")]), Ended::Status(0));
        assert_eq!(
            f.log(),
            [
                "open /run/uts [path]",
                "mount /proc/7/ns/uts fd:/run/uts - bind",
                "open /run/pid [path]",
                "mount /proc/7/ns/pid_for_children fd:/run/pid - bind",
            ]
        );
    }

    /// A refused bind mount undoes the ones before it, the last first, each through the
    /// descriptor it was made on: no path is resolved a second time.
    #[test]
    fn a_failed_bind_undoes_the_others() {
        let mut f = Fake::new();
        f.fail("mount /proc/7/ns/pid_for_children", Errno::ENOENT);
        let files = [(NsType::Uts, "/run/uts"), (NsType::Ipc, "/run/uts"), (NsType::Pid, "/run/pid")];
        assert_eq!(
            bind(&mut f, &files),
            Ended::Failed("mount /proc/7/ns/pid_for_children on /run/pid failed: No such file or directory".into(), 1)
        );
        assert_eq!(
            f.log(),
            [
                "open /run/uts [path]",
                "mount /proc/7/ns/uts fd:/run/uts - bind",
                "open /run/uts [path]",
                "mount /proc/7/ns/ipc fd:/run/uts - bind",
                "open /run/pid [path]",
                "mount /proc/7/ns/pid_for_children fd:/run/pid - bind -> ENOENT",
                "umount fd:/run/uts detach",
                "umount fd:/run/uts detach",
            ]
        );
    }

    /// A file that cannot be opened fails with `mount(2)`'s message and undoes the
    /// mounts already made.
    #[test]
    fn a_missing_file_fails_as_the_mount() {
        let mut f = Fake::new();
        f.fail("open /nonexistent/ipc", Errno::ENOENT);
        assert_eq!(
            bind(&mut f, &[(NsType::Uts, "/run/uts"), (NsType::Ipc, "/nonexistent/ipc")]),
            Ended::Failed("mount /proc/7/ns/ipc on /nonexistent/ipc failed: No such file or directory".into(), 1)
        );
        assert_eq!(
            f.log(),
            [
                "open /run/uts [path]",
                "mount /proc/7/ns/uts fd:/run/uts - bind",
                "open /nonexistent/ipc [path] -> ENOENT",
                "umount fd:/run/uts detach",
            ]
        );
    }
}
