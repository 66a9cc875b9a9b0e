//! The container a process runs in, recognised by the names container runtimes give the
//! cgroups they make (rs-lsns's CONTAINER column, rs-nsenter's `--container`). Pure: the
//! lines of `/proc/PID/cgroup` in (one at a time, as they are read: see [`Verdict`]), a
//! [`Container`] out, whose label is such as `docker:4f1c2a9b8e7d`.
//!
//! Which line decides: the cgroup v2 line (`0::PATH`) first, then the v1 lines
//! (`ID:CONTROLLERS:PATH`, e.g. `pids`, `memory`, `name=systemd`) in the order the file
//! lists them; the first line whose path names a container wins. On a cgroup v2 host the
//! v2 line is the only one; on a hybrid or v1 host a runtime with the cgroupfs driver may
//! place its containers in the v1 controllers only, while the v2 line shows systemd's
//! service. The whole file counts: on a hybrid host the v2 line comes last, after v1
//! lines that may be long (the kernel prints up to 4095 bytes of each path).
//!
//! Within a path the outermost component that names a container wins. That is the cgroup
//! the runtime made, which the container cannot rename or leave; below it the container
//! may make cgroups of its own, with any name: a process of container A in a cgroup
//! `docker-B.scope` it made is still in container A (and `-Q 'CONTAINER == "docker:A"'`
//! finds it). A Docker container inside an LXC one is therefore the LXC container. (A
//! path longer than 4095 bytes the kernel cuts at the end, where the container's own
//! cgroups are: the runtime's outer one is still there.)
//!
//! The names recognised (`HEX` is a 64-digit lowercase container ID, kept whole and shown
//! by its first twelve digits):
//!
//! | path component                                              | label           |
//! |-------------------------------------------------------------|-----------------|
//! | `docker-HEX.scope`, `docker/HEX`                            | `docker:ID`     |
//! | `libpod-HEX.scope`, `libpod-HEX` under `libpod_parent`      | `podman:ID`     |
//! | `cri-containerd-HEX.scope`, `HEX` under `kubepods/…/podUID` | `containerd:ID` |
//! | `crio-HEX.scope`, `crio-HEX` under `podUID`                 | `cri-o:ID`      |
//! | `lxc.payload.NAME`, `lxc/NAME`                              | `lxc:NAME`      |
//! | `machine-NAME.scope` (`\xHH` escapes undone)                | `nspawn:NAME`   |
//!
//! Kubernetes' own cgroups (`kubepods…`, the pod's `podUID`) name no container, so the
//! outermost match in a pod is the container's cgroup below the pod's.
//!
//! Runtimes' helpers on the host are not containers and do not match:
//! `libpod-conmon-HEX.scope`, `crio-conmon-HEX.scope`, `lxc.monitor.NAME`, and the
//! `supervisor` cgroup systemd-nspawn keeps for itself under the machine's scope. A
//! `machine-NAME.scope` is any machine systemd-machined registers (libvirt's too).
//!
//! The paths are relative to the root of the *reader's* cgroup namespace. Run on the
//! host, rs-lsns sees every container's full path. Run inside a container with its own
//! cgroup namespace, its own processes sit at `/` (no label: that container's name lies
//! above the root it can see), containers nested inside it are recognised (there the
//! outermost cgroup it can see wins, which may be one its processes made), and cgroups
//! outside its root are reached through `..` (`/../docker-HEX.scope`). The forms that
//! carry the name in one component match there too; those that need the parent
//! (`docker/HEX`, `lxc/NAME`) do not when the parent is above the reader's root: seen
//! from `/docker/A`, container `/docker/B` is `/../B`.

use super::{Container, Runtime};

/// What the lines of a `/proc/PID/cgroup` file say, fed to [`Verdict::line`] one by one
/// in file order (so that the file need not be held whole): the label of the v2 line, or
/// else of the first v1 line that names a container.
#[derive(Debug, Default)]
pub struct Verdict {
    v2: Option<Container>,
    v1: Option<Container>,
}

impl Verdict {
    /// Takes one line (without its newline). A line without two colons is no cgroup line.
    pub fn line(&mut self, line: &[u8]) {
        let Some((id, controllers, path)) = split_line(line) else { return };
        let slot = if id == b"0" && controllers.is_empty() { &mut self.v2 } else { &mut self.v1 };
        if slot.is_none() {
            *slot = from_path(path);
        }
    }

