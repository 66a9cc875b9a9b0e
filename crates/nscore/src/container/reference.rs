//! Which running container a reference means (rs-nsenter's `--container REF`). Pure: the
//! reference and the running containers in, one of them, none or several out.
//!
//! A reference is `RUNTIME:REST` when what stands before its first colon is a runtime
//! ([`Runtime::from_name`]: the CONTAINER column's spelling, also `crio` and
//! `systemd-nspawn`); then only that runtime's containers are candidates. Else it is
//! `REST` alone, and every container is. `REST` is looked for, in this order, the first
//! step that finds any deciding (as `docker inspect` does it):
//!
//! 1. a whole ID (64 digits), or for LXC and nspawn the name in the cgroup;
//! 2. a name, whole (`web`, `web-0/app`), or for a Kubernetes `POD/CONTAINER` the
//!    container's part alone (`app`);
//! 3. the start of an ID (`4f1c`, or `4f1c2a9b8e7d` as the CONTAINER column shows it).
//!
//! A reference that finds two or more containers at the deciding step is ambiguous.

use super::names::short_name;
use super::{Container, Runtime};

/// A running container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The container, by its cgroup.
    pub container: Container,
    /// What its runtime's state calls it.
    pub name: Option<String>,
    /// Its main process: in the container's cgroup, with a parent outside it.
    pub main: i32,
}

impl Candidate {
    /// `runtime:id12 (name)`, as an ambiguity lists it (the name left out if there is
    /// none, or if it is what stands after the colon already).
    pub fn describe(&self) -> String {
        let label = String::from_utf8_lossy(&self.container.label()).into_owned();
        match &self.name {
            Some(n) if n.as_bytes() != self.container.short_id() => format!("{label} ({n})"),
            _ => label,
        }
    }
}

/// What a reference found.
#[derive(Debug, PartialEq, Eq)]
pub enum Pick<'a> {
    /// Nothing.
    None,
    /// Exactly this container.
    One(&'a Candidate),
    /// Several, in the order of `candidates`.
    Several(Vec<&'a Candidate>),
}

/// The container(s) `reference` means among `candidates` (see the module's documentation).
pub fn pick<'a>(reference: &[u8], candidates: &'a [Candidate]) -> Pick<'a> {
    let (runtime, rest) = split(reference);
    let pool: Vec<&Candidate> =
        candidates.iter().filter(|c| runtime.map_or(true, |r| c.container.runtime == r)).collect();
    if rest.is_empty() {
        return Pick::None;
    }
    let steps: [&dyn Fn(&Candidate) -> bool; 3] = [
        &|c| c.container.id == rest,
        &|c| {
            c.name
                .as_deref()
                .is_some_and(|n| n.as_bytes() == rest || short_name(n).is_some_and(|s| s.as_bytes() == rest))
        },
        &|c| c.container.runtime.has_ids() && c.container.id.starts_with(rest),
    ];
    for matches in steps {
        let found: Vec<&Candidate> = pool.iter().copied().filter(|c| matches(c)).collect();
        match found.len() {
            0 => continue,
            1 => return Pick::One(found[0]),
            _ => return Pick::Several(found),
        }
    }
    Pick::None
}

/// Whether step 1 decides for `reference` (a whole ID, or an LXC or nspawn name, that a
/// candidate has): then [`pick`] needs no names, and the runtimes' files need not be read.
pub fn decided_by_id(reference: &[u8], candidates: &[Candidate]) -> bool {
    let (runtime, rest) = split(reference);
    !rest.is_empty()
        && candidates.iter().any(|c| runtime.map_or(true, |r| c.container.runtime == r) && c.container.id == rest)
}

