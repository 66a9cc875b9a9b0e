use super::*;

const INIT: UserNs = UserNs { ino: 4026531837, owner: 0 };
const NOBODY: Caller = Caller { euid: 65534, admin: false, userns: Some(INIT) };

fn set(types: &[NsType]) -> NsSet {
    types.iter().copied().collect()
}

fn setns(
    pid: i32,
    uid: u32,
    user: bool,
    userns: Option<UserNs>,
    refused: Option<(NsType, Option<UserNs>)>,
) -> SetnsFacts {
    SetnsFacts { pid: Some(pid), target_uid: Some(uid), entering_user: user, target_userns: userns, refused }
}

#[test]
fn setns_causes() {
    // PID 1, in our (initial) user namespace: we lack the capability there
    let f = setns(1, 0, false, Some(INIT), Some((NsType::Net, Some(INIT))));
    assert_eq!(
        setns_eperm(&NOBODY, &f).unwrap(),
        "the net namespace of PID 1 is owned by uid 0 (user namespace 4026531837): run as root"
    );
    // our own rootless container, entered without its user namespace
    let ours = UserNs { ino: 4026532999, owner: 65534 };
    let f = setns(42, 65534, false, Some(ours), Some((NsType::Uts, Some(ours))));
    assert_eq!(
        setns_eperm(&NOBODY, &f).unwrap(),
        "the uts namespace of PID 42 is in your user namespace 4026532999: add -U (or -a)"
    );
    // someone else's container, with -U
    let me = Caller { euid: 1000, ..NOBODY };
    let f = setns(42, 65534, true, Some(ours), None);
    assert_eq!(
        setns_eperm(&me, &f).unwrap(),
        "user namespace 4026532999 of PID 42 belongs to uid 65534, not to you (uid 1000): run as uid 65534 or root"
    );
    // ... which we could not even look at
    let f = setns(42, 65534, true, None, Some((NsType::Net, None)));
    assert_eq!(
        setns_eperm(&me, &f).unwrap(),
        "PID 42 belongs to uid 65534, not to you (uid 1000): only uid 65534 or root may enter it"
    );
    // nothing known, or root: no hint
    assert_eq!(setns_eperm(&NOBODY, &setns(42, 65534, false, None, None)), None);
    let root = Caller { euid: 0, admin: true, userns: Some(INIT) };
    assert_eq!(setns_eperm(&root, &setns(1, 0, true, Some(INIT), None)), None);
}

#[test]
fn unshare_causes() {
    assert_eq!(
        unshare_eperm(&NOBODY, set(&[NsType::Net]), &[]).unwrap(),
        "a net namespace needs CAP_SYS_ADMIN, which uid 65534 lacks: add -r (--map-root-user)"
    );
    let off = [("kernel.unprivileged_userns_clone".to_string(), 0)];
    assert_eq!(
        unshare_eperm(&NOBODY, set(&[NsType::User]), &off).unwrap(),
        "unprivileged user namespaces are switched off here: kernel.unprivileged_userns_clone = 0"
    );
    assert_eq!(unshare_eperm(&NOBODY, set(&[NsType::User]), &[]), None);
    let root = Caller { euid: 0, admin: true, userns: Some(INIT) };
    assert_eq!(unshare_eperm(&root, set(&[NsType::Net]), &[]), None);
}

#[test]
fn limits() {
    let s = |n: &str, v: i64| (n.to_string(), v);
    let uts = [s("user.max_uts_namespaces", 0), s("user.max_user_namespaces", 5)];
    assert_eq!(
        unshare_limit(set(&[NsType::User, NsType::Uts]), &uts, None).unwrap(),
        "user.max_uts_namespaces = 0 in this user namespace: it allows no new uts namespace"
    );
    assert_eq!(
        unshare_limit(set(&[NsType::Pid]), &[s("user.max_pid_namespaces", 9)], Some(32)).unwrap(),
        "PID namespaces nest at most 32 deep, and this one is at depth 32"
    );
    assert_eq!(unshare_limit(set(&[NsType::Pid]), &[], Some(31)), None);
    let user = [s("user.max_user_namespaces", 2147483647)];
    assert!(unshare_limit(set(&[NsType::User]), &user, None)
        .unwrap()
        .contains("33 nested user namespaces are the kernel's limit"));
    // a lowered limit may be the one reached: not known
    assert_eq!(unshare_limit(set(&[NsType::User]), &[s("user.max_user_namespaces", 5)], None), None);
}

#[test]
fn covered_proc_mounts() {
    let text = b"22 1 0:5 / /proc rw - proc proc rw\n\
        30 22 0:40 / /proc/sys rw - tmpfs tmpfs rw\n\
        31 1 0:41 / /tmp rw - tmpfs tmpfs rw\n";
    let m = crate::procfs::parse_mountinfo(text);
    assert_eq!(
        covered_proc(&m).unwrap(),
        "a user namespace gets a new proc only where /proc is fully visible; covered here: /proc/sys"
    );
    assert_eq!(covered_proc(&m[..1]), None);
}

#[test]
fn id_maps() {
    let r = |inner, outer, count| IdRange { inner, outer, count };
    assert_eq!(
        subid_range(IdKind::Uid, 65534, &[r(0, 65534, 1), r(1, 100000, 10)], &[]).unwrap(),
        "uids 100000-100009 are not yours in /etc/subuid (uid 65534 has: none)"
    );
    assert_eq!(subid_range(IdKind::Uid, 1000, &[r(1, 100000, 10)], &[(100000, 65536)]), None);
    assert_eq!(
        subid_range(IdKind::Gid, 1000, &[r(0, 165530, 10)], &[(100000, 65536)]).unwrap(),
        "gids 165530-165539 are not yours in /etc/subgid (gid 1000 has: 100000-165535)"
    );
    assert!(helper_not_setuid(Path::new("/x/newuidmap"), 0o100755).is_some());
    assert_eq!(helper_not_setuid(Path::new("/x/newuidmap"), 0o104755), None);
    assert!(setgroups_after_gid_map("0 65534 1\n").is_some());
    assert_eq!(setgroups_after_gid_map(""), None);
    assert!(gid_map_with_setgroups("allow\n").is_some());
    assert_eq!(gid_map_with_setgroups("deny\n"), None);
}

#[test]
fn exec_inside() {
    assert_eq!(missing_inside("ls", "the root /tmp/r", false), "ls was not found inside the root /tmp/r");
}
