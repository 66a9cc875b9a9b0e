//! Samples of the runtimes' files, as their versions write them (shortened to the fields
//! around the ones read), and hostile ones.

use nix::errno::Errno;

use super::*;
use crate::seam::fake::Fake;

const A: &str = "4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3";
const B: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Docker 24 / 25 (`config.v2.json`, one line, as the daemon writes it).
const DOCKER_V2: &str = r#"{"StreamConfig":{},"State":{"Running":true,"Paused":false,"Restarting":false,"OOMKilled":false,"RemovalInProgress":false,"Dead":false,"Pid":4242,"ExitCode":0,"Error":"","StartedAt":"2024-05-02T09:12:01.5Z","FinishedAt":"0001-01-01T00:00:00Z","Health":null},"ID":"4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3","Created":"2024-05-02T09:12:00.9Z","Managed":false,"Path":"nginx","Args":["-g","daemon off;"],"Config":{"Hostname":"4f1c2a9b8e7d","Domainname":"","User":"","Env":["PATH=/usr/sbin:/usr/bin"],"Cmd":["nginx","-g","daemon off;"],"Image":"nginx","Labels":{"maintainer":"NGINX Docker Maintainers"}},"Image":"sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6","NetworkSettings":{"Bridge":"","Networks":{"bridge":{"IPAddress":"172.17.0.2"}}},"LogPath":"/var/lib/docker/containers/4f1c/4f1c-json.log","Name":"/web","Driver":"overlay2","OS":"linux","RestartCount":0,"HasBeenStartedBefore":true,"HasBeenManuallyStopped":false,"MountPoints":{},"AppArmorProfile":"docker-default","HostnamePath":"/var/lib/docker/containers/4f1c/hostname"}"#;

/// Docker 1.9 (`config.json`, before the v2 format): the same `Name`.
const DOCKER_V1: &str = r#"{"State":{"Running":true,"Pid":1234},"ID":"4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3","Created":"2015-11-03T10:00:00Z","Path":"/bin/sh","Config":{"Hostname":"4f1c2a9b8e7d"},"Name":"/old_web","Driver":"aufs","ExecDriver":"native-0.2"}"#;

/// Podman 4 / 5 (`overlay-containers/containers.json`): `names`, and `metadata` as text.
const PODMAN_4: &str = r#"[{"id":"4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3","names":["web"],"image":"e4720093a3c1381245b53a5a51b417963b3c4472d3f47fc301930a4f3b17666a","layer":"3b4f3a9e1c9e8b6e","metadata":"{\"image-name\":\"docker.io/library/nginx:latest\",\"image-id\":\"e4720093a3c1\",\"name\":\"web\",\"created-at\":1714640000,\"mountlabel\":\"system_u:object_r:container_file_t:s0:c1,c2\"}","created":"2024-05-02T09:12:00.9Z","flags":{"MountLabel":"system_u:object_r:container_file_t:s0:c1,c2","ProcessLabel":"system_u:system_r:container_t:s0:c1,c2"}},{"id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","names":["db"],"image":"a1","layer":"b2","metadata":"{\"name\":\"db\"}","created":"2024-05-02T09:13:00Z"}]"#;

/// Podman 1.x (`vfs-containers/containers.json`): no `names`, the name only in `metadata`.
const PODMAN_1: &str = r#"[{"id":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","image":"a1","layer":"b2","metadata":"{\"image-name\":\"docker.io/library/redis:latest\",\"name\":\"cache\",\"created-at\":1559000000}","created":"2019-05-28T00:00:00Z"}]"#;

/// CRI-O (containers/storage): the kubelet's `k8s_` name.
const CRIO: &str = r#"[{"id":"4f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a493827160f5e4d3","names":["k8s_nginx_nginx-7854ff8877-abcde_default_7c2b0a6e-1f3d-4c5b-9a8e-2d4f6b8c0e1a_0"],"image":"a1","layer":"b2","metadata":"{\"pod-name\":\"k8s_POD_nginx-7854ff8877-abcde_default_7c2b0a6e-1f3d-4c5b-9a8e-2d4f6b8c0e1a_0\",\"pod-id\":\"0a1b\",\"name\":\"k8s_nginx_nginx-7854ff8877-abcde_default_7c2b0a6e-1f3d-4c5b-9a8e-2d4f6b8c0e1a_0\",\"metadata-name\":\"nginx\"}"}]"#;

