//! The `hint:` line after a failure: each cause produced for real, the first line checked
//! to be util-linux's (2.38.1 in /usr/bin, where its words are the newest's) and the hint
//! to name the cause found.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::*;

const UNSHARE: &str = env!("CARGO_BIN_EXE_rs-unshare");
const NSENTER: &str = env!("CARGO_BIN_EXE_rs-nsenter");
/// The prefix that makes a command unprivileged when we are root (see `common::unpriv`).
const NOBODY: &str = "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups";

/// stderr split into the first line (with util-linux's name for ours) and the hint.
fn lines(err: &str) -> (String, String) {
    let mut l = err.lines();
    let first =
        l.next().unwrap_or_default().replacen("rs-unshare:", "unshare:", 1).replacen("rs-nsenter:", "nsenter:", 1);
    (first, l.collect::<Vec<_>>().join("\n"))
}

/// Runs `script` (sh) as ourselves; `$U`, `$N` are ours, `$NOBODY` the prefix that runs
/// a command unprivileged: as uid 65534 through setpriv when we are root (then `$U` and
/// `$N` are copies uid 65534 may run), else none.
fn sh_root(script: &str) -> (String, String, i32) {
    let mut c = Command::new("/bin/sh");
    c.args(["-c", script]).current_dir("/");
    match is_root() {
        true => c.env("U", world_exec_copy(UNSHARE)).env("N", world_exec_copy(NSENTER)).env("NOBODY", NOBODY),
        false => c.env("U", UNSHARE).env("N", NSENTER).env("NOBODY", ""),
    };
    run(&mut c)
}

/// Ours and util-linux's runs of the same script (`$T` is the tool), compared: the same
/// first line and status; returns our hint line.
fn versus(script: &str, ours: &str, theirs: &str) -> String {
    let (_, err, code) = sh_root(&script.replace("$T", ours));
    let (_, their_err, their_code) = sh_root(&script.replace("$T", theirs));
    let (first, hint) = lines(&err);
    assert_eq!((first.as_str(), code), (lines(&their_err).0.as_str(), their_code), "{err}\n{their_err}");
    hint
}

/// Our run of `script`, where util-linux's words differ in their options: the first
/// line and status as expected; returns the rest.
fn expect_first(script: &str, first: &str, status: i32) -> String {
    let tool = if first.starts_with("nsenter") { "$N" } else { "$U" };
    let (_, err, code) = sh_root(&script.replace("$T", tool));
    let (ours, hint) = lines(&err);
    assert_eq!((ours.as_str(), code), (first, status), "{err}");
    hint
}

#[test]
fn unshare_without_capability() {
    if !require_unpriv() {
        return;
    }
    let hint = versus("$NOBODY $T -n true", "$U", "/usr/bin/unshare");
    assert_eq!(
        hint,
        format!(
            "rs-unshare: hint: a net namespace needs CAP_SYS_ADMIN, which uid {} lacks: add -r (--map-root-user)",
            unpriv_uid()
        )
    );
}

/// The limits are per user namespace: set in one made for the test, which maps uid
/// 65534 too, and hit there by uid 65534.
fn in_own_userns(setup: &str, cmd: &str) -> String {
    format!("$U --map-users=0:0:65536 --map-groups=0:0:65536 -U sh -c '{setup} && exec $NOBODY {cmd}'")
}

#[test]
fn namespace_limit_of_zero() {
    if !require_root() {
        return;
    }
    let script = in_own_userns("echo 0 > /proc/sys/user/max_net_namespaces", "$T -r -n true");
    let hint = versus(&script, "$U", "/usr/bin/unshare");
    assert_eq!(
        hint,
        "rs-unshare: hint: user.max_net_namespaces = 0 in this user namespace: it allows no new net namespace"
    );
    // user namespaces switched off
    let script = in_own_userns("echo 0 > /proc/sys/user/max_user_namespaces", "$T -r true");
    let hint = versus(&script, "$U", "/usr/bin/unshare");
    assert_eq!(
        hint,
        "rs-unshare: hint: user.max_user_namespaces = 0 in this user namespace: it allows no new user namespace"
    );
}

#[test]
fn user_namespace_depth() {
    // (as root, or as a user who may make user namespaces)
    if !is_root() && !require_unpriv() {
        return;
    }
    // 33 nested user namespaces, the most the kernel allows; then one more
    let nest =
        "n=$1; if [ $n -lt 33 ]; then exec /usr/bin/unshare -U -r sh -c \"$0\" \"$0\" $((n+1)); fi; exec $T -U true";
    let script = format!("sh -c '{nest}' '{nest}' 0");
    let hint = versus(&script, "$U", "/usr/bin/unshare");
    assert_eq!(
        hint,
        "rs-unshare: hint: 33 nested user namespaces are the kernel's limit, reached here \
         (user.max_user_namespaces = 2147483647)"
    );
}

#[test]
fn covered_proc() {
    if !require_root() {
        return;
    }
    let script = "/usr/bin/unshare -m --propagation private sh -c \
                  'mount -t tmpfs none /proc/sys && exec $NOBODY $T -r -fp --mount-proc true'";
    let hint = versus(script, "$U", "/usr/bin/unshare");
    assert_eq!(
        hint,
        "rs-unshare: hint: a user namespace gets a new proc only where /proc is fully visible; \
         covered here: /proc/sys"
    );
}

