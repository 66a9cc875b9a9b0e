//! What a container is called, from the state its runtime keeps on disk: no daemon, no
//! socket, nothing written. Where each runtime's name comes from:
//!
//! | runtime    | where                                                                  |
//! |------------|------------------------------------------------------------------------|
//! | Docker     | `Name` in `/var/lib/docker/containers/ID/config.v2.json` (`config.json` before Docker 1.10); rootless: the same under `~/.local/share/docker` |
//! | Podman     | `names` (else `name` in `metadata`) of the entry with `id` ID in `containers.json` of containers/storage: `/var/lib/containers/storage/*-containers/`, and `~/.local/share/containers/storage/*-containers/` of the calling user |
//! | CRI-O      | Kubernetes' log link (below), else as Podman                           |
//! | containerd | Kubernetes' log link: `/var/log/containers/POD_NAMESPACE_CONTAINER-ID.log` |
//! | LXC, nspawn| the cgroup itself (`lxc.payload.NAME`, `machine-NAME.scope`)          |
//!
//! A Kubernetes container is called `POD/CONTAINER`; so are the containers whose runtime
//! name is the kubelet's `k8s_CONTAINER_POD_NAMESPACE_UID_ATTEMPT` (Docker as the
//! Kubernetes runtime, CRI-O's storage). `~` is the home directory of the calling user's
//! passwd entry (not `$HOME`, which `sudo` may keep).
//!
//! These files belong to whoever runs the runtime: a rootless runtime's are its user's,
//! and so is a name under a cgroup subtree delegated to a user, who may have named the
//! cgroup after any container ID. So a name is a hint, never a proof, and the files are
//! read with care: without following a symbolic link at the last component, regular
//! files only, at most [`STATE_MAX`] bytes, through a real JSON parser (which refuses
//! invalid UTF-8 and nesting deeper than 128). A file that is missing, unreadable, too
//! big or malformed means "no name", never an error.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::cgroup::is_id;
use super::{Container, Runtime};
use crate::seam::Syscall;

/// The most of a state file that is read: a `containers.json` of some thousands of
/// containers fits; a larger file gives no names at all.
pub const STATE_MAX: usize = 4 << 20;

/// Docker's state, rootful (and the `~/.local/share/docker` of a rootless daemon).
const DOCKER: &str = "/var/lib/docker";
/// containers/storage, Podman's and CRI-O's, of root.
const STORAGE: &str = "/var/lib/containers/storage";
/// The kubelet's links to each container's log, named after pod, namespace, container
/// and ID.
const KUBE_LOGS: &str = "/var/log/containers";

/// Looks names up, reading each shared file once (containers.json, the log directory).
#[derive(Debug, Default)]
pub struct Names {
    home: Option<PathBuf>,
    storage: Option<HashMap<Vec<u8>, String>>,
    kube: Option<HashMap<Vec<u8>, String>>,
}

impl Names {
    /// Names looked up in the runtimes' system-wide state and, for rootless runtimes, in
    /// `home` (the user's home directory).
    pub fn new(home: Option<PathBuf>) -> Names {
        Names { home, ..Names::default() }
    }

    /// [`Names::new`] with the home directory of the calling (real) user's passwd entry,
    /// unless that is root, whose runtimes keep their state system-wide.
    pub fn for_caller(uid: u32) -> Names {
        Names::new((uid != 0).then(|| crate::ids::home_dir(uid)).flatten())
    }

    /// The name of container `c`, if its runtime's state says one.
    pub fn name<S: Syscall>(&mut self, sys: &mut S, c: &Container) -> Option<String> {
        match c.runtime {
            Runtime::Docker => self.docker(sys, &c.id).or_else(|| self.kube(sys, &c.id)),
            Runtime::Podman => self.storage(sys, &c.id),
            Runtime::CriO => self.kube(sys, &c.id).or_else(|| self.storage(sys, &c.id)),
            Runtime::Containerd => self.kube(sys, &c.id),
            Runtime::Lxc | Runtime::Nspawn => Some(String::from_utf8_lossy(&c.id).into_owned()),
        }
    }

    fn docker<S: Syscall>(&self, sys: &mut S, id: &[u8]) -> Option<String> {
        let id = std::str::from_utf8(id).ok()?;
        let rootless = self.home.as_ref().map(|h| h.join(".local/share/docker"));
        let roots = std::iter::once(PathBuf::from(DOCKER)).chain(rootless);
        roots.flat_map(|r| ["config.v2.json", "config.json"].map(|f| r.join("containers").join(id).join(f))).find_map(
            |path| {
                let json = sys.read_bounded(&path, STATE_MAX).ok()?;
                docker_config_name(&json)
            },
        )
    }