#[test]
fn docker_configs() {
    assert_eq!(docker_config_name(DOCKER_V2.as_bytes()).as_deref(), Some("web"));
    assert_eq!(docker_config_name(DOCKER_V1.as_bytes()).as_deref(), Some("old_web"));
    // Docker as the Kubernetes runtime (dockershim) names containers for the kubelet
    let k8s = r#"{"Name":"/k8s_app_web-0_prod_7c2b0a6e-1f3d-4c5b-9a8e-2d4f6b8c0e1a_3"}"#;
    assert_eq!(docker_config_name(k8s.as_bytes()).as_deref(), Some("web-0/app"));
    for bad in [r#"{"Name":""}"#, r#"{"Name":"/"}"#, r#"{"Name":7}"#, r#"{"ID":"x"}"#, "[]", "", "{", "null"] {
        assert_eq!(docker_config_name(bad.as_bytes()), None, "{bad}");
    }
}

#[test]
fn storage_files_of_each_version() {
    let names = |s: &str| -> Vec<(String, String)> {
        storage_names(s.as_bytes()).into_iter().map(|(id, n)| (String::from_utf8(id).unwrap(), n)).collect()
    };
    assert_eq!(names(PODMAN_4), [(A.to_string(), "web".to_string()), (B.to_string(), "db".to_string())]);
    assert_eq!(names(PODMAN_1), [(B.to_string(), "cache".to_string())]);
    assert_eq!(names(CRIO), [(A.to_string(), "nginx-7854ff8877-abcde/nginx".to_string())]);
    // entries without a usable id or name are skipped, the others kept
    let mixed = format!(
        r#"[{{"id":"short","names":["x"]}},{{"id":"{A}"}},{{"id":"{A}","names":[]}},{{"id":"{B}","names":[""]}},7,
           {{"id":"{B}","names":[5]}},{{"id":"{B}","metadata":"not json"}},{{"id":"{B}","names":["ok"]}}]"#
    );
    assert_eq!(names(&mixed), [(B.to_string(), "ok".to_string())]);
    assert!(names("{}").is_empty() && names("").is_empty() && names("[").is_empty());
}

#[test]
fn kube_log_links() {
    let f = |s: String| kube_log_name(s.as_bytes()).map(|(id, n)| (String::from_utf8(id).unwrap(), n));
    assert_eq!(f(format!("web-0_prod_app-{A}.log")), Some((A.into(), "web-0/app".into())));
    assert_eq!(
        f(format!("coredns-5d78c9869d-x2x9q_kube-system_coredns-{B}.log")),
        Some((B.into(), "coredns-5d78c9869d-x2x9q/coredns".into()))
    );
    for bad in [
        format!("web-0_prod_app-{A}"),
        format!("web-0_prod_app_{A}.log"),
        format!("web-0_app-{A}.log"),
        format!("a_b_c_d-{A}.log"),
        format!("_prod_app-{A}.log"),
        format!("web-0_prod_app-{}.log", &A[1..]),
        format!("{A}.log"),
        "x.log".to_string(),
    ] {
        assert_eq!(f(bad.clone()), None, "{bad}");
    }
    assert_eq!(short_name("web-0/app"), Some("app"));
    assert_eq!(short_name("web"), None);
}

