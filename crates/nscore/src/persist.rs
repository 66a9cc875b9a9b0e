//! Persistent namespaces: a bind mount of `/proc/PID/ns/<type>` onto a file keeps the
//! namespace alive without any process in it.

use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::unistd::Pid;

use crate::error::{Error, Result};
use crate::nstype::NsType;

/// Bind-mounts each namespace of `pid` onto its file (pid and time namespaces: the
/// ones for children, which is what `unshare(2)` created). If one fails, the mounts
/// already made are undone, so a refused command leaves nothing behind.
pub fn bind_namespaces(pid: Pid, files: &[(NsType, PathBuf)]) -> Result<()> {
    let mut done: Vec<&Path> = Vec::new();
    for (t, file) in files {
        let src = format!("/proc/{pid}/ns/{}", t.for_children_name());
        if let Err(e) = mount(Some(src.as_str()), file.as_path(), None::<&str>, MsFlags::MS_BIND, None::<&str>) {
            for d in done {
                let _ = umount2(d, MntFlags::MNT_DETACH);
            }
            return Err(Error::sys(format!("mount {src} on {} failed", file.display()), e));
        }
        done.push(file);
    }
    Ok(())
}