#[test]
fn setgroups_after_gid_map() {
    if !require_unpriv() {
        return;
    }
    // newgidmap writes the gid map before we may write setgroups
    let script = format!("$NOBODY $T -U --map-user=0 --map-groups=0:{}:1 --setgroups=allow true", unpriv_gid());
    let hint = expect_first(&script, "unshare: write failed /proc/self/setgroups: Operation not permitted", 1);
    assert_eq!(
        hint,
        "rs-unshare: hint: the gid map is written already, which fixes setgroups: it can be set only before"
    );
}

/// /etc/subuid granting uid 65534 one block, in a private mount namespace.
fn with_subuid(script: &str) -> (TempDir, String) {
    let dir = TempDir::new("hints-subuid");
    let file = dir.path().join("subuid");
    fs::write(&file, "someone:300000:10\nnobody:100000:65536\n").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    let sh = format!(
        "/usr/bin/unshare -m --propagation private sh -c 'mount --bind {} /etc/subuid && {script}'",
        file.display()
    );
    (dir, sh)
}

#[test]
fn subuid_range_not_ours() {
    // (the stand-in /etc/subuid is mounted by root)
    if !require_root() || !require_unpriv() {
        return;
    }
    let (_dir, script) = with_subuid("exec $NOBODY $T --map-users=0:200000:10 /bin/true");
    let hint = expect_first(&script, "newuidmap: uid range [0-10) -> [200000-200010) not allowed", 1);
    assert_eq!(
        hint,
        "rs-unshare: hint: uids 200000-200009 are not yours in /etc/subuid (uid 65534 has: 100000-165535)"
    );
}

#[test]
fn newuidmap_not_setuid() {
    // (the stand-in /etc/subuid is mounted by root)
    if !require_root() || !require_unpriv() {
        return;
    }
    let dir = TempDir::new("hints-newuidmap");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.path().join("newuidmap");
    sh(&["cp", "/usr/bin/newuidmap", copy.to_str().unwrap()]);
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).unwrap();
    let (_subuid, script) =
        with_subuid(&format!("exec $NOBODY env PATH={} $T --map-users=0:100000:10 /bin/true", dir.path().display()));
    let hint = expect_first(&script, "newuidmap: write to uid_map failed: Operation not permitted", 1);
    assert_eq!(
        hint,
        format!("rs-unshare: hint: {} is not set-user-ID, so it may not write id maps: reinstall it", copy.display())
    );
}

#[test]
fn program_missing_inside_root() {
    if !require_root() {
        return;
    }
    let root = TempDir::new("hints-root");
    let script = format!("$T -R {} ls", root.path().display());
    let hint = versus(&script, "$U", "/usr/bin/unshare");
    assert_eq!(hint, format!("rs-unshare: hint: ls was not found inside the root {}", root.path().display()));
    // a mount namespace whose /mnt holds nothing
    let mut c = Command::new("/usr/bin/unshare");
    c.args(["-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs none /mnt && exec sleep 60"]);
    let t = Target::spawn(c, 0);
    let script = format!("$T -t {} -m /mnt/prog", t.pid());
    let hint = versus(&script, "$N", "/usr/bin/nsenter");
    assert_eq!(
        hint,
        format!("rs-nsenter: hint: /mnt/prog was not found inside the mount namespace of PID {}", t.pid())
    );
    // -a enters it too, without -m
    let script = format!("$T -t {} -a /mnt/prog", t.pid());
    let hint = versus(&script, "$N", "/usr/bin/nsenter");
    assert_eq!(
        hint,
        format!("rs-nsenter: hint: /mnt/prog was not found inside the mount namespace of PID {}", t.pid())
    );
}

#[test]
fn setns_refused() {
    if !require_unpriv() {
        return;
    }
    // (2.38.1 opens /proc/1/ns/net first, and fails there: the newest enters by pidfd)
    let refused = "nsenter: reassociate to namespaces failed: Operation not permitted";
    let hint = expect_first("$NOBODY $T -t 1 -n true", refused, 1);
    // PID 1 is in our user namespace, the initial one
    let ino = own_ns("user");
    assert_eq!(
        hint,
        format!("rs-nsenter: hint: the net namespace of PID 1 is owned by uid 0 (user namespace {ino}): run as root")
    );
    // a rootless container of ours (uid 65534's when we are root)
    let mut c = unpriv("/usr/bin/unshare");
    c.args(["-r", "-n", "-u", "sleep", "60"]);
    let t = Target::spawn(c, 0);
    let theirs = fs::read_link(format!("/proc/{}/ns/user", t.pid)).unwrap().to_string_lossy().into_owned();
    let ino = theirs.trim_start_matches("user:[").trim_end_matches(']');
    let hint = expect_first(&format!("$NOBODY $T -t {} -n true", t.pid()), refused, 1);
    assert_eq!(
        hint,
        format!(
            "rs-nsenter: hint: the net namespace of PID {} is in your user namespace {ino}: add -U (or -a)",
            t.pid()
        )
    );
    // ... which another user may not enter
    if !require_root_for("its part as another user") {
        return;
    }
    let other = "/usr/bin/setpriv --reuid=65533 --regid=65533 --clear-groups";
    let hint = expect_first(&format!("{other} $T -t {} -U -n true", t.pid()), refused, 1);
    assert_eq!(
        hint,
        format!("rs-nsenter: hint: PID {} belongs to uid 65534, not to you (uid 65533): only uid 65534 or root may enter it", t.pid())
    );
}