    /// The container the lines place the process in, if any.
    pub fn container(self) -> Option<Container> {
        self.v2.or(self.v1)
    }
}

/// `ID:CONTROLLERS:PATH`; the path may hold colons itself.
fn split_line(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let mut it = line.splitn(3, |&b| b == b':');
    Some((it.next()?, it.next()?, it.next()?))
}

/// The container a cgroup path names, by its outermost matching component (the
/// runtime's, not one the container made below it).
pub fn from_path(path: &[u8]) -> Option<Container> {
    let parts: Vec<&[u8]> = path.split(|&b| b == b'/').filter(|p| !p.is_empty()).collect();
    (0..parts.len()).find_map(|i| component(&parts, i))
}

/// Whether `parts[i]` (with what comes before and after it) names a container.
fn component(parts: &[&[u8]], i: usize) -> Option<Container> {
    let name = parts[i];
    let above = &parts[..i];
    let parent = above.last().copied().unwrap_or_default();
    if let Some(unit) = name.strip_suffix(b".scope") {
        return scope(unit, parts.get(i + 1).copied());
    }
    if is_id(name) && parent == b"docker" {
        return id_label(Runtime::Docker, name);
    }
    if is_id(name) && is_pod(parent) && above.contains(&&b"kubepods"[..]) {
        return id_label(Runtime::Containerd, name);
    }
    if let Some(id) = name.strip_prefix(b"libpod-").filter(|_| above.contains(&&b"libpod_parent"[..])) {
        return id_label(Runtime::Podman, id);
    }
    if let Some(id) = name.strip_prefix(b"crio-").filter(|_| is_pod(parent)) {
        return id_label(Runtime::CriO, id);
    }
    if let Some(n) = name.strip_prefix(b"lxc.payload.").filter(|n| !n.is_empty()) {
        return Some(named(Runtime::Lxc, n));
    }
    if parent == b"lxc" && name != b".." {
        return Some(named(Runtime::Lxc, name));
    }
    None
}

/// A systemd scope unit `UNIT.scope` that a runtime made for a container; `next` is the
/// cgroup below it, if the path goes on.
fn scope(unit: &[u8], next: Option<&[u8]>) -> Option<Container> {
    const IDS: [(&[u8], Runtime); 4] = [
        (b"docker-", Runtime::Docker),
        (b"libpod-", Runtime::Podman),
        (b"cri-containerd-", Runtime::Containerd),
        (b"crio-", Runtime::CriO),
    ];
    for (prefix, runtime) in IDS {
        if let Some(id) = unit.strip_prefix(prefix) {
            return id_label(runtime, id);
        }
    }
    let machine = unit.strip_prefix(b"machine-").filter(|m| !m.is_empty())?;
    if next == Some(b"supervisor") {
        return None; // systemd-nspawn itself, on the host side
    }
    Some(named(Runtime::Nspawn, &unescape(machine)))
}

fn id_label(runtime: Runtime, id: &[u8]) -> Option<Container> {
    is_id(id).then(|| Container { runtime, id: id.to_vec() })
}

fn named(runtime: Runtime, name: &[u8]) -> Container {
    Container { runtime, id: name.to_vec() }
}

/// A container ID: 64 lowercase hexadecimal digits.
pub(crate) fn is_id(s: &[u8]) -> bool {
    s.len() == 64 && s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Kubernetes' cgroup for a pod: `pod` and the pod's UID (`_` for `-` in systemd's form).
fn is_pod(s: &[u8]) -> bool {
    s.strip_prefix(b"pod")
        .is_some_and(|uid| !uid.is_empty() && uid.iter().all(|b| b.is_ascii_hexdigit() || matches!(b, b'-' | b'_')))
}

/// Undoes systemd's unit name escapes (`\x2d` for `-`, and `\xHH` for any other byte).
fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let byte = s.get(i..i + 4).filter(|e| e.starts_with(b"\\x")).and_then(|e| hex_byte(e[2], e[3]));
        match byte {
            Some(b) => {
                out.push(b);
                i += 4;
            }
            None => {
                out.push(s[i]);
                i += 1;
            }
        }
    }
    out
}

