//! Containers, as the kernel and the runtimes' files on disk tell them, without any
//! runtime's command, socket or API: which container a process runs in (its cgroup,
//! [`cgroup`]), what the container is called ([`names`]), which process is its main one
//! ([`procs`]), and which container a reference such as `web`, `4f1c2a` or
//! `docker:4f1c2a9b8e7d` means ([`reference`](mod@reference)). rs-lsns's CONTAINER and CONTAINERNAME
//! columns and rs-nsenter's `--container` share this module.
//!
//! ```
//! use nscore::container::{cgroup, Runtime};
//!
//! let id = "4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3";
//! let c = cgroup::from_path(format!("/system.slice/docker-{id}.scope").as_bytes()).unwrap();
//! assert_eq!(c.runtime, Runtime::Docker);
//! assert_eq!(c.id, id.as_bytes());
//! assert_eq!(c.label(), b"docker:4f1c2a9b8e7d");
//! ```

pub mod cgroup;
pub mod names;
pub mod procs;
pub mod reference;

/// The runtimes whose cgroups [`cgroup`] recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Runtime {
    /// Docker (Moby), rootful or rootless.
    Docker,
    /// Podman (libpod), rootful or rootless.
    Podman,
    /// containerd's CRI plugin (Kubernetes), or a bare container in a pod's cgroup.
    Containerd,
    /// CRI-O (Kubernetes).
    CriO,
    /// LXC (and Incus/LXD, which run it): the container's name is in its cgroup.
    Lxc,
    /// A machine systemd-machined registers: systemd-nspawn's (or libvirt's).
    Nspawn,
}

impl Runtime {
    /// Every runtime, in the order ambiguity messages list them.
    pub const ALL: [Runtime; 6] =
        [Runtime::Docker, Runtime::Podman, Runtime::Containerd, Runtime::CriO, Runtime::Lxc, Runtime::Nspawn];

    /// The name the CONTAINER column prints before the colon.
    pub const fn name(self) -> &'static str {
        match self {
            Runtime::Docker => "docker",
            Runtime::Podman => "podman",
            Runtime::Containerd => "containerd",
            Runtime::CriO => "cri-o",
            Runtime::Lxc => "lxc",
            Runtime::Nspawn => "nspawn",
        }
    }

    /// The runtime a reference's `RUNTIME:` names: the column's spelling, or `crio`
    /// (CRI-O's own command is `crio`) and `systemd-nspawn`, `machine`.
    pub fn from_name(s: &[u8]) -> Option<Runtime> {
        match s {
            b"crio" => Some(Runtime::CriO),
            b"systemd-nspawn" | b"machine" => Some(Runtime::Nspawn),
            _ => Runtime::ALL.into_iter().find(|r| r.name().as_bytes() == s),
        }
    }

    /// Whether its containers are known by a 64-digit ID (else by the name in the cgroup).
    pub const fn has_ids(self) -> bool {
        !matches!(self, Runtime::Lxc | Runtime::Nspawn)
    }
}

/// A container, as its cgroup names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Container {
    /// Whose cgroup it is.
    pub runtime: Runtime,
    /// The whole 64-digit ID (lowercase hexadecimal); for LXC and nspawn, the name the
    /// cgroup carries (any bytes but `/`).
    pub id: Vec<u8>,
}

impl Container {
    /// The ID as the CONTAINER column and messages show it: its first twelve digits (the
    /// name for LXC and nspawn).
    pub fn short_id(&self) -> &[u8] {
        if self.runtime.has_ids() {
            &self.id[..self.id.len().min(12)]
        } else {
            &self.id
        }
    }

    /// `runtime:short_id`, as the CONTAINER column shows it.
    pub fn label(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(16 + self.id.len());
        v.extend_from_slice(self.runtime.name().as_bytes());
        v.push(b':');
        v.extend_from_slice(self.short_id());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names() {
        for r in Runtime::ALL {
            assert_eq!(Runtime::from_name(r.name().as_bytes()), Some(r));
        }
        assert_eq!(Runtime::from_name(b"crio"), Some(Runtime::CriO));
        assert_eq!(Runtime::from_name(b"systemd-nspawn"), Some(Runtime::Nspawn));
        assert_eq!(Runtime::from_name(b"Docker"), None);
        assert_eq!(Runtime::from_name(b""), None);
        let c = Container { runtime: Runtime::Lxc, id: b"a-long-container-name".to_vec() };
        assert_eq!(c.label(), b"lxc:a-long-container-name");
    }
}