/// Hostile files: invalid UTF-8, nesting far deeper than the parser's limit (refused,
/// no stack overflow), and more than [`STATE_MAX`] (not even parsed).
#[test]
fn hostile_files_are_no_names() {
    let mut bad_utf8 = br#"{"Name":"/we"#.to_vec();
    bad_utf8.extend_from_slice(b"\xff\xfe\"}");
    assert_eq!(docker_config_name(&bad_utf8), None);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(docker_config_name(deep.as_bytes()), None);
    assert!(storage_names(deep.as_bytes()).is_empty());
    let deep_obj = format!(r#"{{"Name":"/x","a":{}1{}}}"#, "[".repeat(200), "]".repeat(200));
    assert_eq!(docker_config_name(deep_obj.as_bytes()), None);
    // a metadata text nested too deep is no name either
    let meta = format!(r#"[{{"id":"{A}","metadata":"{}"}}]"#, "[".repeat(100_000));
    assert!(storage_names(meta.as_bytes()).is_empty());

    let mut f = Fake::new();
    let path = format!("/var/lib/docker/containers/{A}/config.v2.json");
    let mut huge = DOCKER_V2.as_bytes().to_vec();
    huge.resize(STATE_MAX + 1, b' ');
    f.set_file(&path, &huge);
    let c = Container { runtime: Runtime::Docker, id: A.as_bytes().to_vec() };
    assert_eq!(Names::new(None).name(&mut f, &c), None);
    huge.truncate(STATE_MAX);
    f.set_file(&path, &huge);
    assert_eq!(Names::new(None).name(&mut f, &c).as_deref(), Some("web"));
}

/// Where each runtime's name is looked for, in which order, and that each shared file is
/// read once however many containers are named.
#[test]
fn lookups() {
    let id = |runtime, id: &str| Container { runtime, id: id.as_bytes().to_vec() };
    let mut f = Fake::new();
    f.set_file(&format!("/var/lib/docker/containers/{A}/config.v2.json"), DOCKER_V2.as_bytes())
        .set_file(&format!("/home/u/.local/share/docker/containers/{B}/config.json"), DOCKER_V1.as_bytes())
        .set_dir("/var/lib/containers/storage", &["overlay", "overlay-containers", "overlay-images", "vfs-containers"])
        .set_file("/var/lib/containers/storage/overlay-containers/containers.json", PODMAN_4.as_bytes())
        .set_file("/var/lib/containers/storage/vfs-containers/containers.json", PODMAN_1.as_bytes())
        .set_dir("/home/u/.local/share/containers/storage", &["overlay-containers"])
        .set_file("/home/u/.local/share/containers/storage/overlay-containers/containers.json", CRIO.as_bytes())
        .set_dir("/var/log/containers", &[&format!("web-0_prod_app-{B}.log"), "junk"]);
    let mut n = Names::new(Some("/home/u".into()));
    assert_eq!(n.name(&mut f, &id(Runtime::Docker, A)).as_deref(), Some("web"));
    assert_eq!(n.name(&mut f, &id(Runtime::Docker, B)).as_deref(), Some("old_web"), "rootless, old format");
    assert_eq!(n.name(&mut f, &id(Runtime::Podman, A)).as_deref(), Some("web"));
    // the first store listing an id names it (overlay before vfs, root before the user)
    assert_eq!(n.name(&mut f, &id(Runtime::Podman, B)).as_deref(), Some("db"));
    assert_eq!(n.name(&mut f, &id(Runtime::Containerd, B)).as_deref(), Some("web-0/app"));
    assert_eq!(n.name(&mut f, &id(Runtime::Containerd, A)), None);
    assert_eq!(n.name(&mut f, &id(Runtime::CriO, B)).as_deref(), Some("web-0/app"), "the log link first");
    assert_eq!(n.name(&mut f, &id(Runtime::Lxc, "web1")).as_deref(), Some("web1"));
    assert_eq!(n.name(&mut f, &id(Runtime::Nspawn, "my-box")).as_deref(), Some("my-box"));
    assert_eq!(
        f.calls(&["list"]),
        [
            "list /var/lib/containers/storage",
            "list /home/u/.local/share/containers/storage",
            "list /var/log/containers"
        ]
    );
    assert_eq!(f.log().iter().filter(|l| l.ends_with("containers.json")).count(), 3);

    // nothing there, or unreadable: no names, no errors
    let mut f = Fake::new();
    f.fail("list", Errno::EACCES).fail("read", Errno::EACCES);
    let mut n = Names::new(Some("/home/u".into()));
    for r in [Runtime::Docker, Runtime::Podman, Runtime::CriO, Runtime::Containerd] {
        assert_eq!(n.name(&mut f, &id(r, A)), None);
    }
}