fn hex_byte(hi: u8, lo: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(hi)? * 16 + digit(lo)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3";

    fn at(path: &str) -> Option<String> {
        from_path(path.as_bytes()).map(|c| String::from_utf8(c.label()).unwrap())
    }

    /// The label for a `/proc/PID/cgroup` text, its lines fed as the scan feeds them: a
    /// last line without its newline (a read cut short) is not looked at.
    fn file(text: &str) -> Option<String> {
        let complete = &text[..text.rfind('\n')?];
        let mut verdict = Verdict::default();
        complete.split('\n').for_each(|l| verdict.line(l.as_bytes()));
        verdict.container().map(|c| String::from_utf8(c.label()).unwrap())
    }

    fn is(path: &str, want: &str) {
        assert_eq!(at(path).as_deref(), Some(want), "{path}");
    }

    #[test]
    fn docker() {
        is(&format!("/system.slice/docker-{HEX}.scope"), "docker:4f1c2a9b8e7d");
        is(&format!("/docker/{HEX}"), "docker:4f1c2a9b8e7d");
        // rootless Docker (systemd driver, in the user's manager), and a container that
        // made cgroups of its own (systemd inside, cgroup v2)
        is(
            &format!("/user.slice/user-1000.slice/user@1000.service/user.slice/docker-{HEX}.scope"),
            "docker:4f1c2a9b8e7d",
        );
        is(&format!("/system.slice/docker-{HEX}.scope/init.scope"), "docker:4f1c2a9b8e7d");
    }

    /// A container may make cgroups below its own with any name, a runtime's too (or run
    /// a runtime of its own): the outermost name, the one its runtime made, wins.
    #[test]
    fn outermost_container_wins() {
        let b = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let uid = "pod7c2b0a6e-1f3d-4c5b-9a8e-2d4f6b8c0e1a";
        let suid = "pod7c2b0a6e_1f3d_4c5b_9a8e_2d4f6b8c0e1a";
        // Docker, systemd and cgroupfs drivers, a fake scope or a real Docker inside
        is(&format!("/system.slice/docker-{HEX}.scope/docker-{b}.scope"), "docker:4f1c2a9b8e7d");
        is(&format!("/system.slice/docker-{HEX}.scope/x/docker-{b}.scope/y"), "docker:4f1c2a9b8e7d");
        is(&format!("/docker/{HEX}/docker-{b}.scope"), "docker:4f1c2a9b8e7d");
        is(&format!("/docker/{HEX}/docker/{b}"), "docker:4f1c2a9b8e7d");
        is(&format!("/docker/{HEX}/lxc.payload.x"), "docker:4f1c2a9b8e7d");
        // Podman (systemd and cgroupfs), containerd, CRI-O, nspawn, LXC
        is(&format!("/machine.slice/libpod-{HEX}.scope/container/libpod-{b}.scope"), "podman:4f1c2a9b8e7d");
        is(&format!("/machine.slice/libpod-{HEX}.scope/docker-{b}.scope"), "podman:4f1c2a9b8e7d");
        is(&format!("/libpod_parent/libpod-{HEX}/libpod_parent/libpod-{b}"), "podman:4f1c2a9b8e7d");
        is(&format!("/system.slice/cri-containerd-{HEX}.scope/docker-{b}.scope"), "containerd:4f1c2a9b8e7d");
        is(&format!("/system.slice/crio-{HEX}.scope/crio-{b}.scope"), "cri-o:4f1c2a9b8e7d");
        is("/machine.slice/machine-debian.scope/payload/system.slice/machine-evil.scope", "nspawn:debian");
        is(&format!("/machine.slice/machine-debian.scope/payload/docker-{b}.scope"), "nspawn:debian");
        is(&format!("/lxc.payload.web1/system.slice/docker-{HEX}.scope"), "lxc:web1");
        is("/lxc/web1/lxc/web2", "lxc:web1");
        // in a Kubernetes pod: the container, not the pod (which names none)
        is(&format!("/kubepods/burstable/{uid}/{HEX}/docker-{b}.scope"), "containerd:4f1c2a9b8e7d");
        is(&format!("/kubepods/burstable/{uid}/{HEX}/kubepods/{uid}/{b}"), "containerd:4f1c2a9b8e7d");
        is(&format!("/kubepods/{uid}/crio-{HEX}/crio-{b}.scope"), "cri-o:4f1c2a9b8e7d");
        is(
            &format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-{suid}.slice/cri-containerd-{HEX}.scope/\
                 docker-{b}.scope"
            ),
            "containerd:4f1c2a9b8e7d",
        );
        // a helper's cgroup is no container: one below it still counts
        is(&format!("/machine.slice/libpod-conmon-{HEX}.scope/docker-{b}.scope"), "docker:0123456789ab");
        is(&format!("/machine.slice/machine-debian.scope/supervisor/docker-{b}.scope"), "docker:0123456789ab");
    }

    #[test]
    fn podman() {
        is(&format!("/machine.slice/libpod-{HEX}.scope"), "podman:4f1c2a9b8e7d");
        is(&format!("/machine.slice/libpod-{HEX}.scope/container"), "podman:4f1c2a9b8e7d");
        is(
            &format!("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{HEX}.scope"),
            "podman:4f1c2a9b8e7d",
        );
        is(&format!("/machine.slice/machine-libpod_pod_0a1b.slice/libpod-{HEX}.scope"), "podman:4f1c2a9b8e7d");
        is(&format!("/libpod_parent/libpod-{HEX}"), "podman:4f1c2a9b8e7d");
        is(&format!("/libpod_parent/libpod-{HEX}/ctr"), "podman:4f1c2a9b8e7d");
    }

    #[test]
    fn kubernetes() {
        let uid = "pod7c2b0a6e-1f3d-4c5b-9a8e-2d4f6b8c0e1a";
        let suid = "pod7c2b0a6e_1f3d_4c5b_9a8e_2d4f6b8c0e1a";
        is(&format!("/kubepods/burstable/{uid}/{HEX}"), "containerd:4f1c2a9b8e7d");
        is(&format!("/kubepods/besteffort/{uid}/{HEX}"), "containerd:4f1c2a9b8e7d");
        is(&format!("/kubepods/{uid}/{HEX}"), "containerd:4f1c2a9b8e7d");
        is(
            &format!(
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-{suid}.slice/cri-containerd-{HEX}.scope"
            ),
            "containerd:4f1c2a9b8e7d",
        );
        is(&format!("/kubepods.slice/kubepods-{suid}.slice/cri-containerd-{HEX}.scope"), "containerd:4f1c2a9b8e7d");
        is(
            &format!("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-{suid}.slice/crio-{HEX}.scope"),
            "cri-o:4f1c2a9b8e7d",
        );
        is(&format!("/kubepods/burstable/{uid}/crio-{HEX}"), "cri-o:4f1c2a9b8e7d");
        // Docker as the Kubernetes runtime, systemd driver
        is(&format!("/kubepods.slice/kubepods-{suid}.slice/docker-{HEX}.scope"), "docker:4f1c2a9b8e7d");
    }

    #[test]
    fn lxc_and_nspawn() {
        is("/lxc.payload.web1", "lxc:web1");
        is("/lxc.payload.web1/system.slice/nginx.service", "lxc:web1");
        is("/lxc/web1", "lxc:web1");
        is("/lxc/web1/init.scope", "lxc:web1");
        is("/machine.slice/machine-debian.scope", "nspawn:debian");
        is("/machine.slice/machine-my\\x2dbox.scope/payload", "nspawn:my-box");
        is("/machine.slice/machine-a\\x2db\\x2dc.scope/payload/system.slice/cron.service", "nspawn:a-b-c");
        assert_eq!(unescape(b"x\\x2"), b"x\\x2");
        assert_eq!(unescape(b"\\xzz\\x41"), b"\\xzzA");
    }

    #[test]
    fn not_containers() {
        let short = &HEX[..63];
        let long = format!("{HEX}0");
        let upper = HEX.to_uppercase();
        let uid = "pod7c2b0a6e-1f3d-4c5b-9a8e-2d4f6b8c0e1a";
        for p in [
            "/".to_string(),
            String::new(),
            "/system.slice/docker.service".into(),
            "/system.slice/containerd.service".into(),
            "/docker".into(),
            "/docker/short".into(),
            format!("/docker/{short}"),
            format!("/docker/{long}"),
            format!("/docker/{upper}"),
            format!("/system.slice/docker-{short}.scope"),
            format!("/system.slice/docker-{long}.scope"),
            format!("/system.slice/docker-{HEX}.service"),
            format!("/{HEX}"),
            format!("/machine.slice/libpod-conmon-{HEX}.scope"),
            format!("/libpod-{HEX}"),
            format!("/kubepods.slice/kubepods-burstable.slice/crio-conmon-{HEX}.scope"),
            format!("/kubepods/burstable/{uid}"),
            format!("/burstable/{uid}/{HEX}"),
            format!("/crio-{HEX}"),
            "/kubepods.slice/kubepods-burstable.slice".into(),
            "/machine.slice".into(),
            "/machine.slice/machine-.scope".into(),
            "/machine.slice/machine-debian.scope/supervisor".into(),
            "/user.slice/user-1000.slice/session-3.scope".into(),
            "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.scope".into(),
            "/init.scope".into(),
            "/lxc".into(),
            "/lxc.monitor.web1".into(),
            "/lxc.payload.".into(),
            "/../..".into(),
            "/lxc/..".into(),
        ] {
            assert_eq!(at(&p), None, "{p}");
        }
    }

    /// Seen from inside a cgroup namespace: `..` leads out of its root.
    #[test]
    fn paths_outside_our_cgroup_namespace() {
        is(&format!("/../docker-{HEX}.scope"), "docker:4f1c2a9b8e7d");
        is("/../../lxc.payload.web2", "lxc:web2");
        assert_eq!(at(&format!("/../{HEX}")), None);
    }

    #[test]
    fn cgroup_files() {
        // cgroup v2 only
        assert_eq!(file(&format!("0::/system.slice/docker-{HEX}.scope\n")).as_deref(), Some("docker:4f1c2a9b8e7d"));
        assert_eq!(file("0::/user.slice/user-0.slice/session-1.scope\n"), None);
        // v1 (cgroupfs driver): the controllers have it, name=systemd and v2 do not
        let hybrid = format!(
            "12:pids:/docker/{HEX}\n11:memory:/docker/{HEX}\n1:name=systemd:/system.slice/containerd.service\n\
             0::/system.slice/containerd.service\n"
        );
        assert_eq!(file(&hybrid).as_deref(), Some("docker:4f1c2a9b8e7d"));
        // the v2 line comes first, wherever the file lists it; then v1 in file order
        let both = format!("3:pids:/lxc/a\n2:memory:/lxc/b\n0::/system.slice/docker-{HEX}.scope\n");
        assert_eq!(file(&both).as_deref(), Some("docker:4f1c2a9b8e7d"));
        assert_eq!(file("3:pids:/lxc/a\n2:memory:/lxc/b\n0::/\n").as_deref(), Some("lxc:a"));
        // a path with colons; a v1 hierarchy numbered 0 with a controller is v1
        assert_eq!(file("5:cpu,cpuacct:/lxc/a:b\n").as_deref(), Some("lxc:a:b"));
        assert_eq!(file("0:pids:/lxc/a\n0::/\n").as_deref(), Some("lxc:a"));
        // a line without two colons is no cgroup line
        assert_eq!(file("garbage /lxc/a\n"), None);
        assert_eq!(file(""), None);
        // the first v1 line that names a container, the first v2 line
        assert_eq!(file("3:pids:/\n2:memory:/lxc/b\n1:cpu:/lxc/c\n").as_deref(), Some("lxc:b"));
        assert_eq!(file("0::/lxc/a\n0::/lxc/b\n").as_deref(), Some("lxc:a"));
    }

    /// A hybrid host's file lists the v2 line last, after v1 lines that may be long (each
    /// path up to 4095 bytes): more than 8 KiB before it, which must not decide.
    #[test]
    fn long_file_with_the_v2_line_last() {
        let deep = format!("/lxc/web1{}", format!("/{}", "d".repeat(255)).repeat(15));
        let mut text = String::new();
        for (n, c) in ["pids", "memory", "cpu", "blkio"].iter().enumerate() {
            text.push_str(&format!("{}:{c}:{deep}\n", 9 - n));
        }
        text.push_str(&format!("0::/system.slice/docker-{HEX}.scope\n"));
        assert!(text.len() > 12 << 10, "{}", text.len());
        assert_eq!(file(&text).as_deref(), Some("docker:4f1c2a9b8e7d"));
        // without it, the v1 lines decide
        assert_eq!(file(&text[..text.rfind("0::").unwrap()]).as_deref(), Some("lxc:web1"));
    }
}