/// `RUNTIME:REST` into the runtime and the rest; a reference whose part before the first
/// colon names no runtime is all rest (a name may hold colons).
fn split(reference: &[u8]) -> (Option<Runtime>, &[u8]) {
    if let Some(i) = reference.iter().position(|&b| b == b':') {
        if let Some(r) = Runtime::from_name(&reference[..i]) {
            return (Some(r), &reference[i + 1..]);
        }
    }
    (None, reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3";
    const A2: &str = "4f1c2a000000000000000000000000000000000000000000000000000000abcd";
    const B: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn cand(runtime: Runtime, id: &str, name: Option<&str>, main: i32) -> Candidate {
        Candidate { container: Container { runtime, id: id.as_bytes().to_vec() }, name: name.map(String::from), main }
    }

    fn running() -> Vec<Candidate> {
        vec![
            cand(Runtime::Docker, A, Some("web"), 100),
            cand(Runtime::Podman, A2, Some("web"), 200),
            cand(Runtime::CriO, B, Some("web-0/app"), 300),
            cand(Runtime::Lxc, "box", Some("box"), 400),
            cand(Runtime::Nspawn, "my-box", Some("my-box"), 500),
            cand(Runtime::Containerd, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", None, 600),
        ]
    }

    fn main_of(r: &str) -> Result<i32, Vec<i32>> {
        let all = running();
        match pick(r.as_bytes(), &all) {
            Pick::One(c) => Ok(c.main),
            Pick::None => Err(vec![]),
            Pick::Several(v) => Err(v.iter().map(|c| c.main).collect()),
        }
    }

    #[test]
    fn by_id_prefix_runtime_and_name() {
        assert_eq!(main_of(A), Ok(100));
        assert_eq!(main_of(&A[..12]), Ok(100));
        assert_eq!(main_of("4f1c2a9"), Ok(100));
        assert_eq!(main_of("4f1c2a"), Err(vec![100, 200]), "a prefix of two IDs");
        assert_eq!(main_of("docker:4f1c2a"), Ok(100));
        assert_eq!(main_of("podman:4f1c"), Ok(200));
        assert_eq!(main_of(&format!("podman:{A2}")), Ok(200));
        assert_eq!(main_of("podman:4f1c2a9"), Err(vec![]));
        assert_eq!(main_of("crio:0123"), Ok(300));
        assert_eq!(main_of("cri-o:0123"), Ok(300));
        assert_eq!(main_of("containerd:abc"), Ok(600));
        assert_eq!(main_of("web-0/app"), Ok(300));
        assert_eq!(main_of("app"), Ok(300), "a Kubernetes container by its own name");
        assert_eq!(main_of("web"), Err(vec![100, 200]), "one name, two runtimes");
        assert_eq!(main_of("docker:web"), Ok(100));
        assert_eq!(main_of("box"), Ok(400));
        assert_eq!(main_of("lxc:box"), Ok(400));
        assert_eq!(main_of("nspawn:my-box"), Ok(500));
        assert_eq!(main_of("systemd-nspawn:my-box"), Ok(500));
        assert_eq!(main_of("lxc:bo"), Err(vec![]), "a name is never a prefix");
        for none in ["", "docker:", "nope", "5", "lxc:my-box", "WEB", "4F1C2A9", "docker:web:x", "x:web"] {
            assert_eq!(main_of(none), Err(vec![]), "{none}");
        }
    }

    /// A whole ID beats a name, a name beats a prefix (a container named like the start
    /// of another's ID).
    #[test]
    fn order_of_steps() {
        let all = vec![cand(Runtime::Docker, A, Some("0123"), 1), cand(Runtime::Docker, B, Some(A), 2)];
        assert_eq!(pick(b"0123", &all), Pick::One(&all[0]));
        assert_eq!(pick(A.as_bytes(), &all), Pick::One(&all[0]));
        assert_eq!(pick(b"0123456", &all), Pick::One(&all[1]));
        // a name with colons, whose first part is no runtime
        let all = vec![cand(Runtime::Podman, A, Some("a:b"), 1)];
        assert_eq!(pick(b"a:b", &all), Pick::One(&all[0]));
    }

    #[test]
    fn descriptions() {
        let all = running();
        assert_eq!(all[0].describe(), "docker:4f1c2a9b8e7d (web)");
        assert_eq!(all[3].describe(), "lxc:box");
        assert_eq!(all[5].describe(), "containerd:abcdef012345");
    }
}