    fn storage<S: Syscall>(&mut self, sys: &mut S, id: &[u8]) -> Option<String> {
        if let Some(known) = &self.storage {
            return known.get(id).cloned();
        }
        let user = self.home.as_ref().map(|h| h.join(".local/share/containers/storage"));
        let roots = std::iter::once(PathBuf::from(STORAGE)).chain(user);
        let files: Vec<PathBuf> = roots.flat_map(|root| storage_files(sys, &root)).collect();
        let pairs: Vec<(Vec<u8>, String)> = files
            .iter()
            .filter_map(|file| sys.read_bounded(file, STATE_MAX).ok())
            .flat_map(|json| storage_names(&json))
            .collect();
        // reversed, so that the first file to list an ID names it
        let known: HashMap<Vec<u8>, String> = pairs.into_iter().rev().collect();
        let name = known.get(id).cloned();
        self.storage = Some(known);
        name
    }

    fn kube<S: Syscall>(&mut self, sys: &mut S, id: &[u8]) -> Option<String> {
        let kube = self.kube.get_or_insert_with(|| {
            let files = sys.list_dir(Path::new(KUBE_LOGS)).unwrap_or_default();
            files.iter().filter_map(|f| kube_log_name(f.as_bytes())).collect()
        });
        kube.get(id).cloned()
    }
}

/// The `containers.json` files of a containers/storage root: one per storage driver
/// (`overlay-containers`, `vfs-containers`, ...).
fn storage_files<S: Syscall>(sys: &mut S, root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<OsString> = sys.list_dir(root).unwrap_or_default();
    dirs.retain(|d| d.as_bytes().ends_with(b"-containers"));
    dirs.sort();
    dirs.into_iter().map(|d| root.join(d).join("containers.json")).collect()
}

/// `Name` of a Docker `config.v2.json` (or pre-1.10 `config.json`): `/web` is `web`.
pub fn docker_config_name(json: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(json).ok()?;
    let name = v.get("Name")?.as_str()?;
    usable(name.strip_prefix('/').unwrap_or(name))
}

/// `(id, name)` of each entry of a containers/storage `containers.json`: its first
/// `names` entry, else the `name` in its `metadata` (itself JSON text, as Podman writes it).
pub fn storage_names(json: &[u8]) -> Vec<(Vec<u8>, String)> {
    let Ok(Value::Array(entries)) = serde_json::from_slice::<Value>(json) else { return Vec::new() };
    entries
        .iter()
        .filter_map(|e| {
            let id = e.get("id")?.as_str()?.as_bytes();
            if !is_id(id) {
                return None;
            }
            let listed = e.get("names").and_then(|n| n.get(0)).and_then(Value::as_str).map(str::to_string);
            let name = listed.or_else(|| metadata_name(e.get("metadata")?.as_str()?))?;
            Some((id.to_vec(), usable(&name)?))
        })
        .collect()
}

fn metadata_name(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    v.get("name")?.as_str().map(str::to_string)
}

/// `(id, POD/CONTAINER)` from the name of a kubelet log link,
/// `POD_NAMESPACE_CONTAINER-ID.log` (none of the three may hold `_`).
pub fn kube_log_name(file: &[u8]) -> Option<(Vec<u8>, String)> {
    let stem = file.strip_suffix(b".log")?;
    let (rest, id) = stem.split_at(stem.len().checked_sub(65)?);
    let id = id.strip_prefix(b"-").filter(|id| is_id(id))?;
    let rest = std::str::from_utf8(rest).ok()?;
    let parts: Vec<&str> = rest.split('_').collect();
    let [pod, _namespace, container] = parts[..] else { return None };
    if pod.is_empty() || container.is_empty() {
        return None;
    }
    Some((id.to_vec(), format!("{pod}/{container}")))
}

/// A name worth showing: not empty, and the kubelet's `k8s_C_P_NS_UID_N` as `P/C`.
fn usable(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    let parts: Vec<&str> = name.split('_').collect();
    match parts[..] {
        ["k8s", container, pod, _ns, _uid, _attempt] if !container.is_empty() && !pod.is_empty() => {
            Some(format!("{pod}/{container}"))
        }
        _ => Some(name.to_string()),
    }
}

/// The short form a reference may use for a Kubernetes name `POD/CONTAINER`: the
/// container's own name.
pub fn short_name(name: &str) -> Option<&str> {
    name.rsplit_once('/').map(|(_, c)| c).filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests;
